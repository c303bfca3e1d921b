/* SPDX-License-Identifier: Apache-2.0 */
/* X.509 certificates: DER/PEM parsing, lists and accessors over OpenSSL. */
#include "core/check.h"
#include "crypto/pkey.h"
#include "crypto/x509_internal.h"

#include <clave/crypto.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

/* Longest dotted OID text accepted by clave_x509_extension(). */
#define X509_OID_TEXT_MAX 128
/* Longest name or serial text returned by the accessors. */
#define X509_TEXT_MAX 4096

/* Take ownership of `x` and wrap it; `der` (may be NULL) is its original encoding. */
static clave_status wrap(X509 *x, const uint8_t *der, size_t der_len, struct clave_x509 **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_x509 *cert = calloc(1, sizeof(*cert));
    unsigned char *enc = NULL;
    CLAVE_ENSURE_ALLOC(cert);
    cert->x509 = x;
    x = NULL;
    if (der == NULL) {
        int n = i2d_X509(cert->x509, &enc);
        CLAVE_ENSURE(n > 0, CLAVE_ERR_CRYPTO, "x509: re-encoding failed");
        der = enc;
        der_len = (size_t)n;
    }
    cert->der = malloc(der_len);
    CLAVE_ENSURE_ALLOC(cert->der);
    memcpy(cert->der, der, der_len);
    cert->der_len = der_len;
    CLAVE_ENSURE(X509_get0_pubkey(cert->x509) != NULL, CLAVE_ERR_KEY,
                 "x509: unsupported or malformed public key");
    *out = cert;
    cert = NULL;
    st = CLAVE_OK;
done:
    OPENSSL_free(enc);
    X509_free(x);
    clave_x509_free(cert);
    return st;
}

clave_status clave_x509_parse_der(const uint8_t *der, size_t len, struct clave_x509 **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    X509 *x = NULL;
    const unsigned char *p = der;
    *out = NULL;
    CLAVE_ENSURE(der != NULL && len > 0, CLAVE_ERR_ARG, "x509: empty input");
    CLAVE_ENSURE(len <= CLAVE_X509_MAX_DER_LEN, CLAVE_ERR_TOO_LARGE, "x509: %zu bytes > %u", len,
                 CLAVE_X509_MAX_DER_LEN);
    x = d2i_X509(NULL, &p, (long)len);
    if (x == NULL) {
        clave__error_set_ossl(CLAVE_ERR_FORMAT, __FILE__, __LINE__, "x509: bad DER certificate");
        st = CLAVE_ERR_FORMAT;
        goto done;
    }
    CLAVE_ENSURE((size_t)(p - der) == len, CLAVE_ERR_TRAILING,
                 "x509: %zu trailing bytes after the certificate", len - (size_t)(p - der));
    CLAVE_CHECK(wrap(x, der, len, out));
    x = NULL;
    st = CLAVE_OK;
done:
    X509_free(x);
    return st;
}

static clave_status pem_bio(const char *pem, size_t len, BIO **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    *out = NULL;
    CLAVE_ENSURE(pem != NULL && len > 0, CLAVE_ERR_ARG, "x509: empty PEM input");
    CLAVE_ENSURE(len <= CLAVE_X509_MAX_PEM_LEN, CLAVE_ERR_TOO_LARGE, "x509: PEM %zu bytes > %u",
                 len, CLAVE_X509_MAX_PEM_LEN);
    *out = BIO_new_mem_buf(pem, (int)len);
    CLAVE_ENSURE_ALLOC(*out);
    st = CLAVE_OK;
done:
    return st;
}

/* Read the next certificate; `*x` stays NULL at a clean end of input. */
static clave_status pem_next(BIO *bio, X509 **x)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    if (*x == NULL) {
        unsigned long err = ERR_peek_last_error();
        if (ERR_GET_LIB(err) == ERR_LIB_PEM && ERR_GET_REASON(err) == PEM_R_NO_START_LINE) {
            ERR_clear_error();
        } else {
            clave__error_set_ossl(CLAVE_ERR_FORMAT, __FILE__, __LINE__, "x509: bad PEM block");
            st = CLAVE_ERR_FORMAT;
            goto done;
        }
    }
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_x509_parse_pem(const char *pem, size_t len, struct clave_x509 **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    BIO *bio = NULL;
    X509 *x = NULL;
    *out = NULL;
    CLAVE_CHECK(pem_bio(pem, len, &bio));
    CLAVE_CHECK(pem_next(bio, &x));
    CLAVE_ENSURE(x != NULL, CLAVE_ERR_NOT_FOUND, "x509: no CERTIFICATE block in PEM input");
    CLAVE_CHECK(wrap(x, NULL, 0, out));
    x = NULL;
    st = CLAVE_OK;
done:
    X509_free(x);
    BIO_free(bio);
    return st;
}

void clave_x509_free(struct clave_x509 *cert)
{
    if (cert == NULL) {
        return;
    }
    X509_free(cert->x509);
    free(cert->der);
    free(cert);
}

