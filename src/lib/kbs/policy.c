/* SPDX-License-Identifier: Apache-2.0 */
/* Claims kept from verified evidence and the dataset-key release policy (include/clave/kbs.h). */
#include <clave/clave.h>
#include <clave/kbs.h>

#include "core/check.h"
#include "policy.h"

#include <stdio.h>
#include <string.h>

static bool claim_bytes(const struct clave_attest_report *r, const char *name, uint8_t *out,
                        size_t want, bool *has)
{
    struct clave_attest_claim c;
    if (clave_attest_report_find_claim(r, name, &c) != CLAVE_OK || c.type != CLAVE_CLAIM_BYTES ||
        c.len != want) {
        return false;
    }
    memcpy(out, c.bytes, want);
    if (has != NULL) {
        *has = true;
    }
    return true;
}

static int64_t claim_int(const struct clave_attest_report *r, const char *name, bool *ok)
{
    struct clave_attest_claim c;
    if (clave_attest_report_find_claim(r, name, &c) != CLAVE_OK ||
        (c.type != CLAVE_CLAIM_INT && c.type != CLAVE_CLAIM_BOOL)) {
        *ok = false;
        return 0;
    }
    return c.integer;
}

static uint8_t tcb_part(int64_t v)
{
    return v < 0 ? 0 : v > 255 ? 255 : (uint8_t)v;
}

static void snp_claims(const struct clave_attest_report *r, struct clave_kbs_claims *out)
{
    bool ok = true;
    (void)claim_bytes(r, "snp.host_data", out->host_data, 32, &out->has_host_data);
    (void)claim_bytes(r, "snp.chip_id", out->chip_id, CLAVE_KBS_CHIP_ID_LEN, &out->has_chip_id);
    out->reported_tcb.bootloader = tcb_part(claim_int(r, "snp.reported_tcb.bootloader", &ok));
    out->reported_tcb.tee = tcb_part(claim_int(r, "snp.reported_tcb.tee", &ok));
    out->reported_tcb.snp = tcb_part(claim_int(r, "snp.reported_tcb.snp", &ok));
    out->reported_tcb.microcode = tcb_part(claim_int(r, "snp.reported_tcb.microcode", &ok));
    out->has_tcb = ok;
}

clave_status clave_kbs_claims_from_report(const struct clave_attest_report *report,
                                          const uint8_t *evidence, size_t evidence_len,
                                          struct clave_kbs_claims *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_attest_claim c;
    bool ok = true;
    memset(out, 0, sizeof(*out));
    CLAVE_ENSURE(clave_attest_report_find_claim(report, "tee", &c) == CLAVE_OK &&
                     c.type == CLAVE_CLAIM_STRING && c.len > 0 && c.len <= CLAVE_KBS_TEE_MAX,
                 CLAVE_ERR_FORMAT, "claims: no tee claim");
    memcpy(out->tee, c.bytes, c.len);
    out->debug = claim_int(report, "debug", &ok) != 0;
    CLAVE_ENSURE(ok, CLAVE_ERR_FORMAT, "claims: no debug claim");
    if (clave_attest_report_find_claim(report, "measurement", &c) == CLAVE_OK &&
        c.type == CLAVE_CLAIM_BYTES && c.len <= sizeof(out->measurement)) {
        memcpy(out->measurement, c.bytes, c.len);
        out->measurement_len = c.len;
    }
    (void)claim_bytes(report, "nitro.pcr1", out->pcr1, 48, &out->has_pcr1);
    (void)claim_bytes(report, "nitro.pcr2", out->pcr2, 48, &out->has_pcr2);
    (void)claim_bytes(report, "nitro.pcr8", out->pcr8, 48, &out->has_pcr8);
    snp_claims(report, out);
    if (clave_attest_report_find_claim(report, "tcb_status", &c) == CLAVE_OK &&
        c.type == CLAVE_CLAIM_STRING && c.len < sizeof(out->tcb_status)) {
        memcpy(out->tcb_status, c.bytes, c.len);
    }
    CLAVE_CHECK(clave_hash(CLAVE_HASH_SHA256, evidence, evidence_len, out->evidence_sha256, 32));
    st = CLAVE_OK;
done:
    return st;
}

