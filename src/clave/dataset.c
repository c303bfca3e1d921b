/* SPDX-License-Identifier: Apache-2.0 */
/*
 * clave dataset upload|list|show: sealed datasets of a collaboration on the claved server of
 * the cached session. upload sends the metadata, then streams the sealed file in raw parts
 * (PUT .../sealed?offset=N, the last with &final=1), one part in memory at a time.
 */
#include "collab_cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SCHEMA_FILE_MAX 65536
#define PATH_MAX_LEN 512

static const char DATASET_USAGE[] =
    "usage: clave dataset upload SEALED --collab C --id ID --name NAME --region R\n"
    "                            --schema SCHEMA.json --rows N [--owner P]\n"
    "                            [--part-bytes N] [--json]\n"
    "       clave dataset list --collab C [--json]\n"
    "       clave dataset show --collab C --id ID [--json]\n"
    "\n"
    "upload  register dataset ID of collaboration C and stream the sealed file SEALED (made with\n"
    "        'clave seal ... --to-jwk' the broker key of GET /v1/kbs/key) in parts of at most\n"
    "        the server's max_body_bytes (or --part-bytes). SCHEMA.json maps column names to\n"
    "        int, float, string, bool or date. The uploader's party must be a member of C\n"
    "        (admins may upload for a member with --owner P). The server computes the SHA-256.\n"
    "list    the collaboration's datasets\n"
    "show    one dataset's metadata\n"
    "  --json print the server's JSON answer\n";

struct dataset_args {
    const char *collab, *id, *name, *region, *schema, *owner;
    int64_t rows;
    size_t part_bytes;
    bool json;
    int first_operand;
};

static int parse(int argc, char **argv, struct dataset_args *a)
{
    static const struct option OPTS[] = {
        {"collab", required_argument, NULL, 'c'},
        {"id", required_argument, NULL, 'i'},
        {"name", required_argument, NULL, 'n'},
        {"region", required_argument, NULL, 'r'},
        {"schema", required_argument, NULL, 's'},
        {"owner", required_argument, NULL, 'o'},
        {"rows", required_argument, NULL, 'R'},
        {"part-bytes", required_argument, NULL, 'P'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char **slot[128] = {NULL};
    slot['c'] = &a->collab;
    slot['i'] = &a->id;
    slot['n'] = &a->name;
    slot['r'] = &a->region;
    slot['s'] = &a->schema;
    slot['o'] = &a->owner;
    int opt = 0;
    char *end = NULL;
    memset(a, 0, sizeof(*a));
    a->rows = -1;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", OPTS, NULL)) != -1) {
        if (opt > 0 && opt < 128 && slot[opt] != NULL) {
            *slot[opt] = optarg;
        } else if (opt == 'R' || opt == 'P') {
            errno = 0;
            unsigned long long v = strtoull(optarg, &end, 10);
            if (errno != 0 || end == optarg || *end != '\0' || v > INT64_MAX / 2) {
                fprintf(stderr, "clave: --%s: a number\n", opt == 'R' ? "rows" : "part-bytes");
                return CLI_USAGE;
            }
            a->rows = opt == 'R' ? (int64_t)v : a->rows;
            a->part_bytes = opt == 'P' ? (size_t)v : a->part_bytes;
        } else if (opt == 'j') {
            a->json = true;
        } else if (opt == 'h') {
            fputs(DATASET_USAGE, stdout);
            exit(0);
        } else {
            fputs(DATASET_USAGE, stderr);
            return CLI_USAGE;
        }
    }
    a->first_operand = optind;
    if (a->collab == NULL || !clave_collab_valid_name(a->collab)) {
        fprintf(stderr, "clave: --collab C ([A-Za-z0-9_-]{1,64}) is required\n");
        return CLI_USAGE;
    }
    return 0;
}

static void print_dataset(const json_t *d)
{
    printf("%s/%s  %s  owner %s  region %s  rows %lld  size %lld\n  sha256 %s  sealed key %s\n",
           json_string_value(json_object_get(d, "collaboration")),
           json_string_value(json_object_get(d, "id")),
           json_string_value(json_object_get(d, "name")),
           json_string_value(json_object_get(d, "owner_party")),
           json_string_value(json_object_get(d, "region")),
           (long long)json_integer_value(json_object_get(d, "row_count")),
           (long long)json_integer_value(json_object_get(d, "size")),
           json_string_value(json_object_get(d, "sha256")),
           json_string_value(json_object_get(d, "sealed_key_id")));
}

static int output(json_t *doc, bool json)
{
    if (json) {
        char *text = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS);
        printf("%s\n", text != NULL ? text : "null");
        free(text);
    } else if (json_is_array(json_object_get(doc, "datasets"))) {
        const json_t *d = NULL;
        size_t i = 0;
        json_array_foreach (json_object_get(doc, "datasets"), i, d) {
            print_dataset(d);
        }
    } else {
        print_dataset(doc);
    }
    json_decref(doc);
    return 0;
}

