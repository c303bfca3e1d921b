/* SPDX-License-Identifier: Apache-2.0 */
/* Models: gradients against central finite differences for every model and loss, convergence of
 * SGD/Adam on synthetic data, FedProx pull, determinism, and the model format (round trips,
 * truncation at every offset, wrong dimensions, NaN/inf parameters, bit flips). */
#include "testlib.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t SEED[CLAVE_ML_SEED_LEN] = {1, 2, 3};

static struct clave_ml_model_spec spec_of(clave_ml_model_kind kind, uint32_t hidden_count)
{
    struct clave_ml_model_spec s = {kind, 5, 3, hidden_count, {7, 4}};
    return s;
}

/* Deterministic pseudo-data: a hash of the index. */
static double val(size_t i)
{
    uint64_t z = (i + 1) * UINT64_C(0x9e3779b97f4a7c15);
    z ^= z >> 31;
    z *= UINT64_C(0xbf58476d1ce4e5b9);
    z ^= z >> 29;
    return (double)(z >> 11) * 0x1p-53 * 2.0 - 1.0;
}

static void check_gradient(struct clave_ml_model_spec s)
{
    struct clave_ml_model *m = NULL;
    enum { N = 6 };
    double x[N * 5], y[N];
    T_OK(clave_ml_model_new(&s, SEED, &m));
    size_t count = 0;
    double *w = clave_ml_model_params(m, &count);
    for (size_t i = 0; i < count; i++) {
        w[i] = 0.5 * val(1000 + i); /* away from zero so the convex models have curvature */
    }
    for (size_t i = 0; i < N * 5; i++) {
        x[i] = val(i);
    }
    for (size_t i = 0; i < N; i++) {
        y[i] = s.kind == CLAVE_ML_LINEAR     ? val(500 + i)
               : s.kind == CLAVE_ML_LOGISTIC ? (double)(i % 2)
                                             : (double)(i % 3);
    }
    double *g = calloc(count, sizeof(double));
    assert_non_null(g);
    double loss = 0.0;
    T_OK(clave_ml_model_loss_grad(m, x, y, N, g, &loss));
    assert_true(isfinite(loss) && loss > 0.0);
    for (size_t i = 0; i < count; i++) {
        const double h = 1e-6;
        double keep = w[i], lp = 0.0, lm = 0.0;
        w[i] = keep + h;
        T_OK(clave_ml_model_loss_grad(m, x, y, N, NULL, &lp));
        w[i] = keep - h;
        T_OK(clave_ml_model_loss_grad(m, x, y, N, NULL, &lm));
        w[i] = keep;
        double fd = (lp - lm) / (2 * h);
        if (fabs(fd - g[i]) > 1e-6 * (1.0 + fabs(fd))) {
            fail_msg("%s: parameter %zu: analytic %.10g, finite difference %.10g",
                     clave_ml_model_kind_name(s.kind), i, g[i], fd);
        }
    }
    free(g);
    clave_ml_model_free(m);
}

static void test_gradients(void **state)
{
    (void)state;
    check_gradient(spec_of(CLAVE_ML_LINEAR, 0));
    check_gradient(spec_of(CLAVE_ML_LOGISTIC, 0));
    check_gradient(spec_of(CLAVE_ML_SOFTMAX, 0));
    check_gradient(spec_of(CLAVE_ML_MLP, 1));
    check_gradient(spec_of(CLAVE_ML_MLP, 2));
}

