/* SPDX-License-Identifier: Apache-2.0 */
/* Intel DCAP quote v3 (SGX), v4 and v5 (TDX) parsed into views over the caller's bytes. */
#ifndef CLAVE_ATTEST_DCAP_QUOTE_H
#define CLAVE_ATTEST_DCAP_QUOTE_H

#include <clave/attest.h>
#include <clave/status.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DCAP_HEADER_LEN 48
#define DCAP_SGX_REPORT_LEN 384
#define DCAP_TD10_REPORT_LEN 584
#define DCAP_TD15_REPORT_LEN 648
#define DCAP_ECDSA_SIG_LEN 64
#define DCAP_ATT_KEY_LEN 64
#define DCAP_QE_VENDOR_LEN 16
#define DCAP_REPORT_DATA_LEN 64
#define DCAP_CPUSVN_LEN 16
#define DCAP_TEE_TCB_SVN_LEN 16
#define DCAP_MR48_LEN 48
#define DCAP_MR32_LEN 32
#define DCAP_QE_AUTH_MAX_LEN 4096
#define DCAP_CERT_DATA_MAX_LEN (32u * 1024u)

enum dcap_tee {
    DCAP_TEE_SGX = 0x00000000,
    DCAP_TEE_TDX = 0x00000081,
};

/* An SGX REPORT body (Intel SDM / SGX ECDSA Quote Library API, "Enclave Report", 384 bytes). */
struct dcap_enclave_report {
    const uint8_t *raw; /* the 384 bytes */
    const uint8_t *cpusvn;
    uint32_t miscselect;
    const uint8_t *attributes; /* 16 bytes: flags (u64 LE) || xfrm (u64 LE) */
    const uint8_t *mrenclave;
    const uint8_t *mrsigner;
    uint16_t isvprodid;
    uint16_t isvsvn;
    const uint8_t *report_data;
};

/* A TD report body (TDX DCAP Quoting Library API, "TD Quote Body" 1.0 and 1.5). */
struct dcap_td_report {
    const uint8_t *tee_tcb_svn;
    const uint8_t *mrseam;
    const uint8_t *mrsignerseam;
    const uint8_t *seam_attributes;
    const uint8_t *td_attributes;
    const uint8_t *xfam;
    const uint8_t *mrtd;
    const uint8_t *mrconfigid;
    const uint8_t *mrowner;
    const uint8_t *mrownerconfig;
    const uint8_t *rtmr[4];
    const uint8_t *report_data;
    const uint8_t *tee_tcb_svn2; /* TDX 1.5 only, else NULL */
    const uint8_t *mrservicetd;  /* TDX 1.5 only, else NULL */
};

struct dcap_quote {
    uint16_t version;
    uint16_t att_key_type;
    uint32_t tee_type;
    const uint8_t *qe_vendor_id;
    uint16_t body_type;                 /* v5 only: 1 SGX, 2 TD 1.0, 3 TD 1.5; else 0 */
    struct dcap_enclave_report enclave; /* SGX */
    struct dcap_td_report td;           /* TDX */
    const uint8_t *signed_data;         /* header || body (|| v5 type and size) */
    size_t signed_len;
    const uint8_t *signature; /* 64 bytes r || s */
    const uint8_t *att_key;   /* 64 bytes X || Y */
    struct dcap_enclave_report qe_report;
    const uint8_t *qe_report_signature; /* 64 bytes */
    const uint8_t *qe_auth;
    size_t qe_auth_len;
    const uint8_t *pck_chain_pem; /* certification data type 5 */
    size_t pck_chain_len;
    size_t used_len; /* bytes up to the end of the signature data; the rest is padding */
};

/* Parse `len` bytes (borrowed; the views point into them). */
clave_status clave__dcap_quote_parse(const uint8_t *data, size_t len, struct dcap_quote *out);

/* Record the quote's claims (tee, measurement, report_data, debug, tdx.* / sgx.*). */
clave_status clave__dcap_quote_claims(const struct dcap_quote *q,
                                      struct clave_attest_report *report);

#endif
