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

struct claved_kbs_rate_slot {
    char ip[64];
    double tokens;
    int64_t last_ms;
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
};

clave_status claved_kbs_init(struct claved_app *app);
void claved_kbs_fini(struct claved_app *app);

/* Take one token from `ip`'s bucket (rate per second, burst twice that). False: limited, with
 * *retry_s the seconds to wait. */
bool claved_kbs_rate_take(struct claved_kbs *k, const char *ip, uint32_t rate, int64_t now_ms,
                          int *retry_s);

#endif
