/* SPDX-License-Identifier: Apache-2.0 */
/*
 * clave recipient register|list|thumbprint: result recipients' public keys on the claved server
 * of the cached session. A contract may name a recipient by the RFC 7638 thumbprint of a JWK;
 * the party registers that key (POST /v1/collaborations/{c}/recipients) and an attested runner
 * fetches it from the key broker (<c>/recipient/<party>). See docs/collaborations.md.
 */
#include "collab_cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#define PATH_MAX_LEN 512

static const char RECIPIENT_USAGE[] =
    "usage: clave recipient register --collab C --party P --jwk FILE [--json]\n"
    "       clave recipient list --collab C [--party P] [--json]\n"
    "       clave recipient thumbprint --jwk FILE\n"
    "\n"
    "register  register party P's result-recipient public key in collaboration C. FILE is a\n"
    "          public JWK (EC P-256/P-384, X25519 or RSA) or a PEM/DER public key, converted to\n"
    "          a JWK; private keys are refused. Owners register for their own party, admins for\n"
    "          any member. A party may hold several keys (rotation): a contract naming the\n"
    "          recipient by jwk_thumbprint pins the one a runner gets.\n"
    "list      the registered keys (party, RFC 7638 thumbprint, JWK)\n"
    "thumbprint  print FILE's RFC 7638 thumbprint (base64url), the value a contract's\n"
    "          recipients[].jwk_thumbprint takes; offline\n"
    "  --json  print the server's JSON answer\n";

struct recipient_args {
    const char *collab, *party, *jwk;
    bool json;
};

static int parse(int argc, char **argv, struct recipient_args *a)
{
    static const struct option OPTS[] = {
        {"collab", required_argument, NULL, 'c'}, {"party", required_argument, NULL, 'p'},
        {"jwk", required_argument, NULL, 'k'},    {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    int opt = 0;
    memset(a, 0, sizeof(*a));
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", OPTS, NULL)) != -1) {
        if (opt == 'c') {
            a->collab = optarg;
        } else if (opt == 'p') {
            a->party = optarg;
        } else if (opt == 'k') {
            a->jwk = optarg;
        } else if (opt == 'j') {
            a->json = true;
        } else if (opt == 'h') {
            fputs(RECIPIENT_USAGE, stdout);
            exit(0);
        } else {
            fputs(RECIPIENT_USAGE, stderr);
            return CLI_USAGE;
        }
    }
    if (optind != argc) {
        fputs(RECIPIENT_USAGE, stderr);
        return CLI_USAGE;
    }
    return 0;
}

/* FILE as a public JWK object (a PEM/DER key converted); NULL after printing an error. */
static json_t *load_public_jwk(const char *path)
{
    uint8_t *data = NULL;
    size_t len = 0;
    struct clave_jwk *key = NULL;
    char *pub = NULL;
    json_t *out = NULL;
    clave_status st = cli_file_read(path, CLI_KEY_FILE_MAX, &data, &len);
    if (st == CLAVE_OK) {
        st = clave_receipt_load_jwk(data, len, &key);
    }
    if (st == CLAVE_OK && clave_jwk_has_private(key)) {
        fprintf(stderr, "clave: %s holds a private key; give the public key only\n", path);
        st = CLAVE_ERR_KEY;
    } else if (st == CLAVE_OK) {
        st = clave_jwk_export_public(key, &pub);
    }
    if (st == CLAVE_OK && (out = json_loads(pub, 0, NULL)) == NULL) {
        st = CLAVE_ERR_NOMEM;
    }
    if (st != CLAVE_OK && st != CLAVE_ERR_KEY) {
        (void)cli_fail(path, st);
    }
    if (data != NULL) {
        clave_wipe(data, len);
    }
    free(data);
    free(pub);
    clave_jwk_free(key);
    return out;
}

static void print_key(const json_t *r)
{
    const json_t *jwk = json_object_get(r, "jwk");
    const char *crv = json_string_value(json_object_get(jwk, "crv"));
    printf("%s  %s  %s%s%s\n", json_string_value(json_object_get(r, "party")),
           json_string_value(json_object_get(r, "thumbprint")),
           json_string_value(json_object_get(jwk, "kty")), crv != NULL ? " " : "",
           crv != NULL ? crv : "");
}

static int output(json_t *doc, bool json)
{
    if (json) {
        char *text = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS);
        printf("%s\n", text != NULL ? text : "null");
        free(text);
    } else if (json_is_array(json_object_get(doc, "recipients"))) {
        const json_t *r = NULL;
        size_t i = 0;
        json_array_foreach (json_object_get(doc, "recipients"), i, r) {
            print_key(r);
        }
    } else {
        print_key(doc);
    }
    json_decref(doc);
    return 0;
}