static void test_spec_errors(void **state)
{
    (void)state;
    struct clave_ml_model *m = NULL;
    struct clave_ml_model_spec s = spec_of(CLAVE_ML_MLP, 3);
    T_ERR(clave_ml_model_new(&s, SEED, &m), CLAVE_ERR_ARG);
    s = spec_of(CLAVE_ML_SOFTMAX, 1);
    T_ERR(clave_ml_model_new(&s, SEED, &m), CLAVE_ERR_ARG);
    s = spec_of(CLAVE_ML_SOFTMAX, 0);
    s.classes = 1;
    T_ERR(clave_ml_model_new(&s, SEED, &m), CLAVE_ERR_ARG);
    s = spec_of(CLAVE_ML_MLP, 2);
    s.inputs = 65536;
    s.hidden[0] = 65536;
    s.hidden[1] = 65536;
    T_ERR(clave_ml_model_new(&s, SEED, &m), CLAVE_ERR_LIMIT);
    assert_null(m);
    s = spec_of(CLAVE_ML_LOGISTIC, 0);
    T_OK(clave_ml_model_new(&s, SEED, &m));
    double x[5] = {0}, y = 2.0;
    T_ERR(clave_ml_model_loss_grad(m, x, &y, 1, NULL, NULL), CLAVE_ERR_ARG);
    y = 0.5;
    T_ERR(clave_ml_model_loss_grad(m, x, &y, 1, NULL, NULL), CLAVE_ERR_ARG);
    y = 1.0;
    x[2] = NAN;
    T_ERR(clave_ml_model_loss_grad(m, x, &y, 1, NULL, NULL), CLAVE_ERR_ARG);
    clave_ml_model_free(m);
    clave_ml_model_kind k;
    T_OK(clave_ml_model_kind_parse("mlp", &k));
    assert_int_equal(k, CLAVE_ML_MLP);
    T_ERR(clave_ml_model_kind_parse("cnn", &k), CLAVE_ERR_ARG);
}

/* Two Gaussian-ish blobs per class on a line through the origin: separable. */
static struct clave_ml_dataset *blobs(size_t n, uint32_t classes, size_t offset)
{
    double *x = malloc(n * 5 * sizeof(double)), *y = malloc(n * sizeof(double));
    assert_true(x != NULL && y != NULL);
    for (size_t i = 0; i < n; i++) {
        uint32_t c = (uint32_t)(i % classes);
        y[i] = classes == 0 ? 0.0 : c;
        for (size_t j = 0; j < 5; j++) {
            x[i * 5 + j] = 0.5 * val(offset + i * 5 + j) + (j == c % 5 ? 2.0 : 0.0);
        }
    }
    struct clave_ml_dataset *ds = NULL;
    T_OK(clave_ml_dataset_new(n, 5, classes, x, y, &ds));
    free(x);
    free(y);
    return ds;
}

static double train_accuracy(struct clave_ml_model_spec s, clave_ml_optimizer opt, int epochs)
{
    struct clave_ml_dataset *tr = blobs(600, s.classes, 0), *te = blobs(300, s.classes, 9000);
    struct clave_ml_model *m = NULL;
    struct clave_ml_trainer *t = NULL;
    struct clave_ml_train_opts o = clave_ml_train_opts_default();
    o.optimizer = opt;
    o.learning_rate = opt == CLAVE_ML_ADAM ? 0.01 : 0.05;
    T_OK(clave_ml_model_new(&s, SEED, &m));
    T_OK(clave_ml_trainer_new(m, &o, SEED, NULL, &t));
    double first = 0.0, last = 0.0, acc = 0.0;
    for (int e = 0; e < epochs; e++) {
        T_OK(clave_ml_trainer_epoch(t, tr, e == 0 ? &first : &last));
    }
    assert_true(last < first);
    T_OK(clave_ml_evaluate(m, te, NULL, &acc, NULL));
    clave_ml_trainer_free(t);
    clave_ml_model_free(m);
    clave_ml_dataset_free(tr);
    clave_ml_dataset_free(te);
    return acc;
}

static void test_convergence(void **state)
{
    (void)state;
    struct clave_ml_model_spec s = spec_of(CLAVE_ML_SOFTMAX, 0);
    assert_true(train_accuracy(s, CLAVE_ML_SGD, 5) > 0.95);
    assert_true(train_accuracy(s, CLAVE_ML_ADAM, 5) > 0.95);
    s = spec_of(CLAVE_ML_MLP, 1);
    assert_true(train_accuracy(s, CLAVE_ML_SGD, 5) > 0.95);
    s = spec_of(CLAVE_ML_MLP, 2);
    assert_true(train_accuracy(s, CLAVE_ML_ADAM, 5) > 0.95);
    s = spec_of(CLAVE_ML_LOGISTIC, 0);
    s.classes = 2;
    assert_true(train_accuracy(s, CLAVE_ML_SGD, 5) > 0.95);
}

