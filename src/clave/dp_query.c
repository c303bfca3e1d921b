/* SPDX-License-Identifier: Apache-2.0 */
/*
 * clave dp query: a noisy aggregate of one CSV column. The options are turned into a query spec
 * and validated by the library's parser (clave_dp_query_spec_parse), the CSV is read (plain CSV:
 * no quoted fields; the first line is a header), the aggregate is computed with exact noise, and
 * with --ledger the privacy spend is debited (durably) BEFORE the result is printed; if the budget
 * is exhausted nothing is printed.
 */
#include "dp_cli.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_ROWS 10000000
#define MAX_FIELDS 4096

static const char QUERY_USAGE[] =
    "usage: clave dp query --csv FILE --column C --op OP --epsilon E [--lower L --upper U]\n"
    "                      [--delta D] [--mechanism laplace|gaussian] [--quantile Q]\n"
    "                      [--user-column U --max-rows-per-user N] [--grid-bits K] [--json]\n"
    "                      [ledger options]\n"
    "\n"
    "OP is count, sum, mean, variance or quantile. Values are clamped to [L, U] (required except\n"
    "for count) and put on a grid of step 2^-K (default K = 16). C and U name a header column or\n"
    "give a 0-based index. Without --user-column every row is its own user. The first line of\n"
    "FILE is a header (for scikit-learn style files such as \"569,30,malignant,benign\" use\n"
    "column indexes). With a ledger, the spend is debited (committed durably) before the result\n"
    "is shown; if the debit fails (budget exhausted, ledger locked or read-only) nothing is.\n"
    "\n" DP_LEDGER_HELP;

struct query_args {
    const char *csv, *column, *user_column;
    json_t *spec;
    bool json;
    struct dp_cli_ledger ledger;
    bool use_ledger;
};

static bool put_number(json_t *spec, const char *name, const char *arg)
{
    double v = 0.0;
    return dp_cli_double(name, arg, &v) && json_object_set_new(spec, name, json_real(v)) == 0;
}

static int parse_query(int argc, char **argv, struct query_args *a)
{
    static const struct option OPTS[] = {
        {"csv", required_argument, NULL, 'f'},
        {"column", required_argument, NULL, 'c'},
        {"op", required_argument, NULL, 'o'},
        {"lower", required_argument, NULL, 'l'},
        {"upper", required_argument, NULL, 'u'},
        {"epsilon", required_argument, NULL, 'e'},
        {"delta", required_argument, NULL, 'd'},
        {"rho", required_argument, NULL, 'r'},
        {"mechanism", required_argument, NULL, 'm'},
        {"quantile", required_argument, NULL, 'Q'},
        {"user-column", required_argument, NULL, 'U'},
        {"max-rows-per-user", required_argument, NULL, 'M'},
        {"grid-bits", required_argument, NULL, 'g'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        DP_LEDGER_LONG_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    static const char *const NAMES[128] = {
        ['l'] = "lower", ['u'] = "upper",    ['e'] = "epsilon",           ['d'] = "delta",
        ['r'] = "rho",   ['Q'] = "quantile", ['M'] = "max_rows_per_user", ['g'] = "grid_bits",
    };
    int opt = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", OPTS, NULL)) != -1) {
        bool ok = true;
        if (dp_cli_ledger_opt(&a->ledger, opt, optarg)) {
            if (a->ledger.bad) {
                return CLI_USAGE;
            }
            continue;
        } else if (opt == 'h') {
            fputs(QUERY_USAGE, stdout);
            return 0;
        } else if (opt == 'f') {
            a->csv = optarg;
        } else if (opt == 'c') {
            a->column = optarg;
            ok = json_object_set_new(a->spec, "column", json_string(optarg)) == 0;
        } else if (opt == 'o' || opt == 'm') {
            ok = json_object_set_new(a->spec, opt == 'o' ? "op" : "mechanism",
                                     json_string(optarg)) == 0;
        } else if (opt == 'U') {
            a->user_column = optarg;
        } else if (opt == 'j') {
            a->json = true;
        } else if (opt > 0 && opt < 128 && NAMES[opt] != NULL) {
            ok = put_number(a->spec, NAMES[opt], optarg);
        } else {
            fputs(QUERY_USAGE, stderr);
            return CLI_USAGE;
        }
        if (!ok) {
            return CLI_USAGE;
        }
    }
    if (optind != argc || a->csv == NULL || a->column == NULL) {
        fprintf(stderr, "clave dp query: --csv and --column are required\n%s", QUERY_USAGE);
        return CLI_USAGE;
    }
    a->use_ledger = dp_cli_ledger_named(&a->ledger);
    if (!a->use_ledger && a->ledger.path != NULL) {
        return CLI_USAGE; /* both --ledger and --ledger-pg */
    }
    return -1;
}

/* Split `line` in place at commas; returns the number of fields. */
static size_t split(char *line, char **fields, size_t max)
{
    size_t n = 0;
    char *p = line;
    line[strcspn(line, "\r\n")] = '\0';
    while (n < max) {
        fields[n++] = p;
        char *comma = strchr(p, ',');
        if (comma == NULL) {
            break;
        }
        *comma = '\0';
        p = comma + 1;
    }
    return n;
}

static long find_column(char **header, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(header[i], name) == 0) {
            return (long)i;
        }
    }
    char *end = NULL;
    errno = 0;
    long v = name[0] >= '0' && name[0] <= '9' ? strtol(name, &end, 10) : -1;
    return (end != NULL && *end == '\0' && errno == 0 && v < MAX_FIELDS) ? v : -1;
}

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s != '\0'; s++) {
        h = (h ^ (uint8_t)*s) * 1099511628211ULL;
    }
    return h;
}

