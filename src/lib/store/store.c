/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The backend-neutral store layer: configuration, SQL and parameter validation, transaction
 * state (identical failure semantics on both backends), the retry helper.
 */
#include "store/store_internal.h"

#include "core/check.h"

#include <clave/crypto.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Back-off of clave_store_tx_run: a random wait below min(BASE << attempt, MAX) microseconds. */
#define TX_BACKOFF_BASE_US 500u
#define TX_BACKOFF_MAX_US 100000u

void clave__store_quote(const char *sql, char *out, size_t cap)
{
    size_t len = strnlen(sql, STORE_SQL_QUOTE + 1);
    if (len > STORE_SQL_QUOTE) {
        (void)snprintf(out, cap, "%.*s...", (int)STORE_SQL_QUOTE, sql);
    } else {
        (void)snprintf(out, cap, "%s", sql);
    }
}

static char *dup_or_null(const char *s)
{
    return s != NULL ? strdup(s) : NULL;
}

static void free_store(struct clave_store *s)
{
    if (s == NULL) {
        return;
    }
    if (s->pg_conninfo != NULL) {
        OPENSSL_cleanse(s->pg_conninfo, strlen(s->pg_conninfo));
    }
    free(s->pg_conninfo);
    free(s->sqlite_path);
    clave__store_writers_unref(s->writers);
    free(s);
}

/* `writers`: the clone source's writer turn (SQLite), or NULL for a store of its own. */
static clave_status open_with(enum clave_store_backend backend, const char *path,
                              const char *conninfo, uint32_t timeout_ms,
                              struct store_writers *writers, struct clave_store **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_store *s = calloc(1, sizeof(*s));
    CLAVE_ENSURE_ALLOC(s);
    s->backend = backend;
    s->busy_timeout_ms = timeout_ms != 0 ? timeout_ms : CLAVE_STORE_BUSY_TIMEOUT_MS;
    if (backend == CLAVE_STORE_SQLITE) {
        CLAVE_ENSURE(path != NULL && path[0] != '\0', CLAVE_ERR_ARG, "store: no sqlite_path");
        s->sqlite_path = dup_or_null(path);
        CLAVE_ENSURE_ALLOC(s->sqlite_path);
        s->ops = &clave__store_sqlite_ops;
        if (writers != NULL) {
            s->writers = clave__store_writers_ref(writers);
        } else {
            CLAVE_CHECK(clave__store_writers_new(&s->writers));
        }
    } else if (backend == CLAVE_STORE_POSTGRES) {
        CLAVE_ENSURE(conninfo != NULL, CLAVE_ERR_ARG, "store: no pg_conninfo");
        s->pg_conninfo = dup_or_null(conninfo);
        CLAVE_ENSURE_ALLOC(s->pg_conninfo);
        s->ops = &clave__store_pg_ops;
    } else {
        CLAVE_RAISE(CLAVE_ERR_ARG, "store: unknown backend %d", (int)backend);
    }
    CLAVE_CHECK(s->ops->open(s));
    *out = s;
    s = NULL;
    st = CLAVE_OK;
done:
    if (s != NULL && s->conn != NULL) {
        s->ops->close(s);
    }
    free_store(s);
    return st;
}

