/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Calibration and composition in floating point (never applied to data):
 *   - the analytic Gaussian mechanism (Balle & Wang 2018, ICML, Theorem 8): the Gaussian
 *     mechanism with L2 sensitivity D and standard deviation s is (e, d)-DP iff
 *     Phi(D/(2s) - e s/D) - e^e Phi(-D/(2s) - e s/D) <= d; sigma is found by bisection;
 *   - basic composition, advanced composition (Dwork, Rothblum & Vadhan 2010, Theorem III.3);
 *   - zCDP (Bun & Steinke 2016): Gaussian rho = D^2/(2 s^2), Proposition 1.3 conversion, and the
 *     improved RDP conversion minimised over orders (rho-zCDP is (a, a rho)-RDP for every a > 1).
 */
#include "dp/params.h"

#include "core/check.h"

#include <math.h>

#define GOLDEN 0.6180339887498949

static double phi(double x)
{
    return 0.5 * erfc(-x / sqrt(2.0));
}

double clave_dp_gaussian_delta(double epsilon, double sigma, double sensitivity)
{
    double a = sensitivity / (2.0 * sigma), b = epsilon * sigma / sensitivity;
    return phi(a - b) - exp(epsilon) * phi(-a - b);
}

clave_status clave_dp_gaussian_sigma(double epsilon, double delta, double sensitivity,
                                     double *sigma)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(sigma != NULL, CLAVE_ERR_ARG, "dp: sigma is NULL");
    *sigma = 0.0;
    CLAVE_CHECK(dp__check_range("epsilon", epsilon, 0.0, true, 1e3, false));
    CLAVE_CHECK(dp__check_range("delta", delta, 0.0, true, 1.0, true));
    CLAVE_CHECK(dp__check_range("sensitivity", sensitivity, 0.0, true, 1e12, false));
    double hi = sensitivity, lo = 0.0;
    while (clave_dp_gaussian_delta(epsilon, hi, sensitivity) > delta) {
        lo = hi;
        hi *= 2.0;
        CLAVE_ENSURE(hi < 1e9 * sensitivity, CLAVE_ERR_LIMIT, "dp: no sigma meets delta %g", delta);
    }
    /* Invariant: hi meets delta; lo does not (or is 0). */
    while (hi - lo > 1e-12 * hi) {
        double mid = lo + (hi - lo) / 2.0;
        if (clave_dp_gaussian_delta(epsilon, mid, sensitivity) <= delta) {
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

clave_status clave_dp_compose_basic(const double *epsilons, const double *deltas, size_t n,
                                    double *epsilon, double *delta)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    double e = 0.0, d = 0.0;
    CLAVE_ENSURE(epsilon != NULL && delta != NULL, CLAVE_ERR_ARG, "dp: NULL output");
    *epsilon = 0.0;
    *delta = 0.0;
    CLAVE_ENSURE(n == 0 || (epsilons != NULL && deltas != NULL), CLAVE_ERR_ARG, "dp: NULL input");
    for (size_t i = 0; i < n; i++) {
        CLAVE_CHECK(dp__check_range("epsilon", epsilons[i], 0.0, false, 1e6, false));
        CLAVE_CHECK(dp__check_range("delta", deltas[i], 0.0, false, 1.0, false));
        e += epsilons[i];
        d += deltas[i];
    }
    *epsilon = e;
    *delta = fmin(d, 1.0);
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_dp_compose_advanced(double epsilon, double delta, uint64_t k, double delta_slack,
                                       double *total_epsilon, double *total_delta)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(total_epsilon != NULL && total_delta != NULL, CLAVE_ERR_ARG, "dp: NULL output");
    *total_epsilon = 0.0;
    *total_delta = 0.0;
    CLAVE_CHECK(dp__check_range("epsilon", epsilon, 0.0, true, 1e3, false));
    CLAVE_CHECK(dp__check_range("delta", delta, 0.0, false, 1.0, true));
    CLAVE_CHECK(dp__check_range("delta_slack", delta_slack, 0.0, true, 1.0, true));
    CLAVE_ENSURE(k >= 1 && k <= ((uint64_t)1 << 40), CLAVE_ERR_ARG, "dp: k must be in [1, 2^40]");
    double dk = (double)k;
    *total_epsilon =
        sqrt(2.0 * dk * log(1.0 / delta_slack)) * epsilon + dk * epsilon * expm1(epsilon);
    *total_delta = fmin(1.0, dk * delta + delta_slack);
    st = CLAVE_OK;
done:
    return st;
}

double clave_dp_zcdp_gaussian_rho(double sigma, double sensitivity)
{
    return sensitivity * sensitivity / (2.0 * sigma * sigma);
}

/* Improved conversion at order a of the RDP curve a * rho (see rdp.c). */
static double zcdp_order_eps(double rho, double delta, double a)
{
    return a * rho + log1p(-1.0 / a) - log(delta * a) / (a - 1.0);
}

static double zcdp_improved(double rho, double delta, double *order)
{
    /* Golden-section search over t = log(a - 1), a in [1.01, 1 + 1e7]; the function is
     * unimodal in a for a > 1. */
    double lo = log(0.01), hi = log(1e7);
    double x1 = hi - GOLDEN * (hi - lo), x2 = lo + GOLDEN * (hi - lo);
    double f1 = zcdp_order_eps(rho, delta, 1.0 + exp(x1));
    double f2 = zcdp_order_eps(rho, delta, 1.0 + exp(x2));
    for (int i = 0; i < 200; i++) {
        if (f1 < f2) {
            hi = x2;
            x2 = x1;
            f2 = f1;
            x1 = hi - GOLDEN * (hi - lo);
            f1 = zcdp_order_eps(rho, delta, 1.0 + exp(x1));
        } else {
            lo = x1;
            x1 = x2;
            f1 = f2;
            x2 = lo + GOLDEN * (hi - lo);
            f2 = zcdp_order_eps(rho, delta, 1.0 + exp(x2));
        }
    }
    *order = 1.0 + exp(x1);
    return f1;
}

clave_status clave_dp_zcdp_epsilon(double rho, double delta, clave_dp_conversion conversion,
                                   struct clave_dp_epsilon *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(out != NULL, CLAVE_ERR_ARG, "dp: out is NULL");
    *out = (struct clave_dp_epsilon){INFINITY, 0.0, conversion};
    CLAVE_CHECK(dp__check_range("rho", rho, 0.0, true, 1e9, false));
    CLAVE_CHECK(dp__check_range("delta", delta, 0.0, true, 1.0, true));
    double classic = rho + 2.0 * sqrt(rho * log(1.0 / delta));
    switch (conversion) {
    case CLAVE_DP_CONVERSION_CLASSIC:
        out->epsilon = classic;
        break;
    case CLAVE_DP_CONVERSION_IMPROVED: {
        double order = 0.0, e = zcdp_improved(rho, delta, &order);
        if (delta * delta + expm1(-rho) > 0.0) {
            e = 0.0; /* KL bound (the RDP curve at a -> 1 is rho) */
        }
        out->epsilon = fmax(0.0, fmin(e, classic));
        out->order = order;
        break;
    }
    default:
        CLAVE_RAISE(CLAVE_ERR_ARG, "dp: conversion %d unknown", (int)conversion);
    }
    st = CLAVE_OK;
done:
    return st;
}
