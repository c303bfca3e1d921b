/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Metadata store: one interface over two SQL backends, SQLite (embedded default) and PostgreSQL
 * (through libpq, for several coordinator replicas).
 *
 * Statements are parameterised, always. SQL text is a constant written by clave's own code with
 * `?` placeholders; values travel separately as typed parameters (text, int64, blob, null). To make
 * injection impossible by construction, exec/query reject SQL text that contains a string literal
 * (`'`), a dollar sign (PostgreSQL `$n` parameters and dollar quoting), a `;` (one statement per
 * call), a comment (`--` or slash-star) or a NUL. The PostgreSQL backend rewrites `?` to `$1..$n`.
 * Write the SQL that both backends accept (standard SQL; `INSERT ... RETURNING` and
 * `ON CONFLICT ... DO NOTHING` work on both); backend-specific DDL belongs in migrations.
 *
 * Errors: CLAVE_ERR_STORE (the database failed; the detail names the statement, never the
 * parameter values, which may be secret), CLAVE_ERR_EXISTS (unique or primary-key violation),
 * CLAVE_ERR_CONSTRAINT (foreign key, NOT NULL or CHECK violation), CLAVE_ERR_CONFLICT (the
 * transaction lost a race: PostgreSQL serialization failure or deadlock, SQLite busy or stale
 * snapshot; run it again, e.g. with clave_store_tx_run), CLAVE_ERR_NOT_FOUND (no row where
 * exactly one was required), CLAVE_ERR_ARG (bad SQL text or parameters).
 *
 * Thread-safety: a `struct clave_store` is one database connection and is used by one thread at a
 * time. A multi-threaded server gives each thread its own connection with clave_store_clone (or
 * guards one with its own lock). Different stores may be used concurrently, also from different
 * processes: that is what transactions are for. After fork(), a child must neither use nor close
 * a store its parent opened (the connection is shared): it opens its own.
 */
#ifndef CLAVE_STORE_H
#define CLAVE_STORE_H

#include <clave/status.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

enum clave_store_backend {
    CLAVE_STORE_SQLITE = 1,
    CLAVE_STORE_POSTGRES = 2,
};

/** Default busy timeout (SQLite lock waits, PostgreSQL lock_timeout) in milliseconds. */
#define CLAVE_STORE_BUSY_TIMEOUT_MS 5000u

struct clave_store_config {
    enum clave_store_backend backend;
    /* SQLite: the database file, created if missing (its directory must exist). A file, not
     * ":memory:": WAL needs one. */
    const char *sqlite_path;
    /* PostgreSQL: a libpq connection string, e.g. "host=/run/postgresql dbname=clave" or
     * "postgresql://clave@db.example:5432/clave?sslmode=verify-full". May hold a password:
     * it is never copied into error details. */
    const char *pg_conninfo;
    /* Milliseconds to wait for a lock before CLAVE_ERR_CONFLICT; 0 means the default. */
    uint32_t busy_timeout_ms;
};

struct clave_store;

/**
 * Open a connection. SQLite: WAL journal with group commit (see clave_store_commit), foreign keys
 * on, defensive mode, busy timeout. PostgreSQL: UTF-8 client encoding, hex bytea output,
 * lock_timeout. `cfg` is borrowed (copied). On success `*out` is a new store the caller closes.
 * Returns CLAVE_ERR_ARG (bad config), CLAVE_ERR_STORE (cannot open or connect).
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_store_open(const struct clave_store_config *cfg,
                                                       struct clave_store **out);

/**
 * A second connection to the same database (for another thread). Caller closes `*out`.
 * SQLite: a store and its clones take turns at write transactions (CLAVE_STORE_TX_WRITE,
 * _WRITE_NOSYNC) through an in-process queue, so a waiting thread sleeps until the writer before
 * it ends instead of polling the database lock; waiting longer than the busy timeout gives
 * CLAVE_ERR_CONFLICT, as the database lock does. Other processes meet the database lock only.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_store_clone(const struct clave_store *store,
                                                        struct clave_store **out);

/** Close the connection, rolling back an open transaction. NULL is a no-op. */
CLAVE_API void clave_store_close(struct clave_store *store);

/** Which backend `store` (not NULL) talks to (for the rare code that must differ). */
CLAVE_API enum clave_store_backend clave_store_backend_of(const struct clave_store *store);

/* ---- parameters -------------------------------------------------------------------------- */

enum clave_store_type {
    CLAVE_STORE_NULL = 0,
    CLAVE_STORE_INT = 1,  /* int64_t */
    CLAVE_STORE_TEXT = 2, /* UTF-8 without NUL bytes */
    CLAVE_STORE_BLOB = 3, /* any bytes, NULs included */
};

/** One typed parameter. Build it with the clave_store_param_* helpers below. */
struct clave_store_param {
    enum clave_store_type type;
    int64_t i;        /* CLAVE_STORE_INT */
    const void *data; /* TEXT, BLOB: borrowed for the duration of the call */
    size_t len;       /* TEXT, BLOB: bytes at `data` (TEXT: without a terminator) */
};