clave_status clave_store_open(const struct clave_store_config *cfg, struct clave_store **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(out != NULL, CLAVE_ERR_ARG, "store: NULL out");
    *out = NULL;
    CLAVE_ENSURE(cfg != NULL, CLAVE_ERR_ARG, "store: NULL config");
    CLAVE_CHECK(open_with(cfg->backend, cfg->sqlite_path, cfg->pg_conninfo, cfg->busy_timeout_ms,
                          NULL, out));
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_store_clone(const struct clave_store *store, struct clave_store **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(out != NULL, CLAVE_ERR_ARG, "store: NULL out");
    *out = NULL;
    CLAVE_ENSURE(store != NULL, CLAVE_ERR_ARG, "store: NULL store");
    CLAVE_CHECK(open_with(store->backend, store->sqlite_path, store->pg_conninfo,
                          store->busy_timeout_ms, store->writers, out));
    st = CLAVE_OK;
done:
    return st;
}

void clave_store_close(struct clave_store *store)
{
    if (store == NULL) {
        return;
    }
    if (store->in_tx) {
        clave_store_rollback(store);
    }
    store->ops->close(store);
    free_store(store);
}

enum clave_store_backend clave_store_backend_of(const struct clave_store *store)
{
    return store->backend;
}

/*
 * SQL text given to exec/query is a constant of clave's own code; anything that could carry a
 * value into the text is refused, so values can only arrive as parameters: string literals,
 * dollar quoting and $n parameters, statement separators, comments, and SQLite's ?NNN.
 * Counts the `?` placeholders outside double-quoted identifiers.
 */
clave_status clave__store_check_sql(const char *sql, size_t *placeholders)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char quote[STORE_SQL_QUOTE + 8];
    size_t count = 0;
    bool in_ident = false;
    CLAVE_ENSURE(sql != NULL, CLAVE_ERR_ARG, "store: NULL sql");
    size_t len = strnlen(sql, STORE_SQL_MAX + 1);
    CLAVE_ENSURE(len > 0 && len <= STORE_SQL_MAX, CLAVE_ERR_ARG, "store: SQL empty or too long");
    clave__store_quote(sql, quote, sizeof(quote));
    for (size_t i = 0; i < len; i++) {
        char c = sql[i];
        char next = sql[i + 1];
        if (c == '"') {
            in_ident = !in_ident;
            continue;
        }
        CLAVE_ENSURE(c != '\'' && c != '$' && c != ';' && c != '\\', CLAVE_ERR_ARG,
                     "store: SQL text may not contain literals, $ or ; (use parameters): %s",
                     quote);
        CLAVE_ENSURE(!(c == '-' && next == '-') && !(c == '/' && next == '*'), CLAVE_ERR_ARG,
                     "store: SQL text may not contain comments: %s", quote);
        if (c == '?' && !in_ident) {
            CLAVE_ENSURE(!(next >= '0' && next <= '9'), CLAVE_ERR_ARG,
                         "store: numbered placeholders are not portable: %s", quote);
            count++;
        }
    }
    CLAVE_ENSURE(!in_ident, CLAVE_ERR_ARG, "store: unterminated identifier: %s", quote);
    *placeholders = count;
    st = CLAVE_OK;
done:
    return st;
}

/* Strict UTF-8 (RFC 3629): no overlongs, no surrogates, nothing above U+10FFFF, no NUL. */
static bool utf8_valid(const uint8_t *p, size_t len)
{
    size_t i = 0;
    while (i < len) {
        uint8_t c = p[i];
        size_t extra;
        uint32_t cp;
        if (c == 0) {
            return false;
        } else if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            extra = 1, cp = c & 0x1Fu;
        } else if (c >= 0xE0 && c <= 0xEF) {
            extra = 2, cp = c & 0x0Fu;
        } else if (c >= 0xF0 && c <= 0xF4) {
            extra = 3, cp = c & 0x07u;
        } else {
            return false;
        }
        if (extra > len - i - 1) {
            return false;
        }
        for (size_t k = 1; k <= extra; k++) {
            if ((p[i + k] & 0xC0u) != 0x80u) {
                return false;
            }
            cp = (cp << 6) | (p[i + k] & 0x3Fu);
        }
        if ((extra == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
            (extra == 3 && (cp < 0x10000 || cp > 0x10FFFF))) {
            return false;
        }
        i += extra + 1;
    }
    return true;
}

static clave_status check_params(const struct clave_store_param *params, size_t n)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(n <= STORE_PARAMS_MAX, CLAVE_ERR_ARG, "store: too many parameters (%zu)", n);
    CLAVE_ENSURE(n == 0 || params != NULL, CLAVE_ERR_ARG, "store: NULL params");
    for (size_t i = 0; i < n; i++) {
        const struct clave_store_param *p = &params[i];
        switch (p->type) {
        case CLAVE_STORE_NULL:
        case CLAVE_STORE_INT:
            break;
        case CLAVE_STORE_TEXT:
            CLAVE_ENSURE(p->data != NULL || p->len == 0, CLAVE_ERR_ARG,
                         "store: parameter %zu: NULL text", i + 1);
            CLAVE_ENSURE(utf8_valid(p->data, p->len), CLAVE_ERR_ENCODING,
                         "store: parameter %zu: text is not UTF-8 or contains NUL", i + 1);
            break;
        case CLAVE_STORE_BLOB:
            CLAVE_ENSURE(p->data != NULL || p->len == 0, CLAVE_ERR_ARG,
                         "store: parameter %zu: NULL blob", i + 1);
            CLAVE_ENSURE(p->len <= INT32_MAX, CLAVE_ERR_TOO_LARGE,
                         "store: parameter %zu: blob too large", i + 1);
            break;
        default:
            CLAVE_RAISE(CLAVE_ERR_ARG, "store: parameter %zu: unknown type", i + 1);
        }
    }
    st = CLAVE_OK;
