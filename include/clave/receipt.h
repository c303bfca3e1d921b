/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Result receipts: what a clave-runner signs about one result, verifiable offline by anyone
 * holding the contract bundle, an attestation policy, the broker's EAR key and the audit
 * ledger's key (format and CDDL: docs/formats/receipt.md).
 *
 * A receipt is a tagged COSE_Sign1 (ES256) signed by the runner's attested TEE key: the P-256
 * key whose public JWK is the `tee-pubkey` of the KBS runtime data bound into the evidence. Its
 * payload (canonical CBOR) names the contract, the input datasets and their hashes, the
 * evidence with its runtime data and the workload reference values it carries, the EAR token,
 * the DP parameters and budget debits, and the outputs' hashes. The audit-ledger inclusion
 * proof of the coordinator's "runner.result" entry travels in the unprotected header, added
 * after signing with clave_receipt_attach_proof().
 *
 * The runner's flow:
 *   clave_receipt_builder_new -> set_contract, set_evidence, set_ear, add_dataset, add_output,
 *   add_dp, add_debit -> clave_receipt_sign (bytes) -> POST the receipt to the coordinator,
 *   which appends clave_receipt_ledger_fields() as a "runner.result" ledger entry -> fetch
 *   the entry's inclusion proof and a signed tree head -> clave_receipt_attach_proof.
 *
 * Thread-safety: a builder is single-threaded; a parsed receipt is immutable; every other
 * function is thread-safe.
 */
#ifndef CLAVE_RECEIPT_H
#define CLAVE_RECEIPT_H

#include <clave/attest.h>
#include <clave/attest_verify.h>
#include <clave/jose.h>
#include <clave/sign.h>
#include <clave/status.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Payload schema version ("v"). */
#define CLAVE_RECEIPT_VERSION 1
/** Largest receipt accepted (with its proof). */
#define CLAVE_RECEIPT_MAX_LEN (1024u * 1024u)
#define CLAVE_RECEIPT_CONTRACT_ID_LEN 32
#define CLAVE_RECEIPT_SHA256_LEN 32
/** The bytes of the contract id that fill report data bytes 48..63. */
#define CLAVE_RECEIPT_BINDING_PREFIX_LEN 16
/** Names, ids, content types, mechanisms: 1..128 bytes of UTF-8. */
#define CLAVE_RECEIPT_NAME_MAX 128
#define CLAVE_RECEIPT_MAX_DATASETS 256
#define CLAVE_RECEIPT_MAX_OUTPUTS 64
#define CLAVE_RECEIPT_MAX_DP 256
#define CLAVE_RECEIPT_MAX_DEBITS 256
#define CLAVE_RECEIPT_MAX_REFERENCES 16
#define CLAVE_RECEIPT_EAR_MAX (64u * 1024u)
#define CLAVE_RECEIPT_RUNTIME_DATA_MAX 8192u
#define CLAVE_RECEIPT_ENDORSEMENT_MAX (64u * 1024u)
/** The ledger entry type the coordinator records for a receipt. */
#define CLAVE_RECEIPT_LEDGER_TYPE "runner.result"

/* Borrowed views into a receipt. */
struct clave_receipt_dataset {
    const char *id;
    const uint8_t *sha256; /* SHA-256 of the sealed blob, as in the contract */
};

struct clave_receipt_output {
    const char *name;
    const uint8_t *sha256; /* SHA-256 of the plaintext output */
    const char *content_type;
};

/** DP parameters of one output (fixed point as in contracts: epsilon * 1e6, delta * 1e12). */
struct clave_receipt_dp {
    const char *output;    /* an output's name */
    const char *mechanism; /* "discrete-laplace", "discrete-gaussian", "dp-sgd", ... */
    uint64_t epsilon_micro;
    uint64_t delta_pico;
};

/** A budget debit as returned by the broker (POST /kbs/v0/budget/debit). */
struct clave_receipt_debit {
    const char *debit_id;
    const char *party;
    const char *dataset;
    uint64_t epsilon_micro;
    uint64_t delta_pico;
};

