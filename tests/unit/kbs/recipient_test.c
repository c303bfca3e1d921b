/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Recipient keys as broker resources (include/clave/kbs.h): the registration parser (the RFC
 * 7638 section 3.1 example key and its published thumbprint; private members, Ed25519, oct,
 * malformed, truncated at every offset, every byte flipped, oversized), which registered key a
 * contract names (by thumbprint, by SPKI), and each rule of the recipient release policy.
 */
#include "testlib.h"

#include <clave/clave.h>
#include <string.h>

/* RFC 7638 section 3.1: the example RSA key and its SHA-256 thumbprint. */
#define RFC7638_N                                                                                  \
    "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJEC"  \
    "PebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2Qvz"  \
    "qY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu" \
    "0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
#define RFC7638_JWK                                                                                \
    "{\"kty\":\"RSA\",\"n\":\"" RFC7638_N                                                          \
    "\",\"e\":\"AQAB\",\"alg\":\"RS256\",\"kid\":\"2011-04-29\"}"
#define RFC7638_THUMBPRINT "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"

static void test_parse_vector(void **state)
{
    (void)state;
    uint8_t tp[32];
    char text[64];
    size_t n = 0;
    char *pub = NULL;
    T_OK(clave_kbs_recipient_key_parse(RFC7638_JWK, strlen(RFC7638_JWK), tp, &pub));
    T_OK(clave_b64_encode(CLAVE_B64URL, tp, sizeof(tp), text, sizeof(text), &n));
    assert_string_equal(text, RFC7638_THUMBPRINT);
    assert_non_null(strstr(pub, RFC7638_N));
    assert_null(strstr(pub, "\"d\""));
    free(pub);
}

static void refuse(const char *json, clave_status want)
{
    uint8_t tp[32];
    char *pub = (char *)1;
    clave_status st = clave_kbs_recipient_key_parse(json, strlen(json), tp, &pub);
    if (st != want) {
        fail_msg("%s: %s, expected %s", json, clave_status_str(st), clave_status_str(want));
    }
    assert_null(pub);
}

static char *public_of(enum clave_jwk_type type)
{
    struct clave_jwk *k = NULL;
    char *pub = NULL;
    T_OK(clave_jwk_generate(type, &k));
    T_OK(clave_jwk_export_public(k, &pub));
    clave_jwk_free(k);
    return pub;
}

