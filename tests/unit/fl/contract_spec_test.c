/* SPDX-License-Identifier: Apache-2.0 */
/* FL contract specs (clave_fl_contract_spec_parse): the canonical CBOR of a JSON-model map with
 * decimals as strings; every field read, defaults, refusals (plain protection, unknown or
 * machine-local keys, bad decimals, floats, missing inputs), truncation at every offset; paillier
 * with its key_holder (required, only with paillier, a party name); and the FL message header
 * peek. */
#include "contract/canon.h"
#include "testlib.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define SPEC_CAP 4096

/* The canonical CBOR of JSON `text` into `buf`; returns its length. */
static size_t cbor_of(const char *text, uint8_t *buf)
{
    struct clave_writer w;
    json_t *j = json_loads(text, 0, NULL);
    assert_non_null(j);
    clave_writer_init(&w, buf, SPEC_CAP);
    T_OK(clave__canon_json(&w, j, "spec", 8));
    json_decref(j);
    return w.len;
}

static const char FULL[] =
    "{\"name\":\"wdbc\",\"model\":{\"kind\":\"logistic\",\"inputs\":30},\"clients\":5,"
    "\"clients_per_round\":4,\"min_clients\":3,\"rounds\":6,\"protection\":\"secagg\","
    "\"round_timeout_s\":7,\"eval_every\":2,\"strategy\":\"fedadam\",\"server_lr\":\"0.5\","
    "\"local\":{\"learning_rate\":\"0.05\",\"batch_size\":16,\"momentum\":\"9e-1\"},"
    "\"data\":{\"test_fraction\":\"0.25\",\"header\":\"names\",\"standardize\":false},"
    "\"dp\":{\"mode\":\"distributed\",\"clip\":\"0.5\",\"noise_multiplier\":\"1\","
    "\"delta\":\"1e-5\",\"epsilon_budget\":8}}";

static void test_full(void **state)
{
    (void)state;
    uint8_t buf[SPEC_CAP];
    struct clave_fl_contract_spec s;
    size_t n = cbor_of(FULL, buf);
    T_OK(clave_fl_contract_spec_parse(buf, n, &s));
    const struct clave_fl_config *c = &s.run.cfg;
    assert_string_equal(s.run.name, "wdbc");
    assert_int_equal(s.round_timeout_s, 7);
    assert_true(c->model.kind == CLAVE_ML_LOGISTIC && c->model.inputs == 30);
    assert_true(c->clients == 5 && c->clients_per_round == 4 && c->min_clients == 3 &&
                c->rounds == 6 && s.run.eval_every == 2);
    assert_true(c->protection == CLAVE_FL_SECAGG && c->strategy == CLAVE_FL_FEDADAM &&
                c->server_lr == 0.5);
    assert_true(c->local.learning_rate == 0.05 && c->local.batch_size == 16 &&
                c->local.momentum == 0.9);
    assert_true(s.run.test_fraction == 0.25 && s.run.header == CLAVE_ML_CSV_NAMES &&
                !s.run.standardize && s.run.data_path[0] == '\0');
    assert_true(c->dp == CLAVE_FL_DP_DISTRIBUTED && c->dp_clip == 0.5 && c->dp_delta == 1e-5 &&
                c->dp_epsilon_budget == 8);
    for (size_t cut = 0; cut < n; cut++) {
        assert_int_not_equal(clave_fl_contract_spec_parse(buf, cut, &s), CLAVE_OK);
    }
}

