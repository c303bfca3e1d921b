/* SPDX-License-Identifier: Apache-2.0 */
#include "softhsm.h"

#include "testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define SOFTHSM_UTIL "softhsm2-util"

static char *join_path(const char *dir, const char *name)
{
    size_t len = strlen(dir) + strlen(name) + 2;
    char *path = malloc(len);
    assert_non_null(path);
    int n = snprintf(path, len, "%s/%s", dir, name);
    assert_true(n > 0 && (size_t)n < len);
    return path;
}

static void write_conf(const char *conf, const char *tokendir)
{
    FILE *f = fopen(conf, "w");
    if (f == NULL) {
        fail_msg("softhsm: cannot write %s: %s", conf, strerror(errno));
    }
    fprintf(f,
            "directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n"
            "slots.removable = false\n",
            tokendir);
    assert_int_equal(fclose(f), 0);
}

/* Run softhsm2-util with `argv` (PATH lookup, no shell) and require exit status 0. */
static void run_util(char *const argv[])
{
    pid_t pid = 0;
    posix_spawn_file_actions_t actions;
    assert_int_equal(posix_spawn_file_actions_init(&actions), 0);
    /* Its "token initialised" chatter on stdout would clutter the test log; errors still show. */
    assert_int_equal(
        posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0), 0);
    int rc = posix_spawnp(&pid, SOFTHSM_UTIL, &actions, NULL, argv, environ);
    (void)posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
        fail_msg("softhsm: cannot run %s (is softhsm2 installed? scripts/deps.sh): %s",
                 SOFTHSM_UTIL, strerror(rc));
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            fail_msg("softhsm: waitpid: %s", strerror(errno));
        }
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fail_msg("softhsm: %s --init-token failed (status %d)", SOFTHSM_UTIL, status);
    }
}

struct t_softhsm *t_softhsm_new(const char *label, const char *user_pin, const char *so_pin)
{
    struct t_softhsm *hsm = calloc(1, sizeof(*hsm));
    assert_non_null(hsm);
    if (access(T_SOFTHSM_MODULE, R_OK) != 0) {
        fail_msg("softhsm: module %s missing: install softhsm2 (scripts/deps.sh)",
                 T_SOFTHSM_MODULE);
    }
    hsm->module = T_SOFTHSM_MODULE;
    hsm->dir = t_tempdir();
    char *tokendir = join_path(hsm->dir, "tokens");
    assert_int_equal(mkdir(tokendir, 0700), 0);
    hsm->conf = join_path(hsm->dir, "softhsm2.conf");
    write_conf(hsm->conf, tokendir);
    free(tokendir);
    assert_int_equal(setenv("SOFTHSM2_CONF", hsm->conf, 1), 0);
    char *argv[] = {
        (char *)(uintptr_t)SOFTHSM_UTIL,
        "--init-token",
        "--free",
        "--label",
        (char *)(uintptr_t)label,
        "--pin",
        (char *)(uintptr_t)user_pin,
        "--so-pin",
        (char *)(uintptr_t)so_pin,
        NULL,
    };
    run_util(argv);
    return hsm;
}

void t_softhsm_free(struct t_softhsm *hsm)
{
    if (hsm == NULL) {
        return;
    }
    (void)unsetenv("SOFTHSM2_CONF");
    t_rmtree(hsm->dir);
    free(hsm->dir);
    free(hsm->conf);
    free(hsm);
}
