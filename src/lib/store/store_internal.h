/* SPDX-License-Identifier: Apache-2.0 */
/* Store internals shared by the generic layer (store.c, migrate.c) and the two backends. */
#ifndef CLAVE_STORE_INTERNAL_H
#define CLAVE_STORE_INTERNAL_H

#include <clave/store.h>

#include <pthread.h>
#include <stdatomic.h>

/* Longest SQL text accepted by exec/query, and most parameters per statement. */
#define STORE_SQL_MAX 65536u
#define STORE_PARAMS_MAX 1000u
/* How much of a statement an error detail quotes. */
#define STORE_SQL_QUOTE 96

struct clave_store;

/* The in-process writer turn shared by a SQLite store and its clones (writers.c). */
struct store_writers;
clave_status clave__store_writers_new(struct store_writers **out);
struct store_writers *clave__store_writers_ref(struct store_writers *w);
void clave__store_writers_unref(struct store_writers *w); /* NULL is a no-op */
/* Wait for the turn up to `timeout_ms`: CLAVE_ERR_CONFLICT when it did not come. */
clave_status clave__store_writers_lock(struct store_writers *w, uint32_t timeout_ms);
void clave__store_writers_unlock(struct store_writers *w);
/* Group commit (writers.c): a ticket for a commit whose WAL frames are written, then wait until
 * the WAL is synced past it (syncing it with `s`'s connection if no one else is). Returns
 * CLAVE_ERR_STORE, detail set, when the sync failed (now or earlier in this process). */
uint64_t clave__store_writers_ticket(struct store_writers *w);
clave_status clave__store_writers_sync(struct store_writers *w, uint64_t ticket,
                                       struct clave_store *s);

/* One backend. `run` executes a validated single statement with `n` params; it fills `rows`
 * when non-NULL (query) and `affected` when non-NULL (exec). `script` runs trusted SQL text
 * (several statements, literals allowed, no params, rows ignored). */
struct store_ops {
    clave_status (*open)(struct clave_store *s);
    void (*close)(struct clave_store *s);
    clave_status (*run)(struct clave_store *s, const char *sql,
                        const struct clave_store_param *params, size_t n, int64_t *affected,
                        struct clave_store_rows **rows);
    clave_status (*script)(struct clave_store *s, const char *sql);
    /* SQLite only (NULL for PostgreSQL): whether the open transaction has written (holds the
     * write lock), and fsync the WAL. */
    bool (*writing)(struct clave_store *s);
    clave_status (*sync)(struct clave_store *s);
};

struct clave_store {
    enum clave_store_backend backend;
    char *sqlite_path; /* owned copy */
    char *pg_conninfo; /* owned copy; wiped on close (it may hold a password) */
    uint32_t busy_timeout_ms;
    const struct store_ops *ops;
    void *conn; /* sqlite3 * or PGconn *, plus backend state */
    bool in_tx;
    bool tx_failed;
    bool tx_nosync;                /* the open transaction is CLAVE_STORE_TX_WRITE_NOSYNC */
    struct store_writers *writers; /* SQLite: shared with the clones */
    bool writer_turn;              /* this store holds `writers` (a write transaction is open) */
};

extern const struct store_ops clave__store_sqlite_ops;
extern const struct store_ops clave__store_pg_ops;

/* Write a short quote of `sql` (first STORE_SQL_QUOTE bytes, "..." if cut) into `out`. */
void clave__store_quote(const char *sql, char *out, size_t cap);

/* Result building for the backends. */
clave_status clave__rows_new(size_t ncols, struct clave_store_rows **out);
/* Append a row of NULLs and return its index in `*row`. */
clave_status clave__rows_add(struct clave_store_rows *rows, size_t *row);
void clave__rows_set_int(struct clave_store_rows *rows, size_t row, size_t col, int64_t v);
/* Copy `len` bytes (plus a terminating NUL) as TEXT or BLOB. */
clave_status clave__rows_set_bytes(struct clave_store_rows *rows, size_t row, size_t col,
                                   enum clave_store_type type, const void *data, size_t len);
/* Take ownership of `data` (malloc'd, `len` bytes followed by a NUL). */
void clave__rows_take_bytes(struct clave_store_rows *rows, size_t row, size_t col,
                            enum clave_store_type type, uint8_t *data, size_t len);

/* Parse a decimal int64 strictly (optional '-', digits only, no overflow). */
bool clave__store_parse_int(const char *s, int64_t *out);

/* Refuse SQL text that could carry a value (literals, $, ;, comments, backslash, ?NNN) and
 * count its `?` placeholders outside double-quoted identifiers. */
clave_status clave__store_check_sql(const char *sql, size_t *placeholders);

/* PostgreSQL: `?` -> `$1..$n` outside double-quoted identifiers; CLAVE_ERR_ARG unless exactly
 * `n` placeholders. `*out` is a new string the caller frees. */
clave_status clave__store_pg_rewrite(const char *sql, size_t n, char **out);

/* Run trusted script / statement through the generic layer (tx bookkeeping included). */
clave_status clave__store_script(struct clave_store *s, const char *sql);

#endif
