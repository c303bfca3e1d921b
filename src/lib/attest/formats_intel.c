/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Intel DCAP ("tdx", "sgx"), GCP TDX ("gcp-tdx") and TPM 2.0 ("tpm2") rows of the format
 * table (verify.c): detection, and verification through clave_dcap_verify(),
 * clave_gcp_tdx_verify() and clave_tpm2_quote_verify() with their inputs taken from
 * clave_attest_options. Their collateral (TCB info, QE identity, CRLs) comes from
 * opts->collateral_file or opts->collateral_dir and is parsed once per cache.
 *
 * Detection reads only public header fields: a DCAP quote header (Intel "Quote Header", 48 B:
 * version u16 | att_key_type u16 | tee_type u32 | ...; TDX 0x81 in v4/v5, SGX 0 in v3) and a
 * TPMS_ATTEST (TPM 2.0 Part 2, 10.12.12: magic TPM_GENERATED_VALUE 0xff544347 | type
 * TPM_ST_ATTEST_QUOTE 0x8018, big-endian).
 */
#include "attest/attest_internal.h"
#include "attest/dcap_quote.h"
#include "attest/tpm2_quote.h"
#include "core/check.h"

#include <clave/attest_intel.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TPM_GENERATED_VALUE 0xff544347u
#define TPM_ST_ATTEST_QUOTE 0x8018u

/* ---- Collateral ---- */

struct collateral_entry {
    struct clave_dcap_collateral *collateral;
};

static void collateral_entry_free(void *p)
{
    struct collateral_entry *e = p;
    if (e != NULL) {
        clave_dcap_collateral_free(e->collateral);
        free(e);
    }
}

static clave_status read_json_file(const char *path, struct clave_dcap_collateral **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t len = 0;
    *out = NULL;
    CLAVE_ENSURE(f != NULL, CLAVE_ERR_IO, "dcap: cannot open collateral file %s", path);
    buf = malloc(CLAVE_DCAP_COLLATERAL_MAX_LEN + 1);
    CLAVE_ENSURE_ALLOC(buf);
    len = fread(buf, 1, CLAVE_DCAP_COLLATERAL_MAX_LEN + 1, f);
    CLAVE_ENSURE(!ferror(f) && len <= CLAVE_DCAP_COLLATERAL_MAX_LEN, CLAVE_ERR_IO,
                 "dcap: cannot read %s (or larger than %u bytes)", path,
                 CLAVE_DCAP_COLLATERAL_MAX_LEN);
    CLAVE_CHECK_CTX(clave_dcap_collateral_from_json(buf, len, out), "%s: ", path);
    st = CLAVE_OK;
done:
    if (f != NULL) {
        fclose(f);
    }
    free(buf);
    return st;
}

static clave_status load_collateral(const struct clave_attest_options *opts,
                                    struct clave_dcap_collateral **out)
{
    return opts->collateral_file != NULL
               ? read_json_file(opts->collateral_file, out)
               : clave_dcap_collateral_from_dir(opts->collateral_dir, out);
}

clave_status clave__attest_dcap_collateral(const struct clave_attest_options *opts,
                                           struct clave_attest_report *report,
                                           const struct clave_dcap_collateral **out,
                                           struct clave_dcap_collateral **owned)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const char *path = opts->collateral_file != NULL ? opts->collateral_file : opts->collateral_dir;
    const uint8_t *parts[2] = {(const uint8_t *)(opts->collateral_file != NULL ? "f" : "d"),
                               (const uint8_t *)path};
    size_t lens[2] = {1, path != NULL ? strlen(path) : 0};
    uint8_t key[32];
    struct collateral_entry *e = NULL;
    *out = NULL;
    *owned = NULL;
    if (path == NULL) {
        st = CLAVE_OK;
        goto done;
    }
    CLAVE_CHECK(clave__attest_digest("dcap-collateral", parts, lens, 2, key));
    e = clave__attest_cache_get(opts->cache, key);
    if (e != NULL) {
        *out = e->collateral;
        e = NULL;
        st = CLAVE_OK;
        goto done;
    }
    st = load_collateral(opts, owned);
    if (st != CLAVE_OK) {
        CLAVE_CHECK(clave__attest_settle(report, clave_attest_report_check_count(report),
                                         "dcap.collateral_load", st));
        st = CLAVE_OK;
        goto done;
    }
    *out = *owned;
    if (opts->cache != NULL) {
        e = calloc(1, sizeof(*e));
        CLAVE_ENSURE_ALLOC(e);
        e->collateral = *owned;
        *owned = NULL;
        clave__attest_cache_put(opts->cache, key, e, collateral_entry_free);
        e = NULL;
    }
    st = CLAVE_OK;
