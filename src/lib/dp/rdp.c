/* SPDX-License-Identifier: Apache-2.0 */
/*
 * RDP accountant for the Poisson-subsampled Gaussian mechanism (Mironov, Talwar & Zhang 2019,
 * "Renyi Differential Privacy of the Sampled Gaussian Mechanism", arXiv 1908.10530, Sec. 3.3),
 * with the numerics of Google's dp_accounting (rdp_privacy_accountant.py), so that results match
 * TF Privacy, dp_accounting and Opacus to floating-point accuracy:
 *   - integer orders: log A = logsumexp_i [log C(a,i) + i log q + (a-i) log1p(-q) + (i^2-i)/(2s^2)]
 *   - fractional orders: the two series over [-inf, z0] and [z0, inf), z0 = s^2 log(1/q - 1) + 1/2,
 *     with the signed binomial coefficients C(a,i) (terms added or subtracted in log space, as
 *     TF Privacy's rdp_accountant and Opacus do; the published test values of both come from
 *     this form), stopping once both terms are below e^-30 (at most 1000 terms; otherwise the
 *     order is +inf and is never chosen);
 *   - log C(n,k) by lgamma; log erfc with an asymptotic tail when erfc underflows.
 * Floating point is fine here: accounting never touches data.
 */
#include "dp/params.h"

#include "core/check.h"

#include <math.h>
#include <stdbool.h>

#define LOG_A_FRAC_MAX_TERMS 1000
#define SIGMA_SEARCH_MAX 1e6

static const double ORDERS_DP_ACCOUNTING[] = {
    1.0 + 1 / 10.0,
    1.0 + 2 / 10.0,
    1.0 + 3 / 10.0,
    1.0 + 4 / 10.0,
    1.0 + 5 / 10.0,
    1.0 + 6 / 10.0,
    1.0 + 7 / 10.0,
    1.0 + 8 / 10.0,
    1.0 + 9 / 10.0,
    1.0 + 10 / 10.0,
    1.0 + 11 / 10.0,
    1.0 + 12 / 10.0,
    1.0 + 13 / 10.0,
    1.0 + 14 / 10.0,
    1.0 + 15 / 10.0,
    1.0 + 16 / 10.0,
    1.0 + 17 / 10.0,
    1.0 + 18 / 10.0,
    1.0 + 19 / 10.0,
    1.0 + 20 / 10.0,
    1.0 + 21 / 10.0,
    1.0 + 22 / 10.0,
    1.0 + 23 / 10.0,
    1.0 + 24 / 10.0,
    1.0 + 25 / 10.0,
    1.0 + 26 / 10.0,
    1.0 + 27 / 10.0,
    1.0 + 28 / 10.0,
    1.0 + 29 / 10.0,
    1.0 + 30 / 10.0,
    1.0 + 31 / 10.0,
    1.0 + 32 / 10.0,
    1.0 + 33 / 10.0,
    1.0 + 34 / 10.0,
    1.0 + 35 / 10.0,
    1.0 + 36 / 10.0,
    1.0 + 37 / 10.0,
    1.0 + 38 / 10.0,
    1.0 + 39 / 10.0,
    1.0 + 40 / 10.0,
    1.0 + 41 / 10.0,
    1.0 + 42 / 10.0,
    1.0 + 43 / 10.0,
    1.0 + 44 / 10.0,
    1.0 + 45 / 10.0,
    1.0 + 46 / 10.0,
    1.0 + 47 / 10.0,
    1.0 + 48 / 10.0,
    1.0 + 49 / 10.0,
    1.0 + 50 / 10.0,
    1.0 + 51 / 10.0,
    1.0 + 52 / 10.0,
    1.0 + 53 / 10.0,
    1.0 + 54 / 10.0,
    1.0 + 55 / 10.0,
    1.0 + 56 / 10.0,
    1.0 + 57 / 10.0,
    1.0 + 58 / 10.0,
    1.0 + 59 / 10.0,
    1.0 + 60 / 10.0,
    1.0 + 61 / 10.0,
    1.0 + 62 / 10.0,
    1.0 + 63 / 10.0,
    1.0 + 64 / 10.0,
    1.0 + 65 / 10.0,
    1.0 + 66 / 10.0,
    1.0 + 67 / 10.0,
    1.0 + 68 / 10.0,
    1.0 + 69 / 10.0,
    1.0 + 70 / 10.0,
    1.0 + 71 / 10.0,
    1.0 + 72 / 10.0,
    1.0 + 73 / 10.0,
    1.0 + 74 / 10.0,
    1.0 + 75 / 10.0,
    1.0 + 76 / 10.0,
    1.0 + 77 / 10.0,
    1.0 + 78 / 10.0,
    1.0 + 79 / 10.0,
    1.0 + 80 / 10.0,
    1.0 + 81 / 10.0,
    1.0 + 82 / 10.0,
    1.0 + 83 / 10.0,
    1.0 + 84 / 10.0,
    1.0 + 85 / 10.0,
    1.0 + 86 / 10.0,
    1.0 + 87 / 10.0,
    1.0 + 88 / 10.0,
    1.0 + 89 / 10.0,
    1.0 + 90 / 10.0,
    1.0 + 91 / 10.0,
    1.0 + 92 / 10.0,
    1.0 + 93 / 10.0,
    1.0 + 94 / 10.0,
    1.0 + 95 / 10.0,
    1.0 + 96 / 10.0,
    1.0 + 97 / 10.0,
    1.0 + 98 / 10.0,
    1.0 + 99 / 10.0,
    11.0,
    12.0,
    13.0,
    14.0,
    15.0,
    16.0,
    17.0,
    18.0,
    19.0,
    20.0,
    21.0,
    22.0,
    23.0,
    24.0,
    25.0,
    26.0,
    27.0,
    28.0,
    29.0,
    30.0,
    31.0,
    32.0,
    33.0,
    34.0,
    35.0,
    36.0,
    37.0,
    38.0,
    39.0,
    40.0,
    41.0,
    42.0,
    43.0,
    44.0,
    45.0,
    46.0,
    47.0,
    48.0,
    49.0,
    50.0,
    51.0,
    52.0,
    53.0,
    54.0,
    55.0,
    56.0,
    57.0,
    58.0,
    59.0,
    60.0,
    61.0,
    62.0,
    63.0,
    128.0,
    256.0,
    512.0,
    1024.0,
};

