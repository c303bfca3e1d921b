/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Key broker protocol logic (no HTTP): the Confidential Containers KBS attestation protocol
 * ("RCAR", confidential-containers/trustee kbs/docs/kbs_attestation_protocol.md) request bodies,
 * the runtime-data binding, the claims kept from verified evidence, and the release policy that
 * decides whether a dataset key may go to an attested workload under a contract.
 *
 *   POST /kbs/v0/auth    {"version","tee","extra-params"}      -> {"nonce","extra-params"}
 *   POST /kbs/v0/attest  {"runtime-data":{"nonce","tee-pubkey"},"tee-evidence":{...}}
 *   GET  /kbs/v0/resource/<repository>/<type>/<tag>            -> flattened JWE to tee-pubkey
 *
 * Binding rule: runtime data = the JSON object {"nonce": N, "tee-pubkey": JWK} serialised with
 * sorted keys and no whitespace (as serde_json serialises a map); its SHA-384 fills the first 48
 * bytes of the 64-byte report data (SNP REPORT_DATA, Nitro user_data), the rest are zero.
 *
 * Thread-safety: every function is thread-safe on distinct objects; parsed objects are
 * immutable.
 */
#ifndef CLAVE_KBS_H
#define CLAVE_KBS_H

#include <clave/attest.h>
#include <clave/contract.h>
#include <clave/jose.h>
#include <clave/status.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CLAVE_KBS_VERSION "0.1.1"     /* protocol version we speak; any 0.1.x is accepted */
#define CLAVE_KBS_NONCE_LEN 32        /* random bytes behind a challenge nonce */
#define CLAVE_KBS_NONCE_TEXT_MAX 64   /* base64 (standard, padded) of the nonce */
#define CLAVE_KBS_REPORT_DATA_LEN 64  /* SNP REPORT_DATA / the Nitro user_data we expect */
#define CLAVE_KBS_TEE_MAX 16          /* "snp", "sample", "az-snp-vtpm", ... */
#define CLAVE_KBS_BODY_MAX (1u << 20) /* largest attest body */
#define CLAVE_KBS_REASON_MAX 192
#define CLAVE_KBS_TCB_STATUS_MAX 48
#define CLAVE_KBS_BINDING_LEN 16 /* report data bytes 48..63: contract id prefix, or zeros */
#define CLAVE_KBS_CHIP_ID_LEN 64 /* SNP CHIP_ID */

/** The `Request` payload of POST /kbs/v0/auth. */
struct clave_kbs_auth_request {
    char version[16];
    char tee[CLAVE_KBS_TEE_MAX + 1];
};

/**
 * Parse a `Request` body (`len` bytes, borrowed): {"version", "tee", "extra-params"} with
 * extra-params an object or a string (the protocol allows ""), no other member. `version` must be
 * 0.1.x. Errors name the field: CLAVE_ERR_JSON, CLAVE_ERR_FORMAT, CLAVE_ERR_UNSUPPORTED
 * (version), CLAVE_ERR_TOO_LARGE.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_kbs_parse_auth(const char *body, size_t len,
                                                           struct clave_kbs_auth_request *out);

/** A parsed `Attestation` payload. Opaque. */
struct clave_kbs_attestation;

/**
 * Parse an `Attestation` body (borrowed): "runtime-data" {"nonce", "tee-pubkey" (EC P-256/P-384
 * or RSA public JWK)} and "tee-evidence" {"primary_evidence": {"format": "snp"|"nitro",
 * "evidence": base64url}, "additional_evidence": "" or "{}" (optional)}. "init-data" is
 * refused (CLAVE_ERR_UNSUPPORTED): nothing here would bind it. Computes the expected report
 * data. Caller frees `*out`.
 * Errors: CLAVE_ERR_JSON, CLAVE_ERR_FORMAT, CLAVE_ERR_KEY (tee-pubkey), CLAVE_ERR_UNSUPPORTED,
 * CLAVE_ERR_TOO_LARGE, CLAVE_ERR_NOMEM.
 */
CLAVE_API CLAVE_MUST_USE clave_status
clave_kbs_parse_attestation(const char *body, size_t len, struct clave_kbs_attestation **out);
CLAVE_API void clave_kbs_attestation_free(struct clave_kbs_attestation *a);
/** runtime-data.nonce (borrowed). */
CLAVE_API const char *clave_kbs_attestation_nonce(const struct clave_kbs_attestation *a);
/** runtime-data.tee-pubkey parsed (borrowed) and as compact JSON text (borrowed). */
CLAVE_API const struct clave_jwk *
clave_kbs_attestation_tee_key(const struct clave_kbs_attestation *a);
CLAVE_API const char *clave_kbs_attestation_tee_pubkey_json(const struct clave_kbs_attestation *a);
/** primary_evidence.format ("snp", "nitro") and the evidence bytes (borrowed). */
CLAVE_API const char *clave_kbs_attestation_format(const struct clave_kbs_attestation *a);
CLAVE_API const uint8_t *clave_kbs_attestation_evidence(const struct clave_kbs_attestation *a,
                                                        size_t *len);
