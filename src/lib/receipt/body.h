/* SPDX-License-Identifier: Apache-2.0 */
/* The receipt payload as owned C data, shared by the builder, the codec and the verifier. */
#ifndef CLAVE_RECEIPT_BODY_H
#define CLAVE_RECEIPT_BODY_H

#include <clave/receipt.h>

#include <cbor.h>
#include <openssl/evp.h>

/* The one protected header a receipt carries: {1: -7} (alg ES256). */
#define RECEIPT_PROTECTED_LEN 3
/* Unprotected header label of the ledger proof and its members. */
#define RECEIPT_PROOF_LABEL "clave.ledger"
#define RECEIPT_PROOF_JSON_MAX (256u * 1024u)
#define RECEIPT_STH_JSON_MAX 1024u
#define RECEIPT_MAX_ITEMS 8192

struct receipt_dataset {
    char *id;
    uint8_t sha256[CLAVE_RECEIPT_SHA256_LEN];
};

struct receipt_output {
    char *name;
    char *content_type;
    uint8_t sha256[CLAVE_RECEIPT_SHA256_LEN];
};

struct receipt_dp {
    char *output;
    char *mechanism;
    uint64_t epsilon_micro;
    uint64_t delta_pico;
};

struct receipt_debit {
    char *debit_id;
    char *party;
    char *dataset;
    uint64_t epsilon_micro;
    uint64_t delta_pico;
};

struct receipt_reference {
    char *name;
    uint8_t *value;
    size_t len;
};

struct receipt_body {
    uint64_t version;
    bool has_contract;
    uint8_t contract[CLAVE_RECEIPT_CONTRACT_ID_LEN];
    char *kind;
    char *format;
    uint8_t *evidence;
    size_t evidence_len;
    uint8_t evidence_sha256[CLAVE_RECEIPT_SHA256_LEN];
    char *runtime_data; /* NUL-terminated copy; runtime_data_len excludes the NUL */
    size_t runtime_data_len;
    uint8_t *endorsement;
    size_t endorsement_len;
    char *ear;
    int64_t issued_at;
    struct receipt_dataset *datasets;
    size_t dataset_count;
    struct receipt_output *outputs;
    size_t output_count;
    struct receipt_dp *dp;
    size_t dp_count;
    struct receipt_debit *debits;
    size_t debit_count;
    struct receipt_reference *refs;
    size_t ref_count;
};

struct clave_receipt_builder {
    struct receipt_body body;
};

struct clave_receipt {
    struct receipt_body body;
    uint8_t hash[CLAVE_RECEIPT_SHA256_LEN];
    char *proof_json; /* NULL when no proof is attached */
    char *sth_json;
};

/* The outer COSE_Sign1 of a receipt, as views into the message. */
struct receipt_frame {
    const uint8_t *payload;
    size_t payload_len;
    const uint8_t *signature;
    size_t signature_len;
    const char *proof_json; /* NULL when absent; both NUL-free views, not terminated */
    size_t proof_len;
    const char *sth_json;
    size_t sth_len;
    cbor_item_t *root; /* owns the views above */
};

void clave__receipt_body_clear(struct receipt_body *b);

/* Text rules for names: 1..CLAVE_RECEIPT_NAME_MAX bytes of UTF-8 without control characters. */
bool clave__receipt_name_ok(const char *s, size_t len);

/* "query", "train" or "infer". */
bool clave__receipt_kind_ok(const char *kind);

/* Reference values of `format` evidence from a report's claims, in canonical name order. */
clave_status clave__receipt_refs_from_report(const struct clave_attest_report *report,
                                             struct receipt_reference **refs, size_t *count)
    __attribute__((warn_unused_result));
void clave__receipt_refs_free(struct receipt_reference *refs, size_t count);

/* The canonical encoding of `b` (caller frees `*out`). */
clave_status clave__receipt_encode(const struct receipt_body *b, uint8_t **out, size_t *out_len)
    __attribute__((warn_unused_result));

/* Strict decode of a payload into `b` (cleared first; cleared again on failure). */
clave_status clave__receipt_decode(const uint8_t *data, size_t len, struct receipt_body *b)
    __attribute__((warn_unused_result));

/* Parse the outer message; `f->root` is released with clave__receipt_frame_clear(). */
clave_status clave__receipt_frame_parse(const uint8_t *msg, size_t len, struct receipt_frame *f)
    __attribute__((warn_unused_result));
void clave__receipt_frame_clear(struct receipt_frame *f);

/* The TEE key named by the runtime data: {"nonce","tee-pubkey"}, canonical text, public P-256.
 * `*out` is a new EVP_PKEY reference. */
clave_status clave__receipt_tee_key(const char *runtime_data, size_t len, EVP_PKEY **out)
    __attribute__((warn_unused_result));

#endif
