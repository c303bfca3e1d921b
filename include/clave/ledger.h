/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The audit ledger: an append-only Merkle log (RFC 9162 tree, include/clave/merkle.h) of event
 * records, with signed tree heads (STH, "checkpoints") that parties keep and later check
 * inclusion and consistency proofs against.
 *
 * Signed tree head: an Ed25519 signature over the 100 bytes
 *     "clave-ledger-sth-v1\0" (20) || log_id (32) || be64(tree_size) || be64(timestamp_ms) ||
 *     root_hash (32)
 * where log_id = SHA-256 of the log key's DER SubjectPublicKeyInfo. JSON form:
 *     {"log_id": hex, "tree_size": n, "timestamp": ms, "root_hash": hex, "signature": base64url}
 */
#ifndef CLAVE_LEDGER_H
#define CLAVE_LEDGER_H

#include <clave/merkle.h>
#include <clave/sign.h>
#include <clave/status.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CLAVE_LEDGER_LOG_ID_LEN 32
#define CLAVE_LEDGER_STH_SIGNED_LEN 100

struct clave_ledger_sth {
    uint8_t log_id[CLAVE_LEDGER_LOG_ID_LEN];
    uint64_t tree_size;
    int64_t timestamp_ms;
    clave_merkle_hash root_hash;
    uint8_t signature[CLAVE_ED25519_SIG_LEN];
};

/** log_id of a log key: SHA-256 of its SubjectPublicKeyInfo DER. */
CLAVE_API CLAVE_MUST_USE clave_status clave_ledger_log_id(const struct clave_pkey *key,
                                                          uint8_t out[CLAVE_LEDGER_LOG_ID_LEN]);

/** Sign a tree head with the log's Ed25519 private key. */
CLAVE_API CLAVE_MUST_USE clave_status clave_ledger_sth_sign(const struct clave_pkey *key,
                                                            uint64_t tree_size,
                                                            int64_t timestamp_ms,
                                                            const clave_merkle_hash root,
                                                            struct clave_ledger_sth *out);

/** Verify a tree head under the log's public key: log_id must match the key and the signature
 * must verify. CLAVE_ERR_SIGNATURE otherwise. */
CLAVE_API CLAVE_MUST_USE clave_status clave_ledger_sth_verify(const struct clave_pkey *key,
                                                              const struct clave_ledger_sth *sth);

/** JSON text of a tree head (caller frees with free()), and its strict parser. */
CLAVE_API CLAVE_MUST_USE clave_status clave_ledger_sth_to_json(const struct clave_ledger_sth *sth,
                                                               char **json);
CLAVE_API CLAVE_MUST_USE clave_status clave_ledger_sth_from_json(const char *json, size_t len,
                                                                 struct clave_ledger_sth *out);

/* ---- the persistent log ------------------------------------------------------------------ */

struct clave_store;
struct clave_ledger;

#define CLAVE_LEDGER_EVENT_MAX ((size_t)64 * 1024) /* bytes per event record */

/**
 * Open the ledger kept in `store` (borrowed; must outlive the ledger), creating its tables
 * (migration module "ledger") if needed. Works on SQLite and PostgreSQL; several processes may
 * append to one database concurrently (appends are serialised by a write transaction).
 * Caller frees with clave_ledger_free(). Not thread-safe: one ledger per connection.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_ledger_open(struct clave_store *store,
                                                        struct clave_ledger **out);
CLAVE_API void clave_ledger_free(struct clave_ledger *ledger);

/**
 * Append one event record (1..CLAVE_LEDGER_EVENT_MAX bytes, borrowed; by convention canonical
 * JSON, see clave_ledger_event_json). Durable when this returns CLAVE_OK: callers append
 * *before* they answer the request the event describes. `*index` (may be NULL) gets its index.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_ledger_append(struct clave_ledger *ledger,
                                                          const uint8_t *event, size_t len,
                                                          uint64_t *index);

/**
 * clave_ledger_append() inside the transaction the caller has open on the ledger's store
 * (clave_store_begin or a clave_store_tx_run body), so the entry commits, or rolls back,
 * together with the caller's own writes: durable once that transaction commits. Safe to repeat
 * in a retried transaction body. CLAVE_ERR_STATE if no transaction is open.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_ledger_append_in_tx(struct clave_ledger *ledger,
                                                                const uint8_t *event, size_t len,
                                                                uint64_t *index);

/** Canonical JSON of an event: {"type":…, "time":ms, <fields…>} with sorted keys, compact.
 * `fields` is an object (borrowed; may be NULL). Caller frees `*out` with free(). */
