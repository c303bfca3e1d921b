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
    /*
     * Intel DCAP and the cloud vTPM formats go here, one row each, with the same signatures:
     *   {"tdx", clave__tdx_detect, clave__tdx_verify, clave__tdx_inspect},
     *   {"sgx", clave__sgx_detect, clave__sgx_verify, clave__sgx_inspect},
     *   {"az-snp-vtpm", ...}, {"az-tdx-vtpm", ...}, {"gcp-tdx", ...}, {"tpm2", ...},
     * declared in attest_internal.h. Their collateral (TCB info, QE identity, CRLs) comes from
     * opts->collateral_dir; at_time from clave__attest_time(opts, 0).
     */
};

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
    if (format == NULL || strcmp(format, "auto") == 0) {
        format = clave_attest_detect(evidence, len);
        CLAVE_ENSURE(format != NULL, CLAVE_ERR_UNSUPPORTED,
                     "attest: evidence format not recognised");
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