static const double ORDERS_TF_PRIVACY[] = {
    1.25, 1.5,  1.75, 2.0,  2.25, 2.5,  3.0,  3.5,  4.0,  4.5,   5.0,   6.0,   7.0,  8.0,  9.0,
    10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0, 17.0, 18.0, 19.0,  20.0,  21.0,  22.0, 23.0, 24.0,
    25.0, 26.0, 27.0, 28.0, 29.0, 30.0, 31.0, 32.0, 33.0, 34.0,  35.0,  36.0,  37.0, 38.0, 39.0,
    40.0, 41.0, 42.0, 43.0, 44.0, 45.0, 46.0, 47.0, 48.0, 49.0,  50.0,  51.0,  52.0, 53.0, 54.0,
    55.0, 56.0, 57.0, 58.0, 59.0, 60.0, 61.0, 62.0, 63.0, 128.0, 256.0, 512.0,
};

static const double ORDERS_OPACUS[] = {
    1.0 + 1 / 10.0,
    1.0 + 2 / 10.0,
    1.0 + 3 / 10.0,
    1.0 + 4 / 10.0,
    1.0 + 5 / 10.0,
    1.0 + 6 / 10.0,
    1.0 + 7 / 10.0,
    1.0 + 8 / 10.0,
    1.0 + 9 / 10.0,
    1.0 + 10 / 10.0,
    1.0 + 11 / 10.0,
    1.0 + 12 / 10.0,
    1.0 + 13 / 10.0,
    1.0 + 14 / 10.0,
    1.0 + 15 / 10.0,
    1.0 + 16 / 10.0,
    1.0 + 17 / 10.0,
    1.0 + 18 / 10.0,
    1.0 + 19 / 10.0,
    1.0 + 20 / 10.0,
    1.0 + 21 / 10.0,
    1.0 + 22 / 10.0,
    1.0 + 23 / 10.0,
    1.0 + 24 / 10.0,
    1.0 + 25 / 10.0,
    1.0 + 26 / 10.0,
    1.0 + 27 / 10.0,
    1.0 + 28 / 10.0,
    1.0 + 29 / 10.0,
    1.0 + 30 / 10.0,
    1.0 + 31 / 10.0,
    1.0 + 32 / 10.0,
    1.0 + 33 / 10.0,
    1.0 + 34 / 10.0,
    1.0 + 35 / 10.0,
    1.0 + 36 / 10.0,
    1.0 + 37 / 10.0,
    1.0 + 38 / 10.0,
    1.0 + 39 / 10.0,
    1.0 + 40 / 10.0,
    1.0 + 41 / 10.0,
    1.0 + 42 / 10.0,
    1.0 + 43 / 10.0,
    1.0 + 44 / 10.0,
    1.0 + 45 / 10.0,
    1.0 + 46 / 10.0,
    1.0 + 47 / 10.0,
    1.0 + 48 / 10.0,
    1.0 + 49 / 10.0,
    1.0 + 50 / 10.0,
    1.0 + 51 / 10.0,
    1.0 + 52 / 10.0,
    1.0 + 53 / 10.0,
    1.0 + 54 / 10.0,
    1.0 + 55 / 10.0,
    1.0 + 56 / 10.0,
    1.0 + 57 / 10.0,
    1.0 + 58 / 10.0,
    1.0 + 59 / 10.0,
    1.0 + 60 / 10.0,
    1.0 + 61 / 10.0,
    1.0 + 62 / 10.0,
    1.0 + 63 / 10.0,
    1.0 + 64 / 10.0,
    1.0 + 65 / 10.0,
    1.0 + 66 / 10.0,
    1.0 + 67 / 10.0,
    1.0 + 68 / 10.0,
    1.0 + 69 / 10.0,
    1.0 + 70 / 10.0,
    1.0 + 71 / 10.0,
    1.0 + 72 / 10.0,
    1.0 + 73 / 10.0,
    1.0 + 74 / 10.0,
    1.0 + 75 / 10.0,
    1.0 + 76 / 10.0,
    1.0 + 77 / 10.0,
    1.0 + 78 / 10.0,
    1.0 + 79 / 10.0,
    1.0 + 80 / 10.0,
    1.0 + 81 / 10.0,
    1.0 + 82 / 10.0,
    1.0 + 83 / 10.0,
    1.0 + 84 / 10.0,
    1.0 + 85 / 10.0,
    1.0 + 86 / 10.0,
    1.0 + 87 / 10.0,
    1.0 + 88 / 10.0,
    1.0 + 89 / 10.0,
    1.0 + 90 / 10.0,
    1.0 + 91 / 10.0,
    1.0 + 92 / 10.0,
    1.0 + 93 / 10.0,
    1.0 + 94 / 10.0,
    1.0 + 95 / 10.0,
    1.0 + 96 / 10.0,
    1.0 + 97 / 10.0,
    1.0 + 98 / 10.0,
    1.0 + 99 / 10.0,
    12.0,
    13.0,
    14.0,
    15.0,
    16.0,
    17.0,
    18.0,
    19.0,
    20.0,
    21.0,
    22.0,
    23.0,
    24.0,
    25.0,
    26.0,
    27.0,
    28.0,
    29.0,
    30.0,
    31.0,
    32.0,
    33.0,
    34.0,
    35.0,
    36.0,
    37.0,
    38.0,
    39.0,
    40.0,
    41.0,
    42.0,
    43.0,
    44.0,
    45.0,
    46.0,
    47.0,
    48.0,
    49.0,
    50.0,
    51.0,
    52.0,
    53.0,
    54.0,
    55.0,
    56.0,
    57.0,
    58.0,
    59.0,
    60.0,
    61.0,
    62.0,
    63.0,
};

