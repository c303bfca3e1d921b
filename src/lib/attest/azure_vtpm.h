/* SPDX-License-Identifier: Apache-2.0 */
/* Azure vTPM evidence: the HCL report and the inputs of its verification. */
#ifndef CLAVE_ATTEST_AZURE_VTPM_H
#define CLAVE_ATTEST_AZURE_VTPM_H

#include <clave/attest_intel.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct azure_hcl {
    const uint8_t *hw_report; /* SNP report (1184 B) or TDREPORT (1024 B) */
    size_t hw_report_len;
    uint32_t report_type; /* 2 SNP, 4 TDX */
    const uint8_t *var_data;
    size_t var_data_len;
};

struct azure_vtpm_input {
    const uint8_t *hcl;
    size_t hcl_len;
    const uint8_t *quote; /* TPMS_ATTEST */
    size_t quote_len;
    const uint8_t *quote_sig; /* bare RSA signature */
    size_t quote_sig_len;
    const uint8_t *pcrs; /* 24 SHA-256 PCR values */
    size_t pcrs_len;
    const uint8_t *td_quote; /* TDX only, may be NULL */
    size_t td_quote_len;
    const uint8_t *nonce;
    size_t nonce_len;
    bool check_user_data; /* evidence v2: runtime user-data starts with the nonce */
};

#define AZ_PCR_COUNT 24
#define AZ_SIG_MAX 1024
#define AZ_MSG_MAX 1024

struct az_quote_bufs {
    uint8_t sig[AZ_SIG_MAX];
    uint8_t msg[AZ_MSG_MAX];
    uint8_t pcrs[AZ_PCR_COUNT * 32];
};

/* Parsed Azure evidence: `in` points into the owned buffers (and, for the split form, into the
 * caller's HCL bytes); nonce fields are left for the caller. */
struct azure_evidence {
    struct azure_vtpm_input in;
    struct az_quote_bufs *bufs;
    uint8_t *hcl;
    uint8_t *td_quote;
    uint8_t *vcek; /* the evidence's "vcek": DER or PEM bytes; NULL if absent */
    size_t vcek_len;
};

/* The JSON evidence form (see azure_evidence.c). Caller frees with clave__azure_evidence_free. */
clave_status clave__azure_evidence_parse(const char *json, size_t len, struct azure_evidence **out)
    __attribute__((warn_unused_result));

/* The split form: HCL report bytes (borrowed, must outlive `*out`) and the "tpm_quote" JSON. */
clave_status clave__azure_parts_parse(const uint8_t *hcl, size_t hcl_len, const char *quote_json,
                                      size_t quote_len, struct azure_evidence **out)
    __attribute__((warn_unused_result));

void clave__azure_evidence_free(struct azure_evidence *ev);

clave_status clave__azure_hcl_parse(const uint8_t *data, size_t len, struct azure_hcl *out);

clave_status clave__azure_vtpm_steps(const struct azure_vtpm_input *in,
                                     struct clave_attest_report *report);

#endif
