/* SPDX-License-Identifier: Apache-2.0 */
/*
 * X.509 certificates and CRLs over OpenSSL 3: parsing, accessors, extension lookup and chain
 * verification at a caller-given time.
 *
 * Objects are immutable after parsing and may be shared between threads for reading; each list
 * or certificate is freed once by its owner. Times are Unix seconds (UTC).
 */
#ifndef CLAVE_X509_H
#define CLAVE_X509_H

#include <clave/status.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Largest certificate, CRL or PEM bundle accepted (bytes). */
#define CLAVE_X509_MAX_DER_LEN (64u * 1024u)
#define CLAVE_X509_MAX_PEM_LEN (1024u * 1024u)
/* Most certificates in one list. */
#define CLAVE_X509_LIST_MAX 64
#define CLAVE_X509_FINGERPRINT_LEN 32

struct clave_x509;
struct clave_x509_list;
struct clave_x509_crl;

/**
 * Parse one DER certificate (`der` borrowed; it must be exactly one certificate, no trailing
 * bytes). Returns CLAVE_ERR_TOO_LARGE, CLAVE_ERR_FORMAT or CLAVE_ERR_TRAILING on bad input.
 * `*out` is caller-frees with clave_x509_free().
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_x509_parse_der(const uint8_t *der, size_t len,
                                                           struct clave_x509 **out);

/**
 * Parse the first "CERTIFICATE" block of a PEM text of `len` bytes (borrowed; need not be
 * NUL-terminated). CLAVE_ERR_NOT_FOUND if there is none. Caller frees `*out`.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_x509_parse_pem(const char *pem, size_t len,
                                                           struct clave_x509 **out);

/** Free a certificate; NULL is a no-op. */
CLAVE_API void clave_x509_free(struct clave_x509 *cert);

/** The certificate's DER encoding, borrowed from `cert` (valid until it is freed). */
CLAVE_API void clave_x509_der(const struct clave_x509 *cert, const uint8_t **der, size_t *len);

/**
 * Subject or issuer distinguished name as RFC 2253 text ("CN=SEV-VCEK,O=...,C=US") in a new
 * NUL-terminated string; caller frees with free().
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_x509_subject(const struct clave_x509 *cert, char **out);
CLAVE_API CLAVE_MUST_USE clave_status clave_x509_issuer(const struct clave_x509 *cert, char **out);

/** Serial number as lowercase hex without leading zeros ("0" for zero); caller frees. */
CLAVE_API CLAVE_MUST_USE clave_status clave_x509_serial_hex(const struct clave_x509 *cert,
                                                            char **out);

/** notBefore / notAfter as Unix seconds. */
CLAVE_API CLAVE_MUST_USE clave_status clave_x509_not_before(const struct clave_x509 *cert,
                                                            int64_t *out);
CLAVE_API CLAVE_MUST_USE clave_status clave_x509_not_after(const struct clave_x509 *cert,
                                                           int64_t *out);

/** SHA-256 over the DER certificate. */
CLAVE_API CLAVE_MUST_USE clave_status clave_x509_fingerprint_sha256(
    const struct clave_x509 *cert, uint8_t out[CLAVE_X509_FINGERPRINT_LEN]);

/** The SubjectPublicKeyInfo as DER in a new buffer; caller frees `*out` with free(). */
CLAVE_API CLAVE_MUST_USE clave_status clave_x509_spki_der(const struct clave_x509 *cert,
                                                          uint8_t **out, size_t *out_len);

/**
 * The raw value (the contents of the extnValue OCTET STRING) of the extension whose OID is the
 * dotted text `oid` ("1.3.6.1.4.1.3704.1.4"). `*value` is borrowed from `cert`. `critical` may be
 * NULL. CLAVE_ERR_NOT_FOUND if absent, CLAVE_ERR_FORMAT if it appears twice, CLAVE_ERR_ARG for a
 * malformed OID.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_x509_extension(const struct clave_x509 *cert,
                                                           const char *oid, const uint8_t **value,
                                                           size_t *value_len, bool *critical);

/** A new empty list; caller frees with clave_x509_list_free(). */
CLAVE_API CLAVE_MUST_USE clave_status clave_x509_list_new(struct clave_x509_list **out);

