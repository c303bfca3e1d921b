/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Azure confidential VMs (SEV-SNP and TDX) with a paravisor vTPM: the HCL report binds the
 * vTPM attestation key into the hardware report, and a TPM2 quote signed by that key carries
 * the nonce and the PCRs. Layout of the HCL report (Azure "IGVM attestation report", as read by
 * confidential-containers/trustee az-snp-vtpm / az-tdx-vtpm; little-endian):
 *
 *   0x000 header (32 B): signature "HCLA" | version u32 | report_size u32 | request_type u32 |
 *                        status u32 | reserved[12]
 *   0x020 hardware report (1184 B): SEV-SNP ATTESTATION_REPORT, or a TDREPORT (1024 B, padded)
 *   0x4C0 runtime data header (20 B): data_size u32 | version u32 (1) | report_type u32
 *                        (2 SNP, 4 TDX) | hash_type u32 (1 SHA-256) | var_data_size u32
 *   0x4D4 var data: JSON {"keys": [{"kid": "HCLAkPub", kty RSA, n, e}, {"kid": "HCLEkPub"…}],
 *                        "vm-configuration": {…}, "user-data": hex}
 *
 * Binding: SHA-256(var data) == REPORT_DATA[0..32] of the hardware report (SNP report offset
 * 0x50; TDREPORT REPORTMACSTRUCT.reportdata at 0x80), and for TDX the same value in the TD
 * quote's REPORTDATA. The SNP report's signature and VCEK chain, and the TD quote's DCAP chain,
 * are verified by their own verifiers (clave_azure_hcl_inner_report() hands the report out).
 */
#include "attest/azure_vtpm.h"

#include "attest/dcap_quote.h"
#include "attest/tpm2_quote.h"
#include "core/check.h"
#include "crypto/jwk.h"
#include "crypto/pkey.h"

#include <clave/buf.h>
#include <clave/crypto.h>
#include <clave/encoding.h>
#include <clave/jose.h>
#include <clave/json.h>
#include <stdlib.h>
#include <string.h>

#define HCL_SIGNATURE 0x414c4348u /* "HCLA" */
#define HCL_HEADER_LEN 32
#define HCL_HW_REPORT_LEN 1184
#define HCL_VAR_DATA_MAX (16u * 1024u)
#define HCL_TYPE_SNP 2
#define HCL_TYPE_TDX 4
#define HCL_HASH_SHA256 1
#define SNP_REPORT_DATA_OFF 0x50
#define TDREPORT_DATA_OFF 0x80

