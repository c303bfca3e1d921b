/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The single hook every security-relevant handler calls before it responds: it appends the event
 * to the audit ledger ("append before respond"); a non-OK return must make the handler fail the
 * request with 503 instead of answering as if the action were recorded.
 */
#ifndef CLAVED_AUDIT_HOOK_H
#define CLAVED_AUDIT_HOOK_H

#include "claved.h"

/* Event types (stable strings, also the ledger's event names). */
#define CLAVED_AUDIT_LOGIN_OK "login.success"
#define CLAVED_AUDIT_LOGIN_FAIL "login.failure"
#define CLAVED_AUDIT_LOGOUT "logout"
#define CLAVED_AUDIT_USER_CREATE "user.create"
#define CLAVED_AUDIT_ROLE_CHANGE "user.role"
#define CLAVED_AUDIT_TOTP_ENROL "user.totp.enrol"
#define CLAVED_AUDIT_TOTP_CONFIRM "user.totp.confirm"
#define CLAVED_AUDIT_TOKEN_CREATE "token.create"
#define CLAVED_AUDIT_TOKEN_REVOKE "token.revoke"
#define CLAVED_AUDIT_PARTY_CREATE "party.create"
#define CLAVED_AUDIT_DENIED "access.denied"

/**
 * Record `event_type` with `n` extra string fields (never secrets; keys other than type, time,
 * request_id, outcome, actor, actor_party) plus, from `ctx`, the request id and the acting
 * principal, in ctx->ledger. Returns CLAVE_OK once the event is durable.
 */
clave_status claved_audit(struct claved_ctx *ctx, const char *event_type,
                          const struct clave_log_field *fields, size_t n);

/** claved_audit(), and `*at` (may be NULL) gets the entry's ledger index. */
clave_status claved_audit_at(struct claved_ctx *ctx, const char *event_type,
                             const struct clave_log_field *fields, size_t n, uint64_t *at);

/**
 * The ledger entry claved_audit() would append (caller frees `*text`), for a handler that appends
 * it with clave_ledger_append_in_tx inside its own write transaction, so that the action and its
 * record commit together (one commit instead of two). Then call claved_audit_logged.
 */
clave_status claved_audit_event(const struct claved_ctx *ctx, const char *event_type,
                                const struct clave_log_field *fields, size_t n, char **text);

/** The operators' log line of an entry appended (`st` CLAVE_OK, at `index`) or not. */
void claved_audit_logged(const struct claved_ctx *ctx, const char *event_type,
                         const struct clave_log_field *fields, size_t n, clave_status st,
                         uint64_t index);

#endif
