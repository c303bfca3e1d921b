/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Multi-party contracts: what may run over the parties' data, signed by every required party.
 *
 * A contract is a canonical CBOR document (RFC 8949 section 4.2.1, schema in
 * docs/formats/contract.md). Its id is SHA-256 of those exact bytes. Parsing is strict: a document
 * that is not byte-for-byte the canonical encoding of what it says is rejected.
 *
 *   builder --finish--> contract (immutable document + id) <--parse-- canonical bytes
 *   contract + COSE_Sign1 approvals + COSE_Sign1 revocations --status(now)--> verdict
 *   contract + approvals + revocations <--> bundle (one canonical CBOR file, verifiable offline)
 *
 * Errors name the field: "contract.datasets[1].sha256: expected 32 bytes". Read them with
 * clave_error_last().
 *
 * Thread-safety: a builder is single-threaded. A contract's document is immutable; accessors and
 * clave_contract_status() may run concurrently with each other, but not with
 * clave_contract_add_signature()/clave_contract_add_revocation() on the same contract.
 */
#ifndef CLAVE_CONTRACT_H
#define CLAVE_CONTRACT_H

#include <clave/crypto.h>
#include <clave/secret.h>
#include <clave/sign.h>
#include <clave/status.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Schema version written in every document ("format"). */
#define CLAVE_CONTRACT_FORMAT 1
#define CLAVE_CONTRACT_ID_LEN 32
/** Largest encoded contract and bundle accepted. */
#define CLAVE_CONTRACT_MAX_LEN (256u * 1024u)
#define CLAVE_CONTRACT_BUNDLE_MAX_LEN (1024u * 1024u)
/** Identifiers (collaboration, party, dataset): 1..64 bytes of [A-Za-z0-9._:-]. */
#define CLAVE_CONTRACT_ID_MAX 64
/** Column names and regions: 1..128 bytes of UTF-8 without control characters. */
#define CLAVE_CONTRACT_NAME_MAX 128
#define CLAVE_CONTRACT_MAX_DATASETS 256
#define CLAVE_CONTRACT_MAX_WORKLOADS 64
#define CLAVE_CONTRACT_MAX_TCB_STATUSES 8
#define CLAVE_CONTRACT_MAX_BUDGETS 64
#define CLAVE_CONTRACT_MAX_COLUMNS 1024
#define CLAVE_CONTRACT_MAX_RECIPIENTS 64
#define CLAVE_CONTRACT_MAX_REGIONS 64
#define CLAVE_CONTRACT_MAX_SIGNERS 32
/** The computation spec: a map of at most this many encoded bytes, nested at most 8 deep. */
#define CLAVE_CONTRACT_SPEC_MAX_LEN (64u * 1024u)
/** epsilon_micro = epsilon * 10^6, at most 10^9; delta_pico = delta * 10^12, below 10^12. */
#define CLAVE_CONTRACT_EPSILON_MICRO_MAX 1000000000u
#define CLAVE_CONTRACT_DELTA_PICO_LIMIT 1000000000000u
/** The region that matches every region. */
#define CLAVE_CONTRACT_ANY_REGION "*"

enum clave_computation_kind {
    CLAVE_COMPUTATION_QUERY = 1,
    CLAVE_COMPUTATION_TRAIN = 2,
    CLAVE_COMPUTATION_FL = 3,
    CLAVE_COMPUTATION_MPC = 4,
    CLAVE_COMPUTATION_HE = 5,
};

/** TEE types, named as the attestation claim "tee" names them ("nitro", "sim-snp", ...). */
enum clave_tee_type {
    CLAVE_TEE_NITRO = 1,
    CLAVE_TEE_SNP = 2,
    CLAVE_TEE_TDX = 3,
    CLAVE_TEE_SGX = 4,
    CLAVE_TEE_SIM_NITRO = 5, /* reference values as for nitro */
    CLAVE_TEE_SIM_SNP = 6,   /* reference values as for snp */
};

/** AMD SEV-SNP TCB_VERSION components (SEV-SNP ABI, table 3); each evidence value must be >=. */
struct clave_snp_tcb {
    uint8_t bootloader;
    uint8_t tee;
    uint8_t snp;
    uint8_t microcode;
};

