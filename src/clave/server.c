/* SPDX-License-Identifier: Apache-2.0 */
/*
 * clave server init: prepare a claved data directory: claved.conf and bootstrap.json (the first
 * admin's name and Argon2id password hash; claved applies it on first start, then deletes it).
 * The password itself never touches the disk.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PW_MAX 1024

static const char HELP[] =
    "usage: clave server init --data-dir DIR --admin NAME --password-file FILE [--listen ADDR]\n"
    "\n"
    "Create DIR with claved.conf and a bootstrap admin for claved's first start.\n"
    "  --data-dir DIR        claved's data directory (created, mode 0700)\n"
    "  --admin NAME          the first admin's user name (party \"operator\")\n"
    "  --password-file FILE  read the admin password from FILE (first line)\n"
    "  --listen ADDR         listen address written to claved.conf (default 127.0.0.1:8443)\n"
    "Argon2id cost: $CLAVE_ARGON2_T_COST / $CLAVE_ARGON2_M_COST_KIB (default 3 / 65536).\n";

static int write_file(const char *dir, const char *name, const char *text)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        fprintf(stderr, "clave: cannot create %s: %s\n", path, strerror(errno));
        return CLI_FAILED;
    }
    size_t len = strlen(text);
    bool ok = write(fd, text, len) == (ssize_t)len && fsync(fd) == 0;
    close(fd);
    return ok ? 0 : CLI_FAILED;
}

static uint32_t env_u32(const char *name, uint32_t def)
{
    const char *v = getenv(name);
    char *end = NULL;
    unsigned long x = v != NULL ? strtoul(v, &end, 10) : 0;
    return v != NULL && end != v && *end == '\0' && x > 0 && x < UINT32_MAX ? (uint32_t)x : def;
}

static int read_password(const char *file, char *pw, size_t cap)
{
    FILE *f = fopen(file, "r");
    if (f == NULL || fgets(pw, (int)cap, f) == NULL) {
        fprintf(stderr, "clave: cannot read %s\n", file);
        if (f != NULL) {
            fclose(f);
        }
        return CLI_FAILED;
    }
    fclose(f);
    pw[strcspn(pw, "\r\n")] = '\0';
    return pw[0] != '\0' ? 0 : CLI_FAILED;
}

static int init(const char *dir, const char *admin, const char *pwfile, const char *listen)
{
    char pw[PW_MAX];
    char hash[CLAVE_PASSWORD_HASH_MAX];
    char text[1024];
    struct clave_argon2_params ap = {env_u32("CLAVE_ARGON2_T_COST", 3),
                                     env_u32("CLAVE_ARGON2_M_COST_KIB", 65536), 1};
    int rc = read_password(pwfile, pw, sizeof(pw));
    if (rc != 0) {
        return rc;
    }
    clave_status st = clave_password_hash(&ap, pw, strlen(pw), hash, sizeof(hash));
    clave_wipe(pw, sizeof(pw));
    if (st != CLAVE_OK) {
        return cli_fail("password hash", st);
    }
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "clave: cannot create %s: %s\n", dir, strerror(errno));
        return CLI_FAILED;
    }
    json_t *boot = json_pack("{s:s,s:s}", "admin", admin, "password_hash", hash);
    char *boot_text = boot != NULL ? json_dumps(boot, JSON_COMPACT) : NULL;
    json_decref(boot);
    snprintf(text, sizeof(text),
             "# claved configuration (docs/server.md lists every key)\n"
             "data_dir = %s\nlisten = %s\nargon2_t_cost = %u\nargon2_m_cost_kib = %u\n",
             dir, listen, ap.t_cost, ap.m_cost_kib);
    rc = boot_text == NULL ? CLI_FAILED : write_file(dir, "bootstrap.json", boot_text);
    free(boot_text);
    if (rc == 0) {
        rc = write_file(dir, "claved.conf", text);
    }
    if (rc == 0) {
        printf("claved data directory ready: %s (start: claved --config %s/claved.conf)\n", dir,
               dir);
    }
    return rc;
}

int cli_server(int argc, char **argv)
{
    static const struct option OPTS[] = {{"data-dir", required_argument, NULL, 'd'},
                                         {"admin", required_argument, NULL, 'a'},
                                         {"password-file", required_argument, NULL, 'p'},
                                         {"listen", required_argument, NULL, 'l'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *dir = NULL;
    const char *admin = NULL;
    const char *pwfile = NULL;
    const char *listen = "127.0.0.1:8443";
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(HELP, stdout);
        return 0;
    }
    if (argc < 2 || strcmp(argv[1], "init") != 0) {
        fputs(HELP, stderr);
        return CLI_USAGE;
    }
    int opt = 0;
    optind = 2;
    while ((opt = getopt_long(argc, argv, "h", OPTS, NULL)) != -1) {
        switch (opt) {
        case 'd':
            dir = optarg;
            break;
        case 'a':
            admin = optarg;
            break;
        case 'p':
            pwfile = optarg;
            break;
        case 'l':
            listen = optarg;
            break;
        case 'h':
            fputs(HELP, stdout);
            return 0;
        default:
            fputs(HELP, stderr);
            return CLI_USAGE;
        }
    }
    if (dir == NULL || admin == NULL || pwfile == NULL || optind != argc) {
        fputs(HELP, stderr);
        return CLI_USAGE;
    }
    return init(dir, admin, pwfile, listen);
}
