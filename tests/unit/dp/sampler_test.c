/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Goodness of fit of the exact samplers on 10^6 draws against the exact pmf.
 *
 * Method: Pearson's chi-square over the bins {y : |y| <= B} (B chosen so that every bin expects
 * at least 50 draws) plus one bin for each tail. Threshold: the Wilson-Hilferty approximation of
 * the chi-square quantile with z = 5.0 (upper tail 2.9e-7 < 1e-6), so a correct sampler fails
 * less than once in a million runs.
 *
 * Power: each test also evaluates the same statistic on the SAME draws against (a) the pmf
 * shifted by one and (b) the pmf of a scale 5% off, and requires both to exceed the threshold,
 * showing on real data that an off-by-one or a wrong scale cannot pass. (For the 10^6 draws used
 * the statistic of either alternative is in the thousands against thresholds near 100.)
 */
#include "testlib.h"

#include <math.h>
#include <stdlib.h>

#define DRAWS 1000000
#define MIN_EXPECTED 50.0
#define Z_1E6 5.0

typedef double (*pmf_fn)(int64_t y, double param);

static double laplace_pmf(int64_t y, double t)
{
    double r = exp(-1.0 / t);
    return (1.0 - r) / (1.0 + r) * exp(-fabs((double)y) / t);
}

static double gauss_norm(double s2)
{
    double z = 1.0;
    for (int64_t y = 1; (double)y * (double)y < 80.0 * s2 + 100.0; y++) {
        z += 2.0 * exp(-(double)(y * y) / (2.0 * s2));
    }
    return z;
}

static double gauss_pmf(int64_t y, double s2)
{
    return exp(-(double)(y * y) / (2.0 * s2)) / gauss_norm(s2);
}

static double chi2_threshold(int df)
{
    double d = (double)df;
    double c = 1.0 - 2.0 / (9.0 * d) + Z_1E6 * sqrt(2.0 / (9.0 * d));
    return d * c * c * c;
}

/* Chi-square of `draws` (shifted by `shift`) against pmf(., param); *df gets degrees of freedom. */
static double chi2(const int64_t *draws, size_t n, int64_t shift, pmf_fn pmf, double param,
                   int64_t bound, int *df)
{
    size_t bins = (size_t)(2 * bound + 3);
    double *obs = calloc(bins, sizeof(double));
    assert_non_null(obs);
    for (size_t i = 0; i < n; i++) {
        int64_t y = draws[i] + shift;
        size_t b = y < -bound ? 0 : y > bound ? bins - 1 : (size_t)(y + bound + 1);
        obs[b] += 1.0;
    }
    double central = 0.0, stat = 0.0;
    for (int64_t y = -bound; y <= bound; y++) {
        double e = pmf(y, param) * (double)n;
        central += e / (double)n;
        double o = obs[(size_t)(y + bound + 1)];
        stat += (o - e) * (o - e) / e;
    }
    double tail = (1.0 - central) / 2.0 * (double)n; /* both pmfs are symmetric */
    if (tail < 1e-300) {
        tail = 1e-300;
    }
    stat += (obs[0] - tail) * (obs[0] - tail) / tail;
    stat += (obs[bins - 1] - tail) * (obs[bins - 1] - tail) / tail;
    *df = (int)bins - 1;
    free(obs);
    return stat;
}

static int64_t pick_bound(pmf_fn pmf, double param)
{
    int64_t b = 0;
    while (pmf(b + 1, param) * DRAWS >= MIN_EXPECTED) {
        b++;
    }
    return b;
}

static void check_fit(const int64_t *draws, pmf_fn pmf, double param, double wrong_param)
{
    int64_t bound = pick_bound(pmf, param);
    int df = 0;
    double stat = chi2(draws, DRAWS, 0, pmf, param, bound, &df);
    double thr = chi2_threshold(df);
    print_message("chi2 = %.1f, df = %d, threshold = %.1f\n", stat, df, thr);
    assert_true(stat < thr);
    double off_by_one = chi2(draws, DRAWS, 1, pmf, param, bound, &df);
    double wrong_scale = chi2(draws, DRAWS, 0, pmf, wrong_param, bound, &df);
    print_message("off-by-one chi2 = %.1f, wrong-scale chi2 = %.1f\n", off_by_one, wrong_scale);
    assert_true(off_by_one > thr);
    assert_true(wrong_scale > thr);
}

static int64_t *draw_many(clave_status (*fn)(struct clave_dp_rng *, uint64_t, uint64_t, int64_t *),
                          uint64_t num, uint64_t den)
{
    struct clave_dp_rng *rng = NULL;
    T_OK(clave_dp_rng_new(&rng));
    int64_t *d = malloc(DRAWS * sizeof(int64_t));
    assert_non_null(d);
    for (size_t i = 0; i < DRAWS; i++) {
        T_OK(fn(rng, num, den, &d[i]));
    }
    clave_dp_rng_free(rng);
    return d;
}

