/* SPDX-License-Identifier: Apache-2.0 */
/*
 * clave dp: differential privacy from the shell. `epsilon` and `sigma` run the accountants;
 * `query` releases a noisy aggregate of a CSV column (dp_query.c); `budget` and `status` manage a
 * budget ledger. Every numeric parameter is validated and errors name it.
 */
#include "dp_cli.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char DP_USAGE[] =
    "usage: clave dp COMMAND [OPTIONS]\n"
    "\n"
    "commands:\n"
    "  epsilon   epsilon of DP-SGD (Poisson-subsampled Gaussian) after N steps\n"
    "  sigma     smallest noise multiplier meeting a target (epsilon, delta)\n"
    "  query     noisy count/sum/mean/variance/quantile of a CSV column\n"
    "  budget    set the privacy budget of a ledger key\n"
    "  status    show a ledger key's spend and the queries left at some epsilon\n"
    "\n"
    "Run 'clave dp COMMAND --help' for a command's options. See docs/dp.md.\n";

static const char EPSILON_USAGE[] =
    "usage: clave dp epsilon --q Q --sigma S --steps N --delta D [--accountant rdp|zcdp]\n"
    "                        [--conversion improved|classic] [--orders GRID] [--json]\n"
    "\n"
    "Epsilon of N steps of the Gaussian mechanism with noise multiplier S on Poisson samples of\n"
    "rate Q in (0,1], at delta D in (0,1).\n"
    "  --accountant rdp    (default) RDP of the subsampled Gaussian (Mironov et al. 2019)\n"
    "  --accountant zcdp   zCDP rho = N / (2 S^2), ignoring subsampling (an upper bound)\n"
    "  --conversion        improved (default; Balle et al. 2020) or classic (Mironov 2017)\n"
    "  --orders GRID       dp_accounting (default), tf_privacy or opacus\n"
    "  --json              {\"epsilon\":..,\"order\":..,\"conversion\":..,...}\n";

static const char SIGMA_USAGE[] =
    "usage: clave dp sigma --epsilon E --delta D --q Q --steps N [--conversion C]\n"
    "                      [--orders GRID] [--json]\n"
    "\n"
    "Smallest noise multiplier (relative precision 1e-9) for which N steps at sampling rate Q\n"
    "are (E, D)-DP by the RDP accountant; the sigma printed always meets the target.\n";

bool dp_cli_double(const char *name, const char *arg, double *out)
{
    if (clave_dp_parse_double(name, arg, out) != CLAVE_OK) {
        fprintf(stderr, "clave dp: --%s: %s\n", name, clave_error_last().detail);
        return false;
    }
    return true;
}

bool dp_cli_u64(const char *name, const char *arg, uint64_t max, uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = arg[0] >= '0' && arg[0] <= '9' ? strtoull(arg, &end, 10) : 0;
    if (end == NULL || *end != '\0' || errno != 0 || v == 0 || v > max) {
        fprintf(stderr, "clave dp: --%s: '%s' is not an integer in [1, %llu]\n", name, arg,
                (unsigned long long)max);
        return false;
    }
    *out = v;
    return true;
}

void dp_cli_ledger_init(struct dp_cli_ledger *l)
{
    const char *user = getenv("USER");
    *l = (struct dp_cli_ledger){
        NULL, NULL, 0, {"local", "cli", "default", "local"}, user ? user : "cli", false};
}

bool dp_cli_ledger_named(const struct dp_cli_ledger *l)
{
    if (l->path != NULL && l->pg_conninfo != NULL) {
        fprintf(stderr, "clave dp: --ledger and --ledger-pg are exclusive\n");
        return false;
    }
    return l->path != NULL || l->pg_conninfo != NULL;
}

clave_status dp_cli_ledger_open(const struct dp_cli_ledger *l, struct clave_store **store,
                                struct clave_dp_ledger **ledger)
{
    struct clave_store_config cfg = {
        l->pg_conninfo != NULL ? CLAVE_STORE_POSTGRES : CLAVE_STORE_SQLITE,
        l->path,
        l->pg_conninfo,
        l->busy_timeout_ms,
    };
    *ledger = NULL;
    clave_status st = clave_store_open(&cfg, store);
    if (st == CLAVE_OK) {
        st = clave_dp_ledger_open(*store, ledger);
    }
    return st;
}

