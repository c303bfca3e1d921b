/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Quantiles by noisy binary search, and thresholded partition selection (release of group keys).
 *
 * Quantile: with S = ceil(log2(range + 1)) halving steps over the grid [lo, hi], the budget is
 * split into S + 1 equal parts: one noisy count N of all rows, then at each step a noisy count of
 * rows <= mid compared with quantile * N. Each count has sensitivity max_rows_per_user, and the
 * counts are adaptive (each midpoint depends on earlier answers), which both compositions allow:
 *   laplace        epsilon / (S + 1) per count, discrete Laplace; pure epsilon-DP by basic
 *                  composition.
 *   gaussian-zcdp  rho / (S + 1) per count, discrete Gaussian (CKS 2020 Theorem 4: it is
 *                  D^2/(2 sigma^2)-zCDP); rho-zCDP by adaptive zCDP composition (Bun & Steinke
 *                  2016 Lemma 2.3).
 *   gaussian       (epsilon, delta) through zCDP: the largest rho whose improved conversion
 *                  (clave_dp_zcdp_epsilon, IMPROVED) is at most epsilon at delta, then as
 *                  gaussian-zcdp. Splitting rho rather than (epsilon, delta) keeps the noise per
 *                  count near sqrt(S + 1) times, not S + 1 times, the single-count noise.
 */
#include "dp/bound.h"
#include "dp/params.h"

#include "core/check.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static clave_status noisy_count_le(struct clave_dp_rng *rng, const struct clave_dp_row *rows,
                                   size_t n, const bool *keep, const struct clave_dp_bounds *b,
                                   int64_t mid, const struct clave_dp_noise *noise, int64_t *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    int64_t c = 0, z = 0;
    for (size_t i = 0; i < n; i++) {
        c += keep[i] && dp__to_grid(rows[i].value, b) <= mid;
    }
    CLAVE_CHECK(clave_dp_noise_sample(rng, noise, &z));
    *out = c + z;
    st = CLAVE_OK;
done:
    return st;
}

/* Largest rho (within 1e-12 relative) whose rho-zCDP converts to at most (epsilon, delta). */
static clave_status rho_for_epsilon(double epsilon, double delta, double *rho)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_dp_epsilon e;
    double lo = 0.0, hi = epsilon;
    *rho = 0.0;
    for (int i = 0; i < 64; i++) { /* epsilon(rho) >= rho: hi = epsilon normally fails at once */
        CLAVE_CHECK(clave_dp_zcdp_epsilon(hi, delta, CLAVE_DP_CONVERSION_IMPROVED, &e));
        if (e.epsilon > epsilon) {
            break;
        }
        lo = hi;
        hi *= 2.0;
    }
    for (int i = 0; i < 200 && hi - lo > 1e-12 * hi; i++) {
        double mid = lo + (hi - lo) / 2.0;
        CLAVE_CHECK(clave_dp_zcdp_epsilon(mid, delta, CLAVE_DP_CONVERSION_IMPROVED, &e));
        if (e.epsilon <= epsilon) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    CLAVE_ENSURE(lo > 0.0, CLAVE_ERR_ARG, "dp: epsilon %g too small for delta %g", epsilon, delta);
    *rho = lo;
    st = CLAVE_OK;
done:
    return st;
}

