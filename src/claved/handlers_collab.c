/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Contracts and datasets of a collaboration. Contracts arrive as bundles (canonical CBOR from
 * the contracts library: every statement verified against the declared signer keys); approvals
 * and revocations are added one by one and verified the same way. The contract's collaboration
 * must exist and every signer must be a member whose registered identity key is the contract's
 * signer key (checked on submission and on every approval). Datasets arrive sealed: the
 * server hashes the sealed bytes itself, keeps them in the blob store, and keeps the DEK only as
 * the JWE the owner wrapped to the broker key (it never sees plaintext or a DEK in the clear).
 */
#include "handlers.h"
#include "kbs.h"
#include "auth_cache.h"
#include "handlers_collab_common.h"
#include "kbs_db.h"

#include <clave/blob.h>
#include <clave/seal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool contract_hex_ok(const char *s)
{
    if (s == NULL || strlen(s) != 64) {
        return false;
    }
    for (const char *p = s; *p != '\0'; p++) {
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) {
            return false;
        }
    }
    return true;
}

static json_t *contract_view(const struct clave_contract *c, uint64_t now)
{
    struct clave_contract_verdict v;
    char hex[65] = "";
    clave_contract_status(c, now, &v);
    if (clave_hex_encode(clave_contract_id(c), CLAVE_CONTRACT_ID_LEN, hex, sizeof(hex)) !=
        CLAVE_OK) {
        /* stays empty */
    }
    return json_pack("{s:s,s:s,s:I,s:s,s:s,s:I,s:I}", "id", hex, "collaboration",
                     clave_contract_collaboration(c), "version",
                     (json_int_t)clave_contract_version(c), "state",
                     clave_contract_state_name(v.state), "reason", v.reason, "signatures",
                     (json_int_t)v.signatures, "required", (json_int_t)v.required);
}

static bool audit_contract(struct claved_ctx *ctx, const char *event, const char *id,
                           const char *party)
{
    struct clave_log_field f[] = {{"contract", id}, {"party", party != NULL ? party : ""}};
    return claved_audit_or_fail(ctx, event, f, 2);
}

void claved_h_contracts_create(struct claved_ctx *ctx)
{
    uint8_t *bundle = NULL;
    size_t len = 0;
    struct clave_contract *c = NULL;
    char hex[65];
    if (clave_json_get_b64url(ctx->body, "body", "bundle", true, CLAVE_CONTRACT_BUNDLE_MAX_LEN,
                              &bundle, &len) != CLAVE_OK ||
        clave_contract_bundle_parse(bundle, len, &c) != CLAVE_OK) {
        claved_error(ctx, 400, "invalid_field", clave_error_last().detail);
        goto done;
    }
    if (!claved_collab_check_contract(ctx, c)) {
        goto done;
    }
    if (clave_hex_encode(clave_contract_id(c), CLAVE_CONTRACT_ID_LEN, hex, sizeof(hex)) !=
        CLAVE_OK) {
        /* stays empty */
    }
    clave_status st = claved_kbs_contract_insert(ctx->store, c, ctx->who.user_id, ctx->now);
    if (st != CLAVE_OK) {
        claved_store_error(ctx, st);
    } else if (audit_contract(ctx, "contract.submit", hex, NULL)) {
        claved_json(ctx, 201, contract_view(c, (uint64_t)ctx->now));
    }
done:
    clave_contract_free(c);
    free(bundle);
}

static bool load(struct claved_ctx *ctx, struct clave_contract **c)
{
    if (!contract_hex_ok(ctx->params[0])) {
        claved_error(ctx, 404, "not_found", "no such contract");
        return false;
    }
    clave_status st = claved_kbs_contract_load(ctx->store, ctx->params[0], c);
    if (st != CLAVE_OK) {
        claved_store_error(ctx, st);
        return false;
    }
    return true;
}

