/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Running a query: the bounded rows come from SQL (sql.c), are bucketed by group of the declared
 * domain, and each (group, aggregate) is released by the DP library (clave_dp_count/sum/mean/
 * variance/quantile/histogram: exact integer noise from the CSPRNG). The SQL has already kept at
 * most max_rows_per_unit rows per unit across the whole query, so every unit changes at most
 * that many rows in all groups together: the vector of per-group answers has L1 (hence L2)
 * sensitivity equal to what the library charges one group, and the groups together cost one
 * aggregate's share of the budget. Groups whose noisy count is below min_group_size are then
 * suppressed (post-processing of noisy values only).
 */
#include "query/query_int.h"
#include "query/run_int.h"

#include "core/check.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define ROWS_MAX ((size_t)200000000)

static int compare_keys(const struct query_literal *a, const struct query_literal *b)
{
    if (a->type == CLAVE_QUERY_STRING || a->type == CLAVE_QUERY_DATE) {
        return strcmp(a->s, b->s); // lint:public (spec literals)
    }
    return a->i < b->i ? -1 : a->i > b->i;
}

static int by_key(const void *x, const void *y, void *keys)
{
    const struct query_literal *k = keys;
    return compare_keys(&k[*(const size_t *)x], &k[*(const size_t *)y]);
}

/* order[] = key indices of group g sorted by value (for binary search per row). */
static clave_status key_order(const struct query_group *g, size_t **order)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    *order = calloc(g->key_count, sizeof(size_t));
    CLAVE_ENSURE_ALLOC(*order);
    for (size_t i = 0; i < g->key_count; i++) {
        (*order)[i] = i;
    }
    qsort_r(*order, g->key_count, sizeof(size_t), by_key, (void *)(uintptr_t)g->keys);
    st = CLAVE_OK;
done:
    return st;
}

static bool find_key(const struct query_group *g, const size_t *order, sqlite3_stmt *s, int col,
                     size_t *out)
{
    struct query_literal v = {.type = g->keys[0].type};
    if (sqlite3_column_type(s, col) == SQLITE_NULL) {
        return false;
    }
    if (v.type == CLAVE_QUERY_STRING || v.type == CLAVE_QUERY_DATE) {
        v.s = (char *)(uintptr_t)sqlite3_column_text(s, col);
        if (v.s == NULL) {
            return false;
        }
    } else {
        v.i = sqlite3_column_int64(s, col);
    }
    size_t lo = 0, hi = g->key_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = compare_keys(&g->keys[order[mid]], &v);
        if (c == 0) {
            *out = order[mid];
            return true;
        }
        lo = c < 0 ? mid + 1 : lo;
        hi = c < 0 ? hi : mid;
    }
    return false;
}

static clave_status grow(struct query_rows *r)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    size_t cap = r->cap ? r->cap * 2 : 4096;
    CLAVE_ENSURE(r->n < ROWS_MAX, CLAVE_ERR_LIMIT, "query: more than %zu rows", ROWS_MAX);
    uint64_t *unit = realloc(r->unit, cap * sizeof(*unit));
    CLAVE_ENSURE_ALLOC(unit);
    r->unit = unit;
    uint32_t *group = realloc(r->group, cap * sizeof(*group));
    CLAVE_ENSURE_ALLOC(group);
    r->group = group;
    if (r->value_count > 0) {
        double *v = realloc(r->values, cap * r->value_count * sizeof(*v));
        CLAVE_ENSURE_ALLOC(v);
        r->values = v;
    }
    r->cap = cap;
    st = CLAVE_OK;
done:
    return st;
}

static clave_status read_row(const struct clave_query *q, sqlite3_stmt *s, size_t *const *orders,
                             struct query_rows *r)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    size_t group = 0, stride = 1;
    if (r->n == r->cap) {
        CLAVE_CHECK(grow(r));
    }
    r->unit[r->n] = (uint64_t)sqlite3_column_int64(s, 0);
    for (size_t j = 0; j < q->group_count; j++) {
        size_t k = 0;
        CLAVE_ENSURE(find_key(&q->groups[j], orders[j], s, (int)(1 + j), &k), CLAVE_ERR_INTERNAL,
                     "query: a row outside the group domain");
        group += k * stride;
        stride *= q->groups[j].key_count;
    }
    r->group[r->n] = (uint32_t)group;
    for (size_t v = 0; v < r->value_count; v++) {
        int col = (int)(1 + q->group_count + v);
        r->values[r->n * r->value_count + v] =
            sqlite3_column_type(s, col) == SQLITE_NULL ? NAN : sqlite3_column_double(s, col);
    }
    r->n++;
    st = CLAVE_OK;
