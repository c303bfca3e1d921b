/* SPDX-License-Identifier: Apache-2.0 */
/*
 * clave collab create|show|list|verify and clave party add|remove|rekey|list: collaborations
 * and their signed membership on the claved server of the cached session ('clave login').
 */
#include "collab_cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HISTORY_FILE_MAX (8u * 1024u * 1024u)
#define PATH_MAX_LEN 512

static const char COLLAB_USAGE[] =
    "usage: clave collab create NAME [--description TEXT] [--json]\n"
    "       clave collab show NAME [--json]\n"
    "       clave collab list [--json]\n"
    "       clave collab verify HISTORY.json [--json]\n"
    "\n"
    "create  a collaboration (admin or owner); NAME is [A-Za-z0-9_-]{1,64}. It has no members\n"
    "        until its first statement: 'clave party add' by the founding party, self-signed\n"
    "show    the collaboration, its members and its signed membership history\n"
    "list    every collaboration\n"
    "verify  offline: replay the statements of a saved 'clave collab show NAME --json' (each\n"
    "        signature, the hash chain and the membership rules) and print the members\n"
    "  --json print JSON (the server's answer; for verify the members)\n";

static const char PARTY_USAGE[] =
    "usage: clave party add --collab C --party P --identity-key PUB.pem [--region R]\n"
    "                       [--signer S] SIGNING [--json]\n"
    "       clave party remove --collab C --party P [--signer S] SIGNING [--json]\n"
    "       clave party rekey --collab C --party P --identity-key NEW.pem SIGNING [--json]\n"
    "       clave party list --collab C [--json]\n"
    "SIGNING is one of\n"
    "       --sign-key KEY.pem                 the signer's private identity key (PEM/DER)\n"
    "       --alg EdDSA|ES256 --time T --signing-input TBS.bin\n"
    "                                          write the bytes a token must sign, submit nothing\n"
    "       --alg EdDSA|ES256 --time T --raw-signature SIG.bin\n"
    "                                          wrap the token's raw 64-byte signature, submit\n"
    "\n"
    "Membership changes are COSE_Sign1 statements by a member (docs/collaborations.md):\n"
    "  add     P joins with its identity key (Ed25519 or P-256) and optional region tag. The\n"
    "          first member adds itself, signing with the key it registers; later any member\n"
    "          S adds (default signer: P itself for the first statement, else required)\n"
    "  remove  P leaves (S = P), or S votes P out: P leaves once every other member voted\n"
    "  rekey   P replaces its key, signed with its current key\n"
    "  list    the current members\n"
    "Owners submit statements signed by their own party; admins any. P and S are party names.\n"
    "For a token key (PKCS#11): Ed25519 signs with CKM_EDDSA over TBS.bin, P-256 with\n"
    "CKM_ECDSA_SHA256; run --signing-input and --raw-signature with the same --time before\n"
    "anyone else changes the membership (the statement names the history's next position).\n";

struct collab_args {
    const char *collab, *party, *signer, *identity_key, *region, *description;
    const char *sign_key, *alg, *signing_input, *raw_signature;
    uint64_t time;
    bool has_time, json;
    int first_operand;
};