/**
 * One accepted workload: reference values for one TEE type (a transparent value struct;
 * zero-initialise it, set `tee` and the member of that type). A contract may accept several
 * workloads, also several of one type (e.g. two builds). Evidence matches a workload when every
 * present value is equal (or, for minimums, at least the value).
 */
struct clave_contract_workload {
    enum clave_tee_type tee;
    struct {
        uint8_t pcr0[CLAVE_SHA384_LEN]; /* enclave image */
        uint8_t pcr1[CLAVE_SHA384_LEN]; /* kernel and bootstrap */
        uint8_t pcr2[CLAVE_SHA384_LEN]; /* application */
        uint8_t pcr8[CLAVE_SHA384_LEN]; /* signing certificate of the image, if has_pcr8 */
        bool has_pcr8;
    } nitro; /* nitro, sim-nitro */
    struct {
        uint8_t measurement[CLAVE_SHA384_LEN];
        uint8_t host_data[CLAVE_SHA256_LEN]; /* if has_host_data */
        bool has_host_data;
        struct clave_snp_tcb min_tcb;
    } snp; /* snp, sim-snp */
    struct {
        uint8_t mrtd[CLAVE_SHA384_LEN];
        uint8_t rtmr[4][CLAVE_SHA384_LEN]; /* RTMR i compared only if has_rtmr[i] */
        bool has_rtmr[4];
    } tdx;
    struct {
        uint8_t mrenclave[CLAVE_SHA256_LEN]; /* if has_mrenclave */
        uint8_t mrsigner[CLAVE_SHA256_LEN];  /* if has_mrsigner; at least one of the two */
        bool has_mrenclave;
        bool has_mrsigner;
        uint16_t isvprodid;
        uint16_t min_isvsvn;
    } sgx;
};

/** A dataset named by the contract (borrowed views into the contract). */
struct clave_contract_dataset {
    const char *id;
    const char *owner;     /* party id; always a required signer */
    const uint8_t *sha256; /* CLAVE_SHA256_LEN bytes: SHA-256 of the sealed blob */
};

/** A party's differential-privacy budget (fixed point, see the constants above). */
struct clave_contract_budget {
    const char *party;
    uint64_t epsilon_micro;
    uint64_t delta_pico;
};

/** A result recipient: exactly one of `spki` (DER SubjectPublicKeyInfo) or `jwk_thumbprint`. */
struct clave_contract_recipient {
    const char *party;
    const uint8_t *spki; /* NULL when the recipient is named by thumbprint */
    size_t spki_len;
    const uint8_t *jwk_thumbprint; /* RFC 7638 SHA-256 thumbprint (32 bytes) or NULL */
};

/** A required signer: party id and identity public key (Ed25519 or P-256, DER SPKI). */
struct clave_contract_signer {
    const char *party;
    const uint8_t *spki;
    size_t spki_len;
};

struct clave_contract_builder;
struct clave_contract;

/* ---- Builder: set fields, then finish (validates and encodes). All inputs are copied. ---- */

/** A new empty builder (caller frees with clave_contract_builder_free). CLAVE_ERR_NOMEM. */
CLAVE_API CLAVE_MUST_USE clave_status
clave_contract_builder_new(struct clave_contract_builder **out);
/** Free a builder; NULL is a no-op. */
CLAVE_API void clave_contract_builder_free(struct clave_contract_builder *b);

