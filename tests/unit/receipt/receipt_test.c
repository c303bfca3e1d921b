/* SPDX-License-Identifier: Apache-2.0 */
/*
 * include/clave/receipt.h end to end: real sim SNP evidence bound to the runtime data and the
 * contract id, a signed contract bundle, an EAR, a SQLite audit ledger with the runner.result
 * entry and its proof. Every tamper fails with the right named check; truncations at every
 * offset and bit flips never pass.
 */
#include "fixture.h"

#define NAME_CAP 64

static void expect_first(struct fixture *f, const struct variant *v,
                         const struct clave_receipt_trust *t, const char *want)
{
    char got[NAME_CAP];
    size_t len = 0;
    uint8_t *r = fixture_receipt(f, v, &len);
    struct clave_receipt_trust dflt = fixture_trust(f);
    first_failure(r, len, t != NULL ? t : &dflt, got, sizeof(got));
    if (strcmp(got, want) != 0) {
        fail_msg("first failure '%s', expected '%s'", got, want);
    }
    free(r);
}

static void test_valid(void **state)
{
    struct fixture *f = *state;
    struct variant v = {0};
    struct clave_attest_report *rep = NULL;
    struct clave_attest_claim c;
    size_t len = 0;
    uint8_t *r = fixture_receipt(f, &v, &len);
    struct clave_receipt_trust t = fixture_trust(f);
    struct clave_receipt_output_digest out = {"counts", {0}};
    memset(out.sha256, FIX_OUTPUT_HASH, sizeof(out.sha256));
    t.outputs = &out;
    t.output_count = 1;
    T_OK(clave_attest_report_new(&rep));
    T_OK(clave_receipt_verify(r, len, &t, rep));
    if (!clave_attest_report_ok(rep)) {
        char *json = NULL;
        T_OK(clave_attest_report_json(rep, &json));
        fail_msg("receipt does not verify: %s", json);
    }
    static const char *const NAMES[] = {
        "receipt.format",       "receipt.tee_key",  "receipt.signature",  "evidence.digest",
        "evidence.attestation", "evidence.binding", "evidence.reference", "contract.bundle",
        "contract.id",          "contract.active",  "contract.workload",  "contract.datasets",
        "ear.signature",        "ear.status",       "dp.debits",          "ledger.proof",
        "ledger.sth",           "ledger.inclusion", "ledger.entry",       "output.counts"};
    assert_int_equal(clave_attest_report_check_count(rep), sizeof(NAMES) / sizeof(NAMES[0]));
    for (size_t i = 0; i < sizeof(NAMES) / sizeof(NAMES[0]); i++) {
        struct clave_attest_check k;
        T_OK(clave_attest_report_get_check(rep, i, &k));
        assert_string_equal(k.name, NAMES[i]);
    }
    T_OK(clave_attest_report_find_claim(rep, "receipt.contract", &c));
    assert_memory_equal(c.bytes, clave_contract_id(f->contract), 32);
    T_OK(clave_attest_report_find_claim(rep, "tee", &c));
    assert_string_equal((const char *)c.bytes, "sim-snp");
    clave_attest_report_free(rep);
    free(r);
}

