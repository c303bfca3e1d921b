/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The collateral steps of DCAP verification: CRLs (issuer, signature, window, revocation), the
 * TCB info and QE identity (ECDSA P-256 over the exact member text by a TCB Signing certificate
 * chained to the root and not revoked, issueDate <= time <= nextUpdate), then the QE identity
 * match, FMSPC/PCE-ID, the TCB level and the final status (dcap_tcb.c).
 */
#include "attest/dcap_verify.h"

#include "core/check.h"
#include "crypto/x509_internal.h"

#include <clave/encoding.h>
#include <clave/sign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DCAP_ADVISORIES_TEXT_MAX 2048

/* The first CRL of the collateral whose issuer and signature belong to `issuer`. */
static const struct clave_x509_crl *find_crl(const struct clave_dcap_collateral *c,
                                             const struct clave_x509 *issuer)
{
    for (size_t i = 0; i < c->crl_count; i++) {
        if (clave_x509_crl_verify(c->crls[i], issuer) == CLAVE_OK) {
            return c->crls[i];
        }
    }
    return NULL;
}

static clave_status crl_check(const struct dcap_ctx *ctx, const struct clave_x509 *issuer,
                              const struct clave_x509 *subject, const char *label,
                              const struct clave_x509_crl **found)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    int64_t this_update = 0;
    int64_t next_update = 0;
    bool revoked = true;
    char when[32];
    const struct clave_x509_crl *crl = find_crl(ctx->collateral, issuer);
    *found = NULL;
    CLAVE_ENSURE(crl != NULL, CLAVE_ERR_CERT,
                 "no %s with a valid issuer signature in the collateral", label);
    CLAVE_CHECK(clave_x509_crl_this_update(crl, &this_update));
    CLAVE_CHECK_CTX(clave_x509_crl_next_update(crl, &next_update), "%s: ", label);
    clave__dcap_format_time(this_update, when, sizeof(when));
    CLAVE_ENSURE(ctx->at_time >= this_update, CLAVE_ERR_EXPIRED, "%s not valid before %s", label,
                 when);
    clave__dcap_format_time(next_update, when, sizeof(when));
    CLAVE_ENSURE(ctx->at_time <= next_update, CLAVE_ERR_EXPIRED, "%s expired: nextUpdate %s", label,
                 when);
    CLAVE_CHECK(clave_x509_crl_is_revoked(crl, subject, &revoked));
    CLAVE_ENSURE(!revoked, CLAVE_ERR_REVOKED, "certificate revoked by the %s", label);
    *found = crl;
    st = CLAVE_OK;
done:
    return st;
}

/* A TCB Signing certificate from the collateral that signed `doc` and chains to the root now. */
static clave_status doc_signature(const struct dcap_ctx *ctx, const struct dcap_signed_doc *doc,
                                  const char *label)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    clave_status chain_st = CLAVE_ERR_SIGNATURE;
    char chain_detail[CLAVE_ATTEST_DETAIL_MAX] = "";
    const struct clave_x509_list *certs = ctx->collateral->certs;
    bool revoked = false;
    for (size_t i = 0; i < clave_x509_list_count(certs) && chain_st != CLAVE_OK; i++) {
        const struct clave_x509 *cert = clave_x509_list_get(certs, i);
        struct clave_pkey *key = NULL;
        bool signed_by =
            clave__x509_public_key(cert, &key) == CLAVE_OK &&
            clave_pkey_type(key) == CLAVE_PKEY_P256 &&
            clave_ecdsa_verify(key, CLAVE_SIG_RAW, (const uint8_t *)doc->body, doc->body_len,
                               doc->signature, DCAP_DOC_SIG_LEN) == CLAVE_OK;
        clave_pkey_free(key);
        if (signed_by) {
            chain_st = clave__dcap_cert_window(cert, ctx->at_time, "TCB Signing certificate");
            chain_st = chain_st == CLAVE_OK
                           ? clave__dcap_chain_to_root(ctx, cert, NULL, "TCB Signing certificate")
                           : chain_st;
            revoked =
                chain_st == CLAVE_OK && ctx->root_crl != NULL &&
                (clave_x509_crl_is_revoked(ctx->root_crl, cert, &revoked) != CLAVE_OK || revoked);
            chain_st = revoked ? CLAVE_ERR_REVOKED : chain_st;
            (void)snprintf(chain_detail, sizeof(chain_detail), "%s",
                           revoked ? "TCB Signing certificate revoked by the root CA CRL"
                                   : clave_error_last().detail);
        }
    }
    CLAVE_ENSURE(chain_st != CLAVE_ERR_SIGNATURE || chain_detail[0] != '\0', CLAVE_ERR_SIGNATURE,
                 "%s signature does not verify under any TCB Signing certificate", label);
    CLAVE_ENSURE(chain_st == CLAVE_OK, chain_st, "%s", chain_detail);
    st = CLAVE_OK;
