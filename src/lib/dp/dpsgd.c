/* SPDX-License-Identifier: Apache-2.0 */
/*
 * DP-SGD pieces: per-example L2 clipping and one noisy aggregation step.
 *
 * The step clips each example to clip_norm C, rounds each coordinate to the grid 2^-k, sums in
 * integers and adds independent discrete Gaussian noise per coordinate. Adding or removing one
 * example changes the integer sum by a vector of L2 norm at most
 *   D = C 2^k (1 + 2^-40) + sqrt(dim) / 2
 * (clipping, a margin for the floating-point norm, and rounding of each coordinate by at most
 * 1/2), and the noise has sigma = noise_multiplier * D in grid units, so an RDP accountant run
 * with the same noise multiplier (rdp.c) describes the step, up to the difference between the
 * per-coordinate discrete Gaussian and the continuous one, which shrinks as sigma grows in grid
 * units (Canonne, Kamath & Steinke 2020 analyse the multivariate case); the caller picks the grid
 * so that sigma spans many grid units (docs/dp.md).
 */
#include "dp/params.h"

#include "core/check.h"

#include <math.h>
#include <stdlib.h>

clave_status clave_dp_clip_l2(double *grad, size_t dim, double clip_norm, double *norm)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    double sum = 0.0;
    CLAVE_ENSURE(grad != NULL || dim == 0, CLAVE_ERR_ARG, "dp: grad is NULL");
    if (norm != NULL) {
        *norm = 0.0;
    }
    CLAVE_CHECK(dp__check_range("clip_norm", clip_norm, 0.0, true, 1e12, false));
    for (size_t i = 0; i < dim; i++) {
        CLAVE_ENSURE(isfinite(grad[i]), CLAVE_ERR_ARG, "dp: gradient entry %zu is not finite", i);
        sum += grad[i] * grad[i];
    }
    double n = sqrt(sum);
    CLAVE_ENSURE(isfinite(n), CLAVE_ERR_ARG, "dp: gradient norm overflows");
    if (n > clip_norm) {
        double f = clip_norm / n;
        for (size_t i = 0; i < dim; i++) {
            grad[i] *= f;
        }
    }
    if (norm != NULL) {
        *norm = n;
    }
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_dp_sgd_step(struct clave_dp_rng *rng, double *grads, size_t batch, size_t dim,
                               double clip_norm, double noise_multiplier, int grid_bits,
                               double *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    int64_t *acc = NULL;
    struct clave_dp_noise noise = {0};
    CLAVE_ENSURE(rng != NULL && out != NULL && (grads != NULL || batch == 0), CLAVE_ERR_ARG,
                 "dp: NULL argument");
    CLAVE_ENSURE(dim >= 1 && dim <= ((size_t)1 << 32) && batch <= ((size_t)1 << 32), CLAVE_ERR_ARG,
                 "dp: dim must be in [1, 2^32] and batch <= 2^32");
    CLAVE_CHECK(dp__check_range("noise_multiplier", noise_multiplier, 0.0, true, 1e6, false));
    CLAVE_ENSURE(grid_bits >= 0 && grid_bits <= CLAVE_DP_MAX_GRID_BITS, CLAVE_ERR_ARG,
                 "dp: grid_bits = %d outside [0, %d]", grid_bits, CLAVE_DP_MAX_GRID_BITS);
    CLAVE_CHECK(
        dp__check_range("clip_norm", clip_norm, 0.0, true, ldexp(1.0, 50 - grid_bits), false));
    acc = calloc(dim, sizeof(int64_t));
    CLAVE_ENSURE_ALLOC(acc);
    for (size_t b = 0; b < batch; b++) {
        double *g = grads + b * dim;
        CLAVE_CHECK(clave_dp_clip_l2(g, dim, clip_norm, NULL));
        for (size_t j = 0; j < dim; j++) {
            int64_t v = (int64_t)llround(ldexp(g[j], grid_bits));
            CLAVE_ENSURE(!__builtin_add_overflow(acc[j], v, &acc[j]), CLAVE_ERR_LIMIT,
                         "dp: gradient sum overflow");
        }
    }
    double sens = ldexp(clip_norm, grid_bits) * (1.0 + 0x1p-40) + sqrt((double)dim) / 2.0;
    struct clave_dp_params p = {CLAVE_DP_GAUSSIAN_ZCDP, 0.0, 0.0, 0.0};
    /* sigma^2 = (z D)^2 expressed through rho = 1 / (2 z^2) for a unit sensitivity scaled by D. */
    double sigma = noise_multiplier * sens;
    p.rho = 1.0 / (2.0 * sigma * sigma);
    CLAVE_CHECK(clave_dp_noise_calibrate(&p, 1, grid_bits, &noise));
    for (size_t j = 0; j < dim; j++) {
        int64_t z = 0, v = 0;
        CLAVE_CHECK(clave_dp_noise_sample(rng, &noise, &z));
        CLAVE_ENSURE(!__builtin_add_overflow(acc[j], z, &v), CLAVE_ERR_LIMIT, "dp: overflow");
        out[j] = ldexp((double)v, -grid_bits);
    }
    st = CLAVE_OK;
done:
    free(acc);
    return st;
}
