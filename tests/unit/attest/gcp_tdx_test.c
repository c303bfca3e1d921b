/* SPDX-License-Identifier: Apache-2.0 */
/* GCP TDX (README section 7): the CCEL log replays to RTMR0..2 of the COS 113 quote. */
#include "testlib.h"

#include "attest/gcp_tdx.h"

#include <stdlib.h>
#include <string.h>

#define T_GCP 1751328000 /* inside the PCK window 2024-07-02 .. 2031-07-02 */

static int outcome(const struct clave_attest_report *r, const char *name)
{
    struct clave_attest_check c;
    for (size_t i = 0; i < clave_attest_report_check_count(r); i++) {
        T_OK(clave_attest_report_get_check(r, i, &c));
        if (strcmp(c.name, name) == 0) {
            return c.outcome == CLAVE_CHECK_PASS ? 1 : 2;
        }
    }
    return 0;
}

static void test_replay_matches_quote(void **state)
{
    (void)state;
    size_t qlen = 0, llen = 0, nlen = 0;
    uint8_t *quote =
        t_read_file(t_shared_vector("attestation/gcp-tdx/gotdx_cos-113-tdx-quote.dat"), &qlen);
    uint8_t *log = t_read_file(t_shared_vector("attestation/gcp-tdx/gotdx_ccel_data.dat"), &llen);
    uint8_t *nonce = t_read_file(t_shared_vector("attestation/gcp-tdx/gotdx_nonce.dat"), &nlen);
    struct clave_attest_report *r = NULL;
    struct ccel_replay replay;
    T_OK(clave_ccel_replay(log, llen, &replay));
    assert_int_equal(replay.event_count, 43); /* README: 43 events after the Spec ID event */
    T_OK(clave_attest_report_new(&r));
    /* Without collateral the DCAP verdict fails, but every quote and GCP check passes. */
    T_ERR(clave_gcp_tdx_verify(quote, qlen, NULL, T_GCP, log, llen, nonce, nlen, r), CLAVE_ERR_ARG);
    const char *pass[] = {"dcap.quote_signature", "dcap.pck_chain", "dcap.qe_report_signature",
                          "dcap.qe_report_data",  "gcp.nonce",      "gcp.event_log",
                          "gcp.rtmr_replay"};
    for (size_t i = 0; i < sizeof(pass) / sizeof(pass[0]); i++) {
        assert_int_equal(outcome(r, pass[i]), 1);
    }
    assert_int_equal(outcome(r, "dcap.collateral"), 2);
    clave_attest_report_free(r);
    /* A changed event digest or a wrong nonce rejects; truncations never crash. */
    nonce[0] ^= 1;
    T_OK(clave_attest_report_new(&r));
    assert_int_not_equal(clave_gcp_tdx_verify(quote, qlen, NULL, T_GCP, log, llen, nonce, nlen, r),
                         CLAVE_OK);
    assert_int_equal(outcome(r, "gcp.nonce"), 2);
    clave_attest_report_free(r);
    nonce[0] ^= 1;
    for (size_t off = 200; off < 4000; off += 97) {
        log[off] ^= 0x10;
        T_OK(clave_attest_report_new(&r));
        assert_int_not_equal(
            clave_gcp_tdx_verify(quote, qlen, NULL, T_GCP, log, llen, nonce, nlen, r), CLAVE_OK);
        clave_attest_report_free(r);
        log[off] ^= 0x10;
    }
    for (size_t n = 0; n < 6000; n += 13) {
        clave_status st = clave_ccel_replay(log, n, &replay);
        assert_true(st == CLAVE_OK || st == CLAVE_ERR_TRUNCATED || st == CLAVE_ERR_FORMAT);
    }
    free(quote);
    free(log);
    free(nonce);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replay_matches_quote),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