done:
    return st;
}

static clave_status doc_window(int64_t at_time, int64_t issue, int64_t next, const char *label)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char when[32];
    clave__dcap_format_time(issue, when, sizeof(when));
    CLAVE_ENSURE(at_time >= issue, CLAVE_ERR_EXPIRED, "%s not valid before issueDate %s", label,
                 when);
    clave__dcap_format_time(next, when, sizeof(when));
    CLAVE_ENSURE(at_time <= next, CLAVE_ERR_EXPIRED, "%s expired: nextUpdate %s", label, when);
    st = CLAVE_OK;
done:
    return st;
}

/* Pick the TCB info for the quote (id, then FMSPC), verify it and parse it into `info`. */
static clave_status tcb_info_step(const struct dcap_ctx *ctx, struct dcap_tcb_info *info)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    clave_status parse_st = CLAVE_ERR_NOT_FOUND;
    const struct clave_dcap_collateral *c = ctx->collateral;
    const char *want = ctx->quote->tee_type == DCAP_TEE_TDX ? "TDX" : "SGX";
    size_t pick = SIZE_MAX;
    for (size_t i = 0; i < c->tcb_info_count; i++) {
        parse_st = clave__dcap_tcb_info_parse(c->tcb_infos[i].body, c->tcb_infos[i].body_len, info);
        if (parse_st != CLAVE_OK || strcmp(info->id, want) != 0) {
            continue;
        }
        pick = pick == SIZE_MAX ? i : pick;
        if (ctx->have_pck &&
            memcmp(info->fmspc, ctx->pck.fmspc, DCAP_FMSPC_LEN) == 0) { // lint:public
            pick = i;
            break;
        }
    }
    CLAVE_ENSURE(pick != SIZE_MAX, parse_st == CLAVE_OK ? CLAVE_ERR_NOT_FOUND : parse_st,
                 "no usable %s tcbInfo in the collateral", want);
    const struct dcap_signed_doc *doc = &c->tcb_infos[pick];
    CLAVE_CHECK(doc_signature(ctx, doc, "tcbInfo"));
    CLAVE_CHECK(clave__dcap_tcb_info_parse(doc->body, doc->body_len, info));
    CLAVE_CHECK(doc_window(ctx->at_time, info->issue_date, info->next_update, "tcbInfo"));
    st = CLAVE_OK;
done:
    return st;
}

static clave_status qe_identity_step(const struct dcap_ctx *ctx, struct dcap_qe_identity *qe)
{
    clave_status st = CLAVE_ERR_NOT_FOUND;
    const struct clave_dcap_collateral *c = ctx->collateral;
    const char *want = ctx->quote->tee_type == DCAP_TEE_TDX ? "TD_QE" : "QE";
    size_t pick = 0;
    for (pick = 0; pick < c->qe_identity_count; pick++) {
        const struct dcap_signed_doc *d = &c->qe_identities[pick];
        st = clave__dcap_qe_identity_parse(d->body, d->body_len, qe);
        if (st == CLAVE_OK && strcmp(qe->id, want) == 0) {
            break;
        }
    }
    CLAVE_ENSURE(pick < c->qe_identity_count, st == CLAVE_OK ? CLAVE_ERR_NOT_FOUND : st,
                 "no usable %s identity in the collateral", want);
    CLAVE_CHECK(doc_signature(ctx, &c->qe_identities[pick], "QE identity"));
    CLAVE_CHECK(doc_window(ctx->at_time, qe->issue_date, qe->next_update, "QE identity"));
    st = CLAVE_OK;
done:
    return st;
}

static clave_status fmspc_step(const struct dcap_ctx *ctx, const struct dcap_tcb_info *info)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char pck[2 * DCAP_FMSPC_LEN + 1] = "";
    char tcb[2 * DCAP_FMSPC_LEN + 1] = "";
    CLAVE_CHECK(clave_hex_encode(ctx->pck.fmspc, DCAP_FMSPC_LEN, pck, sizeof(pck)));
    CLAVE_CHECK(clave_hex_encode(info->fmspc, DCAP_FMSPC_LEN, tcb, sizeof(tcb)));
    CLAVE_ENSURE(memcmp(ctx->pck.fmspc, info->fmspc, DCAP_FMSPC_LEN) == 0, // lint:public
                 CLAVE_ERR_FORMAT, "PCK FMSPC %s differs from tcbInfo FMSPC %s", pck, tcb);
    CLAVE_ENSURE(memcmp(ctx->pck.pceid, info->pceid, DCAP_PCEID_LEN) == 0, // lint:public
                 CLAVE_ERR_FORMAT, "PCK PCE-ID differs from tcbInfo pceId");
    st = CLAVE_OK;
