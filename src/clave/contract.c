/* SPDX-License-Identifier: Apache-2.0 */
/*
 * clave contract propose | show | sign | revoke | export | verify | signing-input | assemble
 *
 * Offline commands over files: nothing here talks to a server. The server verbs (submit,
 * approve, submit-revocation, status) are in contract_remote.c.
 */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_STATEMENT_ARGS CLAVE_CONTRACT_MAX_SIGNERS
#define KEY_FILE_MAX 16384
#define SPEC_FILE_MAX (2u * 1024u * 1024u)

static const char CONTRACT_USAGE[] =
    "usage: clave contract propose --spec CONTRACT.json --out CONTRACT.cbor\n"
    "       clave contract show FILE\n"
    "       clave contract sign CONTRACT.cbor --key PARTY-KEY.pem --party ID --out SIG.cose\n"
    "       clave contract revoke CONTRACT.cbor --key PARTY-KEY.pem --party ID [--time T]\n"
    "                             --out REV.cose\n"
    "       clave contract export CONTRACT.cbor|BUNDLE [--signature ID=SIG.cose]...\n"
    "                             [--revocation ID=REV.cose]... --out BUNDLE\n"
    "       clave contract verify BUNDLE [--at T] [--json]\n"
    "       clave contract signing-input CONTRACT.cbor --party ID --alg ES256|EdDSA\n"
    "                             [--revocation-time T] --out TBS.bin\n"
    "       clave contract assemble CONTRACT.cbor --party ID --alg ES256|EdDSA\n"
    "                             [--revocation-time T] --raw-signature SIG.bin --out SIG.cose\n"
    "       clave contract submit|approve|submit-revocation|status ... (on the server of the\n"
    "                             cached session: 'clave contract submit --help')\n"
    "\n"
    "propose   turn a JSON description (docs/formats/contract.md) into the canonical CBOR\n"
    "          contract and print its id (SHA-256 of the encoding)\n"
    "show      print a contract or bundle as JSON\n"
    "sign      approve the contract as party ID with its identity key (Ed25519 or P-256\n"
    "          PKCS#8 PEM, e.g. from 'openssl genpkey'): a COSE_Sign1 over the contract id\n"
    "revoke    a revocation statement by party ID, effective at T (default: now); final\n"
    "export    one bundle file with the contract and every approval and revocation (each\n"
    "          verified before it is added); FILE may be an earlier bundle to extend\n"
    "verify    check a bundle offline: canonical encoding, id, every statement against the\n"
    "          declared signer keys, and the state at T (default: now). Exit 0 only when\n"
    "          the contract is active, 1 otherwise.\n"
    "signing-input / assemble\n"
    "          for keys in a PKCS#11 token: the exact bytes to sign (EdDSA: CKM_EDDSA over\n"
    "          them; ES256: CKM_ECDSA_SHA256 over them), then wrap the raw 64-byte\n"
    "          signature into the statement. With --revocation-time, a revocation.\n"
    "\n"
    "Times T are unix seconds.\n";

struct statement_arg {
    const char *party;
    const char *path;
};

struct contract_args {
    const char *spec;
    const char *out;
    const char *key;
    const char *party;
    const char *alg;
    const char *raw_signature;
    uint64_t time;
    bool has_time;
    bool json;
    struct statement_arg signatures[MAX_STATEMENT_ARGS];
    size_t signature_count;
    struct statement_arg revocations[MAX_STATEMENT_ARGS];
    size_t revocation_count;
    int first_operand;
};

enum {
    OPT_SPEC = 2000,
    OPT_OUT,
    OPT_KEY,
    OPT_PARTY,
    OPT_TIME,
    OPT_JSON,
    OPT_SIGNATURE,
    OPT_REVOCATION,
    OPT_ALG,
    OPT_RAW_SIGNATURE,
    OPT_HELP,
};

