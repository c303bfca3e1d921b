/* SPDX-License-Identifier: Apache-2.0 */
/*
 * An FL client: receives the global model, trains locally, and answers with its update in the
 * clear (UPDATE, for a TEE aggregator) or through SecAgg+ (SECAGG messages carrying a Z_2^64
 * fixed-point vector: weight * update, weight, weight * loss). With client-level DP the update is
 * clipped to dp_clip, the weight is 1, the loss is withheld, and under secure aggregation the
 * client adds discrete Gaussian noise of variance sigma^2 / min_clients, so that the sum over
 * at least min_clients survivors carries at least the calibrated variance sigma^2 (the value of
 * min_clients comes from the client's own configuration, never from the aggregator).
 */
#include "core/check.h"
#include "fl/fl_internal.h"
#include "fl/msg.h"
#include "fl/paillier.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct clave_fl_client {
    struct clave_fl_config cfg;
    uint32_t id;
    const struct clave_pkey *identity;
    const struct clave_pkey *const *directory;
    const struct clave_ml_dataset *train, *test;
    struct clave_dp_rng *rng;
    uint8_t session[CLAVE_FL_SESSION_LEN];
    uint32_t round;
    double *delta;
    uint64_t *words; /* secure-aggregation input */
    size_t dim;
    double loss;
    uint32_t weight;
    struct clave_secagg_client *sa;
    const struct clave_pkey **sa_directory;
    int sa_step;     /* messages sent in the current secure aggregation */
    struct fl_he he; /* PAILLIER: the key holder's public key and the packing plan */
};

clave_status clave_fl_client_new(const struct clave_fl_config *cfg, uint32_t id,
                                 const struct clave_pkey *identity,
                                 const struct clave_pkey *const *directory,
                                 const struct clave_ml_dataset *train,
                                 const struct clave_ml_dataset *test, struct clave_fl_client **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_fl_client *c = NULL;
    CLAVE_ENSURE(out != NULL, CLAVE_ERR_ARG, "fl: NULL argument");
    *out = NULL;
    CLAVE_ENSURE(identity != NULL && directory != NULL && train != NULL, CLAVE_ERR_ARG,
                 "fl: NULL argument");
    CLAVE_CHECK(clave_fl_config_check(cfg));
    CLAVE_ENSURE(id >= 1 && id <= cfg->clients, CLAVE_ERR_ARG, "fl: client id %u", id);
    CLAVE_ENSURE(clave_ml_dataset_features(train) == cfg->model.inputs &&
                     (test == NULL || clave_ml_dataset_features(test) == cfg->model.inputs),
                 CLAVE_ERR_ARG, "fl: client %u data has the wrong number of features", id);
    c = calloc(1, sizeof(*c));
    CLAVE_ENSURE_ALLOC(c);
    c->cfg = *cfg;
    c->id = id;
    c->identity = identity;
    c->directory = directory;
    c->train = train;
    c->test = test;
    if (cfg->dp == CLAVE_FL_DP_DISTRIBUTED) {
        CLAVE_CHECK(clave_dp_rng_new(&c->rng));
    }
    *out = c;
    c = NULL;
    st = CLAVE_OK;
done:
    clave_fl_client_free(c);
    return st;
}

static void reset_round(struct clave_fl_client *c)
{
    clave_secagg_client_free(c->sa);
    c->sa = NULL;
    free(c->sa_directory);
    c->sa_directory = NULL;
    if (c->words != NULL) {
        memset(c->words, 0, (c->dim + FL_EXTRA_WORDS) * sizeof(uint64_t));
    }
    free(c->words);
    free(c->delta);
    c->words = NULL;
    c->delta = NULL;
    c->sa_step = 0;
}

void clave_fl_client_free(struct clave_fl_client *c)
{
    if (c == NULL) {
        return;
    }
    reset_round(c);
    clave_dp_rng_free(c->rng);
    fl__he_clear(&c->he);
    free(c);
}

static bool same_spec(const struct clave_ml_model_spec *a, const struct clave_ml_model_spec *b)
{
    bool multi = a->kind == CLAVE_ML_SOFTMAX || a->kind == CLAVE_ML_MLP;
    return a->kind == b->kind && a->inputs == b->inputs && (!multi || a->classes == b->classes) &&
           a->hidden_count == b->hidden_count && a->hidden[0] == b->hidden[0] &&
           a->hidden[1] == b->hidden[1];
}

