/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Per-process caches of the release path, each keyed by the SHA-256 of bytes read from the store
 * on every release (so what replicas change in the store counts at once):
 * - parsed contract bundles: parsing verifies every approval and revocation signature, which
 *   cost more than the rest of a release's policy;
 * - dataset keys unwrapped from the JWE the owner sealed to the broker key (one ECDH each). The
 *   broker's private key, which unwraps every one of them, is in memory for the process's life
 *   anyway; the DEKs are kept in locked, wiped memory (clave_secret).
 */
#include "kbs.h"

#include "core/check.h"

#include <string.h>

/* The slot holding `key`, or NULL. Caller holds contract_lock. */
static struct claved_kbs_contract_slot *find(struct claved_kbs *k, const uint8_t key[32])
{
    for (size_t i = 0; i < CLAVED_KBS_CONTRACT_CACHE; i++) {
        struct claved_kbs_contract_slot *s = &k->contracts[i];
        if (s->contract != NULL && memcmp(s->key, key, 32) == 0) { // lint:public (a digest)
            return s;
        }
    }
    return NULL;
}

/* Keep `c` under `key` (taking ownership), replacing the least recently used slot. Caller holds
 * contract_lock. Returns the slot now holding the key. */
static struct claved_kbs_contract_slot *insert(struct claved_kbs *k, const uint8_t key[32],
                                               struct clave_contract *c)
{
    struct claved_kbs_contract_slot *have = find(k, key);
    if (have != NULL) { /* another thread parsed the same bytes meanwhile */
        clave_contract_free(c);
        return have;
    }
    struct claved_kbs_contract_slot *victim = &k->contracts[0];
    for (size_t i = 1; i < CLAVED_KBS_CONTRACT_CACHE && victim->contract != NULL; i++) {
        struct claved_kbs_contract_slot *s = &k->contracts[i];
        if (s->contract == NULL || s->used < victim->used) {
            victim = s;
        }
    }
    clave_contract_free(victim->contract);
    memcpy(victim->key, key, 32);
    victim->contract = c;
    return victim;
}

clave_status claved_kbs_contract_with(struct claved_kbs *k, const uint8_t *bundle, size_t len,
                                      void (*fn)(const struct clave_contract *c, void *arg),
                                      void *arg)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t key[32];
    struct clave_contract *fresh = NULL;
    CLAVE_CHECK(clave_hash(CLAVE_HASH_SHA256, bundle, len, key, sizeof(key)));
    pthread_mutex_lock(&k->contract_lock);
    struct claved_kbs_contract_slot *s = find(k, key);
    if (s == NULL) {
        pthread_mutex_unlock(&k->contract_lock);
        CLAVE_CHECK(clave_contract_bundle_parse(bundle, len, &fresh)); /* outside the lock */
        pthread_mutex_lock(&k->contract_lock);
        s = insert(k, key, fresh);
        fresh = NULL;
    }
    s->used = ++k->contract_tick;
    fn(s->contract, arg);
    pthread_mutex_unlock(&k->contract_lock);
    st = CLAVE_OK;
done:
    clave_contract_free(fresh);
    return st;
}

struct appraisal {
    const struct clave_kbs_release *r;
    bool allowed;
    char *reason;
};

static void appraise(const struct clave_contract *c, void *arg)
{
    struct appraisal *a = arg;
    struct clave_kbs_release judged = *a->r;
    judged.contract = c;
    a->allowed = clave_kbs_appraise(&judged, a->reason);
}

clave_status claved_kbs_contract_appraise(struct claved_kbs *k, const uint8_t *bundle, size_t len,
                                          const struct clave_kbs_release *r, bool *allowed,
                                          char reason[CLAVE_KBS_REASON_MAX])
{
    struct appraisal a = {r, false, reason};
    *allowed = false;
    reason[0] = '\0';
    clave_status st = claved_kbs_contract_with(k, bundle, len, appraise, &a);
    *allowed = st == CLAVE_OK && a.allowed;
    return st;
}

/* Drop one reference; the last one wipes the key. Caller holds k->dek_lock. */
static void dek_unref(struct claved_kbs_dek *dek)
{
    if (dek != NULL && --dek->refs == 0) {
        clave_secret_free(dek->secret);
        free(dek);
    }
}

void claved_kbs_dek_put(struct claved_kbs *k, struct claved_kbs_dek *dek)
{
    if (dek != NULL) {
        pthread_mutex_lock(&k->dek_lock);
        dek_unref(dek);
        pthread_mutex_unlock(&k->dek_lock);
    }
}

clave_status claved_kbs_dek_get(struct claved_kbs *k, const uint8_t *wrapped, size_t len,
                                struct claved_kbs_dek **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t key[32];
    struct claved_kbs_dek *fresh = NULL;
    *out = NULL;
    CLAVE_CHECK(clave_hash(CLAVE_HASH_SHA256, wrapped, len, key, sizeof(key)));
    pthread_mutex_lock(&k->dek_lock);
    for (size_t i = 0; i < CLAVED_KBS_DEK_CACHE && *out == NULL; i++) {
        struct claved_kbs_dek_slot *s = &k->deks[i];
        if (s->dek != NULL && memcmp(s->key, key, 32) == 0) { // lint:public (a digest)
            s->used = ++k->dek_tick;
            s->dek->refs++;
            *out = s->dek;
        }
    }
    pthread_mutex_unlock(&k->dek_lock);
    if (*out != NULL) {
        return CLAVE_OK;
    }
    fresh = calloc(1, sizeof(*fresh));
    CLAVE_ENSURE_ALLOC(fresh);
    fresh->refs = 2; /* the slot's and the caller's */
    CLAVE_CHECK(clave_jwe_decrypt(k->broker, (const char *)wrapped, len, &fresh->secret));
    pthread_mutex_lock(&k->dek_lock);
    struct claved_kbs_dek_slot *victim = &k->deks[0];
    for (size_t i = 1; i < CLAVED_KBS_DEK_CACHE && victim->dek != NULL; i++) {
        if (k->deks[i].dek == NULL || k->deks[i].used < victim->used) {
            victim = &k->deks[i];
        }
    }
    dek_unref(victim->dek);
    memcpy(victim->key, key, 32);
    victim->dek = fresh;
    victim->used = ++k->dek_tick;
    pthread_mutex_unlock(&k->dek_lock);
    *out = fresh;
    fresh = NULL;
    st = CLAVE_OK;
done:
    if (fresh != NULL) {
        clave_secret_free(fresh->secret);
        free(fresh);
    }
    return st;
}
