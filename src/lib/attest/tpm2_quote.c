/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TPM 2.0 quotes ("TPM 2.0 Library, Part 2: Structures"; all integers big-endian):
 *
 *   TPMS_ATTEST (10.12.12)  magic u32 = TPM_GENERATED_VALUE 0xff544347 | type u16 =
 *                           TPM_ST_ATTEST_QUOTE 0x8018 | qualifiedSigner TPM2B_NAME (u16 + <= 68)
 *                           | extraData TPM2B_DATA (u16 + <= 64) | clockInfo TPMS_CLOCK_INFO
 *                           (clock u64, resetCount u32, restartCount u32, safe u8) |
 *                           firmwareVersion u64 | attested TPMS_QUOTE_INFO
 *   TPMS_QUOTE_INFO (10.12.1) pcrSelect TPML_PCR_SELECTION (count u32 <= 16, each
 *                           TPMS_PCR_SELECTION: hash u16, sizeofSelect u8 (3..4), pcrSelect[]) |
 *                           pcrDigest TPM2B_DIGEST (u16 + <= 64)
 *   TPMT_SIGNATURE (11.3.4) sigAlg u16 (TPM_ALG_RSASSA 0x0014 | TPM_ALG_ECDSA 0x0018) | hash u16
 *                           (TPM_ALG_SHA256 0x000b) | RSASSA: TPM2B_PUBLIC_KEY_RSA | ECDSA:
 *                           TPM2B r, TPM2B s
 *
 * The signature covers TPMS_ATTEST as marshalled. pcrDigest is the hash (of the selection's
 * hash algorithm) of the selected PCR values concatenated in selection order: bank by bank,
 * PCR index ascending (Part 1, 18.5.2).
 */
#include "attest/tpm2_quote.h"

#include "core/check.h"
#include "crypto/pkey.h"

#include <clave/buf.h>
#include <clave/crypto.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <string.h>

#define TPM_GENERATED_VALUE 0xff544347u
#define TPM_ST_ATTEST_QUOTE 0x8018u
#define TPM_ALG_RSASSA 0x0014u
#define TPM_ALG_ECDSA 0x0018u
#define TPM_ALG_SHA256 0x000bu
#define TPM_ALG_SHA384 0x000cu
#define TPM2B_NAME_MAX 68
#define TPM2B_DATA_MAX 64
#define TPM2B_DIGEST_MAX 64
#define TPM_PCR_SELECTIONS_MAX 16

