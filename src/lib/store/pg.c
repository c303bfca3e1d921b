/* SPDX-License-Identifier: Apache-2.0 */
/*
 * PostgreSQL backend over libpq. Statements use the extended protocol: the SQL text and the
 * values travel separately, so values are never parsed as SQL. Each connection prepares a
 * statement once per (SQL text, parameter types) and then only binds and executes it
 * (PQprepare, PQexecPrepared; pg_stmts.c keeps the names), which spares the server a parse and
 * a plan per call; past the cache's bound, or after a stale statement outside a transaction,
 * it runs unprepared (PQexecParams). `?` placeholders are rewritten to $1..$n. Integers are
 * sent as int8 text, text as untyped text (the server infers the column type), blobs as binary
 * bytea. Results are requested in text format and converted by column type: integers and
 * booleans to INT, bytea (hex output) to BLOB.
 */
#include "store/pg_stmts.h"
#include "store/store_internal.h"

#include "core/check.h"

#include <clave/encoding.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Type OIDs, fixed by the server catalog (src/include/catalog/pg_type.dat). */
#define PG_BOOLOID 16
#define PG_BYTEAOID 17
#define PG_INT8OID 20
#define PG_INT2OID 21
#define PG_INT4OID 23
#define PG_OIDOID 26
#define PG_NUMERICOID 1700

/* Room for "-9223372036854775808" and its NUL. */
#define INT_TEXT_MAX 21

struct pg_conn {
    PGconn *pg;
    struct pg_stmts *stmts;
};

static PGconn *conn_of(struct clave_store *s)
{
    return ((struct pg_conn *)s->conn)->pg;
}

static struct pg_stmts *stmts_of(struct clave_store *s)
{
    return ((struct pg_conn *)s->conn)->stmts;
}

/* Length of a libpq message without its trailing newlines, for "%.*s". */
static int message_len(const char *msg)
{
    size_t len = strnlen(msg, 400);
    while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == ' ')) {
        len--;
    }
    return (int)len;
}

/* SQLSTATE classes (PostgreSQL docs, appendix A "Error Codes"). */
static clave_status map_sqlstate(const char *state)
{
    if (state == NULL) {
        return CLAVE_ERR_STORE;
    }
    if (strcmp(state, "23505") == 0) {
        return CLAVE_ERR_EXISTS; /* unique_violation */
    }
    if (strncmp(state, "23", 2) == 0) {
        return CLAVE_ERR_CONSTRAINT; /* integrity_constraint_violation */
    }
    if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 || strcmp(state, "55P03") == 0) {
        return CLAVE_ERR_CONFLICT; /* serialization_failure, deadlock, lock_not_available */
    }
    if (strcmp(state, "25P02") == 0) {
        return CLAVE_ERR_STATE; /* in_failed_sql_transaction */
    }
    return CLAVE_ERR_STORE;
}

/* Record a failure for `res` (may be NULL: connection-level error), naming the statement. */
static clave_status fail(struct clave_store *s, const PGresult *res, const char *sql,
                         const char *file, int line)
{
    const char *state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = res != NULL ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    if (msg == NULL) {
        msg = PQerrorMessage(conn_of(s));
    }
    /* Data exceptions (class 22) quote the offending input value, which may be secret. */
    if (state != NULL && strncmp(state, "22", 2) == 0) {
        msg = "data exception (value not shown)";
    }
    clave_status st = map_sqlstate(state);
    char quote[STORE_SQL_QUOTE + 8];
    clave__store_quote(sql, quote, sizeof(quote));
    clave__error_set(st, file, line, "postgres: %.*s (%s): %s", message_len(msg), msg,
                     state != NULL ? state : "no SQLSTATE", quote);
    return st;
}

static bool result_ok(const PGresult *res)
{
    ExecStatusType t = PQresultStatus(res);
    return t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK;
}

static clave_status ensure_connected(struct clave_store *s);

static clave_status pg_script(struct clave_store *s, const char *sql)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    PGresult *res = NULL;
    CLAVE_CHECK(ensure_connected(s));
    /* PQexec runs several statements (simple protocol); only trusted constant text comes here. */
    res = PQexec(conn_of(s), sql);
    if (res == NULL || !result_ok(res)) {
        st = fail(s, res, sql, __FILE__, __LINE__);
        goto done;
    }
    st = CLAVE_OK;
done:
    PQclear(res);
    return st;
}

/* The library never logs: drop server notices ("relation already exists, skipping"). */
static void ignore_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

