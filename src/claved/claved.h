/* SPDX-License-Identifier: Apache-2.0 */
/*
 * claved internals shared by its modules: the application (configuration, keys, metrics, log),
 * one request as the router sees it (independent of libevent, so tests and the fuzz target drive
 * it in-process), its response, and the per-request context handed to handlers.
 */
#ifndef CLAVED_H
#define CLAVED_H

#include <clave/clave.h>
#include <clave/ledger.h>
#include <clave/store.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

#define CLAVED_REQUEST_ID_LEN 24 /* hex of 12 random bytes */
#define CLAVED_ID_LEN 26         /* "u_" / "p_" / "s_" / "t_" + 24 hex */
#define CLAVED_CERT_FP_LEN 64    /* hex SHA-256 of the client certificate DER */
#define CLAVED_PATH_MAX 512
#define CLAVED_MAX_PATH_PARAMS 4
/* Requests without credentials get a tighter body limit (STYLE.md "Untrusted bytes"). */
#define CLAVED_UNAUTH_BODY_MAX 16384

enum claved_method {
    CLAVED_GET = 1,
    CLAVED_POST = 2,
    CLAVED_PUT = 3,
    CLAVED_DELETE = 4,
    CLAVED_OTHER = 5,
};

enum claved_role {
    CLAVED_ROLE_NONE = 0,
    CLAVED_ROLE_ADMIN = 1,
    CLAVED_ROLE_OWNER = 2,
    CLAVED_ROLE_ANALYST = 3,
    CLAVED_ROLE_AUDITOR = 4,
};

struct claved_metrics;
struct claved_auth_cache;
struct claved_kbs;
struct claved_fl;
struct claved_app {
    struct claved_config cfg;
    struct clave_log *log;
    struct clave_pkey *session_key; /* Ed25519, signs session tokens */
    uint8_t secret_key[32];         /* AEAD key for TOTP secrets at rest (derived) */
    struct claved_metrics *metrics;
    struct clave_store *store;    /* the primary connection; threads clone it */
    struct clave_ledger *ledger;  /* the audit ledger over `store` */
    struct clave_pkey *audit_key; /* Ed25519, signs audit tree heads */
    char *audit_key_pem;          /* its public key, SubjectPublicKeyInfo PEM */
    atomic_bool draining;
    atomic_uint_fast64_t auth_generation;     /* bumped by every revocation (auth_cache.h) */
    char dummy_hash[CLAVE_PASSWORD_HASH_MAX]; /* verified for unknown users: equal timing */
    struct claved_kbs *kbs;                   /* key broker keys, policy, rate limiter (kbs.h) */
    struct claved_fl *fl;                     /* federations of FL contracts (fl_coord.h) */
};

/* One request, already read completely (evhttp enforces the header and body limits). */
struct claved_request {
    enum claved_method method;
    const char *path;  /* decoded path without the query string */
    const char *query; /* the raw query string (after '?'), or NULL */
    const uint8_t *body;
    size_t body_len;
    const char *authorization;  /* the Authorization header, or NULL */
    const char *content_type;   /* or NULL */
    const char *client_cert_fp; /* hex SHA-256 of a TLS client certificate, or NULL */
    const char *cookie;         /* the Cookie header, or NULL */
    const char *client_ip;      /* the peer address, or NULL */
    char request_id[CLAVED_REQUEST_ID_LEN + 1];
};

/* The authenticated caller, if any. */
struct claved_principal {
    bool authenticated;
    char user_id[CLAVED_ID_LEN + 1];
    char party_id[CLAVED_ID_LEN + 1];
    char name[65];
    enum claved_role role;
    char session_id[CLAVED_ID_LEN + 1]; /* empty for API-token or certificate callers */
};