static bool parse_time(const char *s, uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    if (s == NULL || s[0] < '0' || s[0] > '9') {
        return false;
    }
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || v > INT64_MAX) {
        return false;
    }
    *out = v;
    return true;
}

static bool add_statement_arg(struct statement_arg *list, size_t *count, char *arg)
{
    char *eq = strchr(arg, '=');
    if (eq == NULL || eq == arg || eq[1] == '\0' || *count >= MAX_STATEMENT_ARGS) {
        return false;
    }
    *eq = '\0';
    list[*count].party = arg;
    list[*count].path = eq + 1;
    (*count)++;
    return true;
}

/* One option; false for a usage error. */
static bool take_option(struct contract_args *a, int opt, char *arg)
{
    switch (opt) {
    case OPT_SPEC:
        a->spec = arg;
        return true;
    case OPT_OUT:
        a->out = arg;
        return true;
    case OPT_KEY:
        a->key = arg;
        return true;
    case OPT_PARTY:
        a->party = arg;
        return true;
    case OPT_ALG:
        a->alg = arg;
        return true;
    case OPT_RAW_SIGNATURE:
        a->raw_signature = arg;
        return true;
    case OPT_TIME:
        a->has_time = true;
        return parse_time(arg, &a->time);
    case OPT_JSON:
        a->json = true;
        return true;
    case OPT_SIGNATURE:
        return add_statement_arg(a->signatures, &a->signature_count, arg);
    case OPT_REVOCATION:
        return add_statement_arg(a->revocations, &a->revocation_count, arg);
    default:
        return false;
    }
}

static int parse_args(int argc, char **argv, struct contract_args *a)
{
    static const struct option LONG_OPTIONS[] = {
        {"spec", required_argument, NULL, OPT_SPEC},
        {"out", required_argument, NULL, OPT_OUT},
        {"key", required_argument, NULL, OPT_KEY},
        {"party", required_argument, NULL, OPT_PARTY},
        {"time", required_argument, NULL, OPT_TIME},
        {"at", required_argument, NULL, OPT_TIME},
        {"revocation-time", required_argument, NULL, OPT_TIME},
        {"json", no_argument, NULL, OPT_JSON},
        {"signature", required_argument, NULL, OPT_SIGNATURE},
        {"revocation", required_argument, NULL, OPT_REVOCATION},
        {"alg", required_argument, NULL, OPT_ALG},
        {"raw-signature", required_argument, NULL, OPT_RAW_SIGNATURE},
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    int opt = 0;
    memset(a, 0, sizeof(*a));
    optind = 1;
    while ((opt = getopt_long(argc, argv, "", LONG_OPTIONS, NULL)) != -1) {
        if (opt == OPT_HELP) {
            fputs(CONTRACT_USAGE, stdout);
            exit(0);
        }
        if (!take_option(a, opt, optarg)) {
            fputs(CONTRACT_USAGE, stderr);
            return CLI_USAGE;
        }
    }
    a->first_operand = optind;
    return 0;
}

/* The whole of a file (at most `max` bytes) into a new buffer; caller frees. */
static clave_status read_file(const char *path, size_t max, uint8_t **out, size_t *out_len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    size_t len = 0;
    *out = NULL;
    *out_len = 0;
    if (f == NULL) {
        fprintf(stderr, "clave: cannot open %s: %s\n", path, strerror(errno));
        return CLAVE_ERR_IO;
    }
    buf = malloc(max + 1);
    if (buf == NULL) {
        fclose(f);
        return CLAVE_ERR_NOMEM;
    }
    len = fread(buf, 1, max + 1, f);
    bool failed = ferror(f) != 0;
    fclose(f);
    if (failed || len > max) {
        fprintf(stderr, "clave: %s: %s\n", path, failed ? "read error" : "file too large");
        free(buf);
        return failed ? CLAVE_ERR_IO : CLAVE_ERR_TOO_LARGE;
    }
    *out = buf;
    *out_len = len;
    return CLAVE_OK;
}

static clave_status write_file(const char *path, const uint8_t *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        fprintf(stderr, "clave: cannot create %s: %s\n", path, strerror(errno));
        return CLAVE_ERR_IO;
    }
    bool ok = fwrite(data, 1, len, f) == len;
    ok = fclose(f) == 0 && ok;
    if (!ok) {
        fprintf(stderr, "clave: cannot write %s\n", path);
        return CLAVE_ERR_IO;
    }
    return CLAVE_OK;
}

