/* SPDX-License-Identifier: Apache-2.0 */
/*
 * /v1/fl/{contract}/...: FL contracts run by the coordinator (docs/fl.md "Over the coordinator").
 * Every caller acts for its own party, which must be a current member of the contract's
 * collaboration; the contract must be active and of kind "fl". A client joins with a fresh
 * Ed25519 key (it signs the client's SecAgg+ keys) certified by its party's identity key (a
 * client-key statement, docs/formats/fl.md, checked here against the collaboration's membership
 * and published with the key in the directory, where every client checks it again), and then
 * exchanges the FL messages of docs/formats/fl.md under its client id, which only the user that
 * joined may use. The aggregator only ever receives SecAgg+ messages or Paillier ciphertexts
 * (the spec requires protection "secagg" or "paillier"). Under "paillier", the contract's
 * key_holder party registers the run's Paillier public key with a key-holder statement by its
 * identity key (checked here, and again by every client), and then exchanges AGGREGATE/SUM
 * messages under /keyholder/message; only the user that registered may. Under client-level DP every
 * joining party needs a budget in the contract's output.budgets: each round is paid from it before
 * it runs (fl_budget.h).
 */
#include "fl_budget.h"
#include "fl_coord.h"
#include "handlers.h"
#include "handlers_collab_common.h"
#include "kbs_db.h"
#include "collab_db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FL_RETRY_MS 100

static bool hex64(const char *s)
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

/* The caller's party as a member of the contract's collaboration. */
struct fl_member {
    char party[CLAVED_NAME_MAX + 1];
    uint8_t spki[CLAVE_COLLAB_SPKI_MAX]; /* its identity key in the current membership */
    size_t spki_len;
    bool has_budget;
    double epsilon_cap, delta_cap;
};

/* The caller's party is a current member of `c`'s collaboration; `who` gets its name and key. */
static bool member(struct claved_ctx *ctx, const struct clave_contract *c, struct fl_member *who)
{
    struct clave_collab *collab = NULL;
    struct clave_collab_member m;
    bool ok = false;
    if (claved_collab_party_name(ctx->store, ctx->who.party_id, who->party, sizeof(who->party)) !=
        CLAVE_OK) {
        claved_error(ctx, 403, "not_a_member", "the caller has no party");
        return false;
    }
    if (!claved_collab_load_or_reply(ctx, clave_contract_collaboration(c), &collab)) {
        return false;
    }
    ok = clave_collab_find(collab, who->party, &m) == CLAVE_OK && m.spki_len <= sizeof(who->spki);
    if (ok) {
        memcpy(who->spki, m.spki, m.spki_len);
        who->spki_len = m.spki_len;
        who->has_budget = claved_fl_budget_of(c, who->party, &who->epsilon_cap, &who->delta_cap);
    }
    clave_collab_free(collab);
    if (!ok) {
        claved_error(ctx, 403, "not_a_member",
                     "the caller's party is not a member of the contract's collaboration");
    }
    return ok;
}

/* An active FL contract whose spec parses; false after a reply. */
static bool load_contract(struct claved_ctx *ctx, struct clave_contract **c,
                          struct clave_fl_contract_spec *spec)
{
    struct clave_contract_verdict v;
    size_t len = 0;
    char msg[256];
    *c = NULL;
    if (!hex64(ctx->params[0])) {
        claved_error(ctx, 404, "not_found", "no such contract");
        return false;
    }
    clave_status st = claved_kbs_contract_load(ctx->store, ctx->params[0], c);
    if (st != CLAVE_OK) {
        claved_store_error(ctx, st);
        return false;
    }
    if (clave_contract_computation_kind(*c) != CLAVE_COMPUTATION_FL) {
        claved_error(ctx, 409, "conflict", "the contract's computation is not \"fl\"");
        return false;
    }
    clave_contract_status(*c, (uint64_t)ctx->now, &v);
    if (v.state != CLAVE_CONTRACT_ACTIVE) {
        snprintf(msg, sizeof(msg), "the contract is %s (%.160s)",
                 clave_contract_state_name(v.state), v.reason);
        claved_error(ctx, 409, "contract_not_active", msg);
        return false;
    }
    const uint8_t *cbor = clave_contract_computation_spec(*c, &len);
    if (clave_fl_contract_spec_parse(cbor, len, spec) != CLAVE_OK) {
        snprintf(msg, sizeof(msg), "contract.computation.spec: %.200s", clave_error_last().detail);
        claved_error(ctx, 409, "invalid_spec", msg);
        return false;
    }
    return true;
}