clave_status clave__azure_hcl_parse(const uint8_t *data, size_t len, struct azure_hcl *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_reader r;
    struct azure_hcl h;
    uint32_t magic = 0, data_size = 0, version = 0, hash_type = 0, var_size = 0;
    memset(out, 0, sizeof(*out));
    memset(&h, 0, sizeof(h));
    clave_reader_init(&r, data, len);
    CLAVE_CHECK(clave_reader_u32le(&r, &magic));
    CLAVE_ENSURE(magic == HCL_SIGNATURE, CLAVE_ERR_FORMAT, "hcl: signature is not \"HCLA\"");
    CLAVE_CHECK(clave_reader_skip(&r, HCL_HEADER_LEN - 4));
    CLAVE_CHECK(clave_reader_view(&r, HCL_HW_REPORT_LEN, &h.hw_report));
    CLAVE_CHECK(clave_reader_u32le(&r, &data_size));
    CLAVE_CHECK(clave_reader_u32le(&r, &version));
    CLAVE_CHECK(clave_reader_u32le(&r, &h.report_type));
    CLAVE_CHECK(clave_reader_u32le(&r, &hash_type));
    CLAVE_CHECK(clave_reader_u32le(&r, &var_size));
    CLAVE_ENSURE(version == 1, CLAVE_ERR_UNSUPPORTED, "hcl: runtime data version %u", version);
    CLAVE_ENSURE(h.report_type == HCL_TYPE_SNP || h.report_type == HCL_TYPE_TDX,
                 CLAVE_ERR_UNSUPPORTED, "hcl: report type %u", h.report_type);
    CLAVE_ENSURE(hash_type == HCL_HASH_SHA256, CLAVE_ERR_UNSUPPORTED, "hcl: hash type %u",
                 hash_type);
    CLAVE_ENSURE(var_size <= HCL_VAR_DATA_MAX && data_size >= var_size, CLAVE_ERR_FORMAT,
                 "hcl: var data of %u bytes in runtime data of %u", var_size, data_size);
    CLAVE_CHECK(clave_reader_view(&r, var_size, &h.var_data));
    h.var_data_len = var_size;
    h.hw_report_len = h.report_type == HCL_TYPE_SNP ? HCL_HW_REPORT_LEN : 1024;
    *out = h; /* the rest of the 2600-byte buffer is padding */
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_azure_hcl_inner_report(const uint8_t *hcl, size_t len, const uint8_t **report,
                                          size_t *report_len, bool *is_tdx)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct azure_hcl h;
    *report = NULL;
    *report_len = 0;
    *is_tdx = false;
    CLAVE_CHECK(clave__azure_hcl_parse(hcl, len, &h));
    *report = h.hw_report;
    *report_len = h.hw_report_len;
    *is_tdx = h.report_type == HCL_TYPE_TDX;
    st = CLAVE_OK;
done:
    return st;
}

/* The HCLAkPub JWK of the var data as a clave_pkey. */
static clave_status hcl_ak(const struct azure_hcl *h, struct clave_pkey **out, json_t **var)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *keys = NULL;
    json_t *k = NULL;
    size_t i = 0;
    struct clave_jwk *jwk = NULL;
    char *text = NULL;
    const struct clave_json_limits limits = {HCL_VAR_DATA_MAX, 8};
    *out = NULL;
    CLAVE_CHECK(
        clave_json_parse((const char *)h->var_data, h->var_data_len, &limits, "hcl var data", var));
    CLAVE_CHECK(clave_json_get_array(*var, "hcl var data", "keys", true, 8, &keys));
    json_array_foreach (keys, i, k) {
        const char *kid = json_string_value(json_object_get(k, "kid"));
        if (kid != NULL && strcmp(kid, "HCLAkPub") == 0) {
            break;
        }
    }
    CLAVE_ENSURE(i < json_array_size(keys), CLAVE_ERR_NOT_FOUND, "hcl: no HCLAkPub key");
    text = json_dumps(k, JSON_COMPACT);
    CLAVE_ENSURE_ALLOC(text);
    CLAVE_CHECK_CTX(clave_jwk_parse(text, strlen(text), &jwk), "HCLAkPub: ");
    CLAVE_ENSURE(jwk->pkey != NULL && EVP_PKEY_up_ref(jwk->pkey) == 1, CLAVE_ERR_KEY,
                 "HCLAkPub: not an asymmetric key");
    CLAVE_CHECK(clave__pkey_wrap(jwk->pkey, out));
    st = CLAVE_OK;
done:
    free(text);
    clave_jwk_free(jwk);
    return st;
}

static clave_status binding(const struct azure_hcl *h, const uint8_t *td_quote, size_t td_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t digest[CLAVE_SHA256_LEN];
    struct dcap_quote q;
    size_t off = h->report_type == HCL_TYPE_SNP ? SNP_REPORT_DATA_OFF : TDREPORT_DATA_OFF;
    CLAVE_CHECK(
        clave_hash(CLAVE_HASH_SHA256, h->var_data, h->var_data_len, digest, sizeof(digest)));
    CLAVE_ENSURE(memcmp(digest, h->hw_report + off, sizeof(digest)) == 0, // lint:public
                 CLAVE_ERR_SIGNATURE, "hcl: SHA-256(var data) is not the report's REPORT_DATA");
    if (td_quote != NULL) {
        CLAVE_CHECK_CTX(clave__dcap_quote_parse(td_quote, td_len, &q), "td_quote: ");
        CLAVE_ENSURE(q.tee_type == DCAP_TEE_TDX &&
                         memcmp(digest, q.td.report_data, sizeof(digest)) == 0, // lint:public
                     CLAVE_ERR_SIGNATURE, "hcl: TD quote REPORTDATA does not bind the var data");
    }
    st = CLAVE_OK;
done:
    return st;
}

