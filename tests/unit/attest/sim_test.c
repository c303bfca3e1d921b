/* SPDX-License-Identifier: Apache-2.0 */
/* The simulated TEE: sim evidence round-trips through the real verifiers, only under a policy
 * that trusts the dev root; never under the default policy. */
#include "attest_testutil.h"

#include <sys/stat.h>
#include <time.h>

static char *g_dir;

static int setup(void **state)
{
    (void)state;
    g_dir = t_tempdir();
    char sub[4096];
    (void)snprintf(sub, sizeof(sub), "%s/sim", g_dir);
    T_OK(clave_attest_sim_init(sub));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    t_rmtree(g_dir);
    free(g_dir);
    return 0;
}

static const char *sim_dir(void)
{
    static char sub[4096];
    (void)snprintf(sub, sizeof(sub), "%s/sim", g_dir);
    return sub;
}

static struct clave_attest_policy *sim_policy(void)
{
    char json[8192];
    struct clave_attest_policy *p = NULL;
    (void)snprintf(json, sizeof(json),
                   "{\"version\":1,\"tees\":{\"sim-nitro\":{\"trusted_roots\":[\"root.pem\"]},"
                   "\"sim-snp\":{\"trusted_roots\":[\"root.pem\"]}}}");
    T_OK(clave_attest_policy_parse(json, strlen(json), sim_dir(), &p));
    return p;
}

