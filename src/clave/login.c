/* SPDX-License-Identifier: Apache-2.0 */
/* clave login: password (+ TOTP) login to claved; the session is cached for later commands. */
#include "remote.h"

#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TOTP_MAX 16

static const char LOGIN_USAGE[] =
    "usage: clave login --server URL --user NAME [--password-file FILE] [--totp CODE]\n"
    "                   [--cacert FILE | --pin-sha256 BASE64] [--json]\n"
    "\n"
    "Log in to a claved server and cache the session token in $CLAVE_CONFIG_DIR (default\n"
    "~/.config/clave/credentials.json, mode 0600) for 'clave user', 'clave token' and\n"
    "'clave audit tail'.\n"
    "  --server URL          https://host:port of claved\n"
    "  --user NAME           user name\n"
    "  --password-file FILE  read the password from FILE (default $CLAVE_PASSWORD, else prompt)\n"
    "  --totp CODE           the current TOTP code (default $CLAVE_TOTP, else prompt on a\n"
    "                        terminal; empty when the user has no second factor)\n"
    "The server is always authenticated:\n"
    "  --cacert FILE         verify its certificate (and host name) against FILE, e.g. the\n"
    "                        self-signed {data}/tls/cert.pem copied from the server\n"
    "  --pin-sha256 BASE64   accept exactly this public key: base64 SHA-256 of the server's\n"
    "                        SubjectPublicKeyInfo (curl's --pinnedpubkey format)\n"
    "Without either, the key pinned by an earlier login to the same server is used; on first\n"
    "use the key is shown and must be confirmed on the terminal (trust on first use).\n";

struct login_args {
    const char *server;
    const char *user;
    const char *password_file;
    const char *totp;
    const char *cacert;
    const char *pin;
    bool json;
};

static int parse_args(int argc, char **argv, struct login_args *a)
{
    static const struct option OPTS[] = {
        {"server", required_argument, NULL, 's'},
        {"user", required_argument, NULL, 'u'},
        {"password-file", required_argument, NULL, 'p'},
        {"totp", required_argument, NULL, 't'},
        {"cacert", required_argument, NULL, 'c'},
        {"pin-sha256", required_argument, NULL, 'P'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int opt = 0;
    memset(a, 0, sizeof(*a));
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", OPTS, NULL)) != -1) {
        switch (opt) {
        case 's':
            a->server = optarg;
            break;
        case 'u':
            a->user = optarg;
            break;
        case 'p':
            a->password_file = optarg;
            break;
        case 't':
            a->totp = optarg;
            break;
        case 'c':
            a->cacert = optarg;
            break;
        case 'P':
            a->pin = optarg;
            break;
        case 'j':
            a->json = true;
            break;
        case 'h':
            fputs(LOGIN_USAGE, stdout);
            exit(0);
        default:
            fputs(LOGIN_USAGE, stderr);
            return CLI_USAGE;
        }
    }
    if (a->server == NULL || a->user == NULL || optind != argc ||
        strncmp(a->server, "https://", 8) != 0 || (a->cacert != NULL && a->pin != NULL)) {
        fputs(LOGIN_USAGE, stderr);
        return CLI_USAGE;
    }
    return 0;
}

/* One line from the terminal with echo on (for the TOTP code and the trust question). */
static bool ask_tty(const char *prompt, char *out, size_t cap)
{
    int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        return false;
    }
    dprintf(fd, "%s", prompt);
    ssize_t n = read(fd, out, cap - 1);
    close(fd);
    if (n < 0) {
        return false;
    }
    out[n] = '\0';
    out[strcspn(out, "\r\n")] = '\0';
    return true;
}

