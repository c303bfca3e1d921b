/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Budget ledger: validation and fixed-point conversion in front of the store (ledger_store.c).
 * Rounding is conservative: debits round up, caps round down (after snapping values within 1e-6
 * of a unit, i.e. decimal inputs), so the sum of recorded debits in a window never exceeds the
 * cap.
 */
#include "dp/ledger.h"
#include "dp/params.h"

#include "core/check.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A debit waits this long for another process's write lock before failing (the file-path
 * convenience; callers that open the store themselves choose their own busy timeout). */
#define DP_SQLITE_BUSY_TIMEOUT_MS 30000u

int64_t dp__window_start(int64_t window_seconds, int64_t now)
{
    if (window_seconds <= 0) {
        return 0;
    }
    int64_t q = now / window_seconds;
    if (now % window_seconds < 0) {
        q--;
    }
    return q * window_seconds;
}

static clave_status check_text(const char *name, const char *s)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(s != NULL && s[0] != '\0', CLAVE_ERR_ARG, "dp ledger: %s is empty", name);
    CLAVE_ENSURE(strlen(s) <= DP_KEY_MAX, CLAVE_ERR_ARG, "dp ledger: %s longer than %d bytes", name,
                 DP_KEY_MAX);
    st = CLAVE_OK;
done:
    return st;
}

static clave_status check_key(const struct clave_dp_budget_key *k)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(k != NULL, CLAVE_ERR_ARG, "dp ledger: key is NULL");
    CLAVE_CHECK(check_text("collaboration", k->collaboration));
    CLAVE_CHECK(check_text("contract", k->contract));
    CLAVE_CHECK(check_text("dataset", k->dataset));
    CLAVE_CHECK(check_text("party", k->party));
    st = CLAVE_OK;
done:
    return st;
}

/* Fixed point: a value within 1e-6 of a unit (decimal input such as 0.1 whose double is a hair
 * off) snaps to it; anything else rounds up (debits) or down (caps). */
static int64_t to_units(double x, double units, bool up)
{
    double u = x * units, r = nearbyint(u);
    if (fabs(u - r) <= 1e-6) {
        return (int64_t)r;
    }
    return (int64_t)(up ? ceil(u) : floor(u));
}

static struct dp_amount round_up(double eps, double delta)
{
    return (struct dp_amount){to_units(eps, DP_EPS_UNITS, true),
                              to_units(delta, DP_DELTA_UNITS, true)};
}

clave_status clave_dp_ledger_open(struct clave_store *store, struct clave_dp_ledger **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_dp_ledger *l = NULL;
    CLAVE_ENSURE(out != NULL && store != NULL, CLAVE_ERR_ARG, "dp ledger: NULL argument");
    *out = NULL;
    CLAVE_ENSURE(!clave_store_in_tx(store), CLAVE_ERR_STATE,
                 "dp ledger: the store has a transaction open");
    CLAVE_CHECK(dp__store_migrate(store));
    l = calloc(1, sizeof(*l));
    CLAVE_ENSURE_ALLOC(l);
    l->store = store;
    *out = l;
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_dp_ledger_open_sqlite(const char *path, struct clave_dp_ledger **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_store *store = NULL;
    CLAVE_ENSURE(out != NULL && path != NULL, CLAVE_ERR_ARG, "dp ledger: NULL argument");
    *out = NULL;
    struct clave_store_config cfg = {CLAVE_STORE_SQLITE, path, NULL, DP_SQLITE_BUSY_TIMEOUT_MS};
    CLAVE_CHECK(clave_store_open(&cfg, &store));
    CLAVE_CHECK(clave_dp_ledger_open(store, out));
    (*out)->owned = true;
    store = NULL;
    st = CLAVE_OK;
done:
    clave_store_close(store);
    return st;
}

void clave_dp_ledger_free(struct clave_dp_ledger *ledger)
{
    if (ledger == NULL) {
        return;
    }
    if (ledger->owned) {
        clave_store_close(ledger->store);
    }
    free(ledger);
}

clave_status clave_dp_ledger_set_budget(struct clave_dp_ledger *ledger,
                                        const struct clave_dp_budget_key *key,
                                        const struct clave_dp_budget *b)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(ledger != NULL && b != NULL, CLAVE_ERR_ARG, "dp ledger: NULL argument");
    CLAVE_CHECK(check_key(key));
    CLAVE_CHECK(dp__check_range("epsilon_cap", b->epsilon_cap, 0.0, false, 1e6, false));
    CLAVE_CHECK(dp__check_range("delta_cap", b->delta_cap, 0.0, false, 1.0, false));
    CLAVE_ENSURE(b->window_seconds >= 0, CLAVE_ERR_ARG, "dp ledger: window_seconds < 0");
    struct dp_amount cap = {to_units(b->epsilon_cap, DP_EPS_UNITS, false),
                            to_units(b->delta_cap, DP_DELTA_UNITS, false)};
    CLAVE_CHECK(
        dp__store_set_budget(ledger->store, key, cap, b->window_seconds, (int64_t)time(NULL)));
    st = CLAVE_OK;
done:
    return st;
}

