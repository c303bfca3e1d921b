/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Azure vTPM evidence (HCL report + TPM2 quote) against README sections 5 and 6 of
 * ../shared/vectors/attestation: every binding and the TPM quote VALID, tampering rejects.
 */
#include "testlib.h"

#include <stdlib.h>
#include <string.h>

static const char NONCE_V2[] = "982f5c6e45df0ed3f10b6f60b02f0c8390e281300f3805e2279c16168cd6ae9aa"
                               "398f647caa2338748cd0fd9f5f819ef";
static const char NONCE_GENOA[] = "0218488bae25d2509232bf676f1a66a30d7372add909109b36016ef136f29"
                                  "38ca05475f8b46094de6b64270ea35d950f";

static clave_status verify_json(const char *rel, const uint8_t *nonce, size_t nonce_len,
                                struct clave_attest_report **r)
{
    size_t len = 0;
    char *json = (char *)t_read_file(t_shared_vector(rel), &len);
    T_OK(clave_attest_report_new(r));
    clave_status st = clave_azure_vtpm_verify(json, len, nonce, nonce_len, *r);
    free(json);
    return st;
}

static void expect_claim(const struct clave_attest_report *r, const char *name, const char *hex)
{
    struct clave_attest_claim c;
    size_t len = 0;
    uint8_t *want = t_hex(hex, &len);
    T_OK(clave_attest_report_find_claim(r, name, &c));
    assert_int_equal(c.len, len);
    assert_memory_equal(c.bytes, want, len);
    free(want);
}

static void test_snp_v2_and_genoa_valid(void **state)
{
    (void)state;
    struct clave_attest_report *r = NULL;
    size_t n = 0;
    uint8_t *nonce = t_hex(NONCE_V2, &n);
    T_OK(verify_json("attestation/azure-snp-vtpm/trustee_evidence-v2.json", nonce, n, &r));
    expect_claim(r, "tpm.pcr0", "84275b2f4312cd4fc6cbe6b152ad3c3683e513d9f1e23c34fca160c8cca7a6a7");
    struct clave_attest_claim c;
    T_OK(clave_attest_report_find_claim(r, "tee", &c));
    assert_string_equal((const char *)c.bytes, "az-snp-vtpm");
    T_OK(clave_attest_report_find_claim(r, "az.snp_report", &c));
    assert_int_equal(c.len, 1184);
    clave_attest_report_free(r);
    /* A different nonce: extraData and user-data both fail. */
    nonce[0] ^= 1;
    T_ERR(verify_json("attestation/azure-snp-vtpm/trustee_evidence-v2.json", nonce, n, &r),
          CLAVE_ERR_AUTH);
    clave_attest_report_free(r);
    free(nonce);
    nonce = t_hex(NONCE_GENOA, &n);
    T_OK(verify_json("attestation/azure-snp-vtpm/trustee_evidence-genoa.json", nonce, n, &r));
    expect_claim(r, "tpm.pcr0", "afd689d0bb1c5f36f023fbaf574135f555a28a10c1f6b938d2a25e70c7783338");
    clave_attest_report_free(r);
    free(nonce);
}

static void test_snp_split_files_valid(void **state)
{
    (void)state;
    struct clave_attest_report *r = NULL;
    size_t hcl_len = 0, q_len = 0;
    uint8_t *hcl =
        t_read_file(t_shared_vector("attestation/azure-snp-vtpm/trustee_hcl-report.bin"), &hcl_len);
    char *q = (char *)t_read_file(
        t_shared_vector("attestation/azure-snp-vtpm/trustee_tpm-quote-v1.json"), &q_len);
    T_OK(clave_attest_report_new(&r));
    T_OK(clave_azure_vtpm_verify_parts(hcl, hcl_len, q, q_len, (const uint8_t *)"challenge", 9, r));
    clave_attest_report_free(r);
    /* Every 13th bit of the runtime data and of the hardware report's REPORT_DATA rejects. */
    for (size_t bit = 0x4d4 * 8; bit < (0x4d4 + 1110) * 8; bit += 13) {
        hcl[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        T_OK(clave_attest_report_new(&r));
        assert_int_not_equal(clave_azure_vtpm_verify_parts(hcl, hcl_len, q, q_len,
                                                           (const uint8_t *)"challenge", 9, r),
                             CLAVE_OK);
        clave_attest_report_free(r);
        hcl[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    for (size_t bit = (0x20 + 0x50) * 8; bit < (0x20 + 0x70) * 8; bit++) {
        hcl[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        T_OK(clave_attest_report_new(&r));
        assert_int_not_equal(clave_azure_vtpm_verify_parts(hcl, hcl_len, q, q_len,
                                                           (const uint8_t *)"challenge", 9, r),
                             CLAVE_OK);
        clave_attest_report_free(r);
        hcl[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    /* Truncation at every offset up to the end of the runtime data. */
    for (size_t n = 0; n < 0x4d4 + 1110; n += 7) {
        T_OK(clave_attest_report_new(&r));
        assert_int_not_equal(
            clave_azure_vtpm_verify_parts(hcl, n, q, q_len, (const uint8_t *)"challenge", 9, r),
            CLAVE_OK);
        clave_attest_report_free(r);
    }
    free(hcl);
    free(q);
}

static void test_tdx_valid_and_quote_binding(void **state)
{
    (void)state;
    struct clave_attest_report *r = NULL;
    struct clave_attest_claim c;
    T_OK(verify_json("attestation/azure-tdx-vtpm/trustee_evidence-v1.json",
                     (const uint8_t *)"challenge", 9, &r));
    T_OK(clave_attest_report_find_claim(r, "tee", &c));
    assert_string_equal((const char *)c.bytes, "az-tdx-vtpm");
    expect_claim(r, "tpm.pcr0", "782b20b10f55cc46e2142cc2145d548698073e5beb82752c8d7f9279f0d8a273");
    clave_attest_report_free(r);
    size_t len = 0;
    uint8_t *hcl =
        t_read_file(t_shared_vector("attestation/azure-tdx-vtpm/trustee_hcl-report.bin"), &len);
    const uint8_t *inner = NULL;
    size_t inner_len = 0;
    bool tdx = false;
    T_OK(clave_azure_hcl_inner_report(hcl, len, &inner, &inner_len, &tdx));
    assert_true(tdx);
    assert_int_equal(inner_len, 1024);
    free(hcl);
}

static void test_tpm_quote_tamper(void **state)
{
    (void)state;
    size_t len = 0;
    char *json = (char *)t_read_file(
        t_shared_vector("attestation/azure-tdx-vtpm/trustee_evidence-v1.json"), &len);
    char *msg = strstr(json, "\"message\"");
    assert_non_null(msg);
    msg = strchr(msg + 9, '"') + 1;
    size_t msg_len = (size_t)(strchr(msg, '"') - msg);
    for (size_t i = 0; i < msg_len; i += 3) {
        struct clave_attest_report *r = NULL;
        char saved = msg[i];
        msg[i] = saved == '0' ? '1' : '0';
        T_OK(clave_attest_report_new(&r));
        assert_int_not_equal(clave_azure_vtpm_verify(json, len, (const uint8_t *)"challenge", 9, r),
                             CLAVE_OK);
        clave_attest_report_free(r);
        msg[i] = saved;
    }
    free(json);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_snp_v2_and_genoa_valid),
        cmocka_unit_test(test_snp_split_files_valid),
        cmocka_unit_test(test_tdx_valid_and_quote_binding),
        cmocka_unit_test(test_tpm_quote_tamper),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
