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

/* Ledger key options: --collaboration --contract --dataset --party (defaults "local"/"cli"). */
struct dp_cli_ledger {
    const char *path;
    struct clave_dp_budget_key key;
    const char *who;
};

enum {
    DP_OPT_LEDGER = 2000,
    DP_OPT_COLLABORATION,
    DP_OPT_CONTRACT,
    DP_OPT_DATASET,
    DP_OPT_PARTY,
    DP_OPT_WHO,
};

#define DP_LEDGER_LONG_OPTIONS                                                                     \
    {"ledger", required_argument, NULL, DP_OPT_LEDGER},                                            \
        {"collaboration", required_argument, NULL, DP_OPT_COLLABORATION},                          \
        {"contract", required_argument, NULL, DP_OPT_CONTRACT},                                    \
        {"dataset", required_argument, NULL, DP_OPT_DATASET},                                      \
        {"party", required_argument, NULL, DP_OPT_PARTY},                                          \
    {                                                                                              \
        "who", required_argument, NULL, DP_OPT_WHO                                                 \
    }

#define DP_LEDGER_HELP                                                                             \
    "ledger options:\n"                                                                            \
    "  --ledger FILE           SQLite budget ledger\n"                                             \
    "  --collaboration ID      (default local)\n"                                                  \
    "  --contract ID           (default cli)\n"                                                    \
    "  --dataset ID            (default default)\n"                                                \
    "  --party ID              (default local)\n"                                                  \
    "  --who NAME              who is asking, recorded with each debit (default $USER)\n"

void dp_cli_ledger_init(struct dp_cli_ledger *l);
bool dp_cli_ledger_opt(struct dp_cli_ledger *l, int opt, const char *arg);

int cli_dp_query(int argc, char **argv);

#endif