/* Linear regression recovers known weights. */
static void test_linear_regression(void **state)
{
    (void)state;
    enum { N = 400 };
    double *x = malloc(N * 5 * sizeof(double)), y[N];
    assert_non_null(x);
    const double w[5] = {1.5, -2.0, 0.25, 0.0, 3.0};
    for (size_t i = 0; i < N; i++) {
        y[i] = 0.7;
        for (size_t j = 0; j < 5; j++) {
            x[i * 5 + j] = val(i * 5 + j);
            y[i] += w[j] * x[i * 5 + j];
        }
    }
    struct clave_ml_dataset *ds = NULL;
    T_OK(clave_ml_dataset_new(N, 5, 0, x, y, &ds));
    struct clave_ml_model_spec s = spec_of(CLAVE_ML_LINEAR, 0);
    struct clave_ml_model *m = NULL;
    struct clave_ml_trainer *t = NULL;
    struct clave_ml_train_opts o = clave_ml_train_opts_default();
    T_OK(clave_ml_model_new(&s, SEED, &m));
    T_OK(clave_ml_trainer_new(m, &o, SEED, NULL, &t));
    for (int e = 0; e < 30; e++) {
        T_OK(clave_ml_trainer_epoch(t, ds, NULL));
    }
    const double *p = clave_ml_model_params(m, NULL);
    for (size_t j = 0; j < 5; j++) {
        assert_true(fabs(p[j] - w[j]) < 1e-3);
    }
    assert_true(fabs(p[5] - 0.7) < 1e-3);
    clave_ml_trainer_free(t);
    clave_ml_model_free(m);
    clave_ml_dataset_free(ds);
    free(x);
}

/* Same seed, same model; a strong FedProx term keeps the weights near the anchor. */
static void test_determinism_and_prox(void **state)
{
    (void)state;
    struct clave_ml_model_spec s = spec_of(CLAVE_ML_MLP, 1);
    struct clave_ml_dataset *ds = blobs(200, 3, 0);
    struct clave_ml_model *a = NULL, *b = NULL, *c = NULL;
    struct clave_ml_trainer *ta = NULL, *tb = NULL, *tc = NULL;
    struct clave_ml_train_opts o = clave_ml_train_opts_default();
    T_OK(clave_ml_model_new(&s, SEED, &a));
    T_OK(clave_ml_model_clone(a, &b));
    T_OK(clave_ml_model_clone(a, &c));
    size_t n = 0;
    const double *start = clave_ml_model_params(a, &n);
    double *anchor = malloc(n * sizeof(double));
    assert_non_null(anchor);
    memcpy(anchor, start, n * sizeof(double));
    T_OK(clave_ml_trainer_new(a, &o, SEED, NULL, &ta));
    T_OK(clave_ml_trainer_new(b, &o, SEED, NULL, &tb));
    o.prox_mu = 10.0;
    o.learning_rate = 0.01;
    o.momentum = 0.0;
    T_OK(clave_ml_trainer_new(c, &o, SEED, anchor, &tc));
    T_OK(clave_ml_trainer_epoch(ta, ds, NULL));
    T_OK(clave_ml_trainer_epoch(tb, ds, NULL));
    T_OK(clave_ml_trainer_epoch(tc, ds, NULL));
    assert_memory_equal(clave_ml_model_params(a, NULL), clave_ml_model_params(b, NULL),
                        n * sizeof(double));
    double da = 0.0, dc = 0.0;
    for (size_t i = 0; i < n; i++) {
        da += pow(clave_ml_model_params(a, NULL)[i] - anchor[i], 2);
        dc += pow(clave_ml_model_params(c, NULL)[i] - anchor[i], 2);
    }
    assert_true(dc < da);
    o.prox_mu = 1.0;
    struct clave_ml_trainer *bad = NULL;
    T_ERR(clave_ml_trainer_new(c, &o, SEED, NULL, &bad), CLAVE_ERR_ARG);
    o.learning_rate = 0.0;
    T_ERR(clave_ml_trainer_new(c, &o, SEED, anchor, &bad), CLAVE_ERR_ARG);
    free(anchor);
    clave_ml_trainer_free(ta);
    clave_ml_trainer_free(tb);
    clave_ml_trainer_free(tc);
    clave_ml_model_free(a);
    clave_ml_model_free(b);
    clave_ml_model_free(c);
    clave_ml_dataset_free(ds);
}