static void roundtrip(const char *format, const char *tee)
{
    uint8_t rd[64];
    uint8_t meas[48];
    memset(rd, 0xab, sizeof(rd));
    memset(meas, 0x5c, sizeof(meas));
    struct clave_attest_sim_input in = {.report_data = rd,
                                        .report_data_len = sizeof(rd),
                                        .measurement = meas,
                                        .measurement_len = sizeof(meas)};
    uint8_t *ev = NULL;
    size_t len = 0;
    T_OK(clave_attest_sim_evidence(sim_dir(), format, &in, &ev, &len));
    assert_string_equal(clave_attest_detect(ev, len), format);
    struct clave_attest_policy *p = sim_policy();
    struct clave_attest_options opts = {.policy = p, .collateral_dir = sim_dir()};
    struct clave_attest_report *r = t_appraise("auto", ev, len, &opts, p, time(NULL));
    assert_true(clave_attest_report_ok(r));
    struct clave_attest_claim c;
    T_OK(clave_attest_report_find_claim(r, "tee", &c));
    assert_string_equal((const char *)c.bytes, tee);
    T_OK(clave_attest_report_find_claim(r, "report_data", &c));
    assert_memory_equal(c.bytes, rd, sizeof(rd));
    T_OK(clave_attest_report_find_claim(r, "measurement", &c));
    assert_memory_equal(c.bytes, meas, sizeof(meas));
    clave_attest_report_free(r);
    /* The default policy never trusts the dev root. */
    struct clave_attest_options plain = {.collateral_dir = sim_dir()};
    r = t_appraise("auto", ev, len, &plain, NULL, time(NULL));
    assert_false(clave_attest_report_ok(r));
    assert_false(t_check_passed(r, "x509.chain", NULL, 0));
    clave_attest_report_free(r);
    /* Tampering rejects (a sample of bits). */
    for (size_t bit = 0; bit < len * 8; bit += 131) {
        ev[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        T_OK(clave_attest_report_new(&r));
        clave_status st = clave_attest_verify(format, ev, len, &opts, r);
        if (st == CLAVE_OK && clave_attest_report_ok(r) &&
            !(strcmp(format, "snp") == 0 && bit / 8 >= CLAVE_SNP_SIGNED_LEN + 144)) {
            fail_msg("%s: bit %zu flipped still verifies", format, bit);
        }
        clave_attest_report_free(r);
        ev[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    clave_attest_policy_free(p);
    free(ev);
}

static void test_sim_nitro_roundtrip(void **state)
{
    (void)state;
    roundtrip("nitro", "sim-nitro");
}

static void test_sim_snp_roundtrip(void **state)
{
    (void)state;
    roundtrip("snp", "sim-snp");
}

static void test_sim_init_refuses_overwrite_and_keys_private(void **state)
{
    (void)state;
    T_ERR(clave_attest_sim_init(sim_dir()), CLAVE_ERR_EXISTS);
    char path[4200];
    struct stat sb;
    (void)snprintf(path, sizeof(path), "%s/snp-vcek.key", sim_dir());
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 077, 0);
}

static void test_sim_input_limits(void **state)
{
    (void)state;
    uint8_t big[65] = {0};
    struct clave_attest_sim_input in = {.report_data = big, .report_data_len = sizeof(big)};
    uint8_t *ev = NULL;
    size_t len = 0;
    T_ERR(clave_attest_sim_evidence(sim_dir(), "snp", &in, &ev, &len), CLAVE_ERR_ARG);
    T_ERR(clave_attest_sim_evidence(sim_dir(), "tdx", NULL, &ev, &len), CLAVE_ERR_ARG);
    T_ERR(clave_attest_sim_evidence("/nonexistent-sim", "nitro", NULL, &ev, &len),
          CLAVE_ERR_NOT_FOUND);
    /* Nitro without user data or measurement: PCR0 is not zero, so it is not "debug". */
    T_OK(clave_attest_sim_evidence(sim_dir(), "nitro", NULL, &ev, &len));
    struct clave_attest_report *r = NULL;
    T_OK(clave_attest_report_new(&r));
    T_OK(clave_attest_inspect("nitro", ev, len, r));
    assert_int_equal(t_claim_int(r, "debug"), 0);
    clave_attest_report_free(r);
    free(ev);
}

/* A signer opened once: every report is fresh (its own signature), verifies, and has the body
 * clave_attest_sim_evidence gives for the same input. */
static void test_sim_snp_signer(void **state)
{
    (void)state;
    struct clave_attest_sim_snp *s = NULL;
    uint8_t rd[64];
    memset(rd, 0x3c, sizeof(rd));
    struct clave_attest_sim_input in = {.report_data = rd, .report_data_len = sizeof(rd)};
    uint8_t *a = NULL;
    uint8_t *b = NULL;
    uint8_t *c = NULL;
    size_t alen = 0;
    size_t blen = 0;
    size_t clen = 0;
    T_ERR(clave_attest_sim_snp_open("/nonexistent-sim", &s), CLAVE_ERR_NOT_FOUND);
    assert_null(s);
    T_OK(clave_attest_sim_snp_open(sim_dir(), &s));
    T_OK(clave_attest_sim_snp_report(s, &in, &a, &alen));
    T_OK(clave_attest_sim_snp_report(s, &in, &b, &blen));
    T_OK(clave_attest_sim_evidence(sim_dir(), "snp", &in, &c, &clen));
    assert_int_equal(alen, CLAVE_SNP_REPORT_LEN);
    assert_int_equal(blen, alen);
    assert_int_equal(clen, alen);
    assert_memory_equal(a, c, CLAVE_SNP_SIGNED_LEN);
    assert_memory_not_equal(a + CLAVE_SNP_SIGNED_LEN, b + CLAVE_SNP_SIGNED_LEN, 144);
    struct clave_attest_policy *p = sim_policy();
    struct clave_attest_options opts = {.policy = p, .collateral_dir = sim_dir()};
    for (int i = 0; i < 2; i++) {
        struct clave_attest_report *r =
            t_appraise("snp", i == 0 ? a : b, alen, &opts, p, time(NULL));
        assert_true(clave_attest_report_ok(r));
        clave_attest_report_free(r);
    }
    uint8_t big[65] = {0};
    struct clave_attest_sim_input over = {.report_data = big, .report_data_len = sizeof(big)};
    free(c);
    c = NULL;
    T_ERR(clave_attest_sim_snp_report(s, &over, &c, &clen), CLAVE_ERR_ARG);
    assert_null(c);
    T_ERR(clave_attest_sim_snp_report(NULL, &in, &c, &clen), CLAVE_ERR_ARG);
    clave_attest_policy_free(p);
    clave_attest_sim_snp_free(s);
    clave_attest_sim_snp_free(NULL);
    free(a);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sim_nitro_roundtrip),
        cmocka_unit_test(test_sim_snp_roundtrip),
        cmocka_unit_test(test_sim_init_refuses_overwrite_and_keys_private),
        cmocka_unit_test(test_sim_input_limits),
        cmocka_unit_test(test_sim_snp_signer),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
