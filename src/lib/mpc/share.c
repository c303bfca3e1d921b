/* SPDX-License-Identifier: Apache-2.0 */
/* Additive sharing over Z_2^64 and F_p, and replicated three-party sharing (Araki et al. 2016). */
#include "core/check.h"
#include "mpc/field.h"

#include <clave/crypto.h>
#include <clave/mpc.h>
#include <clave/secret.h>
#include <string.h>

#define RANDOM_BATCH 1024 /* words drawn from the CSPRNG per call */

clave_status clave__u64_random(uint64_t *out, size_t len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    size_t bytes = 0;
    CLAVE_ENSURE(!__builtin_mul_overflow(len, sizeof(uint64_t), &bytes), CLAVE_ERR_ARG,
                 "mpc: length overflows");
    if (bytes > 0) {
        CLAVE_CHECK(clave_random((uint8_t *)out, bytes));
    }
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave__fp_random(uint64_t *out, size_t len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint64_t batch[RANDOM_BATCH];
    size_t have = 0;
    size_t used = RANDOM_BATCH;
    while (have < len) {
        if (used == RANDOM_BATCH) {
            CLAVE_CHECK(clave__u64_random(batch, RANDOM_BATCH));
            used = 0;
        }
        uint64_t v = batch[used++] & FP_P; /* uniform in [0, 2^61 - 1] */
        if (v != FP_P) {                   /* reject the one value equal to p */
            out[have++] = v;
        }
    }
    st = CLAVE_OK;
done:
    clave_wipe(batch, sizeof(batch));
    return st;
}

static clave_status check_args(const void *secret, size_t len, size_t party_count,
                               const void *shares)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(secret != NULL && shares != NULL, CLAVE_ERR_ARG, "mpc: NULL array");
    CLAVE_ENSURE(party_count >= 2 && party_count <= CLAVE_MPC_MAX_PARTIES, CLAVE_ERR_ARG,
                 "mpc: %zu parties (need 2..%d)", party_count, CLAVE_MPC_MAX_PARTIES);
    CLAVE_ENSURE(len <= CLAVE_MPC_MAX_LEN, CLAVE_ERR_ARG, "mpc: %zu elements is too many", len);
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_mpc_add_share(const uint64_t *secret, size_t len, size_t party_count,
                                 uint64_t *const *shares)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_CHECK(check_args(secret, len, party_count, shares));
    for (size_t p = 0; p < party_count; p++) {
        CLAVE_ENSURE(shares[p] != NULL, CLAVE_ERR_ARG, "mpc: NULL share array %zu", p);
    }
    uint64_t *last = shares[party_count - 1];
    memcpy(last, secret, len * sizeof(uint64_t));
    for (size_t p = 0; p + 1 < party_count; p++) {
        CLAVE_CHECK(clave__u64_random(shares[p], len));
        for (size_t k = 0; k < len; k++) {
            last[k] -= shares[p][k];
        }
    }
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_mpc_add_open(const uint64_t *const *shares, size_t party_count, size_t len,
                                uint64_t *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_CHECK(check_args(out, len, party_count, shares));
    memset(out, 0, len * sizeof(uint64_t));
    for (size_t p = 0; p < party_count; p++) {
        CLAVE_ENSURE(shares[p] != NULL, CLAVE_ERR_ARG, "mpc: NULL share array %zu", p);
        for (size_t k = 0; k < len; k++) {
            out[k] += shares[p][k];
        }
    }
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_mpc_fp_share(const uint64_t *secret, size_t len, size_t party_count,
                                uint64_t *const *shares)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_CHECK(check_args(secret, len, party_count, shares));
    for (size_t k = 0; k < len; k++) {
        CLAVE_ENSURE(secret[k] < FP_P, CLAVE_ERR_ARG, "mpc: secret %zu is not below p", k);
    }
    for (size_t p = 0; p < party_count; p++) {
        CLAVE_ENSURE(shares[p] != NULL, CLAVE_ERR_ARG, "mpc: NULL share array %zu", p);
    }
    uint64_t *last = shares[party_count - 1];
    memcpy(last, secret, len * sizeof(uint64_t));
    for (size_t p = 0; p + 1 < party_count; p++) {
        CLAVE_CHECK(clave__fp_random(shares[p], len));
        for (size_t k = 0; k < len; k++) {
            last[k] = fp_sub(last[k], shares[p][k]);
        }
    }
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_mpc_fp_open(const uint64_t *const *shares, size_t party_count, size_t len,
                               uint64_t *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_CHECK(check_args(out, len, party_count, shares));
    memset(out, 0, len * sizeof(uint64_t));
    for (size_t p = 0; p < party_count; p++) {
        CLAVE_ENSURE(shares[p] != NULL, CLAVE_ERR_ARG, "mpc: NULL share array %zu", p);
        for (size_t k = 0; k < len; k++) {
            CLAVE_ENSURE(shares[p][k] < FP_P, CLAVE_ERR_FORMAT,
                         "mpc: share %zu of party %zu is not below p", k, p);
            out[k] = fp_add(out[k], shares[p][k]);
        }
    }
    st = CLAVE_OK;
done:
    if (st != CLAVE_OK && out != NULL && len <= CLAVE_MPC_MAX_LEN) {
        memset(out, 0, len * sizeof(uint64_t));
    }
    return st;
}

clave_status clave_mpc_rss_share(const uint64_t *secret, size_t len, uint64_t *const comp[3])
{
    return clave_mpc_add_share(secret, len, CLAVE_MPC_RSS_PARTIES, comp);
}

clave_status clave_mpc_rss_open(size_t party_a, const uint64_t *a_own, const uint64_t *a_next,
                                size_t party_b, const uint64_t *b_own, const uint64_t *b_next,
                                size_t len, uint64_t *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(party_a < 3 && party_b < 3 && party_a != party_b, CLAVE_ERR_ARG,
                 "rss: open needs two distinct parties of 0..2");
    CLAVE_ENSURE(a_own != NULL && a_next != NULL && b_own != NULL && b_next != NULL &&
                     out != NULL && len <= CLAVE_MPC_MAX_LEN,
                 CLAVE_ERR_ARG, "rss: bad arguments");
    if ((party_a + 1) % 3 != party_b) { /* order them so that b = a + 1 */
        const uint64_t *t_own = a_own;
        const uint64_t *t_next = a_next;
        a_own = b_own;
        a_next = b_next;
        b_own = t_own;
        b_next = t_next;
    }
    /* a holds (x_a, x_{a+1}), b = a+1 holds (x_{a+1}, x_{a+2}): x_{a+1} is held twice. */
    uint64_t diff = 0;
    for (size_t k = 0; k < len; k++) {
        diff |= a_next[k] ^ b_own[k];
        out[k] = a_own[k] + b_own[k] + b_next[k];
    }
    CLAVE_ENSURE(diff == 0, CLAVE_ERR_TAMPERED,
                 "rss: parties %zu and %zu disagree on the component they share", party_a, party_b);
    st = CLAVE_OK;
done:
    if (st == CLAVE_ERR_TAMPERED) {
        memset(out, 0, len * sizeof(uint64_t));
    }
    return st;
}

void clave_mpc_rss_mul_local(const uint64_t *x_own, const uint64_t *x_next, const uint64_t *y_own,
                             const uint64_t *y_next, const uint64_t *zero, size_t len, uint64_t *z)
{
    for (size_t k = 0; k < len; k++) {
        z[k] = x_own[k] * y_own[k] + x_own[k] * y_next[k] + x_next[k] * y_own[k] + zero[k];
    }
}
