/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the handler files. */
#ifndef CLAVED_HANDLERS_H
#define CLAVED_HANDLERS_H

#include "audit_hook.h"
#include "db.h"
#include "routes.h"

#define CLAVED_NAME_MAX 64

/* 1..64 characters of [A-Za-z0-9._@-]. */
bool claved_valid_name(const char *s);

/* Read an optional/required string field; on failure fills a 400 and returns false. */
bool claved_body_string(struct claved_ctx *ctx, const char *key, bool required, size_t max,
                        const char **out);

/* Audit, and on failure answer 503 (nothing may happen unrecorded). Returns success. */
bool claved_audit_or_fail(struct claved_ctx *ctx, const char *event,
                          const struct clave_log_field *fields, size_t n);

/* Map a store failure to a response (409 for duplicates, 404 for missing, else 500/503). */
void claved_store_error(struct claved_ctx *ctx, clave_status st);

/* Seal/open a TOTP secret under the server's secret key, bound to the user id. */
clave_status claved_totp_seal(const struct claved_app *app, const char *user_id,
                              const uint8_t *secret, size_t len, uint8_t *out, size_t cap,
                              size_t *out_len);
clave_status claved_totp_open(const struct claved_app *app, const char *user_id,
                              const uint8_t *blob, size_t len, uint8_t *out, size_t cap,
                              size_t *out_len);

#endif
