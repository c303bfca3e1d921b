/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A real end-to-end receipt fixture: a sim dev PKI with SNP evidence bound to a runtime-data
 * key and a contract id, a signed contract bundle, an EAR from the appraisal, and a SQLite audit
 * ledger holding the "runner.result" entry whose proof is attached. Static helpers: include
 * once per test.
 */
#ifndef CLAVE_TEST_RECEIPT_FIXTURE_H
#define CLAVE_TEST_RECEIPT_FIXTURE_H

#include "testlib.h"

#include <clave/clave.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FIX_NONCE "bm9uY2UtZm9yLXRoZS1yZWNlaXB0"
#define FIX_MEASUREMENT 0xaa
#define FIX_OTHER_MEASUREMENT 0xbb
#define FIX_DATASET_HASH 0x11
#define FIX_OUTPUT_HASH 0x33

struct fixture {
    char *dir;
    char pki[1024];
    int64_t now;
    struct clave_pkey *party_key; /* Ed25519 identity of party "a" */
    struct clave_contract *contract;
    uint8_t *bundle;
    size_t bundle_len;
    struct clave_attest_policy *policy;
    struct clave_jwk *tee_key;
    char *runtime_data;
    struct clave_pkey *ear_key;
    struct clave_pkey *ear_pub;
    struct clave_store *store;
    struct clave_ledger *ledger;
    struct clave_pkey *ledger_key;
    struct clave_pkey *ledger_pub;
    uint8_t *vcek;
    size_t vcek_len;
};

/* What a test may change in the receipt it builds. */
struct variant {
    uint8_t measurement;                 /* 0: FIX_MEASUREMENT */
    const uint8_t *contract_id;          /* NULL: the fixture's */
    const uint8_t *evidence_contract_id; /* bound by the evidence; NULL: contract_id */
    const char *dataset_id;              /* NULL: "d1" */
    uint8_t dataset_hash;                /* 0: FIX_DATASET_HASH */
    uint64_t debit_epsilon;              /* 0: 250000 */
    const char *runtime_data;            /* NULL: the fixture's */
    const struct clave_pkey *ear_key;    /* NULL: the fixture's */
    bool no_proof;                       /* leave the ledger proof off */
    const char *entry_type;              /* NULL: runner.result */
    bool entry_other_receipt;            /* the entry names another payload hash */
};

static struct clave_pkey *pub_of(const struct clave_pkey *k)
{
    uint8_t spki[CLAVE_PKEY_SPKI_MAX_LEN];
    size_t n = 0;
    struct clave_pkey *p = NULL;
    T_OK(clave_pkey_export_spki(k, spki, sizeof(spki), &n));
    T_OK(clave_pkey_from_der(spki, n, &p));
    return p;
}

static void hex_of(uint8_t byte, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        (void)snprintf(out + 2 * i, 3, "%02x", byte);
    }
}

/* Contract over dataset d1 (hash 0x11..), sim-snp measurement 0xaa.., party a's budget 1.0. */
static struct clave_contract *fixture_contract(struct fixture *f, uint8_t measurement)
{
    uint8_t spki[CLAVE_PKEY_SPKI_MAX_LEN];
    char b64[128];
    char json[3072];
    char ds[65];
    char m[97];
    size_t n = 0;
    size_t k = 0;
    struct clave_contract *c = NULL;
    uint8_t *sig = NULL;
    hex_of(FIX_DATASET_HASH, 32, ds);
    hex_of(measurement, 48, m);
    T_OK(clave_pkey_export_spki(f->party_key, spki, sizeof(spki), &n));
    T_OK(clave_b64_encode(CLAVE_B64_STD, spki, n, b64, sizeof(b64), &k));
    (void)snprintf(
        json, sizeof(json),
        "{\"collaboration\":\"c\",\"version\":1,\"datasets\":[{\"id\":\"d1\",\"owner\":\"a\","
        "\"sha256\":\"%s\"}],\"computation\":{\"kind\":\"query\",\"spec\":{}},"
        "\"workloads\":[{\"tee\":\"sim-snp\",\"measurement\":\"%s\",\"min_tcb\":{"
        "\"bootloader\":0,\"tee\":0,\"snp\":0,\"microcode\":0}}],\"tcb_statuses\":["
        "\"UpToDate\"],\"output\":{\"budgets\":[{\"party\":\"a\",\"epsilon_micro\":1000000,"
        "\"delta_pico\":1000000}],\"min_group_size\":1,\"columns\":[]},"
        "\"recipients\":[{\"party\":\"a\",\"spki\":\"%s\"}],\"regions\":[\"*\"],"
        "\"signers\":[{\"party\":\"a\",\"spki\":\"%s\"}],\"expiry\":4000000000}",
        ds, m, b64, b64);
    T_OK(clave_contract_from_json(json, strlen(json), &c));
    T_OK(clave_contract_sign(c, f->party_key, "a", &sig, &n));
    T_OK(clave_contract_add_signature(c, "a", sig, n));
    free(sig);
    return c;
}

