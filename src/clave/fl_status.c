/* SPDX-License-Identifier: Apache-2.0 */
/* clave fl status: the coordinator's view of an FL contract's federation; the round lines that
 * clave fl join prints too. */
#include "fl_cli.h"

#include "remote.h"

#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char STATUS_USAGE[] =
    "usage: clave fl status --contract ID [--json]\n"
    "\n"
    "Show the coordinator's view of the federation of FL contract ID (docs/fl.md \"Over the\n"
    "coordinator\"): its state (joining, running, done, failed) and why, clients joined, the\n"
    "current round and phase, and one line per round: clients reporting/selected, rejected\n"
    "messages, training loss, federated-evaluation accuracy, epsilon spent, round time. Under\n"
    "client-level DP, one line per party: its budget in the coordinator's ledger (the key\n"
    "(collaboration, contract, \"fl\", party); also 'clave dp status --dataset fl ...').\n"
    "Needs a session of a user whose party is a member of the contract's collaboration.\n"
    "\n"
    "  --contract ID  the contract id (64 hex digits)\n"
    "  --json         the coordinator's JSON document\n";

static double num(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

static json_int_t integer(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_integer(v) ? json_integer_value(v) : 0;
}

void fl_cli_print_row(const json_t *row, json_int_t rounds, bool json)
{
    if (json) {
        char *text = json_dumps(row, JSON_COMPACT);
        if (text != NULL) {
            printf("%s\n", text);
        }
        free(text);
    } else {
        printf("round %lld/%lld  clients %lld/%lld  rejected %lld  loss %.4f  accuracy %.4f  "
               "epsilon %.3f  time %.2fs%s\n",
               (long long)integer(row, "round"), (long long)rounds,
               (long long)integer(row, "reported"), (long long)integer(row, "selected"),
               (long long)integer(row, "rejected"), num(row, "train_loss"), num(row, "accuracy"),
               num(row, "epsilon"), num(row, "seconds"),
               json_is_true(json_object_get(row, "aborted")) ? "  ABORTED (too few clients)" : "");
    }
    fflush(stdout);
}

static void print_status(const json_t *s)
{
    const json_t *history = json_object_get(s, "history");
    const char *reason = json_string_value(json_object_get(s, "reason"));
    printf("fl %s (%s): %s%s%s; clients %lld/%lld joined (%lld per round, at least %lld); round "
           "%lld/%lld, phase %s; %s model, %s, %s updates, DP %s; epsilon %.3f; %.1fs\n",
           json_string_value(json_object_get(s, "name")),
           json_string_value(json_object_get(s, "contract")),
           json_string_value(json_object_get(s, "state")),
           reason != NULL && reason[0] != '\0' ? ": " : "", reason != NULL ? reason : "",
           (long long)integer(s, "joined"), (long long)integer(s, "clients"),
           (long long)integer(s, "clients_per_round"), (long long)integer(s, "min_clients"),
           (long long)integer(s, "round"), (long long)integer(s, "rounds"),
           json_string_value(json_object_get(s, "phase")),
           json_string_value(json_object_get(s, "model")),
           json_string_value(json_object_get(s, "strategy")),
           json_string_value(json_object_get(s, "protection")),
           json_string_value(json_object_get(s, "dp")), num(s, "epsilon"), num(s, "elapsed_s"));
    for (size_t i = 0; i < json_array_size(history); i++) {
        fl_cli_print_row(json_array_get(history, i), integer(s, "rounds"), false);
    }
    const json_t *budgets = json_object_get(s, "budgets");
    for (size_t i = 0; i < json_array_size(budgets); i++) {
        const json_t *b = json_array_get(budgets, i);
        printf("budget %s: epsilon %.6f of %.6f spent, delta %.3g of %.3g (paid through round "
               "%lld)\n",
               json_string_value(json_object_get(b, "party")), num(b, "epsilon_spent"),
               num(b, "epsilon_cap"), num(b, "delta_spent"), num(b, "delta_cap"),
               (long long)integer(b, "paid_round"));
    }
}

bool fl_cli_contract_ok(const char *id)
{
    if (id == NULL || strlen(id) != 64) {
        fprintf(stderr, "clave fl: --contract: 64 hex digits\n");
        return false;
    }
    for (const char *p = id; *p != '\0'; p++) {
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) {
            fprintf(stderr, "clave fl: --contract: 64 lowercase hex digits\n");
            return false;
        }
    }
    return true;
}

int fl_status(int argc, char **argv)
{
    static const struct option LONG_OPTIONS[] = {
        {"contract", required_argument, NULL, 'c'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *contract = NULL;
    bool json = false;
    int opt = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", LONG_OPTIONS, NULL)) != -1) {
        if (opt == 'c') {
            contract = optarg;
        } else if (opt == 'j') {
            json = true;
        } else if (opt == 'h') {
            fputs(STATUS_USAGE, stdout);
            return 0;
        } else {
            fputs(STATUS_USAGE, stderr);
            return CLI_USAGE;
        }
    }
    if (contract == NULL || optind != argc) {
        fputs(STATUS_USAGE, stderr);
        return CLI_USAGE;
    }
    if (!fl_cli_contract_ok(contract)) {
        return CLI_USAGE;
    }
    char path[128];
    json_t *doc = NULL;
    snprintf(path, sizeof(path), "/v1/fl/%s/status", contract);
    int rc = cli_call("fl status", "GET", path, NULL, 200, &doc);
    if (rc == 0 && json) {
        char *text = json_dumps(doc, JSON_INDENT(2));
        printf("%s\n", text != NULL ? text : "{}");
        free(text);
    } else if (rc == 0) {
        print_status(doc);
    }
    json_decref(doc);
    return rc;
}
