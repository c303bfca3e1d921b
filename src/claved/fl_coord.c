/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The coordinator's federations (fl_coord.h): joining, the phase clock around clave_fl_server,
 * per-client messages and the round history with one audit entry per round.
 */
#include "fl_coord.h"

#include "audit_hook.h"
#include "core/check.h"
#include "fl_budget.h"
#include "kbs_db.h"

#include <clave/contract.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FL_MAX_FEDERATIONS 256
#define FL_PARTY_MAX 64
#define FL_ADVANCE_STEPS 8 /* phases closed by one request at most (a loop guard) */

struct fl_client {
    char user_id[CLAVED_ID_LEN + 1];
    char party[FL_PARTY_MAX + 1];
    uint8_t key[CLAVED_FL_KEY_LEN];
    uint8_t *statement; /* the party's client-key statement (COSE_Sign1) */
    size_t statement_len;
    struct clave_pkey *pkey;
    uint64_t answered; /* phase_seq of its last answer, 0 for none */
    uint64_t cached;   /* phase_seq of `msg`, 0 for none */
    uint8_t *msg;
    size_t msg_len;
};

/* PAILLIER: the contract's key_holder party, as registered by one of its users. */
struct fl_keyholder {
    char user_id[CLAVED_ID_LEN + 1];
    uint8_t *pub; /* the run's Paillier public key (CLHE binary) */
    size_t pub_len;
    uint8_t *statement; /* the key holder's statement over its SHA-256 (COSE_Sign1) */
    size_t statement_len;
    bool registered;
    uint64_t answered; /* phase_seq of its last SUM (or attempt), 0 for none */
};

struct fl_row {
    struct clave_fl_round_report r;
    double seconds; /* the round's wall time (evaluation excluded) */
    bool final;     /* nothing more will be filled in */
};

struct claved_fl_fed {
    char contract[65];
    struct clave_fl_contract_spec spec;
    enum claved_fl_state state;
    char reason[256];
    uint32_t joined;
    struct fl_client *clients;
    const struct clave_pkey **directory;
    uint32_t *ids; /* scratch for the participants */
    struct clave_fl_server *server;
    uint64_t phase_seq; /* bumped at every phase close; starts at 1 */
    bool phase_open;
    int64_t deadline_ms, started_ms, round_started_ms, finished_ms;
    struct fl_row *rows;
    uint32_t row_count;
    struct claved_fl_budget budget; /* client-level DP: per-party debits (fl_budget.h) */
    struct fl_keyholder keyholder;  /* PAILLIER only */
    struct claved_fl_fed *next;
};

struct claved_fl {
    pthread_mutex_t mu;
    struct claved_fl_fed *head;
    size_t count;
};

clave_status claved_fl_new(struct claved_fl **out)
{
    struct claved_fl *fl = calloc(1, sizeof(*fl));
    *out = NULL;
    if (fl == NULL) {
        return CLAVE_ERR_NOMEM;
    }
    if (pthread_mutex_init(&fl->mu, NULL) != 0) {
        free(fl);
        return CLAVE_ERR_INTERNAL;
    }
    *out = fl;
    return CLAVE_OK;
}

static void fed_free(struct claved_fl_fed *f)
{
    for (uint32_t i = 0; f->clients != NULL && i < f->spec.run.cfg.clients; i++) {
        clave_pkey_free(f->clients[i].pkey);
        free(f->clients[i].msg);
        free(f->clients[i].statement);
    }
    claved_fl_budget_clear(&f->budget);
    free(f->keyholder.pub);
    free(f->keyholder.statement);
    clave_fl_server_free(f->server);
    free(f->clients);
    free(f->directory);
    free(f->ids);
    free(f->rows);
    free(f);
}

void claved_fl_free(struct claved_fl *fl)
{
    if (fl == NULL) {
        return;
    }
    while (fl->head != NULL) {
        struct claved_fl_fed *next = fl->head->next;
        fed_free(fl->head);
        fl->head = next;
    }
    pthread_mutex_destroy(&fl->mu);
    free(fl);
}

void claved_fl_lock(struct claved_fl *fl)
{
    pthread_mutex_lock(&fl->mu);
}

void claved_fl_unlock(struct claved_fl *fl)
{
    pthread_mutex_unlock(&fl->mu);
}

