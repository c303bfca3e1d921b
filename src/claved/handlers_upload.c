/* SPDX-License-Identifier: Apache-2.0 */
/*
 * PUT /v1/collaborations/{c}/datasets/{id}/sealed?offset=N[&final=1]: one part of a sealed
 * file, raw application/octet-stream of at most max_body_bytes, appended to the upload's spool
 * file ({data_dir}/uploads/) at exactly its current length (a retried or out-of-order part gets
 * 409 with the length received so far, so a client resumes from there). The total is capped at
 * max_upload_bytes. On the final part the sealed header is checked (the broker's recipient
 * entry), the spool is streamed into the blob store (which hashes it: the blob id is the SHA-256
 * of the sealed file) and the dataset row appears. Only the owner party's users (or an admin)
 * send parts, and the owner must still be a member when the upload completes.
 */
#include "collab_db.h"
#include "handlers.h"
#include "handlers_collab_common.h"
#include "handlers_dataset.h"
#include "kbs.h"

#include <clave/blob.h>
#include <clave/seal.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define SPOOL_PATH_MAX 1024

static bool spool_path(struct claved_ctx *ctx, const char *c, const char *id, char *out)
{
    char dir[SPOOL_PATH_MAX];
    int n = snprintf(dir, sizeof(dir), "%s/uploads", ctx->app->cfg.data_dir);
    int m = snprintf(out, SPOOL_PATH_MAX, "%s/%s--%s.part", dir, c, id);
    if (n <= 0 || (size_t)n >= sizeof(dir) || m <= 0 || m >= SPOOL_PATH_MAX ||
        (mkdir(dir, 0700) != 0 && errno != EEXIST)) {
        claved_error(ctx, 500, "internal", "upload spool unavailable");
        return false;
    }
    return true;
}

void claved_upload_discard(struct claved_ctx *ctx, const char *collaboration, const char *id)
{
    char path[SPOOL_PATH_MAX];
    (void)claved_upload_delete(ctx->store, collaboration, id);
    if (spool_path(ctx, collaboration, id, path)) {
        (void)unlink(path);
    }
}

/* The pending upload, which the caller may feed. False after an error reply. */
static bool upload_of(struct claved_ctx *ctx, struct claved_upload *u)
{
    char mine[CLAVED_NAME_MAX + 1] = "";
    if (!clave_collab_valid_name(ctx->params[0]) || !clave_kbs_valid_path_part(ctx->params[1]) ||
        claved_upload_get(ctx->store, ctx->params[0], ctx->params[1], u) != CLAVE_OK) {
        claved_error(ctx, 404, "not_found",
                     "no upload in progress: POST the metadata to .../datasets first");
        return false;
    }
    if (ctx->who.role != CLAVED_ROLE_ADMIN &&
        (claved_collab_party_name(ctx->store, ctx->who.party_id, mine, sizeof(mine)) != CLAVE_OK ||
         strcmp(mine, u->owner_party) != 0)) {
        claved_error(ctx, 403, "forbidden", "only the owner party uploads this dataset");
        return false;
    }
    return true;
}

static bool write_all(int fd, const uint8_t *p, size_t len, off_t at)
{
    while (len > 0) {
        ssize_t w = pwrite(fd, p, len, at);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return false;
        }
        p += w;
        len -= (size_t)w;
        at += w;
    }
    return true;
}

/* Append the body at `offset` (= the spool's length). Returns the new length, or -1 after an
 * error reply. */
static int64_t append_part(struct claved_ctx *ctx, int fd, uint64_t offset)
{
    struct stat sb;
    char msg[128];
    if (fstat(fd, &sb) != 0) {
        claved_error(ctx, 500, "internal", "upload spool unavailable");
        return -1;
    }
    uint64_t have = (uint64_t)sb.st_size;
    if (offset != have) {
        snprintf(msg, sizeof(msg), "offset %llu, but %llu bytes were received: resume there",
                 (unsigned long long)offset, (unsigned long long)have);
        claved_error(ctx, 409, "offset_mismatch", msg);
        return -1;
    }
    if (ctx->req->body_len > ctx->app->cfg.max_upload_bytes - have ||
        have > ctx->app->cfg.max_upload_bytes) {
        claved_error(ctx, 413, "payload_too_large", "the sealed file exceeds max_upload_bytes");
        return -1;
    }
    if (!write_all(fd, ctx->req->body, ctx->req->body_len, (off_t)have)) {
        claved_error(ctx, 500, "internal", "upload spool write failed");
        return -1;
    }
    return (int64_t)(have + ctx->req->body_len);
}

