/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A per-thread cache of authenticated bearer credentials: SHA-256 of the presented token ->
 * the principal it proved, valid for at most session_cache_ms (<= 1 s) and never past the
 * token's own expiry. A hit skips the signature check and the store round trips. Revocations in
 * this process (logout, token revoke, role change) bump a shared generation counter that voids
 * every thread's entries at once; a revocation made by another replica reaches this process's
 * caches when the entries lapse, within session_cache_ms. Not thread-safe: one cache per thread
 * (the counter is atomic).
 */
#ifndef CLAVED_AUTH_CACHE_H
#define CLAVED_AUTH_CACHE_H

#include "claved.h"

#define CLAVED_AUTH_CACHE_SLOTS 256

struct claved_auth_cache;

/* `ttl_ms` 0 gives a cache that never hits. `generation` (borrowed, shared by every thread's
 * cache; must outlive it) voids all entries whenever it changes. Caller frees with
 * claved_auth_cache_free. */
clave_status claved_auth_cache_new(uint32_t ttl_ms, const atomic_uint_fast64_t *generation,
                                   struct claved_auth_cache **out);

/* Void every cache sharing `generation` (call after any revocation, before answering). */
void claved_auth_cache_revoke_all(atomic_uint_fast64_t *generation);
void claved_auth_cache_free(struct claved_auth_cache *c);

/* The SHA-256 of a token (the cache key). */
clave_status claved_auth_cache_key(const char *token, size_t len, uint8_t key[32]);

/* A live entry for `key` at `now_ms` fills *who. */
bool claved_auth_cache_get(struct claved_auth_cache *c, const uint8_t key[32], int64_t now_ms,
                           struct claved_principal *who);

/* The current generation: read it *before* proving a credential, and pass it to put, so that a
 * revocation racing with the proof voids the entry. 0 for a NULL cache. */
uint64_t claved_auth_cache_generation(const struct claved_auth_cache *c);

/* Remember `who` for `key` until min(now_ms + ttl, limit_ms) (limit_ms 0: no limit), valid
 * while the shared counter still equals `generation`. */
void claved_auth_cache_put(struct claved_auth_cache *c, const uint8_t key[32],
                           const struct claved_principal *who, int64_t now_ms, int64_t limit_ms,
                           uint64_t generation);

/* Forget `key` (this thread's own logout or revocation). */
void claved_auth_cache_drop(struct claved_auth_cache *c, const uint8_t key[32]);

#endif