/*
 * Setters return CLAVE_OK, CLAVE_ERR_ARG (NULL argument), CLAVE_ERR_LIMIT (list full) or
 * CLAVE_ERR_NOMEM. Field rules are checked by clave_contract_builder_finish(), which names the
 * field. Scalar setters replace the previous value; add_* append to a list in order.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_contract_builder_set_collaboration(
    struct clave_contract_builder *b, const char *collaboration_id);
CLAVE_API CLAVE_MUST_USE clave_status
clave_contract_builder_set_version(struct clave_contract_builder *b, uint64_t version);
CLAVE_API CLAVE_MUST_USE clave_status
clave_contract_builder_add_dataset(struct clave_contract_builder *b, const char *dataset_id,
                                   const char *owner_party, const uint8_t sha256[CLAVE_SHA256_LEN]);
/**
 * The computation: its kind and spec, a CBOR map (borrowed bytes of `spec_len`) in the JSON data
 * model (text keys; text, integers, booleans, null, arrays, maps; no floats, byte strings or
 * tags). It need not be canonical: the contract stores its canonical re-encoding.
 * CLAVE_ERR_CBOR/LIMIT/TOO_LARGE for a spec outside those rules.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_contract_builder_set_computation(
    struct clave_contract_builder *b, enum clave_computation_kind kind, const uint8_t *spec_cbor,
    size_t spec_len);
CLAVE_API CLAVE_MUST_USE clave_status clave_contract_builder_add_workload(
    struct clave_contract_builder *b, const struct clave_contract_workload *workload);
/** An accepted TCB status string: "UpToDate", "SWHardeningNeeded", "ConfigurationNeeded",
 * "ConfigurationAndSWHardeningNeeded", "OutOfDate" or "OutOfDateConfigurationNeeded". */
CLAVE_API CLAVE_MUST_USE clave_status
clave_contract_builder_add_tcb_status(struct clave_contract_builder *b, const char *status);
CLAVE_API CLAVE_MUST_USE clave_status
clave_contract_builder_set_debug_allowed(struct clave_contract_builder *b, bool allowed);
CLAVE_API CLAVE_MUST_USE clave_status
clave_contract_builder_add_budget(struct clave_contract_builder *b, const char *party,
                                  uint64_t epsilon_micro, uint64_t delta_pico);
CLAVE_API CLAVE_MUST_USE clave_status
clave_contract_builder_set_min_group_size(struct clave_contract_builder *b, uint64_t size);
CLAVE_API CLAVE_MUST_USE clave_status
clave_contract_builder_add_column(struct clave_contract_builder *b, const char *column);
/** A recipient by public key (DER SPKI of P-256, P-384, Ed25519 or X25519; borrowed). */
CLAVE_API CLAVE_MUST_USE clave_status clave_contract_builder_add_recipient_spki(
    struct clave_contract_builder *b, const char *party, const uint8_t *spki, size_t spki_len);
/** A recipient by RFC 7638 JWK thumbprint (SHA-256). */
CLAVE_API CLAVE_MUST_USE clave_status
clave_contract_builder_add_recipient_thumbprint(struct clave_contract_builder *b, const char *party,
                                                const uint8_t thumbprint[CLAVE_SHA256_LEN]);
CLAVE_API CLAVE_MUST_USE clave_status
clave_contract_builder_add_region(struct clave_contract_builder *b, const char *region);
/** A required signer with its identity key (DER SPKI of Ed25519 or P-256; borrowed). */
CLAVE_API CLAVE_MUST_USE clave_status clave_contract_builder_add_signer(
    struct clave_contract_builder *b, const char *party, const uint8_t *spki, size_t spki_len);
/** Validity window in unix seconds; not_before 0 means "from the start". */
CLAVE_API CLAVE_MUST_USE clave_status clave_contract_builder_set_validity(
    struct clave_contract_builder *b, uint64_t not_before, uint64_t expiry);

/**
 * Validate every field and encode. On success `*out` is a new contract (caller frees with
 * clave_contract_free) with no signatures; the builder is unchanged and may be reused.
 * @return CLAVE_OK, CLAVE_ERR_FORMAT (a rule failed; the detail names the field), CLAVE_ERR_KEY
 *         (a key that does not parse or has the wrong type), CLAVE_ERR_NOMEM
 */
CLAVE_API CLAVE_MUST_USE clave_status
clave_contract_builder_finish(const struct clave_contract_builder *b, struct clave_contract **out);

/* ---- Parsing and the document ---- */

