/* SPDX-License-Identifier: Apache-2.0 */
#include "testlib.h"

#include <stdlib.h>
#include <string.h>

static struct clave_pkey *log_key(void)
{
    struct clave_pkey *key = NULL;
    T_OK(clave_pkey_generate(CLAVE_PKEY_ED25519, &key));
    return key;
}

static void test_sign_verify_and_tamper(void **state)
{
    (void)state;
    struct clave_pkey *key = log_key();
    struct clave_pkey *other = log_key();
    clave_merkle_hash root;
    struct clave_ledger_sth sth;
    memset(root, 0xab, sizeof(root));
    T_OK(clave_ledger_sth_sign(key, 8, 1751700000000, root, &sth));
    T_OK(clave_ledger_sth_verify(key, &sth));
    T_ERR(clave_ledger_sth_verify(other, &sth), CLAVE_ERR_SIGNATURE);

    struct clave_ledger_sth bad = sth;
    bad.tree_size = 7;
    T_ERR(clave_ledger_sth_verify(key, &bad), CLAVE_ERR_SIGNATURE);
    bad = sth;
    bad.timestamp_ms += 1;
    T_ERR(clave_ledger_sth_verify(key, &bad), CLAVE_ERR_SIGNATURE);
    bad = sth;
    bad.root_hash[31] ^= 1;
    T_ERR(clave_ledger_sth_verify(key, &bad), CLAVE_ERR_SIGNATURE);
    bad = sth;
    bad.log_id[0] ^= 1;
    T_ERR(clave_ledger_sth_verify(key, &bad), CLAVE_ERR_SIGNATURE);
    for (size_t i = 0; i < sizeof(sth.signature); i++) {
        bad = sth;
        bad.signature[i] ^= 0x10;
        T_ERR(clave_ledger_sth_verify(key, &bad), CLAVE_ERR_SIGNATURE);
    }
    struct clave_pkey *p256 = NULL;
    T_OK(clave_pkey_generate(CLAVE_PKEY_P256, &p256));
    T_ERR(clave_ledger_sth_sign(p256, 1, 1, root, &bad), CLAVE_ERR_KEY);
    clave_pkey_free(p256);
    clave_pkey_free(other);
    clave_pkey_free(key);
}

static void test_json_round_trip_and_hostile(void **state)
{
    (void)state;
    struct clave_pkey *key = log_key();
    clave_merkle_hash root;
    struct clave_ledger_sth sth;
    struct clave_ledger_sth back;
    char *json = NULL;
    memset(root, 0x5c, sizeof(root));
    T_OK(clave_ledger_sth_sign(key, 42, 1700000000123, root, &sth));
    T_OK(clave_ledger_sth_to_json(&sth, &json));
    T_OK(clave_ledger_sth_from_json(json, strlen(json), &back));
    assert_memory_equal(&back, &sth, sizeof(sth));
    T_OK(clave_ledger_sth_verify(key, &back));
    for (size_t cut = 0; cut < strlen(json); cut += 3) {
        assert_int_not_equal(clave_ledger_sth_from_json(json, cut, &back), CLAVE_OK);
    }
    const char *hostile[] = {
        "{}",
        "[]",
        ("{\"log_id\":\"00\",\"tree_size\":1,\"timestamp\":1,\"root_hash\":\"00\","
         "\"signature\":\"AA\"}"),
        "{\"log_id\":5}",
    };
    for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
        assert_int_not_equal(clave_ledger_sth_from_json(hostile[i], strlen(hostile[i]), &back),
                             CLAVE_OK);
    }
    /* An extra field, a negative size, a signature one byte short. */
    json_t *doc = NULL;
    T_OK(clave_json_parse(json, strlen(json), NULL, "sth", &doc));
    json_object_set_new(doc, "extra", json_true());
    char *extra = json_dumps(doc, JSON_COMPACT);
    T_ERR(clave_ledger_sth_from_json(extra, strlen(extra), &back), CLAVE_ERR_JSON);
    free(extra);
    json_object_del(doc, "extra");
    json_object_set_new(doc, "tree_size", json_integer(-1));
    char *negative = json_dumps(doc, JSON_COMPACT);
    T_ERR(clave_ledger_sth_from_json(negative, strlen(negative), &back), CLAVE_ERR_JSON);
    free(negative);
    json_object_set_new(doc, "tree_size", json_integer(42));
    json_object_set_new(doc, "signature", json_string("AAAA"));
    char *short_sig = json_dumps(doc, JSON_COMPACT);
    T_ERR(clave_ledger_sth_from_json(short_sig, strlen(short_sig), &back), CLAVE_ERR_FORMAT);
    free(short_sig);
    json_decref(doc);
    free(json);
    clave_pkey_free(key);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sign_verify_and_tamper),
        cmocka_unit_test(test_json_round_trip_and_hostile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
