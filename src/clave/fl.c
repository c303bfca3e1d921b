/* SPDX-License-Identifier: Apache-2.0 */
/*
 * clave fl run: a whole federated-learning simulation on one machine (N clients and the
 * aggregator in this process, or with --processes one process per client behind a socketpair,
 * exchanging the encoded messages of docs/formats/fl.md), with per-round progress lines. `clave fl
 * join` / `clave fl status` (fl_join.c, fl_status.c) run a client of an FL contract over the
 * coordinator.
 */
#include "fl_cli.h"

#include "he_cli.h"

#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char FL_USAGE[] =
    "usage: clave fl run --config FILE [--processes] [--json] [--out MODEL]\n"
    "       clave fl join --contract ID --data FILE --party P (--sign-key KEY.pem |\n"
    "                     --client-key CLIENT.pem --statement ST.cose) [--json] [--out MODEL]\n"
    "                     [--wait SECONDS]\n"
    "       clave fl status --contract ID [--json]\n"
    "       clave fl certify --contract ID --collab C --party P --client-key CLIENT.pem ...\n"
    "       clave fl keyholder --contract ID --party P --sign-key KEY.pem [--json] [--wait S]\n"
    "\n"
    "Run a federated-learning simulation on this machine (docs/fl.md): the clients and the\n"
    "aggregator of FILE's federation run in this process (or, with --processes, each client in\n"
    "its own process connected to the aggregator by a socketpair) and exchange the messages of\n"
    "docs/formats/fl.md, with secure aggregation (SecAgg+) or Paillier-packed updates (a key\n"
    "holder, in --processes mode a process of its own, decrypts only each round's sum),\n"
    "client-level DP, dropouts and hostile clients (in-process only) as configured. One progress\n"
    "line per round: round, clients reporting/selected, rejected messages, training loss,\n"
    "federated-evaluation loss and accuracy, epsilon spent, wall time (and the secure-aggregation\n"
    "or key-holder part).\n"
    "\n"
    "  --config FILE  the simulation (JSON; docs/fl.md \"Configuration\")\n"
    "  --processes    one process per client (fork + socketpair) instead of one process\n"
    "  --json         JSON lines instead of text\n"
    "  --out MODEL    write the final model (docs/formats/model.md)\n"
    "\n"
    "Training stops early when the DP budget (dp.epsilon_budget, or the ledger's) is spent.\n"
    "clave fl join runs one client of an FL contract over the coordinator, clave fl status\n"
    "shows the coordinator's view, clave fl certify makes a client-key statement with an\n"
    "identity key in a file or a token, clave fl keyholder holds the key of a paillier FL\n"
    "contract (see their --help).\n";

struct fl_args {
    const char *config;
    const char *out;
    bool json;
    bool processes;
};

/* The federation being run: in this process (sim) or one process per client (proc). */
struct fl_runner {
    struct clave_fl_sim *sim;
    struct fl_proc *proc;
};

static clave_status runner_round(struct fl_runner *r, bool eval, struct clave_fl_round_report *rep,
                                 double *secs, double *sa)
{
    return r->sim != NULL ? clave_fl_sim_round(r->sim, eval, rep, secs, sa)
                          : fl_proc_round(r->proc, eval, rep, secs, sa);
}

static struct clave_ml_model *runner_model(struct fl_runner *r)
{
    return r->sim != NULL ? clave_fl_sim_model(r->sim) : fl_proc_model(r->proc);
}

static int parse_args(int argc, char **argv, struct fl_args *a)
{
    static const struct option LONG_OPTIONS[] = {
        {"config", required_argument, NULL, 'c'}, {"json", no_argument, NULL, 'j'},
        {"out", required_argument, NULL, 'o'},    {"help", no_argument, NULL, 'h'},
        {"processes", no_argument, NULL, 'p'},    {NULL, 0, NULL, 0},
    };
    int opt = 0;
    memset(a, 0, sizeof(*a));
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", LONG_OPTIONS, NULL)) != -1) {
        switch (opt) {
        case 'c':
            a->config = optarg;
            break;
        case 'j':
            a->json = true;
            break;
        case 'o':
            a->out = optarg;
            break;
        case 'p':
            a->processes = true;
            break;
        case 'h':
            fputs(FL_USAGE, stdout);
            return 0;
        default:
            fputs(FL_USAGE, stderr);
            return CLI_USAGE;
        }
    }
    if (a->config == NULL || optind != argc) {
        fputs(FL_USAGE, stderr);
        return CLI_USAGE;
    }
    return -1;
}