struct claved_response {
    int status;
    char *body; /* JSON (or Prometheus text); malloc'd, owned by the response */
    size_t body_len;
    /* Or a file body (claved_file): `body_len` bytes from offset 0 of body_fd, owned by the
     * response until the loop thread hands it to the connection's buffer. */
    bool body_is_fd;
    int body_fd;
    const char *content_type;
    int retry_after;      /* seconds for a Retry-After header, 0 for none */
    char set_cookie[128]; /* a Set-Cookie header value, empty for none */
    int route;            /* index into the route table, -1 if none matched (metrics) */
    /* Set when this request proved a bearer credential the slow way (signature, store): the
     * loop thread caches it too (auth_cache.h). */
    bool credential_fresh;
    uint8_t credential_key[32];
    int64_t credential_limit_ms;
    uint64_t credential_generation; /* read before the proof (auth_cache.h) */
    struct claved_principal credential_who;
};

struct claved_ctx {
    struct claved_app *app;
    struct claved_auth_cache *cache; /* this thread's credential cache, or NULL */
    bool inline_only;                /* on a loop thread: no store, no ledger */
    bool needs_worker;               /* set when inline_only could not finish */
    struct clave_store *store;       /* this thread's connection */
    struct clave_ledger *ledger;     /* the audit ledger over `store` */
    const struct claved_request *req;
    struct claved_response *resp;
    struct claved_principal who;
    const char *params[CLAVED_MAX_PATH_PARAMS]; /* {param} values, in pattern order */
    json_t *body;                               /* parsed JSON body, or NULL */
    int64_t now;
};

/* One thread's database handles: its own store connection and the ledger over it. */
struct claved_conn {
    struct clave_store *store;
    struct clave_ledger *ledger;
    struct claved_auth_cache *cache; /* may be NULL: no caching */
};

/* Route the request, authenticate, authorise, parse the body and run the handler. Always fills
 * `resp` (errors become JSON error responses). `conn` is the calling thread's (borrowed). */
void claved_dispatch(struct claved_app *app, const struct claved_conn *conn,
                     const struct claved_request *req, struct claved_response *resp);

/* The same on an event-loop thread, without a store: answers what needs none (unmatched paths,
 * routes with offload = false whose caller's credentials are in `cache`) and returns true;
 * returns false, with `resp` cleared, when the request must go to a worker. */
bool claved_dispatch_inline(struct claved_app *app, struct claved_auth_cache *cache,
                            const struct claved_request *req, struct claved_response *resp);

void claved_response_clear(struct claved_response *resp);

/* Fill `resp` with {"error":{"code":..,"message":..,"request_id":..}}. */
void claved_error(struct claved_ctx *ctx, int status, const char *code, const char *message);

/* Set a JSON body (takes the reference to `body`) with `status`. */
void claved_json(struct claved_ctx *ctx, int status, json_t *body);

/* Set a body of `len` bytes (takes ownership of the malloc'd `body`; NULL answers 500). */
void claved_text(struct claved_ctx *ctx, int status, const char *content_type, char *body,
                 size_t len);
/* Answer with `len` bytes of the open file `fd` (taken: closed with the response) instead of a
 * body in memory, for large blobs; the connection reads it as it sends (mapped, not copied). */
void claved_file(struct claved_ctx *ctx, int status, const char *content_type, int fd, size_t len);

/* The query parameter `name` as an unsigned decimal integer (at most 18 digits). Returns 0 and
 * leaves *out alone when absent, 1 when present and valid, -1 (after a 400 reply) when not. */
int claved_query_uint(struct claved_ctx *ctx, const char *name, uint64_t *out);

/* Milliseconds since the epoch. */
int64_t claved_now_ms(void);

/* Fresh random ids: "<prefix>_" + 24 hex characters into `out` (CLAVED_ID_LEN + 1 bytes). */
clave_status claved_new_id(const char *prefix, char *out);
clave_status claved_new_request_id(char out[CLAVED_REQUEST_ID_LEN + 1]);

const char *claved_role_name(enum claved_role role);
enum claved_role claved_role_parse(const char *name);

#endif
