/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SQLite store of the budget ledger. Durability and atomicity come from SQLite itself:
 * journal_mode=WAL, synchronous=FULL (the WAL is fsync'd at every commit, so a committed debit
 * survives a crash or power loss), and every debit runs in BEGIN IMMEDIATE, which takes the
 * database's write lock before reading the spend, so two processes can never both see the same
 * remaining budget. busy_timeout makes a concurrent writer wait instead of failing.
 */
#include "dp/ledger.h"

#include "core/check.h"

#include <jansson.h>
#include <sqlite3.h>
#include <stdlib.h>

#define BUSY_TIMEOUT_MS 60000

static const char SCHEMA[] =
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=FULL;"
    "CREATE TABLE IF NOT EXISTS dp_budget("
    " collaboration TEXT NOT NULL, contract TEXT NOT NULL, dataset TEXT NOT NULL,"
    " party TEXT NOT NULL, eps_cap INTEGER NOT NULL, delta_cap INTEGER NOT NULL,"
    " window_seconds INTEGER NOT NULL, created INTEGER NOT NULL,"
    " PRIMARY KEY(collaboration, contract, dataset, party));"
    "CREATE TABLE IF NOT EXISTS dp_debit("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " collaboration TEXT NOT NULL, contract TEXT NOT NULL, dataset TEXT NOT NULL,"
    " party TEXT NOT NULL, time INTEGER NOT NULL, window_start INTEGER NOT NULL,"
    " who TEXT NOT NULL, what TEXT NOT NULL, eps INTEGER NOT NULL, delta INTEGER NOT NULL,"
    " mechanism TEXT NOT NULL, accountant TEXT NOT NULL,"
    " eps_remaining INTEGER NOT NULL, delta_remaining INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS dp_debit_window"
    " ON dp_debit(collaboration, contract, dataset, party, window_start);";

#define KEY_WHERE "collaboration = ?1 AND contract = ?2 AND dataset = ?3 AND party = ?4"

static clave_status sql_fail(sqlite3 *db, const char *what)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_RAISE(CLAVE_ERR_IO, "dp ledger: %s: %s", what, db != NULL ? sqlite3_errmsg(db) : "?");
done:
    return st;
}

clave_status dp__sqlite_open(const char *path, void **store)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    sqlite3 *db = NULL;
    *store = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
        CLAVE_CHECK(sql_fail(db, "open"));
    }
    sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
    if (sqlite3_exec(db, SCHEMA, NULL, NULL, NULL) != SQLITE_OK) {
        CLAVE_CHECK(sql_fail(db, "schema"));
    }
    *store = db;
    db = NULL;
    st = CLAVE_OK;
done:
    sqlite3_close(db);
    return st;
}

static void sqlite_close(void *store)
{
    sqlite3_close(store);
}

