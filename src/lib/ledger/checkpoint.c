/* SPDX-License-Identifier: Apache-2.0 */
/* Checkpoints (kept signed tree heads), the event record format, and the full audit. */
#include "core/check.h"
#include "ledger/log_internal.h"
#include "ledger/log_sql.h"

#include <clave/ledger.h>
#include <clave/store.h>
#include <stdlib.h>
#include <string.h>

#define AUDIT_BATCH 4096

/* Every kept head is a row; a head for the same size is kept once (the first one signed). */
clave_status clave_ledger_checkpoint(struct clave_ledger *ledger, const struct clave_pkey *key,
                                     int64_t now_ms, struct clave_ledger_sth *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_ledger_sth sth;
    clave_merkle_hash root;
    uint64_t size = 0;
    memset(out, 0, sizeof(*out));
    CLAVE_CHECK(clave_ledger_size(ledger, &size));
    CLAVE_CHECK(clave_ledger_root(ledger, size, root));
    CLAVE_CHECK(clave_ledger_sth_sign(key, size, now_ms, root, &sth));
    struct clave_store_param p[] = {clave_store_param_int((int64_t)size),
                                    clave_store_param_int(now_ms),
                                    clave_store_param_blob(sth.root_hash, sizeof(sth.root_hash)),
                                    clave_store_param_blob(sth.log_id, sizeof(sth.log_id)),
                                    clave_store_param_blob(sth.signature, sizeof(sth.signature))};
    clave_status ins = clave_store_exec(ledger->store, SQL_INSERT_STH, p, 5, NULL);
    if (ins == CLAVE_ERR_EXISTS) {
        /* Already checkpointed at this size: return the kept head, so heads never fork. */
        CLAVE_CHECK(clave_ledger_latest_sth(ledger, &sth));
    } else {
        CLAVE_CHECK(ins);
    }
    *out = sth;
    st = CLAVE_OK;
done:
    return st;
}

static clave_status copy_blob(const struct clave_store_rows *rows, size_t col, uint8_t *out,
                              size_t want)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const uint8_t *data = NULL;
    size_t len = 0;
    CLAVE_CHECK(clave_store_rows_get_blob(rows, 0, col, &data, &len));
    CLAVE_ENSURE(len == want, CLAVE_ERR_TAMPERED, "ledger: stored head field of %zu bytes", len);
    memcpy(out, data, want);
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_ledger_latest_sth(struct clave_ledger *ledger, struct clave_ledger_sth *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_store_rows *rows = NULL;
    struct clave_ledger_sth sth;
    int64_t size = 0;
    memset(out, 0, sizeof(*out));
    memset(&sth, 0, sizeof(sth));
    CLAVE_CHECK(clave_store_query(ledger->store, SQL_LATEST_STH, NULL, 0, &rows));
    CLAVE_ENSURE(clave_store_rows_count(rows) == 1, CLAVE_ERR_NOT_FOUND,
                 "ledger: no signed tree head yet");
    CLAVE_CHECK(clave_store_rows_get_int(rows, 0, 0, &size));
    CLAVE_CHECK(clave_store_rows_get_int(rows, 0, 1, &sth.timestamp_ms));
    CLAVE_CHECK(copy_blob(rows, 2, sth.root_hash, sizeof(sth.root_hash)));
    CLAVE_CHECK(copy_blob(rows, 3, sth.log_id, sizeof(sth.log_id)));
    CLAVE_CHECK(copy_blob(rows, 4, sth.signature, sizeof(sth.signature)));
    CLAVE_ENSURE(size >= 0, CLAVE_ERR_TAMPERED, "ledger: negative head size");
    sth.tree_size = (uint64_t)size;
    *out = sth;
    st = CLAVE_OK;
done:
    clave_store_rows_free(rows);
    return st;
}

clave_status clave_ledger_event_json(const char *type, int64_t time_ms, const json_t *fields,
                                     char **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *doc = NULL;
    *out = NULL;
    CLAVE_ENSURE(type != NULL && type[0] != '\0', CLAVE_ERR_ARG, "ledger: event without a type");
    CLAVE_ENSURE(fields == NULL || json_is_object(fields), CLAVE_ERR_ARG,
                 "ledger: event fields must be an object");
    doc = fields != NULL ? json_deep_copy(fields) : json_object();
    CLAVE_ENSURE_ALLOC(doc);
    CLAVE_ENSURE(json_object_set_new(doc, "type", json_string(type)) == 0 &&
                     json_object_set_new(doc, "time", json_integer(time_ms)) == 0,
                 CLAVE_ERR_ARG, "ledger: event type is not valid UTF-8");
    *out = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
    CLAVE_ENSURE(*out != NULL, CLAVE_ERR_NOMEM, "out of memory");
    CLAVE_ENSURE(strlen(*out) <= CLAVE_LEDGER_EVENT_MAX, CLAVE_ERR_TOO_LARGE,
                 "ledger: event of %zu bytes", strlen(*out));
    st = CLAVE_OK;
done:
    if (st != CLAVE_OK) {
        free(*out);
        *out = NULL;
    }
    json_decref(doc);
    return st;
}

