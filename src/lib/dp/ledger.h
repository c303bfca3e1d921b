/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Budget ledger internals (private). The public API (ledger.c) validates input and converts
 * amounts to fixed point; ledger_store.c keeps them in two tables over the project's store
 * interface (include/clave/store.h), on SQLite or PostgreSQL alike. All amounts are integers:
 * epsilon in units of 1e-9, delta in units of 1e-18.
 */
#ifndef CLAVE_DP_LEDGER_H
#define CLAVE_DP_LEDGER_H

#include <clave/dp.h>
#include <clave/store.h>

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

struct clave_dp_ledger {
    struct clave_store *store; /* borrowed, or owned when `owned` */
    bool owned;
};

/* Apply the "dp_ledger" migrations to `store`. */
clave_status dp__store_migrate(struct clave_store *store);

/* Create or replace the budget (keeps past debits; `now` is recorded as its creation time). */
clave_status dp__store_set_budget(struct clave_store *store, const struct clave_dp_budget_key *key,
                                  struct dp_amount cap, int64_t window_seconds, int64_t now);

/* In one write transaction: read the cap and the current window's spend, fail with
 * CLAVE_ERR_LIMIT if the debit does not fit, else insert it; committed (durable) on return. */
clave_status dp__store_debit(struct clave_store *store, const struct clave_dp_budget_key *key,
                             const struct dp_debit_units *debit, int64_t now,
                             struct dp_debit_result *out);

/* The same debit for every key of `keys`, all in one write transaction: all recorded, or none
 * (`*failed` = the index of the key that refused, count on success). `results`: NULL or `count`
 * entries, each key's debit on success. */
clave_status dp__store_debit_all(struct clave_store *store, const struct clave_dp_budget_key *keys,
                                 size_t count, const struct dp_debit_units *debit, int64_t now,
                                 size_t *failed, struct dp_debit_result *results);

/* Cap and the current window's spend, read in one transaction. */
clave_status dp__store_status(struct clave_store *store, const struct clave_dp_budget_key *key,
                              int64_t now, struct dp_status_units *out);

/* Every debit for `key`, oldest first, as JSON text (see clave_dp_ledger_records). */
clave_status dp__store_records(struct clave_store *store, const struct clave_dp_budget_key *key,
                               clave_dp_record_fn fn, void *ctx);

/* Start of the window containing `now`: windows are aligned to multiples of window_seconds since
 * the Unix epoch (86400: UTC days); window_seconds 0 means one window forever (start 0). */
int64_t dp__window_start(int64_t window_seconds, int64_t now);

#endif