/* A contract document or a bundle (with its verified statements). */
static clave_status load_contract(const char *path, struct clave_contract **out)
{
    uint8_t *data = NULL;
    size_t len = 0;
    clave_status st = read_file(path, CLAVE_CONTRACT_BUNDLE_MAX_LEN, &data, &len);
    if (st == CLAVE_OK) {
        st = clave_contract_parse(data, len, out);
        if (st != CLAVE_OK && clave_contract_bundle_parse(data, len, out) == CLAVE_OK) {
            st = CLAVE_OK;
        }
    }
    free(data);
    return st;
}

static void print_id(const struct clave_contract *c, FILE *out)
{
    char hex[2 * CLAVE_CONTRACT_ID_LEN + 1];
    if (clave_hex_encode(clave_contract_id(c), CLAVE_CONTRACT_ID_LEN, hex, sizeof(hex)) ==
        CLAVE_OK) {
        fputs(hex, out);
    }
}

static bool need(const char *value, const char *option)
{
    if (value == NULL) {
        fprintf(stderr, "clave: contract: %s is required\n", option);
    }
    return value != NULL;
}

static bool one_operand(const struct contract_args *a, int argc)
{
    if (a->first_operand != argc - 1) {
        fputs(CONTRACT_USAGE, stderr);
        return false;
    }
    return true;
}

static int contract_propose(struct contract_args *a, int argc, char **argv)
{
    (void)argv;
    uint8_t *json = NULL;
    size_t len = 0;
    struct clave_contract *c = NULL;
    if (a->first_operand != argc || !need(a->spec, "--spec") || !need(a->out, "--out")) {
        return CLI_USAGE;
    }
    clave_status st = read_file(a->spec, SPEC_FILE_MAX, &json, &len);
    if (st == CLAVE_OK) {
        st = clave_contract_from_json((const char *)json, len, &c);
    }
    if (st == CLAVE_OK) {
        size_t enc_len = 0;
        const uint8_t *enc = clave_contract_encoding(c, &enc_len);
        st = write_file(a->out, enc, enc_len);
    }
    if (st == CLAVE_OK) {
        print_id(c, stdout);
        fputc('\n', stdout);
    }
    clave_contract_free(c);
    free(json);
    return st == CLAVE_OK ? 0 : cli_fail("contract propose", st);
}

static int contract_show(struct contract_args *a, int argc, char **argv)
{
    struct clave_contract *c = NULL;
    char *json = NULL;
    if (!one_operand(a, argc)) {
        return CLI_USAGE;
    }
    clave_status st = load_contract(argv[a->first_operand], &c);
    if (st == CLAVE_OK) {
        st = clave_contract_to_json(c, &json);
    }
    if (st == CLAVE_OK) {
        printf("{\n\"id\": \"");
        print_id(c, stdout);
        printf("\",\n\"contract\": %s\n}\n", json);
    }
    free(json);
    clave_contract_free(c);
    return st == CLAVE_OK ? 0 : cli_fail("contract show", st);
}