/* Lock the registry and find (or create, when `spec` is given, for `collaboration`) the
 * contract's federation; false after a reply (the lock is then not held). */
static bool open_fed(struct claved_ctx *ctx, const char *collaboration,
                     const struct clave_fl_contract_spec *spec, struct claved_fl_fed **out)
{
    *out = NULL;
    if (ctx->app->fl == NULL) {
        claved_error(ctx, 503, "unavailable", "federated learning is not available");
        return false;
    }
    claved_fl_lock(ctx->app->fl);
    *out = claved_fl_find(ctx->app->fl, ctx->params[0]);
    if (*out == NULL && spec != NULL &&
        claved_fl_create(ctx->app->fl, ctx->params[0], collaboration, spec, out) != CLAVE_OK) {
        claved_fl_unlock(ctx->app->fl);
        claved_error(ctx, 503, "unavailable", "too many federations");
        return false;
    }
    if (*out == NULL) {
        claved_fl_unlock(ctx->app->fl);
        claved_error(ctx, 404, "not_found", "no federation for this contract");
        return false;
    }
    claved_fl_advance(ctx, *out);
    return true;
}

/* Joining `c` as `who`: a DP budget for the party when the spec has DP, and a client-key
 * statement by the party's identity key in the membership for exactly this key; false after a
 * reply. */
static bool join_allowed(struct claved_ctx *ctx, const struct clave_contract *c,
                         const struct clave_fl_contract_spec *spec, const struct fl_member *who,
                         const struct claved_fl_joiner *join)
{
    char msg[400];
    if (spec->run.cfg.dp != CLAVE_FL_DP_NONE && !who->has_budget) {
        claved_error(ctx, 403, "policy_denied",
                     "client-level DP: the contract gives this party no budget (output.budgets)");
        return false;
    }
    struct clave_fl_client_claim claim = {clave_contract_collaboration(c), clave_contract_id(c),
                                          who->party, join->key};
    if (clave_fl_client_cert_verify(join->statement, join->statement_len, &claim, who->spki,
                                    who->spki_len) != CLAVE_OK) {
        snprintf(msg, sizeof(msg),
                 "body.statement: not a client-key statement of %.64s for this key and contract "
                 "under its identity key in the membership (%.160s)",
                 who->party, clave_error_last().detail);
        claved_error(ctx, 403, "invalid_statement", msg);
        return false;
    }
    return true;
}

/* The federation of an active FL contract of the caller's collaboration; false after a reply.
 * With `join`, first checks what joining needs (the budget, the client-key statement). */
static bool member_fed(struct claved_ctx *ctx, struct fl_member *who,
                       const struct claved_fl_joiner *join, struct claved_fl_fed **f)
{
    struct clave_contract *c = NULL;
    struct clave_fl_contract_spec spec;
    bool ok = load_contract(ctx, &c, &spec) && member(ctx, c, who) &&
              (join == NULL || join_allowed(ctx, c, &spec, who, join)) &&
              open_fed(ctx, clave_contract_collaboration(c), &spec, f);
    clave_contract_free(c);
    return ok;
}