/** The report data the evidence must carry (CLAVE_KBS_REPORT_DATA_LEN bytes, borrowed). */
CLAVE_API const uint8_t *clave_kbs_attestation_report_data(const struct clave_kbs_attestation *a);

/**
 * The binding rule above, for attesters: report data for `nonce` and the public JWK object
 * `tee_pubkey` (borrowed). Errors: CLAVE_ERR_ARG, CLAVE_ERR_NOMEM.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_kbs_report_data(const char *nonce,
                                                            const json_t *tee_pubkey,
                                                            uint8_t out[CLAVE_KBS_REPORT_DATA_LEN]);

/* A runner binds its contract by putting the first CLAVE_KBS_BINDING_LEN bytes of the contract
 * id in bytes 48..63 instead of zeros: clave_receipt_report_data() (include/clave/receipt.h). */

/** What the broker keeps from verified evidence (a transparent value struct). */
struct clave_kbs_claims {
    char tee[CLAVE_KBS_TEE_MAX + 1]; /* "snp", "sim-snp", "nitro", "sim-nitro", ... */
    bool debug;
    uint8_t measurement[48]; /* SNP MEASUREMENT / Nitro PCR0 */
    size_t measurement_len;
    uint8_t pcr1[48], pcr2[48], pcr8[48]; /* Nitro */
    bool has_pcr1, has_pcr2, has_pcr8;
    uint8_t host_data[32]; /* SNP */
    bool has_host_data;
    struct clave_snp_tcb reported_tcb; /* SNP */
    bool has_tcb;
    char tcb_status[CLAVE_KBS_TCB_STATUS_MAX]; /* empty when the format reports none */
    uint8_t evidence_sha256[32];
    /* Report data bytes 48..63 when not all zero: the workload bound itself to the contract
     * whose id starts with these bytes (clave_receipt_report_data), and only that contract
     * may release to it. */
    uint8_t contract_binding[CLAVE_KBS_BINDING_LEN];
    bool has_contract_binding;
    uint8_t chip_id[CLAVE_KBS_CHIP_ID_LEN]; /* SNP CHIP_ID (all zero under a VLEK / MASK_CHIP_ID) */
    bool has_chip_id;
};

/**
 * Collect the claims of a verified report (`report` borrowed) and the evidence digest.
 * Errors: CLAVE_ERR_FORMAT (no "tee" claim or a claim of the wrong size).
 */
CLAVE_API CLAVE_MUST_USE clave_status
clave_kbs_claims_from_report(const struct clave_attest_report *report, const uint8_t *evidence,
                             size_t evidence_len, struct clave_kbs_claims *out);

/** Claims as a JSON object (new reference) and back (errors name the field). */
CLAVE_API CLAVE_MUST_USE clave_status clave_kbs_claims_to_json(const struct clave_kbs_claims *c,
                                                               json_t **out);
CLAVE_API CLAVE_MUST_USE clave_status clave_kbs_claims_from_json(const json_t *j,
                                                                 struct clave_kbs_claims *out);

/** One release decision's inputs (all borrowed). */
struct clave_kbs_release {
    const struct clave_contract *contract; /* with its approvals and revocations */
    uint64_t now;                          /* unix seconds */
    const char *dataset_id;
    const uint8_t *dataset_sha256; /* 32 bytes: SHA-256 of the sealed blob */
    const char *dataset_region;    /* the dataset's region tag, or NULL */
    bool trust_sim;                /* server policy: sim-* evidence may be accepted */
    const struct clave_kbs_claims *claims;
};

/**
 * The release policy, in this order: contract active (clave_contract_status at `now`: not
 * draft, revoked, expired or not yet valid); the dataset (id and hash) belongs to the contract;
 * a sim TEE only with trust_sim; not debug unless the contract allows; a workload of the
 * contract for this TEE type matches the reference values; the TCB is accepted (SNP: reported
 * TCB >= the workload's minimum; formats with a status: among the contract's); the dataset's
 * region is allowed. Returns true to release; false with `reason` (a sentence naming the rule)
 * to deny.
 */
CLAVE_API bool clave_kbs_appraise(const struct clave_kbs_release *r,
                                  char reason[CLAVE_KBS_REASON_MAX]);

/** The inputs of a recipient-key release decision (all borrowed). */
struct clave_kbs_recipient_release {
    const struct clave_contract *contract; /* with its approvals and revocations */
    uint64_t now;                          /* unix seconds */
    const char *party;                     /* the recipient party whose keys are asked for */
    bool trust_sim;                        /* server policy: sim-* evidence may be accepted */
    const struct clave_kbs_claims *claims;
};

/**
 * The policy for handing an attested workload a recipient's registered public keys (the
 * resource <collaboration>/recipient/<party>), in this order: the workload's contract binding
 * (if any) names this contract; the contract is active at `now`; `party` is one of its
 * recipients ("recipient: P is not a recipient of the contract"); then the workload rules of
 * clave_kbs_appraise() (TEE type, sim trust, debug, reference values, TCB minimum and status).
 * The dataset and region rules do not apply. Returns true to release; false with `reason`.
 * Thread-safe (read-only).
 */