static void test_refused(void **state)
{
    (void)state;
    static const char *const BAD[] = {
        /* plain updates would show every update to the coordinator */
        "{\"model\":{\"kind\":\"logistic\",\"inputs\":3},\"protection\":\"plain\"}",
        /* the protection defaults to plain: must be said */
        "{\"model\":{\"kind\":\"logistic\",\"inputs\":3}}",
        "{\"model\":{\"kind\":\"logistic\"},\"protection\":\"secagg\"}",
        "{\"model\":{\"kind\":\"logistic\",\"inputs\":0},\"protection\":\"secagg\"}",
        "{\"model\":{\"kind\":\"logistic\",\"inputs\":3},\"protection\":\"secagg\","
        "\"data\":{\"path\":\"/etc/passwd\"}}",
        "{\"model\":{\"kind\":\"logistic\",\"inputs\":3},\"protection\":\"secagg\","
        "\"dropout\":\"0.5\"}",
        "{\"model\":{\"kind\":\"logistic\",\"inputs\":3},\"protection\":\"secagg\","
        "\"dp\":{\"ledger\":\"x.db\"}}",
        "{\"model\":{\"kind\":\"logistic\",\"inputs\":3},\"protection\":\"secagg\","
        "\"local\":{\"learning_rate\":\"0.0.5\"}}",
        "{\"model\":{\"kind\":\"logistic\",\"inputs\":3},\"protection\":\"secagg\","
        "\"local\":{\"learning_rate\":\"nan\"}}",
        "{\"model\":{\"kind\":\"logistic\",\"inputs\":3},\"protection\":\"secagg\","
        "\"local\":{\"learning_rate\":\"1e\"}}",
        "{\"model\":{\"kind\":\"logistic\",\"inputs\":3},\"protection\":\"secagg\","
        "\"round_timeout_s\":0}",
        "{\"model\":{\"kind\":\"logistic\",\"inputs\":3},\"protection\":\"secagg\","
        "\"round_timeout_s\":3601}",
        "{\"model\":{\"kind\":\"logistic\",\"inputs\":3},\"protection\":\"secagg\","
        "\"unknown\":1}",
        "[1,2]",
    };
    uint8_t buf[SPEC_CAP];
    struct clave_fl_contract_spec s;
    for (size_t i = 0; i < sizeof(BAD) / sizeof(BAD[0]); i++) {
        size_t n = cbor_of(BAD[i], buf);
        if (clave_fl_contract_spec_parse(buf, n, &s) == CLAVE_OK) {
            fail_msg("accepted: %s", BAD[i]);
        }
    }
    static const char MIN[] =
        "{\"model\":{\"kind\":\"logistic\",\"inputs\":3},\"protection\":\"secagg\"}";
    size_t n = cbor_of(MIN, buf);
    T_OK(clave_fl_contract_spec_parse(buf, n, &s));
    assert_int_equal(s.round_timeout_s, CLAVE_FL_DEFAULT_ROUND_TIMEOUT_S);
    buf[n] = 0;
    assert_int_not_equal(clave_fl_contract_spec_parse(buf, n + 1, &s), CLAVE_OK); /* trailing */
    static const uint8_t FLOAT[] = {0xa1, 0x61, 'x',  0xfb, 0x3f, 0xb9,
                                    0x99, 0x99, 0x99, 0x99, 0x99, 0x9a}; /* {"x": 0.1} as a float */
    assert_int_not_equal(clave_fl_contract_spec_parse(FLOAT, sizeof(FLOAT), &s), CLAVE_OK);
}

