/* SPDX-License-Identifier: Apache-2.0 */
/*
 * include/clave/kbs.h: RCAR request bodies (valid, truncated at every offset, every byte
 * flipped, oversized, unknown members), the runtime-data binding, the claims JSON round trip and
 * each rule of the release policy against a contract built from JSON.
 */
#include "testlib.h"

#include <clave/clave.h>
#include <string.h>

/* The RFC 7517 Appendix A.1 example P-256 public key. */
#define JWK                                                                                        \
    "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","     \
    "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}"
#define ATTEST(EXTRA)                                                                              \
    "{\"runtime-data\":{\"nonce\":\"bm9uY2U=\",\"tee-pubkey\":" JWK "},"                           \
    "\"tee-evidence\":{\"primary_evidence\":{\"format\":\"snp\",\"evidence\":\"AAEC\"}" EXTRA "}}"

static void test_auth(void **state)
{
    (void)state;
    struct clave_kbs_auth_request r;
    static const char OK[] = "{\"version\":\"0.1.1\",\"tee\":\"snp\",\"extra-params\":\"\"}";
    T_OK(clave_kbs_parse_auth(OK, strlen(OK), &r));
    assert_string_equal(r.tee, "snp");
    for (size_t n = 0; n < strlen(OK); n++) {
        assert_int_not_equal(clave_kbs_parse_auth(OK, n, &r), CLAVE_OK);
    }
    static const char *const BAD[] = {"{\"version\":\"0.2.0\",\"tee\":\"snp\"}",
                                      "{\"version\":\"0.1.x\",\"tee\":\"snp\"}",
                                      "{\"version\":\"0.1.1\",\"tee\":\"../x\"}",
                                      "{\"version\":\"0.1.1\",\"tee\":\"snp\",\"x\":1}",
                                      "{\"version\":\"0.1.1\",\"tee\":\"snp\",\"extra-params\":3}",
                                      "[]"};
    for (size_t i = 0; i < sizeof(BAD) / sizeof(BAD[0]); i++) {
        assert_int_not_equal(clave_kbs_parse_auth(BAD[i], strlen(BAD[i]), &r), CLAVE_OK);
    }
}

static void test_attestation(void **state)
{
    (void)state;
    struct clave_kbs_attestation *a = NULL;
    static const char OK[] = ATTEST(",\"additional_evidence\":\"\"");
    uint8_t rd[CLAVE_KBS_REPORT_DATA_LEN];
    T_OK(clave_kbs_parse_attestation(OK, strlen(OK), &a));
    size_t len = 0;
    assert_int_equal(clave_kbs_attestation_evidence(a, &len)[2], 2);
    assert_int_equal(len, 3);
    assert_string_equal(clave_kbs_attestation_nonce(a), "bm9uY2U=");
    /* The binding: SHA-384 of the sorted compact runtime data, zero padded. */
    static const char RT[] = "{\"nonce\":\"bm9uY2U=\",\"tee-pubkey\":{\"crv\":\"P-256\",\"kty\":"
                             "\"EC\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\",\"y\":"
                             "\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}}";
    T_OK(clave_hash(CLAVE_HASH_SHA384, (const uint8_t *)RT, strlen(RT), rd, 48));
    memset(rd + 48, 0, 16);
    assert_memory_equal(clave_kbs_attestation_report_data(a), rd, sizeof(rd));
    clave_kbs_attestation_free(a);
    for (size_t n = 0; n < strlen(OK); n++) {
        assert_int_not_equal(clave_kbs_parse_attestation(OK, n, &a), CLAVE_OK);
        assert_null(a);
    }
    char buf[sizeof(OK)];
    for (size_t i = 0; i < strlen(OK); i++) { /* every byte flipped: never a crash */
        memcpy(buf, OK, sizeof(OK));
        buf[i] = (char)(buf[i] ^ 0x20);
        if (clave_kbs_parse_attestation(buf, strlen(OK), &a) == CLAVE_OK) {
            clave_kbs_attestation_free(a);
            a = NULL;
        }
    }
    static const char *const BAD[] = {
        ATTEST(",\"additional_evidence\":\"{\\\"tdx\\\":1}\""),
        "{\"init-data\":{},\"runtime-data\":{},\"tee-evidence\":{}}",
        ATTEST(",\"other\":1"),
    };
    for (size_t i = 0; i < sizeof(BAD) / sizeof(BAD[0]); i++) {
        assert_int_not_equal(clave_kbs_parse_attestation(BAD[i], strlen(BAD[i]), &a), CLAVE_OK);
    }
}

/* A contract over dataset "d1" (hash 0x11..), sim-snp measurement 0xaa.., region eu, both signed.
 */
