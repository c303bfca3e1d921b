/* SPDX-License-Identifier: Apache-2.0 */
/* The contract document: canonical encoding, strict parsing, field rules, JSON form. */
#include "fixture.h"

#include "contract/canon.h"
#include "core/cbor.h"

#include <stdlib.h>
#include <string.h>

/*
 * Golden bytes of a one-party contract, produced by an independent encoder: Python's cbor2 5.4.6
 * (Debian python3-cbor2) with cbor2.dumps(doc, canonical=True), where doc is the dict that
 * golden_builder() describes (spec given as {"b": 1, "a": [True, None, -2]}).
 */
static const char GOLDEN_HEX[] =
    "ad656465627567f4666578706972791a7735940066666f726d617401666f7574707574a3676275646765747381a365"
    "70"
    "6172747965616c6963656a64656c74615f7069636f006d657073696c6f6e5f6d6963726f1a000f424067636f6c756d"
    "6e"
    "7381636167656e6d696e5f67726f75705f73697a650a67726567696f6e7381626575677369676e65727381a2647370"
    "6b"
    "69582c302a300506032b6570032100d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
    "65"
    "706172747965616c6963656776657273696f6e0168646174617365747381a3626964626431656f776e657265616c69"
    "63"
    "65667368613235365820111111111111111111111111111111111111111111111111111111111111111169776f726b"
    "6c"
    "6f61647381a3637465656773696d2d736e70676d696e5f746362a463736e70036374656502696d6963726f636f6465"
    "04"
    "6a626f6f746c6f61646572016b6d6561737572656d656e745830222222222222222222222222222222222222222222"
    "22"
    "22222222222222222222222222222222222222222222222222226a726563697069656e747381a26570617274796561"
    "6c"
    "6963656e6a776b5f7468756d627072696e745820333333333333333333333333333333333333333333333333333333"
    "33"
    "333333336b636f6d7075746174696f6ea2646b696e646571756572796473706563a2616183f5f6216162016c746362"
    "5f"
    "737461747573657381685570546f446174656d636f6c6c61626f726174696f6e626331";
/* sha256 of the golden bytes (Python hashlib). */
static const char GOLDEN_ID[] = "4d904a3720c5a337de5fb617601aab20dbed7f329004d77842e21511dfc31284";

static struct clave_contract *golden_contract(void)
{
    /* {"b": 1, "a": [true, null, -2]}: keys deliberately out of canonical order. */
    static const uint8_t SPEC[] = {0xa2, 0x61, 'b', 0x01, 0x61, 'a', 0x83, 0xf5, 0xf6, 0x21};
    struct clave_contract_builder *b = NULL;
    struct clave_contract *c = NULL;
    struct clave_pkey *alice = fixture_alice();
    struct clave_contract_workload w;
    uint8_t spki[CLAVE_PKEY_SPKI_MAX_LEN];
    size_t spki_len = 0;
    uint8_t h[32];
    uint8_t tp[32];
    fixture_spki(alice, spki, &spki_len);
    memset(h, 0x11, sizeof(h));
    memset(tp, 0x33, sizeof(tp));
    memset(&w, 0, sizeof(w));
    w.tee = CLAVE_TEE_SIM_SNP;
    memset(w.snp.measurement, 0x22, sizeof(w.snp.measurement));
    w.snp.min_tcb = (struct clave_snp_tcb){1, 2, 3, 4};
    T_OK(clave_contract_builder_new(&b));
    T_OK(clave_contract_builder_set_collaboration(b, "c1"));
    T_OK(clave_contract_builder_set_version(b, 1));
    T_OK(clave_contract_builder_add_dataset(b, "d1", "alice", h));
    T_OK(clave_contract_builder_set_computation(b, CLAVE_COMPUTATION_QUERY, SPEC, sizeof(SPEC)));
    T_OK(clave_contract_builder_add_workload(b, &w));
    T_OK(clave_contract_builder_add_tcb_status(b, "UpToDate"));
    T_OK(clave_contract_builder_add_budget(b, "alice", 1000000, 0));
    T_OK(clave_contract_builder_set_min_group_size(b, 10));
    T_OK(clave_contract_builder_add_column(b, "age"));
    T_OK(clave_contract_builder_add_recipient_thumbprint(b, "alice", tp));
    T_OK(clave_contract_builder_add_region(b, "eu"));
    T_OK(clave_contract_builder_add_signer(b, "alice", spki, spki_len));
    T_OK(clave_contract_builder_set_validity(b, 0, 2000000000));
    T_OK(clave_contract_builder_finish(b, &c));
    clave_contract_builder_free(b);
    clave_pkey_free(alice);
    return c;
}

