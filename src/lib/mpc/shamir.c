/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shamir secret sharing (Shamir 1979) over F_p, p = 2^61 - 1: a secret is the constant term of a
 * random polynomial of degree threshold - 1; share j is its value at xs[j]. Reconstruction is
 * Lagrange interpolation at 0 from the first `threshold` shares; every further share is checked
 * against the interpolated polynomial so that a wrong share is detected rather than silently
 * ignored.
 */
#include "core/check.h"
#include "mpc/field.h"

#include <clave/mpc.h>
#include <clave/secret.h>
#include <stdlib.h>
#include <string.h>

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a;
    uint64_t y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Points must be nonzero, below p and pairwise distinct (checked by sorting a copy). */
static clave_status check_points(const uint64_t *xs, size_t n)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint64_t *sorted = NULL;
    CLAVE_ENSURE(xs != NULL && n >= 1 && n <= CLAVE_MPC_MAX_PARTIES, CLAVE_ERR_ARG,
                 "shamir: %zu share points (need 1..%d)", n, CLAVE_MPC_MAX_PARTIES);
    sorted = malloc(n * sizeof(uint64_t));
    CLAVE_ENSURE_ALLOC(sorted);
    memcpy(sorted, xs, n * sizeof(uint64_t));
    qsort(sorted, n, sizeof(uint64_t), cmp_u64);
    CLAVE_ENSURE(sorted[0] != 0 && sorted[n - 1] < FP_P, CLAVE_ERR_ARG,
                 "shamir: share point 0 or not below p");
    for (size_t i = 1; i < n; i++) {
        CLAVE_ENSURE(sorted[i] != sorted[i - 1], CLAVE_ERR_ARG, "shamir: duplicate share point");
    }
    st = CLAVE_OK;
done:
    free(sorted);
    return st;
}

clave_status clave_mpc_shamir_split(const uint64_t *secrets, size_t count, size_t threshold,
                                    const uint64_t *xs, size_t share_count, uint64_t *shares)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint64_t *coef = NULL;
    size_t coef_len = 0;
    CLAVE_CHECK(check_points(xs, share_count));
    CLAVE_ENSURE(secrets != NULL && shares != NULL && count >= 1 && count <= CLAVE_MPC_MAX_LEN,
                 CLAVE_ERR_ARG, "shamir: bad arguments");
    CLAVE_ENSURE(threshold >= 1 && threshold <= share_count, CLAVE_ERR_ARG,
                 "shamir: threshold %zu outside 1..%zu", threshold, share_count);
    for (size_t k = 0; k < count; k++) {
        CLAVE_ENSURE(secrets[k] < FP_P, CLAVE_ERR_ARG, "shamir: secret %zu not below p", k);
    }
    CLAVE_ENSURE(!__builtin_mul_overflow(threshold, count, &coef_len), CLAVE_ERR_ARG,
                 "shamir: size overflows");
    coef = malloc(coef_len * sizeof(uint64_t));
    CLAVE_ENSURE_ALLOC(coef);
    /* coef[k * threshold + 0] is the secret, the others uniform. */
    CLAVE_CHECK(clave__fp_random(coef, coef_len));
    for (size_t k = 0; k < count; k++) {
        coef[k * threshold] = secrets[k];
    }
    for (size_t j = 0; j < share_count; j++) {
        for (size_t k = 0; k < count; k++) {
            const uint64_t *a = coef + k * threshold;
            uint64_t acc = a[threshold - 1];
            for (size_t d = threshold - 1; d > 0; d--) { /* Horner */
                acc = fp_add(fp_mul(acc, xs[j]), a[d - 1]);
            }
            shares[j * count + k] = acc;
        }
    }
    st = CLAVE_OK;
done:
    if (coef != NULL) {
        clave_wipe(coef, coef_len * sizeof(uint64_t));
        free(coef);
    }
    return st;
}

/* v[i] = v[i]^-1 for n nonzero elements with one inversion (Montgomery's trick): prefix
 * products forward, one Fermat inversion, then peel the prefixes off backwards. */
static void batch_inverse(uint64_t *v, size_t n, uint64_t *prefix)
{
    uint64_t acc = 1;
    for (size_t i = 0; i < n; i++) {
        prefix[i] = acc;
        acc = fp_mul(acc, v[i]);
    }
    acc = fp_inv(acc);
    for (size_t i = n; i-- > 0;) {
        uint64_t inv = fp_mul(acc, prefix[i]);
        acc = fp_mul(acc, v[i]);
        v[i] = inv;
    }
}

/* Barycentric weights w[i] = 1 / prod_{j != i} (x_i - x_j): they do not depend on the point of
 * evaluation, so they are computed once per set of points. */
static void weights(const uint64_t *xs, size_t t, uint64_t *w, uint64_t *scratch)
{
    for (size_t i = 0; i < t; i++) {
        uint64_t den = 1;
        for (size_t j = 0; j < t; j++) {
            den = j == i ? den : fp_mul(den, fp_sub(xs[i], xs[j]));
        }
        w[i] = den;
    }
    batch_inverse(w, t, scratch);
}

/* Lagrange basis of the points xs[0..t) at `at` (distinct from every point): lambda[i] =
 * w[i] * prod_j (at - x_j) / (at - x_i). The points are distinct and nonzero, so every
 * denominator is invertible. */
