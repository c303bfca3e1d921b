/* SPDX-License-Identifier: Apache-2.0 */
/* Shared CLI plumbing: error printing and keyring selection (files, env, terminal prompt). */
#include "cli.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define SECRET_INPUT_MAX 1024

int cli_fail(const char *what, clave_status st)
{
    struct clave_error_info e = clave_error_last();
    fprintf(stderr, "clave: %s: %s", what, clave_status_str(st));
    if (e.status == st && e.detail[0] != '\0') {
        fprintf(stderr, " (%s)", e.detail);
    }
    fprintf(stderr, "\n");
    return CLI_FAILED;
}

bool cli_keyring_opt(struct cli_keyring_opts *opts, int opt, const char *arg)
{
    switch (opt) {
    case CLI_OPT_KEYRING:
        opts->path = arg;
        return true;
    case CLI_OPT_PKCS11_MODULE:
        opts->module = arg;
        return true;
    case CLI_OPT_TOKEN:
        opts->token = arg;
        return true;
    case CLI_OPT_SECRET_FILE:
        opts->secret_file = arg;
        return true;
    default:
        return false;
    }
}

/* Strip one trailing newline (files and terminals end lines with it). */
static size_t trim_newline(const char *buf, size_t len)
{
    if (len > 0 && buf[len - 1] == '\n') {
        len--;
    }
    if (len > 0 && buf[len - 1] == '\r') {
        len--;
    }
    return len;
}

static clave_status secret_from_fd(int fd, const char *what, struct clave_secret **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_secret *buf = NULL;
    size_t len = 0;
    *out = NULL;
    if ((st = clave_secret_new(SECRET_INPUT_MAX, &buf)) != CLAVE_OK) {
        return st;
    }
    char *data = (char *)clave_secret_data(buf);
    for (;;) {
        ssize_t n = read(fd, data + len, SECRET_INPUT_MAX - len);
        if (n <= 0) {
            break;
        }
        len += (size_t)n;
        if (len == SECRET_INPUT_MAX || memchr(data, '\n', len) != NULL) {
            break;
        }
    }
    char *nl = memchr(data, '\n', len);
    len = trim_newline(data, nl != NULL ? (size_t)(nl - data) + 1 : len);
    if (len == 0) {
        fprintf(stderr, "clave: %s is empty\n", what);
        st = CLAVE_ERR_PASSPHRASE;
    } else {
        st = clave_secret_from(clave_secret_cdata(buf), len, out);
    }
    clave_secret_free(buf);
    return st;
}

/* Prompt on /dev/tty with echo off. */
static clave_status secret_from_tty(const char *prompt, struct clave_secret **out)
{
    clave_status st = CLAVE_ERR_PASSPHRASE;
    struct termios old;
    struct termios quiet;
    *out = NULL;
    int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr,
                "clave: no terminal to ask for the %s; set it in the environment or "
                "use a file option\n",
                prompt);
        return st;
    }
    dprintf(fd, "%s: ", prompt);
    bool restore = tcgetattr(fd, &old) == 0;
    if (restore) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        (void)tcsetattr(fd, TCSAFLUSH, &quiet);
    }
    st = secret_from_fd(fd, prompt, out);
    if (restore) {
        (void)tcsetattr(fd, TCSAFLUSH, &old);
    }
    dprintf(fd, "\n");
    close(fd);
    return st;
}

clave_status cli_secret_load(const char *file, const char *env, const char *prompt,
                             struct clave_secret **out)
{
    *out = NULL;
    if (file != NULL) {
        int fd = open(file, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            fprintf(stderr, "clave: cannot open %s\n", file);
            return CLAVE_ERR_IO;
        }
        clave_status st = secret_from_fd(fd, file, out);
        close(fd);
        return st;
    }
    const char *value = getenv(env);
    if (value != NULL && value[0] != '\0') {
        return clave_secret_from((const uint8_t *)value, strlen(value), out);
    }
    return secret_from_tty(prompt, out);
}

clave_status cli_keyring_load(const struct cli_keyring_opts *opts, bool create,
                              struct clave_keyring **out)
{
    struct clave_keyring_config cfg;
    struct clave_secret *secret = NULL;
    clave_status st = CLAVE_ERR_INTERNAL;
    memset(&cfg, 0, sizeof(cfg));
    *out = NULL;
    if (opts->module != NULL) {
        cfg.backend = CLAVE_KEYRING_PKCS11;
        cfg.module = opts->module;
        cfg.token_label = opts->token != NULL ? opts->token : getenv("CLAVE_PKCS11_TOKEN");
        if (cfg.token_label == NULL) {
            fprintf(stderr, "clave: --token LABEL (or CLAVE_PKCS11_TOKEN) is required\n");
            return CLAVE_ERR_ARG;
        }
        st = cli_secret_load(opts->secret_file, "CLAVE_PKCS11_PIN", "token PIN", &secret);
    } else {
        cfg.backend = CLAVE_KEYRING_FILE;
        cfg.path = opts->path != NULL ? opts->path : getenv("CLAVE_KEYRING");
        cfg.path = cfg.path != NULL ? cfg.path : "clave-keyring.json";
        st = cli_secret_load(opts->secret_file, "CLAVE_KEYRING_PASSPHRASE", "keyring passphrase",
                             &secret);
    }
    if (st != CLAVE_OK) {
        return st;
    }
    cfg.passphrase = secret;
    st = create ? clave_keyring_create(&cfg, out) : clave_keyring_open(&cfg, out);
    clave_secret_free(secret);
    return st;
}