/** A workload reference value the evidence carries ("measurement", "nitro.pcr1", ...). */
struct clave_receipt_reference {
    const char *name;
    const uint8_t *value;
    size_t len;
};

/* ---- The runtime-data binding (the runner, before it attests) ---- */

/**
 * The KBS runtime data for `nonce` (the broker's challenge, NUL-terminated) and the public half
 * of `tee_key` (borrowed): {"nonce": N, "tee-pubkey": JWK} with sorted keys and no whitespace,
 * exactly the text the broker hashes and the receipt must carry. `*out` is NUL-terminated;
 * caller frees with free().
 * @return CLAVE_OK, CLAVE_ERR_ARG, CLAVE_ERR_KEY (an "oct" key), CLAVE_ERR_NOMEM
 */
CLAVE_API CLAVE_MUST_USE clave_status
clave_receipt_runtime_data_new(const char *nonce, const struct clave_jwk *tee_key, char **out);

/**
 * The 64 bytes of report data a runner's evidence must carry: SHA-384 of the runtime data
 * (`len` bytes, borrowed) followed by the first CLAVE_RECEIPT_BINDING_PREFIX_LEN bytes of the
 * contract id. What evidence.binding checks.
 * @return CLAVE_OK, CLAVE_ERR_ARG
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_receipt_report_data(
    const char *runtime_data, size_t len, const uint8_t contract_id[CLAVE_RECEIPT_CONTRACT_ID_LEN],
    uint8_t out[64]);

/* ---- Building and signing (the runner) ---- */

struct clave_receipt_builder;

/** A new empty builder. Caller frees with clave_receipt_builder_free(). CLAVE_ERR_NOMEM. */
CLAVE_API CLAVE_MUST_USE clave_status clave_receipt_builder_new(struct clave_receipt_builder **out);
/** Free a builder; NULL is a no-op. */
CLAVE_API void clave_receipt_builder_free(struct clave_receipt_builder *b);

/*
 * Setters copy their inputs and return CLAVE_OK, CLAVE_ERR_ARG (NULL or empty argument, text
 * that is not 1..CLAVE_RECEIPT_NAME_MAX bytes of UTF-8), CLAVE_ERR_TOO_LARGE, CLAVE_ERR_LIMIT
 * (list full) or CLAVE_ERR_NOMEM. Scalar setters replace; add_* append in order.
 */
/** The contract id (SHA-256 of the contract document, CLAVE_RECEIPT_CONTRACT_ID_LEN bytes). */
CLAVE_API CLAVE_MUST_USE clave_status clave_receipt_builder_set_contract(
    struct clave_receipt_builder *b, const uint8_t id[CLAVE_RECEIPT_CONTRACT_ID_LEN]);
/** The computation kind as the runner ran it: "query", "train" or "infer" (else CLAVE_ERR_ARG). */
CLAVE_API CLAVE_MUST_USE clave_status
clave_receipt_builder_set_kind(struct clave_receipt_builder *b, const char *kind);
/**
 * The evidence the runner attested with: its format ("snp", "nitro"), the evidence bytes and
 * the runtime-data JSON text exactly as hashed into the report data (the KBS binding:
 * {"nonce","tee-pubkey"} with sorted keys, no whitespace).
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_receipt_builder_set_evidence(
    struct clave_receipt_builder *b, const char *format, const uint8_t *evidence,
    size_t evidence_len, const char *runtime_data, size_t runtime_data_len);
/** Optional endorsement (SNP VCEK/VLEK, DER or PEM) so the evidence verifies offline. */
CLAVE_API CLAVE_MUST_USE clave_status clave_receipt_builder_set_endorsement(
    struct clave_receipt_builder *b, const uint8_t *cert, size_t len);
/** The broker's EAR token (JWT text) from POST /kbs/v0/attest. */
CLAVE_API CLAVE_MUST_USE clave_status clave_receipt_builder_set_ear(struct clave_receipt_builder *b,
                                                                    const char *jwt);
