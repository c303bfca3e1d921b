/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Exact samplers of Canonne, Kamath & Steinke 2020, "The Discrete Gaussian for Differential
 * Privacy" (NeurIPS 2020, arXiv 2004.00010), Section 5:
 *   Algorithm 1  Bernoulli(exp(-g)) for rational g >= 0: for g <= 1, count K of the successes
 *                of Bernoulli(g/1), Bernoulli(g/2), ... until the first failure, and return 1 iff
 *                K is even (P = sum (-g)^k / k! = e^-g); for g > 1, floor(g) draws of
 *                Bernoulli(exp(-1)) then one of Bernoulli(exp(-(g - floor g))).
 *   Algorithm 2  discrete Laplace of scale s/t: a geometric of rate t/s built from a uniform
 *                remainder U in [0, s) accepted with probability exp(-U/s), a unit-rate geometric
 *                V, and floor((U + s V) / t); a random sign, rejecting "negative zero".
 *   Algorithm 3  discrete Gaussian of variance parameter sigma^2: a discrete Laplace candidate Y
 *                of scale T = floor(sigma) + 1 accepted with probability
 *                exp(-(|Y| - sigma^2/T)^2 / (2 sigma^2)).
 * Every probability is a ratio of integers evaluated with GMP; the only randomness is uniform
 * integers from RAND_bytes (rng.c). No floating point.
 */
#include "dp/rng.h"

#include "core/check.h"

static uint64_t gcd_u64(uint64_t a, uint64_t b)
{
    while (b != 0) {
        uint64_t r = a % b;
        a = b;
        b = r;
    }
    return a;
}

/* Bernoulli(num/den) with 0 <= num <= den: a uniform U in [0, den) and U < num. */
static clave_status bernoulli_mpz(struct clave_dp_rng *rng, const mpz_t num, const mpz_t den,
                                  int *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_CHECK(dp__uniform_mpz(rng, den));
    *out = mpz_cmp(rng->uniform, num) < 0;
    st = CLAVE_OK;
done:
    return st;
}

/* Algorithm 1 for 0 <= num/den <= 1. Uses rng->bound. */
static clave_status bernoulli_exp_le1(struct clave_dp_rng *rng, const mpz_t num, const mpz_t den,
                                      int *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    unsigned long k = 1;
    int a = 0;
    *out = 0;
    for (;;) {
        mpz_mul_ui(rng->bound, den, k);
        CLAVE_CHECK(bernoulli_mpz(rng, num, rng->bound, &a));
        if (!a) {
            break;
        }
        k++;
    }
    *out = (int)(k & 1);
    st = CLAVE_OK;
done:
    return st;
}

