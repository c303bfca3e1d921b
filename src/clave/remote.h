/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Talking to claved over HTTPS (libcurl): the cached session and how the server is trusted.
 *
 * The session cache is $CLAVE_CONFIG_DIR/credentials.json (default ~/.config/clave/), mode 0600
 * in a 0700 directory: {"server", "user", "token", "expires_at", "cacert" | "pin_sha256"}.
 * The server is always authenticated, one of two ways:
 *   - cacert: a CA bundle (or the server's own self-signed certificate); full verification
 *     including the host name;
 *   - pin_sha256: base64 SHA-256 of the server's public key (SubjectPublicKeyInfo), as curl's
 *     --pinnedpubkey; set at login by --pin-sha256 or by confirming the key shown on first use
 *     (trust on first use, on a terminal only).
 */
#ifndef CLAVE_CLI_REMOTE_H
#define CLAVE_CLI_REMOTE_H

#include "cli.h"

#define CLI_PIN_LEN 44 /* base64 of 32 bytes */

struct cli_session {
    char *server; /* "https://host:port" without a trailing slash */
    char *user;   /* may be NULL */
    char *token;  /* bearer token, may be NULL (before login) */
    char *cacert; /* absolute path, or NULL */
    char *pin;    /* base64 SPKI SHA-256, or NULL */
    int64_t expires_at;
};

struct cli_response {
    long status;
    char *body; /* NUL-terminated */
    size_t len;
};

/* Load the cached session (CLAVE_ERR_NOT_FOUND with a hint if there is none). */
clave_status cli_session_load(struct cli_session *s);
/* The same without printing anything when there is none. */
clave_status cli_session_peek(struct cli_session *s);
/* Write it (atomically, 0600). */
clave_status cli_session_save(const struct cli_session *s);
void cli_session_free(struct cli_session *s);

/* One request: `method` on s->server + `path`, JSON `body` (may be NULL), bearer s->token when
 * set. Any HTTP status is a success here; transport and TLS failures are not. */
clave_status cli_request(const struct cli_session *s, const char *method, const char *path,
                         const char *body, struct cli_response *out);
/* The same with `len` raw bytes (borrowed) as application/octet-stream (upload parts). */
clave_status cli_request_bytes(const struct cli_session *s, const char *method, const char *path,
                               const uint8_t *body, size_t len, struct cli_response *out);
void cli_response_free(struct cli_response *r);

/* Connect without verification only to read the server's public key pin (nothing is sent but
 * a GET /healthz). `pin` gets CLI_PIN_LEN + 1 bytes. */
clave_status cli_probe_pin(const char *server, char pin[CLI_PIN_LEN + 1]);

/* Print the server's JSON error (or the status) for a failed request; returns CLI_FAILED. */
int cli_http_fail(const char *what, const struct cli_response *r);

/* Load the session, send `method path` with `body` (taken; may be NULL), expect HTTP `expect`
 * and parse the JSON answer into `*out` (may be NULL to ignore it). Prints what went wrong;
 * returns 0 or CLI_FAILED. */
int cli_call(const char *what, const char *method, const char *path, json_t *body, long expect,
             json_t **out);

/* Print a JSON value to stdout (pretty), for --json output. */
void cli_print_json(const char *text, size_t len);

#endif
