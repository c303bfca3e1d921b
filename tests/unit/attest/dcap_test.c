/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Intel DCAP quotes (TDX v4/v5, SGX v3) against the real vectors and verdicts of
 * ../shared/vectors/attestation/README.md sections 3 and 4.
 */
#include "testlib.h"

#include "attest/dcap_tcb.h"

#include <jansson.h>

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

/* Every check except `failing` passes, `failing` fails with `detail_part` in its detail. */
static void expect_only_failure(const struct clave_attest_report *r, const char *failing,
                                const char *detail_part)
{
    const char *detail = NULL;
    for (size_t i = 0; i < sizeof(all_checks) / sizeof(all_checks[0]); i++) {
        if (strcmp(all_checks[i], failing) == 0) {
            break;
        }
        expect_pass(r, all_checks[i]);
    }
    assert_int_equal(outcome(r, failing, &detail), 2);
    if (strstr(detail, detail_part) == NULL) {
        fail_msg("%s: detail \"%s\" lacks \"%s\"", failing, detail, detail_part);
    }
}

/* The checks that need no collateral pass; "dcap.collateral" fails. */
static void expect_quote_checks_pass(const struct clave_attest_report *r)
{
    for (size_t i = 0; i < 6; i++) {
        expect_pass(r, all_checks[i]);
    }
    assert_int_equal(outcome(r, "dcap.collateral", NULL), 2);
}

static void expect_fail_detail(const struct clave_attest_report *r, const char *name,
                               const char *detail_part)
{
    const char *detail = NULL;
    if (outcome(r, name, &detail) != 2 || strstr(detail, detail_part) == NULL) {
        dump(r);
        fail_msg("check %s did not fail with \"%s\"", name, detail_part);
    }
}

/* README 4: dcap-qvl SGX v3 -> ConfigurationAndSWHardeningNeeded, INTEL-SA-00289, -00615. */
static void test_qvl_sgx_v3_config_and_sw_hardening(void **state)
{
    (void)state;
    struct vec v;
    struct clave_attest_report *r = NULL;
    load(&v, "attestation/sgx/dcapqvl_sgx_quote_v3.dat",
         "attestation/sgx/dcapqvl_sgx_quote_v3_collateral.json");
    T_OK(verify(&v, T_QVL_V4, &r));
    for (size_t i = 0; i < sizeof(all_checks) / sizeof(all_checks[0]); i++) {
        expect_pass(r, all_checks[i]);
    }
    assert_string_equal(claim_text(r, "tee"), "sgx");
    assert_string_equal(claim_text(r, "tcb_status"), "ConfigurationAndSWHardeningNeeded");
    assert_string_equal(claim_text(r, "advisories"), "INTEL-SA-00289,INTEL-SA-00615");
    expect_bytes(r, "measurement",
                 "33d8736db756ed4997e04ba358d27833188f1932ff7b1d156904d3f560452fbb");
    expect_bytes(r, "sgx.mrsigner",
                 "815f42f11cf64430c30bab7816ba596a1da0130c3b028b673133a66cf9a3e0e6");
    struct clave_attest_claim c;
    T_OK(clave_attest_report_find_claim(r, "debug", &c));
    assert_int_equal(c.integer, 0);
    T_OK(clave_attest_report_find_claim(r, "report_data", &c));
    assert_memory_equal(c.bytes, "Hello, world!\0\0", 15);
    clave_attest_report_free(r);
    unload(&v);
}

