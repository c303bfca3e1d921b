/* SPDX-License-Identifier: Apache-2.0 */
/*
 * DCAP quote verification, in the order of Intel's QVL (QuoteVerifier::verify) and dcap-qvl:
 *  dcap.parse, dcap.quote_signature (attestation key over header || body), dcap.pck_chain
 *  (PCK leaf -> PCK Platform/Processor CA -> pinned Intel SGX Root CA at the given time),
 *  dcap.qe_report_signature (PCK key over the 384-byte QE report), dcap.qe_report_data
 *  (SHA-256(attestation key || QE auth data) || 32 zero bytes), dcap.pck_extension, then with
 *  collateral: dcap.root_crl, dcap.pck_crl, dcap.tcb_info, dcap.qe_identity (signature over
 *  the exact JSON text by a TCB Signing certificate chained to the root, issueDate/nextUpdate),
 *  dcap.qe_tcb (QE identity match), dcap.fmspc, dcap.tcb_level, dcap.tcb_status.
 * Each step is recorded in the report; independent steps still run after a failure so that the
 * report shows everything that is wrong, and the first failure decides the returned status.
 */
#include "attest/dcap_verify.h"

#include "core/check.h"
#include "crypto/x509_internal.h"

#include <clave/crypto.h>
#include <clave/encoding.h>
#include <clave/sign.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void clave__dcap_step(struct dcap_ctx *ctx, const char *name, clave_status st, const char *fmt, ...)
{
    char detail[CLAVE_ATTEST_DETAIL_MAX];
    if (st == CLAVE_OK) {
        va_list ap;
        va_start(ap, fmt);
        (void)vsnprintf(detail, sizeof(detail), fmt, ap);
        va_end(ap);
    } else {
        (void)snprintf(detail, sizeof(detail), "%s", clave_error_last().detail);
        if (ctx->first == CLAVE_OK) {
            ctx->first = st;
            (void)snprintf(ctx->first_name, sizeof(ctx->first_name), "%s", name);
            (void)snprintf(ctx->first_detail, sizeof(ctx->first_detail), "%s", detail);
        }
    }
    if (clave_attest_report_check(ctx->report, name, st == CLAVE_OK, "%s", detail) != CLAVE_OK &&
        ctx->report_status == CLAVE_OK) {
        ctx->report_status = CLAVE_ERR_LIMIT;
    }
}

void clave__dcap_format_time(int64_t t, char *buf, size_t cap)
{
    struct tm tm;
    time_t tt = (time_t)t;
    if (gmtime_r(&tt, &tm) == NULL || strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
        (void)snprintf(buf, cap, "%lld", (long long)t);
    }
}

static clave_status quote_signature(const struct dcap_quote *q)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_pkey *key = NULL;
    uint8_t point[CLAVE_P256_POINT_LEN];
    point[0] = 0x04;
    memcpy(point + 1, q->att_key, DCAP_ATT_KEY_LEN);
    CLAVE_CHECK_CTX(clave_pkey_from_raw_public(CLAVE_PKEY_P256, point, sizeof(point), &key),
                    "attestation key: ");
    CLAVE_CHECK_CTX(clave_ecdsa_verify(key, CLAVE_SIG_RAW, q->signed_data, q->signed_len,
                                       q->signature, DCAP_ECDSA_SIG_LEN),
                    "quote signature by the attestation key: ");
    st = CLAVE_OK;
done:
    clave_pkey_free(key);
    return st;
}

static clave_status qe_report_signature(const struct dcap_quote *q, const struct clave_x509 *pck)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_pkey *key = NULL;
    CLAVE_CHECK_CTX(clave__x509_public_key(pck, &key), "PCK key: ");
    CLAVE_ENSURE(clave_pkey_type(key) == CLAVE_PKEY_P256, CLAVE_ERR_KEY, "PCK key is not P-256");
    CLAVE_CHECK_CTX(clave_ecdsa_verify(key, CLAVE_SIG_RAW, q->qe_report.raw, DCAP_SGX_REPORT_LEN,
                                       q->qe_report_signature, DCAP_ECDSA_SIG_LEN),
                    "QE report signature by the PCK key: ");
    st = CLAVE_OK;
done:
    clave_pkey_free(key);
    return st;
}

/* QE REPORTDATA = SHA-256(attestation key || QE auth data) || 32 zero bytes. */
static clave_status qe_report_data(const struct dcap_quote *q)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_hash_ctx *h = NULL;
    uint8_t digest[CLAVE_SHA256_LEN];
    static const uint8_t zeros[32];
    CLAVE_CHECK(clave_hash_new(CLAVE_HASH_SHA256, &h));
    CLAVE_CHECK(clave_hash_update(h, q->att_key, DCAP_ATT_KEY_LEN));
    CLAVE_CHECK(clave_hash_update(h, q->qe_auth, q->qe_auth_len));
    CLAVE_CHECK(clave_hash_final(h, digest, sizeof(digest)));
    CLAVE_ENSURE(memcmp(digest, q->qe_report.report_data, 32) == 0, // lint:public
                 CLAVE_ERR_SIGNATURE,
                 "QE report data is not SHA-256(attestation key || QE auth data)");
    CLAVE_ENSURE(memcmp(zeros, q->qe_report.report_data + 32, 32) == 0, // lint:public
                 CLAVE_ERR_SIGNATURE, "QE report data bytes 32..63 are not zero");
    st = CLAVE_OK;