CLAVE_API bool clave_kbs_appraise_recipient(const struct clave_kbs_recipient_release *r,
                                            char reason[CLAVE_KBS_REASON_MAX]);

/**
 * The workload rules alone, for decisions that release no dataset or recipient key: the
 * workload's contract binding (if any) names `contract`; the contract is active at `now`; then
 * the workload rules of clave_kbs_appraise() (TEE type, sim evidence only with `trust_sim`,
 * debug, reference values, TCB minimum and status). All inputs borrowed. Returns true when the
 * workload is the contract's; false with `reason`. Thread-safe (read-only).
 */
CLAVE_API bool clave_kbs_appraise_workload(const struct clave_contract *contract, uint64_t now,
                                           bool trust_sim, const struct clave_kbs_claims *claims,
                                           char reason[CLAVE_KBS_REASON_MAX]);

/**
 * Whether `key` (borrowed) is the key `contract` names for recipient `party`: its RFC 7638
 * thumbprint equals the recipient's `jwk_thumbprint`, or, for a recipient named by SPKI, equals
 * the thumbprint of that SPKI's key (the same public key). False when `party` is not a
 * recipient, or the SPKI is not an encryption key type. Thread-safe.
 */
CLAVE_API bool clave_kbs_recipient_key_named(const struct clave_contract *contract,
                                             const char *party, const struct clave_jwk *key);

/** Largest recipient JWK text accepted (an RSA-8192 public key is about 1.5 KiB). */
#define CLAVE_KBS_RECIPIENT_JWK_MAX 8192

/**
 * Parse a recipient's public key for registration: a JWK (`len` bytes of JSON, borrowed, at
 * most CLAVE_KBS_RECIPIENT_JWK_MAX) of kty EC (P-256, P-384), OKP (X25519) or RSA, with no
 * private member (d, p, q, dp, dq, qi, oth, k). Writes its RFC 7638 thumbprint to `thumbprint`
 * and its canonical public JSON (clave_jwk_export_public, caller frees with free()) to
 * `*public_json`. Errors name the member: CLAVE_ERR_JSON, CLAVE_ERR_TOO_LARGE, CLAVE_ERR_KEY
 * (private member, Ed25519/oct, invalid key), CLAVE_ERR_UNSUPPORTED, CLAVE_ERR_ENCODING,
 * CLAVE_ERR_NOMEM.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_kbs_recipient_key_parse(const char *json, size_t len,
                                                                    uint8_t thumbprint[32],
                                                                    char **public_json);

/**
 * Platform TCB collateral (docs/kbs.md "Collateral refresh"): the operator's statement of which
 * SEV-SNP platforms are out of date (REPORTED_TCB below `snp.min_tcb`) or revoked (CHIP_ID in
 * `snp.revoked_chip_ids`), as a JSON document {"version": 1, "issued_at", "snp": {...}}. Opaque,
 * immutable once parsed.
 */
struct clave_kbs_tcb_collateral;

/**
 * Parse the collateral document (`len` bytes, borrowed; at most 1 MiB, 65536 chip ids). Unknown
 * members are refused. Caller frees `*out`. Errors name the field: CLAVE_ERR_JSON,
 * CLAVE_ERR_FORMAT, CLAVE_ERR_TOO_LARGE, CLAVE_ERR_ARG, CLAVE_ERR_NOMEM.
 */
CLAVE_API CLAVE_MUST_USE clave_status
clave_kbs_tcb_collateral_parse(const char *json, size_t len, struct clave_kbs_tcb_collateral **out);
CLAVE_API void clave_kbs_tcb_collateral_free(struct clave_kbs_tcb_collateral *t);
/** Its `issued_at` (0 when absent). */
CLAVE_API int64_t clave_kbs_tcb_collateral_issued_at(const struct clave_kbs_tcb_collateral *t);

/**
 * The platform status of `claims` under `t` (NULL allowed): "Revoked", "OutOfDate" or
 * "UpToDate" for SNP claims ("snp", "sim-snp") when `t` has an "snp" member, with `detail` the
 * rule that decided; empty strings otherwise (the collateral says nothing about this platform).
 * The broker puts the status into the claims' `tcb_status` before clave_kbs_appraise(), so the
 * contract's `tcb_statuses` decide. Thread-safe (read-only).
 */
CLAVE_API void clave_kbs_tcb_collateral_status(const struct clave_kbs_tcb_collateral *t,
                                               const struct clave_kbs_claims *claims,
                                               char status[CLAVE_KBS_TCB_STATUS_MAX],
                                               char detail[CLAVE_KBS_REASON_MAX]);

/** Parse a resource path tail "<repository>/<type>/<tag>" check: 1..64 of [A-Za-z0-9._-]. */
CLAVE_API bool clave_kbs_valid_path_part(const char *s);

#ifdef __cplusplus
}
#endif
#endif
