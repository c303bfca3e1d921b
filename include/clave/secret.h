/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Secret bytes: kept in pages that are locked in memory (mlock) where the limit allows it,
 * excluded from core dumps (MADV_DONTDUMP), and wiped with OPENSSL_cleanse when freed.
 */
#ifndef CLAVE_SECRET_H
#define CLAVE_SECRET_H

#include <clave/status.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct clave_secret;

/** Largest secret accepted (1 MiB): secrets are keys, not data. */
#define CLAVE_SECRET_MAX_LEN ((size_t)1 << 20)

/** A zero-filled secret of `len` bytes (1..CLAVE_SECRET_MAX_LEN). Caller frees. */
CLAVE_API CLAVE_MUST_USE clave_status clave_secret_new(size_t len, struct clave_secret **out);

/** A secret holding a copy of `data` (borrowed; the caller wipes its own copy). Caller frees. */
CLAVE_API CLAVE_MUST_USE clave_status clave_secret_from(const uint8_t *data, size_t len,
                                                        struct clave_secret **out);

/** A secret of `len` bytes from the OpenSSL CSPRNG. Caller frees. */
CLAVE_API CLAVE_MUST_USE clave_status clave_secret_random(size_t len, struct clave_secret **out);

/** The secret's bytes (borrowed; valid until free). Never NULL for a live secret. */
CLAVE_API uint8_t *clave_secret_data(struct clave_secret *s);
CLAVE_API const uint8_t *clave_secret_cdata(const struct clave_secret *s);
CLAVE_API size_t clave_secret_len(const struct clave_secret *s);

/** Whether the pages are locked in RAM (mlock can fail under RLIMIT_MEMLOCK; never fatal). */
CLAVE_API bool clave_secret_is_locked(const struct clave_secret *s);

/** Constant-time equality of two secrets (false if lengths differ). */
CLAVE_API bool clave_secret_equal(const struct clave_secret *a, const struct clave_secret *b);

/** Wipe, unlock and release. NULL is a no-op. */
CLAVE_API void clave_secret_free(struct clave_secret *s);

/** Wipe `len` bytes at `p` in a way the compiler cannot remove. */
CLAVE_API void clave_wipe(void *p, size_t len);

/** Constant-time comparison of two equal-length buffers: true if equal. */
CLAVE_API bool clave_ct_equal(const void *a, const void *b, size_t len);

#ifdef __cplusplus
}
#endif
#endif