/* Local DP-SGD: nearly noiseless with a huge clip it follows plain SGD; with real noise it still
 * learns; its epsilon is the accountant's for (batch/rows, z, steps). */
static void test_dp_sgd(void **state)
{
    (void)state;
    struct clave_ml_model_spec s = spec_of(CLAVE_ML_SOFTMAX, 0);
    struct clave_ml_dataset *tr = blobs(320, 3, 0), *te = blobs(300, 3, 9000);
    struct clave_ml_model *a = NULL, *b = NULL;
    struct clave_ml_trainer *ta = NULL, *tb = NULL;
    struct clave_ml_train_opts o = clave_ml_train_opts_default();
    T_OK(clave_ml_model_new(&s, SEED, &a));
    T_OK(clave_ml_model_clone(a, &b));
    T_OK(clave_ml_trainer_new(a, &o, SEED, NULL, &ta));
    o.dp_clip = 1e6;
    o.dp_noise_multiplier = 1e-12;
    T_OK(clave_ml_trainer_new(b, &o, SEED, NULL, &tb));
    T_OK(clave_ml_trainer_epoch(ta, tr, NULL));
    T_OK(clave_ml_trainer_epoch(tb, tr, NULL));
    size_t n = 0;
    const double *wa = clave_ml_model_params(a, &n), *wb = clave_ml_model_params(b, NULL);
    for (size_t i = 0; i < n; i++) {
        assert_true(fabs(wa[i] - wb[i]) < 1e-4);
    }
    double eps = 0.0;
    T_ERR(clave_ml_trainer_dp_epsilon(ta, 1e-5, &eps), CLAVE_ERR_STATE);
    clave_ml_trainer_free(tb);
    clave_ml_model_free(b);
    /* Real noise: clip 1, z = 1.1. */
    o.dp_clip = 1.0;
    o.dp_noise_multiplier = 1.1;
    o.learning_rate = 0.1;
    T_OK(clave_ml_model_new(&s, SEED, &b));
    T_OK(clave_ml_trainer_new(b, &o, SEED, NULL, &tb));
    for (int e = 0; e < 3; e++) {
        T_OK(clave_ml_trainer_epoch(tb, tr, NULL));
    }
    double acc = 0.0;
    T_OK(clave_ml_evaluate(b, te, NULL, &acc, NULL));
    assert_true(acc > 0.8);
    struct clave_dp_epsilon want;
    T_OK(clave_dp_rdp_epsilon(32.0 / 320.0, 1.1, 30, 1e-5, CLAVE_DP_ORDERS_DP_ACCOUNTING,
                              CLAVE_DP_CONVERSION_IMPROVED, &want));
    T_OK(clave_ml_trainer_dp_epsilon(tb, 1e-5, &eps));
    assert_true(eps == want.epsilon);
    o.dp_clip = 0.0;
    struct clave_ml_trainer *bad = NULL;
    T_ERR(clave_ml_trainer_new(b, &o, SEED, NULL, &bad), CLAVE_ERR_ARG);
    clave_ml_trainer_free(ta);
    clave_ml_trainer_free(tb);
    clave_ml_model_free(a);
    clave_ml_model_free(b);
    clave_ml_dataset_free(tr);
    clave_ml_dataset_free(te);
}