/**
 * Parse and validate a contract document (`len` bytes, borrowed; copied). Rejects anything that is
 * not exactly the canonical encoding (unsorted keys, non-shortest heads, indefinite lengths,
 * duplicate keys, trailing bytes, floats, unknown fields).
 * @param out  set to NULL on entry; on success a new contract with no signatures; caller frees
 * @return CLAVE_OK, CLAVE_ERR_CBOR / TRUNCATED / TRAILING / LIMIT / TOO_LARGE (malformed),
 *         CLAVE_ERR_FORMAT (a field rule or non-canonical encoding), CLAVE_ERR_KEY,
 *         CLAVE_ERR_UNSUPPORTED (another format version), CLAVE_ERR_NOMEM
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_contract_parse(const uint8_t *data, size_t len,
                                                           struct clave_contract **out);

/**
 * Build a contract from its JSON description (schema in docs/formats/contract.md; `len` bytes,
 * need not be NUL-terminated). Errors name the JSON field ("contract.signers[0].spki: ...").
 * @return as clave_contract_builder_finish(), plus CLAVE_ERR_JSON, CLAVE_ERR_ENCODING
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_contract_from_json(const char *json, size_t len,
                                                               struct clave_contract **out);

/** The document as JSON in the same schema (caller frees `*out` with free()). */
CLAVE_API CLAVE_MUST_USE clave_status clave_contract_to_json(const struct clave_contract *c,
                                                             char **out);

/** Free a contract with its signatures; NULL is a no-op. */
CLAVE_API void clave_contract_free(struct clave_contract *c);

/** The canonical encoding (borrowed; `*len` receives its length). */
CLAVE_API const uint8_t *clave_contract_encoding(const struct clave_contract *c, size_t *len);
/** The contract id: SHA-256 of the canonical encoding (borrowed, CLAVE_CONTRACT_ID_LEN bytes). */
CLAVE_API const uint8_t *clave_contract_id(const struct clave_contract *c);

/* Accessors: strings and bytes are borrowed from the contract; indices must be < the count. */
CLAVE_API const char *clave_contract_collaboration(const struct clave_contract *c);
CLAVE_API uint64_t clave_contract_version(const struct clave_contract *c);
CLAVE_API enum clave_computation_kind
clave_contract_computation_kind(const struct clave_contract *c);
/** "query", "train", "fl", "mpc", "he"; NULL for other values. */
CLAVE_API const char *clave_computation_kind_name(enum clave_computation_kind kind);
/** The canonical CBOR of the spec map (borrowed). */
CLAVE_API const uint8_t *clave_contract_computation_spec(const struct clave_contract *c,
                                                         size_t *len);
CLAVE_API size_t clave_contract_dataset_count(const struct clave_contract *c);
CLAVE_API struct clave_contract_dataset clave_contract_dataset(const struct clave_contract *c,
                                                               size_t i);
/** Index of the dataset with this sealed-blob hash; CLAVE_ERR_NOT_FOUND if it is not named. */
CLAVE_API CLAVE_MUST_USE clave_status clave_contract_find_dataset(
    const struct clave_contract *c, const uint8_t sha256[CLAVE_SHA256_LEN], size_t *index);
CLAVE_API size_t clave_contract_workload_count(const struct clave_contract *c);
CLAVE_API const struct clave_contract_workload *
clave_contract_workload(const struct clave_contract *c, size_t i);
/** "nitro", "snp", "tdx", "sgx", "sim-nitro", "sim-snp"; NULL for other values. */
CLAVE_API const char *clave_tee_type_name(enum clave_tee_type tee);
CLAVE_API size_t clave_contract_tcb_status_count(const struct clave_contract *c);
CLAVE_API const char *clave_contract_tcb_status(const struct clave_contract *c, size_t i);
/** Whether `status` (e.g. the attestation claim "tcb_status") is among the accepted ones. */
CLAVE_API bool clave_contract_accepts_tcb_status(const struct clave_contract *c,
                                                 const char *status);
CLAVE_API bool clave_contract_debug_allowed(const struct clave_contract *c);
CLAVE_API size_t clave_contract_budget_count(const struct clave_contract *c);
CLAVE_API struct clave_contract_budget clave_contract_budget(const struct clave_contract *c,
                                                             size_t i);
