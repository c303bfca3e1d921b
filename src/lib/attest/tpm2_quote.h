/* SPDX-License-Identifier: Apache-2.0 */
/* A parsed TPMS_ATTEST of type TPM_ST_ATTEST_QUOTE (views into the caller's bytes). */
#ifndef CLAVE_ATTEST_TPM2_QUOTE_H
#define CLAVE_ATTEST_TPM2_QUOTE_H

#include <clave/attest_intel.h>
#include <stddef.h>
#include <stdint.h>

#define TPM2_PCR_SELECT_MAX 4 /* 32 PCRs per bank */
#define TPM2_MAX_SELECTED 64

struct tpm2_quote {
    const uint8_t *signer;
    size_t signer_len;
    const uint8_t *extra_data;
    size_t extra_data_len;
    uint64_t clock;
    uint32_t reset_count;
    uint32_t restart_count;
    uint8_t safe;
    uint64_t firmware_version;
    size_t pcr_count; /* selected PCRs in selection order */
    uint16_t pcr_hash[TPM2_MAX_SELECTED];
    uint8_t pcr_index[TPM2_MAX_SELECTED];
    const uint8_t *pcr_digest;
    size_t pcr_digest_len;
};

clave_status clave__tpm2_attest_parse(const uint8_t *data, size_t len, struct tpm2_quote *out);

/* The tpm.* claims of a parsed quote; `values` (may be NULL) are the selected PCR values. */
clave_status clave__tpm2_quote_claims(const struct tpm2_quote *q, const uint8_t *values,
                                      struct clave_attest_report *report)
    __attribute__((warn_unused_result));

/* The tpm.* checks and claims without the "tee" claim (shared with the Azure vTPM verifier). */
clave_status clave__tpm2_quote_steps(const struct clave_tpm2_quote_input *in,
                                     struct clave_attest_report *report);

#endif
