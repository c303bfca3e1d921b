/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One request through the route table: match, authenticate, authorise (role -> permission from
 * the route), check and parse the body against the route's schema, run the handler.
 */
#include "audit_hook.h"
#include "auth_cache.h"
#include "db.h"
#include "routes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#define BODY_MAX_DEPTH 8
#define BEARER "Bearer "
#define BEARER_LEN 7

/* Drop a file body (claved_file), if any. */
static void drop_fd(struct claved_response *r)
{
    if (r->body_is_fd) {
        (void)close(r->body_fd);
        r->body_is_fd = false;
        r->body_fd = -1;
        r->body_len = 0;
    }
}

void claved_response_clear(struct claved_response *resp)
{
    drop_fd(resp);
    free(resp->body);
    memset(resp, 0, sizeof(*resp));
    resp->route = -1;
}

void claved_json(struct claved_ctx *ctx, int status, json_t *body)
{
    struct claved_response *r = ctx->resp;
    drop_fd(r);
    free(r->body);
    r->body = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
    r->body_len = r->body != NULL ? strlen(r->body) : 0;
    r->status = body != NULL && r->body == NULL ? 500 : status;
    r->content_type = "application/json";
    json_decref(body);
}

void claved_text(struct claved_ctx *ctx, int status, const char *content_type, char *body,
                 size_t len)
{
    struct claved_response *r = ctx->resp;
    drop_fd(r);
    free(r->body);
    r->body = body;
    r->body_len = body != NULL ? len : 0;
    r->status = body != NULL ? status : 500;
    r->content_type = content_type;
}

void claved_file(struct claved_ctx *ctx, int status, const char *content_type, int fd, size_t len)
{
    struct claved_response *r = ctx->resp;
    drop_fd(r);
    free(r->body);
    r->body = NULL;
    r->body_is_fd = true;
    r->body_fd = fd;
    r->body_len = len;
    r->status = status;
    r->content_type = content_type;
}

int64_t claved_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#define QUERY_DIGITS_MAX 18

/* Find `name=value` in the raw query string; value is the span up to '&' or the end. */
static const char *query_find(const char *q, const char *name, size_t *vlen)
{
    size_t nlen = strlen(name);
    while (q != NULL && *q != '\0') {
        const char *amp = strchr(q, '&');
        size_t len = amp != NULL ? (size_t)(amp - q) : strlen(q);
        if (len > nlen && strncmp(q, name, nlen) == 0 && q[nlen] == '=') {
            *vlen = len - nlen - 1;
            return q + nlen + 1;
        }
        q = amp != NULL ? amp + 1 : NULL;
    }
    return NULL;
}

int claved_query_uint(struct claved_ctx *ctx, const char *name, uint64_t *out)
{
    size_t len = 0;
    const char *v = query_find(ctx->req->query, name, &len);
    uint64_t x = 0;
    if (v == NULL) {
        return 0;
    }
    for (size_t i = 0; i < len; i++) {
        if (v[i] < '0' || v[i] > '9') {
            len = 0;
            break;
        }
        x = x * 10 + (uint64_t)(v[i] - '0');
    }
    if (len == 0 || len > QUERY_DIGITS_MAX) {
        char msg[96];
        snprintf(msg, sizeof(msg), "query parameter %.32s: expected a decimal integer", name);
        claved_error(ctx, 400, "invalid_query", msg);
        return -1;
    }
    *out = x;
    return 1;
}

void claved_error(struct claved_ctx *ctx, int status, const char *code, const char *message)
{
    json_t *e = json_pack("{s:{s:s,s:s,s:s}}", "error", "code", code, "message", message,
                          "request_id", ctx->req->request_id);
    claved_json(ctx, status, e);
    if (ctx->resp->body == NULL) {
        ctx->resp->status = 500;
    }
}

clave_status claved_new_request_id(char out[CLAVED_REQUEST_ID_LEN + 1])
{
    uint8_t raw[CLAVED_REQUEST_ID_LEN / 2];
    clave_status st = clave_random(raw, sizeof(raw));
    if (st == CLAVE_OK) {
        st = clave_hex_encode(raw, sizeof(raw), out, CLAVED_REQUEST_ID_LEN + 1);
    }
    return st;
}

clave_status claved_new_id(const char *prefix, char *out)
{
    out[0] = prefix[0];
    out[1] = '_';
    return claved_new_request_id(out + 2);
}

static bool principal_from_user(struct claved_ctx *ctx, const char *user_id)
{
    struct claved_user u;
    if (claved_db_user_by_id(ctx->store, user_id, &u) != CLAVE_OK) {
        return false;
    }
    ctx->who.authenticated = true;
    memcpy(ctx->who.user_id, u.id, sizeof(u.id));
    memcpy(ctx->who.party_id, u.party_id, sizeof(u.party_id));
    memcpy(ctx->who.name, u.name, sizeof(u.name));
    ctx->who.role = u.role;
    clave_wipe(&u, sizeof(u));
    return true;
}

