/* SPDX-License-Identifier: Apache-2.0 */
/* clave mpc: run an MPC node, share a CSV column into share files, ask the nodes to compute. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DEFAULT_FRAC_BITS 12 /* ABY3 uses 13; docs/mpc.md gives the safe value ranges */

/* One numeric column of a CSV file (he_csv.c). Caller frees `*values`. */
clave_status cli_he_csv_column(const char *path, const char *column, bool header, double **values,
                               size_t *count);

static const char MPC_USAGE[] =
    "usage: clave mpc COMMAND [OPTIONS]\n"
    "\n"
    "Three-node secret-shared compute (docs/mpc.md): replicated sharing over Z_2^64 among three\n"
    "nodes linked by mutually authenticated TLS 1.3 with pinned certificates; semi-honest\n"
    "security with an honest majority.\n"
    "\n"
    "commands:\n"
    "  node    run a node (serves sessions)\n"
    "  share   split a CSV column into shares: three files, or sent to the nodes\n"
    "  run     ask the three nodes to compute; the result is opened only here\n"
    "\n"
    "Run 'clave mpc COMMAND --help' for a command's options.\n";

static const char NODE_USAGE[] =
    "usage: clave mpc node --config FILE [--sessions N]\n"
    "\n"
    "Listen as the node described by FILE (JSON: id, listen, cert, key, inputs, timeout_ms,\n"
    "peers, clients; docs/mpc.md) and serve sessions one after another: N sessions (default:\n"
    "until killed). Each session is logged as one JSON line on stderr. A failed session (a peer\n"
    "that died, timed out or sent a malformed message) is aborted: the client is told why and\n"
    "gets no output. Exit status with --sessions: 0 if the last session succeeded, else 1.\n";

static const char SHARE_USAGE[] =
    "usage: clave mpc share --csv FILE --column C (--out DIR | --nodes CONFIG) [--name NAME]\n"
    "                       [--frac-bits F] [--no-header]\n"
    "\n"
    "Read the numeric column C (header name or 1-based number) of FILE, encode each value in\n"
    "fixed point with F fractional bits (default 12) and split it into replicated shares\n"
    "(NAME defaults to C). With --out, write DIR/NAME.node0.share, .node1.share and\n"
    ".node2.share: deliver file i to node i only (its 'inputs' directory); any two files\n"
    "together reveal the column. With --nodes, send each node its share over the pinned,\n"
    "mutually authenticated TLS 1.3 link described by CONFIG (the client configuration of\n"
    "'clave mpc run': cert, key, timeout_ms, nodes); each node checks the file and stores it in\n"
    "its inputs directory, and nothing is written here. Give both to do both.\n";

static const char RUN_USAGE[] =
    "usage: clave mpc run --config FILE --op OP --input A [--input2 B] [--json]\n"
    "\n"
    "Ask the three nodes named in FILE (JSON: cert, key, timeout_ms, nodes; docs/mpc.md) to\n"
    "compute OP on their shares of input A (and B), then open the result here after cross-\n"
    "checking the replicas. OP: sum, mean, variance (of A); dot, mul (of A and B, fixed point);\n"
    "lt (elementwise A < B, as 0/1). Nothing is printed unless every node answered and every\n"
    "check passed; a node's abort or a replica mismatch is reported with the node or link.\n";

struct opts {
    const char *config;
    const char *csv;
    const char *column;
    const char *out;
    const char *nodes;
    const char *name;
    const char *op;
    const char *input_a;
    const char *input_b;
    unsigned long sessions;
    unsigned long frac;
    bool no_header;
    bool json;
};

static bool parse_ulong(const char *s, unsigned long max, unsigned long *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v > max || s[0] == '-') {
        return false;
    }
    *out = v;
    return true;
}

