/* SPDX-License-Identifier: Apache-2.0 */
/* Calibration (conservative rounding), bounded aggregates with contribution bounding, partition
 * selection, clipping and the DP-SGD step; hostile parameters name the parameter. */
#include "testlib.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define BIG_EPS 1e5 /* noise scale 1e-5: results equal the exact values */

static struct clave_dp_rng *rng_new(void)
{
    struct clave_dp_rng *rng = NULL;
    T_OK(clave_dp_rng_new(&rng));
    return rng;
}

static void expect_arg(clave_status st, const char *name)
{
    assert_int_equal(st, CLAVE_ERR_ARG);
    const char *d = clave_error_last().detail;
    if (strstr(d, name) == NULL) {
        fail_msg("detail '%s' does not name '%s'", d, name);
    }
}

/* The hockey-stick divergence sum_y max(0, P(y) - e^eps Q(y)) of P = N_Z(0, s2) and
 * Q = N_Z(sens, s2), summed term by term in long double: the definition of the tightest delta,
 * computed without the closed form of CKS 2020 Theorem 7. */
static double hockey_stick(double eps, double s2, double sens)
{
    long double norm = 0.0L, sum = 0.0L, e = expl((long double)eps);
    long double reach = floorl(60.0L * sqrtl((long double)s2) + 60.0L + (long double)sens);
    for (long double y = -reach; y <= reach; y += 1.0L) {
        norm += expl(-y * y / (2.0L * s2));
    }
    for (long double y = -reach; y <= reach; y += 1.0L) {
        long double p = expl(-y * y / (2.0L * s2)) / norm;
        long double q = expl(-(y - sens) * (y - sens) / (2.0L * s2)) / norm;
        sum += p > e * q ? p - e * q : 0.0L;
    }
    return (double)sum;
}

static void test_discrete_gaussian_delta_theorem7(void **state)
{
    (void)state;
    static const double CASES[][3] = {
        /* epsilon, sigma^2, sensitivity */
        {1.0, 0.5, 1},   {1.0, 2.0, 1},  {0.5, 10.3, 1}, {1.0, 13.9, 1}, {2.0, 4.0, 3},
        {0.1, 100.0, 1}, {1.0, 50.0, 7}, {3.0, 1.0, 2},  {0.0, 9.0, 1},  {1.0, 1000.0, 1},
    };
    for (size_t i = 0; i < sizeof(CASES) / sizeof(CASES[0]); i++) {
        double got = clave_dp_discrete_gaussian_delta(CASES[i][0], CASES[i][1], CASES[i][2]);
        double want = hockey_stick(CASES[i][0], CASES[i][1], CASES[i][2]);
        if (!(fabs(got - want) <= 1e-9 * want + 1e-300)) {
            fail_msg("case %zu: theorem 7 %.17g, hockey stick %.17g", i, got, want);
        }
    }
    /* Far from the integers' granularity the discrete and continuous Gaussians agree (CKS 2020
     * Section 2.3: "essentially the same privacy"); sigma = 1000 grid units, sensitivity 1. */
    double dg = clave_dp_discrete_gaussian_delta(1.0, 1e6, 1.0);
    double cg = clave_dp_gaussian_delta(1.0, 1000.0, 1.0);
    assert_true(fabs(dg - cg) <= 1e-6 * cg);
    /* Calibrated discrete noise meets its target on the discrete curve too. */
    for (uint64_t sens = 1; sens <= 5; sens++) {
        struct clave_dp_params g = {CLAVE_DP_GAUSSIAN, 0.5, 1e-6, 0.0};
        struct clave_dp_noise n;
        T_OK(clave_dp_noise_calibrate(&g, sens, 0, &n));
        double s2 = (double)n.num / (double)n.den;
        assert_true(clave_dp_discrete_gaussian_delta(0.5, s2, (double)sens) <= 1e-6);
    }
    assert_true(isnan(clave_dp_discrete_gaussian_delta(-1.0, 1.0, 1.0)));
    assert_true(isnan(clave_dp_discrete_gaussian_delta(1.0, 0.0, 1.0)));
    assert_true(isnan(clave_dp_discrete_gaussian_delta(1.0, 1.0, NAN)));
}

