/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Compilation of a validated query to one parameterised SELECT. Identifiers come only from the
 * validated schema and are always double-quoted (quotes doubled); every literal and bound is a
 * `?` parameter recorded in a bind list in the order it appears, so text and bindings cannot
 * drift apart. The statement returns one row per kept input row:
 *
 *   unit id (integer), group column values..., clamped aggregate values (REAL or NULL)...
 *
 * With a privacy unit:
 *   WITH "#base" AS (SELECT <unit> AS "#u", <groups>, <values> FROM <tables> WHERE <conditions>),
 *        "#ranked" AS (SELECT *, row_number() OVER (PARTITION BY "#u" ORDER BY random()) AS "#rn"
 *                      FROM "#base")
 *   SELECT dense_rank() OVER (ORDER BY "#u"), ... FROM "#ranked" WHERE "#rn" <= ?
 * (each unit keeps at most max_rows_per_unit rows chosen at random among its own rows, so the
 * choice depends on no other unit; dense_rank gives distinct units distinct integer ids).
 * Without one (a single table, each row a unit): SELECT ("#src" << 40) + "#row", ... FROM ...
 * Tables are subqueries stacking their datasets with UNION ALL; joins are WHERE equalities.
 */
#include "query/query_int.h"

#include "core/check.h"

#include <stdlib.h>
#include <string.h>

enum bind_kind { BIND_LITERAL, BIND_DOUBLE, BIND_INT };

struct bind {
    enum bind_kind kind;
    const struct query_literal *literal;
    double d;
    int64_t i;
};

struct builder {
    struct query_buf sql;
    struct bind *binds;
    size_t bind_count, bind_cap;
    bool failed;
};

static void param(struct builder *b, struct bind v)
{
    if (b->bind_count == b->bind_cap) {
        size_t cap = b->bind_cap ? b->bind_cap * 2 : 64;
        struct bind *n = cap <= 32766 ? realloc(b->binds, cap * sizeof(*n)) : NULL;
        if (n == NULL) {
            b->failed = true;
            return;
        }
        b->binds = n;
        b->bind_cap = cap;
    }
    b->binds[b->bind_count++] = v;
    query__buf_add(&b->sql, "?");
}

static void column(struct builder *b, const struct clave_query *q, struct query_colref r)
{
    query__quote_ident(&b->sql, q->tables[r.table].alias);
    query__buf_add(&b->sql, ".");
    query__quote_ident(&b->sql, query__column(q, r)->name);
}

/* (SELECT "c1", ..., 0 AS "#src", "#row" FROM "ds0" UNION ALL SELECT ..., 1, ... FROM "ds1") */
static void table(struct builder *b, const struct query_table *t)
{
    query__buf_add(&b->sql, "(");
    for (size_t d = 0; d < t->dataset_count; d++) {
        query__buf_add(&b->sql, d == 0 ? "SELECT " : " UNION ALL SELECT ");
        for (size_t c = 0; c < t->column_count; c++) {
            query__quote_ident(&b->sql, t->columns[c].name);
            query__buf_add(&b->sql, ", ");
        }
        query__buf_addf(&b->sql, "%zu AS \"" QUERY_SRC_COLUMN "\", \"" QUERY_ROW_COLUMN "\" FROM ",
                        d);
        query__quote_ident(&b->sql, t->datasets[d]);
    }
    query__buf_add(&b->sql, ") AS ");
    query__quote_ident(&b->sql, t->alias);
}

static void and_(struct builder *b, bool *first)
{
    query__buf_add(&b->sql, *first ? " WHERE " : " AND ");
    *first = false;
}

static void literal_list(struct builder *b, const struct query_literal *v, size_t n)
{
    query__buf_add(&b->sql, "(");
    for (size_t i = 0; i < n; i++) {
        query__buf_add(&b->sql, i == 0 ? "" : ", ");
        param(b, (struct bind){.kind = BIND_LITERAL, .literal = &v[i]});
    }
    query__buf_add(&b->sql, ")");
}

static void conditions(struct builder *b, const struct clave_query *q)
{
    bool first = true;
    for (size_t i = 0; i < q->join_count; i++) {
        and_(b, &first);
        column(b, q, q->joins[i].left);
        query__buf_add(&b->sql, " = ");
        column(b, q, q->joins[i].right);
    }
    for (size_t i = 0; i < q->filter_count; i++) {
        const struct query_filter *f = &q->filters[i];
        and_(b, &first);
        column(b, q, f->column);
        query__buf_addf(&b->sql, " %s ", query__op_sql(f->op));
        if (f->op == QUERY_OP_IN) {
            literal_list(b, f->values, f->value_count);
        } else {
            param(b, (struct bind){.kind = BIND_LITERAL, .literal = f->values});
        }
    }
    for (size_t i = 0; i < q->group_count; i++) {
        and_(b, &first);
        column(b, q, q->groups[i].column);
        query__buf_add(&b->sql, " IN ");
        literal_list(b, q->groups[i].keys, q->groups[i].key_count);
    }
    if (q->has_unit) {
        and_(b, &first);
        column(b, q, q->unit);
        query__buf_add(&b->sql, " IS NOT NULL");
    }
}

