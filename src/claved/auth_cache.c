/* SPDX-License-Identifier: Apache-2.0 */
/* Per-thread credential cache (auth_cache.h): direct-mapped by the first key bytes. */
#include "auth_cache.h"

#include "core/check.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

struct slot {
    uint8_t key[32];
    int64_t until_ms; /* 0: empty */
    uint_fast64_t generation;
    struct claved_principal who;
};

struct claved_auth_cache {
    uint32_t ttl_ms;
    const atomic_uint_fast64_t *generation;
    struct slot slots[CLAVED_AUTH_CACHE_SLOTS];
};

_Static_assert((CLAVED_AUTH_CACHE_SLOTS & (CLAVED_AUTH_CACHE_SLOTS - 1)) == 0,
               "slot count is a power of two");

clave_status claved_auth_cache_new(uint32_t ttl_ms, const atomic_uint_fast64_t *generation,
                                   struct claved_auth_cache **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    *out = NULL;
    struct claved_auth_cache *c = calloc(1, sizeof(*c));
    CLAVE_ENSURE_ALLOC(c);
    c->ttl_ms = ttl_ms;
    c->generation = generation;
    *out = c;
    st = CLAVE_OK;
done:
    return st;
}

void claved_auth_cache_free(struct claved_auth_cache *c)
{
    if (c != NULL) {
        clave_wipe(c, sizeof(*c));
        free(c);
    }
}

clave_status claved_auth_cache_key(const char *token, size_t len, uint8_t key[32])
{
    return clave_hash(CLAVE_HASH_SHA256, (const uint8_t *)token, len, key, 32);
}

static struct slot *slot_of(struct claved_auth_cache *c, const uint8_t key[32])
{
    size_t i = ((size_t)key[0] | (size_t)key[1] << 8) & (CLAVED_AUTH_CACHE_SLOTS - 1);
    return &c->slots[i];
}

bool claved_auth_cache_get(struct claved_auth_cache *c, const uint8_t key[32], int64_t now_ms,
                           struct claved_principal *who)
{
    if (c == NULL || c->ttl_ms == 0) {
        return false;
    }
    struct slot *s = slot_of(c, key);
    if (s->until_ms <= now_ms || s->generation != atomic_load(c->generation) ||
        CRYPTO_memcmp(s->key, key, 32) != 0) {
        return false;
    }
    *who = s->who;
    return true;
}

uint64_t claved_auth_cache_generation(const struct claved_auth_cache *c)
{
    return c != NULL ? (uint64_t)atomic_load(c->generation) : 0;
}

void claved_auth_cache_put(struct claved_auth_cache *c, const uint8_t key[32],
                           const struct claved_principal *who, int64_t now_ms, int64_t limit_ms,
                           uint64_t generation)
{
    if (c == NULL || c->ttl_ms == 0 || !who->authenticated) {
        return;
    }
    int64_t until = now_ms + (int64_t)c->ttl_ms;
    if (limit_ms > 0 && limit_ms < until) {
        until = limit_ms;
    }
    struct slot *s = slot_of(c, key);
    s->generation = (uint_fast64_t)generation;
    memcpy(s->key, key, 32);
    s->who = *who;
    s->until_ms = until;
}

void claved_auth_cache_drop(struct claved_auth_cache *c, const uint8_t key[32])
{
    if (c == NULL) {
        return;
    }
    struct slot *s = slot_of(c, key);
    if (CRYPTO_memcmp(s->key, key, 32) == 0) {
        clave_wipe(s, sizeof(*s));
    }
}

void claved_auth_cache_revoke_all(atomic_uint_fast64_t *generation)
{
    atomic_fetch_add(generation, 1);
}