static inline struct clave_store_param clave_store_param_null(void)
{
    struct clave_store_param p = {CLAVE_STORE_NULL, 0, NULL, 0};
    return p;
}

static inline struct clave_store_param clave_store_param_int(int64_t v)
{
    struct clave_store_param p = {CLAVE_STORE_INT, v, NULL, 0};
    return p;
}

/** NUL-terminated text; NULL gives a SQL NULL. */
static inline struct clave_store_param clave_store_param_text(const char *s)
{
    struct clave_store_param p = {CLAVE_STORE_TEXT, 0, s, s != NULL ? strlen(s) : 0};
    if (s == NULL) {
        p.type = CLAVE_STORE_NULL;
    }
    return p;
}

/** Text of `len` bytes (need not be terminated; must contain no NUL). */
static inline struct clave_store_param clave_store_param_textn(const char *s, size_t len)
{
    struct clave_store_param p = {CLAVE_STORE_TEXT, 0, s, len};
    return p;
}

static inline struct clave_store_param clave_store_param_blob(const void *data, size_t len)
{
    struct clave_store_param p = {CLAVE_STORE_BLOB, 0, data, len};
    return p;
}

/* ---- statements -------------------------------------------------------------------------- */

/**
 * Run one statement that returns no rows (INSERT/UPDATE/DELETE/DDL).
 * `sql` (borrowed) uses `?` placeholders, exactly `n` of them; `params` (borrowed) has `n`
 * entries (NULL if `n` is 0). `rows_affected` may be NULL; it is set to 0 on entry.
 * Inside a transaction, any database error marks the transaction failed (see clave_store_begin).
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_store_exec(struct clave_store *store, const char *sql,
                                                       const struct clave_store_param *params,
                                                       size_t n, int64_t *rows_affected);

/** The whole result of a query, materialised in memory. */
struct clave_store_rows;

/**
 * Run one statement that returns rows (SELECT, or INSERT/UPDATE/DELETE ... RETURNING). The result
 * is read completely into `*out` (caller frees with clave_store_rows_free), so bound large results
 * with LIMIT. `*out` is NULL on failure.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_store_query(struct clave_store *store, const char *sql,
                                                        const struct clave_store_param *params,
                                                        size_t n, struct clave_store_rows **out);

/**
 * Like clave_store_query, but exactly one row is expected: CLAVE_ERR_NOT_FOUND if there is none,
 * CLAVE_ERR_STATE if there are several (and `*out` stays NULL in both cases).
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_store_query_one(struct clave_store *store,
                                                            const char *sql,
                                                            const struct clave_store_param *params,
                                                            size_t n,
                                                            struct clave_store_rows **out);

/** Number of rows (0 for NULL). */
CLAVE_API size_t clave_store_rows_count(const struct clave_store_rows *rows);

/** Number of columns (0 for NULL). */
CLAVE_API size_t clave_store_rows_column_count(const struct clave_store_rows *rows);

/** Whether the value at (`row`, `col`) is SQL NULL (false if out of range). */
CLAVE_API bool clave_store_rows_is_null(const struct clave_store_rows *rows, size_t row,
                                        size_t col);

/** The type of the value at (`row`, `col`) (CLAVE_STORE_NULL if out of range). PostgreSQL
 * integer and boolean columns are INT, bytea is BLOB, everything else TEXT; SQLite reports
 * its storage class (REAL values are TEXT). */
CLAVE_API enum clave_store_type clave_store_rows_type(const struct clave_store_rows *rows,
                                                      size_t row, size_t col);

/**
 * Integer value. CLAVE_ERR_ARG for (`row`, `col`) out of range, CLAVE_ERR_FORMAT if the value is
 * NULL or not an integer. `*out` is 0 on failure.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_store_rows_get_int(const struct clave_store_rows *rows,
                                                               size_t row, size_t col,
                                                               int64_t *out);

/**
 * Text value, NUL-terminated, borrowed from `rows` (valid until clave_store_rows_free).
 * CLAVE_ERR_ARG out of range, CLAVE_ERR_FORMAT if NULL or not text. `*out` is NULL on failure.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_store_rows_get_text(const struct clave_store_rows *rows,
                                                                size_t row, size_t col,
                                                                const char **out);

/**
 * Blob value (a BLOB, or the bytes of a TEXT), borrowed from `rows`. `*len` gets its length.
 * CLAVE_ERR_ARG out of range, CLAVE_ERR_FORMAT if NULL or an integer.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_store_rows_get_blob(const struct clave_store_rows *rows,
                                                                size_t row, size_t col,
                                                                const uint8_t **data, size_t *len);

/** Free a result. NULL is a no-op. */
CLAVE_API void clave_store_rows_free(struct clave_store_rows *rows);

/* ---- transactions ------------------------------------------------------------------------ */