void dp_cli_ledger_close(struct clave_store *store, struct clave_dp_ledger *ledger)
{
    clave_dp_ledger_free(ledger);
    clave_store_close(store);
}

bool dp_cli_ledger_opt(struct dp_cli_ledger *l, int opt, const char *arg)
{
    switch (opt) {
    case DP_OPT_LEDGER:
        l->path = arg;
        return true;
    case DP_OPT_COLLABORATION:
        l->key.collaboration = arg;
        return true;
    case DP_OPT_CONTRACT:
        l->key.contract = arg;
        return true;
    case DP_OPT_DATASET:
        l->key.dataset = arg;
        return true;
    case DP_OPT_PARTY:
        l->key.party = arg;
        return true;
    case DP_OPT_WHO:
        l->who = arg;
        return true;
    case DP_OPT_LEDGER_PG:
        l->pg_conninfo = arg;
        return true;
    case DP_OPT_BUSY_TIMEOUT: {
        uint64_t ms = 0;
        l->bad |= !dp_cli_u64("busy-timeout", arg, 3600000, &ms);
        l->busy_timeout_ms = (uint32_t)ms;
        return true;
    }
    default:
        return false;
    }
}

struct acct_args {
    double q, sigma, delta, epsilon;
    uint64_t steps;
    bool zcdp, json;
    clave_dp_conversion conversion;
    clave_dp_order_grid grid;
    unsigned seen; /* bit per required option */
};

static const char *grid_name(clave_dp_order_grid g)
{
    return g == CLAVE_DP_ORDERS_TF_PRIVACY ? "tf_privacy"
           : g == CLAVE_DP_ORDERS_OPACUS   ? "opacus"
                                           : "dp_accounting";
}

/* One accounting option; returns false (after printing) on a bad value. */
static bool acct_opt(struct acct_args *a, int opt, const char *arg)
{
    switch (opt) {
    case 'q':
        a->seen |= 1;
        return dp_cli_double("q", arg, &a->q);
    case 's':
        a->seen |= 2;
        return dp_cli_double("sigma", arg, &a->sigma);
    case 'n':
        a->seen |= 4;
        return dp_cli_u64("steps", arg, (uint64_t)1 << 40, &a->steps);
    case 'd':
        a->seen |= 8;
        return dp_cli_double("delta", arg, &a->delta);
    case 'e':
        a->seen |= 16;
        return dp_cli_double("epsilon", arg, &a->epsilon);
    case 'j':
        a->json = true;
        return true;
    case 'a':
        a->zcdp = strcmp(arg, "zcdp") == 0;
        if (!a->zcdp && strcmp(arg, "rdp") != 0) {
            fprintf(stderr, "clave dp: --accountant must be rdp or zcdp\n");
            return false;
        }
        return true;
    case 'c':
        a->conversion = strcmp(arg, "classic") == 0    ? CLAVE_DP_CONVERSION_CLASSIC
                        : strcmp(arg, "improved") == 0 ? CLAVE_DP_CONVERSION_IMPROVED
                                                       : 0;
        if (a->conversion == 0) {
            fprintf(stderr, "clave dp: --conversion must be improved or classic\n");
        }
        return a->conversion != 0;
    case 'o':
        a->grid = strcmp(arg, "dp_accounting") == 0 ? CLAVE_DP_ORDERS_DP_ACCOUNTING
                  : strcmp(arg, "tf_privacy") == 0  ? CLAVE_DP_ORDERS_TF_PRIVACY
                  : strcmp(arg, "opacus") == 0      ? CLAVE_DP_ORDERS_OPACUS
                                                    : 0;
        if (a->grid == 0) {
            fprintf(stderr, "clave dp: --orders must be dp_accounting, tf_privacy or opacus\n");
        }
        return a->grid != 0;
    default:
        return false;
    }
}

