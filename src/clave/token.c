/* SPDX-License-Identifier: Apache-2.0 */
/* clave token create|list|revoke: API tokens for the cached session's user. */
#include "remote.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char TOKEN_USAGE[] =
    "usage: clave token create NAME [--ttl SECONDS] [--json]\n"
    "       clave token list [--json]\n"
    "       clave token revoke ID\n"
    "\n"
    "Long-lived API tokens (the server keeps only their hashes) for the user of the cached\n"
    "session ('clave login'). Use one as 'Authorization: Bearer clv_...'.\n"
    "  create  make a token; it is printed once, on stdout, and never again\n"
    "  --ttl   lifetime in seconds (default: no expiry)\n"
    "  list    your tokens (names, ids, expiry; never the tokens)\n"
    "  revoke  revoke token ID (t_...); admins may revoke anyone's\n";

static int parse(int argc, char **argv, int positional, long long *ttl, bool *json)
{
    static const struct option OPTS[] = {{"ttl", required_argument, NULL, 't'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    int opt = 0;
    char *end = NULL;
    *json = false;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", OPTS, NULL)) != -1) {
        switch (opt) {
        case 't':
            *ttl = strtoll(optarg, &end, 10);
            if (end == optarg || *end != '\0' || *ttl < 0) {
                fputs(TOKEN_USAGE, stderr);
                return CLI_USAGE;
            }
            break;
        case 'j':
            *json = true;
            break;
        case 'h':
            fputs(TOKEN_USAGE, stdout);
            exit(0);
        default:
            fputs(TOKEN_USAGE, stderr);
            return CLI_USAGE;
        }
    }
    if (argc - optind != positional) {
        fputs(TOKEN_USAGE, stderr);
        return CLI_USAGE;
    }
    return 0;
}

static void print_json(json_t *doc)
{
    char *t = json_dumps(doc, JSON_COMPACT);
    printf("%s\n", t != NULL ? t : "{}");
    free(t);
}

static int token_create(int argc, char **argv)
{
    long long ttl = 0;
    bool json = false;
    json_t *out = NULL;
    int rc = parse(argc, argv, 1, &ttl, &json);
    if (rc == 0) {
        rc = cli_call("token create", "POST", "/v1/tokens",
                      json_pack("{s:s,s:I}", "name", argv[optind], "ttl_s", (json_int_t)ttl), 201,
                      &out);
    }
    if (rc == 0 && json) {
        print_json(out);
    } else if (rc == 0) {
        fprintf(stderr, "token %s (%s) created; it is shown only this once:\n",
                json_string_value(json_object_get(out, "id")), argv[optind]);
        printf("%s\n", json_string_value(json_object_get(out, "token")));
    }
    json_decref(out);
    return rc;
}

static int token_list(int argc, char **argv)
{
    long long ttl = 0;
    bool json = false;
    json_t *out = NULL;
    int rc = parse(argc, argv, 0, &ttl, &json);
    if (rc == 0) {
        rc = cli_call("token list", "GET", "/v1/tokens", NULL, 200, &out);
    }
    if (rc == 0 && json) {
        print_json(out);
    } else if (rc == 0) {
        size_t i;
        json_t *t;
        json_array_foreach (json_object_get(out, "tokens"), i, t) {
            char *line = json_dumps(t, JSON_COMPACT | JSON_SORT_KEYS);
            printf("%s\n", line != NULL ? line : "");
            free(line);
        }
    }
    json_decref(out);
    return rc;
}

static int token_revoke(int argc, char **argv)
{
    long long ttl = 0;
    bool json = false;
    char path[160];
    int rc = parse(argc, argv, 1, &ttl, &json);
    if (rc == 0 &&
        strspn(argv[optind], "abcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(argv[optind])) {
        fprintf(stderr, "clave: token revoke: %s is not a token id (t_...)\n", argv[optind]);
        return CLI_USAGE;
    }
    if (rc == 0) {
        snprintf(path, sizeof(path), "/v1/tokens/%.64s", argv[optind]);
        rc = cli_call("token revoke", "DELETE", path, NULL, 200, NULL);
    }
    if (rc == 0) {
        printf("revoked %s\n", argv[optind]);
    }
    return rc;
}

int cli_token(int argc, char **argv)
{
    static const struct cli_command SUB[] = {
        {"create", "create an API token", token_create},
        {"list", "list your API tokens", token_list},
        {"revoke", "revoke an API token", token_revoke},
    };
    for (size_t i = 0; argc >= 2 && i < sizeof(SUB) / sizeof(SUB[0]); i++) {
        if (strcmp(argv[1], SUB[i].name) == 0) {
            return SUB[i].run(argc - 1, argv + 1);
        }
    }
    bool help = argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0);
    fputs(TOKEN_USAGE, help ? stdout : stderr);
    return help ? 0 : CLI_USAGE;
}
