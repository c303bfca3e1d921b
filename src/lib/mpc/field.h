/* SPDX-License-Identifier: Apache-2.0 */
/* Arithmetic in F_p, p = 2^61 - 1 (a Mersenne prime: reduction is a shift and an add). */
#ifndef CLAVE_MPC_FIELD_H
#define CLAVE_MPC_FIELD_H

#include <clave/mpc.h>
#include <clave/status.h>
#include <stdint.h>

#define FP_P CLAVE_MPC_P61
#define FP_BITS 61

/* a + b for a, b < p. */
static inline uint64_t fp_add(uint64_t a, uint64_t b)
{
    uint64_t s = a + b; /* < 2^62: no overflow */
    return s >= FP_P ? s - FP_P : s;
}

/* a - b for a, b < p. */
static inline uint64_t fp_sub(uint64_t a, uint64_t b)
{
    return a >= b ? a - b : a + FP_P - b;
}

/* a * b for a, b < p: fold the 122-bit product at bit 61 twice. */
static inline uint64_t fp_mul(uint64_t a, uint64_t b)
{
    unsigned __int128 prod = (unsigned __int128)a * b;
    uint64_t lo = (uint64_t)prod & FP_P;
    uint64_t hi = (uint64_t)(prod >> FP_BITS);
    uint64_t s = lo + hi; /* < 2^62 */
    s = (s & FP_P) + (s >> FP_BITS);
    return s >= FP_P ? s - FP_P : s;
}

/* a^(p-2) = a^-1 for a != 0 (Fermat). Public values only: not constant-time in the exponent's
 * value, which is the public constant p - 2. */
static inline uint64_t fp_inv(uint64_t a)
{
    uint64_t result = 1;
    uint64_t base = a;
    uint64_t e = FP_P - 2;
    while (e != 0) {
        if ((e & 1) != 0) {
            result = fp_mul(result, base);
        }
        base = fp_mul(base, base);
        e >>= 1;
    }
    return result;
}

/* `len` uniform field elements from the CSPRNG (rejection of the single value 2^61 - 1). */
clave_status clave__fp_random(uint64_t *out, size_t len);

/* `len` uniform 64-bit words from the CSPRNG. */
clave_status clave__u64_random(uint64_t *out, size_t len);

#endif
