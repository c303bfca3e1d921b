/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A tour of result receipts (docs/formats/receipt.md, docs/runner.md "Receipts"): what a
 * clave-runner does after computing a result, with a simulated TEE (NO HARDWARE PROTECTION).
 *
 *   receipt_tour DIR   writes into DIR: receipt.cose, bundle.cbor, policy.json (trusting the
 *                      sim dev root in DIR/sim), ear-key.jwk, ledger-key.pem, counts.json (the
 *                      result), recipient.jwk (its private key) and counts.jwe (the result
 *                      encrypted to it); then:
 *     clave result verify DIR/receipt.cose --bundle DIR/bundle.cbor \
 *         --attest-policy DIR/policy.json --ear-key DIR/ear-key.jwk \
 *         --ledger-key DIR/ledger-key.pem --output counts=DIR/counts.json
 */
#define _POSIX_C_SOURCE 200809L /* mkdtemp */

#include <clave/clave.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char RESULT[] = "{\"groups\":[{\"diagnosis\":\"B\",\"count\":357}]}\n";

static void check(const char *what, clave_status st)
{
    if (st != CLAVE_OK) {
        fprintf(stderr, "%s: %s (%s)\n", what, clave_status_str(st), clave_error_last().detail);
        exit(1);
    }
}

static void write_file(const char *dir, const char *name, const void *data, size_t len)
{
    char path[4096];
    (void)snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(1);
    }
}

static uint8_t *read_file(const char *dir, const char *name, size_t *len)
{
    char path[4096];
    (void)snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    uint8_t *buf = malloc(65536);
    *len = f != NULL && buf != NULL ? fread(buf, 1, 65536, f) : 0;
    if (f == NULL || *len == 0 || *len == 65536) {
        fprintf(stderr, "cannot read %s\n", path);
        exit(1);
    }
    fclose(f);
    return buf;
}

static void write_public_pem(const char *dir, const char *name, const struct clave_pkey *key)
{
    uint8_t spki[CLAVE_PKEY_SPKI_MAX_LEN];
    size_t spki_len = 0;
    char b64[4096];
    size_t b64_len = 0;
    char pem[4200];
    check("spki", clave_pkey_export_spki(key, spki, sizeof(spki), &spki_len));
    check("base64", clave_b64_encode(CLAVE_B64_STD, spki, spki_len, b64, sizeof(b64), &b64_len));
    int n = snprintf(pem, sizeof(pem), "-----BEGIN PUBLIC KEY-----\n%s\n-----END PUBLIC KEY-----\n",
                     b64);
    write_file(dir, name, pem, (size_t)n);
}

/* A contract for dataset "wdbc" accepting the sim-snp measurement 0xaa.., signed by "a". */
static struct clave_contract *make_contract(const struct clave_pkey *party, const char *recipient)
{
    uint8_t spki[CLAVE_PKEY_SPKI_MAX_LEN];
    size_t n = 0;
    size_t k = 0;
    char b64[128];
    char json[4096];
    char m[97];
    struct clave_contract *c = NULL;
    uint8_t *sig = NULL;
    memset(m, 'a', 96);
    m[96] = '\0';
    check("spki", clave_pkey_export_spki(party, spki, sizeof(spki), &n));
    check("b64", clave_b64_encode(CLAVE_B64_STD, spki, n, b64, sizeof(b64), &k));
    (void)snprintf(
        json, sizeof(json),
        "{\"collaboration\":\"tour\",\"version\":1,\"datasets\":[{\"id\":\"wdbc\",\"owner\":\"a\","
        "\"sha256\":\"%064d\"}],\"computation\":{\"kind\":\"query\",\"spec\":{}},"
        "\"workloads\":[{\"tee\":\"sim-snp\",\"measurement\":\"%s\",\"min_tcb\":{"
        "\"bootloader\":0,\"tee\":0,\"snp\":0,\"microcode\":0}}],\"tcb_statuses\":[\"UpToDate\"],"
        "\"output\":{\"budgets\":[{\"party\":\"a\",\"epsilon_micro\":1000000,\"delta_pico\":0}],"
        "\"min_group_size\":1,\"columns\":[]},\"recipients\":[{\"party\":\"a\",\"jwk_thumbprint\":"
        "\"%s\"}],\"regions\":[\"*\"],\"signers\":[{\"party\":\"a\",\"spki\":\"%s\"}],"
        "\"expiry\":4000000000}",
        1, m, recipient, b64);
    check("contract", clave_contract_from_json(json, strlen(json), &c));
    check("approve", clave_contract_sign(c, party, "a", &sig, &n));
    check("approval", clave_contract_add_signature(c, "a", sig, n));
    free(sig);
    return c;
}