static struct clave_dp_row *make_rows(size_t *n);

/* The noise of an (epsilon, delta) Gaussian quantile, composed over its counts in zCDP, converts
 * back to at most epsilon; and it is far less than splitting (epsilon, delta) itself would need. */
static void test_gaussian_quantile_budget(void **state)
{
    (void)state;
    struct clave_dp_rng *rng = rng_new();
    size_t n = 0;
    struct clave_dp_row *rows = make_rows(&n);
    struct clave_dp_bounds all = {0.0, 10.0, 10, 0}; /* range 10: 4 halvings + 1 total = 5 */
    struct clave_dp_params p = {CLAVE_DP_GAUSSIAN, 1.0, 1e-6, 0.0};
    struct clave_dp_result r;
    T_OK(clave_dp_quantile(rng, rows, n, &all, &p, 0.5, &r));
    double s2 = (double)r.noise.num / (double)r.noise.den;
    double rho = 5.0 * 10.0 * 10.0 / (2.0 * s2); /* 5 counts of sensitivity 10 */
    struct clave_dp_epsilon e;
    T_OK(clave_dp_zcdp_epsilon(rho, 1e-6, CLAVE_DP_CONVERSION_IMPROVED, &e));
    assert_true(e.epsilon <= 1.0 && e.epsilon > 0.999);
    double split_sigma = 0.0;
    T_OK(clave_dp_gaussian_sigma(0.2, 2e-7, 10.0, &split_sigma));
    assert_true(sqrt(s2) < split_sigma);
    free(rows);
    clave_dp_rng_free(rng);
}

static void test_calibration_is_conservative(void **state)
{
    (void)state;
    struct clave_dp_noise n;
    struct clave_dp_params lap = {CLAVE_DP_LAPLACE, 0.3, 0.0, 0.0};
    T_OK(clave_dp_noise_calibrate(&lap, 7, 0, &n));
    double scale = (double)n.num / (double)n.den;
    assert_true(scale >= 7.0 / 0.3 && scale < 7.0 / 0.3 * (1.0 + 1e-9));
    struct clave_dp_params g = {CLAVE_DP_GAUSSIAN, 1.0, 1e-5, 0.0};
    T_OK(clave_dp_noise_calibrate(&g, 1, 0, &n));
    double s2 = (double)n.num / (double)n.den;
    assert_true(s2 >= 3.7306 * 3.7306 && s2 < 3.7307 * 3.7307 * 1.01);
    assert_true(n.epsilon_charged == 1.0 && n.delta_charged == 1e-5);
    struct clave_dp_params z = {CLAVE_DP_GAUSSIAN_ZCDP, 0.0, 0.0, 0.125};
    T_OK(clave_dp_noise_calibrate(&z, 1, 0, &n));
    assert_true((double)n.num / (double)n.den >= 4.0);
    expect_arg(
        clave_dp_noise_calibrate(&(struct clave_dp_params){CLAVE_DP_LAPLACE, 0.0, 0, 0}, 1, 0, &n),
        "epsilon");
    expect_arg(
        clave_dp_noise_calibrate(&(struct clave_dp_params){CLAVE_DP_LAPLACE, NAN, 0, 0}, 1, 0, &n),
        "epsilon");
    expect_arg(
        clave_dp_noise_calibrate(&(struct clave_dp_params){CLAVE_DP_GAUSSIAN, 1, 1.0, 0}, 1, 0, &n),
        "delta");
    expect_arg(clave_dp_noise_calibrate(
                   &(struct clave_dp_params){CLAVE_DP_GAUSSIAN_ZCDP, 0, 0, -1.0}, 1, 0, &n),
               "rho");
    expect_arg(clave_dp_noise_calibrate(&lap, 1, 41, &n), "grid_bits");
}

/* Users 1..3 with 10 rows each, values 1..10. */
static struct clave_dp_row *make_rows(size_t *n)
{
    struct clave_dp_row *r = calloc(30, sizeof(*r));
    assert_non_null(r);
    for (size_t i = 0; i < 30; i++) {
        r[i] = (struct clave_dp_row){1 + i / 10, (double)(i % 10 + 1), i % 10 < 5 ? "a" : "b"};
    }
    *n = 30;
    return r;
}

