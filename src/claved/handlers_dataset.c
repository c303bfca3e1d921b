/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Datasets: POST /v1/collaborations/{c}/datasets takes the sealed file (base64url, within
 * max_body_bytes) with its metadata. The server hashes the sealed bytes, stores them in the blob
 * store, reads the header (dek_id = the sealed key id) and keeps the recipient entry wrapped to
 * the broker key. Plaintext and the DEK in the clear never reach it.
 */
#include "handlers.h"
#include "kbs.h"
#include "kbs_db.h"

#include <clave/blob.h>
#include <clave/seal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCHEMA_COLUMNS_MAX 1024
#define COLUMN_TYPES "int, float, string, bool, date"

static bool schema_ok(struct claved_ctx *ctx, json_t *schema)
{
    static const char *const TYPES[] = {"int", "float", "string", "bool", "date"};
    const char *k = NULL;
    json_t *v = NULL;
    if (!json_is_object(schema) || json_object_size(schema) == 0 ||
        json_object_size(schema) > SCHEMA_COLUMNS_MAX) {
        claved_error(ctx, 400, "invalid_field", "body.schema: an object of column -> type");
        return false;
    }
    json_object_foreach (schema, k, v) {
        bool known = false;
        for (size_t i = 0; i < 5 && json_is_string(v); i++) {
            known = known || strcmp(json_string_value(v), TYPES[i]) == 0;
        }
        if (!known || !claved_valid_name(k)) {
            claved_error(ctx, 400, "invalid_field",
                         "body.schema: column names [A-Za-z0-9._@-], types " COLUMN_TYPES);
            return false;
        }
    }
    return true;
}

/* The broker's recipient entry of the sealed header. */
static bool broker_entry(struct claved_ctx *ctx, const uint8_t *sealed, size_t len,
                         struct claved_kbs_dataset *d)
{
    struct clave_seal_header *h = NULL;
    size_t used = 0;
    bool ok = false;
    if (clave_seal_header_parse(sealed, len, &h, &used) != CLAVE_OK) {
        claved_error(ctx, 400, "invalid_field", "body.sealed: not a sealed file");
        return false;
    }
    if (clave_hex_encode(clave_seal_header_dek_id(h), CLAVE_SEAL_ID_LEN, d->dek_id,
                         sizeof(d->dek_id)) != CLAVE_OK) {
        /* stays empty */
    }
    for (size_t i = 0; i < clave_seal_header_recipient_count(h) && !ok; i++) {
        struct clave_seal_recipient r;
        if (clave_seal_header_recipient(h, i, &r) == CLAVE_OK && r.wrap == CLAVE_SEAL_WRAP_JWE &&
            strcmp(r.key_id, ctx->app->kbs->broker_kid) == 0) {
            d->wrapped = malloc(r.wrapped_len + 1);
            if (d->wrapped != NULL) {
                memcpy(d->wrapped, r.wrapped, r.wrapped_len);
                d->wrapped_len = r.wrapped_len;
                ok = true;
            }
        }
    }
    clave_seal_header_free(h);
    if (!ok) {
        claved_error(ctx, 400, "invalid_field",
                     "body.sealed: no recipient is the broker key (seal with --to-jwk the key of "
                     "GET /v1/kbs/key)");
    }
    return ok;
}

