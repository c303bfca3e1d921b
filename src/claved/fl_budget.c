/* SPDX-License-Identifier: Apache-2.0 */
/* A federation's per-party DP budget debits in claved's ledger (fl_budget.h). */
#include "fl_budget.h"

#include "audit_hook.h"

#include <clave/contract.h>
#include <clave/dp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FL_DEBIT_WHO "claved-fl"
#define FL_DEBIT_MECHANISM "discrete-gaussian" /* distributed DP: shares under SecAgg+ */
#define FL_DEBIT_ACCOUNTANT "rdp"

clave_status claved_fl_budget_init(struct claved_fl_budget *b, const char *collaboration,
                                   const char *contract, uint32_t cap)
{
    memset(b, 0, sizeof(*b));
    if (strlen(collaboration) >= sizeof(b->collaboration) || strlen(contract) >= 65) {
        return CLAVE_ERR_ARG;
    }
    b->parties = calloc(cap, sizeof(*b->parties));
    if (b->parties == NULL) {
        return CLAVE_ERR_NOMEM;
    }
    memcpy(b->collaboration, collaboration, strlen(collaboration) + 1);
    memcpy(b->contract, contract, strlen(contract) + 1);
    b->cap = cap;
    return CLAVE_OK;
}

void claved_fl_budget_clear(struct claved_fl_budget *b)
{
    free(b->parties);
    memset(b, 0, sizeof(*b));
}

clave_status claved_fl_budget_add(struct claved_fl_budget *b, const char *party, double epsilon_cap,
                                  double delta_cap)
{
    for (uint32_t i = 0; i < b->count; i++) {
        if (strcmp(b->parties[i].name, party) == 0) {
            return CLAVE_OK;
        }
    }
    if (b->count >= b->cap || strlen(party) > CLAVED_FL_NAME_MAX) {
        return CLAVE_ERR_LIMIT;
    }
    struct claved_fl_party *p = &b->parties[b->count++];
    memcpy(p->name, party, strlen(party) + 1);
    p->epsilon_cap = epsilon_cap;
    p->delta_cap = delta_cap;
    return CLAVE_OK;
}

bool claved_fl_budget_of(const struct clave_contract *c, const char *party, double *epsilon_cap,
                         double *delta_cap)
{
    for (size_t i = 0; i < clave_contract_budget_count(c); i++) {
        struct clave_contract_budget x = clave_contract_budget(c, i);
        if (strcmp(x.party, party) == 0) {
            *epsilon_cap = (double)x.epsilon_micro / 1e6;
            *delta_cap = (double)x.delta_pico / 1e12;
            return true;
        }
    }
    return false;
}

static struct clave_dp_budget_key key_of(const struct claved_fl_budget *b,
                                         const struct claved_fl_party *p)
{
    return (struct clave_dp_budget_key){b->collaboration, b->contract, CLAVED_FL_BUDGET_DATASET,
                                        p->name};
}

/* The party's budget exists in the ledger: the contract's cap is set on first use (as
 * handlers_budget.c); a cap set before this federation is kept. */
static clave_status ensure_budget(struct clave_dp_ledger *ledger, const struct claved_fl_budget *b,
                                  const struct claved_fl_party *p, int64_t now)
{
    struct clave_dp_budget_key key = key_of(b, p);
    struct clave_dp_budget cap = {p->epsilon_cap, p->delta_cap, 0};
    struct clave_dp_budget_status cur;
    clave_status st = clave_dp_ledger_status(ledger, &key, now, &cur);
    return st == CLAVE_ERR_NOT_FOUND ? clave_dp_ledger_set_budget(ledger, &key, &cap) : st;
}

/* What the ledger holds for the party now. */
static void refresh(struct clave_dp_ledger *ledger, const struct claved_fl_budget *b,
                    struct claved_fl_party *p, int64_t now)
{
    struct clave_dp_budget_key key = key_of(b, p);
    struct clave_dp_budget_status cur;
    if (clave_dp_ledger_status(ledger, &key, now, &cur) == CLAVE_OK) {
        p->epsilon_cap = cur.epsilon_cap;
        p->delta_cap = cur.delta_cap;
        p->epsilon_spent = cur.epsilon_spent;
        p->delta_spent = cur.delta_spent;
    }
}

