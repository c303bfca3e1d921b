/* SPDX-License-Identifier: Apache-2.0 */
/* RA-TLS certificates and the OpenSSL verify callback (include/clave/ratls.h). */
#include "core/cbor.h"
#include "core/check.h"
#include "crypto/pkey.h"

#include <clave/buf.h>
#include <clave/crypto.h>
#include <clave/ratls.h>
#include <clave/secret.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* tag head (5 bytes for these 32-bit tags) + bstr head (at most 9) + evidence. */
#define RATLS_EXT_OVERHEAD 16
#define RATLS_CN "clave RA-TLS"

struct clave_ratls_verifier {
    const struct clave_attest_policy *policy;
    const char *collateral_dir;
};

clave_status clave_ratls_binding(const struct clave_pkey *key, uint8_t out[CLAVE_RATLS_BINDING_LEN])
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t spki[CLAVE_PKEY_SPKI_MAX_LEN];
    size_t len = 0;
    CLAVE_CHECK(clave_pkey_export_spki(key, spki, sizeof(spki), &len));
    CLAVE_CHECK(clave_hash(CLAVE_HASH_SHA512, spki, len, out, CLAVE_RATLS_BINDING_LEN));
    st = CLAVE_OK;
done:
    return st;
}

static clave_status format_tag(const char *format, uint64_t *tag)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    if (strcmp(format, "nitro") == 0) {
        *tag = CLAVE_RATLS_TAG_NITRO;
    } else if (strcmp(format, "snp") == 0) {
        *tag = CLAVE_RATLS_TAG_SNP;
    } else {
        CLAVE_RAISE(CLAVE_ERR_ARG, "ratls: no CBOR tag for format %s", format);
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status add_evidence_ext(X509 *cert, uint64_t tag, const uint8_t *evidence, size_t len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_writer w;
    uint8_t *buf = malloc(len + RATLS_EXT_OVERHEAD);
    ASN1_OBJECT *obj = OBJ_txt2obj(CLAVE_RATLS_OID, 1);
    ASN1_OCTET_STRING *value = ASN1_OCTET_STRING_new();
    X509_EXTENSION *ext = NULL;
    CLAVE_ENSURE(buf != NULL && obj != NULL && value != NULL, CLAVE_ERR_NOMEM, "out of memory");
    clave_writer_init(&w, buf, len + RATLS_EXT_OVERHEAD);
    CLAVE_CHECK(clave__cbor_put_head(&w, CLAVE_CBOR_MAJOR_TAG, tag));
    CLAVE_CHECK(clave__cbor_put_head(&w, CLAVE_CBOR_MAJOR_BYTES, len));
    CLAVE_CHECK(clave_writer_bytes(&w, evidence, len));
    CLAVE_CHECK_OSSL(ASN1_OCTET_STRING_set(value, buf, (int)w.len), CLAVE_ERR_CRYPTO, "ratls: ext");
    ext = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, value);
    CLAVE_ENSURE(ext != NULL, CLAVE_ERR_CRYPTO, "ratls: cannot build the evidence extension");
    CLAVE_CHECK_OSSL(X509_add_ext(cert, ext, -1), CLAVE_ERR_CRYPTO, "ratls: add extension");
    st = CLAVE_OK;
done:
    X509_EXTENSION_free(ext);
    ASN1_OCTET_STRING_free(value);
    ASN1_OBJECT_free(obj);
    free(buf);
    return st;
}

