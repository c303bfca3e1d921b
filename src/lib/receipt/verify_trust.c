/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Receipt verification, second half: the receipt against what the verifier trusts — the
 * contract bundle (active at issued_at, a workload matching the evidence, the datasets and
 * budgets), the broker's EAR key, the audit ledger's key (inclusion of the "runner.result"
 * entry naming this receipt) and the plaintext outputs the verifier holds.
 */
#include "receipt/verify.h"

#include "core/check.h"

#include <clave/encoding.h>
#include <clave/json.h>
#include <clave/ledger.h>
#include <stdlib.h>
#include <string.h>

#define EAR_SKEW_SECONDS 300 /* an EAR may be issued this much after the receipt's clock */
#define AR4SI_AFFIRMING 2
#define EVENT_DEPTH 8

#define NOT_CHECKED(s, name, why)                                                                  \
    do {                                                                                           \
        CLAVE_CHECK(clave__receipt_check((s), (name), false, "not checked: %s", (why)));           \
        st = CLAVE_OK;                                                                             \
        goto done;                                                                                 \
    } while (0)

/* ---- contract ---- */

static bool tee_of(const char *name, enum clave_tee_type *out)
{
    for (int t = CLAVE_TEE_NITRO; t <= CLAVE_TEE_SIM_SNP; t++) {
        const char *n = clave_tee_type_name((enum clave_tee_type)t);
        if (n != NULL && strcmp(n, name) == 0) {
            *out = (enum clave_tee_type)t;
            return true;
        }
    }
    return false;
}

static bool nitro_matches(const struct clave_contract_workload *w, const struct clave_kbs_claims *c)
{
    return c->measurement_len == 48 && clave_ct_equal(w->nitro.pcr0, c->measurement, 48) &&
           c->has_pcr1 && clave_ct_equal(w->nitro.pcr1, c->pcr1, 48) && c->has_pcr2 &&
           clave_ct_equal(w->nitro.pcr2, c->pcr2, 48) &&
           (!w->nitro.has_pcr8 || (c->has_pcr8 && clave_ct_equal(w->nitro.pcr8, c->pcr8, 48)));
}

static bool snp_matches(const struct clave_contract_workload *w, const struct clave_kbs_claims *c)
{
    const struct clave_snp_tcb *have = &c->reported_tcb;
    const struct clave_snp_tcb *min = &w->snp.min_tcb;
    return c->measurement_len == 48 && clave_ct_equal(w->snp.measurement, c->measurement, 48) &&
           (!w->snp.has_host_data ||
            (c->has_host_data && clave_ct_equal(w->snp.host_data, c->host_data, 32))) &&
           c->has_tcb && have->bootloader >= min->bootloader && have->tee >= min->tee &&
           have->snp >= min->snp && have->microcode >= min->microcode;
}

/* Why the evidence does not fit the contract's workloads, or NULL if it does. */
static const char *workload_problem(const struct clave_contract *c,
                                    const struct clave_kbs_claims *k)
{
    enum clave_tee_type tee;
    bool any_type = false;
    if (!tee_of(k->tee, &tee)) {
        return "the evidence's TEE type is not one contracts name";
    }
    if (k->debug && !clave_contract_debug_allowed(c)) {
        return "the TEE runs in debug mode and the contract does not allow it";
    }
    if (k->tcb_status[0] != '\0' && !clave_contract_accepts_tcb_status(c, k->tcb_status)) {
        return "the evidence's TCB status is not accepted by the contract";
    }
    for (size_t i = 0; i < clave_contract_workload_count(c); i++) {
        const struct clave_contract_workload *w = clave_contract_workload(c, i);
        if (w->tee != tee) {
            continue;
        }
        any_type = true;
        bool snp = tee == CLAVE_TEE_SNP || tee == CLAVE_TEE_SIM_SNP;
        bool nitro = tee == CLAVE_TEE_NITRO || tee == CLAVE_TEE_SIM_NITRO;
        if ((snp && snp_matches(w, k)) || (nitro && nitro_matches(w, k))) {
            return NULL;
        }
    }
    return any_type ? "no workload of the contract matches the evidence's reference values"
                    : "the contract accepts no workload of this TEE type";
}

