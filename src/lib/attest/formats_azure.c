/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Azure vTPM rows of the format table ("az-snp-vtpm", "az-tdx-vtpm"): the evidence is the
 * trustee JSON form (azure_evidence.c) or, for SNP, a bare HCL report with the TPM quote JSON in
 * opts->tpm_quote. Verification chains three verifiers:
 *   1. the hardware report: the SEV-SNP report inside the HCL report through the SNP verifier
 *      (signature by the VCEK of the evidence's "vcek", opts->endorsement or
 *      opts->collateral_dir; VCEK -> ASK -> ARK), or the TD quote through clave_dcap_verify();
 *   2. the HCL binding, the vTPM AK and the TPM2 quote (clave__azure_vtpm_steps);
 *   3. "az.vmpl" (SNP): the report comes from VMPL 0, where Azure's paravisor (HCL) runs.
 * The inner report must chain to a vendor root: one that chains only to a simulated dev root
 * fails "az.snp_root". The HCL report type must match the row ("az.format").
 */
#include "attest/attest_internal.h"
#include "attest/azure_vtpm.h"
#include "core/check.h"

#include <clave/attest_intel.h>
#include <string.h>

#define HCL_TYPE_SNP 2
#define HCL_TYPE_TDX 4
#define HCL_MAGIC "HCLA"

static bool is_json(const uint8_t *evidence, size_t len)
{
    size_t i = 0;
    while (i < len && (evidence[i] == ' ' || evidence[i] == '\t' || evidence[i] == '\n' ||
                       evidence[i] == '\r')) {
        i++;
    }
    return i < len && evidence[i] == '{';
}

static bool is_hcl(const uint8_t *evidence, size_t len)
{
    return len >= 4 && memcmp(evidence, HCL_MAGIC, 4) == 0; // lint:public
}

/* The evidence parsed in either form; `tpm_quote` may be NULL (inspect). */
static clave_status parse(const uint8_t *evidence, size_t len, const uint8_t *tpm_quote,
                          size_t tpm_quote_len, struct azure_evidence **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    *out = NULL;
    if (is_json(evidence, len)) {
        CLAVE_CHECK(clave__azure_evidence_parse((const char *)evidence, len, out));
    } else {
        CLAVE_ENSURE(is_hcl(evidence, len), CLAVE_ERR_FORMAT,
                     "azure: neither evidence JSON nor an HCL report");
        CLAVE_ENSURE(tpm_quote != NULL, CLAVE_ERR_ARG,
                     "azure: an HCL report needs its TPM quote JSON (tpm_quote, --tpm-quote)");
        CLAVE_CHECK(
            clave__azure_parts_parse(evidence, len, (const char *)tpm_quote, tpm_quote_len, out));
    }
    st = CLAVE_OK;
done:
    return st;
}

/* The HCL report type of `evidence` (0 when it is not Azure evidence). */
static uint32_t hcl_type(const uint8_t *evidence, size_t len)
{
    struct azure_evidence *ev = NULL;
    struct azure_hcl h;
    uint32_t type = 0;
    if (is_hcl(evidence, len)) {
        type = clave__azure_hcl_parse(evidence, len, &h) == CLAVE_OK ? h.report_type : 0;
    } else if (is_json(evidence, len) &&
               clave__azure_evidence_parse((const char *)evidence, len, &ev) == CLAVE_OK) {
        type =
            clave__azure_hcl_parse(ev->in.hcl, ev->in.hcl_len, &h) == CLAVE_OK ? h.report_type : 0;
    }
    clave__azure_evidence_free(ev);
    clave_error_clear();
    return type;
}

bool clave__az_snp_detect(const uint8_t *evidence, size_t len)
{
    return hcl_type(evidence, len) == HCL_TYPE_SNP;
}

bool clave__az_tdx_detect(const uint8_t *evidence, size_t len)
{
    return hcl_type(evidence, len) == HCL_TYPE_TDX;
}

/* Step 1 for SNP: the inner report through the SNP verifier, then its root and VMPL. */
static clave_status snp_inner(const struct azure_evidence *ev, const struct azure_hcl *h,
                              const struct clave_attest_options *opts,
                              struct clave_attest_report *report)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_attest_options inner = *opts;
    struct clave_attest_claim c;
    if (ev->vcek != NULL) {
        inner.endorsement = ev->vcek;
        inner.endorsement_len = ev->vcek_len;
    }
    CLAVE_CHECK(clave__snp_verify(h->hw_report, h->hw_report_len, &inner, report));
    bool vendor = clave_attest_report_find_claim(report, "tee", &c) == CLAVE_OK &&
                  strcmp((const char *)c.bytes, "snp") == 0;
    CLAVE_CHECK(clave_attest_report_check(report, "az.snp_root", vendor, "%s",
                                          vendor ? "the SNP report chains to an AMD root"
                                                 : "the SNP report does not chain to an AMD root"));
    bool vmpl0 =
        clave_attest_report_find_claim(report, "snp.vmpl", &c) == CLAVE_OK && c.integer == 0;
    CLAVE_CHECK(clave_attest_report_check(report, "az.vmpl", vmpl0, "VMPL %lld (the HCL runs at 0)",
                                          vmpl0 ? 0LL : (long long)c.integer));
    clave_error_clear();
    st = CLAVE_OK;