static clave_status set_name_and_time(X509 *cert, int64_t valid_seconds)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    X509_NAME *name = X509_NAME_new();
    uint8_t serial[16];
    BIGNUM *bn = NULL;
    CLAVE_ENSURE_ALLOC(name);
    CLAVE_CHECK_OSSL(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                                (const unsigned char *)RATLS_CN, -1, -1, 0),
                     CLAVE_ERR_CRYPTO, "ratls: name");
    CLAVE_CHECK_OSSL(X509_set_subject_name(cert, name), CLAVE_ERR_CRYPTO, "ratls: subject");
    CLAVE_CHECK_OSSL(X509_set_issuer_name(cert, name), CLAVE_ERR_CRYPTO, "ratls: issuer");
    CLAVE_CHECK(clave_random(serial, sizeof(serial)));
    serial[0] &= 0x7f;
    bn = BN_bin2bn(serial, sizeof(serial), NULL);
    CLAVE_ENSURE(bn != NULL && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) != NULL,
                 CLAVE_ERR_CRYPTO, "ratls: serial");
    CLAVE_ENSURE(X509_gmtime_adj(X509_getm_notBefore(cert), -60) != NULL &&
                     X509_gmtime_adj(X509_getm_notAfter(cert), (long)valid_seconds) != NULL,
                 CLAVE_ERR_CRYPTO, "ratls: validity");
    st = CLAVE_OK;
done:
    BN_free(bn);
    X509_NAME_free(name);
    return st;
}

clave_status clave_ratls_cert_create(const struct clave_pkey *key, const char *format,
                                     const uint8_t *evidence, size_t len, int64_t valid_seconds,
                                     uint8_t **der, size_t *der_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    X509 *cert = X509_new();
    EVP_PKEY *evp = clave__pkey_evp(key);
    uint64_t tag = 0;
    unsigned char *out = NULL;
    *der = NULL;
    *der_len = 0;
    CLAVE_ENSURE_ALLOC(cert);
    CLAVE_ENSURE(clave_pkey_type(key) == CLAVE_PKEY_P256 && clave_pkey_has_private(key),
                 CLAVE_ERR_KEY, "ratls: the key must be a P-256 private key");
    CLAVE_ENSURE(len > 0 && len <= CLAVE_ATTEST_MAX_EVIDENCE_LEN && valid_seconds > 0,
                 CLAVE_ERR_ARG, "ratls: evidence of %zu bytes or bad validity", len);
    CLAVE_CHECK(format_tag(format, &tag));
    CLAVE_CHECK_OSSL(X509_set_version(cert, X509_VERSION_3), CLAVE_ERR_CRYPTO, "ratls: v3");
    CLAVE_CHECK(set_name_and_time(cert, valid_seconds));
    CLAVE_CHECK_OSSL(X509_set_pubkey(cert, evp), CLAVE_ERR_CRYPTO, "ratls: pubkey");
    CLAVE_CHECK(add_evidence_ext(cert, tag, evidence, len));
    CLAVE_ENSURE(X509_sign(cert, evp, EVP_sha256()) > 0, CLAVE_ERR_CRYPTO, "ratls: cannot sign");
    int n = i2d_X509(cert, &out);
    CLAVE_ENSURE(n > 0, CLAVE_ERR_CRYPTO, "ratls: cannot encode");
    *der = malloc((size_t)n);
    CLAVE_ENSURE_ALLOC(*der);
    memcpy(*der, out, (size_t)n);
    *der_len = (size_t)n;
    st = CLAVE_OK;
done:
    OPENSSL_free(out);
    X509_free(cert);
    return st;
}

/* The evidence in the extension: tag(T, bstr) with T a known format. Borrowed from `ext`. */
static clave_status parse_ext(const uint8_t *ext, size_t len, const char **format,
                              uint8_t **evidence, size_t *evidence_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const struct clave__cbor_limits limits = {CLAVE_ATTEST_MAX_EVIDENCE_LEN + 32, 2, 2};
    cbor_item_t *item = NULL;
    *evidence = NULL;
    CLAVE_CHECK_CTX(clave__cbor_load(ext, len, &limits, &item), "ratls: extension: ");
    CLAVE_ENSURE(cbor_isa_tag(item), CLAVE_ERR_FORMAT, "ratls: extension is not a CBOR tag");
    uint64_t tag = cbor_tag_value(item);
    cbor_item_t *content = cbor_tag_item(item);
    bool ok = cbor_isa_bytestring(content) && cbor_bytestring_is_definite(content);
    *format = tag == CLAVE_RATLS_TAG_NITRO ? "nitro" : tag == CLAVE_RATLS_TAG_SNP ? "snp" : NULL;
    if (ok) {
        *evidence_len = cbor_bytestring_length(content);
        *evidence = malloc(*evidence_len + 1);
        if (*evidence != NULL && *evidence_len > 0) {
            memcpy(*evidence, cbor_bytestring_handle(content), *evidence_len);
        }
    }
    cbor_decref(&content);
    CLAVE_ENSURE(ok, CLAVE_ERR_FORMAT, "ratls: tagged item is not a byte string");
    CLAVE_ENSURE(*format != NULL, CLAVE_ERR_UNSUPPORTED, "ratls: unknown evidence tag %llu",
                 (unsigned long long)tag);
    CLAVE_ENSURE_ALLOC(*evidence);
    st = CLAVE_OK;
done:
    if (item != NULL) {
        cbor_decref(&item);
    }
    if (st != CLAVE_OK) {
        free(*evidence);
        *evidence = NULL;
    }
    return st;
}

