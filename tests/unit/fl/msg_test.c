/* SPDX-License-Identifier: Apache-2.0 */
/* FL messages (docs/formats/fl.md): round trips of every type, truncation at every offset,
 * trailing bytes, every header field, hostile bodies; the aggregator's checks of session, round,
 * sender and duplicates; the client's checks of the model it is sent. */
#include "fl/msg.h"
#include "fl_data.h"

static const uint8_t SESSION[CLAVE_FL_SESSION_LEN] = {1, 2, 3, 4};

static struct fl_header hdr(uint8_t type, uint32_t client)
{
    struct fl_header h = {type, {0}, 3, client};
    memcpy(h.session, SESSION, sizeof(SESSION));
    return h;
}

/* Every strict prefix is TRUNCATED, one extra byte TRAILING. */
static void hostile_lengths(const uint8_t *m, size_t len)
{
    struct fl_msg d;
    for (size_t cut = 0; cut < len; cut++) {
        T_ERR(fl__msg_decode(m, cut, &d), CLAVE_ERR_TRUNCATED);
    }
    uint8_t *more = malloc(len + 1);
    assert_non_null(more);
    memcpy(more, m, len);
    more[len] = 0;
    T_ERR(fl__msg_decode(more, len + 1, &d), CLAVE_ERR_TRAILING);
    free(more);
}

static void test_round_trips(void **state)
{
    (void)state;
    struct fl_msg d;
    uint8_t *m = NULL;
    size_t len = 0;
    const double values[3] = {0.5, -1.25, 3.0};
    struct fl_header h = hdr(FL_UPDATE, 9);
    T_OK(fl__msg_update(&h, 12, 0.75, values, 3, &m, &len));
    assert_int_equal(len, FL_HEADER_LEN + FL_UPDATE_FIXED_LEN + 24);
    T_OK(fl__msg_decode(m, len, &d));
    assert_true(d.h.type == FL_UPDATE && d.h.round == 3 && d.h.client == 9 && d.dim == 3 &&
                d.weight == 12 && d.loss == 0.75 && fl__msg_value(&d, 1) == -1.25);
    hostile_lengths(m, len);
    free(m);
    const uint8_t model[5] = {1, 2, 3, 4, 5}, seed[32] = {8};
    const uint32_t ids[3] = {2, 5, 9};
    struct fl_model_fields f = {FL_MODE_TRAIN, model, 5,   CLAVE_FL_SECAGG, 2, 2, 2, seed,
                                ids,           3,     NULL};
    h = hdr(FL_MODEL, 5);
    T_OK(fl__msg_model(&h, &f, &m, &len));
    T_OK(fl__msg_decode(m, len, &d));
    assert_true(d.mode == FL_MODE_TRAIN && d.model_len == 5 && d.degree == 2 && d.id_count == 3 &&
                fl__msg_id(&d, 2) == 9 && d.graph_seed[0] == 8);
    hostile_lengths(m, len);
    free(m);
    h = hdr(FL_SECAGG, 1);
    T_OK(fl__msg_secagg(&h, model, 5, &m, &len));
    T_OK(fl__msg_decode(m, len, &d));
    assert_true(d.payload_len == 5 && d.payload[4] == 5);
    hostile_lengths(m, len);
    free(m);
    h = hdr(FL_EVAL, 1);
    T_OK(fl__msg_eval(&h, 10, 7, 2.5, &m, &len));
    T_OK(fl__msg_decode(m, len, &d));
    assert_true(d.examples == 10 && d.correct == 7 && d.loss_sum == 2.5);
    hostile_lengths(m, len);
    free(m);
}

static void expect_after_patch(const uint8_t *m, size_t len, size_t off, uint8_t byte,
                               clave_status want)
{
    struct fl_msg d;
    uint8_t *c = malloc(len);
    assert_non_null(c);
    memcpy(c, m, len);
    c[off] = byte;
    T_ERR(fl__msg_decode(c, len, &d), want);
    free(c);
}