static void test_golden_bytes(void **state)
{
    (void)state;
    size_t golden_len = 0;
    size_t id_len = 0;
    uint8_t *golden = t_hex(GOLDEN_HEX, &golden_len);
    uint8_t *id = t_hex(GOLDEN_ID, &id_len);
    struct clave_contract *c = golden_contract();
    size_t len = 0;
    const uint8_t *enc = clave_contract_encoding(c, &len);
    assert_int_equal(len, golden_len);
    assert_memory_equal(enc, golden, len);
    assert_memory_equal(clave_contract_id(c), id, CLAVE_CONTRACT_ID_LEN);

    /* Parse -> accessors -> re-encode: the same bytes and id. */
    struct clave_contract *back = NULL;
    T_OK(clave_contract_parse(golden, golden_len, &back));
    assert_memory_equal(clave_contract_id(back), id, CLAVE_CONTRACT_ID_LEN);
    assert_string_equal(clave_contract_collaboration(back), "c1");
    assert_int_equal(clave_contract_expiry(back), 2000000000);
    assert_int_equal(clave_contract_not_before(back), 0);
    assert_int_equal(clave_contract_workload(back, 0)->snp.min_tcb.microcode, 4);
    assert_non_null(clave_contract_recipient(back, 0).jwk_thumbprint);
    assert_true(clave_contract_allows_region(back, "eu"));
    assert_false(clave_contract_allows_region(back, "us"));
    assert_true(clave_contract_accepts_tcb_status(back, "UpToDate"));
    assert_false(clave_contract_accepts_tcb_status(back, "OutOfDate"));
    size_t index = 9;
    uint8_t h[32];
    memset(h, 0x11, sizeof(h));
    T_OK(clave_contract_find_dataset(back, h, &index));
    assert_int_equal(index, 0);
    h[0] = 0;
    T_ERR(clave_contract_find_dataset(back, h, &index), CLAVE_ERR_NOT_FOUND);

    /* Second encoder path: the generic canonical re-encoder over libcbor's decoded tree. */
    cbor_item_t *item = NULL;
    uint8_t *buf = malloc(CLAVE_CONTRACT_MAX_LEN);
    struct clave_writer w;
    clave_writer_init(&w, buf, CLAVE_CONTRACT_MAX_LEN);
    T_OK(clave__cbor_load(golden, golden_len, NULL, &item));
    /* The document holds byte strings, which the JSON-model encoder refuses: check the spec. */
    cbor_item_t *comp = clave__cbor_map_get_text(item, "computation");
    size_t spec_len = 0;
    const uint8_t *spec = clave_contract_computation_spec(back, &spec_len);
    T_OK(clave__canon_item(&w, clave__cbor_map_get_text(comp, "spec"), "spec", 8));
    assert_int_equal(w.len, spec_len);
    assert_memory_equal(buf, spec, spec_len);
    cbor_decref(&item);
    free(buf);
    clave_contract_free(back);
    clave_contract_free(c);
    free(id);
    free(golden);
}

/* A copy of `src` with `remove` bytes at `at` replaced by `ins` (`ins_len` bytes). */
static uint8_t *splice(const uint8_t *src, size_t len, size_t at, size_t remove, const uint8_t *ins,
                       size_t ins_len, size_t *out_len)
{
    *out_len = len - remove + ins_len;
    uint8_t *out = malloc(*out_len);
    memcpy(out, src, at);
    memcpy(out + at, ins, ins_len);
    memcpy(out + at + ins_len, src + at + remove, len - at - remove);
    return out;
}

static size_t find(const uint8_t *data, size_t len, const char *hex)
{
    size_t n = 0;
    uint8_t *needle = t_hex(hex, &n);
    const uint8_t *p = memmem(data, len, needle, n);
    free(needle);
    assert_non_null(p);
    return (size_t)(p - data);
}

struct mutation {
    const char *what;
    const char *anchor; /* hex to find */
    size_t offset;      /* from the anchor */
    size_t remove;
    const char *insert; /* hex */
    const char *detail; /* expected substring of the error detail, or NULL */
};