struct table {
    struct clave_dp_row *rows;
    size_t n, cap;
};

static int add_row(struct table *t, char **f, size_t nf, long col, long ucol, bool numeric,
                   size_t lineno)
{
    if ((size_t)col >= nf || (ucol >= 0 && (size_t)ucol >= nf)) {
        fprintf(stderr, "clave dp query: line %zu: too few fields\n", lineno);
        return CLI_FAILED;
    }
    double v = 0.0;
    if (numeric && clave_dp_parse_double("value", f[col], &v) != CLAVE_OK) {
        fprintf(stderr, "clave dp query: line %zu: column value '%.40s' is not a number\n", lineno,
                f[col]);
        return CLI_FAILED;
    }
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 1024;
        struct clave_dp_row *r = cap <= MAX_ROWS ? realloc(t->rows, cap * sizeof(*r)) : NULL;
        if (r == NULL) {
            fprintf(stderr, "clave dp query: too many rows\n");
            return CLI_FAILED;
        }
        t->rows = r;
        t->cap = cap;
    }
    t->rows[t->n] = (struct clave_dp_row){ucol >= 0 ? fnv1a(f[ucol]) : t->n, v, NULL};
    t->n++;
    return 0;
}

static int read_csv(const struct query_args *a, bool numeric, struct table *t)
{
    FILE *in = fopen(a->csv, "r");
    char *line = NULL, *fields[MAX_FIELDS];
    size_t cap = 0, lineno = 1;
    int rc = CLI_FAILED;
    long col = -1, ucol = -1;
    if (in == NULL) {
        fprintf(stderr, "clave dp query: cannot open %s: %s\n", a->csv, strerror(errno));
        return CLI_FAILED;
    }
    if (getline(&line, &cap, in) < 0) {
        fprintf(stderr, "clave dp query: %s is empty\n", a->csv);
        goto done;
    }
    size_t nh = split(line, fields, MAX_FIELDS);
    col = find_column(fields, nh, a->column);
    ucol = a->user_column ? find_column(fields, nh, a->user_column) : -1;
    if (col < 0 || (a->user_column != NULL && ucol < 0)) {
        fprintf(stderr, "clave dp query: no column '%s'\n", col < 0 ? a->column : a->user_column);
        goto done;
    }
    while (getline(&line, &cap, in) >= 0) {
        lineno++;
        if (line[0] == '\n' || line[0] == '\0') {
            continue;
        }
        size_t nf = split(line, fields, MAX_FIELDS);
        if (add_row(t, fields, nf, col, ucol, numeric, lineno) != 0) {
            goto done;
        }
    }
    rc = 0;
done:
    free(line);
    fclose(in);
    return rc;
}

static clave_status run_query(const struct clave_dp_query_spec *s, const struct table *t,
                              struct clave_dp_result *r)
{
    struct clave_dp_rng *rng = NULL;
    clave_status st = clave_dp_rng_new(&rng);
    if (st == CLAVE_OK) {
        switch (s->op) {
        case CLAVE_DP_OP_COUNT:
            st = clave_dp_count(rng, t->rows, t->n, &s->bounds, &s->params, r);
            break;
        case CLAVE_DP_OP_SUM:
            st = clave_dp_sum(rng, t->rows, t->n, &s->bounds, &s->params, r);
            break;
        case CLAVE_DP_OP_MEAN:
            st = clave_dp_mean(rng, t->rows, t->n, &s->bounds, &s->params, r);
            break;
        case CLAVE_DP_OP_VARIANCE:
            st = clave_dp_variance(rng, t->rows, t->n, &s->bounds, &s->params, r);
            break;
        case CLAVE_DP_OP_QUANTILE:
            st = clave_dp_quantile(rng, t->rows, t->n, &s->bounds, &s->params, s->quantile, r);
            break;
        }
    }
    clave_dp_rng_free(rng);
    return st;
}