done:
    clave_hash_free(h);
    return st;
}

/* The quote-only steps: signatures, PCK chain, QE binding, PCK extension. */
static void quote_steps(struct dcap_ctx *ctx)
{
    const struct dcap_quote *q = ctx->quote;
    clave__dcap_step(ctx, "dcap.quote_signature", quote_signature(q),
                     "ECDSA P-256 by the attestation key over %zu bytes", q->signed_len);
    clave_status st = clave__dcap_pck_chain(ctx);
    clave__dcap_step(ctx, "dcap.pck_chain", st, "PCK leaf -> %s -> Intel SGX Root CA",
                     ctx->pck_ca_name);
    if (ctx->pck_leaf == NULL) {
        return;
    }
    clave__dcap_step(ctx, "dcap.qe_report_signature", qe_report_signature(q, ctx->pck_leaf),
                     "ECDSA P-256 by the PCK key over the QE report");
    clave__dcap_step(ctx, "dcap.qe_report_data", qe_report_data(q),
                     "SHA-256(attestation key || %zu bytes of QE auth data)", q->qe_auth_len);
    st = clave__dcap_pck_ext(ctx->pck_leaf, &ctx->pck);
    ctx->have_pck = st == CLAVE_OK;
    char fmspc[2 * DCAP_FMSPC_LEN + 1] = "";
    if (ctx->have_pck &&
        clave_hex_encode(ctx->pck.fmspc, DCAP_FMSPC_LEN, fmspc, sizeof(fmspc)) != CLAVE_OK) {
        fmspc[0] = '\0';
    }
    clave__dcap_step(ctx, "dcap.pck_extension", st, "FMSPC %s, PCESVN %u", fmspc, ctx->pck.pcesvn);
}

static clave_status finish(struct dcap_ctx *ctx)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(ctx->report_status == CLAVE_OK, ctx->report_status, "dcap: the report is full");
    CLAVE_ENSURE(ctx->first == CLAVE_OK, ctx->first, "%s: %s", ctx->first_name, ctx->first_detail);
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_dcap_verify(const uint8_t *quote, size_t len,
                               const struct clave_dcap_collateral *collateral, int64_t at_time,
                               struct clave_attest_report *report)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct dcap_quote q;
    struct dcap_ctx ctx;
    memset(&ctx, 0, sizeof(ctx));
    ctx.quote = &q;
    ctx.collateral = collateral;
    ctx.at_time = at_time;
    ctx.report = report;
    CLAVE_ENSURE(quote != NULL && report != NULL, CLAVE_ERR_ARG, "dcap: NULL argument");
    CLAVE_ENSURE(len <= CLAVE_DCAP_QUOTE_MAX_LEN, CLAVE_ERR_TOO_LARGE,
                 "dcap: quote of %zu bytes exceeds %u", len, CLAVE_DCAP_QUOTE_MAX_LEN);
    st = clave__dcap_quote_parse(quote, len, &q);
    clave__dcap_step(&ctx, "dcap.parse", st, "quote v%u, %zu bytes used of %zu", q.version,
                     q.used_len, len);
    if (st == CLAVE_OK) {
        CLAVE_CHECK(clave__dcap_quote_claims(&q, report));
        quote_steps(&ctx);
        clave__dcap_collateral_steps(&ctx);
    }
    CLAVE_CHECK(finish(&ctx));
    st = CLAVE_OK;
done:
    clave_x509_list_free(ctx.pck_chain);
    return st;
}

clave_status clave_dcap_inspect(const uint8_t *quote, size_t len,
                                struct clave_attest_report *report)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct dcap_quote q;
    struct dcap_ctx ctx;
    memset(&ctx, 0, sizeof(ctx));
    ctx.report = report;
    CLAVE_ENSURE(len <= CLAVE_DCAP_QUOTE_MAX_LEN, CLAVE_ERR_TOO_LARGE,
                 "dcap: quote of %zu bytes exceeds %u", len, CLAVE_DCAP_QUOTE_MAX_LEN);
    st = clave__dcap_quote_parse(quote, len, &q);
    clave__dcap_step(&ctx, "dcap.parse", st, "quote v%u, %zu bytes used of %zu", q.version,
                     q.used_len, len);
    if (st == CLAVE_OK) {
        CLAVE_CHECK(clave__dcap_quote_claims(&q, report));
    }
    CLAVE_CHECK(finish(&ctx));
    st = CLAVE_OK;
done:
    return st;
}
