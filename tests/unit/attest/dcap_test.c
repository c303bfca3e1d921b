/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Intel DCAP quotes (TDX v4/v5, SGX v3) against the real vectors and verdicts of
 * ../shared/vectors/attestation/README.md sections 3 and 4.
 */
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Times inside the windows the README gives (Unix seconds, UTC). */
#define T_QVL_V4 1751328000      /* 2025-07-01T00:00:00Z: dcap-qvl TDX v4 and SGX v3 windows */
#define T_QVL_V4_LATE 1752969600 /* 2025-07-20T00:00:00Z: after tcbInfo/CRL nextUpdate */
#define T_GOTDX_SPR 1688173200   /* 2023-07-01T01:00:00Z, the go-tdx-guest test time */
#define T_QVL_V5 1772323200      /* 2026-03-01T00:00:00Z: dcap-qvl v5 outdated window */
#define T_GOTDX_V5 1770080400    /* 2026-02-03T01:00:00Z, the go-tdx-guest v5 test time */

struct vec {
    uint8_t *quote;
    size_t len;
    struct clave_dcap_collateral *coll;
};

static void load(struct vec *v, const char *quote_rel, const char *coll_rel)
{
    char *json = NULL;
    size_t json_len = 0;
    v->quote = t_read_file(t_shared_vector(quote_rel), &v->len);
    v->coll = NULL;
    if (coll_rel == NULL) {
        T_OK(clave_dcap_collateral_from_dir(t_shared_vector("attestation/tdx"), &v->coll));
        return;
    }
    json = (char *)t_read_file(t_shared_vector(coll_rel), &json_len);
    T_OK(clave_dcap_collateral_from_json(json, json_len, &v->coll));
    free(json);
}

static void unload(struct vec *v)
{
    free(v->quote);
    clave_dcap_collateral_free(v->coll);
}

static void dump(const struct clave_attest_report *r)
{
    char *json = NULL;
    if (clave_attest_report_json(r, &json) == CLAVE_OK) {
        print_message("%s\n", json);
    }
    free(json);
}

/* The outcome of check `name` (0 absent, 1 pass, 2 fail) and its detail. */
static int outcome(const struct clave_attest_report *r, const char *name, const char **detail)
{
    struct clave_attest_check c;
    for (size_t i = 0; i < clave_attest_report_check_count(r); i++) {
        T_OK(clave_attest_report_get_check(r, i, &c));
        if (strcmp(c.name, name) == 0) {
            if (detail != NULL) {
                *detail = c.detail;
            }
            return c.outcome == CLAVE_CHECK_PASS ? 1 : 2;
        }
    }
    return 0;
}

static void expect_pass(const struct clave_attest_report *r, const char *name)
{
    if (outcome(r, name, NULL) != 1) {
        dump(r);
        fail_msg("check %s did not pass", name);
    }
}

static const char *claim_text(const struct clave_attest_report *r, const char *name)
{
    struct clave_attest_claim c;
    T_OK(clave_attest_report_find_claim(r, name, &c));
    assert_int_equal(c.type, CLAVE_CLAIM_STRING);
    return (const char *)c.bytes;
}

static void expect_bytes(const struct clave_attest_report *r, const char *name, const char *hex)
{
    struct clave_attest_claim c;
    size_t len = 0;
    uint8_t *want = t_hex(hex, &len);
    T_OK(clave_attest_report_find_claim(r, name, &c));
    assert_int_equal(c.len, len);
    assert_memory_equal(c.bytes, want, len);
    free(want);
}

static clave_status verify(const struct vec *v, int64_t at, struct clave_attest_report **r)
{
    T_OK(clave_attest_report_new(r));
    return clave_dcap_verify(v->quote, v->len, v->coll, at, *r);
}

static const char *const all_checks[] = {
    "dcap.parse",          "dcap.quote_signature", "dcap.pck_chain", "dcap.qe_report_signature",
    "dcap.qe_report_data", "dcap.pck_extension",   "dcap.root_crl",  "dcap.pck_crl",
    "dcap.tcb_info",       "dcap.qe_identity",     "dcap.qe_tcb",    "dcap.fmspc",
    "dcap.tcb_level",      "dcap.tcb_status",
};

/* README 3: dcap-qvl TDX v4 -> UpToDate, no advisories. */
static void test_qvl_tdx_v4_up_to_date(void **state)
{
    (void)state;
    struct vec v;
    struct clave_attest_report *r = NULL;
    load(&v, "attestation/tdx/dcapqvl_quote_v4.dat",
         "attestation/tdx/dcapqvl_quote_v4_collateral.json");
    clave_status st = verify(&v, T_QVL_V4, &r);
    if (st != CLAVE_OK) {
        dump(r);
    }
    T_OK(st);
    for (size_t i = 0; i < sizeof(all_checks) / sizeof(all_checks[0]); i++) {
        expect_pass(r, all_checks[i]);
    }
    assert_string_equal(claim_text(r, "tee"), "tdx");
    assert_string_equal(claim_text(r, "tcb_status"), "UpToDate");
    assert_string_equal(claim_text(r, "advisories"), "");
    expect_bytes(r, "measurement",
                 "91eb2b44d141d4ece09f0c75c2c53d247a3c68edd7fafe8a3520c942a604a407de03ae6dc5f87f27"
                 "428b2538873118b7");
    clave_attest_report_free(r);
    unload(&v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_qvl_tdx_v4_up_to_date),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
