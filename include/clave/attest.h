/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Remote attestation: appraisal reports shared by every evidence format.
 *
 * A verifier for one format (Nitro, SEV-SNP, TDX, SGX, Azure vTPM, GCP TDX, TPM2, simulated) fills
 * a `clave_attest_report` with:
 *  - checks: every step it performed, in order, each PASS or FAIL with a short detail
 *    ("snp.signature", "x509.chain", "tdx.tcb_level", ...). The evidence is genuine only if no
 *    check failed (clave_attest_report_ok). Policy checks are appended by the policy engine.
 *  - claims: what the evidence says, as typed name/value pairs, with common names across formats
 *    so one policy language serves all of them:
 *      "tee"             string  "nitro" | "snp" | "tdx" | "sgx" | "az-snp-vtpm" | "az-tdx-vtpm" |
 *                                "gcp-tdx" | "tpm2" | "sim-nitro" | "sim-snp"
 *      "report_data"     bytes   the 64 bytes the attester bound (Nitro: user_data or nonce)
 *      "measurement"     bytes   SNP MEASUREMENT, TDX MRTD, SGX MRENCLAVE
 *      "debug"           bool    debug mode allowed/active (SNP policy bit 19, TD attr DEBUG, ...)
 *      "tcb_status"      string  Intel status string or "UpToDate"/"OutOfDate" for AMD
 *      "advisories"      string  comma-separated advisory ids (may be empty)
 *      "time"            int     evidence time (unix seconds) where the format has one
 *    and format-specific ones prefixed by the format ("nitro.pcr0", "snp.host_data",
 *    "snp.vmpl", "tdx.rtmr0", "sgx.mrsigner", ...).
 * A report is single-threaded; names and texts are copied.
 */
#ifndef CLAVE_ATTEST_H
#define CLAVE_ATTEST_H

#include <clave/status.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CLAVE_ATTEST_NAME_MAX 48
#define CLAVE_ATTEST_DETAIL_MAX 200
#define CLAVE_ATTEST_CLAIM_MAX_LEN 4096
#define CLAVE_ATTEST_MAX_CHECKS 128
#define CLAVE_ATTEST_MAX_CLAIMS 128

enum clave_check_outcome {
    CLAVE_CHECK_PASS = 1,
    CLAVE_CHECK_FAIL = 2,
};

enum clave_claim_type {
    CLAVE_CLAIM_BYTES = 1,
    CLAVE_CLAIM_STRING = 2,
    CLAVE_CLAIM_INT = 3,
    CLAVE_CLAIM_BOOL = 4,
};

struct clave_attest_check {
    const char *name; /* borrowed from the report */
    enum clave_check_outcome outcome;
    const char *detail; /* borrowed from the report */
};

struct clave_attest_claim {
    const char *name; /* borrowed from the report */
    enum clave_claim_type type;
    const uint8_t *bytes; /* BYTES: borrowed; STRING: NUL-terminated text */
    size_t len;
    int64_t integer; /* INT, and BOOL as 0/1 */
};

struct clave_attest_report;

/** An empty report. Caller frees. */
CLAVE_API CLAVE_MUST_USE clave_status clave_attest_report_new(struct clave_attest_report **out);
CLAVE_API void clave_attest_report_free(struct clave_attest_report *report);

/** Record a check. `detail` is printf-style. CLAVE_ERR_LIMIT past CLAVE_ATTEST_MAX_CHECKS. */
CLAVE_API CLAVE_MUST_USE clave_status clave_attest_report_check(struct clave_attest_report *report,
                                                                const char *name, bool passed,
                                                                const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/** Add or replace a claim. */
CLAVE_API CLAVE_MUST_USE clave_status clave_attest_claim_bytes(struct clave_attest_report *report,
                                                               const char *name,
                                                               const uint8_t *value, size_t len);
CLAVE_API CLAVE_MUST_USE clave_status clave_attest_claim_string(struct clave_attest_report *report,
                                                                const char *name,
                                                                const char *value);
CLAVE_API CLAVE_MUST_USE clave_status clave_attest_claim_int(struct clave_attest_report *report,
                                                             const char *name, int64_t value);
CLAVE_API CLAVE_MUST_USE clave_status clave_attest_claim_bool(struct clave_attest_report *report,
                                                              const char *name, bool value);

/** True if at least one check ran and none failed. */
CLAVE_API bool clave_attest_report_ok(const struct clave_attest_report *report);

CLAVE_API size_t clave_attest_report_check_count(const struct clave_attest_report *report);
CLAVE_API CLAVE_MUST_USE clave_status clave_attest_report_get_check(
    const struct clave_attest_report *report, size_t index, struct clave_attest_check *out);
/** The first failed check, or CLAVE_ERR_NOT_FOUND. */
CLAVE_API CLAVE_MUST_USE clave_status clave_attest_report_first_failure(
    const struct clave_attest_report *report, struct clave_attest_check *out);

CLAVE_API size_t clave_attest_report_claim_count(const struct clave_attest_report *report);
CLAVE_API CLAVE_MUST_USE clave_status clave_attest_report_get_claim(
    const struct clave_attest_report *report, size_t index, struct clave_attest_claim *out);
/** Look a claim up by name; CLAVE_ERR_NOT_FOUND if absent. */
CLAVE_API CLAVE_MUST_USE clave_status clave_attest_report_find_claim(
    const struct clave_attest_report *report, const char *name, struct clave_attest_claim *out);

/** The report as JSON: {"ok":…, "checks":[{name,outcome,detail}…], "claims":{name: value…}}
 * (bytes as lower-case hex). Caller frees with free(). */
CLAVE_API CLAVE_MUST_USE clave_status
clave_attest_report_json(const struct clave_attest_report *report, char **json);

#ifdef __cplusplus
}
#endif
#endif