static bool read_meta(struct claved_ctx *ctx, struct claved_kbs_dataset *d, const char **name,
                      int64_t *rows, char **schema_text)
{
    const char *id = NULL;
    const char *region = NULL;
    json_t *schema = json_object_get(ctx->body, "schema");
    if (!claved_body_string(ctx, "id", true, 64, &id) ||
        !claved_body_string(ctx, "name", true, 128, name) ||
        !claved_body_string(ctx, "region", true, 64, &region)) {
        return false;
    }
    if (!clave_kbs_valid_path_part(id) || !clave_kbs_valid_path_part(region) ||
        !clave_kbs_valid_path_part(ctx->params[0])) {
        claved_error(ctx, 400, "invalid_field", "collaboration, id and region: [A-Za-z0-9._-]");
        return false;
    }
    if (clave_json_get_int(ctx->body, "body", "row_count", true, 0, INT64_MAX / 2, rows) !=
        CLAVE_OK) {
        claved_error(ctx, 400, "invalid_field", clave_error_last().detail);
        return false;
    }
    if (!schema_ok(ctx, schema)) {
        return false;
    }
    *schema_text = json_dumps(schema, JSON_COMPACT | JSON_SORT_KEYS);
    snprintf(d->collaboration, sizeof(d->collaboration), "%s", ctx->params[0]);
    snprintf(d->id, sizeof(d->id), "%s", id);
    snprintf(d->region, sizeof(d->region), "%s", region);
    snprintf(d->owner_party, sizeof(d->owner_party), "%s", ctx->who.party_id);
    return *schema_text != NULL;
}

void claved_h_datasets_create(struct claved_ctx *ctx)
{
    struct claved_kbs_dataset d;
    const char *name = NULL;
    int64_t rows = 0;
    char *schema = NULL;
    uint8_t *sealed = NULL;
    size_t len = 0;
    char blob[CLAVE_BLOB_ID_SIZE];
    memset(&d, 0, sizeof(d));
    if (!read_meta(ctx, &d, &name, &rows, &schema)) {
        goto done;
    }
    if (clave_json_get_b64url(ctx->body, "body", "sealed", true, ctx->app->cfg.max_body_bytes,
                              &sealed, &len) != CLAVE_OK) {
        claved_error(ctx, 400, "invalid_field", clave_error_last().detail);
        goto done;
    }
    if (!broker_entry(ctx, sealed, len, &d)) {
        goto done;
    }
    clave_status st = clave_hash(CLAVE_HASH_SHA256, sealed, len, d.sha256, 32);
    if (st == CLAVE_OK) {
        st = clave_blob_put_buf(ctx->app->kbs->blobs, sealed, len, blob);
    }
    if (st == CLAVE_OK) {
        st = claved_kbs_dataset_insert(ctx->store, &d, name, schema, rows, len, ctx->now);
    }
    if (st != CLAVE_OK) {
        claved_store_error(ctx, st);
        goto done;
    }
    struct clave_log_field f[] = {{"collaboration", d.collaboration},
                                  {"dataset", d.id},
                                  {"region", d.region},
                                  {"sealed_key_id", d.dek_id}};
    json_t *out = NULL;
    if (claved_audit_or_fail(ctx, "dataset.upload", f, 4) &&
        claved_kbs_dataset_json(ctx->store, d.collaboration, d.id, &out) == CLAVE_OK) {
        claved_json(ctx, 201, out);
    } else if (ctx->resp->status == 0) {
        claved_error(ctx, 500, "internal", "internal error");
    }
done:
    free(sealed);
    free(schema);
    claved_kbs_dataset_clear(&d);
}

void claved_h_datasets_list(struct claved_ctx *ctx)
{
    json_t *out = NULL;
    clave_status st = clave_kbs_valid_path_part(ctx->params[0])
                          ? claved_kbs_dataset_json(ctx->store, ctx->params[0], NULL, &out)
                          : CLAVE_ERR_NOT_FOUND;
    if (st != CLAVE_OK) {
        claved_store_error(ctx, st);
        return;
    }
    claved_json(ctx, 200, json_pack("{s:o}", "datasets", out));
}

void claved_h_datasets_get(struct claved_ctx *ctx)
{
    json_t *out = NULL;
    clave_status st =
        clave_kbs_valid_path_part(ctx->params[0]) && clave_kbs_valid_path_part(ctx->params[1])
            ? claved_kbs_dataset_json(ctx->store, ctx->params[0], ctx->params[1], &out)
            : CLAVE_ERR_NOT_FOUND;
    if (st != CLAVE_OK) {
        claved_store_error(ctx, st);
        return;
    }
    claved_json(ctx, 200, out);
}