CLAVE_API CLAVE_MUST_USE clave_status clave_ledger_event_json(const char *type, int64_t time_ms,
                                                              const json_t *fields, char **out);

/** Number of entries. */
CLAVE_API CLAVE_MUST_USE clave_status clave_ledger_size(struct clave_ledger *ledger,
                                                        uint64_t *size);

/** The event at `index` (caller frees `*event` with free()). */
CLAVE_API CLAVE_MUST_USE clave_status clave_ledger_entry(struct clave_ledger *ledger,
                                                         uint64_t index, uint8_t **event,
                                                         size_t *len);

/** Root of the first `size` entries. */
CLAVE_API CLAVE_MUST_USE clave_status clave_ledger_root(struct clave_ledger *ledger, uint64_t size,
                                                        clave_merkle_hash out);

/** Inclusion proof of entry `index` in the tree of `size` entries (see merkle.h). */
CLAVE_API CLAVE_MUST_USE clave_status clave_ledger_inclusion_proof(struct clave_ledger *ledger,
                                                                   uint64_t index, uint64_t size,
                                                                   clave_merkle_hash *proof,
                                                                   size_t cap, size_t *count);

/** Consistency proof between two sizes. */
CLAVE_API CLAVE_MUST_USE clave_status clave_ledger_consistency_proof(struct clave_ledger *ledger,
                                                                     uint64_t old_size,
                                                                     uint64_t new_size,
                                                                     clave_merkle_hash *proof,
                                                                     size_t cap, size_t *count);

/** Sign the current head with the log key and keep it; `*out` gets it. */
CLAVE_API CLAVE_MUST_USE clave_status clave_ledger_checkpoint(struct clave_ledger *ledger,
                                                              const struct clave_pkey *key,
                                                              int64_t now_ms,
                                                              struct clave_ledger_sth *out);

/** The most recent kept tree head; CLAVE_ERR_NOT_FOUND if none yet. */
CLAVE_API CLAVE_MUST_USE clave_status clave_ledger_latest_sth(struct clave_ledger *ledger,
                                                              struct clave_ledger_sth *out);

/**
 * Audit the stored log against a signed head: the head verifies under `key`, every stored event
 * re-hashes to its stored leaf hash, every stored interior node is right, and the first
 * `sth->tree_size` entries give the signed root. CLAVE_ERR_TAMPERED names the first bad entry.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_ledger_audit(struct clave_ledger *ledger,
                                                         const struct clave_pkey *key,
                                                         const struct clave_ledger_sth *sth);

/* ---- offline verification (what `clave audit verify` does) ------------------------------ */

/**
 * Verify an exported log against a signed head, with no database: `jsonl` holds one entry per
 * line, {"index": i, "event": base64url(event bytes)}, in order from 0 (at least
 * `sth->tree_size` lines; later ones are checked for order only). The head must verify under
 * `key` and the first `sth->tree_size` events must give its root. CLAVE_ERR_TAMPERED otherwise,
 * naming the first line that is wrong when it can tell.
 */
CLAVE_API CLAVE_MUST_USE clave_status
clave_ledger_verify_export(const char *jsonl, size_t len, const struct clave_pkey *key,
                           const struct clave_ledger_sth *sth);

/**
 * Verify one entry's inclusion under a signed head. `proof_json` is
 * {"index": i, "tree_size": n, "event": base64url, "audit_path": [hex, ...]} as served by
 * GET /v1/audit/entries/{i}/proof; n must equal the head's tree_size.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_ledger_verify_entry(const char *proof_json, size_t len,
                                                                const struct clave_pkey *key,
                                                                const struct clave_ledger_sth *sth);

/** The inclusion-proof JSON above for entry `index` under tree size `size`. Caller frees. */
CLAVE_API CLAVE_MUST_USE clave_status clave_ledger_proof_json(struct clave_ledger *ledger,
                                                              uint64_t index, uint64_t size,
                                                              char **json);

/** Export entries [0, size) as the JSON-lines text above. Caller frees `*out`. */
CLAVE_API CLAVE_MUST_USE clave_status clave_ledger_export(struct clave_ledger *ledger,
                                                          uint64_t size, char **out,
                                                          size_t *out_len);

#ifdef __cplusplus
}
#endif
#endif