/* ---- JSON round trip (sessions keep the claims in the store) ---- */

static clave_status put_hex(json_t *o, const char *k, const uint8_t *b, size_t n)
{
    char hex[129];
    if (clave_hex_encode(b, n, hex, sizeof(hex)) != CLAVE_OK ||
        json_object_set_new(o, k, json_string(hex)) != 0) {
        return CLAVE_ERR_NOMEM;
    }
    return CLAVE_OK;
}

clave_status clave_kbs_claims_to_json(const struct clave_kbs_claims *c, json_t **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *o =
        json_pack("{s:s,s:b,s:s,s:[i,i,i,i],s:b}", "tee", c->tee, "debug", c->debug, "tcb_status",
                  c->tcb_status, "tcb", c->reported_tcb.bootloader, c->reported_tcb.tee,
                  c->reported_tcb.snp, c->reported_tcb.microcode, "has_tcb", c->has_tcb);
    *out = NULL;
    CLAVE_ENSURE_ALLOC(o);
    CLAVE_CHECK(put_hex(o, "measurement", c->measurement, c->measurement_len));
    CLAVE_CHECK(put_hex(o, "evidence_sha256", c->evidence_sha256, 32));
    if (c->has_pcr1) {
        CLAVE_CHECK(put_hex(o, "pcr1", c->pcr1, 48));
    }
    if (c->has_pcr2) {
        CLAVE_CHECK(put_hex(o, "pcr2", c->pcr2, 48));
    }
    if (c->has_pcr8) {
        CLAVE_CHECK(put_hex(o, "pcr8", c->pcr8, 48));
    }
    if (c->has_host_data) {
        CLAVE_CHECK(put_hex(o, "host_data", c->host_data, 32));
    }
    if (c->has_contract_binding) {
        CLAVE_CHECK(put_hex(o, "contract_binding", c->contract_binding, CLAVE_KBS_BINDING_LEN));
    }
    if (c->has_chip_id) {
        CLAVE_CHECK(put_hex(o, "chip_id", c->chip_id, CLAVE_KBS_CHIP_ID_LEN));
    }
    *out = o;
    o = NULL;
    st = CLAVE_OK;
done:
    json_decref(o);
    return st;
}

static clave_status opt_hex(const json_t *j, const char *k, uint8_t *out, size_t n, bool *has)
{
    if (json_object_get(j, k) == NULL) {
        *has = false;
        return CLAVE_OK;
    }
    *has = true;
    return clave_json_get_hex(j, "claims", k, out, n);
}

clave_status clave_kbs_claims_from_json(const json_t *j, struct clave_kbs_claims *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const char *tee = NULL;
    const char *tcb_status = NULL;
    const char *m = NULL;
    json_t *tcb = NULL;
    size_t n = 0;
    memset(out, 0, sizeof(*out));
    CLAVE_CHECK(clave_json_get_string(j, "claims", "tee", true, CLAVE_KBS_TEE_MAX, &tee));
    memcpy(out->tee, tee, strlen(tee) + 1);
    CLAVE_CHECK(clave_json_get_bool(j, "claims", "debug", true, &out->debug));
    CLAVE_CHECK(clave_json_get_string(j, "claims", "tcb_status", true, CLAVE_KBS_TCB_STATUS_MAX - 1,
                                      &tcb_status));
    memcpy(out->tcb_status, tcb_status, strlen(tcb_status) + 1);
    CLAVE_CHECK(clave_json_get_bool(j, "claims", "has_tcb", true, &out->has_tcb));
    CLAVE_CHECK(clave_json_get_array(j, "claims", "tcb", true, 4, &tcb));
    CLAVE_ENSURE(json_array_size(tcb) == 4, CLAVE_ERR_JSON, "claims.tcb: expected 4 numbers");
    out->reported_tcb.bootloader = tcb_part(json_integer_value(json_array_get(tcb, 0)));
    out->reported_tcb.tee = tcb_part(json_integer_value(json_array_get(tcb, 1)));
    out->reported_tcb.snp = tcb_part(json_integer_value(json_array_get(tcb, 2)));
    out->reported_tcb.microcode = tcb_part(json_integer_value(json_array_get(tcb, 3)));
    CLAVE_CHECK(clave_json_get_string(j, "claims", "measurement", true, 96, &m));
    CLAVE_CHECK(clave_hex_decode(m, strlen(m), out->measurement, sizeof(out->measurement), &n));
    out->measurement_len = n;
    CLAVE_CHECK(clave_json_get_hex(j, "claims", "evidence_sha256", out->evidence_sha256, 32));
    CLAVE_CHECK(opt_hex(j, "pcr1", out->pcr1, 48, &out->has_pcr1));
    CLAVE_CHECK(opt_hex(j, "pcr2", out->pcr2, 48, &out->has_pcr2));
    CLAVE_CHECK(opt_hex(j, "pcr8", out->pcr8, 48, &out->has_pcr8));
    CLAVE_CHECK(opt_hex(j, "host_data", out->host_data, 32, &out->has_host_data));
    CLAVE_CHECK(opt_hex(j, "contract_binding", out->contract_binding, CLAVE_KBS_BINDING_LEN,
                        &out->has_contract_binding));
    CLAVE_CHECK(opt_hex(j, "chip_id", out->chip_id, CLAVE_KBS_CHIP_ID_LEN, &out->has_chip_id));
    st = CLAVE_OK;
done:
    return st;
}

