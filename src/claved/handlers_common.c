/* SPDX-License-Identifier: Apache-2.0 */
/* Shared handler helpers: field reading, audit-or-fail, store errors, TOTP secrets at rest. */
#include "handlers.h"

#include "core/check.h"

#include <string.h>

bool claved_valid_name(const char *s)
{
    size_t n = s != NULL ? strnlen(s, CLAVED_NAME_MAX + 1) : 0;
    if (n == 0 || n > CLAVED_NAME_MAX) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '@' || c == '-';
        if (!ok) {
            return false;
        }
    }
    return true;
}

bool claved_body_string(struct claved_ctx *ctx, const char *key, bool required, size_t max,
                        const char **out)
{
    if (clave_json_get_string(ctx->body, "body", key, required, max, out) != CLAVE_OK) {
        claved_error(ctx, 400, "invalid_field", clave_error_last().detail);
        return false;
    }
    return true;
}

bool claved_audit_or_fail(struct claved_ctx *ctx, const char *event,
                          const struct clave_log_field *fields, size_t n)
{
    if (claved_audit(ctx, event, fields, n) != CLAVE_OK) {
        claved_error(ctx, 503, "audit_unavailable", "the audit log could not record the action");
        return false;
    }
    return true;
}

void claved_store_error(struct claved_ctx *ctx, clave_status st)
{
    switch (st) {
    case CLAVE_ERR_EXISTS:
        claved_error(ctx, 409, "conflict", "an object with that name or key already exists");
        break;
    case CLAVE_ERR_NOT_FOUND:
        claved_error(ctx, 404, "not_found", "no such object");
        break;
    case CLAVE_ERR_CONFLICT:
        claved_error(ctx, 503, "busy", "the store is busy, try again");
        break;
    default: {
        struct clave_log_field f[] = {{"request_id", ctx->req->request_id},
                                      {"detail", clave_error_last().detail}};
        clave_log_write(ctx->app->log, CLAVE_LOG_ERROR, "store", "store failure", f, 2);
        claved_error(ctx, 500, "internal", "internal error");
        break;
    }
    }
}

/* blob = nonce (12) || ciphertext || tag (16); AAD = user id. */
clave_status claved_totp_seal(const struct claved_app *app, const char *user_id,
                              const uint8_t *secret, size_t len, uint8_t *out, size_t cap,
                              size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_aead *aead = NULL;
    *out_len = 0;
    CLAVE_ENSURE(cap >= CLAVE_AEAD_NONCE_LEN + len + CLAVE_AEAD_TAG_LEN, CLAVE_ERR_ARG,
                 "totp: buffer too small");
    CLAVE_CHECK(clave_aead_new(CLAVE_AEAD_AES256GCM, app->secret_key, &aead));
    CLAVE_CHECK(clave_random(out, CLAVE_AEAD_NONCE_LEN));
    CLAVE_CHECK(clave_aead_seal(aead, out, (const uint8_t *)user_id, strlen(user_id), secret, len,
                                out + CLAVE_AEAD_NONCE_LEN, out + CLAVE_AEAD_NONCE_LEN + len));
    *out_len = CLAVE_AEAD_NONCE_LEN + len + CLAVE_AEAD_TAG_LEN;
    st = CLAVE_OK;
done:
    clave_aead_free(aead);
    return st;
}

clave_status claved_totp_open(const struct claved_app *app, const char *user_id,
                              const uint8_t *blob, size_t len, uint8_t *out, size_t cap,
                              size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_aead *aead = NULL;
    *out_len = 0;
    CLAVE_ENSURE(len > CLAVE_AEAD_NONCE_LEN + CLAVE_AEAD_TAG_LEN, CLAVE_ERR_AUTH, "totp: bad blob");
    size_t n = len - CLAVE_AEAD_NONCE_LEN - CLAVE_AEAD_TAG_LEN;
    CLAVE_ENSURE(n <= cap, CLAVE_ERR_AUTH, "totp: bad blob");
    CLAVE_CHECK(clave_aead_new(CLAVE_AEAD_AES256GCM, app->secret_key, &aead));
    CLAVE_CHECK(clave_aead_open(aead, blob, (const uint8_t *)user_id, strlen(user_id),
                                blob + CLAVE_AEAD_NONCE_LEN, n, blob + CLAVE_AEAD_NONCE_LEN + n,
                                out));
    *out_len = n;
    st = CLAVE_OK;
done:
    clave_aead_free(aead);
    return st;
}
