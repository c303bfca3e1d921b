/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The persistent audit log over the store (SQLite or PostgreSQL).
 *
 *   ledger_leaves(idx, leaf_hash, event, created_ms)   one row per entry, idx = 0, 1, 2, ...
 *   ledger_nodes(level, idx, hash)                      complete subtrees of 2^level leaves
 *   ledger_sth(tree_size, timestamp_ms, root, log_id, signature)   kept signed tree heads
 *
 * An append inserts the leaf and every subtree it completes in one write transaction, so the
 * tables never disagree and the primary key on idx makes a fork impossible even with several
 * writers. Proofs read O(log n) subtree hashes (merkle.c).
 */
#include "core/check.h"
#include "ledger/log_internal.h"
#include "ledger/log_sql.h"

#include <clave/ledger.h>
#include <clave/store.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

clave_status clave_ledger_open(struct clave_store *store, struct clave_ledger **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_ledger *ledger = NULL;
    size_t applied = 0;
    *out = NULL;
    CLAVE_CHECK(clave_store_migrate(store, CLAVE_LEDGER_MIGRATIONS, CLAVE_LEDGER_MIGRATION_COUNT,
                                    &applied));
    ledger = calloc(1, sizeof(*ledger));
    CLAVE_ENSURE_ALLOC(ledger);
    ledger->store = store;
    *out = ledger;
    st = CLAVE_OK;
done:
    return st;
}

void clave_ledger_free(struct clave_ledger *ledger)
{
    free(ledger);
}

/* One 32-byte hash from a single-row query. */
static clave_status query_hash(struct clave_store *store, const char *sql,
                               const struct clave_store_param *params, size_t n,
                               clave_merkle_hash out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_store_rows *rows = NULL;
    const uint8_t *data = NULL;
    size_t len = 0;
    CLAVE_CHECK(clave_store_query_one(store, sql, params, n, &rows));
    CLAVE_CHECK(clave_store_rows_get_blob(rows, 0, 0, &data, &len));
    CLAVE_ENSURE(len == CLAVE_MERKLE_HASH_LEN, CLAVE_ERR_TAMPERED,
                 "ledger: stored hash of %zu bytes", len);
    memcpy(out, data, CLAVE_MERKLE_HASH_LEN);
    st = CLAVE_OK;
done:
    clave_store_rows_free(rows);
    return st;
}

/* Subtree source for merkle.c: level 0 from the leaves, higher levels from the nodes. */
static clave_status stored_subtree(void *ctx, uint64_t start, unsigned level, clave_merkle_hash out)
{
    struct clave_store *store = ctx;
    if (level == 0) {
        struct clave_store_param p[] = {clave_store_param_int((int64_t)start)};
        return query_hash(store, SQL_LEAF_HASH, p, 1, out);
    }
    struct clave_store_param p[] = {clave_store_param_int(level),
                                    clave_store_param_int((int64_t)(start >> level))};
    return query_hash(store, SQL_NODE_HASH, p, 2, out);
}

static clave_status count_entries(struct clave_store *store, uint64_t *size)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_store_rows *rows = NULL;
    int64_t n = 0;
    *size = 0;
    CLAVE_CHECK(clave_store_query_one(store, SQL_SIZE, NULL, 0, &rows));
    CLAVE_CHECK(clave_store_rows_get_int(rows, 0, 0, &n));
    CLAVE_ENSURE(n >= 0, CLAVE_ERR_TAMPERED, "ledger: negative size");
    *size = (uint64_t)n;
    st = CLAVE_OK;
done:
    clave_store_rows_free(rows);
    return st;
}

struct append_args {
    const uint8_t *event;
    size_t len;
    uint64_t index;
};

/* Insert the subtrees completed by leaf `index` (levels 1, 2, ... while aligned). */
static clave_status insert_nodes(struct clave_store *store, uint64_t index)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint64_t count = index + 1;
    for (unsigned level = 1; level < 64 && count % ((uint64_t)1 << level) == 0; level++) {
        clave_merkle_hash left;
        clave_merkle_hash right;
        clave_merkle_hash node;
        uint64_t start = count - ((uint64_t)1 << level);
        uint64_t half = (uint64_t)1 << (level - 1);
        CLAVE_CHECK(stored_subtree(store, start, level - 1, left));
        CLAVE_CHECK(stored_subtree(store, start + half, level - 1, right));
        CLAVE_CHECK(clave_merkle_node_hash(left, right, node));
        struct clave_store_param p[] = {clave_store_param_int(level),
                                        clave_store_param_int((int64_t)(start >> level)),
                                        clave_store_param_blob(node, sizeof(node))};
        CLAVE_CHECK(clave_store_exec(store, SQL_INSERT_NODE, p, 3, NULL));
    }
    st = CLAVE_OK;
