/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The key broker's server state: the broker key (a P-256 JWK owners seal dataset keys to), the
 * EAR signing key, the attestation policy and cache settings, the blob store, and the per-IP
 * rate limiter of POST /kbs/v0/auth. Sessions live in the store (kbs_db.h), so replicas sharing
 * a database serve each other's sessions.
 */
#ifndef CLAVED_KBS_H
#define CLAVED_KBS_H

#include "claved.h"

#include <clave/kbs.h>
#include <pthread.h>

#define CLAVED_KBS_RATE_SLOTS 1024
#define CLAVED_KBS_SEALED_MAX ((size_t)1 << 30) /* largest sealed blob served to a runner */
#define CLAVED_KBS_CACHE_POOL 32                /* idle attestation caches kept (one per worker) */
#define CLAVED_KBS_TCB_FILE "kbs-tcb.json"      /* platform TCB collateral (clave_kbs_tcb_*) */
#define CLAVED_KBS_CONTRACT_CACHE 32            /* parsed contract bundles kept */
#define CLAVED_KBS_DEK_CACHE 64                 /* unwrapped dataset keys kept */

/* A parsed contract bundle, keyed by the SHA-256 of its stored bytes: a new approval or a
 * revocation changes the bytes, hence the key, so a stale entry is never used. */
struct claved_kbs_contract_slot {
    uint8_t key[32];
    struct clave_contract *contract; /* NULL: free slot */
    uint64_t used;                   /* LRU tick */
};

struct claved_kbs_rate_slot {
    char ip[64];
    double tokens;
    int64_t last_ms;
};

/* A dataset key unwrapped from the owner's JWE, shared by the cache and the releases using it. */
struct claved_kbs_dek {
    struct clave_secret *secret;
    unsigned refs; /* under claved_kbs.dek_lock; freed (wiped) at 0 */
};

/* A cache slot: the key unwrapped from a JWE, keyed by the SHA-256 of that JWE. */
struct claved_kbs_dek_slot {
    uint8_t key[32];
    struct claved_kbs_dek *dek; /* NULL: free slot; the slot holds one reference */
    uint64_t used;              /* LRU tick */
};

struct claved_kbs {
    struct clave_jwk *broker;   /* private; unwraps dataset keys */
    char *broker_public;        /* its public JWK JSON (kid = thumbprint) */
    char broker_kid[72];        /* "kbs-" + 32 hex of the thumbprint */
    struct clave_pkey *ear;     /* P-256, signs EAR tokens */
    struct clave_pkey *ear_pub; /* its public half (verifies them) */
    struct clave_attest_policy *policy;
    struct clave_blob_store *blobs;
    pthread_mutex_t lock; /* guards the rate table */
    struct claved_kbs_rate_slot rate[CLAVED_KBS_RATE_SLOTS];
    /* Collateral (kbs_collateral_dir): what the files looked like when last read, the TCB
     * collateral from them and a generation bumped at each change (attestation caches of an
     * older generation are dropped). Guarded by coll_lock. */
    const char *collateral_dir; /* borrowed from the configuration; "" for none */
    pthread_mutex_t coll_lock;
    uint64_t coll_fingerprint;
    uint64_t coll_generation;
    int64_t coll_loaded_at;
    struct clave_kbs_tcb_collateral *tcb; /* NULL: no kbs-tcb.json */
    char tcb_error[CLAVE_KBS_REASON_MAX]; /* non-empty: kbs-tcb.json unreadable (fail closed) */
    struct clave_attest_cache *caches[CLAVED_KBS_CACHE_POOL];
    uint64_t cache_generation[CLAVED_KBS_CACHE_POOL];
    size_t cache_count;
    pthread_mutex_t contract_lock; /* guards contracts[] and contract_tick */
    struct claved_kbs_contract_slot contracts[CLAVED_KBS_CONTRACT_CACHE];
    uint64_t contract_tick;
    pthread_mutex_t dek_lock; /* guards deks[] and dek_tick */
    struct claved_kbs_dek_slot deks[CLAVED_KBS_DEK_CACHE];
    uint64_t dek_tick;
    /* Live-session count shared by replicas, re-read from the store at most once a second. */
    int64_t sessions_live;
    int64_t sessions_counted_at;
};