/* README 3: go-tdx-guest SPR v4 with PCS files: every signature valid, TCB level unsupported. */
static void test_gotdx_spr_tcb_level_not_supported(void **state)
{
    (void)state;
    struct vec v;
    struct clave_attest_report *r = NULL;
    load(&v, "attestation/tdx/gotdx_quote_v4_spr.dat", NULL);
    T_ERR(verify(&v, T_GOTDX_SPR, &r), CLAVE_ERR_NOT_FOUND);
    expect_only_failure(r, "dcap.tcb_level", "TCB level not supported");
    assert_int_equal(outcome(r, "dcap.tcb_status", NULL), 0);
    const char *detail = NULL;
    assert_int_equal(outcome(r, "dcap.qe_tcb", &detail), 1);
    assert_non_null(strstr(detail, "UpToDate"));
    expect_bytes(r, "measurement",
                 "6363b8043668a3ad953278e10389574d326c6749fb78aa810ecd9336923db86f22fc00b8dcd404bc"
                 "10d5e119d7215cbb");
    expect_bytes(r, "tdx.td_attributes", "0000004000000000");
    expect_bytes(r, "tdx.xfam", "e71a060000000000");
    clave_attest_report_free(r);
    unload(&v);
}

/* README 3: dcap-qvl v5 outdated: signatures and collateral valid, no TCB level -> reject. */
static void test_qvl_v5_outdated_rejected(void **state)
{
    (void)state;
    struct vec v;
    struct clave_attest_report *r = NULL;
    load(&v, "attestation/tdx/dcapqvl_quote_v5_outdated.dat",
         "attestation/tdx/dcapqvl_quote_v5_outdated_collateral.json");
    T_ERR(verify(&v, T_QVL_V5, &r), CLAVE_ERR_NOT_FOUND);
    expect_only_failure(r, "dcap.tcb_level", "TCB level not supported");
    struct clave_attest_claim c;
    T_OK(clave_attest_report_find_claim(r, "dcap.version", &c));
    assert_int_equal(c.integer, 5);
    clave_attest_report_free(r);
    unload(&v);
}

/* README 3: go-tdx-guest v5 (TD 1.5 body): signatures, chain, tcbInfo valid, platform UpToDate;
 * the repository has no QE identity or CRLs current in 2026, so those fail as expired. */
static void test_gotdx_v5_platform_up_to_date(void **state)
{
    (void)state;
    struct vec v;
    struct clave_attest_report *r = NULL;
    const char *detail = NULL;
    load(&v, "attestation/tdx/gotdx_quote_v5.dat", NULL);
    T_ERR(verify(&v, T_GOTDX_V5, &r), CLAVE_ERR_EXPIRED);
    const char *pass[] = {
        "dcap.parse",          "dcap.quote_signature", "dcap.pck_chain", "dcap.qe_report_signature",
        "dcap.qe_report_data", "dcap.pck_extension",   "dcap.tcb_info",  "dcap.fmspc",
        "dcap.tcb_level"};
    for (size_t i = 0; i < sizeof(pass) / sizeof(pass[0]); i++) {
        expect_pass(r, pass[i]);
    }
    assert_int_equal(outcome(r, "dcap.tcb_level", &detail), 1);
    assert_non_null(strstr(detail, "UpToDate"));
    expect_fail_detail(r, "dcap.pck_crl", "PCK CRL expired");
    expect_fail_detail(r, "dcap.root_crl", "root CA CRL expired");
    expect_fail_detail(r, "dcap.qe_identity", "QE identity expired");
    struct clave_attest_claim c;
    T_OK(clave_attest_report_find_claim(r, "tdx.mrservicetd", &c));
    assert_int_equal(c.len, 48);
    clave_attest_report_free(r);
    unload(&v);
}

/* README 4: Occlum SGX quote without collateral: signatures and chain valid, DEBUG set. */
static void test_occlum_debug_enclave(void **state)
{
    (void)state;
    struct vec v;
    struct clave_attest_report *r = NULL;
    struct clave_attest_claim c;
    v.quote =
        t_read_file(t_shared_vector("attestation/sgx/trustee_occlum_sgx_quote_v3.dat"), &v.len);
    v.coll = NULL;
    T_ERR(verify(&v, T_QVL_V4, &r), CLAVE_ERR_ARG);
    expect_quote_checks_pass(r);
    T_OK(clave_attest_report_find_claim(r, "debug", &c));
    assert_int_equal(c.integer, 1);
    T_OK(clave_attest_report_find_claim(r, "report_data", &c));
    assert_memory_equal(c.bytes, "test\0", 5);
    clave_attest_report_free(r);
    unload(&v);
}