static void test_non_canonical_rejected(void **state)
{
    (void)state;
    static const struct mutation MUTATIONS[] = {
        {"format as 2-byte integer", "66666f726d617401", 7, 1, "1801", "canonical"},
        {"expiry as 8-byte integer", "1a77359400", 0, 5, "1b0000000077359400", "canonical"},
        {"key length not shortest", "626964", 0, 1, "7802", "canonical"},
        {"unsorted keys debug/expiry", "656465627567f4666578706972791a77359400", 0, 19,
         "666578706972791a77359400656465627567f4", "canonical"},
        {"unsorted spec keys", "a2616183f5f621616201", 0, 10, "a2616201616183f5f621", "canonical"},
        {"indefinite array", "8163616765", 0, 5, "9f63616765ff", "indefinite"},
        {"indefinite text", "63616765", 0, 4, "7f63616765ff", "indefinite"},
        {"float in spec", "f5f621", 2, 1, "f93c00", "float"},
        {"sha256 of 31 bytes", "58201111", 1, 2, "1f",
         "contract.datasets[0].sha256: expected 32 bytes"},
        {"unknown top-level field", "6c7463625f7374617475736573", 1, 12, "7463625f737461747573657a",
         "unknown field"},
        {"debug as integer", "656465627567f4", 6, 1, "00", "contract.debug"},
        {"false as 2-byte simple", "656465627567f4", 6, 1, "f814", NULL},
        {"measurement of 47 bytes", "6b6d6561737572656d656e745830", 13, 2, "2f",
         "contract.workloads[0].measurement: expected 48 bytes"},
        {"thumbprint of 31 bytes", "6e6a776b5f7468756d627072696e745820", 16, 2, "1f",
         "contract.recipients[0].jwk_thumbprint: expected 32 bytes"},
        {"min_tcb.snp of 256", "63736e7003", 4, 1, "190100",
         "contract.workloads[0].min_tcb.snp: larger than 255"},
        {"format 2", "66666f726d617401", 7, 1, "02", "contract.format: version 2"},
        {"min_group_size as text", "6e6d696e5f67726f75705f73697a650a", 15, 1, "6131",
         "contract.output.min_group_size: expected an unsigned integer"},
        {"signer key not an SPKI", "302a300506032b6570", 0, 1, "31",
         "contract.signers[0].spki: not a valid SubjectPublicKeyInfo"},
        {"tee unknown", "6773696d2d736e70", 1, 7, "73696d2d74647a", "contract.workloads[0].tee"},
        {"collaboration with a space", "626331", 0, 3, "63632031", NULL},
    };
    size_t golden_len = 0;
    uint8_t *golden = t_hex(GOLDEN_HEX, &golden_len);
    struct clave_contract *c = NULL;
    for (size_t i = 0; i < sizeof(MUTATIONS) / sizeof(MUTATIONS[0]); i++) {
        const struct mutation *m = &MUTATIONS[i];
        size_t ins_len = 0;
        size_t len = 0;
        uint8_t *ins = t_hex(m->insert, &ins_len);
        size_t at = find(golden, golden_len, m->anchor) + m->offset;
        uint8_t *bad = splice(golden, golden_len, at, m->remove, ins, ins_len, &len);
        clave_status st = clave_contract_parse(bad, len, &c);
        if (st == CLAVE_OK || c != NULL) {
            fail_msg("%s: accepted", m->what);
        }
        if (m->detail != NULL && strstr(clave_error_last().detail, m->detail) == NULL) {
            fail_msg("%s: detail '%s' lacks '%s'", m->what, clave_error_last().detail, m->detail);
        }
        free(bad);
        free(ins);
    }
    /* Duplicate key: one more entry "debug": false at the end, map count 13 -> 14. */
    size_t len = 0;
    static const uint8_t DUP[] = {0x65, 'd', 'e', 'b', 'u', 'g', 0xf4};
    uint8_t *bad = splice(golden, golden_len, golden_len, 0, DUP, sizeof(DUP), &len);
    bad[0] = 0xae;
    T_ERR(clave_contract_parse(bad, len, &c), CLAVE_ERR_CBOR);
    free(bad);
    /* Trailing bytes. */
    static const uint8_t ZERO[] = {0};
    bad = splice(golden, golden_len, golden_len, 0, ZERO, 1, &len);
    T_ERR(clave_contract_parse(bad, len, &c), CLAVE_ERR_TRAILING);
    free(bad);
    free(golden);
}