clave_status claved_kbs_init(struct claved_app *app);
void claved_kbs_fini(struct claved_app *app);

/* Take one token from `ip`'s bucket (rate per second, burst twice that). False: limited, with
 * *retry_s the seconds to wait. */
bool claved_kbs_rate_take(struct claved_kbs *k, const char *ip, uint32_t rate, int64_t now_ms,
                          int *retry_s);

/*
 * Whether one more RCAR session may start under `max` live sessions across replicas. Once a
 * second (per process) the expired sessions are deleted and the live ones counted in the store;
 * in between, this process's own new sessions are added to that count. So the bound holds across
 * replicas to within one second of other replicas' sessions.
 */
clave_status claved_kbs_session_admit(struct claved_kbs *k, struct clave_store *s, int64_t now,
                                      uint32_t max, bool *admit);

/*
 * Re-read the collateral when a file of kbs_collateral_dir changed (name, inode, size or
 * modification time; checked on every attestation and release), or always with `force`.
 * `*generation` (may be NULL) receives the generation in force. Errors: CLAVE_ERR_IO when the
 * directory cannot be listed.
 */
clave_status claved_kbs_collateral_check(struct claved_kbs *k, bool force, uint64_t *generation);

/* A summary of the collateral in force as JSON (new reference): generation, loaded_at, tcb
 * file present, issued_at, error. */
json_t *claved_kbs_collateral_json(struct claved_kbs *k);

/* `in` with tcb_status set from the TCB collateral in force (clave_kbs_tcb_collateral_status)
 * into `out`; `detail` the rule that decided. False (detail set) when kbs-tcb.json exists but
 * cannot be read: releases fail closed. */
bool claved_kbs_platform_claims(struct claved_kbs *k, const struct clave_kbs_claims *in,
                                struct clave_kbs_claims *out, char detail[CLAVE_KBS_REASON_MAX]);

/*
 * The release policy (clave_kbs_appraise) for `r` under the contract whose stored bundle is
 * `bundle` (`len` bytes, borrowed; r->contract is ignored). The bundle is parsed and its
 * signatures verified once per distinct bytes; later calls reuse the parsed contract.
 * Errors (the bundle does not parse): the contract status, *allowed false.
 */
clave_status claved_kbs_contract_appraise(struct claved_kbs *k, const uint8_t *bundle, size_t len,
                                          const struct clave_kbs_release *r, bool *allowed,
                                          char reason[CLAVE_KBS_REASON_MAX]);

/*
 * Run `fn(contract, arg)` on the contract of the stored bundle `bundle` (`len` bytes, borrowed),
 * parsed and verified once per distinct bytes as above. `fn` runs under the cache lock: it must
 * be quick, must not call back into the cache and must not keep the pointer. Errors: the bundle
 * does not parse (fn is not called).
 */
clave_status claved_kbs_contract_with(struct claved_kbs *k, const uint8_t *bundle, size_t len,
                                      void (*fn)(const struct clave_contract *c, void *arg),
                                      void *arg);

/*
 * The dataset key inside `wrapped` (the compact JWE to the broker key, `len` bytes, borrowed),
 * unwrapped once per distinct JWE and shared, not copied: `*out` is a reference the caller gives
 * back with claved_kbs_dek_put (the key is wiped when the cache and every user let go of it).
 */
clave_status claved_kbs_dek_get(struct claved_kbs *k, const uint8_t *wrapped, size_t len,
                                struct claved_kbs_dek **out);
void claved_kbs_dek_put(struct claved_kbs *k, struct claved_kbs_dek *dek); /* NULL: no-op */

/* An attestation cache of the current collateral generation for one verification (NULL if
 * none could be made: verify without); give it back afterwards. */
struct clave_attest_cache *claved_kbs_cache_take(struct claved_kbs *k, uint64_t *generation);
void claved_kbs_cache_give(struct claved_kbs *k, struct clave_attest_cache *c, uint64_t generation);

#endif
