/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The simulated attester: Nitro-format documents and SNP-format (v3) reports signed by the dev
 * keys of clave_attest_sim_init(). It exists so that the full verifier path runs on laptops and
 * in CI. IT GIVES NO PROTECTION WHATSOEVER: the signing keys are ordinary files, so anyone who
 * can read them can make "evidence" with any measurement. Verifiers call it "sim-nitro" /
 * "sim-snp" and only a policy that explicitly trusts the dev root accepts it.
 */
#include "attest/sim.h"
#include "core/cbor.h"
#include "core/check.h"
#include "keys/fileio.h"

#include <clave/buf.h>
#include <clave/cose.h>
#include <clave/crypto.h>
#include <clave/secret.h>
#include <clave/sign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SIM_FILE_MAX 16384
#define SIM_PCR_LEN 48
#define SIM_PCR_COUNT 3
#define SIM_SNP_VERSION 3
#define SIM_SNP_POLICY 0x30000ull /* SMT allowed, reserved bit 17; no debug, no migration agent */
#define SIM_CPUID_FAMILY 0x19
#define SIM_CPUID_MODEL 0x01
#define SIM_CPUID_STEPPING 0x01
#define SIM_RESERVED_TAIL 168 /* 0x1F8-0x29F */

void clave__sim_chip_id(uint8_t out[CLAVE_SIM_CHIP_ID_LEN])
{
    static const char LABEL[] = "clave simulated SEV-SNP chip";
    if (clave_hash(CLAVE_HASH_SHA512, (const uint8_t *)LABEL, sizeof(LABEL) - 1, out,
                   CLAVE_SIM_CHIP_ID_LEN) != CLAVE_OK) {
        memset(out, 0, CLAVE_SIM_CHIP_ID_LEN);
    }
}

static clave_status read_in(const char *dir, const char *file, char **out, size_t *len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char path[4096];
    CLAVE_ENSURE((size_t)snprintf(path, sizeof(path), "%s/%s", dir, file) < sizeof(path),
                 CLAVE_ERR_ARG, "sim: path too long");
    CLAVE_CHECK_CTX(clave__file_read(path, SIM_FILE_MAX, out, len),
                    "sim: %s (run `clave attest sim-init --dir %s` first): ", file, dir);
    st = CLAVE_OK;
done:
    return st;
}

/* DER of the first certificate in `dir/file`, appended as a CBOR byte string. */
static clave_status put_cert(struct clave_writer *w, const char *dir, const char *file)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char *pem = NULL;
    size_t len = 0;
    struct clave_x509 *cert = NULL;
    const uint8_t *der = NULL;
    size_t der_len = 0;
    CLAVE_CHECK(read_in(dir, file, &pem, &len));
    CLAVE_CHECK(clave_x509_parse_pem(pem, len, &cert));
    clave_x509_der(cert, &der, &der_len);
    CLAVE_CHECK(clave__cbor_put_head(w, CLAVE_CBOR_MAJOR_BYTES, der_len));
    CLAVE_CHECK(clave_writer_bytes(w, der, der_len));
    st = CLAVE_OK;
done:
    clave_x509_free(cert);
    free(pem);
    return st;
}

static clave_status put_text(struct clave_writer *w, const char *text)
{
    clave_status st = clave__cbor_put_head(w, CLAVE_CBOR_MAJOR_TEXT, strlen(text));
    return st == CLAVE_OK ? clave_writer_bytes(w, (const uint8_t *)text, strlen(text)) : st;
}

static clave_status put_bytes(struct clave_writer *w, const uint8_t *data, size_t len)
{
    clave_status st = clave__cbor_put_head(w, CLAVE_CBOR_MAJOR_BYTES, len);
    return st == CLAVE_OK && len > 0 ? clave_writer_bytes(w, data, len) : st;
}

