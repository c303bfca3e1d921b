/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Remote attestation: verifying evidence (AWS Nitro, AMD SEV-SNP, Intel DCAP TDX/SGX, Azure vTPM,
 * GCP TDX, TPM 2.0 quotes, simulated), appraising it under a policy, issuing the result as an
 * EAR token, RA-TLS certificates and collecting evidence on hardware. One entry point,
 * clave_attest_verify(), dispatches on the format; the Intel and TPM verifiers can also be called
 * on their own (include/clave/attest_intel.h, docs/attestation-intel.md).
 *
 * The flow: clave_attest_verify() fills a clave_attest_report (include/clave/attest.h) with the
 * format's checks and claims; clave_attest_policy_apply() appends "policy.*" checks; the verdict
 * is clave_attest_report_ok(). Nothing here touches the network or the wall clock unless the
 * caller passes at_time = 0 (then "now" is used where the evidence carries no time).
 *
 * Trust: by default only the vendors' roots compiled into libclave are trusted (AWS Nitro
 * Root-G1; AMD ARK Milan/Genoa/Turin with their ASK/ASVK; the Intel SGX Root CA). A policy may
 * replace the AWS and AMD roots per TEE type (the Intel root is always the pinned one), and only
 * a policy can make the simulated ("sim-*") dev root trusted. A TPM2 quote is trusted as far as
 * the caller trusts the attestation key it passes.
 */
#ifndef CLAVE_ATTEST_VERIFY_H
#define CLAVE_ATTEST_VERIFY_H

#include <clave/attest.h>
#include <clave/sign.h>
#include <clave/status.h>
#include <clave/x509.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Largest evidence file accepted by clave_attest_verify(). */
#define CLAVE_ATTEST_MAX_EVIDENCE_LEN (1024u * 1024u)

/* AWS Nitro attestation document limits (aws-nitro-enclaves-nsm-api, attestation_process.md
 * section 3.2.2.2). */
#define CLAVE_NITRO_MAX_PAYLOAD_LEN 16384
#define CLAVE_NITRO_MAX_CERT_LEN 1024
#define CLAVE_NITRO_MAX_PUBLIC_KEY_LEN 1024
#define CLAVE_NITRO_MAX_USER_DATA_LEN 512
#define CLAVE_NITRO_MAX_NONCE_LEN 512
#define CLAVE_NITRO_MAX_PCRS 32
#define CLAVE_NITRO_MAX_CABUNDLE 16

/* AMD SEV-SNP attestation report (SEV-SNP ABI, table "ATTESTATION_REPORT Structure"). */
#define CLAVE_SNP_REPORT_LEN 1184
#define CLAVE_SNP_SIGNED_LEN 0x2A0
#define CLAVE_SNP_REPORT_DATA_LEN 64
#define CLAVE_SNP_MEASUREMENT_LEN 48

struct clave_attest_policy;
struct clave_attest_cache;

/*
 * Verification options: a transparent value struct, zero-initialise and set what you need. A NULL
 * pointer means all defaults. Everything is borrowed for the call.
 */
struct clave_attest_options {
    /* Unix seconds at which certificates and collateral must be valid. 0: the evidence's own time
     * where it has one (Nitro timestamp), else the current time. */
    int64_t at_time;
    /* Directory of collateral files (*.der, *.pem, *.crt: VCEK/VLEK, ASK/ARK, ...); may be NULL. */
    const char *collateral_dir;
    /* Endorsement certificate(s) in DER or PEM (e.g. an SNP VCEK/VLEK); may be NULL. */
    const uint8_t *endorsement;
    size_t endorsement_len;
    /* Roots per TEE type (policy "trusted_roots"); NULL: the vendors' roots only. */
    const struct clave_attest_policy *policy;
    /* Verified-chain cache (clave_attest_cache_new); NULL: verify every chain. */
    struct clave_attest_cache *cache;
    /* Intel DCAP collateral (tdx, sgx, az-tdx-vtpm, gcp-tdx) as a dcap-qvl collateral JSON file
     * (clave_dcap_collateral_from_json); NULL: collateral_dir is read as a directory of PCS
     * responses (clave_dcap_collateral_from_dir). With a cache, each is parsed once. */
    const char *collateral_file;
    /* Expected nonce: TPM quote extraData (tpm2, az-*-vtpm), Azure runtime user-data (evidence
     * v2), prefix of the TD quote's REPORTDATA (gcp-tdx). NULL: an empty nonce. */
    const uint8_t *nonce;
    size_t nonce_len;
    /* tpm2: the attestation key, the TPMT_SIGNATURE over the TPMS_ATTEST evidence, and the
     * selected PCR values in selection order (may be NULL: then pcrDigest is not checked). */
    const struct clave_pkey *tpm_ak;
    const uint8_t *tpm_signature;
    size_t tpm_signature_len;
    const uint8_t *tpm_pcrs;
    size_t tpm_pcrs_len;
    /* az-snp-vtpm given as a bare HCL report: the "tpm_quote" JSON object beside it. */
    const uint8_t *tpm_quote;
    size_t tpm_quote_len;
    /* gcp-tdx: the CCEL event log (the ACPI CCEL log area). */
    const uint8_t *event_log;
    size_t event_log_len;
};

