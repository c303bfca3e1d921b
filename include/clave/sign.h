/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Asymmetric keys over OpenSSL 3: import/export, ECDSA (P-256/SHA-256, P-384/SHA-384), Ed25519,
 * RSA-PSS verification, RSA-OAEP-256 and key agreement (X25519, ECDH P-256/P-384).
 *
 * A `struct clave_pkey` is immutable after creation: it may be shared between threads for any
 * number of concurrent operations. Verification failures return CLAVE_ERR_SIGNATURE; malformed,
 * unsupported or mismatched keys return CLAVE_ERR_KEY.
 */
#ifndef CLAVE_SIGN_H
#define CLAVE_SIGN_H

#include <clave/crypto.h>
#include <clave/secret.h>
#include <clave/status.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum clave_pkey_type {
    CLAVE_PKEY_P256 = 1,    /* NIST P-256 (ECDSA with SHA-256, ECDH) */
    CLAVE_PKEY_P384 = 2,    /* NIST P-384 (ECDSA with SHA-384, ECDH) */
    CLAVE_PKEY_ED25519 = 3, /* Ed25519 signatures (RFC 8032) */
    CLAVE_PKEY_X25519 = 4,  /* X25519 key agreement (RFC 7748) */
    CLAVE_PKEY_RSA3072 = 5, /* RSA with a 3072-bit modulus */
    CLAVE_PKEY_RSA = 6,     /* RSA of another accepted size (CLAVE_RSA_MIN_BITS..MAX_BITS) */
};

#define CLAVE_P256_COORD_LEN 32
#define CLAVE_P384_COORD_LEN 48
#define CLAVE_EC_COORD_MAX_LEN 48
/** Uncompressed point 0x04 || X || Y. */
#define CLAVE_P256_POINT_LEN (1 + 2 * CLAVE_P256_COORD_LEN)
#define CLAVE_P384_POINT_LEN (1 + 2 * CLAVE_P384_COORD_LEN)
#define CLAVE_X25519_KEY_LEN 32
#define CLAVE_ED25519_KEY_LEN 32
#define CLAVE_ED25519_SIG_LEN 64
/** Raw ECDSA signature r || s, each coordinate-width big-endian. */
#define CLAVE_ECDSA_RAW_MAX_LEN (2 * CLAVE_EC_COORD_MAX_LEN)
/** DER ECDSA-Sig-Value for P-384: SEQUENCE { INTEGER r, INTEGER s }, at most 104 bytes. */
#define CLAVE_ECDSA_DER_MAX_LEN 104
#define CLAVE_RSA_MIN_BITS 2048
#define CLAVE_RSA_MAX_BITS 8192
#define CLAVE_RSA_MAX_LEN (CLAVE_RSA_MAX_BITS / 8)
/** Largest DER (SPKI or PKCS#8) or PEM input accepted by the importers. */
#define CLAVE_PKEY_DER_MAX_LEN 16384
#define CLAVE_PKEY_PEM_MAX_LEN 24576
/** Largest SPKI DER clave exports (an 8192-bit RSA key is about 1.1 KiB). */
#define CLAVE_PKEY_SPKI_MAX_LEN 2048

/** An asymmetric key pair or public key (opaque; wraps an OpenSSL EVP_PKEY). */
struct clave_pkey;