static void test_parse_accessors(void **state)
{
    struct fixture *f = *state;
    struct variant v = {0};
    struct clave_receipt *p = NULL;
    uint8_t h[32];
    size_t len = 0;
    size_t n = 0;
    char *json = NULL;
    json_t *fields = NULL;
    uint8_t *r = fixture_receipt(f, &v, &len);
    T_OK(clave_receipt_parse(r, len, &p));
    assert_int_equal(clave_receipt_version(p), CLAVE_RECEIPT_VERSION);
    assert_memory_equal(clave_receipt_contract_id(p), clave_contract_id(f->contract), 32);
    assert_string_equal(clave_receipt_kind(p), "query");
    assert_int_equal(clave_receipt_issued_at(p), f->now);
    assert_string_equal(clave_receipt_evidence_format(p), "snp");
    assert_non_null(clave_receipt_evidence(p, &n));
    assert_int_equal(n, CLAVE_SNP_REPORT_LEN);
    assert_non_null(clave_receipt_endorsement(p, &n));
    assert_int_equal(n, f->vcek_len);
    assert_int_equal(clave_receipt_dataset_count(p), 1);
    assert_string_equal(clave_receipt_dataset(p, 0).id, "d1");
    assert_int_equal(clave_receipt_output_count(p), 1);
    assert_string_equal(clave_receipt_output(p, 0).content_type, "application/json");
    assert_int_equal(clave_receipt_dp(p, 0).epsilon_micro, 250000);
    assert_string_equal(clave_receipt_debit(p, 0).debit_id, "debit-1");
    assert_true(clave_receipt_reference_count(p) >= 2);
    assert_string_equal(clave_receipt_reference(p, 0).name, "measurement");
    assert_true(clave_receipt_has_proof(p));
    T_OK(clave_receipt_payload_hash(r, len, h));
    assert_memory_equal(h, clave_receipt_hash(p), 32);
    T_OK(clave_receipt_ledger_fields(p, &fields));
    assert_null(json_object_get(fields, "type"));
    assert_int_equal(json_string_length(json_object_get(fields, "receipt")), 64);
    assert_int_equal(json_array_size(json_object_get(fields, "outputs")), 1);
    T_OK(clave_receipt_to_json(p, &json));
    assert_non_null(strstr(json, "\"kind\": \"query\""));
    free(json);
    json_decref(fields);
    clave_receipt_free(p);
    free(r);
}

static void test_tamper_fields(void **state)
{
    struct fixture *f = *state;
    uint8_t other_id[32];
    memset(other_id, 0x77, sizeof(other_id));
    struct variant wrong_contract = {.contract_id = other_id};
    expect_first(f, &wrong_contract, NULL, "contract.id");
    struct variant unbound = {.contract_id = other_id,
                              .evidence_contract_id = clave_contract_id(f->contract)};
    expect_first(f, &unbound, NULL, "evidence.binding");
    struct variant wrong_hash = {.dataset_hash = 0x12};
    expect_first(f, &wrong_hash, NULL, "contract.datasets");
    struct variant wrong_id = {.dataset_id = "d2"};
    expect_first(f, &wrong_id, NULL, "contract.datasets");
    struct variant measurement = {.measurement = FIX_OTHER_MEASUREMENT};
    expect_first(f, &measurement, NULL, "contract.workload");
    struct variant over_budget = {.debit_epsilon = 1000001};
    expect_first(f, &over_budget, NULL, "dp.debits");
    struct clave_pkey *other_ear = NULL;
    T_OK(clave_pkey_generate(CLAVE_PKEY_P256, &other_ear));
    struct variant ear = {.ear_key = other_ear};
    expect_first(f, &ear, NULL, "ear.signature");
    clave_pkey_free(other_ear);
    struct variant no_proof = {.no_proof = true};
    expect_first(f, &no_proof, NULL, "ledger.proof");
    struct variant entry_type = {.entry_type = "runner.other"};
    expect_first(f, &entry_type, NULL, "ledger.entry");
    struct variant entry_receipt = {.entry_other_receipt = true};
    expect_first(f, &entry_receipt, NULL, "ledger.entry");
}

/* Runtime data other than what the evidence binds (same key, another nonce). */
static void test_tamper_runtime_data(void **state)
{
    struct fixture *f = *state;
    char *pub = NULL;
    T_OK(clave_jwk_export_public(f->tee_key, &pub));
    json_t *rt =
        json_pack("{s:s,s:o}", "nonce", "b3RoZXI=", "tee-pubkey", json_loads(pub, 0, NULL));
    char *rd = json_dumps(rt, JSON_COMPACT | JSON_SORT_KEYS);
    struct variant v = {.runtime_data = rd};
    expect_first(f, &v, NULL, "evidence.binding");
    free(rd);
    json_decref(rt);
    free(pub);
}

