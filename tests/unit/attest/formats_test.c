/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The one verifier entry point, clave_attest_verify(), on the Intel DCAP, Azure vTPM, GCP TDX
 * and TPM2 rows: detection, options (collateral file or directory, nonce, endorsement, TPM
 * quote, event log), the README verdicts of ../shared/vectors/attestation sections 3-7 under
 * the default policy, and policies over the tdx.* / sgx.* claims (reference, min, tcb_status).
 */
#include "attest_testutil.h"

#define T_QVL 1751328000    /* 2025-07-01T00:00:00Z: dcap-qvl TDX v4 and SGX v3 windows */
#define T_GOTDX 1688173200  /* 2023-07-01T01:00:00Z: go-tdx-guest SPR window */
#define T_QVL_V5 1772323200 /* 2026-03-01T00:00:00Z: dcap-qvl v5 outdated window */

static const char NONCE_V2[] = "982f5c6e45df0ed3f10b6f60b02f0c8390e281300f3805e2279c16168cd6ae9aa"
                               "398f647caa2338748cd0fd9f5f819ef";
static const char NONCE_GENOA[] = "0218488bae25d2509232bf676f1a66a30d7372add909109b36016ef136f29"
                                  "38ca05475f8b46094de6b64270ea35d950f";
static const char SGX_JSON[] = "attestation/sgx/dcapqvl_sgx_quote_v3_collateral.json";

static uint8_t *vec(const char *rel, size_t *len)
{
    return t_read_file(t_shared_vector(rel), len);
}

static struct clave_attest_policy *policy(const char *json)
{
    struct clave_attest_policy *p = NULL;
    T_OK(clave_attest_policy_parse(json, strlen(json), NULL, &p));
    return p;
}

static void expect_verdict(struct clave_attest_report *r, bool ok)
{
    if (clave_attest_report_ok(r) != ok) {
        char *json = NULL;
        T_OK(clave_attest_report_json(r, &json));
        print_message("%s\n", json);
        free(json);
        fail_msg("verdict %d, expected %d", !ok, ok);
    }
}

/* Every check passes except those named in `failing` (NULL-terminated). */
static void expect_only(const struct clave_attest_report *r, const char *const *failing)
{
    for (size_t i = 0; i < clave_attest_report_check_count(r); i++) {
        struct clave_attest_check c;
        bool expected = false;
        T_OK(clave_attest_report_get_check(r, i, &c));
        for (size_t k = 0; failing[k] != NULL; k++) {
            expected = expected || strcmp(failing[k], c.name) == 0;
        }
        if ((c.outcome == CLAVE_CHECK_PASS) == expected) {
            fail_msg("check %s: %s (%s)", c.name, expected ? "passed" : "failed", c.detail);
        }
    }
}

static const char *tee_of(const struct clave_attest_report *r)
{
    struct clave_attest_claim c;
    T_OK(clave_attest_report_find_claim(r, "tee", &c));
    return (const char *)c.bytes;
}

