/* SPDX-License-Identifier: Apache-2.0 */
/* EAR tokens: issue from real appraisals (AMD vectors), verify, tamper. */
#include "attest_testutil.h"

static struct clave_attest_report *appraise_snp(const char *report, const char *vcek)
{
    char a[256];
    char b[256];
    size_t rl = 0;
    size_t cl = 0;
    (void)snprintf(a, sizeof(a), "attestation/sev-snp/%s", report);
    (void)snprintf(b, sizeof(b), "attestation/sev-snp/%s", vcek);
    uint8_t *rep = t_read_file(t_shared_vector(a), &rl);
    uint8_t *cert = t_read_file(t_shared_vector(b), &cl);
    struct clave_attest_options opts = {
        .at_time = T_NOW_2026_11_22, .endorsement = cert, .endorsement_len = cl};
    struct clave_attest_report *r = t_appraise("snp", rep, rl, &opts, NULL, T_NOW_2026_11_22);
    free(rep);
    free(cert);
    return r;
}

static json_t *verify_ok(const char *jwt, const struct clave_pkey *key, const char **status)
{
    char *claims = NULL;
    json_t *doc = NULL;
    T_OK(clave_ear_verify(jwt, strlen(jwt), key, status, &claims));
    T_OK(clave_json_parse(claims, strlen(claims), NULL, "claims", &doc));
    free(claims);
    return doc;
}

static void test_affirming_for_a_valid_report(void **state)
{
    (void)state;
    struct clave_pkey *key = NULL;
    char *jwt = NULL;
    const char *status = NULL;
    T_OK(clave_pkey_generate(CLAVE_PKEY_P256, &key));
    struct clave_attest_report *r =
        appraise_snp("trustee_milan_report.bin", "trustee_milan_vcek.der");
    assert_true(clave_attest_report_ok(r));
    T_OK(clave_ear_issue(r, key, "clave-test 0.1", 1700000000, &jwt));
    json_t *doc = verify_ok(jwt, key, &status);
    assert_string_equal(status, "affirming");
    assert_string_equal(json_string_value(json_object_get(doc, "eat_profile")),
                        "tag:github.com,2023:veraison/ear");
    assert_int_equal(json_integer_value(json_object_get(doc, "iat")), 1700000000);
    json_t *vid = json_object_get(doc, "ear.verifier-id");
    assert_string_equal(json_string_value(json_object_get(vid, "build")), "clave-test 0.1");
    json_t *sub = json_object_get(json_object_get(doc, "submods"), "snp");
    assert_non_null(sub);
    json_t *tv = json_object_get(sub, "ear.trustworthiness-vector");
    assert_int_equal(json_integer_value(json_object_get(tv, "instance-identity")), 2);
    assert_int_equal(json_integer_value(json_object_get(tv, "hardware")), 2);
    assert_int_equal(json_integer_value(json_object_get(tv, "configuration")), 2);
    assert_int_equal(json_integer_value(json_object_get(tv, "runtime-opaque")), 2);
    assert_null(json_object_get(tv, "executables"));
    json_decref(doc);
    /* Tampering with any part of the token fails verification. */
    for (size_t i = 0; i < strlen(jwt); i += 7) {
        char saved = jwt[i];
        jwt[i] = saved == 'A' ? 'B' : 'A';
        const char *s2 = NULL;
        assert_int_not_equal(clave_ear_verify(jwt, strlen(jwt), key, &s2, NULL), CLAVE_OK);
        assert_null(s2);
        jwt[i] = saved;
    }
    struct clave_pkey *other = NULL;
    T_OK(clave_pkey_generate(CLAVE_PKEY_P256, &other));
    T_ERR(clave_ear_verify(jwt, strlen(jwt), other, &status, NULL), CLAVE_ERR_SIGNATURE);
    clave_pkey_free(other);
    free(jwt);
    clave_attest_report_free(r);
    clave_pkey_free(key);
}

static void test_contraindicated_for_debug(void **state)
{
    (void)state;
    struct clave_pkey *key = NULL;
    char *jwt = NULL;
    const char *status = NULL;
    T_OK(clave_pkey_generate(CLAVE_PKEY_P256, &key));
    struct clave_attest_report *r =
        appraise_snp("gosevguest_milan_report.bin", "gosevguest_milan_vcek.der");
    T_OK(clave_ear_issue(r, key, "clave-test", 1, &jwt));
    json_t *doc = verify_ok(jwt, key, &status);
    assert_string_equal(status, "contraindicated");
    json_t *tv = json_object_get(json_object_get(json_object_get(doc, "submods"), "snp"),
                                 "ear.trustworthiness-vector");
    assert_int_equal(json_integer_value(json_object_get(tv, "configuration")), 96);
    assert_int_equal(json_integer_value(json_object_get(tv, "instance-identity")), 2);
    json_decref(doc);
    free(jwt);
    clave_attest_report_free(r);
    /* A wrong VCEK: the signature fails, instance identity is contraindicated. */
    r = appraise_snp("trustee_milan_report.bin", "gosevguest_milan_vcek.der");
    T_OK(clave_ear_issue(r, key, "clave-test", 1, &jwt));
    doc = verify_ok(jwt, key, &status);
    assert_string_equal(status, "contraindicated");
    json_decref(doc);
    free(jwt);
    clave_attest_report_free(r);
    clave_pkey_free(key);
}

static void test_malformed_tokens(void **state)
{
    (void)state;
    struct clave_pkey *key = NULL;
    const char *status = NULL;
    T_OK(clave_pkey_generate(CLAVE_PKEY_P256, &key));
    const char *bad[] = {"", "a.b", "a.b.c.d", "eyJhbGciOiJub25lIn0.e30.", "!!.!!.!!"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_not_equal(clave_ear_verify(bad[i], strlen(bad[i]), key, &status, NULL),
                             CLAVE_OK);
    }
    struct clave_attest_report *r = NULL;
    char *jwt = NULL;
    T_OK(clave_attest_report_new(&r));
    struct clave_pkey *pub = NULL;
    uint8_t spki[CLAVE_PKEY_SPKI_MAX_LEN];
    size_t n = 0;
    T_OK(clave_pkey_export_spki(key, spki, sizeof(spki), &n));
    T_OK(clave_pkey_from_der(spki, n, &pub));
    T_ERR(clave_ear_issue(r, pub, "x", 1, &jwt), CLAVE_ERR_KEY); /* public key cannot sign */
    clave_pkey_free(pub);
    clave_attest_report_free(r);
    clave_pkey_free(key);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_affirming_for_a_valid_report),
        cmocka_unit_test(test_contraindicated_for_debug),
        cmocka_unit_test(test_malformed_tokens),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
