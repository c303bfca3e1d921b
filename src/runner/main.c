/* SPDX-License-Identifier: Apache-2.0 */
/*
 * clave-runner: the attested workload of a clean room. It proves what it is to the key broker,
 * receives the dataset keys of one contract, computes that contract's job on plaintext that
 * exists only in its (locked) memory, and releases results encrypted to the recipients with a
 * signed, ledger-anchored receipt. docs/runner.md.
 */
#include "runner.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char USAGE[] =
    "usage: clave-runner run --server URL --cacert PEM --bundle CONTRACT.bundle --job JOB.json\n"
    "                        --out DIR [--format snp|nitro] [--sim-dir DIR]\n"
    "                        [--sim-measurement HEX] [--no-mlock] [--no-seccomp] [--json]\n"
    "                        [--hold FILE]\n"
    "       clave-runner fl --server URL --cacert PEM --bundle CONTRACT.bundle --listen HOST:PORT\n"
    "                       --out DIR [--format snp|nitro] [--sim-dir DIR] [--sim-measurement "
    "HEX]\n"
    "                       [--wait SECONDS] [--no-mlock] [--no-seccomp] [--json]\n"
    "       clave-runner measure\n"
    "       clave-runner --help | --version\n"
    "\n"
    "run      Attest to the key broker at URL (TLS verified against PEM) with evidence whose\n"
    "         report data binds the broker's nonce, this run's ephemeral key and the contract\n"
    "         of the bundle; fetch and unseal the job's datasets in memory; run the job (its\n"
    "         SHA-256 must be the contract's computation.spec.job_sha256); debit the DP budgets\n"
    "         before anything is released; write each output encrypted to each recipient of the\n"
    "         contract (DIR/<output>.<party>.jwe), the signed receipt anchored in the audit\n"
    "         ledger (DIR/receipt.cose) and a public run log (DIR/run.json).\n"
    "         --sim-dir DIR: simulated TEE (keys from `clave attest sim-init DIR`): NO HARDWARE\n"
    "         PROTECTION, for development and CI; the broker must trust sim evidence. Without\n"
    "         it, evidence comes from the TEE device (/dev/sev-guest, /dev/nsm, configfs-tsm).\n"
    "         --sim-measurement HEX: the 48-byte measurement to claim (default: SHA-384 of this\n"
    "         executable, what `clave-runner measure` prints).\n"
    "         --no-mlock / --no-seccomp: leave memory unlocked / the system-call filter off\n"
    "         (debugging only; the run log records it).\n"
    "         --hold FILE: tests only: after the datasets are open, wait (at most 60 s) until\n"
    "         FILE exists, then compute and release (shows what a revocation meanwhile does).\n"
    "fl       The aggregator of an FL contract whose spec says protection \"tee\" (docs/fl.md\n"
    "         \"Aggregation in an attested runner\"): attest to the broker under the contract,\n"
    "         serve the federation's clients on HOST:PORT over TLS with an RA-TLS certificate\n"
    "         (evidence binding its key: clients accept only the contract's measurement),\n"
    "         debit each round's client-level DP epsilon at the broker before the round (a\n"
    "         refused debit ends training), release the final model encrypted to the\n"
    "         contract's recipients with a signed, anchored receipt. --wait: how long to wait\n"
    "         for all clients to connect (default 600 s; at least min_clients must).\n"
    "measure  Print the simulated measurement of this executable (hex SHA-384), the value a\n"
    "         contract's sim-snp / sim-nitro workload names.\n"
    "\n"
    "Exit status: 0 results released; 1 refused or failed (nothing released); 2 usage.\n";

static clave_status self_measurement(uint8_t out[48])
{
    int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    uint8_t buf[65536];
    struct clave_hash_ctx *h = NULL;
    clave_status st = fd >= 0 ? clave_hash_new(CLAVE_HASH_SHA384, &h) : CLAVE_ERR_IO;
    ssize_t n = 0;
    while (st == CLAVE_OK && (n = read(fd, buf, sizeof(buf))) > 0) {
        st = clave_hash_update(h, buf, (size_t)n);
    }
    if (st == CLAVE_OK && n < 0) {
        st = CLAVE_ERR_IO;
    }
    if (st == CLAVE_OK) {
        st = clave_hash_final(h, out, 48);
    }
    clave_hash_free(h);
    if (fd >= 0) {
        close(fd);
    }
    return st;
}