static void test_detect(void **state)
{
    (void)state;
    static const struct {
        const char *rel;
        const char *format;
    } CASES[] = {
        {"attestation/tdx/dcapqvl_quote_v4.dat", "tdx"},
        {"attestation/tdx/gotdx_quote_v5.dat", "tdx"},
        {"attestation/gcp-tdx/gotdx_cos-113-tdx-quote.dat", "tdx"},
        {"attestation/sgx/dcapqvl_sgx_quote_v3.dat", "sgx"},
        {"attestation/azure-snp-vtpm/trustee_evidence-v2.json", "az-snp-vtpm"},
        {"attestation/azure-snp-vtpm/trustee_evidence-genoa.json", "az-snp-vtpm"},
        {"attestation/azure-snp-vtpm/trustee_hcl-report.bin", "az-snp-vtpm"},
        {"attestation/azure-tdx-vtpm/trustee_evidence-v1.json", "az-tdx-vtpm"},
        {"attestation/sev-snp/trustee_milan_report.bin", "snp"},
        {"attestation/nitro/evervault_doc_2022-10-13_prod.cose", "nitro"},
    };
    for (size_t i = 0; i < sizeof(CASES) / sizeof(CASES[0]); i++) {
        size_t len = 0;
        uint8_t *ev = vec(CASES[i].rel, &len);
        const char *got = clave_attest_detect(ev, len);
        assert_non_null(got);
        assert_string_equal(got, CASES[i].format);
        free(ev);
    }
    bool listed[8] = {false};
    static const char *const NAMES[] = {"tdx",     "sgx",  "az-snp-vtpm", "az-tdx-vtpm",
                                        "gcp-tdx", "tpm2", "nitro",       "snp"};
    for (size_t i = 0; clave_attest_format_name(i) != NULL; i++) {
        for (size_t k = 0; k < 8; k++) {
            listed[k] = listed[k] || strcmp(NAMES[k], clave_attest_format_name(i)) == 0;
        }
    }
    for (size_t k = 0; k < 8; k++) {
        assert_true(listed[k]);
    }
}

/* README 3: dcap-qvl TDX v4 is UpToDate (OK under the default policy); go-tdx-guest SPR has no
 * matching TCB level; the v5 outdated quote matches no level either. */
static void test_tdx_verdicts(void **state)
{
    (void)state;
    size_t len = 0;
    uint8_t *q = vec("attestation/tdx/dcapqvl_quote_v4.dat", &len);
    struct clave_attest_options o = {
        .at_time = T_QVL,
        .collateral_file = t_shared_vector("attestation/tdx/dcapqvl_quote_v4_collateral.json")};
    struct clave_attest_report *r = t_appraise("auto", q, len, &o, NULL, T_QVL);
    expect_verdict(r, true);
    assert_string_equal(tee_of(r), "tdx");
    assert_true(t_check_passed(r, "policy.tcb_status", NULL, 0));
    clave_attest_report_free(r);
    free(q);

    q = vec("attestation/tdx/gotdx_quote_v4_spr.dat", &len);
    o = (struct clave_attest_options){.at_time = T_GOTDX,
                                      .collateral_dir = t_shared_vector("attestation/tdx")};
    r = t_appraise("tdx", q, len, &o, NULL, T_GOTDX);
    static const char *const SPR_FAIL[] = {"dcap.tcb_level", "policy.tcb_status", NULL};
    expect_only(r, SPR_FAIL);
    clave_attest_report_free(r);
    free(q);

    q = vec("attestation/tdx/dcapqvl_quote_v5_outdated.dat", &len);
    o = (struct clave_attest_options){
        .at_time = T_QVL_V5,
        .collateral_file =
            t_shared_vector("attestation/tdx/dcapqvl_quote_v5_outdated_collateral.json")};
    r = t_appraise("auto", q, len, &o, NULL, T_QVL_V5);
    expect_only(r, SPR_FAIL);
    clave_attest_report_free(r);
    /* Given as "sgx", a TD quote fails "dcap.tee_type". */
    r = t_appraise("sgx", q, len, &o, NULL, T_QVL_V5);
    assert_false(t_check_passed(r, "dcap.tee_type", NULL, 0));
    clave_attest_report_free(r);
    free(q);
}

/* A collateral path that does not load is a failed check, not an error. */
static void test_bad_collateral(void **state)
{
    (void)state;
    size_t len = 0;
    uint8_t *q = vec("attestation/tdx/dcapqvl_quote_v4.dat", &len);
    struct clave_attest_options o = {.at_time = T_QVL,
                                     .collateral_file = t_shared_vector("attestation/tdx")};
    struct clave_attest_report *r = t_appraise("tdx", q, len, &o, NULL, T_QVL);
    assert_false(t_check_passed(r, "dcap.collateral_load", NULL, 0));
    assert_false(t_check_passed(r, "dcap.collateral", NULL, 0));
    expect_verdict(r, false);
    clave_attest_report_free(r);
    o = (struct clave_attest_options){.at_time = T_QVL,
                                      .collateral_dir = t_shared_vector("attestation/nitro")};
    r = t_appraise("tdx", q, len, &o, NULL, T_QVL);
    assert_false(t_check_passed(r, "dcap.collateral_load", NULL, 0));
    clave_attest_report_free(r);
    free(q);
}

