/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AWS Nitro attestation documents: every verdict of ../shared/vectors/attestation/README.md
 * section 1, a bit-flip walk, truncation, expiry and the AWS size limits.
 */
#include "attest_testutil.h"

#include <cbor.h>

#define NITRO_DIR "attestation/nitro/"
#define PROD_DOC NITRO_DIR "evervault_doc_2022-10-13_prod.cose"
#define DEBUG_DOC_2022 NITRO_DIR "evervault_doc_2022-10-12_debug.cose"
#define DEBUG_DOC_2023 NITRO_DIR "evervault_doc_2023-09-18_debug.cose"
#define PROD_TIMESTAMP_MS 1665651482136LL

static uint8_t *load(const char *rel, size_t *len)
{
    return t_read_file(t_shared_vector(rel), len);
}

static void test_prod_doc_valid_at_its_timestamp(void **state)
{
    (void)state;
    size_t len = 0;
    uint8_t *doc = load(PROD_DOC, &len);
    assert_string_equal(clave_attest_detect(doc, len), "nitro");
    struct clave_attest_report *r = t_appraise("auto", doc, len, NULL, NULL, 1665651482);
    assert_true(clave_attest_report_ok(r));
    assert_true(t_check_passed(r, "nitro.signature", NULL, 0));
    assert_true(t_check_passed(r, "x509.chain", NULL, 0));
    assert_true(t_check_passed(r, "policy.debug", NULL, 0));
    assert_int_equal(t_claim_int(r, "nitro.timestamp_ms"), PROD_TIMESTAMP_MS);
    assert_int_equal(t_claim_int(r, "time"), PROD_TIMESTAMP_MS / 1000);
    t_claim_hex(r, "nitro.pcr0",
                "f4d48b81a460c9916d1e685119074bf24660afd3e34fae9fca0a0d28d9d5599936332687e6f66fc8"
                "90ac8cf150142d8b");
    t_claim_hex(r, "nitro.pcr1",
                "bcdf05fefccaa8e55bf2c8d6dee9e79bbff31e34bf28a99aa19e6b29c37ee80b214a414b7607236e"
                "df26fcb78654e63f");
    t_claim_hex(r, "nitro.pcr2",
                "d8f114da658de5481f8d9ec73907feb553560787522f705c92d7d96beed8e15e2aa611984e098c57"
                "6832c292e8dc469a");
    struct clave_attest_claim c;
    T_OK(clave_attest_report_find_claim(r, "nonce", &c));
    assert_int_equal(c.len, 256);
    assert_int_equal(c.bytes[0], 0xcb);
    T_ERR(clave_attest_report_find_claim(r, "report_data", &c), CLAVE_ERR_NOT_FOUND);
    T_ERR(clave_attest_report_find_claim(r, "public_key", &c), CLAVE_ERR_NOT_FOUND);
    T_OK(clave_attest_report_find_claim(r, "tee", &c));
    assert_string_equal((const char *)c.bytes, "nitro");
    T_OK(clave_attest_report_find_claim(r, "debug", &c));
    assert_int_equal(c.integer, 0);
    clave_attest_report_free(r);
    free(doc);
}

static void test_prod_doc_expired_now(void **state)
{
    (void)state;
    size_t len = 0;
    uint8_t *doc = load(PROD_DOC, &len);
    struct clave_attest_options opts = {.at_time = T_NOW_2026_11_22};
    char detail[CLAVE_ATTEST_DETAIL_MAX];
    struct clave_attest_report *r = t_appraise("nitro", doc, len, &opts, NULL, T_NOW_2026_11_22);
    assert_false(clave_attest_report_ok(r));
    assert_false(t_check_passed(r, "x509.chain", detail, sizeof(detail)));
    /* The leaf lives three hours: it is the one named. */
    assert_non_null(strstr(detail, "expired"));
    assert_non_null(strstr(detail, "depth 0"));
    assert_true(t_check_passed(r, "nitro.signature", NULL, 0));
    clave_attest_report_free(r);
    /* Before the leaf's notBefore (2022-10-13T08:57:59Z) it is not yet valid. */
    opts.at_time = 1665651479 - 60;
    r = t_appraise("nitro", doc, len, &opts, NULL, opts.at_time);
    assert_false(t_check_passed(r, "x509.chain", detail, sizeof(detail)));
    assert_non_null(strstr(detail, "not yet valid"));
    clave_attest_report_free(r);
    free(doc);
}