static clave_status prepare(sqlite3 *db, const char *sql, const struct clave_dp_budget_key *key,
                            sqlite3_stmt **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    *out = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, out, NULL) != SQLITE_OK) {
        CLAVE_CHECK(sql_fail(db, "prepare"));
    }
    if (key != NULL) {
        sqlite3_bind_text(*out, 1, key->collaboration, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(*out, 2, key->contract, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(*out, 3, key->dataset, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(*out, 4, key->party, -1, SQLITE_TRANSIENT);
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status sqlite_set_budget(void *store, const struct clave_dp_budget_key *key,
                                      struct dp_amount cap, int64_t window_seconds, int64_t now)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    sqlite3_stmt *s = NULL;
    CLAVE_CHECK(prepare(store,
                        "INSERT OR REPLACE INTO dp_budget VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                        key, &s));
    sqlite3_bind_int64(s, 5, cap.epsilon);
    sqlite3_bind_int64(s, 6, cap.delta);
    sqlite3_bind_int64(s, 7, window_seconds);
    sqlite3_bind_int64(s, 8, now);
    if (sqlite3_step(s) != SQLITE_DONE) {
        CLAVE_CHECK(sql_fail(store, "set budget"));
    }
    st = CLAVE_OK;
done:
    sqlite3_finalize(s);
    return st;
}

/* Cap, window and spend in the window containing `now` (inside the caller's transaction). */
static clave_status read_status(sqlite3 *db, const struct clave_dp_budget_key *key, int64_t now,
                                struct dp_status_units *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    sqlite3_stmt *s = NULL;
    CLAVE_CHECK(prepare(
        db, "SELECT eps_cap, delta_cap, window_seconds FROM dp_budget WHERE " KEY_WHERE, key, &s));
    int rc = sqlite3_step(s);
    CLAVE_ENSURE(rc != SQLITE_DONE, CLAVE_ERR_NOT_FOUND, "dp ledger: no budget for %s/%s/%s/%s",
                 key->collaboration, key->contract, key->dataset, key->party);
    if (rc != SQLITE_ROW) {
        CLAVE_CHECK(sql_fail(db, "read budget"));
    }
    out->cap = (struct dp_amount){sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1)};
    out->window_seconds = sqlite3_column_int64(s, 2);
    out->window_start = dp__window_start(out->window_seconds, now);
    sqlite3_finalize(s);
    s = NULL;
    CLAVE_CHECK(prepare(db,
                        "SELECT COALESCE(SUM(eps), 0), COALESCE(SUM(delta), 0) FROM dp_debit"
                        " WHERE " KEY_WHERE " AND window_start = ?5",
                        key, &s));
    sqlite3_bind_int64(s, 5, out->window_start);
    if (sqlite3_step(s) != SQLITE_ROW) {
        CLAVE_CHECK(sql_fail(db, "read spend"));
    }
    out->spent = (struct dp_amount){sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1)};
    st = CLAVE_OK;
done:
    sqlite3_finalize(s);
    return st;
}

static clave_status insert_debit(sqlite3 *db, const struct clave_dp_budget_key *key,
                                 const struct dp_debit_units *d, int64_t now, int64_t window_start,
                                 struct dp_amount remaining)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    sqlite3_stmt *s = NULL;
    CLAVE_CHECK(prepare(db,
                        "INSERT INTO dp_debit (collaboration, contract, dataset, party, time,"
                        " window_start, who, what, eps, delta, mechanism, accountant,"
                        " eps_remaining, delta_remaining) VALUES"
                        " (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                        key, &s));
    sqlite3_bind_int64(s, 5, now);
    sqlite3_bind_int64(s, 6, window_start);
    sqlite3_bind_text(s, 7, d->debit->who, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 8, d->debit->what, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 9, d->amount.epsilon);
    sqlite3_bind_int64(s, 10, d->amount.delta);
    sqlite3_bind_text(s, 11, d->debit->mechanism, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 12, d->debit->accountant, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 13, remaining.epsilon);
    sqlite3_bind_int64(s, 14, remaining.delta);
    if (sqlite3_step(s) != SQLITE_DONE) {
        CLAVE_CHECK(sql_fail(db, "insert debit"));
    }
    st = CLAVE_OK;
done:
    sqlite3_finalize(s);
    return st;
}

static clave_status sqlite_debit(void *store, const struct clave_dp_budget_key *key,
                                 const struct dp_debit_units *d, int64_t now,
                                 struct dp_debit_result *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    sqlite3 *db = store;
    struct dp_status_units u = {0};
    bool open = false;
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
        CLAVE_CHECK(sql_fail(db, "begin"));
    }
    open = true;
    CLAVE_CHECK(read_status(db, key, now, &u));
    struct dp_amount rem = {u.cap.epsilon - u.spent.epsilon - d->amount.epsilon,
                            u.cap.delta - u.spent.delta - d->amount.delta};
    CLAVE_ENSURE(rem.epsilon >= 0 && rem.delta >= 0, CLAVE_ERR_LIMIT,
                 "dp ledger: budget exhausted (epsilon spent %.9g of %.9g, delta %.3g of %.3g)",
                 (double)u.spent.epsilon / DP_EPS_UNITS, (double)u.cap.epsilon / DP_EPS_UNITS,
                 (double)u.spent.delta / DP_DELTA_UNITS, (double)u.cap.delta / DP_DELTA_UNITS);
    CLAVE_CHECK(insert_debit(db, key, d, now, u.window_start, rem));
    out->id = sqlite3_last_insert_rowid(db);
    out->remaining = rem;
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        CLAVE_CHECK(sql_fail(db, "commit"));
    }
    open = false;
    st = CLAVE_OK;
done:
    if (open) {
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    }
    return st;
}

static clave_status sqlite_status(void *store, const struct clave_dp_budget_key *key, int64_t now,
                                  struct dp_status_units *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    sqlite3 *db = store;
    bool open = false;
    if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
        CLAVE_CHECK(sql_fail(db, "begin"));
    }
    open = true;
    CLAVE_CHECK(read_status(db, key, now, out));
    st = CLAVE_OK;
done:
    if (open) {
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    }
    return st;
}

static json_t *record_json(sqlite3_stmt *s)
{
    return json_pack(
        "{s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:f, s:f, s:s, s:s, s:f, s:f}", "id",
        (json_int_t)sqlite3_column_int64(s, 0), "time", (json_int_t)sqlite3_column_int64(s, 1),
        "collaboration", (const char *)sqlite3_column_text(s, 2), "contract",
        (const char *)sqlite3_column_text(s, 3), "dataset", (const char *)sqlite3_column_text(s, 4),
        "party", (const char *)sqlite3_column_text(s, 5), "who",
        (const char *)sqlite3_column_text(s, 6), "what", (const char *)sqlite3_column_text(s, 7),
        "epsilon", (double)sqlite3_column_int64(s, 8) / DP_EPS_UNITS, "delta",
        (double)sqlite3_column_int64(s, 9) / DP_DELTA_UNITS, "mechanism",
        (const char *)sqlite3_column_text(s, 10), "accountant",
        (const char *)sqlite3_column_text(s, 11), "epsilon_remaining",
        (double)sqlite3_column_int64(s, 12) / DP_EPS_UNITS, "delta_remaining",
        (double)sqlite3_column_int64(s, 13) / DP_DELTA_UNITS);
}

static clave_status sqlite_records(void *store, const struct clave_dp_budget_key *key,
                                   clave_dp_record_fn fn, void *ctx)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    sqlite3_stmt *s = NULL;
    json_t *j = NULL;
    char *text = NULL;
    int rc = 0;
    CLAVE_CHECK(prepare(store,
                        "SELECT id, time, collaboration, contract, dataset, party, who, what, eps,"
                        " delta, mechanism, accountant, eps_remaining, delta_remaining"
                        " FROM dp_debit WHERE " KEY_WHERE " ORDER BY id",
                        key, &s));
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        j = record_json(s);
        CLAVE_ENSURE_ALLOC(j);
        text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
        CLAVE_ENSURE_ALLOC(text);
        bool more = fn(ctx, text);
        free(text);
        text = NULL;
        json_decref(j);
        j = NULL;
        if (!more) {
            rc = SQLITE_DONE;
            break;
        }
    }
    if (rc != SQLITE_DONE) {
        CLAVE_CHECK(sql_fail(store, "read records"));
    }
    st = CLAVE_OK;
done:
    free(text);
    json_decref(j);
    sqlite3_finalize(s);
    return st;
}

const struct dp_ledger_ops dp__sqlite_ledger_ops = {
    "sqlite", sqlite_close, sqlite_set_budget, sqlite_debit, sqlite_status, sqlite_records,
};
