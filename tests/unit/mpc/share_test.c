/* SPDX-License-Identifier: Apache-2.0 */
/* Additive sharing over Z_2^64 and F_p, replicated three-party sharing and its opening check. */
#include "testlib.h"

#include <stdlib.h>
#include <string.h>

#define LEN 257
#define PARTIES 5

static void fill(uint64_t *v, size_t len, uint64_t seed)
{
    for (size_t k = 0; k < len; k++) {
        v[k] = seed * (k + 1) * UINT64_C(0x9e3779b97f4a7c15) ^ (seed << 7);
    }
}

static void test_add_roundtrip(void **state)
{
    (void)state;
    uint64_t secret[LEN], out[LEN], buf[PARTIES][LEN];
    uint64_t *shares[PARTIES];
    for (size_t p = 0; p < PARTIES; p++) {
        shares[p] = buf[p];
    }
    fill(secret, LEN, 3);
    secret[0] = 0;
    secret[1] = UINT64_MAX;
    for (size_t parties = 2; parties <= PARTIES; parties++) {
        T_OK(clave_mpc_add_share(secret, LEN, parties, shares));
        T_OK(clave_mpc_add_open((const uint64_t *const *)shares, parties, LEN, out));
        assert_memory_equal(secret, out, sizeof(out));
        /* Any proper subset reveals nothing useful: dropping one share changes the result. */
        if (parties > 2) {
            T_OK(clave_mpc_add_open((const uint64_t *const *)shares, parties - 1, LEN, out));
            assert_true(memcmp(secret, out, sizeof(out)) != 0); // lint:public
        } else {
            T_ERR(clave_mpc_add_open((const uint64_t *const *)shares, 1, LEN, out), CLAVE_ERR_ARG);
        }
    }
    /* Two sharings of the same secret differ (fresh randomness). */
    T_OK(clave_mpc_add_share(secret, LEN, 2, shares));
    memcpy(out, shares[0], sizeof(out));
    T_OK(clave_mpc_add_share(secret, LEN, 2, shares));
    assert_true(memcmp(out, shares[0], sizeof(out)) != 0); // lint:public
}

static void test_add_hostile(void **state)
{
    (void)state;
    uint64_t secret[4] = {1, 2, 3, 4}, a[4], b[4];
    uint64_t *shares[2] = {a, b};
    uint64_t *null_shares[2] = {a, NULL};
    T_ERR(clave_mpc_add_share(secret, 4, 1, shares), CLAVE_ERR_ARG);
    T_ERR(clave_mpc_add_share(secret, 4, CLAVE_MPC_MAX_PARTIES + 1, shares), CLAVE_ERR_ARG);
    T_ERR(clave_mpc_add_share(NULL, 4, 2, shares), CLAVE_ERR_ARG);
    T_ERR(clave_mpc_add_share(secret, 4, 2, null_shares), CLAVE_ERR_ARG);
    T_ERR(clave_mpc_add_share(secret, CLAVE_MPC_MAX_LEN + 1, 2, shares), CLAVE_ERR_ARG);
    T_ERR(clave_mpc_add_open((const uint64_t *const *)null_shares, 2, 4, secret), CLAVE_ERR_ARG);
    T_OK(clave_mpc_add_share(secret, 0, 2, shares)); /* empty vectors are fine */
}