void claved_h_contracts_get(struct claved_ctx *ctx)
{
    struct clave_contract *c = NULL;
    char *text = NULL;
    if (!load(ctx, &c)) {
        return;
    }
    json_t *v = contract_view(c, (uint64_t)ctx->now);
    json_t *doc = NULL;
    if (v != NULL && clave_contract_to_json(c, &text) == CLAVE_OK &&
        (doc = json_loads(text, 0, NULL)) != NULL) {
        json_object_set_new(v, "contract", doc);
    }
    claved_json(ctx, 200, v);
    free(text);
    clave_contract_free(c);
}

void claved_h_contracts_bundle(struct claved_ctx *ctx)
{
    struct clave_contract *c = NULL;
    uint8_t *b = NULL;
    size_t len = 0;
    char *b64 = NULL;
    if (!load(ctx, &c)) {
        return;
    }
    if (clave_contract_bundle_export(c, &b, &len) == CLAVE_OK &&
        clave_b64_encode_alloc(CLAVE_B64URL, b, len, &b64) == CLAVE_OK) {
        claved_json(ctx, 200, json_pack("{s:s}", "bundle", b64));
    } else {
        claved_error(ctx, 500, "internal", "internal error");
    }
    free(b64);
    free(b);
    clave_contract_free(c);
}

/* Approvals and revocations: verify against the declared key, then store the new bundle. */
static void add_statement(struct claved_ctx *ctx, bool revocation)
{
    struct clave_contract *c = NULL;
    const char *party = NULL;
    uint8_t *cose = NULL;
    size_t len = 0;
    if (!claved_body_string(ctx, "party", true, CLAVE_CONTRACT_ID_MAX, &party) || !load(ctx, &c)) {
        goto done;
    }
    if (clave_json_get_b64url(ctx->body, "body", "statement", true, 16384, &cose, &len) !=
        CLAVE_OK) {
        claved_error(ctx, 400, "invalid_field", clave_error_last().detail);
        goto done;
    }
    clave_status st = revocation ? clave_contract_add_revocation(c, party, cose, len)
                                 : clave_contract_add_signature(c, party, cose, len);
    if (st == CLAVE_ERR_EXISTS) {
        claved_error(ctx, 409, "conflict", "this party already revoked the contract");
        goto done;
    }
    if (st != CLAVE_OK) {
        claved_error(ctx, st == CLAVE_ERR_NOT_FOUND ? 403 : 400,
                     st == CLAVE_ERR_NOT_FOUND ? "forbidden" : "invalid_signature",
                     clave_error_last().detail);
        goto done;
    }
    /* Approvals need current membership with the same key; any signer may always revoke. */
    if (!revocation && !claved_collab_check_contract(ctx, c)) {
        goto done;
    }
    st = claved_kbs_contract_store(ctx->store, c);
    if (st != CLAVE_OK) {
        claved_store_error(ctx, st);
        goto done;
    }
    if (revocation) {
        claved_auth_cache_revoke_all(&ctx->app->auth_generation);
    }
    if (audit_contract(ctx, revocation ? "contract.revoke" : "contract.approve", ctx->params[0],
                       party)) {
        claved_json(ctx, 200, contract_view(c, (uint64_t)ctx->now));
    }
done:
    free(cose);
    clave_contract_free(c);
}

void claved_h_contracts_approve(struct claved_ctx *ctx)
{
    add_statement(ctx, false);
}

void claved_h_contracts_revoke(struct claved_ctx *ctx)
{
    add_statement(ctx, true);
}

void claved_h_contracts_list(struct claved_ctx *ctx)
{
    json_t *ids = NULL;
    if (!clave_kbs_valid_path_part(ctx->params[0])) {
        claved_error(ctx, 404, "not_found", "no such collaboration");
        return;
    }
    clave_status st = claved_kbs_contract_ids(ctx->store, ctx->params[0], &ids);
    if (st != CLAVE_OK) {
        claved_store_error(ctx, st);
        return;
    }
    claved_json(ctx, 200, json_pack("{s:o}", "contracts", ids));
}
