/* SPDX-License-Identifier: Apache-2.0 */
/* Offline verification of exported logs and single-entry proofs, and the export formats. */
#include "core/check.h"
#include "ledger/log_internal.h"
#include "ledger/log_sql.h"

#include <clave/encoding.h>
#include <clave/json.h>
#include <clave/ledger.h>
#include <stdlib.h>
#include <string.h>

#define LINE_MAX_BYTES (CLAVE_LEDGER_EVENT_MAX * 2)
#define EXPORT_BATCH 4096
#define PROOF_JSON_MAX (CLAVE_LEDGER_EVENT_MAX * 2 + 8192)

/* Parse one export line: {"index": i, "event": b64url}. */
static clave_status parse_line(const char *line, size_t len, size_t lineno, int64_t *index,
                               uint8_t **event, size_t *event_len)
{
    static const char *const FIELDS[] = {"index", "event", NULL};
    static const struct clave_json_limits LIMITS = {LINE_MAX_BYTES, 2};
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *doc = NULL;
    char where[32];
    (void)snprintf(where, sizeof(where), "line %zu", lineno);
    *event = NULL;
    CLAVE_CHECK(clave_json_parse(line, len, &LIMITS, where, &doc));
    CLAVE_CHECK(clave_json_only_keys(doc, where, FIELDS));
    CLAVE_CHECK(clave_json_get_int(doc, where, "index", true, 0, INT64_MAX, index));
    CLAVE_CHECK(
        clave_json_get_b64url(doc, where, "event", true, CLAVE_LEDGER_EVENT_MAX, event, event_len));
    CLAVE_ENSURE(*event_len >= 1, CLAVE_ERR_FORMAT, "%s: empty event", where);
    st = CLAVE_OK;
done:
    json_decref(doc);
    return st;
}

clave_status clave_ledger_verify_export(const char *jsonl, size_t len, const struct clave_pkey *key,
                                        const struct clave_ledger_sth *sth)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct merkle_stack stack;
    clave_merkle_hash root;
    uint8_t *event = NULL;
    size_t pos = 0;
    uint64_t count = 0;
    CLAVE_CHECK(clave_ledger_sth_verify(key, sth));
    clave__merkle_stack_init(&stack);
    while (pos < len) {
        const char *nl = memchr(jsonl + pos, '\n', len - pos);
        size_t line_len = nl != NULL ? (size_t)(nl - (jsonl + pos)) : len - pos;
        int64_t index = 0;
        size_t event_len = 0;
        if (line_len > 0) {
            free(event);
            event = NULL;
            CLAVE_CHECK(parse_line(jsonl + pos, line_len, count + 1, &index, &event, &event_len));
            CLAVE_ENSURE((uint64_t)index == count, CLAVE_ERR_TAMPERED,
                         "ledger export: line %llu holds entry %lld (entries missing or reordered)",
                         (unsigned long long)count + 1, (long long)index);
            if (count < sth->tree_size) {
                clave_merkle_hash leaf;
                CLAVE_CHECK(clave_merkle_leaf_hash(event, event_len, leaf));
                CLAVE_CHECK(clave__merkle_stack_push(&stack, leaf));
            }
            count++;
        }
        pos += line_len + (nl != NULL ? 1 : 0);
    }
    CLAVE_ENSURE(count >= sth->tree_size, CLAVE_ERR_TAMPERED,
                 "ledger export: %llu entries, the signed head covers %llu",
                 (unsigned long long)count, (unsigned long long)sth->tree_size);
    CLAVE_CHECK(clave__merkle_stack_root(&stack, root));
    CLAVE_ENSURE(clave_ct_equal(root, sth->root_hash, sizeof(root)), CLAVE_ERR_TAMPERED,
                 "ledger export: the first %llu entries do not give the signed root",
                 (unsigned long long)sth->tree_size);
    st = CLAVE_OK;
done:
    free(event);
    return st;
}

