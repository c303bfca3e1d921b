/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Test-only helpers for code that runs on the metadata store: one test executable, both backends.
 * PostgreSQL when CLAVE_TEST_PG_CONNINFO is set (ctest's <test>_pg entries, see
 * tests/testlib/pg_fixture.cmake), SQLite in a fresh temporary directory otherwise.
 */
#ifndef CLAVE_TESTLIB_STORELIB_H
#define CLAVE_TESTLIB_STORELIB_H

#include "testlib.h"

#include <stdbool.h>

struct t_store {
    char *dir;       /* fresh temporary directory (also for PostgreSQL runs) */
    char path[1024]; /* SQLite database file */
    struct clave_store_config cfg;
    struct clave_store *store;
};

/* Open a store for a test and drop `tables` (n names) so the test starts empty. Caller closes
 * with t_store_close. Aborts the test on failure: a configured PostgreSQL that cannot be reached
 * fails, it never falls back to SQLite. */
struct t_store *t_store_open(const char *const *tables, size_t n);
void t_store_close(struct t_store *t);

bool t_store_is_pg(const struct t_store *t);

/* Run DDL that differs between the backends. */
void t_store_ddl(struct t_store *t, const char *sqlite_sql, const char *pg_sql);

/* The integer in the one row and column `sql` (no parameters) returns. */
int64_t t_store_count(struct t_store *t, const char *sql);

#endif