static void test_aggregates_exact_at_high_epsilon(void **state)
{
    (void)state;
    struct clave_dp_rng *rng = rng_new();
    size_t n = 0;
    struct clave_dp_row *rows = make_rows(&n);
    struct clave_dp_bounds b = {0.0, 8.0, 2, 8};
    struct clave_dp_params p = {CLAVE_DP_LAPLACE, BIG_EPS, 0.0, 0.0};
    struct clave_dp_result r;
    T_OK(clave_dp_count(rng, rows, n, &b, &p, &r));
    assert_int_equal(r.grid_value, 6); /* 2 rows per user kept */
    assert_true(r.epsilon == BIG_EPS && r.delta == 0.0);
    T_OK(clave_dp_sum(rng, rows, n, &b, &p, &r));
    assert_true(fabs(r.value - 9.0) < 1e-3); /* (1 + 2) per user */
    T_OK(clave_dp_mean(rng, rows, n, &b, &p, &r));
    assert_true(fabs(r.value - 1.5) < 1e-3);
    T_OK(clave_dp_variance(rng, rows, n, &b, &p, &r));
    assert_true(fabs(r.value - 0.25) < 1e-3);
    /* Clamping: upper bound 1.5 caps the 2s. */
    struct clave_dp_bounds tight = {0.0, 1.5, 2, 8};
    T_OK(clave_dp_sum(rng, rows, n, &tight, &p, &r));
    assert_true(fabs(r.value - 7.5) < 1e-3);
    int64_t hist[4];
    struct clave_dp_bounds all = {0.0, 10.0, 10, 0};
    T_OK(clave_dp_histogram(rng, rows, n, &all, &p, 4, hist));
    /* values 1..10 over [0,10) in 4 buckets of 2.5: {1,2}, {3,4}, {5,6,7}, {8,9,10 (clamped)}. */
    assert_int_equal(hist[0], 6);
    assert_int_equal(hist[1], 6);
    assert_int_equal(hist[2], 9);
    assert_int_equal(hist[3], 9);
    /* Thresholded: buckets below 7 are withheld (post-processing of the noisy counts). */
    bool shown[4];
    size_t n_shown = 0;
    T_OK(clave_dp_histogram_thresholded(rng, rows, n, &all, &p, 4, 7, hist, shown, &n_shown));
    assert_int_equal(n_shown, 2);
    assert_true(!shown[0] && !shown[1] && shown[2] && shown[3]);
    assert_true(hist[0] == 0 && hist[1] == 0 && hist[2] == 9 && hist[3] == 9);
    T_OK(clave_dp_histogram_thresholded(rng, rows, n, &all, &p, 4, 0, hist, shown, NULL));
    assert_true(shown[0] && shown[1] && shown[2] && shown[3] && hist[0] == 6);
    struct clave_dp_params bad_eps = {CLAVE_DP_LAPLACE, 0.0, 0.0, 0.0};
    expect_arg(
        clave_dp_histogram_thresholded(rng, rows, n, &all, &bad_eps, 4, 7, hist, shown, &n_shown),
        "epsilon");
    assert_true(n_shown == 0 && !shown[2] && hist[2] == 0); /* nothing released on failure */
    assert_int_equal(
        clave_dp_histogram_thresholded(rng, rows, n, &all, &p, 4, 7, hist, NULL, &n_shown),
        CLAVE_ERR_ARG);
    T_OK(clave_dp_quantile(rng, rows, n, &all, &p, 0.5, &r));
    assert_true(r.value >= 5.0 && r.value <= 6.0);
    /* Gaussian quantiles: (epsilon, delta) through zCDP, and zCDP itself. */
    struct clave_dp_params gq = {CLAVE_DP_GAUSSIAN, 1000.0, 1e-6, 0.0}; /* the largest epsilon */
    T_OK(clave_dp_quantile(rng, rows, n, &all, &gq, 0.5, &r));
    assert_true(r.value >= 4.0 && r.value <= 7.0); /* noise sd ~0.5 on counts 3 apart */
    assert_true(r.epsilon == 1000.0 && r.delta == 1e-6);
    assert_int_equal(r.noise.mechanism, CLAVE_DP_GAUSSIAN_ZCDP);
    struct clave_dp_params zq = {CLAVE_DP_GAUSSIAN_ZCDP, 0.0, 0.0, BIG_EPS};
    T_OK(clave_dp_quantile(rng, rows, n, &all, &zq, 0.5, &r));
    assert_true(r.value >= 5.0 && r.value <= 6.0);
    assert_true(r.epsilon == BIG_EPS && r.delta == 0.0);
    /* Gaussian and zCDP mechanisms report what they cost. */
    struct clave_dp_params g = {CLAVE_DP_GAUSSIAN, 100.0, 1e-6, 0.0};
    T_OK(clave_dp_count(rng, rows, n, &b, &g, &r));
    assert_true(r.epsilon == 100.0 && r.delta == 1e-6);
    assert_true(llabs(r.grid_value - 6) < 10);
    free(rows);
    clave_dp_rng_free(rng);
}