/** Issue time (unix seconds); 0 or unset: the time clave_receipt_sign() runs. */
CLAVE_API CLAVE_MUST_USE clave_status
clave_receipt_builder_set_issued_at(struct clave_receipt_builder *b, int64_t issued_at);
CLAVE_API CLAVE_MUST_USE clave_status
clave_receipt_builder_add_dataset(struct clave_receipt_builder *b, const char *id,
                                  const uint8_t sha256[CLAVE_RECEIPT_SHA256_LEN]);
CLAVE_API CLAVE_MUST_USE clave_status clave_receipt_builder_add_output(
    struct clave_receipt_builder *b, const char *name,
    const uint8_t sha256[CLAVE_RECEIPT_SHA256_LEN], const char *content_type);
CLAVE_API CLAVE_MUST_USE clave_status clave_receipt_builder_add_dp(struct clave_receipt_builder *b,
                                                                   const char *output,
                                                                   const char *mechanism,
                                                                   uint64_t epsilon_micro,
                                                                   uint64_t delta_pico);
CLAVE_API CLAVE_MUST_USE clave_status clave_receipt_builder_add_debit(
    struct clave_receipt_builder *b, const char *debit_id, const char *party, const char *dataset,
    uint64_t epsilon_micro, uint64_t delta_pico);

/**
 * Encode and sign. The workload reference values are taken from the evidence itself
 * (measurement, snp.host_data, nitro.pcr0..2/8, ...). `tee_key` (borrowed) must be the P-256
 * private key whose public JWK is the runtime data's tee-pubkey.
 * @param out  caller frees with free(); a tagged COSE_Sign1 without a ledger proof
 * @return CLAVE_OK, CLAVE_ERR_FORMAT (a required field is missing: the detail names it; at
 *         least one dataset and one output), CLAVE_ERR_KEY (not a private P-256 key, or not the
 *         runtime data's key), CLAVE_ERR_JSON (runtime data), CLAVE_ERR_UNSUPPORTED (evidence
 *         format), CLAVE_ERR_CRYPTO, CLAVE_ERR_NOMEM
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_receipt_sign(const struct clave_receipt_builder *b,
                                                         const struct clave_jwk *tee_key,
                                                         uint8_t **out, size_t *out_len);

/**
 * SHA-256 of the receipt's payload (what the ledger entry names as "receipt"); unaffected by
 * an attached proof. Checks the outer structure only, not the signature.
 * @return CLAVE_OK, CLAVE_ERR_FORMAT / CBOR / TRUNCATED / TRAILING / TOO_LARGE
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_receipt_payload_hash(
    const uint8_t *receipt, size_t len, uint8_t out[CLAVE_RECEIPT_SHA256_LEN]);

/**
 * Attach (or replace) the audit-ledger inclusion proof: `proof_json` as served by
 * GET /v1/audit/entries/{i}/proof ({"index","tree_size","event","audit_path"}) and the signed
 * tree head JSON (GET /v1/audit/sth) it was computed against. Both are checked to parse and to
 * agree on the tree size, not verified (the ledger key is the verifier's). The signature is
 * unchanged. `*out` caller frees with free().
 * @return CLAVE_OK, the errors of clave_receipt_payload_hash(), CLAVE_ERR_JSON, CLAVE_ERR_FORMAT,
 *         CLAVE_ERR_TOO_LARGE, CLAVE_ERR_NOMEM
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_receipt_attach_proof(
    const uint8_t *receipt, size_t len, const char *proof_json, size_t proof_len,
    const char *sth_json, size_t sth_len, uint8_t **out, size_t *out_len);

/* ---- Parsing (no verification) ---- */

struct clave_receipt;

