/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Intel DCAP quote parser: SGX quote v3, TDX quote v4 and v5.
 *
 * Layouts from "Intel SGX ECDSA Quote Library API" (quote v3, appendix A) and "Intel TDX DCAP
 * Quoting Library API" (quote v4 and v5, appendix A); all integers little-endian.
 *
 *   Header (48 B)        0 version u16 | 2 att_key_type u16 (2 = ECDSA-256 with P-256)
 *                        4 tee_type u32 (0 SGX, 0x81 TDX; v3: reserved 0) | 8 reserved/qe_svn u16
 *                       10 reserved/pce_svn u16 | 12 qe_vendor_id[16] | 28 user_data[20]
 *   v3 body              SGX enclave report (384 B)
 *   v4 body              TD report 1.0 (584 B)
 *   v5 body              body_type u16 (1 SGX, 2 TD 1.0, 3 TD 1.5) | body_size u32 | body
 *   then                 sig_data_len u32 | signature data (sig_data_len bytes)
 *
 *   Enclave report (384) 0 cpusvn[16] | 16 miscselect u32 | 20 reserved[28] | 48 attributes[16]
 *                       64 mrenclave[32] | 96 reserved[32] | 128 mrsigner[32] | 160 reserved[96]
 *                      256 isvprodid u16 | 258 isvsvn u16 | 260 reserved[60] | 320 report_data[64]
 *   TD report 1.0 (584)  0 tee_tcb_svn[16] | 16 mrseam[48] | 64 mrsignerseam[48]
 *                      112 seam_attributes[8] | 120 td_attributes[8] | 128 xfam[8] | 136 mrtd[48]
 *                      184 mrconfigid[48] | 232 mrowner[48] | 280 mrownerconfig[48]
 *                      328 rtmr0..3[4 x 48] | 520 report_data[64]
 *   TD report 1.5 (648)  TD report 1.0 | 584 tee_tcb_svn2[16] | 600 mrservicetd[48]
 *
 *   v3 signature data    signature[64] (r||s) | attestation_key[64] (X||Y) | qe_report[384]
 *                        qe_report_signature[64] | qe_auth_len u16 | qe_auth | cert_type u16 (5)
 *                        cert_size u32 | cert_data (PEM PCK chain)
 *   v4/v5 signature data signature[64] | attestation_key[64] | cert_type u16 (6) | cert_size u32
 *                        then type 6 "QE report certification data": qe_report[384]
 *                        qe_report_signature[64] | qe_auth_len u16 | qe_auth | cert_type u16 (5)
 *                        cert_size u32 | cert_data (PEM PCK chain)
 *
 * The signed region is the header and the body (for v5 including body_type and body_size).
 * Every length is checked against the enclosing one; only bytes after the signature data are
 * tolerated (files carry zero padding or test text there).
 */
#include "attest/dcap_quote.h"

#include "core/check.h"

#include <clave/buf.h>
#include <string.h>

#define DCAP_ATT_KEY_ECDSA_P256 2
#define DCAP_CERT_TYPE_PCK_CHAIN 5
#define DCAP_CERT_TYPE_QE_REPORT 6
#define DCAP_BODY_SGX 1
#define DCAP_BODY_TD10 2
#define DCAP_BODY_TD15 3

_Static_assert(DCAP_TD15_REPORT_LEN == DCAP_TD10_REPORT_LEN + 16 + 48, "TD 1.5 body layout");

static clave_status parse_enclave_report(struct clave_reader *r, struct dcap_enclave_report *e)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_reader b;
    CLAVE_CHECK(clave_reader_sub(r, DCAP_SGX_REPORT_LEN, &b));
    e->raw = b.data;
    CLAVE_CHECK(clave_reader_view(&b, DCAP_CPUSVN_LEN, &e->cpusvn));
    CLAVE_CHECK(clave_reader_u32le(&b, &e->miscselect));
    CLAVE_CHECK(clave_reader_skip(&b, 28));
    CLAVE_CHECK(clave_reader_view(&b, 16, &e->attributes));
    CLAVE_CHECK(clave_reader_view(&b, DCAP_MR32_LEN, &e->mrenclave));
    CLAVE_CHECK(clave_reader_skip(&b, 32));
    CLAVE_CHECK(clave_reader_view(&b, DCAP_MR32_LEN, &e->mrsigner));
    CLAVE_CHECK(clave_reader_skip(&b, 96));
    CLAVE_CHECK(clave_reader_u16le(&b, &e->isvprodid));
    CLAVE_CHECK(clave_reader_u16le(&b, &e->isvsvn));
    CLAVE_CHECK(clave_reader_skip(&b, 60));
    CLAVE_CHECK(clave_reader_view(&b, DCAP_REPORT_DATA_LEN, &e->report_data));
    CLAVE_CHECK(clave_reader_expect_end(&b));
    st = CLAVE_OK;