static void test_hostile_fields(void **state)
{
    (void)state;
    uint8_t *m = NULL;
    size_t len = 0;
    const double values[2] = {1.0, 2.0};
    struct fl_header h = hdr(FL_UPDATE, 9);
    T_OK(fl__msg_update(&h, 12, 0.75, values, 2, &m, &len));
    expect_after_patch(m, len, 0, 'X', CLAVE_ERR_FORMAT);      /* magic */
    expect_after_patch(m, len, 4, 2, CLAVE_ERR_UNSUPPORTED);   /* version */
    expect_after_patch(m, len, 5, 0, CLAVE_ERR_FORMAT);        /* type */
    expect_after_patch(m, len, 5, 8, CLAVE_ERR_FORMAT);        /* type */
    expect_after_patch(m, len, 6, 1, CLAVE_ERR_FORMAT);        /* reserved */
    expect_after_patch(m, len, 28, 0, CLAVE_ERR_FORMAT);       /* client 0 */
    expect_after_patch(m, len, 30, 1, CLAVE_ERR_FORMAT);       /* client > max */
    expect_after_patch(m, len, 32, 3, CLAVE_ERR_TRUNCATED);    /* dim 3 > values */
    expect_after_patch(m, len, 35, 0x40, CLAVE_ERR_TOO_LARGE); /* dim 2^30 */
    expect_after_patch(m, len, 32, 0, CLAVE_ERR_TOO_LARGE);    /* dim 0 */
    expect_after_patch(m, len, 36, 0, CLAVE_ERR_FORMAT);       /* weight 0 */
    expect_after_patch(m, len, 39, 1, CLAVE_ERR_FORMAT);       /* weight > max */
    expect_after_patch(m, len, 47, 0xff, CLAVE_ERR_FORMAT);    /* loss NaN/negative */
    expect_after_patch(m, len, 55, 0x7f, CLAVE_ERR_FORMAT);    /* value 0 is NaN */
    free(m);
    /* A model message: bad mode, protection, ids out of order, ids in eval mode. */
    const uint8_t model[1] = {0};
    const uint32_t ids[2] = {4, 3};
    struct fl_model_fields f = {FL_MODE_TRAIN, model, 1,   CLAVE_FL_PLAIN, 0, 0, 0, NULL,
                                ids,           2,     NULL};
    h = hdr(FL_MODEL, 1);
    T_OK(fl__msg_model(&h, &f, &m, &len));
    struct fl_msg d;
    T_ERR(fl__msg_decode(m, len, &d), CLAVE_ERR_FORMAT);
    expect_after_patch(m, len, 32, 3, CLAVE_ERR_FORMAT);
    expect_after_patch(m, len, 33, 7, CLAVE_ERR_FORMAT);
    expect_after_patch(m, len, 32, FL_MODE_EVAL, CLAVE_ERR_FORMAT);
    free(m);
    h = hdr(FL_EVAL, 1);
    T_OK(fl__msg_eval(&h, 3, 4, 1.0, &m, &len));
    T_ERR(fl__msg_decode(m, len, &d), CLAVE_ERR_FORMAT); /* more correct than examples */
    free(m);
    T_ERR(fl__msg_decode(NULL, (size_t)CLAVE_FL_MAX_MESSAGE + 1, &d), CLAVE_ERR_ARG);
}