/**
 * Parse a receipt strictly (tagged COSE_Sign1 with protected {1: -7}; payload exactly the
 * canonical encoding of a version-1 payload; unprotected header empty or the ledger proof).
 * The signature is NOT checked: use clave_receipt_verify() for that.
 * @param out  set to NULL on entry; caller frees with clave_receipt_free()
 * @return CLAVE_OK, CLAVE_ERR_CBOR / TRUNCATED / TRAILING / LIMIT / TOO_LARGE, CLAVE_ERR_FORMAT
 *         (a field rule; the detail names the field), CLAVE_ERR_UNSUPPORTED (version),
 *         CLAVE_ERR_NOMEM
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_receipt_parse(const uint8_t *data, size_t len,
                                                          struct clave_receipt **out);
CLAVE_API void clave_receipt_free(struct clave_receipt *r);

/* Accessors: everything is borrowed from the receipt; indices must be below the count. */
CLAVE_API uint64_t clave_receipt_version(const struct clave_receipt *r);
CLAVE_API const uint8_t *clave_receipt_contract_id(const struct clave_receipt *r);
CLAVE_API const char *clave_receipt_kind(const struct clave_receipt *r);
CLAVE_API int64_t clave_receipt_issued_at(const struct clave_receipt *r);
/** SHA-256 of the payload (CLAVE_RECEIPT_SHA256_LEN bytes). */
CLAVE_API const uint8_t *clave_receipt_hash(const struct clave_receipt *r);
CLAVE_API const char *clave_receipt_evidence_format(const struct clave_receipt *r);
CLAVE_API const uint8_t *clave_receipt_evidence(const struct clave_receipt *r, size_t *len);
CLAVE_API const uint8_t *clave_receipt_evidence_sha256(const struct clave_receipt *r);
/** The runtime-data JSON text (not NUL-terminated; `*len` bytes). */
CLAVE_API const char *clave_receipt_runtime_data(const struct clave_receipt *r, size_t *len);
/** The endorsement, or NULL with `*len` = 0. */
CLAVE_API const uint8_t *clave_receipt_endorsement(const struct clave_receipt *r, size_t *len);
CLAVE_API const char *clave_receipt_ear(const struct clave_receipt *r);
CLAVE_API size_t clave_receipt_dataset_count(const struct clave_receipt *r);
CLAVE_API struct clave_receipt_dataset clave_receipt_dataset(const struct clave_receipt *r,
                                                             size_t i);
CLAVE_API size_t clave_receipt_output_count(const struct clave_receipt *r);
CLAVE_API struct clave_receipt_output clave_receipt_output(const struct clave_receipt *r, size_t i);
CLAVE_API size_t clave_receipt_dp_count(const struct clave_receipt *r);
CLAVE_API struct clave_receipt_dp clave_receipt_dp(const struct clave_receipt *r, size_t i);
CLAVE_API size_t clave_receipt_debit_count(const struct clave_receipt *r);
CLAVE_API struct clave_receipt_debit clave_receipt_debit(const struct clave_receipt *r, size_t i);
CLAVE_API size_t clave_receipt_reference_count(const struct clave_receipt *r);
CLAVE_API struct clave_receipt_reference clave_receipt_reference(const struct clave_receipt *r,
                                                                 size_t i);
/** Whether a ledger proof is attached; its proof and tree-head JSON texts (NULL if none). */
CLAVE_API bool clave_receipt_has_proof(const struct clave_receipt *r);
CLAVE_API const char *clave_receipt_proof_json(const struct clave_receipt *r);
CLAVE_API const char *clave_receipt_sth_json(const struct clave_receipt *r);

/**
 * The fields of the coordinator's ledger entry for this receipt, as a new JSON object (caller
 * decrefs): {"contract": hex id, "receipt": hex payload SHA-256, "outputs": [{"name",
 * "sha256": hex}...]}. Pass it to clave_ledger_event_json(CLAVE_RECEIPT_LEDGER_TYPE, now, ...).
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_receipt_ledger_fields(const struct clave_receipt *r,
                                                                  json_t **out);

/** The payload as JSON for display (bytes as hex; evidence abbreviated to its digest and size).
 * Caller frees with free(). */
CLAVE_API CLAVE_MUST_USE clave_status clave_receipt_to_json(const struct clave_receipt *r,
                                                            char **out);

/* ---- Verification ---- */

/** A plaintext output the verifier holds: its name in the receipt and its SHA-256. */
struct clave_receipt_output_digest {
    const char *name;
    uint8_t sha256[CLAVE_RECEIPT_SHA256_LEN];
};

