/* SPDX-License-Identifier: Apache-2.0 */
/*
 * clave result: verify a result receipt offline (every check printed), show one, and encrypt or
 * decrypt a result for a recipient (flattened JSON JWE). Format: docs/formats/receipt.md.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RESULT_FILE_MAX ((size_t)64 << 20)
#define MAX_OUTPUTS 16
#define HASH_CHUNK 65536

static const char RESULT_USAGE[] =
    "usage: clave result verify RECEIPT --bundle FILE --attest-policy FILE --ear-key FILE\n"
    "                           --ledger-key FILE [--collateral DIR] [--output NAME=FILE ...]\n"
    "                           [--json]\n"
    "       clave result show RECEIPT\n"
    "       clave result encrypt --to KEY --in FILE --out RESULT.jwe\n"
    "       clave result decrypt --key PRIVATE-KEY --in RESULT.jwe --out FILE\n"
    "\n"
    "verify: check a result receipt offline and print every check (ok / FAIL):\n"
    "  the runner's signature by its attested TEE key, the evidence (re-verified at the\n"
    "  receipt's issue time under the policy) and its binding to the runtime data and the\n"
    "  contract, the contract bundle (active, workload, datasets), the EAR token, the DP\n"
    "  debits against the contract's budgets, and the audit-ledger inclusion proof.\n"
    "  --bundle FILE         the contract bundle (clave contract bundle / GET .../bundle)\n"
    "  --attest-policy FILE  attestation policy JSON (names the sim dev root for sim evidence)\n"
    "  --ear-key FILE        the broker's EAR key: P-256 public JWK or PEM\n"
    "  --ledger-key FILE     the audit ledger's Ed25519 public key: PEM (GET /v1/audit/key) or "
    "JWK\n"
    "  --collateral DIR      extra attestation collateral (VCEK, ...) if the receipt has none\n"
    "  --output NAME=FILE    a decrypted output: its SHA-256 must be the receipt's (repeatable)\n"
    "  --json                print the report as JSON\n"
    "  Exit status 0 only if every check passes, 1 otherwise.\n"
    "show: print the receipt's payload as JSON (nothing is verified).\n"
    "encrypt: encrypt FILE to a recipient's public key (DER/PEM SPKI or JWK; EC and X25519 keys\n"
    "  use ECDH-ES+A256KW, RSA keys RSA-OAEP-256; content A256GCM).\n"
    "decrypt: decrypt a result with the recipient's private key (PKCS#8 PEM or JWK); the\n"
    "  plaintext is written to FILE with mode 0600.\n";

/* Read a whole file (at most RESULT_FILE_MAX bytes) into a NUL-terminated buffer. */
static clave_status slurp(const char *path, uint8_t **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    size_t cap = 65536;
    size_t used = 0;
    uint8_t *buf = NULL;
    *out = NULL;
    *len = 0;
    if (f == NULL) {
        fprintf(stderr, "clave: cannot open %s: %s\n", path, strerror(errno));
        return CLAVE_ERR_IO;
    }
    buf = malloc(cap + 1);
    while (buf != NULL) {
        size_t n = fread(buf + used, 1, cap - used, f);
        used += n;
        if (n == 0) {
            break;
        }
        if (used == cap) {
            uint8_t *grown = cap < RESULT_FILE_MAX ? realloc(buf, cap * 2 + 1) : NULL;
            free(grown == NULL ? buf : NULL);
            buf = grown;
            cap *= 2;
        }
    }
    bool failed = ferror(f) != 0;
    fclose(f);
    if (buf == NULL || failed) {
        free(buf);
        fprintf(stderr, "clave: cannot read %s (too large or I/O error)\n", path);
        return CLAVE_ERR_IO;
    }
    buf[used] = 0;
    *out = buf;
    *len = used;
    return CLAVE_OK;
}

static clave_status hash_file(const char *path, uint8_t out[32])
{
    clave_status st = CLAVE_ERR_IO;
    struct clave_hash_ctx *h = NULL;
    uint8_t *chunk = malloc(HASH_CHUNK);
    FILE *f = fopen(path, "rb");
    if (f == NULL || chunk == NULL) {
        fprintf(stderr, "clave: cannot open %s: %s\n", path, strerror(errno));
        goto done;
    }
    if ((st = clave_hash_new(CLAVE_HASH_SHA256, &h)) != CLAVE_OK) {
        goto done;
    }
    size_t n = 0;
    while ((n = fread(chunk, 1, HASH_CHUNK, f)) > 0) {
        if ((st = clave_hash_update(h, chunk, n)) != CLAVE_OK) {
            goto done;
        }
    }
    st = ferror(f) != 0 ? CLAVE_ERR_IO : clave_hash_final(h, out, 32);
done:
    if (f != NULL) {
        fclose(f);
    }
    clave_hash_free(h);
    free(chunk);
    return st;
}