static void unit(struct builder *b, const struct clave_query *q)
{
    if (q->has_unit) {
        column(b, q, q->unit);
        return;
    }
    query__buf_add(&b->sql, "((");
    query__quote_ident(&b->sql, q->tables[0].alias);
    query__buf_addf(&b->sql, ".\"" QUERY_SRC_COLUMN "\" << %d) + ", QUERY_ROW_BITS);
    query__quote_ident(&b->sql, q->tables[0].alias);
    query__buf_add(&b->sql, ".\"" QUERY_ROW_COLUMN "\")");
}

/* unit, group columns, min(max(CAST(v AS REAL), lower), upper) per aggregate with a column. */
static void select_list(struct builder *b, const struct clave_query *q)
{
    unit(b, q);
    query__buf_add(&b->sql, " AS \"#u\"");
    for (size_t i = 0; i < q->group_count; i++) {
        query__buf_add(&b->sql, ", ");
        column(b, q, q->groups[i].column);
        query__buf_addf(&b->sql, " AS \"#g%zu\"", i);
    }
    for (size_t i = 0; i < q->agg_count; i++) {
        const struct query_agg *a = &q->aggs[i];
        if (!a->has_column) {
            continue;
        }
        query__buf_add(&b->sql, ", min(max(CAST(");
        column(b, q, a->column);
        query__buf_add(&b->sql, " AS REAL), ");
        param(b, (struct bind){.kind = BIND_DOUBLE, .d = a->lower});
        query__buf_add(&b->sql, "), ");
        param(b, (struct bind){.kind = BIND_DOUBLE, .d = a->upper});
        query__buf_addf(&b->sql, ") AS \"#v%zu\"", i);
    }
}

static void from(struct builder *b, const struct clave_query *q)
{
    query__buf_add(&b->sql, " FROM ");
    for (size_t t = 0; t < q->table_count; t++) {
        query__buf_add(&b->sql, t == 0 ? "" : ", ");
        table(b, &q->tables[t]);
    }
    conditions(b, q);
}

/* The outer select of the bounded form: everything of "#ranked" but "#u" and "#rn". */
static void ranked_outputs(struct builder *b, const struct clave_query *q)
{
    query__buf_add(&b->sql, "SELECT dense_rank() OVER (ORDER BY \"#u\")");
    for (size_t i = 0; i < q->group_count; i++) {
        query__buf_addf(&b->sql, ", \"#g%zu\"", i);
    }
    for (size_t i = 0; i < q->agg_count; i++) {
        if (q->aggs[i].has_column) {
            query__buf_addf(&b->sql, ", \"#v%zu\"", i);
        }
    }
}

static void build(struct builder *b, const struct clave_query *q)
{
    if (!q->has_unit) {
        query__buf_add(&b->sql, "SELECT ");
        select_list(b, q);
        from(b, q);
        return;
    }
    query__buf_add(&b->sql, "WITH \"#base\" AS (SELECT ");
    select_list(b, q);
    from(b, q);
    query__buf_add(&b->sql, "), \"#ranked\" AS (SELECT *, row_number() OVER (PARTITION BY \"#u\" "
                            "ORDER BY random()) AS \"#rn\" FROM \"#base\") ");
    ranked_outputs(b, q);
    query__buf_add(&b->sql, " FROM \"#ranked\" WHERE \"#rn\" <= ");
    param(b, (struct bind){.kind = BIND_INT, .i = q->max_rows_per_unit});
}

static int bind_one(sqlite3_stmt *stmt, int i, const struct bind *v)
{
    if (v->kind == BIND_DOUBLE) {
        return sqlite3_bind_double(stmt, i, v->d);
    }
    if (v->kind == BIND_INT) {
        return sqlite3_bind_int64(stmt, i, v->i);
    }
    const struct query_literal *l = v->literal;
    switch (l->type) {
    case CLAVE_QUERY_FLOAT:
        return sqlite3_bind_double(stmt, i, l->f);
    case CLAVE_QUERY_STRING:
    case CLAVE_QUERY_DATE:
        return sqlite3_bind_text(stmt, i, l->s, -1, SQLITE_STATIC);
    default:
        return sqlite3_bind_int64(stmt, i, l->i);
    }
}

clave_status query__sql_prepare(sqlite3 *h, const struct clave_query *q, sqlite3_stmt **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct builder b = {0};
    sqlite3_stmt *stmt = NULL;
    *out = NULL;
    build(&b, q);
    CLAVE_ENSURE(!b.failed && !b.sql.failed, CLAVE_ERR_NOMEM, "query: SQL too long");
    int rc = sqlite3_prepare_v2(h, b.sql.text, -1, &stmt, NULL);
    CLAVE_ENSURE(rc == SQLITE_OK, rc == SQLITE_NOMEM ? CLAVE_ERR_NOMEM : CLAVE_ERR_STORE,
                 "query: prepare failed: %s", sqlite3_errmsg(h));
    CLAVE_ENSURE((size_t)sqlite3_bind_parameter_count(stmt) == b.bind_count, CLAVE_ERR_INTERNAL,
                 "query: %d parameters, %zu bindings", sqlite3_bind_parameter_count(stmt),
                 b.bind_count);
    for (size_t i = 0; i < b.bind_count; i++) {
        CLAVE_ENSURE(bind_one(stmt, (int)i + 1, &b.binds[i]) == SQLITE_OK, CLAVE_ERR_STORE,
                     "query: bind %zu failed: %s", i + 1, sqlite3_errmsg(h));
    }
    *out = stmt;
    stmt = NULL;
    st = CLAVE_OK;
done:
    sqlite3_finalize(stmt);
    free(b.sql.text);
    free(b.binds);
    return st;
}