done:
    return st;
}

/* Step 1 for TDX: the TD quote through the DCAP verifier. */
static clave_status tdx_inner(const struct azure_evidence *ev,
                              const struct clave_attest_options *opts,
                              struct clave_attest_report *report)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const struct clave_dcap_collateral *coll = NULL;
    struct clave_dcap_collateral *owned = NULL;
    size_t before = clave_attest_report_check_count(report);
    if (ev->td_quote == NULL) {
        CLAVE_CHECK(clave_attest_report_check(report, "az.td_quote", false, "%s",
                                              "the evidence carries no td_quote"));
        st = CLAVE_OK;
        goto done;
    }
    CLAVE_CHECK(clave__attest_dcap_collateral(opts, report, &coll, &owned));
    CLAVE_CHECK(clave__attest_settle(report, before, "dcap.verify",
                                     clave_dcap_verify(ev->td_quote, ev->in.td_quote_len, coll,
                                                       clave__attest_time(opts, 0), report)));
    st = CLAVE_OK;
done:
    clave_dcap_collateral_free(owned);
    return st;
}

static clave_status az_verify(const uint8_t *evidence, size_t len, uint32_t want,
                              const struct clave_attest_options *opts,
                              struct clave_attest_report *report)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct azure_evidence *ev = NULL;
    struct azure_hcl h;
    size_t before = clave_attest_report_check_count(report);
    bool tdx = want == HCL_TYPE_TDX;
    st = parse(evidence, len, opts->tpm_quote, opts->tpm_quote_len, &ev);
    if (st == CLAVE_OK && clave__azure_hcl_parse(ev->in.hcl, ev->in.hcl_len, &h) == CLAVE_OK) {
        CLAVE_CHECK(clave_attest_report_check(report, "az.format", h.report_type == want,
                                              "HCL report type %u (want %u)", h.report_type, want));
        CLAVE_CHECK(tdx ? tdx_inner(ev, opts, report) : snp_inner(ev, &h, opts, report));
    }
    clave_error_clear();
    if (st == CLAVE_OK) {
        ev->in.nonce = opts->nonce;
        ev->in.nonce_len = opts->nonce != NULL ? opts->nonce_len : 0;
        st = clave__azure_vtpm_steps(&ev->in, report);
    }
    CLAVE_CHECK(clave__attest_settle(report, before, "az.evidence", st));
    CLAVE_CHECK(clave_attest_claim_string(report, "tee", tdx ? "az-tdx-vtpm" : "az-snp-vtpm"));
    st = CLAVE_OK;
done:
    clave__azure_evidence_free(ev);
    return st;
}

clave_status clave__az_snp_verify(const uint8_t *evidence, size_t len,
                                  const struct clave_attest_options *opts,
                                  struct clave_attest_report *report)
{
    return az_verify(evidence, len, HCL_TYPE_SNP, opts, report);
}

clave_status clave__az_tdx_verify(const uint8_t *evidence, size_t len,
                                  const struct clave_attest_options *opts,
                                  struct clave_attest_report *report)
{
    return az_verify(evidence, len, HCL_TYPE_TDX, opts, report);
}

/* Claims only: the hardware report's claims, then the Azure ones. */
static clave_status az_inspect(const uint8_t *evidence, size_t len, uint32_t want,
                               struct clave_attest_report *report)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    static const char no_quote[] = "{}";
    struct azure_evidence *ev = NULL;
    struct azure_hcl h;
    bool tdx = want == HCL_TYPE_TDX;
    if (is_hcl(evidence, len)) {
        CLAVE_CHECK(clave__azure_hcl_parse(evidence, len, &h));
    } else {
        CLAVE_CHECK(parse(evidence, len, (const uint8_t *)no_quote, 2, &ev));
        CLAVE_CHECK(clave__azure_hcl_parse(ev->in.hcl, ev->in.hcl_len, &h));
    }
    CLAVE_ENSURE(h.report_type == want, CLAVE_ERR_FORMAT, "azure: HCL report type %u (want %u)",
                 h.report_type, want);
    if (tdx && ev != NULL && ev->td_quote != NULL) {
        CLAVE_CHECK(clave__tdx_inspect(ev->td_quote, ev->in.td_quote_len, report));
    } else if (!tdx) {
        CLAVE_CHECK(clave__snp_inspect(h.hw_report, h.hw_report_len, report));
    }
    CLAVE_CHECK(clave_attest_claim_string(report, "tee", tdx ? "az-tdx-vtpm" : "az-snp-vtpm"));
    st = CLAVE_OK;
done:
    clave__azure_evidence_free(ev);
    return st;
}

clave_status clave__az_snp_inspect(const uint8_t *evidence, size_t len,
                                   struct clave_attest_report *report)
{
    return az_inspect(evidence, len, HCL_TYPE_SNP, report);
}

clave_status clave__az_tdx_inspect(const uint8_t *evidence, size_t len,
                                   struct clave_attest_report *report)
{
    return az_inspect(evidence, len, HCL_TYPE_TDX, report);
}
