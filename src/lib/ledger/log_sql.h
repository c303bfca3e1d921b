/* SPDX-License-Identifier: Apache-2.0 */
/* The ledger's schema (both backends) and statements ('?' placeholders, see store.h). */
#ifndef CLAVE_LEDGER_LOG_SQL_H
#define CLAVE_LEDGER_LOG_SQL_H

#include <clave/store.h>

static const struct clave_store_migration CLAVE_LEDGER_MIGRATIONS[] = {
    {"ledger", 1,
     "CREATE TABLE ledger_leaves (idx INTEGER PRIMARY KEY, leaf_hash BLOB NOT NULL,"
     " event BLOB NOT NULL, created_ms INTEGER NOT NULL);"
     "CREATE TABLE ledger_nodes (level INTEGER NOT NULL, idx INTEGER NOT NULL,"
     " hash BLOB NOT NULL, PRIMARY KEY (level, idx));"
     "CREATE TABLE ledger_sth (tree_size INTEGER PRIMARY KEY, timestamp_ms INTEGER NOT NULL,"
     " root BLOB NOT NULL, log_id BLOB NOT NULL, signature BLOB NOT NULL);",
     "CREATE TABLE ledger_leaves (idx BIGINT PRIMARY KEY, leaf_hash BYTEA NOT NULL,"
     " event BYTEA NOT NULL, created_ms BIGINT NOT NULL);"
     "CREATE TABLE ledger_nodes (level INTEGER NOT NULL, idx BIGINT NOT NULL,"
     " hash BYTEA NOT NULL, PRIMARY KEY (level, idx));"
     "CREATE TABLE ledger_sth (tree_size BIGINT PRIMARY KEY, timestamp_ms BIGINT NOT NULL,"
     " root BYTEA NOT NULL, log_id BYTEA NOT NULL, signature BYTEA NOT NULL);"},
};
#define CLAVE_LEDGER_MIGRATION_COUNT                                                               \
    (sizeof(CLAVE_LEDGER_MIGRATIONS) / sizeof(CLAVE_LEDGER_MIGRATIONS[0]))

#define SQL_SIZE "SELECT COALESCE(MAX(idx) + 1, 0) FROM ledger_leaves"
#define SQL_LEAF_HASH "SELECT leaf_hash FROM ledger_leaves WHERE idx = ?"
#define SQL_NODE_HASH "SELECT hash FROM ledger_nodes WHERE level = ? AND idx = ?"
#define SQL_EVENT "SELECT event FROM ledger_leaves WHERE idx = ?"
#define SQL_INSERT_LEAF                                                                            \
    "INSERT INTO ledger_leaves (idx, leaf_hash, event, created_ms) VALUES (?, ?, ?, ?)"
#define SQL_INSERT_NODE "INSERT INTO ledger_nodes (level, idx, hash) VALUES (?, ?, ?)"
#define SQL_INSERT_STH                                                                             \
    "INSERT INTO ledger_sth (tree_size, timestamp_ms, root, log_id, signature)"                    \
    " VALUES (?, ?, ?, ?, ?)"
#define SQL_LATEST_STH                                                                             \
    "SELECT tree_size, timestamp_ms, root, log_id, signature FROM ledger_sth"                      \
    " ORDER BY tree_size DESC LIMIT 1"
#define SQL_SCAN_LEAVES                                                                            \
    "SELECT idx, leaf_hash, event FROM ledger_leaves WHERE idx >= ? AND idx < ? ORDER BY idx"
#define SQL_SCAN_NODES                                                                             \
    "SELECT level, idx, hash FROM ledger_nodes WHERE level = ? AND idx >= ? AND idx < ?"           \
    " ORDER BY idx"

#endif
