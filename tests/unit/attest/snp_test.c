/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AMD SEV-SNP reports: every verdict of ../shared/vectors/attestation/README.md section 2, a
 * bit-flip walk over the signed region and signature, certificate tampering, expiry, truncation.
 */
#include "attest_testutil.h"

#define SNP_DIR "attestation/sev-snp/"
#define VLEK_VALID_TIME 1733900000

struct vec {
    uint8_t *report;
    size_t report_len;
    uint8_t *cert;
    size_t cert_len;
};

static struct vec load(const char *report, const char *cert)
{
    struct vec v;
    char path[256];
    (void)snprintf(path, sizeof(path), SNP_DIR "%s", report);
    v.report = t_read_file(t_shared_vector(path), &v.report_len);
    (void)snprintf(path, sizeof(path), SNP_DIR "%s", cert);
    v.cert = t_read_file(t_shared_vector(path), &v.cert_len);
    return v;
}

static void vec_free(struct vec *v)
{
    free(v->report);
    free(v->cert);
}

static struct clave_attest_report *appraise(const struct vec *v, int64_t at,
                                            struct clave_attest_cache *cache)
{
    struct clave_attest_options opts = {
        .at_time = at, .endorsement = v->cert, .endorsement_len = v->cert_len, .cache = cache};
    return t_appraise("auto", v->report, v->report_len, &opts, NULL, at);
}

static void test_gosevguest_valid_but_debug_rejected(void **state)
{
    (void)state;
    struct vec v = load("gosevguest_milan_report.bin", "gosevguest_milan_vcek.der");
    assert_string_equal(clave_attest_detect(v.report, v.report_len), "snp");
    struct clave_attest_report *r = appraise(&v, T_NOW_2026_11_22, NULL);
    assert_true(t_crypto_ok(r));
    assert_true(t_check_passed(r, "snp.signature", NULL, 0));
    assert_true(t_check_passed(r, "x509.chain", NULL, 0));
    assert_true(t_check_passed(r, "snp.tcb", NULL, 0));
    assert_true(t_check_passed(r, "snp.chip_id", NULL, 0));
    assert_false(t_check_passed(r, "policy.debug", NULL, 0));
    assert_false(clave_attest_report_ok(r));
    assert_int_equal(t_claim_int(r, "snp.version"), 2);
    assert_int_equal(t_claim_int(r, "snp.policy"), 0xB0000);
    assert_int_equal(t_claim_int(r, "snp.vmpl"), 0);
    assert_int_equal(t_claim_int(r, "debug"), 1);
    assert_int_equal(t_claim_int(r, "snp.smt"), 1);
    t_claim_hex(r, "report_data",
                "0102030405000000000000000000000000000000000000000000000000000000"
                "0000000000000000000000000000000000000000000000000000000000000000");
    t_claim_hex(r, "measurement",
                "b07af9620f3b839b47996422ddec6058338951d984e312115131ea82705eaf5b"
                "6bdf8a9ece31a5a608eb0cf2e4872b01");
    assert_int_equal(t_claim_int(r, "snp.reported_tcb.bootloader"), 2);
    assert_int_equal(t_claim_int(r, "snp.reported_tcb.tee"), 0);
    assert_int_equal(t_claim_int(r, "snp.reported_tcb.snp"), 5);
    assert_int_equal(t_claim_int(r, "snp.reported_tcb.microcode"), 68);
    struct clave_attest_claim c;
    T_OK(clave_attest_report_find_claim(r, "snp.chip_id", &c));
    assert_int_equal(c.bytes[0], 0x3a);
    assert_int_equal(c.bytes[1], 0xc3);
    clave_attest_report_free(r);
    vec_free(&v);
}

static void test_trustee_milan_valid(void **state)
{
    (void)state;
    struct vec v = load("trustee_milan_report.bin", "trustee_milan_vcek.der");
    struct clave_attest_report *r = appraise(&v, T_NOW_2026_11_22, NULL);
    assert_true(clave_attest_report_ok(r));
    assert_int_equal(t_claim_int(r, "snp.version"), 2);
    assert_int_equal(t_claim_int(r, "snp.policy"), 0x3001F);
    assert_int_equal(t_claim_int(r, "snp.guest_svn"), 4);
    assert_int_equal(t_claim_int(r, "snp.vmpl"), 0);
    assert_int_equal(t_claim_int(r, "debug"), 0);
    t_claim_hex(r, "report_data",
                "ec6c52d7533cc2c4f45be7849cf112ab82b2009fe7bd43e71ed08c14400ad7e2"
                "0000000000000000000000000000000000000000000000000000000000000000");
    t_claim_hex(r, "measurement",
                "a1f3930413247bb38cfc171579ea3c12d5fe4901f0c792f63fd75d98f1ef827c"
                "23500644e0e692e6be917f9050d3d38c");
    assert_int_equal(t_claim_int(r, "snp.reported_tcb.bootloader"), 3);
    assert_int_equal(t_claim_int(r, "snp.reported_tcb.tee"), 0);
    assert_int_equal(t_claim_int(r, "snp.reported_tcb.snp"), 8);
    assert_int_equal(t_claim_int(r, "snp.reported_tcb.microcode"), 115);
    struct clave_attest_claim c;
    T_OK(clave_attest_report_find_claim(r, "snp.id_key_digest", &c));
    assert_int_equal(c.bytes[0], 0x03);
    assert_int_equal(c.bytes[1], 0x56);
    assert_int_equal(c.bytes[46], 0x44);
    assert_int_equal(c.bytes[47], 0xa3);
    clave_attest_report_free(r);
    vec_free(&v);
}