clave_status dp__bernoulli_exp_mpz(struct clave_dp_rng *rng, const mpz_t num, const mpz_t den,
                                   int *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    int b = 0;
    *out = 0;
    CLAVE_ENSURE(mpz_sgn(num) >= 0 && mpz_sgn(den) > 0, CLAVE_ERR_INTERNAL,
                 "dp bernoulli_exp: bad exponent");
    mpz_set(rng->gnum, num);
    /* g > 1: each unit of g is one Bernoulli(exp(-1)); stop at the first failure. */
    while (mpz_cmp(rng->gnum, den) > 0) {
        CLAVE_CHECK(bernoulli_exp_le1(rng, rng->one, rng->one, &b));
        if (!b) {
            st = CLAVE_OK;
            goto done;
        }
        mpz_sub(rng->gnum, rng->gnum, den);
    }
    CLAVE_CHECK(bernoulli_exp_le1(rng, rng->gnum, den, out));
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_dp_sample_bernoulli_exp(struct clave_dp_rng *rng, uint64_t num, uint64_t den,
                                           int *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    mpz_t n, d;
    mpz_init_set_ui(n, num);
    mpz_init_set_ui(d, den);
    CLAVE_ENSURE(out != NULL, CLAVE_ERR_ARG, "dp bernoulli_exp: out is NULL");
    *out = 0;
    CLAVE_ENSURE(rng != NULL && den >= 1, CLAVE_ERR_ARG, "dp bernoulli_exp: den must be >= 1");
    CLAVE_CHECK(dp__bernoulli_exp_mpz(rng, n, d, out));
    st = CLAVE_OK;
done:
    mpz_clears(n, d, NULL);
    return st;
}

/* Geometric with P[k] = (1 - e^-x) e^-xk, x = num/den in lowest terms (Algorithm 2, inner part). */
static clave_status geometric(struct clave_dp_rng *rng, uint64_t num, uint64_t den, uint64_t *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint64_t uval = 0, v = 0, value = 0;
    int b = 0;
    mpz_set_ui(rng->geo_t, den);
    *out = 0;
    /* U uniform in [0, den), accepted with probability exp(-U/den). */
    do {
        CLAVE_CHECK(clave_dp_sample_uniform(rng, den, &uval));
        mpz_set_ui(rng->geo_u, uval);
        CLAVE_CHECK(dp__bernoulli_exp_mpz(rng, rng->geo_u, rng->geo_t, &b));
    } while (!b);
    /* V: number of successes of Bernoulli(exp(-1)) before the first failure. */
    for (;;) {
        CLAVE_CHECK(dp__bernoulli_exp_mpz(rng, rng->one, rng->one, &b));
        if (!b) {
            break;
        }
        v++;
    }
    CLAVE_ENSURE(!__builtin_mul_overflow(v, den, &value) &&
                     !__builtin_add_overflow(value, uval, &value),
                 CLAVE_ERR_LIMIT, "dp geometric: value out of range");
    *out = value / num;
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_dp_sample_geometric(struct clave_dp_rng *rng, uint64_t num, uint64_t den,
                                       uint64_t *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(out != NULL, CLAVE_ERR_ARG, "dp geometric: out is NULL");
    *out = 0;
    CLAVE_ENSURE(rng != NULL && num >= 1 && den >= 1, CLAVE_ERR_ARG,
                 "dp geometric: rate num/den must be > 0");
    uint64_t g = gcd_u64(num, den);
    CLAVE_CHECK(geometric(rng, num / g, den / g, out));
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_dp_sample_discrete_laplace(struct clave_dp_rng *rng, uint64_t num, uint64_t den,
                                              int64_t *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint64_t sign = 0, mag = 0;
    CLAVE_ENSURE(out != NULL, CLAVE_ERR_ARG, "dp laplace: out is NULL");
    *out = 0;
    CLAVE_ENSURE(rng != NULL && num >= 1 && den >= 1, CLAVE_ERR_ARG,
                 "dp laplace: scale num/den must be > 0");
    uint64_t g = gcd_u64(num, den);
    /* Rate x = 1/scale = den/num: geometric numerator den, denominator num. */
    for (;;) {
        CLAVE_CHECK(dp__bits(rng, 1, &sign));
        CLAVE_CHECK(geometric(rng, den / g, num / g, &mag));
        if (!(sign == 1 && mag == 0)) {
            break;
        }
    }
    CLAVE_ENSURE(mag <= (uint64_t)CLAVE_DP_MAX_NOISE, CLAVE_ERR_LIMIT,
                 "dp laplace: noise too large");
    *out = sign ? -(int64_t)mag : (int64_t)mag;
    st = CLAVE_OK;
done:
    return st;
}

static uint64_t isqrt_u64(uint64_t x)
{
    mpz_t r;
    mpz_init_set_ui(r, x);
    mpz_sqrt(r, r);
    uint64_t v = mpz_get_ui(r);
    mpz_clear(r);
    return v;
}

/* Acceptance exponent (|y| - s/T)^2 / (2 s) for s = num/den:
 * = (|y| T den - num)^2 / (2 num T^2 den). */
static void gaussian_bias(struct clave_dp_rng *rng, uint64_t ay, uint64_t t, uint64_t num,
                          uint64_t den)
{
    mpz_set_ui(rng->bias_num, ay);
    mpz_mul_ui(rng->bias_num, rng->bias_num, t);
    mpz_mul_ui(rng->bias_num, rng->bias_num, den);
    mpz_sub_ui(rng->bias_num, rng->bias_num, num);
    mpz_mul(rng->bias_num, rng->bias_num, rng->bias_num);
    mpz_set_ui(rng->bias_den, num);
    mpz_mul_ui(rng->bias_den, rng->bias_den, 2);
    mpz_mul_ui(rng->bias_den, rng->bias_den, t);
    mpz_mul_ui(rng->bias_den, rng->bias_den, t);
    mpz_mul_ui(rng->bias_den, rng->bias_den, den);
}

clave_status clave_dp_sample_discrete_gaussian(struct clave_dp_rng *rng, uint64_t num, uint64_t den,
                                               int64_t *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    int64_t y = 0;
    int accept = 0;
    CLAVE_ENSURE(out != NULL, CLAVE_ERR_ARG, "dp gaussian: out is NULL");
    *out = 0;
    CLAVE_ENSURE(rng != NULL && num >= 1 && den >= 1, CLAVE_ERR_ARG,
                 "dp gaussian: sigma^2 num/den must be > 0");
    uint64_t g = gcd_u64(num, den);
    num /= g;
    den /= g;
    /* T = floor(sigma) + 1 = floor(sqrt(floor(sigma^2))) + 1. */
    uint64_t t = isqrt_u64(num / den) + 1;
    do {
        CLAVE_CHECK(clave_dp_sample_discrete_laplace(rng, t, 1, &y));
        gaussian_bias(rng, (uint64_t)(y < 0 ? -y : y), t, num, den);
        CLAVE_CHECK(dp__bernoulli_exp_mpz(rng, rng->bias_num, rng->bias_den, &accept));
    } while (!accept);
    *out = y;
    st = CLAVE_OK;
done:
    return st;
}
