/* SPDX-License-Identifier: Apache-2.0 */
/*
 * In-process federation: N clients and the aggregator exchange encoded messages (the same bytes a
 * transport would carry). Faults: a fraction of the selected clients drop after local training
 * (before sending the update, or under SecAgg+ before the masked input: a mid-protocol dropout
 * recovered by unmasking); hostile clients replace one message per round with a malformed or
 * oversized one; silent clients never report. Under Paillier a key holder object (generating the
 * run's key) decrypts the round's sum; the aggregator and clients get only its public key.
 */
#include "core/check.h"
#include "fl/msg.h"
#include "ml/stream.h"

#include <clave/fl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FL_SIM_DROP_LABEL "clave fl v1 sim dropouts"
#define FL_SIM_OVERSIZE ((size_t)1 << 20)

struct clave_fl_sim {
    struct clave_fl_config cfg;
    struct clave_fl_sim_faults faults;
    struct clave_pkey **keys;
    const struct clave_pkey **directory;
    struct clave_fl_client **clients;
    struct clave_fl_server *server;
    struct clave_fl_keyholder *keyholder; /* paillier */
    struct ml_stream drops;
    uint8_t *dropped; /* per client, this round */
    uint32_t *ids;
    uint32_t round;
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The key holder makes the run's key; its public key goes to the aggregator and every client. */
static clave_status share_paillier_key(struct clave_fl_sim *sim)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t *pub = NULL;
    size_t len = 0;
    CLAVE_CHECK(clave_fl_keyholder_new(&sim->cfg, &sim->keyholder));
    CLAVE_CHECK(clave_fl_keyholder_public_key(sim->keyholder, &pub, &len));
    CLAVE_CHECK(clave_fl_server_set_paillier_key(sim->server, pub, len));
    for (uint32_t i = 0; i < sim->cfg.clients; i++) {
        CLAVE_CHECK(clave_fl_client_set_paillier_key(sim->clients[i], pub, len));
    }
    st = CLAVE_OK;
done:
    free(pub);
    return st;
}

static clave_status make_parties(struct clave_fl_sim *sim, struct clave_ml_dataset *const *train,
                                 struct clave_ml_dataset *const *test,
                                 struct clave_dp_ledger *ledger,
                                 const struct clave_dp_budget_key *key)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint32_t n = sim->cfg.clients;
    sim->keys = calloc(n, sizeof(*sim->keys));
    sim->directory = calloc(n, sizeof(*sim->directory));
    sim->clients = calloc(n, sizeof(*sim->clients));
    sim->dropped = calloc(n, 1);
    sim->ids = calloc(n, sizeof(uint32_t));
    CLAVE_ENSURE(sim->keys != NULL && sim->directory != NULL && sim->clients != NULL &&
                     sim->dropped != NULL && sim->ids != NULL,
                 CLAVE_ERR_NOMEM, "out of memory");
    for (uint32_t i = 0; i < n; i++) {
        CLAVE_CHECK(clave_pkey_generate(CLAVE_PKEY_ED25519, &sim->keys[i]));
        sim->directory[i] = sim->keys[i];
    }
    for (uint32_t i = 0; i < n; i++) {
        CLAVE_ENSURE(train[i] != NULL, CLAVE_ERR_ARG, "fl sim: no data for client %u", i + 1);
        CLAVE_CHECK(clave_fl_client_new(&sim->cfg, i + 1, sim->keys[i], sim->directory, train[i],
                                        test != NULL ? test[i] : NULL, &sim->clients[i]));
    }
    CLAVE_CHECK(clave_fl_server_new(&sim->cfg, sim->directory, ledger, key, &sim->server));
    if (sim->cfg.protection == CLAVE_FL_PAILLIER) {
        CLAVE_CHECK(share_paillier_key(sim));
    }
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_fl_sim_new(const struct clave_fl_config *cfg,
                              struct clave_ml_dataset *const *train,
                              struct clave_ml_dataset *const *test,
                              const struct clave_fl_sim_faults *faults,
                              struct clave_dp_ledger *ledger, const struct clave_dp_budget_key *key,
                              struct clave_fl_sim **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_fl_sim *sim = NULL;
    CLAVE_ENSURE(out != NULL, CLAVE_ERR_ARG, "fl sim: NULL argument");
    *out = NULL;
    CLAVE_ENSURE(cfg != NULL && train != NULL, CLAVE_ERR_ARG, "fl sim: NULL argument");
    CLAVE_CHECK(clave_fl_config_check(cfg));
    sim = calloc(1, sizeof(*sim));
    CLAVE_ENSURE_ALLOC(sim);
    sim->cfg = *cfg;
    if (faults != NULL) {
        sim->faults = *faults;
    }
    CLAVE_ENSURE(sim->faults.dropout >= 0.0 && sim->faults.dropout <= 1.0 &&
                     sim->faults.malicious <= cfg->clients &&
                     sim->faults.silent <= cfg->clients - sim->faults.malicious,
                 CLAVE_ERR_ARG, "fl sim: faults out of range");
    CLAVE_CHECK(ml__stream_init(&sim->drops, cfg->seed, FL_SIM_DROP_LABEL));
    CLAVE_CHECK(make_parties(sim, train, test, ledger, key));
    *out = sim;
    sim = NULL;
    st = CLAVE_OK;
done:
    clave_fl_sim_free(sim);
    return st;
}