size_t clave_dp_orders(clave_dp_order_grid grid, const double **orders)
{
    const double *o = NULL;
    size_t n = 0;
    switch (grid) {
    case CLAVE_DP_ORDERS_DP_ACCOUNTING:
        o = ORDERS_DP_ACCOUNTING;
        n = sizeof(ORDERS_DP_ACCOUNTING) / sizeof(double);
        break;
    case CLAVE_DP_ORDERS_TF_PRIVACY:
        o = ORDERS_TF_PRIVACY;
        n = sizeof(ORDERS_TF_PRIVACY) / sizeof(double);
        break;
    case CLAVE_DP_ORDERS_OPACUS:
        o = ORDERS_OPACUS;
        n = sizeof(ORDERS_OPACUS) / sizeof(double);
        break;
    }
    if (orders != NULL) {
        *orders = o;
    }
    return n;
}

const char *clave_dp_conversion_name(clave_dp_conversion c)
{
    switch (c) {
    case CLAVE_DP_CONVERSION_IMPROVED:
        return "improved";
    case CLAVE_DP_CONVERSION_CLASSIC:
        return "classic";
    }
    return NULL;
}

/* log(e^x + e^y) */
static double log_add(double x, double y)
{
    double a = fmin(x, y), b = fmax(x, y);
    if (a == -INFINITY) {
        return b;
    }
    return log1p(exp(a - b)) + b;
}

