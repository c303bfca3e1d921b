/* SPDX-License-Identifier: Apache-2.0 */
/* GET /healthz, /readyz, /metrics. */
#include "handlers.h"
#include "metrics.h"

#include <stdlib.h>

void claved_h_healthz(struct claved_ctx *ctx)
{
    claved_json(ctx, 200, json_pack("{s:s}", "status", "ok"));
}

void claved_h_readyz(struct claved_ctx *ctx)
{
    int64_t n = 0;
    if (atomic_load(&ctx->app->draining)) {
        claved_error(ctx, 503, "draining", "shutting down");
    } else if (claved_db_user_count(ctx->store, &n) != CLAVE_OK) {
        claved_error(ctx, 503, "store_unavailable", "the store is unreachable");
    } else {
        claved_json(ctx, 200, json_pack("{s:s}", "status", "ready"));
    }
}

void claved_h_metrics(struct claved_ctx *ctx)
{
    int64_t active = 0;
    char *text = NULL;
    size_t len = 0;
    if (claved_db_session_active_count(ctx->store, ctx->now, &active) != CLAVE_OK) {
        active = -1;
    }
    uint64_t entries = 0;
    int64_t ledger = clave_ledger_size(ctx->ledger, &entries) == CLAVE_OK ? (int64_t)entries : -1;
    if (claved_metrics_render(ctx->app->metrics, active, ledger, &text, &len) != CLAVE_OK) {
        claved_error(ctx, 500, "internal", "metrics unavailable");
        return;
    }
    free(ctx->resp->body);
    ctx->resp->body = text;
    ctx->resp->body_len = len;
    ctx->resp->status = 200;
    ctx->resp->content_type = "text/plain; version=0.0.4";
}