/**
 * Import a DER key: a SubjectPublicKeyInfo (public) or an unencrypted PKCS#8 PrivateKeyInfo
 * (private). The whole input must be one structure. Only the types of `enum clave_pkey_type` are
 * accepted; EC points are checked to lie on the curve.
 * @param der  borrowed; `len` bytes, at most CLAVE_PKEY_DER_MAX_LEN
 * @param out  set to NULL on entry; on success a new key the caller frees with clave_pkey_free
 * @return CLAVE_OK, CLAVE_ERR_KEY (malformed, unsupported curve/type, RSA outside the size
 *         limits), CLAVE_ERR_TOO_LARGE, CLAVE_ERR_NOMEM
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_pkey_from_der(const uint8_t *der, size_t len,
                                                          struct clave_pkey **out);

/**
 * Import the first PEM block of `pem`: "PUBLIC KEY" (SPKI) or "PRIVATE KEY" (PKCS#8). Other
 * labels (encrypted or traditional formats) are refused with CLAVE_ERR_UNSUPPORTED.
 * @param pem  borrowed text of `len` bytes (need not be NUL-terminated), at most
 *             CLAVE_PKEY_PEM_MAX_LEN
 * @param out  set to NULL on entry; caller frees
 * @return CLAVE_OK, CLAVE_ERR_KEY, CLAVE_ERR_FORMAT (no PEM block), CLAVE_ERR_UNSUPPORTED,
 *         CLAVE_ERR_TOO_LARGE
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_pkey_from_pem(const char *pem, size_t len,
                                                          struct clave_pkey **out);

/**
 * Import a raw public key: 32 bytes for Ed25519/X25519, an uncompressed point 0x04||X||Y for
 * P-256 (65 bytes) or P-384 (97 bytes), checked to lie on the curve.
 * @param raw  borrowed
 * @param out  set to NULL on entry; caller frees
 * @return CLAVE_OK, CLAVE_ERR_KEY (wrong length, not on the curve, compressed point),
 *         CLAVE_ERR_UNSUPPORTED (RSA)
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_pkey_from_raw_public(enum clave_pkey_type type,
                                                                 const uint8_t *raw, size_t len,
                                                                 struct clave_pkey **out);

/**
 * Import a raw private key: the 32-byte Ed25519 seed or X25519 scalar, or a big-endian EC scalar
 * of 32 (P-256) or 48 (P-384) bytes in 1..n-1. The public key is derived.
 * @param raw  borrowed secret; the caller wipes its copy
 * @param out  set to NULL on entry; caller frees (the key's own copy is wiped on free)
 * @return CLAVE_OK, CLAVE_ERR_KEY (wrong length, scalar out of range), CLAVE_ERR_UNSUPPORTED
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_pkey_from_raw_private(enum clave_pkey_type type,
                                                                  const uint8_t *raw, size_t len,
                                                                  struct clave_pkey **out);

/**
 * Generate a new key pair of `type` (CLAVE_PKEY_RSA is not a generation type; use RSA3072).
 * @param out  set to NULL on entry; caller frees
 * @return CLAVE_OK, CLAVE_ERR_UNSUPPORTED, CLAVE_ERR_CRYPTO, CLAVE_ERR_NOMEM
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_pkey_generate(enum clave_pkey_type type,
                                                          struct clave_pkey **out);

/** The type of `key` (borrowed). */
CLAVE_API enum clave_pkey_type clave_pkey_type(const struct clave_pkey *key);

/** Whether `key` (borrowed) holds private material. */
CLAVE_API bool clave_pkey_has_private(const struct clave_pkey *key);

/**
 * Export the public key as SubjectPublicKeyInfo DER into `out` (capacity `cap`; the caller's
 * buffer, CLAVE_PKEY_SPKI_MAX_LEN always suffices). `*out_len` gets the length.
 * @return CLAVE_OK, CLAVE_ERR_ARG (buffer too small), CLAVE_ERR_CRYPTO
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_pkey_export_spki(const struct clave_pkey *key,
                                                             uint8_t *out, size_t cap,
                                                             size_t *out_len);

/**
 * Export the raw public key: the uncompressed point 0x04||X||Y (EC) or 32 bytes (Ed25519,
 * X25519) into `out` (capacity `cap`).
 * @return CLAVE_OK, CLAVE_ERR_ARG (buffer too small), CLAVE_ERR_UNSUPPORTED (RSA)
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_pkey_export_raw_public(const struct clave_pkey *key,
                                                                   uint8_t *out, size_t cap,
                                                                   size_t *out_len);

/** Free `key` and wipe its private material. NULL is a no-op. */
CLAVE_API void clave_pkey_free(struct clave_pkey *key);

/* ---- ECDSA: P-256 always with SHA-256, P-384 always with SHA-384 ---- */