/* Re-hash every stored event in [0, size) and compare with its stored leaf hash; feed the first
 * `signed_size` recomputed leaf hashes into `stack` (the root from the events alone). */
static clave_status audit_leaves(struct clave_store *store, uint64_t size, uint64_t signed_size,
                                 struct merkle_stack *stack)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_store_rows *rows = NULL;
    for (uint64_t start = 0; start < size; start += AUDIT_BATCH) {
        uint64_t end = start + AUDIT_BATCH < size ? start + AUDIT_BATCH : size;
        struct clave_store_param p[] = {clave_store_param_int((int64_t)start),
                                        clave_store_param_int((int64_t)end)};
        clave_store_rows_free(rows);
        rows = NULL;
        CLAVE_CHECK(clave_store_query(store, SQL_SCAN_LEAVES, p, 2, &rows));
        CLAVE_ENSURE(clave_store_rows_count(rows) == end - start, CLAVE_ERR_TAMPERED,
                     "ledger: entries missing between %llu and %llu", (unsigned long long)start,
                     (unsigned long long)end);
        for (size_t r = 0; r < clave_store_rows_count(rows); r++) {
            int64_t idx = 0;
            const uint8_t *stored = NULL;
            const uint8_t *event = NULL;
            size_t stored_len = 0;
            size_t event_len = 0;
            clave_merkle_hash leaf;
            CLAVE_CHECK(clave_store_rows_get_int(rows, r, 0, &idx));
            CLAVE_CHECK(clave_store_rows_get_blob(rows, r, 1, &stored, &stored_len));
            CLAVE_CHECK(clave_store_rows_get_blob(rows, r, 2, &event, &event_len));
            CLAVE_CHECK(clave_merkle_leaf_hash(event, event_len, leaf));
            CLAVE_ENSURE(idx == (int64_t)(start + r) && stored_len == sizeof(leaf) &&
                             clave_ct_equal(leaf, stored, sizeof(leaf)),
                         CLAVE_ERR_TAMPERED, "ledger: entry %lld was modified", (long long)idx);
            if ((uint64_t)idx < signed_size) {
                CLAVE_CHECK(clave__merkle_stack_push(stack, leaf));
            }
        }
    }
    st = CLAVE_OK;
done:
    clave_store_rows_free(rows);
    return st;
}

clave_status clave_ledger_audit(struct clave_ledger *ledger, const struct clave_pkey *key,
                                const struct clave_ledger_sth *sth)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    clave_merkle_hash root;
    struct merkle_stack stack;
    uint64_t size = 0;
    CLAVE_CHECK(clave_ledger_sth_verify(key, sth));
    CLAVE_CHECK(clave_ledger_size(ledger, &size));
    CLAVE_ENSURE(sth->tree_size <= size, CLAVE_ERR_TAMPERED,
                 "ledger: the signed head covers %llu entries, the log holds %llu",
                 (unsigned long long)sth->tree_size, (unsigned long long)size);
    /* The root from the events alone, then the root proofs use (stored interior nodes). */
    clave__merkle_stack_init(&stack);
    CLAVE_CHECK(audit_leaves(ledger->store, size, sth->tree_size, &stack));
    CLAVE_CHECK(clave__merkle_stack_root(&stack, root));
    CLAVE_ENSURE(clave_ct_equal(root, sth->root_hash, sizeof(root)), CLAVE_ERR_TAMPERED,
                 "ledger: the first %llu entries do not give the signed root",
                 (unsigned long long)sth->tree_size);
    CLAVE_CHECK(clave_ledger_root(ledger, sth->tree_size, root));
    CLAVE_ENSURE(clave_ct_equal(root, sth->root_hash, sizeof(root)), CLAVE_ERR_TAMPERED,
                 "ledger: stored interior nodes disagree with the entries");
    st = CLAVE_OK;
done:
    return st;
}
