/* SPDX-License-Identifier: Apache-2.0 */
/* State shared by the receipt verifier's two halves (verify.c, verify_trust.c). */
#ifndef CLAVE_RECEIPT_VERIFY_H
#define CLAVE_RECEIPT_VERIFY_H

#include "receipt/body.h"

#include <clave/contract.h>
#include <clave/kbs.h>

struct verify_state {
    const uint8_t *msg;
    size_t len;
    const struct clave_receipt_trust *trust;
    struct clave_attest_report *report; /* the caller's: checks and claims go here */
    struct clave_receipt *receipt;      /* NULL if receipt.format failed */
    struct clave_attest_report *evidence_report;
    bool evidence_ok; /* the evidence verified under the policy */
    bool has_claims;
    struct clave_kbs_claims claims;
    struct clave_contract *contract; /* NULL unless the bundle verified and the id matches */
};

/* Record a check; a non-OK status only for a full report or no memory. */
clave_status clave__receipt_check(struct verify_state *s, const char *name, bool passed,
                                  const char *fmt, ...) __attribute__((format(printf, 4, 5)))
__attribute__((warn_unused_result));

/* Record FAIL with the last error's detail prefixed by `what`. */
clave_status clave__receipt_check_error(struct verify_state *s, const char *name, const char *what)
    __attribute__((warn_unused_result));

/* The contract, EAR, DP, ledger and output checks (verify_trust.c). */
clave_status clave__receipt_verify_contract(struct verify_state *s)
    __attribute__((warn_unused_result));
clave_status clave__receipt_verify_ear(struct verify_state *s) __attribute__((warn_unused_result));
clave_status clave__receipt_verify_dp(struct verify_state *s) __attribute__((warn_unused_result));
clave_status clave__receipt_verify_ledger(struct verify_state *s)
    __attribute__((warn_unused_result));
clave_status clave__receipt_verify_outputs(struct verify_state *s)
    __attribute__((warn_unused_result));

#endif