/* Self-signature and binding of `cert` to the verified report_data. */
static clave_status check_cert_key(const struct clave_x509 *cert, struct clave_attest_report *r)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t *spki = NULL;
    size_t spki_len = 0;
    uint8_t want[CLAVE_RATLS_BINDING_LEN];
    struct clave_attest_claim c;
    struct clave_x509_list *self = NULL;
    CLAVE_CHECK(clave_x509_spki_der(cert, &spki, &spki_len));
    CLAVE_CHECK(clave_hash(CLAVE_HASH_SHA512, spki, spki_len, want, sizeof(want)));
    bool bound = clave_attest_report_find_claim(r, "report_data", &c) == CLAVE_OK &&
                 c.len == sizeof(want) && clave_ct_equal(c.bytes, want, sizeof(want));
    CLAVE_CHECK(clave_attest_report_check(r, "ratls.binding", bound, "%s",
                                          bound ? "report_data = SHA-512(certificate SPKI)"
                                                : "report_data does not bind the certificate key"));
    /* Self-signed: the certificate is its own (only) root, at its own notBefore. */
    int64_t nb = 0;
    CLAVE_CHECK(clave_x509_not_before(cert, &nb));
    const uint8_t *der = NULL;
    size_t der_len = 0;
    clave_x509_der(cert, &der, &der_len);
    CLAVE_CHECK(clave_x509_list_new(&self));
    CLAVE_CHECK(clave_x509_list_add_der(self, der, der_len));
    bool sig = clave_x509_verify_chain(cert, NULL, self, nb, NULL, 0, 0) == CLAVE_OK;
    clave_error_clear();
    CLAVE_CHECK(clave_attest_report_check(r, "ratls.self_signature", sig, "%s",
                                          sig ? "certificate signed by its own key"
                                              : "certificate self-signature does not verify"));
    st = CLAVE_OK;
done:
    clave_x509_list_free(self);
    free(spki);
    return st;
}

clave_status clave_ratls_verify_cert(const uint8_t *der, size_t len,
                                     const struct clave_attest_options *opts,
                                     const struct clave_attest_policy *policy, int64_t now,
                                     struct clave_attest_report *report)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_x509 *cert = NULL;
    struct clave_attest_policy *def = NULL;
    uint8_t *evidence = NULL;
    size_t evidence_len = 0;
    const char *format = NULL;
    const uint8_t *ext = NULL;
    size_t ext_len = 0;
    clave_status xst = clave_x509_parse_der(der, len, &cert);
    if (xst == CLAVE_OK) {
        xst = clave_x509_extension(cert, CLAVE_RATLS_OID, &ext, &ext_len, NULL);
    }
    if (xst == CLAVE_OK) {
        xst = parse_ext(ext, ext_len, &format, &evidence, &evidence_len);
    }
    CLAVE_CHECK(clave_attest_report_check(report, "ratls.evidence", xst == CLAVE_OK, "%s",
                                          xst == CLAVE_OK ? format : clave_error_last().detail));
    if (xst != CLAVE_OK) {
        st = CLAVE_OK;
        goto done;
    }
    if (policy == NULL) {
        CLAVE_CHECK(clave_attest_policy_default(&def));
        policy = def;
    }
    CLAVE_CHECK(clave_attest_verify(format, evidence, evidence_len, opts, report));
    CLAVE_CHECK(clave_attest_policy_apply(policy, now, report));
    CLAVE_CHECK(check_cert_key(cert, report));
    st = CLAVE_OK;