static void test_vlek_valid_in_window_expired_now(void **state)
{
    (void)state;
    struct vec v = load("trustee_milan_vlek_report.bin", "trustee_milan_vlek.der");
    char detail[CLAVE_ATTEST_DETAIL_MAX];
    struct clave_attest_report *r = appraise(&v, VLEK_VALID_TIME, NULL);
    assert_true(clave_attest_report_ok(r));
    assert_true(t_check_passed(r, "snp.signing_key", NULL, 0));
    assert_int_equal(t_claim_int(r, "snp.version"), 3);
    assert_int_equal(t_claim_int(r, "snp.vmpl"), 1);
    assert_int_equal(t_claim_int(r, "snp.policy"), 0x30000);
    assert_int_equal(t_claim_int(r, "snp.platform_info"), 0x27);
    assert_int_equal(t_claim_int(r, "snp.reported_tcb.bootloader"), 4);
    assert_int_equal(t_claim_int(r, "snp.reported_tcb.tee"), 0);
    assert_int_equal(t_claim_int(r, "snp.reported_tcb.snp"), 24);
    assert_int_equal(t_claim_int(r, "snp.reported_tcb.microcode"), 217);
    t_claim_hex(r, "measurement",
                "8922ebbdd00ec2c541f36a6e7a82a8773a7accb451ed67bc94e740dbe92c93c4"
                "e8c9af857f5ceeb5a493df2a570d7bf0");
    struct clave_attest_claim c;
    T_OK(clave_attest_report_find_claim(r, "snp.signing_key", &c));
    assert_string_equal((const char *)c.bytes, "vlek");
    T_OK(clave_attest_report_find_claim(r, "report_data", &c));
    assert_int_equal(c.bytes[0], 0x81);
    assert_int_equal(c.bytes[1], 0x97);
    clave_attest_report_free(r);
    r = appraise(&v, T_NOW_2026_11_22, NULL);
    assert_false(clave_attest_report_ok(r));
    assert_true(t_check_passed(r, "snp.signature", NULL, 0));
    assert_false(t_check_passed(r, "x509.chain", detail, sizeof(detail)));
    assert_non_null(strstr(detail, "SEV-VLEK"));
    assert_non_null(strstr(detail, "expired"));
    clave_attest_report_free(r);
    vec_free(&v);
}

static void test_vcek_not_yet_valid_names_it(void **state)
{
    (void)state;
    struct vec v = load("trustee_milan_report.bin", "trustee_milan_vcek.der");
    char detail[CLAVE_ATTEST_DETAIL_MAX];
    struct clave_attest_report *r = appraise(&v, 1600000000, NULL); /* 2020-09-13 */
    assert_false(t_check_passed(r, "x509.chain", detail, sizeof(detail)));
    assert_non_null(strstr(detail, "SEV-VCEK"));
    assert_non_null(strstr(detail, "not yet valid"));
    clave_attest_report_free(r);
    vec_free(&v);
}

static void test_wrong_vcek_rejects(void **state)
{
    (void)state;
    struct vec v = load("trustee_milan_report.bin", "gosevguest_milan_vcek.der");
    struct clave_attest_report *r = appraise(&v, T_NOW_2026_11_22, NULL);
    assert_false(t_check_passed(r, "snp.signature", NULL, 0));
    assert_false(clave_attest_report_ok(r));
    clave_attest_report_free(r);
    struct clave_attest_options none = {.at_time = T_NOW_2026_11_22};
    r = t_appraise("snp", v.report, v.report_len, &none, NULL, T_NOW_2026_11_22);
    assert_false(clave_attest_report_ok(r));
    clave_attest_report_free(r);
    vec_free(&v);
}

