/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Receipt verification, white-box and across TEE types: receipts the builder would never make
 * (a wrong evidence digest, reference values that are not the evidence's, non-canonical or
 * future-version payloads), each correctly signed by the TEE key, fail with the named check; an
 * EAR about another TEE fails ear.status; a sim Nitro receipt verifies end to end.
 */
#include "fixture.h"

#include "crypto/cose_internal.h"
#include "crypto/jwk.h"
#include "receipt/body.h"

#define NAME_CAP 64

/* Sign `payload` with the fixture's TEE key, record it at the ledger and attach the proof. */
static uint8_t *sign_payload(struct fixture *f, const uint8_t *payload, size_t payload_len,
                             size_t *len)
{
    const struct clave_cose_sign_opts opts = {.tagged = true};
    uint8_t *signed_r = NULL;
    size_t signed_len = 0;
    struct variant v = {0};
    T_OK(clave__cose_sign1_sign_pkey(f->tee_key->pkey, CLAVE_COSE_ALG_ES256, payload, payload_len,
                                     &opts, &signed_r, &signed_len));
    struct clave_receipt *p = NULL;
    if (clave_receipt_parse(signed_r, signed_len, &p) != CLAVE_OK) {
        *len = signed_len; /* unparseable: no ledger entry can name it */
        return signed_r;
    }
    clave_receipt_free(p);
    uint8_t *out = fixture_record(f, &v, signed_r, signed_len, len);
    free(signed_r);
    return out;
}

static void expect(struct fixture *f, const uint8_t *r, size_t len, const char *want)
{
    char got[NAME_CAP];
    struct clave_receipt_trust t = fixture_trust(f);
    first_failure(r, len, &t, got, sizeof(got));
    if (strcmp(got, want) != 0) {
        fail_msg("first failure '%s', expected '%s'", got, want);
    }
}

static void test_evidence_digest(void **state)
{
    struct fixture *f = *state;
    struct variant v = {0};
    struct clave_receipt_builder *b = fixture_builder(f, &v);
    uint8_t *signed_r = NULL;
    size_t signed_len = 0;
    size_t len = 0;
    b->body.evidence_sha256[0] ^= 1;
    T_OK(clave_receipt_sign(b, f->tee_key, &signed_r, &signed_len));
    uint8_t *r = fixture_record(f, &v, signed_r, signed_len, &len);
    expect(f, r, len, "evidence.digest");
    free(r);
    free(signed_r);
    clave_receipt_builder_free(b);
}

/* A payload re-encoded from a parsed receipt after `mutate`. */
static uint8_t *mutated(struct fixture *f, void (*mutate)(struct receipt_body *), size_t *len)
{
    struct variant v = {.no_proof = true};
    struct clave_receipt *p = NULL;
    uint8_t *payload = NULL;
    size_t payload_len = 0;
    size_t n = 0;
    uint8_t *good = fixture_receipt(f, &v, &n);
    T_OK(clave_receipt_parse(good, n, &p));
    mutate(&p->body);
    T_OK(clave__receipt_encode(&p->body, &payload, &payload_len));
    uint8_t *r = sign_payload(f, payload, payload_len, len);
    free(payload);
    clave_receipt_free(p);
    free(good);
    return r;
}

static void flip_reference(struct receipt_body *b)
{
    b->refs[0].value[0] ^= 1;
}

static void drop_reference(struct receipt_body *b)
{
    b->ref_count--;
    free(b->refs[b->ref_count].name);
    free(b->refs[b->ref_count].value);
}

static void other_version(struct receipt_body *b)
{
    b->version = 2;
}

static void test_reference(void **state)
{
    struct fixture *f = *state;
    size_t len = 0;
    uint8_t *r = mutated(f, flip_reference, &len);
    expect(f, r, len, "evidence.reference");
    free(r);
    r = mutated(f, drop_reference, &len);
    expect(f, r, len, "evidence.reference");
    free(r);
}

