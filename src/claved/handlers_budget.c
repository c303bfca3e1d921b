/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The runner debits parties' differential-privacy budgets before it releases a result.
 * Authorised by the EAR token from /kbs/v0/attest (Authorization: Bearer); for every debited
 * dataset the workload must still satisfy the contract. POST /kbs/v0/budget/debit charges one
 * (dataset, party); POST /kbs/v0/budget/debits charges the same amount to several at once, all
 * or nothing (an output computed over several parties' datasets). Each is one transaction of
 * the DP ledger over the same store, so concurrent debits never overspend.
 */
#include "handlers.h"
#include "kbs.h"
#include "kbs_db.h"

#include <clave/dp.h>
#include <clave/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BEARER "Bearer "
#define DEBITS_MAX 128 /* (dataset, party) pairs in one /kbs/v0/budget/debits */

bool claved_kbs_token_session(struct claved_ctx *ctx, struct claved_kbs_session *s)
{
    const char *h = ctx->req->authorization;
    char sid[CLAVED_KBS_SID_LEN + 1];
    const char *status = NULL;
    uint8_t th[32];
    char th_hex[65];
    if (h == NULL || strncmp(h, BEARER, sizeof(BEARER) - 1) != 0) {
        claved_error(ctx, 401, "unauthenticated", "an attestation token (Bearer) is required");
        return false;
    }
    const char *tok = h + sizeof(BEARER) - 1;
    size_t len = strnlen(tok, 16384);
    if (clave_ear_verify(tok, len, ctx->app->kbs->ear_pub, &status, NULL) != CLAVE_OK ||
        clave_hash(CLAVE_HASH_SHA256, (const uint8_t *)tok, len, th, 32) != CLAVE_OK ||
        clave_hex_encode(th, 32, th_hex, sizeof(th_hex)) != CLAVE_OK ||
        claved_kbs_session_by_token(ctx->store, th_hex, ctx->now, sid) != CLAVE_OK ||
        claved_kbs_session_get(ctx->store, sid, ctx->now, s) != CLAVE_OK || !s->attested) {
        claved_error(ctx, 401, "unauthenticated", "attestation token invalid or expired");
        return false;
    }
    return true;
}

/* One debit request: the same (epsilon, delta) for every (dataset, party) of keys[0..n). */
struct debits {
    const char *contract, *what;
    double epsilon, delta;
    struct clave_dp_budget_key keys[DEBITS_MAX];
    struct clave_dp_debit_record recs[DEBITS_MAX];
    size_t n;
};

/* contract, what, epsilon and delta: the part both routes share. */
static bool parse_amount(struct claved_ctx *ctx, struct debits *b)
{
    json_t *e = json_object_get(ctx->body, "epsilon");
    json_t *d = json_object_get(ctx->body, "delta");
    if (!claved_body_string(ctx, "contract", true, 64, &b->contract) ||
        !claved_body_string(ctx, "what", false, 256, &b->what)) {
        return false;
    }
    if (!json_is_number(e) || (d != NULL && !json_is_number(d))) {
        claved_error(ctx, 400, "invalid_field", "body.epsilon/delta: expected numbers");
        return false;
    }
    b->epsilon = json_number_value(e);
    b->delta = d != NULL ? json_number_value(d) : 0.0;
    if (!(b->epsilon > 0 && b->epsilon <= 1000) || !(b->delta >= 0 && b->delta < 1)) {
        claved_error(ctx, 400, "invalid_field", "body.epsilon in (0, 1000], delta in [0, 1)");
        return false;
    }
    return true;
}

/* POST /kbs/v0/budget/debit: {"contract","dataset","party","epsilon"[,"delta"][,"what"]}. */
static bool parse_one(struct claved_ctx *ctx, struct debits *b)
{
    const char *ds = NULL, *party = NULL;
    if (!parse_amount(ctx, b) || !claved_body_string(ctx, "dataset", true, 64, &ds) ||
        !claved_body_string(ctx, "party", true, 64, &party)) {
        return false;
    }
    b->keys[0] = (struct clave_dp_budget_key){NULL, b->contract, ds, party};
    b->n = 1;
    return true;
}

/* POST /kbs/v0/budget/debits: the amount and "debits": [{"dataset","party"}, ...] (1..128,
 * no repeat: a repeated pair would be charged twice). */
static bool parse_list(struct claved_ctx *ctx, struct debits *b)
{
    static const char *const KEYS[] = {"dataset", "party", NULL};
    json_t *list = json_object_get(ctx->body, "debits");
    if (!parse_amount(ctx, b)) {
        return false;
    }
    if (!json_is_array(list) || json_array_size(list) < 1 || json_array_size(list) > DEBITS_MAX) {
        claved_error(ctx, 400, "invalid_field",
                     "body.debits: an array of 1..128 {\"dataset\", \"party\"}");
        return false;
    }
    b->n = json_array_size(list);
    for (size_t i = 0; i < b->n; i++) {
        json_t *x = json_array_get(list, i);
        const char *ds = json_string_value(json_object_get(x, "dataset"));
        const char *party = json_string_value(json_object_get(x, "party"));
        bool ok = json_is_object(x) && clave_json_only_keys(x, "body.debits[]", KEYS) == CLAVE_OK &&
                  ds != NULL && party != NULL && ds[0] != '\0' && party[0] != '\0' &&
                  strlen(ds) <= 64 && strlen(party) <= 64;
        for (size_t k = 0; ok && k < i; k++) {
            ok = strcmp(b->keys[k].dataset, ds) != 0 || strcmp(b->keys[k].party, party) != 0;
        }
        if (!ok) {
            char msg[96];
            snprintf(msg, sizeof(msg),
                     "body.debits[%zu]: {\"dataset\", \"party\"} of 1..64 characters, no repeat",
                     i);
            claved_error(ctx, 400, "invalid_field", msg);
            return false;
        }
        b->keys[i] = (struct clave_dp_budget_key){NULL, b->contract, ds, party};
    }
    return true;
}

static bool budget_of(const struct clave_contract *c, const char *party, struct clave_dp_budget *b)
{
    for (size_t i = 0; i < clave_contract_budget_count(c); i++) {
        struct clave_contract_budget x = clave_contract_budget(c, i);
        if (strcmp(x.party, party) == 0) {
            b->epsilon_cap = (double)x.epsilon_micro / 1e6;
            b->delta_cap = (double)x.delta_pico / 1e12;
            b->window_seconds = 0;
            return true;
        }
    }
    return false;
}

/*
 * Whether the attested session may spend `party`'s budget for `dataset` of contract `c` (its id
 * `contract`): CLAVE_OK; CLAVE_ERR_STATE with `reason` set (deny with 403); or the dataset
 * lookup's error. Always: the dataset is the contract's and the contract names the debited
 * party as its owner (a party pays only for its own data). FL contracts (docs/fl.md
 * "Aggregation in an attested runner"): the parties' data never reaches the broker, so no
 * dataset record exists; the workload must be the contract's (binding, active, reference
 * values, TCB under the collateral in force now). Other contracts: the registered dataset under
 * the release policy, as for a release of its key.
 */
static clave_status debit_check(struct claved_ctx *ctx, const struct claved_kbs_session *s,
                                const struct clave_contract *c, const char *dataset,
                                const char *party, char reason[CLAVE_KBS_REASON_MAX])
{
    struct clave_kbs_claims now;
    struct claved_kbs_dataset d;
    bool fl = clave_contract_computation_kind(c) == CLAVE_COMPUTATION_FL;
    bool named = false;
    memset(&d, 0, sizeof(d));
    snprintf(reason, CLAVE_KBS_REASON_MAX, "dataset: not in the contract, or not the party's");
    for (size_t i = 0; i < clave_contract_dataset_count(c); i++) {
        struct clave_contract_dataset x = clave_contract_dataset(c, i);
        named = named || (strcmp(x.id, dataset) == 0 && strcmp(x.owner, party) == 0);
    }
    if (!named) {
        return CLAVE_ERR_STATE;
    }
    if (!fl) {
        clave_status st =
            claved_kbs_dataset_get(ctx->store, clave_contract_collaboration(c), dataset, &d);
        if (st != CLAVE_OK) {
            return st;
        }
    }
    bool ok = claved_kbs_collateral_check(ctx->app->kbs, false, NULL) == CLAVE_OK &&
              claved_kbs_platform_claims(ctx->app->kbs, &s->claims, &now, reason);
    bool sim = ctx->app->cfg.kbs_trust_sim != 0;
    if (!ok) {
        snprintf(reason, CLAVE_KBS_REASON_MAX, "tcb: collateral unusable");
    } else if (fl) {
        ok = clave_kbs_appraise_workload(c, (uint64_t)ctx->now, sim, &now, reason);
    } else {
        struct clave_kbs_release rel = {c, (uint64_t)ctx->now, d.id, d.sha256, d.region, sim, &now};
        ok = clave_kbs_appraise(&rel, reason);
    }
    claved_kbs_dataset_clear(&d);
    return ok ? CLAVE_OK : CLAVE_ERR_STATE;
}

/* Answer a refused check: 403 with its reason (audited), or the lookup's error. */
static void debit_refused(struct claved_ctx *ctx, clave_status st, const char *contract,
                          const char *reason)
{
    if (st != CLAVE_ERR_STATE) {
        claved_store_error(ctx, st);
        return;
    }
    struct clave_log_field f[] = {{"contract", contract}, {"reason", reason}};
    if (claved_audit_or_fail(ctx, "kbs.budget.deny", f, 2)) {
        claved_error(ctx, 403, "policy_denied", reason);
    }
}

/* Audit each debit and answer: the single route's record, or one record per entry, in order. */
static void paid(struct claved_ctx *ctx, const struct debits *b, const char *ev, bool list)
{
    char eps[32];
    json_t *out = json_array();
    snprintf(eps, sizeof(eps), "%.9g", b->epsilon);
    for (size_t i = 0; i < b->n; i++) {
        const struct clave_dp_budget_key *k = &b->keys[i];
        struct clave_log_field f[] = {{"contract", k->contract}, {"dataset", k->dataset},
                                      {"party", k->party},       {"epsilon", eps},
                                      {"evidence_sha256", ev},   {"reason", "debited"}};
        if (!claved_audit_or_fail(ctx, "kbs.budget.debit", f, 6)) {
            json_decref(out);
            return;
        }
        json_array_append_new(out,
                              json_pack("{s:s,s:s,s:I,s:f,s:f}", "dataset", k->dataset, "party",
                                        k->party, "debit_id", (json_int_t)b->recs[i].id,
                                        "epsilon_remaining", b->recs[i].epsilon_remaining,
                                        "delta_remaining", b->recs[i].delta_remaining));
    }
    if (list) {
        claved_json(ctx, 200, json_pack("{s:o}", "debits", out));
    } else {
        json_t *one = json_incref(json_array_get(out, 0));
        json_object_del(one, "dataset");
        json_object_del(one, "party");
        json_decref(out);
        claved_json(ctx, 200, one);
    }
}

/* Every key has a budget (the contract's cap, set on first use), then one all-or-nothing
 * debit: every party is charged or none is. */
static void charge(struct claved_ctx *ctx, struct debits *b, const struct clave_contract *c,
                   const struct clave_kbs_claims *claims, bool list)
{
    struct clave_dp_ledger *ledger = NULL;
    struct clave_dp_debit dbt = {
        "kbs",      b->what != NULL && b->what[0] != '\0' ? b->what : "runner debit",
        "runner",   "basic",
        b->epsilon, b->delta};
    char ev[65] = "";
    size_t failed = 0;
    if (clave_hex_encode(claims->evidence_sha256, 32, ev, sizeof(ev)) != CLAVE_OK) {
        /* stays empty */
    }
    clave_status st = clave_dp_ledger_open(ctx->store, &ledger);
    for (size_t i = 0; st == CLAVE_OK && i < b->n; i++) {
        struct clave_dp_budget_status cur;
        struct clave_dp_budget cap;
        failed = i;
        b->keys[i].collaboration = clave_contract_collaboration(c);
        st = clave_dp_ledger_status(ledger, &b->keys[i], ctx->now, &cur);
        if (st == CLAVE_ERR_NOT_FOUND) { /* first debit: the budget the contract sets */
            st = budget_of(c, b->keys[i].party, &cap)
                     ? clave_dp_ledger_set_budget(ledger, &b->keys[i], &cap)
                     : CLAVE_ERR_STATE;
        }
    }
    if (st == CLAVE_OK) {
        st = clave_dp_ledger_debit_all(ledger, b->keys, b->n, &dbt, ctx->now, &failed, b->recs);
    }
    clave_dp_ledger_free(ledger);
    if (st == CLAVE_OK) {
        paid(ctx, b, ev, list);
    } else if (st == CLAVE_ERR_LIMIT || st == CLAVE_ERR_STATE) {
        char eps[32], why[256];
        const struct clave_dp_budget_key *k = &b->keys[failed < b->n ? failed : 0];
        snprintf(eps, sizeof(eps), "%.9g", b->epsilon);
        snprintf(why, sizeof(why), "%s (%.64s for %.64s); nothing was charged",
                 st == CLAVE_ERR_LIMIT ? "the debit exceeds the remaining budget"
                                       : "the contract gives this party no budget",
                 k->party, k->dataset);
        struct clave_log_field f[] = {{"contract", b->contract}, {"dataset", k->dataset},
                                      {"party", k->party},       {"epsilon", eps},
                                      {"evidence_sha256", ev},   {"reason", why}};
        if (claved_audit_or_fail(ctx, "kbs.budget.deny", f, 6)) {
            claved_error(ctx, 403, st == CLAVE_ERR_LIMIT ? "budget_exhausted" : "policy_denied",
                         why);
        }
    } else {
        claved_store_error(ctx, st);
    }
}

/* Both routes: the EAR token's session, the request, every (dataset, party) checked against
 * the contract, then the charge. */
static void debit_route(struct claved_ctx *ctx, bool list)
{
    struct claved_kbs_session s;
    struct clave_contract *c = NULL;
    struct debits *b = calloc(1, sizeof(*b));
    char reason[CLAVE_KBS_REASON_MAX];
    if (b == NULL) {
        claved_error(ctx, 500, "internal", "out of memory");
        return;
    }
    if (!claved_kbs_token_session(ctx, &s)) {
        free(b);
        return;
    }
    if (!(list ? parse_list(ctx, b) : parse_one(ctx, b))) {
        goto done;
    }
    clave_status st = claved_kbs_contract_load(ctx->store, b->contract, &c);
    if (st != CLAVE_OK) {
        claved_store_error(ctx, st);
        goto done;
    }
    for (size_t i = 0; i < b->n; i++) {
        st = debit_check(ctx, &s, c, b->keys[i].dataset, b->keys[i].party, reason);
        if (st != CLAVE_OK) {
            debit_refused(ctx, st, b->contract, reason);
            goto done;
        }
    }
    charge(ctx, b, c, &s.claims, list);
done:
    clave_contract_free(c);
    claved_kbs_session_clear(&s);
    free(b);
}

void claved_h_kbs_budget_debit(struct claved_ctx *ctx)
{
    debit_route(ctx, false);
}

void claved_h_kbs_budget_debits(struct claved_ctx *ctx)
{
    debit_route(ctx, true);
}