/* Outside the window: the failing check names what expired. */
static void test_times_outside_window(void **state)
{
    (void)state;
    struct vec v;
    struct clave_attest_report *r = NULL;
    load(&v, "attestation/tdx/dcapqvl_quote_v4.dat",
         "attestation/tdx/dcapqvl_quote_v4_collateral.json");
    T_ERR(verify(&v, T_QVL_V4_LATE, &r), CLAVE_ERR_EXPIRED);
    expect_fail_detail(r, "dcap.pck_crl", "PCK CRL expired: nextUpdate 2025-07-19T10:00:35Z");
    expect_fail_detail(r, "dcap.tcb_info", "tcbInfo expired: nextUpdate 2025-07-19T10:16:03Z");
    expect_fail_detail(r, "dcap.qe_identity", "QE identity expired: nextUpdate");
    expect_pass(r, "dcap.quote_signature");
    clave_attest_report_free(r);
    /* Before the PCK leaf existed (2025-02-06) everything chained to it fails. */
    T_ERR(verify(&v, T_QVL_V4 - 200 * 86400, &r), CLAVE_ERR_EXPIRED);
    expect_fail_detail(r, "dcap.pck_chain", "PCK leaf certificate is not valid before 2025-02-06");
    clave_attest_report_free(r);
    /* After the TCB Signing certificate of 2018 expired, dir mode finds the 2025 one. */
    unload(&v);
    load(&v, "attestation/tdx/gotdx_quote_v4_spr.dat", NULL);
    T_ERR(verify(&v, T_GOTDX_SPR + 20 * 86400, &r), CLAVE_ERR_EXPIRED);
    expect_fail_detail(r, "dcap.qe_identity",
                       "QE identity expired: nextUpdate 2023-07-08T07:24:59Z");
    clave_attest_report_free(r);
    unload(&v);
}

