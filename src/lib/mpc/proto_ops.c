/* SPDX-License-Identifier: Apache-2.0 */
/* The computations a client may request, composed from the rounds of proto.c and
 * proto_bool.c (docs/mpc.md "Operations"). */
#include "core/check.h"
#include "mpc/proto.h"

#include <string.h>

#define RECIP_EXTRA_BITS 4 /* precision of the reciprocal beyond frac_bits */

static clave_status sum(const struct mpc_vec *a, struct mpc_vec *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_CHECK(clave__mpc_vec_alloc(out, 1));
    for (size_t k = 0; k < a->len; k++) {
        out->own[0] += a->own[k];
        out->next[0] += a->next[k];
    }
    st = CLAVE_OK;
done:
    return st;
}

/* k = ceil(log2 n): dividing by n is a truncation by k and a multiplication by 2^k / n, which
 * lies in [1, 2). */
static unsigned log2_ceil(size_t n)
{
    unsigned k = 0;
    while (k < 63 && ((size_t)1 << k) < n) {
        k++;
    }
    return k;
}

/*
 * x / n for every element, in two truncations (docs/mpc.md "Mean and variance"): t = x >> k,
 * then t * c >> F with c = round(2^(F + k) / n), F = frac + 4. Truncating by k first keeps the
 * product below |x / n| * 2^(frac + F + 1), so the probabilistic truncation's failure chance
 * does not grow with n; c has a relative error below 2^-(frac + 5).
 */
static clave_status divide_public(struct mpc_party *p, struct mpc_vec *x, size_t n, unsigned frac)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    unsigned k = log2_ceil(n);
    unsigned f = frac + RECIP_EXTRA_BITS;
    uint64_t c = (((uint64_t)1 << (f + k)) + n / 2) / n;
    CLAVE_CHECK(clave__mpc_trunc(p, x, k));
    for (size_t i = 0; i < x->len; i++) {
        x->own[i] *= c;
        x->next[i] *= c;
    }
    CLAVE_CHECK(clave__mpc_trunc(p, x, f));
    st = CLAVE_OK;
done:
    return st;
}

static clave_status mean(struct mpc_party *p, const struct mpc_vec *a, unsigned frac,
                         struct mpc_vec *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_CHECK(sum(a, out));
    CLAVE_CHECK(divide_public(p, out, a->len, frac));
    st = CLAVE_OK;
done:
    return st;
}

/* E[x^2] - E[x]^2: dot(x, x) truncated back to frac bits, both sums divided by n (batched),
 * then the square of the mean. */
static clave_status variance(struct mpc_party *p, const struct mpc_vec *a, unsigned frac,
                             struct mpc_vec *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct mpc_vec sq = {0}, both = {0}, m = {0}, m2 = {0};
    CLAVE_CHECK(clave__mpc_dot(p, a, a, &sq));
    CLAVE_CHECK(clave__mpc_trunc(p, &sq, frac));
    CLAVE_CHECK(sum(a, &m));
    CLAVE_CHECK(clave__mpc_vec_alloc(&both, 2));
    both.own[0] = sq.own[0];
    both.next[0] = sq.next[0];
    both.own[1] = m.own[0];
    both.next[1] = m.next[0];
    CLAVE_CHECK(divide_public(p, &both, a->len, frac));
    m.own[0] = both.own[1];
    m.next[0] = both.next[1];
    CLAVE_CHECK(clave__mpc_mul(p, &m, &m, &m2));
    CLAVE_CHECK(clave__mpc_trunc(p, &m2, frac));
    CLAVE_CHECK(clave__mpc_vec_alloc(out, 1));
    out->own[0] = both.own[0] - m2.own[0];
    out->next[0] = both.next[0] - m2.next[0];
    st = CLAVE_OK;
done:
    clave__mpc_vec_free(&sq);
    clave__mpc_vec_free(&both);
    clave__mpc_vec_free(&m);
    clave__mpc_vec_free(&m2);
    return st;
}

static clave_status less_than(struct mpc_party *p, const struct mpc_vec *a, const struct mpc_vec *b,
                              struct mpc_vec *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct mpc_vec d = {0};
    CLAVE_ENSURE(a->len == b->len, CLAVE_ERR_ARG, "mpc lt: lengths %zu and %zu differ", a->len,
                 b->len);
    CLAVE_CHECK(clave__mpc_vec_alloc(&d, a->len));
    for (size_t k = 0; k < a->len; k++) {
        d.own[k] = a->own[k] - b->own[k];
        d.next[k] = a->next[k] - b->next[k];
    }
    CLAVE_CHECK(clave__mpc_msb(p, &d, out));
    st = CLAVE_OK;
done:
    clave__mpc_vec_free(&d);
    return st;
}

clave_status clave__mpc_compute(struct mpc_party *p, uint8_t compute, const struct mpc_vec *a,
                                const struct mpc_vec *b, unsigned frac_bits, struct mpc_vec *out,
                                bool *boolean)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    memset(out, 0, sizeof(*out));
    *boolean = compute == MPC_COMPUTE_LT;
    CLAVE_ENSURE(a->len >= 1 && a->len <= MPC_MAX_ELEMS, CLAVE_ERR_ARG,
                 "mpc: %zu input values (need 1..%zu)", a->len, MPC_MAX_ELEMS);
    CLAVE_ENSURE(!clave__mpc_compute_binary(compute) || (b != NULL && b->len == a->len),
                 CLAVE_ERR_ARG, "mpc: %s needs two inputs of the same length",
                 clave__mpc_compute_name(compute));
    switch (compute) {
    case MPC_COMPUTE_SUM:
        CLAVE_CHECK(sum(a, out));
        break;
    case MPC_COMPUTE_MEAN:
        CLAVE_CHECK(mean(p, a, frac_bits, out));
        break;
    case MPC_COMPUTE_VARIANCE:
        CLAVE_CHECK(variance(p, a, frac_bits, out));
        break;
    case MPC_COMPUTE_DOT:
        CLAVE_CHECK(clave__mpc_dot(p, a, b, out));
        CLAVE_CHECK(clave__mpc_trunc(p, out, frac_bits));
        break;
    case MPC_COMPUTE_MUL:
        CLAVE_CHECK(clave__mpc_mul(p, a, b, out));
        CLAVE_CHECK(clave__mpc_trunc(p, out, frac_bits));
        break;
    case MPC_COMPUTE_LT:
        CLAVE_CHECK(less_than(p, a, b, out));
        break;
    default:
        CLAVE_RAISE(CLAVE_ERR_ARG, "mpc: unknown computation %u", compute);
    }
    CLAVE_CHECK(clave__mpc_check(p));
    st = CLAVE_OK;
done:
    if (st != CLAVE_OK) {
        clave__mpc_vec_free(out);
    }
    return st;
}
