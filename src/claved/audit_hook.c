/* SPDX-License-Identifier: Apache-2.0 */
/* Placeholder body of the audit hook: one JSON log line per event (the ledger replaces it). */
#include "audit_hook.h"

#define AUDIT_MAX_FIELDS 12

clave_status claved_audit(struct claved_ctx *ctx, const char *event_type,
                          const struct clave_log_field *fields, size_t n)
{
    struct clave_log_field all[AUDIT_MAX_FIELDS];
    size_t k = 0;
    all[k++] = (struct clave_log_field){"event", event_type};
    all[k++] = (struct clave_log_field){"request_id", ctx->req->request_id};
    if (ctx->who.authenticated) {
        all[k++] = (struct clave_log_field){"actor", ctx->who.user_id};
        all[k++] = (struct clave_log_field){"actor_party", ctx->who.party_id};
    }
    for (size_t i = 0; i < n && k < AUDIT_MAX_FIELDS; i++) {
        all[k++] = fields[i];
    }
    clave_log_write(ctx->app->log, CLAVE_LOG_INFO, "audit", event_type, all, k);
    return CLAVE_OK;
}