void claved_h_fl_join(struct claved_ctx *ctx)
{
    struct claved_fl_fed *f = NULL;
    struct fl_member who;
    uint8_t *key = NULL, *statement = NULL;
    size_t key_len = 0, statement_len = 0;
    uint32_t id = 0;
    struct claved_fl_joiner join;
    memset(&who, 0, sizeof(who));
    memset(&join, 0, sizeof(join));
    if (ctx->who.role == CLAVED_ROLE_AUDITOR) {
        claved_error(ctx, 403, "forbidden", "auditors do not run FL clients");
        return;
    }
    if (clave_json_get_b64url(ctx->body, "body", "public_key", true, CLAVED_FL_KEY_LEN, &key,
                              &key_len) != CLAVE_OK ||
        key_len != CLAVED_FL_KEY_LEN) {
        claved_error(ctx, 400, "invalid_field", "body.public_key: a raw Ed25519 key (base64url)");
        goto done;
    }
    if (clave_json_get_b64url(ctx->body, "body", "statement", true, CLAVE_FL_CLIENT_CERT_MAX_LEN,
                              &statement, &statement_len) != CLAVE_OK) {
        claved_error(ctx, 400, "invalid_field",
                     "body.statement: the party's client-key statement (COSE_Sign1, base64url)");
        goto done;
    }
    join.key = key;
    join.statement = statement;
    join.statement_len = statement_len;
    if (!member_fed(ctx, &who, &join, &f)) {
        goto done;
    }
    join.party = who.party;
    join.epsilon_cap = who.epsilon_cap;
    join.delta_cap = who.delta_cap;
    clave_status st = claved_fl_join(ctx, f, &join, &id);
    if (st == CLAVE_OK) {
        const struct clave_fl_config *cfg = &claved_fl_spec(f)->run.cfg;
        claved_json(ctx, 201,
                    json_pack("{s:I,s:I,s:I}", "client", (json_int_t)id, "clients",
                              (json_int_t)cfg->clients, "rounds", (json_int_t)cfg->rounds));
    } else if (st == CLAVE_ERR_LIMIT) {
        claved_error(ctx, 409, "federation_full", "every client slot of this federation is taken");
    } else if (st == CLAVE_ERR_EXISTS) {
        claved_error(ctx, 409, "conflict", "this public key already joined");
    } else if (st == CLAVE_ERR_STORE) {
        claved_error(ctx, 503, "unavailable", "the audit ledger is unavailable");
    } else {
        claved_error(ctx, 400, "invalid_field", "body.public_key: not a valid Ed25519 key");
    }
    claved_fl_unlock(ctx->app->fl);
done:
    free(key);
    free(statement);
}

void claved_h_fl_clients(struct claved_ctx *ctx)
{
    struct claved_fl_fed *f = NULL;
    struct fl_member who;
    if (member_fed(ctx, &who, NULL, &f)) {
        claved_json(ctx, 200, claved_fl_directory_json(f));
        claved_fl_unlock(ctx->app->fl);
    }
}

void claved_h_fl_status(struct claved_ctx *ctx)
{
    struct claved_fl_fed *f = NULL;
    struct fl_member who;
    if (member_fed(ctx, &who, NULL, &f)) {
        claved_json(ctx, 200, claved_fl_status_json(f, claved_now_ms()));
        claved_fl_unlock(ctx->app->fl);
    }
}

void claved_h_fl_model(struct claved_ctx *ctx)
{
    struct claved_fl_fed *f = NULL;
    struct fl_member who;
    uint8_t *bytes = NULL;
    size_t len = 0;
    if (!member_fed(ctx, &who, NULL, &f)) {
        return;
    }
    if (claved_fl_model(f, &bytes, &len) == CLAVE_OK) {
        claved_text(ctx, 200, "application/octet-stream", (char *)bytes, len);
    } else {
        claved_error(ctx, 404, "not_found", "no model before the federation starts");
    }
    claved_fl_unlock(ctx->app->fl);
}

/* The client id of the path, joined by the caller; false after a reply (lock not held). */
static bool own_client(struct claved_ctx *ctx, struct claved_fl_fed **f, uint32_t *id)
{
    char *end = NULL;
    const char *text = ctx->params[1];
    unsigned long v = strtoul(text, &end, 10);
    if (!hex64(ctx->params[0]) || text[0] < '1' || text[0] > '9' || *end != '\0' ||
        v > CLAVE_FL_MAX_CLIENTS) {
        claved_error(ctx, 404, "not_found", "no such client");
        return false;
    }
    if (!open_fed(ctx, NULL, NULL, f)) {
        return false;
    }
    if (!claved_fl_client_of(*f, (uint32_t)v, ctx->who.user_id)) {
        claved_fl_unlock(ctx->app->fl);
        claved_error(ctx, 403, "forbidden", "this client was joined by another user");
        return false;
    }
    *id = (uint32_t)v;
    return true;
}