struct verify_args {
    const char *receipt;
    const char *bundle;
    const char *policy;
    const char *ear_key;
    const char *ledger_key;
    const char *collateral;
    bool json;
    struct clave_receipt_output_digest outputs[MAX_OUTPUTS];
    char *output_names[MAX_OUTPUTS];
    size_t output_count;
};

static int add_output(struct verify_args *a, const char *spec)
{
    const char *eq = strchr(spec, '=');
    if (eq == NULL || eq == spec || eq[1] == '\0' || a->output_count == MAX_OUTPUTS) {
        fprintf(stderr, "clave result: --output NAME=FILE (at most %d)\n", MAX_OUTPUTS);
        return CLI_USAGE;
    }
    size_t i = a->output_count;
    a->output_names[i] = strndup(spec, (size_t)(eq - spec));
    if (a->output_names[i] == NULL || hash_file(eq + 1, a->outputs[i].sha256) != CLAVE_OK) {
        free(a->output_names[i]);
        a->output_names[i] = NULL;
        return CLI_FAILED;
    }
    a->outputs[i].name = a->output_names[i];
    a->output_count++;
    return 0;
}

static int parse_verify(int argc, char **argv, struct verify_args *a)
{
    static const struct option OPTS[] = {{"bundle", required_argument, NULL, 'b'},
                                         {"attest-policy", required_argument, NULL, 'p'},
                                         {"ear-key", required_argument, NULL, 'e'},
                                         {"ledger-key", required_argument, NULL, 'l'},
                                         {"collateral", required_argument, NULL, 'c'},
                                         {"output", required_argument, NULL, 'o'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    int opt = 0;
    int rc = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", OPTS, NULL)) != -1) {
        const char **slot = opt == 'b'   ? &a->bundle
                            : opt == 'p' ? &a->policy
                            : opt == 'e' ? &a->ear_key
                            : opt == 'l' ? &a->ledger_key
                            : opt == 'c' ? &a->collateral
                                         : NULL;
        if (slot != NULL) {
            *slot = optarg;
        } else if (opt == 'o') {
            if ((rc = add_output(a, optarg)) != 0) {
                return rc;
            }
        } else if (opt == 'j') {
            a->json = true;
        } else {
            fputs(RESULT_USAGE, opt == 'h' ? stdout : stderr);
            return opt == 'h' ? -1 : CLI_USAGE;
        }
    }
    if (optind + 1 != argc || a->bundle == NULL || a->policy == NULL || a->ear_key == NULL ||
        a->ledger_key == NULL) {
        fputs(RESULT_USAGE, stderr);
        return CLI_USAGE;
    }
    a->receipt = argv[optind];
    return 0;
}

static void print_report(const struct clave_attest_report *r, bool json)
{
    char *text = NULL;
    if (json && clave_attest_report_json(r, &text) == CLAVE_OK) {
        printf("%s\n", text);
        free(text);
        return;
    }
    for (size_t i = 0; i < clave_attest_report_check_count(r); i++) {
        struct clave_attest_check c;
        if (clave_attest_report_get_check(r, i, &c) == CLAVE_OK) {
            printf("%-4s  %-22s %s\n", c.outcome == CLAVE_CHECK_PASS ? "ok" : "FAIL", c.name,
                   c.detail);
        }
    }
    struct clave_attest_check first;
    if (clave_attest_report_first_failure(r, &first) == CLAVE_OK) {
        printf("receipt: NOT verified (first failure: %s)\n", first.name);
    } else {
        printf("receipt: verified\n");
    }
}

struct trust_files {
    uint8_t *receipt, *bundle, *policy, *ear, *ledger;
    size_t receipt_len, bundle_len, policy_len, ear_len, ledger_len;
};

static clave_status load_trust(const struct verify_args *a, struct trust_files *t,
                               struct clave_receipt_trust *trust)
{
    clave_status st = CLAVE_OK;
    struct clave_attest_policy *policy = NULL;
    struct clave_pkey *ear = NULL;
    struct clave_pkey *ledger = NULL;
    char *dir = strdup(a->policy);
    if (dir == NULL || (st = slurp(a->receipt, &t->receipt, &t->receipt_len)) != CLAVE_OK ||
        (st = slurp(a->bundle, &t->bundle, &t->bundle_len)) != CLAVE_OK ||
        (st = slurp(a->policy, &t->policy, &t->policy_len)) != CLAVE_OK ||
        (st = slurp(a->ear_key, &t->ear, &t->ear_len)) != CLAVE_OK ||
        (st = slurp(a->ledger_key, &t->ledger, &t->ledger_len)) != CLAVE_OK) {
        free(dir);
        return dir == NULL ? CLAVE_ERR_NOMEM : st;
    }
    if ((st = clave_attest_policy_parse((const char *)t->policy, t->policy_len, dirname(dir),
                                        &policy)) != CLAVE_OK) {
        cli_fail("attestation policy", st);
    } else if ((st = clave_receipt_load_pkey(t->ear, t->ear_len, &ear)) != CLAVE_OK) {
        cli_fail("EAR key", st);
    } else if ((st = clave_receipt_load_pkey(t->ledger, t->ledger_len, &ledger)) != CLAVE_OK) {
        cli_fail("ledger key", st);
    }
    free(dir);
    trust->bundle = t->bundle;
    trust->bundle_len = t->bundle_len;
    trust->policy = policy;
    trust->ear_key = ear;
    trust->ledger_key = ledger;
    trust->collateral_dir = a->collateral;
    trust->outputs = a->outputs;
    trust->output_count = a->output_count;
    return st;
}

static int result_verify(int argc, char **argv)
{
    struct verify_args a;
    struct trust_files t;
    struct clave_receipt_trust trust;
    struct clave_attest_report *report = NULL;
    int rc = 0;
    memset(&a, 0, sizeof(a));
    memset(&t, 0, sizeof(t));
    memset(&trust, 0, sizeof(trust));
    if ((rc = parse_verify(argc, argv, &a)) != 0) {
        rc = rc < 0 ? 0 : rc;
        goto done;
    }
    clave_status st = load_trust(&a, &t, &trust);
    if (st == CLAVE_OK && (st = clave_attest_report_new(&report)) == CLAVE_OK) {
        st = clave_receipt_verify(t.receipt, t.receipt_len, &trust, report);
    }
    if (st != CLAVE_OK) {
        rc = cli_fail("result verify", st);
        goto done;
    }
    print_report(report, a.json);
    rc = clave_attest_report_ok(report) ? 0 : CLI_FAILED;
done:
    clave_attest_report_free(report);
    clave_attest_policy_free((struct clave_attest_policy *)(uintptr_t)trust.policy);
    clave_pkey_free((struct clave_pkey *)(uintptr_t)trust.ear_key);
    clave_pkey_free((struct clave_pkey *)(uintptr_t)trust.ledger_key);
    free(t.receipt);
    free(t.bundle);
    free(t.policy);
    free(t.ear);
    free(t.ledger);
    for (size_t i = 0; i < a.output_count; i++) {
        free(a.output_names[i]);
    }
    return rc;
}

static int result_show(int argc, char **argv)
{
    uint8_t *data = NULL;
    size_t len = 0;
    struct clave_receipt *r = NULL;
    char *json = NULL;
    int rc = 0;
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(RESULT_USAGE, stdout);
        return 0;
    }
    if (argc != 2) {
        fputs(RESULT_USAGE, stderr);
        return CLI_USAGE;
    }
    clave_status st = slurp(argv[1], &data, &len);
    if (st == CLAVE_OK && (st = clave_receipt_parse(data, len, &r)) == CLAVE_OK) {
        st = clave_receipt_to_json(r, &json);
    }
    if (st != CLAVE_OK) {
        rc = cli_fail("result show", st);
    } else {
        printf("%s\n", json);
    }
    free(json);
    clave_receipt_free(r);
    free(data);
    return rc;
}