done:
    return st;
}

/* Database errors poison an open transaction (PostgreSQL semantics, applied to both). */
static void note_failure(struct clave_store *s, clave_status st)
{
    if (s->in_tx && st != CLAVE_OK && st != CLAVE_ERR_ARG && st != CLAVE_ERR_ENCODING &&
        st != CLAVE_ERR_TOO_LARGE) {
        s->tx_failed = true;
    }
}

static clave_status run(struct clave_store *s, const char *sql,
                        const struct clave_store_param *params, size_t n, int64_t *affected,
                        struct clave_store_rows **rows)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    size_t placeholders = 0;
    CLAVE_ENSURE(s != NULL, CLAVE_ERR_ARG, "store: NULL store");
    CLAVE_CHECK(clave__store_check_sql(sql, &placeholders));
    CLAVE_CHECK(check_params(params, n));
    CLAVE_ENSURE(placeholders == n, CLAVE_ERR_ARG, "store: %zu placeholders but %zu parameters",
                 placeholders, n);
    CLAVE_ENSURE(!s->tx_failed, CLAVE_ERR_STATE, "store: transaction failed earlier; roll it back");
    st = s->ops->run(s, sql, params, n, affected, rows);
    note_failure(s, st);
done:
    return st;
}

clave_status clave_store_exec(struct clave_store *store, const char *sql,
                              const struct clave_store_param *params, size_t n,
                              int64_t *rows_affected)
{
    int64_t ignored = 0;
    if (rows_affected != NULL) {
        *rows_affected = 0;
    }
    return run(store, sql, params, n, rows_affected != NULL ? rows_affected : &ignored, NULL);
}

clave_status clave_store_query(struct clave_store *store, const char *sql,
                               const struct clave_store_param *params, size_t n,
                               struct clave_store_rows **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(out != NULL, CLAVE_ERR_ARG, "store: NULL out");
    *out = NULL;
    CLAVE_CHECK(run(store, sql, params, n, NULL, out));
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_store_query_one(struct clave_store *store, const char *sql,
                                   const struct clave_store_param *params, size_t n,
                                   struct clave_store_rows **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_store_rows *rows = NULL;
    char quote[STORE_SQL_QUOTE + 8];
    CLAVE_ENSURE(out != NULL, CLAVE_ERR_ARG, "store: NULL out");
    *out = NULL;
    CLAVE_CHECK(clave_store_query(store, sql, params, n, &rows));
    clave__store_quote(sql, quote, sizeof(quote));
    CLAVE_ENSURE(clave_store_rows_count(rows) > 0, CLAVE_ERR_NOT_FOUND, "store: no row: %s", quote);
    CLAVE_ENSURE(clave_store_rows_count(rows) == 1, CLAVE_ERR_STATE,
                 "store: %zu rows where one was expected: %s", clave_store_rows_count(rows), quote);
    *out = rows;
    rows = NULL;
    st = CLAVE_OK;
done:
    clave_store_rows_free(rows);
    return st;
}

clave_status clave__store_script(struct clave_store *s, const char *sql)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(!s->tx_failed, CLAVE_ERR_STATE, "store: transaction failed earlier; roll it back");
    st = s->ops->script(s, sql);
    note_failure(s, st);
done:
    return st;
}

/* Let the next write transaction of this process's connections begin. */
static void writer_turn_end(struct clave_store *store)
{
    if (store->writer_turn) {
        store->writer_turn = false;
        clave__store_writers_unlock(store->writers);
    }
}

static const char *begin_sql(const struct clave_store *store, enum clave_store_tx_mode mode)
{
    if (store->backend == CLAVE_STORE_SQLITE) {
        return mode == CLAVE_STORE_TX_READ ? "BEGIN DEFERRED" : "BEGIN IMMEDIATE";
    }
    /* All modes: SERIALIZABLE, so a read-modify-write either commits as if alone or fails with a
     * serialization failure (CLAVE_ERR_CONFLICT) that clave_store_tx_run retries. */
    return "BEGIN ISOLATION LEVEL SERIALIZABLE";
}

