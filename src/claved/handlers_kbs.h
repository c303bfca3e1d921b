/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the key broker resource handlers (handlers_kbs.c, handlers_recipient.c). */
#ifndef CLAVED_HANDLERS_KBS_H
#define CLAVED_HANDLERS_KBS_H

#include "kbs_db.h"

#include <clave/kbs.h>

/* Audit a broker decision (event, reason, SHA-256 of the evidence or NULL, resource, contract id
 * or NULL, client IP); answers 503 itself when the ledger fails (then returns false). */
bool claved_kbs_audit(struct claved_ctx *ctx, const char *event, const char *reason,
                      const uint8_t *evidence_sha256, const char *resource, const char *contract);

/* Audit "kbs.deny" with the reason, then answer `status` with `code` and the reason. */
void claved_kbs_deny(struct claved_ctx *ctx, int status, const char *code, const char *reason,
                     const uint8_t *evidence_sha256, const char *resource, const char *contract);

/* The session's claims judged against the collateral in force now (tcb_status from
 * kbs-tcb.json) into `now`; `detail` (CLAVE_KBS_REASON_MAX) the platform rule that decided. False
 * with `detail` when the collateral is unusable (releases fail closed). */
bool claved_kbs_current_claims(struct claved_ctx *ctx, const struct clave_kbs_claims *attested,
                               struct clave_kbs_claims *now, char *detail);

/* GET /kbs/v0/resource/<collaboration>/recipient/<party> for the attested session `s`
 * (handlers_recipient.c): {"keys": [JWK, ...]} or 403/404, audited. `resource` names it. */
void claved_kbs_recipient_resource(struct claved_ctx *ctx, const struct claved_kbs_session *s,
                                   const char *resource);

#endif