static clave_status parse_selection(struct clave_reader *r, struct tpm2_quote *q)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint32_t count = 0;
    CLAVE_CHECK(clave_reader_u32be(r, &count));
    CLAVE_ENSURE(count >= 1 && count <= TPM_PCR_SELECTIONS_MAX, CLAVE_ERR_FORMAT,
                 "tpm2: %u PCR selections", count);
    for (uint32_t i = 0; i < count; i++) {
        uint16_t hash = 0;
        uint8_t size = 0;
        const uint8_t *bits = NULL;
        CLAVE_CHECK(clave_reader_u16be(r, &hash));
        CLAVE_CHECK(clave_reader_u8(r, &size));
        CLAVE_ENSURE(size >= 1 && size <= TPM2_PCR_SELECT_MAX, CLAVE_ERR_FORMAT,
                     "tpm2: sizeofSelect %u", size);
        CLAVE_CHECK(clave_reader_view(r, size, &bits));
        for (size_t pcr = 0; pcr < (size_t)size * 8; pcr++) {
            if ((bits[pcr / 8] >> (pcr % 8)) & 1u) {
                CLAVE_ENSURE(q->pcr_count < TPM2_MAX_SELECTED, CLAVE_ERR_LIMIT,
                             "tpm2: too many PCRs");
                q->pcr_hash[q->pcr_count] = hash;
                q->pcr_index[q->pcr_count++] = (uint8_t)pcr;
            }
        }
    }
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave__tpm2_attest_parse(const uint8_t *data, size_t len, struct tpm2_quote *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_reader r;
    struct tpm2_quote q;
    uint32_t magic = 0;
    uint16_t type = 0;
    memset(out, 0, sizeof(*out));
    memset(&q, 0, sizeof(q));
    clave_reader_init(&r, data, len);
    CLAVE_CHECK(clave_reader_u32be(&r, &magic));
    CLAVE_ENSURE(magic == TPM_GENERATED_VALUE, CLAVE_ERR_FORMAT, "tpm2: magic %#x", magic);
    CLAVE_CHECK(clave_reader_u16be(&r, &type));
    CLAVE_ENSURE(type == TPM_ST_ATTEST_QUOTE, CLAVE_ERR_FORMAT, "tpm2: attestation type %#x", type);
    CLAVE_CHECK(
        clave_reader_lenprefixed(&r, CLAVE_LEN_U16BE, TPM2B_NAME_MAX, &q.signer, &q.signer_len));
    CLAVE_CHECK(clave_reader_lenprefixed(&r, CLAVE_LEN_U16BE, TPM2B_DATA_MAX, &q.extra_data,
                                         &q.extra_data_len));
    CLAVE_CHECK(clave_reader_u64be(&r, &q.clock));
    CLAVE_CHECK(clave_reader_u32be(&r, &q.reset_count));
    CLAVE_CHECK(clave_reader_u32be(&r, &q.restart_count));
    CLAVE_CHECK(clave_reader_u8(&r, &q.safe));
    CLAVE_CHECK(clave_reader_u64be(&r, &q.firmware_version));
    CLAVE_CHECK(parse_selection(&r, &q));
    CLAVE_CHECK(clave_reader_lenprefixed(&r, CLAVE_LEN_U16BE, TPM2B_DIGEST_MAX, &q.pcr_digest,
                                         &q.pcr_digest_len));
    CLAVE_CHECK(clave_reader_expect_end(&r));
    *out = q;
    st = CLAVE_OK;
done:
    return st;
}

/* RSASSA-PKCS1-v1_5 with SHA-256 (not in the public sign.h: only TPMs use it here). */
static clave_status rsa_pkcs1_verify(const struct clave_pkey *key, const uint8_t *msg, size_t len,
                                     const uint8_t *sig, size_t sig_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    CLAVE_ENSURE_ALLOC(md);
    CLAVE_CHECK_OSSL(EVP_DigestVerifyInit(md, &pctx, EVP_sha256(), NULL, clave__pkey_evp(key)),
                     CLAVE_ERR_KEY, "tpm2: RSA verify init");
    CLAVE_CHECK_OSSL(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING), CLAVE_ERR_CRYPTO,
                     "tpm2: RSA padding");
    CLAVE_ENSURE(EVP_DigestVerify(md, sig, sig_len, msg, len) == 1, CLAVE_ERR_SIGNATURE,
                 "tpm2: RSASSA-PKCS1-v1_5 signature does not verify");
    st = CLAVE_OK;
done:
    EVP_MD_CTX_free(md);
    return st;
}

