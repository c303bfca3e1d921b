/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Intel and TPM evidence: Intel DCAP quotes (TDX v4/v5, SGX v3) with their collateral, TPM 2.0
 * quotes, Azure vTPM confidential VMs (HCL report + TPM quote) and GCP TDX (quote + CCEL event
 * log). Every verifier fills a `clave_attest_report` (include/clave/attest.h) with one check per
 * step, in order, and the claims of the evidence under the common names ("tee", "report_data",
 * "measurement", "debug", "tcb_status", "advisories") plus prefixed ones ("tdx.rtmr0",
 * "sgx.mrsigner", "tpm.pcr0", ...). See docs/attestation-intel.md.
 *
 * Verifiers take the time (Unix seconds) at which certificates, CRLs and collateral must be
 * valid; they never read the clock and never use the network. They return CLAVE_OK only when
 * every check passed; otherwise the status of the first failed check (CLAVE_ERR_SIGNATURE,
 * CLAVE_ERR_CERT, CLAVE_ERR_EXPIRED, CLAVE_ERR_REVOKED, CLAVE_ERR_FORMAT, ...) and the report
 * still holds every check that ran. A collateral object is immutable after loading and may be
 * shared between threads; a report is used by one thread at a time.
 */
#ifndef CLAVE_ATTEST_INTEL_H
#define CLAVE_ATTEST_INTEL_H

#include <clave/attest.h>
#include <clave/status.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Largest DCAP quote accepted (real quotes are about 5 KiB; files may carry padding). */
#define CLAVE_DCAP_QUOTE_MAX_LEN (64u * 1024u)
/* Largest collateral file (TCB info JSON, QE identity JSON, CRL, PEM chain). */
#define CLAVE_DCAP_COLLATERAL_MAX_LEN (1024u * 1024u)

/** Intel collateral for DCAP verification: TCB info, QE identity, CRLs, issuer chains. */
struct clave_dcap_collateral;

/**
 * Load collateral from the JSON object used by dcap-qvl (`QuoteCollateralV3`): keys
 * pck_crl_issuer_chain, root_ca_crl (hex DER), pck_crl (hex DER), tcb_info_issuer_chain,
 * tcb_info (the signed JSON text), tcb_info_signature (hex r||s), qe_identity_issuer_chain,
 * qe_identity, qe_identity_signature. Unknown keys are ignored.
 * @param json  borrowed, `len` bytes (at most CLAVE_DCAP_COLLATERAL_MAX_LEN)
 * @param out   set to NULL on entry; caller frees with clave_dcap_collateral_free()
 * @return CLAVE_OK, CLAVE_ERR_JSON, CLAVE_ERR_ENCODING, CLAVE_ERR_FORMAT, CLAVE_ERR_TOO_LARGE,
 *         CLAVE_ERR_NOMEM
 */
CLAVE_API CLAVE_MUST_USE clave_status
clave_dcap_collateral_from_json(const char *json, size_t len, struct clave_dcap_collateral **out);

/**
 * Load collateral from a directory of PCS responses: every `*.json` holding {"tcbInfo":…,
 * "signature":…} or {"enclaveIdentity":…, "signature":…} (other JSON files are skipped), every
 * `*.der`/`*.crl` CRL, and every `*.pem` certificate chain (issuer chains; TCB Signing
 * certificates are found by trying each). The TCB info matching the quote's FMSPC and the QE
 * identity matching its TEE are picked at verification time.
 * @param dir  path of the directory (borrowed)
 * @param out  set to NULL on entry; caller frees
 * @return CLAVE_OK, CLAVE_ERR_IO, CLAVE_ERR_NOT_FOUND (no TCB info found), parse errors
 */
CLAVE_API CLAVE_MUST_USE clave_status
clave_dcap_collateral_from_dir(const char *dir, struct clave_dcap_collateral **out);

