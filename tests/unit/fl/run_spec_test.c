/* SPDX-License-Identifier: Apache-2.0 */
/* The `clave fl run` configuration: every field parsed, defaults, and hostile documents (unknown
 * keys, wrong types, out-of-range values, bad enums, truncation at every offset, oversize). */
#include "testlib.h"

#include <stdlib.h>
#include <string.h>

static const char FULL[] =
    "{\"name\":\"t\",\"seed\":\""
    "0101010101010101010101010101010101010101010101010101010101010101\","
    "\"model\":{\"kind\":\"mlp\",\"hidden\":[16,8],\"classes\":3},"
    "\"local\":{\"optimizer\":\"adam\",\"learning_rate\":0.01,\"momentum\":0.5,"
    "\"batch_size\":8,\"epochs\":2,\"prox_mu\":0.1,\"weight_decay\":0.001,\"dp_clip\":1,"
    "\"dp_noise_multiplier\":0.7},"
    "\"data\":{\"format\":\"idx\",\"path\":\"i\",\"labels\":\"l\",\"header\":\"none\","
    "\"rows\":100,\"alpha\":0.5,\"test_fraction\":0.3,\"standardize\":true},"
    "\"clients\":12,\"clients_per_round\":6,\"min_clients\":4,\"rounds\":7,"
    "\"strategy\":\"fedprox\",\"server_lr\":0.5,\"aggregation\":\"trimmed-mean\","
    "\"trim_fraction\":0.2,\"protection\":\"plain\",\"fixed_point_bits\":20,"
    "\"update_bound\":8,\"dp\":{\"mode\":\"central\",\"clip\":0.5,\"noise_multiplier\":1.2,"
    "\"delta\":1e-6,\"epsilon_budget\":4,\"ledger\":\"l.db\"},"
    "\"dropout\":0.1,\"malicious\":2,\"eval_every\":3}";

static void test_full(void **state)
{
    (void)state;
    struct clave_fl_run_spec r;
    T_OK(clave_fl_run_spec_parse(FULL, strlen(FULL), &r));
    const struct clave_fl_config *c = &r.cfg;
    assert_string_equal(r.name, "t");
    assert_int_equal(c->seed[31], 1);
    assert_true(c->model.kind == CLAVE_ML_MLP && c->model.hidden_count == 2 &&
                c->model.hidden[1] == 8 && c->model.classes == 3);
    assert_true(c->local.optimizer == CLAVE_ML_ADAM && c->local.batch_size == 8 &&
                c->local_epochs == 2 && c->local.prox_mu == 0.1 &&
                c->local.dp_noise_multiplier == 0.7);
    assert_true(strcmp(r.data_format, "idx") == 0 && strcmp(r.labels_path, "l") == 0 &&
                r.header == CLAVE_ML_CSV_NO_HEADER && r.max_rows == 100 && r.alpha == 0.5 &&
                r.standardize);
    assert_true(c->clients == 12 && c->clients_per_round == 6 && c->min_clients == 4 &&
                c->rounds == 7 && c->strategy == CLAVE_FL_FEDPROX &&
                c->aggregation == CLAVE_FL_AGG_TRIMMED_MEAN && c->fixed_point_bits == 20);
    assert_true(c->dp == CLAVE_FL_DP_CENTRAL && c->dp_clip == 0.5 && c->dp_delta == 1e-6 &&
                strcmp(r.ledger, "l.db") == 0);
    assert_true(r.faults.dropout == 0.1 && r.faults.malicious == 2 && r.eval_every == 3);
    for (size_t cut = 0; cut + 1 < strlen(FULL); cut++) {
        T_ERR(clave_fl_run_spec_parse(FULL, cut, &r), CLAVE_ERR_JSON);
    }
}

static void test_defaults_and_errors(void **state)
{
    (void)state;
    struct clave_fl_run_spec r;
    static const char MIN[] = "{\"model\":{},\"data\":{\"path\":\"x.csv\"}}";
    T_OK(clave_fl_run_spec_parse(MIN, strlen(MIN), &r));
    assert_true(r.cfg.model.kind == CLAVE_ML_LOGISTIC && r.header == CLAVE_ML_CSV_SKLEARN &&
                r.standardize && r.cfg.clients == 10 && r.cfg.min_clients == 7 &&
                r.cfg.protection == CLAVE_FL_PLAIN);
    static const char *const BAD[] = {
        "{\"model\":{},\"data\":{\"path\":\"x\"},\"colour\":1}",
        "{\"model\":{\"kind\":\"cnn\"},\"data\":{\"path\":\"x\"}}",
        "{\"model\":{\"hidden\":[1,2,3]},\"data\":{\"path\":\"x\"}}",
        "{\"model\":{\"hidden\":[0]},\"data\":{\"path\":\"x\"}}",
        "{\"model\":{},\"data\":{}}",
        "{\"model\":{},\"data\":{\"path\":\"x\",\"format\":\"parquet\"}}",
        "{\"model\":{},\"data\":{\"path\":\"x\"},\"rounds\":-1}",
        "{\"model\":{},\"data\":{\"path\":\"x\"},\"rounds\":\"5\"}",
        "{\"model\":{},\"data\":{\"path\":\"x\"},\"dropout\":1.5}",
        "{\"model\":{},\"data\":{\"path\":\"x\"},\"server_lr\":1e400}",
        "{\"model\":{},\"data\":{\"path\":\"x\"},\"seed\":\"00\"}",
        "{\"model\":{},\"data\":{\"path\":\"x\"},\"dp\":{\"mode\":\"maybe\"}}",
        "{\"model\":{},\"data\":{\"path\":\"x\"},\"clients\":2,\"malicious\":3}",
        "[1,2]",
    };
    for (size_t i = 0; i < sizeof(BAD) / sizeof(BAD[0]); i++) {
        clave_status st = clave_fl_run_spec_parse(BAD[i], strlen(BAD[i]), &r);
        if (st == CLAVE_OK) {
            fail_msg("accepted: %s", BAD[i]);
        }
    }
    char *big = malloc((1u << 20) + 2);
    assert_non_null(big);
    memset(big, ' ', (1u << 20) + 1);
    big[0] = '{';
    big[1u << 20] = '}';
    T_ERR(clave_fl_run_spec_parse(big, (1u << 20) + 1, &r), CLAVE_ERR_TOO_LARGE);
    free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full),
        cmocka_unit_test(test_defaults_and_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