/* ---- the release policy ---- */

static bool same(const uint8_t *a, const uint8_t *b, size_t n)
{
    return clave_ct_equal(a, b, n);
}

static bool tee_of(const char *name, enum clave_tee_type *out)
{
    static const struct {
        const char *name;
        enum clave_tee_type tee;
    } MAP[] = {{"nitro", CLAVE_TEE_NITRO},
               {"snp", CLAVE_TEE_SNP},
               {"tdx", CLAVE_TEE_TDX},
               {"sgx", CLAVE_TEE_SGX},
               {"sim-nitro", CLAVE_TEE_SIM_NITRO},
               {"sim-snp", CLAVE_TEE_SIM_SNP}};
    for (size_t i = 0; i < sizeof(MAP) / sizeof(MAP[0]); i++) {
        if (strcmp(MAP[i].name, name) == 0) {
            *out = MAP[i].tee;
            return true;
        }
    }
    return false;
}

static bool nitro_matches(const struct clave_contract_workload *w, const struct clave_kbs_claims *c)
{
    return c->measurement_len == 48 && same(w->nitro.pcr0, c->measurement, 48) && c->has_pcr1 &&
           same(w->nitro.pcr1, c->pcr1, 48) && c->has_pcr2 && same(w->nitro.pcr2, c->pcr2, 48) &&
           (!w->nitro.has_pcr8 || (c->has_pcr8 && same(w->nitro.pcr8, c->pcr8, 48)));
}

static bool snp_matches(const struct clave_contract_workload *w, const struct clave_kbs_claims *c)
{
    return c->measurement_len == 48 && same(w->snp.measurement, c->measurement, 48) &&
           (!w->snp.has_host_data ||
            (c->has_host_data && same(w->snp.host_data, c->host_data, 32)));
}

static bool tcb_at_least(const struct clave_snp_tcb *have, const struct clave_snp_tcb *min)
{
    return have->bootloader >= min->bootloader && have->tee >= min->tee && have->snp >= min->snp &&
           have->microcode >= min->microcode;
}

/* Find a workload of this TEE type whose reference values match; then judge its TCB. */
static bool workload_ok(const struct clave_contract *contract, const struct clave_kbs_claims *c,
                        enum clave_tee_type tee, char *reason)
{
    bool any_type = false;
    for (size_t i = 0; i < clave_contract_workload_count(contract); i++) {
        const struct clave_contract_workload *w = clave_contract_workload(contract, i);
        if (w->tee != tee) {
            continue;
        }
        any_type = true;
        bool is_snp = tee == CLAVE_TEE_SNP || tee == CLAVE_TEE_SIM_SNP;
        bool is_nitro = tee == CLAVE_TEE_NITRO || tee == CLAVE_TEE_SIM_NITRO;
        if ((is_snp && !snp_matches(w, c)) || (is_nitro && !nitro_matches(w, c)) ||
            (!is_snp && !is_nitro)) {
            continue;
        }
        if (is_snp && (!c->has_tcb || !tcb_at_least(&c->reported_tcb, &w->snp.min_tcb))) {
            snprintf(reason, CLAVE_KBS_REASON_MAX,
                     "tcb: reported TCB is below the contract's minimum");
            return false;
        }
        return true;
    }
    snprintf(reason, CLAVE_KBS_REASON_MAX,
             any_type ? "measurement: no workload of the contract matches the evidence"
                      : "tee: the contract accepts no %s workload",
             c->tee);
    return false;
}