/* Parse the options of every subcommand; `usage` is printed for --help or errors. */
static int parse(int argc, char **argv, const char *usage, struct opts *o)
{
    static const struct option LONG_OPTIONS[] = {
        {"config", required_argument, NULL, 'c'},
        {"sessions", required_argument, NULL, 's'},
        {"csv", required_argument, NULL, 'f'},
        {"column", required_argument, NULL, 'k'},
        {"out", required_argument, NULL, 'o'},
        {"nodes", required_argument, NULL, 'N'},
        {"name", required_argument, NULL, 'n'},
        {"frac-bits", required_argument, NULL, 'b'},
        {"no-header", no_argument, NULL, 'H'},
        {"op", required_argument, NULL, 'p'},
        {"input", required_argument, NULL, 'a'},
        {"input2", required_argument, NULL, 'B'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int opt = 0;
    bool ok = true;
    *o = (struct opts){.frac = DEFAULT_FRAC_BITS};
    optind = 1;
    while (ok && (opt = getopt_long(argc, argv, "h", LONG_OPTIONS, NULL)) != -1) {
        switch (opt) {
        case 'c':
            o->config = optarg;
            break;
        case 's':
            ok = parse_ulong(optarg, 1000000000UL, &o->sessions);
            break;
        case 'f':
            o->csv = optarg;
            break;
        case 'k':
            o->column = optarg;
            break;
        case 'o':
            o->out = optarg;
            break;
        case 'N':
            o->nodes = optarg;
            break;
        case 'n':
            o->name = optarg;
            break;
        case 'b':
            ok = parse_ulong(optarg, CLAVE_MPC_FIXED_MAX_FRAC, &o->frac);
            break;
        case 'H':
            o->no_header = true;
            break;
        case 'p':
            o->op = optarg;
            break;
        case 'a':
            o->input_a = optarg;
            break;
        case 'B':
            o->input_b = optarg;
            break;
        case 'j':
            o->json = true;
            break;
        case 'h':
            fputs(usage, stdout);
            exit(0);
        default:
            ok = false;
        }
    }
    if (!ok || optind != argc) {
        fprintf(stderr, "clave mpc %s: invalid arguments\n%s", argv[0], usage);
        return CLI_USAGE;
    }
    return 0;
}

static void log_session(unsigned long n, clave_status st, const struct clave_mpc_session_info *i)
{
    struct clave_error_info e = clave_error_last();
    fprintf(stderr,
            "{\"msg\":\"mpc session\",\"n\":%lu,\"session\":\"%s\",\"compute\":\"%s\","
            "\"values\":%zu,\"rounds\":%u,\"status\":\"%s\"",
            n, i->session_hex, i->compute, i->values, i->rounds, clave_status_str(st));
    if (st != CLAVE_OK) {
        fputs(",\"error\":\"", stderr);
        for (const char *c = e.detail; *c != '\0'; c++) { /* detail is ASCII; escape for JSON */
            if (*c == '"' || *c == '\\') {
                fputc('\\', stderr);
            }
            fputc(*c >= 0x20 && *c < 0x7f ? *c : '?', stderr);
        }
        fputc('"', stderr);
    }
    fputs("}\n", stderr);
}

static int node(int argc, char **argv)
{
    struct opts o;
    struct clave_mpc_node *n = NULL;
    int rc = parse(argc, argv, NODE_USAGE, &o);
    if (rc != 0) {
        return rc;
    }
    if (o.config == NULL) {
        fprintf(stderr, "clave mpc node: --config is required\n%s", NODE_USAGE);
        return CLI_USAGE;
    }
    signal(SIGPIPE, SIG_IGN); /* a peer that vanishes must fail a write, not kill the node */
    clave_status st = clave_mpc_node_new(o.config, &n);
    if (st != CLAVE_OK) {
        return cli_fail("mpc node", st);
    }
    for (unsigned long i = 1; o.sessions == 0 || i <= o.sessions; i++) {
        struct clave_mpc_session_info info;
        st = clave_mpc_node_serve_one(n, &info);
        log_session(i, st, &info);
    }
    clave_mpc_node_free(n);
    return st == CLAVE_OK ? 0 : CLI_FAILED;
}

/* Send the encoded column to the nodes named in the client configuration `config`. */
static clave_status send_shares(const char *config, const char *name, const uint64_t *values,
                                size_t count, unsigned frac)
{
    struct clave_mpc_client *client = NULL;
    signal(SIGPIPE, SIG_IGN);
    clave_status st = clave_mpc_client_new(config, &client);
    if (st == CLAVE_OK) {
        st = clave_mpc_client_share(client, name, values, count, frac);
    }
    clave_mpc_client_free(client);
    return st;
}

static int share(int argc, char **argv)
{
    struct opts o;
    double *values = NULL;
    uint64_t *encoded = NULL;
    size_t count = 0;
    int rc = parse(argc, argv, SHARE_USAGE, &o);
    if (rc != 0) {
        return rc;
    }
    if (o.csv == NULL || o.column == NULL || (o.out == NULL && o.nodes == NULL)) {
        fprintf(stderr, "clave mpc share: --csv, --column and --out or --nodes are required\n%s",
                SHARE_USAGE);
        return CLI_USAGE;
    }
    if (o.out != NULL && mkdir(o.out, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "clave mpc share: cannot create %s: %s\n", o.out, strerror(errno));
        return CLI_FAILED;
    }
    const char *name = o.name != NULL ? o.name : o.column;
    clave_status st = cli_he_csv_column(o.csv, o.column, !o.no_header, &values, &count);
    if (st == CLAVE_OK && (encoded = calloc(count, sizeof(uint64_t))) == NULL) {
        st = CLAVE_ERR_NOMEM;
    }
    for (size_t k = 0; st == CLAVE_OK && k < count; k++) {
        st = clave_mpc_fixed_encode(values[k], (unsigned)o.frac, &encoded[k]);
    }
    if (st == CLAVE_OK && o.out != NULL) {
        st = clave_mpc_share_write(o.out, name, encoded, count, (unsigned)o.frac);
        if (st == CLAVE_OK) {
            printf("shared %zu values of '%s' into %s/%s.node{0,1,2}.share (%lu fractional "
                   "bits)\n",
                   count, o.column, o.out, name, o.frac);
        }
    }
    if (st == CLAVE_OK && o.nodes != NULL) {
        st = send_shares(o.nodes, name, encoded, count, (unsigned)o.frac);
        if (st == CLAVE_OK) {
            printf("sent %zu values of '%s' as input '%s' to nodes 0, 1 and 2 (%lu fractional "
                   "bits)\n",
                   count, o.column, name, o.frac);
        }
    }
    if (encoded != NULL) {
        clave_wipe(encoded, count * sizeof(uint64_t));
    }
    free(encoded);
    free(values);
    return st == CLAVE_OK ? 0 : cli_fail("mpc share", st);
}

static void print_output(const struct opts *o, enum clave_mpc_compute c,
                         const struct clave_mpc_output *out)
{
    const char *name = clave_mpc_compute_name(c);
    printf(o->json ? "{\"op\":\"%s\",\"values\":[" : "%s:", name);
    for (size_t k = 0; k < out->count; k++) {
        const char *sep = o->json ? (k == 0 ? "" : ",") : " ";
        if (out->bits) {
            printf("%s%u", sep, (unsigned)out->values[k]);
        } else {
            printf("%s%.6f", sep, clave_mpc_fixed_decode(out->values[k], out->frac_bits));
        }
    }
    printf(o->json ? "]}\n" : "\n");
}

static int run(int argc, char **argv)
{
    struct opts o;
    enum clave_mpc_compute c = CLAVE_MPC_SUM;
    struct clave_mpc_client *client = NULL;
    struct clave_mpc_output out = {0};
    int rc = parse(argc, argv, RUN_USAGE, &o);
    if (rc != 0) {
        return rc;
    }
    if (o.config == NULL || o.op == NULL || o.input_a == NULL ||
        clave_mpc_compute_parse(o.op, &c) != CLAVE_OK) {
        fprintf(stderr,
                "clave mpc run: --config, --op (sum, mean, variance, dot, mul, lt) and "
                "--input are required\n%s",
                RUN_USAGE);
        return CLI_USAGE;
    }
    signal(SIGPIPE, SIG_IGN);
    clave_status st = clave_mpc_client_new(o.config, &client);
    if (st == CLAVE_OK) {
        st = clave_mpc_client_run(client, c, o.input_a, o.input_b, &out);
    }
    if (st == CLAVE_OK) {
        print_output(&o, c, &out);
    }
    clave_mpc_output_free(&out);
    clave_mpc_client_free(client);
    return st == CLAVE_OK ? 0 : cli_fail("mpc run", st);
}

int cli_mpc(int argc, char **argv)
{
    static const struct cli_command SUBCOMMANDS[] = {
        {"node", "run a node", node},
        {"share", "share a CSV column", share},
        {"run", "compute on shared inputs", run},
    };
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(MPC_USAGE, stdout);
        return 0;
    }
    for (size_t i = 0; argc >= 2 && i < sizeof(SUBCOMMANDS) / sizeof(SUBCOMMANDS[0]); i++) {
        if (strcmp(argv[1], SUBCOMMANDS[i].name) == 0) {
            return SUBCOMMANDS[i].run(argc - 1, argv + 1);
        }
    }
    fputs(MPC_USAGE, stderr);
    return CLI_USAGE;
}
