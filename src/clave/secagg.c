/* SPDX-License-Identifier: Apache-2.0 */
/* clave secagg simulate: run secure aggregation among in-process clients with dropouts. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char SECAGG_USAGE[] =
    "usage: clave secagg simulate [--clients N] [--dim D] [--dropout F] [--stage STAGE]\n"
    "                             [--corrupt G] [--semi-malicious] [--degree K] [--threshold T]\n"
    "                             [--bits B [--input-bits V]] [--json]\n"
    "\n"
    "Run secure aggregation (Bonawitz et al. 2017 over the SecAgg+ graph, docs/secagg.md) among\n"
    "N in-process clients holding D-element vectors in Z_2^B (default 64; B <= 32 halves the\n"
    "masks' keystream and the MASKED message; with --input-bits V every input is below 2^V and\n"
    "V + ceil(log2 N) <= B is required, so the sum cannot wrap), with a fraction F of the clients\n"
    "dropping out before STAGE: share (ShareKeys), masked (MaskedInputCollection, the default and\n"
    "the costliest for the server), unmask (Unmasking) or spread (F/3 before each). Prints CPU\n"
    "time per round for the server and per client, bytes per client, and whether the aggregate\n"
    "equals the plain sum. Degree and threshold default to clave_secagg_params_for(): the\n"
    "SecAgg+ sizing of Bell et al. 2020 for a server colluding with a fraction G of the clients\n"
    "(default 0.05), semi-honest, or semi-malicious (it may lie about who dropped out), with\n"
    "security 2^-40 and abort probability 2^-20; the report states both bounds.\n"
    "--degree K alone sets the threshold to K/2 + 1.\n"
    "Defaults: --clients 100 --dim 10000 --dropout 0 --corrupt 0.05.\n"
    "Exit status: 0 if the aggregate is exact, 1 if the session aborted or was wrong.\n";

struct secagg_args {
    unsigned long clients;
    unsigned long dim;
    double dropout;
    int stage; /* 0..2, or 3 for spread */
    unsigned long degree;
    unsigned long threshold;
    unsigned long bits;
    unsigned long input_bits;
    double corrupt;
    bool semi_malicious;
    bool json;
};

static bool parse_fraction(const char *s, double *out)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || !(v >= 0.0 && v < 1.0)) {
        return false;
    }
    *out = v;
    return true;
}

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

static bool parse_stage(const char *s, int *out)
{
    static const char *const NAMES[] = {"share", "masked", "unmask", "spread"};
    for (int i = 0; i < 4; i++) {
        if (strcmp(s, NAMES[i]) == 0) {
            *out = i;
            return true;
        }
    }
    return false;
}