static void test_aggregates_hostile(void **state)
{
    (void)state;
    struct clave_dp_rng *rng = rng_new();
    size_t n = 0;
    struct clave_dp_row *rows = make_rows(&n);
    struct clave_dp_params p = {CLAVE_DP_LAPLACE, 1.0, 0.0, 0.0};
    struct clave_dp_result r;
    expect_arg(clave_dp_sum(rng, rows, n, &(struct clave_dp_bounds){5, 1, 1, 0}, &p, &r),
               "bounds reversed");
    expect_arg(clave_dp_sum(rng, rows, n, &(struct clave_dp_bounds){NAN, 1, 1, 0}, &p, &r),
               "lower");
    expect_arg(clave_dp_sum(rng, rows, n, &(struct clave_dp_bounds){0, INFINITY, 1, 0}, &p, &r),
               "upper");
    expect_arg(clave_dp_sum(rng, rows, n, &(struct clave_dp_bounds){0, 1, 0, 0}, &p, &r),
               "max_rows_per_user");
    expect_arg(clave_dp_sum(rng, rows, n, &(struct clave_dp_bounds){0, 1e300, 1, 0}, &p, &r),
               "upper");
    struct clave_dp_params bad = {CLAVE_DP_LAPLACE, -1.0, 0.0, 0.0};
    expect_arg(clave_dp_mean(rng, rows, n, &(struct clave_dp_bounds){0, 1, 1, 0}, &bad, &r),
               "epsilon");
    struct clave_dp_params g = {CLAVE_DP_GAUSSIAN, 1.0, 0.0, 0.0};
    expect_arg(clave_dp_count(rng, rows, n, &(struct clave_dp_bounds){0, 1, 1, 0}, &g, &r),
               "delta");
    expect_arg(clave_dp_quantile(rng, rows, n, &(struct clave_dp_bounds){0, 1, 1, 0}, &p, 1.5, &r),
               "quantile");
    /* Empty input is fine. */
    T_OK(clave_dp_count(rng, NULL, 0, &(struct clave_dp_bounds){0, 1, 1, 0}, &p, &r));
    free(rows);
    clave_dp_rng_free(rng);
}

struct collected {
    char keys[8][8];
    size_t n;
};

static bool collect(void *ctx, const char *key, int64_t count)
{
    struct collected *c = ctx;
    (void)count;
    if (c->n < 8) {
        strncpy(c->keys[c->n], key, 7);
        c->keys[c->n][7] = '\0';
        c->n++;
    }
    return true;
}

