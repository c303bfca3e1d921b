/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SecAgg server, Unmasking: reconstruct each needed secret from the shares in U4, then remove
 * the survivors' self-masks and the dropped clients' pairwise masks from the sum. The mask
 * expansion (one X25519 agreement and one AES-256-CTR stream of `dim` words per surviving
 * neighbour of each dropped client) dominates the server's time at high dropout, so it runs on
 * SA_UNMASK_THREADS threads, each over its own share of the clients and its own accumulator;
 * the accumulators are added at the end (addition mod 2^64 commutes, so the sum is exact).
 */
#include "core/check.h"
#include "secagg/masks.h"
#include "secagg/server_internal.h"

#include <clave/mpc.h>
#include <clave/secret.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SA_UNMASK_THREADS 2
#define DETAIL_MAX 256

/* Shares of `owner`'s secret from its neighbours in U4, interpolated into 32 bytes. */
static clave_status reconstruct(struct clave_secagg_server *s, uint32_t owner, uint8_t out[32])
{
    clave_status st = CLAVE_ERR_INTERNAL;
    size_t holders = clave__sa_server_nbrs_in(s, owner, IN_U4);
    uint64_t *xs = calloc(holders + 1, sizeof(uint64_t));
    uint64_t *ys = calloc((holders + 1) * SA_SHARE_ELEMS, sizeof(uint64_t));
    uint64_t elems[SA_SHARE_ELEMS];
    CLAVE_ENSURE(xs != NULL && ys != NULL, CLAVE_ERR_NOMEM, "out of memory");
    CLAVE_ENSURE(holders >= s->p.share_threshold, CLAVE_ERR_STATE,
                 "secagg server: client %u: %zu shares, threshold %u", owner, holders,
                 s->p.share_threshold);
    for (size_t i = 0; i < holders; i++) {
        uint32_t h = s->nbrs[i];
        const struct sa_unmask_entry *e = NULL;
        for (size_t j = 0; j < s->unmask_count[h - 1] && e == NULL; j++) {
            e = s->unmask[h - 1][j].owner == owner ? &s->unmask[h - 1][j] : NULL;
        }
        CLAVE_ENSURE(e != NULL, CLAVE_ERR_INTERNAL, "secagg server: missing validated share");
        xs[i] = h;
        memcpy(ys + i * SA_SHARE_ELEMS, e->share, sizeof(e->share));
    }
    CLAVE_CHECK_CTX(
        clave_mpc_shamir_combine(xs, ys, holders, SA_SHARE_ELEMS, s->p.share_threshold, elems),
        "secagg server: client %u", owner);
    CLAVE_CHECK(clave_mpc_elems_to_bytes(elems, SA_SHARE_ELEMS, out, SA_SECRET_LEN));
    st = CLAVE_OK;
done:
    clave_wipe(elems, sizeof(elems));
    if (ys != NULL) {
        clave_wipe(ys, (holders + 1) * SA_SHARE_ELEMS * sizeof(uint64_t));
    }
    free(xs);
    free(ys);
    return st;
}

/* A dropped client's pairwise masks with its surviving neighbours, queued for removal. Masks
 * between two dropped clients never entered the sum and are not expanded. */
static clave_status remove_pair_masks(const struct clave_secagg_server *s, EVP_PKEY *const *peers,
                                      uint32_t u, const uint8_t sk[32], uint32_t *nbrs,
                                      struct sa_streams *batch)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_pkey *key = NULL;
    EVP_PKEY_CTX *derive = NULL;
    struct clave__prg *prg = NULL;
    uint8_t pk[SA_PK_LEN];
    size_t pk_len = 0;
    CLAVE_CHECK(clave_pkey_from_raw_private(CLAVE_PKEY_X25519, sk, SA_SECRET_LEN, &key));
    CLAVE_CHECK(clave_pkey_export_raw_public(key, pk, sizeof(pk), &pk_len));
    CLAVE_ENSURE(memcmp(pk, s->keys[u - 1].s_pk, SA_PK_LEN) == 0, // lint:public
                 CLAVE_ERR_TAMPERED,
                 "secagg server: client %u: reconstructed key does not match its advertisement", u);
    CLAVE_CHECK(clave__sa_derive_ctx(key, &derive));
    size_t count = clave__sa_server_nbrs_into(s, u, IN_U3, nbrs);
    for (size_t i = 0; i < count; i++) {
        uint32_t v = nbrs[i];
        CLAVE_CHECK(clave__sa_pair_prg(&s->p, derive, peers[v - 1], u, v, &prg));
        struct clave__prg *taken = prg;
        prg = NULL;
        CLAVE_CHECK(clave__sa_streams_add(batch, taken, v > u ? -1 : 1));
    }
    st = CLAVE_OK;
done:
    clave__prg_free(prg);
    EVP_PKEY_CTX_free(derive);
    clave_pkey_free(key);
    return st;
}

static clave_status remove_self_mask(const struct clave_secagg_server *s, uint32_t u,
                                     const uint8_t seed[32], struct sa_streams *batch)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave__prg *prg = NULL;
    CLAVE_CHECK(clave__sa_self_prg(&s->p, seed, u, &prg));
    st = clave__sa_streams_add(batch, prg, -1);
done:
    return st;
}

struct worker {
    const struct clave_secagg_server *s;
    const uint8_t (*secrets)[SA_SECRET_LEN]; /* per client, reconstructed (U2 members) */
    EVP_PKEY *const *peers;                  /* per client in U3: its s^PK (shared, read-only) */
    unsigned index;
    uint64_t *acc; /* this worker's accumulator (the sum itself for worker 0) */
    uint32_t *nbrs;
    clave_status st;
    char detail[DETAIL_MAX];
};