/* The audit path array of a proof document. */
static clave_status parse_path(json_t *doc, clave_merkle_hash *path, size_t *count)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *arr = NULL;
    *count = 0;
    CLAVE_CHECK(
        clave_json_get_array(doc, "proof", "audit_path", true, CLAVE_MERKLE_MAX_PROOF, &arr));
    for (size_t i = 0; i < json_array_size(arr); i++) {
        json_t *item = json_array_get(arr, i);
        size_t n = 0;
        CLAVE_ENSURE(json_is_string(item) && json_string_length(item) == 2 * CLAVE_MERKLE_HASH_LEN,
                     CLAVE_ERR_JSON, "proof.audit_path[%zu]: expected a 64-character hex hash", i);
        CLAVE_CHECK_CTX(clave_hex_decode(json_string_value(item), json_string_length(item), path[i],
                                         CLAVE_MERKLE_HASH_LEN, &n),
                        "proof.audit_path[%zu]", i);
    }
    *count = json_array_size(arr);
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_ledger_verify_entry(const char *proof_json, size_t len,
                                       const struct clave_pkey *key,
                                       const struct clave_ledger_sth *sth)
{
    static const char *const FIELDS[] = {"index", "tree_size", "event", "audit_path", NULL};
    static const struct clave_json_limits LIMITS = {PROOF_JSON_MAX, 3};
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *doc = NULL;
    uint8_t *event = NULL;
    size_t event_len = 0;
    int64_t index = 0;
    int64_t size = 0;
    clave_merkle_hash path[CLAVE_MERKLE_MAX_PROOF];
    clave_merkle_hash leaf;
    size_t count = 0;
    CLAVE_CHECK(clave_ledger_sth_verify(key, sth));
    CLAVE_CHECK(clave_json_parse(proof_json, len, &LIMITS, "proof", &doc));
    CLAVE_CHECK(clave_json_only_keys(doc, "proof", FIELDS));
    CLAVE_CHECK(clave_json_get_int(doc, "proof", "index", true, 0, INT64_MAX, &index));
    CLAVE_CHECK(clave_json_get_int(doc, "proof", "tree_size", true, 1, INT64_MAX, &size));
    CLAVE_CHECK(clave_json_get_b64url(doc, "proof", "event", true, CLAVE_LEDGER_EVENT_MAX, &event,
                                      &event_len));
    CLAVE_CHECK(parse_path(doc, path, &count));
    CLAVE_ENSURE((uint64_t)size == sth->tree_size, CLAVE_ERR_FORMAT,
                 "proof.tree_size %lld is not the signed head's %llu", (long long)size,
                 (unsigned long long)sth->tree_size);
    CLAVE_CHECK(clave_merkle_leaf_hash(event, event_len, leaf));
    CLAVE_CHECK(clave_merkle_verify_inclusion(leaf, (uint64_t)index, (uint64_t)size, path, count,
                                              sth->root_hash));
    st = CLAVE_OK;
done:
    free(event);
    json_decref(doc);
    return st;
}

