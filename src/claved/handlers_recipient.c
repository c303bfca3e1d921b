/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Recipient keys as broker resources. A contract may name a result recipient by the RFC 7638
 * thumbprint of a JWK only; the party registers the public key here
 * (POST /v1/collaborations/{c}/recipients, a member's owner or an admin), and an attested
 * runner fetches it as GET /kbs/v0/resource/<c>/recipient/<party>: {"keys": [JWK, ...]}, the
 * registered keys the contract names. A member can register a wrong key for itself only, and
 * the signed contract's thumbprint (or SPKI) is what decides which key a runner gets.
 */
#include "collab_db.h"
#include "handlers.h"
#include "handlers_collab_common.h"
#include "handlers_kbs.h"
#include "kbs.h"
#include "recipient_db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STORED_JWK_MAX 16384

/* Who may register for `party`: an admin for any member, an owner for its own party only. */
static bool may_register(struct claved_ctx *ctx, const struct clave_collab *c, const char *party)
{
    struct clave_collab_member m;
    char mine[CLAVED_NAME_MAX + 1] = "";
    if (ctx->who.role != CLAVED_ROLE_ADMIN &&
        (claved_collab_party_name(ctx->store, ctx->who.party_id, mine, sizeof(mine)) != CLAVE_OK ||
         strcmp(mine, party) != 0)) {
        claved_error(ctx, 403, "forbidden", "owners register keys for their own party only");
        return false;
    }
    if (clave_collab_find(c, party, &m) != CLAVE_OK) {
        claved_error(ctx, 403, "not_a_member", "the party is not a member of the collaboration");
        return false;
    }
    return true;
}

/* body.jwk as a checked public key: its thumbprint (base64url) and canonical JSON. */
static bool read_key(struct claved_ctx *ctx, char thumb[CLAVED_THUMBPRINT_TEXT], char **pub)
{
    json_t *jwk = json_object_get(ctx->body, "jwk");
    uint8_t tp[32];
    size_t n = 0;
    char *text = json_is_object(jwk) ? json_dumps(jwk, JSON_COMPACT) : NULL;
    if (text == NULL) {
        claved_error(ctx, 400, "invalid_field", "body.jwk: a JWK object");
        return false;
    }
    clave_status st = clave_kbs_recipient_key_parse(text, strlen(text), tp, pub);
    free(text);
    if (st == CLAVE_OK) {
        st = clave_b64_encode(CLAVE_B64URL, tp, sizeof(tp), thumb, CLAVED_THUMBPRINT_TEXT, &n);
    }
    if (st != CLAVE_OK) {
        claved_error(ctx, 400, "invalid_key", clave_error_last().detail);
        free(*pub);
        *pub = NULL;
        return false;
    }
    return true;
}

static bool under_limit(struct claved_ctx *ctx, const char *party)
{
    int64_t have = 0;
    clave_status st = claved_recipient_count(ctx->store, ctx->params[0], party, &have);
    if (st != CLAVE_OK) {
        claved_store_error(ctx, st);
        return false;
    }
    if (have >= CLAVED_RECIPIENT_KEYS_MAX) {
        claved_error(ctx, 409, "limit", "the party holds the most recipient keys allowed (16)");
        return false;
    }
    return true;
}

void claved_h_recipients_register(struct claved_ctx *ctx)
{
    const char *party = NULL;
    char thumb[CLAVED_THUMBPRINT_TEXT];
    char *pub = NULL;
    struct clave_collab *c = NULL;
    if (!claved_body_string(ctx, "party", true, CLAVE_COLLAB_NAME_MAX, &party) ||
        !read_key(ctx, thumb, &pub)) {
        return;
    }
    if (!claved_collab_load_or_reply(ctx, ctx->params[0], &c) || !may_register(ctx, c, party) ||
        !under_limit(ctx, party)) {
        goto done;
    }
    clave_status st = claved_recipient_insert(ctx->store, ctx->params[0], party, thumb, pub,
                                              ctx->who.user_id, ctx->now);
    struct clave_log_field f[] = {
        {"collaboration", ctx->params[0]}, {"party", party}, {"thumbprint", thumb}};
    if (st != CLAVE_OK) {
        claved_store_error(ctx, st);
    } else if (claved_audit_or_fail(ctx, "recipient.register", f, 3)) {
        claved_json(ctx, 201,
                    json_pack("{s:s,s:s,s:s,s:o,s:I}", "collaboration", ctx->params[0], "party",
                              party, "thumbprint", thumb, "jwk", json_loads(pub, 0, NULL),
                              "created_at", (json_int_t)ctx->now));
    }
done:
    clave_collab_free(c);
    free(pub);
}

/* One stored row as {"party","thumbprint","jwk","created_at"}; NULL on failure. */
static json_t *row_json(const struct clave_store_rows *r, size_t i)
{
    const char *party = NULL;
    const char *thumb = NULL;
    const char *jwk = NULL;
    int64_t at = 0;
    json_t *key = NULL;
    if (clave_store_rows_get_text(r, i, 0, &party) != CLAVE_OK ||
        clave_store_rows_get_text(r, i, 1, &thumb) != CLAVE_OK ||
        clave_store_rows_get_text(r, i, 2, &jwk) != CLAVE_OK ||
        clave_store_rows_get_int(r, i, 3, &at) != CLAVE_OK ||
        clave_json_parse(jwk, strnlen(jwk, STORED_JWK_MAX), NULL, "jwk", &key) != CLAVE_OK) {
        return NULL;
    }
    return json_pack("{s:s,s:s,s:o,s:I}", "party", party, "thumbprint", thumb, "jwk", key,
                     "created_at", (json_int_t)at);
}

static void list(struct claved_ctx *ctx, const char *party)
{
    struct clave_collab *c = NULL;
    struct clave_store_rows *r = NULL;
    if (!claved_collab_load_or_reply(ctx, ctx->params[0], &c)) {
        return;
    }
    clave_collab_free(c);
    clave_status st = claved_recipient_list(ctx->store, ctx->params[0], party, &r);
    json_t *a = st == CLAVE_OK ? json_array() : NULL;
    for (size_t i = 0; a != NULL && i < clave_store_rows_count(r); i++) {
        json_t *o = row_json(r, i);
        if (o == NULL || json_array_append_new(a, o) != 0) {
            json_decref(a);
            a = NULL;
        }
    }
    clave_store_rows_free(r);
    if (st != CLAVE_OK) {
        claved_store_error(ctx, st);
    } else if (a == NULL) {
        claved_error(ctx, 500, "internal", "internal error");
    } else {
        claved_json(ctx, 200,
                    json_pack("{s:s,s:o}", "collaboration", ctx->params[0], "recipients", a));
    }
}

void claved_h_recipients_list(struct claved_ctx *ctx)
{
    list(ctx, NULL);
}

void claved_h_recipients_party(struct claved_ctx *ctx)
{
    list(ctx, ctx->params[1]);
}

/* ---- the broker resource ---- */

/* The party's registered keys, parsed (at most CLAVED_RECIPIENT_KEYS_MAX are registered). */
struct party_keys {
    struct clave_jwk *key[CLAVED_RECIPIENT_KEYS_MAX];
    const char *json[CLAVED_RECIPIENT_KEYS_MAX]; /* borrowed from rows */
    size_t n;
    struct clave_store_rows *rows;
};

static clave_status load_keys(struct claved_ctx *ctx, const char *party, struct party_keys *k)
{
    memset(k, 0, sizeof(*k));
    clave_status st = claved_recipient_list(ctx->store, ctx->params[0], party, &k->rows);
    for (size_t i = 0;
         st == CLAVE_OK && i < clave_store_rows_count(k->rows) && k->n < CLAVED_RECIPIENT_KEYS_MAX;
         i++) {
        const char *jwk = NULL;
        st = clave_store_rows_get_text(k->rows, i, 2, &jwk);
        if (st == CLAVE_OK) {
            st = clave_jwk_parse(jwk, strnlen(jwk, STORED_JWK_MAX), &k->key[k->n]);
        }
        if (st == CLAVE_OK) {
            k->json[k->n++] = jwk;
        }
    }
    return st;
}

static void keys_free(struct party_keys *k)
{
    for (size_t i = 0; i < k->n; i++) {
        clave_jwk_free(k->key[i]);
    }
    clave_store_rows_free(k->rows);
}

/* One contract's verdict for the recipient resource (runs under the contract cache lock). */
struct verdict {
    const struct clave_kbs_recipient_release *r;
    const struct party_keys *keys;
    bool allowed;
    uint32_t selected; /* bit i: keys->key[i] is the one the contract names */
    char reason[CLAVE_KBS_REASON_MAX];
};

static void judge_recipient(const struct clave_contract *c, void *arg)
{
    struct verdict *v = arg;
    struct clave_kbs_recipient_release judged = *v->r;
    judged.contract = c;
    v->selected = 0;
    v->allowed = clave_kbs_appraise_recipient(&judged, v->reason);
    for (size_t i = 0; v->allowed && i < v->keys->n; i++) {
        if (clave_kbs_recipient_key_named(c, v->r->party, v->keys->key[i])) {
            v->selected |= 1u << i;
        }
    }
}

/* The outcome over every contract of the collaboration: the first (oldest) that allows and
 * names a registered key wins. */
struct outcome {
    bool allowed_any; /* some contract allows, possibly naming no registered key */
    uint32_t selected;
    char contract[65];      /* the contract that allows */
    char deny_contract[65]; /* the contract whose reason explains a denial */
    char reason[CLAVE_KBS_REASON_MAX];
};

static void note(struct outcome *o, const struct verdict *v, const char *id, const char *platform,
                 const struct clave_kbs_claims *claims)
{
    if (v->allowed) {
        o->allowed_any = true;
        o->selected = v->selected;
        snprintf(o->contract, sizeof(o->contract), "%s", id);
        return;
    }
    if (o->reason[0] != '\0' || strncmp(v->reason, "recipient:", 10) == 0 ||
        strncmp(v->reason, "binding:", 8) == 0) {
        return; /* a contract that does not name the party does not explain a denial */
    }
    if (strncmp(v->reason, "tcb: status", 11) == 0 && platform[0] != '\0') {
        snprintf(o->reason, sizeof(o->reason), "tcb: platform %.40s per collateral (%.100s)",
                 claims->tcb_status, platform);
    } else {
        snprintf(o->reason, sizeof(o->reason), "%s", v->reason);
    }
    snprintf(o->deny_contract, sizeof(o->deny_contract), "%s", id);
}

static bool judge_all(struct claved_ctx *ctx, const struct claved_kbs_session *s,
                      const struct party_keys *keys, struct outcome *o)
{
    struct clave_store_rows *rows = NULL;
    struct clave_kbs_claims claims;
    char platform[CLAVE_KBS_REASON_MAX];
    memset(o, 0, sizeof(*o));
    if (!claved_kbs_current_claims(ctx, &s->claims, &claims, platform)) {
        snprintf(o->reason, sizeof(o->reason), "tcb: %.180s", platform);
        return true;
    }
    if (claved_kbs_contract_bundles(ctx->store, ctx->params[0], &rows) != CLAVE_OK) {
        return false;
    }
    struct clave_kbs_recipient_release r = {NULL, (uint64_t)ctx->now, ctx->params[2],
                                            ctx->app->cfg.kbs_trust_sim != 0, &claims};
    struct verdict v = {&r, keys, false, 0, ""};
    for (size_t i = 0; i < clave_store_rows_count(rows) && o->selected == 0; i++) {
        const char *id = NULL;
        const uint8_t *b = NULL;
        size_t n = 0;
        if (clave_store_rows_get_text(rows, i, 0, &id) != CLAVE_OK ||
            clave_store_rows_get_blob(rows, i, 1, &b, &n) != CLAVE_OK ||
            claved_kbs_contract_with(ctx->app->kbs, b, n, judge_recipient, &v) != CLAVE_OK) {
            continue; /* a bundle that no longer parses allows nothing */
        }
        note(o, &v, id, platform, &claims);
    }
    clave_store_rows_free(rows);
    if (!o->allowed_any && o->reason[0] == '\0') {
        snprintf(o->reason, sizeof(o->reason), "recipient: %.64s is a recipient of no contract",
                 ctx->params[2]);
    }
    return true;
}

static void send_keys(struct claved_ctx *ctx, const struct claved_kbs_session *s,
                      const struct party_keys *keys, const struct outcome *o, const char *resource)
{
    json_t *a = json_array();
    for (size_t i = 0; a != NULL && i < keys->n; i++) {
        json_t *k = NULL;
        if (((o->selected >> i) & 1u) == 0) {
            continue;
        }
        if (clave_json_parse(keys->json[i], strlen(keys->json[i]), NULL, "jwk", &k) != CLAVE_OK ||
            json_array_append_new(a, k) != 0) {
            json_decref(a);
            a = NULL;
        }
    }
    if (a == NULL) {
        claved_kbs_deny(ctx, 500, "internal", "the recipient keys could not be read",
                        s->claims.evidence_sha256, resource, o->contract);
    } else if (claved_kbs_audit(ctx, "kbs.release", "released", s->claims.evidence_sha256, resource,
                                o->contract)) {
        claved_json(ctx, 200, json_pack("{s:o}", "keys", a));
        a = NULL;
    }
    json_decref(a);
}

void claved_kbs_recipient_resource(struct claved_ctx *ctx, const struct claved_kbs_session *s,
                                   const char *resource)
{
    struct party_keys keys;
    struct outcome o;
    const uint8_t *ev = s->claims.evidence_sha256;
    clave_status st = load_keys(ctx, ctx->params[2], &keys);
    if (st != CLAVE_OK) {
        claved_store_error(ctx, st);
    } else if (!judge_all(ctx, s, &keys, &o)) {
        claved_kbs_deny(ctx, 403, "policy_denied", "contract: cannot be read", ev, resource, NULL);
    } else if (!o.allowed_any) {
        claved_kbs_deny(ctx, 403, "policy_denied", o.reason, ev, resource, o.deny_contract);
    } else if (o.selected == 0) {
        claved_kbs_deny(ctx, 404, "not_found",
                        "recipient: no registered key of the party is the one the contract names",
                        ev, resource, o.contract);
    } else {
        send_keys(ctx, s, &keys, &o, resource);
    }
    keys_free(&keys);
}