static clave_status check_bundle(struct verify_state *s)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_contract *c = NULL;
    if (s->trust->bundle == NULL) {
        CLAVE_CHECK(clave__receipt_check(s, "contract.bundle", false, "no bundle given"));
        NOT_CHECKED(s, "contract.id", "no bundle");
    }
    if (clave_contract_bundle_parse(s->trust->bundle, s->trust->bundle_len, &c) != CLAVE_OK) {
        CLAVE_CHECK(clave__receipt_check_error(s, "contract.bundle", ""));
        NOT_CHECKED(s, "contract.id", "the bundle did not verify");
    }
    CLAVE_CHECK(clave__receipt_check(s, "contract.bundle", true,
                                     "every approval and revocation verifies (%zu signers)",
                                     clave_contract_signer_count(c)));
    bool same = clave_ct_equal(clave_contract_id(c), clave_receipt_contract_id(s->receipt),
                               CLAVE_CONTRACT_ID_LEN);
    CLAVE_CHECK(clave__receipt_check(s, "contract.id", same, "%s",
                                     same ? "the receipt names the bundle's contract"
                                          : "the receipt names another contract"));
    if (same) {
        s->contract = c;
        c = NULL;
    }
    st = CLAVE_OK;
done:
    clave_contract_free(c);
    return st;
}

static clave_status check_datasets(struct verify_state *s)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    for (size_t i = 0; i < clave_receipt_dataset_count(s->receipt); i++) {
        struct clave_receipt_dataset d = clave_receipt_dataset(s->receipt, i);
        size_t index = 0;
        bool ok = clave_contract_find_dataset(s->contract, d.sha256, &index) == CLAVE_OK &&
                  strcmp(clave_contract_dataset(s->contract, index).id, d.id) == 0;
        if (!ok) {
            CLAVE_CHECK(clave__receipt_check(s, "contract.datasets", false,
                                             "dataset %.64s with this hash is not the contract's",
                                             d.id));
            st = CLAVE_OK;
            goto done;
        }
    }
    CLAVE_CHECK(clave__receipt_check(s, "contract.datasets", true,
                                     "%zu datasets named by the contract with the same hash",
                                     clave_receipt_dataset_count(s->receipt)));
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave__receipt_verify_contract(struct verify_state *s)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_contract_verdict v;
    CLAVE_CHECK(check_bundle(s));
    if (s->contract == NULL) {
        CLAVE_CHECK(clave__receipt_check(s, "contract.active", false, "not checked: no contract"));
        CLAVE_CHECK(
            clave__receipt_check(s, "contract.workload", false, "not checked: no contract"));
        NOT_CHECKED(s, "contract.datasets", "no contract");
    }
    clave_contract_status(s->contract, (uint64_t)clave_receipt_issued_at(s->receipt), &v);
    CLAVE_CHECK(clave__receipt_check(s, "contract.active", v.state == CLAVE_CONTRACT_ACTIVE,
                                     "%s at issued_at%s%.120s", clave_contract_state_name(v.state),
                                     v.reason[0] != '\0' ? ": " : "", v.reason));
    if (!s->has_claims) {
        CLAVE_CHECK(clave__receipt_check(s, "contract.workload", false,
                                         "not checked: the evidence did not verify"));
    } else {
        const char *why = workload_problem(s->contract, &s->claims);
        CLAVE_CHECK(clave__receipt_check(s, "contract.workload", why == NULL, "%s",
                                         why == NULL ? "a workload of the contract matches" : why));
    }
    CLAVE_CHECK(check_datasets(s));
    st = CLAVE_OK;
done:
    return st;
}

/* ---- EAR ---- */

