/* SPDX-License-Identifier: Apache-2.0 */
/* Fixed-point encoding, products with truncation, and two-party share truncation. */
#include "testlib.h"

#include <math.h>

#define FRAC 16

static void test_encode_decode(void **state)
{
    (void)state;
    static const double VALUES[] = {0.0, 1.0, -1.0, 3.25, -1234.5, 1e-5, 123456.789};
    uint64_t v = 0;
    for (size_t i = 0; i < sizeof(VALUES) / sizeof(VALUES[0]); i++) {
        T_OK(clave_mpc_fixed_encode(VALUES[i], FRAC, &v));
        assert_true(fabs(clave_mpc_fixed_decode(v, FRAC) - VALUES[i]) <= ldexp(1.0, -FRAC - 1));
    }
    T_OK(clave_mpc_fixed_encode(-1.0, FRAC, &v));
    assert_int_equal(v, (uint64_t)0 - (UINT64_C(1) << FRAC));
    T_ERR(clave_mpc_fixed_encode(NAN, FRAC, &v), CLAVE_ERR_ARG);
    assert_int_equal(v, 0);
    T_ERR(clave_mpc_fixed_encode(INFINITY, FRAC, &v), CLAVE_ERR_ARG);
    T_ERR(clave_mpc_fixed_encode(-INFINITY, FRAC, &v), CLAVE_ERR_ARG);
    T_ERR(clave_mpc_fixed_encode(ldexp(1.0, 62 - FRAC), FRAC, &v), CLAVE_ERR_ARG);
    T_ERR(clave_mpc_fixed_encode(1.0, CLAVE_MPC_FIXED_MAX_FRAC + 1, &v), CLAVE_ERR_ARG);
}

static void test_product(void **state)
{
    (void)state;
    uint64_t a = 0, b = 0;
    T_OK(clave_mpc_fixed_encode(-2.5, FRAC, &a));
    T_OK(clave_mpc_fixed_encode(4.25, FRAC, &b));
    uint64_t prod = clave_mpc_fixed_trunc(a * b, FRAC);
    assert_true(fabs(clave_mpc_fixed_decode(prod, FRAC) + 10.625) < 1e-9);
    assert_int_equal(clave_mpc_fixed_trunc(UINT64_MAX, 3), UINT64_MAX);
    assert_int_equal(clave_mpc_fixed_trunc(UINT64_C(1) << 63, 64), UINT64_MAX);
    assert_int_equal(clave_mpc_fixed_trunc(8, 64), 0);
    assert_int_equal(clave_mpc_fixed_trunc(8, 0), 8);
}

static void test_share_truncation(void **state)
{
    (void)state;
    /* Over many random sharings of products of values below 16 in magnitude (40-bit products), the
     * opened truncation is within one unit of the true one (failure probability ~2^-23 per trial by
     * the theorem). */
    size_t off_by_one = 0;
    for (size_t trial = 0; trial < 2000; trial++) {
        uint64_t r[3];
        T_OK(clave_random((uint8_t *)r, sizeof(r)));
        double x = ldexp((double)(r[0] % 32768), -10) - 16.0;
        double y = ldexp((double)(r[1] % 32768), -10) - 16.0;
        uint64_t fx = 0, fy = 0;
        T_OK(clave_mpc_fixed_encode(x, FRAC, &fx));
        T_OK(clave_mpc_fixed_encode(y, FRAC, &fy));
        uint64_t prod = fx * fy;
        uint64_t s0 = r[2], s1 = prod - r[2];
        uint64_t t =
            clave_mpc_fixed_trunc_share(s0, 0, FRAC) + clave_mpc_fixed_trunc_share(s1, 1, FRAC);
        uint64_t want = clave_mpc_fixed_trunc(prod, FRAC);
        uint64_t diff = t - want;
        assert_true(diff == 0 || diff == 1 || diff == UINT64_MAX);
        off_by_one += diff != 0;
    }
    assert_true(off_by_one < 2000);
    assert_int_equal(clave_mpc_fixed_trunc_share(5, 0, 64), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode_decode),
        cmocka_unit_test(test_product),
        cmocka_unit_test(test_share_truncation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
