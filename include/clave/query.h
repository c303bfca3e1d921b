/* SPDX-License-Identifier: Apache-2.0 */
/*
 * DP query engine: a structured query spec (JSON, validated against the contract's datasets and
 * output rules; never a SQL string from the user) compiled to parameterised SQL over an in-memory
 * SQLite database, with differentially private aggregates from clave/dp.h. See docs/runner.md,
 * section "Query spec".
 *
 * Flow (the runner): clave_query_parse (before any data is read) -> clave_query_cost (debit the
 * budget) -> clave_query_db_new -> clave_query_db_load_csv per dataset -> clave_query_run ->
 * release the JSON result only after the debit succeeded.
 *
 * Thread-safety: a query (struct clave_query) is immutable after parsing and may be shared by
 * threads; a database (struct clave_query_db) is used by one thread at a time.
 */
#ifndef CLAVE_QUERY_H
#define CLAVE_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <clave/status.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Largest spec document accepted by clave_query_parse. */
#define CLAVE_QUERY_SPEC_MAX_BYTES 65536
/** Names (datasets, columns) are [A-Za-z0-9._@-]{1,CLAVE_QUERY_NAME_MAX}. */
#define CLAVE_QUERY_NAME_MAX 128
/** Tables per query (one dataset at most once). */
#define CLAVE_QUERY_TABLES_MAX 4
/** Columns per table schema. */
#define CLAVE_QUERY_COLUMNS_MAX 1024
/** Filters per query (all ANDed). */
#define CLAVE_QUERY_FILTERS_MAX 16
/** Values in one "in" filter. */
#define CLAVE_QUERY_IN_MAX 64
/** Group-by columns per query. */
#define CLAVE_QUERY_GROUP_COLUMNS_MAX 2
/** Declared keys per group-by column, and groups in all (product of the key counts). */
#define CLAVE_QUERY_GROUP_KEYS_MAX 10000
/** Aggregates per query. */
#define CLAVE_QUERY_AGGREGATES_MAX 16
/** Histogram bins per histogram aggregate. */
#define CLAVE_QUERY_BINS_MAX 1000
/** Largest max_rows_per_unit (contribution bound per privacy unit). */
#define CLAVE_QUERY_ROWS_PER_UNIT_MAX 1000
/** Default caps on one query's epsilon and delta (struct clave_query_rules may lower them). */
#define CLAVE_QUERY_EPSILON_MAX 10.0
#define CLAVE_QUERY_DELTA_MAX 1e-3
/** CSV limits of clave_query_db_load_csv. */
#define CLAVE_QUERY_CSV_FIELD_MAX 65536
#define CLAVE_QUERY_CSV_ROWS_MAX 50000000

/** Declared column types (the dataset schema of claved: int, float, string, bool, date). */
typedef enum clave_query_type {
    CLAVE_QUERY_INT = 1,    /* 64-bit signed integer */
    CLAVE_QUERY_FLOAT = 2,  /* finite double */
    CLAVE_QUERY_STRING = 3, /* UTF-8 text without NUL, at most CLAVE_QUERY_CSV_FIELD_MAX bytes */
    CLAVE_QUERY_BOOL = 4,   /* true/false (also 1/0), stored as 1/0 */
    CLAVE_QUERY_DATE = 5,   /* YYYY-MM-DD (proleptic Gregorian), stored as that text */
} clave_query_type;

/** "int", "float", "string", "bool", "date" -> type; 0 if unknown. */
CLAVE_API clave_query_type clave_query_type_from_name(const char *name);

/** One declared column. */
struct clave_query_column {
    const char *name;
    clave_query_type type;
};

/** A dataset of the contract with its declared schema (borrowed views). */
struct clave_query_table {
    const char *dataset; /* dataset id */
    const struct clave_query_column *columns;
    size_t column_count;
};

/**
 * What a query may touch, from the contract. All pointers are borrowed for the call only (the
 * parsed query copies what it needs).
 * - `allowed_columns`: the contract's output columns. A column used by an aggregate, a filter or
 *   a group-by must be listed, as its bare name ("age": that column in any table) or qualified
 *   by dataset ("visits.age"); "*" allows every column. An empty list allows no column (only
 *   counts). Join keys and the privacy unit column are not released and need not be listed.
 * - `min_group_size`: groups whose noisy count is below it are suppressed; when > 1 the query
 *   must contain a count aggregate.
 * - `max_epsilon`, `max_delta`: per-query caps; 0 means CLAVE_QUERY_EPSILON_MAX /
 *   CLAVE_QUERY_DELTA_MAX (larger values are allowed here, for tests with tiny noise).
 */
struct clave_query_rules {
    const struct clave_query_table *tables;
    size_t table_count;
    const char *const *allowed_columns;
    size_t allowed_column_count;
    uint64_t min_group_size;
    double max_epsilon;
    double max_delta;
};

/** A parsed, validated query. Opaque; immutable. */
struct clave_query;

