/* SPDX-License-Identifier: Apache-2.0 */
#include "testlib.h"

#include <stdlib.h>
#include <string.h>

static void test_checks_decide_the_verdict(void **state)
{
    (void)state;
    struct clave_attest_report *r = NULL;
    struct clave_attest_check c;
    T_OK(clave_attest_report_new(&r));
    assert_false(clave_attest_report_ok(r)); /* nothing checked is not genuine */
    T_OK(clave_attest_report_check(r, "snp.signature", true, "ECDSA P-384 over 0x000-0x29f"));
    assert_true(clave_attest_report_ok(r));
    T_ERR(clave_attest_report_first_failure(r, &c), CLAVE_ERR_NOT_FOUND);
    T_OK(clave_attest_report_check(r, "policy.debug", false, "debug bit %d set", 19));
    assert_false(clave_attest_report_ok(r));
    T_OK(clave_attest_report_first_failure(r, &c));
    assert_string_equal(c.name, "policy.debug");
    assert_string_equal(c.detail, "debug bit 19 set");
    assert_int_equal(clave_attest_report_check_count(r), 2);
    T_ERR(clave_attest_report_get_check(r, 2, &c), CLAVE_ERR_ARG);
    char long_name[CLAVE_ATTEST_NAME_MAX + 1];
    memset(long_name, 'x', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = 0;
    T_ERR(clave_attest_report_check(r, long_name, true, "x"), CLAVE_ERR_ARG);
    for (size_t i = 2; i < CLAVE_ATTEST_MAX_CHECKS; i++) {
        T_OK(clave_attest_report_check(r, "filler", true, "%zu", i));
    }
    T_ERR(clave_attest_report_check(r, "one.too.many", true, "x"), CLAVE_ERR_LIMIT);
    clave_attest_report_free(r);
}

static void test_claims_and_json(void **state)
{
    (void)state;
    struct clave_attest_report *r = NULL;
    struct clave_attest_claim c;
    const uint8_t m[] = {0xb0, 0x7a};
    T_OK(clave_attest_report_new(&r));
    T_OK(clave_attest_claim_string(r, "tee", "snp"));
    T_OK(clave_attest_claim_bytes(r, "measurement", m, sizeof(m)));
    T_OK(clave_attest_claim_bool(r, "debug", true));
    T_OK(clave_attest_claim_int(r, "snp.vmpl", 0));
    T_OK(clave_attest_claim_bool(r, "debug", false)); /* replaces */
    assert_int_equal(clave_attest_report_claim_count(r), 4);
    T_OK(clave_attest_report_find_claim(r, "measurement", &c));
    assert_int_equal(c.type, CLAVE_CLAIM_BYTES);
    assert_memory_equal(c.bytes, m, 2);
    T_ERR(clave_attest_report_find_claim(r, "nope", &c), CLAVE_ERR_NOT_FOUND);
    T_OK(clave_attest_report_check(r, "snp.signature", true, "ok"));
    char *json = NULL;
    T_OK(clave_attest_report_json(r, &json));
    json_t *doc = NULL;
    T_OK(clave_json_parse(json, strlen(json), NULL, "report", &doc));
    json_t *claims = NULL;
    const char *s = NULL;
    bool b = true;
    T_OK(clave_json_get_object(doc, "report", "claims", true, &claims));
    T_OK(clave_json_get_string(claims, "claims", "measurement", true, 8, &s));
    assert_string_equal(s, "b07a");
    T_OK(clave_json_get_bool(claims, "claims", "debug", true, &b));
    assert_false(b);
    T_OK(clave_json_get_bool(doc, "report", "ok", true, &b));
    assert_true(b);
    json_decref(doc);
    free(json);
    uint8_t big[CLAVE_ATTEST_CLAIM_MAX_LEN + 1] = {0};
    T_ERR(clave_attest_claim_bytes(r, "big", big, sizeof(big)), CLAVE_ERR_TOO_LARGE);
    clave_attest_report_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checks_decide_the_verdict),
        cmocka_unit_test(test_claims_and_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