/* var data "user-data" (hex) must start with the nonce (evidence v2). */
static clave_status user_data_nonce(const json_t *var, const uint8_t *nonce, size_t nonce_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const char *hex = NULL;
    uint8_t buf[64];
    size_t n = 0;
    CLAVE_CHECK(clave_json_get_string(var, "hcl var data", "user-data", true, 128, &hex));
    CLAVE_CHECK(clave_hex_decode(hex, strlen(hex), buf, sizeof(buf), &n));
    CLAVE_ENSURE(nonce_len <= n && clave_ct_equal(buf, nonce, nonce_len), CLAVE_ERR_AUTH,
                 "hcl: user-data does not start with the nonce");
    st = CLAVE_OK;
done:
    return st;
}

static void step(struct clave_attest_report *report, const char *name, clave_status st,
                 const char *pass, clave_status *first)
{
    bool ok = st == CLAVE_OK;
    *first = !ok && *first == CLAVE_OK ? st : *first;
    if (clave_attest_report_check(report, name, ok, "%s", ok ? pass : clave_error_last().detail) !=
        CLAVE_OK) {
        *first = *first == CLAVE_OK ? CLAVE_ERR_LIMIT : *first;
    }
}

clave_status clave__azure_vtpm_steps(const struct azure_vtpm_input *in,
                                     struct clave_attest_report *report)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    clave_status first = CLAVE_OK;
    struct azure_hcl h;
    struct clave_pkey *ak = NULL;
    json_t *var = NULL;
    st = clave__azure_hcl_parse(in->hcl, in->hcl_len, &h);
    step(report, "az.hcl_report", st, "HCL report with runtime data", &first);
    CLAVE_CHECK(st);
    bool tdx = h.report_type == HCL_TYPE_TDX;
    CLAVE_CHECK(clave_attest_claim_string(report, "tee", tdx ? "az-tdx-vtpm" : "az-snp-vtpm"));
    CLAVE_CHECK(clave_attest_claim_bytes(report, tdx ? "az.td_report" : "az.snp_report",
                                         h.hw_report, h.hw_report_len));
    CLAVE_CHECK(clave_attest_claim_bytes(
        report, "report_data", h.hw_report + (tdx ? TDREPORT_DATA_OFF : SNP_REPORT_DATA_OFF), 64));
    step(report, "az.runtime_binding", binding(&h, in->td_quote, in->td_quote_len),
         "SHA-256(runtime data) is in the hardware report", &first);
    st = hcl_ak(&h, &ak, &var);
    step(report, "az.ak", st, "vTPM AK (HCLAkPub) from the runtime data", &first);
    if (st == CLAVE_OK && in->check_user_data) {
        step(report, "az.user_data", user_data_nonce(var, in->nonce, in->nonce_len),
             "runtime user-data starts with the nonce", &first);
    }
    if (st == CLAVE_OK) {
        struct clave_tpm2_quote_input q = {
            in->quote, in->quote_len, in->quote_sig, in->quote_sig_len, ak,
            in->nonce, in->nonce_len, in->pcrs,      in->pcrs_len};
        clave_status tpm_st = clave__tpm2_quote_steps(&q, report);
        first = first == CLAVE_OK ? tpm_st : first;
    }
    CLAVE_ENSURE(first == CLAVE_OK, first, "azure vtpm: %s", "a check failed (see the report)");
    st = CLAVE_OK;
done:
    json_decref(var);
    clave_pkey_free(ak);
    return st;
}