done:
    return st;
}

static clave_status fetch(sqlite3 *h, const struct clave_query *q, struct query_rows *r)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    sqlite3_stmt *s = NULL;
    size_t *orders[CLAVE_QUERY_GROUP_COLUMNS_MAX] = {NULL};
    int rc = SQLITE_ROW;
    for (size_t i = 0; i < q->agg_count; i++) {
        r->value_count += q->aggs[i].has_column;
    }
    for (size_t j = 0; j < q->group_count; j++) {
        CLAVE_CHECK(key_order(&q->groups[j], &orders[j]));
    }
    CLAVE_CHECK(query__sql_prepare(h, q, &s));
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        CLAVE_CHECK(read_row(q, s, orders, r));
    }
    CLAVE_ENSURE(rc == SQLITE_DONE, rc == SQLITE_NOMEM ? CLAVE_ERR_NOMEM : CLAVE_ERR_STORE,
                 "query: select failed: %s", sqlite3_errmsg(h));
    st = CLAVE_OK;
done:
    sqlite3_finalize(s);
    for (size_t j = 0; j < CLAVE_QUERY_GROUP_COLUMNS_MAX; j++) {
        free(orders[j]);
    }
    return st;
}

/* Counting sort by group: rows of group g are perm[offset[g] .. offset[g+1]). */
static clave_status bucket(const struct clave_query *q, struct query_rows *r)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    r->offset = calloc(q->group_total + 1, sizeof(size_t));
    r->perm = calloc(r->n > 0 ? r->n : 1, sizeof(size_t));
    CLAVE_ENSURE_ALLOC(r->offset);
    CLAVE_ENSURE_ALLOC(r->perm);
    for (size_t i = 0; i < r->n; i++) {
        r->offset[r->group[i] + 1]++;
    }
    for (size_t g = 0; g < q->group_total; g++) {
        r->offset[g + 1] += r->offset[g];
    }
    size_t *next = calloc(q->group_total, sizeof(size_t));
    CLAVE_ENSURE_ALLOC(next);
    for (size_t i = 0; i < r->n; i++) {
        r->perm[r->offset[r->group[i]] + next[r->group[i]]++] = i;
    }
    free(next);
    st = CLAVE_OK;
done:
    return st;
}

static void rows_free(struct query_rows *r)
{
    free(r->unit);
    free(r->group);
    if (r->values != NULL) {
        /* Clamped plaintext values: wipe before returning the memory. */
        volatile double *v = r->values;
        for (size_t i = 0; i < r->n * r->value_count; i++) {
            v[i] = 0.0;
        }
    }
    free(r->values);
    free(r->offset);
    free(r->perm);
}

/* The query's tables must be loaded with the schemas it was parsed against. */
static clave_status check_tables(const struct clave_query_db *db, const struct clave_query *q)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    for (size_t t = 0; t < q->table_count; t++) {
        const struct query_table *qt = &q->tables[t];
        for (size_t d = 0; d < qt->dataset_count; d++) {
            const struct clave_query_table *lt = query__db_table(db, qt->datasets[d]);
            CLAVE_ENSURE(lt != NULL, CLAVE_ERR_NOT_FOUND, "query: dataset %s is not loaded",
                         qt->datasets[d]);
            bool same = lt->column_count == qt->column_count;
            for (size_t c = 0; same && c < qt->column_count; c++) {
                bool found = false;
                for (size_t k = 0; k < lt->column_count && !found; k++) {
                    found = strcmp(lt->columns[k].name, qt->columns[c].name) == 0 &&
                            lt->columns[k].type == qt->columns[c].type;
                }
                same = found;
            }
            CLAVE_ENSURE(same, CLAVE_ERR_STATE, "query: dataset %s was loaded with another schema",
                         qt->datasets[d]);
        }
    }
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_query_run(struct clave_query_db *db, const struct clave_query *q,
                             char **out_json)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct query_rows rows = {0};
    CLAVE_ENSURE(out_json != NULL, CLAVE_ERR_ARG, "query: out_json is NULL");
    *out_json = NULL;
    CLAVE_ENSURE(db != NULL && q != NULL, CLAVE_ERR_ARG, "query: NULL db or query");
    CLAVE_CHECK(check_tables(db, q));
    CLAVE_CHECK(fetch(query__db_handle(db), q, &rows));
    CLAVE_CHECK(bucket(q, &rows));
    CLAVE_CHECK(query__release(q, &rows, out_json));
    st = CLAVE_OK;
done:
    rows_free(&rows);
    return st;
}
