/* SPDX-License-Identifier: Apache-2.0 */
/* Membership checks shared by the collaboration, contract and dataset handlers. */
#include "handlers_collab_common.h"

#include "collab_db.h"
#include "handlers.h"

#include <stdlib.h>
#include <string.h>

bool claved_collab_load_or_reply(struct claved_ctx *ctx, const char *name,
                                 struct clave_collab **out)
{
    *out = NULL;
    if (!clave_collab_valid_name(name)) {
        claved_error(ctx, 404, "not_found", "no such collaboration");
        return false;
    }
    clave_status st = claved_collab_load(ctx->store, name, out);
    if (st == CLAVE_ERR_NOT_FOUND) {
        claved_error(ctx, 404, "not_found", "no such collaboration");
        return false;
    }
    if (st != CLAVE_OK) {
        claved_store_error(ctx, st);
        return false;
    }
    return true;
}

static json_t *b64_json(enum clave_b64_variant v, const uint8_t *b, size_t len)
{
    char *text = NULL;
    json_t *j = NULL;
    if (clave_b64_encode_alloc(v, b, len, &text) == CLAVE_OK) {
        j = json_string(text);
    }
    free(text);
    return j;
}

static json_t *members_json(const struct clave_collab *c)
{
    json_t *a = json_array();
    for (size_t i = 0; a != NULL && i < clave_collab_member_count(c); i++) {
        struct clave_collab_member m;
        uint8_t sha[32];
        char hex[65] = "";
        if (clave_collab_member(c, i, &m) != CLAVE_OK ||
            clave_hash(CLAVE_HASH_SHA256, m.spki, m.spki_len, sha, sizeof(sha)) != CLAVE_OK ||
            clave_hex_encode(sha, sizeof(sha), hex, sizeof(hex)) != CLAVE_OK) {
            json_decref(a);
            return NULL;
        }
        json_array_append_new(a, json_pack("{s:s,s:o,s:s,s:s}", "party", m.party, "spki",
                                           b64_json(CLAVE_B64_STD, m.spki, m.spki_len),
                                           "spki_sha256", hex, "region", m.region));
    }
    return a;
}

static json_t *statements_json(const struct clave_collab *c)
{
    json_t *a = json_array();
    for (size_t i = 0; a != NULL && i < clave_collab_statement_count(c); i++) {
        const uint8_t *b = NULL;
        size_t n = 0;
        struct clave_collab_statement *s = NULL;
        struct clave_collab_change ch;
        if (clave_collab_statement(c, i, &b, &n) != CLAVE_OK ||
            clave_collab_statement_peek(b, n, &s) != CLAVE_OK) {
            json_decref(a);
            return NULL;
        }
        clave_collab_statement_change(s, &ch);
        json_array_append_new(a, json_pack("{s:I,s:s,s:s,s:s,s:I,s:o}", "seq", (json_int_t)ch.seq,
                                           "op", clave_collab_op_name(ch.op), "party", ch.party,
                                           "signer", ch.signer, "time", (json_int_t)ch.time,
                                           "statement", b64_json(CLAVE_B64URL, b, n)));
        clave_collab_statement_free(s);
    }
    return a;
}

clave_status claved_collab_add_history(const struct clave_collab *c, json_t *obj)
{
    uint64_t seq = 0;
    uint8_t prev[CLAVE_COLLAB_HASH_LEN];
    char hex[2 * CLAVE_COLLAB_HASH_LEN + 1];
    clave_collab_next(c, &seq, prev);
    if (clave_hex_encode(prev, sizeof(prev), hex, sizeof(hex)) != CLAVE_OK) {
        return CLAVE_ERR_INTERNAL;
    }
    json_t *members = members_json(c);
    json_t *statements = statements_json(c);
    json_t *next = json_pack("{s:I,s:s}", "seq", (json_int_t)seq, "prev", hex);
    if (members == NULL || statements == NULL || next == NULL) {
        json_decref(members);
        json_decref(statements);
        json_decref(next);
        return CLAVE_ERR_NOMEM;
    }
    json_object_set_new(obj, "members", members);
    json_object_set_new(obj, "statements", statements);
    json_object_set_new(obj, "next", next);
    return CLAVE_OK;
}

bool claved_collab_check_contract(struct claved_ctx *ctx, const struct clave_contract *contract)
{
    struct clave_collab *c = NULL;
    char msg[160];
    bool ok = true;
    const char *name = clave_contract_collaboration(contract);
    if (!clave_collab_valid_name(name) || claved_collab_load(ctx->store, name, &c) != CLAVE_OK) {
        claved_error(ctx, 400, "invalid_field",
                     "contract.collaboration: no such collaboration (POST /v1/collaborations)");
        return false;
    }
    for (size_t i = 0; ok && i < clave_contract_signer_count(contract); i++) {
        struct clave_contract_signer s = clave_contract_signer(contract, i);
        if (!clave_collab_key_matches(c, s.party, s.spki, s.spki_len)) {
            snprintf(msg, sizeof(msg),
                     "contract.signers[%zu]: %.64s is not a member with this identity key", i,
                     s.party);
            claved_error(ctx, 403, "not_a_member", msg);
            ok = false;
        }
    }
    clave_collab_free(c);
    return ok;
}

bool claved_collab_uploader(struct claved_ctx *ctx, const struct clave_collab *c,
                            const char *requested, char *out)
{
    struct clave_collab_member m;
    char mine[CLAVED_NAME_MAX + 1] = "";
    bool admin = ctx->who.role == CLAVED_ROLE_ADMIN;
    if (claved_collab_party_name(ctx->store, ctx->who.party_id, mine, sizeof(mine)) != CLAVE_OK) {
        claved_error(ctx, 403, "forbidden", "the caller has no party");
        return false;
    }
    const char *party = requested != NULL ? requested : mine;
    if (!admin && strcmp(party, mine) != 0) {
        claved_error(ctx, 403, "forbidden", "owners upload for their own party");
        return false;
    }
    if (clave_collab_find(c, party, &m) != CLAVE_OK) {
        claved_error(ctx, 403, "not_a_member", "the uploading party is not a member");
        return false;
    }
    memcpy(out, m.party, strlen(m.party) + 1);
    return true;
}