static void test_payload_form(void **state)
{
    struct fixture *f = *state;
    size_t len = 0;
    struct clave_receipt *p = NULL;
    uint8_t *r = mutated(f, other_version, &len);
    T_ERR(clave_receipt_parse(r, len, &p), CLAVE_ERR_UNSUPPORTED);
    expect(f, r, len, "receipt.format");
    free(r);
    /* "v": 1 written with a non-shortest head (0x18 0x01): decodes, is not canonical */
    struct variant v = {.no_proof = true};
    size_t n = 0;
    uint8_t *good = fixture_receipt(f, &v, &n);
    T_OK(clave_receipt_parse(good, n, &p));
    uint8_t *payload = NULL;
    size_t payload_len = 0;
    T_OK(clave__receipt_encode(&p->body, &payload, &payload_len));
    assert_int_equal(payload[0], 0xab); /* map of 11 */
    assert_int_equal(payload[1], 0x61);
    assert_int_equal(payload[2], 'v');
    assert_int_equal(payload[3], 0x01);
    uint8_t *bad = malloc(payload_len + 1);
    memcpy(bad, payload, 3);
    bad[3] = 0x18;
    bad[4] = 0x01;
    memcpy(bad + 5, payload + 4, payload_len - 4);
    struct receipt_body body;
    T_ERR(clave__receipt_decode(bad, payload_len + 1, &body), CLAVE_ERR_FORMAT);
    r = sign_payload(f, bad, payload_len + 1, &len);
    expect(f, r, len, "receipt.format");
    /* every truncation of the bare payload fails to decode */
    for (size_t k = 0; k < payload_len; k++) {
        assert_int_not_equal(clave__receipt_decode(payload, k, &body), CLAVE_OK);
    }
    T_OK(clave__receipt_decode(payload, payload_len, &body));
    clave__receipt_body_clear(&body);
    free(r);
    free(bad);
    free(payload);
    clave_receipt_free(p);
    free(good);
}

/* Sim Nitro evidence with `report_data` (64 bytes); its PCR1/PCR2 into `pcr1`/`pcr2`. */
static uint8_t *nitro_evidence(struct fixture *f, const uint8_t *report_data, size_t *len,
                               uint8_t pcr1[48], uint8_t pcr2[48], char **ear)
{
    uint8_t m[48];
    uint8_t *ev = NULL;
    struct clave_attest_report *r = NULL;
    struct clave_attest_claim c;
    struct clave_attest_options o;
    memset(m, FIX_MEASUREMENT, sizeof(m));
    struct clave_attest_sim_input in = {report_data, 64, m, 48, NULL, 0, 0};
    T_OK(clave_attest_sim_evidence(f->pki, "nitro", &in, &ev, len));
    memset(&o, 0, sizeof(o));
    o.policy = f->policy;
    T_OK(clave_attest_report_new(&r));
    T_OK(clave_attest_verify("nitro", ev, *len, &o, r));
    T_OK(clave_attest_policy_apply(f->policy, f->now, r));
    assert_true(clave_attest_report_ok(r));
    T_OK(clave_attest_report_find_claim(r, "nitro.pcr1", &c));
    memcpy(pcr1, c.bytes, 48);
    T_OK(clave_attest_report_find_claim(r, "nitro.pcr2", &c));
    memcpy(pcr2, c.bytes, 48);
    if (ear != NULL) {
        T_OK(clave_ear_issue(r, f->ear_key, "test", f->now, ear));
    }
    clave_attest_report_free(r);
    return ev;
}

/* An EAR about sim-nitro evidence in a receipt whose evidence is sim-snp. */
static void test_ear_other_tee(void **state)
{
    struct fixture *f = *state;
    struct variant v = {0};
    uint8_t rd[64] = {0};
    uint8_t pcr[2][48];
    size_t n = 0;
    size_t len = 0;
    char *ear = NULL;
    uint8_t *signed_r = NULL;
    free(nitro_evidence(f, rd, &n, pcr[0], pcr[1], &ear));
    struct clave_receipt_builder *b = fixture_builder(f, &v);
    T_OK(clave_receipt_builder_set_ear(b, ear));
    T_OK(clave_receipt_sign(b, f->tee_key, &signed_r, &n));
    uint8_t *r = fixture_record(f, &v, signed_r, n, &len);
    expect(f, r, len, "ear.status");
    free(r);
    free(signed_r);
    free(ear);
    clave_receipt_builder_free(b);
}