static int parse(int argc, char **argv, struct collab_args *a, const char *usage)
{
    static const struct option OPTS[] = {
        {"collab", required_argument, NULL, 'c'},
        {"party", required_argument, NULL, 'p'},
        {"signer", required_argument, NULL, 's'},
        {"identity-key", required_argument, NULL, 'i'},
        {"region", required_argument, NULL, 'r'},
        {"description", required_argument, NULL, 'd'},
        {"sign-key", required_argument, NULL, 'k'},
        {"alg", required_argument, NULL, 'a'},
        {"signing-input", required_argument, NULL, 'I'},
        {"raw-signature", required_argument, NULL, 'R'},
        {"time", required_argument, NULL, 't'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char **slot[128] = {NULL};
    slot['c'] = &a->collab;
    slot['p'] = &a->party;
    slot['s'] = &a->signer;
    slot['i'] = &a->identity_key;
    slot['r'] = &a->region;
    slot['d'] = &a->description;
    slot['k'] = &a->sign_key;
    slot['a'] = &a->alg;
    slot['I'] = &a->signing_input;
    slot['R'] = &a->raw_signature;
    int opt = 0;
    char *end = NULL;
    memset(a, 0, sizeof(*a));
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", OPTS, NULL)) != -1) {
        if (opt > 0 && opt < 128 && slot[opt] != NULL) {
            *slot[opt] = optarg;
        } else if (opt == 't') {
            a->time = strtoull(optarg, &end, 10);
            a->has_time = end != optarg && *end == '\0';
            if (!a->has_time) {
                fprintf(stderr, "clave: --time: unix seconds\n");
                return CLI_USAGE;
            }
        } else if (opt == 'j') {
            a->json = true;
        } else if (opt == 'h') {
            fputs(usage, stdout);
            exit(0);
        } else {
            fputs(usage, stderr);
            return CLI_USAGE;
        }
    }
    a->first_operand = optind;
    return 0;
}

static int need(const char *value, const char *what, const char *usage)
{
    if (value == NULL) {
        fprintf(stderr, "clave: %s is required\n", what);
        fputs(usage, stderr);
        return CLI_USAGE;
    }
    return 0;
}

static void print_collab(const json_t *c)
{
    const json_t *m = NULL;
    size_t i = 0;
    printf("collaboration %s\n", json_string_value(json_object_get(c, "name")));
    const char *desc = json_string_value(json_object_get(c, "description"));
    if (desc != NULL && desc[0] != '\0') {
        printf("  description  %s\n", desc);
    }
    json_t *members = json_object_get(c, "members");
    printf("  members      %zu\n", json_array_size(members));
    json_array_foreach (members, i, m) {
        const char *region = json_string_value(json_object_get(m, "region"));
        printf("    %-20s key sha256 %s%s%s\n", json_string_value(json_object_get(m, "party")),
               json_string_value(json_object_get(m, "spki_sha256")),
               region != NULL && region[0] != '\0' ? "  region " : "",
               region != NULL ? region : "");
    }
    json_t *statements = json_object_get(c, "statements");
    printf("  statements   %zu\n", json_array_size(statements));
    json_array_foreach (statements, i, m) {
        printf("    #%lld %-6s %s by %s at %lld\n",
               (long long)json_integer_value(json_object_get(m, "seq")),
               json_string_value(json_object_get(m, "op")),
               json_string_value(json_object_get(m, "party")),
               json_string_value(json_object_get(m, "signer")),
               (long long)json_integer_value(json_object_get(m, "time")));
    }
}

static int show_json_or(json_t *doc, bool json, void (*print)(const json_t *))
{
    if (json) {
        char *text = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS);
        printf("%s\n", text != NULL ? text : "null");
        free(text);
    } else {
        print(doc);
    }
    json_decref(doc);
    return 0;
}

static void print_list(const json_t *doc)
{
    const json_t *c = NULL;
    size_t i = 0;
    json_array_foreach (json_object_get(doc, "collaborations"), i, c) {
        printf("%-24s %s\n", json_string_value(json_object_get(c, "name")),
               json_string_value(json_object_get(c, "description")));
    }
}

static void print_members(const json_t *c)
{
    const json_t *m = NULL;
    size_t i = 0;
    json_array_foreach (json_object_get(c, "members"), i, m) {
        printf("%-20s %s %s\n", json_string_value(json_object_get(m, "party")),
               json_string_value(json_object_get(m, "spki_sha256")),
               json_string_value(json_object_get(m, "region")));
    }
}

static int get_collab(const char *name, json_t **out)
{
    char path[PATH_MAX_LEN];
    if (!clave_collab_valid_name(name)) {
        fprintf(stderr, "clave: collaboration names are [A-Za-z0-9_-]{1,64}\n");
        return CLI_USAGE;
    }
    snprintf(path, sizeof(path), "/v1/collaborations/%s", name);
    return cli_call("collab show", "GET", path, NULL, 200, out);
}