static const struct option ACCT_OPTIONS[] = {
    {"q", required_argument, NULL, 'q'},
    {"sigma", required_argument, NULL, 's'},
    {"steps", required_argument, NULL, 'n'},
    {"delta", required_argument, NULL, 'd'},
    {"epsilon", required_argument, NULL, 'e'},
    {"accountant", required_argument, NULL, 'a'},
    {"conversion", required_argument, NULL, 'c'},
    {"orders", required_argument, NULL, 'o'},
    {"json", no_argument, NULL, 'j'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Parse; returns -1 to continue, else an exit code. */
static int parse_acct(int argc, char **argv, const char *usage, unsigned required,
                      struct acct_args *a)
{
    int opt = 0;
    *a = (struct acct_args){0};
    a->conversion = CLAVE_DP_CONVERSION_IMPROVED;
    a->grid = CLAVE_DP_ORDERS_DP_ACCOUNTING;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", ACCT_OPTIONS, NULL)) != -1) {
        if (opt == 'h') {
            fputs(usage, stdout);
            return 0;
        }
        if (opt == '?' || !acct_opt(a, opt, optarg)) {
            fputs(opt == '?' ? usage : "", stderr);
            return CLI_USAGE;
        }
    }
    if (optind != argc || (a->seen & required) != required) {
        fprintf(stderr, "clave dp: missing or extra arguments\n%s", usage);
        return CLI_USAGE;
    }
    return -1;
}

static int cmd_epsilon(int argc, char **argv)
{
    struct acct_args a;
    int rc = parse_acct(argc, argv, EPSILON_USAGE, 1 | 2 | 4 | 8, &a);
    if (rc >= 0) {
        return rc;
    }
    struct clave_dp_epsilon e;
    clave_status st = CLAVE_OK;
    if (a.zcdp) {
        st = clave_dp_rdp_epsilon(a.q, a.sigma, a.steps, a.delta, a.grid, a.conversion, &e);
        if (st == CLAVE_OK) {
            double rho = (double)a.steps * clave_dp_zcdp_gaussian_rho(a.sigma, 1.0);
            st = clave_dp_zcdp_epsilon(rho, a.delta, a.conversion, &e);
        }
    } else {
        st = clave_dp_rdp_epsilon(a.q, a.sigma, a.steps, a.delta, a.grid, a.conversion, &e);
    }
    if (st != CLAVE_OK) {
        return cli_fail("dp epsilon", st);
    }
    const char *conv = clave_dp_conversion_name(e.conversion);
    if (a.json) {
        char eps_text[32] = "null";
        if (isfinite(e.epsilon)) {
            snprintf(eps_text, sizeof(eps_text), "%.17g", e.epsilon);
        }
        printf("{\"epsilon\":%s,\"order\":%.17g,\"conversion\":\"%s\",\"accountant\":\"%s\","
               "\"orders\":\"%s\",\"delta\":%.17g,\"q\":%.17g,\"sigma\":%.17g,\"steps\":%llu}\n",
               eps_text, e.order, conv, a.zcdp ? "zcdp" : "rdp",
               a.zcdp ? "none" : grid_name(a.grid), a.delta, a.q, a.sigma,
               (unsigned long long)a.steps);
    } else {
        printf("epsilon = %.10g at delta = %g (%s accountant, %s conversion, optimal order %g)\n",
               e.epsilon, a.delta, a.zcdp ? "zcdp" : "rdp", conv, e.order);
    }
    return 0;
}

static int cmd_sigma(int argc, char **argv)
{
    struct acct_args a;
    int rc = parse_acct(argc, argv, SIGMA_USAGE, 1 | 4 | 8 | 16, &a);
    if (rc >= 0) {
        return rc;
    }
    double sigma = 0.0;
    struct clave_dp_epsilon e;
    clave_status st =
        clave_dp_rdp_sigma(a.epsilon, a.delta, a.q, a.steps, a.grid, a.conversion, 1e-9, &sigma);
    if (st == CLAVE_OK) {
        st = clave_dp_rdp_epsilon(a.q, sigma, a.steps, a.delta, a.grid, a.conversion, &e);
    }
    if (st != CLAVE_OK) {
        return cli_fail("dp sigma", st);
    }
    if (a.json) {
        printf("{\"sigma\":%.17g,\"epsilon\":%.17g,\"order\":%.17g,\"conversion\":\"%s\","
               "\"orders\":\"%s\"}\n",
               sigma, e.epsilon, e.order, clave_dp_conversion_name(a.conversion),
               grid_name(a.grid));
    } else {
        printf("sigma = %.10g (epsilon = %.10g at delta = %g, order %g)\n", sigma, e.epsilon,
               a.delta, e.order);
    }
    return 0;
}

static const char BUDGET_USAGE[] =
    "usage: clave dp budget (--ledger FILE | --ledger-pg CONNINFO) --epsilon E [--delta D]\n"
    "                       [--window SECONDS] [ledger options]\n"
    "       clave dp status (--ledger FILE | --ledger-pg CONNINFO) [--epsilon E [--delta D]]\n"
    "                       [ledger options]\n"
    "\n"
    "budget sets the hard cap of a (collaboration, contract, dataset, party) key; with --window\n"
    "the cap applies per window of that many seconds (aligned to the Unix epoch). status prints\n"
    "the spend in the current window, and with --epsilon how many more queries of that cost fit.\n"
    "\n" DP_LEDGER_HELP;

static int cmd_budget(int argc, char **argv, bool set)
{
    static const struct option OPTS[] = {
        {"epsilon", required_argument, NULL, 'e'},
        {"delta", required_argument, NULL, 'd'},
        {"window", required_argument, NULL, 'w'},
        {"help", no_argument, NULL, 'h'},
        DP_LEDGER_LONG_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    struct dp_cli_ledger l;
    double eps = -1.0, delta = 0.0;
    uint64_t window = 0;
    int opt = 0;
    dp_cli_ledger_init(&l);
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", OPTS, NULL)) != -1) {
        bool ok = dp_cli_ledger_opt(&l, opt, optarg) ||
                  (opt == 'e' && dp_cli_double("epsilon", optarg, &eps)) ||
                  (opt == 'd' && dp_cli_double("delta", optarg, &delta)) ||
                  (opt == 'w' && dp_cli_u64("window", optarg, (uint64_t)1 << 40, &window));
        if (opt == 'h') {
            fputs(BUDGET_USAGE, stdout);
            return 0;
        }
        if (!ok || l.bad) {
            return CLI_USAGE;
        }
    }
    if (optind != argc || !dp_cli_ledger_named(&l) || (set && eps < 0)) {
        fputs(BUDGET_USAGE, stderr);
        return CLI_USAGE;
    }
    struct clave_store *store = NULL;
    struct clave_dp_ledger *ledger = NULL;
    clave_status st = dp_cli_ledger_open(&l, &store, &ledger);
    int64_t now = (int64_t)time(NULL);
    if (st == CLAVE_OK && set) {
        struct clave_dp_budget b = {eps, delta, (int64_t)window};
        st = clave_dp_ledger_set_budget(ledger, &l.key, &b);
    }
    struct clave_dp_budget_status s;
    uint64_t left = 0;
    if (st == CLAVE_OK) {
        st = clave_dp_ledger_status(ledger, &l.key, now, &s);
    }
    if (st == CLAVE_OK && !set && eps > 0) {
        st = clave_dp_ledger_preview(ledger, &l.key, eps, delta, now, &left);
    }
    dp_cli_ledger_close(store, ledger);
    if (st != CLAVE_OK) {
        return cli_fail(set ? "dp budget" : "dp status", st);
    }
    printf("{\"epsilon_cap\":%.17g,\"delta_cap\":%.17g,\"epsilon_spent\":%.17g,"
           "\"delta_spent\":%.17g,\"window_start\":%lld,\"window_seconds\":%lld",
           s.epsilon_cap, s.delta_cap, s.epsilon_spent, s.delta_spent, (long long)s.window_start,
           (long long)s.window_seconds);
    if (!set && eps > 0) {
        printf(",\"queries_left\":%llu", (unsigned long long)left);
    }
    printf("}\n");
    return 0;
}

static int cmd_budget_set(int argc, char **argv)
{
    return cmd_budget(argc, argv, true);
}

static int cmd_status(int argc, char **argv)
{
    return cmd_budget(argc, argv, false);
}

static const struct cli_command DP_COMMANDS[] = {
    {"epsilon", "accountant: epsilon of DP-SGD", cmd_epsilon},
    {"sigma", "accountant: noise multiplier for a target", cmd_sigma},
    {"query", "noisy aggregate of a CSV column", cli_dp_query},
    {"budget", "set a ledger budget", cmd_budget_set},
    {"status", "ledger spend and queries left", cmd_status},
};

int cli_dp(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(DP_USAGE, argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : 0;
    }
    for (size_t i = 0; i < sizeof(DP_COMMANDS) / sizeof(DP_COMMANDS[0]); i++) {
        if (strcmp(argv[1], DP_COMMANDS[i].name) == 0) {
            return DP_COMMANDS[i].run(argc - 1, argv + 1);
        }
    }
    fprintf(stderr, "clave dp: unknown command '%s'\n%s", argv[1], DP_USAGE);
    return CLI_USAGE;
}
