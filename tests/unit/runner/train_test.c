/* SPDX-License-Identifier: Apache-2.0 */
/* The runner's training step on synthetic data: a separable problem is learned, DP-SGD spends
 * at most the target epsilon, labels are checked, the model round-trips through its format. */
#include "testlib.h"

#include "train.h"

#include <stdlib.h>
#include <string.h>

static void fill(struct runner_matrix *m, size_t rows, double label_scale)
{
    m->width = 3;
    m->rows = rows;
    m->cap_rows = rows;
    m->v = calloc(rows * 3, sizeof(double));
    for (size_t r = 0; r < rows; r++) {
        double x0 = (double)(r * 37 % 101) / 10.0; /* 0..10, spread deterministically */
        double x1 = (double)(r * 53 % 97) / 9.7;
        m->v[r * 3] = x0;
        m->v[r * 3 + 1] = x1;
        m->v[r * 3 + 2] = label_scale == 0 ? (x0 > 5.0 ? 1.0 : 0.0) : label_scale * x0 + 1.0;
    }
}

static struct runner_train spec(clave_ml_model_kind kind, bool dp)
{
    struct runner_train t;
    memset(&t, 0, sizeof(t));
    t.present = true;
    t.name = "m";
    t.table = "t";
    t.label = "y";
    t.features[0] = (struct runner_feature){"x0", 0, 10};
    t.features[1] = (struct runner_feature){"x1", 0, 10};
    t.feature_count = 2;
    t.model = kind;
    t.label_lower = -100;
    t.label_upper = 100;
    t.epochs = 30;
    t.batch_size = 16;
    t.learning_rate = kind == CLAVE_ML_LOGISTIC ? 1.0 : 0.1;
    t.test_fraction = 0.25;
    memset(t.seed, 7, sizeof(t.seed));
    t.dp = dp;
    t.dp_epsilon = 2.0;
    t.dp_delta = 1e-5;
    t.dp_clip = 1.0;
    t.baseline = dp;
    return t;
}

static void test_logistic(void **state)
{
    (void)state;
    struct runner_matrix m = {0};
    struct runner_train_result r;
    fill(&m, 400, 0);
    struct runner_train t = spec(CLAVE_ML_LOGISTIC, false);
    T_OK(runner_train_run(&t, &m, &r));
    json_t *test = json_object_get(r.metrics, "test");
    assert_true(json_real_value(json_object_get(test, "accuracy")) >= 0.95);
    assert_true(json_real_value(json_object_get(test, "auc")) >= 0.95);
    assert_int_equal(json_integer_value(json_object_get(r.metrics, "test_rows")), 100);
    assert_null(json_object_get(r.metrics, "dp"));
    struct clave_ml_model *model = NULL;
    T_OK(clave_ml_model_load(r.model, r.model_len, &model));
    clave_ml_model_free(model);
    runner_train_result_clear(&r);
    runner_matrix_free(&m);
}

static void test_dp(void **state)
{
    (void)state;
    struct runner_matrix m = {0};
    struct runner_train_result r;
    double e = 0, d = 0;
    fill(&m, 400, 0);
    struct runner_train t = spec(CLAVE_ML_LOGISTIC, true);
    runner_train_cost(&t, &e, &d);
    assert_true(e == 2.0 && d == 1e-5);
    T_OK(runner_train_run(&t, &m, &r));
    json_t *dp = json_object_get(r.metrics, "dp");
    assert_true(r.epsilon > 0 && r.epsilon <= 2.0 + 1e-9);
    assert_true(json_real_value(json_object_get(dp, "noise_multiplier")) > 0.5);
    assert_non_null(json_object_get(r.metrics, "baseline_non_private_test"));
    runner_train_result_clear(&r);
    runner_matrix_free(&m);
}

static void test_linear_and_labels(void **state)
{
    (void)state;
    struct runner_matrix m = {0};
    struct runner_train_result r;
    fill(&m, 200, 2.0);
    struct runner_train t = spec(CLAVE_ML_LINEAR, false);
    T_OK(runner_train_run(&t, &m, &r));
    assert_true(json_real_value(json_object_get(json_object_get(r.metrics, "test"), "loss")) < 5);
    runner_train_result_clear(&r);
    /* a logistic label that is not 0/1 */
    struct runner_train lg = spec(CLAVE_ML_LOGISTIC, false);
    assert_int_equal(runner_train_run(&lg, &m, &r), CLAVE_ERR_FORMAT);
    runner_matrix_free(&m);
    /* too few rows */
    fill(&m, 3, 0);
    assert_int_not_equal(runner_train_run(&lg, &m, &r), CLAVE_OK);
    runner_matrix_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_logistic),
        cmocka_unit_test(test_dp),
        cmocka_unit_test(test_linear_and_labels),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
