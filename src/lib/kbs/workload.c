/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A workload judged against a contract alone (include/clave/kbs.h): the rules every release
 * starts with (binding, contract active) and the workload rules (TEE type, sim trust, debug,
 * reference values, TCB), without any dataset or recipient. Used where no key is released but
 * a party must decide whether to trust the workload: FL clients appraising an attested
 * aggregator, and budget debits of an FL contract (whose data never reaches the broker).
 */
#include <clave/kbs.h>

#include "policy.h"

bool clave_kbs_appraise_workload(const struct clave_contract *contract, uint64_t now,
                                 bool trust_sim, const struct clave_kbs_claims *claims,
                                 char reason[CLAVE_KBS_REASON_MAX])
{
    reason[0] = '\0';
    return clave__kbs_contract_ok(contract, claims, now, reason) &&
           clave__kbs_workload_ok(contract, claims, trust_sim, reason);
}
