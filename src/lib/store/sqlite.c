/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SQLite backend: one connection per store, WAL journal, foreign keys on, defensive mode, and a
 * small cache of prepared statements keyed by their SQL text. Durability: synchronous=NORMAL
 * (a COMMIT writes the WAL without an fsync) plus the group commit of writers.c, which syncs
 * the WAL (sqlite_sync) before a durable commit or an autocommit write returns: a committed
 * transaction survives power loss, as with synchronous=FULL.
 */
#include "store/store_internal.h"

#include "core/check.h"

#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STMT_CACHE_SIZE 32

struct cached_stmt {
    char *sql;
    sqlite3_stmt *stmt;
};

struct sqlite_conn {
    sqlite3 *db;
    int64_t busy_start_ns; /* when the current wait for a lock began */
    uint64_t busy_timeout_ms;
    struct cached_stmt cache[STMT_CACHE_SIZE];
    size_t next_evict;
};

static struct sqlite_conn *conn_of(struct clave_store *s)
{
    return (struct sqlite_conn *)s->conn;
}

/* Map a SQLite result code to a status and record a detail naming the statement. */
static clave_status fail(struct clave_store *s, int rc, const char *sql, const char *file, int line)
{
    clave_status st = CLAVE_ERR_STORE;
    switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
        st = (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
                 ? CLAVE_ERR_EXISTS
                 : CLAVE_ERR_CONSTRAINT;
        break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        st = CLAVE_ERR_CONFLICT;
        break;
    case SQLITE_NOMEM:
        st = CLAVE_ERR_NOMEM;
        break;
    default:
        break;
    }
    char quote[STORE_SQL_QUOTE + 8];
    clave__store_quote(sql, quote, sizeof(quote));
    struct sqlite_conn *c = conn_of(s);
    /* SQLite's messages name tables and columns, never bound values. */
    clave__error_set(st, file, line, "sqlite: %s (%s): %s", sqlite3_errstr(rc),
                     c != NULL && c->db != NULL ? sqlite3_errmsg(c->db) : "no connection", quote);
    return st;
}

#define RAISE_SQLITE(rc, sql)                                                                      \
    do {                                                                                           \
        st = fail(s, (rc), (sql), __FILE__, __LINE__);                                             \
        goto done;                                                                                 \
    } while (0)

static clave_status sqlite_script(struct clave_store *s, const char *sql)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    int rc = sqlite3_exec(conn_of(s)->db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        RAISE_SQLITE(rc, sql);
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status pragma_check(struct clave_store *s, const char *sql, const char *expect)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v2(conn_of(s)->db, sql, -1, &stmt, NULL);
    if (rc != SQLITE_OK) {
        RAISE_SQLITE(rc, sql);
    }
    rc = sqlite3_step(stmt);
    if (rc != SQLITE_ROW) {
        RAISE_SQLITE(rc, sql);
    }
    const char *got = (const char *)sqlite3_column_text(stmt, 0);
    CLAVE_ENSURE(got != NULL && strcmp(got, expect) == 0, CLAVE_ERR_STORE,
                 "sqlite: %s gave %s, need %s", sql, got != NULL ? got : "NULL", expect);
    st = CLAVE_OK;
done:
    sqlite3_finalize(stmt);
    return st;
}

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/*
 * Waiting for a lock another connection holds. SQLite's own handler (sqlite3_busy_timeout)
 * sleeps 1, 2, 5, 10, ... up to 100 ms between tries; with several connections of one process
 * taking turns at short write transactions that leaves the CPU idle and makes the tail latency.
 * Retry after 50 us, doubling up to 1 ms, until the store's busy timeout.
 */
static int busy_wait(void *arg, int count)
{
    struct sqlite_conn *c = arg;
    int64_t now = mono_ns();
    if (count == 0) {
        c->busy_start_ns = now;
    }
    if (now - c->busy_start_ns > (int64_t)c->busy_timeout_ms * 1000000) {
        return 0;
    }
    long us = count < 5 ? 50L << count : 1000L;
    struct timespec ts = {0, us * 1000L};
    (void)nanosleep(&ts, NULL);
    return 1;
}

