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

clave_status clave__azure_hcl_parse(const uint8_t *data, size_t len, struct azure_hcl *out);

clave_status clave__azure_vtpm_steps(const struct azure_vtpm_input *in,
                                     struct clave_attest_report *report);

#endif