static void test_discrete_laplace_fit(void **state)
{
    (void)state;
    int64_t *d = draw_many(clave_dp_sample_discrete_laplace, 7, 2); /* scale 3.5 */
    check_fit(d, laplace_pmf, 3.5, 3.5 * 1.05);
    free(d);
}

static void test_discrete_laplace_small_scale_fit(void **state)
{
    (void)state;
    int64_t *d = draw_many(clave_dp_sample_discrete_laplace, 1, 3); /* scale 1/3 */
    check_fit(d, laplace_pmf, 1.0 / 3.0, 1.05 / 3.0);
    free(d);
}

static void test_discrete_gaussian_fit(void **state)
{
    (void)state;
    int64_t *d = draw_many(clave_dp_sample_discrete_gaussian, 10, 3); /* sigma^2 = 10/3 */
    check_fit(d, gauss_pmf, 10.0 / 3.0, 10.0 / 3.0 * 1.05 * 1.05);
    free(d);
}

static void test_discrete_gaussian_large_fit(void **state)
{
    (void)state;
    int64_t *d = draw_many(clave_dp_sample_discrete_gaussian, 2500, 1); /* sigma = 50 */
    check_fit(d, gauss_pmf, 2500.0, 2500.0 * 1.05 * 1.05);
    free(d);
}

/* Bernoulli(exp(-g)) and the geometric: counts against the exact mean, 5.5 standard deviations
 * (two-sided tail 3.8e-8). */
static void test_bernoulli_exp(void **state)
{
    (void)state;
    struct clave_dp_rng *rng = NULL;
    T_OK(clave_dp_rng_new(&rng));
    const uint64_t cases[][2] = {{0, 1}, {1, 3}, {1, 1}, {5, 2}, {7, 1}};
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        double p = exp(-(double)cases[c][0] / (double)cases[c][1]);
        size_t n = 200000, ones = 0;
        for (size_t i = 0; i < n; i++) {
            int b = -1;
            T_OK(clave_dp_sample_bernoulli_exp(rng, cases[c][0], cases[c][1], &b));
            assert_true(b == 0 || b == 1);
            ones += (size_t)b;
        }
        double sd = sqrt((double)n * p * (1.0 - p));
        assert_true(fabs((double)ones - (double)n * p) <= 5.5 * sd + 1e-9);
    }
    int b = 0;
    T_ERR(clave_dp_sample_bernoulli_exp(rng, 1, 0, &b), CLAVE_ERR_ARG);
    clave_dp_rng_free(rng);
}

static void test_geometric_and_uniform(void **state)
{
    (void)state;
    struct clave_dp_rng *rng = NULL;
    T_OK(clave_dp_rng_new(&rng));
    /* Geometric with rate x = 2/5: mean r/(1-r), r = e^-x. */
    double r = exp(-0.4), mean = r / (1.0 - r), var = r / ((1.0 - r) * (1.0 - r));
    size_t n = 200000;
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        uint64_t k = 0;
        T_OK(clave_dp_sample_geometric(rng, 2, 5, &k));
        sum += (double)k;
    }
    assert_true(fabs(sum / (double)n - mean) <= 5.5 * sqrt(var / (double)n));
    /* Uniform over 3 values: chi-square with 2 df. */
    double obs[3] = {0, 0, 0};
    for (size_t i = 0; i < n; i++) {
        uint64_t u = 9;
        T_OK(clave_dp_sample_uniform(rng, 3, &u));
        assert_true(u < 3);
        obs[u] += 1.0;
    }
    double e = (double)n / 3.0, stat = 0.0;
    for (int i = 0; i < 3; i++) {
        stat += (obs[i] - e) * (obs[i] - e) / e;
    }
    assert_true(stat < chi2_threshold(2) + 10.0); /* WH is loose at 2 df; exact 1e-6 is 27.6 */
    uint64_t u = 0;
    T_OK(clave_dp_sample_uniform(rng, 1, &u));
    assert_int_equal(u, 0);
    T_ERR(clave_dp_sample_uniform(rng, 0, &u), CLAVE_ERR_ARG);
    uint64_t k = 0;
    T_ERR(clave_dp_sample_geometric(rng, 0, 5, &k), CLAVE_ERR_ARG);
    int64_t y = 0;
    T_ERR(clave_dp_sample_discrete_laplace(rng, 0, 1, &y), CLAVE_ERR_ARG);
    T_ERR(clave_dp_sample_discrete_gaussian(rng, 1, 0, &y), CLAVE_ERR_ARG);
    clave_dp_rng_free(rng);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_discrete_laplace_fit),
        cmocka_unit_test(test_discrete_laplace_small_scale_fit),
        cmocka_unit_test(test_discrete_gaussian_fit),
        cmocka_unit_test(test_discrete_gaussian_large_fit),
        cmocka_unit_test(test_bernoulli_exp),
        cmocka_unit_test(test_geometric_and_uniform),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
