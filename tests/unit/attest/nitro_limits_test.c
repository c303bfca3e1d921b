/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The AWS limits of the Nitro attestation document (attestation_process.md section 3.2.2),
 * each checked on a document signed with the sim leaf key: a baseline that verifies under a
 * dev policy, then one mutation per rule that must fail "nitro.format".
 */
#include "attest_testutil.h"

#include <cbor.h>
#include <time.h>

static char *g_dir;
static char g_sim[4096];

static int setup(void **state)
{
    (void)state;
    g_dir = t_tempdir();
    (void)snprintf(g_sim, sizeof(g_sim), "%s/sim", g_dir);
    T_OK(clave_attest_sim_init(g_sim));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    t_rmtree(g_dir);
    free(g_dir);
    return 0;
}

static uint8_t *cert_der(const char *file, size_t *len)
{
    char path[4200];
    size_t pem_len = 0;
    struct clave_x509 *cert = NULL;
    const uint8_t *der = NULL;
    (void)snprintf(path, sizeof(path), "%s/%s", g_sim, file);
    uint8_t *pem = t_read_file(path, &pem_len);
    T_OK(clave_x509_parse_pem((const char *)pem, pem_len, &cert));
    clave_x509_der(cert, &der, len);
    uint8_t *copy = malloc(*len);
    memcpy(copy, der, *len);
    clave_x509_free(cert);
    free(pem);
    return copy;
}

/* What to break in the baseline document. */
enum mutation {
    M_NONE,
    M_USER_DATA_513,
    M_NONCE_513,
    M_PUBLIC_KEY_EMPTY,
    M_PCR_INDEX_32,
    M_PCR_LEN_40,
    M_NO_PCRS,
    M_DIGEST_SHA256,
    M_EMPTY_MODULE_ID,
    M_UNKNOWN_KEY,
    M_EMPTY_CABUNDLE,
    M_TIMESTAMP_ZERO,
    M_NO_CERTIFICATE,
    M_COUNT,
};

static void add(cbor_item_t *map, const char *key, cbor_item_t *value)
{
    assert_true(cbor_map_add(map, (struct cbor_pair){.key = cbor_move(cbor_build_string(key)),
                                                     .value = cbor_move(value)}));
}

static cbor_item_t *bytes_of(size_t len, uint8_t fill)
{
    uint8_t *buf = malloc(len + 1);
    memset(buf, fill, len + 1);
    cbor_item_t *item = cbor_build_bytestring(buf, len);
    free(buf);
    return item;
}

static uint8_t *build_doc(enum mutation m, size_t *out_len)
{
    size_t leaf_len = 0;
    size_t root_len = 0;
    size_t inter_len = 0;
    uint8_t *leaf = cert_der("nitro-leaf.pem", &leaf_len);
    uint8_t *root = cert_der("root.pem", &root_len);
    uint8_t *inter = cert_der("intermediate.pem", &inter_len);
    cbor_item_t *map = cbor_new_definite_map(10);
    add(map, "module_id", cbor_build_string(m == M_EMPTY_MODULE_ID ? "" : "i-test-enc"));
    add(map, "digest", cbor_build_string(m == M_DIGEST_SHA256 ? "SHA256" : "SHA384"));
    add(map, "timestamp",
        cbor_build_uint64(m == M_TIMESTAMP_ZERO ? 0 : (uint64_t)time(NULL) * 1000));
    cbor_item_t *pcrs = cbor_new_definite_map(2);
    if (m != M_NO_PCRS) {
        assert_true(cbor_map_add(pcrs, (struct cbor_pair){.key = cbor_move(cbor_build_uint8(0)),
                                                          .value = cbor_move(bytes_of(48, 0x11))}));
        assert_true(cbor_map_add(
            pcrs,
            (struct cbor_pair){.key = cbor_move(cbor_build_uint8(m == M_PCR_INDEX_32 ? 32 : 1)),
                               .value = cbor_move(bytes_of(m == M_PCR_LEN_40 ? 40 : 48, 0x22))}));
    }
    add(map, "pcrs", pcrs);
    if (m != M_NO_CERTIFICATE) {
        add(map, "certificate", cbor_build_bytestring(leaf, leaf_len));
    }
    cbor_item_t *bundle = cbor_new_definite_array(2);
    if (m != M_EMPTY_CABUNDLE) {
        assert_true(cbor_array_push(bundle, cbor_move(cbor_build_bytestring(root, root_len))));
        assert_true(cbor_array_push(bundle, cbor_move(cbor_build_bytestring(inter, inter_len))));
    }
    add(map, "cabundle", bundle);
    add(map, "user_data", bytes_of(m == M_USER_DATA_513 ? 513 : 512, 0x33));
    add(map, "nonce", bytes_of(m == M_NONCE_513 ? 513 : 512, 0x44));
    add(map, "public_key", m == M_PUBLIC_KEY_EMPTY ? bytes_of(0, 0) : bytes_of(1024, 0x55));
    if (m == M_UNKNOWN_KEY) {
        add(map, "extra", cbor_build_uint8(1));
    }
    uint8_t *payload = NULL;
    size_t cap = 0;
    size_t payload_len = cbor_serialize_alloc(map, &payload, &cap);
    assert_true(payload_len > 0);
    cbor_decref(&map);
    char path[4200];
    size_t key_len = 0;
    (void)snprintf(path, sizeof(path), "%s/nitro-leaf.key", g_sim);
    uint8_t *pem = t_read_file(path, &key_len);
    struct clave_secret *key = NULL;
    uint8_t *doc = NULL;
    T_OK(clave_secret_from(pem, key_len, &key));
    T_OK(clave_cose_sign1_sign(key, CLAVE_COSE_ALG_ES384, payload, payload_len, NULL, &doc,
                               out_len));
    clave_secret_free(key);
    free(pem);
    free(payload);
    free(leaf);
    free(root);
    free(inter);
    return doc;
}

static void test_limits(void **state)
{
    (void)state;
    static const char POLICY[] = "{\"version\":1,\"tees\":{\"sim-nitro\":{\"trusted_roots\":"
                                 "[\"root.pem\"]}}}";
    struct clave_attest_policy *p = NULL;
    T_OK(clave_attest_policy_parse(POLICY, sizeof(POLICY) - 1, g_sim, &p));
    struct clave_attest_options opts = {.policy = p};
    for (int m = M_NONE; m < M_COUNT; m++) {
        size_t len = 0;
        uint8_t *doc = build_doc((enum mutation)m, &len);
        struct clave_attest_report *r = t_appraise("nitro", doc, len, &opts, p, time(NULL));
        if (m == M_NONE) {
            assert_true(clave_attest_report_ok(r));
            struct clave_attest_claim c;
            T_OK(clave_attest_report_find_claim(r, "public_key", &c));
            assert_int_equal(c.len, 1024); /* the largest allowed values pass */
        } else if (t_check_passed(r, "nitro.format", NULL, 0)) {
            fail_msg("mutation %d passed nitro.format", m);
        }
        clave_attest_report_free(r);
        free(doc);
    }
    clave_attest_policy_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
