/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Receipt verification, first half: the receipt's own form and signature, and the evidence
 * (re-verified offline at issued_at under the caller's policy, bound to the runtime data and
 * the contract id, and carrying the reference values the receipt claims). The order of checks
 * is the one documented in include/clave/receipt.h.
 */
#include "receipt/verify.h"

#include "core/check.h"
#include "crypto/cose_internal.h"

#include <clave/encoding.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

clave_status clave__receipt_check(struct verify_state *s, const char *name, bool passed,
                                  const char *fmt, ...)
{
    char detail[CLAVE_ATTEST_DETAIL_MAX];
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    return clave_attest_report_check(s->report, name, passed, "%s", detail);
}

clave_status clave__receipt_check_error(struct verify_state *s, const char *name, const char *what)
{
    struct clave_error_info e = clave_error_last();
    return clave__receipt_check(s, name, false, "%s%s (%s)", what, e.detail != NULL ? e.detail : "",
                                clave_status_str(e.status));
}

static clave_status check_signature(struct verify_state *s)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    EVP_PKEY *key = NULL;
    struct clave_cose_sign1 *msg = NULL;
    size_t rd_len = 0;
    const char *rd = clave_receipt_runtime_data(s->receipt, &rd_len);
    const struct clave_cose_verify_opts opts = {.alg = CLAVE_COSE_ALG_ES256,
                                                .tagging = CLAVE_COSE_TAG_REQUIRED,
                                                .max_len = CLAVE_RECEIPT_MAX_LEN};
    if (clave__receipt_tee_key(rd, rd_len, &key) != CLAVE_OK) {
        CLAVE_CHECK(clave__receipt_check_error(s, "receipt.tee_key", ""));
        CLAVE_CHECK(clave__receipt_check(s, "receipt.signature", false,
                                         "not checked: no TEE key in the runtime data"));
        st = CLAVE_OK;
        goto done;
    }
    CLAVE_CHECK(
        clave__receipt_check(s, "receipt.tee_key", true, "P-256 tee-pubkey from the runtime data"));
    if (clave__cose_sign1_verify_pkey(s->msg, s->len, key, &opts, &msg) != CLAVE_OK) {
        CLAVE_CHECK(clave__receipt_check(s, "receipt.signature", false,
                                         "ES256 signature does not verify under the TEE key"));
    } else {
        CLAVE_CHECK(clave__receipt_check(s, "receipt.signature", true, "ES256 by the TEE key"));
    }
    st = CLAVE_OK;
done:
    clave_cose_sign1_free(msg);
    EVP_PKEY_free(key);
    return st;
}

static clave_status check_digest(struct verify_state *s)
{
    uint8_t h[CLAVE_RECEIPT_SHA256_LEN];
    size_t len = 0;
    const uint8_t *ev = clave_receipt_evidence(s->receipt, &len);
    clave_status st = clave_hash(CLAVE_HASH_SHA256, ev, len, h, sizeof(h));
    if (st != CLAVE_OK) {
        return st;
    }
    if (!clave_ct_equal(h, clave_receipt_evidence_sha256(s->receipt), sizeof(h))) {
        return clave__receipt_check(s, "evidence.digest", false,
                                    "evidence.sha256 is not the evidence's SHA-256");
    }
    return clave__receipt_check(s, "evidence.digest", true, "SHA-256 of %zu bytes", len);
}

/* Copy the evidence's claims into the caller's report (names prefixed by nothing: they are the
 * attestation vocabulary). */
static clave_status copy_claims(struct verify_state *s)
{
    clave_status st = CLAVE_OK;
    for (size_t i = 0; st == CLAVE_OK && i < clave_attest_report_claim_count(s->evidence_report);
         i++) {
        struct clave_attest_claim c;
        st = clave_attest_report_get_claim(s->evidence_report, i, &c);
        if (st != CLAVE_OK) {
            break;
        }
        switch (c.type) {
        case CLAVE_CLAIM_BYTES:
            st = clave_attest_claim_bytes(s->report, c.name, c.bytes, c.len);
            break;
        case CLAVE_CLAIM_STRING:
            st = clave_attest_claim_string(s->report, c.name, (const char *)c.bytes);
            break;
        case CLAVE_CLAIM_INT:
            st = clave_attest_claim_int(s->report, c.name, c.integer);
            break;
        case CLAVE_CLAIM_BOOL:
            st = clave_attest_claim_bool(s->report, c.name, c.integer != 0);
            break;
        }
    }
    return st;
}

