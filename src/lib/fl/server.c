/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The FL aggregator: selects clients, sends the global model, collects updates in the clear or
 * through SecAgg+, applies the strategy, pays for DP rounds in the budget ledger before the
 * aggregate exists, and runs federated evaluation. Every client message is validated before it
 * changes anything; a client whose message is rejected is out of the round, the others are not
 * affected (under SecAgg+ it is recovered as a dropout).
 */
#include "core/check.h"
#include "fl/msg.h"
#include "fl/server_internal.h"

#include <clave/crypto.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FL_SELECT_LABEL "clave fl v1 select"
#define FL_SECAGG_DROPOUT 0.3      /* SecAgg+ graphs are sized for at least 30 % dropouts */
#define FL_SECAGG_DROPOUT_MAX 0.85 /* corrupt (5 %) + dropout <= 0.9 (clave_secagg_params_for) */

clave_status clave_fl_server_new(const struct clave_fl_config *cfg,
                                 const struct clave_pkey *const *directory,
                                 struct clave_dp_ledger *ledger,
                                 const struct clave_dp_budget_key *key,
                                 struct clave_fl_server **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_fl_server *s = NULL;
    CLAVE_ENSURE(out != NULL, CLAVE_ERR_ARG, "fl: NULL argument");
    *out = NULL;
    CLAVE_CHECK(clave_fl_config_check(cfg));
    CLAVE_ENSURE(directory != NULL && (ledger == NULL || key != NULL), CLAVE_ERR_ARG,
                 "fl: NULL directory or ledger key");
    s = calloc(1, sizeof(*s));
    CLAVE_ENSURE_ALLOC(s);
    s->cfg = *cfg;
    s->directory = directory;
    s->ledger = ledger;
    s->key = key;
    CLAVE_CHECK(clave_ml_model_new(&cfg->model, cfg->seed, &s->model));
    clave_ml_model_params(s->model, &s->dim);
    CLAVE_CHECK(clave_random(s->session, sizeof(s->session)));
    CLAVE_CHECK(ml__stream_init(&s->select, cfg->seed, FL_SELECT_LABEL));
    if (cfg->dp == CLAVE_FL_DP_CENTRAL) {
        CLAVE_CHECK(clave_dp_rng_new(&s->rng));
    }
    size_t m = cfg->clients_per_round;
    s->selected = calloc(m, sizeof(uint32_t));
    s->state = calloc(cfg->clients, 1);
    s->weights = calloc(m, sizeof(uint32_t));
    s->losses = calloc(m, sizeof(double));
    s->sa_directory = calloc(m, sizeof(*s->sa_directory));
    CLAVE_ENSURE(s->selected != NULL && s->state != NULL && s->weights != NULL &&
                     s->losses != NULL && s->sa_directory != NULL,
                 CLAVE_ERR_NOMEM, "out of memory");
    if (cfg->protection == CLAVE_FL_PLAIN) {
        s->updates = malloc(m * s->dim * sizeof(double));
        CLAVE_ENSURE_ALLOC(s->updates);
    }
    CLAVE_CHECK(fl__server_opt_init(cfg, s->dim, &s->opt));
    s->phase = CLAVE_FL_PHASE_IDLE;
    *out = s;
    s = NULL;
    st = CLAVE_OK;
done:
    clave_fl_server_free(s);
    return st;
}

void clave_fl_server_free(struct clave_fl_server *s)
{
    if (s == NULL) {
        return;
    }
    clave_secagg_server_free(s->sa);
    clave_he_vec_free(s->he_sum);
    fl__he_clear(&s->he);
    clave_ml_model_free(s->model);
    ml__stream_clear(&s->select);
    clave_dp_rng_free(s->rng);
    fl__server_opt_clear(&s->opt);
    free(s->selected);
    free(s->state);
    free(s->model_bytes);
    free(s->updates);
    free(s->weights);
    free(s->losses);
    free(s->sa_directory);
    free(s);
}

