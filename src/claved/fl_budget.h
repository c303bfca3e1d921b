/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Client-level DP of a federation in claved's budget ledger (docs/fl.md "Over the coordinator",
 * "Privacy budget"): before round k runs, each party with a client in the federation pays the
 * round's incremental epsilon eps(k) - eps(k-1) of the RDP accountant (clave_fl_dp_epsilon; the
 * delta once, with round 1) from its budget under the key (collaboration, contract, "fl", party),
 * with the cap the contract's output.budgets gives the party (as for query contracts). A round's
 * debits are one ledger transaction over claved's store (SQLite or PostgreSQL): every party is
 * charged or none (clave_dp_ledger_debit_all); a refused round ends the federation before its
 * model exists.
 *
 * Thread-safety: used under the federation registry lock (fl_coord.h).
 */
#ifndef CLAVED_FL_BUDGET_H
#define CLAVED_FL_BUDGET_H

#include "claved.h"

#include <clave/fl.h>

#define CLAVED_FL_BUDGET_DATASET "fl" /* the dataset part of the ledger key */
#define CLAVED_FL_NAME_MAX 64

struct claved_fl_party {
    char name[CLAVED_FL_NAME_MAX + 1];
    double epsilon_cap, delta_cap;     /* from the contract */
    double epsilon_spent, delta_spent; /* in the ledger after the last debit (0 before) */
    uint32_t paid_round;               /* the last round this party paid for */
};

struct claved_fl_budget {
    char collaboration[CLAVED_FL_NAME_MAX + 1];
    char contract[65];
    struct claved_fl_party *parties; /* one per distinct party with a client */
    uint32_t count, cap;
};

/* A table for up to `cap` parties (caller frees with claved_fl_budget_clear). */
clave_status claved_fl_budget_init(struct claved_fl_budget *b, const char *collaboration,
                                   const char *contract, uint32_t cap);
void claved_fl_budget_clear(struct claved_fl_budget *b);

/* Add `party` with its contract caps unless it is there already. CLAVE_ERR_LIMIT when full. */
clave_status claved_fl_budget_add(struct claved_fl_budget *b, const char *party, double epsilon_cap,
                                  double delta_cap);

/* The contract's budget for `party` (output.budgets): false when it gives none. */
bool claved_fl_budget_of(const struct clave_contract *c, const char *party, double *epsilon_cap,
                         double *delta_cap);

/*
 * Debit round `round` under `cfg` from every party that has not paid for it yet, audited
 * ("fl.budget.debit", "fl.budget.deny"), all in one transaction. CLAVE_OK: all paid;
 * CLAVE_ERR_LIMIT: a party's budget refused it (`why` names the party) and nobody was charged;
 * CLAVE_ERR_STORE and others: the store or the audit ledger failed (a committed round is
 * remembered: a retry charges nobody twice).
 */
clave_status claved_fl_budget_pay(struct claved_ctx *ctx, struct claved_fl_budget *b,
                                  const struct clave_fl_config *cfg, uint32_t round, char *why,
                                  size_t why_cap);

/* [{"party","epsilon_cap","epsilon_spent","delta_cap","delta_spent","paid_round"}] */
json_t *claved_fl_budget_json(const struct claved_fl_budget *b);

#endif
