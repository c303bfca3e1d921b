/* SPDX-License-Identifier: Apache-2.0 */
/*
 * clave contract submit | approve | submit-revocation | status: the server side of contracts,
 * on the claved server of the cached session ('clave login'). The offline verbs (propose,
 * sign, revoke, export, verify, ...) stay in contract.c.
 */
#include "collab_cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#define STATEMENT_FILE_MAX 16384
#define PATH_MAX_LEN 512

static const char REMOTE_USAGE[] =
    "usage: clave contract submit BUNDLE [--json]\n"
    "       clave contract approve ID --party P --statement SIG.cose [--json]\n"
    "       clave contract submit-revocation ID --party P --statement REV.cose [--json]\n"
    "       clave contract status ID [--bundle-out FILE] [--json]\n"
    "\n"
    "submit             store a bundle (from 'clave contract export') on the server; its\n"
    "                   collaboration must exist and every signer must be a member with the\n"
    "                   key the contract names\n"
    "approve            add party P's approval (from 'clave contract sign' or 'assemble')\n"
    "submit-revocation  add party P's revocation (from 'clave contract revoke'): releases stop\n"
    "status             the contract's state now; --bundle-out saves the server's bundle for\n"
    "                   'clave contract verify'\n"
    "ID is the contract id (64 hex characters, printed by 'clave contract propose').\n";

static const char *const VERBS[] = {"submit", "approve", "submit-revocation", "status"};

bool cli_contract_is_remote(const char *verb)
{
    for (size_t i = 0; i < sizeof(VERBS) / sizeof(VERBS[0]); i++) {
        if (strcmp(verb, VERBS[i]) == 0) {
            return true;
        }
    }
    return false;
}

struct remote_args {
    const char *party, *statement, *bundle_out;
    bool json;
};

static int parse(int argc, char **argv, struct remote_args *a)
{
    static const struct option OPTS[] = {
        {"party", required_argument, NULL, 'p'},
        {"statement", required_argument, NULL, 's'},
        {"bundle-out", required_argument, NULL, 'b'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int opt = 0;
    memset(a, 0, sizeof(*a));
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", OPTS, NULL)) != -1) {
        switch (opt) {
        case 'p':
            a->party = optarg;
            break;
        case 's':
            a->statement = optarg;
            break;
        case 'b':
            a->bundle_out = optarg;
            break;
        case 'j':
            a->json = true;
            break;
        case 'h':
            fputs(REMOTE_USAGE, stdout);
            exit(0);
        default:
            fputs(REMOTE_USAGE, stderr);
            return CLI_USAGE;
        }
    }
    if (argc - optind != 1) {
        fputs(REMOTE_USAGE, stderr);
        return CLI_USAGE;
    }
    return 0;
}

static int print_state(json_t *doc, bool json)
{
    if (json) {
        char *text = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS);
        printf("%s\n", text != NULL ? text : "null");
        free(text);
    } else {
        const char *reason = json_string_value(json_object_get(doc, "reason"));
        printf("contract %s\n  collaboration %s\n  state %s%s%s%s\n  signatures %lld of %lld\n",
               json_string_value(json_object_get(doc, "id")),
               json_string_value(json_object_get(doc, "collaboration")),
               json_string_value(json_object_get(doc, "state")),
               reason != NULL && reason[0] != '\0' ? " (" : "", reason != NULL ? reason : "",
               reason != NULL && reason[0] != '\0' ? ")" : "",
               (long long)json_integer_value(json_object_get(doc, "signatures")),
               (long long)json_integer_value(json_object_get(doc, "required")));
    }
    json_decref(doc);
    return 0;
}

static bool valid_id(const char *id)
{
    size_t n = strlen(id);
    for (size_t i = 0; i < n; i++) {
        if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f'))) {
            return false;
        }
    }
    if (n != 2 * CLAVE_CONTRACT_ID_LEN) {
        fprintf(stderr, "clave: a contract id is 64 lower-case hex characters\n");
    }
    return n == 2 * CLAVE_CONTRACT_ID_LEN;
}

static int submit_file(const char *what, const char *file, size_t max, const char *route,
                       const char *field, const char *party, long expect, json_t **out)
{
    uint8_t *data = NULL;
    size_t len = 0;
    clave_status st = cli_file_read(file, max, &data, &len);
    if (st != CLAVE_OK) {
        return cli_fail(what, st);
    }
    json_t *body = json_pack("{s:o}", field, cli_b64url_json(data, len));
    free(data);
    if (body != NULL && party != NULL) {
        json_object_set_new(body, "party", json_string(party));
    }
    return cli_call(what, "POST", route, body, expect, out);
}

static int status(const char *id, const struct remote_args *a)
{
    char path[PATH_MAX_LEN];
    json_t *doc = NULL;
    snprintf(path, sizeof(path), "/v1/contracts/%s", id);
    int rc = cli_call("contract status", "GET", path, NULL, 200, &doc);
    if (rc == 0 && a->bundle_out != NULL) {
        json_t *b = NULL;
        uint8_t *bytes = NULL;
        size_t len = 0;
        snprintf(path, sizeof(path), "/v1/contracts/%s/bundle", id);
        rc = cli_call("contract status", "GET", path, NULL, 200, &b);
        clave_status st =
            rc == 0 ? cli_json_b64(b, "bundle", CLAVE_B64URL, &bytes, &len) : CLAVE_ERR_IO;
        if (rc == 0 && (st != CLAVE_OK || cli_file_write(a->bundle_out, bytes, len) != CLAVE_OK)) {
            rc = cli_fail("contract status", st != CLAVE_OK ? st : CLAVE_ERR_IO);
        }
        free(bytes);
        json_decref(b);
    }
    if (rc != 0) {
        json_decref(doc);
        return rc;
    }
    return print_state(doc, a->json);
}

int cli_contract_remote(int argc, char **argv)
{
    struct remote_args a;
    char path[PATH_MAX_LEN];
    json_t *doc = NULL;
    const char *verb = argv[0];
    int rc = parse(argc, argv, &a);
    if (rc != 0) {
        return rc;
    }
    const char *operand = argv[optind];
    if (strcmp(verb, "submit") == 0) {
        rc = submit_file("contract submit", operand, CLAVE_CONTRACT_BUNDLE_MAX_LEN, "/v1/contracts",
                         "bundle", NULL, 201, &doc);
        return rc != 0 ? rc : print_state(doc, a.json);
    }
    if (!valid_id(operand)) {
        return CLI_USAGE;
    }
    if (strcmp(verb, "status") == 0) {
        return status(operand, &a);
    }
    if (a.party == NULL || a.statement == NULL) {
        fprintf(stderr, "clave: --party and --statement are required\n");
        return CLI_USAGE;
    }
    bool approve = strcmp(verb, "approve") == 0;
    snprintf(path, sizeof(path), "/v1/contracts/%s/%s", operand,
             approve ? "approvals" : "revocations");
    rc = submit_file(approve ? "contract approve" : "contract submit-revocation", a.statement,
                     STATEMENT_FILE_MAX, path, "statement", a.party, 200, &doc);
    return rc != 0 ? rc : print_state(doc, a.json);
}
