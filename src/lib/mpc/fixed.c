/* SPDX-License-Identifier: Apache-2.0 */
/* Fixed-point reals in Z_2^64: two's complement, `frac_bits` fractional bits. */
#include "core/check.h"

#include <clave/mpc.h>
#include <math.h>

#define FIXED_LIMIT 4611686018427387904.0 /* 2^62: headroom for one addition without wrap */

clave_status clave_mpc_fixed_encode(double value, unsigned frac_bits, uint64_t *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    *out = 0;
    CLAVE_ENSURE(frac_bits <= CLAVE_MPC_FIXED_MAX_FRAC, CLAVE_ERR_ARG,
                 "fixed: %u fractional bits (max %d)", frac_bits, CLAVE_MPC_FIXED_MAX_FRAC);
    CLAVE_ENSURE(isfinite(value), CLAVE_ERR_ARG, "fixed: value is not finite");
    double scaled = nearbyint(ldexp(value, (int)frac_bits));
    CLAVE_ENSURE(fabs(scaled) < FIXED_LIMIT, CLAVE_ERR_ARG, "fixed: value out of range");
    *out = (uint64_t)(int64_t)scaled;
    st = CLAVE_OK;
done:
    return st;
}

double clave_mpc_fixed_decode(uint64_t value, unsigned frac_bits)
{
    return ldexp((double)(int64_t)value, -(int)frac_bits);
}

uint64_t clave_mpc_fixed_trunc(uint64_t value, unsigned bits)
{
    if (bits >= 64) {
        return (value >> 63) != 0 ? UINT64_MAX : 0;
    }
    /* Arithmetic shift written without relying on implementation-defined signed shifts. */
    uint64_t shifted = value >> bits;
    if ((value >> 63) != 0 && bits > 0) {
        shifted |= ~(UINT64_MAX >> bits);
    }
    return shifted;
}

uint64_t clave_mpc_fixed_trunc_share(uint64_t share, unsigned party, unsigned bits)
{
    if (bits >= 64) {
        return 0;
    }
    if (party == 0) {
        return share >> bits;
    }
    return 0 - ((0 - share) >> bits);
}
