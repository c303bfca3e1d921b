/* SPDX-License-Identifier: Apache-2.0 */
/*
 * clave audit verify: check an exported audit log or one entry's proof against a signed head.
 * clave audit tail: print a server's latest audit entries (with the cached session).
 */
#include "cli.h"
#include "remote.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#define AUDIT_FILE_MAX ((size_t)1 << 30)

static const char AUDIT_USAGE[] =
    "usage: clave audit verify --log-key PEM --sth FILE (--export FILE | --proof FILE)\n"
    "       clave audit tail [--server URL] [-n COUNT] [--json]\n"
    "\n"
    "Verify, offline, what a coordinator's audit ledger claims:\n"
    "  --log-key PEM   the ledger's Ed25519 public key (SubjectPublicKeyInfo PEM), obtained out\n"
    "                  of band and pinned: it is what makes the signed head mean anything\n"
    "  --sth FILE      a signed tree head (JSON from GET /v1/audit/sth)\n"
    "  --export FILE   a whole exported log (JSON lines from GET /v1/audit/export): every entry\n"
    "                  re-hashes to the signed root\n"
    "  --proof FILE    one entry with its inclusion proof (GET /v1/audit/entries/{i}/proof)\n"
    "  --json          print the result as JSON\n"
    "Exit status 0 only if everything verifies.\n"
    "\n"
    "tail: fetch and print the latest entries of the server's log (GET /v1/audit/entries) as\n"
    "the session cached by 'clave login' (an admin or auditor):\n"
    "  --server URL    must be the server of the cached session (a guard against sending the\n"
    "                  session to another server); default: that server\n"
    "  -n COUNT        how many entries (1..1000, default 20)\n"
    "  --json          one JSON object per line: {\"index\": i, \"event\": {...}}\n";

#define TAIL_DEFAULT 20
#define TAIL_MAX 1000

static clave_status read_file(const char *path, char **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    *out = NULL;
    *len = 0;
    if (f == NULL) {
        fprintf(stderr, "clave: cannot open %s: %s\n", path, strerror(errno));
        return CLAVE_ERR_IO;
    }
    size_t cap = 65536;
    char *buf = malloc(cap);
    size_t used = 0;
    size_t n = 0;
    while (buf != NULL && (n = fread(buf + used, 1, cap - used, f)) > 0) {
        used += n;
        if (used == cap) {
            char *grown = cap < AUDIT_FILE_MAX ? realloc(buf, cap * 2) : NULL;
            if (grown == NULL) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = grown;
            cap *= 2;
        }
    }
    fclose(f);
    if (buf == NULL) {
        fprintf(stderr, "clave: %s is too large\n", path);
        return CLAVE_ERR_TOO_LARGE;
    }
    buf[used < cap ? used : cap - 1] = '\0';
    *out = buf;
    *len = used;
    return CLAVE_OK;
}

struct audit_args {
    const char *key;
    const char *sth;
    const char *export_file;
    const char *proof;
    bool json;
};