static void fixture_runtime_data(struct fixture *f)
{
    char *pub = NULL;
    T_OK(clave_jwk_generate(CLAVE_JWK_EC_P256, &f->tee_key));
    T_OK(clave_jwk_export_public(f->tee_key, &pub));
    json_t *pk = json_loads(pub, 0, NULL);
    json_t *rt = json_pack("{s:s,s:o}", "nonce", FIX_NONCE, "tee-pubkey", pk);
    f->runtime_data = json_dumps(rt, JSON_COMPACT | JSON_SORT_KEYS);
    assert_non_null(f->runtime_data);
    json_decref(rt);
    free(pub);
}

static void fixture_ledger(struct fixture *f)
{
    char path[1200];
    struct clave_store_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    (void)snprintf(path, sizeof(path), "%s/ledger.db", f->dir);
    cfg.backend = CLAVE_STORE_SQLITE;
    cfg.sqlite_path = path;
    T_OK(clave_store_open(&cfg, &f->store));
    T_OK(clave_ledger_open(f->store, &f->ledger));
    T_OK(clave_pkey_generate(CLAVE_PKEY_ED25519, &f->ledger_key));
    f->ledger_pub = pub_of(f->ledger_key);
    static const char OTHER[] = "{\"time\":1,\"type\":\"kbs.attest\"}";
    T_OK(clave_ledger_append(f->ledger, (const uint8_t *)OTHER, strlen(OTHER), NULL));
}

static int fixture_setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    char policy[4096];
    char vcek[1200];
    f->dir = t_tempdir();
    f->now = (int64_t)time(NULL);
    (void)snprintf(f->pki, sizeof(f->pki), "%s/sim", f->dir);
    T_OK(clave_attest_sim_init(f->pki));
    /* the endorsement travels in the receipt: the VCEK and the intermediate (ASK) */
    size_t leaf_len = 0;
    size_t ask_len = 0;
    (void)snprintf(vcek, sizeof(vcek), "%s/snp-vcek.pem", f->pki);
    uint8_t *leaf = t_read_file(vcek, &leaf_len);
    (void)snprintf(vcek, sizeof(vcek), "%s/intermediate.pem", f->pki);
    uint8_t *ask = t_read_file(vcek, &ask_len);
    f->vcek_len = leaf_len + ask_len;
    f->vcek = malloc(f->vcek_len);
    memcpy(f->vcek, leaf, leaf_len);
    memcpy(f->vcek + leaf_len, ask, ask_len);
    free(leaf);
    free(ask);
    (void)snprintf(policy, sizeof(policy),
                   "{\"version\":1,\"tees\":{\"sim-snp\":{\"trusted_roots\":[\"%s/root.pem\"]},"
                   "\"sim-nitro\":{\"trusted_roots\":[\"%s/root.pem\"]}}}",
                   f->pki, f->pki);
    T_OK(clave_attest_policy_parse(policy, strlen(policy), NULL, &f->policy));
    T_OK(clave_pkey_generate(CLAVE_PKEY_ED25519, &f->party_key));
    f->contract = fixture_contract(f, FIX_MEASUREMENT);
    T_OK(clave_contract_bundle_export(f->contract, &f->bundle, &f->bundle_len));
    fixture_runtime_data(f);
    T_OK(clave_pkey_generate(CLAVE_PKEY_P256, &f->ear_key));
    f->ear_pub = pub_of(f->ear_key);
    fixture_ledger(f);
    *state = f;
    return 0;
}