static void test_debug_docs_verify_but_policy_rejects(void **state)
{
    (void)state;
    const char *docs[] = {DEBUG_DOC_2022, DEBUG_DOC_2023};
    const int64_t times[] = {1665582606, 1695049410};
    for (size_t i = 0; i < 2; i++) {
        size_t len = 0;
        uint8_t *doc = load(docs[i], &len);
        struct clave_attest_report *r = t_appraise("auto", doc, len, NULL, NULL, times[i]);
        assert_true(t_crypto_ok(r));
        assert_false(t_check_passed(r, "policy.debug", NULL, 0));
        assert_false(clave_attest_report_ok(r));
        t_claim_hex(r, "nitro.pcr0",
                    "000000000000000000000000000000000000000000000000"
                    "000000000000000000000000000000000000000000000000");
        clave_attest_report_free(r);
        /* A policy that allows debug accepts it. */
        static const char ALLOW[] = "{\"version\":1,\"tees\":{\"nitro\":{\"debug\":true}}}";
        struct clave_attest_policy *p = NULL;
        T_OK(clave_attest_policy_parse(ALLOW, sizeof(ALLOW) - 1, NULL, &p));
        r = t_appraise("auto", doc, len, NULL, p, times[i]);
        assert_true(clave_attest_report_ok(r));
        clave_attest_report_free(r);
        clave_attest_policy_free(p);
        free(doc);
    }
}

static void test_debug_2022_fields(void **state)
{
    (void)state;
    size_t len = 0;
    uint8_t *doc = load(DEBUG_DOC_2022, &len);
    struct clave_attest_report *r = t_appraise("nitro", doc, len, NULL, NULL, 1665582606);
    struct clave_attest_claim c;
    T_OK(clave_attest_report_find_claim(r, "public_key", &c));
    assert_int_equal(c.len, strlen("my super secret key"));
    assert_memory_equal(c.bytes, "my super secret key", c.len);
    T_OK(clave_attest_report_find_claim(r, "report_data", &c));
    assert_int_equal(c.len, strlen("hello, world!"));
    assert_memory_equal(c.bytes, "hello, world!", c.len);
    T_ERR(clave_attest_report_find_claim(r, "nonce", &c), CLAVE_ERR_NOT_FOUND);
    T_OK(clave_attest_report_find_claim(r, "nitro.pcr3", &c));
    assert_int_equal(c.bytes[0], 0x4a);
    clave_attest_report_free(r);
    free(doc);
}

static void test_2023_user_data_binds_tls_key(void **state)
{
    (void)state;
    size_t len = 0;
    size_t cert_len = 0;
    uint8_t *doc = load(DEBUG_DOC_2023, &len);
    uint8_t *der = load(NITRO_DIR "evervault_doc_2023-09-18_bound_tls_cert.der", &cert_len);
    struct clave_x509 *cert = NULL;
    uint8_t *spki = NULL;
    size_t spki_len = 0;
    T_OK(clave_x509_parse_der(der, cert_len, &cert));
    T_OK(clave_x509_spki_der(cert, &spki, &spki_len));
    assert_int_equal(spki_len, 91);
    struct clave_attest_report *r = t_appraise("nitro", doc, len, NULL, NULL, 1695049410);
    struct clave_attest_claim c;
    T_OK(clave_attest_report_find_claim(r, "report_data", &c));
    assert_int_equal(c.len, spki_len);
    assert_memory_equal(c.bytes, spki, spki_len);
    T_OK(clave_attest_report_find_claim(r, "nonce", &c));
    assert_int_equal(c.len, 256);
    clave_attest_report_free(r);
    free(spki);
    clave_x509_free(cert);
    free(der);
    free(doc);
}

/* Byte ranges of the certificates (leaf and cabundle) inside a Nitro document. */
struct cert_ranges {
    size_t start[1 + CLAVE_NITRO_MAX_CABUNDLE];
    size_t end[1 + CLAVE_NITRO_MAX_CABUNDLE];
    size_t count;
    struct clave_x509 *leaf;
};

