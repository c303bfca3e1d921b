/* SPDX-License-Identifier: Apache-2.0 */
/* Claims of a parsed DCAP quote under the common names of include/clave/attest.h. */
#include "attest/dcap_quote.h"

#include "core/check.h"

#include <stdio.h>

/* TDX module 1.5 ABI, TDATTRIBUTES bit 0: DEBUG. SGX ATTRIBUTES.FLAGS bit 1: DEBUG. */
#define TD_ATTR_DEBUG 0x01u
#define SGX_FLAG_DEBUG 0x02u

static clave_status td_claims(const struct dcap_td_report *t, struct clave_attest_report *rep)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char name[16];
    CLAVE_CHECK(clave_attest_claim_string(rep, "tee", "tdx"));
    CLAVE_CHECK(clave_attest_claim_bytes(rep, "measurement", t->mrtd, DCAP_MR48_LEN));
    CLAVE_CHECK(clave_attest_claim_bytes(rep, "report_data", t->report_data, DCAP_REPORT_DATA_LEN));
    CLAVE_CHECK(clave_attest_claim_bool(rep, "debug", (t->td_attributes[0] & TD_ATTR_DEBUG) != 0));
    CLAVE_CHECK(clave_attest_claim_bytes(rep, "tdx.mrtd", t->mrtd, DCAP_MR48_LEN));
    CLAVE_CHECK(clave_attest_claim_bytes(rep, "tdx.tee_tcb_svn", t->tee_tcb_svn, 16));
    CLAVE_CHECK(clave_attest_claim_bytes(rep, "tdx.mrseam", t->mrseam, DCAP_MR48_LEN));
    CLAVE_CHECK(clave_attest_claim_bytes(rep, "tdx.mrsignerseam", t->mrsignerseam, DCAP_MR48_LEN));
    CLAVE_CHECK(clave_attest_claim_bytes(rep, "tdx.seam_attributes", t->seam_attributes, 8));
    CLAVE_CHECK(clave_attest_claim_bytes(rep, "tdx.td_attributes", t->td_attributes, 8));
    CLAVE_CHECK(clave_attest_claim_bytes(rep, "tdx.xfam", t->xfam, 8));
    CLAVE_CHECK(clave_attest_claim_bytes(rep, "tdx.mrconfigid", t->mrconfigid, DCAP_MR48_LEN));
    CLAVE_CHECK(clave_attest_claim_bytes(rep, "tdx.mrowner", t->mrowner, DCAP_MR48_LEN));
    CLAVE_CHECK(
        clave_attest_claim_bytes(rep, "tdx.mrownerconfig", t->mrownerconfig, DCAP_MR48_LEN));
    /* TEE_TCB_SVN byte by byte, as TCB info's tdxtcbcomponents compares them: "min" checks. */
    for (size_t i = 0; i < DCAP_TEE_TCB_SVN_LEN; i++) {
        (void)snprintf(name, sizeof(name), "tdx.tcb_svn.%zu", i);
        CLAVE_CHECK(clave_attest_claim_int(rep, name, t->tee_tcb_svn[i]));
    }
    for (size_t i = 0; i < 4; i++) {
        (void)snprintf(name, sizeof(name), "tdx.rtmr%zu", i);
        CLAVE_CHECK(clave_attest_claim_bytes(rep, name, t->rtmr[i], DCAP_MR48_LEN));
    }
    if (t->mrservicetd != NULL) {
        CLAVE_CHECK(clave_attest_claim_bytes(rep, "tdx.tee_tcb_svn2", t->tee_tcb_svn2, 16));
        CLAVE_CHECK(clave_attest_claim_bytes(rep, "tdx.mrservicetd", t->mrservicetd, 48));
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status sgx_claims(const struct dcap_enclave_report *e, struct clave_attest_report *rep)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_CHECK(clave_attest_claim_string(rep, "tee", "sgx"));
    CLAVE_CHECK(clave_attest_claim_bytes(rep, "measurement", e->mrenclave, DCAP_MR32_LEN));
    CLAVE_CHECK(clave_attest_claim_bytes(rep, "report_data", e->report_data, DCAP_REPORT_DATA_LEN));
    CLAVE_CHECK(clave_attest_claim_bool(rep, "debug", (e->attributes[0] & SGX_FLAG_DEBUG) != 0));
    CLAVE_CHECK(clave_attest_claim_bytes(rep, "sgx.mrenclave", e->mrenclave, DCAP_MR32_LEN));
    CLAVE_CHECK(clave_attest_claim_bytes(rep, "sgx.mrsigner", e->mrsigner, DCAP_MR32_LEN));
    CLAVE_CHECK(clave_attest_claim_int(rep, "sgx.isvprodid", e->isvprodid));
    CLAVE_CHECK(clave_attest_claim_int(rep, "sgx.isvsvn", e->isvsvn));
    CLAVE_CHECK(clave_attest_claim_bytes(rep, "sgx.attributes", e->attributes, 16));
    CLAVE_CHECK(clave_attest_claim_int(rep, "sgx.miscselect", e->miscselect));
    CLAVE_CHECK(clave_attest_claim_bytes(rep, "sgx.cpusvn", e->cpusvn, DCAP_CPUSVN_LEN));
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave__dcap_quote_claims(const struct dcap_quote *q, struct clave_attest_report *rep)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_CHECK(clave_attest_claim_int(rep, "dcap.version", q->version));
    if (q->tee_type == DCAP_TEE_TDX) {
        CLAVE_CHECK(td_claims(&q->td, rep));
    } else {
        CLAVE_CHECK(sgx_claims(&q->enclave, rep));
    }
    CLAVE_CHECK(clave_attest_claim_int(rep, "dcap.qe_isvsvn", q->qe_report.isvsvn));
    st = CLAVE_OK;
done:
    return st;
}