/**
 * Replace the pinned trust anchor (by default the Intel SGX Root CA, SHA-256
 * 44A0196B…74D3) with the first certificate of `pem` (borrowed). For test roots only.
 * @return CLAVE_OK, CLAVE_ERR_NOT_FOUND, CLAVE_ERR_FORMAT
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_dcap_collateral_set_root(
    struct clave_dcap_collateral *collateral, const char *pem, size_t len);

/** Free collateral; NULL is a no-op. */
CLAVE_API void clave_dcap_collateral_free(struct clave_dcap_collateral *collateral);

/**
 * Verify an Intel DCAP quote (TDX v4/v5 or SGX v3): quote signature by the attestation key, QE
 * report signature by the PCK key, QE report data binding, PCK chain to the pinned root at
 * `at_time`, root and PCK CRLs, TCB info and QE identity signatures and windows, FMSPC, the TCB
 * level (Intel's algorithm, including TDX module identities) and the QE identity, and gives
 * Intel's status string (claim "tcb_status") and the merged advisory ids ("advisories").
 * "OutOfDate"-style statuses pass (a policy decides); "Revoked" and "no matching TCB level"
 * fail. Bytes after the signature data are ignored (padding). Debug enclaves/TDs are reported
 * in the "debug" claim; rejecting them is the policy's job.
 * @param quote       borrowed, `len` bytes (at most CLAVE_DCAP_QUOTE_MAX_LEN)
 * @param collateral  borrowed; NULL runs the quote-only checks and fails "dcap.collateral"
 * @param at_time     Unix seconds
 * @param report      borrowed; checks and claims are appended
 * @return CLAVE_OK if every check passed, else the status of the first failed check
 */
CLAVE_API CLAVE_MUST_USE clave_status
clave_dcap_verify(const uint8_t *quote, size_t len, const struct clave_dcap_collateral *collateral,
                  int64_t at_time, struct clave_attest_report *report);

/**
 * Parse a DCAP quote and record its claims (no signature or chain check: one "dcap.parse"
 * check). For `clave attest inspect`.
 * @return CLAVE_OK or the parse error
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_dcap_inspect(const uint8_t *quote, size_t len,
                                                         struct clave_attest_report *report);

/* ---- TPM 2.0 quotes ---- */

struct clave_pkey;

/**
 * Inputs of a TPM2 quote verification. A transparent value type (like clave_reader): fill it on
 * the stack; every pointer is borrowed for the duration of the call.
 */
struct clave_tpm2_quote_input {
    const uint8_t *attest; /* TPMS_ATTEST as signed (tpm2_quote -m) */
    size_t attest_len;
    const uint8_t *signature; /* TPMT_SIGNATURE (tpm2_quote -s), or a bare RSA signature */
    size_t signature_len;
    const struct clave_pkey *ak; /* RSA (RSASSA-PKCS1-v1_5/SHA-256) or P-256 attestation key */
    const uint8_t *nonce;        /* expected extraData */
    size_t nonce_len;
    /* The selected PCR values concatenated in selection order (tpm2_pcrread -o); NULL skips
     * the pcrDigest check and the tpm.pcrN claims. */
    const uint8_t *pcr_values;
    size_t pcr_values_len;
};

/**
 * Verify a TPM 2.0 quote (TPMS_ATTEST of type TPM_ST_ATTEST_QUOTE): structure, signature by
 * the AK, extraData == nonce (constant time), and the PCR digest over the given PCR values.
 * Checks "tpm.parse", "tpm.signature", "tpm.nonce", "tpm.pcr_digest"; claims "tee" = "tpm2",
 * "tpm.extra_data", "tpm.pcr_digest", "tpm.reset_count", "tpm.restart_count", "tpm.pcrN".
 * Thread-safe for distinct reports.
 * @return CLAVE_OK if every check passed, else the first failure (CLAVE_ERR_SIGNATURE,
 *         CLAVE_ERR_AUTH for a wrong nonce, CLAVE_ERR_FORMAT, CLAVE_ERR_UNSUPPORTED, ...)
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_tpm2_quote_verify(
    const struct clave_tpm2_quote_input *in, struct clave_attest_report *report);

/* ---- Azure confidential VMs with a vTPM (SEV-SNP and TDX) ---- */

