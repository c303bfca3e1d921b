/* SPDX-License-Identifier: Apache-2.0 */
/* POST /v1/login, POST /v1/logout, GET /v1/me, POST /v1/users/{id}/totp. */
#include "auth_cache.h"
#include "handlers.h"
#include "metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOTP_PERIOD 30
#define TOTP_DIGITS 6

static void issue_session(struct claved_ctx *ctx, const struct claved_user *u, const char *method)
{
    struct clave_session_claims c;
    char *token = NULL;
    memset(&c, 0, sizeof(c));
    if (claved_new_id("s", c.sid) != CLAVE_OK) {
        claved_error(ctx, 500, "internal", "internal error");
        return;
    }
    memcpy(c.sub, u->id, strlen(u->id) + 1);
    snprintf(c.aud, sizeof(c.aud), "%s", ctx->app->cfg.session_audience);
    c.iat = ctx->now;
    c.exp = ctx->now + (int64_t)ctx->app->cfg.session_ttl_s;
    clave_status st = claved_db_session_insert(ctx->store, c.sid, u->id, c.iat, c.exp);
    if (st != CLAVE_OK) {
        claved_store_error(ctx, st);
        return;
    }
    if (clave_session_token_sign(ctx->app->session_key, &c, &token) != CLAVE_OK) {
        claved_error(ctx, 500, "internal", "internal error");
        return;
    }
    struct clave_log_field f[] = {{"user", u->id}, {"method", method}, {"session", c.sid}};
    if (claved_audit_or_fail(ctx, CLAVED_AUDIT_LOGIN_OK, f, 3)) {
        claved_json(ctx, 200,
                    json_pack("{s:s,s:s,s:I,s:{s:s,s:s,s:s,s:s}}", "token", token, "session_id",
                              c.sid, "expires_at", (json_int_t)c.exp, "user", "id", u->id, "name",
                              u->name, "party_id", u->party_id, "role", claved_role_name(u->role)));
    }
    clave_wipe(token, strlen(token));
    free(token);
}

static void login_failed(struct claved_ctx *ctx, const char *user_id, const char *reason)
{
    claved_metrics_login_failure(ctx->app->metrics);
    if (user_id != NULL) {
        (void)claved_db_user_login_result(ctx->store, user_id, false, ctx->now);
    }
    struct clave_log_field f[] = {{"reason", reason}, {"user", user_id != NULL ? user_id : ""}};
    if (claved_audit_or_fail(ctx, CLAVED_AUDIT_LOGIN_FAIL, f, 2)) {
        claved_error(ctx, 401, "invalid_credentials", "login failed");
    }
}

static bool check_totp(struct claved_ctx *ctx, const struct claved_user *u, const char *code)
{
    uint8_t secret[CLAVE_OTP_KEY_MAX_LEN];
    size_t n = 0;
    uint64_t step = 0;
    bool ok = code != NULL &&
              claved_totp_open(ctx->app, u->id, u->totp_blob, u->totp_blob_len, secret,
                               sizeof(secret), &n) == CLAVE_OK &&
              clave_totp_verify(CLAVE_OTP_SHA1, secret, n, ctx->now, TOTP_PERIOD, TOTP_DIGITS,
                                ctx->app->cfg.totp_window, (uint64_t)u->totp_last_step, code,
                                &step) == CLAVE_OK &&
              claved_db_user_totp_step(ctx->store, u->id, (int64_t)step) == CLAVE_OK;
    clave_wipe(secret, sizeof(secret));
    return ok;
}

static void login_certificate(struct claved_ctx *ctx)
{
    struct claved_user u;
    if (ctx->req->client_cert_fp == NULL ||
        claved_db_user_by_cert(ctx->store, ctx->req->client_cert_fp, &u) != CLAVE_OK) {
        login_failed(ctx, NULL, "certificate");
        return;
    }
    issue_session(ctx, &u, "certificate");
    clave_wipe(&u, sizeof(u));
}

static void login_password(struct claved_ctx *ctx, const char *name, const char *password,
                           const char *totp)
{
    struct claved_user u;
    size_t plen = strlen(password);
    if (claved_db_user_by_name(ctx->store, name, &u) != CLAVE_OK) {
        /* Same Argon2 cost as for a real user: no user enumeration by timing. */
        if (clave_password_verify(ctx->app->dummy_hash, password, plen) == CLAVE_OK) {
            /* cannot happen: the dummy password is not a valid login */
        }
        login_failed(ctx, NULL, "password");
        return;
    }
    struct clave_lockout_policy pol = {ctx->app->cfg.lockout_free_failures,
                                       ctx->app->cfg.lockout_base_delay_s,
                                       ctx->app->cfg.lockout_max_delay_s};
    int64_t until = clave_lockout_until(&pol, (uint32_t)u.failures, u.last_failure);
    if (ctx->now < until) {
        claved_metrics_login_failure(ctx->app->metrics);
        struct clave_log_field f[] = {{"reason", "locked"}, {"user", u.id}};
        if (claved_audit_or_fail(ctx, CLAVED_AUDIT_LOGIN_FAIL, f, 2)) {
            claved_error(ctx, 429, "locked", "too many failed logins; try again later");
            ctx->resp->retry_after = (int)(until - ctx->now);
        }
    } else if (u.password_hash[0] == '\0' ||
               clave_password_verify(u.password_hash, password, plen) != CLAVE_OK) {
        login_failed(ctx, u.id, "password");
    } else if (u.totp_enabled && !check_totp(ctx, &u, totp)) {
        login_failed(ctx, u.id, totp == NULL ? "totp_missing" : "totp");
    } else if (claved_db_user_login_result(ctx->store, u.id, true, ctx->now) != CLAVE_OK) {
        claved_error(ctx, 500, "internal", "internal error");
    } else {
        issue_session(ctx, &u, u.totp_enabled ? "password+totp" : "password");
    }
    clave_wipe(&u, sizeof(u));
}