/* The runner's key, its runtime data, and sim SNP evidence binding both and the contract. */
static uint8_t *attest(const char *dir, const uint8_t *contract_id, struct clave_jwk **tee,
                       char **runtime_data, size_t *ev_len)
{
    uint8_t rd[64];
    uint8_t m[48];
    uint8_t *ev = NULL;
    char sim[4096];
    check("tee key", clave_jwk_generate(CLAVE_JWK_EC_P256, tee));
    /* {"nonce","tee-pubkey"} as the broker hashes it; the nonce is the broker's challenge */
    check("runtime data", clave_receipt_runtime_data_new("Y2hhbGxlbmdl", *tee, runtime_data));
    /* report data = SHA-384(runtime data) || contract id[0..16] */
    check("report data",
          clave_receipt_report_data(*runtime_data, strlen(*runtime_data), contract_id, rd));
    memset(m, 0xaa, sizeof(m));
    (void)snprintf(sim, sizeof(sim), "%s/sim", dir);
    check("sim init", clave_attest_sim_init(sim));
    struct clave_attest_sim_input in = {rd, sizeof(rd), m, sizeof(m), NULL, 0, 0};
    check("sim evidence", clave_attest_sim_evidence(sim, "snp", &in, &ev, ev_len));
    return ev;
}

/* What the broker does at POST /kbs/v0/attest: verify under its policy and issue an EAR. */
static char *broker_ear(const char *dir, const uint8_t *ev, size_t ev_len,
                        const uint8_t *endorsement, size_t endorsement_len,
                        const struct clave_pkey *ear_key, int64_t now)
{
    size_t policy_len = 0;
    uint8_t *policy_text = read_file(dir, "policy.json", &policy_len);
    struct clave_attest_policy *policy = NULL;
    struct clave_attest_report *report = NULL;
    struct clave_attest_options o = {
        .at_time = now, .endorsement = endorsement, .endorsement_len = endorsement_len};
    char *ear = NULL;
    check("policy", clave_attest_policy_parse((const char *)policy_text, policy_len, dir, &policy));
    o.policy = policy;
    check("report", clave_attest_report_new(&report));
    check("verify", clave_attest_verify("snp", ev, ev_len, &o, report));
    check("appraise", clave_attest_policy_apply(policy, now, report));
    check("ear", clave_ear_issue(report, ear_key, "receipt-tour", now, &ear));
    clave_attest_report_free(report);
    clave_attest_policy_free(policy);
    free(policy_text);
    return ear;
}

/* The coordinator: record the receipt as a "runner.result" entry; the runner attaches the
 * proof and a signed tree head. */
