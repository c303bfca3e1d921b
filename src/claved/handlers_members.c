/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Collaborations and their membership. A collaboration is a name and a description; its members
 * come only from signed statements (include/clave/collab.h), stored in order and replayed (and
 * so re-verified) on every read. The server adds one check the statements cannot carry: who may
 * submit. Admins submit any statement; everyone else only statements signed by their own party,
 * and the founding statement (seq 0) only the user who created the collaboration.
 * Every accepted statement is in the audit ledger with its SHA-256.
 */
#include "collab_db.h"
#include "handlers.h"
#include "handlers_collab_common.h"

#include <stdlib.h>
#include <string.h>

#define DESCRIPTION_MAX 1024

void claved_h_collabs_create(struct claved_ctx *ctx)
{
    const char *name = NULL;
    const char *description = NULL;
    if (!claved_body_string(ctx, "name", true, CLAVE_COLLAB_NAME_MAX, &name) ||
        !claved_body_string(ctx, "description", false, DESCRIPTION_MAX, &description)) {
        return;
    }
    if (!clave_collab_valid_name(name)) {
        claved_error(ctx, 400, "invalid_field", "body.name: [A-Za-z0-9_-]{1,64}");
        return;
    }
    clave_status st = claved_collab_insert(ctx->store, name, description != NULL ? description : "",
                                           ctx->who.user_id, ctx->now);
    json_t *out = NULL;
    struct clave_log_field f[] = {{"collaboration", name}};
    if (st != CLAVE_OK) {
        claved_store_error(ctx, st);
    } else if (claved_audit_or_fail(ctx, "collab.create", f, 1) &&
               claved_collab_json(ctx->store, name, &out) == CLAVE_OK) {
        claved_json(ctx, 201, out);
    } else if (ctx->resp->status == 0) {
        claved_error(ctx, 500, "internal", "internal error");
    }
}

void claved_h_collabs_list(struct claved_ctx *ctx)
{
    json_t *out = NULL;
    clave_status st = claved_collab_json(ctx->store, NULL, &out);
    if (st != CLAVE_OK) {
        claved_store_error(ctx, st);
        return;
    }
    claved_json(ctx, 200, json_pack("{s:o}", "collaborations", out));
}

void claved_h_collabs_get(struct claved_ctx *ctx)
{
    json_t *out = NULL;
    struct clave_collab *c = NULL;
    if (!claved_collab_load_or_reply(ctx, ctx->params[0], &c)) {
        return;
    }
    clave_status st = claved_collab_json(ctx->store, ctx->params[0], &out);
    if (st == CLAVE_OK) {
        st = claved_collab_add_history(c, out);
    }
    if (st != CLAVE_OK) {
        json_decref(out);
        claved_store_error(ctx, st);
    } else {
        claved_json(ctx, 200, out);
    }
    clave_collab_free(c);
}

/* Whether the caller created the collaboration (so no one else founds it first). */
static bool is_creator(struct claved_ctx *ctx, const char *name)
{
    json_t *c = NULL;
    const char *by = NULL;
    if (claved_collab_json(ctx->store, name, &c) == CLAVE_OK) {
        by = json_string_value(json_object_get(c, "created_by"));
    }
    bool mine = by != NULL && strcmp(by, ctx->who.user_id) == 0;
    json_decref(c);
    return mine;
}

/* Who may submit: admins anything; others only statements their own party signs; the subject of
 * an add must be a tenant party. False after an error reply. */
static bool may_submit(struct claved_ctx *ctx, const struct clave_collab_change *ch)
{
    char mine[CLAVED_NAME_MAX + 1];
    if (ctx->who.role != CLAVED_ROLE_ADMIN &&
        (claved_collab_party_name(ctx->store, ctx->who.party_id, mine, sizeof(mine)) != CLAVE_OK ||
         strcmp(mine, ch->signer) != 0)) {
        claved_error(ctx, 403, "forbidden", "owners submit statements signed by their own party");
        return false;
    }
    if (ch->seq == 0 && ctx->who.role != CLAVED_ROLE_ADMIN && !is_creator(ctx, ch->collaboration)) {
        claved_error(ctx, 403, "forbidden", "the founding statement comes from the creator");
        return false;
    }
    if (ch->op == CLAVE_COLLAB_ADD &&
        claved_collab_party_exists(ctx->store, ch->party) != CLAVE_OK) {
        claved_error(ctx, 400, "invalid_field",
                     "statement.party: no such party (POST /v1/parties)");
        return false;
    }
    return true;
}

static bool audit_member(struct claved_ctx *ctx, const struct clave_collab_change *ch,
                         const uint8_t *cose, size_t len)
{
    uint8_t sha[32];
    char sha_hex[65] = "";
    char seq[24];
    snprintf(seq, sizeof(seq), "%llu", (unsigned long long)ch->seq);
    if (clave_hash(CLAVE_HASH_SHA256, cose, len, sha, sizeof(sha)) != CLAVE_OK ||
        clave_hex_encode(sha, sizeof(sha), sha_hex, sizeof(sha_hex)) != CLAVE_OK) {
        sha_hex[0] = '\0';
    }
    struct clave_log_field f[] = {{"collaboration", ch->collaboration},
                                  {"op", clave_collab_op_name(ch->op)},
                                  {"party", ch->party},
                                  {"signer", ch->signer},
                                  {"seq", seq},
                                  {"statement_sha256", sha_hex}};
    return claved_audit_or_fail(ctx, "collab.member", f, 6);
}

static void reply_append_error(struct claved_ctx *ctx, clave_status st)
{
    if (st == CLAVE_ERR_STATE || st == CLAVE_ERR_LIMIT) {
        claved_error(ctx, 409, "conflict", clave_error_last().detail);
    } else {
        claved_error(ctx, 400, "invalid_statement", clave_error_last().detail);
    }
}

void claved_h_collabs_member(struct claved_ctx *ctx)
{
    struct clave_collab *c = NULL;
    struct clave_collab_statement *s = NULL;
    struct clave_collab_change ch;
    uint8_t *cose = NULL;
    size_t len = 0;
    json_t *out = NULL;
    if (clave_json_get_b64url(ctx->body, "body", "statement", true, CLAVE_COLLAB_STATEMENT_MAX_LEN,
                              &cose, &len) != CLAVE_OK ||
        clave_collab_statement_peek(cose, len, &s) != CLAVE_OK) {
        claved_error(ctx, 400, "invalid_statement", clave_error_last().detail);
        goto done;
    }
    clave_collab_statement_change(s, &ch);
    if (!claved_collab_load_or_reply(ctx, ctx->params[0], &c) || !may_submit(ctx, &ch)) {
        goto done;
    }
    clave_status st = clave_collab_append(c, cose, len);
    if (st != CLAVE_OK) {
        reply_append_error(ctx, st);
        goto done;
    }
    st = claved_collab_statement_insert(ctx->store, ctx->params[0], ch.seq, cose, len, ctx->now);
    if (st == CLAVE_OK) {
        st = claved_collab_json(ctx->store, ctx->params[0], &out);
    }
    if (st == CLAVE_OK) {
        st = claved_collab_add_history(c, out);
    }
    if (st != CLAVE_OK) {
        claved_store_error(ctx, st);
    } else if (audit_member(ctx, &ch, cose, len)) {
        claved_json(ctx, 200, out);
        out = NULL;
    }
done:
    json_decref(out);
    clave_collab_statement_free(s);
    clave_collab_free(c);
    free(cose);
}