/**
 * Parse every "CERTIFICATE" block of a PEM bundle (borrowed, `len` bytes) into a new list in
 * file order. CLAVE_ERR_NOT_FOUND if there is none, CLAVE_ERR_LIMIT above CLAVE_X509_LIST_MAX.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_x509_list_parse_pem(const char *pem, size_t len,
                                                                struct clave_x509_list **out);

/**
 * Append a DER certificate (borrowed bytes, copied) to `list`. CLAVE_ERR_LIMIT when full.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_x509_list_add_der(struct clave_x509_list *list,
                                                              const uint8_t *der, size_t len);

/** Number of certificates in `list`. */
CLAVE_API size_t clave_x509_list_count(const struct clave_x509_list *list);

/** Certificate `index` of `list`, borrowed from it; NULL if out of range. */
CLAVE_API const struct clave_x509 *clave_x509_list_get(const struct clave_x509_list *list,
                                                       size_t index);

/** Free a list and its certificates; NULL is a no-op. */
CLAVE_API void clave_x509_list_free(struct clave_x509_list *list);

/** Flags for clave_x509_verify_chain(). */
enum clave_x509_verify_flag {
    /* RFC 5280 strictness (X509_V_FLAG_X509_STRICT). Off by default because AMD VCEK/VLEK and
     * AWS Nitro leaf certificates lack an Authority Key Identifier, which strict mode rejects;
     * Intel SGX/TDX chains pass it. */
    CLAVE_X509_STRICT = 1u << 0,
    /* Check the leaf against a CRL from `crls` (one must exist for its issuer). */
    CLAVE_X509_CRL_CHECK = 1u << 1,
    /* Check every certificate of the chain against CRLs (one must exist for each issuer). */
    CLAVE_X509_CRL_CHECK_ALL = 1u << 2,
};

/**
 * Verify that `leaf` chains to one of the pinned `roots` (only they are trusted; self-signed),
 * using `untrusted` (may be NULL) for intermediates, with every validity window checked at
 * `at_time` (Unix seconds) rather than the wall clock. `crls` (array of `crl_count`, may be NULL)
 * are consulted when a CRL flag is set; `flags` is a mask of enum clave_x509_verify_flag. All
 * arguments are borrowed.
 *
 * Returns CLAVE_OK, CLAVE_ERR_EXPIRED (a certificate or CRL outside its window),
 * CLAVE_ERR_REVOKED, or CLAVE_ERR_CERT for anything else (untrusted root, bad signature,
 * missing CRL); the last-error detail names the failing depth (0 = leaf) and OpenSSL's reason.
 */
CLAVE_API CLAVE_MUST_USE clave_status
clave_x509_verify_chain(const struct clave_x509 *leaf, const struct clave_x509_list *untrusted,
                        const struct clave_x509_list *roots, int64_t at_time,
                        const struct clave_x509_crl *const *crls, size_t crl_count, unsigned flags);

/** Parse one DER CRL (borrowed; no trailing bytes). Caller frees with clave_x509_crl_free(). */
CLAVE_API CLAVE_MUST_USE clave_status clave_x509_crl_parse_der(const uint8_t *der, size_t len,
                                                               struct clave_x509_crl **out);

/** Parse the first "X509 CRL" block of a PEM text. CLAVE_ERR_NOT_FOUND if none. */
CLAVE_API CLAVE_MUST_USE clave_status clave_x509_crl_parse_pem(const char *pem, size_t len,
                                                               struct clave_x509_crl **out);

/** Free a CRL; NULL is a no-op. */
CLAVE_API void clave_x509_crl_free(struct clave_x509_crl *crl);

/**
 * Check that `crl` was issued by `issuer`: the CRL issuer name equals the certificate's subject
 * and the CRL signature verifies under its public key. Returns CLAVE_ERR_CERT for a name
 * mismatch and CLAVE_ERR_SIGNATURE for a bad signature. Validity times are not checked here.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_x509_crl_verify(const struct clave_x509_crl *crl,
                                                            const struct clave_x509 *issuer);

/** thisUpdate / nextUpdate as Unix seconds (nextUpdate: CLAVE_ERR_NOT_FOUND if absent). */
CLAVE_API CLAVE_MUST_USE clave_status clave_x509_crl_this_update(const struct clave_x509_crl *crl,
                                                                 int64_t *out);
CLAVE_API CLAVE_MUST_USE clave_status clave_x509_crl_next_update(const struct clave_x509_crl *crl,
                                                                 int64_t *out);

/**
 * Whether `cert`'s serial is listed in `crl`. The caller checks first that `crl` belongs to the
 * certificate's issuer (clave_x509_crl_verify()).
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_x509_crl_is_revoked(const struct clave_x509_crl *crl,
                                                                const struct clave_x509 *cert,
                                                                bool *revoked);

#ifdef __cplusplus
}
#endif
#endif
