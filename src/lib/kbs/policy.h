/* SPDX-License-Identifier: Apache-2.0 */
/* The release rules shared by dataset keys (policy.c) and recipient keys (recipient.c). */
#ifndef CLAVE_KBS_POLICY_H
#define CLAVE_KBS_POLICY_H

#include <clave/kbs.h>

/* The workload's binding (if any) names `contract`, and the contract is active at `now`. False
 * with `reason` (CLAVE_KBS_REASON_MAX bytes) otherwise. */
bool clave__kbs_contract_ok(const struct clave_contract *contract, const struct clave_kbs_claims *c,
                            uint64_t now, char *reason);

/* TEE type known, sim only with `trust_sim`, not debug unless allowed, a workload of the
 * contract matches the reference values, TCB minimum and status accepted. */
bool clave__kbs_workload_ok(const struct clave_contract *contract, const struct clave_kbs_claims *c,
                            bool trust_sim, char *reason);

#endif