/* Replay the statements of a saved GET answer; prints the members. */
static int collab_verify(const char *file, bool json)
{
    uint8_t *data = NULL;
    size_t len = 0;
    struct clave_collab *c = NULL;
    json_t *doc = NULL;
    const json_t *s = NULL;
    size_t i = 0;
    clave_status st = cli_file_read(file, HISTORY_FILE_MAX, &data, &len);
    if (st == CLAVE_OK) {
        doc = json_loadb((const char *)data, len, JSON_REJECT_DUPLICATES, NULL);
        st = doc != NULL ? clave_collab_new(json_string_value(json_object_get(doc, "name")), &c)
                         : CLAVE_ERR_JSON;
    }
    json_array_foreach (json_object_get(doc, "statements"), i, s) {
        uint8_t *cose = NULL;
        size_t n = 0;
        if (st == CLAVE_OK) {
            st = cli_json_b64(s, "statement", CLAVE_B64URL, &cose, &n);
        }
        if (st == CLAVE_OK) {
            st = clave_collab_append(c, cose, n);
        }
        free(cose);
    }
    free(data);
    json_decref(doc);
    if (st != CLAVE_OK) {
        clave_collab_free(c);
        return cli_fail("collab verify", st);
    }
    json_t *members = json_array();
    for (i = 0; i < clave_collab_member_count(c); i++) {
        struct clave_collab_member m;
        if (clave_collab_member(c, i, &m) == CLAVE_OK) {
            json_array_append_new(members, json_pack("{s:s,s:o,s:s}", "party", m.party, "spki",
                                                     cli_b64url_json(m.spki, m.spki_len), "region",
                                                     m.region));
        }
    }
    if (!json) {
        printf("verified %zu statements of %s; members:", clave_collab_statement_count(c),
               clave_collab_name(c));
    }
    const json_t *m = NULL;
    json_array_foreach (members, i, m) {
        if (!json) {
            printf(" %s", json_string_value(json_object_get(m, "party")));
        }
    }
    if (json) {
        char *text = json_dumps(json_pack("{s:s,s:I,s:O}", "collaboration", clave_collab_name(c),
                                          "statements", (json_int_t)clave_collab_statement_count(c),
                                          "members", members),
                                JSON_INDENT(2));
        printf("%s\n", text != NULL ? text : "null");
        free(text);
    } else {
        printf("\n");
    }
    json_decref(members);
    clave_collab_free(c);
    return 0;
}

int cli_collab(int argc, char **argv)
{
    struct collab_args a;
    json_t *doc = NULL;
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(COLLAB_USAGE, argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : 0;
    }
    const char *verb = argv[1];
    int rc = parse(argc - 1, argv + 1, &a, COLLAB_USAGE);
    int operands = argc - 1 - a.first_operand;
    const char *operand = operands == 1 ? argv[1 + a.first_operand] : NULL;
    if (rc != 0) {
        return rc;
    }
    if (strcmp(verb, "list") == 0 && operands == 0) {
        rc = cli_call("collab list", "GET", "/v1/collaborations", NULL, 200, &doc);
        return rc != 0 ? rc : show_json_or(doc, a.json, print_list);
    }
    if (operand == NULL) {
        fputs(COLLAB_USAGE, stderr);
        return CLI_USAGE;
    }
    if (strcmp(verb, "create") == 0) {
        json_t *body = json_pack("{s:s,s:s}", "name", operand, "description",
                                 a.description != NULL ? a.description : "");
        rc = cli_call("collab create", "POST", "/v1/collaborations", body, 201, &doc);
        return rc != 0 ? rc : show_json_or(doc, a.json, print_collab);
    }
    if (strcmp(verb, "show") == 0) {
        rc = get_collab(operand, &doc);
        return rc != 0 ? rc : show_json_or(doc, a.json, print_collab);
    }
    if (strcmp(verb, "verify") == 0) {
        return collab_verify(operand, a.json);
    }
    fprintf(stderr, "clave: unknown collab command '%s'\n", verb);
    fputs(COLLAB_USAGE, stderr);
    return CLI_USAGE;
}

/* The signer's registered key from a GET answer (SPKI, standard base64). */
static clave_status member_spki(const json_t *collab, const char *party, uint8_t **out, size_t *len)
{
    const json_t *m = NULL;
    size_t i = 0;
    json_array_foreach (json_object_get(collab, "members"), i, m) {
        if (strcmp(json_string_value(json_object_get(m, "party")), party) == 0) {
            return cli_json_b64(m, "spki", CLAVE_B64_STD, out, len);
        }
    }
    fprintf(stderr, "clave: %s is not a member\n", party);
    return CLAVE_ERR_NOT_FOUND;
}