/* README 4: the SGX v3 quote is ConfigurationAndSWHardeningNeeded: rejected by the default
 * policy (UpToDate only) and by a policy that lists other statuses, accepted when listed. */
static void test_sgx_tcb_status_policy(void **state)
{
    (void)state;
    size_t len = 0;
    uint8_t *q = vec("attestation/sgx/dcapqvl_sgx_quote_v3.dat", &len);
    struct clave_attest_options o = {.at_time = T_QVL,
                                     .collateral_file = t_shared_vector(SGX_JSON)};
    struct clave_attest_report *r = t_appraise("auto", q, len, &o, NULL, T_QVL);
    static const char *const STATUS_FAIL[] = {"policy.tcb_status", NULL};
    expect_only(r, STATUS_FAIL);
    clave_attest_report_free(r);

    struct clave_attest_policy *p =
        policy("{\"version\":1,\"tees\":{\"sgx\":{\"tcb_status\":[\"UpToDate\","
               "\"SWHardeningNeeded\"]}}}");
    r = t_appraise("sgx", q, len, &o, p, T_QVL);
    expect_only(r, STATUS_FAIL);
    clave_attest_report_free(r);
    clave_attest_policy_free(p);

    p = policy("{\"version\":1,\"tees\":{\"sgx\":{\"tcb_status\":[\"UpToDate\","
               "\"ConfigurationAndSWHardeningNeeded\"],"
               "\"reference\":{\"sgx.mrenclave\":["
               "\"33d8736db756ed4997e04ba358d27833188f1932ff7b1d156904d3f560452fbb\"],"
               "\"sgx.mrsigner\":["
               "\"815f42f11cf64430c30bab7816ba596a1da0130c3b028b673133a66cf9a3e0e6\"],"
               "\"advisories\":[\"INTEL-SA-00289,INTEL-SA-00615\"]},"
               "\"min\":{\"sgx.isvsvn\":0,\"dcap.qe_isvsvn\":10},"
               "\"report_data\":\"48656c6c6f2c20776f726c6421\"}}}");
    r = t_appraise("sgx", q, len, &o, p, T_QVL);
    expect_verdict(r, true);
    assert_true(t_check_passed(r, "policy.reference.sgx.mrsigner", NULL, 0));
    assert_true(t_check_passed(r, "policy.min.dcap.qe_isvsvn", NULL, 0));
    clave_attest_report_free(r);
    clave_attest_policy_free(p);

    /* A wrong MRSIGNER and an SVN above the quote's each fail their check. */
    p = policy("{\"version\":1,\"tees\":{\"sgx\":{\"tcb_status\":["
               "\"ConfigurationAndSWHardeningNeeded\"],"
               "\"reference\":{\"sgx.mrsigner\":["
               "\"815f42f11cf64430c30bab7816ba596a1da0130c3b028b673133a66cf9a3e0e7\"]},"
               "\"min\":{\"sgx.isvsvn\":1}}}}");
    r = t_appraise("sgx", q, len, &o, p, T_QVL);
    static const char *const REF_FAIL[] = {"policy.reference.sgx.mrsigner", "policy.min.sgx.isvsvn",
                                           NULL};
    expect_only(r, REF_FAIL);
    clave_attest_report_free(r);
    clave_attest_policy_free(p);
    free(q);
}