static clave_status sqlite_open(struct clave_store *s)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct sqlite_conn *c = calloc(1, sizeof(*c));
    CLAVE_ENSURE_ALLOC(c);
    s->conn = c;
    /* NOMUTEX: a store is used by one thread at a time (store.h). */
    int flags =
        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
    int rc = sqlite3_open_v2(s->sqlite_path, &c->db, flags, NULL);
    if (rc != SQLITE_OK) {
        RAISE_SQLITE(rc, "open");
    }
    (void)sqlite3_extended_result_codes(c->db, 1);
    /* Defensive mode: SQL cannot corrupt the file (no writable_schema, no journal_mode=OFF...).
     */
    (void)sqlite3_db_config(c->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
    (void)sqlite3_db_config(c->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
    (void)sqlite3_db_config(c->db, SQLITE_DBCONFIG_DQS_DML, 0, NULL);
    (void)sqlite3_db_config(c->db, SQLITE_DBCONFIG_DQS_DDL, 0, NULL);
    c->busy_timeout_ms = s->busy_timeout_ms;
    rc = sqlite3_busy_handler(c->db, busy_wait, c);
    if (rc != SQLITE_OK) {
        RAISE_SQLITE(rc, "busy_handler");
    }
    CLAVE_CHECK(pragma_check(s, "PRAGMA journal_mode=WAL", "wal"));
    CLAVE_CHECK(sqlite_script(s, "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON"));
    CLAVE_CHECK(pragma_check(s, "PRAGMA foreign_keys", "1"));
    CLAVE_CHECK(pragma_check(s, "PRAGMA synchronous", "1"));
    st = CLAVE_OK;
done:
    return st;
}

static void sqlite_close(struct clave_store *s)
{
    struct sqlite_conn *c = conn_of(s);
    if (c == NULL) {
        return;
    }
    for (size_t i = 0; i < STMT_CACHE_SIZE; i++) {
        sqlite3_finalize(c->cache[i].stmt);
        free(c->cache[i].sql);
    }
    (void)sqlite3_close_v2(c->db);
    free(c);
    s->conn = NULL;
}

/* A prepared statement for `sql`, from the cache or freshly prepared into it. */
static clave_status prepare(struct clave_store *s, const char *sql, sqlite3_stmt **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct sqlite_conn *c = conn_of(s);
    sqlite3_stmt *stmt = NULL;
    for (size_t i = 0; i < STMT_CACHE_SIZE; i++) {
        if (c->cache[i].sql != NULL && strcmp(c->cache[i].sql, sql) == 0) {
            *out = c->cache[i].stmt;
            st = CLAVE_OK;
            goto done;
        }
    }
    const char *tail = NULL;
    int rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, &tail);
    if (rc != SQLITE_OK) {
        RAISE_SQLITE(rc, sql);
    }
    CLAVE_ENSURE(stmt != NULL && tail != NULL && tail[strspn(tail, " \t\r\n")] == '\0',
                 CLAVE_ERR_ARG, "sqlite: not exactly one statement");
    char *copy = strdup(sql);
    CLAVE_ENSURE_ALLOC(copy);
    struct cached_stmt *slot = &c->cache[c->next_evict];
    c->next_evict = (c->next_evict + 1) % STMT_CACHE_SIZE;
    sqlite3_finalize(slot->stmt);
    free(slot->sql);
    slot->sql = copy;
    slot->stmt = stmt;
    stmt = NULL;
    *out = slot->stmt;
    st = CLAVE_OK;
done:
    sqlite3_finalize(stmt);
    return st;
}

static clave_status bind(struct clave_store *s, sqlite3_stmt *stmt, const char *sql,
                         const struct clave_store_param *params, size_t n)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE((size_t)sqlite3_bind_parameter_count(stmt) == n, CLAVE_ERR_ARG,
                 "sqlite: statement has %d parameters, %zu given",
                 sqlite3_bind_parameter_count(stmt), n);
    for (size_t i = 0; i < n; i++) {
        const struct clave_store_param *p = &params[i];
        int idx = (int)i + 1;
        int rc = SQLITE_OK;
        if (p->type == CLAVE_STORE_INT) {
            rc = sqlite3_bind_int64(stmt, idx, p->i);
        } else if (p->type == CLAVE_STORE_TEXT) {
            rc = sqlite3_bind_text64(stmt, idx, p->len > 0 ? p->data : "", p->len, SQLITE_STATIC,
                                     SQLITE_UTF8);
        } else if (p->type == CLAVE_STORE_BLOB && p->len == 0) {
            rc = sqlite3_bind_zeroblob(stmt, idx, 0); /* bind_blob(NULL) would mean NULL */
        } else if (p->type == CLAVE_STORE_BLOB) {
            rc = sqlite3_bind_blob64(stmt, idx, p->data, p->len, SQLITE_STATIC);
        } else {
            rc = sqlite3_bind_null(stmt, idx);
        }
        if (rc != SQLITE_OK) {
            RAISE_SQLITE(rc, sql);
        }
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status read_row(struct clave_store_rows *rows, sqlite3_stmt *stmt)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    size_t row = 0;
    CLAVE_CHECK(clave__rows_add(rows, &row));
    for (size_t col = 0; col < clave_store_rows_column_count(rows); col++) {
        int icol = (int)col;
        int type = sqlite3_column_type(stmt, icol);
        if (type == SQLITE_INTEGER) {
            clave__rows_set_int(rows, row, col, sqlite3_column_int64(stmt, icol));
        } else if (type == SQLITE_FLOAT) {
            char text[64];
            int len = snprintf(text, sizeof(text), "%.17g", sqlite3_column_double(stmt, icol));
            CLAVE_CHECK(clave__rows_set_bytes(rows, row, col, CLAVE_STORE_TEXT, text, (size_t)len));
        } else if (type == SQLITE_TEXT) {
            const unsigned char *text = sqlite3_column_text(stmt, icol);
            size_t len = (size_t)sqlite3_column_bytes(stmt, icol);
            CLAVE_ENSURE_ALLOC(text);
            CLAVE_CHECK(clave__rows_set_bytes(rows, row, col, CLAVE_STORE_TEXT, text, len));
        } else if (type == SQLITE_BLOB) {
            const void *blob = sqlite3_column_blob(stmt, icol);
            size_t len = (size_t)sqlite3_column_bytes(stmt, icol);
            CLAVE_ENSURE(blob != NULL || len == 0, CLAVE_ERR_NOMEM, "out of memory");
            CLAVE_CHECK(clave__rows_set_bytes(rows, row, col, CLAVE_STORE_BLOB, blob, len));
        }
    }
    st = CLAVE_OK;
done:
    return st;
}

