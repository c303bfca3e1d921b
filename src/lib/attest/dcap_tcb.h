/* SPDX-License-Identifier: Apache-2.0 */
/* Intel TCB info and QE identity (PCS v3/v4 JSON) and the TCB level matching of Intel's QVL. */
#ifndef CLAVE_ATTEST_DCAP_TCB_H
#define CLAVE_ATTEST_DCAP_TCB_H

#include "attest/dcap_pck.h"
#include "attest/dcap_quote.h"

#include <clave/status.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DCAP_MAX_TCB_LEVELS 64
#define DCAP_MAX_MODULE_IDS 8
#define DCAP_MAX_MODULE_LEVELS 16
#define DCAP_MAX_QE_LEVELS 32
#define DCAP_MAX_ADVISORIES 48
#define DCAP_ADVISORY_LEN 32 /* "INTEL-SA-00615" with room to spare, NUL included */
#define DCAP_ID_LEN 16

/* Ordered by severity as in Intel's QVL; only ever appended. */
enum dcap_tcb_status {
    DCAP_TCB_UP_TO_DATE = 0,
    DCAP_TCB_SW_HARDENING_NEEDED,
    DCAP_TCB_CONFIGURATION_NEEDED,
    DCAP_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED,
    DCAP_TCB_OUT_OF_DATE,
    DCAP_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED,
    DCAP_TCB_REVOKED,
};

/* A status with its advisory ids, in first-seen order without duplicates. */
struct dcap_status {
    enum dcap_tcb_status status;
    size_t advisory_count;
    char advisories[DCAP_MAX_ADVISORIES][DCAP_ADVISORY_LEN];
};

struct dcap_tcb_level {
    uint8_t sgx[DCAP_SGX_COMPONENTS];
    uint16_t pcesvn;
    uint8_t tdx[DCAP_TEE_TCB_SVN_LEN];
    uint16_t isvsvn; /* TDX module and QE identity levels */
    struct dcap_status status;
};

struct dcap_module_identity {
    char id[DCAP_ID_LEN];
    uint8_t mrsigner[DCAP_MR48_LEN];
    uint8_t attributes[8];
    uint8_t attributes_mask[8];
    size_t level_count;
    struct dcap_tcb_level levels[DCAP_MAX_MODULE_LEVELS];
};

struct dcap_tcb_info {
    char id[DCAP_ID_LEN]; /* "SGX" or "TDX" */
    int64_t version;
    int64_t issue_date;
    int64_t next_update;
    uint8_t fmspc[DCAP_FMSPC_LEN];
    uint8_t pceid[DCAP_PCEID_LEN];
    bool has_module;
    struct dcap_module_identity module; /* tdxModule: no id, no levels */
    size_t module_id_count;
    struct dcap_module_identity module_ids[DCAP_MAX_MODULE_IDS];
    size_t level_count;
    struct dcap_tcb_level levels[DCAP_MAX_TCB_LEVELS];
};

struct dcap_qe_identity {
    char id[DCAP_ID_LEN]; /* "QE" or "TD_QE" */
    int64_t version;
    int64_t issue_date;
    int64_t next_update;
    uint32_t miscselect;
    uint32_t miscselect_mask;
    uint8_t attributes[16];
    uint8_t attributes_mask[16];
    uint8_t mrsigner[DCAP_MR32_LEN];
    uint16_t isvprodid;
    size_t level_count;
    struct dcap_tcb_level levels[DCAP_MAX_QE_LEVELS];
};

/* Parse the signed "tcbInfo" text (borrowed, `len` bytes) into `out` (caller's memory). */
clave_status clave__dcap_tcb_info_parse(const char *json, size_t len, struct dcap_tcb_info *out);

/* Parse the signed "enclaveIdentity" text. */
clave_status clave__dcap_qe_identity_parse(const char *json, size_t len,
                                           struct dcap_qe_identity *out);

/* "2025-06-19T10:16:03Z" to Unix seconds; CLAVE_ERR_FORMAT otherwise. */
clave_status clave__dcap_parse_time(const char *text, int64_t *out);

/* Intel's status string ("ConfigurationAndSWHardeningNeeded"). */
const char *clave__dcap_status_name(enum dcap_tcb_status status);

/*
 * The platform TCB level (Intel QVL): the first level, highest first, whose SGX components and
 * PCESVN are at most the PCK's and, for TDX, whose TDX components are at most TEE_TCB_SVN (from
 * index 2 when a TDX module version is present); for TDX, then the module identity status.
 * CLAVE_ERR_NOT_FOUND: no level matches ("TCB level not supported"); detail says why.
 */
clave_status clave__dcap_tcb_match(const struct dcap_tcb_info *info, const struct dcap_pck_ext *pck,
                                   const struct dcap_quote *quote, struct dcap_status *out);

/* QE identity: MRSIGNER, ISVPRODID, masked MISCSELECT and ATTRIBUTES, then the ISVSVN level. */
clave_status clave__dcap_qe_match(const struct dcap_qe_identity *qe,
                                  const struct dcap_enclave_report *report,
                                  struct dcap_status *out);

/* Intel QVL: fold the QE (or TDX module) status into the platform status; merge advisories. */
void clave__dcap_status_converge(struct dcap_status *platform, const struct dcap_status *other);

/* Comma-separated advisories into `buf` (truncated safely). */
void clave__dcap_advisories_join(const struct dcap_status *status, char *buf, size_t cap);

#endif
