/* SPDX-License-Identifier: Apache-2.0 */
/* Collateral for DCAP verification as loaded, before it is checked against a quote. */
#ifndef CLAVE_ATTEST_DCAP_COLLATERAL_H
#define CLAVE_ATTEST_DCAP_COLLATERAL_H

#include <clave/attest_intel.h>
#include <clave/x509.h>
#include <stddef.h>
#include <stdint.h>

#define DCAP_MAX_DOCS 16
#define DCAP_MAX_CRLS 16
#define DCAP_DOC_SIG_LEN 64

extern const char clave__dcap_intel_root_pem[];

/* A signed PCS document: the exact bytes of the "tcbInfo"/"enclaveIdentity" member text. */
struct dcap_signed_doc {
    char *body; /* NUL-terminated copy */
    size_t body_len;
    uint8_t signature[DCAP_DOC_SIG_LEN]; /* ECDSA P-256 r || s */
};

struct clave_dcap_collateral {
    struct dcap_signed_doc tcb_infos[DCAP_MAX_DOCS];
    size_t tcb_info_count;
    struct dcap_signed_doc qe_identities[DCAP_MAX_DOCS];
    size_t qe_identity_count;
    struct clave_x509_list *certs; /* every issuer-chain certificate (signing cert candidates) */
    struct clave_x509_crl *crls[DCAP_MAX_CRLS];
    size_t crl_count;
    struct clave_x509_list *roots; /* the pinned root */
};

/*
 * Find the member `key` of the top-level JSON object `json` (already validated by a JSON
 * parser) and give its value's exact text span. CLAVE_ERR_NOT_FOUND if absent.
 */
clave_status clave__json_member_span(const char *json, size_t len, const char *key, size_t *start,
                                     size_t *span_len);

#endif
