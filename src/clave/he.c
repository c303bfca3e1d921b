/* SPDX-License-Identifier: Apache-2.0 */
/*
 * clave he: Paillier keys and encrypted sums from the shell.
 *   keygen   private key sealed to a keyring KEK (sealed format), public key as JSON beside it
 *   encrypt  one CSV column into a ciphertext vector
 *   add      element-wise (or total) homomorphic sum of vectors
 *   decrypt  with the sealed private key (or a python-paillier private key file)
 * Subcommands are dispatched by the SUBCOMMANDS table at the end of this file.
 */
#include "he_cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#define HE_DEFAULT_SCALE 65536 /* 16^4: exportable to python-paillier as exponent -4 */
#define MAX_INPUTS 1024

static const char HE_USAGE[] =
    "usage: clave he keygen [--out KEY] [--phe-out FILE] [--bits 2048|3072|4096] [--r-bits N]\n"
    "                       [--to KEKID] [keyring options]\n"
    "       clave he encrypt --key PUB --csv FILE --column C [--scale S] [--no-header]\n"
    "                        [--format F] --out FILE\n"
    "       clave he add --key PUB [--total] [--format F] A [B...] --out SUM\n"
    "       clave he decrypt --key KEY [--sum] SUM [keyring options]\n"
    "\n"
    "Paillier homomorphic encryption (docs/he.md).\n"
    "  keygen   generate a key pair (default 3072 bits); the private key is sealed into KEY\n"
    "           with a KEK of your keyring (--to, default the first KEK), the public key is\n"
    "           written to KEY.pub.json for the parties. --phe-out FILE also (or only) writes\n"
    "           the pair as python-paillier JWKs: the private key UNENCRYPTED in FILE (mode\n"
    "           0600) and the public key in FILE.pub.json.\n"
    "  encrypt  encrypt column C (a header name, or a 1-based column number) of a CSV file;\n"
    "           values are reals, encoded with the public scale S (default 65536); the first\n"
    "           line is a header unless --no-header.\n"
    "  add      add encrypted vectors of equal length value by value; --total also sums all\n"
    "           values of all inputs into one. Every input is validated against PUB.\n"
    "  decrypt  print the values, one per line (--sum: only their sum). KEY is the sealed key\n"
    "           or a python-paillier private key file.\n"
    "--format F writes vectors as binary (default), json (--json), phe (python-paillier's\n"
    "{\"public_key\",\"values\"} list) or pheutil ({\"v\",\"e\"}, one value). Keys and vectors\n"
    "are read in any of these formats. See docs/formats/paillier.md.\n"
    "\n" CLI_KEYRING_HELP;

enum {
    OPT_BITS = 2000,
    OPT_R_BITS,
    OPT_TO,
    OPT_KEY,
    OPT_CSV,
    OPT_COLUMN,
    OPT_SCALE,
    OPT_NO_HEADER,
    OPT_JSON,
    OPT_OUT,
    OPT_TOTAL,
    OPT_SUM,
    OPT_FORMAT,
    OPT_PHE_OUT,
};

struct he_args {
    struct cli_keyring_opts ring;
    unsigned bits;
    unsigned r_bits;
    const char *to;
    const char *key;
    const char *csv;
    const char *column;
    uint64_t scale;
    bool no_header;
    enum he_out_format format;
    const char *out;
    const char *phe_out;
    bool total;
    bool sum;
};

static bool parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v > max || s[0] == '-') {
        return false;
    }
    *out = v;
    return true;
}

static int usage_error(const char *msg)
{
    if (msg != NULL) {
        fprintf(stderr, "clave he: %s\n", msg);
    }
    fputs(HE_USAGE, stderr);
    return CLI_USAGE;
}

static const struct {
    const char *name;
    enum he_out_format format;
} FORMATS[] = {
    {"binary", HE_OUT_BINARY},
    {"json", HE_OUT_JSON},
    {"phe", HE_OUT_PHE},
    {"pheutil", HE_OUT_PHEUTIL},
};

