/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the `clave dp` subcommands (dp.c, dp_query.c). */
#ifndef CLAVE_CLI_DP_H
#define CLAVE_CLI_DP_H

#include "cli.h"

#include <stdint.h>

/* Parse a number for --NAME; prints "clave dp: ..." naming the parameter on failure. */
bool dp_cli_double(const char *name, const char *arg, double *out);

/* Parse a positive integer (digits only) for --NAME, at most `max`. */
bool dp_cli_u64(const char *name, const char *arg, uint64_t max, uint64_t *out);

/* Ledger options: where (--ledger FILE for SQLite or --ledger-pg CONNINFO, --busy-timeout MS)
 * and the key (--collaboration --contract --dataset --party, defaults "local"/"cli"). */
struct dp_cli_ledger {
    const char *path;
    const char *pg_conninfo;
    uint32_t busy_timeout_ms; /* 0: the store's default */
    struct clave_dp_budget_key key;
    const char *who;
    bool bad; /* an option value was rejected (message printed) */
};

enum {
    DP_OPT_LEDGER = 2000,
    DP_OPT_COLLABORATION,
    DP_OPT_CONTRACT,
    DP_OPT_DATASET,
    DP_OPT_PARTY,
    DP_OPT_WHO,
    DP_OPT_LEDGER_PG,
    DP_OPT_BUSY_TIMEOUT,
};

#define DP_LEDGER_LONG_OPTIONS                                                                     \
    {"ledger", required_argument, NULL, DP_OPT_LEDGER},                                            \
        {"collaboration", required_argument, NULL, DP_OPT_COLLABORATION},                          \
        {"contract", required_argument, NULL, DP_OPT_CONTRACT},                                    \
        {"dataset", required_argument, NULL, DP_OPT_DATASET},                                      \
        {"party", required_argument, NULL, DP_OPT_PARTY},                                          \
        {"ledger-pg", required_argument, NULL, DP_OPT_LEDGER_PG},                                  \
        {"busy-timeout", required_argument, NULL, DP_OPT_BUSY_TIMEOUT},                            \
    {                                                                                              \
        "who", required_argument, NULL, DP_OPT_WHO                                                 \
    }

#define DP_LEDGER_HELP                                                                             \
    "ledger options:\n"                                                                            \
    "  --ledger FILE           budget ledger in a SQLite file\n"                                   \
    "  --ledger-pg CONNINFO    budget ledger in PostgreSQL (libpq connection string; keep\n"       \
    "                          passwords in ~/.pgpass, not on the command line)\n"                 \
    "  --busy-timeout MS       wait at most MS for a locked ledger (default 5000)\n"               \
    "  --collaboration ID      (default local)\n"                                                  \
    "  --contract ID           (default cli)\n"                                                    \
    "  --dataset ID            (default default)\n"                                                \
    "  --party ID              (default local)\n"                                                  \
    "  --who NAME              who is asking, recorded with each debit (default $USER)\n"

void dp_cli_ledger_init(struct dp_cli_ledger *l);
/* Handles a ledger option (true), else false; a rejected value sets l->bad. */
bool dp_cli_ledger_opt(struct dp_cli_ledger *l, int opt, const char *arg);
/* Whether a ledger was named (exactly one of --ledger, --ledger-pg; prints an error if both). */
bool dp_cli_ledger_named(const struct dp_cli_ledger *l);
/* Open the store the options name and a ledger over it; close both with dp_cli_ledger_close. */
clave_status dp_cli_ledger_open(const struct dp_cli_ledger *l, struct clave_store **store,
                                struct clave_dp_ledger **ledger);
void dp_cli_ledger_close(struct clave_store *store, struct clave_dp_ledger *ledger);

int cli_dp_query(int argc, char **argv);

#endif
