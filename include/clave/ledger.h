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

#ifdef __cplusplus
}
#endif
#endif
