/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Calibration of integer noise for a query of integer sensitivity, with every rounding in the
 * conservative direction:
 *   Laplace   scale = D / e' with e' = floor(e * 2^s) / 2^s <= e (s = 40, fewer if D is large),
 *             so the rational scale D 2^s / floor(e 2^s) is at least D / e (pure e-DP, the
 *             discrete Laplace being e-DP at scale D/e for integer sensitivity D).
 *   Gaussian  sigma from the analytic calibration (compose.c) for sensitivity D, then
 *             sigma^2 rounded up to a multiple of 2^-20 after a 2^-40 relative margin against
 *             floating-point error. The discrete Gaussian's own (e, d) curve (CKS 2020,
 *             Theorem 7, see clave_dp_discrete_gaussian_delta below) is then evaluated and
 *             sigma^2 raised until it holds too. The check sums
 *             about 80 sigma terms, so it runs for sigma <= 2^16 grid units only; above that the
 *             analytic (continuous) calibration is used as is (docs/dp.md, "Limits").
 *   zCDP      sigma^2 = D^2 / (2 rho) rounded up likewise (CKS 2020 Theorem 4: the discrete
 *             Gaussian is (D^2 / (2 sigma^2))-zCDP).
 */
#include "dp/params.h"

#include "core/check.h"

#include <math.h>

#define SIGMA2_DEN_BITS 20
#define EPS_DEN_BITS 40
#define DISCRETE_CHECK_MAX_SIGMA 65536.0

const char *clave_dp_mechanism_name(clave_dp_mechanism m)
{
    switch (m) {
    case CLAVE_DP_LAPLACE:
        return "laplace";
    case CLAVE_DP_GAUSSIAN:
        return "gaussian";
    case CLAVE_DP_GAUSSIAN_ZCDP:
        return "gaussian-zcdp";
    }
    return NULL;
}

static unsigned bit_length(uint64_t x)
{
    return x == 0 ? 0 : 64 - (unsigned)__builtin_clzll(x);
}

static clave_status calibrate_laplace(double epsilon, uint64_t sens, struct clave_dp_noise *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    unsigned room = 63 - bit_length(sens);
    unsigned s = room < EPS_DEN_BITS ? room : EPS_DEN_BITS;
    CLAVE_ENSURE(s >= 20, CLAVE_ERR_LIMIT,
                 "dp: sensitivity %llu grid units too large (lower grid_bits or bounds)",
                 (unsigned long long)sens);
    double scaled = floor(ldexp(epsilon, (int)s)); /* exact: power-of-two scaling, then floor */
    CLAVE_ENSURE(scaled >= 1.0 && scaled < 0x1p63, CLAVE_ERR_ARG, "dp: epsilon %g out of range",
                 epsilon);
    out->num = sens << s;
    out->den = (uint64_t)scaled;
    st = CLAVE_OK;
done:
    return st;
}

/* Unnormalised mass exp(-y^2 / (2 s2)) of the discrete Gaussian at y. */
static double dgauss_mass(double s2, double y)
{
    return exp(-y * y / (2.0 * s2));
}

/*
 * CKS 2020 Theorem 7 (arXiv 2004.00010v3, p. 7; Section 2.3): adding Y ~ N_Z(0, s2) to an
 * integer query of sensitivity D is (e, d)-DP for
 *     d = P[Y > e s2/D - D/2] - e^e P[Y > e s2/D + D/2],
 * which is exactly the hockey-stick divergence between N_Z(0, s2) and N_Z(D, s2) (tight). With
 * Y integer, P[Y > t] = P[Y >= floor(t) + 1], so with L = floor(e s2/D - D/2) + 1 and
 * U = floor(e s2/D + D/2) + 1 (L <= U):
 *     d = (sum_{L <= y < U} m(y) - expm1(e) sum_{y >= U} m(y)) / sum_y m(y).
 * Written this way the two tails do not cancel. Truncating the subtracted series and the
 * normaliser only raises d (conservative); the terms dropped from the positive part are below
 * e^-800 of it.
 */
