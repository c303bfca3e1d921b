/* SPDX-License-Identifier: Apache-2.0 */
/* clave attest verify | inspect | sim-init | sim-evidence | collect */
#include "cli.h"

#include <getopt.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define ATTEST_HEX_MAX 1024
/* ear.verifier-id "build" of the CLI (keep in step with `clave version`). */
#define EAR_VERIFIER_ID "clave-cli 0.1.0"

static const char ATTEST_USAGE[] =
    "usage: clave attest verify FILE [--format auto|FORMAT] [--at TIME] [--collateral DIR|FILE]\n"
    "                               [--endorsement CERT] [--policy FILE] [--json]\n"
    "                               [--nonce HEX] [--signature FILE --ak-pub PEM [--pcrs FILE]]\n"
    "                               [--tpm-quote FILE] [--event-log FILE]\n"
    "       clave attest inspect FILE [--format auto|FORMAT]\n"
    "       clave attest sim-init [--dir DIR]\n"
    "       clave attest sim-evidence --format nitro|snp [--report-data HEX] [--measurement HEX]\n"
    "                                 [--nonce HEX] [--dir DIR] [--out FILE]\n"
    "       clave attest collect [--report-data HEX] [--out FILE]\n"
    "       clave attest ear-verify TOKEN-FILE --key PUBLIC.pem\n"
    "\n"
    "verify checks attestation evidence (signature, certificate chain to the vendor's root at\n"
    "TIME, format-specific checks) and appraises it under a policy (default: vendor roots only,\n"
    "debug rejected). It prints every check and exits 0 only if all passed. TIME is Unix seconds\n"
    "or YYYY-MM-DDTHH:MM:SSZ (default: the evidence's own time if it has one, else now).\n"
    "--collateral DIR supplies certificates (VCEK/VLEK, ASK/ARK) and Intel PCS responses (TCB\n"
    "info, QE identity, CRLs) from files; --collateral FILE a dcap-qvl collateral JSON (tdx,\n"
    "sgx, az-tdx-vtpm, gcp-tdx); --endorsement CERT one VCEK/VLEK. --nonce HEX is the expected\n"
    "nonce (TPM quote extraData, Azure user-data, GCP REPORTDATA prefix). tpm2: FILE is the\n"
    "TPMS_ATTEST (tpm2_quote -m), --signature the TPMT_SIGNATURE (-s), --ak-pub the AK in PEM,\n"
    "--pcrs the PCR values (tpm2_pcrread -o). az-vtpm: FILE is trustee's evidence JSON, or an\n"
    "HCL report with --tpm-quote its quote JSON. gcp-tdx: FILE is the TD quote, --event-log the\n"
    "CCEL log. With --ear-key KEY.pem (P-256 PKCS#8) verify also writes the appraisal as an\n"
    "EAR token (ES256 JWT) to --ear-out FILE (default stdout). inspect prints the evidence's\n"
    "claims as JSON WITHOUT verifying them. ear-verify checks an EAR token's signature and\n"
    "prints its claims; it exits 0 only if the status is \"affirming\".\n"
    "\n"
    "sim-init creates a development PKI in DIR (default ./clave-sim) and sim-evidence emits\n"
    "Nitro- or SNP-format evidence signed by it. SIMULATED EVIDENCE GIVES NO PROTECTION: anyone\n"
    "with the files can forge it. It verifies only under a policy trusting DIR/root.pem for\n"
    "\"sim-nitro\"/\"sim-snp\" (see docs/attestation.md).\n"
    "\n"
    "collect asks the TEE device of this machine (/dev/nsm, /dev/sev-guest, configfs-tsm) for\n"
    "evidence binding HEX (at most 64 bytes).\n"
    "\n"
    "formats (--format; az-vtpm names both Azure types):";

struct attest_args {
    const char *format;
    const char *collateral;
    const char *endorsement;
    const char *policy;
    const char *dir;
    const char *out;
    const char *report_data;
    const char *measurement;
    const char *nonce;
    const char *ear_key;
    const char *ear_out;
    const char *key;
    const char *signature;
    const char *ak_pub;
    const char *pcrs;
    const char *tpm_quote;
    const char *event_log;
    int64_t at_time;
    bool json;
    int first_operand;
};

static void usage(FILE *f)
{
    fputs(ATTEST_USAGE, f);
    for (size_t i = 0; clave_attest_format_name(i) != NULL; i++) {
        fprintf(f, " %s", clave_attest_format_name(i));
    }
    fputs(" az-vtpm (auto detects all but gcp-tdx)\n", f);
}