struct crypt_args {
    const char *key;
    const char *in;
    const char *out;
};

static int parse_crypt(int argc, char **argv, const char *key_opt, struct crypt_args *a)
{
    const struct option opts[] = {{key_opt, required_argument, NULL, 'k'},
                                  {"in", required_argument, NULL, 'i'},
                                  {"out", required_argument, NULL, 'o'},
                                  {"help", no_argument, NULL, 'h'},
                                  {NULL, 0, NULL, 0}};
    int opt = 0;
    optind = 1;
    memset(a, 0, sizeof(*a));
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (opt == 'k' || opt == 'i' || opt == 'o') {
            *(opt == 'k' ? &a->key : opt == 'i' ? &a->in : &a->out) = optarg;
        } else {
            fputs(RESULT_USAGE, opt == 'h' ? stdout : stderr);
            return opt == 'h' ? -1 : CLI_USAGE;
        }
    }
    if (optind != argc || a->key == NULL || a->in == NULL || a->out == NULL) {
        fputs(RESULT_USAGE, stderr);
        return CLI_USAGE;
    }
    return 0;
}

static clave_status write_private(const char *path, const uint8_t *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    size_t done = 0;
    if (fd < 0) {
        fprintf(stderr, "clave: cannot create %s: %s\n", path, strerror(errno));
        return CLAVE_ERR_IO;
    }
    while (done < len) {
        ssize_t n = write(fd, data + done, len - done);
        if (n <= 0) {
            close(fd);
            fprintf(stderr, "clave: cannot write %s: %s\n", path, strerror(errno));
            return CLAVE_ERR_IO;
        }
        done += (size_t)n;
    }
    return close(fd) == 0 ? CLAVE_OK : CLAVE_ERR_IO;
}