/* The party's private key from a PEM/DER file, read into secret memory. */
static clave_status load_key(const char *path, struct clave_pkey **out)
{
    uint8_t *data = NULL;
    size_t len = 0;
    struct clave_secret *secret = NULL;
    *out = NULL;
    clave_status st = read_file(path, KEY_FILE_MAX, &data, &len);
    if (st == CLAVE_OK) {
        st = clave_secret_from(data, len, &secret);
        clave_wipe(data, len);
    }
    free(data);
    if (st == CLAVE_OK) {
        const uint8_t *k = clave_secret_cdata(secret);
        st = len > 10 && memcmp(k, "-----BEGIN", 10) == 0 // lint:public (a PEM label)
                 ? clave_pkey_from_pem((const char *)k, len, out)
                 : clave_pkey_from_der(k, len, out);
    }
    clave_secret_free(secret);
    return st;
}

static int contract_statement(struct contract_args *a, int argc, char **argv, bool revoke)
{
    const char *what = revoke ? "contract revoke" : "contract sign";
    struct clave_contract *c = NULL;
    struct clave_pkey *key = NULL;
    uint8_t *msg = NULL;
    size_t len = 0;
    if (!one_operand(a, argc) || !need(a->key, "--key") || !need(a->party, "--party") ||
        !need(a->out, "--out")) {
        return CLI_USAGE;
    }
    clave_status st = load_contract(argv[a->first_operand], &c);
    if (st == CLAVE_OK) {
        st = load_key(a->key, &key);
    }
    if (st == CLAVE_OK) {
        uint64_t t = a->has_time ? a->time : (uint64_t)time(NULL);
        st = revoke ? clave_contract_revoke(c, key, a->party, t, &msg, &len)
                    : clave_contract_sign(c, key, a->party, &msg, &len);
    }
    if (st == CLAVE_OK) {
        st = write_file(a->out, msg, len);
    }
    free(msg);
    clave_pkey_free(key);
    clave_contract_free(c);
    return st == CLAVE_OK ? 0 : cli_fail(what, st);
}

static int contract_sign(struct contract_args *a, int argc, char **argv)
{
    return contract_statement(a, argc, argv, false);
}

static int contract_revoke(struct contract_args *a, int argc, char **argv)
{
    return contract_statement(a, argc, argv, true);
}

static clave_status add_statements(struct clave_contract *c, const struct statement_arg *list,
                                   size_t n, bool revocation)
{
    clave_status st = CLAVE_OK;
    for (size_t i = 0; st == CLAVE_OK && i < n; i++) {
        uint8_t *msg = NULL;
        size_t len = 0;
        st = read_file(list[i].path, CLAVE_CONTRACT_BUNDLE_MAX_LEN, &msg, &len);
        if (st == CLAVE_OK) {
            st = revocation ? clave_contract_add_revocation(c, list[i].party, msg, len)
                            : clave_contract_add_signature(c, list[i].party, msg, len);
        }
        if (st != CLAVE_OK) {
            fprintf(stderr, "clave: %s\n", list[i].path);
        }
        free(msg);
    }
    return st;
}

static int contract_export(struct contract_args *a, int argc, char **argv)
{
    struct clave_contract *c = NULL;
    uint8_t *bundle = NULL;
    size_t len = 0;
    if (!one_operand(a, argc) || !need(a->out, "--out")) {
        return CLI_USAGE;
    }
    clave_status st = load_contract(argv[a->first_operand], &c);
    if (st == CLAVE_OK) {
        st = add_statements(c, a->signatures, a->signature_count, false);
    }
    if (st == CLAVE_OK) {
        st = add_statements(c, a->revocations, a->revocation_count, true);
    }
    if (st == CLAVE_OK) {
        st = clave_contract_bundle_export(c, &bundle, &len);
    }
    if (st == CLAVE_OK) {
        st = write_file(a->out, bundle, len);
    }
    free(bundle);
    clave_contract_free(c);
    return st == CLAVE_OK ? 0 : cli_fail("contract export", st);
}