struct claved_fl_fed *claved_fl_find(struct claved_fl *fl, const char *contract)
{
    for (struct claved_fl_fed *f = fl->head; f != NULL; f = f->next) {
        if (strcmp(f->contract, contract) == 0) {
            return f;
        }
    }
    return NULL;
}

clave_status claved_fl_create(struct claved_fl *fl, const char *contract, const char *collaboration,
                              const struct clave_fl_contract_spec *spec, struct claved_fl_fed **out)
{
    uint32_t n = spec->run.cfg.clients;
    *out = NULL;
    if (fl->count >= FL_MAX_FEDERATIONS || strlen(contract) >= sizeof((*out)->contract)) {
        return CLAVE_ERR_LIMIT;
    }
    struct claved_fl_fed *f = calloc(1, sizeof(*f));
    if (f == NULL) {
        return CLAVE_ERR_NOMEM;
    }
    memcpy(f->contract, contract, strlen(contract) + 1);
    f->spec = *spec;
    f->clients = calloc(n, sizeof(*f->clients));
    f->directory = calloc(n, sizeof(*f->directory));
    f->ids = calloc(n, sizeof(*f->ids));
    f->rows = calloc(spec->run.cfg.rounds, sizeof(*f->rows));
    clave_status st = claved_fl_budget_init(&f->budget, collaboration, contract, n);
    if (st != CLAVE_OK || f->clients == NULL || f->directory == NULL || f->ids == NULL ||
        f->rows == NULL) {
        fed_free(f);
        return st != CLAVE_OK ? st : CLAVE_ERR_NOMEM;
    }
    f->phase_seq = 1;
    f->next = fl->head;
    fl->head = f;
    fl->count++;
    *out = f;
    return CLAVE_OK;
}

enum claved_fl_state claved_fl_state(const struct claved_fl_fed *f)
{
    return f->state;
}

const struct clave_fl_contract_spec *claved_fl_spec(const struct claved_fl_fed *f)
{
    return &f->spec;
}

static void stop(struct claved_fl_fed *f, enum claved_fl_state state, const char *reason)
{
    f->state = state;
    f->phase_open = false;
    f->finished_ms = claved_now_ms();
    snprintf(f->reason, sizeof(f->reason), "%s", reason);
}

static bool audit(struct claved_ctx *ctx, struct claved_fl_fed *f, const char *event,
                  const struct clave_log_field *fields, size_t n)
{
    if (claved_audit(ctx, event, fields, n) != CLAVE_OK) {
        stop(f, CLAVED_FL_FAILED, "the audit ledger is unavailable: stopped");
        return false;
    }
    return true;
}

static clave_status start(struct claved_ctx *ctx, struct claved_fl_fed *f)
{
    for (uint32_t i = 0; i < f->spec.run.cfg.clients; i++) {
        f->directory[i] = f->clients[i].pkey;
    }
    clave_status st = clave_fl_server_new(&f->spec.run.cfg, f->directory, NULL, NULL, &f->server);
    if (st == CLAVE_OK && f->spec.run.cfg.protection == CLAVE_FL_PAILLIER) {
        /* Checked again here (modulus, packing): the aggregator adds under this key only. */
        st = clave_fl_server_set_paillier_key(f->server, f->keyholder.pub, f->keyholder.pub_len);
    }
    if (st != CLAVE_OK) {
        stop(f, CLAVED_FL_FAILED, "the aggregator could not start");
        return st;
    }
    f->state = CLAVED_FL_RUNNING;
    f->started_ms = claved_now_ms();
    struct clave_log_field fields[] = {{"contract", f->contract}};
    if (audit(ctx, f, "fl.start", fields, 1)) {
        claved_fl_advance(ctx, f);
    }
    return CLAVE_OK;
}

/* Every client joined and, under PAILLIER, the key holder registered: round 1 may start. */
static bool ready(const struct claved_fl_fed *f)
{
    return f->joined == f->spec.run.cfg.clients &&
           (f->spec.run.cfg.protection != CLAVE_FL_PAILLIER || f->keyholder.registered);
}

