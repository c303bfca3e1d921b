/* SPDX-License-Identifier: Apache-2.0 */
/* Users, API tokens and parties. Admin acts globally; everyone else within their own party. */
#include "auth_cache.h"
#include "handlers.h"

#include <string.h>

#define TOKEN_MAX_TTL_S (10LL * 366 * 24 * 3600)

static bool is_admin(const struct claved_ctx *ctx)
{
    return ctx->who.role == CLAVED_ROLE_ADMIN;
}

static bool valid_fp(const char *fp)
{
    if (strnlen(fp, CLAVED_CERT_FP_LEN + 1) != CLAVED_CERT_FP_LEN) {
        return false;
    }
    for (size_t i = 0; i < CLAVED_CERT_FP_LEN; i++) {
        if (!((fp[i] >= '0' && fp[i] <= '9') || (fp[i] >= 'a' && fp[i] <= 'f'))) {
            return false;
        }
    }
    return true;
}

/* Fields of POST /v1/users after validation and party scoping; false after an error reply. */
static bool user_fields(struct claved_ctx *ctx, struct claved_user *u, const char **password,
                        const char **fp)
{
    const char *name = NULL;
    const char *party = NULL;
    const char *role = NULL;
    if (!claved_body_string(ctx, "name", true, CLAVED_NAME_MAX, &name) ||
        !claved_body_string(ctx, "password", false, CLAVE_PASSWORD_MAX_LEN, password) ||
        !claved_body_string(ctx, "party_id", false, CLAVED_ID_LEN, &party) ||
        !claved_body_string(ctx, "role", true, 16, &role) ||
        !claved_body_string(ctx, "cert_sha256", false, CLAVED_CERT_FP_LEN, fp)) {
        return false;
    }
    u->role = claved_role_parse(role);
    if (!claved_valid_name(name) || u->role == CLAVED_ROLE_NONE) {
        claved_error(ctx, 400, "invalid_field",
                     "name: [A-Za-z0-9._@-]{1,64}; role: admin, owner, "
                     "analyst or auditor");
        return false;
    }
    if ((*password == NULL || (*password)[0] == '\0') && *fp == NULL) {
        claved_error(ctx, 400, "invalid_field", "a password or a cert_sha256 is required");
        return false;
    }
    if (*fp != NULL && !valid_fp(*fp)) {
        claved_error(ctx, 400, "invalid_field", "cert_sha256: 64 lower-case hex characters");
        return false;
    }
    if (party == NULL) {
        party = ctx->who.party_id;
    }
    if (!is_admin(ctx) && (strcmp(party, ctx->who.party_id) != 0 || u->role == CLAVED_ROLE_ADMIN)) {
        claved_error(ctx, 403, "forbidden", "owners create non-admin users in their own party");
        return false;
    }
    memcpy(u->name, name, strlen(name) + 1);
    memcpy(u->party_id, party, strlen(party) + 1);
    return true;
}

void claved_h_users_create(struct claved_ctx *ctx)
{
    struct claved_user u;
    const char *password = NULL;
    const char *fp = NULL;
    memset(&u, 0, sizeof(u));
    if (!user_fields(ctx, &u, &password, &fp)) {
        return;
    }
    struct clave_argon2_params ap = {ctx->app->cfg.argon2_t_cost, ctx->app->cfg.argon2_m_cost_kib,
                                     ctx->app->cfg.argon2_parallelism};
    clave_status st = claved_db_party_exists(ctx->store, u.party_id);
    if (st == CLAVE_OK) {
        st = claved_new_id("u", u.id);
    }
    if (st == CLAVE_OK && password != NULL && password[0] != '\0') {
        st = clave_password_hash(&ap, password, strlen(password), u.password_hash,
                                 sizeof(u.password_hash));
    }
    if (st == CLAVE_OK) {
        st = claved_db_user_insert(ctx->store, &u, fp, ctx->now);
    }
    if (st != CLAVE_OK) {
        claved_store_error(ctx, st);
        return;
    }
    struct clave_log_field f[] = {
        {"user", u.id}, {"party", u.party_id}, {"role", claved_role_name(u.role)}};
    if (claved_audit_or_fail(ctx, CLAVED_AUDIT_USER_CREATE, f, 3)) {
        claved_json(ctx, 201,
                    json_pack("{s:s,s:s,s:s,s:s}", "id", u.id, "name", u.name, "party_id",
                              u.party_id, "role", claved_role_name(u.role)));
    }
    clave_wipe(&u, sizeof(u));
}

void claved_h_users_list(struct claved_ctx *ctx)
{
    json_t *users = NULL;
    clave_status st =
        claved_db_user_list(ctx->store, is_admin(ctx) ? NULL : ctx->who.party_id, &users);
    if (st != CLAVE_OK) {
        claved_store_error(ctx, st);
        return;
    }
    claved_json(ctx, 200, json_pack("{s:o}", "users", users));
}