static clave_status audit_debit(struct claved_ctx *ctx, const struct claved_fl_budget *b,
                                const struct claved_fl_party *p, uint32_t round, double eps,
                                bool paid)
{
    char round_text[16], eps_text[32], spent[32];
    snprintf(round_text, sizeof(round_text), "%u", round);
    snprintf(eps_text, sizeof(eps_text), "%.9g", eps);
    snprintf(spent, sizeof(spent), "%.9g", p->epsilon_spent);
    struct clave_log_field f[] = {{"contract", b->contract},
                                  {"party", p->name},
                                  {"dataset", CLAVED_FL_BUDGET_DATASET},
                                  {"round", round_text},
                                  {"epsilon", eps_text},
                                  {"epsilon_spent", spent},
                                  {"reason", paid ? "debited" : "budget exhausted"}};
    return claved_audit(ctx, paid ? "fl.budget.debit" : "fl.budget.deny", f,
                        sizeof(f) / sizeof(f[0]));
}

/* Every party that has not paid for `round` pays `d`, in one ledger transaction: all or none. */
static clave_status pay_all(struct claved_ctx *ctx, struct claved_fl_budget *b,
                            const struct clave_dp_debit *d, uint32_t round, char *why,
                            size_t why_cap)
{
    struct clave_dp_ledger *ledger = NULL;
    struct clave_dp_budget_key *keys = calloc(b->count == 0 ? 1 : b->count, sizeof(*keys));
    uint32_t *who = calloc(b->count == 0 ? 1 : b->count, sizeof(*who));
    size_t n = 0, failed = 0;
    clave_status st =
        keys != NULL && who != NULL ? clave_dp_ledger_open(ctx->store, &ledger) : CLAVE_ERR_NOMEM;
    for (uint32_t i = 0; st == CLAVE_OK && i < b->count; i++) {
        if (b->parties[i].paid_round < round) {
            st = ensure_budget(ledger, b, &b->parties[i], ctx->now);
            keys[n] = key_of(b, &b->parties[i]);
            who[n++] = i;
        }
    }
    if (st == CLAVE_OK && n > 0) {
        st = clave_dp_ledger_debit_all(ledger, keys, n, d, ctx->now, &failed, NULL);
    }
    for (size_t k = 0; ledger != NULL && k < n; k++) {
        refresh(ledger, b, &b->parties[who[k]], ctx->now);
    }
    if (st == CLAVE_ERR_LIMIT) {
        struct claved_fl_party *p = &b->parties[who[failed]];
        snprintf(why, why_cap,
                 "privacy budget spent: %s's budget (epsilon %.6g, delta %.3g) cannot pay round "
                 "%u (epsilon %.6g); no party was charged for it",
                 p->name, p->epsilon_cap, p->delta_cap, round, d->epsilon);
        clave_status a = audit_debit(ctx, b, p, round, d->epsilon, false);
        st = a == CLAVE_OK ? CLAVE_ERR_LIMIT : a;
    } else if (st == CLAVE_OK) {
        for (size_t k = 0; k < n && st == CLAVE_OK; k++) {
            struct claved_fl_party *p = &b->parties[who[k]];
            p->paid_round = round;
            st = audit_debit(ctx, b, p, round, d->epsilon, true);
        }
    }
    clave_dp_ledger_free(ledger);
    free(keys);
    free(who);
    return st;
}

clave_status claved_fl_budget_pay(struct claved_ctx *ctx, struct claved_fl_budget *b,
                                  const struct clave_fl_config *cfg, uint32_t round, char *why,
                                  size_t why_cap)
{
    double now = 0.0, before = 0.0;
    char what[48];
    snprintf(why, why_cap, "%s", "");
    clave_status st = clave_fl_dp_epsilon(cfg, round, &now);
    if (st == CLAVE_OK && round > 1) {
        st = clave_fl_dp_epsilon(cfg, round - 1, &before);
    }
    if (st != CLAVE_OK) {
        return st;
    }
    snprintf(what, sizeof(what), "fl round %u", round);
    /* The ledger rounds each debit up: the debits of rounds 1..k sum to at least eps(k). */
    struct clave_dp_debit d = {FL_DEBIT_WHO,        what,         FL_DEBIT_MECHANISM,
                               FL_DEBIT_ACCOUNTANT, now - before, round == 1 ? cfg->dp_delta : 0.0};
    return pay_all(ctx, b, &d, round, why, why_cap);
}

json_t *claved_fl_budget_json(const struct claved_fl_budget *b)
{
    json_t *a = json_array();
    for (uint32_t i = 0; a != NULL && i < b->count; i++) {
        const struct claved_fl_party *p = &b->parties[i];
        json_array_append_new(a, json_pack("{s:s,s:s,s:f,s:f,s:f,s:f,s:I}", "party", p->name,
                                           "dataset", CLAVED_FL_BUDGET_DATASET, "epsilon_cap",
                                           p->epsilon_cap, "epsilon_spent", p->epsilon_spent,
                                           "delta_cap", p->delta_cap, "delta_spent", p->delta_spent,
                                           "paid_round", (json_int_t)p->paid_round));
    }
    return a;
}