static void test_tamper_trust(void **state)
{
    struct fixture *f = *state;
    struct variant v = {0};
    struct clave_receipt_trust t = fixture_trust(f);
    /* another contract's bundle */
    struct clave_contract *other = fixture_contract(f, FIX_OTHER_MEASUREMENT);
    uint8_t *bundle = NULL;
    size_t bundle_len = 0;
    T_OK(clave_contract_bundle_export(other, &bundle, &bundle_len));
    t.bundle = bundle;
    t.bundle_len = bundle_len;
    expect_first(f, &v, &t, "contract.id");
    free(bundle);
    clave_contract_free(other);
    /* a damaged bundle */
    uint8_t *bad = malloc(f->bundle_len);
    memcpy(bad, f->bundle, f->bundle_len);
    bad[f->bundle_len - 5] ^= 1;
    t = fixture_trust(f);
    t.bundle = bad;
    expect_first(f, &v, &t, "contract.bundle");
    free(bad);
    /* the wrong ledger key */
    struct clave_pkey *lk = NULL;
    T_OK(clave_pkey_generate(CLAVE_PKEY_ED25519, &lk));
    t = fixture_trust(f);
    t.ledger_key = lk;
    expect_first(f, &v, &t, "ledger.sth");
    clave_pkey_free(lk);
    /* a policy that does not trust the sim root */
    struct clave_attest_policy *p = NULL;
    T_OK(clave_attest_policy_default(&p));
    t = fixture_trust(f);
    t.policy = p;
    expect_first(f, &v, &t, "evidence.attestation");
    clave_attest_policy_free(p);
    /* an output file that is not the result */
    struct clave_receipt_output_digest out = {"counts", {0}};
    t = fixture_trust(f);
    t.outputs = &out;
    t.output_count = 1;
    expect_first(f, &v, &t, "output.counts");
    struct clave_receipt_output_digest missing = {"model", {0}};
    t.outputs = &missing;
    expect_first(f, &v, &t, "output.model");
}

static void test_revoked(void **state)
{
    struct fixture *f = *state;
    struct variant v = {0};
    uint8_t *rev = NULL;
    size_t n = 0;
    uint8_t *bundle = NULL;
    size_t bundle_len = 0;
    struct clave_contract *c = NULL;
    T_OK(clave_contract_bundle_parse(f->bundle, f->bundle_len, &c));
    T_OK(clave_contract_revoke(c, f->party_key, "a", (uint64_t)f->now - 10, &rev, &n));
    T_OK(clave_contract_add_revocation(c, "a", rev, n));
    T_OK(clave_contract_bundle_export(c, &bundle, &bundle_len));
    struct clave_receipt_trust t = fixture_trust(f);
    t.bundle = bundle;
    t.bundle_len = bundle_len;
    expect_first(f, &v, &t, "contract.active");
    free(bundle);
    free(rev);
    clave_contract_free(c);
}