static bool vector_affirms(const json_t *tv, const char *claim, bool optional)
{
    const json_t *v = json_object_get(tv, claim);
    if (v == NULL) {
        return optional;
    }
    return json_is_integer(v) && json_integer_value(v) == AR4SI_AFFIRMING;
}

/* The submod for the evidence's TEE affirms it; simulated evidence is "contraindicated" by
 * construction (runtime-opaque 96), so for sim-* only the instance, configuration and
 * executables claims must affirm. */
static const char *ear_problem(const json_t *doc, const char *tee, int64_t issued_at)
{
    const json_t *sub = json_object_get(json_object_get(doc, "submods"), tee);
    const json_t *iat = json_object_get(doc, "iat");
    if (sub == NULL) {
        return "the EAR has no submod for the evidence's TEE";
    }
    /* issued_at >= 0, so the difference cannot overflow */
    if (!json_is_integer(iat) || (json_integer_value(iat) > issued_at &&
                                  json_integer_value(iat) - issued_at > EAR_SKEW_SECONDS)) {
        return "the EAR was issued after the receipt";
    }
    const char *status = json_string_value(json_object_get(sub, "ear.status"));
    if (status != NULL && strcmp(status, "affirming") == 0) {
        return NULL;
    }
    const json_t *tv = json_object_get(sub, "ear.trustworthiness-vector");
    if (strncmp(tee, "sim-", 4) == 0 && vector_affirms(tv, "instance-identity", false) &&
        vector_affirms(tv, "configuration", false) && vector_affirms(tv, "executables", true)) {
        return NULL;
    }
    return "the EAR does not affirm the evidence";
}

clave_status clave__receipt_verify_ear(struct verify_state *s)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const char *status = NULL;
    char *claims = NULL;
    json_t *doc = NULL;
    const char *jwt = clave_receipt_ear(s->receipt);
    if (s->trust->ear_key == NULL) {
        CLAVE_CHECK(clave__receipt_check(s, "ear.signature", false, "no EAR key given"));
        NOT_CHECKED(s, "ear.status", "no EAR key");
    }
    if (clave_ear_verify(jwt, strlen(jwt), s->trust->ear_key, &status, &claims) != CLAVE_OK) {
        CLAVE_CHECK(clave__receipt_check_error(s, "ear.signature", ""));
        NOT_CHECKED(s, "ear.status", "the EAR did not verify");
    }
    CLAVE_CHECK(clave__receipt_check(s, "ear.signature", true, "ES256 by the EAR key"));
    if (!s->has_claims) {
        NOT_CHECKED(s, "ear.status", "the evidence did not verify");
    }
    doc = json_loads(claims, 0, NULL);
    CLAVE_ENSURE_ALLOC(doc);
    const char *why = ear_problem(doc, s->claims.tee, clave_receipt_issued_at(s->receipt));
    CLAVE_CHECK(clave__receipt_check(s, "ear.status", why == NULL, "%s (ear.status %s)",
                                     why == NULL ? "the EAR affirms the evidence's TEE" : why,
                                     status));
    st = CLAVE_OK;
done:
    json_decref(doc);
    free(claims);
    return st;
}

/* ---- DP ---- */

static bool receipt_has_dataset(const struct clave_receipt *r, const char *id)
{
    for (size_t i = 0; i < clave_receipt_dataset_count(r); i++) {
        if (strcmp(clave_receipt_dataset(r, i).id, id) == 0) {
            return true;
        }
    }
    return false;
}

static bool receipt_has_output(const struct clave_receipt *r, const char *name)
{
    for (size_t i = 0; i < clave_receipt_output_count(r); i++) {
        if (strcmp(clave_receipt_output(r, i).name, name) == 0) {
            return true;
        }
    }
    return false;
}