static void test_truncation_and_bit_flips(void **state)
{
    (void)state;
    size_t golden_len = 0;
    uint8_t *golden = t_hex(GOLDEN_HEX, &golden_len);
    struct clave_contract *c = NULL;
    for (size_t cut = 0; cut < golden_len; cut++) {
        uint8_t *copy = malloc(cut == 0 ? 1 : cut);
        memcpy(copy, golden, cut);
        assert_int_not_equal(clave_contract_parse(copy, cut, &c), CLAVE_OK);
        assert_null(c);
        free(copy);
    }
    /* Any accepted bit flip must be a different, fully valid contract with a different id. */
    for (size_t i = 0; i < golden_len; i++) {
        for (int bit = 0; bit < 8; bit++) {
            golden[i] ^= (uint8_t)(1u << bit);
            if (clave_contract_parse(golden, golden_len, &c) == CLAVE_OK) {
                size_t len = 0;
                const uint8_t *enc = clave_contract_encoding(c, &len);
                assert_memory_equal(enc, golden, golden_len);
                clave_contract_free(c);
                c = NULL;
            }
            golden[i] ^= (uint8_t)(1u << bit);
        }
    }
    free(golden);
}

static void test_field_errors_name_the_field(void **state)
{
    (void)state;
    static const char *const EXPECTED[FIX_COUNT] = {
        [FIX_NO_COLLABORATION] = "contract.collaboration: required",
        [FIX_VERSION_ZERO] = "contract.version",
        [FIX_DATASET_BAD_ID] = "contract.datasets[0].id",
        [FIX_DATASET_OWNER_NOT_SIGNER] = "contract.datasets[1].owner: mallory is not a required",
        [FIX_DATASET_DUPLICATE_HASH] = "contract.datasets[1].sha256: duplicate",
        [FIX_NO_COMPUTATION] = "contract.computation.kind",
        [FIX_NO_WORKLOADS] = "contract.workloads: expected 1..64 entries",
        [FIX_SGX_NO_MEASUREMENT] = "contract.workloads[1]: sgx needs mrenclave or mrsigner",
        [FIX_TCB_REVOKED] = "contract.tcb_statuses[1]: unknown TCB status",
        [FIX_BUDGET_NOT_SIGNER] = "contract.output.budgets[0].party",
        [FIX_EPSILON_ZERO] = "contract.output.budgets[0].epsilon_micro",
        [FIX_DELTA_ONE] = "contract.output.budgets[1].delta_pico",
        [FIX_GROUP_ZERO] = "contract.output.min_group_size",
        [FIX_COLUMN_CONTROL] = "contract.output.columns[1]: control character",
        [FIX_RECIPIENT_BAD_KEY] = "contract.recipients[0].spki",
        [FIX_NO_REGIONS] = "contract.regions: expected 1..64",
        [FIX_REGION_STAR_AND_OTHER] = "contract.regions[1]",
        [FIX_SIGNER_X25519] = "contract.signers[0].spki: key type not allowed",
        [FIX_SIGNER_DUPLICATE] = "contract.signers[1].party: duplicate",
        [FIX_NO_EXPIRY] = "contract.expiry",
        [FIX_NOT_BEFORE_AFTER_EXPIRY] = "contract.not_before",
    };
    struct clave_pkey *bob = NULL;
    struct clave_contract *c = NULL;
    T_OK(clave_pkey_generate(CLAVE_PKEY_P256, &bob));
    c = fixture_contract(bob);
    clave_contract_free(c);
    for (int br = 1; br < FIX_COUNT; br++) {
        struct clave_contract_builder *b = fixture_builder(bob, (enum fixture_break)br);
        c = NULL;
        assert_int_not_equal(clave_contract_builder_finish(b, &c), CLAVE_OK);
        assert_null(c);
        if (strstr(clave_error_last().detail, EXPECTED[br]) == NULL) {
            fail_msg("break %d: detail '%s' lacks '%s'", br, clave_error_last().detail,
                     EXPECTED[br]);
        }
        clave_contract_builder_free(b);
    }
    clave_pkey_free(bob);
}