static void test_tamper_proof(void **state)
{
    struct fixture *f = *state;
    struct variant v = {.no_proof = true};
    size_t len = 0;
    size_t out_len = 0;
    uint8_t *out = NULL;
    char got[NAME_CAP];
    struct clave_ledger_sth sth;
    char *proof = NULL;
    char *sth_json = NULL;
    uint8_t *r = fixture_receipt(f, &v, &len);
    struct clave_receipt_trust t = fixture_trust(f);
    /* the proof of another entry (entry 0, "kbs.attest") */
    T_OK(clave_ledger_checkpoint(f->ledger, f->ledger_key, f->now * 1000, &sth));
    T_OK(clave_ledger_proof_json(f->ledger, 0, sth.tree_size, &proof));
    T_OK(clave_ledger_sth_to_json(&sth, &sth_json));
    T_OK(clave_receipt_attach_proof(r, len, proof, strlen(proof), sth_json, strlen(sth_json), &out,
                                    &out_len));
    assert_string_equal(first_failure(out, out_len, &t, got, sizeof(got)), "ledger.entry");
    free(out);
    /* a tree head with a broken signature */
    struct clave_ledger_sth bad = sth;
    bad.signature[0] ^= 1;
    free(sth_json);
    T_OK(clave_ledger_sth_to_json(&bad, &sth_json));
    T_OK(clave_receipt_attach_proof(r, len, proof, strlen(proof), sth_json, strlen(sth_json), &out,
                                    &out_len));
    assert_string_equal(first_failure(out, out_len, &t, got, sizeof(got)), "ledger.sth");
    free(out);
    /* a proof whose path does not lead to the signed root */
    free(sth_json);
    T_OK(clave_ledger_sth_to_json(&sth, &sth_json));
    json_t *pj = json_loads(proof, 0, NULL);
    json_t *path = json_object_get(pj, "audit_path");
    assert_true(json_array_size(path) > 0);
    json_array_set_new(path, 0,
                       json_string("0000000000000000000000000000000000000000000000000000"
                                   "000000000000"));
    char *bad_proof = json_dumps(pj, JSON_COMPACT);
    T_OK(clave_receipt_attach_proof(r, len, bad_proof, strlen(bad_proof), sth_json,
                                    strlen(sth_json), &out, &out_len));
    assert_string_equal(first_failure(out, out_len, &t, got, sizeof(got)), "ledger.inclusion");
    free(out);
    /* proof against another tree size than the head: refused when attaching */
    bad = sth;
    bad.tree_size++;
    free(sth_json);
    T_OK(
        clave_ledger_sth_sign(f->ledger_key, bad.tree_size, bad.timestamp_ms, bad.root_hash, &bad));
    T_OK(clave_ledger_sth_to_json(&bad, &sth_json));
    T_ERR(clave_receipt_attach_proof(r, len, proof, strlen(proof), sth_json, strlen(sth_json), &out,
                                     &out_len),
          CLAVE_ERR_FORMAT);
    free(bad_proof);
    json_decref(pj);
    free(proof);
    free(sth_json);
    free(r);
}

/* The signature, the protected header and the payload: a flipped bit never passes. */
static void test_tamper_bytes(void **state)
{
    struct fixture *f = *state;
    struct variant v = {0};
    size_t len = 0;
    char got[NAME_CAP];
    uint8_t *r = fixture_receipt(f, &v, &len);
    struct clave_receipt_trust t = fixture_trust(f);
    uint8_t *copy = malloc(len);
    /* the last byte belongs to the signature */
    memcpy(copy, r, len);
    copy[len - 1] ^= 0x01;
    assert_string_equal(first_failure(copy, len, &t, got, sizeof(got)), "receipt.signature");
    /* bit flips across the message, every 7th offset (each one a full verification) */
    for (size_t i = 0; i < len; i += 7) {
        memcpy(copy, r, len);
        copy[i] ^= (uint8_t)(1u << (i % 8));
        first_failure(copy, len, &t, got, sizeof(got));
        if (got[0] == '\0') {
            fail_msg("flipped bit at offset %zu verified", i);
        }
    }
    free(copy);
    free(r);
}

