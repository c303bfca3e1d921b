/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Versioned schema migrations. The table schema_migrations holds one row per applied
 * (module, version). All pending steps and their records commit together or not at all.
 */
#include "store/store_internal.h"

#include "core/check.h"

#include <string.h>

#define MODULE_NAME_MAX 63

/* Session-level advisory lock that serialises migrating replicas on PostgreSQL ("clave" in
 * ASCII); SQLite serialises them with BEGIN IMMEDIATE. */
#define PG_LOCK_SQL "SELECT pg_advisory_lock(426836521573)"
#define PG_UNLOCK_SQL "SELECT pg_advisory_unlock(426836521573)"

static const char CREATE_TABLE[] = "CREATE TABLE IF NOT EXISTS schema_migrations ("
                                   "module TEXT NOT NULL, version INTEGER NOT NULL, "
                                   "PRIMARY KEY (module, version))";

static bool module_name_valid(const char *name)
{
    if (name == NULL) {
        return false;
    }
    size_t len = strnlen(name, MODULE_NAME_MAX + 1);
    if (len == 0 || len > MODULE_NAME_MAX) {
        return false;
    }
    return strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_") == len;
}

/* Each module's versions are 1, 2, 3, ... in array order; every step has both scripts. */
static clave_status check_array(const struct clave_store_migration *m, size_t n)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(n == 0 || m != NULL, CLAVE_ERR_ARG, "migrate: NULL array");
    for (size_t i = 0; i < n; i++) {
        CLAVE_ENSURE(module_name_valid(m[i].module), CLAVE_ERR_ARG,
                     "migrate: entry %zu: module name must be [a-z0-9_]{1,63}", i);
        CLAVE_ENSURE(m[i].sqlite_sql != NULL && m[i].pg_sql != NULL, CLAVE_ERR_ARG,
                     "migrate: %s v%d: missing a backend's script", m[i].module, m[i].version);
        int expect = 1;
        for (size_t j = i; j-- > 0;) {
            if (strcmp(m[j].module, m[i].module) == 0) {
                expect = m[j].version + 1;
                break;
            }
        }
        CLAVE_ENSURE(m[i].version == expect, CLAVE_ERR_ARG,
                     "migrate: %s: version %d where %d was expected", m[i].module, m[i].version,
                     expect);
    }
    st = CLAVE_OK;
done:
    return st;
}

/* Highest version of `module` recorded in the database, 0 if none. */
static clave_status current_version(struct clave_store *s, const char *module, int *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_store_rows *rows = NULL;
    struct clave_store_param p = clave_store_param_text(module);
    int64_t v = 0;
    *out = 0;
    CLAVE_CHECK(clave_store_query_one(
        s, "SELECT MAX(version) FROM schema_migrations WHERE module = ?", &p, 1, &rows));
    if (!clave_store_rows_is_null(rows, 0, 0)) {
        CLAVE_CHECK(clave_store_rows_get_int(rows, 0, 0, &v));
    }
    CLAVE_ENSURE(v >= 0 && v <= INT32_MAX, CLAVE_ERR_STORE, "migrate: %s: bad version", module);
    *out = (int)v;
    st = CLAVE_OK;
done:
    clave_store_rows_free(rows);
    return st;
}

/* The newest version of `module` the code knows: the last entry for it in the array. */
static int known_version(const struct clave_store_migration *m, size_t n, const char *module)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(m[i].module, module) == 0) {
            v = m[i].version;
        }
    }
    return v;
}

static clave_status refuse_newer(struct clave_store *s, const struct clave_store_migration *m,
                                 size_t n)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    for (size_t i = 0; i < n; i++) {
        if (m[i].version != 1) {
            continue; /* check each module once */
        }
        int have = 0;
        int known = known_version(m, n, m[i].module);
        CLAVE_CHECK(current_version(s, m[i].module, &have));
        CLAVE_ENSURE(have <= known, CLAVE_ERR_UNSUPPORTED,
                     "migrate: database schema of %s is at version %d, this code knows %d",
                     m[i].module, have, known);
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status apply_pending(struct clave_store *s, const struct clave_store_migration *m,
                                  size_t n, size_t *applied)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    for (size_t i = 0; i < n; i++) {
        int have = 0;
        CLAVE_CHECK(current_version(s, m[i].module, &have));
        if (m[i].version <= have) {
            continue;
        }
        const char *sql = s->backend == CLAVE_STORE_SQLITE ? m[i].sqlite_sql : m[i].pg_sql;
        CLAVE_CHECK_CTX(clave__store_script(s, sql), "migrate: %s v%d", m[i].module, m[i].version);
        struct clave_store_param rec[2] = {clave_store_param_text(m[i].module),
                                           clave_store_param_int(m[i].version)};
        CLAVE_CHECK(clave_store_exec(
            s, "INSERT INTO schema_migrations (module, version) VALUES (?, ?)", rec, 2, NULL));
        (*applied)++;
    }
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_store_migrate(struct clave_store *store,
                                 const struct clave_store_migration *migrations, size_t n,
                                 size_t *applied)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    bool locked = false;
    size_t count = 0;
    if (applied != NULL) {
        *applied = 0;
    }
    CLAVE_ENSURE(store != NULL, CLAVE_ERR_ARG, "migrate: NULL store");
    CLAVE_ENSURE(!store->in_tx, CLAVE_ERR_STATE, "migrate: a transaction is open");
    CLAVE_CHECK(check_array(migrations, n));
    if (store->backend == CLAVE_STORE_POSTGRES) {
        CLAVE_CHECK(clave__store_script(store, PG_LOCK_SQL));
        locked = true;
    }
    CLAVE_CHECK(clave_store_begin(store, CLAVE_STORE_TX_WRITE));
    CLAVE_CHECK(clave__store_script(store, CREATE_TABLE));
    CLAVE_CHECK(refuse_newer(store, migrations, n));
    CLAVE_CHECK(apply_pending(store, migrations, n, &count));
    CLAVE_CHECK(clave_store_commit(store));
    if (applied != NULL) {
        *applied = count;
    }
    st = CLAVE_OK;
done:
    if (store != NULL) {
        clave_store_rollback(store);
    }
    if (locked) {
        (void)store->ops->script(store, PG_UNLOCK_SQL);
    }
    return st;
}

clave_status clave_store_schema_version(struct clave_store *store, const char *module, int *version)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(version != NULL, CLAVE_ERR_ARG, "migrate: NULL version");
    *version = 0;
    CLAVE_ENSURE(store != NULL && module_name_valid(module), CLAVE_ERR_ARG,
                 "migrate: bad store or module name");
    CLAVE_CHECK(clave__store_script(store, CREATE_TABLE));
    CLAVE_CHECK(current_version(store, module, version));
    st = CLAVE_OK;
done:
    return st;
}
