/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Accountants against published values of the reference libraries:
 *   TF Privacy compute_dp_sgd_privacy_test.py (orders [1.25..4.5] + 5..63 + 128/256/512,
 *   improved conversion): (n, batch, sigma, epochs, delta) -> (eps, order)
 *     (60000, 150, 1.3, 15, 1e-5)     -> 0.7242234026109595, 19
 *     (100000, 100, 1.0, 30, 1e-7)    -> 1.4154988495444845, 13
 *     (1e8, 1024, 0.1, 10, 1e-7)      -> 5907982.31138195, 1.25   (steps = ceil(10 * 1e8 / 1024))
 *   Opacus tests/accountants_test.py: q 0.04, sigma 1.5, 2250 steps, delta 1e-5 -> 7.32911117143;
 *     get_noise_multiplier(eps 8, delta 1e-5, q 0.04, 90 epochs) -> 1.425307617 (a bisection that
 *     stops early: our exact inverse must not exceed it).
 *   dp_accounting rdp_privacy_accountant_test.py: q 0.01, sigma 2.5, 50 steps, orders
 *     [1.5, 2.5, 5, 50, 100] -> rdp [6.5007e-04, 1.0854e-03, 2.1808e-03, 2.3846e-02, 1.6742e+02]
 *     (rtol 1e-4); constant rdp 1.1 over orders 2..32, delta 1e-5 -> eps 1.32783806176, order 32.
 *   TF Privacy MNIST tutorial: q 256/60000, sigma 1.1, 60 epochs (14063 steps), delta 1e-5,
 *     classic conversion -> eps = 3.01 (to the two decimals published).
 *   Balle & Wang 2018: analytic Gaussian, D = 1, eps = 1, delta = 1e-5 -> sigma = 3.7306.
 */
#include "testlib.h"

#include <math.h>
#include <string.h>

static void assert_rel(double got, double want, double rel)
{
    if (!(fabs(got - want) <= rel * fabs(want))) {
        fail_msg("got %.15g, want %.15g (rel %.3g)", got, want, fabs(got - want) / fabs(want));
    }
}

static void test_tf_privacy_vectors(void **state)
{
    (void)state;
    struct clave_dp_epsilon e;
    T_OK(clave_dp_rdp_epsilon(150.0 / 60000.0, 1.3, 6000, 1e-5, CLAVE_DP_ORDERS_TF_PRIVACY,
                              CLAVE_DP_CONVERSION_IMPROVED, &e));
    assert_rel(e.epsilon, 0.7242234026109595, 1e-9);
    assert_true(e.order == 19.0);
    assert_int_equal(e.conversion, CLAVE_DP_CONVERSION_IMPROVED);
    T_OK(clave_dp_rdp_epsilon(100.0 / 100000.0, 1.0, 30000, 1e-7, CLAVE_DP_ORDERS_TF_PRIVACY,
                              CLAVE_DP_CONVERSION_IMPROVED, &e));
    assert_rel(e.epsilon, 1.4154988495444845, 1e-9);
    assert_true(e.order == 13.0);
    T_OK(clave_dp_rdp_epsilon(1024.0 / 100000000.0, 0.1, 976563, 1e-7, CLAVE_DP_ORDERS_TF_PRIVACY,
                              CLAVE_DP_CONVERSION_IMPROVED, &e));
    assert_rel(e.epsilon, 5907982.31138195, 1e-9);
    assert_true(e.order == 1.25);
}

static void test_opacus_vectors(void **state)
{
    (void)state;
    struct clave_dp_epsilon e;
    T_OK(clave_dp_rdp_epsilon(0.04, 1.5, 2250, 1e-5, CLAVE_DP_ORDERS_OPACUS,
                              CLAVE_DP_CONVERSION_IMPROVED, &e));
    assert_rel(e.epsilon, 7.32911117143, 1e-9);
    /* Inverse: our sigma meets eps 8, a slightly smaller one does not, and it is below Opacus'. */
    double sigma = 0.0;
    T_OK(clave_dp_rdp_sigma(8.0, 1e-5, 0.04, 2250, CLAVE_DP_ORDERS_OPACUS,
                            CLAVE_DP_CONVERSION_IMPROVED, 1e-9, &sigma));
    T_OK(clave_dp_rdp_epsilon(0.04, sigma, 2250, 1e-5, CLAVE_DP_ORDERS_OPACUS,
                              CLAVE_DP_CONVERSION_IMPROVED, &e));
    assert_true(e.epsilon <= 8.0);
    assert_true(sigma <= 1.425307617 && sigma > 1.40);
    T_OK(clave_dp_rdp_epsilon(0.04, sigma * (1.0 - 1e-8), 2250, 1e-5, CLAVE_DP_ORDERS_OPACUS,
                              CLAVE_DP_CONVERSION_IMPROVED, &e));
    assert_true(e.epsilon > 8.0);
}