/* Truncation at every offset and appended bytes: never parse, and fail receipt.format. */
static void test_truncation(void **state)
{
    struct fixture *f = *state;
    struct variant v = {0};
    size_t len = 0;
    struct clave_receipt *p = NULL;
    uint8_t h[32];
    char got[NAME_CAP];
    uint8_t *r = fixture_receipt(f, &v, &len);
    struct clave_receipt_trust t = fixture_trust(f);
    for (size_t n = 0; n < len; n++) {
        assert_int_not_equal(clave_receipt_parse(r, n, &p), CLAVE_OK);
        assert_null(p);
        assert_int_not_equal(clave_receipt_payload_hash(r, n, h), CLAVE_OK);
    }
    for (size_t n = 0; n < len; n += 97) {
        assert_string_equal(first_failure(r, n, &t, got, sizeof(got)), "receipt.format");
    }
    uint8_t *longer = malloc(len + 1);
    memcpy(longer, r, len);
    longer[len] = 0;
    T_ERR(clave_receipt_parse(longer, len + 1, &p), CLAVE_ERR_TRAILING);
    free(longer);
    free(r);
}

/* The binding helpers give what the broker hashes and what evidence.binding expects. */
static void test_binding(void **state)
{
    struct fixture *f = *state;
    char *rd = NULL;
    uint8_t want[64];
    uint8_t got[64];
    uint8_t kbs[64];
    T_OK(clave_receipt_runtime_data_new(FIX_NONCE, f->tee_key, &rd));
    assert_string_equal(rd, f->runtime_data);
    T_OK(clave_receipt_report_data(rd, strlen(rd), clave_contract_id(f->contract), got));
    T_OK(clave_hash(CLAVE_HASH_SHA384, (const uint8_t *)rd, strlen(rd), want, 48));
    memcpy(want + 48, clave_contract_id(f->contract), 16);
    assert_memory_equal(got, want, 64);
    /* the first 48 bytes are the broker's binding (include/clave/kbs.h) */
    json_t *doc = json_loads(rd, 0, NULL);
    T_OK(clave_kbs_report_data(FIX_NONCE, json_object_get(doc, "tee-pubkey"), kbs));
    assert_memory_equal(kbs, got, 48);
    json_decref(doc);
    T_ERR(clave_receipt_report_data(rd, 0, clave_contract_id(f->contract), got), CLAVE_ERR_ARG);
    char *none = NULL;
    T_ERR(clave_receipt_runtime_data_new(NULL, f->tee_key, &none), CLAVE_ERR_ARG);
    assert_null(none);
    free(rd);
}

static void test_sign_errors(void **state)
{
    struct fixture *f = *state;
    struct variant v = {0};
    struct clave_receipt_builder *b = fixture_builder(f, &v);
    struct clave_jwk *other = NULL;
    uint8_t *out = NULL;
    size_t len = 0;
    T_OK(clave_jwk_generate(CLAVE_JWK_EC_P256, &other));
    T_ERR(clave_receipt_sign(b, other, &out, &len), CLAVE_ERR_KEY);
    assert_null(out);
    clave_jwk_free(other);
    clave_receipt_builder_free(b);
    /* required fields */
    T_OK(clave_receipt_builder_new(&b));
    T_ERR(clave_receipt_sign(b, f->tee_key, &out, &len), CLAVE_ERR_FORMAT);
    T_ERR(clave_receipt_builder_set_kind(b, ""), CLAVE_ERR_ARG);
    T_ERR(clave_receipt_builder_set_kind(b, "a\nb"), CLAVE_ERR_ARG);
    T_ERR(clave_receipt_builder_set_kind(b, "mpc"), CLAVE_ERR_ARG);
    T_OK(clave_receipt_builder_set_kind(b, "fl")); /* clave-runner fl */
    T_ERR(clave_receipt_builder_set_ear(b, ""), CLAVE_ERR_ARG);
    T_ERR(clave_receipt_builder_set_issued_at(b, -1), CLAVE_ERR_ARG);
    uint8_t h[32] = {0};
    for (size_t i = 0; i < CLAVE_RECEIPT_MAX_OUTPUTS; i++) {
        T_OK(clave_receipt_builder_add_output(b, "o", h, "text/plain"));
    }
    T_ERR(clave_receipt_builder_add_output(b, "o", h, "text/plain"), CLAVE_ERR_LIMIT);
    T_ERR(clave_receipt_builder_add_dataset(b, "d\x01", h), CLAVE_ERR_ARG);
    T_ERR(clave_receipt_builder_add_debit(b, "1", "a", "", 1, 0), CLAVE_ERR_ARG);
    T_ERR(clave_receipt_builder_add_dp(b, "o", NULL, 1, 0), CLAVE_ERR_ARG);
    clave_receipt_builder_free(b);
}