done:
    return st;
}

static clave_status parse_td_report(struct clave_reader *r, size_t body_len,
                                    struct dcap_td_report *t)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_reader b;
    CLAVE_CHECK(clave_reader_sub(r, body_len, &b));
    CLAVE_CHECK(clave_reader_view(&b, DCAP_TEE_TCB_SVN_LEN, &t->tee_tcb_svn));
    CLAVE_CHECK(clave_reader_view(&b, DCAP_MR48_LEN, &t->mrseam));
    CLAVE_CHECK(clave_reader_view(&b, DCAP_MR48_LEN, &t->mrsignerseam));
    CLAVE_CHECK(clave_reader_view(&b, 8, &t->seam_attributes));
    CLAVE_CHECK(clave_reader_view(&b, 8, &t->td_attributes));
    CLAVE_CHECK(clave_reader_view(&b, 8, &t->xfam));
    CLAVE_CHECK(clave_reader_view(&b, DCAP_MR48_LEN, &t->mrtd));
    CLAVE_CHECK(clave_reader_view(&b, DCAP_MR48_LEN, &t->mrconfigid));
    CLAVE_CHECK(clave_reader_view(&b, DCAP_MR48_LEN, &t->mrowner));
    CLAVE_CHECK(clave_reader_view(&b, DCAP_MR48_LEN, &t->mrownerconfig));
    for (size_t i = 0; i < 4; i++) {
        CLAVE_CHECK(clave_reader_view(&b, DCAP_MR48_LEN, &t->rtmr[i]));
    }
    CLAVE_CHECK(clave_reader_view(&b, DCAP_REPORT_DATA_LEN, &t->report_data));
    t->tee_tcb_svn2 = NULL;
    t->mrservicetd = NULL;
    if (body_len == DCAP_TD15_REPORT_LEN) {
        CLAVE_CHECK(clave_reader_view(&b, DCAP_TEE_TCB_SVN_LEN, &t->tee_tcb_svn2));
        CLAVE_CHECK(clave_reader_view(&b, DCAP_MR48_LEN, &t->mrservicetd));
    }
    CLAVE_CHECK(clave_reader_expect_end(&b));
    st = CLAVE_OK;
done:
    return st;
}

static clave_status parse_header(struct clave_reader *r, struct dcap_quote *q)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_CHECK(clave_reader_u16le(r, &q->version));
    CLAVE_CHECK(clave_reader_u16le(r, &q->att_key_type));
    CLAVE_CHECK(clave_reader_u32le(r, &q->tee_type));
    CLAVE_CHECK(clave_reader_skip(r, 4)); /* qe_svn, pce_svn (v3) or reserved */
    CLAVE_CHECK(clave_reader_view(r, DCAP_QE_VENDOR_LEN, &q->qe_vendor_id));
    CLAVE_CHECK(clave_reader_skip(r, 20)); /* user_data */
    CLAVE_ENSURE(q->att_key_type == DCAP_ATT_KEY_ECDSA_P256, CLAVE_ERR_UNSUPPORTED,
                 "attestation key type %u is not ECDSA P-256", q->att_key_type);
    switch (q->version) {
    case 3:
        CLAVE_ENSURE(q->tee_type == DCAP_TEE_SGX, CLAVE_ERR_FORMAT, "v3 quote with TEE type %#x",
                     q->tee_type);
        break;
    case 4:
    case 5:
        CLAVE_ENSURE(q->tee_type == DCAP_TEE_TDX || q->tee_type == DCAP_TEE_SGX, CLAVE_ERR_FORMAT,
                     "unknown TEE type %#x", q->tee_type);
        break;
    default:
        CLAVE_RAISE(CLAVE_ERR_UNSUPPORTED, "quote version %u (want 3, 4 or 5)", q->version);
    }
    st = CLAVE_OK;
done:
    return st;
}

