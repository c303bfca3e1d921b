/* SPDX-License-Identifier: Apache-2.0 */
/* PRSS: zero-sharings sum to zero, random sharings are consistent replicated sharings, the
 * streams stay in step across calls, and replicated multiplication works end to end. */
#include "testlib.h"

#include <string.h>

#define LEN 1000

struct three {
    struct clave_mpc_prss *p[3];
};

static void setup3(struct three *t, uint8_t keys[3][CLAVE_MPC_PRSS_KEY_LEN])
{
    for (size_t i = 0; i < 3; i++) {
        T_OK(clave_random(keys[i], CLAVE_MPC_PRSS_KEY_LEN));
    }
    for (size_t i = 0; i < 3; i++) {
        T_OK(clave_mpc_prss_new(keys[i], keys[(i + 1) % 3], &t->p[i]));
    }
}

static void free3(struct three *t)
{
    for (size_t i = 0; i < 3; i++) {
        clave_mpc_prss_free(t->p[i]);
    }
}

static void test_zero_and_random(void **state)
{
    (void)state;
    uint8_t keys[3][CLAVE_MPC_PRSS_KEY_LEN];
    struct three t;
    static uint64_t a[3][LEN], own[3][LEN], next[3][LEN];
    setup3(&t, keys);
    for (size_t round = 0; round < 3; round++) {
        for (size_t i = 0; i < 3; i++) {
            T_OK(clave_mpc_prss_zero(t.p[i], a[i], LEN));
        }
        size_t nonzero = 0;
        for (size_t k = 0; k < LEN; k++) {
            assert_int_equal(a[0][k] + a[1][k] + a[2][k], 0);
            nonzero += a[0][k] != 0;
        }
        assert_true(nonzero > LEN - 2);
        for (size_t i = 0; i < 3; i++) {
            T_OK(clave_mpc_prss_random(t.p[i], own[i], next[i], LEN));
        }
        for (size_t i = 0; i < 3; i++) {
            assert_memory_equal(next[i], own[(i + 1) % 3], sizeof(own[0]));
        }
    }
    free3(&t);
}

static void test_bad_keys(void **state)
{
    (void)state;
    uint8_t key[CLAVE_MPC_PRSS_KEY_LEN] = {1};
    struct clave_mpc_prss *p = NULL;
    T_ERR(clave_mpc_prss_new(key, key, &p), CLAVE_ERR_ARG);
    assert_null(p);
    T_ERR(clave_mpc_prss_zero(NULL, NULL, 1), CLAVE_ERR_ARG);
    clave_mpc_prss_free(NULL);
}

static void test_multiply(void **state)
{
    (void)state;
    uint8_t keys[3][CLAVE_MPC_PRSS_KEY_LEN];
    struct three t;
    static uint64_t x[LEN], y[LEN], xc[3][LEN], yc[3][LEN], zero[LEN], z[3][LEN], out[LEN];
    uint64_t *xp[3] = {xc[0], xc[1], xc[2]}, *yp[3] = {yc[0], yc[1], yc[2]};
    setup3(&t, keys);
    T_OK(clave_random((uint8_t *)x, sizeof(x)));
    T_OK(clave_random((uint8_t *)y, sizeof(y)));
    T_OK(clave_mpc_rss_share(x, LEN, xp));
    T_OK(clave_mpc_rss_share(y, LEN, yp));
    for (size_t i = 0; i < 3; i++) {
        T_OK(clave_mpc_prss_zero(t.p[i], zero, LEN));
        clave_mpc_rss_mul_local(xc[i], xc[(i + 1) % 3], yc[i], yc[(i + 1) % 3], zero, LEN, z[i]);
    }
    /* Party i sends z_i to party i-1: views become (z_i, z_{i+1}). */
    T_OK(clave_mpc_rss_open(2, z[2], z[0], 0, z[0], z[1], LEN, out));
    for (size_t k = 0; k < LEN; k++) {
        assert_int_equal(out[k], x[k] * y[k]);
    }
    free3(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zero_and_random),
        cmocka_unit_test(test_bad_keys),
        cmocka_unit_test(test_multiply),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