/* TDX reference values and per-byte TEE_TCB_SVN minimums. */
static void test_tdx_reference_and_min(void **state)
{
    (void)state;
    size_t len = 0;
    uint8_t *q = vec("attestation/tdx/dcapqvl_quote_v4.dat", &len);
    struct clave_attest_options o = {
        .at_time = T_QVL,
        .collateral_file = t_shared_vector("attestation/tdx/dcapqvl_quote_v4_collateral.json")};
    /* README: MRTD 91eb2b44..., TEE_TCB_SVN 06010300... */
    struct clave_attest_policy *p = policy(
        "{\"version\":1,\"tees\":{\"tdx\":{\"tcb_status\":[\"UpToDate\"],"
        "\"reference\":{\"tdx.mrtd\":[\"00\",\"91eb2b44d141d4ece09f0c75c2c53d247a3c68edd7fafe8a352"
        "0c942a604a407de03ae6dc5f87f27428b2538873118b7\"]},"
        "\"min\":{\"tdx.tcb_svn.0\":6,\"tdx.tcb_svn.1\":1,\"tdx.tcb_svn.2\":3}}}}");
    struct clave_attest_report *r = t_appraise("tdx", q, len, &o, p, T_QVL);
    expect_verdict(r, true);
    clave_attest_report_free(r);
    clave_attest_policy_free(p);
    p = policy("{\"version\":1,\"tees\":{\"tdx\":{\"min\":{\"tdx.tcb_svn.0\":7},"
               "\"reference\":{\"tdx.rtmr3\":[\"00\"]}}}}");
    r = t_appraise("tdx", q, len, &o, p, T_QVL);
    static const char *const FAIL[] = {"policy.min.tdx.tcb_svn.0", "policy.reference.tdx.rtmr3",
                                       NULL};
    expect_only(r, FAIL);
    clave_attest_report_free(r);
    clave_attest_policy_free(p);
    /* tcb_status entries must be strings. */
    struct clave_attest_policy *bad = NULL;
    const char *json = "{\"version\":1,\"tees\":{\"tdx\":{\"tcb_status\":[1]}}}";
    T_ERR(clave_attest_policy_parse(json, strlen(json), NULL, &bad), CLAVE_ERR_JSON);
    free(q);
}

/* README 4: the Occlum quote is a debug enclave without collateral. */
static void test_sgx_debug_rejected(void **state)
{
    (void)state;
    size_t len = 0;
    uint8_t *q = vec("attestation/sgx/trustee_occlum_sgx_quote_v3.dat", &len);
    struct clave_attest_report *r = t_appraise("auto", q, len, NULL, NULL, T_QVL);
    static const char *const FAIL[] = {"dcap.collateral", "policy.debug", "policy.tcb_status",
                                       NULL};
    expect_only(r, FAIL);
    clave_attest_report_free(r);
    free(q);
}

static void az_json(const char *rel, const char *nonce_hex, bool ok)
{
    size_t len = 0, n = 0;
    uint8_t *ev = vec(rel, &len);
    uint8_t *nonce = t_hex(nonce_hex, &n);
    struct clave_attest_options o = {.at_time = T_NOW_2026_11_22, .nonce = nonce, .nonce_len = n};
    struct clave_attest_report *r = t_appraise("az-vtpm", ev, len, &o, NULL, T_NOW_2026_11_22);
    expect_verdict(r, ok);
    assert_string_equal(tee_of(r), "az-snp-vtpm");
    assert_true(t_check_passed(r, "snp.signature", NULL, 0));
    assert_true(t_check_passed(r, "x509.chain", NULL, 0));
    clave_attest_report_free(r);
    free(nonce);
    free(ev);
}