/* A TPMT_SIGNATURE, or a bare RSA signature as long as the modulus. */
static clave_status signature_verify(const struct clave_pkey *ak, const uint8_t *attest,
                                     size_t attest_len, const uint8_t *sig, size_t sig_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_reader r;
    uint16_t alg = 0;
    uint16_t hash = 0;
    const uint8_t *a = NULL;
    const uint8_t *b = NULL;
    size_t a_len = 0;
    size_t b_len = 0;
    uint8_t raw[2 * CLAVE_P256_COORD_LEN];
    bool rsa = clave_pkey_type(ak) == CLAVE_PKEY_RSA || clave_pkey_type(ak) == CLAVE_PKEY_RSA3072;
    if (rsa && sig_len == (size_t)EVP_PKEY_get_size(clave__pkey_evp(ak))) {
        CLAVE_CHECK(rsa_pkcs1_verify(ak, attest, attest_len, sig, sig_len));
        st = CLAVE_OK;
        goto done;
    }
    clave_reader_init(&r, sig, sig_len);
    CLAVE_CHECK(clave_reader_u16be(&r, &alg));
    CLAVE_CHECK(clave_reader_u16be(&r, &hash));
    CLAVE_ENSURE(hash == TPM_ALG_SHA256, CLAVE_ERR_UNSUPPORTED, "tpm2: signature hash %#x", hash);
    CLAVE_CHECK(clave_reader_lenprefixed(&r, CLAVE_LEN_U16BE, 1024, &a, &a_len));
    if (alg == TPM_ALG_RSASSA && rsa) {
        CLAVE_CHECK(clave_reader_expect_end(&r));
        CLAVE_CHECK(rsa_pkcs1_verify(ak, attest, attest_len, a, a_len));
    } else if (alg == TPM_ALG_ECDSA && clave_pkey_type(ak) == CLAVE_PKEY_P256) {
        CLAVE_CHECK(clave_reader_lenprefixed(&r, CLAVE_LEN_U16BE, 1024, &b, &b_len));
        CLAVE_CHECK(clave_reader_expect_end(&r));
        CLAVE_ENSURE(a_len == CLAVE_P256_COORD_LEN && b_len == CLAVE_P256_COORD_LEN,
                     CLAVE_ERR_SIGNATURE, "tpm2: ECDSA r/s of %zu/%zu bytes", a_len, b_len);
        memcpy(raw, a, a_len);
        memcpy(raw + a_len, b, b_len);
        CLAVE_CHECK(clave_ecdsa_verify(ak, CLAVE_SIG_RAW, attest, attest_len, raw, sizeof(raw)));
    } else {
        CLAVE_RAISE(CLAVE_ERR_UNSUPPORTED, "tpm2: signature algorithm %#x for this AK", alg);
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status pcr_digest_check(const struct tpm2_quote *q, const uint8_t *values,
                                     size_t values_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t digest[CLAVE_SHA384_LEN];
    enum clave_hash_alg alg = CLAVE_HASH_SHA256;
    size_t dlen = CLAVE_SHA256_LEN;
    CLAVE_ENSURE(q->pcr_count > 0, CLAVE_ERR_FORMAT, "tpm2: no PCR selected");
    for (size_t i = 0; i < q->pcr_count; i++) {
        CLAVE_ENSURE(q->pcr_hash[i] == q->pcr_hash[0], CLAVE_ERR_UNSUPPORTED,
                     "tpm2: quotes over several PCR banks");
    }
    CLAVE_ENSURE(q->pcr_hash[0] == TPM_ALG_SHA256 || q->pcr_hash[0] == TPM_ALG_SHA384,
                 CLAVE_ERR_UNSUPPORTED, "tpm2: PCR bank %#x", q->pcr_hash[0]);
    if (q->pcr_hash[0] == TPM_ALG_SHA384) {
        alg = CLAVE_HASH_SHA384;
        dlen = CLAVE_SHA384_LEN;
    }
    CLAVE_ENSURE(values_len == q->pcr_count * dlen, CLAVE_ERR_FORMAT,
                 "tpm2: %zu bytes of PCR values for %zu PCRs of %zu bytes", values_len,
                 q->pcr_count, dlen);
    CLAVE_CHECK(clave_hash(alg, values, values_len, digest, sizeof(digest)));
    CLAVE_ENSURE(q->pcr_digest_len == dlen &&
                     memcmp(digest, q->pcr_digest, dlen) == 0, // lint:public
                 CLAVE_ERR_SIGNATURE, "tpm2: PCR values do not hash to the quote's pcrDigest");
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave__tpm2_quote_claims(const struct tpm2_quote *q, const uint8_t *values,
                                      struct clave_attest_report *report)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char name[24];
    size_t dlen = q->pcr_hash[0] == TPM_ALG_SHA384 ? CLAVE_SHA384_LEN : CLAVE_SHA256_LEN;
    CLAVE_CHECK(
        clave_attest_claim_bytes(report, "tpm.extra_data", q->extra_data, q->extra_data_len));
    CLAVE_CHECK(
        clave_attest_claim_bytes(report, "tpm.pcr_digest", q->pcr_digest, q->pcr_digest_len));
    CLAVE_CHECK(clave_attest_claim_int(report, "tpm.reset_count", q->reset_count));
    CLAVE_CHECK(clave_attest_claim_int(report, "tpm.restart_count", q->restart_count));
    for (size_t i = 0; values != NULL && i < q->pcr_count; i++) {
        (void)snprintf(name, sizeof(name), "tpm.pcr%u", q->pcr_index[i]);
        CLAVE_CHECK(clave_attest_claim_bytes(report, name, values + i * dlen, dlen));
    }
    st = CLAVE_OK;
done:
    return st;
}

struct outcome {
    clave_status first;
    char detail[CLAVE_ATTEST_DETAIL_MAX];
};

static void record(struct clave_attest_report *report, const char *name, clave_status st,
                   const char *pass, struct outcome *o)
{
    bool ok = st == CLAVE_OK;
    const char *detail = ok ? pass : clave_error_last().detail;
    if (!ok && o->first == CLAVE_OK) {
        o->first = st;
        (void)snprintf(o->detail, sizeof(o->detail), "%s: %s", name, detail);
    }
    if (clave_attest_report_check(report, name, ok, "%s", detail) != CLAVE_OK &&
        o->first == CLAVE_OK) {
        o->first = CLAVE_ERR_LIMIT;
        (void)snprintf(o->detail, sizeof(o->detail), "report full");
    }
}

clave_status clave__tpm2_quote_steps(const struct clave_tpm2_quote_input *in,
                                     struct clave_attest_report *report)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct outcome o = {CLAVE_OK, ""};
    struct tpm2_quote q;
    st = clave__tpm2_attest_parse(in->attest, in->attest_len, &q);
    record(report, "tpm.parse", st, "TPMS_ATTEST quote", &o);
    CLAVE_CHECK(st);
    record(report, "tpm.signature",
           signature_verify(in->ak, in->attest, in->attest_len, in->signature, in->signature_len),
           "signed by the attestation key", &o);
    st = q.extra_data_len == in->nonce_len && clave_ct_equal(q.extra_data, in->nonce, in->nonce_len)
             ? CLAVE_OK
             : CLAVE_ERR_AUTH;
    if (st != CLAVE_OK) {
        clave__error_set(st, __FILE__, __LINE__, "tpm2: extraData is not the expected nonce");
    }
    record(report, "tpm.nonce", st, "extraData equals the nonce", &o);
    if (in->pcr_values != NULL) {
        record(report, "tpm.pcr_digest", pcr_digest_check(&q, in->pcr_values, in->pcr_values_len),
               "PCR values hash to pcrDigest", &o);
    }
    CLAVE_CHECK(clave__tpm2_quote_claims(
        &q, in->pcr_values != NULL && o.first == CLAVE_OK ? in->pcr_values : NULL, report));
    CLAVE_ENSURE(o.first == CLAVE_OK, o.first, "%s", o.detail);
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_tpm2_quote_verify(const struct clave_tpm2_quote_input *in,
                                     struct clave_attest_report *report)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(in != NULL && in->ak != NULL && in->attest != NULL && in->signature != NULL &&
                     report != NULL && (in->nonce != NULL || in->nonce_len == 0),
                 CLAVE_ERR_ARG, "tpm2: missing argument");
    CLAVE_CHECK(clave_attest_claim_string(report, "tee", "tpm2"));
    CLAVE_CHECK(clave__tpm2_quote_steps(in, report));
    st = CLAVE_OK;
done:
    return st;
}