/* Header check, blob store (hashing as it copies), membership, dataset row. */
static bool complete(struct claved_ctx *ctx, const struct claved_upload *u, int fd, uint64_t size)
{
    struct claved_kbs_dataset d;
    struct clave_blob_store *blobs = NULL;
    struct clave_collab *c = NULL;
    struct clave_collab_member m;
    char blob[CLAVE_BLOB_ID_SIZE];
    size_t head_len = size < CLAVE_SEAL_HEADER_MAX ? (size_t)size : CLAVE_SEAL_HEADER_MAX;
    uint8_t *head = malloc(head_len + 1);
    size_t n = 0;
    bool ok = false;
    memset(&d, 0, sizeof(d));
    snprintf(d.collaboration, sizeof(d.collaboration), "%s", u->collaboration);
    snprintf(d.id, sizeof(d.id), "%s", u->id);
    snprintf(d.owner_party, sizeof(d.owner_party), "%s", u->owner_party);
    snprintf(d.region, sizeof(d.region), "%s", u->region);
    if (head == NULL || pread(fd, head, head_len, 0) != (ssize_t)head_len) {
        claved_error(ctx, 500, "internal", "upload spool read failed");
        goto done;
    }
    if (!claved_dataset_broker_entry(ctx, head, head_len, &d) ||
        !claved_collab_load_or_reply(ctx, u->collaboration, &c)) {
        goto done;
    }
    if (clave_collab_find(c, u->owner_party, &m) != CLAVE_OK) {
        claved_error(ctx, 403, "not_a_member", "the owner party is no longer a member");
        goto done;
    }
    struct clave_blob_config bc = {ctx->app->cfg.blob_dir, ctx->app->cfg.max_upload_bytes};
    uint64_t stored = 0;
    clave_status st = clave_blob_store_open(&bc, &blobs);
    if (st == CLAVE_OK && lseek(fd, 0, SEEK_SET) != 0) {
        st = CLAVE_ERR_IO;
    }
    if (st == CLAVE_OK) {
        st = clave_blob_put_fd(blobs, fd, blob, &stored);
    }
    if (st == CLAVE_OK &&
        (stored != size || clave_hex_decode(blob, CLAVE_BLOB_ID_SIZE - 1, d.sha256,
                                            sizeof(d.sha256), &n) != CLAVE_OK)) {
        st = CLAVE_ERR_IO;
    }
    if (st != CLAVE_OK) {
        claved_store_error(ctx, st);
        goto done;
    }
    claved_dataset_finish(ctx, &d, u->name, u->schema_json, u->row_count, size);
    ok = ctx->resp->status == 201;
done:
    free(head);
    clave_collab_free(c);
    clave_blob_store_close(blobs);
    claved_kbs_dataset_clear(&d);
    return ok;
}

void claved_h_datasets_put_sealed(struct claved_ctx *ctx)
{
    struct claved_upload u;
    char path[SPOOL_PATH_MAX];
    uint64_t offset = 0;
    uint64_t final = 0;
    int fd = -1;
    memset(&u, 0, sizeof(u));
    int has_offset = claved_query_uint(ctx, "offset", &offset);
    int has_final = has_offset >= 0 ? claved_query_uint(ctx, "final", &final) : -1;
    if (has_offset <= 0 || has_final < 0 || final > 1) {
        if (ctx->resp->status == 0) {
            claved_error(ctx, 400, "invalid_field", "query: offset=N required; final=0|1");
        }
        return;
    }
    if (!upload_of(ctx, &u) || !spool_path(ctx, u.collaboration, u.id, path)) {
        goto done;
    }
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) != 0) {
        claved_error(ctx, fd < 0 ? 500 : 409, fd < 0 ? "internal" : "conflict",
                     fd < 0 ? "upload spool unavailable" : "another part is being written");
        goto done;
    }
    int64_t total = append_part(ctx, fd, offset);
    if (total < 0) {
        goto done;
    }
    if (final == 0) {
        claved_json(ctx, 200, json_pack("{s:s,s:I}", "id", u.id, "received", (json_int_t)total));
    } else if (complete(ctx, &u, fd, (uint64_t)total)) {
        /* The dataset exists: the pending row and the spool go (failures only leave litter). */
        (void)claved_upload_delete(ctx->store, u.collaboration, u.id);
        (void)unlink(path);
    }
done:
    if (fd >= 0) {
        close(fd);
    }
    claved_upload_clear(&u);
}
