/* SPDX-License-Identifier: Apache-2.0 */
/* Evidence collection without the devices: NSM request encoding and response parsing, the SNP
 * MSG_REPORT_RSP parser, the configfs-tsm entry protocol on a stand-in directory, and the
 * "no TEE device" error on this machine. */
#include "attest_testutil.h"

#include "attest/collect.h"
#include "core/cbor.h"

#include <sys/stat.h>
#include <unistd.h>

static void test_nsm_request_encoding(void **state)
{
    (void)state;
    uint8_t buf[CLAVE_NSM_REQUEST_MAX];
    size_t len = 0;
    const uint8_t ud[3] = {1, 2, 3};
    T_OK(clave__nsm_encode_request(ud, sizeof(ud), buf, sizeof(buf), &len));
    /* {"Attestation": {"user_data": h'010203', "nonce": null, "public_key": null}} */
    size_t want_len = 0;
    uint8_t *want = t_hex("a16b4174746573746174696f6ea369757365725f6461746143010203656e6f6e6365"
                          "f66a7075626c69635f6b6579f6",
                          &want_len);
    assert_int_equal(len, want_len);
    assert_memory_equal(buf, want, len);
    free(want);
    T_OK(clave__nsm_encode_request(NULL, 0, buf, sizeof(buf), &len));
    cbor_item_t *item = NULL;
    T_OK(clave__cbor_load(buf, len, NULL, &item));
    cbor_decref(&item);
    uint8_t big[513] = {0};
    T_ERR(clave__nsm_encode_request(big, sizeof(big), buf, sizeof(buf), &len), CLAVE_ERR_ARG);
    T_ERR(clave__nsm_encode_request(ud, sizeof(ud), buf, 8, &len), CLAVE_ERR_TOO_LARGE);
}

static void test_nsm_response_parsing(void **state)
{
    (void)state;
    uint8_t *doc = NULL;
    size_t doc_len = 0;
    size_t len = 0;
    /* {"Attestation": {"document": h'd28444'}} */
    uint8_t *ok = t_hex("a16b4174746573746174696f6ea168646f63756d656e7443d28444", &len);
    T_OK(clave__nsm_parse_response(ok, len, &doc, &doc_len));
    assert_int_equal(doc_len, 3);
    assert_int_equal(doc[0], 0xd2);
    free(doc);
    for (size_t n = 0; n < len; n++) { /* every truncation fails */
        assert_int_not_equal(clave__nsm_parse_response(ok, n, &doc, &doc_len), CLAVE_OK);
        assert_null(doc);
    }
    free(ok);
    /* {"Error": "InvalidArgument"} */
    uint8_t *err = t_hex("a1654572726f726f496e76616c6964417267756d656e74", &len);
    T_ERR(clave__nsm_parse_response(err, len, &doc, &doc_len), CLAVE_ERR_IO);
    free(err);
    /* {"Attestation": {"document": "text"}} */
    uint8_t *wrong = t_hex("a16b4174746573746174696f6ea168646f63756d656e746474657874", &len);
    T_ERR(clave__nsm_parse_response(wrong, len, &doc, &doc_len), CLAVE_ERR_FORMAT);
    free(wrong);
}

static void test_snp_response_parsing(void **state)
{
    (void)state;
    size_t rl = 0;
    uint8_t *report =
        t_read_file(t_shared_vector("attestation/sev-snp/trustee_milan_report.bin"), &rl);
    uint8_t resp[CLAVE_SNP_RESP_LEN] = {0};
    resp[4] = (uint8_t)(CLAVE_SNP_REPORT_LEN & 0xff);
    resp[5] = (uint8_t)(CLAVE_SNP_REPORT_LEN >> 8);
    memcpy(resp + CLAVE_SNP_RESP_HEADER_LEN, report, rl);
    uint8_t *out = NULL;
    size_t out_len = 0;
    T_OK(clave__snp_parse_response(resp, sizeof(resp), &out, &out_len));
    assert_int_equal(out_len, CLAVE_SNP_REPORT_LEN);
    assert_memory_equal(out, report, rl);
    free(out);
    T_ERR(clave__snp_parse_response(resp, 100, &out, &out_len), CLAVE_ERR_TRUNCATED);
    resp[0] = 0x16; /* firmware error status */
    T_ERR(clave__snp_parse_response(resp, sizeof(resp), &out, &out_len), CLAVE_ERR_IO);
    resp[0] = 0;
    resp[4] = 0xff; /* wrong size */
    T_ERR(clave__snp_parse_response(resp, sizeof(resp), &out, &out_len), CLAVE_ERR_FORMAT);
    free(report);
}

static void put(const char *dir, const char *name, const char *text)
{
    char path[4200];
    (void)snprintf(path, sizeof(path), "%s/%s", dir, name);
    t_write_file(path, (const uint8_t *)text, strlen(text));
}

static void test_tsm_entry_protocol(void **state)
{
    (void)state;
    char *dir = t_tempdir();
    const char *format = NULL;
    uint8_t *out = NULL;
    size_t len = 0;
    const uint8_t rd[4] = {9, 8, 7, 6};
    put(dir, "inblob", "");
    put(dir, "provider", "sev_guest\n");
    put(dir, "outblob", "REPORT");
    T_OK(clave__tsm_read_entry(dir, rd, sizeof(rd), &format, &out, &len));
    assert_string_equal(format, "snp");
    assert_int_equal(len, 6);
    assert_memory_equal(out, "REPORT", 6);
    free(out);
    char path[4200];
    (void)snprintf(path, sizeof(path), "%s/inblob", dir);
    size_t in_len = 0;
    uint8_t *in = t_read_file(path, &in_len);
    assert_int_equal(in_len, 64); /* report data zero-padded to 64 bytes */
    assert_memory_equal(in, rd, sizeof(rd));
    free(in);
    put(dir, "provider", "tdx_guest\n");
    T_OK(clave__tsm_read_entry(dir, rd, sizeof(rd), &format, &out, &len));
    assert_string_equal(format, "tdx");
    free(out);
    put(dir, "provider", "other\n");
    T_ERR(clave__tsm_read_entry(dir, rd, sizeof(rd), &format, &out, &len), CLAVE_ERR_UNSUPPORTED);
    assert_null(out);
    t_rmtree(dir);
    free(dir);
}

static void test_no_device_here(void **state)
{
    (void)state;
    const char *format = NULL;
    uint8_t *out = NULL;
    size_t len = 0;
    if (access(CLAVE_NSM_DEVICE, F_OK) == 0 || access(CLAVE_SEV_GUEST_DEVICE, F_OK) == 0 ||
        access(CLAVE_TSM_REPORT_DIR, F_OK) == 0) {
        fail_msg("this test expects a machine without a TEE device");
    }
    T_ERR(clave_attest_collect(NULL, 0, &format, &out, &len), CLAVE_ERR_NOT_FOUND);
    assert_non_null(strstr(clave_error_last().detail,
                           "no TEE device found (looked for /dev/nsm, /dev/sev-guest, "
                           "/sys/kernel/config/tsm/report)"));
    uint8_t big[65] = {0};
    T_ERR(clave_attest_collect(big, sizeof(big), &format, &out, &len), CLAVE_ERR_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nsm_request_encoding), cmocka_unit_test(test_nsm_response_parsing),
        cmocka_unit_test(test_snp_response_parsing), cmocka_unit_test(test_tsm_entry_protocol),
        cmocka_unit_test(test_no_device_here),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