/* An FL contract (JSON, unsigned) with `spec`, naming a sim-snp workload. */
static struct clave_contract *fl_contract(const char *spec)
{
    char json[2048], b64[128];
    uint8_t spki[CLAVE_PKEY_SPKI_MAX_LEN];
    size_t n = 0, m = 0;
    struct clave_pkey *id = NULL;
    struct clave_contract *c = NULL;
    T_OK(clave_pkey_generate(CLAVE_PKEY_ED25519, &id));
    T_OK(clave_pkey_export_spki(id, spki, sizeof(spki), &n));
    T_OK(clave_b64_encode(CLAVE_B64_STD, spki, n, b64, sizeof(b64), &m));
    clave_pkey_free(id);
    snprintf(json, sizeof(json),
             "{\"collaboration\":\"c\",\"version\":1,\"datasets\":[{\"id\":\"d1\",\"owner\":"
             "\"a\",\"sha256\":\"%064d\"}],\"computation\":{\"kind\":\"fl\",\"spec\":%s},"
             "\"workloads\":[%s],\"tcb_statuses\":[\"UpToDate\"],\"output\":{\"budgets\":[],\"min_"
             "group_size\":1,"
             "\"columns\":[]},\"recipients\":[{\"party\":\"a\",\"spki\":\"%s\"}],\"regions\":["
             "\"eu\"],\"signers\":[{\"party\":"
             "\"a\",\"spki\":\"%s\"}],\"expiry\":4000000000}",
             0, spec,
             "{\"tee\":\"sim-snp\",\"measurement\":\""
             "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
             "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"min_tcb\":{"
             "\"bootloader\":0,\"tee\":0,\"snp\":0,\"microcode\":0}}",
             b64, b64);
    T_OK(clave_contract_from_json(json, strlen(json), &c));
    return c;
}

/* protection "tee": only through clave_fl_contract_spec_of (a valid contract always lists
 * workloads); it allows robust aggregation and central DP (plain inside the runner). */
static void test_tee(void **state)
{
    (void)state;
    static const char TEE[] =
        "{\"model\":{\"kind\":\"logistic\",\"inputs\":3},\"protection\":\"tee\","
        "\"aggregation\":\"trimmed-mean\",\"trim_fraction\":\"0.2\"}";
    static const char TEE_DP[] =
        "{\"model\":{\"kind\":\"logistic\",\"inputs\":3},\"protection\":\"tee\","
        "\"dp\":{\"mode\":\"central\",\"clip\":\"1\",\"noise_multiplier\":\"2\"}}";
    static const char SECAGG[] =
        "{\"model\":{\"kind\":\"logistic\",\"inputs\":3},\"protection\":\"secagg\"}";
    uint8_t buf[SPEC_CAP];
    struct clave_fl_contract_spec s;
    size_t n = cbor_of(TEE, buf);
    assert_int_equal(clave_fl_contract_spec_parse(buf, n, &s), CLAVE_ERR_ARG); /* coordinator */
    assert_non_null(strstr(clave_error_last().detail, "tee"));
    struct clave_contract *c = fl_contract(TEE);
    T_OK(clave_fl_contract_spec_of(c, &s));
    assert_true(s.tee && s.run.cfg.protection == CLAVE_FL_PLAIN &&
                s.run.cfg.aggregation == CLAVE_FL_AGG_TRIMMED_MEAN &&
                s.run.cfg.trim_fraction == 0.2 && s.run.cfg.model.inputs == 3);
    clave_contract_free(c);
    c = fl_contract(TEE_DP);
    T_OK(clave_fl_contract_spec_of(c, &s));
    assert_true(s.tee && s.run.cfg.dp == CLAVE_FL_DP_CENTRAL && s.run.cfg.dp_noise_multiplier == 2);
    clave_contract_free(c);
    c = fl_contract(SECAGG); /* the coordinator's contracts read the same */
    T_OK(clave_fl_contract_spec_of(c, &s));
    assert_true(!s.tee && s.run.cfg.protection == CLAVE_FL_SECAGG);
    clave_contract_free(c);
    /* central DP and robust aggregation stay refused on the coordinator */
    c = fl_contract("{\"model\":{\"kind\":\"logistic\",\"inputs\":3},"
                    "\"protection\":\"secagg\",\"aggregation\":\"median\"}");
    assert_int_not_equal(clave_fl_contract_spec_of(c, &s), CLAVE_OK);
    clave_contract_free(c);
}

