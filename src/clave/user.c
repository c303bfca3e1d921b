/* SPDX-License-Identifier: Apache-2.0 */
/* clave user add|list|role: manage users on claved with the cached session. */
#include "remote.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#define ID_MAX 64

static const char USER_USAGE[] =
    "usage: clave user add NAME --role ROLE [--party ID] [--password-file FILE]\n"
    "                  [--cert-sha256 HEX] [--json]\n"
    "       clave user list [--json]\n"
    "       clave user role USER ROLE [--json]\n"
    "\n"
    "Users on the claved server of the cached session ('clave login').\n"
    "  add    create a user; ROLE is admin, owner, analyst or auditor; the password is read\n"
    "         from FILE (default $CLAVE_NEW_PASSWORD, else prompt); --cert-sha256 registers a\n"
    "         client certificate (hex SHA-256 of its DER) for mTLS login instead\n"
    "  list   the users you may see (admins: all; owners and auditors: their party)\n"
    "  role   change USER's role (USER: an id u_... or a name)\n"
    "  --json print the server's JSON answer\n";

struct user_args {
    const char *role;
    const char *party;
    const char *password_file;
    const char *cert;
    bool json;
};

static int parse(int argc, char **argv, struct user_args *a, int positional)
{
    static const struct option OPTS[] = {
        {"role", required_argument, NULL, 'r'},
        {"party", required_argument, NULL, 'p'},
        {"password-file", required_argument, NULL, 'f'},
        {"cert-sha256", required_argument, NULL, 'c'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int opt = 0;
    memset(a, 0, sizeof(*a));
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", OPTS, NULL)) != -1) {
        switch (opt) {
        case 'r':
            a->role = optarg;
            break;
        case 'p':
            a->party = optarg;
            break;
        case 'f':
            a->password_file = optarg;
            break;
        case 'c':
            a->cert = optarg;
            break;
        case 'j':
            a->json = true;
            break;
        case 'h':
            fputs(USER_USAGE, stdout);
            exit(0);
        default:
            fputs(USER_USAGE, stderr);
            return CLI_USAGE;
        }
    }
    if (argc - optind != positional) {
        fputs(USER_USAGE, stderr);
        return CLI_USAGE;
    }
    return 0;
}

static void print_user(json_t *u)
{
    printf("%-28s %-20s %-8s %s\n", json_string_value(json_object_get(u, "id")),
           json_string_value(json_object_get(u, "name")),
           json_string_value(json_object_get(u, "role")),
           json_string_value(json_object_get(u, "party_id")));
}

static int user_add(int argc, char **argv)
{
    struct user_args a;
    struct clave_secret *pw = NULL;
    json_t *out = NULL;
    int rc = parse(argc, argv, &a, 1);
    if (rc != 0) {
        return rc;
    }
    if (a.role == NULL) {
        fputs(USER_USAGE, stderr);
        return CLI_USAGE;
    }
    json_t *body = json_pack("{s:s,s:s}", "name", argv[optind], "role", a.role);
    if (body != NULL && a.party != NULL) {
        (void)json_object_set_new(body, "party_id", json_string(a.party));
    }
    if (body != NULL && a.cert != NULL) {
        (void)json_object_set_new(body, "cert_sha256", json_string(a.cert));
    } else if (body != NULL) {
        clave_status st =
            cli_secret_load(a.password_file, "CLAVE_NEW_PASSWORD", "new user's password", &pw);
        if (st != CLAVE_OK) {
            json_decref(body);
            return cli_fail("user add", st);
        }
        (void)json_object_set_new(
            body, "password",
            json_stringn((const char *)clave_secret_cdata(pw), clave_secret_len(pw)));
        clave_secret_free(pw);
    }
    rc = cli_call("user add", "POST", "/v1/users", body, 201, &out);
    if (rc == 0 && a.json) {
        char *t = json_dumps(out, JSON_COMPACT);
        printf("%s\n", t != NULL ? t : "{}");
        free(t);
    } else if (rc == 0) {
        printf("created ");
        print_user(out);
    }
    json_decref(out);
    return rc;
}

static int user_list(int argc, char **argv)
{
    struct user_args a;
    json_t *out = NULL;
    int rc = parse(argc, argv, &a, 0);
    if (rc == 0) {
        rc = cli_call("user list", "GET", "/v1/users", NULL, 200, &out);
    }
    if (rc == 0 && a.json) {
        char *t = json_dumps(out, JSON_COMPACT);
        printf("%s\n", t != NULL ? t : "{}");
        free(t);
    } else if (rc == 0) {
        size_t i;
        json_t *u;
        json_array_foreach (json_object_get(out, "users"), i, u) {
            print_user(u);
        }
    }
    json_decref(out);
    return rc;
}

/* A user id from an id or a name (looked up in GET /v1/users). */
static int resolve(const char *who, char id[ID_MAX + 1])
{
    json_t *out = NULL;
    size_t i;
    json_t *u;
    if (strncmp(who, "u_", 2) == 0) {
        snprintf(id, ID_MAX + 1, "%s", who);
        return 0;
    }
    int rc = cli_call("user role", "GET", "/v1/users", NULL, 200, &out);
    id[0] = '\0';
    json_array_foreach (json_object_get(out, "users"), i, u) {
        const char *name = json_string_value(json_object_get(u, "name"));
        if (name != NULL && strcmp(name, who) == 0) {
            snprintf(id, ID_MAX + 1, "%s", json_string_value(json_object_get(u, "id")));
        }
    }
    json_decref(out);
    if (rc == 0 && id[0] == '\0') {
        fprintf(stderr, "clave: user role: no user named %s\n", who);
        rc = CLI_FAILED;
    }
    return rc;
}

static int user_role(int argc, char **argv)
{
    struct user_args a;
    char id[ID_MAX + 1];
    char path[128];
    json_t *out = NULL;
    int rc = parse(argc, argv, &a, 2);
    if (rc == 0) {
        rc = resolve(argv[optind], id);
    }
    if (rc == 0) {
        snprintf(path, sizeof(path), "/v1/users/%s/role", id);
        rc = cli_call("user role", "PUT", path, json_pack("{s:s}", "role", argv[optind + 1]), 200,
                      &out);
    }
    if (rc == 0) {
        printf(a.json ? "{\"id\":\"%s\",\"role\":\"%s\"}\n" : "%s is now %s\n",
               json_string_value(json_object_get(out, "id")),
               json_string_value(json_object_get(out, "role")));
    }
    json_decref(out);
    return rc;
}

int cli_user(int argc, char **argv)
{
    static const struct cli_command SUB[] = {
        {"add", "create a user", user_add},
        {"list", "list users", user_list},
        {"role", "change a user's role", user_role},
    };
    for (size_t i = 0; argc >= 2 && i < sizeof(SUB) / sizeof(SUB[0]); i++) {
        if (strcmp(argv[1], SUB[i].name) == 0) {
            return SUB[i].run(argc - 1, argv + 1);
        }
    }
    bool help = argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0);
    fputs(USER_USAGE, help ? stdout : stderr);
    return help ? 0 : CLI_USAGE;
}