clave_status clave_store_begin(struct clave_store *store, enum clave_store_tx_mode mode)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    bool nosync = mode == CLAVE_STORE_TX_WRITE_NOSYNC;
    CLAVE_ENSURE(store != NULL, CLAVE_ERR_ARG, "store: NULL store");
    CLAVE_ENSURE(!store->in_tx, CLAVE_ERR_STATE, "store: a transaction is already open");
    CLAVE_ENSURE(mode == CLAVE_STORE_TX_READ || mode == CLAVE_STORE_TX_WRITE || nosync,
                 CLAVE_ERR_ARG, "store: bad transaction mode");
    if (mode != CLAVE_STORE_TX_READ && store->writers != NULL) {
        CLAVE_CHECK(clave__store_writers_lock(store->writers, store->busy_timeout_ms));
        store->writer_turn = true;
    }
    st = store->ops->script(store, begin_sql(store, mode));
    if (st == CLAVE_OK && nosync && store->backend == CLAVE_STORE_POSTGRES) {
        st = store->ops->script(store, "SET LOCAL synchronous_commit = off");
        if (st != CLAVE_OK) {
            (void)store->ops->script(store, "ROLLBACK");
        }
    }
    CLAVE_CHECK(st);
    store->in_tx = true;
    store->tx_failed = false;
    store->tx_nosync = nosync;
    st = CLAVE_OK;
done:
    if (st != CLAVE_OK && store != NULL && !store->in_tx) {
        writer_turn_end(store);
    }
    return st;
}

clave_status clave_store_commit(struct clave_store *store)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(store != NULL, CLAVE_ERR_ARG, "store: NULL store");
    CLAVE_ENSURE(store->in_tx, CLAVE_ERR_STATE, "store: no transaction to commit");
    CLAVE_ENSURE(!store->tx_failed, CLAVE_ERR_STATE,
                 "store: transaction failed earlier; roll it back");
    /* SQLite: a transaction that wrote (in any mode but NOSYNC) is durable before it returns. */
    bool durable = !store->tx_nosync && store->ops->writing != NULL && store->ops->writing(store);
    st = store->ops->script(store, "COMMIT");
    if (st != CLAVE_OK) {
        /* A failed COMMIT leaves PostgreSQL outside the transaction but SQLite possibly inside
         * (SQLITE_BUSY): roll back so both end in the same state. */
        clave_status saved = st;
        struct clave_error_info info = clave_error_last();
        char detail[256];
        (void)snprintf(detail, sizeof(detail), "%s", info.detail);
        clave_store_rollback(store);
        st = saved;
        clave__error_set(st, info.file, info.line, "%s", detail);
        goto done;
    }
    store->in_tx = false;
    /* SQLite: the frames are in the WAL; let the next writer in, then wait for a sync of the
     * WAL that covers them (group commit, writers.c) before calling the commit done. */
    uint64_t ticket = durable ? clave__store_writers_ticket(store->writers) : 0;
    writer_turn_end(store);
    if (ticket != 0) {
        CLAVE_CHECK(clave__store_writers_sync(store->writers, ticket, store));
    }
    st = CLAVE_OK;
done:
    return st;
}

void clave_store_rollback(struct clave_store *store)
{
    if (store == NULL || !store->in_tx) {
        return;
    }
    /* Errors are ignored on purpose: after a failed COMMIT PostgreSQL has no transaction left,
     * and SQLite may already have rolled back on its own. */
    (void)store->ops->script(store, "ROLLBACK");
    store->in_tx = false;
    store->tx_failed = false;
    writer_turn_end(store);
}

bool clave_store_in_tx(const struct clave_store *store)
{
    return store != NULL && store->in_tx;
}

static void backoff(unsigned attempt)
{
    uint32_t limit = TX_BACKOFF_BASE_US << (attempt < 8 ? attempt : 8);
    if (limit > TX_BACKOFF_MAX_US) {
        limit = TX_BACKOFF_MAX_US;
    }
    uint32_t r = 0;
    if (clave_random((uint8_t *)&r, sizeof(r)) != CLAVE_OK) {
        r = limit / 2;
    }
    uint32_t us = r % limit;
    struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)us * 1000L};
    (void)nanosleep(&ts, NULL);
}

clave_status clave_store_tx_run(struct clave_store *store, enum clave_store_tx_mode mode,
                                clave_store_tx_fn fn, void *arg, unsigned max_retries)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(store != NULL && fn != NULL, CLAVE_ERR_ARG, "store: NULL argument");
    for (unsigned attempt = 0;; attempt++) {
        st = clave_store_begin(store, mode);
        if (st == CLAVE_OK) {
            st = fn(store, arg);
            if (st == CLAVE_OK) {
                st = clave_store_commit(store);
            } else {
                clave_store_rollback(store);
            }
        }
        if (st != CLAVE_ERR_CONFLICT || attempt >= max_retries) {
            break;
        }
        backoff(attempt);
    }
done:
    return st;
}