static void test_paillier(void **state)
{
    (void)state;
    static const char *const BAD[] = {
        /* nobody agreed who decrypts the sums */
        "{\"model\":{\"kind\":\"logistic\",\"inputs\":3},\"protection\":\"paillier\"}",
        /* a key holder without paillier */
        "{\"model\":{\"kind\":\"logistic\",\"inputs\":3},\"protection\":\"secagg\","
        "\"key_holder\":\"carol\"}",
        "{\"model\":{\"kind\":\"logistic\",\"inputs\":3},\"protection\":\"paillier\","
        "\"key_holder\":\"\"}",
        "{\"model\":{\"kind\":\"logistic\",\"inputs\":3},\"protection\":\"paillier\","
        "\"key_holder\":\"car ol\"}",
        "{\"model\":{\"kind\":\"logistic\",\"inputs\":3},\"protection\":\"paillier\","
        "\"key_holder\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}",
        "{\"model\":{\"kind\":\"logistic\",\"inputs\":3},\"protection\":\"paillier\","
        "\"key_holder\":7}",
        "{\"model\":{\"kind\":\"logistic\",\"inputs\":3},\"protection\":\"paillier\","
        "\"key_holder\":\"carol\",\"paillier_bits\":1024}",
    };
    uint8_t buf[SPEC_CAP];
    struct clave_fl_contract_spec s;
    for (size_t i = 0; i < sizeof(BAD) / sizeof(BAD[0]); i++) {
        size_t n = cbor_of(BAD[i], buf);
        if (clave_fl_contract_spec_parse(buf, n, &s) == CLAVE_OK) {
            fail_msg("accepted: %s", BAD[i]);
        }
    }
    static const char OK[] =
        "{\"model\":{\"kind\":\"logistic\",\"inputs\":3},\"protection\":\"paillier\","
        "\"key_holder\":\"carol-2_x\",\"paillier_bits\":3072,\"clients\":4,"
        "\"clients_per_round\":4,\"min_clients\":3,"
        "\"dp\":{\"mode\":\"distributed\",\"clip\":\"0.5\",\"noise_multiplier\":\"1\"}}";
    size_t n = cbor_of(OK, buf);
    T_OK(clave_fl_contract_spec_parse(buf, n, &s));
    assert_true(s.run.cfg.protection == CLAVE_FL_PAILLIER && s.run.cfg.paillier_bits == 3072 &&
                s.run.cfg.dp == CLAVE_FL_DP_DISTRIBUTED);
    assert_string_equal(s.key_holder, "carol-2_x");
    static const char SECAGG[] =
        "{\"model\":{\"kind\":\"logistic\",\"inputs\":3},\"protection\":\"secagg\"}";
    n = cbor_of(SECAGG, buf);
    T_OK(clave_fl_contract_spec_parse(buf, n, &s));
    assert_string_equal(s.key_holder, "");
}

static void test_peek(void **state)
{
    (void)state;
    uint8_t m[40] = {'C', 'L', 'F', 'L', 1, 2, 0, 0};
    uint32_t client = 9, round = 9;
    m[24] = 3; /* round 3 */
    m[28] = 2; /* client 2 */
    T_OK(clave_fl_message_peek(m, sizeof(m), &client, &round));
    assert_true(client == 2 && round == 3);
    for (size_t cut = 0; cut < 32; cut++) {
        assert_int_not_equal(clave_fl_message_peek(m, cut, &client, &round), CLAVE_OK);
        assert_true(client == 0 && round == 0);
    }
    m[28] = 0; /* client 0 */
    assert_int_not_equal(clave_fl_message_peek(m, sizeof(m), &client, &round), CLAVE_OK);
    m[28] = 2;
    m[4] = 2; /* version */
    assert_int_not_equal(clave_fl_message_peek(m, sizeof(m), &client, &round), CLAVE_OK);
    m[4] = 1;
    m[0] ^= 1; /* magic */
    assert_int_not_equal(clave_fl_message_peek(m, sizeof(m), &client, &round), CLAVE_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full),     cmocka_unit_test(test_refused),
        cmocka_unit_test(test_paillier), cmocka_unit_test(test_peek),
        cmocka_unit_test(test_tee),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
