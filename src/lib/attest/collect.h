/* SPDX-License-Identifier: Apache-2.0 */
/* Evidence collection from TEE devices: request encoding and response parsing, testable
 * without the device. */
#ifndef CLAVE_ATTEST_COLLECT_H
#define CLAVE_ATTEST_COLLECT_H

#include <clave/status.h>
#include <stddef.h>
#include <stdint.h>

#define CLAVE_NSM_DEVICE "/dev/nsm"
#define CLAVE_SEV_GUEST_DEVICE "/dev/sev-guest"
#define CLAVE_TSM_REPORT_DIR "/sys/kernel/config/tsm/report"
/* NSM driver limits (aws-nitro-enclaves-nsm-api: NSM_REQUEST_MAX_SIZE / NSM_RESPONSE_MAX_SIZE). */
#define CLAVE_NSM_REQUEST_MAX 0x1000
#define CLAVE_NSM_RESPONSE_MAX 0x3000
/* SNP_GET_REPORT response buffer (struct snp_report_resp.data) and MSG_REPORT_RSP header. */
#define CLAVE_SNP_RESP_LEN 4000
#define CLAVE_SNP_RESP_HEADER_LEN 32

/* CBOR {"Attestation": {"user_data": bstr|null, "nonce": null, "public_key": null}}. */
clave_status clave__nsm_encode_request(const uint8_t *user_data, size_t len, uint8_t *buf,
                                       size_t cap, size_t *out_len)
    __attribute__((warn_unused_result));

/* {"Attestation": {"document": bstr}} -> a copy of the document (caller frees);
 * {"Error": text} -> CLAVE_ERR_IO naming the error. */
clave_status clave__nsm_parse_response(const uint8_t *resp, size_t len, uint8_t **doc,
                                       size_t *doc_len) __attribute__((warn_unused_result));
clave_status clave__nsm_collect(const uint8_t *report_data, size_t len, uint8_t **out,
                                size_t *out_len) __attribute__((warn_unused_result));

/* MSG_REPORT_RSP (SEV-SNP ABI, table "MSG_REPORT_RSP"): u32 status, u32 report_size, 24
 * reserved, report. -> a copy of the report (caller frees). */
clave_status clave__snp_parse_response(const uint8_t *resp, size_t len, uint8_t **report,
                                       size_t *report_len) __attribute__((warn_unused_result));
clave_status clave__snp_collect(const uint8_t *report_data, size_t len, uint8_t **out,
                                size_t *out_len) __attribute__((warn_unused_result));

/* In an existing configfs-tsm entry directory: write inblob, read provider and outblob. */
clave_status clave__tsm_read_entry(const char *entry, const uint8_t *report_data, size_t len,
                                   const char **format, uint8_t **out, size_t *out_len)
    __attribute__((warn_unused_result));
clave_status clave__tsm_collect(const char *base, const uint8_t *report_data, size_t len,
                                const char **format, uint8_t **out, size_t *out_len)
    __attribute__((warn_unused_result));

#endif
