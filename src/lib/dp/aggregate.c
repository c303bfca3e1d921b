/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Bounded aggregates. Every exact statistic is computed in integers on the grid (values clamped
 * to the bounds and rounded to multiples of 2^-k, at most max_rows_per_user rows per user), noise
 * is added in integers, and only the noisy integers are turned back into doubles (post-processing).
 * Budget splits (mean, variance) use basic composition over equal parts.
 */
#include "dp/bound.h"
#include "dp/params.h"

#include "core/check.h"

#include <math.h>
#include <stdlib.h>

static struct clave_dp_params split(const struct clave_dp_params *p, double parts)
{
    struct clave_dp_params s = *p;
    s.epsilon /= parts;
    s.delta /= parts;
    s.rho /= parts;
    return s;
}

/* value + noise calibrated for `sens` grid units. */
static clave_status release(struct clave_dp_rng *rng, const struct clave_dp_params *p,
                            int64_t value, uint64_t sens, int grid_bits,
                            struct clave_dp_noise *noise, int64_t *noisy)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    int64_t z = 0;
    CLAVE_CHECK(clave_dp_noise_calibrate(p, sens, grid_bits, noise));
    CLAVE_CHECK(clave_dp_noise_sample(rng, noise, &z));
    CLAVE_ENSURE(!__builtin_add_overflow(value, z, noisy), CLAVE_ERR_LIMIT, "dp: result overflow");
    st = CLAVE_OK;
done:
    return st;
}

/* Exact sums over the kept rows: count, sum of (grid value - centre), sum of squares of that. */
struct sums {
    int64_t count;
    int64_t sum;
    int64_t sum_sq;
};

static clave_status exact_sums(const struct clave_dp_row *rows, size_t n, const bool *keep,
                               const struct clave_dp_bounds *b, int64_t centre, struct sums *s)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    *s = (struct sums){0, 0, 0};
    for (size_t i = 0; i < n; i++) {
        if (!keep[i]) {
            continue;
        }
        int64_t v = dp__to_grid(rows[i].value, b) - centre, sq = 0;
        s->count++;
        CLAVE_ENSURE(!__builtin_add_overflow(s->sum, v, &s->sum) &&
                         !__builtin_mul_overflow(v, v, &sq) &&
                         !__builtin_add_overflow(s->sum_sq, sq, &s->sum_sq),
                     CLAVE_ERR_LIMIT, "dp: sum overflows the grid range (lower grid_bits)");
    }
    st = CLAVE_OK;
done:
    return st;
}

struct prepared {
    bool *keep;
    size_t kept;
    int64_t lo, hi, centre;
};

static clave_status prepare(const struct clave_dp_row *rows, size_t n,
                            const struct clave_dp_bounds *b, const struct clave_dp_params *p,
                            struct clave_dp_result *out, struct prepared *pr)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    *pr = (struct prepared){0};
    CLAVE_ENSURE(out != NULL, CLAVE_ERR_ARG, "dp: out is NULL");
    *out = (struct clave_dp_result){0};
    CLAVE_CHECK(clave_dp_params_check(p));
    CLAVE_CHECK(dp__check_bounds(b));
    CLAVE_CHECK(dp__limit_rows(rows, n, b->max_rows_per_user, &pr->keep, &pr->kept));
    pr->lo = dp__to_grid(b->lower, b);
    pr->hi = dp__to_grid(b->upper, b);
    /* floor((lo + hi) / 2) without overflow (|lo|, |hi| <= 2^52). */
    pr->centre = pr->lo + (pr->hi - pr->lo) / 2;
    st = CLAVE_OK;
done:
    return st;
}

static void charge(struct clave_dp_result *out, const struct clave_dp_params *p)
{
    out->epsilon = p->mechanism == CLAVE_DP_GAUSSIAN_ZCDP ? p->rho : p->epsilon;
    out->delta = p->mechanism == CLAVE_DP_GAUSSIAN ? p->delta : 0.0;
}