/* The body after the header: fixed by version and TEE, or typed and sized (v5). */
static clave_status parse_body(struct clave_reader *r, struct dcap_quote *q)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint32_t body_size = 0;
    if (q->version == 5) {
        CLAVE_CHECK(clave_reader_u16le(r, &q->body_type));
        CLAVE_CHECK(clave_reader_u32le(r, &body_size));
    } else {
        q->body_type = q->tee_type == DCAP_TEE_SGX ? DCAP_BODY_SGX : DCAP_BODY_TD10;
        body_size = q->tee_type == DCAP_TEE_SGX ? DCAP_SGX_REPORT_LEN : DCAP_TD10_REPORT_LEN;
    }
    CLAVE_ENSURE((q->body_type == DCAP_BODY_SGX) == (q->tee_type == DCAP_TEE_SGX), CLAVE_ERR_FORMAT,
                 "body type %u does not fit TEE type %#x", q->body_type, q->tee_type);
    switch (q->body_type) {
    case DCAP_BODY_SGX:
        CLAVE_ENSURE(body_size == DCAP_SGX_REPORT_LEN, CLAVE_ERR_FORMAT, "SGX body of %u bytes",
                     body_size);
        CLAVE_CHECK(parse_enclave_report(r, &q->enclave));
        break;
    case DCAP_BODY_TD10:
    case DCAP_BODY_TD15:
        CLAVE_ENSURE(body_size == (q->body_type == DCAP_BODY_TD10 ? DCAP_TD10_REPORT_LEN
                                                                  : DCAP_TD15_REPORT_LEN),
                     CLAVE_ERR_FORMAT, "TD body type %u of %u bytes", q->body_type, body_size);
        CLAVE_CHECK(parse_td_report(r, body_size, &q->td));
        break;
    default:
        CLAVE_RAISE(CLAVE_ERR_UNSUPPORTED, "quote body type %u", q->body_type);
    }
    st = CLAVE_OK;
done:
    return st;
}

/* qe_report | qe_report_signature | qe_auth_len u16 | qe_auth | type 5 PCK chain. */
static clave_status parse_qe_part(struct clave_reader *r, struct dcap_quote *q)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint16_t cert_type = 0;
    CLAVE_CHECK(parse_enclave_report(r, &q->qe_report));
    CLAVE_CHECK(clave_reader_view(r, DCAP_ECDSA_SIG_LEN, &q->qe_report_signature));
    CLAVE_CHECK(clave_reader_lenprefixed(r, CLAVE_LEN_U16LE, DCAP_QE_AUTH_MAX_LEN, &q->qe_auth,
                                         &q->qe_auth_len));
    CLAVE_CHECK(clave_reader_u16le(r, &cert_type));
    CLAVE_ENSURE(cert_type == DCAP_CERT_TYPE_PCK_CHAIN, CLAVE_ERR_UNSUPPORTED,
                 "certification data type %u (want 5, PCK chain)", cert_type);
    CLAVE_CHECK(clave_reader_lenprefixed(r, CLAVE_LEN_U32LE, DCAP_CERT_DATA_MAX_LEN,
                                         &q->pck_chain_pem, &q->pck_chain_len));
    CLAVE_CHECK(clave_reader_expect_end(r));
    st = CLAVE_OK;
done:
    return st;
}

static clave_status parse_signature_data(struct clave_reader *r, struct dcap_quote *q)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_reader sig;
    struct clave_reader inner;
    uint32_t sig_len = 0;
    uint16_t cert_type = 0;
    uint32_t cert_size = 0;
    CLAVE_CHECK(clave_reader_u32le(r, &sig_len));
    CLAVE_ENSURE(sig_len <= DCAP_CERT_DATA_MAX_LEN + 1024u, CLAVE_ERR_TOO_LARGE,
                 "signature data of %u bytes", sig_len);
    CLAVE_CHECK(clave_reader_sub(r, sig_len, &sig));
    CLAVE_CHECK(clave_reader_view(&sig, DCAP_ECDSA_SIG_LEN, &q->signature));
    CLAVE_CHECK(clave_reader_view(&sig, DCAP_ATT_KEY_LEN, &q->att_key));
    if (q->version == 3) {
        CLAVE_CHECK(parse_qe_part(&sig, q));
    } else {
        CLAVE_CHECK(clave_reader_u16le(&sig, &cert_type));
        CLAVE_ENSURE(cert_type == DCAP_CERT_TYPE_QE_REPORT, CLAVE_ERR_UNSUPPORTED,
                     "certification data type %u (want 6, QE report)", cert_type);
        CLAVE_CHECK(clave_reader_u32le(&sig, &cert_size));
        CLAVE_CHECK(clave_reader_sub(&sig, cert_size, &inner));
        CLAVE_CHECK(clave_reader_expect_end(&sig));
        CLAVE_CHECK(parse_qe_part(&inner, q));
    }
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave__dcap_quote_parse(const uint8_t *data, size_t len, struct dcap_quote *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct dcap_quote q;
    struct clave_reader r;
    memset(out, 0, sizeof(*out));
    memset(&q, 0, sizeof(q));
    clave_reader_init(&r, data, len);
    CLAVE_CHECK_CTX(parse_header(&r, &q), "dcap quote header: ");
    CLAVE_CHECK_CTX(parse_body(&r, &q), "dcap quote body: ");
    q.signed_data = data;
    q.signed_len = r.pos;
    CLAVE_CHECK_CTX(parse_signature_data(&r, &q), "dcap quote signature data: ");
    q.used_len = r.pos;
    *out = q;
    st = CLAVE_OK;
done:
    return st;
}