static bool flip_rejects(const struct vec *v, uint8_t *copy, size_t bit, int64_t at)
{
    struct clave_attest_report *r = NULL;
    memcpy(copy, v->quote, v->len);
    copy[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    T_OK(clave_attest_report_new(&r));
    clave_status st = clave_dcap_verify(copy, v->len, v->coll, at, r);
    clave_attest_report_free(r);
    return st != CLAVE_OK;
}

/* Offsets of the signed region, the quote signature and the QE report + its signature. */
static void regions(size_t version, size_t *signed_len, size_t *sig_off, size_t *qe_off)
{
    *signed_len = version == 3 ? 48 + 384 : version == 4 ? 48 + 584 : 48 + 6 + 648;
    *sig_off = *signed_len + 4;
    *qe_off = *sig_off + 128 + (version == 3 ? 0 : 6);
}

/*
 * Every bit of header, body and signature of the v4 quote (and every third bit of the QE report
 * and its signature) rejects. The walk runs the quote checks alone (no collateral, which those
 * bits do not touch) to stay fast; every 61st bit also runs the full verification.
 */
static void test_every_bit_of_v4_rejects(void **state)
{
    (void)state;
    struct vec v;
    struct vec full;
    size_t signed_len = 0, sig_off = 0, qe_off = 0;
    load(&full, "attestation/tdx/dcapqvl_quote_v4.dat",
         "attestation/tdx/dcapqvl_quote_v4_collateral.json");
    v = full;
    v.coll = NULL;
    uint8_t *copy = malloc(v.len);
    assert_non_null(copy);
    regions(4, &signed_len, &sig_off, &qe_off);
    for (size_t bit = 0; bit < (sig_off + 64) * 8; bit++) {
        if (bit / 8 >= signed_len && bit / 8 < sig_off) {
            continue; /* sig_data_len: covered by the truncation test */
        }
        if (!flip_rejects(&v, copy, bit, T_QVL_V4)) {
            fail_msg("flipping bit %zu (byte %zu) was accepted", bit, bit / 8);
        }
        if (bit % 61 == 0 && !flip_rejects(&full, copy, bit, T_QVL_V4)) {
            fail_msg("flipping bit %zu was accepted with collateral", bit);
        }
    }
    for (size_t bit = qe_off * 8; bit < (qe_off + 384 + 64) * 8; bit += 3) {
        if (!flip_rejects(&v, copy, bit, T_QVL_V4)) {
            fail_msg("flipping QE report bit %zu was accepted", bit);
        }
    }
    free(copy);
    unload(&full);
}

/* A sample of bits of the other quotes turns a signature check to FAIL. */
static void test_sampled_bits_of_other_quotes(void **state)
{
    (void)state;
    static const struct {
        const char *quote;
        const char *coll;
        int64_t at;
        unsigned version;
    } cases[] = {
        {"attestation/sgx/dcapqvl_sgx_quote_v3.dat",
         "attestation/sgx/dcapqvl_sgx_quote_v3_collateral.json", T_QVL_V4, 3},
        {"attestation/tdx/dcapqvl_quote_v5_outdated.dat",
         "attestation/tdx/dcapqvl_quote_v5_outdated_collateral.json", T_QVL_V5, 5},
        {"attestation/tdx/gotdx_quote_v4_spr.dat", NULL, T_GOTDX_SPR, 4},
        {"attestation/tdx/gotdx_quote_v5.dat", NULL, T_GOTDX_V5, 5},
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        struct vec v;
        size_t signed_len = 0, sig_off = 0, qe_off = 0;
        load(&v, cases[k].quote, cases[k].coll);
        regions(cases[k].version, &signed_len, &sig_off, &qe_off);
        uint8_t *copy = malloc(v.len);
        assert_non_null(copy);
        for (size_t bit = 0; bit < (sig_off + 64) * 8; bit += 29) {
            struct clave_attest_report *r = NULL;
            if (bit / 8 >= signed_len && bit / 8 < sig_off) {
                continue;
            }
            memcpy(copy, v.quote, v.len);
            copy[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            T_OK(clave_attest_report_new(&r));
            assert_int_not_equal(clave_dcap_verify(copy, v.len, v.coll, cases[k].at, r), CLAVE_OK);
            if (outcome(r, "dcap.parse", NULL) != 2 &&
                outcome(r, "dcap.quote_signature", NULL) != 2) {
                fail_msg("%s: bit %zu left the signatures valid", cases[k].quote, bit);
            }
            clave_attest_report_free(r);
        }
        free(copy);
        unload(&v);
    }
}

/* Base64 characters of the PCK leaf and CA inside the quote: changing one rejects. */
static void test_certificate_flips_reject(void **state)
{
    (void)state;
    struct vec v;
    load(&v, "attestation/tdx/dcapqvl_quote_v4.dat",
         "attestation/tdx/dcapqvl_quote_v4_collateral.json");
    uint8_t *copy = malloc(v.len);
    assert_non_null(copy);
    const char *pem = memmem(v.quote, v.len, "-----BEGIN CERTIFICATE-----", 27);
    assert_non_null(pem);
    size_t start = (size_t)((const uint8_t *)pem - v.quote);
    /* The leaf and the CA: the first two PEM blocks (the root copy is not trusted anyway). */
    const char *third = NULL;
    const char *p = pem;
    for (int i = 0; i < 3; i++) {
        third = memmem(p, v.len - (size_t)((const uint8_t *)p - v.quote), "-----BEGIN", 10);
        p = third + 10;
    }
    size_t end = (size_t)((const uint8_t *)third - v.quote);
    size_t tested = 0;
    for (size_t off = start + 28; off < end; off += 11) {
        uint8_t c = v.quote[off];
        bool b64 = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!b64) {
            continue;
        }
        struct clave_attest_report *r = NULL;
        memcpy(copy, v.quote, v.len);
        copy[off] = c == 'A' ? 'B' : 'A';
        T_OK(clave_attest_report_new(&r));
        if (clave_dcap_verify(copy, v.len, v.coll, T_QVL_V4, r) == CLAVE_OK) {
            fail_msg("changing PEM byte %zu was accepted", off);
        }
        clave_attest_report_free(r);
        tested++;
    }
    assert_true(tested > 200);
    free(copy);
    unload(&v);
}

/* Flip bit `bit` (0..6, stays ASCII) of byte `off` of the string member `key`. */
static char *mutate_member(json_t *root, const char *key, size_t off, unsigned bit)
{
    json_t *value = json_object_get(root, key);
    char *text = strdup(json_string_value(value));
    assert_non_null(text);
    text[off] = (char)(text[off] ^ (1 << bit));
    json_t *copy = json_deep_copy(root);
    json_object_set_new(copy, key, json_string(text));
    char *out = json_dumps(copy, 0);
    json_decref(copy);
    free(text);
    return out;
}

/* Bits of the signed collateral (TCB info, QE identity, their signatures, both CRLs). */
static void test_collateral_flips_reject(void **state)
{
    (void)state;
    static const char *const keys[] = {"tcb_info",    "tcb_info_signature",
                                       "qe_identity", "qe_identity_signature",
                                       "pck_crl",     "root_ca_crl"};
    size_t len = 0;
    char *json = (char *)t_read_file(
        t_shared_vector("attestation/tdx/dcapqvl_quote_v4_collateral.json"), &len);
    size_t quote_len = 0;
    uint8_t *quote =
        t_read_file(t_shared_vector("attestation/tdx/dcapqvl_quote_v4.dat"), &quote_len);
    json_error_t err;
    json_t *root = json_loadb(json, len, 0, &err);
    assert_non_null(root);
    for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
        size_t n = strlen(json_string_value(json_object_get(root, keys[k])));
        for (size_t off = 0; off < n; off += 7) {
            char *text = mutate_member(root, keys[k], off, (unsigned)(off % 7));
            struct clave_dcap_collateral *coll = NULL;
            if (clave_dcap_collateral_from_json(text, strlen(text), &coll) == CLAVE_OK) {
                struct clave_attest_report *r = NULL;
                T_OK(clave_attest_report_new(&r));
                if (clave_dcap_verify(quote, quote_len, coll, T_QVL_V4, r) == CLAVE_OK) {
                    fail_msg("%s: flipping byte %zu was accepted", keys[k], off);
                }
                clave_attest_report_free(r);
                clave_dcap_collateral_free(coll);
            }
            free(text);
        }
    }
    json_decref(root);
    free(quote);
    free(json);
}