int fl__slot(const struct clave_fl_server *s, uint32_t id)
{
    for (uint32_t i = 0; i < s->cfg.clients_per_round; i++) {
        if (s->selected[i] == id) {
            return (int)i;
        }
    }
    return -1;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Uniform sample of clients_per_round distinct ids (partial Fisher-Yates), ascending. */
static clave_status select_clients(struct clave_fl_server *s)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint32_t n = s->cfg.clients, m = s->cfg.clients_per_round;
    size_t *pool = malloc(n * sizeof(size_t));
    CLAVE_ENSURE_ALLOC(pool);
    for (uint32_t i = 0; i < n; i++) {
        pool[i] = i + 1;
    }
    for (uint32_t i = 0; i < m; i++) {
        size_t j = i + (size_t)ml__stream_below(&s->select, n - i);
        size_t t = pool[i];
        pool[i] = pool[j];
        pool[j] = t;
        s->selected[i] = (uint32_t)pool[i];
    }
    CLAVE_CHECK(ml__stream_status(&s->select));
    qsort(s->selected, m, sizeof(uint32_t), cmp_u32);
    memset(s->state, FL_ABSENT, n);
    for (uint32_t i = 0; i < m; i++) {
        s->state[s->selected[i] - 1] = FL_WAITING;
    }
    st = CLAVE_OK;
done:
    free(pool);
    return st;
}

/* Epsilon of this round: checked against the cap and debited in the ledger before anything. */
static clave_status pay_round(struct clave_fl_server *s)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    double eps = 0.0;
    CLAVE_CHECK(clave_fl_dp_epsilon(&s->cfg, s->round + 1, &eps));
    CLAVE_ENSURE(s->cfg.dp_epsilon_budget == 0.0 || eps <= s->cfg.dp_epsilon_budget,
                 CLAVE_ERR_LIMIT, "fl: round %u would spend epsilon %.4g > budget %.4g",
                 s->round + 1, eps, s->cfg.dp_epsilon_budget);
    if (s->ledger != NULL) {
        struct clave_dp_debit d = {"fl-aggregator",     "fl round",
                                   "discrete-gaussian", "rdp",
                                   eps - s->epsilon,    s->round == 0 ? s->cfg.dp_delta : 0.0};
        CLAVE_CHECK(clave_dp_ledger_debit(s->ledger, s->key, &d, (int64_t)time(NULL), NULL));
    }
    s->epsilon = eps;
    st = CLAVE_OK;
done:
    return st;
}

static clave_status start_secagg(struct clave_fl_server *s)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint32_t m = s->cfg.clients_per_round;
    struct clave_secagg_params *p = &s->sa_params;
    /* Size the SecAgg+ graph for the dropouts this round tolerates (at least 30 %): its security
     * bound holds only while no more clients drop than it was sized for. */
    double dropout = (double)(m - s->cfg.min_clients) / m;
    dropout = dropout > FL_SECAGG_DROPOUT ? dropout : FL_SECAGG_DROPOUT;
    dropout = dropout < FL_SECAGG_DROPOUT_MAX ? dropout : FL_SECAGG_DROPOUT_MAX;
    CLAVE_CHECK(clave_secagg_params_suggest(m, dropout, (uint32_t)(s->dim + FL_EXTRA_WORDS), p));
    p->min_clients = p->min_clients > s->cfg.min_clients ? p->min_clients : s->cfg.min_clients;
    CLAVE_CHECK(fl__secagg_session(s->session, s->round, p->session_id));
    for (uint32_t i = 0; i < m; i++) {
        s->sa_directory[i] = s->directory[s->selected[i] - 1];
    }
    clave_secagg_server_free(s->sa);
    s->sa = NULL;
    CLAVE_CHECK(clave_secagg_server_new(p, s->sa_directory, &s->sa));
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_fl_server_begin_round(struct clave_fl_server *s)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(s != NULL, CLAVE_ERR_ARG, "fl: NULL server");
    CLAVE_ENSURE(s->phase == CLAVE_FL_PHASE_IDLE, CLAVE_ERR_STATE, "fl: a phase is open");
    if (s->round >= s->cfg.rounds) {
        s->phase = CLAVE_FL_PHASE_DONE;
        CLAVE_RAISE(CLAVE_ERR_STATE, "fl: all %u rounds done", s->cfg.rounds);
    }
    CLAVE_ENSURE(s->cfg.protection != CLAVE_FL_PAILLIER || s->he.pub != NULL, CLAVE_ERR_STATE,
                 "fl: no paillier key set (clave_fl_server_set_paillier_key)");
    if (s->cfg.dp != CLAVE_FL_DP_NONE) {
        st = pay_round(s);
        if (st != CLAVE_OK) {
            s->phase = CLAVE_FL_PHASE_DONE;
            goto done;
        }
    }
    s->round++;
    memset(&s->report, 0, sizeof(s->report));
    s->report.round = s->round;
    s->report.epsilon = s->epsilon;
    s->report.delta = s->cfg.dp != CLAVE_FL_DP_NONE ? s->cfg.dp_delta : 0.0;
    s->report.eval_loss = s->report.eval_accuracy = s->report.train_loss = NAN;
    s->report.selected = s->cfg.clients_per_round;
    CLAVE_CHECK(select_clients(s));
    CLAVE_CHECK(fl__encode_model(s));
    if (s->cfg.protection == CLAVE_FL_SECAGG) {
        CLAVE_CHECK(start_secagg(s));
    }
    clave_he_vec_free(s->he_sum);
    s->he_sum = NULL;
    s->he_count = 0;
    s->phase = CLAVE_FL_PHASE_TRAIN;
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_fl_server_begin_eval(struct clave_fl_server *s)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(s != NULL, CLAVE_ERR_ARG, "fl: NULL server");
    CLAVE_ENSURE(s->phase == CLAVE_FL_PHASE_IDLE || s->phase == CLAVE_FL_PHASE_DONE,
                 CLAVE_ERR_STATE, "fl: a phase is open");
    CLAVE_CHECK(fl__encode_model(s));
    memset(s->state, FL_WAITING, s->cfg.clients);
    s->eval_examples = s->eval_correct = 0;
    s->eval_loss_sum = 0.0;
    s->phase = CLAVE_FL_PHASE_EVAL;
    st = CLAVE_OK;