static uint8_t *record(const char *dir, const uint8_t *receipt, size_t len, int64_t now,
                       size_t *out_len)
{
    char db[4096];
    (void)snprintf(db, sizeof(db), "%s/ledger.db", dir);
    struct clave_store_config cfg = {.backend = CLAVE_STORE_SQLITE, .sqlite_path = db};
    struct clave_store *store = NULL;
    struct clave_ledger *ledger = NULL;
    struct clave_pkey *key = NULL;
    struct clave_receipt *parsed = NULL;
    struct clave_ledger_sth sth;
    json_t *fields = NULL;
    char *event = NULL;
    char *proof = NULL;
    char *sth_json = NULL;
    uint64_t index = 0;
    uint8_t *out = NULL;
    check("store", clave_store_open(&cfg, &store));
    check("ledger", clave_ledger_open(store, &ledger));
    check("ledger key", clave_pkey_generate(CLAVE_PKEY_ED25519, &key));
    write_public_pem(dir, "ledger-key.pem", key);
    check("parse", clave_receipt_parse(receipt, len, &parsed));
    check("fields", clave_receipt_ledger_fields(parsed, &fields));
    check("event", clave_ledger_event_json(CLAVE_RECEIPT_LEDGER_TYPE, now * 1000, fields, &event));
    check("append", clave_ledger_append(ledger, (const uint8_t *)event, strlen(event), &index));
    check("checkpoint", clave_ledger_checkpoint(ledger, key, now * 1000, &sth));
    check("proof", clave_ledger_proof_json(ledger, index, sth.tree_size, &proof));
    check("sth", clave_ledger_sth_to_json(&sth, &sth_json));
    check("attach", clave_receipt_attach_proof(receipt, len, proof, strlen(proof), sth_json,
                                               strlen(sth_json), &out, out_len));
    printf("ledger entry #%llu: %s\n", (unsigned long long)index, event);
    free(proof);
    free(sth_json);
    free(event);
    json_decref(fields);
    clave_receipt_free(parsed);
    clave_pkey_free(key);
    clave_ledger_free(ledger);
    clave_store_close(store);
    return out;
}

static void write_keys(const char *dir, struct clave_pkey *ear_key, struct clave_jwk *recipient)
{
    uint8_t spki[CLAVE_PKEY_SPKI_MAX_LEN];
    size_t n = 0;
    struct clave_jwk *ear_jwk = NULL;
    char *text = NULL;
    struct clave_secret *priv = NULL;
    check("ear spki", clave_pkey_export_spki(ear_key, spki, sizeof(spki), &n));
    check("ear jwk", clave_receipt_load_jwk(spki, n, &ear_jwk));
    check("ear export", clave_jwk_export_public(ear_jwk, &text));
    write_file(dir, "ear-key.jwk", text, strlen(text));
    check("recipient", clave_jwk_export_private(recipient, &priv));
    write_file(dir, "recipient.jwk", clave_secret_cdata(priv),
               strnlen((const char *)clave_secret_cdata(priv), clave_secret_len(priv)));
    clave_secret_free(priv);
    clave_jwk_free(ear_jwk);
    free(text);
}

