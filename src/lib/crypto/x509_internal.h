/* SPDX-License-Identifier: Apache-2.0 */
/* Internal access to the OpenSSL objects behind clave's X.509 types. */
#ifndef CLAVE_CRYPTO_X509_INTERNAL_H
#define CLAVE_CRYPTO_X509_INTERNAL_H

#include <clave/x509.h>
#include <openssl/x509.h>

struct clave_x509 {
    X509 *x509;
    uint8_t *der; /* the exact input DER */
    size_t der_len;
};

struct clave_x509_list {
    struct clave_x509 *certs[CLAVE_X509_LIST_MAX];
    size_t count;
};

struct clave_x509_crl {
    X509_CRL *crl;
};

/* The certificate's public key, borrowed from `cert` (never NULL for a parsed certificate). */
EVP_PKEY *clave__x509_pkey(const struct clave_x509 *cert);

struct clave_pkey;

/*
 * The certificate's public key as a clave_pkey (caller frees) sharing the key OpenSSL decoded
 * (and checked on the curve) when it parsed the certificate: no second DER decode. Thread-safe.
 * @return CLAVE_OK, CLAVE_ERR_KEY (unsupported key type), CLAVE_ERR_NOMEM
 */
clave_status clave__x509_public_key(const struct clave_x509 *cert, struct clave_pkey **out)
    __attribute__((warn_unused_result));

/* The OpenSSL certificate, borrowed. */
X509 *clave__x509_ossl(const struct clave_x509 *cert);

/* ASN1_TIME to Unix seconds. */
clave_status clave__asn1_time_unix(const ASN1_TIME *t, int64_t *out)
    __attribute__((warn_unused_result));

#endif
