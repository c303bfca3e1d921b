/* SPDX-License-Identifier: Apache-2.0 */
/*
 * JOSE: JWK (RFC 7517/7518/8037) import/export and JWE (RFC 7516) encryption/decryption.
 *
 * Supported JWE: alg ECDH-ES+A256KW (P-256, P-384, X25519) and RSA-OAEP-256, enc A256GCM;
 * compact and flattened JSON serialisations. Parsers cap sizes and reject unknown or
 * "crit" headers they do not understand.
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

struct clave_jwk;

/** Parse a JWK (public or private). Caller frees. */
CLAVE_API CLAVE_MUST_USE clave_status clave_jwk_parse(const char *json, size_t len,
                                                      struct clave_jwk **out);

/** Generate a private key of `type` (EC/OKP/RSA-3072). Caller frees. */
CLAVE_API CLAVE_MUST_USE clave_status clave_jwk_generate(enum clave_jwk_type type,
                                                         struct clave_jwk **out);

CLAVE_API enum clave_jwk_type clave_jwk_type(const struct clave_jwk *key);
CLAVE_API bool clave_jwk_has_private(const struct clave_jwk *key);

/** Set or read the "kid" (copied; at most 256 bytes). */
CLAVE_API CLAVE_MUST_USE clave_status clave_jwk_set_kid(struct clave_jwk *key, const char *kid);
CLAVE_API const char *clave_jwk_kid(const struct clave_jwk *key);

/**
 * Export as compact JSON text. With `include_private` the private members are included; the
 * text is then secret and is returned in a clave_secret (NUL-terminated). Caller frees.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_jwk_export_public(const struct clave_jwk *key,
                                                              char **json);
CLAVE_API CLAVE_MUST_USE clave_status clave_jwk_export_private(const struct clave_jwk *key,
                                                               struct clave_secret **json);

/** RFC 7638 thumbprint (SHA-256) into `out`. */
CLAVE_API CLAVE_MUST_USE clave_status clave_jwk_thumbprint(const struct clave_jwk *key,
                                                           uint8_t out[32]);

CLAVE_API void clave_jwk_free(struct clave_jwk *key);

/**
 * Encrypt `pt` to `recipient` (public part used). `alg` is "ECDH-ES+A256KW" or "RSA-OAEP-256";
 * enc is A256GCM. The recipient's kid, if set, goes into the protected header. `aad` (flattened
 * only) may be NULL. Caller frees `*out` with free().
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_jwe_encrypt(const struct clave_jwk *recipient,
                                                        const char *alg, const uint8_t *pt,
                                                        size_t pt_len, const uint8_t *aad,
                                                        size_t aad_len,
                                                        enum clave_jwe_format format, char **out);

/**
 * Decrypt a compact or flattened JWE (detected) with `key` (private). CLAVE_ERR_AUTH for any
 * failure after parsing (one generic error). Plaintext in a new secret; caller frees.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_jwe_decrypt(const struct clave_jwk *key,
                                                        const char *jwe, size_t jwe_len,
                                                        struct clave_secret **pt);

#ifdef __cplusplus
}
#endif
#endif