static bool dataset_ok(const struct clave_kbs_release *r, char *reason)
{
    for (size_t i = 0; i < clave_contract_dataset_count(r->contract); i++) {
        struct clave_contract_dataset d = clave_contract_dataset(r->contract, i);
        if (strcmp(d.id, r->dataset_id) == 0 && same(d.sha256, r->dataset_sha256, 32)) {
            return true;
        }
    }
    snprintf(reason, CLAVE_KBS_REASON_MAX, "dataset: %.64s is not in the contract", r->dataset_id);
    return false;
}

/* Binding and contract state: the rules every release starts with. */
bool clave__kbs_contract_ok(const struct clave_contract *contract, const struct clave_kbs_claims *c,
                            uint64_t now, char *reason)
{
    struct clave_contract_verdict v;
    clave_contract_status(contract, now, &v);
    if (c->has_contract_binding &&
        !same(c->contract_binding, clave_contract_id(contract), CLAVE_KBS_BINDING_LEN)) {
        snprintf(reason, CLAVE_KBS_REASON_MAX,
                 "binding: the workload is bound to another contract");
        return false;
    }
    if (v.state != CLAVE_CONTRACT_ACTIVE) {
        snprintf(reason, CLAVE_KBS_REASON_MAX, "contract: %s (%.120s)",
                 clave_contract_state_name(v.state), v.reason);
        return false;
    }
    return true;
}

/* The rules about the workload itself: TEE type, sim trust, debug, reference values, TCB. */
bool clave__kbs_workload_ok(const struct clave_contract *contract, const struct clave_kbs_claims *c,
                            bool trust_sim, char *reason)
{
    enum clave_tee_type tee;
    if (!tee_of(c->tee, &tee)) {
        snprintf(reason, CLAVE_KBS_REASON_MAX, "tee: %s evidence is not accepted", c->tee);
        return false;
    }
    if ((tee == CLAVE_TEE_SIM_NITRO || tee == CLAVE_TEE_SIM_SNP) && !trust_sim) {
        snprintf(reason, CLAVE_KBS_REASON_MAX, "tee: simulated evidence is not trusted here");
        return false;
    }
    if (c->debug && !clave_contract_debug_allowed(contract)) {
        snprintf(reason, CLAVE_KBS_REASON_MAX, "debug: the TEE runs in debug mode");
        return false;
    }
    if (!workload_ok(contract, c, tee, reason)) {
        return false;
    }
    if (c->tcb_status[0] != '\0' && !clave_contract_accepts_tcb_status(contract, c->tcb_status)) {
        snprintf(reason, CLAVE_KBS_REASON_MAX, "tcb: status %s is not accepted", c->tcb_status);
        return false;
    }
    return true;
}

bool clave_kbs_appraise(const struct clave_kbs_release *r, char reason[CLAVE_KBS_REASON_MAX])
{
    reason[0] = '\0';
    if (!clave__kbs_contract_ok(r->contract, r->claims, r->now, reason) || !dataset_ok(r, reason) ||
        !clave__kbs_workload_ok(r->contract, r->claims, r->trust_sim, reason)) {
        return false;
    }
    if (r->dataset_region == NULL ||
        !clave_contract_allows_region(r->contract, r->dataset_region)) {
        snprintf(reason, CLAVE_KBS_REASON_MAX, "region: %.64s is not allowed by the contract",
                 r->dataset_region != NULL ? r->dataset_region : "(none)");
        return false;
    }
    return true;
}
