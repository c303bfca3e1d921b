/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Parsed contract bundles for the release policy. Parsing a bundle verifies every approval and
 * revocation signature, which cost more than the rest of a release's policy; the bytes are read
 * from the store on every release anyway (so a revocation made through any replica counts at
 * once), and the parsed contract is looked up by their SHA-256.
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

clave_status claved_kbs_contract_appraise(struct claved_kbs *k, const uint8_t *bundle, size_t len,
                                          const struct clave_kbs_release *r, bool *allowed,
                                          char reason[CLAVE_KBS_REASON_MAX])
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t key[32];
    struct clave_contract *fresh = NULL;
    *allowed = false;
    reason[0] = '\0';
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
    struct clave_kbs_release judged = *r;
    judged.contract = s->contract;
    s->used = ++k->contract_tick;
    *allowed = clave_kbs_appraise(&judged, reason);
    pthread_mutex_unlock(&k->contract_lock);
    st = CLAVE_OK;
done:
    clave_contract_free(fresh);
    return st;
}
