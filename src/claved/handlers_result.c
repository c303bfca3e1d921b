/* SPDX-License-Identifier: Apache-2.0 */
/*
 * POST /kbs/v0/result: an attested runner anchors a result receipt in the audit ledger before it
 * hands the result out. Authorised by the EAR token (Authorization: Bearer); the session must be
 * bound to the contract it names when it is bound at all. The entry ("runner.result": contract,
 * receipt = SHA-256 of the receipt payload, outputs, evidence digest) is appended, a tree head is
 * signed, and the answer carries the entry's inclusion proof under that head: the runner puts
 * both into the receipt, which anyone can then check offline (docs/formats/receipt.md).
 */
#include "handlers.h"
#include "kbs.h"
#include "kbs_db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OUTPUTS_MAX 64
#define OUTPUTS_TEXT_MAX 8192

static bool hex64(const char *s)
{
    if (s == NULL || strlen(s) != 64) {
        return false;
    }
    for (const char *p = s; *p != '\0'; p++) {
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) {
            return false;
        }
    }
    return true;
}

/* "name=sha256,name=sha256" from [{"name","sha256"}], validated; false after a 400. */
static bool outputs_text(struct claved_ctx *ctx, char *out, size_t cap)
{
    json_t *a = json_object_get(ctx->body, "outputs");
    size_t used = 0;
    out[0] = '\0';
    if (!json_is_array(a) || json_array_size(a) == 0 || json_array_size(a) > OUTPUTS_MAX) {
        claved_error(ctx, 400, "invalid_field", "body.outputs: 1..64 {name, sha256} objects");
        return false;
    }
    for (size_t i = 0; i < json_array_size(a); i++) {
        json_t *o = json_array_get(a, i);
        const char *name = json_string_value(json_object_get(o, "name"));
        const char *sha = json_string_value(json_object_get(o, "sha256"));
        if (name == NULL || !claved_valid_name(name) || !hex64(sha)) {
            claved_error(ctx, 400, "invalid_field",
                         "body.outputs[]: name [A-Za-z0-9._@-]{1,64}, sha256 64 lower-case hex");
            return false;
        }
        int n = snprintf(out + used, cap - used, "%s%s=%s", i > 0 ? "," : "", name, sha);
        if (n < 0 || (size_t)n >= cap - used) {
            claved_error(ctx, 400, "invalid_field", "body.outputs: too long");
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

void claved_h_kbs_result(struct claved_ctx *ctx)
{
    struct claved_kbs_session s;
    struct clave_contract *c = NULL;
    const char *contract = NULL;
    const char *receipt = NULL;
    char outputs[OUTPUTS_TEXT_MAX];
    if (!claved_kbs_token_session(ctx, &s)) {
        return;
    }
    if (!claved_body_string(ctx, "contract", true, 64, &contract) ||
        !claved_body_string(ctx, "receipt", true, 64, &receipt) ||
        !outputs_text(ctx, outputs, sizeof(outputs))) {
        goto done;
    }
    if (!hex64(contract) || !hex64(receipt)) {
        claved_error(ctx, 400, "invalid_field", "body.contract, body.receipt: 64 lower-case hex");
        goto done;
    }
    clave_status st = claved_kbs_contract_load(ctx->store, contract, &c);
    if (st != CLAVE_OK) {
        claved_store_error(ctx, st);
        goto done;
    }
    struct clave_contract_verdict v;
    clave_contract_status(c, (uint64_t)ctx->now, &v);
    if (v.state != CLAVE_CONTRACT_ACTIVE) {
        char reason[CLAVE_KBS_REASON_MAX];
        snprintf(reason, sizeof(reason), "contract: %s (%.120s)", clave_contract_state_name(v.state),
                 v.reason);
        struct clave_log_field f[] = {{"contract", contract}, {"reason", reason}};
        if (claved_audit_or_fail(ctx, "kbs.deny", f, 2)) {
            claved_error(ctx, 403, "policy_denied", reason);
        }
        goto done;
    }
    if (s.claims.has_contract_binding &&
        !clave_ct_equal(s.claims.contract_binding, clave_contract_id(c), CLAVE_KBS_BINDING_LEN)) {
        struct clave_log_field f[] = {{"contract", contract},
                                      {"reason", "binding: the workload is bound to another "
                                                 "contract"}};
        if (claved_audit_or_fail(ctx, "kbs.deny", f, 2)) {
            claved_error(ctx, 403, "policy_denied",
                         "binding: the workload is bound to another contract");
        }
        goto done;
    }
    anchor(ctx, &s, contract, receipt, outputs);
done:
    clave_contract_free(c);
    claved_kbs_session_clear(&s);
}
