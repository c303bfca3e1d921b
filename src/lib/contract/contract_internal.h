/* SPDX-License-Identifier: Apache-2.0 */
/* The contract document in memory, shared by the builder, codec, JSON form and signatures. */
#ifndef CLAVE_CONTRACT_INTERNAL_H
#define CLAVE_CONTRACT_INTERNAL_H

#include <clave/buf.h>
#include <clave/contract.h>

#define CONTRACT_PATH_MAX 160
/* Nesting of the computation spec below its own map. */
#define CONTRACT_SPEC_MAX_DEPTH 8
/* Decoder limits: the largest legal contract stays well inside them. */
#define CONTRACT_MAX_ITEMS 32768
#define CONTRACT_MAX_DEPTH 16
/* The approval/revocation statement layouts (docs/contracts.md). */
#define CONTRACT_APPROVAL_AAD "clave-contract-approval-v1"
#define CONTRACT_REVOCATION_AAD "clave-contract-revocation-v1"
#define CONTRACT_REVOKE_PREFIX "revoke"
#define CONTRACT_REVOKE_PREFIX_LEN 6
#define CONTRACT_REVOCATION_LEN (CONTRACT_REVOKE_PREFIX_LEN + CLAVE_CONTRACT_ID_LEN + 8)
/* A tagged COSE_Sign1 over a 46-byte payload with a 64-byte signature is about 130 bytes. */
#define CONTRACT_STATEMENT_MAX_LEN 512

struct contract_dataset {
    char *id;
    char *owner;
    uint8_t sha256[CLAVE_SHA256_LEN];
};

struct contract_budget {
    char *party;
    uint64_t epsilon_micro;
    uint64_t delta_pico;
};

struct contract_recipient {
    char *party;
    uint8_t *spki; /* NULL when named by thumbprint */
    size_t spki_len;
    bool has_thumbprint;
    uint8_t thumbprint[CLAVE_SHA256_LEN];
};

struct contract_signer {
    char *party;
    uint8_t *spki;
    size_t spki_len;
};

/* Every list has a fixed ceiling, so the arrays are sized once and counted. */
struct contract_doc {
    char *collaboration;
    uint64_t version;
    size_t dataset_count;
    struct contract_dataset datasets[CLAVE_CONTRACT_MAX_DATASETS];
    enum clave_computation_kind kind; /* 0 until set */
    uint8_t *spec;                    /* canonical CBOR map */
    size_t spec_len;
    size_t workload_count;
    struct clave_contract_workload workloads[CLAVE_CONTRACT_MAX_WORKLOADS];
    size_t tcb_count;
    char *tcb_statuses[CLAVE_CONTRACT_MAX_TCB_STATUSES];
    bool debug;
    size_t budget_count;
    struct contract_budget budgets[CLAVE_CONTRACT_MAX_BUDGETS];
    uint64_t min_group_size;
    size_t column_count;
    char *columns[CLAVE_CONTRACT_MAX_COLUMNS];
    size_t recipient_count;
    struct contract_recipient recipients[CLAVE_CONTRACT_MAX_RECIPIENTS];
    size_t region_count;
    char *regions[CLAVE_CONTRACT_MAX_REGIONS];
    size_t signer_count;
    struct contract_signer signers[CLAVE_CONTRACT_MAX_SIGNERS];
    uint64_t not_before; /* 0: absent */
    uint64_t expiry;
};

struct clave_contract_builder {
    struct contract_doc doc;
};

/* A verified approval or revocation, held per signer index. */
struct contract_statement {
    uint8_t *cose; /* NULL: none */
    size_t len;
    uint64_t time; /* revocations */
};

struct clave_contract {
    struct contract_doc doc;
    uint8_t *encoding;
    size_t encoding_len;
    uint8_t id[CLAVE_CONTRACT_ID_LEN];
    struct contract_statement approvals[CLAVE_CONTRACT_MAX_SIGNERS];
    struct contract_statement revocations[CLAVE_CONTRACT_MAX_SIGNERS];
};

/* Release everything a document owns and zero it. */
void clave__contract_doc_clear(struct contract_doc *doc);

/* Deep copy `src` into the zeroed `dst`. */
clave_status clave__contract_doc_copy(struct contract_doc *dst, const struct contract_doc *src)
    __attribute__((warn_unused_result));

/* Check every field rule; the detail names the field ("contract.datasets[1].owner: ..."). */
clave_status clave__contract_validate(const struct contract_doc *doc)
    __attribute__((warn_unused_result));

/* The canonical encoding of a validated document into a new buffer (caller frees). */
clave_status clave__contract_encode(const struct contract_doc *doc, uint8_t **out, size_t *out_len)
    __attribute__((warn_unused_result));

/* Decode a document's CBOR into the zeroed `doc` (types and sizes; not the rules). */
clave_status clave__contract_decode(const uint8_t *data, size_t len, struct contract_doc *doc)
    __attribute__((warn_unused_result));

/* Validate `c->doc`, encode it into `c->encoding` and compute `c->id`. */
clave_status clave__contract_seal(struct clave_contract *c) __attribute__((warn_unused_result));

/* Copy of a NUL-terminated string of at most `max` bytes; NULL on allocation failure. */
char *clave__contract_strdup(const char *s, size_t max);

/* Index of signer `party`, or CLAVE_ERR_NOT_FOUND (detail names the party). */
clave_status clave__contract_signer_index(const struct clave_contract *c, const char *party,
                                          size_t *index) __attribute__((warn_unused_result));

/*
 * Verify an approval or revocation by signer `index` (COSE_Sign1 bytes, borrowed) against its
 * declared key, the statement's AAD and this contract's id; `*time` gets a revocation's time.
 */
clave_status clave__contract_verify_statement(const struct clave_contract *c,
                                              enum clave_contract_statement kind, size_t index,
                                              const uint8_t *cose, size_t len, uint64_t *time)
    __attribute__((warn_unused_result));

/* Names of enum values and their inverse (0 if unknown). */
enum clave_computation_kind clave__contract_kind_from_name(const char *name, size_t len);
enum clave_tee_type clave__contract_tee_from_name(const char *name, size_t len);
bool clave__contract_tcb_status_known(const char *status, size_t len);

#endif