enum clave_sig_format {
    CLAVE_SIG_DER = 1, /* ECDSA-Sig-Value (X.509, TLS) */
    CLAVE_SIG_RAW = 2, /* r || s, fixed width per curve (JOSE, COSE, TPM, SEV-SNP, TDX) */
};

/**
 * Sign `msg` with a P-256 or P-384 private key (hash chosen by the curve).
 * @param sig      caller's buffer of `sig_cap` bytes (CLAVE_ECDSA_DER_MAX_LEN always suffices)
 * @param sig_len  the signature length
 * @return CLAVE_OK, CLAVE_ERR_KEY (not an EC private key), CLAVE_ERR_ARG (buffer too small),
 *         CLAVE_ERR_CRYPTO
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_ecdsa_sign(const struct clave_pkey *key,
                                                       enum clave_sig_format format,
                                                       const uint8_t *msg, size_t len, uint8_t *sig,
                                                       size_t sig_cap, size_t *sig_len);

/**
 * Verify an ECDSA signature over `msg`. DER signatures must be strict DER; raw signatures must
 * be exactly twice the coordinate width.
 * @return CLAVE_OK, CLAVE_ERR_SIGNATURE (bad or malformed signature), CLAVE_ERR_KEY
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_ecdsa_verify(const struct clave_pkey *key,
                                                         enum clave_sig_format format,
                                                         const uint8_t *msg, size_t len,
                                                         const uint8_t *sig, size_t sig_len);

/**
 * Convert a raw r||s signature (64 or 96 bytes) to DER.
 * @param der      caller's buffer of `der_cap` bytes
 * @return CLAVE_OK, CLAVE_ERR_FORMAT (bad length, r or s zero), CLAVE_ERR_ARG (buffer too small)
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_ecdsa_raw_to_der(const uint8_t *raw, size_t raw_len,
                                                             uint8_t *der, size_t der_cap,
                                                             size_t *der_len);

/**
 * Convert a strict-DER signature to raw r||s with each value `coord_len` bytes (32 or 48)
 * into `raw` (capacity 2*coord_len).
 * @return CLAVE_OK, CLAVE_ERR_FORMAT (not strict DER, trailing bytes, value wider than
 *         coord_len), CLAVE_ERR_ARG
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_ecdsa_der_to_raw(const uint8_t *der, size_t der_len,
                                                             size_t coord_len, uint8_t *raw,
                                                             size_t raw_cap);

/**
 * Convert little-endian, zero-extended r and s fields (AMD SEV-SNP ABI: 72-byte fields) to raw
 * big-endian r||s of `coord_len` bytes each. The bytes above `coord_len` must be zero.
 * @param r_le, s_le  borrowed, `field_len` bytes each (field_len >= coord_len)
 * @param raw_out     caller's buffer of 2*coord_len bytes; untouched on failure
 * @return CLAVE_OK, CLAVE_ERR_FORMAT (non-zero high bytes), CLAVE_ERR_ARG (lengths)
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_ecdsa_le_to_raw(const uint8_t *r_le,
                                                            const uint8_t *s_le, size_t field_len,
                                                            size_t coord_len, uint8_t *raw_out);

/* ---- Ed25519 (RFC 8032, pure) ---- */

/**
 * Sign `msg` with an Ed25519 private key into `sig` (CLAVE_ED25519_SIG_LEN bytes).
 * @return CLAVE_OK, CLAVE_ERR_KEY, CLAVE_ERR_CRYPTO
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_ed25519_sign(const struct clave_pkey *key,
                                                         const uint8_t *msg, size_t len,
                                                         uint8_t sig[CLAVE_ED25519_SIG_LEN]);

/**
 * Verify an Ed25519 signature of `sig_len` bytes (must be CLAVE_ED25519_SIG_LEN).
 * @return CLAVE_OK, CLAVE_ERR_SIGNATURE, CLAVE_ERR_KEY
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_ed25519_verify(const struct clave_pkey *key,
                                                           const uint8_t *msg, size_t len,
                                                           const uint8_t *sig, size_t sig_len);

/* ---- RSA ---- */