static clave_status apply_settings(struct clave_store *s)
{
    char settings[256];
    (void)snprintf(settings, sizeof(settings),
                   "SET client_encoding TO 'UTF8'; SET bytea_output TO 'hex'; "
                   "SET standard_conforming_strings TO on; SET lock_timeout TO %" PRIu32,
                   s->busy_timeout_ms);
    return pg_script(s, settings);
}

static clave_status pg_open(struct clave_store *s)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct pg_conn *c = calloc(1, sizeof(*c));
    CLAVE_ENSURE_ALLOC(c);
    s->conn = c;
    CLAVE_CHECK(clave__pg_stmts_new(&c->stmts));
    PGconn *conn = c->pg = PQconnectdb(s->pg_conninfo);
    CLAVE_ENSURE_ALLOC(conn);
    /* PQerrorMessage names host and user, never the password. */
    CLAVE_ENSURE(PQstatus(conn) == CONNECTION_OK, CLAVE_ERR_STORE, "postgres: connect: %.*s",
                 message_len(PQerrorMessage(conn)), PQerrorMessage(conn));
    (void)PQsetNoticeProcessor(conn, ignore_notice, NULL);
    CLAVE_CHECK(apply_settings(s));
    st = CLAVE_OK;
done:
    return st;
}

/*
 * After the server restarted or the network dropped, reconnect before the next statement. Not
 * inside a transaction: its work is lost with the connection, so the statement fails and the
 * caller rolls back (clave_store_tx_run then retries on a fresh connection).
 */
static clave_status ensure_connected(struct clave_store *s)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    PGconn *conn = conn_of(s);
    if (PQstatus(conn) == CONNECTION_OK) {
        st = CLAVE_OK;
        goto done;
    }
    CLAVE_ENSURE(!s->in_tx, CLAVE_ERR_STORE, "postgres: connection lost in a transaction");
    PQreset(conn);
    clave__pg_stmts_clear(stmts_of(s)); /* a new session: the server holds none of them */
    CLAVE_ENSURE(PQstatus(conn) == CONNECTION_OK, CLAVE_ERR_STORE, "postgres: reconnect: %.*s",
                 message_len(PQerrorMessage(conn)), PQerrorMessage(conn));
    CLAVE_CHECK(apply_settings(s));
    st = CLAVE_OK;
done:
    return st;
}

static void pg_close(struct clave_store *s)
{
    struct pg_conn *c = s->conn;
    if (c != NULL) {
        PQfinish(c->pg);
        clave__pg_stmts_free(c->stmts);
        free(c);
    }
    s->conn = NULL;
}

/* `?` -> `$k` outside double-quoted identifiers (store.c has already refused literals). */
clave_status clave__store_pg_rewrite(const char *sql, size_t n, char **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    size_t len = strlen(sql);
    size_t cap = len + n * 8 + 1; /* "$1000" is 5 bytes replacing 1 */
    char *buf = malloc(cap);
    CLAVE_ENSURE_ALLOC(buf);
    size_t w = 0;
    size_t k = 0;
    bool in_ident = false;
    for (size_t i = 0; i < len; i++) {
        if (sql[i] == '"') {
            in_ident = !in_ident;
        }
        if (sql[i] == '?' && !in_ident) {
            int m = snprintf(buf + w, cap - w, "$%zu", ++k);
            CLAVE_ENSURE(m > 0 && (size_t)m < cap - w, CLAVE_ERR_INTERNAL, "postgres: rewrite");
            w += (size_t)m;
        } else {
            buf[w++] = sql[i];
        }
    }
    CLAVE_ENSURE(k == n, CLAVE_ERR_ARG, "postgres: %zu placeholders, %zu parameters", k, n);
    buf[w] = '\0';
    *out = buf;
    buf = NULL;
    st = CLAVE_OK;
done:
    free(buf);
    return st;
}

struct pg_params {
    Oid *types;
    const char **values;
    int *lengths;
    int *formats;
    char *ints;   /* n * INT_TEXT_MAX */
    char **texts; /* NUL-terminated copies of text values */
    char *sig;    /* one letter per parameter's type (i, t, b, n): part of a statement's key */
    size_t n;
};

static void params_free(struct pg_params *p)
{
    for (size_t i = 0; p->texts != NULL && i < p->n; i++) {
        free(p->texts[i]);
    }
    free(p->texts);
    free(p->types);
    free((void *)p->values);
    free(p->lengths);
    free(p->formats);
    free(p->ints);
    free(p->sig);
}