/* Clients u with (u - 1) % threads == index: self-mask of survivors, pair masks of dropouts,
 * all expanded in batches into the worker's accumulator. */
static void *work(void *arg)
{
    struct worker *w = arg;
    const struct clave_secagg_server *s = w->s;
    struct sa_streams batch = {
        .acc = w->acc, .dim = s->p.dim, .width = clave__sa_word_bytes(&s->p)};
    w->st = CLAVE_OK;
    for (uint32_t u = w->index + 1; u <= s->p.client_count && w->st == CLAVE_OK;
         u += SA_UNMASK_THREADS) {
        uint8_t m = s->member[u - 1];
        if ((m & IN_U2) == 0) {
            continue; /* never shared: in nobody's masks */
        }
        w->st = (m & IN_U3) != 0
                    ? remove_self_mask(s, u, w->secrets[u - 1], &batch)
                    : remove_pair_masks(s, w->peers, u, w->secrets[u - 1], w->nbrs, &batch);
    }
    if (w->st == CLAVE_OK) {
        w->st = clave__sa_streams_flush(&batch);
    }
    clave__sa_streams_clear(&batch);
    if (w->st != CLAVE_OK) {
        snprintf(w->detail, sizeof(w->detail), "%s", clave_error_last().detail);
    }
    return NULL;
}

/* EVP keys for the advertised s^PK of every survivor, built once and shared by the workers
 * (read-only; OpenSSL reference-counts them atomically). */
static clave_status load_peers(const struct clave_secagg_server *s, EVP_PKEY **peers)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    for (uint32_t v = 1; v <= s->p.client_count; v++) {
        if ((s->member[v - 1] & IN_U3) != 0) {
            CLAVE_CHECK(clave__sa_x25519_public(s->keys[v - 1].s_pk, &peers[v - 1]));
        }
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status reconstruct_all(struct clave_secagg_server *s, uint8_t (*secrets)[32])
{
    clave_status st = CLAVE_ERR_INTERNAL;
    for (uint32_t u = 1; u <= s->p.client_count; u++) {
        if ((s->member[u - 1] & IN_U2) != 0) {
            CLAVE_CHECK(reconstruct(s, u, secrets[u - 1]));
        }
    }
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave__sa_server_unmask(struct clave_secagg_server *s)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    size_t dim = s->p.dim;
    struct worker w[SA_UNMASK_THREADS];
    pthread_t t[SA_UNMASK_THREADS];
    bool started[SA_UNMASK_THREADS] = {false};
    uint8_t(*secrets)[SA_SECRET_LEN] = calloc(s->p.client_count, SA_SECRET_LEN);
    EVP_PKEY **peers = calloc(s->p.client_count, sizeof(EVP_PKEY *));
    memset(w, 0, sizeof(w));
    CLAVE_ENSURE(secrets != NULL && peers != NULL, CLAVE_ERR_NOMEM, "out of memory");
    CLAVE_CHECK(reconstruct_all(s, secrets));
    CLAVE_CHECK(load_peers(s, peers));
    for (unsigned i = 0; i < SA_UNMASK_THREADS; i++) {
        w[i] = (struct worker){.s = s,
                               .secrets = (const uint8_t(*)[SA_SECRET_LEN])secrets,
                               .peers = peers,
                               .index = i};
        w[i].acc = i == 0 ? s->sum : calloc(dim, sizeof(uint64_t));
        w[i].nbrs = calloc(s->p.degree + 1, sizeof(uint32_t));
        CLAVE_ENSURE(w[i].acc != NULL && w[i].nbrs != NULL, CLAVE_ERR_NOMEM, "out of memory");
    }
    for (unsigned i = 1; i < SA_UNMASK_THREADS; i++) {
        started[i] = pthread_create(&t[i], NULL, work, &w[i]) == 0;
        if (!started[i]) {
            work(&w[i]); /* no thread available: do its share here */
        }
    }
    work(&w[0]);
    for (unsigned i = 1; i < SA_UNMASK_THREADS; i++) {
        if (started[i]) {
            pthread_join(t[i], NULL);
        }
    }
    for (unsigned i = 0; i < SA_UNMASK_THREADS; i++) {
        CLAVE_ENSURE(w[i].st == CLAVE_OK, w[i].st, "%s", w[i].detail);
    }
    for (unsigned i = 1; i < SA_UNMASK_THREADS; i++) {
        for (size_t k = 0; k < dim; k++) {
            s->sum[k] += w[i].acc[k];
        }
    }
    for (size_t k = 0; k < dim; k++) { /* 2^bits divides 2^64: reduce once at the end */
        s->sum[k] &= clave__sa_word_mask(&s->p);
    }
    st = CLAVE_OK;
done:
    for (unsigned i = 0; i < SA_UNMASK_THREADS; i++) {
        if (i > 0 && w[i].acc != NULL) {
            clave_wipe(w[i].acc, dim * sizeof(uint64_t));
            free(w[i].acc);
        }
        free(w[i].nbrs);
    }
    if (secrets != NULL) {
        clave_wipe(secrets, (size_t)s->p.client_count * SA_SECRET_LEN);
        free(secrets);
    }
    for (uint32_t v = 0; peers != NULL && v < s->p.client_count; v++) {
        EVP_PKEY_free(peers[v]);
    }
    free(peers);
    return st;
}