static int parse_args(int argc, char **argv, struct secagg_args *a)
{
    static const struct option LONG_OPTIONS[] = {
        {"clients", required_argument, NULL, 'n'},
        {"dim", required_argument, NULL, 'd'},
        {"dropout", required_argument, NULL, 'f'},
        {"stage", required_argument, NULL, 's'},
        {"degree", required_argument, NULL, 'k'},
        {"threshold", required_argument, NULL, 't'},
        {"corrupt", required_argument, NULL, 'c'},
        {"semi-malicious", no_argument, NULL, 'm'},
        {"bits", required_argument, NULL, 'b'},
        {"input-bits", required_argument, NULL, 'v'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int opt = 0;
    bool ok = true;
    *a = (struct secagg_args){.clients = 100,
                              .dim = 10000,
                              .stage = 1,
                              .bits = 64,
                              .corrupt = CLAVE_SECAGG_DEFAULT_CORRUPT};
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", LONG_OPTIONS, NULL)) != -1 && ok) {
        switch (opt) {
        case 'n':
            ok = parse_ulong(optarg, CLAVE_SECAGG_MAX_CLIENTS, &a->clients);
            break;
        case 'd':
            ok = parse_ulong(optarg, CLAVE_SECAGG_MAX_DIM, &a->dim);
            break;
        case 'f':
            ok = parse_fraction(optarg, &a->dropout);
            break;
        case 'c':
            ok = parse_fraction(optarg, &a->corrupt);
            break;
        case 'm':
            a->semi_malicious = true;
            break;
        case 's':
            ok = parse_stage(optarg, &a->stage);
            break;
        case 'k':
            ok = parse_ulong(optarg, CLAVE_SECAGG_MAX_CLIENTS, &a->degree);
            break;
        case 't':
            ok = parse_ulong(optarg, CLAVE_SECAGG_MAX_CLIENTS, &a->threshold);
            break;
        case 'b':
            ok = parse_ulong(optarg, 64, &a->bits) && a->bits >= 1;
            break;
        case 'v':
            ok = parse_ulong(optarg, 64, &a->input_bits) && a->input_bits >= 1;
            break;
        case 'j':
            a->json = true;
            break;
        case 'h':
            fputs(SECAGG_USAGE, stdout);
            exit(0);
        default:
            ok = false;
        }
    }
    if (!ok || optind != argc) {
        fprintf(stderr, "clave secagg simulate: invalid arguments\n%s", SECAGG_USAGE);
        return CLI_USAGE;
    }
    return 0;
}

/* A log2 bound as a JSON number, or null when the event is impossible. */
static const char *log2_json(double v, char *buf, size_t cap)
{
    if (isinf(v)) {
        return "null";
    }
    snprintf(buf, cap, "%.1f", v);
    return buf;
}

/* "<= 2^-41.3", or "= 0" when the event is impossible. */
static const char *bound_text(double v, char *buf, size_t cap)
{
    if (isinf(v)) {
        return "= 0";
    }
    snprintf(buf, cap, "<= 2^%.1f", v);
    return buf;
}

static void print_report(const struct secagg_args *a, const struct clave_secagg_params *p,
                         const double risk[2], const struct clave_secagg_sim_report *r)
{
    double server = 0.0;
    double client = 0.0;
    char b0[32], b1[32];
    for (int i = 0; i < 4; i++) {
        server += r->server_seconds[i];
        client += r->client_seconds[i];
    }
    if (a->json) {
        printf("{\"clients\":%u,\"dim\":%u,\"bits\":%u,\"dropout\":%.3f,\"corrupt\":%.3f,"
               "\"adversary\":\"%s\",\"degree\":%u,\"threshold\":%u,"
               "\"log2_insecure\":%s,\"log2_abort\":%s,\"status\":\"%s\",\"correct\":%s,"
               "\"survivors\":%u,"
               "\"server_seconds\":[%.6f,%.6f,%.6f,%.6f],\"server_total\":%.6f,"
               "\"client_seconds\":[%.6f,%.6f,%.6f,%.6f],\"client_mean_total\":%.6f,"
               "\"client_max_total\":%.6f,\"bytes_sent_per_client\":%.0f,"
               "\"bytes_received_per_client\":%.0f}\n",
               p->client_count, p->dim, p->bits, a->dropout, a->corrupt,
               a->semi_malicious ? "semi-malicious" : "semi-honest", p->degree, p->share_threshold,
               log2_json(risk[0], b0, sizeof(b0)), log2_json(risk[1], b1, sizeof(b1)),
               clave_status_str(r->status), r->correct ? "true" : "false", r->survivors,
               r->server_seconds[0], r->server_seconds[1], r->server_seconds[2],
               r->server_seconds[3], server, r->client_seconds[0], r->client_seconds[1],
               r->client_seconds[2], r->client_seconds[3], client, r->client_total_max,
               r->bytes_sent_per_client, r->bytes_received_per_client);
        return;
    }
    printf("clients %u, dim %u in Z_2^%u, dropout %.2f, degree %u, threshold %u\n", p->client_count,
           p->dim, p->bits, a->dropout, p->degree, p->share_threshold);
    char t0[40], t1[40];
    printf("sized for: %.0f %% corrupt clients, %.0f %% dropouts, %s server; P[insecure] %s, "
           "P[abort] %s\n",
           100 * a->corrupt, 100 * a->dropout, a->semi_malicious ? "semi-malicious" : "semi-honest",
           bound_text(risk[0], t0, sizeof(t0)), bound_text(risk[1], t1, sizeof(t1)));
    printf("status: %s; survivors %u; aggregate %s\n", clave_status_str(r->status), r->survivors,
           r->correct ? "exact" : "NOT exact");
    static const char *const ROUND[] = {"advertise", "share keys", "masked input", "unmask"};
    for (int i = 0; i < 4; i++) {
        printf("  %-13s server %9.4f s   client mean %9.6f s\n", ROUND[i], r->server_seconds[i],
               r->client_seconds[i]);
    }
    printf("  total         server %9.4f s   client mean %9.6f s, max %9.6f s\n", server, client,
           r->client_total_max);
    printf("bytes per client: sent %.0f, received %.0f\n", r->bytes_sent_per_client,
           r->bytes_received_per_client);
}

/* Parameters from the threat (or the command line), and their risk bounds. */
static int choose_params(const struct secagg_args *a, struct clave_secagg_params *p, double risk[2])
{
    struct clave_secagg_threat t = {.corrupt = a->corrupt,
                                    .dropout = a->dropout,
                                    .adversary = a->semi_malicious ? CLAVE_SECAGG_SEMI_MALICIOUS
                                                                   : CLAVE_SECAGG_SEMI_HONEST};
    clave_status st = clave_secagg_params_for((uint32_t)a->clients, &t, (uint32_t)a->dim, p);
    if (st != CLAVE_OK) {
        return cli_fail("secagg parameters", st);
    }
    p->bits = (uint32_t)a->bits;
    p->input_bits = (uint32_t)a->input_bits;
    if (a->degree != 0) {
        p->degree = (uint32_t)a->degree;
        p->share_threshold = (uint32_t)a->degree / 2 + 1;
        p->min_clients = p->share_threshold;
    }
    if (a->threshold != 0) {
        p->share_threshold = (uint32_t)a->threshold;
        p->min_clients = (uint32_t)a->threshold;
    }
    st = clave_secagg_params_risk(p, &t, &risk[0], &risk[1]);
    return st == CLAVE_OK ? 0 : cli_fail("secagg parameters", st);
}

static int simulate(int argc, char **argv)
{
    struct secagg_args a;
    struct clave_secagg_sim_opts o;
    struct clave_secagg_sim_report r;
    double risk[2] = {0.0, 0.0};
    int rc = parse_args(argc, argv, &a);
    if (rc != 0) {
        return rc;
    }
    memset(&o, 0, sizeof(o));
    rc = choose_params(&a, &o.params, risk);
    if (rc != 0) {
        return rc;
    }
    for (int i = 0; i < CLAVE_SECAGG_STAGES; i++) {
        o.dropout[i] = a.stage == 3 ? a.dropout / 3 : (a.stage == i ? a.dropout : 0.0);
    }
    clave_status st = clave_secagg_simulate(&o, &r);
    if (st != CLAVE_OK) {
        return cli_fail("secagg simulate", st);
    }
    print_report(&a, &o.params, risk, &r);
    if (r.status != CLAVE_OK) {
        return cli_fail("secagg session aborted", r.status);
    }
    return r.correct ? 0 : CLI_FAILED;
}

int cli_secagg(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "simulate") == 0) {
        return simulate(argc - 1, argv + 1);
    }
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(SECAGG_USAGE, stdout);
        return 0;
    }
    fputs(SECAGG_USAGE, stderr);
    return CLI_USAGE;
}
