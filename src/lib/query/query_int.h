/* SPDX-License-Identifier: Apache-2.0 */
/* The parsed query (private to src/lib/query): every name and literal already validated against
 * the rules, column references resolved to (table, column) indices. */
#ifndef CLAVE_QUERY_INT_H
#define CLAVE_QUERY_INT_H

#include <clave/dp.h>
#include <clave/query.h>

#include <jansson.h>
#include <sqlite3.h>

/** Width of the source-dataset index in a row-level unit id (src << QUERY_ROW_BITS | rowid). */
#define QUERY_ROW_BITS 40
/** Hidden columns: the rowid of every loaded table, the source dataset of a stacked table. */
#define QUERY_ROW_COLUMN "#row"
#define QUERY_SRC_COLUMN "#src"
/** Aliases are [A-Za-z_][A-Za-z0-9_]{0,QUERY_ALIAS_MAX-1}. */
#define QUERY_ALIAS_MAX 32
/** Output and aggregate names are [A-Za-z0-9_.-]{1,QUERY_LABEL_MAX}. */
#define QUERY_LABEL_MAX 64
/** Default grid exponent for sums (values are multiples of 2^-16). */
#define QUERY_DEFAULT_GRID_BITS 16
/** Total weight is at most this many times the smallest weight (keeps shares meaningful). */
#define QUERY_WEIGHT_MAX 1000.0

typedef enum query_op {
    QUERY_OP_EQ = 1,
    QUERY_OP_NE,
    QUERY_OP_LT,
    QUERY_OP_LE,
    QUERY_OP_GT,
    QUERY_OP_GE,
    QUERY_OP_IN,
} query_op;

typedef enum query_agg_op {
    QUERY_AGG_COUNT = 1,
    QUERY_AGG_SUM,
    QUERY_AGG_MEAN,
    QUERY_AGG_VARIANCE,
    QUERY_AGG_QUANTILE,
    QUERY_AGG_HISTOGRAM,
} query_agg_op;

/** A typed literal: INT and BOOL in `i`, FLOAT in `f`, STRING and DATE in `s` (owned). */
struct query_literal {
    clave_query_type type;
    int64_t i;
    double f;
    char *s;
};

struct query_colref {
    size_t table;  /* index into clave_query.tables */
    size_t column; /* index into that table's columns */
};

struct query_table {
    char alias[QUERY_ALIAS_MAX + 1];
    char **datasets; /* one, or several stacked with UNION ALL (same schema) */
    size_t dataset_count;
    struct clave_query_column *columns; /* names owned */
    size_t column_count;
};

struct query_join {
    struct query_colref left, right;
};

struct query_filter {
    struct query_colref column;
    query_op op;
    struct query_literal *values;
    size_t value_count;
};

struct query_group {
    struct query_colref column;
    struct query_literal *keys;
    size_t key_count;
};

struct query_agg {
    char name[QUERY_LABEL_MAX + 1];
    query_agg_op op;
    bool has_column;
    struct query_colref column;
    double lower, upper, quantile, weight;
    size_t bins;
    struct clave_dp_params params; /* this aggregate's share of the query's budget */
};

struct clave_query {
    char name[QUERY_LABEL_MAX + 1];
    struct query_table tables[CLAVE_QUERY_TABLES_MAX];
    size_t table_count;
    struct query_join joins[CLAVE_QUERY_TABLES_MAX];
    size_t join_count;
    bool has_unit; /* false: each row of the single table is a unit */
    struct query_colref unit;
    uint32_t max_rows_per_unit;
    struct query_filter filters[CLAVE_QUERY_FILTERS_MAX];
    size_t filter_count;
    struct query_group groups[CLAVE_QUERY_GROUP_COLUMNS_MAX];
    size_t group_count;
    size_t group_total; /* product of the key counts (1 without group-by) */
    struct query_agg aggs[CLAVE_QUERY_AGGREGATES_MAX];
    size_t agg_count;
    size_t threshold_agg; /* the count used for min_group_size; agg_count if none */
    clave_dp_mechanism mechanism;
    double epsilon, delta;
    int grid_bits;
    uint64_t min_group_size;
};

/** A growable text buffer with a hard cap; `failed` sticks after an allocation or cap failure. */
struct query_buf {
    char *text;
    size_t len, cap;
    bool failed;
};
#define QUERY_SQL_MAX ((size_t)1 << 20)

void query__buf_add(struct query_buf *b, const char *s);
void query__buf_addf(struct query_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Spec helpers (spec_util.c) */
bool query__valid_name(const char *s, size_t max, const char *extra);
bool query__valid_alias(const char *s);
bool query__valid_date(const char *s, size_t len);
/* A JSON number or a decimal string (contract specs are CBOR without floats). */
clave_status query__get_number(const json_t *obj, const char *where, const char *key, bool required,
                               double *out, bool *present);
clave_status query__literal(const json_t *v, clave_query_type type, const char *where,
                            struct query_literal *out);
bool query__literal_equal(const struct query_literal *a, const struct query_literal *b);
void query__literals_free(struct query_literal *v, size_t n);

/* Names */
const char *query__agg_op_name(query_agg_op op);
const char *query__op_sql(query_op op);
const char *query__type_name(clave_query_type t);
const struct clave_query_column *query__column(const struct clave_query *q, struct query_colref r);

/* The statement selecting the bounded rows (sql.c), prepared with every parameter bound.
 * Result columns: 0 unit id (integer), then one per group column, then one per aggregate with
 * a column (clamped value or NULL). `q` must outlive the statement (text is bound static). */
clave_status query__sql_prepare(sqlite3 *h, const struct clave_query *q, sqlite3_stmt **out);
/* Append a double-quoted identifier (quotes doubled). */
bool query__quote_ident(struct query_buf *b, const char *name);

/* The loaded tables (db.c) */
clave_status query__db_schema_copy(const struct clave_query_table *t,
                                   struct clave_query_table *out);
/* Takes ownership of *schema (zeroed on success). */
clave_status query__db_register(struct clave_query_db *db, struct clave_query_table *schema);
void query__db_schema_free(struct clave_query_table *t);
sqlite3 *query__db_handle(struct clave_query_db *db);
const struct clave_query_table *query__db_table(const struct clave_query_db *db,
                                                const char *dataset);

#endif
