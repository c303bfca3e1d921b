/* SPDX-License-Identifier: Apache-2.0 */
/* clave kbs policy show: the key broker's release policy settings (GET /v1/kbs/policy). */
#include "collab_cli.h"

#include <stdlib.h>
#include <string.h>

static const char POLICY_USAGE[] =
    "usage: clave kbs policy show [--json]\n"
    "\n"
    "Print the key broker's release policy settings of the claved server of the cached\n"
    "session ('clave login'): attestation policy, simulated evidence, session limits.\n"
    "  --json print the server's JSON answer\n";

static void print_value(const char *key, const json_t *v, int depth)
{
    if (json_is_object(v)) {
        const char *k = NULL;
        const json_t *x = NULL;
        printf("%*s%s\n", depth * 2, "", key);
        json_object_foreach ((json_t *)(uintptr_t)v, k, x) {
            print_value(k, x, depth + 1);
        }
        return;
    }
    char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    printf("%*s%-28s %s\n", depth * 2, "", key, text != NULL ? text : "?");
    free(text);
}

int cli_kbs_policy(int argc, char **argv)
{
    bool json = false;
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(POLICY_USAGE, stdout);
        return 0;
    }
    if (argc < 2 || strcmp(argv[1], "show") != 0 || argc > 3 ||
        (argc == 3 && strcmp(argv[2], "--json") != 0)) {
        fputs(POLICY_USAGE, stderr);
        return CLI_USAGE;
    }
    json = argc == 3;
    json_t *doc = NULL;
    int rc = cli_call("kbs policy", "GET", "/v1/kbs/policy", NULL, 200, &doc);
    if (rc != 0) {
        return rc;
    }
    if (json) {
        char *text = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS);
        printf("%s\n", text != NULL ? text : "null");
        free(text);
    } else {
        const char *k = NULL;
        const json_t *v = NULL;
        json_object_foreach (doc, k, v) {
            print_value(k, v, 0);
        }
    }
    json_decref(doc);
    return 0;
}
