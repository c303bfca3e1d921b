/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Symmetric primitives over OpenSSL 3: hashes, HMAC, HKDF, AEAD, randomness.
 * All functions are thread-safe; context objects are not shared between threads.
 */
#ifndef CLAVE_CRYPTO_H
#define CLAVE_CRYPTO_H

#include <clave/secret.h>
#include <clave/status.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum clave_hash_alg {
    CLAVE_HASH_SHA256 = 1,
    CLAVE_HASH_SHA384 = 2,
    CLAVE_HASH_SHA512 = 3,
};

#define CLAVE_SHA256_LEN 32
#define CLAVE_SHA384_LEN 48
#define CLAVE_SHA512_LEN 64
#define CLAVE_HASH_MAX_LEN 64

/** Output length of `alg` in bytes (0 for an unknown algorithm). */
CLAVE_API size_t clave_hash_len(enum clave_hash_alg alg);

/** One-shot digest into `out` (capacity `out_cap` >= clave_hash_len(alg)). */
CLAVE_API CLAVE_MUST_USE clave_status clave_hash(enum clave_hash_alg alg, const uint8_t *data,
                                                 size_t len, uint8_t *out, size_t out_cap);

/** Incremental digest. */
struct clave_hash_ctx;
CLAVE_API CLAVE_MUST_USE clave_status clave_hash_new(enum clave_hash_alg alg,
                                                     struct clave_hash_ctx **out);
CLAVE_API CLAVE_MUST_USE clave_status clave_hash_update(struct clave_hash_ctx *ctx,
                                                        const uint8_t *data, size_t len);
/** Finish into `out` (capacity `out_cap`); the context cannot be updated afterwards. */
CLAVE_API CLAVE_MUST_USE clave_status clave_hash_final(struct clave_hash_ctx *ctx, uint8_t *out,
                                                       size_t out_cap);
CLAVE_API void clave_hash_free(struct clave_hash_ctx *ctx);

/** HMAC (RFC 2104) with hash `alg`; `out_cap` >= clave_hash_len(alg). */
CLAVE_API CLAVE_MUST_USE clave_status clave_hmac(enum clave_hash_alg alg, const uint8_t *key,
                                                 size_t key_len, const uint8_t *data, size_t len,
                                                 uint8_t *out, size_t out_cap);

/** Verify an HMAC tag in constant time; CLAVE_ERR_AUTH if it does not match. */
CLAVE_API CLAVE_MUST_USE clave_status clave_hmac_verify(enum clave_hash_alg alg, const uint8_t *key,
                                                        size_t key_len, const uint8_t *data,
                                                        size_t len, const uint8_t *tag,
                                                        size_t tag_len);

/** HKDF (RFC 5869) extract-and-expand into `out` of `out_len` bytes. `salt` may be NULL. */
CLAVE_API CLAVE_MUST_USE clave_status clave_hkdf(enum clave_hash_alg alg, const uint8_t *salt,
                                                 size_t salt_len, const uint8_t *ikm,
                                                 size_t ikm_len, const uint8_t *info,
                                                 size_t info_len, uint8_t *out, size_t out_len);
/** HKDF-Extract only: PRK into `prk` (capacity >= clave_hash_len(alg)). */
CLAVE_API CLAVE_MUST_USE clave_status clave_hkdf_extract(enum clave_hash_alg alg,
                                                         const uint8_t *salt, size_t salt_len,
                                                         const uint8_t *ikm, size_t ikm_len,
                                                         uint8_t *prk, size_t prk_cap);
/** HKDF-Expand only, from a PRK. */
CLAVE_API CLAVE_MUST_USE clave_status clave_hkdf_expand(enum clave_hash_alg alg, const uint8_t *prk,
                                                        size_t prk_len, const uint8_t *info,
                                                        size_t info_len, uint8_t *out,
                                                        size_t out_len);

/** `len` bytes from the OpenSSL CSPRNG (public values: nonces, ids, salts). */
CLAVE_API CLAVE_MUST_USE clave_status clave_random(uint8_t *out, size_t len);

enum clave_aead_alg {
    CLAVE_AEAD_AES256GCM = 1,
    CLAVE_AEAD_CHACHA20POLY1305 = 2,
};

#define CLAVE_AEAD_KEY_LEN 32
#define CLAVE_AEAD_NONCE_LEN 12
#define CLAVE_AEAD_TAG_LEN 16

/**
 * A keyed AEAD context, reusable for many messages (one key schedule). The key is copied into
 * OpenSSL's context; the caller keeps ownership of `key`. Caller frees.
 */
struct clave_aead;
CLAVE_API CLAVE_MUST_USE clave_status clave_aead_new(enum clave_aead_alg alg,
                                                     const uint8_t key[CLAVE_AEAD_KEY_LEN],
                                                     struct clave_aead **out);
CLAVE_API void clave_aead_free(struct clave_aead *aead);

/** Encrypt `pt_len` bytes of `pt` into `ct` (same length; may alias `pt`) and write the tag. */
CLAVE_API CLAVE_MUST_USE clave_status clave_aead_seal(struct clave_aead *aead,
                                                      const uint8_t nonce[CLAVE_AEAD_NONCE_LEN],
                                                      const uint8_t *aad, size_t aad_len,
                                                      const uint8_t *pt, size_t pt_len, uint8_t *ct,
                                                      uint8_t tag[CLAVE_AEAD_TAG_LEN]);

/**
 * Decrypt and verify. On a bad tag returns CLAVE_ERR_AUTH and wipes `pt`: no unauthenticated
 * plaintext is ever released. `pt` may alias `ct`.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_aead_open(struct clave_aead *aead,
                                                      const uint8_t nonce[CLAVE_AEAD_NONCE_LEN],
                                                      const uint8_t *aad, size_t aad_len,
                                                      const uint8_t *ct, size_t ct_len,
                                                      const uint8_t tag[CLAVE_AEAD_TAG_LEN],
                                                      uint8_t *pt);

#ifdef __cplusplus
}
#endif
#endif