/* README 5: the three Azure SNP vTPM samples are VALID, with the inner report's VCEK chain. */
static void test_azure_snp(void **state)
{
    (void)state;
    az_json("attestation/azure-snp-vtpm/trustee_evidence-v2.json", NONCE_V2, true);
    az_json("attestation/azure-snp-vtpm/trustee_evidence-genoa.json", NONCE_GENOA, true);
    size_t len = 0, qlen = 0, vlen = 0;
    uint8_t *hcl = vec("attestation/azure-snp-vtpm/trustee_hcl-report.bin", &len);
    uint8_t *quote = vec("attestation/azure-snp-vtpm/trustee_tpm-quote-v1.json", &qlen);
    uint8_t *vcek = vec("attestation/azure-snp-vtpm/trustee_vcek.pem", &vlen);
    struct clave_attest_options o = {.at_time = T_NOW_2026_11_22,
                                     .nonce = (const uint8_t *)"challenge",
                                     .nonce_len = 9,
                                     .tpm_quote = quote,
                                     .tpm_quote_len = qlen,
                                     .endorsement = vcek,
                                     .endorsement_len = vlen};
    struct clave_attest_report *r = t_appraise("auto", hcl, len, &o, NULL, T_NOW_2026_11_22);
    expect_verdict(r, true);
    clave_attest_report_free(r);
    /* Without the VCEK the SNP signature cannot be checked; without the quote nothing runs. */
    o.endorsement = NULL;
    r = t_appraise("az-snp-vtpm", hcl, len, &o, NULL, T_NOW_2026_11_22);
    assert_false(t_check_passed(r, "snp.signature", NULL, 0));
    clave_attest_report_free(r);
    o.endorsement = vcek;
    o.tpm_quote = NULL;
    r = t_appraise("az-snp-vtpm", hcl, len, &o, NULL, T_NOW_2026_11_22);
    assert_false(t_check_passed(r, "az.evidence", NULL, 0));
    expect_verdict(r, false);
    clave_attest_report_free(r);
    /* Sampled bits of the SNP report's signed body (0x000-0x29F) and of r (0x2A0) and s
     * (0x2E8), 48 bytes each, inside the HCL report at 0x20: the verdict turns to reject. */
    o.tpm_quote = quote;
    static const size_t REGIONS[][2] = {{0x20, 0x2a0}, {0x20 + 0x2a0, 48}, {0x20 + 0x2e8, 48}};
    for (size_t k = 0; k < 3; k++) {
        for (size_t bit = REGIONS[k][0] * 8; bit < (REGIONS[k][0] + REGIONS[k][1]) * 8; bit += 37) {
            hcl[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            r = t_appraise("az-snp-vtpm", hcl, len, &o, NULL, T_NOW_2026_11_22);
            if (clave_attest_report_ok(r)) {
                fail_msg("bit %zu of the HCL report flipped: still accepted", bit);
            }
            clave_attest_report_free(r);
            hcl[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        }
    }
    free(vcek);
    free(quote);
    free(hcl);
}

/* README 6 and 7: Azure TDX vTPM and GCP TDX: every check but the TCB collateral passes (the
 * repository has no collateral for FMSPC 00806f050000). */
static void test_azure_tdx_and_gcp(void **state)
{
    (void)state;
    size_t len = 0, llen = 0, nlen = 0;
    uint8_t *ev = vec("attestation/azure-tdx-vtpm/trustee_evidence-v1.json", &len);
    struct clave_attest_options o = {
        .at_time = T_NOW_2026_11_22, .nonce = (const uint8_t *)"challenge", .nonce_len = 9};
    struct clave_attest_report *r = t_appraise("az-vtpm", ev, len, &o, NULL, T_NOW_2026_11_22);
    static const char *const FAIL[] = {"dcap.collateral", "policy.tcb_status", NULL};
    expect_only(r, FAIL);
    assert_string_equal(tee_of(r), "az-tdx-vtpm");
    clave_attest_report_free(r);
    free(ev);

    ev = vec("attestation/gcp-tdx/gotdx_cos-113-tdx-quote.dat", &len);
    uint8_t *log = vec("attestation/gcp-tdx/gotdx_ccel_data.dat", &llen);
    uint8_t *nonce = vec("attestation/gcp-tdx/gotdx_nonce.dat", &nlen);
    o = (struct clave_attest_options){.at_time = T_NOW_2026_11_22,
                                      .nonce = nonce,
                                      .nonce_len = nlen,
                                      .event_log = log,
                                      .event_log_len = llen};
    r = t_appraise("gcp-tdx", ev, len, &o, NULL, T_NOW_2026_11_22);
    expect_only(r, FAIL);
    assert_true(t_check_passed(r, "gcp.rtmr_replay", NULL, 0));
    assert_string_equal(tee_of(r), "gcp-tdx");
    clave_attest_report_free(r);
    /* No event log: gcp.event_log fails. */
    o.event_log = NULL;
    o.event_log_len = 0;
    r = t_appraise("gcp-tdx", ev, len, &o, NULL, T_NOW_2026_11_22);
    assert_false(t_check_passed(r, "gcp.event_log", NULL, 0));
    clave_attest_report_free(r);
    free(nonce);
    free(log);
    free(ev);
}

/* Inspect records claims and no check for each new format. */
static void test_inspect(void **state)
{
    (void)state;
    static const char *const FILES[] = {
        "attestation/tdx/dcapqvl_quote_v4.dat",
        "attestation/sgx/dcapqvl_sgx_quote_v3.dat",
        "attestation/azure-snp-vtpm/trustee_evidence-v2.json",
        "attestation/azure-tdx-vtpm/trustee_evidence-v1.json",
        "attestation/azure-snp-vtpm/trustee_hcl-report.bin",
    };
    for (size_t i = 0; i < sizeof(FILES) / sizeof(FILES[0]); i++) {
        size_t len = 0;
        struct clave_attest_report *r = NULL;
        struct clave_attest_claim c;
        uint8_t *ev = vec(FILES[i], &len);
        T_OK(clave_attest_report_new(&r));
        T_OK(clave_attest_inspect("auto", ev, len, r));
        assert_int_equal(clave_attest_report_check_count(r), 0);
        T_OK(clave_attest_report_find_claim(r, "measurement", &c));
        clave_attest_report_free(r);
        free(ev);
    }
}

/* Truncations of each new format never crash and never verify. */
static void test_truncation(void **state)
{
    (void)state;
    static const char *const FILES[] = {
        "attestation/sgx/dcapqvl_sgx_quote_v3.dat",
        "attestation/azure-tdx-vtpm/trustee_evidence-v1.json",
    };
    static const char *const FORMATS[] = {"sgx", "az-tdx-vtpm", "tpm2", "gcp-tdx"};
    for (size_t i = 0; i < sizeof(FILES) / sizeof(FILES[0]); i++) {
        size_t len = 0;
        uint8_t *ev = vec(FILES[i], &len);
        for (size_t n = 0; n < len; n += 97) {
            for (size_t f = 0; f < sizeof(FORMATS) / sizeof(FORMATS[0]); f++) {
                struct clave_attest_report *r = NULL;
                T_OK(clave_attest_report_new(&r));
                T_OK(clave_attest_verify(FORMATS[f], ev, n, NULL, r));
                assert_false(clave_attest_report_ok(r));
                clave_attest_report_free(r);
            }
        }
        free(ev);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_detect),
        cmocka_unit_test(test_tdx_verdicts),
        cmocka_unit_test(test_bad_collateral),
        cmocka_unit_test(test_sgx_tcb_status_policy),
        cmocka_unit_test(test_tdx_reference_and_min),
        cmocka_unit_test(test_sgx_debug_rejected),
        cmocka_unit_test(test_azure_snp),
        cmocka_unit_test(test_azure_tdx_and_gcp),
        cmocka_unit_test(test_inspect),
        cmocka_unit_test(test_truncation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