static int fixture_teardown(void **state)
{
    struct fixture *f = *state;
    clave_ledger_free(f->ledger);
    clave_store_close(f->store);
    clave_pkey_free(f->ledger_key);
    clave_pkey_free(f->ledger_pub);
    clave_pkey_free(f->ear_key);
    clave_pkey_free(f->ear_pub);
    clave_jwk_free(f->tee_key);
    free(f->runtime_data);
    clave_attest_policy_free(f->policy);
    free(f->bundle);
    clave_contract_free(f->contract);
    clave_pkey_free(f->party_key);
    free(f->vcek);
    t_rmtree(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

/* Sim SNP evidence binding `rd` and the contract id prefix; its EAR from the appraisal. */
static uint8_t *fixture_evidence(struct fixture *f, const struct variant *v, const char *rd,
                                 size_t *len, char **ear)
{
    uint8_t report_data[64];
    uint8_t m[48];
    uint8_t *ev = NULL;
    struct clave_attest_report *r = NULL;
    struct clave_attest_options o;
    const uint8_t *cid = v->evidence_contract_id != NULL ? v->evidence_contract_id
                         : v->contract_id != NULL        ? v->contract_id
                                                         : clave_contract_id(f->contract);
    T_OK(clave_hash(CLAVE_HASH_SHA384, (const uint8_t *)f->runtime_data, strlen(f->runtime_data),
                    report_data, 48));
    (void)rd;
    memcpy(report_data + 48, cid, 16);
    memset(m, v->measurement != 0 ? v->measurement : FIX_MEASUREMENT, sizeof(m));
    struct clave_attest_sim_input in = {report_data, 64, m, 48, NULL, 0, 0};
    T_OK(clave_attest_sim_evidence(f->pki, "snp", &in, &ev, len));
    memset(&o, 0, sizeof(o));
    o.at_time = f->now;
    o.policy = f->policy;
    o.endorsement = f->vcek;
    o.endorsement_len = f->vcek_len;
    T_OK(clave_attest_report_new(&r));
    T_OK(clave_attest_verify("snp", ev, *len, &o, r));
    T_OK(clave_attest_policy_apply(f->policy, f->now, r));
    if (!clave_attest_report_ok(r)) {
        char *json = NULL;
        T_OK(clave_attest_report_json(r, &json));
        fail_msg("sim evidence does not verify: %s", json);
    }
    T_OK(clave_ear_issue(r, v->ear_key != NULL ? v->ear_key : f->ear_key, "test", f->now, ear));
    clave_attest_report_free(r);
    return ev;
}

static struct clave_receipt_builder *fixture_builder(struct fixture *f, const struct variant *v)
{
    struct clave_receipt_builder *b = NULL;
    uint8_t ds[32];
    uint8_t out[32];
    size_t ev_len = 0;
    char *ear = NULL;
    const char *rd = v->runtime_data != NULL ? v->runtime_data : f->runtime_data;
    uint8_t *ev = fixture_evidence(f, v, rd, &ev_len, &ear);
    memset(ds, v->dataset_hash != 0 ? v->dataset_hash : FIX_DATASET_HASH, sizeof(ds));
    memset(out, FIX_OUTPUT_HASH, sizeof(out));
    T_OK(clave_receipt_builder_new(&b));
    T_OK(clave_receipt_builder_set_contract(
        b, v->contract_id != NULL ? v->contract_id : clave_contract_id(f->contract)));
    T_OK(clave_receipt_builder_set_kind(b, "query"));
    T_OK(clave_receipt_builder_set_evidence(b, "snp", ev, ev_len, rd, strlen(rd)));
    T_OK(clave_receipt_builder_set_endorsement(b, f->vcek, f->vcek_len));
    T_OK(clave_receipt_builder_set_ear(b, ear));
    T_OK(clave_receipt_builder_set_issued_at(b, f->now));
    T_OK(clave_receipt_builder_add_dataset(b, v->dataset_id != NULL ? v->dataset_id : "d1", ds));
    T_OK(clave_receipt_builder_add_output(b, "counts", out, "application/json"));
    T_OK(clave_receipt_builder_add_dp(b, "counts", "discrete-laplace", 250000, 0));
    T_OK(clave_receipt_builder_add_debit(b, "debit-1", "a", "d1",
                                         v->debit_epsilon != 0 ? v->debit_epsilon : 250000, 0));
    free(ev);
    free(ear);
    return b;
}

/* Record the receipt at the ledger as the coordinator would, and attach its proof. */
static uint8_t *fixture_record(struct fixture *f, const struct variant *v, const uint8_t *signed_r,
                               size_t signed_len, size_t *len)
{
    struct clave_receipt *r = NULL;
    json_t *fields = NULL;
    char *event = NULL;
    char *proof = NULL;
    char *sth_json = NULL;
    uint64_t index = 0;
    uint8_t *out = NULL;
    struct clave_ledger_sth sth;
    T_OK(clave_receipt_parse(signed_r, signed_len, &r));
    T_OK(clave_receipt_ledger_fields(r, &fields));
    if (v->entry_other_receipt) {
        json_object_set_new(fields, "receipt", json_string("00"));
    }
    T_OK(clave_ledger_event_json(v->entry_type != NULL ? v->entry_type : CLAVE_RECEIPT_LEDGER_TYPE,
                                 f->now * 1000, fields, &event));
    T_OK(clave_ledger_append(f->ledger, (const uint8_t *)event, strlen(event), &index));
    static const char AFTER[] = "{\"time\":2,\"type\":\"kbs.release\"}";
    T_OK(clave_ledger_append(f->ledger, (const uint8_t *)AFTER, strlen(AFTER), NULL));
    T_OK(clave_ledger_checkpoint(f->ledger, f->ledger_key, f->now * 1000, &sth));
    T_OK(clave_ledger_proof_json(f->ledger, index, sth.tree_size, &proof));
    T_OK(clave_ledger_sth_to_json(&sth, &sth_json));
    T_OK(clave_receipt_attach_proof(signed_r, signed_len, proof, strlen(proof), sth_json,
                                    strlen(sth_json), &out, len));
    free(proof);
    free(sth_json);
    free(event);
    json_decref(fields);
    clave_receipt_free(r);
    return out;
}

/* A complete receipt of variant `v` (caller frees). */
static uint8_t *fixture_receipt(struct fixture *f, const struct variant *v, size_t *len)
{
    struct clave_receipt_builder *b = fixture_builder(f, v);
    uint8_t *signed_r = NULL;
    size_t signed_len = 0;
    T_OK(clave_receipt_sign(b, f->tee_key, &signed_r, &signed_len));
    clave_receipt_builder_free(b);
    if (v->no_proof) {
        *len = signed_len;
        return signed_r;
    }
    uint8_t *out = fixture_record(f, v, signed_r, signed_len, len);
    free(signed_r);
    return out;
}

static struct clave_receipt_trust fixture_trust(const struct fixture *f)
{
    struct clave_receipt_trust t;
    memset(&t, 0, sizeof(t));
    t.bundle = f->bundle;
    t.bundle_len = f->bundle_len;
    t.policy = f->policy;
    t.ear_key = f->ear_pub;
    t.ledger_key = f->ledger_pub;
    return t;
}

/* Verify and return the name of the first failed check ("" when all passed); the report is
 * checked to hold at least the named checks. */
static const char *first_failure(const uint8_t *receipt, size_t len,
                                 const struct clave_receipt_trust *t, char *buf, size_t cap)
{
    struct clave_attest_report *r = NULL;
    struct clave_attest_check c;
    T_OK(clave_attest_report_new(&r));
    T_OK(clave_receipt_verify(receipt, len, t, r));
    buf[0] = '\0';
    if (clave_attest_report_first_failure(r, &c) == CLAVE_OK) {
        (void)snprintf(buf, cap, "%s", c.name);
    } else {
        assert_true(clave_attest_report_ok(r));
    }
    clave_attest_report_free(r);
    return buf;
}

#endif