clave_status claved_fl_join(struct claved_ctx *ctx, struct claved_fl_fed *f,
                            const struct claved_fl_joiner *j, uint32_t *id)
{
    const char *party = j->party;
    *id = 0;
    if (f->state != CLAVED_FL_JOINING || f->joined >= f->spec.run.cfg.clients) {
        return CLAVE_ERR_LIMIT;
    }
    for (uint32_t i = 0; i < f->joined; i++) {
        if (memcmp(f->clients[i].key, j->key, CLAVED_FL_KEY_LEN) == 0) { // lint:public
            return CLAVE_ERR_EXISTS;
        }
    }
    struct fl_client *c = &f->clients[f->joined];
    clave_status st =
        clave_pkey_from_raw_public(CLAVE_PKEY_ED25519, j->key, CLAVED_FL_KEY_LEN, &c->pkey);
    c->statement = st == CLAVE_OK ? malloc(j->statement_len) : NULL;
    if (st == CLAVE_OK && c->statement == NULL) {
        st = CLAVE_ERR_NOMEM;
    }
    if (st == CLAVE_OK && f->spec.run.cfg.dp != CLAVE_FL_DP_NONE) {
        st = claved_fl_budget_add(&f->budget, party, j->epsilon_cap, j->delta_cap);
    }
    if (st != CLAVE_OK) {
        clave_pkey_free(c->pkey);
        free(c->statement);
        c->pkey = NULL;
        c->statement = NULL;
        return st == CLAVE_ERR_LIMIT ? CLAVE_ERR_INTERNAL : st;
    }
    memcpy(c->statement, j->statement, j->statement_len);
    c->statement_len = j->statement_len;
    memcpy(c->key, j->key, CLAVED_FL_KEY_LEN);
    snprintf(c->user_id, sizeof(c->user_id), "%s", ctx->who.user_id);
    snprintf(c->party, sizeof(c->party), "%s", party);
    *id = ++f->joined;
    char id_text[16];
    snprintf(id_text, sizeof(id_text), "%u", *id);
    struct clave_log_field fields[] = {
        {"contract", f->contract}, {"client", id_text}, {"party", party}};
    if (!audit(ctx, f, "fl.join", fields, 3)) {
        return CLAVE_ERR_STORE;
    }
    return ready(f) ? start(ctx, f) : CLAVE_OK;
}

clave_status claved_fl_keyholder_register(struct claved_ctx *ctx, struct claved_fl_fed *f,
                                          const uint8_t *pub, size_t pub_len,
                                          const uint8_t *statement, size_t statement_len)
{
    struct fl_keyholder *k = &f->keyholder;
    if (f->spec.run.cfg.protection != CLAVE_FL_PAILLIER || f->state != CLAVED_FL_JOINING) {
        return CLAVE_ERR_STATE;
    }
    if (k->registered) {
        return CLAVE_ERR_EXISTS;
    }
    k->pub = malloc(pub_len);
    k->statement = malloc(statement_len);
    if (k->pub == NULL || k->statement == NULL) {
        free(k->pub);
        free(k->statement);
        k->pub = k->statement = NULL;
        return CLAVE_ERR_NOMEM;
    }
    memcpy(k->pub, pub, pub_len);
    memcpy(k->statement, statement, statement_len);
    k->pub_len = pub_len;
    k->statement_len = statement_len;
    snprintf(k->user_id, sizeof(k->user_id), "%s", ctx->who.user_id);
    k->registered = true;
    struct clave_log_field fields[] = {{"contract", f->contract}, {"party", f->spec.key_holder}};
    if (!audit(ctx, f, "fl.keyholder", fields, 2)) {
        return CLAVE_ERR_STORE;
    }
    return ready(f) ? start(ctx, f) : CLAVE_OK;
}

bool claved_fl_keyholder_of(const struct claved_fl_fed *f, const char *user_id)
{
    return f->keyholder.registered && strcmp(f->keyholder.user_id, user_id) == 0;
}

bool claved_fl_client_of(const struct claved_fl_fed *f, uint32_t id, const char *user_id)
{
    return id >= 1 && id <= f->joined && strcmp(f->clients[id - 1].user_id, user_id) == 0;
}

/* Participants of the open phase that have not answered yet. */
static size_t pending(struct claved_fl_fed *f)
{
    size_t count = 0, waiting = 0;
    if (clave_fl_server_phase(f->server) == CLAVE_FL_PHASE_HE_DECRYPT) {
        return f->keyholder.answered != f->phase_seq; /* only the key holder is asked */
    }
    if (clave_fl_server_participants(f->server, f->ids, f->spec.run.cfg.clients, &count) !=
        CLAVE_OK) {
        return 0;
    }
    for (size_t i = 0; i < count; i++) {
        waiting += f->clients[f->ids[i] - 1].answered != f->phase_seq;
    }
    return waiting;
}