/* Load the global model of a MODEL message and check its shape against the configuration. */
static clave_status load_model(const struct clave_fl_client *c, const struct fl_msg *m,
                               struct clave_ml_model **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_ml_model_spec want = c->cfg.model;
    CLAVE_CHECK(clave_ml_model_load(m->model, m->model_len, out));
    struct clave_ml_model_spec got = clave_ml_model_spec(*out);
    if (want.kind != CLAVE_ML_MLP) {
        want.hidden_count = 0;
        want.hidden[0] = want.hidden[1] = 0;
    }
    CLAVE_ENSURE(same_spec(&got, &want), CLAVE_ERR_FORMAT, "fl: the model has the wrong shape");
    st = CLAVE_OK;
done:
    return st;
}

/* Local training from the global model; leaves the update in c->delta. */
static clave_status train(struct clave_fl_client *c, struct clave_ml_model *global)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_ml_model *local = NULL;
    struct clave_ml_trainer *t = NULL;
    uint8_t seed[CLAVE_ML_SEED_LEN];
    size_t dim = 0;
    const double *w0 = clave_ml_model_params(global, &dim);
    /* Per (client, round) shuffling stream derived from the federation seed. */
    memcpy(seed, c->cfg.seed, sizeof(seed));
    for (size_t i = 0; i < 4; i++) {
        seed[i] ^= (uint8_t)(c->id >> (8 * i));
        seed[4 + i] ^= (uint8_t)(c->round >> (8 * i));
    }
    seed[8] ^= 0x5c;
    CLAVE_CHECK(clave_ml_model_clone(global, &local));
    CLAVE_CHECK(clave_ml_trainer_new(local, &c->cfg.local, seed, w0, &t));
    for (uint32_t e = 0; e < c->cfg.local_epochs; e++) {
        CLAVE_CHECK(clave_ml_trainer_epoch(t, c->train, &c->loss));
    }
    c->delta = malloc(dim * sizeof(double));
    CLAVE_ENSURE_ALLOC(c->delta);
    const double *w1 = clave_ml_model_params(local, NULL);
    for (size_t i = 0; i < dim; i++) {
        c->delta[i] = w1[i] - w0[i];
    }
    c->dim = dim;
    size_t rows = clave_ml_dataset_rows(c->train);
    c->weight = rows > CLAVE_FL_MAX_WEIGHT ? CLAVE_FL_MAX_WEIGHT : (uint32_t)rows;
    if (c->cfg.dp != CLAVE_FL_DP_NONE) {
        CLAVE_CHECK(clave_dp_clip_l2(c->delta, dim, c->cfg.dp_clip, NULL));
        c->weight = 1;
        c->loss = 0.0; /* not released under DP */
    }
    for (size_t i = 0; i < dim; i++) {
        CLAVE_ENSURE(fabs(c->delta[i]) <= c->cfg.update_bound, CLAVE_ERR_STATE,
                     "fl: local update beyond update_bound (training diverged)");
    }
    st = CLAVE_OK;
done:
    clave_ml_trainer_free(t);
    clave_ml_model_free(local);
    return st;
}

/* The fixed-point secure-aggregation input, with this client's share of the DP noise. */
static clave_status make_words(struct clave_fl_client *c)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint32_t bits = c->cfg.fixed_point_bits;
    c->words = calloc(c->dim + FL_EXTRA_WORDS, sizeof(uint64_t));
    CLAVE_ENSURE_ALLOC(c->words);
    for (size_t i = 0; i < c->dim; i++) {
        c->words[i] = fl__encode((double)c->weight * c->delta[i], bits);
    }
    c->words[c->dim] = c->weight;
    /* The loss word is capped like the updates so that the sum cannot wrap (config.c). */
    c->words[c->dim + 1] = fl__encode((double)c->weight * fmin(c->loss, FL_MAX_LOSS), bits);
    if (c->cfg.dp == CLAVE_FL_DP_DISTRIBUTED) {
        double sigma = c->cfg.dp_noise_multiplier * fl__dp_sensitivity(&c->cfg, c->dim);
        CLAVE_CHECK(fl__add_noise(c->rng, sigma * sigma / c->cfg.min_clients, c->words, c->dim));
    }
    st = CLAVE_OK;
done:
    return st;
}