/* --cacert, --pin-sha256, an earlier pin for this server, or a confirmed first-use pin. */
static clave_status choose_trust(const struct login_args *a, struct cli_session *s)
{
    char resolved[PATH_MAX];
    char pin[CLI_PIN_LEN + 1];
    char answer[8];
    struct cli_session old;
    if (a->cacert != NULL) {
        s->cacert = realpath(a->cacert, resolved) != NULL ? strdup(resolved) : NULL;
        return s->cacert != NULL ? CLAVE_OK : CLAVE_ERR_IO;
    }
    if (a->pin != NULL) {
        s->pin = strdup(a->pin);
        return s->pin != NULL ? CLAVE_OK : CLAVE_ERR_NOMEM;
    }
    if (cli_session_peek(&old) == CLAVE_OK && strcmp(old.server, s->server) == 0) {
        s->pin = old.pin != NULL ? strdup(old.pin) : NULL;
        s->cacert = old.cacert != NULL ? strdup(old.cacert) : NULL;
        cli_session_free(&old);
        return CLAVE_OK;
    }
    clave_status st = cli_probe_pin(s->server, pin);
    if (st != CLAVE_OK) {
        return st;
    }
    fprintf(stderr, "The server %s presents the public key\n  sha256//%s\n", s->server, pin);
    if (!ask_tty("Check it with the server's operator. Trust it? [y/N] ", answer, sizeof(answer))) {
        fprintf(stderr,
                "clave: not a terminal: pass --pin-sha256 %s after checking it, or "
                "--cacert FILE\n",
                pin);
        return CLAVE_ERR_AUTH;
    }
    if (answer[0] != 'y' && answer[0] != 'Y') {
        return CLAVE_ERR_AUTH;
    }
    s->pin = strdup(pin);
    return s->pin != NULL ? CLAVE_OK : CLAVE_ERR_NOMEM;
}

/* {"username", "password", "totp"?} as JSON text (caller wipes and frees). */
static char *login_body(const char *user, const struct clave_secret *pw, const char *totp)
{
    json_t *doc = json_pack("{s:s,s:s%}", "username", user, "password",
                            (const char *)clave_secret_cdata(pw), clave_secret_len(pw));
    if (doc != NULL && totp != NULL && totp[0] != '\0') {
        (void)json_object_set_new(doc, "totp", json_string(totp));
    }
    char *text = doc != NULL ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc); /* jansson frees its copy unwiped; the caller wipes the text */
    return text;
}

static int finish(const struct login_args *a, struct cli_session *s, const struct cli_response *r)
{
    json_t *doc = json_loadb(r->body, r->len, 0, NULL);
    const char *token = json_string_value(json_object_get(doc, "token"));
    json_t *user = json_object_get(doc, "user");
    int rc = CLI_FAILED;
    if (token != NULL) {
        s->token = strdup(token);
        s->user = strdup(a->user);
        s->expires_at = (int64_t)json_integer_value(json_object_get(doc, "expires_at"));
        if (s->token != NULL && s->user != NULL && cli_session_save(s) == CLAVE_OK) {
            rc = 0;
            if (a->json) {
                char *text = json_dumps(user, JSON_COMPACT);
                printf("%s\n", text != NULL ? text : "{}");
                free(text);
            } else {
                printf("logged in to %s as %s (%s); session expires at %lld\n", s->server, a->user,
                       json_string_value(json_object_get(user, "role")), (long long)s->expires_at);
            }
        }
    }
    json_decref(doc);
    return rc;
}

int cli_login(int argc, char **argv)
{
    struct login_args a;
    struct cli_session s;
    struct cli_response r = {0};
    struct clave_secret *pw = NULL;
    char totp[TOTP_MAX] = "";
    int rc = parse_args(argc, argv, &a);
    if (rc != 0) {
        return rc;
    }
    memset(&s, 0, sizeof(s));
    s.server = strndup(a.server, strcspn(a.server + 8, "/") + 8); /* no trailing path */
    clave_status st = s.server != NULL ? choose_trust(&a, &s) : CLAVE_ERR_NOMEM;
    if (st == CLAVE_OK) {
        st = cli_secret_load(a.password_file, "CLAVE_PASSWORD", "password", &pw);
    }
    const char *code = a.totp != NULL ? a.totp : getenv("CLAVE_TOTP");
    if (st == CLAVE_OK && code == NULL &&
        ask_tty("TOTP code (empty if none): ", totp, sizeof(totp))) {
        code = totp;
    }
    char *body = st == CLAVE_OK ? login_body(a.user, pw, code) : NULL;
    if (st == CLAVE_OK) {
        st = body != NULL ? cli_request(&s, "POST", "/v1/login", body, &r) : CLAVE_ERR_NOMEM;
    }
    if (st != CLAVE_OK) {
        rc = cli_fail("login", st);
    } else if (r.status != 200) {
        rc = cli_http_fail("login", &r);
    } else {
        rc = finish(&a, &s, &r);
    }
    if (body != NULL) {
        clave_wipe(body, strlen(body));
        free(body);
    }
    clave_secret_free(pw);
    cli_response_free(&r);
    cli_session_free(&s);
    return rc;
}