void clave_fl_sim_free(struct clave_fl_sim *sim)
{
    if (sim == NULL) {
        return;
    }
    clave_fl_server_free(sim->server);
    clave_fl_keyholder_free(sim->keyholder);
    for (uint32_t i = 0; sim->clients != NULL && i < sim->cfg.clients; i++) {
        clave_fl_client_free(sim->clients[i]);
    }
    for (uint32_t i = 0; sim->keys != NULL && i < sim->cfg.clients; i++) {
        clave_pkey_free(sim->keys[i]);
    }
    ml__stream_clear(&sim->drops);
    free(sim->keys);
    free(sim->directory);
    free(sim->clients);
    free(sim->dropped);
    free(sim->ids);
    free(sim);
}

struct clave_ml_model *clave_fl_sim_model(struct clave_fl_sim *sim)
{
    return clave_fl_server_model(sim->server);
}

/* Pick round(dropout * count) of the participants to drop this round. */
static void pick_dropouts(struct clave_fl_sim *sim, size_t count)
{
    memset(sim->dropped, 0, sim->cfg.clients);
    size_t want = (size_t)llround(sim->faults.dropout * (double)count);
    for (size_t k = 0; k < want; k++) {
        for (;;) {
            size_t j = (size_t)ml__stream_below(&sim->drops, count);
            if (!sim->dropped[sim->ids[j] - 1]) {
                sim->dropped[sim->ids[j] - 1] = 1;
                break;
            }
        }
    }
}

/* A hostile replacement of `*msg`: truncated, oversized, a non-finite or out-of-bound value, a
 * shortened secagg payload or a wrong round. */
static clave_status corrupt(const struct clave_fl_sim *sim, uint32_t id, uint8_t **msg, size_t *len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    bool plain = sim->cfg.protection == CLAVE_FL_PLAIN;
    bool he = sim->cfg.protection == CLAVE_FL_PAILLIER;
    switch ((sim->round + id) % 4) {
    case 0:
        *len /= 2;
        break;
    case 1: {
        uint8_t *big = realloc(*msg, *len + FL_SIM_OVERSIZE);
        CLAVE_ENSURE_ALLOC(big);
        memset(big + *len, 0xa5, FL_SIM_OVERSIZE);
        *msg = big;
        *len += FL_SIM_OVERSIZE;
        break;
    }
    case 2:
        if (plain) { /* the first value becomes NaN */
            memset(*msg + FL_HEADER_LEN + FL_UPDATE_FIXED_LEN, 0xff, 8);
        } else { /* payload or vector shortened by 8 bytes, length prefix adjusted */
            size_t at = FL_HEADER_LEN + (he ? FL_HE_FIXED_LEN : 0);
            uint32_t n = (uint32_t)(*len - at - 4 - 8);
            for (size_t i = 0; i < 4; i++) {
                (*msg)[at + i] = (uint8_t)(n >> (8 * i));
            }
            *len -= 8;
        }
        break;
    default:
        if (plain) { /* the first value far beyond any bound: 2^60 */
            static const uint8_t HUGE_VALUE[8] = {0, 0, 0, 0, 0, 0, 0xb0, 0x43};
            memcpy(*msg + FL_HEADER_LEN + FL_UPDATE_FIXED_LEN, HUGE_VALUE, 8);
        } else {
            (*msg)[24] ^= 1; /* round */
        }
        break;
    }
    st = CLAVE_OK;
done:
    return st;
}

