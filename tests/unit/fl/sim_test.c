/* SPDX-License-Identifier: Apache-2.0 */
/* Federated learning end to end in one process on a generated breast-cancer-like table:
 * convergence, secure aggregation equal to plain FedAvg up to the fixed-point resolution, 30 %
 * dropouts mid-round, hostile clients rejected without effect on the others, DP accounting equal
 * to the accountant and paid in the ledger, the budget stopping training, every strategy and
 * robust aggregator, and configuration errors. */
#include "fl_data.h"

static struct clave_fl_config base(clave_fl_protection protection)
{
    struct clave_fl_config c = clave_fl_config_default();
    c.model.kind = CLAVE_ML_LOGISTIC;
    c.model.inputs = FLD_FEATURES;
    c.local.learning_rate = 0.05;
    c.local.batch_size = 16;
    c.clients = 10;
    c.clients_per_round = 10;
    c.min_clients = 5;
    c.rounds = 5;
    c.protection = protection;
    memset(c.seed, 7, sizeof(c.seed));
    return c;
}

/* Run `rounds` rounds; returns the last report; the final model's parameters into `params`. */
static struct clave_fl_round_report run(const struct clave_fl_config *c, struct fld_parts *d,
                                        const struct clave_fl_sim_faults *f, double *params)
{
    struct clave_fl_sim *sim = NULL;
    struct clave_fl_round_report rep;
    T_OK(clave_fl_sim_new(c, d->train, d->test, f, NULL, NULL, &sim));
    for (uint32_t r = 0; r < c->rounds; r++) {
        T_OK(clave_fl_sim_round(sim, r + 1 == c->rounds, &rep, NULL, NULL));
        assert_int_equal(rep.round, r + 1);
        assert_false(rep.aborted);
    }
    size_t n = 0;
    const double *w = clave_ml_model_params(clave_fl_sim_model(sim), &n);
    if (params != NULL) {
        memcpy(params, w, n * sizeof(double));
    }
    clave_fl_sim_free(sim);
    return rep;
}

static void test_fedavg_and_secagg_exact(void **state)
{
    (void)state;
    struct fld_parts d;
    fld_make(400, 10, 0.0, &d);
    double plain[FLD_FEATURES + 1], masked[FLD_FEATURES + 1];
    struct clave_fl_config c = base(CLAVE_FL_PLAIN);
    struct clave_fl_round_report a = run(&c, &d, NULL, plain);
    assert_true(a.eval_accuracy > 0.9);
    assert_int_equal(a.reported, 10);
    assert_int_equal(a.eval_examples, 100);
    assert_true(a.train_loss > 0.0 && a.train_loss < 0.5);
    c = base(CLAVE_FL_SECAGG);
    struct clave_fl_round_report b = run(&c, &d, NULL, masked);
    assert_int_equal(b.reported, 10);
    /* Each round rounds every weighted coordinate to 2^-24 before the exact sum. */
    for (size_t i = 0; i <= FLD_FEATURES; i++) {
        if (fabs(plain[i] - masked[i]) > 1e-6) {
            fail_msg("parameter %zu: plain %.9g, secagg %.9g", i, plain[i], masked[i]);
        }
    }
    assert_true(fabs(a.eval_accuracy - b.eval_accuracy) < 0.02);
    assert_true(fabs(a.train_loss - b.train_loss) < 1e-6);
    fld_free(&d);
}

static void test_dropouts(void **state)
{
    (void)state;
    struct fld_parts d;
    fld_make(400, 10, 0.5, &d);
    struct clave_fl_sim_faults f = {0.3, 0, 0};
    for (int p = CLAVE_FL_PLAIN; p <= CLAVE_FL_SECAGG; p++) {
        struct clave_fl_config c = base((clave_fl_protection)p);
        c.rounds = 3;
        c.min_clients = 6;
        struct clave_fl_round_report r = run(&c, &d, &f, NULL);
        assert_int_equal(r.reported, 7);
        assert_int_equal(r.rejected, 0);
        assert_true(r.eval_accuracy > 0.8);
    }
    /* Below the threshold the round aborts and the model is unchanged. */
    struct clave_fl_config c = base(CLAVE_FL_SECAGG);
    c.min_clients = 8;
    struct clave_fl_sim *sim = NULL;
    struct clave_fl_round_report r;
    T_OK(clave_fl_sim_new(&c, d.train, d.test, &f, NULL, NULL, &sim));
    double before[FLD_FEATURES + 1];
    memcpy(before, clave_ml_model_params(clave_fl_sim_model(sim), NULL), sizeof(before));
    T_OK(clave_fl_sim_round(sim, false, &r, NULL, NULL));
    assert_true(r.aborted);
    assert_memory_equal(before, clave_ml_model_params(clave_fl_sim_model(sim), NULL),
                        sizeof(before));
    clave_fl_sim_free(sim);
    fld_free(&d);
}