static int result_encrypt(int argc, char **argv)
{
    struct crypt_args a;
    uint8_t *key = NULL;
    uint8_t *pt = NULL;
    size_t key_len = 0;
    size_t pt_len = 0;
    char *jwe = NULL;
    int rc = parse_crypt(argc, argv, "to", &a);
    if (rc != 0) {
        return rc < 0 ? 0 : rc;
    }
    clave_status st = slurp(a.key, &key, &key_len);
    if (st == CLAVE_OK && (st = slurp(a.in, &pt, &pt_len)) == CLAVE_OK &&
        (st = clave_receipt_encrypt_output(pt, pt_len, key, key_len, &jwe)) == CLAVE_OK) {
        st = write_private(a.out, (const uint8_t *)jwe, strlen(jwe));
    }
    rc = st == CLAVE_OK ? 0 : cli_fail("result encrypt", st);
    free(jwe);
    if (pt != NULL) {
        clave_wipe(pt, pt_len);
    }
    free(pt);
    free(key);
    return rc;
}

static int result_decrypt(int argc, char **argv)
{
    struct crypt_args a;
    uint8_t *key_text = NULL;
    uint8_t *jwe = NULL;
    size_t key_len = 0;
    size_t jwe_len = 0;
    struct clave_jwk *key = NULL;
    struct clave_secret *pt = NULL;
    int rc = parse_crypt(argc, argv, "key", &a);
    if (rc != 0) {
        return rc < 0 ? 0 : rc;
    }
    clave_status st = slurp(a.key, &key_text, &key_len);
    if (st == CLAVE_OK && (st = clave_receipt_load_jwk(key_text, key_len, &key)) == CLAVE_OK &&
        (st = slurp(a.in, &jwe, &jwe_len)) == CLAVE_OK &&
        (st = clave_jwe_decrypt(key, (const char *)jwe, jwe_len, &pt)) == CLAVE_OK) {
        st = write_private(a.out, clave_secret_cdata(pt), clave_secret_len(pt));
    }
    rc = st == CLAVE_OK ? 0 : cli_fail("result decrypt", st);
    clave_secret_free(pt);
    clave_jwk_free(key);
    if (key_text != NULL) {
        clave_wipe(key_text, key_len);
    }
    free(key_text);
    free(jwe);
    return rc;
}

static const struct cli_command SUBCOMMANDS[] = {
    {"verify", "verify a receipt offline", result_verify},
    {"show", "print a receipt as JSON", result_show},
    {"encrypt", "encrypt a result to a recipient", result_encrypt},
    {"decrypt", "decrypt a result", result_decrypt},
};

int cli_result(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(RESULT_USAGE, argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : 0;
    }
    for (size_t i = 0; i < sizeof(SUBCOMMANDS) / sizeof(SUBCOMMANDS[0]); i++) {
        if (strcmp(argv[1], SUBCOMMANDS[i].name) == 0) {
            return SUBCOMMANDS[i].run(argc - 1, argv + 1);
        }
    }
    fprintf(stderr, "clave result: unknown subcommand '%s'\n", argv[1]);
    fputs(RESULT_USAGE, stderr);
    return CLI_USAGE;
}
