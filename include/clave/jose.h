/* SPDX-License-Identifier: Apache-2.0 */
/*
 * JOSE: JWK (RFC 7517/7518/8037) import/export and JWE (RFC 7516) encryption/decryption.
 *
 * Supported JWE: alg ECDH-ES+A256KW (P-256, P-384, X25519) and RSA-OAEP-256, enc A256GCM;
 * compact and flattened JSON serialisations. Parsers cap sizes, read JSON through the bounded
 * helper (duplicate members rejected), ignore header members they do not act on, and refuse
 * "zip" and every "crit" extension.
 */
#ifndef CLAVE_JOSE_H
#define CLAVE_JOSE_H

#include <clave/secret.h>
#include <clave/status.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CLAVE_JWE_MAX_LEN ((size_t)16 << 20) /* largest JWE text accepted */

enum clave_jwk_type {
    CLAVE_JWK_EC_P256 = 1,
    CLAVE_JWK_EC_P384 = 2,
    CLAVE_JWK_OKP_X25519 = 3,
    CLAVE_JWK_OKP_ED25519 = 4,
    CLAVE_JWK_RSA = 5,
    CLAVE_JWK_OCT = 6,
};

enum clave_jwe_format {
    CLAVE_JWE_COMPACT = 1,
    CLAVE_JWE_FLATTENED = 2,
};

/** A parsed or generated JWK. Opaque; immutable after creation except for its kid. */
struct clave_jwk;

/**
 * Parse a JWK (public or private) from `len` bytes of JSON at `json` (borrowed, need not be
 * NUL-terminated, at most 32 KiB). Supported: kty "EC" (crv P-256, P-384), "OKP" (X25519,
 * Ed25519), "RSA" (2048..8192-bit modulus; private keys need all of d, p, q, dp, dq, qi) and
 * "oct". Coordinates and scalars must have their exact lengths and be canonical base64url; EC
 * points must be on the curve and private members must match the public ones (OpenSSL key
 * checks). Unknown members are ignored, duplicate members rejected.
 * Errors: CLAVE_ERR_ARG, CLAVE_ERR_TOO_LARGE, CLAVE_ERR_JSON, CLAVE_ERR_ENCODING,
 * CLAVE_ERR_KEY (invalid key), CLAVE_ERR_UNSUPPORTED (other kty/crv, multi-prime RSA).
 * On success `*out` is a new key the caller frees with clave_jwk_free(). Thread-safe.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_jwk_parse(const char *json, size_t len,
                                                      struct clave_jwk **out);

/**
 * Generate a private key of `type`: EC P-256/P-384, X25519, Ed25519, RSA-3072, or a 32-byte
 * random "oct" key. Errors: CLAVE_ERR_ARG (unknown type), CLAVE_ERR_CRYPTO. Caller frees.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_jwk_generate(enum clave_jwk_type type,
                                                         struct clave_jwk **out);

/** The key's type. `key` must not be NULL. */
CLAVE_API enum clave_jwk_type clave_jwk_type(const struct clave_jwk *key);

/** Whether the key holds private material (always true for "oct"). */
CLAVE_API bool clave_jwk_has_private(const struct clave_jwk *key);

/**
 * Set the "kid" (copied; at most 256 bytes; it must be UTF-8 to be exported).
 * Errors: CLAVE_ERR_ARG, CLAVE_ERR_TOO_LARGE. Not thread-safe on the same key.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_jwk_set_kid(struct clave_jwk *key, const char *kid);

/** The "kid", or NULL if none. Borrowed: valid until the next set_kid or free. */
CLAVE_API const char *clave_jwk_kid(const struct clave_jwk *key);

/**
 * Export the public members as compact JSON (required members in RFC 7638 order, then "kid").
 * `*json` is NUL-terminated; caller frees it with free(). Errors: CLAVE_ERR_KEY for an "oct"
 * key (it has no public form), CLAVE_ERR_NOMEM, CLAVE_ERR_CRYPTO.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_jwk_export_public(const struct clave_jwk *key,
                                                              char **json);

/**
 * Export with the private members. The text is secret, so it is returned in a clave_secret
 * holding the NUL-terminated JSON (the secret's length includes the NUL). Caller frees with
 * clave_secret_free(). Errors: CLAVE_ERR_KEY if the key has no private part.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_jwk_export_private(const struct clave_jwk *key,
                                                               struct clave_secret **json);

/**
 * RFC 7638 thumbprint: SHA-256 of the required members in lexicographic order, no whitespace,
 * written to `out` (32 bytes). Works on public and private keys alike (same result).
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_jwk_thumbprint(const struct clave_jwk *key,
                                                           uint8_t out[32]);

/** Free a key, wiping its private material. NULL is a no-op. */
CLAVE_API void clave_jwk_free(struct clave_jwk *key);

/**
 * Encrypt `pt` (1..CLAVE_SECRET_MAX_LEN bytes, so that it decrypts into a clave_secret) to
 * `recipient` (borrowed; only its public part is used). `alg` is "ECDH-ES+A256KW" (EC P-256,
 * P-384 or X25519 key; a fresh ephemeral key goes into "epk", no apu/apv; Concat KDF
 * AlgorithmID is the "alg" value as RFC 7518 §4.6.2 requires) or "RSA-OAEP-256" (RSA key); enc
 * is A256GCM with a random CEK and IV. The recipient's kid, if set, goes into the protected
 * header. `aad` (flattened only; borrowed) may be NULL. Errors: CLAVE_ERR_ARG (aad with
 * compact, bad format), CLAVE_ERR_UNSUPPORTED (alg), CLAVE_ERR_KEY (key type does not fit alg),
 * CLAVE_ERR_TOO_LARGE (plaintext size). Caller frees `*out` (NUL-terminated) with free().
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_jwe_encrypt(const struct clave_jwk *recipient,
                                                        const char *alg, const uint8_t *pt,
                                                        size_t pt_len, const uint8_t *aad,
                                                        size_t aad_len,
                                                        enum clave_jwe_format format, char **out);

/**
 * Decrypt a compact or flattened JSON JWE (detected by a leading '{') of at most
 * CLAVE_JWE_MAX_LEN bytes with `key` (borrowed; private EC/X25519/RSA key).
 * Parsing errors come first: CLAVE_ERR_TOO_LARGE, CLAVE_ERR_FORMAT (part count, IV/tag/key
 * lengths, missing epk), CLAVE_ERR_ENCODING (non-canonical base64url), CLAVE_ERR_JSON,
 * CLAVE_ERR_UNSUPPORTED (alg other than ECDH-ES+A256KW/RSA-OAEP-256, enc other than A256GCM,
 * "zip", any "crit", unprotected headers, general JSON serialisation), CLAVE_ERR_KEY (key has no
 * private part or does not fit alg; epk invalid or on another curve). After that every failure
 * (key agreement, key unwrap, RSA decryption, GCM tag) is the one generic CLAVE_ERR_AUTH.
 * On success the plaintext is in a new secret the caller frees. Thread-safe.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_jwe_decrypt(const struct clave_jwk *key,
                                                        const char *jwe, size_t jwe_len,
                                                        struct clave_secret **pt);

#ifdef __cplusplus
}
#endif
#endif