/* A JSON number or null (NaN: not released or not measured). */
static void json_num(const char *key, double v)
{
    if (isfinite(v)) {
        printf(",\"%s\":%.6g", key, v);
    } else {
        printf(",\"%s\":null", key);
    }
}

static void print_round(const struct fl_args *a, const struct clave_fl_run_spec *run,
                        const struct clave_fl_round_report *r, double secs, double sa_secs)
{
    if (a->json) {
        printf("{\"round\":%u,\"selected\":%u,\"reported\":%u,\"rejected\":%u,\"aborted\":%s",
               r->round, r->selected, r->reported, r->rejected, r->aborted ? "true" : "false");
        json_num("train_loss", r->train_loss);
        json_num("eval_loss", r->eval_loss);
        json_num("accuracy", r->eval_accuracy);
        json_num("epsilon", r->epsilon);
        json_num("delta", r->delta);
        json_num("seconds", secs);
        json_num(run->cfg.protection == CLAVE_FL_PAILLIER ? "keyholder_seconds" : "secagg_seconds",
                 sa_secs);
        printf("}\n");
    } else {
        printf("round %u/%u  clients %u/%u  rejected %u  loss %.4f  accuracy %.4f  epsilon %.3f  "
               "time %.2fs",
               r->round, run->cfg.rounds, r->reported, r->selected, r->rejected, r->train_loss,
               r->eval_accuracy, r->epsilon, secs);
        if (run->cfg.protection == CLAVE_FL_SECAGG) {
            printf(" (secagg %.2fs)", sa_secs);
        } else if (run->cfg.protection == CLAVE_FL_PAILLIER) {
            printf(" (key holder %.2fs)", sa_secs);
        }
        printf("%s\n", r->aborted ? "  ABORTED (too few clients)" : "");
    }
    fflush(stdout);
}

/* The ledger named by the configuration, with a budget for this run's key unless one exists. */
static clave_status open_ledger(const struct clave_fl_run_spec *run,
                                const struct clave_dp_budget_key *key, struct clave_dp_ledger **out)
{
    clave_status st = clave_dp_ledger_open_sqlite(run->ledger, out);
    struct clave_dp_budget_status bs;
    if (st != CLAVE_OK) {
        return st;
    }
    st = clave_dp_ledger_status(*out, key, (int64_t)time(NULL), &bs);
    if (st == CLAVE_ERR_NOT_FOUND) {
        double cap = run->cfg.dp_epsilon_budget > 0.0 ? run->cfg.dp_epsilon_budget : 1e6;
        struct clave_dp_budget b = {cap, run->cfg.dp_delta, 0};
        st = clave_dp_ledger_set_budget(*out, key, &b);
    }
    return st;
}

static int run_rounds(const struct fl_args *a, const struct clave_fl_run_spec *run,
                      struct fl_runner *runner)
{
    struct clave_fl_round_report r;
    uint32_t done_rounds = 0;
    for (uint32_t k = 1; k <= run->cfg.rounds; k++) {
        bool eval = k == run->cfg.rounds || (run->eval_every > 0 && k % run->eval_every == 0);
        double secs = 0.0, sa = 0.0;
        clave_status st = runner_round(runner, eval, &r, &secs, &sa);
        if (st == CLAVE_ERR_LIMIT) {
            if (a->json) {
                printf("{\"stopped\":\"privacy budget spent\",\"rounds\":%u}\n", done_rounds);
            } else {
                printf("stopped: privacy budget spent after %u round(s) (%s)\n", done_rounds,
                       clave_error_last().detail);
            }
            return 0;
        }
        if (st != CLAVE_OK) {
            return cli_fail("fl round", st);
        }
        done_rounds = k;
        print_round(a, run, &r, secs, sa);
    }
    return 0;
}

static int save_model(const char *path, struct fl_runner *runner)
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    clave_status st = clave_ml_model_save(runner_model(runner), &bytes, &len);
    if (st != CLAVE_OK) {
        return cli_fail("fl model", st);
    }
    FILE *f = fopen(path, "wb");
    bool ok = f != NULL && fwrite(bytes, 1, len, f) == len;
    ok = (f != NULL && fclose(f) == 0) && ok;
    free(bytes);
    if (!ok) {
        fprintf(stderr, "clave fl: cannot write %s\n", path);
        return CLI_FAILED;
    }
    return 0;
}

