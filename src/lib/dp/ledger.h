/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Budget ledger storage interface (private). The public API (ledger.c) validates input, converts
 * amounts to fixed point and formats records; a store implements these operations atomically.
 * ledger_sqlite.c is the SQLite store; a PostgreSQL store (coordinator issue) implements the same
 * table with the debit in one SERIALIZABLE (or SELECT ... FOR UPDATE on the budget row)
 * transaction. All amounts are integers: epsilon in units of 1e-9, delta in units of 1e-18.
 */
#ifndef CLAVE_DP_LEDGER_H
#define CLAVE_DP_LEDGER_H

#include <clave/dp.h>

#define DP_EPS_UNITS 1e9
#define DP_DELTA_UNITS 1e18
#define DP_KEY_MAX 256

struct dp_amount {
    int64_t epsilon; /* units of 1e-9 */
    int64_t delta;   /* units of 1e-18 */
};

struct dp_debit_units {
    const struct clave_dp_debit *debit; /* strings: who, what, mechanism, accountant */
    struct dp_amount amount;
};

struct dp_status_units {
    struct dp_amount cap;
    struct dp_amount spent;
    int64_t window_start;
    int64_t window_seconds;
};

struct dp_debit_result {
    int64_t id;
    struct dp_amount remaining;
};

struct dp_ledger_ops {
    const char *name;
    void (*close)(void *store);
    /* Create or replace the budget (keeps past debits; `now` starts the first window). */
    clave_status (*set_budget)(void *store, const struct clave_dp_budget_key *key,
                               struct dp_amount cap, int64_t window_seconds, int64_t now);
    /* In one transaction: read the cap and the current window's spend, fail with CLAVE_ERR_LIMIT
     * if the debit does not fit, else insert it; durable on return. */
    clave_status (*debit)(void *store, const struct clave_dp_budget_key *key,
                          const struct dp_debit_units *debit, int64_t now,
                          struct dp_debit_result *out);
    clave_status (*status)(void *store, const struct clave_dp_budget_key *key, int64_t now,
                           struct dp_status_units *out);
    /* Every debit for `key`, oldest first, as JSON text (see clave_dp_ledger_records). */
    clave_status (*records)(void *store, const struct clave_dp_budget_key *key,
                            clave_dp_record_fn fn, void *ctx);
};

struct clave_dp_ledger {
    const struct dp_ledger_ops *ops;
    void *store;
};

extern const struct dp_ledger_ops dp__sqlite_ledger_ops;

/* Open a SQLite store at `path`. */
clave_status dp__sqlite_open(const char *path, void **store);

/* Start of the window containing `now`: windows are aligned to multiples of window_seconds since
 * the Unix epoch (86400: UTC days); window_seconds 0 means one window forever (start 0). */
int64_t dp__window_start(int64_t window_seconds, int64_t now);

#endif