static int parse_args(int argc, char **argv, struct audit_args *a)
{
    static const struct option LONG_OPTIONS[] = {
        {"log-key", required_argument, NULL, 'k'},
        {"sth", required_argument, NULL, 's'},
        {"export", required_argument, NULL, 'e'},
        {"proof", required_argument, NULL, 'p'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int opt = 0;
    memset(a, 0, sizeof(*a));
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", LONG_OPTIONS, NULL)) != -1) {
        switch (opt) {
        case 'k':
            a->key = optarg;
            break;
        case 's':
            a->sth = optarg;
            break;
        case 'e':
            a->export_file = optarg;
            break;
        case 'p':
            a->proof = optarg;
            break;
        case 'j':
            a->json = true;
            break;
        case 'h':
            fputs(AUDIT_USAGE, stdout);
            exit(0);
        default:
            fputs(AUDIT_USAGE, stderr);
            return CLI_USAGE;
        }
    }
    if (a->key == NULL || a->sth == NULL || (a->export_file == NULL) == (a->proof == NULL) ||
        optind != argc) {
        fputs(AUDIT_USAGE, stderr);
        return CLI_USAGE;
    }
    return 0;
}

static clave_status verify(const struct audit_args *a, struct clave_ledger_sth *sth)
{
    char *key_pem = NULL;
    char *sth_text = NULL;
    char *body = NULL;
    size_t len = 0;
    struct clave_pkey *key = NULL;
    clave_status st = read_file(a->key, &key_pem, &len);
    if (st == CLAVE_OK) {
        st = clave_pkey_from_pem(key_pem, len, &key);
    }
    if (st == CLAVE_OK) {
        st = read_file(a->sth, &sth_text, &len);
    }
    if (st == CLAVE_OK) {
        st = clave_ledger_sth_from_json(sth_text, len, sth);
    }
    if (st == CLAVE_OK) {
        st = read_file(a->export_file != NULL ? a->export_file : a->proof, &body, &len);
    }
    if (st == CLAVE_OK) {
        st = a->export_file != NULL ? clave_ledger_verify_export(body, len, key, sth)
                                    : clave_ledger_verify_entry(body, len, key, sth);
    }
    clave_pkey_free(key);
    free(body);
    free(sth_text);
    free(key_pem);
    return st;
}

static void print_entry(json_t *e, bool json)
{
    const char *b64 = json_string_value(json_object_get(e, "event"));
    json_int_t index = json_integer_value(json_object_get(e, "index"));
    uint8_t *event = NULL;
    size_t len = 0;
    if (b64 == NULL ||
        clave_b64_decode_alloc(CLAVE_B64URL, b64, strlen(b64), &event, &len) != CLAVE_OK) {
        printf("#%lld (undecodable)\n", (long long)index);
        return;
    }
    json_t *doc = json_loadb((const char *)event, len, 0, NULL);
    if (json) {
        json_t *line = json_pack("{s:I,s:o?}", "index", index, "event", json_incref(doc));
        char *text = line != NULL ? json_dumps(line, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        printf("%s\n", text != NULL ? text : "{}");
        free(text);
        json_decref(line);
    } else {
        printf("#%lld %.*s\n", (long long)index, (int)len, (const char *)event);
    }
    json_decref(doc);
    free(event);
}

static int parse_tail(int argc, char **argv, const char **server, long *count, bool *json)
{
    static const struct option OPTS[] = {{"server", required_argument, NULL, 's'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    int opt = 0;
    char *end = NULL;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "n:h", OPTS, NULL)) != -1) {
        switch (opt) {
        case 's':
            *server = optarg;
            break;
        case 'n':
            *count = strtol(optarg, &end, 10);
            if (end == optarg || *end != '\0' || *count < 1 || *count > TAIL_MAX) {
                fputs(AUDIT_USAGE, stderr);
                return CLI_USAGE;
            }
            break;
        case 'j':
            *json = true;
            break;
        case 'h':
            fputs(AUDIT_USAGE, stdout);
            exit(0);
        default:
            fputs(AUDIT_USAGE, stderr);
            return CLI_USAGE;
        }
    }
    if (optind != argc) {
        fputs(AUDIT_USAGE, stderr);
        return CLI_USAGE;
    }
    return 0;
}

static int audit_tail(int argc, char **argv)
{
    const char *server = NULL;
    long count = TAIL_DEFAULT;
    bool json = false;
    struct cli_session s;
    json_t *out = NULL;
    int rc = parse_tail(argc, argv, &server, &count, &json);
    if (rc != 0) {
        return rc;
    }
    if (server != NULL) {
        if (cli_session_load(&s) != CLAVE_OK) {
            return CLI_FAILED;
        }
        bool same = strncmp(server, s.server, strlen(s.server)) == 0 &&
                    strspn(server + strlen(s.server), "/") == strlen(server + strlen(s.server));
        cli_session_free(&s);
        if (!same) {
            fprintf(stderr,
                    "clave: audit tail: the cached session is for another server; run "
                    "'clave login --server %s' first\n",
                    server);
            return CLI_FAILED;
        }
    }
    rc = cli_call("audit tail", "GET", "/v1/audit/entries", NULL, 200, &out);
    json_t *entries = json_object_get(out, "entries");
    size_t n = json_array_size(entries);
    for (size_t i = n > (size_t)count ? n - (size_t)count : 0; rc == 0 && i < n; i++) {
        print_entry(json_array_get(entries, i), json);
    }
    json_decref(out);
    return rc;
}

int cli_audit(int argc, char **argv)
{
    struct audit_args a;
    struct clave_ledger_sth sth;
    if (argc >= 2 && strcmp(argv[1], "tail") == 0) {
        return audit_tail(argc - 1, argv + 1);
    }
    if (argc < 2 || strcmp(argv[1], "verify") != 0) {
        bool help = argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0);
        fputs(AUDIT_USAGE, help ? stdout : stderr);
        return help ? 0 : CLI_USAGE;
    }
    int rc = parse_args(argc - 1, argv + 1, &a);
    if (rc != 0) {
        return rc;
    }
    memset(&sth, 0, sizeof(sth));
    clave_status st = verify(&a, &sth);
    if (a.json) {
        struct clave_error_info e = clave_error_last();
        json_t *out =
            json_pack("{s:b, s:I, s:s}", "ok", st == CLAVE_OK, "tree_size",
                      (json_int_t)sth.tree_size, "detail", st == CLAVE_OK ? "verified" : e.detail);
        char *text = out != NULL ? json_dumps(out, JSON_COMPACT) : NULL;
        if (text != NULL) {
            printf("%s\n", text);
        }
        free(text);
        json_decref(out);
    }
    if (st != CLAVE_OK) {
        return a.json ? CLI_FAILED : cli_fail("audit verify", st);
    }
    if (!a.json) {
        printf("verified: %s is consistent with the signed head of %llu entries\n",
               a.export_file != NULL ? "the exported log" : "the entry's inclusion proof",
               (unsigned long long)sth.tree_size);
    }
    return 0;
}
