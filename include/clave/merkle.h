/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Merkle tree hashing, proofs and their verification as in RFC 9162 §2.1 (Certificate
 * Transparency v2; the same tree as RFC 6962): SHA-256, leaf hash H(0x00 || data), node hash
 * H(0x01 || left || right), MTH({}) = H("").
 *
 * Proof generation reads the tree through a callback returning the hash of a complete, aligned
 * subtree [start, start + 2^level), so a log stores each interior node once and answers any proof
 * with O(log n) reads. Verification needs only hashes and sizes.
 */
#ifndef CLAVE_MERKLE_H
#define CLAVE_MERKLE_H

#include <clave/status.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CLAVE_MERKLE_HASH_LEN 32
#define CLAVE_MERKLE_MAX_PROOF 64 /* enough for 2^63 leaves */

typedef uint8_t clave_merkle_hash[CLAVE_MERKLE_HASH_LEN];

/** Hash of the complete subtree of 2^level leaves starting at leaf `start` (start is a multiple
 * of 2^level). Level 0 is a leaf hash. */
typedef clave_status (*clave_merkle_subtree_fn)(void *ctx, uint64_t start, unsigned level,
                                                clave_merkle_hash out);

/** Leaf hash H(0x00 || data). */
CLAVE_API CLAVE_MUST_USE clave_status clave_merkle_leaf_hash(const uint8_t *data, size_t len,
                                                             clave_merkle_hash out);
/** Interior node hash H(0x01 || left || right). */
CLAVE_API CLAVE_MUST_USE clave_status clave_merkle_node_hash(const clave_merkle_hash left,
                                                             const clave_merkle_hash right,
                                                             clave_merkle_hash out);

/** Root of the first `size` leaves (size 0: SHA-256 of the empty string). */
CLAVE_API CLAVE_MUST_USE clave_status clave_merkle_root(clave_merkle_subtree_fn fn, void *ctx,
                                                        uint64_t size, clave_merkle_hash out);

/** Inclusion proof (audit path) of leaf `index` in the tree of `size` leaves, RFC 9162 §2.1.3.1.
 * `proof` has room for `cap` hashes; `*count` receives how many were written. */
CLAVE_API CLAVE_MUST_USE clave_status clave_merkle_inclusion_proof(clave_merkle_subtree_fn fn,
                                                                   void *ctx, uint64_t index,
                                                                   uint64_t size,
                                                                   clave_merkle_hash *proof,
                                                                   size_t cap, size_t *count);

/** Consistency proof between tree sizes `old_size` <= `new_size`, RFC 9162 §2.1.4.1. */
CLAVE_API CLAVE_MUST_USE clave_status clave_merkle_consistency_proof(clave_merkle_subtree_fn fn,
                                                                     void *ctx, uint64_t old_size,
                                                                     uint64_t new_size,
                                                                     clave_merkle_hash *proof,
                                                                     size_t cap, size_t *count);

/** Verify an inclusion proof (RFC 9162 §2.1.3.2). CLAVE_ERR_TAMPERED if it does not lead to
 * `root`; CLAVE_ERR_FORMAT if index/size/length are impossible. */
CLAVE_API CLAVE_MUST_USE clave_status clave_merkle_verify_inclusion(
    const clave_merkle_hash leaf_hash, uint64_t index, uint64_t size,
    const clave_merkle_hash *proof, size_t count, const clave_merkle_hash root);

/** Verify a consistency proof (RFC 9162 §2.1.4.2). CLAVE_ERR_TAMPERED if the two roots are not
 * consistent under it. */
CLAVE_API CLAVE_MUST_USE clave_status clave_merkle_verify_consistency(
    uint64_t old_size, uint64_t new_size, const clave_merkle_hash old_root,
    const clave_merkle_hash new_root, const clave_merkle_hash *proof, size_t count);

#ifdef __cplusplus
}
#endif
#endif