static void open_phase(struct claved_fl_fed *f)
{
    f->phase_open = true;
    f->deadline_ms = claved_now_ms() + (int64_t)f->spec.round_timeout_s * 1000;
}

/* The round just closed: its row, and the audit entry (round, clients, model hash). */
static bool record_round(struct claved_ctx *ctx, struct claved_fl_fed *f)
{
    struct clave_fl_round_report r = clave_fl_server_report(f->server);
    uint8_t *bytes = NULL;
    size_t len = 0;
    uint8_t sha[32];
    char hex[65] = "", round[16], clients[32], rejected[16], eps[32];
    if (r.round == 0 || r.round > f->spec.run.cfg.rounds) {
        return false;
    }
    struct fl_row *row = &f->rows[r.round - 1];
    row->r = r;
    row->seconds = (double)(claved_now_ms() - f->round_started_ms) / 1000.0;
    f->row_count = r.round;
    if (clave_ml_model_save(clave_fl_server_model(f->server), &bytes, &len) == CLAVE_OK &&
        clave_hash(CLAVE_HASH_SHA256, bytes, len, sha, sizeof(sha)) == CLAVE_OK &&
        clave_hex_encode(sha, sizeof(sha), hex, sizeof(hex)) == CLAVE_OK) {
        /* hex filled */
    }
    free(bytes);
    snprintf(round, sizeof(round), "%u", r.round);
    snprintf(clients, sizeof(clients), "%u/%u", r.reported, r.selected);
    snprintf(rejected, sizeof(rejected), "%u", r.rejected);
    snprintf(eps, sizeof(eps), "%.6f", r.epsilon);
    struct clave_log_field fields[] = {{"contract", f->contract},
                                       {"round", round},
                                       {"clients", clients},
                                       {"rejected", rejected},
                                       {"aborted", r.aborted ? "true" : "false"},
                                       {"model_sha256", hex},
                                       {"epsilon", eps}};
    return audit(ctx, f, "fl.round", fields, sizeof(fields) / sizeof(fields[0]));
}

static bool eval_due(const struct claved_fl_fed *f, uint32_t round)
{
    uint32_t every = f->spec.run.eval_every;
    return round == f->spec.run.cfg.rounds || (every > 0 && round % every == 0);
}

/* The phase `before` just closed: open what follows it (a SecAgg+ step, the key holder's
 * decryption, the evaluation, or nothing). */
static void phase_closed(struct claved_ctx *ctx, struct claved_fl_fed *f, clave_fl_phase before)
{
    f->phase_seq++;
    f->phase_open = false;
    clave_fl_phase after = clave_fl_server_phase(f->server);
    struct clave_fl_round_report r = clave_fl_server_report(f->server);
    if (before == CLAVE_FL_PHASE_EVAL) {
        if (r.round >= 1 && r.round <= f->spec.run.cfg.rounds) {
            f->rows[r.round - 1].r = r;
            f->rows[r.round - 1].final = true;
        }
    } else if (after == CLAVE_FL_PHASE_IDLE || after == CLAVE_FL_PHASE_DONE) {
        if (!record_round(ctx, f)) {
            return;
        }
        if (eval_due(f, r.round) && clave_fl_server_begin_eval(f->server) == CLAVE_OK) {
            open_phase(f);
        } else {
            f->rows[r.round - 1].final = true;
        }
    } else {
        open_phase(f); /* the next SecAgg+ step, or the key holder's decryption */
    }
}

/* Close the open phase with the answers received so far. */
static void close_phase(struct claved_ctx *ctx, struct claved_fl_fed *f)
{
    clave_fl_phase before = clave_fl_server_phase(f->server);
    if (clave_fl_server_close_phase(f->server) != CLAVE_OK) {
        stop(f, CLAVED_FL_FAILED, "the aggregator failed to close a phase");
        return;
    }
    phase_closed(ctx, f, before);
}

/* Client-level DP: the parties pay for the next round before it starts, so a refused debit
 * leaves that round's model uncomputed. False when the round must not begin (stopped, or the
 * store is down: retried on the next request, charging only the parties that have not paid). */