static bool parse_time(const char *text, int64_t *out)
{
    struct tm tm;
    char *end = NULL;
    memset(&tm, 0, sizeof(tm));
    end = strptime(text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (end != NULL && *end == 0) {
        *out = (int64_t)timegm(&tm);
        return true;
    }
    long long v = strtoll(text, &end, 10);
    if (end == text || *end != 0 || v <= 0) {
        return false;
    }
    *out = (int64_t)v;
    return true;
}

static int parse_args(int argc, char **argv, struct attest_args *a)
{
    static const struct option LONG_OPTIONS[] = {
        {"format", required_argument, NULL, 'f'},
        {"at", required_argument, NULL, 't'},
        {"collateral", required_argument, NULL, 'c'},
        {"endorsement", required_argument, NULL, 'e'},
        {"policy", required_argument, NULL, 'p'},
        {"json", no_argument, NULL, 'j'},
        {"dir", required_argument, NULL, 'd'},
        {"out", required_argument, NULL, 'o'},
        {"report-data", required_argument, NULL, 'r'},
        {"measurement", required_argument, NULL, 'm'},
        {"nonce", required_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {"ear-key", required_argument, NULL, 'E'},
        {"ear-out", required_argument, NULL, 'O'},
        {"key", required_argument, NULL, 'k'},
        {"signature", required_argument, NULL, 'S'},
        {"ak-pub", required_argument, NULL, 'A'},
        {"pcrs", required_argument, NULL, 'P'},
        {"tpm-quote", required_argument, NULL, 'Q'},
        {"event-log", required_argument, NULL, 'L'},
        {NULL, 0, NULL, 0},
    };
    const char **targets[128] = {0};
    targets['f'] = &a->format;
    targets['c'] = &a->collateral;
    targets['e'] = &a->endorsement;
    targets['p'] = &a->policy;
    targets['d'] = &a->dir;
    targets['o'] = &a->out;
    targets['r'] = &a->report_data;
    targets['m'] = &a->measurement;
    targets['n'] = &a->nonce;
    targets['E'] = &a->ear_key;
    targets['O'] = &a->ear_out;
    targets['k'] = &a->key;
    targets['S'] = &a->signature;
    targets['A'] = &a->ak_pub;
    targets['P'] = &a->pcrs;
    targets['Q'] = &a->tpm_quote;
    targets['L'] = &a->event_log;
    int opt = 0;
    memset(a, 0, sizeof(*a));
    a->format = "auto";
    a->dir = "clave-sim";
    optind = 1;
    while ((opt = getopt_long(argc, argv, "f:t:c:e:p:jd:o:r:m:n:hk:", LONG_OPTIONS, NULL)) != -1) {
        if (opt > 0 && opt < 128 && targets[opt] != NULL) {
            *targets[opt] = optarg;
        } else if (opt == 't' && parse_time(optarg, &a->at_time)) {
            continue;
        } else if (opt == 'j') {
            a->json = true;
        } else if (opt == 'h') {
            usage(stdout);
            exit(0);
        } else {
            usage(stderr);
            return CLI_USAGE;
        }
    }
    a->first_operand = optind;
    return 0;
}

static clave_status read_file(const char *path, uint8_t **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    *out = NULL;
    *len = 0;
    if (f == NULL) {
        fprintf(stderr, "clave: cannot open %s\n", path);
        return CLAVE_ERR_IO;
    }
    *out = malloc(CLAVE_ATTEST_MAX_EVIDENCE_LEN + 1);
    if (*out == NULL) {
        fclose(f);
        return CLAVE_ERR_NOMEM;
    }
    *len = fread(*out, 1, CLAVE_ATTEST_MAX_EVIDENCE_LEN + 1, f);
    bool bad = ferror(f) != 0 || *len > CLAVE_ATTEST_MAX_EVIDENCE_LEN;
    fclose(f);
    if (bad) {
        fprintf(stderr, "clave: cannot read %s (or larger than %u bytes)\n", path,
                CLAVE_ATTEST_MAX_EVIDENCE_LEN);
        free(*out);
        *out = NULL;
        return CLAVE_ERR_IO;
    }
    return CLAVE_OK;
}

static clave_status load_policy(const char *path, struct clave_attest_policy **out)
{
    uint8_t *json = NULL;
    size_t len = 0;
    if (path == NULL) {
        return clave_attest_policy_default(out);
    }
    clave_status st = read_file(path, &json, &len);
    if (st == CLAVE_OK) {
        char *copy = strdup(path);
        st = copy != NULL ? clave_attest_policy_parse((const char *)json, len, dirname(copy), out)
                          : CLAVE_ERR_NOMEM;
        free(copy);
    }
    free(json);
    return st;
}

static void print_report(const struct clave_attest_report *r)
{
    for (size_t i = 0; i < clave_attest_report_check_count(r); i++) {
        struct clave_attest_check c;
        if (clave_attest_report_get_check(r, i, &c) == CLAVE_OK) {
            printf("%s  %-34s %s\n", c.outcome == CLAVE_CHECK_PASS ? "PASS" : "FAIL", c.name,
                   c.detail);
        }
    }
    struct clave_attest_claim tee;
    bool have = clave_attest_report_find_claim(r, "tee", &tee) == CLAVE_OK;
    printf("verdict: %s (%s)\n", clave_attest_report_ok(r) ? "OK" : "REJECTED",
           have ? (const char *)tee.bytes : "unknown TEE");
    if (have && strncmp((const char *)tee.bytes, "sim-", 4) == 0) {
        printf("WARNING: simulated evidence: no hardware protection\n");
    }
}

static int emit_report(const struct clave_attest_report *r, bool json)
{
    char *text = NULL;
    if (!json) {
        print_report(r);
        return 0;
    }
    clave_status st = clave_attest_report_json(r, &text);
    if (st != CLAVE_OK) {
        return cli_fail("report", st);
    }
    printf("%s\n", text);
    free(text);
    return 0;
}

static clave_status load_key(const char *path, struct clave_pkey **out)
{
    uint8_t *pem = NULL;
    size_t len = 0;
    clave_status st = read_file(path, &pem, &len);
    if (st == CLAVE_OK) {
        st = clave_pkey_from_pem((const char *)pem, len, out);
    }
    if (pem != NULL) {
        clave_wipe(pem, len);
    }
    free(pem);
    return st;
}

static int write_out(const char *path, const uint8_t *data, size_t len);

/* The appraisal as an EAR token signed by the key in `a->ear_key`. */
static int issue_ear(const struct attest_args *a, const struct clave_attest_report *r)
{
    struct clave_pkey *key = NULL;
    char *jwt = NULL;
    clave_status st = load_key(a->ear_key, &key);
    st = st == CLAVE_OK ? clave_ear_issue(r, key, EAR_VERIFIER_ID, (int64_t)time(NULL), &jwt) : st;
    int rc = st == CLAVE_OK ? write_out(a->ear_out, (const uint8_t *)jwt, strlen(jwt))
                            : cli_fail("attest verify --ear-key", st);
    if (rc == 0 && a->ear_out == NULL) {
        putchar('\n');
    }
    free(jwt);
    clave_pkey_free(key);
    return rc;
}

static int attest_ear_verify(struct attest_args *a, int argc, char **argv)
{
    uint8_t *token = NULL;
    size_t len = 0;
    struct clave_pkey *key = NULL;
    const char *status = NULL;
    char *claims = NULL;
    if (a->first_operand != argc - 1 || a->key == NULL) {
        usage(stderr);
        return CLI_USAGE;
    }
    clave_status st = read_file(argv[a->first_operand], &token, &len);
    while (st == CLAVE_OK && len > 0 && (token[len - 1] == '\n' || token[len - 1] == '\r')) {
        len--;
    }
    st = st == CLAVE_OK ? load_key(a->key, &key) : st;
    st = st == CLAVE_OK ? clave_ear_verify((const char *)token, len, key, &status, &claims) : st;
    int rc = st == CLAVE_OK ? 0 : cli_fail("attest ear-verify", st);
    if (rc == 0) {
        printf("status: %s\n%s\n", status, claims);
        rc = strcmp(status, "affirming") == 0 ? 0 : CLI_FAILED;
    }
    free(claims);
    clave_pkey_free(key);
    free(token);
    return rc;
}

/* Decode an optional hex option into `buf`; false (after a message) on bad hex. */
static bool hex_opt(const char *name, const char *hex, uint8_t *buf, size_t cap, size_t *len)
{
    *len = 0;
    if (hex == NULL) {
        return true;
    }
    if (clave_hex_decode(hex, strlen(hex), buf, cap, len) != CLAVE_OK) {
        fprintf(stderr, "clave: --%s: expected at most %zu bytes of hex\n", name, cap);
        return false;
    }
    return true;
}

/* The files named by verify's options, owned for the call. */
struct verify_inputs {
    uint8_t *endorsement;
    uint8_t *signature;
    uint8_t *pcrs;
    uint8_t *tpm_quote;
    uint8_t *event_log;
    struct clave_pkey *ak;
    uint8_t nonce[ATTEST_HEX_MAX];
};

static void verify_inputs_free(struct verify_inputs *in)
{
    free(in->endorsement);
    free(in->signature);
    free(in->pcrs);
    free(in->tpm_quote);
    free(in->event_log);
    clave_pkey_free(in->ak);
}

/* An optional file option into `*buf`/`*len` (untouched when the option is absent). */
static clave_status opt_file(const char *path, uint8_t **buf, const uint8_t **view, size_t *len)
{
    if (path == NULL) {
        return CLAVE_OK;
    }
    clave_status st = read_file(path, buf, len);
    *view = *buf;
    return st;
}

static clave_status load_verify_inputs(const struct attest_args *a, struct verify_inputs *in,
                                       struct clave_attest_options *opts)
{
    struct stat sb;
    clave_status st = CLAVE_OK;
    if (a->collateral != NULL && stat(a->collateral, &sb) == 0 && S_ISREG(sb.st_mode)) {
        opts->collateral_file = a->collateral;
    } else {
        opts->collateral_dir = a->collateral;
    }
    if (!hex_opt("nonce", a->nonce, in->nonce, sizeof(in->nonce), &opts->nonce_len)) {
        return CLAVE_ERR_ARG;
    }
    opts->nonce = a->nonce != NULL ? in->nonce : NULL;
    if ((st = opt_file(a->endorsement, &in->endorsement, &opts->endorsement,
                       &opts->endorsement_len)) ||
        (st = opt_file(a->signature, &in->signature, &opts->tpm_signature,
                       &opts->tpm_signature_len)) ||
        (st = opt_file(a->pcrs, &in->pcrs, &opts->tpm_pcrs, &opts->tpm_pcrs_len)) ||
        (st = opt_file(a->tpm_quote, &in->tpm_quote, &opts->tpm_quote, &opts->tpm_quote_len)) ||
        (st = opt_file(a->event_log, &in->event_log, &opts->event_log, &opts->event_log_len))) {
        return st;
    }
    if (a->ak_pub != NULL && (st = load_key(a->ak_pub, &in->ak)) == CLAVE_OK) {
        opts->tpm_ak = in->ak;
    }
    return st;
}

static int attest_verify(struct attest_args *a, int argc, char **argv)
{
    uint8_t *ev = NULL;
    size_t len = 0;
    struct verify_inputs in;
    struct clave_attest_policy *policy = NULL;
    struct clave_attest_report *r = NULL;
    struct clave_attest_options opts = {.at_time = a->at_time};
    memset(&in, 0, sizeof(in));
    if (a->first_operand != argc - 1) {
        usage(stderr);
        return CLI_USAGE;
    }
    clave_status st = read_file(argv[a->first_operand], &ev, &len);
    st = st == CLAVE_OK ? load_verify_inputs(a, &in, &opts) : st;
    st = st == CLAVE_OK ? load_policy(a->policy, &policy) : st;
    st = st == CLAVE_OK ? clave_attest_report_new(&r) : st;
    opts.policy = policy;
    st = st == CLAVE_OK ? clave_attest_verify(a->format, ev, len, &opts, r) : st;
    if (st == CLAVE_OK) {
        struct clave_attest_claim t;
        int64_t now = a->at_time != 0                                             ? a->at_time
                      : clave_attest_report_find_claim(r, "time", &t) == CLAVE_OK ? t.integer
                                                                                  : time(NULL);
        st = clave_attest_policy_apply(policy, now, r);
    }
    int rc = st != CLAVE_OK ? cli_fail("attest verify", st) : emit_report(r, a->json);
    if (rc == 0 && a->ear_key != NULL) {
        rc = issue_ear(a, r);
    }
    if (rc == 0 && !clave_attest_report_ok(r)) {
        rc = CLI_FAILED;
    }
    clave_attest_report_free(r);
    clave_attest_policy_free(policy);
    verify_inputs_free(&in);
    free(ev);
    return rc;
}

static int attest_inspect(struct attest_args *a, int argc, char **argv)
{
    uint8_t *ev = NULL;
    size_t len = 0;
    struct clave_attest_report *r = NULL;
    if (a->first_operand != argc - 1) {
        usage(stderr);
        return CLI_USAGE;
    }
    clave_status st = read_file(argv[a->first_operand], &ev, &len);
    st = st == CLAVE_OK ? clave_attest_report_new(&r) : st;
    st = st == CLAVE_OK ? clave_attest_inspect(a->format, ev, len, r) : st;
    int rc = st == CLAVE_OK ? emit_report(r, true) : cli_fail("attest inspect", st);
    clave_attest_report_free(r);
    free(ev);
    return rc;
}

static int attest_sim_init(struct attest_args *a, int argc, char **argv)
{
    (void)argv;
    if (a->first_operand != argc) {
        usage(stderr);
        return CLI_USAGE;
    }
    clave_status st = clave_attest_sim_init(a->dir);
    if (st != CLAVE_OK) {
        return cli_fail("attest sim-init", st);
    }
    printf(
        "created the SIMULATED dev PKI in %s (root.pem, intermediate.pem, nitro-leaf.*, "
        "snp-vcek.*)\nWARNING: sim evidence gives no hardware protection; trust %s/root.pem only "
        "in development policies\n",
        a->dir, a->dir);
    return 0;
}

static int write_out(const char *path, const uint8_t *data, size_t len)
{
    FILE *f = path != NULL ? fopen(path, "wb") : stdout;
    if (f == NULL || fwrite(data, 1, len, f) != len) {
        fprintf(stderr, "clave: cannot write %s\n", path != NULL ? path : "stdout");
        if (f != NULL && f != stdout) {
            fclose(f);
        }
        return CLI_FAILED;
    }
    return f != stdout && fclose(f) != 0 ? CLI_FAILED : 0;
}

static int attest_sim_evidence(struct attest_args *a, int argc, char **argv)
{
    (void)argv;
    uint8_t rd[ATTEST_HEX_MAX];
    uint8_t meas[ATTEST_HEX_MAX];
    uint8_t nonce[ATTEST_HEX_MAX];
    struct clave_attest_sim_input in = {0};
    uint8_t *ev = NULL;
    size_t len = 0;
    if (a->first_operand != argc || strcmp(a->format, "auto") == 0) {
        usage(stderr);
        return CLI_USAGE;
    }
    if (!hex_opt("report-data", a->report_data, rd, sizeof(rd), &in.report_data_len) ||
        !hex_opt("measurement", a->measurement, meas, sizeof(meas), &in.measurement_len) ||
        !hex_opt("nonce", a->nonce, nonce, sizeof(nonce), &in.nonce_len)) {
        return CLI_USAGE;
    }
    in.report_data = rd;
    in.measurement = meas;
    in.nonce = nonce;
    clave_status st = clave_attest_sim_evidence(a->dir, a->format, &in, &ev, &len);
    int rc = st == CLAVE_OK ? write_out(a->out, ev, len) : cli_fail("attest sim-evidence", st);
    free(ev);
    return rc;
}

static int attest_collect(struct attest_args *a, int argc, char **argv)
{
    (void)argv;
    uint8_t rd[CLAVE_SNP_REPORT_DATA_LEN];
    size_t rd_len = 0;
    const char *format = NULL;
    uint8_t *ev = NULL;
    size_t len = 0;
    if (a->first_operand != argc) {
        usage(stderr);
        return CLI_USAGE;
    }
    if (!hex_opt("report-data", a->report_data, rd, sizeof(rd), &rd_len)) {
        return CLI_USAGE;
    }
    clave_status st = clave_attest_collect(rd, rd_len, &format, &ev, &len);
    if (st != CLAVE_OK) {
        return cli_fail("attest collect", st);
    }
    fprintf(stderr, "collected %zu bytes of %s evidence\n", len, format);
    int rc = write_out(a->out, ev, len);
    free(ev);
    return rc;
}

struct attest_sub {
    const char *name;
    int (*run)(struct attest_args *a, int argc, char **argv);
};

static const struct attest_sub SUBCOMMANDS[] = {
    {"verify", attest_verify},     {"inspect", attest_inspect},
    {"sim-init", attest_sim_init}, {"sim-evidence", attest_sim_evidence},
    {"collect", attest_collect},   {"ear-verify", attest_ear_verify},
};

int cli_attest(int argc, char **argv)
{
    struct attest_args args;
    if (argc < 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof(SUBCOMMANDS) / sizeof(SUBCOMMANDS[0]); i++) {
        if (strcmp(argv[1], SUBCOMMANDS[i].name) == 0) {
            int rc = parse_args(argc - 1, argv + 1, &args);
            return rc != 0 ? rc : SUBCOMMANDS[i].run(&args, argc - 1, argv + 1);
        }
    }
    fprintf(stderr, "clave attest: unknown subcommand '%s'\n", argv[1]);
    usage(stderr);
    return CLI_USAGE;
}
