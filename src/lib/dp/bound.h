/* SPDX-License-Identifier: Apache-2.0 */
/* Contribution bounding shared by the aggregates: per-user row limits and grid values. */
#ifndef CLAVE_DP_BOUND_H
#define CLAVE_DP_BOUND_H

#include <clave/dp.h>

/* keep[i] = true for the first max_rows_per_user rows (in input order) of each user.
 * *kept gets the number kept. Caller frees *keep. */
clave_status dp__limit_rows(const struct clave_dp_row *rows, size_t n, uint32_t max_rows,
                            bool **keep, size_t *kept);

/* Clamp to [lower, upper] and round to the nearest multiple of 2^-grid_bits, in grid units.
 * Exact: the bounds were checked so |x 2^k| <= 2^52. */
int64_t dp__to_grid(double x, const struct clave_dp_bounds *b);

/* max(|a|, |b|), at least 1. */
uint64_t dp__max_abs(int64_t a, int64_t b);

#endif