/* Hostile clients are rejected, and the model is exactly the one where they stayed silent. */
static void test_malicious(void **state)
{
    (void)state;
    struct fld_parts d;
    fld_make(400, 10, 0.0, &d);
    for (int p = CLAVE_FL_PLAIN; p <= CLAVE_FL_SECAGG; p++) {
        struct clave_fl_config c = base((clave_fl_protection)p);
        c.rounds = 4; /* every corruption variant for both hostile clients */
        double hostile[FLD_FEATURES + 1], quiet[FLD_FEATURES + 1];
        struct clave_fl_sim_faults bad = {0.0, 2, 0}, silent = {0.0, 0, 2};
        struct clave_fl_round_report a = run(&c, &d, &bad, hostile);
        assert_int_equal(a.rejected, 2);
        assert_int_equal(a.reported, 8);
        struct clave_fl_round_report b = run(&c, &d, &silent, quiet);
        assert_int_equal(b.rejected, 0);
        assert_memory_equal(hostile, quiet, sizeof(hostile));
        assert_true(a.eval_accuracy > 0.9);
    }
    fld_free(&d);
}

static void test_dp_accounting(void **state)
{
    (void)state;
    struct fld_parts d;
    fld_make(400, 10, 0.0, &d);
    char *dir = t_tempdir();
    char path[512];
    snprintf(path, sizeof(path), "%s/ledger.db", dir);
    struct clave_dp_ledger *ledger = NULL;
    T_OK(clave_dp_ledger_open_sqlite(path, &ledger));
    struct clave_dp_budget_key key = {"collab", "fl-test", "wdbc", "aggregator"};
    struct clave_dp_budget budget = {100.0, 1e-3, 0};
    T_OK(clave_dp_ledger_set_budget(ledger, &key, &budget));
    struct clave_fl_config c = base(CLAVE_FL_SECAGG);
    c.dp = CLAVE_FL_DP_DISTRIBUTED;
    c.clients_per_round = 5;
    c.min_clients = 4;
    c.dp_clip = 0.5;
    c.dp_noise_multiplier = 1.1;
    c.fixed_point_bits = 16;
    c.rounds = 10;
    double e2 = 0.0, e3 = 0.0;
    T_OK(clave_fl_dp_epsilon(&c, 2, &e2));
    T_OK(clave_fl_dp_epsilon(&c, 3, &e3));
    c.dp_epsilon_budget = 0.5 * (e2 + e3);
    struct clave_fl_sim *sim = NULL;
    struct clave_fl_round_report r;
    T_OK(clave_fl_sim_new(&c, d.train, d.test, NULL, ledger, &key, &sim));
    for (uint64_t k = 1; k <= 2; k++) {
        T_OK(clave_fl_sim_round(sim, true, &r, NULL, NULL));
        struct clave_dp_epsilon want;
        T_OK(clave_dp_rdp_epsilon(0.5, 1.1, k, c.dp_delta, CLAVE_DP_ORDERS_DP_ACCOUNTING,
                                  CLAVE_DP_CONVERSION_IMPROVED, &want));
        assert_true(r.epsilon == want.epsilon);
        assert_true(isnan(r.train_loss));
        assert_int_equal(r.reported, 5);
    }
    /* The third round would pass the budget: nothing runs, nothing is debited. */
    T_ERR(clave_fl_sim_round(sim, true, &r, NULL, NULL), CLAVE_ERR_LIMIT);
    struct clave_dp_budget_status bs;
    T_OK(clave_dp_ledger_status(ledger, &key, 0, &bs));
    assert_true(fabs(bs.epsilon_spent - e2) < 1e-8);
    assert_true(fabs(bs.delta_spent - c.dp_delta) < 1e-15);
    clave_fl_sim_free(sim);
    /* The ledger refuses a debit: training stops too (central DP, plain, TEE aggregator). */
    budget.epsilon_cap = e2 + 0.01;
    T_OK(clave_dp_ledger_set_budget(ledger, &key, &budget));
    c.protection = CLAVE_FL_PLAIN;
    c.dp = CLAVE_FL_DP_CENTRAL;
    c.dp_epsilon_budget = 0.0;
    T_OK(clave_fl_sim_new(&c, d.train, d.test, NULL, ledger, &key, &sim));
    T_ERR(clave_fl_sim_round(sim, false, &r, NULL, NULL), CLAVE_ERR_LIMIT);
    clave_fl_sim_free(sim);
    clave_dp_ledger_free(ledger);
    t_rmtree(dir);
    free(dir);
    fld_free(&d);
}