void claved_h_login(struct claved_ctx *ctx)
{
    const char *method = NULL;
    const char *name = NULL;
    const char *password = NULL;
    const char *totp = NULL;
    if (!claved_body_string(ctx, "method", false, 16, &method)) {
        return;
    }
    if (method != NULL && strcmp(method, "certificate") == 0) {
        login_certificate(ctx);
        return;
    }
    if (method != NULL && strcmp(method, "password") != 0) {
        claved_error(ctx, 400, "invalid_field", "body.method: password or certificate");
        return;
    }
    if (!claved_body_string(ctx, "username", true, CLAVED_NAME_MAX, &name) ||
        !claved_body_string(ctx, "password", true, CLAVE_PASSWORD_MAX_LEN, &password) ||
        !claved_body_string(ctx, "totp", false, CLAVE_OTP_MAX_DIGITS, &totp)) {
        return;
    }
    if (password[0] == '\0') {
        claved_error(ctx, 400, "invalid_field", "body.password: must not be empty");
        return;
    }
    login_password(ctx, name, password, totp);
}

void claved_h_logout(struct claved_ctx *ctx)
{
    if (ctx->who.session_id[0] == '\0') {
        claved_error(ctx, 400, "not_a_session", "API tokens are revoked with DELETE /v1/tokens");
        return;
    }
    clave_status st = claved_db_session_revoke(ctx->store, ctx->who.session_id);
    if (st != CLAVE_OK) {
        claved_store_error(ctx, st);
        return;
    }
    /* Every thread's cached credentials are void from here on (auth_cache.h). */
    claved_auth_cache_revoke_all(&ctx->app->auth_generation);
    ctx->resp->credential_fresh = false;
    struct clave_log_field f[] = {{"session", ctx->who.session_id}};
    if (claved_audit_or_fail(ctx, CLAVED_AUDIT_LOGOUT, f, 1)) {
        claved_json(ctx, 200, json_pack("{s:b}", "revoked", 1));
    }
}

void claved_h_me(struct claved_ctx *ctx)
{
    claved_json(ctx, 200,
                json_pack("{s:s,s:s,s:s,s:s}", "id", ctx->who.user_id, "name", ctx->who.name,
                          "party_id", ctx->who.party_id, "role", claved_role_name(ctx->who.role)));
}

static void totp_enrol(struct claved_ctx *ctx)
{
    uint8_t secret[CLAVE_TOTP_SECRET_LEN];
    uint8_t blob[CLAVED_TOTP_BLOB_MAX];
    size_t blob_len = 0;
    char *uri = NULL;
    clave_status st = clave_random(secret, sizeof(secret));
    if (st == CLAVE_OK) {
        st = claved_totp_seal(ctx->app, ctx->who.user_id, secret, sizeof(secret), blob,
                              sizeof(blob), &blob_len);
    }
    if (st == CLAVE_OK) {
        st = clave_totp_uri(ctx->app->cfg.totp_issuer, ctx->who.name, secret, sizeof(secret),
                            CLAVE_OTP_SHA1, TOTP_DIGITS, TOTP_PERIOD, &uri);
    }
    if (st == CLAVE_OK) {
        st = claved_db_user_set_totp(ctx->store, ctx->who.user_id, blob, blob_len, false);
    }
    struct clave_log_field f[] = {{"user", ctx->who.user_id}};
    if (st != CLAVE_OK) {
        claved_store_error(ctx, st);
    } else if (claved_audit_or_fail(ctx, CLAVED_AUDIT_TOTP_ENROL, f, 1)) {
        claved_json(ctx, 200, json_pack("{s:s,s:b}", "otpauth_uri", uri, "enabled", 0));
    }
    clave_wipe(secret, sizeof(secret));
    if (uri != NULL) {
        clave_wipe(uri, strlen(uri));
        free(uri);
    }
}

static void totp_confirm(struct claved_ctx *ctx, const char *code)
{
    struct claved_user u;
    if (claved_db_user_by_id(ctx->store, ctx->who.user_id, &u) != CLAVE_OK ||
        u.totp_blob_len == 0) {
        claved_error(ctx, 409, "not_enrolled", "start enrolment first (POST without a code)");
    } else if (!check_totp(ctx, &u, code)) {
        claved_error(ctx, 400, "invalid_code", "the code does not match");
    } else if (claved_db_user_totp_enable(ctx->store, u.id) != CLAVE_OK) {
        claved_error(ctx, 500, "internal", "internal error");
    } else {
        struct clave_log_field f[] = {{"user", u.id}};
        if (claved_audit_or_fail(ctx, CLAVED_AUDIT_TOTP_CONFIRM, f, 1)) {
            claved_json(ctx, 200, json_pack("{s:b}", "enabled", 1));
        }
    }
    clave_wipe(&u, sizeof(u));
}

void claved_h_users_totp(struct claved_ctx *ctx)
{
    const char *code = NULL;
    /* Only the user themself: whoever enrols sees the secret. */
    if (strcmp(ctx->params[0], ctx->who.user_id) != 0) {
        claved_error(ctx, 403, "forbidden", "users enrol their own second factor");
        return;
    }
    if (!claved_body_string(ctx, "code", false, CLAVE_OTP_MAX_DIGITS, &code)) {
        return;
    }
    if (code == NULL) {
        totp_enrol(ctx);
    } else {
        totp_confirm(ctx, code);
    }
}