clave_status clave_dp_count(struct clave_dp_rng *rng, const struct clave_dp_row *rows, size_t n,
                            const struct clave_dp_bounds *b, const struct clave_dp_params *p,
                            struct clave_dp_result *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct prepared pr = {0};
    CLAVE_CHECK(prepare(rows, n, b, p, out, &pr));
    int64_t noisy = 0;
    CLAVE_CHECK(release(rng, p, (int64_t)pr.kept, b->max_rows_per_user, 0, &out->noise, &noisy));
    out->grid_value = noisy;
    out->value = (double)noisy;
    charge(out, p);
    st = CLAVE_OK;
done:
    free(pr.keep);
    return st;
}

clave_status clave_dp_sum(struct clave_dp_rng *rng, const struct clave_dp_row *rows, size_t n,
                          const struct clave_dp_bounds *b, const struct clave_dp_params *p,
                          struct clave_dp_result *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct prepared pr = {0};
    struct sums s;
    uint64_t sens = 0;
    int64_t noisy = 0;
    CLAVE_CHECK(prepare(rows, n, b, p, out, &pr));
    CLAVE_CHECK(exact_sums(rows, n, pr.keep, b, 0, &s));
    CLAVE_ENSURE(
        !__builtin_mul_overflow(dp__max_abs(pr.lo, pr.hi), (uint64_t)b->max_rows_per_user, &sens),
        CLAVE_ERR_LIMIT, "dp: sensitivity overflow (lower grid_bits)");
    CLAVE_CHECK(release(rng, p, s.sum, sens, b->grid_bits, &out->noise, &noisy));
    out->grid_value = noisy;
    out->value = ldexp((double)noisy, -b->grid_bits);
    charge(out, p);
    st = CLAVE_OK;
done:
    free(pr.keep);
    return st;
}

clave_status clave_dp_mean(struct clave_dp_rng *rng, const struct clave_dp_row *rows, size_t n,
                           const struct clave_dp_bounds *b, const struct clave_dp_params *p,
                           struct clave_dp_result *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct prepared pr = {0};
    struct sums s;
    struct clave_dp_noise count_noise;
    int64_t noisy_sum = 0, noisy_count = 0;
    CLAVE_CHECK(prepare(rows, n, b, p, out, &pr));
    struct clave_dp_params half = split(p, 2.0);
    CLAVE_CHECK(exact_sums(rows, n, pr.keep, b, pr.centre, &s));
    uint64_t sens = dp__max_abs(pr.lo - pr.centre, pr.hi - pr.centre) * b->max_rows_per_user;
    CLAVE_CHECK(release(rng, &half, s.sum, sens, b->grid_bits, &out->noise, &noisy_sum));
    CLAVE_CHECK(release(rng, &half, s.count, b->max_rows_per_user, 0, &count_noise, &noisy_count));
    double mean =
        ldexp((double)pr.centre, -b->grid_bits) +
        ldexp((double)noisy_sum, -b->grid_bits) / (double)(noisy_count > 1 ? noisy_count : 1);
    out->value = fmin(fmax(mean, b->lower), b->upper);
    out->grid_value = (int64_t)llround(ldexp(out->value, b->grid_bits));
    charge(out, p);
    st = CLAVE_OK;
done:
    free(pr.keep);
    return st;
}