/* One client's turn: message out, reply back (unless it drops or stays silent). */
static void turn(struct clave_fl_sim *sim, uint32_t id, bool deliver, bool hostile)
{
    uint8_t *in = NULL, *out = NULL;
    size_t in_len = 0, out_len = 0;
    if (clave_fl_server_message(sim->server, id, &in, &in_len) != CLAVE_OK ||
        clave_fl_client_handle(sim->clients[id - 1], in, in_len, &out, &out_len) != CLAVE_OK) {
        deliver = false; /* a failing client is a dropout */
    }
    if (deliver && hostile && corrupt(sim, id, &out, &out_len) != CLAVE_OK) {
        deliver = false;
    }
    if (deliver) {
        clave_status rejected = clave_fl_server_receive(sim->server, out, out_len);
        (void)rejected; /* the aggregator counts rejections in its report */
    }
    free(in);
    free(out);
}

static clave_status run_phase(struct clave_fl_sim *sim, clave_fl_phase phase)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    size_t count = 0;
    bool sa = sim->cfg.protection == CLAVE_FL_SECAGG;
    /* The step where an update (plain) or masked input (secagg) is sent. */
    bool update_step = phase == (sa ? CLAVE_FL_PHASE_SA_MASKED : CLAVE_FL_PHASE_TRAIN);
    CLAVE_CHECK(clave_fl_server_participants(sim->server, sim->ids, sim->cfg.clients, &count));
    if (phase == CLAVE_FL_PHASE_TRAIN) {
        pick_dropouts(sim, count);
    }
    for (size_t i = 0; i < count; i++) {
        uint32_t id = sim->ids[i];
        bool malicious = id <= sim->faults.malicious;
        bool silent =
            id > sim->faults.malicious && id <= sim->faults.malicious + sim->faults.silent;
        bool gone = phase != CLAVE_FL_PHASE_EVAL && update_step && (sim->dropped[id - 1] || silent);
        turn(sim, id, !gone, malicious && update_step);
    }
    CLAVE_CHECK(clave_fl_server_close_phase(sim->server));
    st = CLAVE_OK;
done:
    return st;
}

/* The key holder decrypts the round's sum; any failure leaves the round to abort on close. */
static clave_status decrypt_round(struct clave_fl_sim *sim)
{
    uint8_t *req = NULL, *reply = NULL;
    size_t req_len = 0, reply_len = 0;
    if (clave_fl_server_keyholder_request(sim->server, &req, &req_len) == CLAVE_OK &&
        clave_fl_keyholder_handle(sim->keyholder, req, req_len, &reply, &reply_len) == CLAVE_OK) {
        clave_status applied = clave_fl_server_keyholder_reply(sim->server, reply, reply_len);
        (void)applied; /* on failure the phase is still open and closes as aborted */
    }
    free(req);
    free(reply);
    if (clave_fl_server_phase(sim->server) == CLAVE_FL_PHASE_HE_DECRYPT) {
        return clave_fl_server_close_phase(sim->server);
    }
    return CLAVE_OK;
}

clave_status clave_fl_sim_round(struct clave_fl_sim *sim, bool evaluate,
                                struct clave_fl_round_report *report, double *seconds,
                                double *secagg_seconds)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    double t0 = now(), sa_time = 0.0;
    CLAVE_ENSURE(sim != NULL && report != NULL, CLAVE_ERR_ARG, "fl sim: NULL argument");
    memset(report, 0, sizeof(*report));
    CLAVE_CHECK(clave_fl_server_begin_round(sim->server));
    sim->round++;
    CLAVE_CHECK(run_phase(sim, CLAVE_FL_PHASE_TRAIN));
    for (;;) {
        clave_fl_phase ph = clave_fl_server_phase(sim->server);
        if (ph < CLAVE_FL_PHASE_SA_SHARE || ph > CLAVE_FL_PHASE_SA_UNMASK) {
            break;
        }
        double t1 = now();
        CLAVE_CHECK(run_phase(sim, ph));
        sa_time += now() - t1;
    }
    if (clave_fl_server_phase(sim->server) == CLAVE_FL_PHASE_HE_DECRYPT) {
        double t1 = now();
        CLAVE_CHECK(decrypt_round(sim));
        sa_time += now() - t1;
    }
    if (evaluate) {
        CLAVE_CHECK(clave_fl_server_begin_eval(sim->server));
        CLAVE_CHECK(run_phase(sim, CLAVE_FL_PHASE_EVAL));
    }
    *report = clave_fl_server_report(sim->server);
    if (seconds != NULL) {
        *seconds = now() - t0;
    }
    if (secagg_seconds != NULL) {
        *secagg_seconds = sa_time;
    }
    st = CLAVE_OK;
done:
    return st;
}
