/* SPDX-License-Identifier: Apache-2.0 */
/*
 * POST /kbs/v0/result {"receipt": b64url}: an attested runner anchors its signed result receipt
 * in the audit ledger before it hands the result out. Authorised by the EAR token (Bearer); the
 * receipt must carry this session's evidence, name an active contract, and that contract must be
 * the one the session is bound to (if bound). The entry ("runner.result": contract, receipt =
 * SHA-256 of the receipt payload, outputs, evidence digest) is appended, a tree head is signed,
 * and the answer carries the entry's inclusion proof under that head; the runner attaches both
 * to the receipt, which anyone can then check offline (docs/formats/receipt.md).
 */
#include "handlers.h"
#include "kbs.h"
#include "kbs_db.h"

#include <clave/receipt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OUTPUTS_TEXT_MAX 8192

/* "name=sha256,name=sha256" of the receipt's outputs. */
static bool outputs_text(const struct clave_receipt *r, char *out, size_t cap)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < clave_receipt_output_count(r); i++) {
        struct clave_receipt_output o = clave_receipt_output(r, i);
        char hex[65];
        if (clave_hex_encode(o.sha256, 32, hex, sizeof(hex)) != CLAVE_OK) {
            return false;
        }
        int n = snprintf(out + used, cap - used, "%s%s=%s", i > 0 ? "," : "", o.name, hex);
        if (n < 0 || (size_t)n >= cap - used) {
            return false;
        }
        used += (size_t)n;
    }
    return true;
}

static void anchor(struct claved_ctx *ctx, const struct claved_kbs_session *s, const char *contract,
                   const char *receipt, const char *outputs)
{
    char ev[65] = "";
    uint64_t index = 0;
    struct clave_ledger_sth sth;
    char *proof = NULL;
    char *sth_text = NULL;
    if (clave_hex_encode(s->claims.evidence_sha256, 32, ev, sizeof(ev)) != CLAVE_OK) {
        /* stays empty */
    }
    struct clave_log_field f[] = {{"contract", contract},
                                  {"receipt", receipt},
                                  {"outputs", outputs},
                                  {"evidence_sha256", ev}};
    if (claved_audit_at(ctx, "runner.result", f, 4, &index) != CLAVE_OK) {
        claved_error(ctx, 503, "unavailable", "the audit ledger is unavailable");
        return;
    }
    clave_status st =
        clave_ledger_checkpoint(ctx->ledger, ctx->app->audit_key, claved_now_ms(), &sth);
    if (st == CLAVE_OK) {
        st = clave_ledger_proof_json(ctx->ledger, index, sth.tree_size, &proof);
    }
    if (st == CLAVE_OK) {
        st = clave_ledger_sth_to_json(&sth, &sth_text);
    }
    json_t *p = st == CLAVE_OK ? json_loads(proof, 0, NULL) : NULL;
    json_t *h = st == CLAVE_OK ? json_loads(sth_text, 0, NULL) : NULL;
    if (p == NULL || h == NULL) {
        json_decref(p);
        json_decref(h);
        claved_error(ctx, 500, "internal", "the inclusion proof could not be made");
    } else {
        claved_json(ctx, 200,
                    json_pack("{s:I,s:o,s:o}", "index", (json_int_t)index, "proof", p, "sth", h));
    }
    free(proof);
    free(sth_text);
}

/* The receipt must be this session's: same evidence, same (bound) contract, still active. */
static bool acceptable(struct claved_ctx *ctx, const struct claved_kbs_session *s,
                       const struct clave_receipt *r, const struct clave_contract *c, char *reason,
                       size_t cap)
{
    struct clave_contract_verdict v;
    clave_contract_status(c, (uint64_t)ctx->now, &v);
    if (v.state != CLAVE_CONTRACT_ACTIVE) {
        snprintf(reason, cap, "contract: %s (%.120s)", clave_contract_state_name(v.state),
                 v.reason);
        return false;
    }
    if (s->claims.has_contract_binding &&
        !clave_ct_equal(s->claims.contract_binding, clave_contract_id(c), CLAVE_KBS_BINDING_LEN)) {
        snprintf(reason, cap, "binding: the workload is bound to another contract");
        return false;
    }
    if (!clave_ct_equal(clave_receipt_evidence_sha256(r), s->claims.evidence_sha256, 32)) {
        snprintf(reason, cap, "receipt: its evidence is not this session's");
        return false;
    }
    return true;
}

void claved_h_kbs_result(struct claved_ctx *ctx)
{
    struct claved_kbs_session s;
    struct clave_contract *c = NULL;
    struct clave_receipt *r = NULL;
    uint8_t *bytes = NULL;
    size_t len = 0;
    char contract[65];
    char receipt[65];
    char outputs[OUTPUTS_TEXT_MAX];
    char reason[CLAVE_KBS_REASON_MAX];
    if (!claved_kbs_token_session(ctx, &s)) {
        return;
    }
    if (clave_json_get_b64url(ctx->body, "body", "receipt", true, CLAVE_RECEIPT_MAX_LEN, &bytes,
                              &len) != CLAVE_OK ||
        clave_receipt_parse(bytes, len, &r) != CLAVE_OK) {
        claved_error(ctx, 400, "invalid_field", clave_error_last().detail);
        goto done;
    }
    if (clave_hex_encode(clave_receipt_contract_id(r), 32, contract, sizeof(contract)) !=
            CLAVE_OK ||
        clave_hex_encode(clave_receipt_hash(r), 32, receipt, sizeof(receipt)) != CLAVE_OK ||
        !outputs_text(r, outputs, sizeof(outputs))) {
        claved_error(ctx, 400, "invalid_field", "body.receipt: too many or too long outputs");
        goto done;
    }
    clave_status st = claved_kbs_contract_load(ctx->store, contract, &c);
    if (st != CLAVE_OK) {
        claved_store_error(ctx, st);
        goto done;
    }
    if (!acceptable(ctx, &s, r, c, reason, sizeof(reason))) {
        struct clave_log_field f[] = {{"contract", contract}, {"reason", reason}};
        if (claved_audit_or_fail(ctx, "kbs.deny", f, 2)) {
            claved_error(ctx, 403, "policy_denied", reason);
        }
        goto done;
    }
    anchor(ctx, &s, contract, receipt, outputs);
done:
    clave_receipt_free(r);
    free(bytes);
    clave_contract_free(c);
    claved_kbs_session_clear(&s);
}