/* Every proper prefix of the signed quote fails to parse; padding after it is ignored. */
static void test_truncation_and_padding(void **state)
{
    (void)state;
    struct vec v;
    struct clave_attest_report *r = NULL;
    load(&v, "attestation/tdx/dcapqvl_quote_v4.dat",
         "attestation/tdx/dcapqvl_quote_v4_collateral.json");
    const size_t used = 4936; /* README: zero-padded to 5006 B */
    for (size_t n = 0; n < used; n++) {
        T_OK(clave_attest_report_new(&r));
        assert_int_not_equal(clave_dcap_inspect(v.quote, n, r), CLAVE_OK);
        clave_attest_report_free(r);
    }
    uint8_t *longer = malloc(used + 100);
    assert_non_null(longer);
    memcpy(longer, v.quote, used);
    memset(longer + used, 'x', 100);
    T_OK(clave_attest_report_new(&r));
    T_OK(clave_dcap_verify(longer, used + 100, v.coll, T_QVL_V4, r));
    clave_attest_report_free(r);
    /* Oversized lengths: sig_data_len, certification data size, QE auth data length. */
    static const struct {
        size_t off;
        uint8_t value;
    } bad[] = {{632 + 3, 0xff}, {632 + 4 + 128 + 2 + 3, 0x7f}, {632 + 4 + 128 + 6 + 448 + 1, 0xff}};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memcpy(longer, v.quote, used);
        longer[bad[i].off] = bad[i].value;
        T_OK(clave_attest_report_new(&r));
        assert_int_not_equal(clave_dcap_inspect(longer, used, r), CLAVE_OK);
        clave_attest_report_free(r);
    }
    free(longer);
    unload(&v);
}

