/* SPDX-License-Identifier: Apache-2.0 */
/* Parameter validation shared by the dp modules: every failure names the parameter. */
#ifndef CLAVE_DP_PARAMS_H
#define CLAVE_DP_PARAMS_H

#include <clave/dp.h>

/* `value` finite and in the interval (lo, hi) / [lo, hi] per the open flags, else CLAVE_ERR_ARG
 * with "dp: NAME must be ..." as detail. */
clave_status dp__check_range(const char *name, double value, double lo, bool lo_open, double hi,
                             bool hi_open);

/* Bounds: finite, lower <= upper, row limit >= 1, grid bits in 0..CLAVE_DP_MAX_GRID_BITS, and
 * both bounds representable on the grid within +-2^62 units. */
clave_status dp__check_bounds(const struct clave_dp_bounds *bounds);

#endif
