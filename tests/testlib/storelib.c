/* SPDX-License-Identifier: Apache-2.0 */
/* Test-only helpers for store-backed tests on SQLite or PostgreSQL (storelib.h). */
#include "storelib.h"

#include <stdio.h>
#include <stdlib.h>

struct t_store *t_store_open(const char *const *tables, size_t n)
{
    struct t_store *t = calloc(1, sizeof(*t));
    assert_non_null(t);
    t->dir = t_tempdir();
    const char *conninfo = getenv("CLAVE_TEST_PG_CONNINFO");
    if (conninfo != NULL && conninfo[0] != '\0') {
        t->cfg.backend = CLAVE_STORE_POSTGRES;
        t->cfg.pg_conninfo = conninfo;
    } else {
        (void)snprintf(t->path, sizeof(t->path), "%s/store.db", t->dir);
        t->cfg.backend = CLAVE_STORE_SQLITE;
        t->cfg.sqlite_path = t->path;
    }
    T_OK(clave_store_open(&t->cfg, &t->store));
    for (size_t i = 0; i < n; i++) {
        char sql[128];
        (void)snprintf(sql, sizeof(sql), "DROP TABLE IF EXISTS %s", tables[i]);
        T_OK(clave_store_exec(t->store, sql, NULL, 0, NULL));
    }
    return t;
}

void t_store_close(struct t_store *t)
{
    if (t == NULL) {
        return;
    }
    clave_store_close(t->store);
    t_rmtree(t->dir);
    free(t->dir);
    free(t);
}

bool t_store_is_pg(const struct t_store *t)
{
    return t->cfg.backend == CLAVE_STORE_POSTGRES;
}

void t_store_ddl(struct t_store *t, const char *sqlite_sql, const char *pg_sql)
{
    T_OK(clave_store_exec(t->store, t_store_is_pg(t) ? pg_sql : sqlite_sql, NULL, 0, NULL));
}

int64_t t_store_count(struct t_store *t, const char *sql)
{
    struct clave_store_rows *rows = NULL;
    int64_t n = -1;
    T_OK(clave_store_query_one(t->store, sql, NULL, 0, &rows));
    T_OK(clave_store_rows_get_int(rows, 0, 0, &n));
    clave_store_rows_free(rows);
    return n;
}