enum clave_store_tx_mode {
    /* Reads first, may write later. SQLite: BEGIN DEFERRED (a later write may fail with
     * CLAVE_ERR_CONFLICT). PostgreSQL: SERIALIZABLE. */
    CLAVE_STORE_TX_READ = 1,
    /* Will write. SQLite: BEGIN IMMEDIATE (takes the write lock now, waiting up to the busy
     * timeout). PostgreSQL: SERIALIZABLE. */
    CLAVE_STORE_TX_WRITE = 2,
    /* Will write, like CLAVE_STORE_TX_WRITE, and its commit need not survive a power loss or an
     * operating-system crash (a process crash loses nothing): for rows a client recreates by
     * retrying, e.g. an unattested key-broker session. The commit is visible to every other
     * connection at once and is never partial; it becomes durable with the next synced commit
     * of the database (which makes everything before it durable too) or at a checkpoint.
     * SQLite: BEGIN IMMEDIATE, and the commit does not wait for a sync of the write-ahead log.
     * PostgreSQL: SERIALIZABLE with SET LOCAL synchronous_commit = off. */
    CLAVE_STORE_TX_WRITE_NOSYNC = 3,
};

/**
 * Begin a transaction. Transactions do not nest: CLAVE_ERR_STATE if one is open.
 * After any statement inside the transaction fails with a database error, the transaction is
 * failed on both backends: further statements and commit return CLAVE_ERR_STATE, and the caller
 * must call clave_store_rollback.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_store_begin(struct clave_store *store,
                                                        enum clave_store_tx_mode mode);

/**
 * Commit. CLAVE_ERR_CONFLICT if PostgreSQL detects a serialization failure at commit (the
 * transaction is then rolled back); CLAVE_ERR_STATE if no transaction is open or it has failed
 * (call clave_store_rollback).
 * Durability: once this returns CLAVE_OK the transaction survives power loss (except
 * CLAVE_STORE_TX_WRITE_NOSYNC). SQLite: the commit writes the write-ahead log, lets the next
 * writer of the process in, then waits for an fsync of the log that covers it; concurrent
 * commits share one fsync (group commit). CLAVE_ERR_STORE from that sync means the transaction
 * is committed (other connections may already see it) but not known to be durable; after one
 * failed sync every later durable commit of the process fails too (restart the process).
 * Another connection may read a committed transaction before its fsync ends; anything written
 * after such a read is later in the log, so it is never durable without it.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_store_commit(struct clave_store *store);

/** Roll back the open transaction, if any. Never fails from the caller's point of view. */
CLAVE_API void clave_store_rollback(struct clave_store *store);

/** Whether a transaction is open. */
CLAVE_API bool clave_store_in_tx(const struct clave_store *store);

/** The body of a transaction: returns CLAVE_OK to commit, anything else to roll back. */
typedef clave_status (*clave_store_tx_fn)(struct clave_store *store, void *arg);

/**
 * Run `fn(store, arg)` in a transaction of `mode` and commit it. If `fn` or the commit fails with
 * CLAVE_ERR_CONFLICT, roll back, wait a short random back-off and run it again, up to
 * `max_retries` more times; `fn` must therefore be safe to repeat (no side effects outside the
 * database, or idempotent ones). Any other failure rolls back and is returned as is.
 * Returns CLAVE_ERR_CONFLICT if the retries are exhausted.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_store_tx_run(struct clave_store *store,
                                                         enum clave_store_tx_mode mode,
                                                         clave_store_tx_fn fn, void *arg,
                                                         unsigned max_retries);

/* ---- migrations -------------------------------------------------------------------------- */

/**
 * One schema step of one module. `sqlite_sql` and `pg_sql` are trusted constant scripts (several
 * statements allowed, string literals allowed) for the two backends.
 */
struct clave_store_migration {
    const char *module; /* e.g. "identity", "ledger": [a-z0-9_]{1,63} */
    int version;        /* 1, 2, 3, ... per module, increasing in the array */
    const char *sqlite_sql;
    const char *pg_sql;
};

/**
 * Apply the pending migrations in `migrations` (borrowed, `n` entries; it may hold several
 * modules). Each module's versions must be 1, 2, ... without gaps, in order. Everything runs in
 * one transaction that also records (module, version) in the table `schema_migrations`; on any
 * failure nothing is applied. Idempotent: applied versions are skipped. Concurrent callers
 * (replicas starting together) are serialised. Returns CLAVE_ERR_ARG for a malformed array,
 * CLAVE_ERR_UNSUPPORTED if the database holds a version of a module newer than the code knows
 * (nothing is applied), CLAVE_ERR_STORE if a script fails (the detail names module and version).
 * `applied` (may be NULL) gets the number of migrations applied now.
 */
CLAVE_API CLAVE_MUST_USE clave_status
clave_store_migrate(struct clave_store *store, const struct clave_store_migration *migrations,
                    size_t n, size_t *applied);

/**
 * The highest applied version of `module`, 0 if none (or if no migration ever ran).
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_store_schema_version(struct clave_store *store,
                                                                 const char *module, int *version);

#ifdef __cplusplus
}
#endif
#endif