clave_status clave_ledger_proof_json(struct clave_ledger *ledger, uint64_t index, uint64_t size,
                                     char **json)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    clave_merkle_hash path[CLAVE_MERKLE_MAX_PROOF];
    size_t count = 0;
    uint8_t *event = NULL;
    size_t event_len = 0;
    char *event_b64 = NULL;
    json_t *doc = NULL;
    json_t *arr = json_array();
    *json = NULL;
    CLAVE_ENSURE_ALLOC(arr);
    CLAVE_CHECK(
        clave_ledger_inclusion_proof(ledger, index, size, path, CLAVE_MERKLE_MAX_PROOF, &count));
    CLAVE_CHECK(clave_ledger_entry(ledger, index, &event, &event_len));
    CLAVE_CHECK(clave_b64_encode_alloc(CLAVE_B64URL, event, event_len, &event_b64));
    for (size_t i = 0; i < count; i++) {
        char hex[2 * CLAVE_MERKLE_HASH_LEN + 1];
        CLAVE_CHECK(clave_hex_encode(path[i], CLAVE_MERKLE_HASH_LEN, hex, sizeof(hex)));
        CLAVE_ENSURE(json_array_append_new(arr, json_string(hex)) == 0, CLAVE_ERR_NOMEM,
                     "out of memory");
    }
    doc = json_pack("{s:I, s:I, s:s, s:O}", "index", (json_int_t)index, "tree_size",
                    (json_int_t)size, "event", event_b64, "audit_path", arr);
    CLAVE_ENSURE(doc != NULL, CLAVE_ERR_NOMEM, "out of memory");
    *json = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
    CLAVE_ENSURE(*json != NULL, CLAVE_ERR_NOMEM, "out of memory");
    st = CLAVE_OK;
done:
    json_decref(doc);
    json_decref(arr);
    free(event_b64);
    free(event);
    return st;
}

/* Append one export line {"index": i, "event": base64url} to the growing text. */
static clave_status append_line(char **text, size_t *used, size_t *cap, uint64_t index,
                                const uint8_t *event, size_t len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char *b64 = NULL;
    CLAVE_CHECK(clave_b64_encode_alloc(CLAVE_B64URL, event, len, &b64));
    size_t need = strlen(b64) + 64;
    if (*used + need > *cap) {
        size_t grown_cap = (*cap + need) * 2;
        char *grown = realloc(*text, grown_cap);
        CLAVE_ENSURE_ALLOC(grown);
        *text = grown;
        *cap = grown_cap;
    }
    int n = snprintf(*text + *used, *cap - *used, "{\"index\":%llu,\"event\":\"%s\"}\n",
                     (unsigned long long)index, b64);
    CLAVE_ENSURE(n > 0 && (size_t)n < *cap - *used, CLAVE_ERR_INTERNAL, "ledger: export line");
    *used += (size_t)n;
    st = CLAVE_OK;
done:
    free(b64);
    return st;
}

clave_status clave_ledger_export(struct clave_ledger *ledger, uint64_t size, char **out,
                                 size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_store_rows *rows = NULL;
    char *text = NULL;
    size_t used = 0;
    size_t cap = 0;
    *out = NULL;
    *out_len = 0;
    CLAVE_ENSURE(size <= INT64_MAX - EXPORT_BATCH, CLAVE_ERR_ARG, "ledger: export size too large");
    /* One query per batch of entries, not one per entry. */
    for (uint64_t start = 0; start < size; start += EXPORT_BATCH) {
        uint64_t end = start + EXPORT_BATCH < size ? start + EXPORT_BATCH : size;
        struct clave_store_param p[] = {clave_store_param_int((int64_t)start),
                                        clave_store_param_int((int64_t)end)};
        clave_store_rows_free(rows);
        rows = NULL;
        CLAVE_CHECK(clave_store_query(ledger->store, SQL_SCAN_LEAVES, p, 2, &rows));
        CLAVE_ENSURE(clave_store_rows_count(rows) == end - start, CLAVE_ERR_NOT_FOUND,
                     "ledger: export of %llu entries, the log holds fewer",
                     (unsigned long long)size);
        for (size_t r = 0; r < clave_store_rows_count(rows); r++) {
            const uint8_t *event = NULL;
            size_t len = 0;
            CLAVE_CHECK(clave_store_rows_get_blob(rows, r, 2, &event, &len));
            CLAVE_CHECK(append_line(&text, &used, &cap, start + r, event, len));
        }
    }
    *out = text != NULL ? text : calloc(1, 1);
    CLAVE_ENSURE_ALLOC(*out);
    text = NULL;
    *out_len = used;
    st = CLAVE_OK;
done:
    clave_store_rows_free(rows);
    free(text);
    return st;
}
