/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Datasets of a collaboration, uploaded by a member party. POST /v1/collaborations/{c}/datasets
 * takes the metadata, and either the sealed file inline (base64url "sealed", small files within
 * max_body_bytes) or nothing more: then the sealed bytes follow as raw application/octet-stream
 * parts, PUT .../datasets/{id}/sealed?offset=N (each at most max_body_bytes, appended to a spool
 * file; the total at most max_upload_bytes), the last with &final=1. The blob store hashes the
 * spool as it copies it (the blob id is its SHA-256), so no step holds the file in memory. The
 * server reads the sealed header (dek_id = the sealed key id) and keeps the recipient entry
 * wrapped to the broker key. Plaintext and the DEK in the clear never reach it.
 */
#include "collab_db.h"
#include "handlers.h"
#include "handlers_collab_common.h"
#include "handlers_dataset.h"
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
bool claved_dataset_broker_entry(struct claved_ctx *ctx, const uint8_t *sealed, size_t len,
                                 struct claved_kbs_dataset *d)
{
    struct clave_seal_header *h = NULL;
    size_t used = 0;
    bool ok = false;
    if (clave_seal_header_parse(sealed, len, &h, &used) != CLAVE_OK) {
        claved_error(ctx, 400, "invalid_field", "sealed: not a sealed file");
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
                     "sealed: no recipient is the broker key (seal with --to-jwk the key of "
                     "GET /v1/kbs/key)");
    }
    return ok;
}

static bool read_meta(struct claved_ctx *ctx, struct claved_kbs_dataset *d, const char **name,
                      int64_t *rows, char **schema_text)
{
    const char *id = NULL;
    const char *region = NULL;
    const char *owner = NULL;
    struct clave_collab *c = NULL;
    json_t *schema = json_object_get(ctx->body, "schema");
    if (!claved_body_string(ctx, "id", true, 64, &id) ||
        !claved_body_string(ctx, "name", true, 128, name) ||
        !claved_body_string(ctx, "region", true, 64, &region) ||
        !claved_body_string(ctx, "owner", false, CLAVE_COLLAB_NAME_MAX, &owner)) {
        return false;
    }
    if (!claved_collab_load_or_reply(ctx, ctx->params[0], &c)) {
        return false;
    }
    bool member = claved_collab_uploader(ctx, c, owner, d->owner_party);
    clave_collab_free(c);
    if (!member) {
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
    return *schema_text != NULL;
}

/* Blob store, dataset row, audit, 201 with the metadata: the end of both upload paths. */
void claved_dataset_finish(struct claved_ctx *ctx, const struct claved_kbs_dataset *d,
                           const char *name, const char *schema, int64_t rows, uint64_t size)
{
    clave_status st = claved_kbs_dataset_insert(ctx->store, d, name, schema, rows, size, ctx->now);
    if (st != CLAVE_OK) {
        claved_store_error(ctx, st);
        return;
    }
    struct clave_log_field f[] = {{"collaboration", d->collaboration},
                                  {"dataset", d->id},
                                  {"owner", d->owner_party},
                                  {"region", d->region},
                                  {"sealed_key_id", d->dek_id}};
    json_t *out = NULL;
    if (claved_audit_or_fail(ctx, "dataset.upload", f, 5) &&
        claved_kbs_dataset_json(ctx->store, d->collaboration, d->id, &out) == CLAVE_OK) {
        claved_json(ctx, 201, out);
    } else if (ctx->resp->status == 0) {
        claved_error(ctx, 500, "internal", "internal error");
    }
}

/* Metadata only: remember it until the sealed parts arrive. */
static void start_upload(struct claved_ctx *ctx, const struct claved_kbs_dataset *d,
                         const char *name, const char *schema, int64_t rows)
{
    struct claved_upload u;
    char put[256];
    memset(&u, 0, sizeof(u));
    snprintf(u.collaboration, sizeof(u.collaboration), "%s", d->collaboration);
    snprintf(u.id, sizeof(u.id), "%s", d->id);
    snprintf(u.owner_party, sizeof(u.owner_party), "%s", d->owner_party);
    snprintf(u.region, sizeof(u.region), "%s", d->region);
    u.name = (char *)(uintptr_t)name;
    u.schema_json = (char *)(uintptr_t)schema;
    u.row_count = rows;
    struct claved_kbs_dataset existing;
    clave_status st = claved_kbs_dataset_get(ctx->store, d->collaboration, d->id, &existing);
    claved_kbs_dataset_clear(&existing);
    if (st == CLAVE_OK) {
        claved_error(ctx, 409, "conflict", "a dataset with that id already exists");
        return;
    }
    st = claved_upload_insert(ctx->store, &u, ctx->who.user_id, ctx->now);
    if (st == CLAVE_ERR_EXISTS) {
        /* A pending upload of this id (interrupted, or abandoned): start it again. */
        claved_upload_discard(ctx, d->collaboration, d->id);
        st = claved_upload_insert(ctx->store, &u, ctx->who.user_id, ctx->now);
    }
    if (st != CLAVE_OK) {
        claved_store_error(ctx, st);
        return;
    }
    snprintf(put, sizeof(put), "/v1/collaborations/%s/datasets/%s/sealed", d->collaboration, d->id);
    claved_json(ctx, 202,
                json_pack("{s:s,s:s,s:s,s:I,s:I}", "collaboration", d->collaboration, "id", d->id,
                          "upload", put, "max_part_bytes", (json_int_t)ctx->app->cfg.max_body_bytes,
                          "max_upload_bytes", (json_int_t)ctx->app->cfg.max_upload_bytes));
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
    if (json_object_get(ctx->body, "sealed") == NULL) {
        start_upload(ctx, &d, name, schema, rows);
        goto done;
    }
    if (clave_json_get_b64url(ctx->body, "body", "sealed", true, ctx->app->cfg.max_body_bytes,
                              &sealed, &len) != CLAVE_OK) {
        claved_error(ctx, 400, "invalid_field", clave_error_last().detail);
        goto done;
    }
    if (!claved_dataset_broker_entry(ctx, sealed, len, &d)) {
        goto done;
    }
    clave_status st = clave_hash(CLAVE_HASH_SHA256, sealed, len, d.sha256, 32);
    if (st == CLAVE_OK) {
        st = clave_blob_put_buf(ctx->app->kbs->blobs, sealed, len, blob);
    }
    if (st != CLAVE_OK) {
        claved_store_error(ctx, st);
        goto done;
    }
    claved_dataset_finish(ctx, &d, name, schema, rows, len);
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