static void print_header(const struct fl_args *a, const struct clave_fl_run_spec *run,
                         const struct fl_cli_data *d)
{
    const struct clave_fl_config *c = &run->cfg;
    if (a->json) {
        printf("{\"name\":\"%s\",\"rows\":%zu,\"clients\":%u,\"model\":\"%s\",\"strategy\":\"%s\","
               "\"protection\":\"%s\",\"dp\":\"%s\",\"processes\":%s}\n",
               run->name, d->rows, c->clients, clave_ml_model_kind_name(c->model.kind),
               clave_fl_strategy_name(c->strategy), clave_fl_protection_name(c->protection),
               clave_fl_dp_mode_name(c->dp), a->processes ? "true" : "false");
    } else {
        printf("fl %s: %zu rows, %u clients (%u per round, at least %u), %s model, %s, %s "
               "updates, DP %s; clients run %s\n",
               run->name, d->rows, c->clients, c->clients_per_round, c->min_clients,
               clave_ml_model_kind_name(c->model.kind), clave_fl_strategy_name(c->strategy),
               clave_fl_protection_name(c->protection), clave_fl_dp_mode_name(c->dp),
               a->processes ? "in separate processes" : "in this process");
    }
}

static int fl_run(int argc, char **argv)
{
    struct fl_args a;
    struct clave_fl_run_spec run;
    struct fl_cli_data d = {0};
    struct clave_dp_ledger *ledger = NULL;
    struct fl_runner runner = {NULL, NULL};
    uint8_t *text = NULL;
    size_t len = 0;
    int rc = parse_args(argc, argv, &a);
    if (rc >= 0) {
        return rc;
    }
    clave_status st = cli_he_read_file(a.config, FL_CLI_MAX_CONFIG, &text, &len);
    if (st != CLAVE_OK) {
        return cli_fail(a.config, st);
    }
    st = clave_fl_run_spec_parse((const char *)text, len, &run);
    free(text);
    if (st != CLAVE_OK) {
        return cli_fail(a.config, st);
    }
    struct clave_dp_budget_key key = {"fl-simulation", run.name, run.data_path, "aggregator"};
    if ((st = fl_cli_load(&run, &d)) != CLAVE_OK) {
        rc = cli_fail(run.data_path, st);
    } else if (run.ledger[0] != '\0' && (st = open_ledger(&run, &key, &ledger)) != CLAVE_OK) {
        rc = cli_fail(run.ledger, st);
    } else if (a.processes && run.faults.malicious > 0) {
        fprintf(stderr, "clave fl: \"malicious\" is simulated in-process only\n");
        rc = CLI_USAGE;
    } else if ((st = a.processes
                         ? fl_proc_new(&run, &d, ledger, ledger != NULL ? &key : NULL, &runner.proc)
                         : clave_fl_sim_new(&run.cfg, d.train, d.test, &run.faults, ledger,
                                            ledger != NULL ? &key : NULL, &runner.sim)) !=
               CLAVE_OK) {
        rc = cli_fail("fl config", st);
    } else {
        print_header(&a, &run, &d);
        rc = run_rounds(&a, &run, &runner);
        if (rc == 0 && a.out != NULL) {
            rc = save_model(a.out, &runner);
        }
    }
    clave_fl_sim_free(runner.sim);
    fl_proc_free(runner.proc);
    clave_dp_ledger_free(ledger);
    fl_cli_data_free(&d);
    return rc;
}

static const struct cli_command FL_COMMANDS[] = {
    {"run", "run a federated-learning simulation on this machine", fl_run},
    {"join", "run one client of an FL contract over the coordinator", fl_join},
    {"status", "the coordinator's view of an FL contract's federation", fl_status},
    {"certify", "certify an FL client key with the party's identity key", fl_certify},
    {"keyholder", "hold the Paillier key of a paillier FL contract over the coordinator",
     fl_keyholder},
};

int cli_fl(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(FL_USAGE, argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : 0;
    }
    for (size_t i = 0; i < sizeof(FL_COMMANDS) / sizeof(FL_COMMANDS[0]); i++) {
        if (strcmp(argv[1], FL_COMMANDS[i].name) == 0) {
            return FL_COMMANDS[i].run(argc - 1, argv + 1);
        }
    }
    fprintf(stderr, "clave fl: unknown command \"%s\"\n", argv[1]);
    fputs(FL_USAGE, stderr);
    return CLI_USAGE;
}