static clave_status parse_alg(const char *alg, int64_t *out)
{
    *out = alg == NULL                 ? 0
           : strcmp(alg, "EdDSA") == 0 ? CLAVE_COSE_ALG_EDDSA
           : strcmp(alg, "ES256") == 0 ? CLAVE_COSE_ALG_ES256
                                       : 0;
    if (*out == 0) {
        fprintf(stderr, "clave: --alg EdDSA or ES256 is required with a token key\n");
        return CLAVE_ERR_ARG;
    }
    return CLAVE_OK;
}

/* Token path, step 2: wrap the raw signature (verified against the signer's key). */
static clave_status assemble(const struct collab_args *a, const struct clave_collab_change *ch,
                             const json_t *collab, uint8_t **out, size_t *out_len)
{
    uint8_t *sig = NULL;
    uint8_t *spki = NULL;
    size_t sig_len = 0;
    size_t spki_len = 0;
    int64_t alg = 0;
    clave_status st = parse_alg(a->alg, &alg);
    if (st == CLAVE_OK) {
        st = cli_file_read(a->raw_signature, 1024, &sig, &sig_len);
    }
    if (st == CLAVE_OK && ch->seq == 0) {
        st = ch->spki != NULL ? CLAVE_OK : CLAVE_ERR_ARG;
        spki = st == CLAVE_OK ? malloc(ch->spki_len) : NULL;
        st = spki != NULL ? CLAVE_OK : CLAVE_ERR_NOMEM;
        if (st == CLAVE_OK) {
            memcpy(spki, ch->spki, ch->spki_len);
            spki_len = ch->spki_len;
        }
    } else if (st == CLAVE_OK) {
        st = member_spki(collab, ch->signer, &spki, &spki_len);
    }
    if (st == CLAVE_OK) {
        st = clave_collab_assemble(ch, alg, spki, spki_len, sig, sig_len, out, out_len);
    }
    free(sig);
    free(spki);
    return st;
}

/* Make the statement for `ch` by the chosen signing path; *out NULL after --signing-input. */
static clave_status make_statement(const struct collab_args *a,
                                   const struct clave_collab_change *ch, const json_t *collab,
                                   uint8_t **out, size_t *len)
{
    struct clave_pkey *key = NULL;
    int64_t alg = 0;
    *out = NULL;
    *len = 0;
    if (a->sign_key != NULL) {
        clave_status st = cli_private_key_load(a->sign_key, &key);
        if (st == CLAVE_OK) {
            st = clave_collab_sign(ch, key, out, len);
        }
        clave_pkey_free(key);
        return st;
    }
    if (a->raw_signature != NULL) {
        return assemble(a, ch, collab, out, len);
    }
    uint8_t *tbs = NULL;
    size_t tbs_len = 0;
    clave_status st = parse_alg(a->alg, &alg);
    if (st == CLAVE_OK) {
        st = clave_collab_signing_input(ch, alg, &tbs, &tbs_len);
    }
    if (st == CLAVE_OK) {
        st = cli_file_write(a->signing_input, tbs, tbs_len);
    }
    if (st == CLAVE_OK) {
        printf("wrote %zu bytes to sign for statement %llu (time %llu) to %s\n", tbs_len,
               (unsigned long long)ch->seq, (unsigned long long)ch->time, a->signing_input);
    }
    free(tbs);
    return st;
}

static int check_party_args(enum clave_collab_op op, const struct collab_args *a)
{
    int paths = (a->sign_key != NULL) + (a->signing_input != NULL) + (a->raw_signature != NULL);
    int rc = need(a->collab, "--collab", PARTY_USAGE);
    rc = rc != 0 ? rc : need(a->party, "--party", PARTY_USAGE);
    if (rc == 0 && op != CLAVE_COLLAB_REMOVE) {
        rc = need(a->identity_key, "--identity-key", PARTY_USAGE);
    }
    if (rc == 0 && (paths != 1 || (a->sign_key == NULL && !a->has_time))) {
        fprintf(stderr, "clave: one of --sign-key, --signing-input or --raw-signature (the last "
                        "two with --alg and --time)\n");
        rc = CLI_USAGE;
    }
    return rc;
}