static clave_status check_debit(const struct clave_dp_debit *debit)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(debit != NULL, CLAVE_ERR_ARG, "dp ledger: NULL argument");
    CLAVE_CHECK(check_text("who", debit->who));
    CLAVE_CHECK(check_text("what", debit->what));
    CLAVE_CHECK(check_text("mechanism", debit->mechanism));
    CLAVE_CHECK(check_text("accountant", debit->accountant));
    CLAVE_CHECK(dp__check_range("epsilon", debit->epsilon, 0.0, false, 1e6, false));
    CLAVE_CHECK(dp__check_range("delta", debit->delta, 0.0, false, 1.0, false));
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_dp_ledger_debit(struct clave_dp_ledger *ledger,
                                   const struct clave_dp_budget_key *key,
                                   const struct clave_dp_debit *debit, int64_t now,
                                   struct clave_dp_debit_record *record)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct dp_debit_result res = {0};
    if (record != NULL) {
        *record = (struct clave_dp_debit_record){0};
    }
    CLAVE_ENSURE(ledger != NULL, CLAVE_ERR_ARG, "dp ledger: NULL argument");
    CLAVE_CHECK(check_key(key));
    CLAVE_CHECK(check_debit(debit));
    struct dp_debit_units u = {debit, round_up(debit->epsilon, debit->delta)};
    CLAVE_CHECK(dp__store_debit(ledger->store, key, &u, now, &res));
    if (record != NULL) {
        *record = (struct clave_dp_debit_record){
            res.id,
            now,
            (double)u.amount.epsilon / DP_EPS_UNITS,
            (double)u.amount.delta / DP_DELTA_UNITS,
            (double)res.remaining.epsilon / DP_EPS_UNITS,
            (double)res.remaining.delta / DP_DELTA_UNITS,
        };
    }
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_dp_ledger_debit_all(struct clave_dp_ledger *ledger,
                                       const struct clave_dp_budget_key *keys, size_t count,
                                       const struct clave_dp_debit *debit, int64_t now,
                                       size_t *failed, struct clave_dp_debit_record *records)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    size_t at = 0;
    struct dp_debit_result *res = NULL;
    CLAVE_ENSURE(ledger != NULL && keys != NULL && failed != NULL, CLAVE_ERR_ARG,
                 "dp ledger: NULL argument");
    *failed = 0;
    CLAVE_ENSURE(count >= 1 && count <= CLAVE_DP_LEDGER_MAX_KEYS, CLAVE_ERR_ARG,
                 "dp ledger: %zu keys in one debit (1..%d)", count, CLAVE_DP_LEDGER_MAX_KEYS);
    for (size_t i = 0; i < count; i++) {
        *failed = i;
        CLAVE_CHECK(check_key(&keys[i]));
    }
    CLAVE_CHECK(check_debit(debit));
    struct dp_debit_units u = {debit, round_up(debit->epsilon, debit->delta)};
    if (records != NULL) {
        res = calloc(count, sizeof(*res));
        CLAVE_ENSURE_ALLOC(res);
    }
    st = dp__store_debit_all(ledger->store, keys, count, &u, now, &at, res);
    *failed = at;
    CLAVE_CHECK(st);
    for (size_t i = 0; records != NULL && i < count; i++) {
        records[i] = (struct clave_dp_debit_record){
            res[i].id,
            now,
            (double)u.amount.epsilon / DP_EPS_UNITS,
            (double)u.amount.delta / DP_DELTA_UNITS,
            (double)res[i].remaining.epsilon / DP_EPS_UNITS,
            (double)res[i].remaining.delta / DP_DELTA_UNITS,
        };
    }
    st = CLAVE_OK;
done:
    free(res);
    return st;
}

clave_status clave_dp_ledger_status(struct clave_dp_ledger *ledger,
                                    const struct clave_dp_budget_key *key, int64_t now,
                                    struct clave_dp_budget_status *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct dp_status_units u = {0};
    CLAVE_ENSURE(ledger != NULL && out != NULL, CLAVE_ERR_ARG, "dp ledger: NULL argument");
    *out = (struct clave_dp_budget_status){0};
    CLAVE_CHECK(check_key(key));
    CLAVE_CHECK(dp__store_status(ledger->store, key, now, &u));
    *out = (struct clave_dp_budget_status){
        (double)u.cap.epsilon / DP_EPS_UNITS,
        (double)u.cap.delta / DP_DELTA_UNITS,
        (double)u.spent.epsilon / DP_EPS_UNITS,
        (double)u.spent.delta / DP_DELTA_UNITS,
        u.window_start,
        u.window_seconds,
    };
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_dp_ledger_preview(struct clave_dp_ledger *ledger,
                                     const struct clave_dp_budget_key *key, double epsilon,
                                     double delta, int64_t now, uint64_t *queries_left)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct dp_status_units u = {0};
    CLAVE_ENSURE(ledger != NULL && queries_left != NULL, CLAVE_ERR_ARG, "dp ledger: NULL argument");
    *queries_left = 0;
    CLAVE_CHECK(check_key(key));
    CLAVE_CHECK(dp__check_range("epsilon", epsilon, 0.0, true, 1e6, false));
    CLAVE_CHECK(dp__check_range("delta", delta, 0.0, false, 1.0, false));
    CLAVE_CHECK(dp__store_status(ledger->store, key, now, &u));
    struct dp_amount q = round_up(epsilon, delta);
    int64_t left_eps = u.cap.epsilon - u.spent.epsilon, left_delta = u.cap.delta - u.spent.delta;
    uint64_t n = left_eps <= 0 ? 0 : (uint64_t)(left_eps / q.epsilon);
    if (q.delta > 0) {
        uint64_t nd = left_delta <= 0 ? 0 : (uint64_t)(left_delta / q.delta);
        n = nd < n ? nd : n;
    }
    *queries_left = n;
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_dp_ledger_records(struct clave_dp_ledger *ledger,
                                     const struct clave_dp_budget_key *key, clave_dp_record_fn fn,
                                     void *ctx)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(ledger != NULL && fn != NULL, CLAVE_ERR_ARG, "dp ledger: NULL argument");
    CLAVE_CHECK(check_key(key));
    CLAVE_CHECK(dp__store_records(ledger->store, key, fn, ctx));
    st = CLAVE_OK;
done:
    return st;
}