static bool pay_round(struct claved_ctx *ctx, struct claved_fl_fed *f)
{
    const struct clave_fl_config *cfg = &f->spec.run.cfg;
    uint32_t round = clave_fl_server_report(f->server).round + 1;
    double eps = 0.0;
    char why[200];
    if (cfg->dp == CLAVE_FL_DP_NONE) {
        return true;
    }
    if (clave_fl_dp_epsilon(cfg, round, &eps) == CLAVE_OK && cfg->dp_epsilon_budget > 0.0 &&
        eps > cfg->dp_epsilon_budget) {
        stop(f, CLAVED_FL_DONE, "privacy budget spent: the contract's dp.epsilon_budget");
        return false;
    }
    clave_status st = claved_fl_budget_pay(ctx, &f->budget, cfg, round, why, sizeof(why));
    if (st == CLAVE_ERR_LIMIT) {
        stop(f, CLAVED_FL_DONE, why);
    } else if (st != CLAVE_OK && st != CLAVE_ERR_STORE && st != CLAVE_ERR_CONFLICT) {
        stop(f, CLAVED_FL_FAILED, "the budget ledger refused a debit: stopped");
    }
    return st == CLAVE_OK;
}

/* Begin the next round, if the contract is still active and the federation not finished. */
static void next_round(struct claved_ctx *ctx, struct claved_fl_fed *f)
{
    struct clave_contract *c = NULL;
    struct clave_contract_verdict v;
    char reason[160];
    if (clave_fl_server_phase(f->server) == CLAVE_FL_PHASE_DONE) {
        stop(f, CLAVED_FL_DONE, "all rounds done");
        return;
    }
    if (claved_kbs_contract_load(ctx->store, f->contract, &c) != CLAVE_OK) {
        return; /* the store is down: try again on the next request */
    }
    clave_contract_status(c, (uint64_t)ctx->now, &v);
    clave_contract_free(c);
    if (v.state != CLAVE_CONTRACT_ACTIVE) {
        snprintf(reason, sizeof(reason), "the contract is %s", clave_contract_state_name(v.state));
        stop(f, CLAVED_FL_DONE, reason);
        return;
    }
    if (!pay_round(ctx, f)) {
        return;
    }
    clave_status st = clave_fl_server_begin_round(f->server);
    if (st == CLAVE_ERR_LIMIT) {
        stop(f, CLAVED_FL_DONE, "privacy budget spent: the contract's dp.epsilon_budget");
    } else if (st == CLAVE_ERR_STATE) {
        stop(f, CLAVED_FL_DONE, "all rounds done");
    } else if (st != CLAVE_OK) {
        stop(f, CLAVED_FL_FAILED, "the aggregator could not begin a round");
    } else {
        f->round_started_ms = claved_now_ms();
        open_phase(f);
    }
}

void claved_fl_advance(struct claved_ctx *ctx, struct claved_fl_fed *f)
{
    for (int step = 0; step < FL_ADVANCE_STEPS && f->state == CLAVED_FL_RUNNING; step++) {
        if (f->phase_open) {
            if (pending(f) > 0 && claved_now_ms() < f->deadline_ms) {
                return;
            }
            close_phase(ctx, f);
        } else {
            next_round(ctx, f);
            if (!f->phase_open) {
                return;
            }
        }
    }
}

clave_status claved_fl_message(struct claved_fl_fed *f, uint32_t id, uint8_t **msg, size_t *len)
{
    *msg = NULL;
    *len = 0;
    if (f->state != CLAVED_FL_RUNNING || !f->phase_open || id < 1 || id > f->joined) {
        return CLAVE_ERR_NOT_FOUND;
    }
    struct fl_client *c = &f->clients[id - 1];
    if (c->answered == f->phase_seq) {
        return CLAVE_ERR_NOT_FOUND;
    }
    if (c->cached != f->phase_seq) {
        uint8_t *m = NULL;
        size_t n = 0;
        if (clave_fl_server_message(f->server, id, &m, &n) != CLAVE_OK) {
            return CLAVE_ERR_NOT_FOUND;
        }
        free(c->msg);
        c->msg = m;
        c->msg_len = n;
        c->cached = f->phase_seq;
    }
    *msg = malloc(c->msg_len);
    if (*msg == NULL) {
        return CLAVE_ERR_NOMEM;
    }
    memcpy(*msg, c->msg, c->msg_len);
    *len = c->msg_len;
    return CLAVE_OK;
}

