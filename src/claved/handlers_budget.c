/* SPDX-License-Identifier: Apache-2.0 */
/*
 * POST /kbs/v0/budget/debit: the runner debits a party's differential-privacy budget before it
 * releases a result. Authorised by the EAR token from /kbs/v0/attest (Authorization: Bearer);
 * the workload must still satisfy the contract for the dataset. The debit is one transaction of
 * the DP ledger over the same store, so concurrent debits never overspend.
 */
#include "handlers.h"
#include "kbs.h"
#include "kbs_db.h"

#include <clave/dp.h>
#include <stdio.h>
#include <string.h>

#define BEARER "Bearer "

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

struct debit_req {
    const char *contract, *dataset, *party, *what;
    double epsilon, delta;
};

static bool parse_debit(struct claved_ctx *ctx, struct debit_req *r)
{
    json_t *e = json_object_get(ctx->body, "epsilon");
    json_t *d = json_object_get(ctx->body, "delta");
    if (!claved_body_string(ctx, "contract", true, 64, &r->contract) ||
        !claved_body_string(ctx, "dataset", true, 64, &r->dataset) ||
        !claved_body_string(ctx, "party", true, 64, &r->party) ||
        !claved_body_string(ctx, "what", false, 256, &r->what)) {
        return false;
    }
    if (!json_is_number(e) || (d != NULL && !json_is_number(d))) {
        claved_error(ctx, 400, "invalid_field", "body.epsilon/delta: expected numbers");
        return false;
    }
    r->epsilon = json_number_value(e);
    r->delta = d != NULL ? json_number_value(d) : 0.0;
    if (!(r->epsilon > 0 && r->epsilon <= 1000) || !(r->delta >= 0 && r->delta < 1)) {
        claved_error(ctx, 400, "invalid_field", "body.epsilon in (0, 1000], delta in [0, 1)");
        return false;
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

static void debit(struct claved_ctx *ctx, const struct debit_req *r, const struct clave_contract *c,
                  const struct clave_kbs_claims *claims)
{
    struct clave_dp_ledger *ledger = NULL;
    struct clave_dp_budget b;
    struct clave_dp_budget_key key = {clave_contract_collaboration(c), r->contract, r->dataset,
                                      r->party};
    struct clave_dp_debit dbt = {
        "kbs",      r->what != NULL && r->what[0] != '\0' ? r->what : "runner debit",
        "runner",   "basic",
        r->epsilon, r->delta};
    struct clave_dp_debit_record rec;
    char ev[65] = "";
    if (clave_hex_encode(claims->evidence_sha256, 32, ev, sizeof(ev)) != CLAVE_OK) {
        /* stays empty */
    }
    if (!budget_of(c, r->party, &b)) {
        claved_error(ctx, 403, "policy_denied", "the contract gives this party no budget");
        return;
    }
    clave_status st = clave_dp_ledger_open(ctx->store, &ledger);
    if (st == CLAVE_OK) {
        st = clave_dp_ledger_debit(ledger, &key, &dbt, ctx->now, &rec);
        if (st == CLAVE_ERR_NOT_FOUND) { /* first debit: the budget the contract sets */
            st = clave_dp_ledger_set_budget(ledger, &key, &b);
            st = st == CLAVE_OK ? clave_dp_ledger_debit(ledger, &key, &dbt, ctx->now, &rec) : st;
        }
    }
    clave_dp_ledger_free(ledger);
    char eps[32];
    snprintf(eps, sizeof(eps), "%.9g", r->epsilon);
    struct clave_log_field f[] = {
        {"contract", r->contract}, {"dataset", r->dataset},
        {"party", r->party},       {"epsilon", eps},
        {"evidence_sha256", ev},   {"reason", st == CLAVE_OK ? "debited" : "budget exhausted"}};
    if (st == CLAVE_ERR_LIMIT) {
        if (claved_audit_or_fail(ctx, "kbs.budget.deny", f, 6)) {
            claved_error(ctx, 403, "budget_exhausted", "the debit exceeds the remaining budget");
        }
    } else if (st != CLAVE_OK) {
        claved_store_error(ctx, st);
    } else if (claved_audit_or_fail(ctx, "kbs.budget.debit", f, 6)) {
        claved_json(ctx, 200,
                    json_pack("{s:I,s:f,s:f}", "debit_id", (json_int_t)rec.id, "epsilon_remaining",
                              rec.epsilon_remaining, "delta_remaining", rec.delta_remaining));
    }
}

/* FL contracts (docs/fl.md "Aggregation in an attested runner"): the parties' data never
 * reaches the broker, so no dataset record exists; the dataset must be the contract's and its
 * owner the debited party, and the workload must be the contract's (binding, active, reference
 * values, TCB under the collateral in force now). */
static void fl_debit(struct claved_ctx *ctx, const struct claved_kbs_session *s,
                     const struct debit_req *r, const struct clave_contract *c)
{
    struct clave_kbs_claims now;
    char reason[CLAVE_KBS_REASON_MAX] = "dataset: not in the contract, or not the party's";
    bool named = false;
    for (size_t i = 0; i < clave_contract_dataset_count(c); i++) {
        struct clave_contract_dataset d = clave_contract_dataset(c, i);
        named = named || (strcmp(d.id, r->dataset) == 0 && strcmp(d.owner, r->party) == 0);
    }
    bool usable = named && claved_kbs_collateral_check(ctx->app->kbs, false, NULL) == CLAVE_OK &&
                  claved_kbs_platform_claims(ctx->app->kbs, &s->claims, &now, reason);
    if (named && !usable) {
        snprintf(reason, CLAVE_KBS_REASON_MAX, "tcb: collateral unusable");
    }
    if (!usable || !clave_kbs_appraise_workload(c, (uint64_t)ctx->now,
                                                ctx->app->cfg.kbs_trust_sim != 0, &now, reason)) {
        struct clave_log_field f[] = {{"contract", r->contract}, {"reason", reason}};
        if (claved_audit_or_fail(ctx, "kbs.budget.deny", f, 2)) {
            claved_error(ctx, 403, "policy_denied", reason);
        }
        return;
    }
    debit(ctx, r, c, &s->claims);
}

void claved_h_kbs_budget_debit(struct claved_ctx *ctx)
{
    struct claved_kbs_session s;
    struct debit_req r;
    struct clave_contract *c = NULL;
    struct claved_kbs_dataset d;
    char reason[CLAVE_KBS_REASON_MAX];
    memset(&d, 0, sizeof(d));
    memset(&r, 0, sizeof(r));
    if (!claved_kbs_token_session(ctx, &s)) {
        return;
    }
    if (!parse_debit(ctx, &r)) {
        goto done;
    }
    clave_status st = claved_kbs_contract_load(ctx->store, r.contract, &c);
    if (st == CLAVE_OK && clave_contract_computation_kind(c) == CLAVE_COMPUTATION_FL) {
        fl_debit(ctx, &s, &r, c); /* an attested FL aggregator: the data stays with the parties */
        goto done;
    }
    if (st == CLAVE_OK) {
        st = claved_kbs_dataset_get(ctx->store, clave_contract_collaboration(c), r.dataset, &d);
    }
    if (st != CLAVE_OK) {
        claved_store_error(ctx, st);
        goto done;
    }
    /* The platform's TCB status under the collateral in force now, as for a release. */
    struct clave_kbs_claims now;
    char platform[CLAVE_KBS_REASON_MAX];
    bool usable = claved_kbs_collateral_check(ctx->app->kbs, false, NULL) == CLAVE_OK &&
                  claved_kbs_platform_claims(ctx->app->kbs, &s.claims, &now, platform);
    struct clave_kbs_release rel = {
        c, (uint64_t)ctx->now, d.id, d.sha256, d.region, ctx->app->cfg.kbs_trust_sim != 0, &now};
    if (!usable) {
        snprintf(reason, CLAVE_KBS_REASON_MAX, "tcb: collateral unusable");
    }
    if (!usable || !clave_kbs_appraise(&rel, reason)) {
        struct clave_log_field f[] = {{"contract", r.contract}, {"reason", reason}};
        if (claved_audit_or_fail(ctx, "kbs.budget.deny", f, 2)) {
            claved_error(ctx, 403, "policy_denied", reason);
        }
        goto done;
    }
    debit(ctx, &r, c, &s.claims);
done:
    clave_contract_free(c);
    claved_kbs_dataset_clear(&d);
    claved_kbs_session_clear(&s);
}
