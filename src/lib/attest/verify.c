/* SPDX-License-Identifier: Apache-2.0 */
/* The evidence format table: detection and dispatch of clave_attest_verify / _inspect. */
#include "attest/attest_internal.h"
#include "core/check.h"

#include <string.h>

/*
 * One row per evidence format, tried in order by "auto" detection (put the most specific
 * detectors first). Simulated evidence uses the "nitro" and "snp" rows: what makes it "sim-*" is
 * the policy-trusted dev root it chains to.
 */
static const struct clave__attest_format FORMATS[] = {
    {"nitro", clave__nitro_detect, clave__nitro_verify, clave__nitro_inspect},
    {"snp", clave__snp_detect, clave__snp_verify, clave__snp_inspect},
    {"tdx", clave__tdx_detect, clave__tdx_verify, clave__tdx_inspect},
    {"sgx", clave__sgx_detect, clave__sgx_verify, clave__sgx_inspect},
    {"az-snp-vtpm", clave__az_snp_detect, clave__az_snp_verify, clave__az_snp_inspect},
    {"az-tdx-vtpm", clave__az_tdx_detect, clave__az_tdx_verify, clave__az_tdx_inspect},
    /* A GCP TD quote is a TDX quote: "auto" picks "tdx"; name gcp-tdx to replay the event log. */
    {"gcp-tdx", clave__gcp_tdx_detect, clave__gcp_tdx_verify, clave__gcp_tdx_inspect},
    {"tpm2", clave__tpm2_detect, clave__tpm2_verify, clave__tpm2_inspect},
};

/* "az-vtpm" names both Azure rows: the evidence's HCL report type picks one. */
#define AZ_ALIAS "az-vtpm"
#define AZ_PREFIX "az-"

#define FORMAT_COUNT (sizeof(FORMATS) / sizeof(FORMATS[0]))

const char *clave_attest_format_name(size_t index)
{
    return index < FORMAT_COUNT ? FORMATS[index].name : NULL;
}

const char *clave_attest_detect(const uint8_t *evidence, size_t len)
{
    for (size_t i = 0; evidence != NULL && i < FORMAT_COUNT; i++) {
        if (FORMATS[i].detect(evidence, len)) {
            return FORMATS[i].name;
        }
    }
    return NULL;
}

static clave_status find_format(const char *format, const uint8_t *evidence, size_t len,
                                const struct clave__attest_format **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    *out = NULL;
    CLAVE_ENSURE(len <= CLAVE_ATTEST_MAX_EVIDENCE_LEN, CLAVE_ERR_TOO_LARGE,
                 "attest: evidence of %zu bytes (max %u)", len, CLAVE_ATTEST_MAX_EVIDENCE_LEN);
    if (format == NULL || strcmp(format, "auto") == 0 || strcmp(format, AZ_ALIAS) == 0) {
        const char *detected = clave_attest_detect(evidence, len);
        CLAVE_ENSURE(detected != NULL, CLAVE_ERR_UNSUPPORTED,
                     "attest: evidence format not recognised%s",
                     format != NULL && strcmp(format, AZ_ALIAS) == 0 ? " as Azure vTPM" : "");
        CLAVE_ENSURE(format == NULL || strcmp(format, AZ_ALIAS) != 0 ||
                         strncmp(detected, AZ_PREFIX, strlen(AZ_PREFIX)) == 0,
                     CLAVE_ERR_UNSUPPORTED, "attest: %s evidence given as %s", detected, AZ_ALIAS);
        format = detected;
    }
    for (size_t i = 0; i < FORMAT_COUNT; i++) {
        if (strcmp(format, FORMATS[i].name) == 0) {
            *out = &FORMATS[i];
        }
    }
    CLAVE_ENSURE(*out != NULL, CLAVE_ERR_UNSUPPORTED, "attest: unknown format %s", format);
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_attest_verify(const char *format, const uint8_t *evidence, size_t len,
                                 const struct clave_attest_options *opts,
                                 struct clave_attest_report *report)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const struct clave__attest_format *f = NULL;
    const struct clave_attest_options defaults = {0};
    CLAVE_ENSURE(evidence != NULL && report != NULL, CLAVE_ERR_ARG, "attest: NULL argument");
    CLAVE_CHECK(find_format(format, evidence, len, &f));
    CLAVE_CHECK(f->verify(evidence, len, opts != NULL ? opts : &defaults, report));
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_attest_inspect(const char *format, const uint8_t *evidence, size_t len,
                                  struct clave_attest_report *report)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const struct clave__attest_format *f = NULL;
    CLAVE_ENSURE(evidence != NULL && report != NULL, CLAVE_ERR_ARG, "attest: NULL argument");
    CLAVE_CHECK(find_format(format, evidence, len, &f));
    CLAVE_CHECK(f->inspect(evidence, len, report));
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave__attest_settle(struct clave_attest_report *report, size_t before,
                                  const char *name, clave_status st)
{
    struct clave_attest_check c;
    bool failed = false;
    if (st == CLAVE_OK) {
        return CLAVE_OK;
    }
    if (st == CLAVE_ERR_NOMEM || st == CLAVE_ERR_LIMIT || st == CLAVE_ERR_INTERNAL) {
        return st;
    }
    for (size_t i = before; i < clave_attest_report_check_count(report); i++) {
        failed = failed || (clave_attest_report_get_check(report, i, &c) == CLAVE_OK &&
                            c.outcome != CLAVE_CHECK_PASS);
    }
    if (failed) {
        clave_error_clear();
        return CLAVE_OK;
    }
    return clave_attest_report_check(report, name, false, "%s", clave_error_last().detail);
}