/* Start secure aggregation with the parameters and selection of the MODEL message. */
static clave_status secagg_start(struct clave_fl_client *c, const struct fl_msg *m, uint8_t **out,
                                 size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_secagg_params p;
    uint8_t *adv = NULL;
    size_t adv_len = 0;
    uint32_t me = 0;
    memset(&p, 0, sizeof(p));
    CLAVE_ENSURE(m->protection == CLAVE_FL_SECAGG, CLAVE_ERR_FORMAT,
                 "fl: the aggregator asks for %s updates, the federation uses secagg",
                 m->protection == CLAVE_FL_PLAIN ? "plain" : "unknown");
    c->sa_directory = calloc(m->id_count == 0 ? 1 : m->id_count, sizeof(*c->sa_directory));
    CLAVE_ENSURE_ALLOC(c->sa_directory);
    for (uint32_t i = 0; i < m->id_count; i++) {
        uint32_t id = fl__msg_id(m, i);
        CLAVE_ENSURE(id <= c->cfg.clients, CLAVE_ERR_FORMAT, "fl: unknown client %u selected", id);
        c->sa_directory[i] = c->directory[id - 1];
        me = id == c->id ? i + 1 : me;
    }
    CLAVE_ENSURE(me != 0, CLAVE_ERR_FORMAT, "fl: this client is not in the selection");
    CLAVE_ENSURE(m->min_clients >= c->cfg.min_clients, CLAVE_ERR_FORMAT,
                 "fl: the aggregator lowered min_clients");
    p.client_count = m->id_count;
    p.degree = m->degree;
    p.share_threshold = m->share_threshold;
    p.min_clients = m->min_clients;
    p.dim = (uint32_t)(c->dim + FL_EXTRA_WORDS);
    CLAVE_CHECK(fl__secagg_session(m->h.session, m->h.round, p.session_id));
    memcpy(p.graph_seed, m->graph_seed, CLAVE_SECAGG_GRAPH_SEED_LEN);
    CLAVE_CHECK(make_words(c));
    CLAVE_CHECK(clave_secagg_client_new(&p, me, c->identity, c->sa_directory, &c->sa));
    CLAVE_CHECK(clave_secagg_client_advertise(c->sa, &adv, &adv_len));
    struct fl_header h = {FL_SECAGG, {0}, c->round, c->id};
    memcpy(h.session, c->session, CLAVE_FL_SESSION_LEN);
    CLAVE_CHECK(fl__msg_secagg(&h, adv, adv_len, out, out_len));
    c->sa_step = 1;
    st = CLAVE_OK;
done:
    free(adv);
    return st;
}

clave_status clave_fl_client_set_paillier_key(struct clave_fl_client *c, const uint8_t *pub,
                                              size_t len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(c != NULL, CLAVE_ERR_ARG, "fl: NULL client");
    CLAVE_CHECK(fl__he_setup(&c->cfg, pub, len, &c->he));
    st = CLAVE_OK;
done:
    return st;
}

/* The words of the update (as under secure aggregation), packed and encrypted to the key
 * holder's key: one PAILLIER message. */
static clave_status paillier_update(struct clave_fl_client *c, const struct fl_msg *m,
                                    uint8_t **out, size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t *vec = NULL;
    size_t vec_len = 0;
    CLAVE_ENSURE(c->he.pub != NULL, CLAVE_ERR_STATE, "fl: no paillier key set");
    CLAVE_ENSURE(clave_ct_equal(m->key_id, c->he.key_id, CLAVE_HE_KEY_ID_LEN), CLAVE_ERR_KEY,
                 "fl: the aggregator names another paillier key");
    CLAVE_CHECK(make_words(c));
    CLAVE_CHECK(fl__he_encrypt(&c->he, c->words, c->dim + FL_EXTRA_WORDS, &vec, &vec_len));
    struct fl_header h = {FL_PAILLIER, {0}, c->round, c->id};
    memcpy(h.session, c->session, CLAVE_FL_SESSION_LEN);
    CLAVE_CHECK(
        fl__msg_he_vec(&h, (uint32_t)(c->dim + FL_EXTRA_WORDS), 0, vec, vec_len, out, out_len));
    st = CLAVE_OK;
done:
    free(vec);
    return st;
}