static clave_status params_build(const struct clave_store_param *params, size_t n,
                                 struct pg_params *p)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    size_t m = n > 0 ? n : 1;
    p->n = n;
    p->types = calloc(m, sizeof(*p->types));
    p->values = calloc(m, sizeof(*p->values));
    p->lengths = calloc(m, sizeof(*p->lengths));
    p->formats = calloc(m, sizeof(*p->formats));
    p->ints = calloc(m, INT_TEXT_MAX);
    p->texts = calloc(m, sizeof(*p->texts));
    p->sig = calloc(n + 1, 1);
    CLAVE_ENSURE(p->types != NULL && p->values != NULL && p->lengths != NULL &&
                     p->formats != NULL && p->ints != NULL && p->texts != NULL && p->sig != NULL,
                 CLAVE_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const struct clave_store_param *q = &params[i];
        p->sig[i] = q->type == CLAVE_STORE_INT    ? 'i'
                    : q->type == CLAVE_STORE_TEXT ? 't'
                    : q->type == CLAVE_STORE_BLOB ? 'b'
                                                  : 'n';
        if (q->type == CLAVE_STORE_INT) {
            char *text = p->ints + i * INT_TEXT_MAX;
            (void)snprintf(text, INT_TEXT_MAX, "%" PRId64, q->i);
            p->types[i] = PG_INT8OID;
            p->values[i] = text;
        } else if (q->type == CLAVE_STORE_TEXT) {
            p->texts[i] = malloc(q->len + 1);
            CLAVE_ENSURE_ALLOC(p->texts[i]);
            if (q->len > 0) {
                memcpy(p->texts[i], q->data, q->len);
            }
            p->texts[i][q->len] = '\0';
            p->values[i] = p->texts[i]; /* type 0: the server infers it from the context */
        } else if (q->type == CLAVE_STORE_BLOB) {
            p->types[i] = PG_BYTEAOID;
            p->values[i] = q->len > 0 ? q->data : "";
            p->lengths[i] = (int)q->len; /* store.c capped it at INT32_MAX */
            p->formats[i] = 1;           /* binary: raw bytes, NULs included */
        }
        /* CLAVE_STORE_NULL: values[i] stays NULL. */
    }
    st = CLAVE_OK;
done:
    return st;
}

/* bytea in hex output format: "\x" followed by two hex digits per byte. */
static clave_status set_bytea(struct clave_store_rows *rows, size_t row, size_t col,
                              const char *text, size_t len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t *bytes = NULL;
    size_t out_len = 0;
    CLAVE_ENSURE(len >= 2 && text[0] == '\\' && text[1] == 'x' && len % 2 == 0, CLAVE_ERR_STORE,
                 "postgres: bytea is not in hex format");
    bytes = malloc((len - 2) / 2 + 1);
    CLAVE_ENSURE_ALLOC(bytes);
    CLAVE_CHECK(clave_hex_decode(text + 2, len - 2, bytes, (len - 2) / 2, &out_len));
    bytes[out_len] = 0;
    clave__rows_take_bytes(rows, row, col, CLAVE_STORE_BLOB, bytes, out_len);
    bytes = NULL;
    st = CLAVE_OK;
done:
    free(bytes);
    return st;
}