static void test_mnist_tutorial_classic(void **state)
{
    (void)state;
    struct clave_dp_epsilon e;
    T_OK(clave_dp_rdp_epsilon(256.0 / 60000.0, 1.1, 14063, 1e-5, CLAVE_DP_ORDERS_OPACUS,
                              CLAVE_DP_CONVERSION_CLASSIC, &e));
    print_message("mnist classic eps %.10f at order %g\n", e.epsilon, e.order);
    assert_true(fabs(e.epsilon - 3.01) < 0.005);
    assert_int_equal(e.conversion, CLAVE_DP_CONVERSION_CLASSIC);
    /* The improved conversion is never worse. */
    struct clave_dp_epsilon imp;
    T_OK(clave_dp_rdp_epsilon(256.0 / 60000.0, 1.1, 14063, 1e-5, CLAVE_DP_ORDERS_OPACUS,
                              CLAVE_DP_CONVERSION_IMPROVED, &imp));
    assert_true(imp.epsilon < e.epsilon);
}

static void test_dp_accounting_vectors(void **state)
{
    (void)state;
    const double orders[] = {1.5, 2.5, 5, 50, 100};
    const double want[] = {6.5007e-04, 1.0854e-03, 2.1808e-03, 2.3846e-02, 1.6742e+02};
    for (size_t i = 0; i < 5; i++) {
        assert_rel(clave_dp_rdp_subsampled_gaussian(0.01, 2.5, orders[i]) * 50.0, want[i], 1e-4);
    }
    assert_true(isinf(clave_dp_rdp_subsampled_gaussian(0.01, 2.5, INFINITY)));
    double o[31], r[31];
    for (int i = 0; i < 31; i++) {
        o[i] = 2.0 + i;
        r[i] = 1.1;
    }
    struct clave_dp_epsilon e;
    T_OK(clave_dp_rdp_to_epsilon(o, r, 31, 1e-5, CLAVE_DP_CONVERSION_IMPROVED, &e));
    assert_rel(e.epsilon, 1.32783806176, 1e-9);
    assert_true(e.order == 32.0);
    /* q = 1: the plain Gaussian, a / (2 sigma^2). */
    assert_rel(clave_dp_rdp_subsampled_gaussian(1.0, 2.0, 3.0), 3.0 / 8.0, 1e-15);
}

static void test_order_grids(void **state)
{
    (void)state;
    const double *o = NULL;
    assert_int_equal(clave_dp_orders(CLAVE_DP_ORDERS_DP_ACCOUNTING, &o), 99 + 53 + 4);
    assert_true(o[0] == 1.1 && o[98] == 1.0 + 99 / 10.0 && o[99] == 11.0 && o[155] == 1024.0);
    assert_int_equal(clave_dp_orders(CLAVE_DP_ORDERS_TF_PRIVACY, &o), 10 + 59 + 3);
    assert_int_equal(clave_dp_orders(CLAVE_DP_ORDERS_OPACUS, &o), 99 + 52);
    assert_int_equal(clave_dp_orders((clave_dp_order_grid)99, &o), 0);
}

