/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The audit hook: every security-relevant event becomes one ledger entry, appended on the
 * calling thread's own connection before the handler answers. The entry is the canonical JSON
 * of clave_ledger_event_json: {"type", "time" (ms), "request_id", "outcome", "actor",
 * "actor_party", <the handler's fields>}. Handlers pass identifiers and reasons, never secrets.
 * A JSON log line mirrors the entry (with its index) for operators.
 */
#include "audit_hook.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AUDIT_MAX_FIELDS 12

/* "failure" for failed attempts, "denied" for refusals, "success" otherwise. */
static const char *outcome_of(const char *event_type)
{
    static const char FAIL_SUFFIX[] = ".failure";
    size_t n = strlen(event_type);
    size_t s = sizeof(FAIL_SUFFIX) - 1;
    if (n >= s && strcmp(event_type + n - s, FAIL_SUFFIX) == 0) {
        return "failure";
    }
    return strcmp(event_type, CLAVED_AUDIT_DENIED) == 0 ? "denied" : "success";
}

static json_t *event_fields(const struct claved_ctx *ctx, const char *event_type,
                            const struct clave_log_field *fields, size_t n)
{
    json_t *o =
        json_pack("{s:s,s:s,s:s,s:s}", "request_id", ctx->req->request_id, "outcome",
                  outcome_of(event_type), "actor", ctx->who.authenticated ? ctx->who.user_id : "",
                  "actor_party", ctx->who.authenticated ? ctx->who.party_id : "");
    for (size_t i = 0; o != NULL && i < n; i++) {
        if (json_object_set_new(o, fields[i].key, json_string(fields[i].value)) != 0) {
            json_decref(o);
            o = NULL;
        }
    }
    return o;
}

static void log_line(const struct claved_ctx *ctx, const char *event_type,
                     const struct clave_log_field *fields, size_t n, const char *index)
{
    struct clave_log_field all[AUDIT_MAX_FIELDS];
    size_t k = 0;
    all[k++] = (struct clave_log_field){"event", event_type};
    all[k++] = (struct clave_log_field){"request_id", ctx->req->request_id};
    all[k++] = (struct clave_log_field){"ledger_index", index};
    if (ctx->who.authenticated) {
        all[k++] = (struct clave_log_field){"actor", ctx->who.user_id};
        all[k++] = (struct clave_log_field){"actor_party", ctx->who.party_id};
    }
    for (size_t i = 0; i < n && k < AUDIT_MAX_FIELDS; i++) {
        all[k++] = fields[i];
    }
    clave_log_write(ctx->app->log, CLAVE_LOG_INFO, "audit", event_type, all, k);
}

clave_status claved_audit(struct claved_ctx *ctx, const char *event_type,
                          const struct clave_log_field *fields, size_t n)
{
    return claved_audit_at(ctx, event_type, fields, n, NULL);
}

clave_status claved_audit_event(const struct claved_ctx *ctx, const char *event_type,
                                const struct clave_log_field *fields, size_t n, char **text)
{
    clave_status st = CLAVE_ERR_NOMEM;
    json_t *o = event_fields(ctx, event_type, fields, n);
    *text = NULL;
    if (o != NULL) {
        st = clave_ledger_event_json(event_type, claved_now_ms(), o, text);
    }
    json_decref(o);
    return st;
}

void claved_audit_logged(const struct claved_ctx *ctx, const char *event_type,
                         const struct clave_log_field *fields, size_t n, clave_status st,
                         uint64_t index)
{
    char index_text[24];
    if (st == CLAVE_OK) {
        snprintf(index_text, sizeof(index_text), "%llu", (unsigned long long)index);
        log_line(ctx, event_type, fields, n, index_text);
    } else {
        struct clave_log_field f[] = {{"event", event_type},
                                      {"request_id", ctx->req->request_id},
                                      {"detail", clave_error_last().detail}};
        clave_log_write(ctx->app->log, CLAVE_LOG_ERROR, "audit", "ledger append failed", f, 3);
    }
}

clave_status claved_audit_at(struct claved_ctx *ctx, const char *event_type,
                             const struct clave_log_field *fields, size_t n, uint64_t *at)
{
    char *text = NULL;
    uint64_t index = 0;
    clave_status st = claved_audit_event(ctx, event_type, fields, n, &text);
    if (st == CLAVE_OK) {
        st = clave_ledger_append(ctx->ledger, (const uint8_t *)text, strlen(text), &index);
    }
    if (st == CLAVE_OK && at != NULL) {
        *at = index;
    }
    claved_audit_logged(ctx, event_type, fields, n, st, index);
    free(text);
    return st;
}