static int measure(void)
{
    uint8_t m[48];
    char hex[97];
    if (self_measurement(m) != CLAVE_OK || clave_hex_encode(m, 48, hex, sizeof(hex)) != CLAVE_OK) {
        fprintf(stderr, "clave-runner: cannot read /proc/self/exe\n");
        return 1;
    }
    printf("%s\n", hex);
    return 0;
}

static int parse(int argc, char **argv, struct runner_opts *o)
{
    static const struct option LONG[] = {
        {"server", required_argument, NULL, 1},  {"cacert", required_argument, NULL, 2},
        {"bundle", required_argument, NULL, 3},  {"job", required_argument, NULL, 4},
        {"out", required_argument, NULL, 5},     {"format", required_argument, NULL, 6},
        {"sim-dir", required_argument, NULL, 7}, {"sim-measurement", required_argument, NULL, 8},
        {"no-mlock", no_argument, NULL, 9},      {"no-seccomp", no_argument, NULL, 10},
        {"json", no_argument, NULL, 11},         {"hold", required_argument, NULL, 12},
        {"listen", required_argument, NULL, 13}, {"wait", required_argument, NULL, 14},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0}};
    char *end = NULL;
    const char **targets[] = {NULL,        &o->server, &o->cacert,  &o->bundle,         &o->job,
                              &o->out_dir, &o->format, &o->sim_dir, &o->sim_measurement};
    int opt = 0;
    o->format = "snp";
    o->wait_s = 600;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", LONG, NULL)) != -1) {
        if (opt >= 1 && opt <= 8) {
            *targets[opt] = optarg;
        } else if (opt == 9) {
            o->no_mlock = true;
        } else if (opt == 10) {
            o->no_seccomp = true;
        } else if (opt == 11) {
            o->json = true;
        } else if (opt == 12) {
            o->hold = optarg;
        } else if (opt == 13) {
            o->listen = optarg;
        } else if (opt == 14) {
            o->wait_s = strtol(optarg, &end, 10);
            if (*end != '\0' || o->wait_s < 1 || o->wait_s > 86400) {
                fputs("clave-runner: --wait: 1..86400 seconds\n", stderr);
                return 2;
            }
        } else if (opt == 'h') {
            fputs(USAGE, stdout);
            return 0;
        } else {
            fputs(USAGE, stderr);
            return 2;
        }
    }
    bool fl = o->listen != NULL; /* the fl command requires --listen, run requires --job */
    if (optind != argc || o->server == NULL || o->cacert == NULL || o->bundle == NULL ||
        (fl ? o->job != NULL || o->hold != NULL : o->job == NULL) || o->out_dir == NULL ||
        (strcmp(o->format, "snp") != 0 && strcmp(o->format, "nitro") != 0 &&
         strcmp(o->format, "tdx") != 0)) {
        fputs(USAGE, stderr);
        return 2;
    }
    return -1;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(USAGE, stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(USAGE, stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        puts("clave-runner 0.1.0");
        return 0;
    }
    if (strcmp(argv[1], "measure") == 0) {
        return argc == 2 ? measure() : (fputs(USAGE, stderr), 2);
    }
    bool fl = strcmp(argv[1], "fl") == 0;
    if (strcmp(argv[1], "run") != 0 && !fl) {
        fprintf(stderr, "clave-runner: unknown command %s\n%s", argv[1], USAGE);
        return 2;
    }
    struct runner *r = calloc(1, sizeof(*r));
    if (r == NULL) {
        return 1;
    }
    int rc = parse(argc - 1, argv + 1, &r->opts);
    if (rc < 0 && fl != (r->opts.listen != NULL)) {
        fputs(USAGE, stderr); /* --listen belongs to fl, and fl needs it */
        rc = 2;
    }
    if (rc >= 0) {
        free(r);
        return rc;
    }
    if (clave_query_wipe_sqlite_memory() != CLAVE_OK ||
        curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
        self_measurement(r->measurement) != CLAVE_OK) {
        fprintf(stderr, "clave-runner: initialisation failed\n");
        free(r);
        return 1;
    }
    rc = (fl ? runner_fl(r) : runner_run(r)) == CLAVE_OK ? 0 : 1;
    runner_free(r);
    curl_global_cleanup();
    return rc;
}