static void test_strategies(void **state)
{
    (void)state;
    struct fld_parts d;
    fld_make(400, 10, 0.0, &d);
    struct {
        clave_fl_strategy s;
        clave_fl_aggregation a;
        clave_fl_dp_mode dp;
    } cases[] = {
        {CLAVE_FL_FEDPROX, CLAVE_FL_AGG_MEAN, CLAVE_FL_DP_NONE},
        {CLAVE_FL_FEDADAM, CLAVE_FL_AGG_MEAN, CLAVE_FL_DP_NONE},
        {CLAVE_FL_FEDYOGI, CLAVE_FL_AGG_MEAN, CLAVE_FL_DP_NONE},
        {CLAVE_FL_FEDAVG, CLAVE_FL_AGG_MEDIAN, CLAVE_FL_DP_NONE},
        {CLAVE_FL_FEDAVG, CLAVE_FL_AGG_TRIMMED_MEAN, CLAVE_FL_DP_NONE},
        {CLAVE_FL_FEDAVG, CLAVE_FL_AGG_MEAN, CLAVE_FL_DP_CENTRAL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct clave_fl_config c = base(CLAVE_FL_PLAIN);
        c.strategy = cases[i].s;
        c.aggregation = cases[i].a;
        c.dp = cases[i].dp;
        c.dp_noise_multiplier = 0.5;
        c.fixed_point_bits = 16;
        c.local.prox_mu = cases[i].s == CLAVE_FL_FEDPROX ? 0.1 : 0.0;
        c.server_lr = cases[i].s >= CLAVE_FL_FEDADAM ? 0.05 : 1.0;
        struct clave_fl_round_report r = run(&c, &d, NULL, NULL);
        if (!(r.eval_accuracy > 0.85)) {
            fail_msg("case %zu: accuracy %g", i, r.eval_accuracy);
        }
    }
    /* A small MLP under secure aggregation. */
    struct clave_fl_config c = base(CLAVE_FL_SECAGG);
    c.model.kind = CLAVE_ML_MLP;
    c.model.classes = 2;
    c.model.hidden_count = 1;
    c.model.hidden[0] = 8;
    c.rounds = 3;
    struct clave_fl_round_report r = run(&c, &d, NULL, NULL);
    assert_true(r.eval_accuracy > 0.85);
    fld_free(&d);
}

static void test_config_errors(void **state)
{
    (void)state;
    struct clave_fl_config c = base(CLAVE_FL_SECAGG);
    T_OK(clave_fl_config_check(&c));
    c.aggregation = CLAVE_FL_AGG_MEDIAN;
    T_ERR(clave_fl_config_check(&c), CLAVE_ERR_ARG);
    c = base(CLAVE_FL_PLAIN);
    c.dp = CLAVE_FL_DP_DISTRIBUTED;
    T_ERR(clave_fl_config_check(&c), CLAVE_ERR_ARG);
    c = base(CLAVE_FL_SECAGG);
    c.dp = CLAVE_FL_DP_CENTRAL;
    T_ERR(clave_fl_config_check(&c), CLAVE_ERR_ARG);
    c = base(CLAVE_FL_PLAIN);
    c.fixed_point_bits = 40;
    T_ERR(clave_fl_config_check(&c), CLAVE_ERR_ARG);
    c = base(CLAVE_FL_PLAIN);
    c.clients_per_round = 11;
    T_ERR(clave_fl_config_check(&c), CLAVE_ERR_ARG);
    c = base(CLAVE_FL_PLAIN);
    c.local.prox_mu = 0.1;
    T_ERR(clave_fl_config_check(&c), CLAVE_ERR_ARG);
    c = base(CLAVE_FL_PLAIN);
    c.model.inputs = 0;
    T_ERR(clave_fl_config_check(&c), CLAVE_ERR_ARG);
    double e = 0.0;
    c = base(CLAVE_FL_PLAIN);
    T_ERR(clave_fl_dp_epsilon(&c, 1, &e), CLAVE_ERR_ARG);
    assert_string_equal(clave_fl_strategy_name(CLAVE_FL_FEDYOGI), "fedyogi");
    assert_null(clave_fl_protection_name((clave_fl_protection)9));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fedavg_and_secagg_exact),
        cmocka_unit_test(test_dropouts),
        cmocka_unit_test(test_malicious),
        cmocka_unit_test(test_dp_accounting),
        cmocka_unit_test(test_strategies),
        cmocka_unit_test(test_config_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