static double log_comb(double n, double k)
{
    int sign = 0;
    return lgamma_r(n + 1.0, &sign) - lgamma_r(k + 1.0, &sign) - lgamma_r(n - k + 1.0, &sign);
}

/* log(erfc(x)), accurate in the far tail (Laurent series at infinity once erfc underflows). */
static double log_erfc(double x)
{
    double r = erfc(x);
    if (r >= 1e-300) {
        return log(r);
    }
    double x2 = x * x;
    return -log(M_PI) / 2.0 - log(x) - x2 - 0.5 / x2 + 0.625 / (x2 * x2) -
           37.0 / 24.0 / (x2 * x2 * x2) + 353.0 / 64.0 / (x2 * x2 * x2 * x2);
}

static double log_a_int(double q, double sigma, long alpha)
{
    double log_a = -INFINITY, log1mq = log1p(-q), logq = log(q);
    for (long i = 0; i <= alpha; i++) {
        double di = (double)i;
        double coef = log_comb((double)alpha, di) + di * logq + (double)(alpha - i) * log1mq;
        log_a = log_add(log_a, coef + (double)(i * i - i) / (2.0 * (sigma * sigma)));
    }
    return log_a;
}

/* log(e^x - e^y) for x >= y (as TF Privacy / Opacus _log_sub). */
static double log_sub(double x, double y)
{
    if (y == -INFINITY) {
        return x;
    }
    if (x <= y) {
        return -INFINITY;
    }
    double d = expm1(x - y);
    return isinf(d) ? x : log(d) + y;
}

static double log_a_frac(double q, double sigma, double alpha)
{
    double log_a0 = -INFINITY, log_a1 = -INFINITY;
    double z0 = sigma * sigma * log(1.0 / q - 1.0) + 0.5;
    double log1mq = log1p(-q), logq = log(q);
    bool positive = true; /* sign of C(alpha, i) */
    for (int k = 0; k < LOG_A_FRAC_MAX_TERMS; k++) {
        double i = (double)k, j = alpha - i;
        if (k > 0 && alpha - (i - 1.0) < 0.0) {
            positive = !positive;
        }
        double log_coef = log_comb(alpha, i);
        double log_t0 = log_coef + i * logq + j * log1mq;
        double log_t1 = log_coef + j * logq + i * log1mq;
        double log_e0 = log(0.5) + log_erfc((i - z0) / (sqrt(2.0) * sigma));
        double log_e1 = log(0.5) + log_erfc((z0 - j) / (sqrt(2.0) * sigma));
        double log_s0 = log_t0 + (i * i - i) / (2.0 * (sigma * sigma)) + log_e0;
        double log_s1 = log_t1 + (j * j - j) / (2.0 * (sigma * sigma)) + log_e1;
        if (positive) {
            log_a0 = log_add(log_a0, log_s0);
            log_a1 = log_add(log_a1, log_s1);
        } else {
            log_a0 = log_sub(log_a0, log_s0);
            log_a1 = log_sub(log_a1, log_s1);
        }
        if (fmax(log_s0, log_s1) < -30.0) {
            return log_add(log_a0, log_a1);
        }
    }
    return INFINITY;
}

double clave_dp_rdp_subsampled_gaussian(double q, double sigma, double alpha)
{
    if (!(q >= 0.0 && q <= 1.0) || !(sigma >= 0.0) || !(alpha > 1.0)) {
        return NAN;
    }
    if (q == 0.0) {
        return 0.0;
    }
    if (isinf(alpha) || sigma == 0.0) {
        return INFINITY;
    }
    if (q == 1.0) {
        return alpha / (2.0 * sigma * sigma);
    }
    double log_a = alpha == floor(alpha) && alpha < 1e6 ? log_a_int(q, sigma, (long)alpha)
                                                        : log_a_frac(q, sigma, alpha);
    return log_a / (alpha - 1.0);
}

/* One order's epsilon; +inf when the conversion does not apply. */
static double order_epsilon(double a, double r, double delta, clave_dp_conversion conversion)
{
    if (isnan(r) || r == INFINITY) {
        return INFINITY;
    }
    if (conversion == CLAVE_DP_CONVERSION_CLASSIC) {
        return r - log(delta) / (a - 1.0);
    }
    if (r < 0.0 || delta * delta + expm1(-r) > 0.0) {
        return 0.0; /* KL bound: delta <= sqrt(1 - exp(-rdp)) */
    }
    if (a > 1.01) {
        return r + log1p(-1.0 / a) - log(delta * a) / (a - 1.0);
    }
    return INFINITY;
}