static void add_range(struct cert_ranges *c, const uint8_t *doc, size_t len, cbor_item_t *bstr)
{
    const uint8_t *der = cbor_bytestring_handle(bstr);
    size_t der_len = cbor_bytestring_length(bstr);
    const uint8_t *at = memmem(doc, len, der, der_len);
    assert_non_null(at);
    assert_true(c->count < 1 + CLAVE_NITRO_MAX_CABUNDLE);
    c->start[c->count] = (size_t)(at - doc);
    c->end[c->count] = c->start[c->count] + der_len;
    c->count++;
}

/* The leaf certificate (parsed) and where every certificate lies in `doc`. */
static void find_certs(const uint8_t *doc, size_t len, struct cert_ranges *c)
{
    uint8_t *payload = NULL;
    size_t payload_len = 0;
    struct cbor_load_result res;
    memset(c, 0, sizeof(*c));
    T_OK(clave_cose_sign1_peek_payload(doc, len, NULL, &payload, &payload_len));
    cbor_item_t *map = cbor_load(payload, payload_len, &res);
    assert_non_null(map);
    struct cbor_pair *pairs = cbor_map_handle(map);
    for (size_t i = 0; i < cbor_map_size(map); i++) {
        const char *key = (const char *)cbor_string_handle(pairs[i].key);
        size_t key_len = cbor_string_length(pairs[i].key);
        if (key_len == 11 && memcmp(key, "certificate", 11) == 0) { // lint:public
            add_range(c, doc, len, pairs[i].value);
            T_OK(clave_x509_parse_der(cbor_bytestring_handle(pairs[i].value),
                                      cbor_bytestring_length(pairs[i].value), &c->leaf));
        } else if (key_len == 8 && memcmp(key, "cabundle", 8) == 0) { // lint:public
            for (size_t k = 0; k < cbor_array_size(pairs[i].value); k++) {
                add_range(c, doc, len, cbor_array_handle(pairs[i].value)[k]);
            }
        }
    }
    assert_non_null(c->leaf);
    assert_true(c->count >= 2);
    cbor_decref(&map);
    free(payload);
}

static bool in_cert(const struct cert_ranges *c, size_t byte)
{
    for (size_t i = 0; i < c->count; i++) {
        if (byte >= c->start[i] && byte < c->end[i]) {
            return true;
        }
    }
    return false;
}

/*
 * Every bit of the whole document (protected header, payload, signature) rejects, each with a
 * full reject check. Outside the certificates: the whole verifier (clave_attest_verify; the
 * chain stays cached, so one ECDSA verification). Inside them: the COSE_Sign1 signature, which
 * covers the whole payload (certificates included), must fail under the genuine leaf key (one
 * ECDSA verification, where the verifier would also re-parse and re-verify the certificate chain
 * the flipped bit broke), and every 16th such bit also goes through the whole verifier (parse
 * and chain failures).
 */
