/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The in-memory database of the query engine: SQLite ":memory:" with temp_store=MEMORY, so
 * neither the tables nor sort or temporary B-trees ever reach a file; extensions, ATTACH and
 * schema tricks are disabled (the SQL is ours, but the data is not). Tables are STRICT, typed from
 * the declared schema; the loaded schemas are remembered so a query can be checked against them.
 */
#include "query/query_int.h"

#include "core/check.h"

#include <stdlib.h>
#include <string.h>

struct loaded_table {
    struct clave_query_table schema; /* dataset and column names owned */
};

struct clave_query_db {
    sqlite3 *handle;
    struct loaded_table *tables;
    size_t table_count;
};

static clave_status exec(sqlite3 *h, const char *sql)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(sqlite3_exec(h, sql, NULL, NULL, NULL) == SQLITE_OK, CLAVE_ERR_STORE,
                 "query db: %s: %s", sql, sqlite3_errmsg(h));
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_query_db_new(struct clave_query_db **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_query_db *db = NULL;
    CLAVE_ENSURE(out != NULL, CLAVE_ERR_ARG, "query db: out is NULL");
    *out = NULL;
    db = calloc(1, sizeof(*db));
    CLAVE_ENSURE_ALLOC(db);
    int rc = sqlite3_open_v2(":memory:", &db->handle,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_MEMORY |
                                 SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE,
                             NULL);
    CLAVE_ENSURE(rc == SQLITE_OK, rc == SQLITE_NOMEM ? CLAVE_ERR_NOMEM : CLAVE_ERR_STORE,
                 "query db: cannot open an in-memory database");
    CLAVE_ENSURE(
        sqlite3_db_config(db->handle, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL) == SQLITE_OK &&
            sqlite3_db_config(db->handle, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, NULL) ==
                SQLITE_OK &&
            sqlite3_db_config(db->handle, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL) == SQLITE_OK,
        CLAVE_ERR_STORE, "query db: cannot configure SQLite");
    (void)sqlite3_limit(db->handle, SQLITE_LIMIT_ATTACHED, 0);
    CLAVE_CHECK(exec(db->handle, "PRAGMA temp_store=MEMORY"));
    CLAVE_CHECK(exec(db->handle, "PRAGMA secure_delete=ON"));
    CLAVE_CHECK(exec(db->handle, "PRAGMA journal_mode=OFF"));
    *out = db;
    db = NULL;
    st = CLAVE_OK;
done:
    clave_query_db_free(db);
    return st;
}

static void schema_free(struct clave_query_table *t)
{
    for (size_t c = 0; t->columns != NULL && c < t->column_count; c++) {
        free((char *)(uintptr_t)t->columns[c].name);
    }
    free((struct clave_query_column *)(uintptr_t)t->columns);
    free((char *)(uintptr_t)t->dataset);
    *t = (struct clave_query_table){0};
}

void clave_query_db_free(struct clave_query_db *db)
{
    if (db == NULL) {
        return;
    }
    sqlite3_close_v2(db->handle);
    for (size_t i = 0; i < db->table_count; i++) {
        schema_free(&db->tables[i].schema);
    }
    free(db->tables);
    free(db);
}

sqlite3 *query__db_handle(struct clave_query_db *db)
{
    return db->handle;
}

const struct clave_query_table *query__db_table(const struct clave_query_db *db,
                                                const char *dataset)
{
    for (size_t i = 0; i < db->table_count; i++) {
        if (strcmp(db->tables[i].schema.dataset, dataset) == 0) {
            return &db->tables[i].schema;
        }
    }
    return NULL;
}

/* Validate and copy `t` (names [A-Za-z0-9._@-], known types, no duplicate column). */
clave_status query__db_schema_copy(const struct clave_query_table *t, struct clave_query_table *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_query_column *cols = NULL;
    *out = (struct clave_query_table){0};
    CLAVE_ENSURE(query__valid_name(t->dataset, CLAVE_QUERY_NAME_MAX, "._@-"), CLAVE_ERR_ARG,
                 "query db: bad dataset id");
    CLAVE_ENSURE(t->columns != NULL && t->column_count >= 1 &&
                     t->column_count <= CLAVE_QUERY_COLUMNS_MAX,
                 CLAVE_ERR_ARG, "query db: %s: 1..%d columns", t->dataset, CLAVE_QUERY_COLUMNS_MAX);
    out->dataset = strdup(t->dataset);
    cols = calloc(t->column_count, sizeof(*cols));
    out->columns = cols;
    CLAVE_ENSURE_ALLOC(out->dataset);
    CLAVE_ENSURE_ALLOC(cols);
    for (size_t c = 0; c < t->column_count; c++) {
        CLAVE_ENSURE(query__valid_name(t->columns[c].name, CLAVE_QUERY_NAME_MAX, "._@-") &&
                         query__type_name(t->columns[c].type)[0] != '?',
                     CLAVE_ERR_ARG, "query db: %s: column %zu: bad name or type", t->dataset, c);
        for (size_t d = 0; d < c; d++) {
            CLAVE_ENSURE(strcmp(cols[d].name, t->columns[c].name) != 0, CLAVE_ERR_ARG,
                         "query db: %s: duplicate column %s", t->dataset, t->columns[c].name);
        }
        cols[c] = (struct clave_query_column){strdup(t->columns[c].name), t->columns[c].type};
        out->column_count = c + 1;
        CLAVE_ENSURE_ALLOC(cols[c].name);
    }
    st = CLAVE_OK;
done:
    if (st != CLAVE_OK) {
        schema_free(out);
    }
    return st;
}

clave_status query__db_register(struct clave_query_db *db, struct clave_query_table *schema)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct loaded_table *t = realloc(db->tables, (db->table_count + 1) * sizeof(*t));
    CLAVE_ENSURE_ALLOC(t);
    db->tables = t;
    db->tables[db->table_count++].schema = *schema;
    *schema = (struct clave_query_table){0};
    st = CLAVE_OK;
done:
    return st;
}

void query__db_schema_free(struct clave_query_table *t)
{
    schema_free(t);
}