void clave_x509_der(const struct clave_x509 *cert, const uint8_t **der, size_t *len)
{
    *der = cert->der;
    *len = cert->der_len;
}

EVP_PKEY *clave__x509_pkey(const struct clave_x509 *cert)
{
    return X509_get0_pubkey(cert->x509);
}

clave_status clave__x509_public_key(const struct clave_x509 *cert, struct clave_pkey **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    EVP_PKEY *evp = clave__x509_pkey(cert);
    *out = NULL;
    CLAVE_ENSURE(evp != NULL, CLAVE_ERR_KEY, "x509: certificate key unusable");
    CLAVE_CHECK_OSSL(EVP_PKEY_up_ref(evp), CLAVE_ERR_INTERNAL, "x509: key reference");
    CLAVE_CHECK(clave__pkey_wrap(evp, out));
    st = CLAVE_OK;
done:
    return st;
}

X509 *clave__x509_ossl(const struct clave_x509 *cert)
{
    return cert->x509;
}

/* Copy a memory BIO's contents into a new NUL-terminated string. */
static clave_status bio_to_string(BIO *bio, char **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char *data = NULL;
    long n = BIO_get_mem_data(bio, &data);
    CLAVE_ENSURE(n >= 0 && (size_t)n < X509_TEXT_MAX, CLAVE_ERR_LIMIT, "x509: text too long");
    *out = malloc((size_t)n + 1);
    CLAVE_ENSURE_ALLOC(*out);
    if (n > 0) {
        memcpy(*out, data, (size_t)n);
    }
    (*out)[n] = '\0';
    st = CLAVE_OK;
done:
    return st;
}

static clave_status name_text(const X509_NAME *name, char **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    BIO *bio = BIO_new(BIO_s_mem());
    *out = NULL;
    CLAVE_ENSURE_ALLOC(bio);
    CLAVE_ENSURE(X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) >= 0, CLAVE_ERR_CRYPTO,
                 "x509: cannot print name");
    CLAVE_CHECK(bio_to_string(bio, out));
    st = CLAVE_OK;
done:
    BIO_free(bio);
    return st;
}

clave_status clave_x509_subject(const struct clave_x509 *cert, char **out)
{
    return name_text(X509_get_subject_name(cert->x509), out);
}

clave_status clave_x509_issuer(const struct clave_x509 *cert, char **out)
{
    return name_text(X509_get_issuer_name(cert->x509), out);
}

clave_status clave_x509_serial_hex(const struct clave_x509 *cert, char **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    BIGNUM *bn = NULL;
    char *hex = NULL;
    *out = NULL;
    bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert->x509), NULL);
    CLAVE_ENSURE(bn != NULL, CLAVE_ERR_FORMAT, "x509: bad serial number");
    hex = BN_bn2hex(bn);
    CLAVE_ENSURE_ALLOC(hex);
    size_t n = strlen(hex);
    *out = malloc(n + 1);
    CLAVE_ENSURE_ALLOC(*out);
    for (size_t i = 0; i <= n; i++) {
        char c = hex[i];
        (*out)[i] = (c >= 'A' && c <= 'F') ? (char)(c - 'A' + 'a') : c;
    }
    st = CLAVE_OK;
done:
    OPENSSL_free(hex);
    BN_free(bn);
    return st;
}

clave_status clave__asn1_time_unix(const ASN1_TIME *t, int64_t *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    ASN1_TIME *epoch = ASN1_TIME_set(NULL, 0);
    int days = 0;
    int secs = 0;
    *out = 0;
    CLAVE_ENSURE_ALLOC(epoch);
    CLAVE_ENSURE(t != NULL, CLAVE_ERR_FORMAT, "x509: missing time");
    CLAVE_CHECK_OSSL(ASN1_TIME_diff(&days, &secs, epoch, t), CLAVE_ERR_FORMAT,
                     "x509: bad time field");
    *out = (int64_t)days * 86400 + secs;
    st = CLAVE_OK;
done:
    ASN1_TIME_free(epoch);
    return st;
}

clave_status clave_x509_not_before(const struct clave_x509 *cert, int64_t *out)
{
    return clave__asn1_time_unix(X509_get0_notBefore(cert->x509), out);
}

clave_status clave_x509_not_after(const struct clave_x509 *cert, int64_t *out)
{
    return clave__asn1_time_unix(X509_get0_notAfter(cert->x509), out);
}

clave_status clave_x509_fingerprint_sha256(const struct clave_x509 *cert,
                                           uint8_t out[CLAVE_X509_FINGERPRINT_LEN])
{
    return clave_hash(CLAVE_HASH_SHA256, cert->der, cert->der_len, out, CLAVE_X509_FINGERPRINT_LEN);
}