static void put_u32le(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static void test_format(void **state)
{
    (void)state;
    struct clave_ml_model_spec s = spec_of(CLAVE_ML_MLP, 2);
    struct clave_ml_model *m = NULL, *back = NULL;
    uint8_t *buf = NULL, *again = NULL;
    size_t len = 0, len2 = 0, count = 0;
    T_OK(clave_ml_model_new(&s, SEED, &m));
    T_OK(clave_ml_model_save(m, &buf, &len));
    clave_ml_model_params(m, &count);
    assert_int_equal(len, 28 + 8 * count);
    assert_memory_equal(buf, "CLML\x01\x04\x02\x00", 8);
    T_OK(clave_ml_model_load(buf, len, &back));
    T_OK(clave_ml_model_save(back, &again, &len2));
    assert_int_equal(len, len2);
    assert_memory_equal(buf, again, len);
    clave_ml_model_free(back);
    free(again);
    for (size_t cut = 0; cut < len; cut++) {
        T_ERR(clave_ml_model_load(buf, cut, &back), CLAVE_ERR_TRUNCATED);
        assert_null(back);
    }
    uint8_t *big = malloc(len + 1);
    assert_non_null(big);
    memcpy(big, buf, len);
    big[len] = 0;
    T_ERR(clave_ml_model_load(big, len + 1, &back), CLAVE_ERR_TRAILING);
    free(big);
    /* Every field of the header. */
    struct {
        size_t off;
        uint8_t byte;
        clave_status st;
    } flips[] = {
        {0, 'X', CLAVE_ERR_FORMAT}, {4, 2, CLAVE_ERR_UNSUPPORTED},
        {5, 9, CLAVE_ERR_FORMAT},   {5, CLAVE_ML_SOFTMAX, CLAVE_ERR_FORMAT},
        {6, 3, CLAVE_ERR_FORMAT},   {7, 1, CLAVE_ERR_FORMAT},
        {8, 6, CLAVE_ERR_FORMAT},   {12, 4, CLAVE_ERR_FORMAT},
        {16, 8, CLAVE_ERR_FORMAT},  {20, 5, CLAVE_ERR_FORMAT},
        {24, 1, CLAVE_ERR_FORMAT},
    };
    for (size_t i = 0; i < sizeof(flips) / sizeof(flips[0]); i++) {
        uint8_t keep = buf[flips[i].off];
        buf[flips[i].off] = flips[i].byte;
        T_ERR(clave_ml_model_load(buf, len, &back), flips[i].st);
        buf[flips[i].off] = keep;
    }
    /* Dimensions beyond the limits, and a parameter count that would need more bytes. */
    uint8_t hdr[28];
    memcpy(hdr, buf, sizeof(hdr));
    put_u32le(hdr + 8, 0x7fffffff);
    T_ERR(clave_ml_model_load(hdr, sizeof(hdr), &back), CLAVE_ERR_FORMAT);
    memcpy(hdr, buf, sizeof(hdr));
    put_u32le(hdr + 8, 65536);
    put_u32le(hdr + 16, 65536);
    put_u32le(hdr + 20, 65536);
    T_ERR(clave_ml_model_load(hdr, sizeof(hdr), &back), CLAVE_ERR_TOO_LARGE);
    /* NaN and infinities in the parameters. */
    static const uint64_t BAD[] = {UINT64_C(0x7ff8000000000000), UINT64_C(0x7ff0000000000000),
                                   UINT64_C(0xfff0000000000000), UINT64_C(0x7ff0000000000001)};
    for (size_t i = 0; i < 4; i++) {
        uint8_t keep[8];
        memcpy(keep, buf + 28 + 8 * 3, 8);
        for (int b = 0; b < 8; b++) {
            buf[28 + 8 * 3 + b] = (uint8_t)(BAD[i] >> (8 * b));
        }
        T_ERR(clave_ml_model_load(buf, len, &back), CLAVE_ERR_FORMAT);
        memcpy(buf + 28 + 8 * 3, keep, 8);
    }
    clave_ml_model_params(m, NULL)[0] = INFINITY;
    uint8_t *never = NULL;
    T_ERR(clave_ml_model_save(m, &never, &len2), CLAVE_ERR_ARG);
    assert_null(never);
    free(buf);
    clave_ml_model_free(m);
    /* Round trips for every kind. */
    for (int k = CLAVE_ML_LINEAR; k <= CLAVE_ML_SOFTMAX; k++) {
        s = spec_of((clave_ml_model_kind)k, 0);
        T_OK(clave_ml_model_new(&s, SEED, &m));
        T_OK(clave_ml_model_save(m, &buf, &len));
        T_OK(clave_ml_model_load(buf, len, &back));
        assert_int_equal(clave_ml_model_spec(back).kind, k);
        clave_ml_model_free(back);
        clave_ml_model_free(m);
        free(buf);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gradients),
        cmocka_unit_test(test_spec_errors),
        cmocka_unit_test(test_convergence),
        cmocka_unit_test(test_linear_regression),
        cmocka_unit_test(test_determinism_and_prox),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_dp_sgd),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