clave_status claved_fl_answer(struct claved_ctx *ctx, struct claved_fl_fed *f, uint32_t id,
                              const uint8_t *msg, size_t len, char *why, size_t cap)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint32_t sender = 0, round = 0;
    CLAVE_ENSURE(f->state == CLAVED_FL_RUNNING && f->phase_open, CLAVE_ERR_STATE,
                 "fl: no phase open");
    CLAVE_CHECK(clave_fl_message_peek(msg, len, &sender, &round));
    /* Checked before the aggregator sees it: nobody answers, or gets dropped, for another. */
    CLAVE_ENSURE(sender == id, CLAVE_ERR_FORMAT, "fl: the message names client %u, not %u", sender,
                 id);
    CLAVE_ENSURE(round == clave_fl_server_report(f->server).round, CLAVE_ERR_STATE,
                 "fl: late message (round %u) ignored", round);
    CLAVE_ENSURE(f->clients[id - 1].answered != f->phase_seq, CLAVE_ERR_EXISTS,
                 "fl: client %u already answered in this phase", id);
    f->clients[id - 1].answered = f->phase_seq;
    st = clave_fl_server_receive(f->server, msg, len);
done:
    snprintf(why, cap, "%s", st == CLAVE_OK ? "accepted" : clave_error_last().detail);
    claved_fl_advance(ctx, f);
    return st;
}

clave_status claved_fl_keyholder_message(struct claved_fl_fed *f, uint8_t **msg, size_t *len)
{
    *msg = NULL;
    *len = 0;
    if (f->state != CLAVED_FL_RUNNING || !f->phase_open ||
        clave_fl_server_phase(f->server) != CLAVE_FL_PHASE_HE_DECRYPT ||
        f->keyholder.answered == f->phase_seq) {
        return CLAVE_ERR_NOT_FOUND;
    }
    return clave_fl_server_keyholder_request(f->server, msg, len) == CLAVE_OK ? CLAVE_OK
                                                                              : CLAVE_ERR_NOT_FOUND;
}

clave_status claved_fl_keyholder_answer(struct claved_ctx *ctx, struct claved_fl_fed *f,
                                        const uint8_t *msg, size_t len, char *why, size_t cap)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(f->state == CLAVED_FL_RUNNING && f->phase_open &&
                     clave_fl_server_phase(f->server) == CLAVE_FL_PHASE_HE_DECRYPT,
                 CLAVE_ERR_STATE, "fl: no sum is awaited");
    CLAVE_ENSURE(f->keyholder.answered != f->phase_seq, CLAVE_ERR_EXISTS,
                 "fl: the key holder already answered for this round");
    /* One attempt per round: a rejected SUM leaves the phase to close as aborted. */
    f->keyholder.answered = f->phase_seq;
    CLAVE_CHECK(clave_fl_server_keyholder_reply(f->server, msg, len));
    phase_closed(ctx, f, CLAVE_FL_PHASE_HE_DECRYPT);
    st = CLAVE_OK;
done:
    snprintf(why, cap, "%s", st == CLAVE_OK ? "accepted" : clave_error_last().detail);
    claved_fl_advance(ctx, f);
    return st;
}

/* PAILLIER: the key holder's key and statement (null until it registers). */
static json_t *keyholder_json(const struct claved_fl_fed *f)
{
    char *pub = NULL, *st64 = NULL;
    json_t *o = NULL;
    if (!f->keyholder.registered) {
        return json_null();
    }
    if (clave_b64_encode_alloc(CLAVE_B64URL, f->keyholder.pub, f->keyholder.pub_len, &pub) ==
            CLAVE_OK &&
        clave_b64_encode_alloc(CLAVE_B64URL, f->keyholder.statement, f->keyholder.statement_len,
                               &st64) == CLAVE_OK) {
        o = json_pack("{s:s,s:s,s:s}", "party", f->spec.key_holder, "public_key", pub, "statement",
                      st64);
    }
    free(pub);
    free(st64);
    return o;
}