done:
    free(e);
    return st;
}

/* ---- tdx, sgx ---- */

static bool dcap_detect(const uint8_t *evidence, size_t len, uint32_t tee_type)
{
    struct dcap_quote q;
    bool ok = len >= DCAP_HEADER_LEN && clave__dcap_quote_parse(evidence, len, &q) == CLAVE_OK &&
              q.tee_type == tee_type;
    clave_error_clear();
    return ok;
}

bool clave__tdx_detect(const uint8_t *evidence, size_t len)
{
    return dcap_detect(evidence, len, DCAP_TEE_TDX);
}

bool clave__sgx_detect(const uint8_t *evidence, size_t len)
{
    return dcap_detect(evidence, len, DCAP_TEE_SGX);
}

/* A quote of the other TEE type given under this name is a failed "dcap.tee_type" check. */
static clave_status dcap_verify(const uint8_t *evidence, size_t len, uint32_t tee_type,
                                const struct clave_attest_options *opts,
                                struct clave_attest_report *report)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const struct clave_dcap_collateral *coll = NULL;
    struct clave_dcap_collateral *owned = NULL;
    struct dcap_quote q;
    size_t before = clave_attest_report_check_count(report);
    if (clave__dcap_quote_parse(evidence, len, &q) == CLAVE_OK && q.tee_type != tee_type) {
        CLAVE_CHECK(clave_attest_report_check(report, "dcap.tee_type", false,
                                              "quote of TEE type %#x, expected %#x", q.tee_type,
                                              tee_type));
    }
    clave_error_clear();
    CLAVE_CHECK(clave__attest_dcap_collateral(opts, report, &coll, &owned));
    CLAVE_CHECK(clave__attest_settle(
        report, before, "dcap.verify",
        clave_dcap_verify(evidence, len, coll, clave__attest_time(opts, 0), report)));
    st = CLAVE_OK;
done:
    clave_dcap_collateral_free(owned);
    return st;
}

clave_status clave__tdx_verify(const uint8_t *evidence, size_t len,
                               const struct clave_attest_options *opts,
                               struct clave_attest_report *report)
{
    return dcap_verify(evidence, len, DCAP_TEE_TDX, opts, report);
}

clave_status clave__sgx_verify(const uint8_t *evidence, size_t len,
                               const struct clave_attest_options *opts,
                               struct clave_attest_report *report)
{
    return dcap_verify(evidence, len, DCAP_TEE_SGX, opts, report);
}

/* Claims only: clave_dcap_inspect() would record a passing "dcap.parse" check. */
static clave_status dcap_inspect(const uint8_t *evidence, size_t len, const char *tee,
                                 struct clave_attest_report *report)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct dcap_quote q;
    CLAVE_ENSURE(len <= CLAVE_DCAP_QUOTE_MAX_LEN, CLAVE_ERR_TOO_LARGE,
                 "dcap: quote of %zu bytes exceeds %u", len, CLAVE_DCAP_QUOTE_MAX_LEN);
    CLAVE_CHECK(clave__dcap_quote_parse(evidence, len, &q));
    CLAVE_CHECK(clave__dcap_quote_claims(&q, report));
    if (tee != NULL) {
        CLAVE_CHECK(clave_attest_claim_string(report, "tee", tee));
    }
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave__tdx_inspect(const uint8_t *evidence, size_t len,
                                struct clave_attest_report *report)
{
    return dcap_inspect(evidence, len, NULL, report);
}

