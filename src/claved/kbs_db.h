/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Key broker tables through clave_store (both backends): contracts (the bundle: document,
 * approvals, revocations), datasets (metadata + the DEK wrapped to the broker), sessions (RCAR
 * challenge, attested claims, token hash) and evidence digests already used (replay guard).
 */
#ifndef CLAVED_KBS_DB_H
#define CLAVED_KBS_DB_H

#include "claved.h"

#include <clave/kbs.h>
#include <clave/ledger.h>

#define CLAVED_KBS_SID_LEN 43 /* base64url of 32 random bytes */

clave_status claved_kbs_db_migrate(struct clave_store *s);

/* ---- contracts ---- */
clave_status claved_kbs_contract_insert(struct clave_store *s, const struct clave_contract *c,
                                        const char *by, int64_t now);
/* The contract `id_hex` with its statements; caller frees. CLAVE_ERR_NOT_FOUND. */
clave_status claved_kbs_contract_load(struct clave_store *s, const char *id_hex,
                                      struct clave_contract **out);
/* Replace the stored bundle (after adding statements). */
clave_status claved_kbs_contract_store(struct clave_store *s, const struct clave_contract *c);
/* Ids (hex) of the collaboration's contracts, oldest first, as a JSON array of strings. */
clave_status claved_kbs_contract_ids(struct clave_store *s, const char *collaboration,
                                     json_t **out);

/* The collaboration's contracts, oldest first, in one query: rows of (id TEXT, bundle BLOB);
 * caller frees with clave_store_rows_free. */
clave_status claved_kbs_contract_bundles(struct clave_store *s, const char *collaboration,
                                         struct clave_store_rows **out);

/* ---- datasets ---- */
struct claved_kbs_dataset {
    char collaboration[65];
    char id[65];
    char owner_party[65]; /* a member party of the collaboration */
    char region[65];
    uint8_t sha256[32];
    char dek_id[33];
    uint8_t *wrapped; /* compact JWE to the broker key; malloc'd */
    size_t wrapped_len;
};
clave_status claved_kbs_dataset_insert(struct clave_store *s, const struct claved_kbs_dataset *d,
                                       const char *name, const char *schema_json, int64_t row_count,
                                       uint64_t size, int64_t now);
clave_status claved_kbs_dataset_get(struct clave_store *s, const char *collaboration,
                                    const char *id, struct claved_kbs_dataset *out);
void claved_kbs_dataset_clear(struct claved_kbs_dataset *d);
/* Metadata as JSON: one (`id` non-NULL) or the collaboration's list. */
clave_status claved_kbs_dataset_json(struct clave_store *s, const char *collaboration,
                                     const char *id, json_t **out);

/* ---- sessions ---- */
clave_status claved_kbs_session_count(struct clave_store *s, int64_t now, int64_t *count);
/* Delete the expired sessions. */
clave_status claved_kbs_session_purge(struct clave_store *s, int64_t now);
clave_status claved_kbs_session_insert(struct clave_store *s, const char *sid, const char *nonce,
                                       const char *tee, int64_t now, int64_t exp);
struct claved_kbs_session {
    char nonce[CLAVE_KBS_NONCE_TEXT_MAX + 1];
    char tee[CLAVE_KBS_TEE_MAX + 1];
    int64_t expires_at;
    bool attested;
    char *tee_pubkey; /* malloc'd JSON, or NULL */
    struct clave_kbs_claims claims;
};
/* An unexpired session. CLAVE_ERR_NOT_FOUND if absent or expired. */
clave_status claved_kbs_session_get(struct clave_store *s, const char *sid, int64_t now,
                                    struct claved_kbs_session *out);
/* The unexpired attested session whose token hashes to `token_sha256` (hex): its id. */
clave_status claved_kbs_session_by_token(struct clave_store *s, const char *token_sha256,
                                         int64_t now, char sid[CLAVED_KBS_SID_LEN + 1]);
void claved_kbs_session_clear(struct claved_kbs_session *x);

struct claved_ctx;
/* The attested session named by the request's EAR bearer token (handlers_budget.c); answers 401
 * itself and returns false when there is none. Clear `s` with claved_kbs_session_clear. */
bool claved_kbs_token_session(struct claved_ctx *ctx, struct claved_kbs_session *s);
/* What an attestation records, atomically: claims, TEE key, token hash, the evidence digest
 * (replay guard) and the audit entry of the attestation. */
struct claved_kbs_attest_record {
    const char *sid, *tee_pubkey, *claims_json, *token_sha256, *evidence_sha256;
    int64_t now;
    struct clave_ledger *ledger; /* of the store's connection */
    const char *audit;           /* the kbs.attest ledger entry (claved_audit_event), or NULL */
    uint64_t audit_index;        /* out: its index */
    bool audit_failed;           /* out: the ledger append failed (nothing was committed) */
};
/* Record `r` in one write transaction. CLAVE_ERR_EXISTS if the evidence was used before,
 * CLAVE_ERR_NOT_FOUND if the session is gone or already attested. */
clave_status claved_kbs_session_attest(struct clave_store *s, struct claved_kbs_attest_record *r);
/* Whether this evidence digest was used before. */
clave_status claved_kbs_evidence_seen(struct clave_store *s, const char *evidence_sha256,
                                      bool *seen);

#endif
