/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GET /v1/audit/...: the audit ledger for auditors and admins: the log key, signed tree heads,
 * entries, inclusion and consistency proofs, and whole exports (docs/ledger.md has the formats).
 * The log is global (one tree for every party): auditors of any party see every entry, which is
 * what lets each party check that nobody's history was rewritten.
 */
#include "handlers.h"

#include <stdlib.h>
#include <string.h>

#define AUDIT_PAGE_MAX 1000     /* entries per GET /v1/audit/entries */
#define AUDIT_EXPORT_MAX 200000 /* entries per GET /v1/audit/export */
#define AUDIT_INDEX_DIGITS_MAX 18

static void ledger_error(struct claved_ctx *ctx, clave_status st)
{
    if (st == CLAVE_ERR_ARG || st == CLAVE_ERR_FORMAT) {
        claved_error(ctx, 400, "invalid_range", clave_error_last().detail);
    } else if (st == CLAVE_ERR_NOT_FOUND) {
        claved_error(ctx, 404, "not_found", "no such entry or head");
    } else {
        claved_store_error(ctx, st);
    }
}

/* The size of the latest signed head: what tree_size/size default to. */
static bool latest_size(struct claved_ctx *ctx, uint64_t *size)
{
    struct clave_ledger_sth sth;
    clave_status st = clave_ledger_latest_sth(ctx->ledger, &sth);
    if (st != CLAVE_OK) {
        ledger_error(ctx, st);
        return false;
    }
    *size = sth.tree_size;
    return true;
}

static void sth_reply(struct claved_ctx *ctx, const struct clave_ledger_sth *sth)
{
    char *json = NULL;
    if (clave_ledger_sth_to_json(sth, &json) != CLAVE_OK) {
        claved_error(ctx, 500, "internal", "internal error");
        return;
    }
    claved_text(ctx, 200, "application/json", json, strlen(json));
}

void claved_h_audit_key(struct claved_ctx *ctx)
{
    char *pem = strdup(ctx->app->audit_key_pem);
    claved_text(ctx, 200, "application/x-pem-file", pem, pem != NULL ? strlen(pem) : 0);
}

void claved_h_audit_sth(struct claved_ctx *ctx)
{
    struct clave_ledger_sth sth;
    clave_status st = clave_ledger_latest_sth(ctx->ledger, &sth);
    if (st != CLAVE_OK) {
        ledger_error(ctx, st);
        return;
    }
    sth_reply(ctx, &sth);
}

void claved_h_audit_checkpoint(struct claved_ctx *ctx)
{
    struct clave_ledger_sth sth;
    clave_status st =
        clave_ledger_checkpoint(ctx->ledger, ctx->app->audit_key, claved_now_ms(), &sth);
    if (st != CLAVE_OK) {
        ledger_error(ctx, st);
        return;
    }
    sth_reply(ctx, &sth);
}

static json_t *entry_json(struct claved_ctx *ctx, uint64_t index, clave_status *st)
{
    uint8_t *event = NULL;
    size_t len = 0;
    char *b64 = NULL;
    json_t *e = NULL;
    *st = clave_ledger_entry(ctx->ledger, index, &event, &len);
    if (*st == CLAVE_OK) {
        *st = clave_b64_encode_alloc(CLAVE_B64URL, event, len, &b64);
    }
    if (*st == CLAVE_OK) {
        e = json_pack("{s:I,s:s}", "index", (json_int_t)index, "event", b64);
        *st = e != NULL ? CLAVE_OK : CLAVE_ERR_NOMEM;
    }
    free(b64);
    free(event);
    return e;
}

/* ?start=&end= (end exclusive; default: the last page up to the log's size). */
void claved_h_audit_entries(struct claved_ctx *ctx)
{
    uint64_t size = 0;
    clave_status st = clave_ledger_size(ctx->ledger, &size);
    if (st != CLAVE_OK) {
        ledger_error(ctx, st);
        return;
    }
    uint64_t start = 0;
    uint64_t end = 0;
    int has_start = claved_query_uint(ctx, "start", &start);
    int has_end = has_start < 0 ? -1 : claved_query_uint(ctx, "end", &end);
    if (has_start < 0 || has_end < 0) {
        return;
    }
    if (has_end == 0) {
        end = has_start > 0 && start < size && size - start > AUDIT_PAGE_MAX
                  ? start + AUDIT_PAGE_MAX
                  : size;
    }
    if (has_start == 0) {
        start = end > AUDIT_PAGE_MAX ? end - AUDIT_PAGE_MAX : 0;
    }
    if (start > end || end > size || end - start > AUDIT_PAGE_MAX) {
        claved_error(ctx, 400, "invalid_range", "need start <= end <= size, at most 1000 entries");
        return;
    }
    json_t *list = json_array();
    for (uint64_t i = start; list != NULL && i < end && st == CLAVE_OK; i++) {
        json_t *e = entry_json(ctx, i, &st);
        if (e != NULL && json_array_append_new(list, e) != 0) {
            st = CLAVE_ERR_NOMEM;
        }
    }
    if (list == NULL || st != CLAVE_OK) {
        json_decref(list);
        ledger_error(ctx, list == NULL ? CLAVE_ERR_NOMEM : st);
        return;
    }
    claved_json(ctx, 200,
                json_pack("{s:I,s:I,s:I,s:o}", "tree_size", (json_int_t)size, "start",
                          (json_int_t)start, "end", (json_int_t)end, "entries", list));
}