static void roundtrip(const struct clave_jwk *priv, const uint8_t *recipient, size_t len)
{
    static const uint8_t PT[] = "{\"count\": 42}";
    char *jwe = NULL;
    struct clave_secret *pt = NULL;
    T_OK(clave_receipt_encrypt_output(PT, sizeof(PT) - 1, recipient, len, &jwe));
    assert_int_equal(jwe[0], '{');
    T_OK(clave_jwe_decrypt(priv, jwe, strlen(jwe), &pt));
    assert_int_equal(clave_secret_len(pt), sizeof(PT) - 1);
    assert_memory_equal(clave_secret_cdata(pt), PT, sizeof(PT) - 1);
    clave_secret_free(pt);
    free(jwe);
}

static void test_encrypt_output(void **state)
{
    (void)state;
    struct clave_jwk *priv = NULL;
    uint8_t spki[CLAVE_PKEY_SPKI_MAX_LEN];
    size_t n = 0;
    /* each recipient type, named by its public JWK and by its DER SPKI (as contracts do) */
    static const enum clave_jwk_type TYPES[] = {CLAVE_JWK_EC_P256, CLAVE_JWK_EC_P384,
                                                CLAVE_JWK_OKP_X25519, CLAVE_JWK_RSA};
    for (size_t i = 0; i < sizeof(TYPES) / sizeof(TYPES[0]); i++) {
        char *pub = NULL;
        struct clave_jwk *loaded = NULL;
        struct clave_pkey *as_pkey = NULL;
        T_OK(clave_jwk_generate(TYPES[i], &priv));
        T_OK(clave_jwk_export_public(priv, &pub));
        roundtrip(priv, (const uint8_t *)pub, strlen(pub));
        T_OK(clave_receipt_load_jwk((const uint8_t *)pub, strlen(pub), &loaded));
        assert_int_equal(clave_jwk_type(loaded), TYPES[i]);
        T_OK(clave_receipt_load_pkey((const uint8_t *)pub, strlen(pub), &as_pkey));
        /* and back through DER SPKI */
        T_OK(clave_pkey_export_spki(as_pkey, spki, sizeof(spki), &n));
        roundtrip(priv, spki, n);
        clave_pkey_free(as_pkey);
        clave_jwk_free(loaded);
        clave_jwk_free(priv);
        free(pub);
    }
    /* Ed25519 cannot receive results */
    T_OK(clave_jwk_generate(CLAVE_JWK_OKP_ED25519, &priv));
    char *pub = NULL;
    char *jwe = NULL;
    T_OK(clave_jwk_export_public(priv, &pub));
    T_ERR(clave_receipt_encrypt_output((const uint8_t *)"x", 1, (const uint8_t *)pub, strlen(pub),
                                       &jwe),
          CLAVE_ERR_KEY);
    free(pub);
    clave_jwk_free(priv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),         cmocka_unit_test(test_parse_accessors),
        cmocka_unit_test(test_tamper_fields), cmocka_unit_test(test_tamper_runtime_data),
        cmocka_unit_test(test_tamper_trust),  cmocka_unit_test(test_revoked),
        cmocka_unit_test(test_tamper_proof),  cmocka_unit_test(test_tamper_bytes),
        cmocka_unit_test(test_truncation),    cmocka_unit_test(test_sign_errors),
        cmocka_unit_test(test_binding),       cmocka_unit_test(test_encrypt_output),
    };
    return cmocka_run_group_tests(tests, fixture_setup, fixture_teardown);
}