/* The aggregator: wrong session, wrong round, unknown or unselected sender, duplicates. */
static void test_server_checks(void **state)
{
    (void)state;
    struct fld_parts d;
    fld_make(200, 4, 0.0, &d);
    struct clave_fl_config c = clave_fl_config_default();
    c.model.inputs = FLD_FEATURES;
    c.clients = 4;
    c.clients_per_round = 3;
    c.min_clients = 2;
    c.rounds = 2;
    struct clave_pkey *keys[4];
    for (int i = 0; i < 4; i++) {
        T_OK(clave_pkey_generate(CLAVE_PKEY_ED25519, &keys[i]));
    }
    const struct clave_pkey *const *dir = (const struct clave_pkey *const *)keys;
    struct clave_fl_server *s = NULL;
    struct clave_fl_client *cl[4] = {0};
    T_OK(clave_fl_server_new(&c, dir, NULL, NULL, &s));
    for (uint32_t i = 0; i < 4; i++) {
        T_OK(clave_fl_client_new(&c, i + 1, keys[i], dir, d.train[i], d.test[i], &cl[i]));
    }
    uint8_t *in = NULL, *out = NULL;
    size_t in_len = 0, out_len = 0;
    T_ERR(clave_fl_server_message(s, 1, &in, &in_len), CLAVE_ERR_STATE);
    T_OK(clave_fl_server_begin_round(s));
    T_ERR(clave_fl_server_begin_round(s), CLAVE_ERR_STATE);
    uint32_t ids[4];
    size_t n = 0;
    T_OK(clave_fl_server_participants(s, ids, 4, &n));
    assert_int_equal(n, 3);
    uint32_t absent = 1;
    while (absent == ids[0] || absent == ids[1] || absent == ids[2]) {
        absent++;
    }
    T_ERR(clave_fl_server_message(s, absent, &in, &in_len), CLAVE_ERR_NOT_FOUND);
    T_OK(clave_fl_server_message(s, ids[0], &in, &in_len));
    /* A client refuses a model addressed to someone else. */
    T_ERR(clave_fl_client_handle(cl[ids[1] - 1], in, in_len, &out, &out_len), CLAVE_ERR_FORMAT);
    T_OK(clave_fl_client_handle(cl[ids[0] - 1], in, in_len, &out, &out_len));
    uint8_t keep = out[8];
    out[8] ^= 1; /* session */
    T_ERR(clave_fl_server_receive(s, out, out_len), CLAVE_ERR_STATE);
    out[8] = keep;
    /* A stale or foreign message does not cost the client its turn (late clients are ignored). */
    T_OK(clave_fl_server_receive(s, out, out_len));
    free(in);
    free(out);
    T_OK(clave_fl_server_message(s, ids[1], &in, &in_len));
    T_OK(clave_fl_client_handle(cl[ids[1] - 1], in, in_len, &out, &out_len));
    T_OK(clave_fl_server_receive(s, out, out_len));
    T_ERR(clave_fl_server_receive(s, out, out_len), CLAVE_ERR_EXISTS);
    out[24] ^= 1; /* round */
    T_ERR(clave_fl_server_receive(s, out, out_len), CLAVE_ERR_STATE);
    free(in);
    free(out);
    T_OK(clave_fl_server_message(s, ids[2], &in, &in_len));
    T_OK(clave_fl_client_handle(cl[ids[2] - 1], in, in_len, &out, &out_len));
    /* A model of the wrong shape is refused by the client. */
    uint8_t saved = in[FL_HEADER_LEN + 8 + 8];
    in[FL_HEADER_LEN + 8 + 8] ^= 1; /* the model's input count */
    uint8_t *o2 = NULL;
    size_t o2_len = 0;
    T_ERR(clave_fl_client_handle(cl[ids[2] - 1], in, in_len, &o2, &o2_len), CLAVE_ERR_FORMAT);
    in[FL_HEADER_LEN + 8 + 8] = saved;
    /* A hostile value for this round: the sender is out, its later genuine message refused. */
    uint8_t *bad = malloc(out_len);
    assert_non_null(bad);
    memcpy(bad, out, out_len);
    memset(bad + FL_HEADER_LEN + FL_UPDATE_FIXED_LEN, 0xff, 8);
    T_ERR(clave_fl_server_receive(s, bad, out_len), CLAVE_ERR_FORMAT);
    T_ERR(clave_fl_server_receive(s, out, out_len), CLAVE_ERR_STATE);
    free(bad);
    free(in);
    free(out);
    T_OK(clave_fl_server_close_phase(s));
    struct clave_fl_round_report r = clave_fl_server_report(s);
    assert_int_equal(r.reported, 2);
    assert_int_equal(r.rejected, 5);
    assert_false(r.aborted);
    assert_int_equal(clave_fl_server_phase(s), CLAVE_FL_PHASE_IDLE);
    for (int i = 0; i < 4; i++) {
        clave_fl_client_free(cl[i]);
        clave_pkey_free(keys[i]);
    }
    clave_fl_server_free(s);
    fld_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trips),
        cmocka_unit_test(test_hostile_fields),
        cmocka_unit_test(test_server_checks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