done:
    return st;
}

clave_fl_phase clave_fl_server_phase(const struct clave_fl_server *s)
{
    return s->phase;
}

clave_status clave_fl_server_participants(const struct clave_fl_server *s, uint32_t *ids,
                                          size_t cap, size_t *count)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    size_t n = 0;
    CLAVE_ENSURE(s != NULL && count != NULL && (ids != NULL || cap == 0), CLAVE_ERR_ARG,
                 "fl: NULL argument");
    *count = 0;
    for (uint32_t id = 1; id <= s->cfg.clients; id++) {
        uint8_t cs = s->state[id - 1];
        if (cs == FL_WAITING || cs == FL_REPORTED) {
            CLAVE_ENSURE(n < cap, CLAVE_ERR_ARG, "fl: capacity %zu too small", cap);
            ids[n++] = id;
        }
    }
    *count = n;
    st = CLAVE_OK;
done:
    return st;
}

static struct fl_header header(const struct clave_fl_server *s, uint8_t type, uint32_t id)
{
    struct fl_header h = {type, {0}, s->round, id};
    memcpy(h.session, s->session, CLAVE_FL_SESSION_LEN);
    return h;
}

clave_status clave_fl_server_message(struct clave_fl_server *s, uint32_t id, uint8_t **msg,
                                     size_t *len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t *inner = NULL;
    size_t inner_len = 0;
    CLAVE_ENSURE(msg != NULL && len != NULL, CLAVE_ERR_ARG, "fl: NULL argument");
    *msg = NULL;
    *len = 0;
    CLAVE_ENSURE(s != NULL && id >= 1 && id <= s->cfg.clients, CLAVE_ERR_ARG, "fl: client %u", id);
    CLAVE_ENSURE(s->phase != CLAVE_FL_PHASE_IDLE && s->phase != CLAVE_FL_PHASE_DONE &&
                     s->phase != CLAVE_FL_PHASE_HE_DECRYPT,
                 CLAVE_ERR_STATE, "fl: no client phase open");
    CLAVE_ENSURE(s->state[id - 1] == FL_WAITING || s->state[id - 1] == FL_REPORTED,
                 CLAVE_ERR_NOT_FOUND, "fl: client %u is not taking part", id);
    if (s->phase == CLAVE_FL_PHASE_TRAIN || s->phase == CLAVE_FL_PHASE_EVAL) {
        bool train = s->phase == CLAVE_FL_PHASE_TRAIN;
        const struct clave_secagg_params *p = &s->sa_params;
        struct fl_model_fields f = {train ? FL_MODE_TRAIN : FL_MODE_EVAL,
                                    s->model_bytes,
                                    s->model_len,
                                    train ? (uint8_t)s->cfg.protection : 0,
                                    p->degree,
                                    p->share_threshold,
                                    p->min_clients,
                                    p->graph_seed,
                                    s->selected,
                                    train ? s->cfg.clients_per_round : 0,
                                    s->he.key_id};
        struct fl_header h = header(s, FL_MODEL, id);
        CLAVE_CHECK(fl__msg_model(&h, &f, msg, len));
    } else {
        int slot = fl__slot(s, id);
        CLAVE_CHECK(clave_secagg_server_message(s->sa, (uint32_t)slot + 1, &inner, &inner_len));
        struct fl_header h = header(s, FL_SECAGG, id);
        CLAVE_CHECK(fl__msg_secagg(&h, inner, inner_len, msg, len));
    }
    st = CLAVE_OK;
done:
    free(inner);
    return st;
}