static void test_parse_refused(void **state)
{
    (void)state;
    struct clave_jwk *k = NULL;
    struct clave_secret *priv = NULL;
    T_OK(clave_jwk_generate(CLAVE_JWK_EC_P256, &k));
    T_OK(clave_jwk_export_private(k, &priv));
    refuse((const char *)clave_secret_cdata(priv), CLAVE_ERR_KEY);
    clave_secret_free(priv);
    clave_jwk_free(k);
    char *ed = public_of(CLAVE_JWK_OKP_ED25519);
    refuse(ed, CLAVE_ERR_KEY); /* a signature key cannot receive a JWE */
    free(ed);
    refuse("{\"kty\":\"oct\",\"k\":\"AAAA\"}", CLAVE_ERR_KEY);
    refuse("{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AAAA\"}", CLAVE_ERR_KEY);
    refuse("[1,2]", CLAVE_ERR_JSON);
    refuse("{\"kty\":\"EC\",", CLAVE_ERR_JSON);
    refuse("{\"kty\":\"EC\",\"crv\":\"P-521\",\"x\":\"AA\",\"y\":\"AA\"}", CLAVE_ERR_UNSUPPORTED);
    refuse("{\"kty\":\"RSA\",\"n\":\"" RFC7638_N "\",\"e\":\"AQAB\",\"p\":\"AQAB\"}",
           CLAVE_ERR_KEY);
    char big[CLAVE_KBS_RECIPIENT_JWK_MAX + 16];
    memset(big, ' ', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    refuse(big, CLAVE_ERR_TOO_LARGE);
}

/* Truncated at every offset: refused. Every byte flipped: refused, or a key whose canonical
 * public JSON parses back to the same thumbprint (a flip inside "n" may still be a valid key). */
static void test_parse_hostile(void **state)
{
    (void)state;
    const char *good = RFC7638_JWK;
    size_t len = strlen(good);
    char buf[sizeof(RFC7638_JWK)];
    uint8_t tp[32];
    uint8_t again[32];
    char *pub = NULL;
    char *pub2 = NULL;
    for (size_t i = 0; i < len; i++) {
        assert_int_not_equal(clave_kbs_recipient_key_parse(good, i, tp, &pub), CLAVE_OK);
        assert_null(pub);
    }
    for (size_t i = 0; i < len; i++) {
        memcpy(buf, good, len + 1);
        buf[i] ^= 0x01;
        if (clave_kbs_recipient_key_parse(buf, len, tp, &pub) == CLAVE_OK) {
            T_OK(clave_kbs_recipient_key_parse(pub, strlen(pub), again, &pub2));
            assert_memory_equal(tp, again, 32);
            free(pub2);
            free(pub);
            pub = NULL;
        }
    }
}

struct keys {
    struct clave_jwk *bob, *bob2, *alice, *alice_pub;
};

/* A contract naming bob by the thumbprint of `bob` and alice by the SPKI of `alice` (X25519),
 * sim-snp measurement 0xaa.., signed by a (so active) when `sign`. */
static struct clave_contract *contract(const struct keys *k, bool sign, uint64_t expiry)
{
    struct clave_pkey *id = NULL;
    struct clave_pkey *x = NULL;
    uint8_t spki[CLAVE_PKEY_SPKI_MAX_LEN];
    uint8_t xspki[CLAVE_PKEY_SPKI_MAX_LEN];
    uint8_t tp[32];
    size_t n = 0;
    size_t xn = 0;
    size_t m = 0;
    char b64[128], xb64[128], tpb64[64];
    char json[3072];
    struct clave_contract *c = NULL;
    uint8_t *sig = NULL;
    char *alice_json = NULL;
    T_OK(clave_pkey_generate(CLAVE_PKEY_ED25519, &id));
    T_OK(clave_pkey_export_spki(id, spki, sizeof(spki), &n));
    T_OK(clave_b64_encode(CLAVE_B64_STD, spki, n, b64, sizeof(b64), &m));
    /* alice's X25519 key as SPKI, through its public JWK */
    T_OK(clave_jwk_export_public(k->alice, &alice_json));
    T_OK(clave_receipt_load_pkey((const uint8_t *)alice_json, strlen(alice_json), &x));
    T_OK(clave_pkey_export_spki(x, xspki, sizeof(xspki), &xn));
    T_OK(clave_b64_encode(CLAVE_B64_STD, xspki, xn, xb64, sizeof(xb64), &m));
    T_OK(clave_jwk_thumbprint(k->bob, tp));
    T_OK(clave_b64_encode(CLAVE_B64URL, tp, 32, tpb64, sizeof(tpb64), &m));
    snprintf(json, sizeof(json),
             "{\"collaboration\":\"c\",\"version\":1,\"datasets\":[{\"id\":\"d1\",\"owner\":\"a\","
             "\"sha256\":\"%064d\"}],\"computation\":{\"kind\":\"query\",\"spec\":{}},"
             "\"workloads\":[{\"tee\":\"sim-snp\",\"measurement\":\"%s\",\"min_tcb\":{"
             "\"bootloader\":0,\"tee\":0,\"snp\":0,\"microcode\":0}}],\"tcb_statuses\":["
             "\"UpToDate\"],\"output\":{\"budgets\":[],\"min_group_size\":1,\"columns\":[]},"
             "\"recipients\":[{\"party\":\"bob\",\"jwk_thumbprint\":\"%s\"},{\"party\":"
             "\"alice\",\"spki\":\"%s\"}],\"regions\":[\"eu\"],"
             "\"signers\":[{\"party\":\"a\",\"spki\":\"%s\"}],\"expiry\":%llu}",
             0,
             "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
             "aaaaaaaaaaaa",
             tpb64, xb64, b64, (unsigned long long)expiry);
    T_OK(clave_contract_from_json(json, strlen(json), &c));
    if (sign) {
        T_OK(clave_contract_sign(c, id, "a", &sig, &n));
        T_OK(clave_contract_add_signature(c, "a", sig, n));
        free(sig);
    }
    free(alice_json);
    clave_pkey_free(x);
    clave_pkey_free(id);
    return c;
}

static void keys_init(struct keys *k)
{
    char *pub = NULL;
    T_OK(clave_jwk_generate(CLAVE_JWK_EC_P256, &k->bob));
    T_OK(clave_jwk_generate(CLAVE_JWK_EC_P256, &k->bob2));
    T_OK(clave_jwk_generate(CLAVE_JWK_OKP_X25519, &k->alice));
    T_OK(clave_jwk_export_public(k->alice, &pub));
    T_OK(clave_jwk_parse(pub, strlen(pub), &k->alice_pub));
    free(pub);
}

static void keys_fini(struct keys *k)
{
    clave_jwk_free(k->bob);
    clave_jwk_free(k->bob2);
    clave_jwk_free(k->alice);
    clave_jwk_free(k->alice_pub);
}

static void test_key_named(void **state)
{
    (void)state;
    struct keys k;
    keys_init(&k);
    struct clave_contract *c = contract(&k, true, 4000000000u);
    assert_true(clave_kbs_recipient_key_named(c, "bob", k.bob));
    assert_false(clave_kbs_recipient_key_named(c, "bob", k.bob2)); /* a rotated key */
    assert_false(clave_kbs_recipient_key_named(c, "alice", k.bob));
    assert_true(clave_kbs_recipient_key_named(c, "alice", k.alice_pub)); /* by SPKI */
    assert_true(clave_kbs_recipient_key_named(c, "alice", k.alice));
    assert_false(clave_kbs_recipient_key_named(c, "bob", k.alice_pub));
    assert_false(clave_kbs_recipient_key_named(c, "carol", k.bob));
    assert_false(clave_kbs_recipient_key_named(c, NULL, k.bob));
    assert_false(clave_kbs_recipient_key_named(NULL, "bob", k.bob));
    clave_contract_free(c);
    keys_fini(&k);
}

static bool judge(const struct clave_contract *c, const struct clave_kbs_claims *cl,
                  const char *party, bool sim, const char *expect)
{
    char reason[CLAVE_KBS_REASON_MAX];
    struct clave_kbs_recipient_release r = {c, 1800000000u, party, sim, cl};
    bool ok = clave_kbs_appraise_recipient(&r, reason);
    if (expect != NULL && strncmp(reason, expect, strlen(expect)) != 0) {
        fail_msg("reason %s, expected %s", reason, expect);
    }
    return ok;
}

static void test_policy(void **state)
{
    (void)state;
    struct keys k;
    struct clave_kbs_claims cl;
    keys_init(&k);
    struct clave_contract *c = contract(&k, true, 4000000000u);
    memset(&cl, 0, sizeof(cl));
    snprintf(cl.tee, sizeof(cl.tee), "sim-snp");
    memset(cl.measurement, 0xaa, 48);
    cl.measurement_len = 48;
    cl.has_tcb = true;
    assert_true(judge(c, &cl, "bob", true, NULL));
    assert_true(judge(c, &cl, "alice", true, NULL));
    assert_false(judge(c, &cl, "carol", true, "recipient: carol is not a recipient"));
    assert_false(judge(c, &cl, NULL, true, "recipient:"));
    assert_false(judge(c, &cl, "bob", false, "tee: simulated"));
    cl.debug = true;
    assert_false(judge(c, &cl, "bob", true, "debug:"));
    cl.debug = false;
    cl.measurement[0] ^= 1;
    assert_false(judge(c, &cl, "bob", true, "measurement:"));
    cl.measurement[0] ^= 1;
    snprintf(cl.tcb_status, sizeof(cl.tcb_status), "Revoked");
    assert_false(judge(c, &cl, "bob", true, "tcb: status Revoked"));
    cl.tcb_status[0] = '\0';
    /* bound to this contract: allowed; to another: refused before anything else */
    memcpy(cl.contract_binding, clave_contract_id(c), CLAVE_KBS_BINDING_LEN);
    cl.has_contract_binding = true;
    assert_true(judge(c, &cl, "bob", true, NULL));
    cl.contract_binding[0] ^= 1;
    assert_false(judge(c, &cl, "bob", true, "binding:"));
    cl.has_contract_binding = false;
    clave_contract_free(c);
    c = contract(&k, false, 4000000000u);
    assert_false(judge(c, &cl, "bob", true, "contract: draft"));
    clave_contract_free(c);
    c = contract(&k, true, 1700000000u);
    assert_false(judge(c, &cl, "bob", true, "contract: expired"));
    clave_contract_free(c);
    keys_fini(&k);
}

/* clave_kbs_appraise_workload: the same workload rules, with no party or dataset involved. */
static void test_workload_only(void **state)
{
    (void)state;
    struct keys k;
    struct clave_kbs_claims cl;
    char reason[CLAVE_KBS_REASON_MAX];
    keys_init(&k);
    struct clave_contract *c = contract(&k, true, 4000000000u);
    memset(&cl, 0, sizeof(cl));
    snprintf(cl.tee, sizeof(cl.tee), "sim-snp");
    memset(cl.measurement, 0xaa, 48);
    cl.measurement_len = 48;
    cl.has_tcb = true;
    assert_true(clave_kbs_appraise_workload(c, 1800000000u, true, &cl, reason));
    assert_false(clave_kbs_appraise_workload(c, 1800000000u, false, &cl, reason));
    assert_true(strncmp(reason, "tee: simulated", 14) == 0);
    cl.measurement[47] ^= 0x80;
    assert_false(clave_kbs_appraise_workload(c, 1800000000u, true, &cl, reason));
    assert_true(strncmp(reason, "measurement:", 12) == 0);
    cl.measurement[47] ^= 0x80;
    memcpy(cl.contract_binding, clave_contract_id(c), CLAVE_KBS_BINDING_LEN);
    cl.contract_binding[5] ^= 1;
    cl.has_contract_binding = true;
    assert_false(clave_kbs_appraise_workload(c, 1800000000u, true, &cl, reason));
    assert_true(strncmp(reason, "binding:", 8) == 0);
    cl.has_contract_binding = false;
    assert_false(clave_kbs_appraise_workload(c, 4000000001u, true, &cl, reason)); /* expired */
    assert_true(strncmp(reason, "contract:", 9) == 0);
    clave_contract_free(c);
    c = contract(&k, false, 4000000000u);
    assert_false(clave_kbs_appraise_workload(c, 1800000000u, true, &cl, reason));
    assert_true(strncmp(reason, "contract: draft", 15) == 0);
    clave_contract_free(c);
    keys_fini(&k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_vector),  cmocka_unit_test(test_parse_refused),
        cmocka_unit_test(test_parse_hostile), cmocka_unit_test(test_key_named),
        cmocka_unit_test(test_policy),        cmocka_unit_test(test_workload_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