static clave_status put_pcrs(struct clave_writer *w, const struct clave_attest_sim_input *in)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_CHECK(clave__cbor_put_head(w, CLAVE_CBOR_MAJOR_MAP, SIM_PCR_COUNT));
    for (uint8_t i = 0; i < SIM_PCR_COUNT; i++) {
        uint8_t pcr[SIM_PCR_LEN];
        char label[32];
        int n = snprintf(label, sizeof(label), "clave sim pcr%u", (unsigned)i);
        CLAVE_CHECK(
            clave_hash(CLAVE_HASH_SHA384, (const uint8_t *)label, (size_t)n, pcr, sizeof(pcr)));
        if (i == 0 && in->measurement_len > 0) { /* measurement non-NULL when len > 0 */
            memset(pcr, 0, sizeof(pcr));
            memcpy(pcr, in->measurement, in->measurement_len);
        }
        CLAVE_CHECK(clave__cbor_put_head(w, CLAVE_CBOR_MAJOR_UINT, i));
        CLAVE_CHECK(put_bytes(w, pcr, sizeof(pcr)));
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status nitro_payload(const char *dir, const struct clave_attest_sim_input *in,
                                  struct clave_writer *w)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    int64_t t = in->time != 0 ? in->time : (int64_t)time(NULL);
    size_t fields = 6u + (in->report_data_len > 0 ? 1u : 0u) + (in->nonce_len > 0 ? 1u : 0u);
    CLAVE_CHECK(clave__cbor_put_head(w, CLAVE_CBOR_MAJOR_MAP, fields));
    CLAVE_CHECK(put_text(w, "module_id"));
    CLAVE_CHECK(put_text(w, "clave-sim-nitro"));
    CLAVE_CHECK(put_text(w, "digest"));
    CLAVE_CHECK(put_text(w, "SHA384"));
    CLAVE_CHECK(put_text(w, "timestamp"));
    CLAVE_CHECK(clave__cbor_put_head(w, CLAVE_CBOR_MAJOR_UINT, (uint64_t)t * 1000u));
    CLAVE_CHECK(put_text(w, "pcrs"));
    CLAVE_CHECK(put_pcrs(w, in));
    CLAVE_CHECK(put_text(w, "certificate"));
    CLAVE_CHECK(put_cert(w, dir, "nitro-leaf.pem"));
    CLAVE_CHECK(put_text(w, "cabundle"));
    CLAVE_CHECK(clave__cbor_put_head(w, CLAVE_CBOR_MAJOR_ARRAY, 2));
    CLAVE_CHECK(put_cert(w, dir, "root.pem"));
    CLAVE_CHECK(put_cert(w, dir, "intermediate.pem"));
    if (in->report_data_len > 0) {
        CLAVE_CHECK(put_text(w, "user_data"));
        CLAVE_CHECK(put_bytes(w, in->report_data, in->report_data_len));
    }
    if (in->nonce_len > 0) {
        CLAVE_CHECK(put_text(w, "nonce"));
        CLAVE_CHECK(put_bytes(w, in->nonce, in->nonce_len));
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status sim_nitro(const char *dir, const struct clave_attest_sim_input *in,
                              uint8_t **out, size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t payload[CLAVE_NITRO_MAX_PAYLOAD_LEN];
    struct clave_writer w;
    char *pem = NULL;
    size_t pem_len = 0;
    struct clave_secret *key = NULL;
    CLAVE_ENSURE(in->report_data_len <= CLAVE_NITRO_MAX_USER_DATA_LEN &&
                     in->nonce_len <= CLAVE_NITRO_MAX_NONCE_LEN &&
                     in->measurement_len <= SIM_PCR_LEN,
                 CLAVE_ERR_ARG, "sim: user_data/nonce over 512 bytes or measurement over 48");
    clave_writer_init(&w, payload, sizeof(payload));
    CLAVE_CHECK(nitro_payload(dir, in, &w));
    CLAVE_CHECK(read_in(dir, "nitro-leaf.key", &pem, &pem_len));
    CLAVE_CHECK(clave_secret_from((const uint8_t *)pem, pem_len, &key));
    CLAVE_CHECK(
        clave_cose_sign1_sign(key, CLAVE_COSE_ALG_ES384, payload, w.len, NULL, out, out_len));
    st = CLAVE_OK;
done:
    clave_secret_free(key);
    if (pem != NULL) {
        clave_wipe(pem, pem_len);
    }
    free(pem);
    return st;
}

static uint64_t sim_tcb(void)
{
    return (uint64_t)CLAVE_SIM_TCB_BOOTLOADER | ((uint64_t)CLAVE_SIM_TCB_TEE << 8) |
           ((uint64_t)CLAVE_SIM_TCB_SNP << 48) | ((uint64_t)CLAVE_SIM_TCB_MICROCODE << 56);
}

/* Bytes 0x000-0x29F of a v3 report, in the order of snp.c's layout comment. */
static clave_status snp_body(const struct clave_attest_sim_input *in, struct clave_writer *w)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t zeros[SIM_RESERVED_TAIL] = {0};
    uint8_t field[CLAVE_SNP_REPORT_DATA_LEN] = {0};
    uint8_t chip[CLAVE_SIM_CHIP_ID_LEN];
    CLAVE_CHECK(clave_writer_u32le(w, SIM_SNP_VERSION));
    CLAVE_CHECK(clave_writer_u32le(w, 1));              /* GUEST_SVN */
    CLAVE_CHECK(clave_writer_u64le(w, SIM_SNP_POLICY)); /* POLICY */
    CLAVE_CHECK(clave_writer_bytes(w, zeros, 32));      /* FAMILY_ID, IMAGE_ID */
    CLAVE_CHECK(clave_writer_u32le(w, 0));              /* VMPL */
    CLAVE_CHECK(clave_writer_u32le(w, 1));              /* SIGNATURE_ALGO: ECDSA P-384 */
    CLAVE_CHECK(clave_writer_u64le(w, sim_tcb()));      /* CURRENT_TCB */
    CLAVE_CHECK(clave_writer_u64le(w, 0x1));            /* PLATFORM_INFO: SMT enabled */
    CLAVE_CHECK(clave_writer_u32le(w, 0));              /* SIGNING_KEY 0 = VCEK */
    CLAVE_CHECK(clave_writer_u32le(w, 0));
    if (in->report_data_len > 0) {
        memcpy(field, in->report_data, in->report_data_len);
    }
    CLAVE_CHECK(clave_writer_bytes(w, field, CLAVE_SNP_REPORT_DATA_LEN));
    memset(field, 0, sizeof(field));
    if (in->measurement_len > 0) {
        memcpy(field, in->measurement, in->measurement_len);
    }
    CLAVE_CHECK(clave_writer_bytes(w, field, CLAVE_SNP_MEASUREMENT_LEN));
    /* HOST_DATA, ID_KEY_DIGEST, AUTHOR_KEY_DIGEST, REPORT_ID, REPORT_ID_MA */
    CLAVE_CHECK(clave_writer_bytes(w, zeros, 32 + 48 + 48));
    CLAVE_CHECK(clave_writer_bytes(w, zeros, 32 + 32));
    CLAVE_CHECK(clave_writer_u64le(w, sim_tcb())); /* REPORTED_TCB */
    CLAVE_CHECK(clave_writer_u8(w, SIM_CPUID_FAMILY));
    CLAVE_CHECK(clave_writer_u8(w, SIM_CPUID_MODEL));
    CLAVE_CHECK(clave_writer_u8(w, SIM_CPUID_STEPPING));
    CLAVE_CHECK(clave_writer_bytes(w, zeros, 21));
    clave__sim_chip_id(chip);
    CLAVE_CHECK(clave_writer_bytes(w, chip, sizeof(chip)));
    CLAVE_CHECK(clave_writer_u64le(w, sim_tcb())); /* COMMITTED_TCB */
    CLAVE_CHECK(clave_writer_bytes(w, zeros, 8));  /* firmware versions */
    CLAVE_CHECK(clave_writer_u64le(w, sim_tcb())); /* LAUNCH_TCB */
    CLAVE_CHECK(clave_writer_bytes(w, zeros, SIM_RESERVED_TAIL));
    CLAVE_ENSURE(w->len == CLAVE_SNP_SIGNED_LEN, CLAVE_ERR_INTERNAL, "sim: report layout");
    st = CLAVE_OK;
done:
    return st;
}

/* r||s big-endian (48 bytes each) into two 72-byte little-endian fields, then the reserved. */
static clave_status snp_signature(const uint8_t raw[96], struct clave_writer *w)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t field[72];
    for (size_t half = 0; half < 2; half++) {
        memset(field, 0, sizeof(field));
        for (size_t i = 0; i < CLAVE_P384_COORD_LEN; i++) {
            field[i] = raw[half * CLAVE_P384_COORD_LEN + CLAVE_P384_COORD_LEN - 1 - i];
        }
        CLAVE_CHECK(clave_writer_bytes(w, field, sizeof(field)));
    }
    while (w->len < CLAVE_SNP_REPORT_LEN) {
        CLAVE_CHECK(clave_writer_u8(w, 0));
    }
    st = CLAVE_OK;
done:
    return st;
}