/* The debits of `party` in this receipt stay within the party's budget in the contract. */
static const char *party_problem(const struct clave_contract *c, const struct clave_receipt *r,
                                 const char *party)
{
    uint64_t eps = 0;
    uint64_t delta = 0;
    for (size_t i = 0; i < clave_receipt_debit_count(r); i++) {
        struct clave_receipt_debit d = clave_receipt_debit(r, i);
        if (strcmp(d.party, party) == 0 && (__builtin_add_overflow(eps, d.epsilon_micro, &eps) ||
                                            __builtin_add_overflow(delta, d.delta_pico, &delta))) {
            return "debits overflow";
        }
    }
    for (size_t i = 0; i < clave_contract_budget_count(c); i++) {
        struct clave_contract_budget b = clave_contract_budget(c, i);
        if (strcmp(b.party, party) == 0) {
            return eps <= b.epsilon_micro && delta <= b.delta_pico
                       ? NULL
                       : "debits exceed the party's budget in the contract";
        }
    }
    return "the party has no budget in the contract";
}

static const char *dp_problem(const struct clave_contract *c, const struct clave_receipt *r,
                              const char **subject)
{
    for (size_t i = 0; i < clave_receipt_debit_count(r); i++) {
        struct clave_receipt_debit d = clave_receipt_debit(r, i);
        const char *why = receipt_has_dataset(r, d.dataset)
                              ? party_problem(c, r, d.party)
                              : "the debited dataset is not an input of the receipt";
        if (why != NULL) {
            *subject = d.debit_id;
            return why;
        }
    }
    for (size_t i = 0; i < clave_receipt_dp_count(r); i++) {
        struct clave_receipt_dp d = clave_receipt_dp(r, i);
        if (!receipt_has_output(r, d.output)) {
            *subject = d.output;
            return "DP parameters name no output of the receipt";
        }
    }
    return NULL;
}

clave_status clave__receipt_verify_dp(struct verify_state *s)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const char *subject = "";
    if (s->contract == NULL) {
        NOT_CHECKED(s, "dp.debits", "no contract");
    }
    const char *why = dp_problem(s->contract, s->receipt, &subject);
    if (why == NULL) {
        CLAVE_CHECK(clave__receipt_check(s, "dp.debits", true,
                                         "%zu debits within the contract's budgets",
                                         clave_receipt_debit_count(s->receipt)));
    } else {
        CLAVE_CHECK(clave__receipt_check(s, "dp.debits", false, "%.64s: %s", subject, why));
    }
    st = CLAVE_OK;
done:
    return st;
}

/* ---- ledger ---- */

/* The proof's event: a "runner.result" entry naming this contract and this receipt. */
static const char *entry_problem(const struct clave_receipt *r, const char *proof)
{
    static const struct clave_json_limits LIMITS = {RECEIPT_PROOF_JSON_MAX, 3};
    static const struct clave_json_limits EVENT = {CLAVE_LEDGER_EVENT_MAX, EVENT_DEPTH};
    json_t *doc = NULL;
    json_t *ev = NULL;
    uint8_t *event = NULL;
    size_t event_len = 0;
    char contract[2 * CLAVE_RECEIPT_CONTRACT_ID_LEN + 1];
    char hash[2 * CLAVE_RECEIPT_SHA256_LEN + 1];
    const char *why = "the proof's event is not a JSON ledger event";
    if (clave_json_parse(proof, strlen(proof), &LIMITS, "proof", &doc) != CLAVE_OK ||
        clave_json_get_b64url(doc, "proof", "event", true, CLAVE_LEDGER_EVENT_MAX, &event,
                              &event_len) != CLAVE_OK ||
        clave_json_parse((const char *)event, event_len, &EVENT, "event", &ev) != CLAVE_OK ||
        !json_is_object(ev) ||
        clave_hex_encode(clave_receipt_contract_id(r), 32, contract, sizeof(contract)) !=
            CLAVE_OK ||
        clave_hex_encode(clave_receipt_hash(r), 32, hash, sizeof(hash)) != CLAVE_OK) {
        goto done;
    }
    const char *type = json_string_value(json_object_get(ev, "type"));
    const char *c = json_string_value(json_object_get(ev, "contract"));
    const char *h = json_string_value(json_object_get(ev, "receipt"));
    why = type == NULL || strcmp(type, CLAVE_RECEIPT_LEDGER_TYPE) != 0
              ? "the entry's type is not " CLAVE_RECEIPT_LEDGER_TYPE
          : c == NULL || strcmp(c, contract) != 0 ? "the entry names another contract"
          : h == NULL || strcmp(h, hash) != 0     ? "the entry names another receipt"
                                                  : NULL;
done:
    free(event);
    json_decref(ev);
    json_decref(doc);
    return why;
}

