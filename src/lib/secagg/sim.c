/* SPDX-License-Identifier: Apache-2.0 */
/*
 * In-process SecAgg simulation: n clients and the server exchange real encoded messages; clients
 * drop out before stages as asked. CPU time is measured per call with CLOCK_PROCESS_CPUTIME_ID
 * (the simulation is sequential, so a call's process CPU time includes the server's unmasking
 * worker threads and nothing else); the server's closing of each round is also timed on the
 * wall clock.
 */
#include "core/check.h"
#include "mpc/prg.h"
#include "secagg/msg.h"

#include <clave/crypto.h>
#include <clave/secagg.h>
#include <clave/secret.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SIM_DROP_LABEL "clave secagg v1 simulated dropouts"
#define ROUNDS 4

struct sim {
    const struct clave_secagg_sim_opts *o;
    struct clave_secagg_sim_report *rep;
    uint32_t n;
    struct clave_pkey **ids;
    struct clave_secagg_client **clients;
    struct clave_secagg_server *server;
    uint8_t *active;
    uint8_t *shared; /* active after ShareKeys (U2) */
    uint8_t *masked; /* active after MaskedInputCollection (U3) */
    double *client_total;
    uint64_t *input;
    uint64_t *expected;
    uint64_t bytes_sent;
    uint64_t bytes_received;
    struct clave__prg *drop_prg;
};

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Client u's input: a fixed function of (u, k), so the expected sum is known. */
static void make_input(uint32_t u, uint64_t *x, uint32_t dim, uint64_t mask)
{
    for (uint32_t k = 0; k < dim; k++) {
        uint64_t z = ((uint64_t)u << 32 | k) * UINT64_C(0x9e3779b97f4a7c15);
        x[k] = (z ^ (z >> 29)) & mask;
    }
}

/* Drop `count` of the active clients, chosen uniformly by the dropout stream. */
static clave_status drop_some(struct sim *s, double fraction)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    size_t count = (size_t)(fraction * s->n + 0.5);
    size_t active = 0;
    for (uint32_t i = 0; i < s->n; i++) {
        active += s->active[i];
    }
    count = count > active ? active : count;
    while (count > 0) {
        uint64_t w = 0;
        CLAVE_CHECK(clave__prg_fill(s->drop_prg, &w, 1));
        uint32_t pick = (uint32_t)(w % s->n);
        if (s->active[pick]) {
            s->active[pick] = 0;
            count--;
        }
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status setup(struct sim *s)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t seed[32];
    uint32_t dim = s->o->params.dim;
    s->ids = calloc(s->n, sizeof(*s->ids));
    s->clients = calloc(s->n, sizeof(*s->clients));
    s->active = calloc(s->n, 1);
    s->shared = calloc(s->n, 1);
    s->masked = calloc(s->n, 1);
    s->client_total = calloc(s->n, sizeof(double));
    s->input = calloc(dim, sizeof(uint64_t));
    s->expected = calloc(dim, sizeof(uint64_t));
    CLAVE_ENSURE(s->ids != NULL && s->clients != NULL && s->active != NULL && s->shared != NULL &&
                     s->masked != NULL && s->client_total != NULL && s->input != NULL &&
                     s->expected != NULL,
                 CLAVE_ERR_NOMEM, "out of memory");
    if (s->o->dropout_seed != NULL) {
        memcpy(seed, s->o->dropout_seed, sizeof(seed));
    } else {
        CLAVE_CHECK(clave_random(seed, sizeof(seed)));
    }
    CLAVE_CHECK(clave__prg_new(seed, sizeof(seed), SIM_DROP_LABEL, NULL, 0, &s->drop_prg));
    for (uint32_t i = 0; i < s->n; i++) {
        CLAVE_CHECK(clave_pkey_generate(CLAVE_PKEY_ED25519, &s->ids[i]));
        s->active[i] = 1;
    }
    CLAVE_CHECK(clave_secagg_server_new(&s->o->params, (const struct clave_pkey *const *)s->ids,
                                        &s->server));
    for (uint32_t i = 0; i < s->n; i++) {
        CLAVE_CHECK(clave_secagg_client_new(&s->o->params, i + 1, s->ids[i],
                                            (const struct clave_pkey *const *)s->ids,
                                            &s->clients[i]));
    }
    st = CLAVE_OK;
done:
    return st;
}

/* One client's turn in round r: consume the server's message (r > 1), answer, deliver. */
static clave_status client_turn(struct sim *s, uint32_t i, int r, double *client_sum,
                                double *server_sum)
{
    clave_status st = CLAVE_OK;
    uint8_t *in = NULL, *out = NULL;
    size_t in_len = 0, out_len = 0;
    double t0 = cpu_now();
    if (r > 1) {
        st = clave_secagg_server_message(s->server, i + 1, &in, &in_len);
    }
    double t1 = cpu_now();
    if (r == 3 && st == CLAVE_OK) {
        make_input(i + 1, s->input, s->o->params.dim, clave__sa_input_mask(&s->o->params));
    }
    double t2 = cpu_now();
    if (st == CLAVE_OK) {
        struct clave_secagg_client *c = s->clients[i];
        st = r == 1   ? clave_secagg_client_advertise(c, &out, &out_len)
             : r == 2 ? clave_secagg_client_share_keys(c, in, in_len, &out, &out_len)
             : r == 3 ? clave_secagg_client_masked_input(c, in, in_len, s->input, &out, &out_len)
                      : clave_secagg_client_unmask(c, in, in_len, &out, &out_len);
    }
    double t3 = cpu_now();
    if (st == CLAVE_OK) {
        st = clave_secagg_server_receive(s->server, out, out_len);
    }
    double t4 = cpu_now();
    if (st == CLAVE_OK && r == 3) {
        for (uint32_t k = 0; k < s->o->params.dim; k++) {
            s->expected[k] = (s->expected[k] + s->input[k]) & clave__sa_word_mask(&s->o->params);
        }
    }
    s->bytes_received += in_len;
    s->bytes_sent += out_len;
    s->client_total[i] += t3 - t2;
    *client_sum += t3 - t2;
    *server_sum += (t1 - t0) + (t4 - t3);
    free(in);
    free(out);
    return st;
}