void claved_h_users_role(struct claved_ctx *ctx)
{
    const char *role_name = NULL;
    struct claved_user target;
    if (!claved_body_string(ctx, "role", true, 16, &role_name)) {
        return;
    }
    enum claved_role role = claved_role_parse(role_name);
    if (role == CLAVED_ROLE_NONE) {
        claved_error(ctx, 400, "invalid_field", "role: admin, owner, analyst or auditor");
        return;
    }
    /* Other parties' users are invisible to non-admins: 404, not 403. */
    if (claved_db_user_by_id(ctx->store, ctx->params[0], &target) != CLAVE_OK ||
        (!is_admin(ctx) && strcmp(target.party_id, ctx->who.party_id) != 0)) {
        claved_error(ctx, 404, "not_found", "no such user");
        return;
    }
    if (!is_admin(ctx) && (role == CLAVED_ROLE_ADMIN || target.role == CLAVED_ROLE_ADMIN)) {
        claved_error(ctx, 403, "forbidden", "only admins grant or remove the admin role");
        return;
    }
    clave_status st = claved_db_user_set_role(ctx->store, target.id, role);
    claved_auth_cache_revoke_all(&ctx->app->auth_generation); /* cached roles are void */
    struct clave_log_field f[] = {{"user", target.id},
                                  {"from", claved_role_name(target.role)},
                                  {"to", claved_role_name(role)}};
    if (st != CLAVE_OK) {
        claved_store_error(ctx, st);
    } else if (claved_audit_or_fail(ctx, CLAVED_AUDIT_ROLE_CHANGE, f, 3)) {
        claved_json(ctx, 200, json_pack("{s:s,s:s}", "id", target.id, "role", role_name));
    }
    clave_wipe(&target, sizeof(target));
}

void claved_h_tokens_create(struct claved_ctx *ctx)
{
    const char *name = NULL;
    int64_t ttl = 0;
    char id[CLAVED_ID_LEN + 1];
    char token[CLAVE_API_TOKEN_LEN + 1];
    uint8_t hash[CLAVE_API_TOKEN_HASH_LEN];
    if (!claved_body_string(ctx, "name", true, CLAVED_NAME_MAX, &name)) {
        return;
    }
    if (clave_json_get_int(ctx->body, "body", "ttl_s", false, 0, TOKEN_MAX_TTL_S, &ttl) !=
            CLAVE_OK ||
        !claved_valid_name(name)) {
        claved_error(ctx, 400, "invalid_field", "name: [A-Za-z0-9._@-]{1,64}; ttl_s: 0..10 years");
        return;
    }
    int64_t exp = ttl == 0 ? 0 : ctx->now + ttl;
    clave_status st = claved_new_id("t", id);
    if (st == CLAVE_OK) {
        st = clave_api_token_generate(token, sizeof(token), hash);
    }
    if (st == CLAVE_OK) {
        st = claved_db_token_insert(ctx->store, id, ctx->who.user_id, name, hash, ctx->now, exp);
    }
    struct clave_log_field f[] = {{"token", id}, {"name", name}};
    if (st != CLAVE_OK) {
        claved_store_error(ctx, st);
    } else if (claved_audit_or_fail(ctx, CLAVED_AUDIT_TOKEN_CREATE, f, 2)) {
        claved_json(ctx, 201,
                    json_pack("{s:s,s:s,s:s,s:I}", "id", id, "name", name, "token", token,
                              "expires_at", (json_int_t)exp));
    }
    clave_wipe(token, sizeof(token));
}

void claved_h_tokens_list(struct claved_ctx *ctx)
{
    json_t *tokens = NULL;
    clave_status st = claved_db_token_list(ctx->store, ctx->who.user_id, &tokens);
    if (st != CLAVE_OK) {
        claved_store_error(ctx, st);
        return;
    }
    claved_json(ctx, 200, json_pack("{s:o}", "tokens", tokens));
}

void claved_h_tokens_delete(struct claved_ctx *ctx)
{
    clave_status st =
        claved_db_token_revoke(ctx->store, ctx->params[0], is_admin(ctx) ? NULL : ctx->who.user_id);
    claved_auth_cache_revoke_all(&ctx->app->auth_generation);
    struct clave_log_field f[] = {{"token", ctx->params[0]}};
    if (st != CLAVE_OK) {
        claved_store_error(ctx, st);
    } else if (claved_audit_or_fail(ctx, CLAVED_AUDIT_TOKEN_REVOKE, f, 1)) {
        claved_json(ctx, 200, json_pack("{s:s,s:b}", "id", ctx->params[0], "revoked", 1));
    }
}

void claved_h_parties_list(struct claved_ctx *ctx)
{
    json_t *parties = NULL;
    clave_status st =
        claved_db_party_list(ctx->store, is_admin(ctx) ? NULL : ctx->who.party_id, &parties);
    if (st != CLAVE_OK) {
        claved_store_error(ctx, st);
        return;
    }
    claved_json(ctx, 200, json_pack("{s:o}", "parties", parties));
}

void claved_h_parties_create(struct claved_ctx *ctx)
{
    const char *name = NULL;
    char id[CLAVED_ID_LEN + 1];
    if (!claved_body_string(ctx, "name", true, CLAVED_NAME_MAX, &name)) {
        return;
    }
    if (!claved_valid_name(name)) {
        claved_error(ctx, 400, "invalid_field", "name: [A-Za-z0-9._@-]{1,64}");
        return;
    }
    clave_status st = claved_new_id("p", id);
    if (st == CLAVE_OK) {
        st = claved_db_party_insert(ctx->store, id, name, ctx->now);
    }
    struct clave_log_field f[] = {{"party", id}, {"name", name}};
    if (st != CLAVE_OK) {
        claved_store_error(ctx, st);
    } else if (claved_audit_or_fail(ctx, CLAVED_AUDIT_PARTY_CREATE, f, 2)) {
        claved_json(ctx, 201, json_pack("{s:s,s:s}", "id", id, "name", name));
    }
}