int main(int argc, char **argv)
{
    char tmpl[] = "/tmp/clave-receipt-tour-XXXXXX";
    const char *dir = argc > 1 ? argv[1] : mkdtemp(tmpl);
    int64_t now = (int64_t)time(NULL);
    struct clave_pkey *party = NULL;
    struct clave_pkey *ear_key = NULL;
    struct clave_jwk *recipient = NULL;
    struct clave_jwk *tee = NULL;
    struct clave_receipt_builder *b = NULL;
    char *runtime_data = NULL;
    uint8_t thumb[32];
    char thumb_hex[65];
    uint8_t dataset[32] = {0};
    uint8_t out_hash[32];
    size_t ev_len = 0;
    size_t len = 0;
    size_t final_len = 0;
    size_t vcek_len = 0;
    size_t ask_len = 0;
    uint8_t *signed_receipt = NULL;
    char *jwe = NULL;
    char policy[4300];
    if (dir == NULL) {
        return 1;
    }
    check("party key", clave_pkey_generate(CLAVE_PKEY_ED25519, &party));
    check("ear key", clave_pkey_generate(CLAVE_PKEY_P256, &ear_key));
    check("recipient", clave_jwk_generate(CLAVE_JWK_EC_P256, &recipient));
    check("thumbprint", clave_jwk_thumbprint(recipient, thumb));
    size_t thumb_len = 0;
    check("b64",
          clave_b64_encode(CLAVE_B64URL, thumb, 32, thumb_hex, sizeof(thumb_hex), &thumb_len));
    struct clave_contract *contract = make_contract(party, thumb_hex);
    dataset[31] = 1; /* the contract's "%064d" of 1 */
    uint8_t *bundle = NULL;
    size_t bundle_len = 0;
    check("bundle", clave_contract_bundle_export(contract, &bundle, &bundle_len));
    write_file(dir, "bundle.cbor", bundle, bundle_len);
    uint8_t *ev = attest(dir, clave_contract_id(contract), &tee, &runtime_data, &ev_len);
    int n = snprintf(
        policy, sizeof(policy),
        "{\"version\":1,\"tees\":{\"sim-snp\":{\"trusted_roots\":[\"%s/sim/root.pem\"]}}}", dir);
    write_file(dir, "policy.json", policy, (size_t)n);
    /* The endorsement (VCEK and its intermediate) travels in the receipt. */
    uint8_t *vcek = read_file(dir, "sim/snp-vcek.pem", &vcek_len);
    uint8_t *ask = read_file(dir, "sim/intermediate.pem", &ask_len);
    uint8_t *endorsement = malloc(vcek_len + ask_len);
    memcpy(endorsement, vcek, vcek_len);
    memcpy(endorsement + vcek_len, ask, ask_len);
    char *ear = broker_ear(dir, ev, ev_len, endorsement, vcek_len + ask_len, ear_key, now);

    /* The runner: the result, its receipt, its encryption to the recipient. */
    check("output hash", clave_hash(CLAVE_HASH_SHA256, (const uint8_t *)RESULT, strlen(RESULT),
                                    out_hash, sizeof(out_hash)));
    check("builder", clave_receipt_builder_new(&b));
    check("contract", clave_receipt_builder_set_contract(b, clave_contract_id(contract)));
    check("kind", clave_receipt_builder_set_kind(b, "query"));
    check("evidence", clave_receipt_builder_set_evidence(b, "snp", ev, ev_len, runtime_data,
                                                         strlen(runtime_data)));
    check("endorsement", clave_receipt_builder_set_endorsement(b, endorsement, vcek_len + ask_len));
    check("ear", clave_receipt_builder_set_ear(b, ear));
    check("issued_at", clave_receipt_builder_set_issued_at(b, now));
    check("dataset", clave_receipt_builder_add_dataset(b, "wdbc", dataset));
    check("output", clave_receipt_builder_add_output(b, "counts", out_hash, "application/json"));
    check("dp", clave_receipt_builder_add_dp(b, "counts", "discrete-laplace", 1000000, 0));
    check("debit", clave_receipt_builder_add_debit(b, "1", "a", "wdbc", 1000000, 0));
    check("sign", clave_receipt_sign(b, tee, &signed_receipt, &len));
    uint8_t *receipt = record(dir, signed_receipt, len, now, &final_len);
    write_file(dir, "receipt.cose", receipt, final_len);
    write_file(dir, "counts.json", RESULT, strlen(RESULT));
    char *pub = NULL;
    check("recipient pub", clave_jwk_export_public(recipient, &pub));
    check("encrypt", clave_receipt_encrypt_output((const uint8_t *)RESULT, strlen(RESULT),
                                                  (const uint8_t *)pub, strlen(pub), &jwe));
    write_file(dir, "counts.jwe", jwe, strlen(jwe));
    write_keys(dir, ear_key, recipient);
    printf("receipt of %zu bytes written to %s/receipt.cose\n", final_len, dir);

    free(pub);
    free(jwe);
    free(receipt);
    free(signed_receipt);
    clave_receipt_builder_free(b);
    free(ear);
    free(endorsement);
    free(ask);
    free(vcek);
    free(ev);
    free(runtime_data);
    free(bundle);
    clave_contract_free(contract);
    clave_jwk_free(tee);
    clave_jwk_free(recipient);
    clave_pkey_free(ear_key);
    clave_pkey_free(party);
    return 0;
}