static clave_status check_attestation(struct verify_state *s)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_attest_options o;
    struct clave_attest_check first;
    size_t ev_len = 0;
    size_t end_len = 0;
    const uint8_t *ev = clave_receipt_evidence(s->receipt, &ev_len);
    memset(&o, 0, sizeof(o));
    o.at_time = clave_receipt_issued_at(s->receipt);
    o.policy = s->trust->policy;
    o.collateral_dir = s->trust->collateral_dir;
    o.endorsement = clave_receipt_endorsement(s->receipt, &end_len);
    o.endorsement_len = end_len;
    if (s->trust->policy == NULL) {
        CLAVE_CHECK(clave__receipt_check(s, "evidence.attestation", false, "no policy given"));
        st = CLAVE_OK;
        goto done;
    }
    CLAVE_CHECK(clave_attest_report_new(&s->evidence_report));
    if (clave_attest_verify(clave_receipt_evidence_format(s->receipt), ev, ev_len, &o,
                            s->evidence_report) != CLAVE_OK) {
        CLAVE_CHECK(clave__receipt_check_error(s, "evidence.attestation", "evidence: "));
        st = CLAVE_OK;
        goto done;
    }
    CLAVE_CHECK(clave_attest_policy_apply(s->trust->policy, o.at_time, s->evidence_report));
    CLAVE_CHECK(copy_claims(s));
    s->evidence_ok = clave_attest_report_ok(s->evidence_report);
    if (s->evidence_ok) {
        size_t n = clave_attest_report_check_count(s->evidence_report);
        CLAVE_CHECK(clave__receipt_check(s, "evidence.attestation", true,
                                         "%zu checks passed at issued_at", n));
        s->has_claims =
            clave_kbs_claims_from_report(s->evidence_report, ev, ev_len, &s->claims) == CLAVE_OK;
    } else {
        CLAVE_CHECK(clave_attest_report_first_failure(s->evidence_report, &first));
        CLAVE_CHECK(clave__receipt_check(s, "evidence.attestation", false, "%s: %s", first.name,
                                         first.detail));
    }
    st = CLAVE_OK;
done:
    return st;
}

/* report data = SHA-384(runtime data) || contract id[0..16] (docs/kbs.md, binding rule). */
static clave_status check_binding(struct verify_state *s)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t want[CLAVE_KBS_REPORT_DATA_LEN];
    struct clave_attest_claim c;
    size_t rd_len = 0;
    const char *rd = clave_receipt_runtime_data(s->receipt, &rd_len);
    if (!s->evidence_ok) {
        CLAVE_CHECK(clave__receipt_check(s, "evidence.binding", false,
                                         "not checked: the evidence did not verify"));
        st = CLAVE_OK;
        goto done;
    }
    CLAVE_CHECK(clave_receipt_report_data(rd, rd_len, clave_receipt_contract_id(s->receipt), want));
    bool ok = clave_attest_report_find_claim(s->evidence_report, "report_data", &c) == CLAVE_OK &&
              c.type == CLAVE_CLAIM_BYTES && c.len == sizeof(want) &&
              clave_ct_equal(c.bytes, want, sizeof(want));
    CLAVE_CHECK(clave__receipt_check(
        s, "evidence.binding", ok, "%s",
        ok ? "report data = SHA-384(runtime data) || contract id[0..16]"
           : "the evidence's report data is not SHA-384(runtime data) || contract id[0..16]"));
    st = CLAVE_OK;
done:
    return st;
}