static struct clave_contract *contract(bool sign, uint64_t expiry)
{
    struct clave_pkey *k = NULL;
    uint8_t spki[CLAVE_PKEY_SPKI_MAX_LEN];
    size_t n = 0;
    size_t m = 0;
    char b64[128];
    char json[2048];
    struct clave_contract *c = NULL;
    uint8_t *sig = NULL;
    T_OK(clave_pkey_generate(CLAVE_PKEY_ED25519, &k));
    T_OK(clave_pkey_export_spki(k, spki, sizeof(spki), &n));
    T_OK(clave_b64_encode(CLAVE_B64_STD, spki, n, b64, sizeof(b64), &m));
    snprintf(
        json, sizeof(json),
        "{\"collaboration\":\"c\",\"version\":1,\"datasets\":[{\"id\":\"d1\",\"owner\":\"a\","
        "\"sha256\":\"%s\"}],\"computation\":{\"kind\":\"query\",\"spec\":{}},"
        "\"workloads\":[{\"tee\":\"sim-snp\",\"measurement\":\"%s\",\"min_tcb\":{"
        "\"bootloader\":1,\"tee\":0,\"snp\":0,\"microcode\":0}}],\"tcb_statuses\":["
        "\"UpToDate\"],\"output\":{\"budgets\":[],\"min_group_size\":1,\"columns\":[]},"
        "\"recipients\":[{\"party\":\"a\",\"spki\":\"%s\"}],\"regions\":[\"eu\"],"
        "\"signers\":[{\"party\":\"a\",\"spki\":\"%s\"}],\"expiry\":%llu}",
        "1111111111111111111111111111111111111111111111111111111111111111",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "aaaaaaaaaa",
        b64, b64, (unsigned long long)expiry);
    T_OK(clave_contract_from_json(json, strlen(json), &c));
    if (sign) {
        T_OK(clave_contract_sign(c, k, "a", &sig, &n));
        T_OK(clave_contract_add_signature(c, "a", sig, n));
        free(sig);
    }
    clave_pkey_free(k);
    return c;
}

static bool judge(const struct clave_contract *c, const struct clave_kbs_claims *cl,
                  const char *region, bool sim, const char *expect)
{
    uint8_t h[32];
    char reason[CLAVE_KBS_REASON_MAX];
    memset(h, 0x11, sizeof(h));
    struct clave_kbs_release r = {c, 1800000000u, "d1", h, region, sim, cl};
    bool ok = clave_kbs_appraise(&r, reason);
    if (expect != NULL && strncmp(reason, expect, strlen(expect)) != 0) {
        fail_msg("reason %s, expected %s", reason, expect);
    }
    return ok;
}

static void test_policy(void **state)
{
    (void)state;
    struct clave_contract *c = contract(true, 4000000000u);
    struct clave_kbs_claims cl;
    memset(&cl, 0, sizeof(cl));
    snprintf(cl.tee, sizeof(cl.tee), "sim-snp");
    memset(cl.measurement, 0xaa, 48);
    cl.measurement_len = 48;
    cl.has_tcb = true;
    cl.reported_tcb.bootloader = 1;
    assert_true(judge(c, &cl, "eu", true, NULL));
    assert_false(judge(c, &cl, "eu", false, "tee: simulated"));
    assert_false(judge(c, &cl, "us", true, "region: us"));
    cl.reported_tcb.bootloader = 0;
    assert_false(judge(c, &cl, "eu", true, "tcb:"));
    cl.reported_tcb.bootloader = 1;
    cl.debug = true;
    assert_false(judge(c, &cl, "eu", true, "debug:"));
    cl.debug = false;
    cl.measurement[47] ^= 1;
    assert_false(judge(c, &cl, "eu", true, "measurement:"));
    cl.measurement[47] ^= 1;
    snprintf(cl.tee, sizeof(cl.tee), "sim-nitro");
    assert_false(judge(c, &cl, "eu", true, "tee: the contract accepts no sim-nitro"));
    snprintf(cl.tee, sizeof(cl.tee), "sim-snp");
    snprintf(cl.tcb_status, sizeof(cl.tcb_status), "OutOfDate");
    assert_false(judge(c, &cl, "eu", true, "tcb: status OutOfDate"));
    cl.tcb_status[0] = '\0';
    /* Claims survive the JSON round trip the session table uses. */
    json_t *j = NULL;
    struct clave_kbs_claims back;
    T_OK(clave_kbs_claims_to_json(&cl, &j));
    T_OK(clave_kbs_claims_from_json(j, &back));
    json_decref(j);
    assert_memory_equal(back.measurement, cl.measurement, 48);
    assert_true(judge(c, &back, "eu", true, NULL));
    clave_contract_free(c);
    c = contract(false, 4000000000u);
    assert_false(judge(c, &cl, "eu", true, "contract: draft"));
    clave_contract_free(c);
    c = contract(true, 1700000000u);
    assert_false(judge(c, &cl, "eu", true, "contract: expired"));
    clave_contract_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_auth),
        cmocka_unit_test(test_attestation),
        cmocka_unit_test(test_policy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
