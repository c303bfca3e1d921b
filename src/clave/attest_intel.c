/* SPDX-License-Identifier: Apache-2.0 */
/* clave attest-intel verify: Intel DCAP quotes and TPM 2.0 quotes from files. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_INPUT_FILE (1024u * 1024u)

static const char USAGE[] =
    "usage: clave attest-intel verify --format tdx|sgx QUOTE --collateral FILE|DIR --at UNIX\n"
    "                                 [--json]\n"
    "       clave attest-intel verify --format tpm2 QUOTE --signature FILE --ak-pub PEM\n"
    "                                 --nonce HEX [--pcrs FILE] [--json]\n"
    "\n"
    "Verify Intel DCAP evidence (TDX quote v4/v5, SGX quote v3) against Intel collateral: a\n"
    "dcap-qvl collateral JSON file or a directory of PCS responses (docs/attestation-intel.md),\n"
    "with every certificate, CRL and collateral window checked at --at (Unix seconds).\n"
    "Or verify a TPM 2.0 quote: QUOTE is the TPMS_ATTEST (tpm2_quote -m), --signature the\n"
    "TPMT_SIGNATURE (tpm2_quote -s), --ak-pub the AK public key in PEM (tpm2_createak -f pem),\n"
    "--nonce the expected extraData, --pcrs the selected PCR values (tpm2_pcrread -o).\n"
    "Prints every check; exits 0 only if all passed.\n";

struct args {
    const char *format;
    const char *quote;
    const char *collateral;
    const char *signature;
    const char *ak_pub;
    const char *nonce;
    const char *pcrs;
    int64_t at;
    bool have_at;
    bool json;
};

static int parse_args(int argc, char **argv, struct args *a)
{
    static const struct option LONG_OPTIONS[] = {
        {"format", required_argument, NULL, 'f'}, {"collateral", required_argument, NULL, 'c'},
        {"at", required_argument, NULL, 't'},     {"signature", required_argument, NULL, 's'},
        {"ak-pub", required_argument, NULL, 'k'}, {"nonce", required_argument, NULL, 'n'},
        {"pcrs", required_argument, NULL, 'p'},   {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    int opt = 0;
    char *end = NULL;
    memset(a, 0, sizeof(*a));
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", LONG_OPTIONS, NULL)) != -1) {
        switch (opt) {
        case 'f':
            a->format = optarg;
            break;
        case 'c':
            a->collateral = optarg;
            break;
        case 's':
            a->signature = optarg;
            break;
        case 'k':
            a->ak_pub = optarg;
            break;
        case 'n':
            a->nonce = optarg;
            break;
        case 'p':
            a->pcrs = optarg;
            break;
        case 'j':
            a->json = true;
            break;
        case 't':
            errno = 0;
            a->at = strtoll(optarg, &end, 10);
            if (errno != 0 || *end != '\0') {
                fprintf(stderr, "clave: --at wants Unix seconds\n");
                return CLI_USAGE;
            }
            a->have_at = true;
            break;
        case 'h':
            fputs(USAGE, stdout);
            return -1;
        default:
            fputs(USAGE, stderr);
            return CLI_USAGE;
        }
    }
    if (optind + 2 != argc || strcmp(argv[optind], "verify") != 0 || a->format == NULL) {
        fputs(USAGE, stderr);
        return CLI_USAGE;
    }
    a->quote = argv[optind + 1];
    return 0;
}

static clave_status read_file(const char *path, uint8_t **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    *out = NULL;
    *len = 0;
    if (f == NULL) {
        fprintf(stderr, "clave: cannot open %s: %s\n", path, strerror(errno));
        return CLAVE_ERR_IO;
    }
    uint8_t *buf = malloc(MAX_INPUT_FILE + 1);
    size_t n = buf != NULL ? fread(buf, 1, MAX_INPUT_FILE + 1, f) : 0;
    bool bad = buf == NULL || ferror(f) || n > MAX_INPUT_FILE;
    fclose(f);
    if (bad) {
        free(buf);
        fprintf(stderr, "clave: cannot read %s (or larger than %u bytes)\n", path, MAX_INPUT_FILE);
        return CLAVE_ERR_IO;
    }
    buf[n] = 0;
    *out = buf;
    *len = n;
    return CLAVE_OK;
}

static void print_report(const struct clave_attest_report *r, bool json)
{
    char *text = NULL;
    struct clave_attest_check c;
    if (json) {
        if (clave_attest_report_json(r, &text) == CLAVE_OK) {
            printf("%s\n", text);
        }
        free(text);
        return;
    }
    for (size_t i = 0; i < clave_attest_report_check_count(r); i++) {
        if (clave_attest_report_get_check(r, i, &c) == CLAVE_OK) {
            printf("%s %-26s %s\n", c.outcome == CLAVE_CHECK_PASS ? "PASS" : "FAIL", c.name,
                   c.detail);
        }
    }
}

static clave_status load_collateral(const char *path, struct clave_dcap_collateral **out)
{
    struct stat sb;
    uint8_t *json = NULL;
    size_t len = 0;
    clave_status st = CLAVE_ERR_IO;
    *out = NULL;
    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        return clave_dcap_collateral_from_dir(path, out);
    }
    st = read_file(path, &json, &len);
    if (st == CLAVE_OK) {
        st = clave_dcap_collateral_from_json((const char *)json, len, out);
    }
    free(json);
    return st;
}

static clave_status verify_dcap(const struct args *a, const uint8_t *quote, size_t len,
                                struct clave_attest_report *r)
{
    struct clave_dcap_collateral *coll = NULL;
    clave_status st = CLAVE_OK;
    if (a->collateral != NULL) {
        st = load_collateral(a->collateral, &coll);
        if (st != CLAVE_OK) {
            return st;
        }
    }
    st = clave_dcap_verify(quote, len, coll, a->at, r);
    clave_dcap_collateral_free(coll);
    return st;
}

static clave_status verify_tpm2(const struct args *a, const uint8_t *quote, size_t len,
                                struct clave_attest_report *r)
{
    struct clave_tpm2_quote_input in;
    uint8_t *sig = NULL, *pem = NULL, *pcrs = NULL;
    uint8_t nonce[64];
    size_t sig_len = 0, pem_len = 0, pcrs_len = 0, nonce_len = 0;
    struct clave_pkey *ak = NULL;
    clave_status st = CLAVE_ERR_ARG;
    memset(&in, 0, sizeof(in));
    if (a->signature == NULL || a->ak_pub == NULL || a->nonce == NULL) {
        fprintf(stderr, "clave: tpm2 needs --signature, --ak-pub and --nonce\n");
        return CLAVE_ERR_ARG;
    }
    if ((st = clave_hex_decode(a->nonce, strlen(a->nonce), nonce, sizeof(nonce), &nonce_len)) ||
        (st = read_file(a->signature, &sig, &sig_len)) ||
        (st = read_file(a->ak_pub, &pem, &pem_len)) ||
        (st = clave_pkey_from_pem((const char *)pem, pem_len, &ak)) ||
        (a->pcrs != NULL && (st = read_file(a->pcrs, &pcrs, &pcrs_len)))) {
        goto done;
    }
    in = (struct clave_tpm2_quote_input){quote, len,       sig,  sig_len, ak,
                                         nonce, nonce_len, pcrs, pcrs_len};
    st = clave_tpm2_quote_verify(&in, r);
done:
    free(sig);
    free(pem);
    free(pcrs);
    clave_pkey_free(ak);
    return st;
}

int cli_attest_intel(int argc, char **argv)
{
    struct args a;
    struct clave_attest_report *r = NULL;
    uint8_t *quote = NULL;
    size_t len = 0;
    int rc = parse_args(argc, argv, &a);
    if (rc != 0) {
        return rc < 0 ? 0 : rc;
    }
    bool tpm = strcmp(a.format, "tpm2") == 0;
    if (!tpm && strcmp(a.format, "tdx") != 0 && strcmp(a.format, "sgx") != 0) {
        fprintf(stderr, "clave: unknown --format %s\n", a.format);
        return CLI_USAGE;
    }
    if (!tpm && !a.have_at) {
        fprintf(stderr, "clave: --at is required: collateral expires, give the time to judge at\n");
        return CLI_USAGE;
    }
    clave_status st = read_file(a.quote, &quote, &len);
    if (st == CLAVE_OK) {
        st = clave_attest_report_new(&r);
    }
    if (st == CLAVE_OK) {
        st = tpm ? verify_tpm2(&a, quote, len, r) : verify_dcap(&a, quote, len, r);
        print_report(r, a.json);
    }
    rc = st == CLAVE_OK ? 0 : cli_fail("attest-intel verify", st);
    clave_attest_report_free(r);
    free(quote);
    return rc;
}