struct clave_attest_sim_snp {
    struct clave_pkey *vcek; /* the sim chip's VCEK (P-384), loaded once */
};

clave_status clave_attest_sim_snp_open(const char *dir, struct clave_attest_sim_snp **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char *pem = NULL;
    size_t pem_len = 0;
    struct clave_attest_sim_snp *s = NULL;
    *out = NULL;
    s = calloc(1, sizeof(*s));
    CLAVE_ENSURE_ALLOC(s);
    CLAVE_CHECK(read_in(dir, "snp-vcek.key", &pem, &pem_len));
    CLAVE_CHECK(clave_pkey_from_pem(pem, pem_len, &s->vcek));
    CLAVE_ENSURE(clave_pkey_type(s->vcek) == CLAVE_PKEY_P384, CLAVE_ERR_KEY,
                 "sim: snp-vcek.key is not P-384");
    *out = s;
    s = NULL;
    st = CLAVE_OK;
done:
    clave_attest_sim_snp_free(s);
    if (pem != NULL) {
        clave_wipe(pem, pem_len);
    }
    free(pem);
    return st;
}

void clave_attest_sim_snp_free(struct clave_attest_sim_snp *s)
{
    if (s != NULL) {
        clave_pkey_free(s->vcek);
        free(s);
    }
}