/* Remember a credential proved the slow way: in this thread's cache, and in the response for
 * the loop thread's. */
static void remember(struct claved_ctx *ctx, const uint8_t key[32], int64_t limit_ms,
                     uint64_t generation)
{
    struct claved_response *r = ctx->resp;
    int64_t now_ms = claved_now_ms();
    claved_auth_cache_put(ctx->cache, key, &ctx->who, now_ms, limit_ms, generation);
    r->credential_fresh = true;
    r->credential_generation = generation;
    memcpy(r->credential_key, key, 32);
    r->credential_limit_ms = limit_ms;
    r->credential_who = ctx->who;
}

static int authenticate_api_token(struct claved_ctx *ctx, const char *tok, size_t len,
                                  const uint8_t key[32])
{
    uint64_t generation = (uint64_t)atomic_load(&ctx->app->auth_generation);
    uint8_t hash[CLAVE_API_TOKEN_HASH_LEN];
    char uid[CLAVED_ID_LEN + 1];
    if (clave_api_token_hash(tok, len, hash) != CLAVE_OK ||
        claved_db_token_user(ctx->store, hash, ctx->now, uid) != CLAVE_OK ||
        !principal_from_user(ctx, uid)) {
        return 401;
    }
    remember(ctx, key, 0, generation);
    return 0;
}

static int authenticate_session(struct claved_ctx *ctx, const char *tok, size_t len,
                                const uint8_t key[32], const char **code)
{
    uint64_t generation = (uint64_t)atomic_load(&ctx->app->auth_generation);
    struct clave_session_claims c;
    clave_status st = clave_session_token_verify(ctx->app->session_key, tok, len,
                                                 ctx->app->cfg.session_audience, ctx->now, &c);
    if (st == CLAVE_ERR_EXPIRED) {
        *code = "token_expired";
        return 401;
    }
    if (st != CLAVE_OK || claved_db_session_check(ctx->store, c.sid, c.sub, ctx->now) != CLAVE_OK ||
        !principal_from_user(ctx, c.sub)) {
        return 401;
    }
    memcpy(ctx->who.session_id, c.sid, strlen(c.sid) + 1);
    remember(ctx, key, c.exp * 1000, generation);
    return 0;
}

/* Bearer credentials: a session token ("v1.") or an API token ("clv_"), from this thread's
 * cache when it holds them. Returns 0 on success or when no credentials were presented (or,
 * inline, when a worker must finish: ctx->needs_worker), else the HTTP status to answer. */
static int authenticate(struct claved_ctx *ctx, const char **code)
{
    const char *h = ctx->req->authorization;
    uint8_t key[32];
    *code = "unauthenticated";
    if (h == NULL) {
        return 0;
    }
    if (strncmp(h, BEARER, BEARER_LEN) != 0) {
        return 401;
    }
    const char *tok = h + BEARER_LEN;
    size_t len = strnlen(tok, CLAVE_SESSION_TOKEN_MAX + 1);
    if (claved_auth_cache_key(tok, len, key) != CLAVE_OK) {
        return 401;
    }
    if (claved_auth_cache_get(ctx->cache, key, claved_now_ms(), &ctx->who)) {
        return 0;
    }
    if (ctx->inline_only) {
        ctx->needs_worker = true;
        return 0;
    }
    if (strncmp(tok, CLAVE_API_TOKEN_PREFIX, 4) == 0) {
        return authenticate_api_token(ctx, tok, len, key);
    }
    return authenticate_session(ctx, tok, len, key, code);
}

static bool content_type_is(const char *ct, const char *want)
{
    size_t n = strlen(want);
    if (ct == NULL || strncasecmp(ct, want, n) != 0) {
        return false;
    }
    char next = ct[n];
    return next == '\0' || next == ';' || next == ' ';
}

static bool is_json(const char *ct)
{
    return content_type_is(ct, "application/json");
}