clave_status clave_x509_spki_der(const struct clave_x509 *cert, uint8_t **out, size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    unsigned char *enc = NULL;
    *out = NULL;
    *out_len = 0;
    int n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert->x509), &enc);
    CLAVE_ENSURE(n > 0, CLAVE_ERR_CRYPTO, "x509: cannot encode the public key");
    *out = malloc((size_t)n);
    CLAVE_ENSURE_ALLOC(*out);
    memcpy(*out, enc, (size_t)n);
    *out_len = (size_t)n;
    st = CLAVE_OK;
done:
    OPENSSL_free(enc);
    return st;
}

clave_status clave_x509_extension(const struct clave_x509 *cert, const char *oid,
                                  const uint8_t **value, size_t *value_len, bool *critical)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    ASN1_OBJECT *obj = NULL;
    *value = NULL;
    *value_len = 0;
    if (critical != NULL) {
        *critical = false;
    }
    CLAVE_ENSURE(oid != NULL && strnlen(oid, X509_OID_TEXT_MAX) < X509_OID_TEXT_MAX, CLAVE_ERR_ARG,
                 "x509: OID text missing or too long");
    obj = OBJ_txt2obj(oid, 1); /* 1: numeric dotted form only, never a short name */
    CLAVE_ENSURE(obj != NULL, CLAVE_ERR_ARG, "x509: malformed OID '%s'", oid);
    int idx = X509_get_ext_by_OBJ(cert->x509, obj, -1);
    CLAVE_ENSURE(idx >= 0, CLAVE_ERR_NOT_FOUND, "x509: no extension %s", oid);
    CLAVE_ENSURE(X509_get_ext_by_OBJ(cert->x509, obj, idx) < 0, CLAVE_ERR_FORMAT,
                 "x509: extension %s appears twice", oid);
    X509_EXTENSION *ext = X509_get_ext(cert->x509, idx);
    const ASN1_OCTET_STRING *data = X509_EXTENSION_get_data(ext);
    CLAVE_ENSURE(data != NULL, CLAVE_ERR_FORMAT, "x509: extension %s has no value", oid);
    *value = ASN1_STRING_get0_data(data);
    *value_len = (size_t)ASN1_STRING_length(data);
    if (critical != NULL) {
        *critical = X509_EXTENSION_get_critical(ext) != 0;
    }
    st = CLAVE_OK;
done:
    ASN1_OBJECT_free(obj);
    return st;
}

clave_status clave_x509_list_new(struct clave_x509_list **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    *out = calloc(1, sizeof(**out));
    CLAVE_ENSURE_ALLOC(*out);
    st = CLAVE_OK;
done:
    return st;
}

/* Append `cert`, taking ownership (freed here on failure). */
static clave_status list_push(struct clave_x509_list *list, struct clave_x509 *cert)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(list->count < CLAVE_X509_LIST_MAX, CLAVE_ERR_LIMIT,
                 "x509: more than %d certificates in a list", CLAVE_X509_LIST_MAX);
    list->certs[list->count++] = cert;
    cert = NULL;
    st = CLAVE_OK;
done:
    clave_x509_free(cert);
    return st;
}

clave_status clave_x509_list_parse_pem(const char *pem, size_t len, struct clave_x509_list **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_x509_list *list = NULL;
    BIO *bio = NULL;
    X509 *x = NULL;
    *out = NULL;
    CLAVE_CHECK(pem_bio(pem, len, &bio));
    CLAVE_CHECK(clave_x509_list_new(&list));
    for (;;) {
        struct clave_x509 *cert = NULL;
        CLAVE_CHECK(pem_next(bio, &x));
        if (x == NULL) {
            break;
        }
        CLAVE_CHECK(wrap(x, NULL, 0, &cert));
        x = NULL;
        CLAVE_CHECK(list_push(list, cert));
    }
    CLAVE_ENSURE(list->count > 0, CLAVE_ERR_NOT_FOUND, "x509: no CERTIFICATE block in PEM input");
    *out = list;
    list = NULL;
    st = CLAVE_OK;
done:
    X509_free(x);
    BIO_free(bio);
    clave_x509_list_free(list);
    return st;
}

clave_status clave_x509_list_add_der(struct clave_x509_list *list, const uint8_t *der, size_t len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_x509 *cert = NULL;
    CLAVE_ENSURE(list->count < CLAVE_X509_LIST_MAX, CLAVE_ERR_LIMIT,
                 "x509: more than %d certificates in a list", CLAVE_X509_LIST_MAX);
    CLAVE_CHECK(clave_x509_parse_der(der, len, &cert));
    CLAVE_CHECK(list_push(list, cert));
    st = CLAVE_OK;
done:
    return st;
}

size_t clave_x509_list_count(const struct clave_x509_list *list)
{
    return list != NULL ? list->count : 0;
}

const struct clave_x509 *clave_x509_list_get(const struct clave_x509_list *list, size_t index)
{
    if (list == NULL || index >= list->count) {
        return NULL;
    }
    return list->certs[index];
}

void clave_x509_list_free(struct clave_x509_list *list)
{
    if (list == NULL) {
        return;
    }
    for (size_t i = 0; i < list->count; i++) {
        clave_x509_free(list->certs[i]);
    }
    free(list);
}