clave_status clave_attest_sim_snp_report(const struct clave_attest_sim_snp *s,
                                         const struct clave_attest_sim_input *in, uint8_t **out,
                                         size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const struct clave_attest_sim_input none = {0};
    struct clave_writer w;
    uint8_t raw[2 * CLAVE_P384_COORD_LEN];
    size_t raw_len = 0;
    uint8_t *report = NULL;
    *out = NULL;
    *out_len = 0;
    if (in == NULL) {
        in = &none;
    }
    CLAVE_ENSURE(s != NULL, CLAVE_ERR_ARG, "sim: NULL SNP signer");
    CLAVE_ENSURE(in->report_data_len <= CLAVE_SNP_REPORT_DATA_LEN &&
                     in->measurement_len <= CLAVE_SNP_MEASUREMENT_LEN && in->nonce_len == 0,
                 CLAVE_ERR_ARG, "sim: SNP report_data over 64, measurement over 48, or a nonce");
    report = calloc(1, CLAVE_SNP_REPORT_LEN);
    CLAVE_ENSURE_ALLOC(report);
    clave_writer_init(&w, report, CLAVE_SNP_REPORT_LEN);
    CLAVE_CHECK(snp_body(in, &w));
    CLAVE_CHECK(clave_ecdsa_sign(s->vcek, CLAVE_SIG_RAW, report, CLAVE_SNP_SIGNED_LEN, raw,
                                 sizeof(raw), &raw_len));
    CLAVE_ENSURE(raw_len == sizeof(raw), CLAVE_ERR_KEY, "sim: snp-vcek.key is not P-384");
    CLAVE_CHECK(snp_signature(raw, &w));
    *out = report;
    *out_len = CLAVE_SNP_REPORT_LEN;
    report = NULL;
    st = CLAVE_OK;
done:
    free(report);
    return st;
}

static clave_status sim_snp(const char *dir, const struct clave_attest_sim_input *in, uint8_t **out,
                            size_t *out_len)
{
    struct clave_attest_sim_snp *s = NULL;
    clave_status st = clave_attest_sim_snp_open(dir, &s);
    if (st == CLAVE_OK) {
        st = clave_attest_sim_snp_report(s, in, out, out_len);
    }
    clave_attest_sim_snp_free(s);
    return st;
}

clave_status clave_attest_sim_evidence(const char *dir, const char *format,
                                       const struct clave_attest_sim_input *input, uint8_t **out,
                                       size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const struct clave_attest_sim_input none = {0};
    *out = NULL;
    *out_len = 0;
    if (input == NULL) {
        input = &none;
    }
    if (strcmp(format, "nitro") == 0) {
        CLAVE_CHECK(sim_nitro(dir, input, out, out_len));
    } else if (strcmp(format, "snp") == 0) {
        CLAVE_CHECK(sim_snp(dir, input, out, out_len));
    } else {
        CLAVE_RAISE(CLAVE_ERR_ARG, "sim: format %s is not nitro or snp", format);
    }
    st = CLAVE_OK;
done:
    return st;
}