/* Returns false after filling an error response. */
static bool parse_body(struct claved_ctx *ctx, const struct claved_route *route)
{
    const struct claved_request *req = ctx->req;
    size_t limit = ctx->who.authenticated ? ctx->app->cfg.max_body_bytes : CLAVED_UNAUTH_BODY_MAX;
    if (route->schema == NULL) {
        if (req->body_len != 0) {
            claved_error(ctx, 400, "unexpected_body", "this route takes no request body");
            return false;
        }
        return true;
    }
    if (req->body_len > limit) {
        claved_error(ctx, 413, "payload_too_large", "request body exceeds the limit");
        return false;
    }
    if (strcmp(route->schema, CLAVED_SCHEMA_OCTETS) == 0) {
        /* Raw bytes for the handler (a part of an upload): bounded above, never parsed here. */
        if (!content_type_is(req->content_type, "application/octet-stream")) {
            claved_error(ctx, 415, "unsupported_media_type",
                         "Content-Type must be application/octet-stream");
            return false;
        }
        return true;
    }
    if (!is_json(req->content_type)) {
        claved_error(ctx, 415, "unsupported_media_type", "Content-Type must be application/json");
        return false;
    }
    struct clave_json_limits lim = {limit, BODY_MAX_DEPTH};
    clave_status st =
        clave_json_parse((const char *)req->body, req->body_len, &lim, "body", &ctx->body);
    if (st == CLAVE_OK) {
        st = clave_json_expect_object(ctx->body, "body");
    }
    if (st == CLAVE_OK) {
        st = clave_json_only_keys(ctx->body, "body", claved_schema_keys(route->schema));
    }
    if (st != CLAVE_OK) {
        claved_error(ctx, st == CLAVE_ERR_TOO_LARGE ? 413 : 400,
                     st == CLAVE_ERR_TOO_LARGE ? "payload_too_large" : "invalid_json",
                     clave_error_last().detail);
        return false;
    }
    return true;
}

static void run(struct claved_ctx *ctx, int ri)
{
    const struct claved_route *route = &CLAVED_ROUTES[ri];
    const char *code = NULL;
    if (ctx->inline_only && route->offload) {
        ctx->needs_worker = true;
        return;
    }
    /* Key broker routes carry their own credentials (session cookie, EAR token). */
    int status = route->perm == CLAVED_PERM_ATTESTED ? 0 : authenticate(ctx, &code);
    if (ctx->needs_worker) {
        return;
    }
    if (status == 0 && route->perm != CLAVED_PERM_PUBLIC && route->perm != CLAVED_PERM_ATTESTED &&
        !ctx->who.authenticated) {
        status = 401;
    }
    if (status != 0) {
        claved_error(ctx, status, code,
                     strcmp(code, "token_expired") == 0 ? "the session has expired"
                                                        : "valid credentials are required");
        return;
    }
    if (!claved_role_allows(ctx->who.role, route->perm) && route->perm != CLAVED_PERM_PUBLIC) {
        if (ctx->inline_only) {
            ctx->needs_worker = true; /* the denial is audited: that needs the store */
            return;
        }
        struct clave_log_field f[] = {{"route", route->pattern}};
        (void)claved_audit(ctx, CLAVED_AUDIT_DENIED, f, 1);
        claved_error(ctx, 403, "forbidden", "your role does not allow this");
        return;
    }
    if (parse_body(ctx, route)) {
        route->handler(ctx);
    }
}

static bool dispatch(struct claved_ctx *ctx)
{
    char param_buf[CLAVED_PATH_MAX];
    bool path_known = false;
    const struct claved_request *req = ctx->req;
    struct claved_response *resp = ctx->resp;
    claved_response_clear(resp);
    ctx->now = (int64_t)time(NULL);
    int ri = -1;
    if (req->path != NULL && strnlen(req->path, CLAVED_PATH_MAX) < CLAVED_PATH_MAX) {
        ri = claved_route_match(req->method, req->path, ctx->params, param_buf, sizeof(param_buf),
                                &path_known);
    }
    resp->route = ri;
    if (ri < 0) {
        claved_error(ctx, path_known ? 405 : 404, path_known ? "method_not_allowed" : "not_found",
                     path_known ? "method not allowed on this path" : "no such route");
    } else {
        run(ctx, ri);
    }
    bool handled = !ctx->needs_worker;
    if (!handled) {
        claved_response_clear(resp);
    } else if (resp->status == 0) {
        claved_error(ctx, 500, "internal", "the handler produced no response");
    }
    json_decref(ctx->body);
    clave_wipe(&ctx->who, sizeof(ctx->who));
    return handled;
}

void claved_dispatch(struct claved_app *app, const struct claved_conn *conn,
                     const struct claved_request *req, struct claved_response *resp)
{
    struct claved_ctx ctx;
    memset(&ctx, 0, sizeof(ctx));
    ctx.app = app;
    ctx.store = conn->store;
    ctx.ledger = conn->ledger;
    ctx.cache = conn->cache;
    ctx.req = req;
    ctx.resp = resp;
    (void)dispatch(&ctx);
}

bool claved_dispatch_inline(struct claved_app *app, struct claved_auth_cache *cache,
                            const struct claved_request *req, struct claved_response *resp)
{
    struct claved_ctx ctx;
    memset(&ctx, 0, sizeof(ctx));
    ctx.app = app;
    ctx.cache = cache;
    ctx.inline_only = true;
    ctx.req = req;
    ctx.resp = resp;
    return dispatch(&ctx);
}