done:
    return st;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static clave_status append_tx(struct clave_store *store, void *arg)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct append_args *a = arg;
    clave_merkle_hash leaf;
    uint64_t size = 0;
    CLAVE_CHECK(count_entries(store, &size));
    CLAVE_CHECK(clave_merkle_leaf_hash(a->event, a->len, leaf));
    struct clave_store_param p[] = {
        clave_store_param_int((int64_t)size), clave_store_param_blob(leaf, sizeof(leaf)),
        clave_store_param_blob(a->event, a->len), clave_store_param_int(now_ms())};
    CLAVE_CHECK(clave_store_exec(store, SQL_INSERT_LEAF, p, 4, NULL));
    CLAVE_CHECK(insert_nodes(store, size));
    a->index = size;
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_ledger_append(struct clave_ledger *ledger, const uint8_t *event, size_t len,
                                 uint64_t *index)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct append_args args = {event, len, 0};
    if (index != NULL) {
        *index = 0;
    }
    CLAVE_ENSURE(event != NULL && len >= 1 && len <= CLAVE_LEDGER_EVENT_MAX, CLAVE_ERR_ARG,
                 "ledger: event of %zu bytes (1..%zu)", len, CLAVE_LEDGER_EVENT_MAX);
    CLAVE_CHECK(clave_store_tx_run(ledger->store, CLAVE_STORE_TX_WRITE, append_tx, &args, 20));
    if (index != NULL) {
        *index = args.index;
    }
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_ledger_append_in_tx(struct clave_ledger *ledger, const uint8_t *event,
                                       size_t len, uint64_t *index)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct append_args args = {event, len, 0};
    if (index != NULL) {
        *index = 0;
    }
    CLAVE_ENSURE(event != NULL && len >= 1 && len <= CLAVE_LEDGER_EVENT_MAX, CLAVE_ERR_ARG,
                 "ledger: event of %zu bytes (1..%zu)", len, CLAVE_LEDGER_EVENT_MAX);
    CLAVE_ENSURE(clave_store_in_tx(ledger->store), CLAVE_ERR_STATE,
                 "ledger: append_in_tx without an open transaction");
    CLAVE_CHECK(append_tx(ledger->store, &args));
    if (index != NULL) {
        *index = args.index;
    }
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_ledger_size(struct clave_ledger *ledger, uint64_t *size)
{
    return count_entries(ledger->store, size);
}

clave_status clave_ledger_entry(struct clave_ledger *ledger, uint64_t index, uint8_t **event,
                                size_t *len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_store_rows *rows = NULL;
    const uint8_t *data = NULL;
    *event = NULL;
    *len = 0;
    CLAVE_ENSURE(index <= INT64_MAX, CLAVE_ERR_ARG, "ledger: index out of range");
    struct clave_store_param p[] = {clave_store_param_int((int64_t)index)};
    CLAVE_CHECK(clave_store_query_one(ledger->store, SQL_EVENT, p, 1, &rows));
    CLAVE_CHECK(clave_store_rows_get_blob(rows, 0, 0, &data, len));
    *event = malloc(*len + 1);
    CLAVE_ENSURE_ALLOC(*event);
    memcpy(*event, data, *len);
    (*event)[*len] = 0;
    st = CLAVE_OK;
done:
    clave_store_rows_free(rows);
    return st;
}

/* Proof and root requests must name sizes the log has reached. */
static clave_status check_size(struct clave_ledger *ledger, uint64_t size)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint64_t current = 0;
    CLAVE_CHECK(count_entries(ledger->store, &current));
    CLAVE_ENSURE(size <= current, CLAVE_ERR_ARG, "ledger: size %llu beyond the log's %llu",
                 (unsigned long long)size, (unsigned long long)current);
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_ledger_root(struct clave_ledger *ledger, uint64_t size, clave_merkle_hash out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_CHECK(check_size(ledger, size));
    CLAVE_CHECK(clave_merkle_root(stored_subtree, ledger->store, size, out));
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_ledger_inclusion_proof(struct clave_ledger *ledger, uint64_t index,
                                          uint64_t size, clave_merkle_hash *proof, size_t cap,
                                          size_t *count)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    *count = 0;
    CLAVE_CHECK(check_size(ledger, size));
    CLAVE_CHECK(clave_merkle_inclusion_proof(stored_subtree, ledger->store, index, size, proof, cap,
                                             count));
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_ledger_consistency_proof(struct clave_ledger *ledger, uint64_t old_size,
                                            uint64_t new_size, clave_merkle_hash *proof, size_t cap,
                                            size_t *count)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    *count = 0;
    CLAVE_CHECK(check_size(ledger, new_size));
    CLAVE_CHECK(clave_merkle_consistency_proof(stored_subtree, ledger->store, old_size, new_size,
                                               proof, cap, count));
    st = CLAVE_OK;
done:
    return st;
}

void clave__merkle_stack_init(struct merkle_stack *s)
{
    memset(s, 0, sizeof(*s));
}

clave_status clave__merkle_stack_push(struct merkle_stack *s, const clave_merkle_hash leaf)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(s->depth < 64, CLAVE_ERR_LIMIT, "ledger: tree too large");
    memcpy(s->hash[s->depth], leaf, CLAVE_MERKLE_HASH_LEN);
    s->size[s->depth++] = 1;
    while (s->depth >= 2 && s->size[s->depth - 1] == s->size[s->depth - 2]) {
        clave_merkle_hash merged;
        CLAVE_CHECK(clave_merkle_node_hash(s->hash[s->depth - 2], s->hash[s->depth - 1], merged));
        s->depth--;
        memcpy(s->hash[s->depth - 1], merged, CLAVE_MERKLE_HASH_LEN);
        s->size[s->depth - 1] *= 2;
    }
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave__merkle_stack_root(const struct merkle_stack *s, clave_merkle_hash out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    if (s->depth == 0) {
        return clave_hash(CLAVE_HASH_SHA256, NULL, 0, out, CLAVE_MERKLE_HASH_LEN);
    }
    clave_merkle_hash acc;
    memcpy(acc, s->hash[s->depth - 1], CLAVE_MERKLE_HASH_LEN);
    for (unsigned i = s->depth - 1; i > 0; i--) {
        clave_merkle_hash next;
        CLAVE_CHECK(clave_merkle_node_hash(s->hash[i - 1], acc, next));
        memcpy(acc, next, CLAVE_MERKLE_HASH_LEN);
    }
    memcpy(out, acc, CLAVE_MERKLE_HASH_LEN);
    st = CLAVE_OK;
done:
    return st;
}