static void wait_reply(struct claved_ctx *ctx, struct claved_fl_fed *f)
{
    json_t *s = claved_fl_status_json(f, claved_now_ms());
    enum claved_fl_state state = claved_fl_state(f);
    if (s != NULL) {
        json_object_set_new(s, "retry_ms", json_integer(FL_RETRY_MS));
        json_object_del(s, "history");
    }
    claved_json(ctx, state == CLAVED_FL_DONE || state == CLAVED_FL_FAILED ? 410 : 202, s);
}

void claved_h_fl_message_get(struct claved_ctx *ctx)
{
    struct claved_fl_fed *f = NULL;
    uint32_t id = 0;
    uint8_t *msg = NULL;
    size_t len = 0;
    if (!own_client(ctx, &f, &id)) {
        return;
    }
    if (claved_fl_message(f, id, &msg, &len) == CLAVE_OK) {
        claved_text(ctx, 200, "application/octet-stream", (char *)msg, len);
    } else {
        wait_reply(ctx, f);
    }
    claved_fl_unlock(ctx->app->fl);
}

void claved_h_fl_message_post(struct claved_ctx *ctx)
{
    struct claved_fl_fed *f = NULL;
    uint32_t id = 0;
    char why[256];
    if (!own_client(ctx, &f, &id)) {
        return;
    }
    clave_status st =
        claved_fl_answer(ctx, f, id, ctx->req->body, ctx->req->body_len, why, sizeof(why));
    if (st == CLAVE_OK) {
        claved_json(ctx, 202, json_pack("{s:b}", "accepted", true));
    } else if (st == CLAVE_ERR_STATE || st == CLAVE_ERR_EXISTS) {
        claved_error(ctx, 409, "out_of_phase", why);
    } else {
        claved_error(ctx, 400, "rejected", why);
    }
    claved_fl_unlock(ctx->app->fl);
}

/* ---- PAILLIER: the key holder (docs/fl.md "Paillier over the coordinator") --------------------
 */

#define FL_PAILLIER_PUB_MAX 4096u /* a 4096-bit modulus in CLHE binary is about 530 bytes */

/* The caller acts for the contract's key_holder party; false after a reply. */
static bool keyholder_allowed(struct claved_ctx *ctx, const struct clave_contract *c,
                              const struct clave_fl_contract_spec *spec,
                              const struct fl_member *who, const uint8_t *pub, size_t pub_len,
                              const uint8_t *statement, size_t statement_len)
{
    char msg[400];
    uint8_t digest[CLAVE_FL_CLIENT_KEY_LEN];
    if (spec->run.cfg.protection != CLAVE_FL_PAILLIER) {
        claved_error(ctx, 409, "conflict", "the contract's protection is not \"paillier\"");
        return false;
    }
    if (strcmp(who->party, spec->key_holder) != 0) {
        snprintf(msg, sizeof(msg), "the contract names %.64s as key holder, not %.64s",
                 spec->key_holder, who->party);
        claved_error(ctx, 403, "forbidden", msg);
        return false;
    }
    struct clave_fl_client_claim claim = {clave_contract_collaboration(c), clave_contract_id(c),
                                          who->party, digest};
    if (clave_fl_keyholder_key_digest(pub, pub_len, digest) != CLAVE_OK ||
        clave_fl_statement_verify(CLAVE_FL_STATEMENT_KEYHOLDER_KEY, statement, statement_len,
                                  &claim, who->spki, who->spki_len) != CLAVE_OK) {
        snprintf(msg, sizeof(msg),
                 "body.statement: not a key-holder statement of %.64s for this key and contract "
                 "under its identity key in the membership (%.160s)",
                 who->party, clave_error_last().detail);
        claved_error(ctx, 403, "invalid_statement", msg);
        return false;
    }
    return true;
}

