/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Paillier-packed FL updates end to end (2048-bit keys: the he library's minimum): the model
 * equals plain FedAvg up to the fixed-point resolution, 30 % dropouts complete and too many abort,
 * hostile clients (malformed, oversized, wrong-count, foreign-key, re-weighted, re-packed,
 * corrupted ciphertext messages) are rejected with the others' aggregate unchanged bit for bit,
 * distributed DP accounting, the key holder being unreachable, and configuration errors.
 */
#include "fl/msg.h"
#include "fl/paillier.h"
#include "fl_data.h"

#define PT_CLIENTS 12
#define PT_HOSTILE 9 /* clients 1..9 each send one kind of hostile message */

static struct clave_fl_config base(clave_fl_protection protection)
{
    struct clave_fl_config c = clave_fl_config_default();
    c.model.kind = CLAVE_ML_LOGISTIC;
    c.model.inputs = FLD_FEATURES;
    c.local.learning_rate = 0.05;
    c.local.batch_size = 16;
    c.clients = 10;
    c.clients_per_round = 10;
    c.min_clients = 5;
    c.rounds = 5;
    c.protection = protection;
    memset(c.seed, 7, sizeof(c.seed));
    return c;
}

static struct clave_fl_round_report run(const struct clave_fl_config *c, struct fld_parts *d,
                                        const struct clave_fl_sim_faults *f, double *params)
{
    struct clave_fl_sim *sim = NULL;
    struct clave_fl_round_report rep;
    T_OK(clave_fl_sim_new(c, d->train, d->test, f, NULL, NULL, &sim));
    for (uint32_t r = 0; r < c->rounds; r++) {
        T_OK(clave_fl_sim_round(sim, r + 1 == c->rounds, &rep, NULL, NULL));
        assert_int_equal(rep.round, r + 1);
        assert_false(rep.aborted);
    }
    size_t n = 0;
    const double *w = clave_ml_model_params(clave_fl_sim_model(sim), &n);
    if (params != NULL) {
        memcpy(params, w, n * sizeof(double));
    }
    clave_fl_sim_free(sim);
    return rep;
}

static void test_exact(void **state)
{
    (void)state;
    struct fld_parts d;
    fld_make(400, 10, 0.0, &d);
    double plain[FLD_FEATURES + 1], packed[FLD_FEATURES + 1];
    struct clave_fl_config c = base(CLAVE_FL_PLAIN);
    struct clave_fl_round_report a = run(&c, &d, NULL, plain);
    c = base(CLAVE_FL_PAILLIER);
    struct clave_fl_round_report b = run(&c, &d, NULL, packed);
    assert_int_equal(b.reported, 10);
    assert_int_equal(b.rejected, 0);
    /* Each round rounds every weighted coordinate to 2^-24 before the exact sum. */
    for (size_t i = 0; i <= FLD_FEATURES; i++) {
        if (fabs(plain[i] - packed[i]) > 1e-6) {
            fail_msg("parameter %zu: plain %.9g, paillier %.9g", i, plain[i], packed[i]);
        }
    }
    assert_true(fabs(a.train_loss - b.train_loss) < 1e-6);
    assert_true(fabs(a.eval_accuracy - b.eval_accuracy) < 0.02);
    /* The same as secure aggregation, whose sum is exact too: bit for bit. */
    double masked[FLD_FEATURES + 1];
    c = base(CLAVE_FL_SECAGG);
    (void)run(&c, &d, NULL, masked);
    assert_memory_equal(masked, packed, sizeof(masked));
    fld_free(&d);
}

static void test_dropouts(void **state)
{
    (void)state;
    struct fld_parts d;
    fld_make(400, 10, 0.5, &d);
    struct clave_fl_sim_faults f = {0.3, 0, 0};
    struct clave_fl_config c = base(CLAVE_FL_PAILLIER);
    c.rounds = 3;
    c.min_clients = 6;
    struct clave_fl_round_report r = run(&c, &d, &f, NULL);
    assert_int_equal(r.reported, 7);
    assert_int_equal(r.rejected, 0);
    assert_true(r.eval_accuracy > 0.8);
    /* Below min_clients nothing reaches the key holder and the model is unchanged. */
    c.min_clients = 8;
    struct clave_fl_sim *sim = NULL;
    T_OK(clave_fl_sim_new(&c, d.train, d.test, &f, NULL, NULL, &sim));
    double before[FLD_FEATURES + 1];
    memcpy(before, clave_ml_model_params(clave_fl_sim_model(sim), NULL), sizeof(before));
    T_OK(clave_fl_sim_round(sim, false, &r, NULL, NULL));
    assert_true(r.aborted);
    assert_int_equal(r.reported, 7);
    assert_memory_equal(before, clave_ml_model_params(clave_fl_sim_model(sim), NULL),
                        sizeof(before));
    clave_fl_sim_free(sim);
    fld_free(&d);
}

/* The simulation's hostile clients (truncated, oversized, shortened vector, wrong round). */
static void test_sim_malicious(void **state)
{
    (void)state;
    struct fld_parts d;
    fld_make(400, 10, 0.0, &d);
    struct clave_fl_config c = base(CLAVE_FL_PAILLIER);
    c.rounds = 4;
    double hostile[FLD_FEATURES + 1], quiet[FLD_FEATURES + 1];
    struct clave_fl_sim_faults bad = {0.0, 2, 0}, silent = {0.0, 0, 2};
    struct clave_fl_round_report a = run(&c, &d, &bad, hostile);
    assert_int_equal(a.rejected, 2);
    assert_int_equal(a.reported, 8);
    struct clave_fl_round_report b = run(&c, &d, &silent, quiet);
    assert_int_equal(b.rejected, 0);
    assert_memory_equal(hostile, quiet, sizeof(hostile));
    fld_free(&d);
}

/* ---- a federation driven by hand, with crafted hostile messages ----------------------------- */

struct fed {
    struct clave_fl_config cfg;
    struct clave_pkey *keys[PT_CLIENTS];
    const struct clave_pkey *dir[PT_CLIENTS];
    struct clave_fl_client *clients[PT_CLIENTS];
    struct clave_fl_server *server;
    struct clave_fl_keyholder *kh;
    struct fl_he he;    /* the federation's public side, for crafting */
    struct fl_he other; /* another key of the same size */
    struct clave_fl_keyholder *other_kh;
};

static void fed_new(struct fed *f, const struct clave_fl_config *cfg, struct fld_parts *d)
{
    uint8_t *pub = NULL;
    size_t len = 0;
    memset(f, 0, sizeof(*f));
    f->cfg = *cfg;
    for (uint32_t i = 0; i < cfg->clients; i++) {
        T_OK(clave_pkey_generate(CLAVE_PKEY_ED25519, &f->keys[i]));
        f->dir[i] = f->keys[i];
    }
    for (uint32_t i = 0; i < cfg->clients; i++) {
        T_OK(clave_fl_client_new(cfg, i + 1, f->keys[i], f->dir, d->train[i], d->test[i],
                                 &f->clients[i]));
    }
    T_OK(clave_fl_server_new(cfg, f->dir, NULL, NULL, &f->server));
    T_ERR(clave_fl_server_begin_round(f->server), CLAVE_ERR_STATE); /* no key yet */
    T_OK(clave_fl_keyholder_new(cfg, &f->kh));
    T_OK(clave_fl_keyholder_public_key(f->kh, &pub, &len));
    T_OK(clave_fl_server_set_paillier_key(f->server, pub, len));
    for (uint32_t i = 0; i < cfg->clients; i++) {
        T_OK(clave_fl_client_set_paillier_key(f->clients[i], pub, len));
    }
    T_OK(fl__he_setup(cfg, pub, len, &f->he));
    free(pub);
    T_OK(clave_fl_keyholder_new(cfg, &f->other_kh));
    T_OK(clave_fl_keyholder_public_key(f->other_kh, &pub, &len));
    T_OK(fl__he_setup(cfg, pub, len, &f->other));
    free(pub);
}

static void fed_free(struct fed *f)
{
    for (uint32_t i = 0; i < f->cfg.clients; i++) {
        clave_fl_client_free(f->clients[i]);
        clave_pkey_free(f->keys[i]);
    }
    clave_fl_server_free(f->server);
    clave_fl_keyholder_free(f->kh);
    clave_fl_keyholder_free(f->other_kh);
    fl__he_clear(&f->he);
    fl__he_clear(&f->other);
}

/* A vector of `n` zero words under `he` (weight 1), serialised. */
static void zero_vec(struct fl_he *he, size_t n, uint8_t **out, size_t *len)
{
    uint64_t *w = calloc(n, sizeof(uint64_t));
    assert_non_null(w);
    T_OK(fl__he_encrypt(he, w, n, out, len));
    free(w);
}

/* Two fresh encryptions added: weight 2, as if one client sent a sum. */
static void double_vec(struct fl_he *he, size_t n, uint8_t **out, size_t *len)
{
    int64_t *v = calloc(n, sizeof(int64_t));
    struct clave_he_vec *a = NULL, *b = NULL;
    assert_non_null(v);
    T_OK(clave_he_encrypt_packed(he->ctx, &he->plan, v, n, &a));
    T_OK(clave_he_encrypt_packed(he->ctx, &he->plan, v, n, &b));
    T_OK(clave_he_add_into(he->ctx, a, b));
    T_OK(clave_he_vec_export(a, CLAVE_HE_FORMAT_BINARY, out, len));
    clave_he_vec_free(a);
    clave_he_vec_free(b);
    free(v);
}

/* Packed with another plan (one more value bit) under the right key. */
static void replanned_vec(struct fl_he *he, size_t n, uint8_t **out, size_t *len)
{
    struct clave_he_pack_plan plan;
    struct clave_he_vec *a = NULL;
    int64_t *v = calloc(n, sizeof(int64_t));
    assert_non_null(v);
    T_OK(clave_he_pack_plan(he->pub, he->plan.value_bits + 1, he->plan.max_adds, &plan));
    T_OK(clave_he_encrypt_packed(he->ctx, &plan, v, n, &a));
    T_OK(clave_he_vec_export(a, CLAVE_HE_FORMAT_BINARY, out, len));
    clave_he_vec_free(a);
    free(v);
}

/* Client `id`'s hostile replacement of its honest reply `msg` (kind by id). */
static void craft(struct fed *f, uint32_t id, uint8_t **msg, size_t *len, clave_status *want)
{
    struct fl_header h;
    T_OK(fl__msg_header(*msg, *len, &h));
    uint32_t words = (uint32_t)(FLD_FEATURES + 1 + 2);
    uint8_t *vec = NULL, *out = NULL;
    size_t vec_len = 0, out_len = 0;
    uint32_t claimed = words;
    switch (id) {
    case 1: /* wrong count in the header */
        zero_vec(&f->he, words, &vec, &vec_len);
        claimed = words + 1;
        *want = CLAVE_ERR_FORMAT;
        break;
    case 2: /* a vector one value short */
        zero_vec(&f->he, words - 1, &vec, &vec_len);
        *want = CLAVE_ERR_FORMAT;
        break;
    case 3: { /* oversized: 64 KiB of junk inside the vector's length */
        zero_vec(&f->he, words, &vec, &vec_len);
        uint8_t *big = realloc(vec, vec_len + 65536);
        assert_non_null(big);
        memset(big + vec_len, 0x5a, 65536);
        vec = big;
        vec_len += 65536;
        *want = CLAVE_ERR_TOO_LARGE;
        break;
    }
    case 4: /* encrypted to another key */
        zero_vec(&f->other, words, &vec, &vec_len);
        *want = CLAVE_ERR_KEY;
        break;
    case 5: /* weight 2 */
        double_vec(&f->he, words, &vec, &vec_len);
        *want = CLAVE_ERR_FORMAT;
        break;
    case 6: /* another packing plan */
        replanned_vec(&f->he, words, &vec, &vec_len);
        *want = CLAVE_ERR_FORMAT;
        break;
    case 7: /* a flipped ciphertext bit (the vector's checksum catches it) */
        zero_vec(&f->he, words, &vec, &vec_len);
        vec[vec_len - 100] ^= 0x10;
        *want = CLAVE_ERR_FORMAT;
        break;
    case 8: /* the honest message cut by one byte */
        *len -= 1;
        *want = CLAVE_ERR_TRUNCATED;
        return;
    default: { /* one byte more */
        uint8_t *more = realloc(*msg, *len + 1);
        assert_non_null(more);
        more[*len] = 0;
        *msg = more;
        *len += 1;
        *want = CLAVE_ERR_TRAILING;
        return;
    }
    }
    T_OK(fl__msg_he_vec(&h, claimed, 0, vec, vec_len, &out, &out_len));
    free(vec);
    free(*msg);
    *msg = out;
    *len = out_len;
}

/* One round by hand: clients 1..bad send crafted messages (hostile) or nothing. */
static void fed_round(struct fed *f, uint32_t bad, bool hostile, struct clave_fl_round_report *rep)
{
    uint32_t ids[PT_CLIENTS];
    size_t count = 0;
    T_OK(clave_fl_server_begin_round(f->server));
    T_OK(clave_fl_server_participants(f->server, ids, PT_CLIENTS, &count));
    for (size_t i = 0; i < count; i++) {
        uint32_t id = ids[i];
        uint8_t *in = NULL, *out = NULL;
        size_t in_len = 0, out_len = 0;
        clave_status want = CLAVE_OK;
        T_OK(clave_fl_server_message(f->server, id, &in, &in_len));
        T_OK(clave_fl_client_handle(f->clients[id - 1], in, in_len, &out, &out_len));
        if (id <= bad && hostile) {
            craft(f, id, &out, &out_len, &want);
            T_ERR(clave_fl_server_receive(f->server, out, out_len), want);
            /* One chance per phase: a second message is refused too. */
            assert_int_not_equal(clave_fl_server_receive(f->server, out, out_len), CLAVE_OK);
        } else if (id > bad) {
            T_OK(clave_fl_server_receive(f->server, out, out_len));
        }
        free(in);
        free(out);
    }
    T_OK(clave_fl_server_close_phase(f->server));
    assert_int_equal(clave_fl_server_phase(f->server), CLAVE_FL_PHASE_HE_DECRYPT);
    uint8_t *req = NULL, *reply = NULL;
    size_t req_len = 0, reply_len = 0;
    T_OK(clave_fl_server_keyholder_request(f->server, &req, &req_len));
    /* Another key holder cannot decrypt it. */
    T_ERR(clave_fl_keyholder_handle(f->other_kh, req, req_len, &reply, &reply_len), CLAVE_ERR_KEY);
    T_OK(clave_fl_keyholder_handle(f->kh, req, req_len, &reply, &reply_len));
    T_OK(clave_fl_server_keyholder_reply(f->server, reply, reply_len));
    *rep = clave_fl_server_report(f->server);
    free(req);
    free(reply);
}

static void test_hostile_messages(void **state)
{
    (void)state;
    struct fld_parts d;
    fld_make(600, PT_CLIENTS, 0.0, &d);
    struct clave_fl_config c = base(CLAVE_FL_PAILLIER);
    c.clients = c.clients_per_round = PT_CLIENTS;
    c.min_clients = 3;
    c.rounds = 2;
    double hostile[FLD_FEATURES + 1], quiet[FLD_FEATURES + 1];
    struct clave_fl_round_report r;
    for (int pass = 0; pass < 2; pass++) {
        struct fed f;
        fed_new(&f, &c, &d);
        for (uint32_t k = 0; k < c.rounds; k++) {
            fed_round(&f, PT_HOSTILE, pass == 0, &r);
            assert_int_equal(r.reported, PT_CLIENTS - PT_HOSTILE);
            assert_int_equal(r.rejected, pass == 0 ? 2 * PT_HOSTILE : 0);
            assert_false(r.aborted);
        }
        memcpy(pass == 0 ? hostile : quiet,
               clave_ml_model_params(clave_fl_server_model(f.server), NULL), sizeof(hostile));
        fed_free(&f);
    }
    assert_memory_equal(hostile, quiet, sizeof(hostile));
    fld_free(&d);
}

/* An aggregator naming another key is refused by the client before it trains. */
static void test_client_checks(void **state)
{
    (void)state;
    struct fld_parts d;
    fld_make(400, 10, 0.0, &d);
    struct clave_fl_config c = base(CLAVE_FL_PAILLIER);
    struct fed f;
    fed_new(&f, &c, &d);
    uint32_t ids[10];
    size_t count = 0;
    uint8_t *in = NULL, *out = NULL, *pub = NULL;
    size_t in_len = 0, out_len = 0, pub_len = 0;
    T_OK(clave_fl_keyholder_public_key(f.other_kh, &pub, &pub_len));
    T_OK(clave_fl_server_set_paillier_key(f.server, pub, pub_len)); /* the aggregator cheats */
    T_OK(clave_fl_server_begin_round(f.server));
    T_OK(clave_fl_server_participants(f.server, ids, 10, &count));
    T_OK(clave_fl_server_message(f.server, ids[0], &in, &in_len));
    T_ERR(clave_fl_client_handle(f.clients[ids[0] - 1], in, in_len, &out, &out_len), CLAVE_ERR_KEY);
    assert_null(out);
    T_ERR(clave_fl_server_set_paillier_key(f.server, pub, pub_len), CLAVE_ERR_STATE);
    /* Nothing in the collection: the round aborts without the key holder. */
    T_OK(clave_fl_server_close_phase(f.server));
    assert_true(clave_fl_server_report(f.server).aborted);
    /* A key of the wrong size, and a key for a plain federation. */
    struct clave_fl_config c3 = c;
    c3.paillier_bits = 3072;
    struct fl_he he3 = {0};
    T_ERR(fl__he_setup(&c3, pub, pub_len, &he3), CLAVE_ERR_ARG);
    struct clave_fl_config cp = base(CLAVE_FL_PLAIN);
    T_ERR(fl__he_setup(&cp, pub, pub_len, &he3), CLAVE_ERR_ARG);
    assert_int_not_equal(clave_fl_client_set_paillier_key(f.clients[0], pub, pub_len - 1),
                         CLAVE_OK);
    free(pub);
    free(in);
    fed_free(&f);
    fld_free(&d);
}

/* The key holder refuses to answer: the round aborts, the model does not change. */
static void test_keyholder_refuses(void **state)
{
    (void)state;
    struct fld_parts d;
    fld_make(400, 10, 0.0, &d);
    struct clave_fl_config c = base(CLAVE_FL_PAILLIER);
    struct fed f;
    fed_new(&f, &c, &d);
    struct clave_fl_round_report r;
    fed_round(&f, 0, false, &r);
    double before[FLD_FEATURES + 1];
    memcpy(before, clave_ml_model_params(clave_fl_server_model(f.server), NULL), sizeof(before));
    uint32_t ids[10];
    size_t count = 0;
    T_OK(clave_fl_server_begin_round(f.server));
    T_OK(clave_fl_server_participants(f.server, ids, 10, &count));
    for (size_t i = 0; i < count; i++) {
        uint8_t *in = NULL, *out = NULL;
        size_t in_len = 0, out_len = 0;
        T_OK(clave_fl_server_message(f.server, ids[i], &in, &in_len));
        T_OK(clave_fl_client_handle(f.clients[ids[i] - 1], in, in_len, &out, &out_len));
        T_OK(clave_fl_server_receive(f.server, out, out_len));
        free(in);
        free(out);
    }
    T_OK(clave_fl_server_close_phase(f.server));
    uint8_t *req = NULL, *reply = NULL;
    size_t req_len = 0, reply_len = 0;
    T_OK(clave_fl_server_keyholder_request(f.server, &req, &req_len));
    T_OK(clave_fl_keyholder_handle(f.kh, req, req_len, &reply, &reply_len));
    /* A reply for another round, a truncated one: refused, the phase stays open. */
    uint8_t *bad = malloc(reply_len);
    assert_non_null(bad);
    memcpy(bad, reply, reply_len);
    bad[24] ^= 1;
    T_ERR(clave_fl_server_keyholder_reply(f.server, bad, reply_len), CLAVE_ERR_STATE);
    T_ERR(clave_fl_server_keyholder_reply(f.server, reply, reply_len - 1), CLAVE_ERR_TRUNCATED);
    free(bad);
    /* The same aggregate again: the key holder decrypts a round once. */
    uint8_t *again = NULL;
    size_t again_len = 0;
    T_ERR(clave_fl_keyholder_handle(f.kh, req, req_len, &again, &again_len), CLAVE_ERR_STATE);
    T_ERR(clave_fl_server_receive(f.server, req, req_len), CLAVE_ERR_STATE);
    T_OK(clave_fl_server_close_phase(f.server)); /* no sum came back */
    r = clave_fl_server_report(f.server);
    assert_true(r.aborted);
    assert_memory_equal(before, clave_ml_model_params(clave_fl_server_model(f.server), NULL),
                        sizeof(before));
    free(req);
    free(reply);
    fed_free(&f);
    fld_free(&d);
}

static void test_distributed_dp(void **state)
{
    (void)state;
    struct fld_parts d;
    fld_make(400, 10, 0.0, &d);
    struct clave_fl_config c = base(CLAVE_FL_PAILLIER);
    c.dp = CLAVE_FL_DP_DISTRIBUTED;
    c.clients_per_round = 5;
    c.min_clients = 4;
    c.dp_clip = 0.5;
    c.dp_noise_multiplier = 1.1;
    c.fixed_point_bits = 16;
    c.rounds = 2;
    struct clave_fl_sim *sim = NULL;
    struct clave_fl_round_report r;
    T_OK(clave_fl_sim_new(&c, d.train, d.test, NULL, NULL, NULL, &sim));
    for (uint64_t k = 1; k <= 2; k++) {
        T_OK(clave_fl_sim_round(sim, true, &r, NULL, NULL));
        double want = 0.0;
        T_OK(clave_fl_dp_epsilon(&c, k, &want));
        assert_true(r.epsilon == want);
        assert_true(isnan(r.train_loss));
        assert_int_equal(r.reported, 5);
        assert_false(r.aborted);
    }
    clave_fl_sim_free(sim);
    fld_free(&d);
}

static void test_config(void **state)
{
    (void)state;
    struct clave_fl_config c = base(CLAVE_FL_PAILLIER);
    T_OK(clave_fl_config_check(&c));
    assert_string_equal(clave_fl_protection_name(CLAVE_FL_PAILLIER), "paillier");
    assert_int_equal(clave_fl_config_default().paillier_bits, 2048);
    c.paillier_bits = 1024; /* below the he library's minimum */
    T_ERR(clave_fl_config_check(&c), CLAVE_ERR_ARG);
    c.paillier_bits = 3072;
    T_OK(clave_fl_config_check(&c));
    c = base(CLAVE_FL_PAILLIER);
    c.dp = CLAVE_FL_DP_CENTRAL;
    T_ERR(clave_fl_config_check(&c), CLAVE_ERR_ARG);
    assert_non_null(strstr(clave_error_last().detail, "central DP is not available with paillier"));
    c.dp = CLAVE_FL_DP_DISTRIBUTED;
    T_OK(clave_fl_config_check(&c));
    c = base(CLAVE_FL_PAILLIER);
    c.aggregation = CLAVE_FL_AGG_TRIMMED_MEAN;
    T_ERR(clave_fl_config_check(&c), CLAVE_ERR_ARG);
    struct clave_fl_keyholder *k = NULL;
    c = base(CLAVE_FL_SECAGG);
    T_ERR(clave_fl_keyholder_new(&c, &k), CLAVE_ERR_ARG);
    /* clave fl run's configuration, and an FL contract refusing paillier without a key holder. */
    static const char RUN[] = "{\"model\":{\"kind\":\"logistic\"},\"data\":{\"path\":\"x.csv\"},"
                              "\"protection\":\"paillier\",\"paillier_bits\":3072}";
    struct clave_fl_run_spec run;
    T_OK(clave_fl_run_spec_parse(RUN, sizeof(RUN) - 1, &run));
    assert_int_equal(run.cfg.protection, CLAVE_FL_PAILLIER);
    assert_int_equal(run.cfg.paillier_bits, 3072);
    static const char BIG[] = "{\"model\":{\"kind\":\"logistic\"},\"data\":{\"path\":\"x.csv\"},"
                              "\"protection\":\"paillier\",\"paillier_bits\":8192}";
    T_ERR(clave_fl_run_spec_parse(BIG, sizeof(BIG) - 1, &run), CLAVE_ERR_JSON);
    /* {"model":{"kind":"logistic","inputs":3},"protection":"paillier"} in canonical CBOR */
    static const uint8_t SPEC[] = {
        0xa2, 0x65, 'm', 'o', 'd', 'e',  'l', 0xa2, 0x64, 'k', 'i', 'n', 'd',  0x68, 'l', 'o', 'g',
        'i',  's',  't', 'i', 'c', 0x66, 'i', 'n',  'p',  'u', 't', 's', 0x03, 0x6a, 'p', 'r', 'o',
        't',  'e',  'c', 't', 'i', 'o',  'n', 0x68, 'p',  'a', 'i', 'l', 'l',  'i',  'e', 'r'};
    struct clave_fl_contract_spec spec;
    T_ERR(clave_fl_contract_spec_parse(SPEC, sizeof(SPEC), &spec), CLAVE_ERR_ARG);
    assert_non_null(strstr(clave_error_last().detail, "spec.key_holder"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact),          cmocka_unit_test(test_dropouts),
        cmocka_unit_test(test_sim_malicious),  cmocka_unit_test(test_hostile_messages),
        cmocka_unit_test(test_client_checks),  cmocka_unit_test(test_keyholder_refuses),
        cmocka_unit_test(test_distributed_dp), cmocka_unit_test(test_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