/* A contract accepting the sim Nitro workload (PCR0 = 0xaa.., the sim's PCR1/PCR2). */
static struct clave_contract *nitro_contract(struct fixture *f, const uint8_t pcr1[48],
                                             const uint8_t pcr2[48])
{
    uint8_t spki[CLAVE_PKEY_SPKI_MAX_LEN];
    char b64[128];
    char json[3072];
    char ds[65];
    char h0[97];
    char h1[97];
    char h2[97];
    size_t n = 0;
    size_t k = 0;
    struct clave_contract *c = NULL;
    uint8_t *sig = NULL;
    hex_of(FIX_DATASET_HASH, 32, ds);
    hex_of(FIX_MEASUREMENT, 48, h0);
    T_OK(clave_hex_encode(pcr1, 48, h1, sizeof(h1)));
    T_OK(clave_hex_encode(pcr2, 48, h2, sizeof(h2)));
    T_OK(clave_pkey_export_spki(f->party_key, spki, sizeof(spki), &n));
    T_OK(clave_b64_encode(CLAVE_B64_STD, spki, n, b64, sizeof(b64), &k));
    (void)snprintf(
        json, sizeof(json),
        "{\"collaboration\":\"c\",\"version\":2,\"datasets\":[{\"id\":\"d1\",\"owner\":\"a\","
        "\"sha256\":\"%s\"}],\"computation\":{\"kind\":\"train\",\"spec\":{}},"
        "\"workloads\":[{\"tee\":\"sim-nitro\",\"pcr0\":\"%s\",\"pcr1\":\"%s\",\"pcr2\":\"%s\"}],"
        "\"tcb_statuses\":[\"UpToDate\"],\"output\":{\"budgets\":[{\"party\":\"a\","
        "\"epsilon_micro\":1000000,\"delta_pico\":1000000}],\"min_group_size\":1,\"columns\":[]},"
        "\"recipients\":[{\"party\":\"a\",\"spki\":\"%s\"}],\"regions\":[\"*\"],"
        "\"signers\":[{\"party\":\"a\",\"spki\":\"%s\"}],\"expiry\":4000000000}",
        ds, h0, h1, h2, b64, b64);
    T_OK(clave_contract_from_json(json, strlen(json), &c));
    T_OK(clave_contract_sign(c, f->party_key, "a", &sig, &n));
    T_OK(clave_contract_add_signature(c, "a", sig, n));
    free(sig);
    return c;
}

static void test_nitro(void **state)
{
    struct fixture *f = *state;
    struct variant v = {0};
    uint8_t rd[64] = {0};
    uint8_t pcr1[48];
    uint8_t pcr2[48];
    uint8_t h[32];
    size_t n = 0;
    size_t len = 0;
    char *ear = NULL;
    uint8_t *signed_r = NULL;
    uint8_t *bundle = NULL;
    size_t bundle_len = 0;
    struct clave_receipt_builder *b = NULL;
    free(nitro_evidence(f, rd, &n, pcr1, pcr2, NULL)); /* learn the sim's PCR1/PCR2 */
    struct clave_contract *c = nitro_contract(f, pcr1, pcr2);
    T_OK(clave_contract_bundle_export(c, &bundle, &bundle_len));
    T_OK(clave_hash(CLAVE_HASH_SHA384, (const uint8_t *)f->runtime_data, strlen(f->runtime_data),
                    rd, 48));
    memcpy(rd + 48, clave_contract_id(c), 16);
    uint8_t *ev = nitro_evidence(f, rd, &n, pcr1, pcr2, &ear);
    memset(h, FIX_DATASET_HASH, sizeof(h));
    T_OK(clave_receipt_builder_new(&b));
    T_OK(clave_receipt_builder_set_contract(b, clave_contract_id(c)));
    T_OK(clave_receipt_builder_set_kind(b, "train"));
    T_OK(clave_receipt_builder_set_evidence(b, "nitro", ev, n, f->runtime_data,
                                            strlen(f->runtime_data)));
    T_OK(clave_receipt_builder_set_ear(b, ear));
    T_OK(clave_receipt_builder_set_issued_at(b, f->now));
    T_OK(clave_receipt_builder_add_dataset(b, "d1", h));
    T_OK(clave_receipt_builder_add_output(b, "model", h, "application/octet-stream"));
    T_OK(clave_receipt_builder_add_dp(b, "model", "dp-sgd", 800000, 100000));
    T_OK(clave_receipt_builder_add_debit(b, "7", "a", "d1", 800000, 100000));
    T_OK(clave_receipt_sign(b, f->tee_key, &signed_r, &n));
    uint8_t *r = fixture_record(f, &v, signed_r, n, &len);
    struct clave_receipt_trust t = fixture_trust(f);
    t.bundle = bundle;
    t.bundle_len = bundle_len;
    char got[NAME_CAP];
    assert_string_equal(first_failure(r, len, &t, got, sizeof(got)), "");
    struct clave_receipt *p = NULL;
    T_OK(clave_receipt_parse(r, len, &p));
    assert_true(clave_receipt_reference_count(p) >= 4); /* measurement, nitro.pcr0..2 */
    clave_receipt_free(p);
    /* the SNP contract does not accept it */
    t = fixture_trust(f);
    assert_string_equal(first_failure(r, len, &t, got, sizeof(got)), "contract.id");
    free(r);
    free(signed_r);
    free(ear);
    free(ev);
    free(bundle);
    clave_contract_free(c);
    clave_receipt_builder_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_evidence_digest), cmocka_unit_test(test_reference),
        cmocka_unit_test(test_payload_form),    cmocka_unit_test(test_ear_other_tee),
        cmocka_unit_test(test_nitro),
    };
    return cmocka_run_group_tests(tests, fixture_setup, fixture_teardown);
}