CLAVE_API uint64_t clave_contract_min_group_size(const struct clave_contract *c);
CLAVE_API size_t clave_contract_column_count(const struct clave_contract *c);
CLAVE_API const char *clave_contract_column(const struct clave_contract *c, size_t i);
CLAVE_API size_t clave_contract_recipient_count(const struct clave_contract *c);
CLAVE_API struct clave_contract_recipient clave_contract_recipient(const struct clave_contract *c,
                                                                   size_t i);
CLAVE_API size_t clave_contract_region_count(const struct clave_contract *c);
CLAVE_API const char *clave_contract_region(const struct clave_contract *c, size_t i);
/** Whether `region` is allowed: listed exactly, or the list holds "*". */
CLAVE_API bool clave_contract_allows_region(const struct clave_contract *c, const char *region);
CLAVE_API size_t clave_contract_signer_count(const struct clave_contract *c);
CLAVE_API struct clave_contract_signer clave_contract_signer(const struct clave_contract *c,
                                                             size_t i);
/** 0 when the contract has no not_before. */
CLAVE_API uint64_t clave_contract_not_before(const struct clave_contract *c);
CLAVE_API uint64_t clave_contract_expiry(const struct clave_contract *c);

/* ---- Signatures (approvals) and revocations: COSE_Sign1, see docs/contracts.md ---- */

/**
 * Approve the contract as `party` with its identity key: a tagged COSE_Sign1 whose payload is the
 * 32-byte contract id and whose external AAD is "clave-contract-approval-v1" || 0x00 || party.
 * The algorithm follows the key: EdDSA for Ed25519, ES256 for P-256.
 * @param key   borrowed private key; its public half must be `party`'s declared signer key
 * @param out   caller frees with free()
 * @return CLAVE_OK, CLAVE_ERR_NOT_FOUND (party is not a required signer), CLAVE_ERR_KEY (not a
 *         private Ed25519/P-256 key, or not the declared key), CLAVE_ERR_CRYPTO, CLAVE_ERR_NOMEM
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_contract_sign(const struct clave_contract *c,
                                                          const struct clave_pkey *key,
                                                          const char *party, uint8_t **out,
                                                          size_t *out_len);

/** As clave_contract_sign() with a PEM or DER (PKCS#8) private key held in a secret. */
CLAVE_API CLAVE_MUST_USE clave_status clave_contract_sign_secret(const struct clave_contract *c,
                                                                 const struct clave_secret *key,
                                                                 const char *party, uint8_t **out,
                                                                 size_t *out_len);