static int party_change(enum clave_collab_op op, const struct collab_args *a)
{
    json_t *collab = NULL;
    json_t *doc = NULL;
    uint8_t spki[CLAVE_COLLAB_SPKI_MAX];
    uint8_t *stmt = NULL;
    size_t stmt_len = 0;
    size_t n = 0;
    char path[PATH_MAX_LEN];
    struct clave_collab_change ch = {.op = op, .collaboration = a->collab, .party = a->party};
    int rc = check_party_args(op, a);
    rc = rc != 0 ? rc : get_collab(a->collab, &collab);
    if (rc != 0) {
        return rc;
    }
    const char *prev = json_string_value(json_object_get(json_object_get(collab, "next"), "prev"));
    ch.seq = (uint64_t)json_integer_value(json_object_get(json_object_get(collab, "next"), "seq"));
    ch.signer = a->signer != NULL ? a->signer : a->party;
    ch.region = op == CLAVE_COLLAB_ADD ? a->region : NULL;
    ch.time = a->has_time ? a->time : (uint64_t)time(NULL);
    clave_status st = prev != NULL
                          ? clave_hex_decode(prev, strlen(prev), ch.prev, sizeof(ch.prev), &n)
                          : CLAVE_ERR_FORMAT;
    if (st == CLAVE_OK && op != CLAVE_COLLAB_REMOVE) {
        st = cli_public_spki_load(a->identity_key, spki, &ch.spki_len);
        ch.spki = spki;
    }
    if (st == CLAVE_OK) {
        st = make_statement(a, &ch, collab, &stmt, &stmt_len);
    }
    json_decref(collab);
    if (st != CLAVE_OK) {
        return cli_fail("party", st);
    }
    if (stmt == NULL) {
        return 0; /* --signing-input: nothing to submit yet */
    }
    snprintf(path, sizeof(path), "/v1/collaborations/%s/members", a->collab);
    rc = cli_call("party", "POST", path,
                  json_pack("{s:o}", "statement", cli_b64url_json(stmt, stmt_len)), 200, &doc);
    free(stmt);
    if (rc != 0) {
        return rc;
    }
    if (!a->json) {
        printf("%s %s in %s (statement %llu, signed by %s)\n", clave_collab_op_name(op), a->party,
               a->collab, (unsigned long long)ch.seq, ch.signer);
        json_decref(doc);
        return 0;
    }
    return show_json_or(doc, true, print_collab);
}

int cli_party(int argc, char **argv)
{
    static const struct {
        const char *name;
        enum clave_collab_op op;
    } CHANGES[] = {
        {"add", CLAVE_COLLAB_ADD}, {"remove", CLAVE_COLLAB_REMOVE}, {"rekey", CLAVE_COLLAB_REKEY}};
    struct collab_args a;
    json_t *doc = NULL;
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(PARTY_USAGE, argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : 0;
    }
    int rc = parse(argc - 1, argv + 1, &a, PARTY_USAGE);
    if (rc == 0 && a.first_operand != argc - 1) {
        fputs(PARTY_USAGE, stderr);
        rc = CLI_USAGE;
    }
    if (rc != 0) {
        return rc;
    }
    for (size_t i = 0; i < sizeof(CHANGES) / sizeof(CHANGES[0]); i++) {
        if (strcmp(argv[1], CHANGES[i].name) == 0) {
            return party_change(CHANGES[i].op, &a);
        }
    }
    if (strcmp(argv[1], "list") == 0) {
        rc = need(a.collab, "--collab", PARTY_USAGE);
        rc = rc != 0 ? rc : get_collab(a.collab, &doc);
        if (rc == 0 && a.json) {
            json_t *members = json_incref(json_object_get(doc, "members"));
            json_decref(doc);
            return show_json_or(json_pack("{s:o}", "members", members), true, print_members);
        }
        return rc != 0 ? rc : show_json_or(doc, false, print_members);
    }
    fprintf(stderr, "clave: unknown party command '%s'\n", argv[1]);
    fputs(PARTY_USAGE, stderr);
    return CLI_USAGE;
}