double clave_dp_discrete_gaussian_delta(double epsilon, double sigma2, double sensitivity)
{
    if (!(epsilon >= 0.0) || !(sigma2 > 0.0) || !(sensitivity > 0.0) || !isfinite(epsilon) ||
        !isfinite(sigma2) || !isfinite(sensitivity)) {
        return NAN;
    }
    double sigma = sqrt(sigma2), reach = 40.0 * sigma + 40.0;
    double c = epsilon * sigma2 / sensitivity;
    double lower = floor(c - sensitivity / 2.0) + 1.0, upper = floor(c + sensitivity / 2.0) + 1.0;
    double norm = 1.0, head = 0.0, tail = 0.0;
    for (double y = 1.0; y < reach; y += 1.0) {
        norm += 2.0 * dgauss_mass(sigma2, y);
    }
    for (double y = lower; y < upper && y < fabs(lower) + reach; y += 1.0) {
        head += dgauss_mass(sigma2, y);
    }
    for (double y = upper; y < upper + reach; y += 1.0) {
        tail += dgauss_mass(sigma2, y);
    }
    double d = (head - expm1(epsilon) * tail) / norm;
    return d > 0.0 ? d : 0.0;
}

static clave_status set_sigma2(double s2, struct clave_dp_noise *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    double scaled = ceil(ldexp(s2 * (1.0 + 0x1p-40), SIGMA2_DEN_BITS));
    CLAVE_ENSURE(isfinite(scaled) && scaled >= 1.0 && scaled < 0x1p62, CLAVE_ERR_LIMIT,
                 "dp: noise variance %g too large for the grid (lower grid_bits or bounds)", s2);
    out->num = (uint64_t)scaled;
    out->den = (uint64_t)1 << SIGMA2_DEN_BITS;
    st = CLAVE_OK;
done:
    return st;
}

static clave_status calibrate_gaussian(double epsilon, double delta, uint64_t sens,
                                       struct clave_dp_noise *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    double sigma = 0.0, d = (double)sens;
    CLAVE_CHECK(clave_dp_gaussian_sigma(epsilon, delta, d, &sigma));
    CLAVE_CHECK(set_sigma2(sigma * sigma, out));
    for (int i = 0; sigma <= DISCRETE_CHECK_MAX_SIGMA; i++) {
        double s2 = (double)out->num / (double)out->den;
        if (clave_dp_discrete_gaussian_delta(epsilon, s2, d) <= delta) {
            break;
        }
        CLAVE_ENSURE(i < 1000, CLAVE_ERR_INTERNAL, "dp: discrete gaussian calibration diverged");
        CLAVE_CHECK(set_sigma2(s2 * 1.001, out));
    }
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_dp_noise_calibrate(const struct clave_dp_params *params, uint64_t sensitivity,
                                      int grid_bits, struct clave_dp_noise *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_dp_noise n = {0};
    CLAVE_ENSURE(out != NULL, CLAVE_ERR_ARG, "dp: out is NULL");
    *out = n;
    CLAVE_CHECK(clave_dp_params_check(params));
    CLAVE_ENSURE(sensitivity >= 1, CLAVE_ERR_ARG, "dp: sensitivity must be >= 1 grid unit");
    CLAVE_ENSURE(grid_bits >= 0 && grid_bits <= CLAVE_DP_MAX_GRID_BITS, CLAVE_ERR_ARG,
                 "dp: grid_bits = %d outside [0, %d]", grid_bits, CLAVE_DP_MAX_GRID_BITS);
    n.mechanism = params->mechanism;
    n.grid_bits = grid_bits;
    n.sensitivity = sensitivity;
    switch (params->mechanism) {
    case CLAVE_DP_LAPLACE:
        CLAVE_CHECK(calibrate_laplace(params->epsilon, sensitivity, &n));
        n.epsilon_charged = params->epsilon;
        break;
    case CLAVE_DP_GAUSSIAN:
        CLAVE_CHECK(calibrate_gaussian(params->epsilon, params->delta, sensitivity, &n));
        n.epsilon_charged = params->epsilon;
        n.delta_charged = params->delta;
        break;
    case CLAVE_DP_GAUSSIAN_ZCDP: {
        double d = (double)sensitivity;
        CLAVE_CHECK(set_sigma2(d * d / (2.0 * params->rho), &n));
        n.epsilon_charged = params->rho; /* zCDP budgets are kept in rho */
        break;
    }
    }
    *out = n;
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_dp_noise_sample(struct clave_dp_rng *rng, const struct clave_dp_noise *noise,
                                   int64_t *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(out != NULL && noise != NULL && rng != NULL, CLAVE_ERR_ARG, "dp: NULL argument");
    *out = 0;
    if (noise->mechanism == CLAVE_DP_LAPLACE) {
        CLAVE_CHECK(clave_dp_sample_discrete_laplace(rng, noise->num, noise->den, out));
    } else {
        CLAVE_CHECK(clave_dp_sample_discrete_gaussian(rng, noise->num, noise->den, out));
    }
    st = CLAVE_OK;
done:
    return st;
}