/* No collateral: the quote-only checks still run and the verdict is a failure. */
static void test_no_collateral(void **state)
{
    (void)state;
    struct vec v;
    struct clave_attest_report *r = NULL;
    load(&v, "attestation/tdx/dcapqvl_quote_v4.dat",
         "attestation/tdx/dcapqvl_quote_v4_collateral.json");
    T_OK(clave_attest_report_new(&r));
    T_ERR(clave_dcap_verify(v.quote, v.len, NULL, T_QVL_V4, r), CLAVE_ERR_ARG);
    expect_quote_checks_pass(r);
    assert_int_equal(outcome(r, "dcap.collateral", NULL), 2);
    clave_attest_report_free(r);
    unload(&v);
}

/* Intel QVL convergence of platform and QE/TDX-module statuses, advisories merged in order. */
static void test_status_convergence(void **state)
{
    (void)state;
    static const struct {
        enum dcap_tcb_status platform, other, want;
    } table[] = {
        {DCAP_TCB_UP_TO_DATE, DCAP_TCB_UP_TO_DATE, DCAP_TCB_UP_TO_DATE},
        {DCAP_TCB_SW_HARDENING_NEEDED, DCAP_TCB_OUT_OF_DATE, DCAP_TCB_OUT_OF_DATE},
        {DCAP_TCB_CONFIGURATION_NEEDED, DCAP_TCB_OUT_OF_DATE,
         DCAP_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED},
        {DCAP_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED, DCAP_TCB_OUT_OF_DATE,
         DCAP_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED},
        {DCAP_TCB_CONFIGURATION_NEEDED, DCAP_TCB_SW_HARDENING_NEEDED,
         DCAP_TCB_CONFIGURATION_NEEDED},
        {DCAP_TCB_UP_TO_DATE, DCAP_TCB_REVOKED, DCAP_TCB_REVOKED},
        {DCAP_TCB_OUT_OF_DATE, DCAP_TCB_UP_TO_DATE, DCAP_TCB_OUT_OF_DATE},
    };
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        struct dcap_status a, b;
        memset(&a, 0, sizeof(a));
        memset(&b, 0, sizeof(b));
        a.status = table[i].platform;
        b.status = table[i].other;
        a.advisory_count = 2;
        (void)snprintf(a.advisories[0], DCAP_ADVISORY_LEN, "INTEL-SA-00289");
        (void)snprintf(a.advisories[1], DCAP_ADVISORY_LEN, "INTEL-SA-00615");
        b.advisory_count = 2;
        (void)snprintf(b.advisories[0], DCAP_ADVISORY_LEN, "INTEL-SA-00615");
        (void)snprintf(b.advisories[1], DCAP_ADVISORY_LEN, "INTEL-SA-00837");
        clave__dcap_status_converge(&a, &b);
        assert_string_equal(clave__dcap_status_name(a.status),
                            clave__dcap_status_name(table[i].want));
        char text[128];
        clave__dcap_advisories_join(&a, text, sizeof(text));
        assert_string_equal(text, "INTEL-SA-00289,INTEL-SA-00615,INTEL-SA-00837");
    }
}
int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_qvl_tdx_v4_up_to_date),
        cmocka_unit_test(test_qvl_sgx_v3_config_and_sw_hardening),
        cmocka_unit_test(test_gotdx_spr_tcb_level_not_supported),
        cmocka_unit_test(test_qvl_v5_outdated_rejected),
        cmocka_unit_test(test_gotdx_v5_platform_up_to_date),
        cmocka_unit_test(test_occlum_debug_enclave),
        cmocka_unit_test(test_times_outside_window),
        cmocka_unit_test(test_every_bit_of_v4_rejects),
        cmocka_unit_test(test_sampled_bits_of_other_quotes),
        cmocka_unit_test(test_certificate_flips_reject),
        cmocka_unit_test(test_collateral_flips_reject),
        cmocka_unit_test(test_truncation_and_padding),
        cmocka_unit_test(test_no_collateral),
        cmocka_unit_test(test_status_convergence),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