static bool parse_index(struct claved_ctx *ctx, const char *text, uint64_t *out)
{
    uint64_t x = 0;
    size_t n = strlen(text);
    for (size_t i = 0; i < n; i++) {
        if (text[i] < '0' || text[i] > '9') {
            n = 0;
            break;
        }
        x = x * 10 + (uint64_t)(text[i] - '0');
    }
    if (n == 0 || n > AUDIT_INDEX_DIGITS_MAX) {
        claved_error(ctx, 400, "invalid_index", "the entry index is a decimal integer");
        return false;
    }
    *out = x;
    return true;
}

void claved_h_audit_proof(struct claved_ctx *ctx)
{
    uint64_t index = 0;
    uint64_t size = 0;
    char *json = NULL;
    if (!parse_index(ctx, ctx->params[0], &index)) {
        return;
    }
    int has = claved_query_uint(ctx, "tree_size", &size);
    if (has < 0 || (has == 0 && !latest_size(ctx, &size))) {
        return;
    }
    if (index >= size) {
        claved_error(ctx, 400, "invalid_range", "the entry is not in a tree of that size");
        return;
    }
    clave_status st = clave_ledger_proof_json(ctx->ledger, index, size, &json);
    if (st != CLAVE_OK) {
        ledger_error(ctx, st);
        return;
    }
    claved_text(ctx, 200, "application/json", json, strlen(json));
}

void claved_h_audit_consistency(struct claved_ctx *ctx)
{
    uint64_t first = 0;
    uint64_t second = 0;
    clave_merkle_hash proof[CLAVE_MERKLE_MAX_PROOF];
    size_t count = 0;
    int a = claved_query_uint(ctx, "first", &first);
    int b = a < 0 ? -1 : claved_query_uint(ctx, "second", &second);
    if (a < 0 || b < 0) {
        return;
    }
    if (a == 0 || b == 0 || first == 0 || first > second) {
        claved_error(ctx, 400, "invalid_range", "need 0 < first <= second");
        return;
    }
    clave_status st = clave_ledger_consistency_proof(ctx->ledger, first, second, proof,
                                                     CLAVE_MERKLE_MAX_PROOF, &count);
    json_t *path = json_array();
    for (size_t i = 0; st == CLAVE_OK && path != NULL && i < count; i++) {
        char hex[2 * CLAVE_MERKLE_HASH_LEN + 1];
        st = clave_hex_encode(proof[i], CLAVE_MERKLE_HASH_LEN, hex, sizeof(hex));
        if (st == CLAVE_OK && json_array_append_new(path, json_string(hex)) != 0) {
            st = CLAVE_ERR_NOMEM;
        }
    }
    if (st != CLAVE_OK || path == NULL) {
        json_decref(path);
        ledger_error(ctx, path == NULL ? CLAVE_ERR_NOMEM : st);
        return;
    }
    claved_json(ctx, 200,
                json_pack("{s:I,s:I,s:o}", "first", (json_int_t)first, "second", (json_int_t)second,
                          "proof", path));
}

/* ?size= (default: the latest signed head's size). Bounded: larger logs are read by pages. */
void claved_h_audit_export(struct claved_ctx *ctx)
{
    uint64_t size = 0;
    char *text = NULL;
    size_t len = 0;
    int has = claved_query_uint(ctx, "size", &size);
    if (has < 0 || (has == 0 && !latest_size(ctx, &size))) {
        return;
    }
    if (size > AUDIT_EXPORT_MAX) {
        claved_error(ctx, 400, "too_large",
                     "exports hold at most 200000 entries; read more with /v1/audit/entries");
        return;
    }
    uint64_t current = 0;
    clave_status st = clave_ledger_size(ctx->ledger, &current);
    if (st == CLAVE_OK && size > current) {
        claved_error(ctx, 400, "invalid_range", "size is beyond the log's size");
        return;
    }
    if (st == CLAVE_OK) {
        st = clave_ledger_export(ctx->ledger, size, &text, &len);
    }
    if (st != CLAVE_OK) {
        ledger_error(ctx, st);
        return;
    }
    claved_text(ctx, 200, "application/jsonl", text, len);
}