/** What the verifier trusts (a transparent value struct; everything borrowed for the call). */
struct clave_receipt_trust {
    const uint8_t *bundle; /* the contract bundle (clave_contract_bundle_export) */
    size_t bundle_len;
    const struct clave_attest_policy *policy; /* roots and rules per TEE type (sim dev root) */
    const struct clave_pkey *ear_key;         /* the broker's P-256 EAR key (public) */
    const struct clave_pkey *ledger_key;      /* the audit log's Ed25519 key (public) */
    const char *collateral_dir; /* extra collateral (VCEK, ...) when the receipt has none */
    const struct clave_receipt_output_digest *outputs; /* may be NULL */
    size_t output_count;
};

/**
 * Verify a receipt offline, recording every check in `report` (borrowed; checks appended, in
 * this order, each PASS or FAIL with a detail; a check whose inputs failed earlier is recorded
 * as FAIL "not checked: ..."):
 *   receipt.format, receipt.tee_key, receipt.signature, evidence.digest, evidence.attestation
 *   (clave_attest_verify + policy at issued_at), evidence.binding (report data = SHA-384 of the
 *   runtime data || contract id[0..16]), evidence.reference, contract.bundle, contract.id,
 *   contract.active (at issued_at), contract.workload, contract.datasets, ear.signature,
 *   ear.status, dp.debits, ledger.proof, ledger.sth, ledger.inclusion, ledger.entry, and one
 *   output.<name> per output digest given.
 * The evidence's claims and "receipt.contract", "receipt.hash", "receipt.issued_at" go into the
 * report's claims. The verdict is clave_attest_report_ok(report).
 * @return CLAVE_OK when the receipt was examined (whatever the verdict), CLAVE_ERR_ARG (NULL
 *         trust or report), CLAVE_ERR_LIMIT (report full), CLAVE_ERR_NOMEM
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_receipt_verify(const uint8_t *receipt, size_t len,
                                                           const struct clave_receipt_trust *trust,
                                                           struct clave_attest_report *report);

/* ---- Encrypting results to recipients ---- */

/**
 * Encrypt one result (1..CLAVE_SECRET_MAX_LEN bytes, borrowed) to a recipient as a flattened
 * JSON JWE with enc A256GCM: alg ECDH-ES+A256KW for an EC P-256/P-384 or X25519 key,
 * RSA-OAEP-256 for an RSA key. `recipient` (borrowed, `len` bytes) is a DER SubjectPublicKeyInfo
 * (as contracts name recipients), a PEM "PUBLIC KEY" block or a public JWK. `*jwe` is
 * NUL-terminated; caller frees with free(). Decrypt with clave_jwe_decrypt().
 * @return CLAVE_OK, CLAVE_ERR_KEY (unusable key type or malformed key), CLAVE_ERR_TOO_LARGE,
 *         CLAVE_ERR_ARG, CLAVE_ERR_NOMEM, CLAVE_ERR_CRYPTO
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_receipt_encrypt_output(const uint8_t *plaintext,
                                                                   size_t plaintext_len,
                                                                   const uint8_t *recipient,
                                                                   size_t len, char **jwe);

/**
 * Load a key for the verifier or for decryption: PEM ("PUBLIC KEY" or "PRIVATE KEY"), DER
 * (SubjectPublicKeyInfo or PKCS#8) or a JWK (EC P-256/P-384, OKP Ed25519/X25519, RSA; public
 * or private) into a JWK object. Caller frees.
 * @return CLAVE_OK, CLAVE_ERR_KEY, CLAVE_ERR_FORMAT, CLAVE_ERR_UNSUPPORTED, CLAVE_ERR_TOO_LARGE
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_receipt_load_jwk(const uint8_t *data, size_t len,
                                                             struct clave_jwk **out);

/** As clave_receipt_load_jwk() into a clave_pkey (for trust keys: EAR P-256, ledger Ed25519). */
CLAVE_API CLAVE_MUST_USE clave_status clave_receipt_load_pkey(const uint8_t *data, size_t len,
                                                              struct clave_pkey **out);

#ifdef __cplusplus
}
#endif
#endif
