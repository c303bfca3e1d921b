/* SPDX-License-Identifier: Apache-2.0 */
/* claved: the clave coordinator daemon. */
#include "app.h"
#include "server.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *out)
{
    fprintf(out,
            "usage: claved [--config FILE] [--check-config] [--print-config]\n"
            "\n"
            "The clave coordinator: HTTPS/JSON API (docs/api/openapi.yaml), identities, RBAC.\n"
            "Runs with no configuration at all: SQLite and a self-signed TLS certificate under\n"
            "./claved-data, listening on 127.0.0.1:8443. Every key of the configuration file\n"
            "(docs/server.md) may be overridden by CLAVE_<KEY> environment variables.\n"
            "\n"
            "options:\n"
            "  -c, --config FILE   read claved.conf-style settings from FILE\n"
            "  --check-config      validate the configuration and exit (0 if valid)\n"
            "  --print-config      print the effective configuration and exit\n"
            "  -h, --help          this text\n"
            "\n"
            "Signals: SIGTERM or SIGINT stop accepting, drain in-flight requests (up to\n"
            "drain_timeout_s) and exit 0.\n");
}

static void print_error(const char *what, clave_status st)
{
    struct clave_error_info e = clave_error_last();
    fprintf(stderr, "claved: %s: %s", what, clave_status_str(st));
    if (e.status == st && e.detail[0] != '\0') {
        fprintf(stderr, " (%s)", e.detail);
    }
    fprintf(stderr, "\n");
}

enum { OPT_CHECK = 1000, OPT_PRINT };

int main(int argc, char **argv)
{
    static const struct option OPTS[] = {{"config", required_argument, NULL, 'c'},
                                         {"check-config", no_argument, NULL, OPT_CHECK},
                                         {"print-config", no_argument, NULL, OPT_PRINT},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *path = NULL;
    bool check = false;
    bool print = false;
    int opt = 0;
    while ((opt = getopt_long(argc, argv, "c:h", OPTS, NULL)) != -1) {
        switch (opt) {
        case 'c':
            path = optarg;
            break;
        case OPT_CHECK:
            check = true;
            break;
        case OPT_PRINT:
            print = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }
    struct claved_config cfg;
    clave_status st = claved_config_load(path, &cfg);
    if (st != CLAVE_OK) {
        print_error("configuration", st);
        return 1;
    }
    if (check || print) {
        if (print) {
            claved_config_print(&cfg, stdout);
        } else {
            printf("claved: configuration OK\n");
        }
        claved_config_free(&cfg);
        return 0;
    }
    struct claved_app app;
    st = claved_app_init(&app, &cfg, stderr);
    if (st == CLAVE_OK) {
        st = claved_serve(&app);
    }
    if (st != CLAVE_OK) {
        print_error("startup", st);
    }
    claved_app_fini(&app);
    return st == CLAVE_OK ? 0 : 1;
}