clave_status clave_dp_variance(struct clave_dp_rng *rng, const struct clave_dp_row *rows, size_t n,
                               const struct clave_dp_bounds *b, const struct clave_dp_params *p,
                               struct clave_dp_result *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct prepared pr = {0};
    struct sums s;
    struct clave_dp_noise nz;
    int64_t ns = 0, nsq = 0, nc = 0;
    uint64_t h = 0, sens_sq = 0;
    CLAVE_CHECK(prepare(rows, n, b, p, out, &pr));
    struct clave_dp_params third = split(p, 3.0);
    CLAVE_CHECK(exact_sums(rows, n, pr.keep, b, pr.centre, &s));
    h = dp__max_abs(pr.lo - pr.centre, pr.hi - pr.centre);
    CLAVE_ENSURE(!__builtin_mul_overflow(h, h, &sens_sq) &&
                     !__builtin_mul_overflow(sens_sq, (uint64_t)b->max_rows_per_user, &sens_sq),
                 CLAVE_ERR_LIMIT, "dp: variance sensitivity overflow (lower grid_bits)");
    CLAVE_CHECK(release(rng, &third, s.count, b->max_rows_per_user, 0, &nz, &nc));
    CLAVE_CHECK(release(rng, &third, s.sum, h * b->max_rows_per_user, b->grid_bits, &nz, &ns));
    CLAVE_CHECK(release(rng, &third, s.sum_sq, sens_sq, b->grid_bits, &out->noise, &nsq));
    double cnt = (double)(nc > 1 ? nc : 1);
    double m1 = ldexp((double)ns, -b->grid_bits) / cnt;
    double m2 = ldexp((double)nsq, -2 * b->grid_bits) / cnt;
    double half_range = (b->upper - b->lower) / 2.0;
    out->value = fmin(fmax(m2 - m1 * m1, 0.0), half_range * half_range);
    charge(out, p);
    st = CLAVE_OK;
done:
    free(pr.keep);
    return st;
}

clave_status clave_dp_histogram(struct clave_dp_rng *rng, const struct clave_dp_row *rows, size_t n,
                                const struct clave_dp_bounds *b, const struct clave_dp_params *p,
                                size_t bucket_count, int64_t *counts)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct prepared pr = {0};
    struct clave_dp_result unused;
    struct clave_dp_noise noise;
    CLAVE_ENSURE(counts != NULL && bucket_count >= 1 && bucket_count <= 1000000, CLAVE_ERR_ARG,
                 "dp: bucket_count must be in [1, 1000000]");
    for (size_t i = 0; i < bucket_count; i++) {
        counts[i] = 0;
    }
    CLAVE_CHECK(prepare(rows, n, b, p, &unused, &pr));
    double width = (b->upper - b->lower) / (double)bucket_count;
    for (size_t i = 0; i < n; i++) {
        if (!pr.keep[i]) {
            continue;
        }
        double v = isnan(rows[i].value) ? b->lower : rows[i].value;
        double pos = width > 0.0 ? floor((v - b->lower) / width) : 0.0;
        size_t k = pos <= 0.0                          ? 0
                   : pos >= (double)(bucket_count - 1) ? bucket_count - 1
                                                       : (size_t)pos;
        counts[k]++;
    }
    CLAVE_CHECK(clave_dp_noise_calibrate(p, b->max_rows_per_user, 0, &noise));
    for (size_t i = 0; i < bucket_count; i++) {
        int64_t z = 0;
        CLAVE_CHECK(clave_dp_noise_sample(rng, &noise, &z));
        counts[i] += z;
    }
    st = CLAVE_OK;
done:
    if (st != CLAVE_OK && counts != NULL && bucket_count <= 1000000) {
        for (size_t i = 0; i < bucket_count; i++) {
            counts[i] = 0;
        }
    }
    free(pr.keep);
    return st;
}

clave_status clave_dp_histogram_thresholded(struct clave_dp_rng *rng,
                                            const struct clave_dp_row *rows, size_t n,
                                            const struct clave_dp_bounds *b,
                                            const struct clave_dp_params *p, size_t bucket_count,
                                            int64_t threshold, int64_t *counts, bool *released,
                                            size_t *released_count)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    size_t shown = 0;
    if (released_count != NULL) {
        *released_count = 0;
    }
    CLAVE_ENSURE(released != NULL && bucket_count >= 1 && bucket_count <= 1000000, CLAVE_ERR_ARG,
                 "dp: released is NULL or bucket_count outside [1, 1000000]");
    for (size_t i = 0; i < bucket_count; i++) {
        released[i] = false;
    }
    CLAVE_CHECK(clave_dp_histogram(rng, rows, n, b, p, bucket_count, counts));
    /* Post-processing of the noisy counts only. */
    for (size_t i = 0; i < bucket_count; i++) {
        released[i] = counts[i] >= threshold;
        counts[i] = released[i] ? counts[i] : 0;
        shown += released[i];
    }
    if (released_count != NULL) {
        *released_count = shown;
    }
    st = CLAVE_OK;
done:
    return st;
}