/* Semantic checks of a plain update, then store it in the sender's slot. */
static clave_status take_update(struct clave_fl_server *s, const struct fl_msg *m)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    int slot = fl__slot(s, m->h.client);
    CLAVE_ENSURE(m->h.type == FL_UPDATE, CLAVE_ERR_STATE, "fl: expected an update");
    CLAVE_ENSURE(m->dim == s->dim, CLAVE_ERR_FORMAT, "fl: update of %u values, the model has %zu",
                 m->dim, s->dim);
    double *row = s->updates + (size_t)slot * s->dim;
    for (size_t i = 0; i < s->dim; i++) {
        row[i] = fl__msg_value(m, i);
        CLAVE_ENSURE(fabs(row[i]) <= s->cfg.update_bound, CLAVE_ERR_ARG,
                     "fl: update value %zu beyond update_bound", i);
    }
    s->weights[slot] = s->cfg.dp != CLAVE_FL_DP_NONE ? 1 : m->weight;
    s->losses[slot] = m->loss;
    st = CLAVE_OK;
done:
    return st;
}

static clave_status take(struct clave_fl_server *s, const struct fl_msg *m)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    if (s->phase == CLAVE_FL_PHASE_EVAL) {
        CLAVE_ENSURE(m->h.type == FL_EVAL, CLAVE_ERR_STATE, "fl: expected an evaluation");
        s->eval_examples += m->examples;
        s->eval_correct += m->correct;
        s->eval_loss_sum += m->loss_sum;
    } else if (s->cfg.protection == CLAVE_FL_PLAIN) {
        CLAVE_CHECK(take_update(s, m));
    } else if (s->cfg.protection == CLAVE_FL_PAILLIER) {
        CLAVE_CHECK(fl__take_paillier(s, m));
    } else {
        CLAVE_ENSURE(m->h.type == FL_SECAGG, CLAVE_ERR_STATE, "fl: expected a secagg message");
        CLAVE_CHECK(clave_secagg_server_receive(s->sa, m->payload, m->payload_len));
    }
    st = CLAVE_OK;
done:
    return st;
}

/* The sender of a message whose body is invalid, when its header names this session and round
 * and a client still waiting: that client is out of the round. 0 otherwise. */
static uint32_t attribute(const struct clave_fl_server *s, const uint8_t *msg, size_t len)
{
    struct fl_header h;
    clave_status st = fl__msg_header(msg, len, &h);
    if (st != CLAVE_OK || h.round != s->round || h.client < 1 || h.client > s->cfg.clients ||
        memcmp(h.session, s->session, CLAVE_FL_SESSION_LEN) != 0 || // lint:public
        s->state[h.client - 1] != FL_WAITING) {
        return 0;
    }
    return h.client;
}