void claved_h_fl_keyholder_post(struct claved_ctx *ctx)
{
    struct claved_fl_fed *f = NULL;
    struct fl_member who;
    struct clave_contract *c = NULL;
    struct clave_fl_contract_spec spec;
    uint8_t *pub = NULL, *statement = NULL;
    size_t pub_len = 0, statement_len = 0;
    memset(&who, 0, sizeof(who));
    if (ctx->who.role == CLAVED_ROLE_AUDITOR) {
        claved_error(ctx, 403, "forbidden", "auditors do not hold FL keys");
        return;
    }
    if (clave_json_get_b64url(ctx->body, "body", "public_key", true, FL_PAILLIER_PUB_MAX, &pub,
                              &pub_len) != CLAVE_OK ||
        clave_json_get_b64url(ctx->body, "body", "statement", true, CLAVE_FL_CLIENT_CERT_MAX_LEN,
                              &statement, &statement_len) != CLAVE_OK) {
        claved_error(ctx, 400, "invalid_field",
                     "body: public_key (Paillier, CLHE binary) and statement (COSE_Sign1), "
                     "base64url");
        goto done;
    }
    if (!(load_contract(ctx, &c, &spec) && member(ctx, c, &who) &&
          keyholder_allowed(ctx, c, &spec, &who, pub, pub_len, statement, statement_len) &&
          open_fed(ctx, clave_contract_collaboration(c), &spec, &f))) {
        goto done;
    }
    clave_status st = claved_fl_keyholder_register(ctx, f, pub, pub_len, statement, statement_len);
    if (st == CLAVE_OK) {
        claved_json(ctx, 201, json_pack("{s:s}", "key_holder", who.party));
    } else if (st == CLAVE_ERR_EXISTS) {
        claved_error(ctx, 409, "conflict", "the key holder already registered its key");
    } else if (st == CLAVE_ERR_STATE) {
        claved_error(ctx, 409, "conflict", "the federation is no longer joining");
    } else {
        claved_error(ctx, 503, "unavailable", "the audit ledger is unavailable");
    }
    claved_fl_unlock(ctx->app->fl);
done:
    clave_contract_free(c);
    free(pub);
    free(statement);
}

/* The federation whose key holder the caller registered; false after a reply (lock not held). */
static bool own_keyholder(struct claved_ctx *ctx, struct claved_fl_fed **f)
{
    if (!hex64(ctx->params[0])) {
        claved_error(ctx, 404, "not_found", "no such contract");
        return false;
    }
    if (!open_fed(ctx, NULL, NULL, f)) {
        return false;
    }
    if (!claved_fl_keyholder_of(*f, ctx->who.user_id)) {
        claved_fl_unlock(ctx->app->fl);
        claved_error(ctx, 403, "forbidden", "the key holder was registered by another user");
        return false;
    }
    return true;
}

void claved_h_fl_keyholder_message_get(struct claved_ctx *ctx)
{
    struct claved_fl_fed *f = NULL;
    uint8_t *msg = NULL;
    size_t len = 0;
    if (!own_keyholder(ctx, &f)) {
        return;
    }
    if (claved_fl_keyholder_message(f, &msg, &len) == CLAVE_OK) {
        claved_text(ctx, 200, "application/octet-stream", (char *)msg, len);
    } else {
        wait_reply(ctx, f);
    }
    claved_fl_unlock(ctx->app->fl);
}

void claved_h_fl_keyholder_message_post(struct claved_ctx *ctx)
{
    struct claved_fl_fed *f = NULL;
    char why[256];
    if (!own_keyholder(ctx, &f)) {
        return;
    }
    clave_status st =
        claved_fl_keyholder_answer(ctx, f, ctx->req->body, ctx->req->body_len, why, sizeof(why));
    if (st == CLAVE_OK) {
        claved_json(ctx, 202, json_pack("{s:b}", "accepted", true));
    } else if (st == CLAVE_ERR_STATE || st == CLAVE_ERR_EXISTS) {
        claved_error(ctx, 409, "out_of_phase", why);
    } else {
        claved_error(ctx, 400, "rejected", why);
    }
    claved_fl_unlock(ctx->app->fl);
}