/**
 * Revoke the contract as `party` at `time` (unix seconds): a tagged COSE_Sign1 whose payload is
 * "revoke" || contract id || be64(time) (46 bytes) and whose external AAD is
 * "clave-contract-revocation-v1" || 0x00 || party. Same key rules and returns as
 * clave_contract_sign().
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_contract_revoke(const struct clave_contract *c,
                                                            const struct clave_pkey *key,
                                                            const char *party, uint64_t time,
                                                            uint8_t **out, size_t *out_len);

enum clave_contract_statement {
    CLAVE_CONTRACT_APPROVAL = 1,
    CLAVE_CONTRACT_REVOCATION = 2,
};

/**
 * For keys that cannot leave a token (PKCS#11): the exact bytes the token must sign, i.e. the
 * COSE Sig_structure (RFC 9052 section 4.4) of the statement. `alg` is CLAVE_COSE_ALG_EDDSA
 * (sign the bytes with CKM_EDDSA) or CLAVE_COSE_ALG_ES256 (sign SHA-256 of the bytes with
 * CKM_ECDSA, or the bytes with CKM_ECDSA_SHA256). `time` is used for revocations only.
 * @param out  caller frees with free()
 * @return CLAVE_OK, CLAVE_ERR_NOT_FOUND (not a signer), CLAVE_ERR_UNSUPPORTED (alg), NOMEM
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_contract_signing_input(
    const struct clave_contract *c, enum clave_contract_statement kind, const char *party,
    int64_t alg, uint64_t time, uint8_t **out, size_t *out_len);

/**
 * Wrap a signature produced externally over clave_contract_signing_input() (raw: 64 bytes r||s
 * for ES256, 64 bytes for EdDSA) into the COSE_Sign1 statement and verify it against the
 * party's declared key. `*out` (caller frees) is then accepted by clave_contract_add_signature()
 * or clave_contract_add_revocation().
 * @return CLAVE_OK, CLAVE_ERR_SIGNATURE, CLAVE_ERR_NOT_FOUND, CLAVE_ERR_UNSUPPORTED, NOMEM
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_contract_assemble_statement(
    const struct clave_contract *c, enum clave_contract_statement kind, const char *party,
    int64_t alg, uint64_t time, const uint8_t *signature, size_t signature_len, uint8_t **out,
    size_t *out_len);

/**
 * Verify `party`'s approval (borrowed COSE_Sign1 bytes) against its declared key and keep a copy.
 * Adding the same party's approval again succeeds if it verifies (the first copy is kept).
 * @return CLAVE_OK, CLAVE_ERR_NOT_FOUND (party is not a required signer), CLAVE_ERR_SIGNATURE
 *         (does not verify, wrong algorithm, or signs another contract), the COSE parse errors,
 *         CLAVE_ERR_NOMEM
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_contract_add_signature(struct clave_contract *c,
                                                                   const char *party,
                                                                   const uint8_t *cose, size_t len);

/**
 * Verify `party`'s revocation statement and keep it. A second revocation by the same party is
 * refused with CLAVE_ERR_EXISTS. Returns as clave_contract_add_signature().
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_contract_add_revocation(struct clave_contract *c,
                                                                    const char *party,
                                                                    const uint8_t *cose,
                                                                    size_t len);

enum clave_contract_state {
    CLAVE_CONTRACT_DRAFT = 1,         /* some required signature is missing */
    CLAVE_CONTRACT_ACTIVE = 2,        /* all signatures, within not_before..expiry, not revoked */
    CLAVE_CONTRACT_NOT_YET_VALID = 3, /* all signatures, but now < not_before */
    CLAVE_CONTRACT_EXPIRED = 4,       /* now >= expiry */
    CLAVE_CONTRACT_REVOKED = 5,       /* a revocation with time <= now: final */
};

#define CLAVE_CONTRACT_REASON_MAX 160

/** The outcome of clave_contract_status() (a transparent value struct). */
struct clave_contract_verdict {
    enum clave_contract_state state;
    size_t signatures;                      /* valid approvals held */
    size_t required;                        /* required signers */
    uint64_t revoked_at;                    /* earliest effective revocation time, when REVOKED */
    char reason[CLAVE_CONTRACT_REASON_MAX]; /* "missing signature from bob", ... */
};

/**
 * The contract's state at `now` (unix seconds) from the signatures and revocations held.
 * Precedence: revoked, expired, draft, not yet valid, active.
 */
CLAVE_API void clave_contract_status(const struct clave_contract *c, uint64_t now,
                                     struct clave_contract_verdict *out);

/** "draft", "active", "not-yet-valid", "expired", "revoked". */
CLAVE_API const char *clave_contract_state_name(enum clave_contract_state state);

/** Whether `party` has a valid approval / revocation held. */
CLAVE_API bool clave_contract_has_signature(const struct clave_contract *c, const char *party);
CLAVE_API bool clave_contract_has_revocation(const struct clave_contract *c, const char *party);

/* ---- Bundle: the contract with every approval and revocation, in one canonical CBOR file ---- */

/** Encode the bundle (caller frees `*out` with free()). */
CLAVE_API CLAVE_MUST_USE clave_status clave_contract_bundle_export(const struct clave_contract *c,
                                                                   uint8_t **out, size_t *out_len);

/**
 * Parse a bundle (borrowed bytes) strictly: canonical encoding, a valid contract, and every
 * approval and revocation verified against the declared signer keys. Any invalid element fails
 * the whole bundle, so a damaged revocation can never make a contract look active.
 * @param out  set to NULL on entry; a new contract with its statements; caller frees
 * @return CLAVE_OK, the errors of clave_contract_parse() and clave_contract_add_signature()
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_contract_bundle_parse(const uint8_t *data, size_t len,
                                                                  struct clave_contract **out);

#ifdef __cplusplus
}
#endif
#endif