static void test_fp(void **state)
{
    (void)state;
    uint64_t secret[LEN], out[LEN], buf[3][LEN];
    uint64_t *shares[3] = {buf[0], buf[1], buf[2]};
    fill(secret, LEN, 11);
    for (size_t k = 0; k < LEN; k++) {
        secret[k] %= CLAVE_MPC_P61;
    }
    secret[0] = CLAVE_MPC_P61 - 1;
    secret[1] = 0;
    T_OK(clave_mpc_fp_share(secret, LEN, 3, shares));
    for (size_t p = 0; p < 3; p++) {
        for (size_t k = 0; k < LEN; k++) {
            assert_true(buf[p][k] < CLAVE_MPC_P61);
        }
    }
    T_OK(clave_mpc_fp_open((const uint64_t *const *)shares, 3, LEN, out));
    assert_memory_equal(secret, out, sizeof(out));
    /* Out-of-field values: a secret equal to p, a share above p. */
    secret[5] = CLAVE_MPC_P61;
    T_ERR(clave_mpc_fp_share(secret, LEN, 3, shares), CLAVE_ERR_ARG);
    buf[1][7] = CLAVE_MPC_P61;
    T_ERR(clave_mpc_fp_open((const uint64_t *const *)shares, 3, LEN, out), CLAVE_ERR_FORMAT);
    for (size_t k = 0; k < LEN; k++) {
        assert_int_equal(out[k], 0); /* no partial output */
    }
}

static void test_rss(void **state)
{
    (void)state;
    uint64_t x[LEN], y[LEN], out[LEN], xc[3][LEN], yc[3][LEN], z[3][LEN], zero[3][LEN];
    uint64_t *xp[3] = {xc[0], xc[1], xc[2]}, *yp[3] = {yc[0], yc[1], yc[2]};
    uint64_t *zp[3] = {zero[0], zero[1], zero[2]};
    uint64_t nothing[LEN] = {0};
    fill(x, LEN, 5);
    fill(y, LEN, 9);
    T_OK(clave_mpc_rss_share(x, LEN, xp));
    T_OK(clave_mpc_rss_share(y, LEN, yp));
    /* Every pair of parties opens, in either order. */
    for (size_t a = 0; a < 3; a++) {
        for (size_t b = 0; b < 3; b++) {
            if (a != b) {
                T_OK(clave_mpc_rss_open(a, xc[a], xc[(a + 1) % 3], b, xc[b], xc[(b + 1) % 3], LEN,
                                        out));
                assert_memory_equal(x, out, sizeof(out));
            }
        }
    }
    /* Multiplication: local products with a zero-sharing, then resharing to party i-1. */
    T_OK(clave_mpc_add_share(nothing, LEN, 3, zp));
    for (size_t i = 0; i < 3; i++) {
        clave_mpc_rss_mul_local(xc[i], xc[(i + 1) % 3], yc[i], yc[(i + 1) % 3], zero[i], LEN, z[i]);
    }
    T_OK(clave_mpc_rss_open(0, z[0], z[1], 1, z[1], z[2], LEN, out));
    for (size_t k = 0; k < LEN; k++) {
        assert_int_equal(out[k], x[k] * y[k]);
    }
}

static void test_rss_cheater(void **state)
{
    (void)state;
    uint64_t x[LEN], out[LEN], c[3][LEN], bad[LEN];
    uint64_t *cp[3] = {c[0], c[1], c[2]};
    fill(x, LEN, 21);
    T_OK(clave_mpc_rss_share(x, LEN, cp));
    /* Party 1 flips one bit of the component it shares with party 0. */
    for (size_t k = 0; k < LEN; k += 64) {
        memcpy(bad, c[1], sizeof(bad));
        bad[k] ^= 1;
        T_ERR(clave_mpc_rss_open(0, c[0], c[1], 1, bad, c[2], LEN, out), CLAVE_ERR_TAMPERED);
        for (size_t j = 0; j < LEN; j++) {
            assert_int_equal(out[j], 0);
        }
    }
    T_ERR(clave_mpc_rss_open(1, c[1], c[2], 1, c[1], c[2], LEN, out), CLAVE_ERR_ARG);
    T_ERR(clave_mpc_rss_open(3, c[0], c[1], 1, c[1], c[2], LEN, out), CLAVE_ERR_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_roundtrip),
        cmocka_unit_test(test_add_hostile),
        cmocka_unit_test(test_fp),
        cmocka_unit_test(test_rss),
        cmocka_unit_test(test_rss_cheater),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
