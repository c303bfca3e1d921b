/* SPDX-License-Identifier: Apache-2.0 */
/* Shamir t-of-n over F_p: every threshold subset reconstructs, fewer shares do not, wrong shares
 * beyond the threshold are detected; byte packing round-trips and rejects bad elements. */
#include "testlib.h"

#include <string.h>

#define N 7
#define T 4
#define COUNT 5

static const uint64_t XS[N] = {1, 2, 3, 4, 5, 6, 7};

static void test_every_subset(void **state)
{
    (void)state;
    uint64_t secrets[COUNT] = {0, 1, CLAVE_MPC_P61 - 1, 123456789, 42};
    uint64_t shares[N * COUNT], out[COUNT], xs[N], sub[N * COUNT];
    T_OK(clave_mpc_shamir_split(secrets, COUNT, T, XS, N, shares));
    /* All 2^7 subsets: those of size >= T reconstruct (and cross-check the extras). */
    for (unsigned mask = 1; mask < (1u << N); mask++) {
        size_t m = 0;
        for (size_t j = 0; j < N; j++) {
            if ((mask >> j) & 1) {
                xs[m] = XS[j];
                memcpy(sub + m * COUNT, shares + j * COUNT, COUNT * sizeof(uint64_t));
                m++;
            }
        }
        if (m >= T) {
            T_OK(clave_mpc_shamir_combine(xs, sub, m, COUNT, T, out));
            assert_memory_equal(out, secrets, sizeof(out));
        } else {
            T_ERR(clave_mpc_shamir_combine(xs, sub, m, COUNT, T, out), CLAVE_ERR_ARG);
            /* Interpolating with a too-small threshold gives a wrong answer, not the secret. */
            T_OK(clave_mpc_shamir_combine(xs, sub, m, COUNT, m, out));
            assert_true(memcmp(out, secrets, sizeof(out)) != 0); // lint:public
        }
    }
}

static void test_tampered_share(void **state)
{
    (void)state;
    uint64_t secrets[COUNT] = {9, 8, 7, 6, 5};
    uint64_t shares[N * COUNT], out[COUNT];
    T_OK(clave_mpc_shamir_split(secrets, COUNT, T, XS, N, shares));
    for (size_t i = 0; i < N * COUNT; i++) {
        uint64_t saved = shares[i];
        shares[i] = (saved + 1) % CLAVE_MPC_P61;
        T_ERR(clave_mpc_shamir_combine(XS, shares, N, COUNT, T, out), CLAVE_ERR_TAMPERED);
        for (size_t k = 0; k < COUNT; k++) {
            assert_int_equal(out[k], 0);
        }
        shares[i] = CLAVE_MPC_P61; /* out of the field */
        T_ERR(clave_mpc_shamir_combine(XS, shares, N, COUNT, T, out), CLAVE_ERR_FORMAT);
        shares[i] = saved;
    }
    T_OK(clave_mpc_shamir_combine(XS, shares, N, COUNT, T, out));
    assert_memory_equal(out, secrets, sizeof(out));
}

static void test_bad_points(void **state)
{
    (void)state;
    uint64_t secrets[1] = {5}, shares[3], out[1];
    const uint64_t dup[3] = {1, 2, 1}, zero[3] = {0, 1, 2}, big[3] = {1, 2, CLAVE_MPC_P61};
    T_ERR(clave_mpc_shamir_split(secrets, 1, 2, dup, 3, shares), CLAVE_ERR_ARG);
    T_ERR(clave_mpc_shamir_split(secrets, 1, 2, zero, 3, shares), CLAVE_ERR_ARG);
    T_ERR(clave_mpc_shamir_split(secrets, 1, 2, big, 3, shares), CLAVE_ERR_ARG);
    T_ERR(clave_mpc_shamir_split(secrets, 1, 0, XS, 3, shares), CLAVE_ERR_ARG);
    T_ERR(clave_mpc_shamir_split(secrets, 1, 4, XS, 3, shares), CLAVE_ERR_ARG);
    secrets[0] = CLAVE_MPC_P61;
    T_ERR(clave_mpc_shamir_split(secrets, 1, 2, XS, 3, shares), CLAVE_ERR_ARG);
    T_ERR(clave_mpc_shamir_combine(dup, shares, 3, 1, 2, out), CLAVE_ERR_ARG);
    T_ERR(clave_mpc_shamir_combine(XS, shares, 0, 1, 1, out), CLAVE_ERR_ARG);
}

static void test_bytes(void **state)
{
    (void)state;
    uint8_t seed[32], back[32];
    uint64_t elems[5], shares[N * 5], rec[5];
    for (size_t i = 0; i < sizeof(seed); i++) {
        seed[i] = (uint8_t)(0xff - i);
    }
    assert_int_equal(clave_mpc_bytes_elem_count(32), 5);
    assert_int_equal(clave_mpc_bytes_elem_count(0), 0);
    assert_int_equal(clave_mpc_bytes_elem_count(7), 1);
    T_OK(clave_mpc_bytes_to_elems(seed, 32, elems, 5));
    T_OK(clave_mpc_shamir_split(elems, 5, T, XS, N, shares));
    T_OK(clave_mpc_shamir_combine(XS + 2, shares + 2 * 5, T, 5, T, rec));
    T_OK(clave_mpc_elems_to_bytes(rec, 5, back, 32));
    assert_memory_equal(seed, back, 32);
    T_ERR(clave_mpc_bytes_to_elems(seed, 32, elems, 4), CLAVE_ERR_ARG);
    rec[4] |= 1; /* the last element carries 3 bytes of padding */
    T_ERR(clave_mpc_elems_to_bytes(rec, 5, back, 32), CLAVE_ERR_FORMAT);
    rec[4] &= ~UINT64_C(1);
    rec[0] |= UINT64_C(1) << 56;
    T_ERR(clave_mpc_elems_to_bytes(rec, 5, back, 32), CLAVE_ERR_FORMAT);
    T_ERR(clave_mpc_elems_to_bytes(rec, 4, back, 32), CLAVE_ERR_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_subset),
        cmocka_unit_test(test_tampered_share),
        cmocka_unit_test(test_bad_points),
        cmocka_unit_test(test_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