clave_status clave__receipt_verify_ledger(struct verify_state *s)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_ledger_sth sth;
    const char *proof = clave_receipt_proof_json(s->receipt);
    const char *head = clave_receipt_sth_json(s->receipt);
    CLAVE_CHECK(clave__receipt_check(s, "ledger.proof", proof != NULL, "%s",
                                     proof != NULL ? "inclusion proof attached"
                                                   : "no inclusion proof attached"));
    if (proof == NULL || s->trust->ledger_key == NULL) {
        const char *why = proof == NULL ? "no proof" : "no ledger key given";
        CLAVE_CHECK(clave__receipt_check(s, "ledger.sth", false, "not checked: %s", why));
        CLAVE_CHECK(clave__receipt_check(s, "ledger.inclusion", false, "not checked: %s", why));
        NOT_CHECKED(s, "ledger.entry", why);
    }
    if (clave_ledger_sth_from_json(head, strlen(head), &sth) != CLAVE_OK ||
        clave_ledger_sth_verify(s->trust->ledger_key, &sth) != CLAVE_OK) {
        CLAVE_CHECK(clave__receipt_check_error(s, "ledger.sth", "tree head: "));
        CLAVE_CHECK(clave__receipt_check(s, "ledger.inclusion", false,
                                         "not checked: the tree head did not verify"));
        NOT_CHECKED(s, "ledger.entry", "the tree head did not verify");
    }
    CLAVE_CHECK(clave__receipt_check(s, "ledger.sth", true, "signed tree head of %llu entries",
                                     (unsigned long long)sth.tree_size));
    if (clave_ledger_verify_entry(proof, strlen(proof), s->trust->ledger_key, &sth) != CLAVE_OK) {
        CLAVE_CHECK(clave__receipt_check_error(s, "ledger.inclusion", ""));
        NOT_CHECKED(s, "ledger.entry", "the entry is not included");
    }
    CLAVE_CHECK(
        clave__receipt_check(s, "ledger.inclusion", true, "the entry is in the signed tree"));
    const char *why = entry_problem(s->receipt, proof);
    CLAVE_CHECK(clave__receipt_check(s, "ledger.entry", why == NULL, "%s",
                                     why == NULL ? "runner.result entry names this receipt" : why));
    st = CLAVE_OK;
done:
    return st;
}

/* ---- outputs ---- */

clave_status clave__receipt_verify_outputs(struct verify_state *s)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    for (size_t i = 0; i < s->trust->output_count; i++) {
        const struct clave_receipt_output_digest *d = &s->trust->outputs[i];
        char name[CLAVE_ATTEST_NAME_MAX];
        const char *why = "the receipt has no output of this name";
        (void)snprintf(name, sizeof(name), "output.%.40s", d->name != NULL ? d->name : "");
        for (size_t k = 0; d->name != NULL && k < clave_receipt_output_count(s->receipt); k++) {
            struct clave_receipt_output o = clave_receipt_output(s->receipt, k);
            if (strcmp(o.name, d->name) == 0) {
                why = clave_ct_equal(o.sha256, d->sha256, CLAVE_RECEIPT_SHA256_LEN)
                          ? NULL
                          : "the file's SHA-256 is not the receipt's";
                break;
            }
        }
        CLAVE_CHECK(clave__receipt_check(s, name, why == NULL, "%s",
                                         why == NULL ? "SHA-256 matches" : why));
    }
    st = CLAVE_OK;
done:
    return st;
}