static const char *OP_NAMES[] = {"", "count", "sum", "mean", "variance", "quantile"};

/* Debit the ledger before anything is printed: CLAVE_OK means the debit is committed durably
 * (clave_dp_ledger_debit); any failure, including an ambiguous commit, releases nothing. */
static clave_status debit(const struct query_args *a, const struct clave_dp_query_spec *s,
                          const struct clave_dp_result *r, struct clave_dp_debit_record *rec)
{
    struct clave_store *store = NULL;
    struct clave_dp_ledger *l = NULL;
    char what[CLAVE_DP_COLUMN_MAX + 32];
    snprintf(what, sizeof(what), "%s(%s)", OP_NAMES[s->op], s->column);
    struct clave_dp_debit d = {a->ledger.who,
                               what,
                               clave_dp_mechanism_name(s->params.mechanism),
                               s->params.mechanism == CLAVE_DP_GAUSSIAN_ZCDP ? "zcdp" : "basic",
                               r->epsilon,
                               r->delta};
    clave_status st = dp_cli_ledger_open(&a->ledger, &store, &l);
    if (st == CLAVE_OK) {
        st = clave_dp_ledger_debit(l, &a->ledger.key, &d, (int64_t)time(NULL), rec);
    }
    dp_cli_ledger_close(store, l);
    return st;
}

static void print_result(const struct query_args *a, const struct clave_dp_query_spec *s,
                         const struct clave_dp_result *r, const struct clave_dp_debit_record *rec)
{
    const char *mech = clave_dp_mechanism_name(s->params.mechanism);
    if (!a->json) {
        printf("%s(%s) = %.10g  (epsilon %g, delta %g, %s noise)\n", OP_NAMES[s->op], s->column,
               r->value, r->epsilon, r->delta, mech);
        if (a->use_ledger) {
            printf("ledger: debit %lld, epsilon remaining %.9g\n", (long long)rec->id,
                   rec->epsilon_remaining);
        }
        return;
    }
    printf("{\"op\":\"%s\",\"value\":%.17g,\"epsilon\":%.17g,\"delta\":%.17g,\"mechanism\":\"%s\","
           "\"grid_bits\":%d",
           OP_NAMES[s->op], r->value, r->epsilon, r->delta, mech, s->bounds.grid_bits);
    if (a->use_ledger) {
        printf(",\"debit_id\":%lld,\"epsilon_remaining\":%.17g,\"delta_remaining\":%.17g",
               (long long)rec->id, rec->epsilon_remaining, rec->delta_remaining);
    }
    printf("}\n");
}

int cli_dp_query(int argc, char **argv)
{
    struct query_args a = {0};
    struct clave_dp_query_spec spec;
    struct table t = {0};
    struct clave_dp_result r;
    struct clave_dp_debit_record rec = {0};
    char *text = NULL;
    dp_cli_ledger_init(&a.ledger);
    a.spec = json_object();
    int rc = a.spec != NULL ? parse_query(argc, argv, &a) : CLI_FAILED;
    if (rc >= 0) {
        goto done;
    }
    rc = CLI_FAILED;
    text = json_dumps(a.spec, JSON_COMPACT);
    clave_status st =
        text != NULL ? clave_dp_query_spec_parse(text, strlen(text), &spec) : CLAVE_ERR_NOMEM;
    if (st != CLAVE_OK) {
        (void)cli_fail("dp query", st);
        rc = CLI_USAGE;
        goto done;
    }
    if (read_csv(&a, spec.op != CLAVE_DP_OP_COUNT, &t) != 0) {
        goto done;
    }
    st = run_query(&spec, &t, &r);
    if (st == CLAVE_OK && a.use_ledger) {
        st = debit(&a, &spec, &r, &rec);
    }
    if (st != CLAVE_OK) {
        rc = cli_fail("dp query", st);
        goto done;
    }
    print_result(&a, &spec, &r, &rec);
    rc = fflush(stdout) == 0 ? 0 : CLI_FAILED;
done:
    free(text);
    free(t.rows);
    json_decref(a.spec);
    return rc;
}