done:
    clave_attest_policy_free(def);
    free(evidence);
    clave_x509_free(cert);
    return st;
}

clave_status clave_ratls_verifier_new(const struct clave_attest_policy *policy,
                                      const char *collateral_dir, struct clave_ratls_verifier **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    *out = calloc(1, sizeof(**out));
    CLAVE_ENSURE_ALLOC(*out);
    (*out)->policy = policy;
    (*out)->collateral_dir = collateral_dir;
    st = CLAVE_OK;
done:
    return st;
}

void clave_ratls_verifier_free(struct clave_ratls_verifier *v)
{
    free(v);
}

/* The SSL_CTX ex_data slot holding the verifier, allocated once per process. */
static int g_ratls_index = -1;
static pthread_once_t g_ratls_once = PTHREAD_ONCE_INIT;

static void ratls_index_init(void)
{
    g_ratls_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

static bool verify_peer(const struct clave_ratls_verifier *v, X509 *peer)
{
    unsigned char *der = NULL;
    struct clave_attest_report *report = NULL;
    int n = i2d_X509(peer, &der);
    struct clave_attest_options opts = {
        .at_time = (int64_t)time(NULL), .collateral_dir = v->collateral_dir, .policy = v->policy};
    bool ok = n > 0 && clave_attest_report_new(&report) == CLAVE_OK &&
              clave_ratls_verify_cert(der, (size_t)n, &opts, v->policy, opts.at_time, report) ==
                  CLAVE_OK &&
              clave_attest_report_ok(report);
    clave_attest_report_free(report);
    OPENSSL_free(der);
    return ok;
}

static int ratls_verify_cb(int preverify_ok, X509_STORE_CTX *store)
{
    (void)preverify_ok; /* self-signed by design: the evidence, not a CA, vouches for the key */
    SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
    const struct clave_ratls_verifier *v =
        ssl != NULL ? SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), g_ratls_index) : NULL;
    X509 *peer = X509_STORE_CTX_get0_cert(store);
    if (X509_STORE_CTX_get_error_depth(store) != 0 || v == NULL || peer == NULL ||
        !verify_peer(v, peer)) {
        X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
        return 0;
    }
    X509_STORE_CTX_set_error(store, X509_V_OK);
    return 1;
}

clave_status clave_ratls_ssl_ctx_verify(SSL_CTX *ctx, struct clave_ratls_verifier *v)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(pthread_once(&g_ratls_once, ratls_index_init) == 0 && g_ratls_index >= 0,
                 CLAVE_ERR_CRYPTO, "ratls: no SSL_CTX ex_data index");
    CLAVE_CHECK_OSSL(SSL_CTX_set_ex_data(ctx, g_ratls_index, v), CLAVE_ERR_CRYPTO,
                     "ratls: SSL_CTX_set_ex_data");
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, ratls_verify_cb);
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_ratls_ssl_ctx_use(SSL_CTX *ctx, const uint8_t *der, size_t len,
                                     const struct clave_pkey *key)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(len <= INT32_MAX, CLAVE_ERR_TOO_LARGE, "ratls: certificate too large");
    CLAVE_CHECK_OSSL(SSL_CTX_use_certificate_ASN1(ctx, (int)len, der), CLAVE_ERR_CERT,
                     "ratls: SSL_CTX_use_certificate_ASN1");
    CLAVE_CHECK_OSSL(SSL_CTX_use_PrivateKey(ctx, clave__pkey_evp(key)), CLAVE_ERR_KEY,
                     "ratls: SSL_CTX_use_PrivateKey");
    CLAVE_CHECK_OSSL(SSL_CTX_check_private_key(ctx), CLAVE_ERR_KEY, "ratls: key mismatch");
    st = CLAVE_OK;
done:
    return st;
}
