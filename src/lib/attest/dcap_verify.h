/* SPDX-License-Identifier: Apache-2.0 */
/* State shared by the steps of DCAP verification (dcap_verify.c, dcap_chain.c, dcap_appraise.c). */
#ifndef CLAVE_ATTEST_DCAP_VERIFY_H
#define CLAVE_ATTEST_DCAP_VERIFY_H

#include "attest/dcap_collateral.h"
#include "attest/dcap_pck.h"
#include "attest/dcap_quote.h"
#include "attest/dcap_tcb.h"

#include <clave/attest_intel.h>
#include <clave/x509.h>

struct dcap_ctx {
    const struct dcap_quote *quote;
    const struct clave_dcap_collateral *collateral;
    int64_t at_time;
    struct clave_attest_report *report;
    /* PCK chain from the quote's certification data */
    struct clave_x509_list *pck_chain;
    const struct clave_x509 *pck_leaf; /* set once the chain verified */
    const struct clave_x509 *pck_ca;
    char pck_ca_name[64];
    struct dcap_pck_ext pck;
    bool have_pck;
    /* CRLs found to be issued by the root and by the PCK CA */
    const struct clave_x509_crl *root_crl;
    /* outcome */
    clave_status first;
    char first_name[CLAVE_ATTEST_NAME_MAX];
    char first_detail[CLAVE_ATTEST_DETAIL_MAX];
    clave_status report_status;
};

/* Record a step: PASS with the printf-style detail, or FAIL with the last error's detail. */
void clave__dcap_step(struct dcap_ctx *ctx, const char *name, clave_status st, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Unix seconds as "2025-06-19T10:16:03Z". */
void clave__dcap_format_time(int64_t t, char *buf, size_t cap);

/* CLAVE_ERR_EXPIRED naming `label` unless notBefore <= at_time <= notAfter. */
clave_status clave__dcap_cert_window(const struct clave_x509 *cert, int64_t at_time,
                                     const char *label);

/* Chain `cert` (with `untrusted` intermediates, may be NULL) to the pinned root at the time. */
clave_status clave__dcap_chain_to_root(const struct dcap_ctx *ctx, const struct clave_x509 *cert,
                                       const struct clave_x509_list *untrusted, const char *label);

/* Parse and verify the quote's PCK chain; sets pck_chain, pck_leaf, pck_ca. */
clave_status clave__dcap_pck_chain(struct dcap_ctx *ctx);

/* The collateral steps: CRLs, TCB info, QE identity, TCB matching and status. */
void clave__dcap_collateral_steps(struct dcap_ctx *ctx);

#endif