clave_status clave_dp_rdp_to_epsilon(const double *orders, const double *rdp, size_t n,
                                     double delta, clave_dp_conversion conversion,
                                     struct clave_dp_epsilon *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(out != NULL, CLAVE_ERR_ARG, "dp: out is NULL");
    *out = (struct clave_dp_epsilon){INFINITY, 0.0, conversion};
    CLAVE_ENSURE(orders != NULL && rdp != NULL && n >= 1, CLAVE_ERR_ARG, "dp: no orders");
    CLAVE_CHECK(dp__check_range("delta", delta, 0.0, true, 1.0, true));
    CLAVE_ENSURE(clave_dp_conversion_name(conversion) != NULL, CLAVE_ERR_ARG,
                 "dp: conversion %d unknown", (int)conversion);
    double best = INFINITY, best_order = orders[0];
    for (size_t i = 0; i < n; i++) {
        CLAVE_CHECK(dp__check_range("order", orders[i], 1.0, true, INFINITY, true));
        double e = order_epsilon(orders[i], rdp[i], delta, conversion);
        if (e < best) {
            best = e;
            best_order = orders[i];
        }
    }
    out->epsilon = fmax(0.0, best);
    out->order = best_order;
    st = CLAVE_OK;
done:
    return st;
}

static clave_status check_sgm(double q, double sigma, uint64_t steps)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_CHECK(dp__check_range("q", q, 0.0, true, 1.0, false));
    CLAVE_CHECK(dp__check_range("sigma", sigma, 0.0, true, SIGMA_SEARCH_MAX, false));
    CLAVE_ENSURE(steps >= 1 && steps <= ((uint64_t)1 << 40), CLAVE_ERR_ARG,
                 "dp: steps must be in [1, 2^40]");
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_dp_rdp_epsilon(double q, double sigma, uint64_t steps, double delta,
                                  clave_dp_order_grid grid, clave_dp_conversion conversion,
                                  struct clave_dp_epsilon *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const double *orders = NULL;
    double rdp[256];
    CLAVE_ENSURE(out != NULL, CLAVE_ERR_ARG, "dp: out is NULL");
    *out = (struct clave_dp_epsilon){INFINITY, 0.0, conversion};
    CLAVE_CHECK(check_sgm(q, sigma, steps));
    size_t n = clave_dp_orders(grid, &orders);
    CLAVE_ENSURE(n > 0 && n <= sizeof(rdp) / sizeof(rdp[0]), CLAVE_ERR_ARG,
                 "dp: order grid %d unknown", (int)grid);
    for (size_t i = 0; i < n; i++) {
        rdp[i] = clave_dp_rdp_subsampled_gaussian(q, sigma, orders[i]) * (double)steps;
    }
    CLAVE_CHECK(clave_dp_rdp_to_epsilon(orders, rdp, n, delta, conversion, out));
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_dp_rdp_sigma(double target_epsilon, double delta, double q, uint64_t steps,
                                clave_dp_order_grid grid, clave_dp_conversion conversion,
                                double tolerance, double *sigma)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_dp_epsilon e;
    CLAVE_ENSURE(sigma != NULL, CLAVE_ERR_ARG, "dp: sigma is NULL");
    *sigma = 0.0;
    CLAVE_CHECK(dp__check_range("epsilon", target_epsilon, 0.0, true, 1e6, false));
    CLAVE_CHECK(dp__check_range("tolerance", tolerance, 1e-12, false, 0.5, false));
    CLAVE_CHECK(check_sgm(q, 1.0, steps));
    double hi = 1.0, lo = 0.0;
    for (;;) {
        CLAVE_CHECK(clave_dp_rdp_epsilon(q, hi, steps, delta, grid, conversion, &e));
        if (e.epsilon <= target_epsilon) {
            break;
        }
        lo = hi;
        CLAVE_ENSURE(hi < SIGMA_SEARCH_MAX, CLAVE_ERR_LIMIT,
                     "dp: no noise multiplier up to %g meets epsilon %g", SIGMA_SEARCH_MAX,
                     target_epsilon);
        hi *= 2.0;
    }
    /* Invariant: hi meets the target; lo does not (or is 0). */
    while (hi - lo > tolerance * hi) {
        double mid = lo + (hi - lo) / 2.0;
        CLAVE_CHECK(clave_dp_rdp_epsilon(q, mid, steps, delta, grid, conversion, &e));
        if (e.epsilon <= target_epsilon) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    *sigma = hi;
    st = CLAVE_OK;
done:
    return st;
}