static void test_bit_flip_walk_prod(void **state)
{
    (void)state;
    size_t len = 0;
    uint8_t *doc = load(PROD_DOC, &len);
    struct clave_attest_cache *cache = NULL;
    struct cert_ranges certs;
    struct clave_cose_sign1 *msg = NULL;
    const struct clave_cose_verify_opts vopts = {.alg = CLAVE_COSE_ALG_ES384,
                                                 .max_len = CLAVE_ATTEST_MAX_EVIDENCE_LEN};
    size_t full = 0;
    find_certs(doc, len, &certs);
    T_OK(clave_cose_sign1_verify_x509(doc, len, certs.leaf, &vopts, &msg));
    clave_cose_sign1_free(msg);
    T_OK(clave_attest_cache_new(&cache));
    struct clave_attest_options opts = {.cache = cache};
    for (size_t bit = 0; bit < len * 8; bit++) {
        bool cert = in_cert(&certs, bit / 8);
        doc[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        msg = NULL;
        if (cert && clave_cose_sign1_verify_x509(doc, len, certs.leaf, &vopts, &msg) == CLAVE_OK) {
            fail_msg("flipping bit %zu of byte %zu leaves the COSE signature valid", bit % 8,
                     bit / 8);
        }
        clave_cose_sign1_free(msg);
        if (!cert || bit % 16 == 0) {
            struct clave_attest_report *r = NULL;
            T_OK(clave_attest_report_new(&r));
            clave_status st = clave_attest_verify("nitro", doc, len, &opts, r);
            if (st == CLAVE_OK && clave_attest_report_ok(r)) {
                fail_msg("flipping bit %zu of byte %zu still verifies", bit % 8, bit / 8);
            }
            clave_attest_report_free(r);
            full++;
        }
        doc[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    print_message("%zu bits, %zu through the whole verifier\n", len * 8, full);
    clave_error_clear();
    clave_attest_cache_free(cache);
    clave_x509_free(certs.leaf);
    free(doc);
}

/* A sample of bits for the other documents. */
static void test_bit_flip_sample_debug_docs(void **state)
{
    (void)state;
    const char *docs[] = {DEBUG_DOC_2022, DEBUG_DOC_2023};
    for (size_t d = 0; d < 2; d++) {
        size_t len = 0;
        uint8_t *doc = load(docs[d], &len);
        for (size_t bit = 3; bit < len * 8; bit += 97) {
            struct clave_attest_report *r = NULL;
            doc[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            T_OK(clave_attest_report_new(&r));
            clave_status st = clave_attest_verify("nitro", doc, len, NULL, r);
            assert_false(st == CLAVE_OK && clave_attest_report_ok(r));
            clave_attest_report_free(r);
            doc[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        }
        free(doc);
    }
}

static void test_truncation_every_offset(void **state)
{
    (void)state;
    size_t len = 0;
    uint8_t *doc = load(PROD_DOC, &len);
    for (size_t n = 0; n < len; n++) {
        struct clave_attest_report *r = NULL;
        T_OK(clave_attest_report_new(&r));
        clave_status st = clave_attest_verify("nitro", doc, n, NULL, r);
        assert_false(st == CLAVE_OK && clave_attest_report_ok(r));
        clave_attest_report_free(r);
    }
    free(doc);
}

static void test_untrusted_root_rejects(void **state)
{
    (void)state;
    size_t len = 0;
    uint8_t *doc = load(PROD_DOC, &len);
    /* A policy pinning another root (an AMD ARK) for nitro: the vendor root is replaced. */
    char policy[512];
    (void)snprintf(policy, sizeof(policy),
                   "{\"version\":1,\"tees\":{\"nitro\":{\"trusted_roots\":[\"%s\"]}}}",
                   t_shared_vector("attestation/sev-snp/amd_milan_ask_ark.pem"));
    struct clave_attest_policy *p = NULL;
    T_OK(clave_attest_policy_parse(policy, strlen(policy), NULL, &p));
    struct clave_attest_options opts = {.policy = p};
    struct clave_attest_report *r = t_appraise("nitro", doc, len, &opts, p, 1665651482);
    assert_false(t_check_passed(r, "x509.chain", NULL, 0));
    clave_attest_report_free(r);
    clave_attest_policy_free(p);
    free(doc);
}

static void test_inspect_records_claims_only(void **state)
{
    (void)state;
    size_t len = 0;
    uint8_t *doc = load(PROD_DOC, &len);
    struct clave_attest_report *r = NULL;
    T_OK(clave_attest_report_new(&r));
    T_OK(clave_attest_inspect("auto", doc, len, r));
    assert_int_equal(clave_attest_report_check_count(r), 0);
    assert_false(clave_attest_report_ok(r));
    assert_int_equal(t_claim_int(r, "nitro.timestamp_ms"), PROD_TIMESTAMP_MS);
    clave_attest_report_free(r);
    free(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prod_doc_valid_at_its_timestamp),
        cmocka_unit_test(test_prod_doc_expired_now),
        cmocka_unit_test(test_debug_docs_verify_but_policy_rejects),
        cmocka_unit_test(test_debug_2022_fields),
        cmocka_unit_test(test_2023_user_data_binds_tls_key),
        cmocka_unit_test(test_bit_flip_walk_prod),
        cmocka_unit_test(test_bit_flip_sample_debug_docs),
        cmocka_unit_test(test_truncation_every_offset),
        cmocka_unit_test(test_untrusted_root_rejects),
        cmocka_unit_test(test_inspect_records_claims_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