/* The receipt's reference values are exactly those the verified evidence carries. */
static clave_status check_reference(struct verify_state *s)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct receipt_reference *refs = NULL;
    size_t count = 0;
    const char *bad = NULL;
    if (!s->evidence_ok) {
        CLAVE_CHECK(clave__receipt_check(s, "evidence.reference", false,
                                         "not checked: the evidence did not verify"));
        st = CLAVE_OK;
        goto done;
    }
    CLAVE_CHECK(clave__receipt_refs_from_report(s->evidence_report, &refs, &count));
    size_t have = clave_receipt_reference_count(s->receipt);
    for (size_t i = 0; bad == NULL && i < have; i++) {
        struct clave_receipt_reference r = clave_receipt_reference(s->receipt, i);
        if (i >= count || strcmp(r.name, refs[i].name) != 0 || r.len != refs[i].len ||
            !clave_ct_equal(r.value, refs[i].value, r.len)) {
            bad = r.name;
        }
    }
    if (bad == NULL && have != count) {
        bad = count > have ? refs[have].name : "(count)";
    }
    if (bad == NULL) {
        CLAVE_CHECK(clave__receipt_check(s, "evidence.reference", true,
                                         "%zu values match the evidence", count));
    } else {
        CLAVE_CHECK(clave__receipt_check(s, "evidence.reference", false,
                                         "%.64s differs from the evidence", bad));
    }
    st = CLAVE_OK;
done:
    clave__receipt_refs_free(refs, count);
    return st;
}

static clave_status receipt_claims(struct verify_state *s)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_CHECK(clave_attest_claim_bytes(s->report, "receipt.contract",
                                         clave_receipt_contract_id(s->receipt),
                                         CLAVE_RECEIPT_CONTRACT_ID_LEN));
    CLAVE_CHECK(clave_attest_claim_bytes(s->report, "receipt.hash", clave_receipt_hash(s->receipt),
                                         CLAVE_RECEIPT_SHA256_LEN));
    CLAVE_CHECK(clave_attest_claim_int(s->report, "receipt.issued_at",
                                       clave_receipt_issued_at(s->receipt)));
    CLAVE_CHECK(
        clave_attest_claim_string(s->report, "receipt.kind", clave_receipt_kind(s->receipt)));
    st = CLAVE_OK;
done:
    return st;
}

static clave_status run_checks(struct verify_state *s)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    if (clave_receipt_parse(s->msg, s->len, &s->receipt) != CLAVE_OK) {
        CLAVE_CHECK(clave__receipt_check_error(s, "receipt.format", ""));
        st = CLAVE_OK;
        goto done;
    }
    CLAVE_CHECK(clave__receipt_check(s, "receipt.format", true, "COSE_Sign1, payload v%llu",
                                     (unsigned long long)clave_receipt_version(s->receipt)));
    CLAVE_CHECK(receipt_claims(s));
    CLAVE_CHECK(check_signature(s));
    CLAVE_CHECK(check_digest(s));
    CLAVE_CHECK(check_attestation(s));
    CLAVE_CHECK(check_binding(s));
    CLAVE_CHECK(check_reference(s));
    CLAVE_CHECK(clave__receipt_verify_contract(s));
    CLAVE_CHECK(clave__receipt_verify_ear(s));
    CLAVE_CHECK(clave__receipt_verify_dp(s));
    CLAVE_CHECK(clave__receipt_verify_ledger(s));
    CLAVE_CHECK(clave__receipt_verify_outputs(s));
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_receipt_verify(const uint8_t *receipt, size_t len,
                                  const struct clave_receipt_trust *trust,
                                  struct clave_attest_report *report)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct verify_state s;
    memset(&s, 0, sizeof(s));
    CLAVE_ENSURE(trust != NULL && report != NULL, CLAVE_ERR_ARG, "receipt: trust and report");
    s.msg = receipt;
    s.len = len;
    s.trust = trust;
    s.report = report;
    CLAVE_CHECK(run_checks(&s));
    st = CLAVE_OK;
done:
    clave_contract_free(s.contract);
    clave_attest_report_free(s.evidence_report);
    clave_receipt_free(s.receipt);
    return st;
}