static void test_json_round_trip(void **state)
{
    (void)state;
    struct clave_pkey *bob = NULL;
    T_OK(clave_pkey_generate(CLAVE_PKEY_P256, &bob));
    struct clave_contract *c = fixture_contract(bob);
    struct clave_contract *back = NULL;
    char *json = NULL;
    T_OK(clave_contract_to_json(c, &json));
    T_OK(clave_contract_from_json(json, strlen(json), &back));
    assert_memory_equal(clave_contract_id(back), clave_contract_id(c), CLAVE_CONTRACT_ID_LEN);
    assert_int_equal(clave_contract_workload_count(back), 2);
    assert_int_equal(clave_contract_budget(back, 1).delta_pico, 1000000);
    assert_string_equal(clave_contract_signer(back, 1).party, "bob");
    /* Truncated JSON never yields a contract. */
    for (size_t cut = 0; cut < strlen(json); cut += 7) {
        struct clave_contract *x = NULL;
        assert_int_not_equal(clave_contract_from_json(json, cut, &x), CLAVE_OK);
        assert_null(x);
    }
    free(json);
    clave_contract_free(back);
    clave_contract_free(c);
    clave_pkey_free(bob);
}

static void test_json_errors_name_the_field(void **state)
{
    (void)state;
    static const struct {
        const char *json;
        const char *detail;
    } CASES[] = {
        {"{\"collaboration\": 5}", "contract.collaboration: expected string"},
        {"{\"collaboration\": \"c\", \"version\": 1, \"debug\": false, \"expiry\": 9, \"bogus\": "
         "1}",
         "contract.bogus: unknown field"},
        {"{\"collaboration\": \"c\", \"version\": 1, \"expiry\": 9, \"datasets\": [{\"id\": \"d\", "
         "\"owner\": \"a\", \"sha256\": \"00\"}]}",
         "contract.datasets[0].sha256: expected 64 hex characters"},
        {"{\"collaboration\": \"c\", \"version\": 1, \"expiry\": 9, \"datasets\": [], "
         "\"computation\": {\"kind\": \"query\", \"spec\": {\"x\": [1, 2.5]}}}",
         "contract.computation.spec.x[1]: floats are not allowed"},
        {"{\"collaboration\": \"c\", \"version\": 1, \"expiry\": 9, \"datasets\": [], "
         "\"computation\": {\"kind\": \"sql\", \"spec\": {}}}",
         "contract.computation.kind"},
    };
    for (size_t i = 0; i < sizeof(CASES) / sizeof(CASES[0]); i++) {
        struct clave_contract *c = NULL;
        assert_int_not_equal(clave_contract_from_json(CASES[i].json, strlen(CASES[i].json), &c),
                             CLAVE_OK);
        if (strstr(clave_error_last().detail, CASES[i].detail) == NULL) {
            fail_msg("case %zu: detail '%s' lacks '%s'", i, clave_error_last().detail,
                     CASES[i].detail);
        }
    }
}

static void test_builder_limits_and_args(void **state)
{
    (void)state;
    struct clave_contract_builder *b = NULL;
    T_OK(clave_contract_builder_new(&b));
    T_ERR(clave_contract_builder_set_collaboration(b, NULL), CLAVE_ERR_ARG);
    for (size_t i = 0; i < CLAVE_CONTRACT_MAX_REGIONS; i++) {
        T_OK(clave_contract_builder_add_region(b, "r"));
    }
    T_ERR(clave_contract_builder_add_region(b, "r"), CLAVE_ERR_LIMIT);
    static const uint8_t NOT_A_MAP[] = {0x81, 0x01};
    T_ERR(clave_contract_builder_set_computation(b, CLAVE_COMPUTATION_HE, NOT_A_MAP,
                                                 sizeof(NOT_A_MAP)),
          CLAVE_ERR_FORMAT);
    static const uint8_t BYTES_IN_SPEC[] = {0xa1, 0x61, 'k', 0x41, 0x00};
    T_ERR(clave_contract_builder_set_computation(b, CLAVE_COMPUTATION_HE, BYTES_IN_SPEC,
                                                 sizeof(BYTES_IN_SPEC)),
          CLAVE_ERR_FORMAT);
    clave_contract_builder_free(b);
    assert_null(clave_computation_kind_name((enum clave_computation_kind)9));
    assert_string_equal(clave_tee_type_name(CLAVE_TEE_SIM_NITRO), "sim-nitro");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_bytes),
        cmocka_unit_test(test_non_canonical_rejected),
        cmocka_unit_test(test_truncation_and_bit_flips),
        cmocka_unit_test(test_field_errors_name_the_field),
        cmocka_unit_test(test_json_round_trip),
        cmocka_unit_test(test_json_errors_name_the_field),
        cmocka_unit_test(test_builder_limits_and_args),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