static void test_collateral_dir_finds_the_signer(void **state)
{
    (void)state;
    struct vec v = load("trustee_milan_report.bin", "trustee_milan_vcek.der");
    char dir[512];
    (void)snprintf(dir, sizeof(dir), "%s", t_shared_vector("attestation/sev-snp"));
    struct clave_attest_options opts = {.at_time = T_NOW_2026_11_22, .collateral_dir = dir};
    struct clave_attest_report *r =
        t_appraise("snp", v.report, v.report_len, &opts, NULL, T_NOW_2026_11_22);
    assert_true(clave_attest_report_ok(r));
    clave_attest_report_free(r);
    vec_free(&v);
}

static void flip_walk(struct vec *v, size_t from, size_t to, size_t step, int64_t at)
{
    struct clave_attest_cache *cache = NULL;
    T_OK(clave_attest_cache_new(&cache));
    for (size_t bit = from; bit < to; bit += step) {
        v->report[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        struct clave_attest_options opts = {
            .at_time = at, .endorsement = v->cert, .endorsement_len = v->cert_len, .cache = cache};
        struct clave_attest_report *r = NULL;
        T_OK(clave_attest_report_new(&r));
        clave_status st = clave_attest_verify("snp", v->report, v->report_len, &opts, r);
        if (st == CLAVE_OK && clave_attest_report_ok(r)) {
            fail_msg("flipping bit %zu of byte 0x%zx still verifies", bit % 8, bit / 8);
        }
        clave_attest_report_free(r);
        v->report[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    clave_attest_cache_free(cache);
}

/* Every bit of 0x000-0x29F and of the R and S fields. (The 368 reserved bytes after S are not
 * signed and not part of the signature.) */
static void test_bit_flip_walk_trustee(void **state)
{
    (void)state;
    struct vec v = load("trustee_milan_report.bin", "trustee_milan_vcek.der");
    flip_walk(&v, 0, (CLAVE_SNP_SIGNED_LEN + 144) * 8, 1, T_NOW_2026_11_22);
    vec_free(&v);
}

static void test_bit_flip_sample_others(void **state)
{
    (void)state;
    struct vec g = load("gosevguest_milan_report.bin", "gosevguest_milan_vcek.der");
    flip_walk(&g, 1, (CLAVE_SNP_SIGNED_LEN + 144) * 8, 13, T_NOW_2026_11_22);
    vec_free(&g);
    struct vec l = load("trustee_milan_vlek_report.bin", "trustee_milan_vlek.der");
    flip_walk(&l, 5, (CLAVE_SNP_SIGNED_LEN + 144) * 8, 13, VLEK_VALID_TIME);
    vec_free(&l);
}

/* Flipping a bit of the VCEK certificate (anywhere) must reject. */
static void test_certificate_bit_flips(void **state)
{
    (void)state;
    struct vec v = load("trustee_milan_report.bin", "trustee_milan_vcek.der");
    for (size_t bit = 0; bit < v.cert_len * 8; bit += 7) {
        v.cert[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        struct clave_attest_report *r = appraise(&v, T_NOW_2026_11_22, NULL);
        if (t_crypto_ok(r)) {
            fail_msg("VCEK bit %zu flipped still verifies", bit);
        }
        clave_attest_report_free(r);
        v.cert[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    vec_free(&v);
}

static void test_truncation_and_version(void **state)
{
    (void)state;
    struct vec v = load("trustee_milan_report.bin", "trustee_milan_vcek.der");
    struct clave_attest_report *r = NULL;
    for (size_t n = 0; n < v.report_len; n += 37) {
        T_OK(clave_attest_report_new(&r));
        T_OK(clave_attest_verify("snp", v.report, n, NULL, r));
        assert_false(clave_attest_report_ok(r));
        clave_attest_report_free(r);
    }
    v.report[0] = 1; /* version 1 */
    T_OK(clave_attest_report_new(&r));
    T_OK(clave_attest_verify("snp", v.report, v.report_len, NULL, r));
    assert_false(t_check_passed(r, "snp.format", NULL, 0));
    clave_attest_report_free(r);
    assert_null(clave_attest_detect(v.report, v.report_len));
    vec_free(&v);
}

static void test_policy_reference_values(void **state)
{
    (void)state;
    struct vec v = load("trustee_milan_report.bin", "trustee_milan_vcek.der");
    static const char POLICY[] =
        "{\"version\":1,\"tees\":{\"snp\":{"
        "\"reference\":{\"measurement\":[\"00\",\"a1f3930413247bb38cfc171579ea3c12d5fe4901f0c792f6"
        "3fd75d98f1ef827c23500644e0e692e6be917f9050d3d38c\"],\"snp.vmpl\":[0]},"
        "\"min\":{\"snp.reported_tcb.snp\":8,\"snp.guest_svn\":4},"
        "\"report_data\":\"ec6c52d7533cc2c4f45be7849cf112ab82b2009fe7bd43e71ed08c14400ad7e2\"}}}";
    static const char STRICT[] = "{\"version\":1,\"tees\":{\"snp\":{"
                                 "\"min\":{\"snp.reported_tcb.snp\":9},"
                                 "\"reference\":{\"snp.host_data\":[\"01\"]},"
                                 "\"max_age_seconds\":60,\"report_data\":\"ec6d\"}}}";
    struct clave_attest_policy *p = NULL;
    struct clave_attest_options opts = {
        .at_time = T_NOW_2026_11_22, .endorsement = v.cert, .endorsement_len = v.cert_len};
    T_OK(clave_attest_policy_parse(POLICY, sizeof(POLICY) - 1, NULL, &p));
    struct clave_attest_report *r =
        t_appraise("snp", v.report, v.report_len, &opts, p, T_NOW_2026_11_22);
    assert_true(clave_attest_report_ok(r));
    assert_true(t_check_passed(r, "policy.reference.measurement", NULL, 0));
    assert_true(t_check_passed(r, "policy.min.snp.reported_tcb.snp", NULL, 0));
    assert_true(t_check_passed(r, "policy.report_data", NULL, 0));
    clave_attest_report_free(r);
    clave_attest_policy_free(p);
    T_OK(clave_attest_policy_parse(STRICT, sizeof(STRICT) - 1, NULL, &p));
    r = t_appraise("snp", v.report, v.report_len, &opts, p, T_NOW_2026_11_22);
    assert_true(t_crypto_ok(r));
    assert_false(t_check_passed(r, "policy.min.snp.reported_tcb.snp", NULL, 0));
    assert_false(t_check_passed(r, "policy.reference.snp.host_data", NULL, 0));
    assert_false(t_check_passed(r, "policy.max_age", NULL, 0)); /* SNP carries no time */
    assert_false(t_check_passed(r, "policy.report_data", NULL, 0));
    clave_attest_report_free(r);
    clave_attest_policy_free(p);
    vec_free(&v);
}

static void test_policy_parse_errors(void **state)
{
    (void)state;
    const char *bad[] = {
        "{}",
        "{\"version\":2,\"tees\":{}}",
        "{\"version\":1,\"tees\":{\"snp\":{\"debug\":1}}}",
        "{\"version\":1,\"tees\":{\"snp\":{\"unknown\":1}}}",
        "{\"version\":1,\"tees\":{\"snp\":{\"reference\":{\"measurement\":[]}}}}",
        "{\"version\":1,\"tees\":{\"snp\":{\"min\":{\"x\":\"1\"}}}}",
        "{\"version\":1,\"tees\":{\"snp\":{\"trusted_roots\":[\"/nonexistent.pem\"]}}}",
        "{\"version\":1,\"tees\":{\"snp\":{\"max_age_seconds\":-1}}}",
        "[1,2",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct clave_attest_policy *p = NULL;
        clave_status st = clave_attest_policy_parse(bad[i], strlen(bad[i]), NULL, &p);
        if (st == CLAVE_OK) {
            fail_msg("policy %zu parsed: %s", i, bad[i]);
        }
        assert_null(p);
    }
}

static void test_unlisted_tee_rejected(void **state)
{
    (void)state;
    struct vec v = load("trustee_milan_report.bin", "trustee_milan_vcek.der");
    static const char ONLY_NITRO[] = "{\"version\":1,\"tees\":{\"nitro\":{}}}";
    struct clave_attest_policy *p = NULL;
    struct clave_attest_options opts = {
        .at_time = T_NOW_2026_11_22, .endorsement = v.cert, .endorsement_len = v.cert_len};
    T_OK(clave_attest_policy_parse(ONLY_NITRO, sizeof(ONLY_NITRO) - 1, NULL, &p));
    struct clave_attest_report *r =
        t_appraise("snp", v.report, v.report_len, &opts, p, T_NOW_2026_11_22);
    assert_false(t_check_passed(r, "policy.tee", NULL, 0));
    clave_attest_report_free(r);
    clave_attest_policy_free(p);
    vec_free(&v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gosevguest_valid_but_debug_rejected),
        cmocka_unit_test(test_trustee_milan_valid),
        cmocka_unit_test(test_vlek_valid_in_window_expired_now),
        cmocka_unit_test(test_vcek_not_yet_valid_names_it),
        cmocka_unit_test(test_wrong_vcek_rejects),
        cmocka_unit_test(test_collateral_dir_finds_the_signer),
        cmocka_unit_test(test_bit_flip_walk_trustee),
        cmocka_unit_test(test_bit_flip_sample_others),
        cmocka_unit_test(test_certificate_bit_flips),
        cmocka_unit_test(test_truncation_and_version),
        cmocka_unit_test(test_policy_reference_values),
        cmocka_unit_test(test_policy_parse_errors),
        cmocka_unit_test(test_unlisted_tee_rejected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