static int parse_value_opt(struct he_args *a, int opt, const char *arg)
{
    uint64_t v = 0;
    switch (opt) {
    case OPT_BITS:
        if (!parse_u64(arg, 65535, &v)) {
            return usage_error("--bits: not a number");
        }
        a->bits = (unsigned)v;
        return 0;
    case OPT_R_BITS:
        if (!parse_u64(arg, 65535, &v)) {
            return usage_error("--r-bits: not a number");
        }
        a->r_bits = (unsigned)v;
        return 0;
    case OPT_FORMAT:
        for (size_t i = 0; i < sizeof(FORMATS) / sizeof(FORMATS[0]); i++) {
            if (strcmp(arg, FORMATS[i].name) == 0) {
                a->format = FORMATS[i].format;
                return 0;
            }
        }
        return usage_error("--format: binary, json, phe or pheutil");
    case OPT_SCALE:
        if (!parse_u64(arg, CLAVE_HE_SCALE_MAX, &a->scale) || a->scale == 0) {
            return usage_error("--scale: a positive integer up to 2^62");
        }
        return 0;
    default:
        return usage_error(NULL);
    }
}

static int parse_args(int argc, char **argv, struct he_args *a)
{
    static const struct option LONG_OPTIONS[] = {
        {"bits", required_argument, NULL, OPT_BITS},
        {"r-bits", required_argument, NULL, OPT_R_BITS},
        {"to", required_argument, NULL, OPT_TO},
        {"key", required_argument, NULL, OPT_KEY},
        {"csv", required_argument, NULL, OPT_CSV},
        {"column", required_argument, NULL, OPT_COLUMN},
        {"scale", required_argument, NULL, OPT_SCALE},
        {"no-header", no_argument, NULL, OPT_NO_HEADER},
        {"json", no_argument, NULL, OPT_JSON},
        {"out", required_argument, NULL, OPT_OUT},
        {"total", no_argument, NULL, OPT_TOTAL},
        {"sum", no_argument, NULL, OPT_SUM},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"phe-out", required_argument, NULL, OPT_PHE_OUT},
        {"help", no_argument, NULL, 'h'},
        CLI_KEYRING_LONG_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    int opt = 0;
    memset(a, 0, sizeof(*a));
    a->bits = 3072;
    a->scale = HE_DEFAULT_SCALE;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", LONG_OPTIONS, NULL)) != -1) {
        if (cli_keyring_opt(&a->ring, opt, optarg)) {
            continue;
        }
        int rc = 0;
        switch (opt) {
        case 'h':
            fputs(HE_USAGE, stdout);
            exit(0);
        case OPT_TO:
            a->to = optarg;
            break;
        case OPT_KEY:
            a->key = optarg;
            break;
        case OPT_CSV:
            a->csv = optarg;
            break;
        case OPT_COLUMN:
            a->column = optarg;
            break;
        case OPT_OUT:
            a->out = optarg;
            break;
        case OPT_NO_HEADER:
            a->no_header = true;
            break;
        case OPT_JSON:
            a->format = HE_OUT_JSON;
            break;
        case OPT_PHE_OUT:
            a->phe_out = optarg;
            break;
        case OPT_TOTAL:
            a->total = true;
            break;
        case OPT_SUM:
            a->sum = true;
            break;
        default:
            rc = parse_value_opt(a, opt, optarg);
        }
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

/* ----------------------------------------------------------------------------- commands */

static int cmd_keygen(const struct he_args *a, int argc, char **argv)
{
    struct clave_he_key *key = NULL;
    uint8_t *pub = NULL;
    size_t pub_len = 0;
    char pub_path[4096];
    (void)argc;
    (void)argv;
    if (a->out == NULL && a->phe_out == NULL) {
        return usage_error("keygen needs --out KEY and/or --phe-out FILE");
    }
    if (a->out != NULL &&
        snprintf(pub_path, sizeof(pub_path), "%s.pub.json", a->out) >= (int)sizeof(pub_path)) {
        return usage_error("--out: path too long");
    }
    clave_status st = clave_he_keygen(a->bits, a->r_bits, &key);
    if (st == CLAVE_OK && a->out != NULL) {
        st = cli_he_seal_key(&a->ring, a->to, key, a->out);
        if (st == CLAVE_OK) {
            st = clave_he_pub_export(clave_he_key_pub(key), CLAVE_HE_FORMAT_JSON, &pub, &pub_len);
        }
        if (st == CLAVE_OK) {
            st = cli_he_write_file(pub_path, pub, pub_len, 0644, false);
        }
    }
    if (st == CLAVE_OK && a->phe_out != NULL) {
        st = cli_he_write_phe_keys(key, a->phe_out);
    }
    free(pub);
    clave_he_key_free(key);
    if (st != CLAVE_OK) {
        return cli_fail("he keygen", st);
    }
    if (a->out != NULL) {
        fprintf(stderr, "%u-bit Paillier key: private key sealed to %s, public key in %s\n",
                a->bits, a->out, pub_path);
    }
    if (a->phe_out != NULL) {
        fprintf(stderr,
                "python-paillier JWKs: private key (unencrypted) in %s, public key in "
                "%s.pub.json\n",
                a->phe_out, a->phe_out);
    }
    return 0;
}

static int cmd_encrypt(const struct he_args *a, int argc, char **argv)
{
    struct clave_he_pub *pub = NULL;
    struct clave_he_ctx *ctx = NULL;
    struct clave_he_pool *pool = NULL;
    struct clave_he_vec *vec = NULL;
    double *values = NULL;
    size_t count = 0;
    (void)argc;
    (void)argv;
    if (a->key == NULL || a->csv == NULL || a->column == NULL || a->out == NULL) {
        return usage_error("encrypt needs --key, --csv, --column and --out");
    }
    clave_status st = cli_he_load_pub(a->key, &pub);
    if (st == CLAVE_OK) {
        st = cli_he_csv_column(a->csv, a->column, !a->no_header, &values, &count);
    }
    if (st == CLAVE_OK) {
        st = clave_he_ctx_new(pub, a->scale, &ctx);
    }
    if (st == CLAVE_OK) {
        st = clave_he_pool_new(2, &pool);
    }
    if (st == CLAVE_OK) {
        clave_he_ctx_set_pool(ctx, pool);
        st = clave_he_encrypt_f64(ctx, values, count, &vec);
    }
    if (st == CLAVE_OK) {
        st = cli_he_save_vec(pub, vec, a->format, a->out);
    }
    free(values);
    clave_he_vec_free(vec);
    clave_he_ctx_free(ctx);
    clave_he_pool_free(pool);
    clave_he_pub_free(pub);
    if (st != CLAVE_OK) {
        return cli_fail("he encrypt", st);
    }
    fprintf(stderr, "encrypted %zu values to %s\n", count, a->out);
    return 0;
}

/* Fold `next` into `*acc` (taking ownership of `next`); with `total`, sum each vector first. */
static clave_status accumulate(struct clave_he_ctx *ctx, bool total, struct clave_he_vec **acc,
                               struct clave_he_vec *next)
{
    clave_status st = CLAVE_OK;
    if (total) {
        struct clave_he_vec *folded = NULL;
        st = clave_he_vec_sum(ctx, next, &folded);
        clave_he_vec_free(next);
        next = folded;
    }
    if (st == CLAVE_OK && *acc == NULL) {
        *acc = next;
        return CLAVE_OK;
    }
    if (st == CLAVE_OK) {
        st = clave_he_add_into(ctx, *acc, next);
    }
    clave_he_vec_free(next);
    return st;
}

static int cmd_add(const struct he_args *a, int argc, char **argv)
{
    struct clave_he_pub *pub = NULL;
    struct clave_he_ctx *ctx = NULL;
    struct clave_he_vec *acc = NULL;
    if (a->key == NULL || a->out == NULL) {
        return usage_error("add needs --key PUB, --out SUM and 1..1024 input vectors");
    }
    clave_status st = cli_he_load_pub(a->key, &pub);
    if (st == CLAVE_OK) {
        st = clave_he_ctx_new(pub, 1, &ctx);
    }
    for (int i = 0; st == CLAVE_OK && i < argc; i++) {
        struct clave_he_vec *v = NULL;
        st = cli_he_load_vec(pub, argv[i], &v);
        if (st != CLAVE_OK) {
            fprintf(stderr, "clave: %s: not a valid vector for this key\n", argv[i]);
            break;
        }
        st = accumulate(ctx, a->total, &acc, v);
    }
    if (st == CLAVE_OK) {
        st = cli_he_save_vec(pub, acc, a->format, a->out);
    }
    clave_he_vec_free(acc);
    clave_he_ctx_free(ctx);
    clave_he_pub_free(pub);
    if (st != CLAVE_OK) {
        return cli_fail("he add", st);
    }
    fprintf(stderr, "added %d vector(s) into %s\n", argc, a->out);
    return 0;
}

/* `*vec` replaced by the sum of its values (one value). */
static clave_status fold(const struct clave_he_key *key, struct clave_he_vec **vec)
{
    struct clave_he_ctx *ctx = NULL;
    struct clave_he_vec *folded = NULL;
    clave_status st = clave_he_ctx_new(clave_he_key_pub(key), 1, &ctx);
    if (st == CLAVE_OK) {
        st = clave_he_vec_sum(ctx, *vec, &folded);
    }
    clave_he_ctx_free(ctx);
    if (st == CLAVE_OK) {
        clave_he_vec_free(*vec);
        *vec = folded;
    }
    return st;
}

static clave_status print_vec(const struct clave_he_key *key, const struct clave_he_vec *vec)
{
    struct clave_he_pool *pool = NULL;
    size_t n = clave_he_vec_len(vec);
    double *out = calloc(n == 0 ? 1 : n, sizeof(double));
    clave_status st = out != NULL ? clave_he_pool_new(2, &pool) : CLAVE_ERR_NOMEM;
    if (st == CLAVE_OK) {
        st = clave_he_decrypt_f64(key, pool, vec, out, n);
    }
    for (size_t i = 0; st == CLAVE_OK && i < n; i++) {
        printf("%.17g\n", out[i]);
    }
    free(out);
    clave_he_pool_free(pool);
    return st;
}

static int cmd_decrypt(const struct he_args *a, int argc, char **argv)
{
    struct clave_he_key *key = NULL;
    struct clave_he_vec *vec = NULL;
    (void)argc;
    if (a->key == NULL) {
        return usage_error("decrypt needs --key KEY and one vector");
    }
    clave_status st = cli_he_load_key(&a->ring, a->key, &key);
    if (st == CLAVE_OK) {
        st = cli_he_load_vec(clave_he_key_pub(key), argv[0], &vec);
        if (st == CLAVE_ERR_UNSUPPORTED) {
            /* phe numbers whose exponent has no clave scale (pheutil's e = -32): the key
             * holder decrypts each with its own exponent. */
            st = cli_he_decrypt_phe_file(key, argv[0], a->sum);
            clave_he_key_free(key);
            return st == CLAVE_OK ? 0 : cli_fail("he decrypt", st);
        }
    }
    if (st == CLAVE_OK && a->sum && clave_he_vec_len(vec) > 1) {
        st = fold(key, &vec);
    }
    if (st == CLAVE_OK) {
        st = print_vec(key, vec);
    }
    clave_he_vec_free(vec);
    clave_he_key_free(key);
    return st == CLAVE_OK ? 0 : cli_fail("he decrypt", st);
}

/* Subcommands, with the number of positional arguments each takes. */
static const struct {
    const char *name;
    int min_args;
    int max_args;
    int (*run)(const struct he_args *a, int argc, char **argv);
} SUBCOMMANDS[] = {
    {"keygen", 0, 0, cmd_keygen},
    {"encrypt", 0, 0, cmd_encrypt},
    {"add", 1, MAX_INPUTS, cmd_add},
    {"decrypt", 1, 1, cmd_decrypt},
};

int cli_he(int argc, char **argv)
{
    struct he_args a;
    if (argc < 2) {
        return usage_error(NULL);
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(HE_USAGE, stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof(SUBCOMMANDS) / sizeof(SUBCOMMANDS[0]); i++) {
        if (strcmp(argv[1], SUBCOMMANDS[i].name) != 0) {
            continue;
        }
        int rc = parse_args(argc - 1, argv + 1, &a);
        if (rc != 0) {
            return rc;
        }
        int rest = argc - 1 - optind;
        if (rest < SUBCOMMANDS[i].min_args || rest > SUBCOMMANDS[i].max_args) {
            fprintf(stderr, "clave he %s: takes %d..%d arguments, got %d\n", SUBCOMMANDS[i].name,
                    SUBCOMMANDS[i].min_args, SUBCOMMANDS[i].max_args, rest);
            return usage_error(NULL);
        }
        return SUBCOMMANDS[i].run(&a, rest, argv + 1 + optind);
    }
    fprintf(stderr, "clave he: unknown subcommand '%s'\n", argv[1]);
    return usage_error(NULL);
}