clave_status clave__sgx_inspect(const uint8_t *evidence, size_t len,
                                struct clave_attest_report *report)
{
    return dcap_inspect(evidence, len, NULL, report);
}

/* ---- gcp-tdx ---- */

bool clave__gcp_tdx_detect(const uint8_t *evidence, size_t len)
{
    (void)evidence;
    (void)len;
    return false;
}

clave_status clave__gcp_tdx_verify(const uint8_t *evidence, size_t len,
                                   const struct clave_attest_options *opts,
                                   struct clave_attest_report *report)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const struct clave_dcap_collateral *coll = NULL;
    struct clave_dcap_collateral *owned = NULL;
    static const uint8_t none[1];
    size_t before = clave_attest_report_check_count(report);
    CLAVE_CHECK(clave__attest_dcap_collateral(opts, report, &coll, &owned));
    CLAVE_CHECK(clave__attest_settle(
        report, before, "gcp.verify",
        clave_gcp_tdx_verify(evidence, len, coll, clave__attest_time(opts, 0),
                             opts->event_log != NULL ? opts->event_log : none, opts->event_log_len,
                             opts->nonce != NULL ? opts->nonce : none, opts->nonce_len, report)));
    st = CLAVE_OK;
done:
    clave_dcap_collateral_free(owned);
    return st;
}

clave_status clave__gcp_tdx_inspect(const uint8_t *evidence, size_t len,
                                    struct clave_attest_report *report)
{
    return dcap_inspect(evidence, len, "gcp-tdx", report);
}

/* ---- tpm2 ---- */

bool clave__tpm2_detect(const uint8_t *evidence, size_t len)
{
    return len >= 6 &&
           ((uint32_t)evidence[0] << 24 | (uint32_t)evidence[1] << 16 | (uint32_t)evidence[2] << 8 |
            evidence[3]) == TPM_GENERATED_VALUE &&
           ((uint32_t)evidence[4] << 8 | evidence[5]) == TPM_ST_ATTEST_QUOTE;
}

/*
 * A TPM has no debug mode: "debug" is false so that the policy's debug check means "not a
 * debug TEE". The AK is the caller's: the quote proves only what that key signed.
 */
clave_status clave__tpm2_verify(const uint8_t *evidence, size_t len,
                                const struct clave_attest_options *opts,
                                struct clave_attest_report *report)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    static const uint8_t empty[1];
    size_t before = clave_attest_report_check_count(report);
    struct clave_tpm2_quote_input in = {
        evidence,
        len,
        opts->tpm_signature != NULL ? opts->tpm_signature : empty,
        opts->tpm_signature_len,
        opts->tpm_ak,
        opts->nonce != NULL ? opts->nonce : empty,
        opts->nonce_len,
        opts->tpm_pcrs,
        opts->tpm_pcrs_len,
    };
    CLAVE_CHECK(clave_attest_claim_string(report, "tee", "tpm2"));
    CLAVE_CHECK(clave_attest_claim_bool(report, "debug", false));
    if (opts->tpm_ak == NULL) {
        CLAVE_CHECK(clave_attest_report_check(report, "tpm.ak", false, "%s",
                                              "no attestation key given (tpm_ak, --ak-pub)"));
        st = CLAVE_OK;
        goto done;
    }
    CLAVE_CHECK(
        clave__attest_settle(report, before, "tpm.verify", clave_tpm2_quote_verify(&in, report)));
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave__tpm2_inspect(const uint8_t *evidence, size_t len,
                                 struct clave_attest_report *report)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct tpm2_quote q;
    CLAVE_CHECK(clave__tpm2_attest_parse(evidence, len, &q));
    CLAVE_CHECK(clave_attest_claim_string(report, "tee", "tpm2"));
    CLAVE_CHECK(clave__tpm2_quote_claims(&q, NULL, report));
    st = CLAVE_OK;
done:
    return st;
}