/* The metadata request: 202 with the server's part limit. */
static int announce(const struct dataset_args *a, size_t *part)
{
    char path[PATH_MAX_LEN];
    json_error_t err;
    json_t *schema = json_load_file(a->schema, JSON_REJECT_DUPLICATES, &err);
    json_t *doc = NULL;
    if (schema == NULL) {
        fprintf(stderr, "clave: %s: %s\n", a->schema, err.text);
        return CLI_FAILED;
    }
    json_t *body = json_pack("{s:s,s:s,s:s,s:o,s:I}", "id", a->id, "name", a->name, "region",
                             a->region, "schema", schema, "row_count", (json_int_t)a->rows);
    if (body != NULL && a->owner != NULL) {
        json_object_set_new(body, "owner", json_string(a->owner));
    }
    snprintf(path, sizeof(path), "/v1/collaborations/%s/datasets", a->collab);
    int rc = cli_call("dataset upload", "POST", path, body, 202, &doc);
    if (rc == 0) {
        json_int_t max = json_integer_value(json_object_get(doc, "max_part_bytes"));
        *part = max > 0 ? (size_t)max : 1;
        *part = a->part_bytes > 0 && a->part_bytes < *part ? a->part_bytes : *part;
    }
    json_decref(doc);
    return rc;
}

/* Send the file part by part; `*last` gets the final answer. */
static int stream(const struct dataset_args *a, FILE *f, uint64_t size, size_t part,
                  struct cli_session *s, struct cli_response *last)
{
    char path[PATH_MAX_LEN];
    uint8_t *buf = malloc(part);
    uint64_t off = 0;
    int rc = buf != NULL ? 0 : cli_fail("dataset upload", CLAVE_ERR_NOMEM);
    while (rc == 0) {
        size_t n = fread(buf, 1, part, f);
        bool final = off + n >= size || n < part;
        if (ferror(f)) {
            rc = cli_fail("dataset upload: read", CLAVE_ERR_IO);
            break;
        }
        snprintf(path, sizeof(path), "/v1/collaborations/%s/datasets/%s/sealed?offset=%llu%s",
                 a->collab, a->id, (unsigned long long)off, final ? "&final=1" : "");
        cli_response_free(last);
        if (cli_request_bytes(s, "PUT", path, buf, n, last) != CLAVE_OK) {
            rc = CLI_FAILED;
        } else if (last->status != (final ? 201 : 200)) {
            rc = cli_http_fail("dataset upload", last);
        }
        off += n;
        if (final) {
            break;
        }
    }
    free(buf);
    return rc;
}

static int upload(const struct dataset_args *a, const char *file)
{
    struct stat sb;
    struct cli_session s;
    struct cli_response last = {0};
    size_t part = 0;
    if (a->id == NULL || a->name == NULL || a->region == NULL || a->schema == NULL || a->rows < 0) {
        fprintf(stderr, "clave: upload needs --id, --name, --region, --schema and --rows\n");
        return CLI_USAGE;
    }
    FILE *f = fopen(file, "rb");
    if (f == NULL || fstat(fileno(f), &sb) != 0 || sb.st_size <= 0) {
        fprintf(stderr, "clave: cannot read %s\n", file);
        if (f != NULL) {
            fclose(f);
        }
        return CLI_FAILED;
    }
    int rc = announce(a, &part);
    if (rc == 0 && cli_session_load(&s) == CLAVE_OK) {
        rc = stream(a, f, (uint64_t)sb.st_size, part, &s, &last);
        cli_session_free(&s);
    } else if (rc == 0) {
        rc = CLI_FAILED;
    }
    fclose(f);
    json_t *doc = rc == 0 ? json_loadb(last.body, last.len, 0, NULL) : NULL;
    cli_response_free(&last);
    if (rc == 0 && doc == NULL) {
        rc = cli_fail("dataset upload", CLAVE_ERR_FORMAT);
    }
    return rc != 0 ? rc : output(doc, a->json);
}

int cli_dataset(int argc, char **argv)
{
    struct dataset_args a;
    char path[PATH_MAX_LEN];
    json_t *doc = NULL;
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(DATASET_USAGE, argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : 0;
    }
    int rc = parse(argc - 1, argv + 1, &a);
    int operands = argc - 1 - a.first_operand;
    if (rc != 0) {
        return rc;
    }
    if (strcmp(argv[1], "upload") == 0 && operands == 1) {
        return upload(&a, argv[1 + a.first_operand]);
    }
    if (strcmp(argv[1], "list") == 0 && operands == 0) {
        snprintf(path, sizeof(path), "/v1/collaborations/%s/datasets", a.collab);
        rc = cli_call("dataset list", "GET", path, NULL, 200, &doc);
        return rc != 0 ? rc : output(doc, a.json);
    }
    if (strcmp(argv[1], "show") == 0 && operands == 0 && a.id != NULL) {
        snprintf(path, sizeof(path), "/v1/collaborations/%s/datasets/%s", a.collab, a.id);
        rc = cli_call("dataset show", "GET", path, NULL, 200, &doc);
        return rc != 0 ? rc : output(doc, a.json);
    }
    fputs(DATASET_USAGE, stderr);
    return CLI_USAGE;
}