static void test_partition_selection(void **state)
{
    (void)state;
    struct clave_dp_rng *rng = rng_new();
    struct clave_dp_row rows[12];
    /* "many": users 1..6; "lone": user 7 only; user 8 has three keys but max_partitions 1. */
    for (uint64_t u = 0; u < 6; u++) {
        rows[u] = (struct clave_dp_row){u + 1, 0, "many"};
        rows[6 + u] = (struct clave_dp_row){u + 1, 0, "many"};
    }
    rows[11] = (struct clave_dp_row){7, 0, "lone"};
    struct collected c = {0};
    T_OK(clave_dp_partition_select(rng, rows, 12, 1, BIG_EPS, 1e-6, collect, &c));
    assert_int_equal(c.n, 1);
    assert_string_equal(c.keys[0], "many");
    expect_arg(clave_dp_partition_select(rng, rows, 12, 1, 1.0, 0.0, collect, &c), "delta");
    expect_arg(clave_dp_partition_select(rng, rows, 12, 1, 0.0, 1e-6, collect, &c), "epsilon");
    clave_dp_rng_free(rng);
}

static void test_clip_and_sgd_step(void **state)
{
    (void)state;
    double g[3] = {3.0, 4.0, 0.0}, norm = 0;
    T_OK(clave_dp_clip_l2(g, 3, 1.0, &norm));
    assert_true(norm == 5.0 && fabs(g[0] - 0.6) < 1e-15 && fabs(g[1] - 0.8) < 1e-15);
    double small[2] = {0.1, 0.1};
    T_OK(clave_dp_clip_l2(small, 2, 1.0, &norm));
    assert_true(small[0] == 0.1);
    double bad[1] = {NAN};
    expect_arg(clave_dp_clip_l2(bad, 1, 1.0, &norm), "not finite");
    expect_arg(clave_dp_clip_l2(g, 3, 0.0, &norm), "clip_norm");

    struct clave_dp_rng *rng = rng_new();
    double grads[2 * 3] = {3, 4, 0, 0, 0, 0.5};
    double out[3];
    T_OK(clave_dp_sgd_step(rng, grads, 2, 3, 1.0, 1e-4, 16, out));
    assert_true(fabs(out[0] - 0.6) < 1e-2 && fabs(out[1] - 0.8) < 1e-2 &&
                fabs(out[2] - 0.5) < 1e-2);
    /* Real noise: z = 1 gives a sum whose spread is about the clip norm. */
    double grads2[3] = {0, 0, 0};
    T_OK(clave_dp_sgd_step(rng, grads2, 1, 3, 1.0, 1.0, 16, out));
    assert_true(fabs(out[0]) < 10.0);
    expect_arg(clave_dp_sgd_step(rng, grads2, 1, 3, 1.0, 0.0, 16, out), "noise_multiplier");
    expect_arg(clave_dp_sgd_step(rng, grads2, 1, 3, -1.0, 1.0, 16, out), "clip_norm");
    clave_dp_rng_free(rng);
}

/* The Laplace mechanism's noise has the calibrated scale: the sample variance of 2e5 draws at
 * scale 1/eps = 4 is within 5% of 2r/(1-r)^2 (r = e^-1/4); a wrong scale (x1.1) would be off
 * by 20%. */
static void test_mechanism_noise_scale(void **state)
{
    (void)state;
    struct clave_dp_rng *rng = rng_new();
    struct clave_dp_noise n;
    struct clave_dp_params p = {CLAVE_DP_LAPLACE, 0.25, 0.0, 0.0};
    T_OK(clave_dp_noise_calibrate(&p, 1, 0, &n));
    double s = 0, r = exp(-0.25), want = 2.0 * r / ((1 - r) * (1 - r));
    for (int i = 0; i < 200000; i++) {
        int64_t z = 0;
        T_OK(clave_dp_noise_sample(rng, &n, &z));
        s += (double)(z * z);
    }
    assert_true(fabs(s / 200000.0 - want) < 0.05 * want);
    clave_dp_rng_free(rng);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_calibration_is_conservative),
        cmocka_unit_test(test_aggregates_exact_at_high_epsilon),
        cmocka_unit_test(test_aggregates_hostile),
        cmocka_unit_test(test_partition_selection),
        cmocka_unit_test(test_discrete_gaussian_delta_theorem7),
        cmocka_unit_test(test_gaussian_quantile_budget),
        cmocka_unit_test(test_clip_and_sgd_step),
        cmocka_unit_test(test_mechanism_noise_scale),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
