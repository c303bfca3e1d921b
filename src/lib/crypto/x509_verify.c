/* SPDX-License-Identifier: Apache-2.0 */
/* X.509 chain verification at a caller-given time, and CRLs. */
#include "core/check.h"
#include "crypto/x509_internal.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>
#include <stdlib.h>

/* The status a chain-verification error maps to (RFC 5280 section 6 outcomes). */
static clave_status verify_error_status(int err)
{
    switch (err) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_CERT_NOT_YET_VALID:
    case X509_V_ERR_CRL_HAS_EXPIRED:
    case X509_V_ERR_CRL_NOT_YET_VALID:
        return CLAVE_ERR_EXPIRED;
    case X509_V_ERR_CERT_REVOKED:
        return CLAVE_ERR_REVOKED;
    default:
        return CLAVE_ERR_CERT;
    }
}

static clave_status stack_from_list(const struct clave_x509_list *list, STACK_OF(X509) * *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    *out = sk_X509_new_null();
    CLAVE_ENSURE_ALLOC(*out);
    for (size_t i = 0; i < clave_x509_list_count(list); i++) {
        /* The stack borrows: it is freed with sk_X509_free, not sk_X509_pop_free. */
        CLAVE_ENSURE(sk_X509_push(*out, list->certs[i]->x509) > 0, CLAVE_ERR_NOMEM,
                     "out of memory");
    }
    st = CLAVE_OK;
done:
    return st;
}

/* A store trusting exactly `roots`, consulting `crls`, checking at `at_time`. */
static clave_status build_store(const struct clave_x509_list *roots, int64_t at_time,
                                const struct clave_x509_crl *const *crls, size_t crl_count,
                                unsigned flags, X509_STORE **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    X509_STORE *store = X509_STORE_new();
    X509_VERIFY_PARAM *param = NULL;
    unsigned long ossl_flags = 0;
    *out = NULL;
    CLAVE_ENSURE_ALLOC(store);
    for (size_t i = 0; i < clave_x509_list_count(roots); i++) {
        CLAVE_CHECK_OSSL(X509_STORE_add_cert(store, roots->certs[i]->x509), CLAVE_ERR_CRYPTO,
                         "x509: cannot add a root");
    }
    for (size_t i = 0; i < crl_count; i++) {
        CLAVE_ENSURE(crls[i] != NULL, CLAVE_ERR_ARG, "x509: CRL %zu is NULL", i);
        CLAVE_CHECK_OSSL(X509_STORE_add_crl(store, crls[i]->crl), CLAVE_ERR_CRYPTO,
                         "x509: cannot add a CRL");
    }
    param = X509_STORE_get0_param(store);
    /* Never the wall clock: evidence and collateral are judged at the time the caller names. */
    X509_VERIFY_PARAM_set_time(param, (time_t)at_time);
    if (flags & CLAVE_X509_STRICT) {
        ossl_flags |= X509_V_FLAG_X509_STRICT;
    }
    if (flags & CLAVE_X509_CRL_CHECK) {
        ossl_flags |= X509_V_FLAG_CRL_CHECK;
    }
    if (flags & CLAVE_X509_CRL_CHECK_ALL) {
        ossl_flags |= X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL;
    }
    CLAVE_CHECK_OSSL(X509_VERIFY_PARAM_set_flags(param, ossl_flags), CLAVE_ERR_CRYPTO,
                     "x509: cannot set verify flags");
    *out = store;
    store = NULL;
    st = CLAVE_OK;
done:
    X509_STORE_free(store);
    return st;
}

clave_status clave_x509_verify_chain(const struct clave_x509 *leaf,
                                     const struct clave_x509_list *untrusted,
                                     const struct clave_x509_list *roots, int64_t at_time,
                                     const struct clave_x509_crl *const *crls, size_t crl_count,
                                     unsigned flags)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    X509_STORE *store = NULL;
    X509_STORE_CTX *ctx = NULL;
    STACK_OF(X509) *chain = NULL;
    const unsigned known = CLAVE_X509_STRICT | CLAVE_X509_CRL_CHECK | CLAVE_X509_CRL_CHECK_ALL;
    CLAVE_ENSURE(leaf != NULL && clave_x509_list_count(roots) > 0, CLAVE_ERR_ARG,
                 "x509: need a leaf and at least one root");
    CLAVE_ENSURE((flags & ~known) == 0, CLAVE_ERR_ARG, "x509: unknown verify flags 0x%x", flags);
    CLAVE_ENSURE(crls != NULL || crl_count == 0, CLAVE_ERR_ARG, "x509: NULL CRL array");
    CLAVE_CHECK(build_store(roots, at_time, crls, crl_count, flags, &store));
    CLAVE_CHECK(stack_from_list(untrusted, &chain));
    ctx = X509_STORE_CTX_new();
    CLAVE_ENSURE_ALLOC(ctx);
    CLAVE_CHECK_OSSL(X509_STORE_CTX_init(ctx, store, leaf->x509, chain), CLAVE_ERR_CRYPTO,
                     "x509: X509_STORE_CTX_init");
    if (X509_verify_cert(ctx) != 1) {
        int err = X509_STORE_CTX_get_error(ctx);
        ERR_clear_error();
        CLAVE_RAISE(verify_error_status(err), "x509: chain verification failed at depth %d: %s",
                    X509_STORE_CTX_get_error_depth(ctx), X509_verify_cert_error_string(err));
    }
    st = CLAVE_OK;