static void test_hostile_parameters(void **state)
{
    (void)state;
    struct clave_dp_epsilon e;
    const double bad_q[] = {0.0, -0.1, 1.5, NAN, INFINITY};
    for (size_t i = 0; i < 5; i++) {
        T_ERR(clave_dp_rdp_epsilon(bad_q[i], 1.0, 10, 1e-5, CLAVE_DP_ORDERS_DP_ACCOUNTING,
                                   CLAVE_DP_CONVERSION_IMPROVED, &e),
              CLAVE_ERR_ARG);
        assert_non_null(strstr(clave_error_last().detail, "q"));
    }
    T_ERR(clave_dp_rdp_epsilon(0.1, 0.0, 10, 1e-5, CLAVE_DP_ORDERS_DP_ACCOUNTING,
                               CLAVE_DP_CONVERSION_IMPROVED, &e),
          CLAVE_ERR_ARG);
    assert_non_null(strstr(clave_error_last().detail, "sigma"));
    T_ERR(clave_dp_rdp_epsilon(0.1, 1.0, 10, 1.0, CLAVE_DP_ORDERS_DP_ACCOUNTING,
                               CLAVE_DP_CONVERSION_IMPROVED, &e),
          CLAVE_ERR_ARG);
    assert_non_null(strstr(clave_error_last().detail, "delta"));
    T_ERR(clave_dp_rdp_epsilon(0.1, 1.0, 0, 1e-5, CLAVE_DP_ORDERS_DP_ACCOUNTING,
                               CLAVE_DP_CONVERSION_IMPROVED, &e),
          CLAVE_ERR_ARG);
    double s = 0;
    T_ERR(clave_dp_rdp_sigma(-1.0, 1e-5, 0.01, 100, CLAVE_DP_ORDERS_DP_ACCOUNTING,
                             CLAVE_DP_CONVERSION_IMPROVED, 1e-6, &s),
          CLAVE_ERR_ARG);
    assert_non_null(strstr(clave_error_last().detail, "epsilon"));
    T_ERR(clave_dp_gaussian_sigma(1.0, 0.0, 1.0, &s), CLAVE_ERR_ARG);
    T_ERR(clave_dp_gaussian_sigma(NAN, 1e-5, 1.0, &s), CLAVE_ERR_ARG);
}

static void test_analytic_gaussian(void **state)
{
    (void)state;
    double sigma = 0.0;
    T_OK(clave_dp_gaussian_sigma(1.0, 1e-5, 1.0, &sigma));
    print_message("analytic gaussian sigma %.10f\n", sigma);
    assert_true(fabs(sigma - 3.7306) < 5e-5);
    assert_true(clave_dp_gaussian_delta(1.0, sigma, 1.0) <= 1e-5);
    assert_true(clave_dp_gaussian_delta(1.0, sigma * (1 - 1e-9), 1.0) > 1e-5);
    /* Scales linearly with the sensitivity; tighter than the classic sqrt(2 ln(1.25/d)) / eps. */
    double s4 = 0.0;
    T_OK(clave_dp_gaussian_sigma(1.0, 1e-5, 4.0, &s4));
    assert_rel(s4, 4.0 * sigma, 1e-9);
    assert_true(sigma < sqrt(2.0 * log(1.25 / 1e-5)));
}

static void test_composition_and_zcdp(void **state)
{
    (void)state;
    const double eps[] = {0.5, 0.25, 0.25}, del[] = {1e-6, 0.0, 1e-6};
    double e = 0, d = 0;
    T_OK(clave_dp_compose_basic(eps, del, 3, &e, &d));
    assert_true(e == 1.0 && fabs(d - 2e-6) < 1e-18);
    /* Advanced composition by hand: k = 100, eps 0.1, delta' 1e-6. */
    T_OK(clave_dp_compose_advanced(0.1, 0.0, 100, 1e-6, &e, &d));
    double want = sqrt(200.0 * log(1e6)) * 0.1 + 100 * 0.1 * expm1(0.1);
    assert_rel(e, want, 1e-12);
    assert_true(d == 1e-6);
    /* zCDP: rho 0.5 -> classic eps = 0.5 + 2 sqrt(0.5 ln 1e5); improved is smaller. */
    struct clave_dp_epsilon z, zi;
    T_OK(clave_dp_zcdp_epsilon(0.5, 1e-5, CLAVE_DP_CONVERSION_CLASSIC, &z));
    assert_rel(z.epsilon, 0.5 + 2.0 * sqrt(0.5 * log(1e5)), 1e-12);
    T_OK(clave_dp_zcdp_epsilon(0.5, 1e-5, CLAVE_DP_CONVERSION_IMPROVED, &zi));
    assert_true(zi.epsilon < z.epsilon && zi.epsilon > 0.5);
    assert_rel(clave_dp_zcdp_gaussian_rho(2.0, 1.0), 0.125, 1e-15);
    T_ERR(clave_dp_zcdp_epsilon(-1.0, 1e-5, CLAVE_DP_CONVERSION_CLASSIC, &z), CLAVE_ERR_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tf_privacy_vectors),
        cmocka_unit_test(test_opacus_vectors),
        cmocka_unit_test(test_mnist_tutorial_classic),
        cmocka_unit_test(test_dp_accounting_vectors),
        cmocka_unit_test(test_order_grids),
        cmocka_unit_test(test_hostile_parameters),
        cmocka_unit_test(test_analytic_gaussian),
        cmocka_unit_test(test_composition_and_zcdp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