static bool parse_alg(const char *alg, int64_t *out)
{
    if (alg != NULL && strcmp(alg, "ES256") == 0) {
        *out = CLAVE_COSE_ALG_ES256;
        return true;
    }
    if (alg != NULL && strcmp(alg, "EdDSA") == 0) {
        *out = CLAVE_COSE_ALG_EDDSA;
        return true;
    }
    fprintf(stderr, "clave: contract: --alg must be ES256 or EdDSA\n");
    return false;
}

static int contract_token(struct contract_args *a, int argc, char **argv, bool assemble)
{
    const char *what = assemble ? "contract assemble" : "contract signing-input";
    struct clave_contract *c = NULL;
    uint8_t *out = NULL;
    uint8_t *raw = NULL;
    size_t raw_len = 0;
    size_t len = 0;
    int64_t alg = 0;
    if (!one_operand(a, argc) || !need(a->party, "--party") || !need(a->out, "--out") ||
        !parse_alg(a->alg, &alg) || (assemble && !need(a->raw_signature, "--raw-signature"))) {
        return CLI_USAGE;
    }
    enum clave_contract_statement kind =
        a->has_time ? CLAVE_CONTRACT_REVOCATION : CLAVE_CONTRACT_APPROVAL;
    clave_status st = load_contract(argv[a->first_operand], &c);
    if (st == CLAVE_OK && assemble) {
        st = read_file(a->raw_signature, KEY_FILE_MAX, &raw, &raw_len);
    }
    if (st == CLAVE_OK) {
        st = assemble ? clave_contract_assemble_statement(c, kind, a->party, alg, a->time, raw,
                                                          raw_len, &out, &len)
                      : clave_contract_signing_input(c, kind, a->party, alg, a->time, &out, &len);
    }
    if (st == CLAVE_OK) {
        st = write_file(a->out, out, len);
    }
    free(out);
    free(raw);
    clave_contract_free(c);
    return st == CLAVE_OK ? 0 : cli_fail(what, st);
}

static int contract_signing_input(struct contract_args *a, int argc, char **argv)
{
    return contract_token(a, argc, argv, false);
}

static int contract_assemble(struct contract_args *a, int argc, char **argv)
{
    return contract_token(a, argc, argv, true);
}

static void print_summary(const struct clave_contract *c, const struct clave_contract_verdict *v,
                          uint64_t at)
{
    char hex[2 * CLAVE_SHA256_LEN + 1];
    printf("contract       ");
    print_id(c, stdout);
    printf("\ncollaboration  %s (version %llu)\n", clave_contract_collaboration(c),
           (unsigned long long)clave_contract_version(c));
    printf("computation    %s\n", clave_computation_kind_name(clave_contract_computation_kind(c)));
    for (size_t i = 0; i < clave_contract_dataset_count(c); i++) {
        struct clave_contract_dataset d = clave_contract_dataset(c, i);
        if (clave_hex_encode(d.sha256, CLAVE_SHA256_LEN, hex, sizeof(hex)) == CLAVE_OK) {
            printf("dataset        %s (owner %s) sha256 %s\n", d.id, d.owner, hex);
        }
    }
    for (size_t i = 0; i < clave_contract_signer_count(c); i++) {
        const char *party = clave_contract_signer(c, i).party;
        printf("signer         %s: %s%s\n", party,
               clave_contract_has_signature(c, party) ? "signed" : "NOT signed",
               clave_contract_has_revocation(c, party) ? ", revoked" : "");
    }
    printf("valid          %llu .. %llu\n", (unsigned long long)clave_contract_not_before(c),
           (unsigned long long)clave_contract_expiry(c));
    printf("at             %llu\n", (unsigned long long)at);
    printf("status         %s (%s)\n", clave_contract_state_name(v->state), v->reason);
}