static clave_status run_round(struct sim *s, int r)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    double client_sum = 0.0;
    double server_sum = 0.0;
    size_t participants = 0;
    for (uint32_t i = 0; i < s->n; i++) {
        if (!s->active[i]) {
            continue;
        }
        participants++;
        if (client_turn(s, i, r, &client_sum, &server_sum) != CLAVE_OK) {
            s->active[i] = 0; /* a client that fails drops out */
        }
    }
    double t0 = cpu_now();
    double w0 = wall_now();
    st = clave_secagg_server_close_round(s->server);
    server_sum += cpu_now() - t0;
    s->rep->server_close_wall_seconds[r - 1] = wall_now() - w0;
    s->rep->client_seconds[r - 1] = participants > 0 ? client_sum / (double)participants : 0.0;
    s->rep->server_seconds[r - 1] = server_sum;
    return st;
}

static void teardown(struct sim *s)
{
    for (uint32_t i = 0; s->clients != NULL && i < s->n; i++) {
        clave_secagg_client_free(s->clients[i]);
    }
    for (uint32_t i = 0; s->ids != NULL && i < s->n; i++) {
        clave_pkey_free(s->ids[i]);
    }
    clave_secagg_server_free(s->server);
    clave__prg_free(s->drop_prg);
    free(s->clients);
    free(s->ids);
    free(s->active);
    free(s->shared);
    free(s->masked);
    free(s->client_total);
    free(s->input);
    free(s->expected);
}

/* Streams the server expands when it unmasks: survivors' self-masks, and each dropped client's
 * pairwise masks with its surviving neighbours (pairs of two dropped clients never entered the
 * sum). 0 if the session did not reach the end. */
static uint64_t mask_streams(const struct sim *s)
{
    const struct clave_secagg_params *p = &s->o->params;
    uint64_t streams = 0;
    uint32_t *nbrs = calloc(p->degree + 1, sizeof(uint32_t));
    for (uint32_t u = 1; nbrs != NULL && u <= s->n; u++) {
        size_t count = 0;
        if (s->masked[u - 1]) {
            streams++;
        } else if (s->shared[u - 1] &&
                   clave_secagg_neighbours(p, u, nbrs, p->degree + 1, &count) == CLAVE_OK) {
            for (size_t i = 0; i < count; i++) {
                streams += s->masked[nbrs[i] - 1];
            }
        }
    }
    free(nbrs);
    return streams;
}

static void finish(struct sim *s)
{
    struct clave_secagg_sim_report *rep = s->rep;
    uint64_t *result = calloc(s->o->params.dim, sizeof(uint64_t));
    rep->survivors = (uint32_t)clave_secagg_server_survivors(s->server);
    rep->correct = rep->status == CLAVE_OK && result != NULL &&
                   clave_secagg_server_result(s->server, result, s->o->params.dim) == CLAVE_OK &&
                   memcmp(result, s->expected, // lint:public
                          (size_t)s->o->params.dim * sizeof(uint64_t)) == 0;
    free(result);
    for (uint32_t i = 0; i < s->n; i++) {
        rep->client_total_max =
            s->client_total[i] > rep->client_total_max ? s->client_total[i] : rep->client_total_max;
    }
    rep->server_mask_streams = rep->status == CLAVE_OK ? mask_streams(s) : 0;
    rep->bytes_sent_per_client = (double)s->bytes_sent / s->n;
    rep->bytes_received_per_client = (double)s->bytes_received / s->n;
}

clave_status clave_secagg_simulate(const struct clave_secagg_sim_opts *opts,
                                   struct clave_secagg_sim_report *report)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct sim s = {0};
    memset(report, 0, sizeof(*report));
    CLAVE_CHECK(clave_secagg_params_check(&opts->params));
    for (size_t i = 0; i < CLAVE_SECAGG_STAGES; i++) {
        CLAVE_ENSURE(opts->dropout[i] >= 0.0 && opts->dropout[i] <= 1.0, CLAVE_ERR_ARG,
                     "secagg sim: dropout %zu outside [0,1]", i);
    }
    s.o = opts;
    s.rep = report;
    s.n = opts->params.client_count;
    CLAVE_CHECK(setup(&s));
    report->status = CLAVE_OK;
    for (int r = 1; r <= ROUNDS && report->status == CLAVE_OK; r++) {
        if (r > 1) {
            CLAVE_CHECK(drop_some(&s, opts->dropout[r - 2]));
        }
        report->status = run_round(&s, r);
        if (r == 2 || r == 3) {
            memcpy(r == 2 ? s.shared : s.masked, s.active, s.n);
        }
    }
    finish(&s);
    st = CLAVE_OK;
done:
    teardown(&s);
    return st;
}