/* Parameters of each of `parts` adaptive counts of a release with parameters `p` (above). */
static clave_status step_params(const struct clave_dp_params *p, unsigned parts,
                                struct clave_dp_params *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    double rho = p->rho;
    *out = *p;
    if (p->mechanism == CLAVE_DP_LAPLACE) {
        out->epsilon = p->epsilon / (double)parts;
    } else {
        if (p->mechanism == CLAVE_DP_GAUSSIAN) {
            CLAVE_CHECK(rho_for_epsilon(p->epsilon, p->delta, &rho));
        }
        *out = (struct clave_dp_params){CLAVE_DP_GAUSSIAN_ZCDP, 0.0, 0.0, rho / (double)parts};
    }
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_dp_quantile(struct clave_dp_rng *rng, const struct clave_dp_row *rows, size_t n,
                               const struct clave_dp_bounds *b, const struct clave_dp_params *p,
                               double quantile, struct clave_dp_result *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    bool *keep = NULL;
    size_t kept = 0;
    struct clave_dp_noise noise;
    struct clave_dp_params part;
    CLAVE_ENSURE(out != NULL, CLAVE_ERR_ARG, "dp: out is NULL");
    *out = (struct clave_dp_result){0};
    CLAVE_CHECK(clave_dp_params_check(p));
    CLAVE_CHECK(dp__check_range("quantile", quantile, 0.0, true, 1.0, true));
    CLAVE_CHECK(dp__check_bounds(b));
    CLAVE_CHECK(dp__limit_rows(rows, n, b->max_rows_per_user, &keep, &kept));
    int64_t lo = dp__to_grid(b->lower, b), hi = dp__to_grid(b->upper, b);
    uint64_t range = (uint64_t)(hi - lo);
    unsigned steps = range == 0 ? 0 : 64 - (unsigned)__builtin_clzll(range);
    CLAVE_CHECK(step_params(p, steps + 1, &part));
    CLAVE_CHECK(clave_dp_noise_calibrate(&part, b->max_rows_per_user, 0, &noise));
    int64_t total = 0;
    CLAVE_CHECK(noisy_count_le(rng, rows, n, keep, b, hi, &noise, &total));
    double target = quantile * (double)(total > 0 ? total : 0);
    for (unsigned s = 0; s < steps && lo < hi; s++) {
        int64_t mid = lo + (hi - lo) / 2, c = 0;
        CLAVE_CHECK(noisy_count_le(rng, rows, n, keep, b, mid, &noise, &c));
        if ((double)c >= target) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    out->grid_value = lo;
    out->value = ldexp((double)lo, -b->grid_bits);
    out->epsilon = p->mechanism == CLAVE_DP_GAUSSIAN_ZCDP ? p->rho : p->epsilon;
    out->delta = p->mechanism == CLAVE_DP_GAUSSIAN ? p->delta : 0.0;
    out->noise = noise;
    st = CLAVE_OK;
done:
    free(keep);
    return st;
}

/* ---- partition selection ---- */

struct key_user {
    const char *key;
    uint64_t user;
    size_t index;
};

static int by_user_index(const void *a, const void *b)
{
    const struct key_user *x = a, *y = b;
    if (x->user != y->user) {
        return x->user < y->user ? -1 : 1;
    }
    return x->index < y->index ? -1 : x->index > y->index;
}

static int by_key_user(const void *a, const void *b)
{
    const struct key_user *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    if (c != 0) {
        return c;
    }
    return x->user < y->user ? -1 : x->user > y->user;
}

/* Keep each user's first max_partitions distinct keys; returns the kept count (compacted). */
static size_t limit_keys(struct key_user *ku, size_t n, uint32_t max_partitions)
{
    qsort(ku, n, sizeof(*ku), by_user_index);
    size_t out = 0, start = 0;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && ku[i].user != ku[i - 1].user) {
            start = out;
        }
        bool seen = false;
        for (size_t j = start; j < out && !seen; j++) {
            seen = strcmp(ku[j].key, ku[i].key) == 0;
        }
        if (!seen && out - start < max_partitions) {
            ku[out++] = ku[i];
        }
    }
    return out;
}

clave_status clave_dp_partition_select(struct clave_dp_rng *rng, const struct clave_dp_row *rows,
                                       size_t n, uint32_t max_partitions, double epsilon,
                                       double delta, clave_dp_partition_fn fn, void *ctx)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct key_user *ku = NULL;
    struct clave_dp_noise noise;
    CLAVE_ENSURE(fn != NULL && (n == 0 || rows != NULL), CLAVE_ERR_ARG, "dp: NULL argument");
    CLAVE_ENSURE(max_partitions >= 1 && max_partitions <= 1000000, CLAVE_ERR_ARG,
                 "dp: max_partitions must be in [1, 1000000]");
    CLAVE_CHECK(dp__check_range("delta", delta, 0.0, true, 1.0, true));
    struct clave_dp_params p = {CLAVE_DP_LAPLACE, epsilon, 0.0, 0.0};
    CLAVE_CHECK(clave_dp_noise_calibrate(&p, max_partitions, 0, &noise));
    /* b = the exact rational scale actually used (>= max_partitions / epsilon). */
    double scale = (double)noise.num / (double)noise.den;
    double threshold = 1.0 + ceil(scale * log((double)max_partitions / delta) * (1.0 + 1e-12));
    ku = calloc(n > 0 ? n : 1, sizeof(*ku));
    CLAVE_ENSURE_ALLOC(ku);
    for (size_t i = 0; i < n; i++) {
        CLAVE_ENSURE(rows[i].key != NULL, CLAVE_ERR_ARG, "dp: row %zu has no key", i);
        ku[i] = (struct key_user){rows[i].key, rows[i].user, i};
    }
    size_t m = limit_keys(ku, n, max_partitions);
    qsort(ku, m, sizeof(*ku), by_key_user);
    for (size_t i = 0; i < m;) {
        size_t j = i;
        int64_t users = 0, z = 0;
        for (; j < m && strcmp(ku[j].key, ku[i].key) == 0; j++) {
            users += j == i || ku[j].user != ku[j - 1].user;
        }
        CLAVE_CHECK(clave_dp_noise_sample(rng, &noise, &z));
        if ((double)(users + z) >= threshold && !fn(ctx, ku[i].key, users + z)) {
            break;
        }
        i = j;
    }
    st = CLAVE_OK;
done:
    free(ku);
    return st;
}