enum clave_pss_salt {
    CLAVE_PSS_SALT_DIGEST = 1, /* salt length = digest length (RFC 8017 recommendation, JOSE) */
    CLAVE_PSS_SALT_AUTO = 2,   /* verify only: accept any salt length recovered from the sig */
};

/**
 * RSA-PSS signature (MGF1 with the same hash, salt length = digest length) over `msg`.
 * @param hash  CLAVE_HASH_SHA256 or CLAVE_HASH_SHA384
 * @param sig   caller's buffer of `sig_cap` >= modulus bytes
 * @return CLAVE_OK, CLAVE_ERR_KEY, CLAVE_ERR_UNSUPPORTED, CLAVE_ERR_ARG, CLAVE_ERR_CRYPTO
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_rsa_pss_sign(const struct clave_pkey *key,
                                                         enum clave_hash_alg hash,
                                                         const uint8_t *msg, size_t len,
                                                         uint8_t *sig, size_t sig_cap,
                                                         size_t *sig_len);

/**
 * Verify an RSA-PSS signature (MGF1 with the same hash) over `msg`.
 * @param hash  CLAVE_HASH_SHA256 or CLAVE_HASH_SHA384
 * @param salt  CLAVE_PSS_SALT_DIGEST or CLAVE_PSS_SALT_AUTO
 * @return CLAVE_OK, CLAVE_ERR_SIGNATURE, CLAVE_ERR_KEY, CLAVE_ERR_UNSUPPORTED
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_rsa_pss_verify(const struct clave_pkey *key,
                                                           enum clave_hash_alg hash,
                                                           enum clave_pss_salt salt,
                                                           const uint8_t *msg, size_t len,
                                                           const uint8_t *sig, size_t sig_len);

/**
 * RSA-OAEP-256 encryption (SHA-256, MGF1-SHA-256, empty label) of `pt` (1..modulus-66 bytes).
 * @param ct  caller's buffer of `ct_cap` >= modulus bytes; `*ct_len` = modulus bytes
 * @return CLAVE_OK, CLAVE_ERR_KEY, CLAVE_ERR_ARG (empty or too long input, small buffer),
 *         CLAVE_ERR_CRYPTO
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_rsa_oaep_encrypt(const struct clave_pkey *key,
                                                             const uint8_t *pt, size_t pt_len,
                                                             uint8_t *ct, size_t ct_cap,
                                                             size_t *ct_len);

/**
 * RSA-OAEP-256 decryption with a private key. The plaintext only ever lives in secret memory.
 * @param pt  set to NULL on entry; on success a new secret the caller frees
 * @return CLAVE_OK, CLAVE_ERR_AUTH (any decryption or padding failure: deliberately generic),
 *         CLAVE_ERR_KEY (not an RSA private key), CLAVE_ERR_NOMEM
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_rsa_oaep_decrypt(const struct clave_pkey *key,
                                                             const uint8_t *ct, size_t ct_len,
                                                             struct clave_secret **pt);

/* ---- Key agreement ---- */

/**
 * Diffie-Hellman: X25519 (RFC 7748) or ECDH on P-256/P-384 (the x-coordinate, SEC 1 3.3.1).
 * `priv` must hold a private key and `peer` must be of the same type (and curve). An all-zero
 * X25519 result (a small-order peer point, RFC 7748 section 6.1) is refused.
 * @param priv, peer  borrowed
 * @param shared      set to NULL on entry; on success a new secret (32, 32 or 48 bytes) the
 *                    caller frees. Feed it to a KDF; never use it as a key directly.
 * @return CLAVE_OK, CLAVE_ERR_KEY (type mismatch, no private key, invalid peer, all-zero
 *         output), CLAVE_ERR_NOMEM
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_kx_derive(const struct clave_pkey *priv,
                                                      const struct clave_pkey *peer,
                                                      struct clave_secret **shared);

#ifdef __cplusplus
}
#endif
#endif