done:
    X509_STORE_CTX_free(ctx);
    sk_X509_free(chain);
    X509_STORE_free(store);
    return st;
}

static clave_status wrap_crl(X509_CRL *x, struct clave_x509_crl **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    *out = calloc(1, sizeof(**out));
    CLAVE_ENSURE_ALLOC(*out);
    (*out)->crl = x;
    x = NULL;
    st = CLAVE_OK;
done:
    X509_CRL_free(x);
    return st;
}

clave_status clave_x509_crl_parse_der(const uint8_t *der, size_t len, struct clave_x509_crl **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    X509_CRL *x = NULL;
    const unsigned char *p = der;
    *out = NULL;
    CLAVE_ENSURE(der != NULL && len > 0, CLAVE_ERR_ARG, "x509: empty CRL input");
    CLAVE_ENSURE(len <= CLAVE_X509_MAX_PEM_LEN, CLAVE_ERR_TOO_LARGE, "x509: CRL %zu bytes > %u",
                 len, CLAVE_X509_MAX_PEM_LEN);
    x = d2i_X509_CRL(NULL, &p, (long)len);
    if (x == NULL) {
        clave__error_set_ossl(CLAVE_ERR_FORMAT, __FILE__, __LINE__, "x509: bad DER CRL");
        st = CLAVE_ERR_FORMAT;
        goto done;
    }
    CLAVE_ENSURE((size_t)(p - der) == len, CLAVE_ERR_TRAILING,
                 "x509: %zu trailing bytes after the CRL", len - (size_t)(p - der));
    CLAVE_CHECK(wrap_crl(x, out));
    x = NULL;
    st = CLAVE_OK;
done:
    X509_CRL_free(x);
    return st;
}

clave_status clave_x509_crl_parse_pem(const char *pem, size_t len, struct clave_x509_crl **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    BIO *bio = NULL;
    X509_CRL *x = NULL;
    *out = NULL;
    CLAVE_ENSURE(pem != NULL && len > 0, CLAVE_ERR_ARG, "x509: empty PEM input");
    CLAVE_ENSURE(len <= CLAVE_X509_MAX_PEM_LEN, CLAVE_ERR_TOO_LARGE, "x509: PEM %zu bytes > %u",
                 len, CLAVE_X509_MAX_PEM_LEN);
    bio = BIO_new_mem_buf(pem, (int)len);
    CLAVE_ENSURE_ALLOC(bio);
    x = PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL);
    if (x == NULL) {
        unsigned long err = ERR_peek_last_error();
        bool none = ERR_GET_LIB(err) == ERR_LIB_PEM && ERR_GET_REASON(err) == PEM_R_NO_START_LINE;
        clave__error_set_ossl(none ? CLAVE_ERR_NOT_FOUND : CLAVE_ERR_FORMAT, __FILE__, __LINE__,
                              "x509: no valid X509 CRL block in PEM input");
        st = none ? CLAVE_ERR_NOT_FOUND : CLAVE_ERR_FORMAT;
        goto done;
    }
    CLAVE_CHECK(wrap_crl(x, out));
    x = NULL;
    st = CLAVE_OK;
done:
    X509_CRL_free(x);
    BIO_free(bio);
    return st;
}

void clave_x509_crl_free(struct clave_x509_crl *crl)
{
    if (crl == NULL) {
        return;
    }
    X509_CRL_free(crl->crl);
    free(crl);
}

clave_status clave_x509_crl_verify(const struct clave_x509_crl *crl,
                                   const struct clave_x509 *issuer)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(
        X509_NAME_cmp(X509_CRL_get_issuer(crl->crl), X509_get_subject_name(issuer->x509)) == 0,
        CLAVE_ERR_CERT, "x509: CRL issuer is not the certificate's subject");
    int ok = X509_CRL_verify(crl->crl, clave__x509_pkey(issuer));
    ERR_clear_error();
    CLAVE_ENSURE(ok == 1, CLAVE_ERR_SIGNATURE, "x509: CRL signature does not verify");
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_x509_crl_this_update(const struct clave_x509_crl *crl, int64_t *out)
{
    return clave__asn1_time_unix(X509_CRL_get0_lastUpdate(crl->crl), out);
}

clave_status clave_x509_crl_next_update(const struct clave_x509_crl *crl, int64_t *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const ASN1_TIME *t = X509_CRL_get0_nextUpdate(crl->crl);
    *out = 0;
    CLAVE_ENSURE(t != NULL, CLAVE_ERR_NOT_FOUND, "x509: CRL has no nextUpdate");
    CLAVE_CHECK(clave__asn1_time_unix(t, out));
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_x509_crl_is_revoked(const struct clave_x509_crl *crl,
                                       const struct clave_x509 *cert, bool *revoked)
{
    X509_REVOKED *entry = NULL;
    /* 1: listed (revoked); 2: listed with reason removeFromCRL (not revoked); 0: not listed. */
    int r = X509_CRL_get0_by_cert(crl->crl, &entry, cert->x509);
    *revoked = r == 1;
    return CLAVE_OK;
}