static clave_status on_train(struct clave_fl_client *c, const struct fl_msg *m, uint8_t **out,
                             size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_ml_model *global = NULL;
    reset_round(c);
    memcpy(c->session, m->h.session, CLAVE_FL_SESSION_LEN);
    c->round = m->h.round;
    CLAVE_ENSURE(m->protection == c->cfg.protection, CLAVE_ERR_FORMAT,
                 "fl: protection %u differs from the federation's", m->protection);
    CLAVE_CHECK(load_model(c, m, &global));
    CLAVE_CHECK(train(c, global));
    if (c->cfg.protection == CLAVE_FL_SECAGG) {
        CLAVE_CHECK(secagg_start(c, m, out, out_len));
    } else if (c->cfg.protection == CLAVE_FL_PAILLIER) {
        CLAVE_CHECK(paillier_update(c, m, out, out_len));
    } else {
        struct fl_header h = {FL_UPDATE, {0}, c->round, c->id};
        memcpy(h.session, c->session, CLAVE_FL_SESSION_LEN);
        CLAVE_CHECK(
            fl__msg_update(&h, c->weight, c->loss, c->delta, (uint32_t)c->dim, out, out_len));
    }
    st = CLAVE_OK;
done:
    clave_ml_model_free(global);
    return st;
}

static clave_status on_eval(struct clave_fl_client *c, const struct fl_msg *m, uint8_t **out,
                            size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_ml_model *global = NULL;
    double loss = 0.0;
    size_t correct = 0, n = 0;
    CLAVE_CHECK(load_model(c, m, &global));
    if (c->test != NULL) {
        n = clave_ml_dataset_rows(c->test);
        CLAVE_ENSURE(n <= UINT32_MAX, CLAVE_ERR_LIMIT, "fl: test set too large");
        CLAVE_CHECK(clave_ml_evaluate(global, c->test, &loss, NULL, &correct));
    }
    struct fl_header h = {FL_EVAL, {0}, m->h.round, c->id};
    memcpy(h.session, m->h.session, CLAVE_FL_SESSION_LEN);
    CLAVE_CHECK(fl__msg_eval(&h, (uint32_t)n, (uint32_t)correct, loss * (double)n, out, out_len));
    st = CLAVE_OK;
done:
    clave_ml_model_free(global);
    return st;
}

static clave_status on_secagg(struct clave_fl_client *c, const struct fl_msg *m, uint8_t **out,
                              size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t *reply = NULL;
    size_t reply_len = 0;
    CLAVE_ENSURE(c->sa != NULL && m->h.round == c->round &&
                     memcmp(m->h.session, c->session, CLAVE_FL_SESSION_LEN) == 0, // lint:public
                 CLAVE_ERR_STATE, "fl: secagg message for another round");
    if (c->sa_step == 1) {
        CLAVE_CHECK(
            clave_secagg_client_share_keys(c->sa, m->payload, m->payload_len, &reply, &reply_len));
    } else if (c->sa_step == 2) {
        CLAVE_CHECK(clave_secagg_client_masked_input(c->sa, m->payload, m->payload_len, c->words,
                                                     &reply, &reply_len));
    } else if (c->sa_step == 3) {
        CLAVE_CHECK(
            clave_secagg_client_unmask(c->sa, m->payload, m->payload_len, &reply, &reply_len));
    } else {
        CLAVE_RAISE(CLAVE_ERR_STATE, "fl: secure aggregation already finished");
    }
    struct fl_header h = {FL_SECAGG, {0}, c->round, c->id};
    memcpy(h.session, c->session, CLAVE_FL_SESSION_LEN);
    CLAVE_CHECK(fl__msg_secagg(&h, reply, reply_len, out, out_len));
    c->sa_step++;
    st = CLAVE_OK;
done:
    free(reply);
    return st;
}

clave_status clave_fl_client_handle(struct clave_fl_client *c, const uint8_t *in, size_t in_len,
                                    uint8_t **out, size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct fl_msg m;
    CLAVE_ENSURE(out != NULL && out_len != NULL, CLAVE_ERR_ARG, "fl: NULL argument");
    *out = NULL;
    *out_len = 0;
    CLAVE_ENSURE(c != NULL, CLAVE_ERR_ARG, "fl: NULL client");
    CLAVE_CHECK(fl__msg_decode(in, in_len, &m));
    CLAVE_ENSURE(m.h.client == c->id, CLAVE_ERR_FORMAT, "fl: message for client %u, this is %u",
                 m.h.client, c->id);
    if (m.h.type == FL_MODEL && m.mode == FL_MODE_TRAIN) {
        CLAVE_CHECK(on_train(c, &m, out, out_len));
    } else if (m.h.type == FL_MODEL) {
        CLAVE_CHECK(on_eval(c, &m, out, out_len));
    } else if (m.h.type == FL_SECAGG) {
        CLAVE_CHECK(on_secagg(c, &m, out, out_len));
    } else {
        CLAVE_RAISE(CLAVE_ERR_FORMAT, "fl: a client does not accept message type %u", m.h.type);
    }
    st = CLAVE_OK;
done:
    return st;
}