static int do_register(const struct recipient_args *a)
{
    char path[PATH_MAX_LEN];
    json_t *doc = NULL;
    if (a->party == NULL || a->jwk == NULL) {
        fprintf(stderr, "clave: register needs --party and --jwk\n");
        return CLI_USAGE;
    }
    json_t *key = load_public_jwk(a->jwk);
    if (key == NULL) {
        return CLI_FAILED;
    }
    json_t *body = json_pack("{s:s,s:o}", "party", a->party, "jwk", key);
    snprintf(path, sizeof(path), "/v1/collaborations/%s/recipients", a->collab);
    int rc = cli_call("recipient register", "POST", path, body, 201, &doc);
    return rc != 0 ? rc : output(doc, a->json);
}

static int do_thumbprint(const struct recipient_args *a)
{
    uint8_t tp[32];
    char text[64];
    size_t n = 0;
    struct clave_jwk *key = NULL;
    json_t *pub = a->jwk != NULL ? load_public_jwk(a->jwk) : NULL;
    char *s = pub != NULL ? json_dumps(pub, JSON_COMPACT) : NULL;
    clave_status st = s != NULL ? clave_jwk_parse(s, strlen(s), &key) : CLAVE_ERR_ARG;
    if (st == CLAVE_OK) {
        st = clave_jwk_thumbprint(key, tp);
    }
    if (st == CLAVE_OK) {
        st = clave_b64_encode(CLAVE_B64URL, tp, sizeof(tp), text, sizeof(text), &n);
    }
    if (st == CLAVE_OK) {
        printf("%s\n", text);
    }
    clave_jwk_free(key);
    free(s);
    json_decref(pub);
    return st == CLAVE_OK ? 0 : CLI_FAILED;
}

int cli_recipient(int argc, char **argv)
{
    struct recipient_args a;
    char path[PATH_MAX_LEN];
    json_t *doc = NULL;
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(RECIPIENT_USAGE, argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : 0;
    }
    int rc = parse(argc - 1, argv + 1, &a);
    if (rc != 0) {
        return rc;
    }
    if (strcmp(argv[1], "thumbprint") == 0) {
        return do_thumbprint(&a);
    }
    if (a.collab == NULL || !clave_collab_valid_name(a.collab) ||
        (a.party != NULL && !clave_collab_valid_name(a.party))) {
        fprintf(stderr, "clave: --collab C (and --party P): [A-Za-z0-9_-]{1,64}\n");
        return CLI_USAGE;
    }
    if (strcmp(argv[1], "register") == 0) {
        return do_register(&a);
    }
    if (strcmp(argv[1], "list") == 0) {
        snprintf(path, sizeof(path), "/v1/collaborations/%s/recipients%s%s", a.collab,
                 a.party != NULL ? "/" : "", a.party != NULL ? a.party : "");
        rc = cli_call("recipient list", "GET", path, NULL, 200, &doc);
        return rc != 0 ? rc : output(doc, a.json);
    }
    fputs(RECIPIENT_USAGE, stderr);
    return CLI_USAGE;
}