/* This connection's write-ahead log file, or NULL if it has none open. */
static sqlite3_file *wal_of(struct clave_store *s)
{
    sqlite3_file *wal = NULL;
    int rc = sqlite3_file_control(conn_of(s)->db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &wal);
    return rc == SQLITE_OK && wal != NULL && wal->pMethods != NULL ? wal : NULL;
}

static clave_status sqlite_run(struct clave_store *s, const char *sql,
                               const struct clave_store_param *params, size_t n, int64_t *affected,
                               struct clave_store_rows **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    sqlite3_stmt *stmt = NULL;
    struct clave_store_rows *rows = NULL;
    sqlite3 *db = conn_of(s)->db;
    CLAVE_CHECK(prepare(s, sql, &stmt));
    CLAVE_CHECK(bind(s, stmt, sql, params, n));
    sqlite3_int64 before = sqlite3_total_changes64(db);
    for (;;) {
        int rc = sqlite3_step(stmt);
        if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
            RAISE_SQLITE(rc, sql);
        }
        /* The columns are known after the first step: a schema change since the statement was
         * prepared makes SQLite prepare it again there (SELECT * may then have others). */
        if (out != NULL && rows == NULL) {
            CLAVE_CHECK(clave__rows_new((size_t)sqlite3_column_count(stmt), &rows));
        }
        if (rc == SQLITE_DONE) {
            break;
        }
        if (rows != NULL) {
            CLAVE_CHECK(read_row(rows, stmt));
        }
    }
    if (sqlite3_get_autocommit(db) && !sqlite3_stmt_readonly(stmt) && wal_of(s) != NULL) {
        /* A write outside a transaction committed on its own: durable before it returns. (No
         * log open: this connection wrote nothing, e.g. a PRAGMA.) */
        CLAVE_CHECK(
            clave__store_writers_sync(s->writers, clave__store_writers_ticket(s->writers), s));
    }
    if (affected != NULL) {
        /* changes64 keeps the count of the last DML even after DDL or SELECT: trust it only
         * when this statement changed something. */
        *affected = sqlite3_total_changes64(db) != before ? sqlite3_changes64(db) : 0;
    }
    if (out != NULL) {
        *out = rows;
        rows = NULL;
    }
    st = CLAVE_OK;
done:
    if (stmt != NULL) {
        (void)sqlite3_reset(stmt);
        (void)sqlite3_clear_bindings(stmt);
    }
    clave_store_rows_free(rows);
    return st;
}

static bool sqlite_writing(struct clave_store *s)
{
    return sqlite3_txn_state(conn_of(s)->db, "main") == SQLITE_TXN_WRITE;
}

/* fsync the WAL file (what synchronous=FULL does at every commit), through SQLite's own file. */
static clave_status sqlite_sync(struct clave_store *s)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    sqlite3_file *wal = wal_of(s); /* open: this connection has just committed a write */
    CLAVE_ENSURE(wal != NULL, CLAVE_ERR_STORE, "sqlite: sync: the write-ahead log is not open");
    int rc = wal->pMethods->xSync(wal, SQLITE_SYNC_NORMAL);
    if (rc != SQLITE_OK) {
        RAISE_SQLITE(rc, "sync: write-ahead log");
    }
    st = CLAVE_OK;
done:
    return st;
}

const struct store_ops clave__store_sqlite_ops = {
    .open = sqlite_open,
    .close = sqlite_close,
    .run = sqlite_run,
    .script = sqlite_script,
    .writing = sqlite_writing,
    .sync = sqlite_sync,
};