/**
 * Verify `evidence` (`len` bytes, borrowed) of the named `format` ("auto", "nitro", "snp",
 * "tdx", "sgx", "az-snp-vtpm", "az-tdx-vtpm", "az-vtpm" (either Azure type), "gcp-tdx", "tpm2";
 * see clave_attest_format_name()), recording every check and
 * the claims in `report` (borrowed; checks are appended). The cryptographic verdict is
 * clave_attest_report_ok(report) afterwards; appraisal under a policy is a separate step.
 * @return CLAVE_OK when the evidence was examined (whatever the verdict), CLAVE_ERR_UNSUPPORTED
 *         for an unknown format or undetectable evidence, CLAVE_ERR_TOO_LARGE, CLAVE_ERR_NOMEM,
 *         CLAVE_ERR_LIMIT (report full). Thread-safe if `report` and `opts->cache` are not shared.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_attest_verify(const char *format,
                                                          const uint8_t *evidence, size_t len,
                                                          const struct clave_attest_options *opts,
                                                          struct clave_attest_report *report);

/** The name of the format detected for `evidence`, or NULL if none matches. */
CLAVE_API const char *clave_attest_detect(const uint8_t *evidence, size_t len);

/** Format `index` of the registered table (NULL past the end): for help texts. */
CLAVE_API const char *clave_attest_format_name(size_t index);

/**
 * Parse the evidence without verifying it and record its claims only (for `inspect`): no check
 * is recorded, so the report never reads as ok. Same returns as clave_attest_verify().
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_attest_inspect(const char *format,
                                                           const uint8_t *evidence, size_t len,
                                                           struct clave_attest_report *report);

/**
 * A verification cache: verified chains (digest of leaf, intermediates and roots, with the
 * intersection of their validity windows), parsed vendor roots, Nitro certificates and SNP
 * collateral with its keys. With a warm cache a verification costs one signature check. It
 * assumes collateral files it has read do not change during its life. Caller frees; not
 * thread-safe: use one per thread.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_attest_cache_new(struct clave_attest_cache **out);
CLAVE_API void clave_attest_cache_free(struct clave_attest_cache *cache);

/* ---- Policy ---- */

/**
 * Parse a JSON policy (docs/attestation.md, "Policy language"); `json` borrowed, `len` bytes.
 * `base_dir` (may be NULL) resolves relative root file names. Caller frees `*out`.
 * @return CLAVE_OK, CLAVE_ERR_JSON (names the offending field), CLAVE_ERR_ENCODING (bad hex),
 *         CLAVE_ERR_IO / CLAVE_ERR_NOT_FOUND (root file), CLAVE_ERR_LIMIT, CLAVE_ERR_NOMEM
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_attest_policy_parse(const char *json, size_t len,
                                                                const char *base_dir,
                                                                struct clave_attest_policy **out);

/** The default production policy: vendor roots only, debug rejected. Caller frees. */
CLAVE_API CLAVE_MUST_USE clave_status clave_attest_policy_default(struct clave_attest_policy **out);

CLAVE_API void clave_attest_policy_free(struct clave_attest_policy *policy);

/** The roots the policy names for `tee` ("nitro", "sim-snp", ...), borrowed; NULL if none. */
CLAVE_API const struct clave_x509_list *
clave_attest_policy_roots(const struct clave_attest_policy *policy, const char *tee);

/**
 * Append the policy's "policy.*" checks for the report's "tee" claim to `report`. `now` (Unix
 * seconds) judges the evidence age. A report without a "tee" claim gets a failed "policy.tee".
 * @return CLAVE_OK (the verdict is in the report), CLAVE_ERR_LIMIT, CLAVE_ERR_NOMEM
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_attest_policy_apply(
    const struct clave_attest_policy *policy, int64_t now, struct clave_attest_report *report);

/* ---- EAR: draft-ietf-rats-ear attestation results as ES256 JWTs ---- */

#define CLAVE_EAR_PROFILE "tag:github.com,2023:veraison/ear"