/**
 * Parse and validate a query spec (JSON, at most CLAVE_QUERY_SPEC_MAX_BYTES, need not be
 * NUL-terminated) against `rules`. No data is read: every violation (unknown or duplicate
 * field, unknown table or column, disallowed column, missing or reversed bounds, type mismatch
 * of a literal, epsilon <= 0 or above the cap, delta outside its range, too many aggregates,
 * filters, keys or bins, ...) fails here with a detail naming the field ("query.aggregates[1]
 * .lower: ..."). On success the caller frees `*out` with clave_query_free.
 * Errors: CLAVE_ERR_ARG (NULL argument, invalid rules), CLAVE_ERR_JSON (syntax, wrong type,
 * unknown key), CLAVE_ERR_FORMAT (a value out of its rules), CLAVE_ERR_TOO_LARGE, CLAVE_ERR_NOMEM.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_query_parse(const char *json, size_t len,
                                                        const struct clave_query_rules *rules,
                                                        struct clave_query **out);

/** Free a query. NULL is a no-op. */
CLAVE_API void clave_query_free(struct clave_query *q);

/**
 * The total privacy cost of running `q` once (basic composition over its aggregates): exactly
 * the spec's epsilon and delta (delta 0 for Laplace). Debit this before releasing the result.
 */
CLAVE_API void clave_query_cost(const struct clave_query *q, double *epsilon, double *delta);

/** The query's output name (borrowed from `q`). */
CLAVE_API const char *clave_query_name(const struct clave_query *q);

/**
 * The datasets `q` reads (each once: a dataset appears in at most one table), in spec order:
 * the runner debits the budget of each one's owner. Borrowed from `q`; NULL past the end.
 */
CLAVE_API size_t clave_query_dataset_count(const struct clave_query *q);
CLAVE_API const char *clave_query_dataset(const struct clave_query *q, size_t index);

/** "discrete-laplace" or "discrete-gaussian": the mechanism of every aggregate of `q`. */
CLAVE_API const char *clave_query_mechanism_name(const struct clave_query *q);

/**
 * Make SQLite wipe every heap block before freeing it, process-wide, so loaded plaintext does not
 * linger in freed memory. Call once, before any SQLite database is opened in the process (the
 * runner does, at start). Errors: CLAVE_ERR_STATE (SQLite already initialised). Not thread-safe.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_query_wipe_sqlite_memory(void);

/** An in-memory SQLite database holding the loaded tables. Opaque. */
struct clave_query_db;

/**
 * New empty database: SQLite ":memory:" with temp_store=MEMORY (no file is ever created),
 * secure_delete on, no ATTACH, no extensions, defensive mode. Caller frees with
 * clave_query_db_free. Errors: CLAVE_ERR_STORE, CLAVE_ERR_NOMEM.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_query_db_new(struct clave_query_db **out);

/** Close a database (its memory is released to SQLite's allocator). NULL is a no-op. */
CLAVE_API void clave_query_db_free(struct clave_query_db *db);

/**
 * Load a plaintext CSV (RFC 4180: comma separated, optional double quotes with "" escapes, LF or
 * CRLF line ends; the first line is a header naming every column of `table` exactly once, in any
 * order, and nothing else) into a new typed table for dataset `table->dataset`. Empty fields are
 * NULL. `csv` is borrowed and never copied to disk. Hostile input fails cleanly; error details
 * give the line and column name, never cell contents. A failed load leaves no table behind.
 * Errors: CLAVE_ERR_ARG, CLAVE_ERR_EXISTS (dataset already loaded), CLAVE_ERR_FORMAT (bad CSV
 * or value), CLAVE_ERR_TOO_LARGE, CLAVE_ERR_STORE, CLAVE_ERR_NOMEM.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_query_db_load_csv(struct clave_query_db *db,
                                                              const struct clave_query_table *table,
                                                              const uint8_t *csv, size_t len);

/**
 * Run `q` over `db`: the joined, filtered, clamped and contribution-bounded rows are selected by
 * one parameterised SQL statement; each group of the declared domain gets each aggregate with
 * noise from the DP library (secure samplers); groups whose noisy count is below the rules'
 * min_group_size are suppressed. `*out_json` (caller frees with free()) is the result document:
 * name, privacy parameters and spend, per-aggregate mechanism parameters, and the groups.
 * Every table of `q` must have been loaded with the schema `q` was parsed against.
 * Errors: CLAVE_ERR_NOT_FOUND (table not loaded), CLAVE_ERR_STATE (schema differs),
 * CLAVE_ERR_STORE, CLAVE_ERR_LIMIT (a sum overflows the grid), CLAVE_ERR_RANDOM, CLAVE_ERR_NOMEM.
 * On failure nothing is returned.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_query_run(struct clave_query_db *db,
                                                      const struct clave_query *q, char **out_json);

#ifdef __cplusplus
}
#endif
#endif
