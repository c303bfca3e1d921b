/* SPDX-License-Identifier: Apache-2.0 */
/* Validation of privacy parameters and bounds; strict decimal parsing for the CLI and specs. */
#include "dp/params.h"

#include "core/check.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>

clave_status dp__check_range(const char *name, double value, double lo, bool lo_open, double hi,
                             bool hi_open)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(isfinite(value), CLAVE_ERR_ARG, "dp: %s must be a finite number", name);
    bool low_ok = lo_open ? value > lo : value >= lo;
    bool high_ok = hi_open ? value < hi : value <= hi;
    CLAVE_ENSURE(low_ok && high_ok, CLAVE_ERR_ARG, "dp: %s = %g outside %s%g, %g%s", name, value,
                 lo_open ? "(" : "[", lo, hi, hi_open ? ")" : "]");
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_dp_params_check(const struct clave_dp_params *p)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(p != NULL, CLAVE_ERR_ARG, "dp: params is NULL");
    switch (p->mechanism) {
    case CLAVE_DP_LAPLACE:
        CLAVE_CHECK(dp__check_range("epsilon", p->epsilon, 0.0, true, 1e6, false));
        CLAVE_ENSURE(p->delta == 0.0, CLAVE_ERR_ARG,
                     "dp: delta must be 0 for the laplace mechanism");
        break;
    case CLAVE_DP_GAUSSIAN:
        CLAVE_CHECK(dp__check_range("epsilon", p->epsilon, 0.0, true, 1e3, false));
        CLAVE_CHECK(dp__check_range("delta", p->delta, 0.0, true, 1.0, true));
        break;
    case CLAVE_DP_GAUSSIAN_ZCDP:
        CLAVE_CHECK(dp__check_range("rho", p->rho, 0.0, true, 1e6, false));
        break;
    default:
        CLAVE_RAISE(CLAVE_ERR_ARG, "dp: mechanism %d unknown", (int)p->mechanism);
    }
    st = CLAVE_OK;
done:
    return st;
}

clave_status dp__check_bounds(const struct clave_dp_bounds *b)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(b != NULL, CLAVE_ERR_ARG, "dp: bounds is NULL");
    CLAVE_ENSURE(b->grid_bits >= 0 && b->grid_bits <= CLAVE_DP_MAX_GRID_BITS, CLAVE_ERR_ARG,
                 "dp: grid_bits = %d outside [0, %d]", b->grid_bits, CLAVE_DP_MAX_GRID_BITS);
    double limit = ldexp(1.0, 52 - b->grid_bits);
    CLAVE_CHECK(dp__check_range("lower", b->lower, -limit, false, limit, false));
    CLAVE_CHECK(dp__check_range("upper", b->upper, -limit, false, limit, false));
    CLAVE_ENSURE(b->lower <= b->upper, CLAVE_ERR_ARG, "dp: bounds reversed (lower %g > upper %g)",
                 b->lower, b->upper);
    CLAVE_ENSURE(b->max_rows_per_user >= 1 && b->max_rows_per_user <= 1000000, CLAVE_ERR_ARG,
                 "dp: max_rows_per_user = %u outside [1, 1000000]", b->max_rows_per_user);
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_dp_parse_double(const char *name, const char *text, double *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char *end = NULL;
    CLAVE_ENSURE(out != NULL && name != NULL, CLAVE_ERR_ARG, "dp: parse_double: NULL argument");
    *out = 0.0;
    CLAVE_ENSURE(text != NULL && text[0] != '\0', CLAVE_ERR_ARG, "dp: %s: empty value", name);
    CLAVE_ENSURE(!isspace((unsigned char)text[0]), CLAVE_ERR_ARG, "dp: %s: leading blank", name);
    errno = 0;
    double v = strtod(text, &end);
    CLAVE_ENSURE(end != text && *end == '\0', CLAVE_ERR_ARG, "dp: %s: '%.40s' is not a number",
                 name, text);
    CLAVE_ENSURE(errno != ERANGE || v == 0.0, CLAVE_ERR_ARG, "dp: %s: '%.40s' out of range", name,
                 text);
    CLAVE_ENSURE(isfinite(v), CLAVE_ERR_ARG, "dp: %s must be a finite number", name);
    *out = v;
    st = CLAVE_OK;
done:
    return st;
}
