/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GMP set-up shared by every module that uses big numbers (Paillier, DP rationals, MPC fields).
 *
 * GMP keeps intermediate values of secret computations in limbs it allocates itself, so clave
 * replaces GMP's allocators with ones that wipe every block before it is released or moved.
 * mp_set_memory_functions() is process-wide (GMP's design, not ours); clave__gmp_init() installs
 * the allocators exactly once, before any mpz is created, and every module that touches GMP calls
 * it first (cheap after the first call). If another component later replaces GMP's allocators,
 * clave notices and refuses to run secret computations (CLAVE_ERR_STATE).
 */
#ifndef CLAVE_CORE_GMP_H
#define CLAVE_CORE_GMP_H

#include <clave/status.h>

/* Install the wiping allocators once. CLAVE_ERR_STATE if foreign allocators are in place. */
clave_status clave__gmp_init(void);

#endif