static clave_status set_cell(struct clave_store_rows *rows, const PGresult *res, int r, int c)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    size_t row = (size_t)r;
    size_t col = (size_t)c;
    const char *text = PQgetvalue(res, r, c);
    size_t len = (size_t)PQgetlength(res, r, c);
    Oid type = PQftype(res, c);
    int64_t v = 0;
    if (PQgetisnull(res, r, c)) {
        st = CLAVE_OK;
        goto done;
    }
    if (type == PG_BOOLOID) {
        clave__rows_set_int(rows, row, col, text[0] == 't' ? 1 : 0);
    } else if ((type == PG_INT2OID || type == PG_INT4OID || type == PG_INT8OID ||
                type == PG_OIDOID || type == PG_NUMERICOID) &&
               clave__store_parse_int(text, &v)) {
        clave__rows_set_int(rows, row, col, v);
    } else if (type == PG_BYTEAOID) {
        CLAVE_CHECK(set_bytea(rows, row, col, text, len));
    } else {
        CLAVE_CHECK(clave__rows_set_bytes(rows, row, col, CLAVE_STORE_TEXT, text, len));
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status read_rows(const PGresult *res, struct clave_store_rows **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_store_rows *rows = NULL;
    int nrows = PQntuples(res);
    int ncols = PQnfields(res);
    CLAVE_CHECK(clave__rows_new((size_t)ncols, &rows));
    for (int r = 0; r < nrows; r++) {
        size_t row = 0;
        CLAVE_CHECK(clave__rows_add(rows, &row));
        for (int c = 0; c < ncols; c++) {
            CLAVE_CHECK(set_cell(rows, res, r, c));
        }
    }
    *out = rows;
    rows = NULL;
    st = CLAVE_OK;
done:
    clave_store_rows_free(rows);
    return st;
}

/* SQLSTATE of a failed result, or "". */
static const char *sqlstate_of(const PGresult *res)
{
    const char *state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    return state != NULL ? state : "";
}

/*
 * Run through this connection's prepared statement for (sql, types), preparing it first if
 * needed (`*text` gets the $n text then; a cached statement needs none). `*res` NULL with
 * CLAVE_OK: not prepared (the cache is full), run it unprepared.
 * CLAVE_ERR_CONFLICT: the server no longer has that statement or its plan's result type
 * changed (a schema change): forgotten, so the next attempt prepares it again.
 */
static clave_status exec_prepared(struct clave_store *s, const char *sql, char **text,
                                  const struct pg_params *p, PGresult **res)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct pg_stmts *stmts = stmts_of(s);
    const char *name = clave__pg_stmts_find(stmts, sql, p->sig);
    *res = NULL;
    if (name == NULL) {
        if (clave__pg_stmts_add(stmts, sql, p->sig, &name) != CLAVE_OK) {
            st = CLAVE_OK; /* full (or out of memory): unprepared */
            goto done;
        }
        st = clave__store_pg_rewrite(sql, p->n, text);
        if (st != CLAVE_OK) {
            clave__pg_stmts_forget(stmts, name);
            goto done;
        }
        *res = PQprepare(conn_of(s), name, *text, (int)p->n, p->types);
        if (*res == NULL || !result_ok(*res)) {
            clave__pg_stmts_forget(stmts, name);
            st = fail(s, *res, sql, __FILE__, __LINE__);
            goto done;
        }
        PQclear(*res);
    }
    *res = PQexecPrepared(conn_of(s), name, (int)p->n, p->values, p->lengths, p->formats, 0);
    const char *state = sqlstate_of(*res);
    if (strcmp(state, "26000") == 0 || strcmp(state, "0A000") == 0) {
        /* invalid_sql_statement_name; feature_not_supported is "cached plan must not change
         * result type" here: re-prepared at the next call. */
        char quote[STORE_SQL_QUOTE + 8];
        clave__store_quote(sql, quote, sizeof(quote));
        clave__error_set(CLAVE_ERR_CONFLICT, __FILE__, __LINE__,
                         "postgres: prepared statement gone or stale (%s: session reset or "
                         "schema changed): %s",
                         state, quote);
        clave__pg_stmts_forget(stmts, name);
        st = CLAVE_ERR_CONFLICT;
        goto done;
    }
    st = CLAVE_OK;
done:
    if (st != CLAVE_OK) {
        PQclear(*res);
        *res = NULL;
    }
    return st;
}

static clave_status pg_run(struct clave_store *s, const char *sql,
                           const struct clave_store_param *params, size_t n, int64_t *affected,
                           struct clave_store_rows **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct pg_params p = {0};
    char *text = NULL;
    PGresult *res = NULL;
    CLAVE_CHECK(ensure_connected(s));
    CLAVE_CHECK(params_build(params, n, &p));
    st = exec_prepared(s, sql, &text, &p, &res);
    if (st == CLAVE_ERR_CONFLICT && !s->in_tx) {
        st = CLAVE_OK; /* a stale statement outside a transaction: nothing to redo but this */
    }
    CLAVE_CHECK(st);
    if (res == NULL) { /* unprepared */
        if (text == NULL) {
            CLAVE_CHECK(clave__store_pg_rewrite(sql, n, &text));
        }
        res = PQexecParams(conn_of(s), text, (int)n, p.types, p.values, p.lengths, p.formats, 0);
    }
    if (res == NULL || !result_ok(res)) {
        st = fail(s, res, sql, __FILE__, __LINE__);
        goto done;
    }
    if (affected != NULL) {
        int64_t count = 0;
        const char *tuples = PQcmdTuples(res);
        *affected = tuples[0] != '\0' && clave__store_parse_int(tuples, &count) ? count : 0;
    }
    if (out != NULL) {
        CLAVE_CHECK(read_rows(res, out));
    }
    st = CLAVE_OK;
done:
    PQclear(res);
    params_free(&p);
    free(text);
    return st;
}

const struct store_ops clave__store_pg_ops = {
    .open = pg_open,
    .close = pg_close,
    .run = pg_run,
    .script = pg_script,
};