json_t *claved_fl_directory_json(const struct claved_fl_fed *f)
{
    json_t *dir = json_array();
    for (uint32_t i = 0; dir != NULL && i < f->joined; i++) {
        char *b64 = NULL;
        if (clave_b64_encode_alloc(CLAVE_B64URL, f->clients[i].key, CLAVED_FL_KEY_LEN, &b64) !=
            CLAVE_OK) {
            json_decref(dir);
            return NULL;
        }
        char *st64 = NULL;
        if (clave_b64_encode_alloc(CLAVE_B64URL, f->clients[i].statement,
                                   f->clients[i].statement_len, &st64) != CLAVE_OK) {
            free(b64);
            json_decref(dir);
            return NULL;
        }
        json_array_append_new(dir,
                              json_pack("{s:I,s:s,s:s,s:s}", "client", (json_int_t)(i + 1), "party",
                                        f->clients[i].party, "public_key", b64, "statement", st64));
        free(b64);
        free(st64);
    }
    json_t *doc = json_pack("{s:I,s:I,s:o*}", "clients", (json_int_t)f->spec.run.cfg.clients,
                            "joined", (json_int_t)f->joined, "directory", dir);
    if (doc != NULL && f->spec.run.cfg.protection == CLAVE_FL_PAILLIER) {
        json_t *k = keyholder_json(f);
        if (k == NULL || json_object_set_new(doc, "key_holder", k) != 0) {
            json_decref(doc);
            return NULL;
        }
    }
    return doc;
}

static json_t *number_or_null(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static const char *state_name(enum claved_fl_state s)
{
    static const char *const NAMES[] = {"joining", "running", "done", "failed"};
    return (unsigned)s < 4 ? NAMES[s] : "failed";
}

static const char *phase_name(const struct claved_fl_fed *f)
{
    static const char *const NAMES[] = {"idle",   "train", "share-keys", "masked-input",
                                        "unmask", "eval",  "done",       "decrypt"};
    if (f->server == NULL) {
        return "idle";
    }
    clave_fl_phase p = clave_fl_server_phase(f->server);
    return (unsigned)p < sizeof(NAMES) / sizeof(NAMES[0]) ? NAMES[p] : "idle";
}

static json_t *row_json(const struct fl_row *row)
{
    const struct clave_fl_round_report *r = &row->r;
    json_t *o = json_pack(
        "{s:I,s:I,s:I,s:I,s:b,s:o,s:o,s:o,s:I,s:f,s:f,s:f,s:b}", "round", (json_int_t)r->round,
        "selected", (json_int_t)r->selected, "reported", (json_int_t)r->reported, "rejected",
        (json_int_t)r->rejected, "aborted", r->aborted, "train_loss", number_or_null(r->train_loss),
        "eval_loss", number_or_null(r->eval_loss), "accuracy", number_or_null(r->eval_accuracy),
        "eval_examples", (json_int_t)r->eval_examples, "epsilon", r->epsilon, "delta", r->delta,
        "seconds", row->seconds, "final", row->final);
    return o;
}

json_t *claved_fl_status_json(struct claved_fl_fed *f, int64_t now_ms)
{
    const struct clave_fl_config *c = &f->spec.run.cfg;
    json_t *rows = json_array();
    for (uint32_t i = 0; rows != NULL && i < f->row_count; i++) {
        json_array_append_new(rows, row_json(&f->rows[i]));
    }
    uint32_t round = f->server != NULL ? clave_fl_server_report(f->server).round : 0;
    int64_t end = f->finished_ms != 0 ? f->finished_ms : now_ms;
    double elapsed = f->started_ms != 0 ? (double)(end - f->started_ms) / 1000.0 : 0.0;
    return json_pack(
        "{s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:s,s:s,s:s,s:s,s:s,s:I,s:f,s:f,s:o*,s:o*}",
        "contract", f->contract, "name", f->spec.run.name, "state", state_name(f->state), "reason",
        f->reason, "clients", (json_int_t)c->clients, "clients_per_round",
        (json_int_t)c->clients_per_round, "min_clients", (json_int_t)c->min_clients, "joined",
        (json_int_t)f->joined, "rounds", (json_int_t)c->rounds, "phase", phase_name(f), "model",
        clave_ml_model_kind_name(c->model.kind), "strategy", clave_fl_strategy_name(c->strategy),
        "protection", clave_fl_protection_name(c->protection), "dp", clave_fl_dp_mode_name(c->dp),
        "round", (json_int_t)round, "epsilon",
        f->row_count > 0 ? f->rows[f->row_count - 1].r.epsilon : 0.0, "elapsed_s", elapsed,
        "history", rows, "budgets", claved_fl_budget_json(&f->budget));
}

clave_status claved_fl_model(struct claved_fl_fed *f, uint8_t **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    if (f->server == NULL) {
        return CLAVE_ERR_NOT_FOUND;
    }
    return clave_ml_model_save(clave_fl_server_model(f->server), out, len);
}