/**
 * Verify Azure vTPM evidence in trustee's JSON form ({"version", "tpm_quote": {"signature",
 * "message", "pcrs"}, "hcl_report", "vcek"|"td_quote"}): the HCL report's runtime data hash
 * in the hardware report's REPORT_DATA (and, for TDX, in the TD quote's REPORTDATA), the AK
 * (JWK "HCLAkPub") from that runtime data, the TPM2 quote signed by it with extraData == nonce
 * and pcrDigest over the 24 PCRs, and for version 2 the runtime user-data prefix == nonce.
 * Checks "az.hcl_report", "az.runtime_binding", "az.ak", "az.user_data", "tpm.*"; claims "tee"
 * ("az-snp-vtpm" | "az-tdx-vtpm"), "report_data", "az.snp_report" | "az.td_report",
 * "tpm.pcrN". NOT checked here: the SNP report's signature and VCEK chain, and the TD quote's
 * DCAP chain: clave_attest_verify() with "az-snp-vtpm" / "az-tdx-vtpm" runs them as well (or
 * pass "az.snp_report" to the SNP verifier and the td_quote to clave_dcap_verify()).
 * @param json   borrowed evidence text
 * @param nonce  borrowed expected nonce
 * @return CLAVE_OK if every check passed, else the first failure; parse errors of the JSON
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_azure_vtpm_verify(const char *json, size_t len,
                                                              const uint8_t *nonce,
                                                              size_t nonce_len,
                                                              struct clave_attest_report *report);

/** The same for the split form: the HCL report bytes and the "tpm_quote" JSON object. */
CLAVE_API CLAVE_MUST_USE clave_status clave_azure_vtpm_verify_parts(
    const uint8_t *hcl, size_t hcl_len, const char *quote_json, size_t quote_len,
    const uint8_t *nonce, size_t nonce_len, struct clave_attest_report *report);

/**
 * The hardware report inside an HCL report (borrowed view into `hcl`): the 1184-byte SEV-SNP
 * report (`*is_tdx` false) or the 1024-byte TDREPORT (`*is_tdx` true), for the SNP verifier.
 * @return CLAVE_OK or a parse error
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_azure_hcl_inner_report(const uint8_t *hcl, size_t len,
                                                                   const uint8_t **report,
                                                                   size_t *report_len,
                                                                   bool *is_tdx);

/* ---- GCP confidential VMs on TDX (TD quote + CCEL event log) ---- */

struct ccel_replay;

/**
 * Replay a TCG2 crypto-agile event log (the CCEL log area) into RTMR0..3 (MR index 1..4, SHA-384
 * extends from zero; EV_NO_ACTION skipped). `out` is caller's memory; `log` borrowed.
 * @return CLAVE_OK, CLAVE_ERR_FORMAT / CLAVE_ERR_TRUNCATED / CLAVE_ERR_UNSUPPORTED on bad logs
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_ccel_replay(const uint8_t *log, size_t len,
                                                        struct ccel_replay *out);

/**
 * Verify GCP TDX evidence: the TD quote through clave_dcap_verify() (`collateral` may be NULL:
 * then "dcap.collateral" fails and so does the verdict), REPORTDATA starting with `nonce`
 * ("gcp.nonce"), the CCEL event log ("gcp.event_log") and its replay equal to the quote's
 * RTMR0..3 ("gcp.rtmr_replay"). Claim "tee" = "gcp-tdx". All pointers borrowed.
 * @return CLAVE_OK if every check passed, else the first failure
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_gcp_tdx_verify(
    const uint8_t *quote, size_t quote_len, const struct clave_dcap_collateral *collateral,
    int64_t at_time, const uint8_t *ccel_log, size_t log_len, const uint8_t *nonce,
    size_t nonce_len, struct clave_attest_report *report);

#ifdef __cplusplus
}
#endif
#endif