clave_status clave_fl_server_receive(struct clave_fl_server *s, const uint8_t *msg, size_t len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct fl_msg m;
    uint32_t sender = 0;
    CLAVE_ENSURE(s != NULL, CLAVE_ERR_ARG, "fl: NULL server");
    CLAVE_ENSURE(s->phase != CLAVE_FL_PHASE_IDLE && s->phase != CLAVE_FL_PHASE_DONE &&
                     s->phase != CLAVE_FL_PHASE_HE_DECRYPT,
                 CLAVE_ERR_STATE, "fl: no client phase open");
    st = fl__msg_decode(msg, len, &m);
    if (st != CLAVE_OK) {
        sender = attribute(s, msg, len);
        goto done;
    }
    CLAVE_ENSURE(m.h.round == s->round &&
                     memcmp(m.h.session, s->session, CLAVE_FL_SESSION_LEN) == 0, // lint:public
                 CLAVE_ERR_STATE, "fl: message for another session or round");
    CLAVE_ENSURE(m.h.client >= 1 && m.h.client <= s->cfg.clients, CLAVE_ERR_STATE,
                 "fl: unknown client %u", m.h.client);
    CLAVE_ENSURE(s->state[m.h.client - 1] != FL_REPORTED, CLAVE_ERR_EXISTS,
                 "fl: second message from client %u", m.h.client);
    CLAVE_ENSURE(s->state[m.h.client - 1] == FL_WAITING, CLAVE_ERR_STATE,
                 "fl: client %u is not taking part", m.h.client);
    sender = m.h.client;
    CLAVE_CHECK(take(s, &m));
    s->state[sender - 1] = FL_REPORTED;
    st = CLAVE_OK;
done:
    if (st != CLAVE_OK && s != NULL) {
        s->report.rejected++;
        if (sender != 0) {
            s->state[sender - 1] = FL_DROPPED; /* one chance per phase */
        }
    }
    return st;
}

/* Clients heard in this phase go on to the next; the silent ones are out. */
static void next_phase(struct clave_fl_server *s, clave_fl_phase next)
{
    for (uint32_t i = 0; i < s->cfg.clients; i++) {
        s->state[i] = s->state[i] == FL_REPORTED ? FL_WAITING : (uint8_t)FL_DROPPED;
    }
    s->phase = next;
}

void fl__end_round(struct clave_fl_server *s)
{
    memset(s->state, FL_ABSENT, s->cfg.clients);
    s->phase = s->round >= s->cfg.rounds ? CLAVE_FL_PHASE_DONE : CLAVE_FL_PHASE_IDLE;
}

static clave_status close_secagg_step(struct clave_fl_server *s)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    if (clave_secagg_server_close_round(s->sa) != CLAVE_OK) {
        s->report.aborted = true; /* fewer than the threshold: nothing is released */
        fl__end_round(s);
        st = CLAVE_OK;
        goto done;
    }
    if (s->phase == CLAVE_FL_PHASE_SA_UNMASK) {
        CLAVE_CHECK(fl__close_secagg_result(s));
        fl__end_round(s);
    } else {
        next_phase(s, (clave_fl_phase)(s->phase == CLAVE_FL_PHASE_TRAIN ? CLAVE_FL_PHASE_SA_SHARE
                                                                        : s->phase + 1));
    }
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_fl_server_close_phase(struct clave_fl_server *s)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(s != NULL, CLAVE_ERR_ARG, "fl: NULL server");
    switch (s->phase) {
    case CLAVE_FL_PHASE_EVAL:
        s->report.eval_examples = s->eval_examples;
        if (s->eval_examples > 0) {
            s->report.eval_loss = s->eval_loss_sum / (double)s->eval_examples;
            s->report.eval_accuracy = (double)s->eval_correct / (double)s->eval_examples;
        }
        memset(s->state, FL_ABSENT, s->cfg.clients);
        s->phase = s->round >= s->cfg.rounds ? CLAVE_FL_PHASE_DONE : CLAVE_FL_PHASE_IDLE;
        break;
    case CLAVE_FL_PHASE_TRAIN:
        if (s->cfg.protection == CLAVE_FL_PLAIN) {
            CLAVE_CHECK(fl__close_plain(s));
            fl__end_round(s);
        } else if (s->cfg.protection == CLAVE_FL_PAILLIER) {
            fl__close_paillier_collection(s);
        } else {
            CLAVE_CHECK(close_secagg_step(s)); /* secure aggregation round 1 */
        }
        break;
    case CLAVE_FL_PHASE_SA_SHARE:
    case CLAVE_FL_PHASE_SA_MASKED:
    case CLAVE_FL_PHASE_SA_UNMASK:
        CLAVE_CHECK(close_secagg_step(s));
        break;
    case CLAVE_FL_PHASE_HE_DECRYPT: /* no sum from the key holder: nothing is released */
        s->report.aborted = true;
        fl__end_round(s);
        break;
    default:
        CLAVE_RAISE(CLAVE_ERR_STATE, "fl: no phase open");
    }
    st = CLAVE_OK;
done:
    return st;
}

struct clave_fl_round_report clave_fl_server_report(const struct clave_fl_server *s)
{
    return s->report;
}

struct clave_ml_model *clave_fl_server_model(struct clave_fl_server *s)
{
    return s->model;
}