done:
    return st;
}

static clave_status status_claims(struct dcap_ctx *ctx, const struct dcap_status *final)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char *text = malloc(DCAP_ADVISORIES_TEXT_MAX);
    CLAVE_ENSURE_ALLOC(text);
    clave__dcap_advisories_join(final, text, DCAP_ADVISORIES_TEXT_MAX);
    CLAVE_CHECK(clave_attest_claim_string(ctx->report, "tcb_status",
                                          clave__dcap_status_name(final->status)));
    CLAVE_CHECK(clave_attest_claim_string(ctx->report, "advisories", text));
    st = CLAVE_OK;
done:
    free(text);
    return st;
}

/* QE identity match, FMSPC, TCB level, final status. */
static void match_steps(struct dcap_ctx *ctx, const struct dcap_tcb_info *info, bool info_ok,
                        const struct dcap_qe_identity *qe, bool qe_ok)
{
    struct dcap_status qe_status;
    struct dcap_status platform;
    clave_status st = CLAVE_ERR_STATE;
    if (qe_ok) {
        st = clave__dcap_qe_match(qe, &ctx->quote->qe_report, &qe_status);
        clave__dcap_step(ctx, "dcap.qe_tcb", st, "QE ISVSVN %u: %s", ctx->quote->qe_report.isvsvn,
                         clave__dcap_status_name(qe_status.status));
        qe_ok = st == CLAVE_OK;
    }
    if (!info_ok || !ctx->have_pck) {
        return;
    }
    clave__dcap_step(ctx, "dcap.fmspc", fmspc_step(ctx, info), "PCK FMSPC matches tcbInfo");
    st = clave__dcap_tcb_match(info, &ctx->pck, ctx->quote, &platform);
    clave__dcap_step(ctx, "dcap.tcb_level", st, "platform TCB level %s",
                     clave__dcap_status_name(platform.status));
    if (st != CLAVE_OK || !qe_ok) {
        return;
    }
    clave__dcap_status_converge(&platform, &qe_status);
    st = status_claims(ctx, &platform);
    if (st == CLAVE_OK && platform.status == DCAP_TCB_REVOKED) {
        clave_error_clear();
        st = CLAVE_ERR_REVOKED;
        clave__dcap_step(ctx, "dcap.tcb_status", st, "%s", "");
        return;
    }
    clave__dcap_step(ctx, "dcap.tcb_status", st, "%s (%zu advisories)",
                     clave__dcap_status_name(platform.status), platform.advisory_count);
}

void clave__dcap_collateral_steps(struct dcap_ctx *ctx)
{
    const struct clave_dcap_collateral *c = ctx->collateral;
    const struct clave_x509_crl *pck_crl = NULL;
    struct dcap_tcb_info *info = NULL;
    struct dcap_qe_identity *qe = NULL;
    clave_status st = CLAVE_ERR_ARG;
    if (c == NULL) {
        clave__error_set(st, __FILE__, __LINE__,
                         "no collateral given (TCB info, QE identity, CRLs): TCB status unknown");
        clave__dcap_step(ctx, "dcap.collateral", st, "%s", "");
        return;
    }
    if (ctx->pck_leaf != NULL) {
        st = crl_check(ctx, clave_x509_list_get(c->roots, 0), ctx->pck_ca, "root CA CRL",
                       &ctx->root_crl);
        clave__dcap_step(ctx, "dcap.root_crl", st, "%s not revoked", ctx->pck_ca_name);
        st = crl_check(ctx, ctx->pck_ca, ctx->pck_leaf, "PCK CRL", &pck_crl);
        clave__dcap_step(ctx, "dcap.pck_crl", st, "PCK leaf not revoked");
    }
    info = calloc(1, sizeof(*info));
    qe = calloc(1, sizeof(*qe));
    if (info == NULL || qe == NULL) {
        clave__dcap_step(ctx, "dcap.collateral", CLAVE_ERR_NOMEM, "%s", "");
        goto done;
    }
    clave_status info_st = tcb_info_step(ctx, info);
    char until[32];
    clave__dcap_format_time(info->next_update, until, sizeof(until));
    clave__dcap_step(ctx, "dcap.tcb_info", info_st, "%s tcbInfo v%lld signed, nextUpdate %s",
                     info->id, (long long)info->version, until);
    clave_status qe_st = qe_identity_step(ctx, qe);
    clave__dcap_format_time(qe->next_update, until, sizeof(until));
    clave__dcap_step(ctx, "dcap.qe_identity", qe_st, "%s identity signed, nextUpdate %s", qe->id,
                     until);
    match_steps(ctx, info, info_st == CLAVE_OK, qe, qe_st == CLAVE_OK);
done:
    free(info);
    free(qe);
}