static void lagrange_at(const uint64_t *xs, const uint64_t *w, size_t t, uint64_t at,
                        uint64_t *lambda, uint64_t *scratch)
{
    uint64_t all = 1;
    for (size_t i = 0; i < t; i++) {
        lambda[i] = fp_sub(at, xs[i]);
        all = fp_mul(all, lambda[i]);
    }
    batch_inverse(lambda, t, scratch);
    for (size_t i = 0; i < t; i++) {
        lambda[i] = fp_mul(fp_mul(all, w[i]), lambda[i]);
    }
}

static uint64_t interpolate(const uint64_t *lambda, const uint64_t *shares, size_t t, size_t count,
                            size_t k)
{
    uint64_t acc = 0;
    for (size_t i = 0; i < t; i++) {
        acc = fp_add(acc, fp_mul(lambda[i], shares[i * count + k]));
    }
    return acc;
}

clave_status clave_mpc_shamir_combine(const uint64_t *xs, const uint64_t *shares,
                                      size_t share_count, size_t count, size_t threshold,
                                      uint64_t *secrets)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint64_t *lambda = NULL;
    size_t total = 0;
    CLAVE_CHECK(check_points(xs, share_count));
    CLAVE_ENSURE(shares != NULL && secrets != NULL && count >= 1 && count <= CLAVE_MPC_MAX_LEN,
                 CLAVE_ERR_ARG, "shamir: bad arguments");
    CLAVE_ENSURE(threshold >= 1 && threshold <= share_count, CLAVE_ERR_ARG,
                 "shamir: %zu shares for threshold %zu", share_count, threshold);
    CLAVE_ENSURE(!__builtin_mul_overflow(share_count, count, &total), CLAVE_ERR_ARG,
                 "shamir: size overflows");
    for (size_t i = 0; i < total; i++) {
        CLAVE_ENSURE(shares[i] < FP_P, CLAVE_ERR_FORMAT, "shamir: share value not below p");
    }
    lambda = malloc(3 * threshold * sizeof(uint64_t)); /* lambda, weights, scratch */
    CLAVE_ENSURE_ALLOC(lambda);
    uint64_t *w = lambda + threshold;
    uint64_t *scratch = w + threshold;
    weights(xs, threshold, w, scratch);
    lagrange_at(xs, w, threshold, 0, lambda, scratch);
    for (size_t k = 0; k < count; k++) {
        secrets[k] = interpolate(lambda, shares, threshold, count, k);
    }
    for (size_t e = threshold; e < share_count; e++) {
        lagrange_at(xs, w, threshold, xs[e], lambda, scratch);
        for (size_t k = 0; k < count; k++) {
            CLAVE_ENSURE(interpolate(lambda, shares, threshold, count, k) == shares[e * count + k],
                         CLAVE_ERR_TAMPERED, "shamir: share %zu is inconsistent with the others",
                         e);
        }
    }
    st = CLAVE_OK;
done:
    if (st == CLAVE_ERR_TAMPERED) {
        clave_wipe(secrets, count * sizeof(uint64_t));
    }
    free(lambda);
    return st;
}

size_t clave_mpc_bytes_elem_count(size_t len)
{
    return len / CLAVE_MPC_BYTES_PER_ELEM + (len % CLAVE_MPC_BYTES_PER_ELEM != 0);
}

clave_status clave_mpc_bytes_to_elems(const uint8_t *data, size_t len, uint64_t *elems,
                                      size_t elem_cap)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    size_t n = clave_mpc_bytes_elem_count(len);
    CLAVE_ENSURE(data != NULL && elems != NULL && elem_cap >= n, CLAVE_ERR_ARG,
                 "shamir: %zu elements needed for %zu bytes", n, len);
    for (size_t e = 0; e < n; e++) {
        uint64_t v = 0;
        for (size_t b = 0; b < CLAVE_MPC_BYTES_PER_ELEM; b++) {
            size_t at = e * CLAVE_MPC_BYTES_PER_ELEM + b;
            v = (v << 8) | (at < len ? data[at] : 0);
        }
        elems[e] = v;
    }
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_mpc_elems_to_bytes(const uint64_t *elems, size_t elem_count, uint8_t *data,
                                      size_t len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(elems != NULL && data != NULL && elem_count == clave_mpc_bytes_elem_count(len),
                 CLAVE_ERR_ARG, "shamir: %zu elements do not hold %zu bytes", elem_count, len);
    for (size_t e = 0; e < elem_count; e++) {
        uint64_t v = elems[e];
        CLAVE_ENSURE(v >> (8 * CLAVE_MPC_BYTES_PER_ELEM) == 0, CLAVE_ERR_FORMAT,
                     "shamir: element %zu exceeds 56 bits", e);
        for (size_t b = CLAVE_MPC_BYTES_PER_ELEM; b > 0; b--) {
            size_t at = e * CLAVE_MPC_BYTES_PER_ELEM + b - 1;
            uint8_t byte = (uint8_t)(v & 0xff);
            v >>= 8;
            if (at < len) {
                data[at] = byte;
            } else {
                CLAVE_ENSURE(byte == 0, CLAVE_ERR_FORMAT, "shamir: nonzero padding");
            }
        }
    }
    st = CLAVE_OK;
done:
    if (st != CLAVE_OK && data != NULL) {
        clave_wipe(data, len);
    }
    return st;
}