/**
 * Issue the appraisal in `report` as an EAR JWT (JWS compact, ES256) signed by `key` (a P-256
 * private key, borrowed), with iat = `iat`, ear.verifier-id {developer, build} = `verifier_id`,
 * one submod named after the report's "tee" claim whose ear.status and AR4SI trust vector
 * derive from the checks. `*jwt` is a NUL-terminated string, caller frees with free().
 * @return CLAVE_OK, CLAVE_ERR_KEY, CLAVE_ERR_NOMEM, CLAVE_ERR_CRYPTO
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_ear_issue(const struct clave_attest_report *report,
                                                      const struct clave_pkey *key,
                                                      const char *verifier_id, int64_t iat,
                                                      char **jwt);

/**
 * Verify an EAR JWT under `key` (P-256 public key, borrowed): header alg ES256, signature,
 * eat_profile, and every submod's ear.status. `*status` receives the worst submod status
 * ("affirming", "warning", "contraindicated", "none"; static string). `*claims` (may be NULL)
 * receives the claims set as a JSON text the caller frees.
 * @return CLAVE_OK, CLAVE_ERR_SIGNATURE, CLAVE_ERR_FORMAT, CLAVE_ERR_JSON, CLAVE_ERR_ENCODING
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_ear_verify(const char *jwt, size_t len,
                                                       const struct clave_pkey *key,
                                                       const char **status, char **claims);

/* ---- Simulated TEE: NO HARDWARE PROTECTION, development and CI only ---- */

/**
 * Create a dev PKI in `dir` (created with mode 0700 if missing): root.pem (self-signed CA),
 * intermediate.pem, nitro-leaf.pem + nitro-leaf.key and snp-vcek.pem + snp-vcek.key, all ECDSA
 * P-384, private keys unencrypted PKCS#8 PEM with mode 0600. Anyone holding these files can forge
 * "sim" evidence: it proves nothing about hardware.
 * @return CLAVE_OK, CLAVE_ERR_IO, CLAVE_ERR_CRYPTO, CLAVE_ERR_EXISTS (root.pem present)
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_attest_sim_init(const char *dir);

/** What the sim attester puts into evidence; absent fields are zero. Borrowed. */
struct clave_attest_sim_input {
    const uint8_t *report_data; /* at most 64 bytes (Nitro: user_data, up to 512) */
    size_t report_data_len;
    const uint8_t *measurement; /* SNP MEASUREMENT (48) / Nitro PCR0 (48) */
    size_t measurement_len;
    const uint8_t *nonce; /* Nitro only, at most 512 */
    size_t nonce_len;
    int64_t time; /* Nitro timestamp (s); 0: now */
};

/**
 * Emit Nitro-format ("nitro") or SNP-format ("snp") evidence signed by the dev keys in `dir`.
 * `*out` is caller-frees with free().
 * @return CLAVE_OK, CLAVE_ERR_ARG (format, field lengths), CLAVE_ERR_IO (dir not initialised)
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_attest_sim_evidence(
    const char *dir, const char *format, const struct clave_attest_sim_input *input, uint8_t **out,
    size_t *out_len);

/** A sim SEV-SNP attester with its VCEK loaded once (see clave_attest_sim_snp_open). */
struct clave_attest_sim_snp;

/**
 * Load the sim VCEK (`dir`/snp-vcek.key of clave_attest_sim_init) once, for many reports: the
 * simulated chip keeps its key, as real firmware does, instead of re-reading it per report.
 * `*out` is freed with clave_attest_sim_snp_free.
 * @return CLAVE_OK, CLAVE_ERR_NOT_FOUND / CLAVE_ERR_IO (dir not initialised), CLAVE_ERR_KEY
 *         (not a P-384 key)
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_attest_sim_snp_open(const char *dir,
                                                                struct clave_attest_sim_snp **out);

/**
 * A fresh SNP-format report for `input` (NULL: all zero), signed now by the loaded VCEK: what
 * clave_attest_sim_evidence(dir, "snp", ...) returns. `*out` is caller-frees with free().
 * Thread-safe: several threads may sign with one `s` at once.
 * @return CLAVE_OK, CLAVE_ERR_ARG (field lengths, a nonce), CLAVE_ERR_CRYPTO
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_attest_sim_snp_report(
    const struct clave_attest_sim_snp *s, const struct clave_attest_sim_input *input, uint8_t **out,
    size_t *out_len);

/** Free (the key is wiped by OpenSSL). NULL is a no-op. */
CLAVE_API void clave_attest_sim_snp_free(struct clave_attest_sim_snp *s);

/* ---- Collection on real hardware ---- */

/**
 * Collect evidence binding `report_data` (at most 64 bytes) from the first TEE device found:
 * /dev/nsm (Nitro), /dev/sev-guest (SNP), /sys/kernel/config/tsm/report (configfs-tsm).
 * `*format` names the evidence ("nitro", "snp", "tdx"; static string); `*out` caller-frees.
 * @return CLAVE_OK, CLAVE_ERR_NOT_FOUND ("no TEE device found (looked for ...)"), CLAVE_ERR_IO
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_attest_collect(const uint8_t *report_data,
                                                           size_t report_data_len,
                                                           const char **format, uint8_t **out,
                                                           size_t *out_len);

#ifdef __cplusplus
}
#endif
#endif
