/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Certificates and CRLs of DCAP verification ("Intel SGX PCK Certificate and Certificate
 * Revocation List Profile Specification"): the PCK chain carried in the quote, the root CRL
 * (issued by the Intel SGX Root CA, covering the PCK CAs and the TCB Signing certificate) and
 * the PCK CRL (issued by the PCK Platform or Processor CA, covering PCK leaves). Every window is
 * checked at the caller's time with an error that names what expired.
 */
#include "attest/dcap_verify.h"

#include "core/check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

clave_status clave__dcap_cert_window(const struct clave_x509 *cert, int64_t at_time,
                                     const char *label)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    int64_t not_before = 0;
    int64_t not_after = 0;
    char when[32];
    CLAVE_CHECK(clave_x509_not_before(cert, &not_before));
    CLAVE_CHECK(clave_x509_not_after(cert, &not_after));
    clave__dcap_format_time(not_before, when, sizeof(when));
    CLAVE_ENSURE(at_time >= not_before, CLAVE_ERR_EXPIRED, "%s is not valid before %s", label,
                 when);
    clave__dcap_format_time(not_after, when, sizeof(when));
    CLAVE_ENSURE(at_time <= not_after, CLAVE_ERR_EXPIRED, "%s expired at %s", label, when);
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave__dcap_chain_to_root(const struct dcap_ctx *ctx, const struct clave_x509 *cert,
                                       const struct clave_x509_list *untrusted, const char *label)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const struct clave_x509_list *roots = ctx->collateral != NULL ? ctx->collateral->roots : NULL;
    struct clave_x509_list *own = NULL;
    if (roots == NULL) {
        struct clave_x509 *root = NULL;
        const uint8_t *der = NULL;
        size_t der_len = 0;
        CLAVE_CHECK(clave_x509_list_new(&own));
        CLAVE_CHECK(clave_x509_parse_pem(clave__dcap_intel_root_pem,
                                         strlen(clave__dcap_intel_root_pem), &root));
        clave_x509_der(root, &der, &der_len);
        st = clave_x509_list_add_der(own, der, der_len);
        clave_x509_free(root);
        CLAVE_CHECK(st);
        roots = own;
    }
    CLAVE_CHECK(
        clave__dcap_cert_window(clave_x509_list_get(roots, 0), ctx->at_time, "Intel SGX Root CA"));
    CLAVE_CHECK_CTX(
        clave_x509_verify_chain(cert, untrusted, roots, ctx->at_time, NULL, 0, CLAVE_X509_STRICT),
        "%s: ", label);
    st = CLAVE_OK;
done:
    clave_x509_list_free(own);
    return st;
}

/* "CN=Intel SGX PCK Platform CA,O=…" -> "Intel SGX PCK Platform CA". */
static void common_name(const struct clave_x509 *cert, char *buf, size_t cap)
{
    char *subject = NULL;
    (void)snprintf(buf, cap, "?");
    if (clave_x509_subject(cert, &subject) != CLAVE_OK) {
        return;
    }
    const char *cn = strstr(subject, "CN=");
    if (cn != NULL) {
        size_t n = strcspn(cn + 3, ",");
        (void)snprintf(buf, cap, "%.*s", (int)n, cn + 3);
    }
    free(subject);
}

clave_status clave__dcap_pck_chain(struct dcap_ctx *ctx)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const struct dcap_quote *q = ctx->quote;
    struct clave_x509_list *issuer = NULL;
    const uint8_t *der = NULL;
    size_t der_len = 0;
    char label[96];
    CLAVE_CHECK_CTX(clave_x509_list_parse_pem((const char *)q->pck_chain_pem, q->pck_chain_len,
                                              &ctx->pck_chain),
                    "PCK chain in the quote: ");
    size_t n = clave_x509_list_count(ctx->pck_chain);
    CLAVE_ENSURE(n >= 2 && n <= 3, CLAVE_ERR_CERT,
                 "PCK chain has %zu certificates, want leaf, CA and root", n);
    const struct clave_x509 *leaf = clave_x509_list_get(ctx->pck_chain, 0);
    const struct clave_x509 *ca = clave_x509_list_get(ctx->pck_chain, 1);
    common_name(ca, ctx->pck_ca_name, sizeof(ctx->pck_ca_name));
    CLAVE_CHECK(clave__dcap_cert_window(leaf, ctx->at_time, "PCK leaf certificate"));
    (void)snprintf(label, sizeof(label), "%s certificate", ctx->pck_ca_name);
    CLAVE_CHECK(clave__dcap_cert_window(ca, ctx->at_time, label));
    /* Only the CA named second may issue the leaf: its CRL is the one checked later. */
    clave_x509_der(ca, &der, &der_len);
    CLAVE_CHECK(clave_x509_list_new(&issuer));
    CLAVE_CHECK(clave_x509_list_add_der(issuer, der, der_len));
    CLAVE_CHECK(clave__dcap_chain_to_root(ctx, leaf, issuer, "PCK chain"));
    CLAVE_CHECK(clave__dcap_chain_to_root(ctx, ca, NULL, label));
    ctx->pck_leaf = leaf;
    ctx->pck_ca = ca;
    st = CLAVE_OK;
done:
    clave_x509_list_free(issuer);
    return st;
}