static void print_verdict_json(const struct clave_contract *c,
                               const struct clave_contract_verdict *v, uint64_t at)
{
    char hex[2 * CLAVE_CONTRACT_ID_LEN + 1];
    json_t *signers = json_array();
    for (size_t i = 0; i < clave_contract_signer_count(c); i++) {
        const char *party = clave_contract_signer(c, i).party;
        (void)json_array_append_new(signers,
                                    json_pack("{s:s, s:b, s:b}", "party", party, "signed",
                                              clave_contract_has_signature(c, party), "revoked",
                                              clave_contract_has_revocation(c, party)));
    }
    if (clave_hex_encode(clave_contract_id(c), CLAVE_CONTRACT_ID_LEN, hex, sizeof(hex)) !=
        CLAVE_OK) {
        hex[0] = '\0';
    }
    json_t *root =
        json_pack("{s:s, s:s, s:I, s:s, s:o, s:I, s:I, s:I, s:s, s:s}", "id", hex, "collaboration",
                  clave_contract_collaboration(c), "version", (json_int_t)clave_contract_version(c),
                  "kind", clave_computation_kind_name(clave_contract_computation_kind(c)),
                  "signers", signers, "not_before", (json_int_t)clave_contract_not_before(c),
                  "expiry", (json_int_t)clave_contract_expiry(c), "at", (json_int_t)at, "status",
                  clave_contract_state_name(v->state), "reason", v->reason);
    char *text = root != NULL ? json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    if (text != NULL) {
        printf("%s\n", text);
    }
    free(text);
    json_decref(root);
}

static int contract_verify(struct contract_args *a, int argc, char **argv)
{
    struct clave_contract *c = NULL;
    struct clave_contract_verdict v;
    uint8_t *data = NULL;
    size_t len = 0;
    if (!one_operand(a, argc)) {
        return CLI_USAGE;
    }
    clave_status st = read_file(argv[a->first_operand], CLAVE_CONTRACT_BUNDLE_MAX_LEN, &data, &len);
    if (st == CLAVE_OK) {
        st = clave_contract_bundle_parse(data, len, &c);
    }
    free(data);
    if (st != CLAVE_OK) {
        if (a->json) {
            json_t *root =
                json_pack("{s:s, s:s}", "status", "invalid", "reason", clave_error_last().detail);
            char *text = root != NULL ? json_dumps(root, JSON_INDENT(2)) : NULL;
            if (text != NULL) {
                printf("%s\n", text);
            }
            free(text);
            json_decref(root);
        }
        return cli_fail("contract verify", st);
    }
    uint64_t at = a->has_time ? a->time : (uint64_t)time(NULL);
    clave_contract_status(c, at, &v);
    if (a->json) {
        print_verdict_json(c, &v, at);
    } else {
        print_summary(c, &v, at);
    }
    clave_contract_free(c);
    return v.state == CLAVE_CONTRACT_ACTIVE ? 0 : CLI_FAILED;
}

int cli_contract(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*run)(struct contract_args *a, int argc, char **argv);
    } SUBCOMMANDS[] = {
        {"propose", contract_propose},
        {"show", contract_show},
        {"sign", contract_sign},
        {"revoke", contract_revoke},
        {"export", contract_export},
        {"verify", contract_verify},
        {"signing-input", contract_signing_input},
        {"assemble", contract_assemble},
    };
    struct contract_args args;
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(CONTRACT_USAGE, argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : 0;
    }
    if (cli_contract_is_remote(argv[1])) {
        return cli_contract_remote(argc - 1, argv + 1);
    }
    for (size_t i = 0; i < sizeof(SUBCOMMANDS) / sizeof(SUBCOMMANDS[0]); i++) {
        if (strcmp(argv[1], SUBCOMMANDS[i].name) == 0) {
            int rc = parse_args(argc - 1, argv + 1, &args);
            return rc != 0 ? rc : SUBCOMMANDS[i].run(&args, argc - 1, argv + 1);
        }
    }
    fprintf(stderr, "clave: unknown contract command '%s'\n", argv[1]);
    fputs(CONTRACT_USAGE, stderr);
    return CLI_USAGE;
}
