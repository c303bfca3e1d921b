/* SPDX-License-Identifier: Apache-2.0 */
/*
 * RFC 9162 §2.1 Merkle tree: MTH, PATH (inclusion) and PROOF/SUBPROOF (consistency), and the
 * verification algorithms of §2.1.3.2 and §2.1.4.2, over a subtree-hash callback.
 *
 * In the recursions of §2.1 every left part D[0:k] of a range is a complete subtree whose start
 * is a multiple of k, so each MTH reduces to O(log n) callback reads.
 */
#include "core/check.h"

#include <clave/crypto.h>
#include <clave/merkle.h>
#include <clave/secret.h>
#include <stdbool.h>
#include <string.h>

#define MAX_DEPTH 64

static bool hash_equal(const clave_merkle_hash a, const clave_merkle_hash b)
{
    return clave_ct_equal(a, b, CLAVE_MERKLE_HASH_LEN);
}

clave_status clave_merkle_leaf_hash(const uint8_t *data, size_t len, clave_merkle_hash out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_hash_ctx *h = NULL;
    const uint8_t prefix = 0x00;
    CLAVE_CHECK(clave_hash_new(CLAVE_HASH_SHA256, &h));
    CLAVE_CHECK(clave_hash_update(h, &prefix, 1));
    CLAVE_CHECK(clave_hash_update(h, data, len));
    CLAVE_CHECK(clave_hash_final(h, out, CLAVE_MERKLE_HASH_LEN));
    st = CLAVE_OK;
done:
    clave_hash_free(h);
    return st;
}

clave_status clave_merkle_node_hash(const clave_merkle_hash left, const clave_merkle_hash right,
                                    clave_merkle_hash out)
{
    uint8_t buf[1 + 2 * CLAVE_MERKLE_HASH_LEN];
    buf[0] = 0x01;
    memcpy(buf + 1, left, CLAVE_MERKLE_HASH_LEN);
    memcpy(buf + 1 + CLAVE_MERKLE_HASH_LEN, right, CLAVE_MERKLE_HASH_LEN);
    return clave_hash(CLAVE_HASH_SHA256, buf, sizeof(buf), out, CLAVE_MERKLE_HASH_LEN);
}

/* Largest power of two strictly less than n (n >= 2). */
static uint64_t split_point(uint64_t n)
{
    uint64_t k = 1;
    while (k << 1 < n) {
        k <<= 1;
    }
    return k;
}

static unsigned log2_exact(uint64_t n)
{
    unsigned level = 0;
    while (((uint64_t)1 << level) < n) {
        level++;
    }
    return level;
}

static bool is_power_of_two(uint64_t n)
{
    return n != 0 && (n & (n - 1)) == 0;
}

/* MTH(D[start : start + n]) for n >= 1. */
static clave_status range_hash(clave_merkle_subtree_fn fn, void *ctx, uint64_t start, uint64_t n,
                               unsigned depth, clave_merkle_hash out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    clave_merkle_hash left;
    clave_merkle_hash right;
    CLAVE_ENSURE(n >= 1 && depth < MAX_DEPTH, CLAVE_ERR_INTERNAL, "merkle: bad range");
    if (is_power_of_two(n) && start % n == 0) {
        CLAVE_CHECK(fn(ctx, start, log2_exact(n), out));
    } else {
        uint64_t k = split_point(n);
        CLAVE_CHECK(range_hash(fn, ctx, start, k, depth + 1, left));
        CLAVE_CHECK(range_hash(fn, ctx, start + k, n - k, depth + 1, right));
        CLAVE_CHECK(clave_merkle_node_hash(left, right, out));
    }
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_merkle_root(clave_merkle_subtree_fn fn, void *ctx, uint64_t size,
                               clave_merkle_hash out)
{
    if (size == 0) {
        return clave_hash(CLAVE_HASH_SHA256, NULL, 0, out, CLAVE_MERKLE_HASH_LEN);
    }
    return range_hash(fn, ctx, 0, size, 0, out);
}

/* Append one hash to the proof being built. */
static clave_status push(clave_merkle_hash *proof, size_t cap, size_t *count,
                         const clave_merkle_hash h)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(*count < cap, CLAVE_ERR_LIMIT, "merkle: proof longer than %zu hashes", cap);
    memcpy(proof[(*count)++], h, CLAVE_MERKLE_HASH_LEN);
    st = CLAVE_OK;
done:
    return st;
}

/* PATH(m, D[start : start + n]) (RFC 9162 §2.1.3.1): deepest sibling first. */
static clave_status path(clave_merkle_subtree_fn fn, void *ctx, uint64_t m, uint64_t start,
                         uint64_t n, clave_merkle_hash *proof, size_t cap, size_t *count)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    clave_merkle_hash sibling;
    if (n <= 1) {
        return CLAVE_OK;
    }
    uint64_t k = split_point(n);
    if (m < k) {
        CLAVE_CHECK(path(fn, ctx, m, start, k, proof, cap, count));
        CLAVE_CHECK(range_hash(fn, ctx, start + k, n - k, 0, sibling));
    } else {
        CLAVE_CHECK(path(fn, ctx, m - k, start + k, n - k, proof, cap, count));
        CLAVE_CHECK(range_hash(fn, ctx, start, k, 0, sibling));
    }
    CLAVE_CHECK(push(proof, cap, count, sibling));
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_merkle_inclusion_proof(clave_merkle_subtree_fn fn, void *ctx, uint64_t index,
                                          uint64_t size, clave_merkle_hash *proof, size_t cap,
                                          size_t *count)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    *count = 0;
    CLAVE_ENSURE(index < size, CLAVE_ERR_ARG, "merkle: leaf %llu not in a tree of %llu",
                 (unsigned long long)index, (unsigned long long)size);
    CLAVE_CHECK(path(fn, ctx, index, 0, size, proof, cap, count));
    st = CLAVE_OK;
done:
    return st;
}

/* SUBPROOF(m, D[start : start + n], b) (RFC 9162 §2.1.4.1). */
static clave_status subproof(clave_merkle_subtree_fn fn, void *ctx, uint64_t m, uint64_t start,
                             uint64_t n, bool b, clave_merkle_hash *proof, size_t cap,
                             size_t *count)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    clave_merkle_hash h;
    if (m == n) {
        if (!b) {
            CLAVE_CHECK(range_hash(fn, ctx, start, n, 0, h));
            CLAVE_CHECK(push(proof, cap, count, h));
        }
        return CLAVE_OK;
    }
    uint64_t k = split_point(n);
    if (m <= k) {
        CLAVE_CHECK(subproof(fn, ctx, m, start, k, b, proof, cap, count));
        CLAVE_CHECK(range_hash(fn, ctx, start + k, n - k, 0, h));
    } else {
        CLAVE_CHECK(subproof(fn, ctx, m - k, start + k, n - k, false, proof, cap, count));
        CLAVE_CHECK(range_hash(fn, ctx, start, k, 0, h));
    }
    CLAVE_CHECK(push(proof, cap, count, h));
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_merkle_consistency_proof(clave_merkle_subtree_fn fn, void *ctx,
                                            uint64_t old_size, uint64_t new_size,
                                            clave_merkle_hash *proof, size_t cap, size_t *count)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    *count = 0;
    CLAVE_ENSURE(old_size <= new_size, CLAVE_ERR_ARG, "merkle: old size %llu > new size %llu",
                 (unsigned long long)old_size, (unsigned long long)new_size);
    if (old_size > 0) {
        CLAVE_CHECK(subproof(fn, ctx, old_size, 0, new_size, true, proof, cap, count));
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status hash_left(const clave_merkle_hash left, clave_merkle_hash acc)
{
    clave_merkle_hash tmp;
    memcpy(tmp, acc, CLAVE_MERKLE_HASH_LEN);
    return clave_merkle_node_hash(left, tmp, acc);
}

static clave_status hash_right(clave_merkle_hash acc, const clave_merkle_hash right)
{
    clave_merkle_hash tmp;
    memcpy(tmp, acc, CLAVE_MERKLE_HASH_LEN);
    return clave_merkle_node_hash(tmp, right, acc);
}

clave_status clave_merkle_verify_inclusion(const clave_merkle_hash leaf_hash, uint64_t index,
                                           uint64_t size, const clave_merkle_hash *proof,
                                           size_t count, const clave_merkle_hash root)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    clave_merkle_hash r;
    CLAVE_ENSURE(index < size, CLAVE_ERR_FORMAT, "merkle: leaf index %llu >= tree size %llu",
                 (unsigned long long)index, (unsigned long long)size);
    CLAVE_ENSURE(count <= CLAVE_MERKLE_MAX_PROOF, CLAVE_ERR_FORMAT, "merkle: proof too long");
    uint64_t fn = index;
    uint64_t sn = size - 1;
    memcpy(r, leaf_hash, CLAVE_MERKLE_HASH_LEN);
    for (size_t i = 0; i < count; i++) {
        CLAVE_ENSURE(sn != 0, CLAVE_ERR_TAMPERED, "merkle: inclusion proof too long");
        if ((fn & 1) != 0 || fn == sn) {
            CLAVE_CHECK(hash_left(proof[i], r));
            while ((fn & 1) == 0 && fn != 0) {
                fn >>= 1;
                sn >>= 1;
            }
        } else {
            CLAVE_CHECK(hash_right(r, proof[i]));
        }
        fn >>= 1;
        sn >>= 1;
    }
    CLAVE_ENSURE(sn == 0 && hash_equal(r, root), CLAVE_ERR_TAMPERED,
                 "merkle: inclusion proof does not lead to the root");
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_merkle_verify_consistency(uint64_t old_size, uint64_t new_size,
                                             const clave_merkle_hash old_root,
                                             const clave_merkle_hash new_root,
                                             const clave_merkle_hash *proof, size_t count)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    clave_merkle_hash fr;
    clave_merkle_hash sr;
    clave_merkle_hash first;
    CLAVE_ENSURE(old_size <= new_size, CLAVE_ERR_FORMAT, "merkle: old size > new size");
    CLAVE_ENSURE(count <= CLAVE_MERKLE_MAX_PROOF, CLAVE_ERR_FORMAT, "merkle: proof too long");
    if (old_size == 0 || old_size == new_size) {
        /* Empty trees are consistent with everything; equal sizes need equal roots. */
        CLAVE_ENSURE(count == 0, CLAVE_ERR_TAMPERED, "merkle: non-empty proof for trivial sizes");
        CLAVE_ENSURE(old_size == 0 || hash_equal(old_root, new_root), CLAVE_ERR_TAMPERED,
                     "merkle: same size, different roots");
        return CLAVE_OK;
    }
    /* §2.1.4.2 step 1: if old_size is a power of two, the old root itself starts the path. */
    size_t i = 0;
    if (is_power_of_two(old_size)) {
        memcpy(first, old_root, CLAVE_MERKLE_HASH_LEN);
    } else {
        CLAVE_ENSURE(count >= 1, CLAVE_ERR_TAMPERED, "merkle: empty consistency proof");
        memcpy(first, proof[i++], CLAVE_MERKLE_HASH_LEN);
    }
    uint64_t fn = old_size - 1;
    uint64_t sn = new_size - 1;
    while ((fn & 1) != 0) {
        fn >>= 1;
        sn >>= 1;
    }
    memcpy(fr, first, CLAVE_MERKLE_HASH_LEN);
    memcpy(sr, first, CLAVE_MERKLE_HASH_LEN);
    for (; i < count; i++) {
        CLAVE_ENSURE(sn != 0, CLAVE_ERR_TAMPERED, "merkle: consistency proof too long");
        if ((fn & 1) != 0 || fn == sn) {
            CLAVE_CHECK(hash_left(proof[i], fr));
            CLAVE_CHECK(hash_left(proof[i], sr));
            while ((fn & 1) == 0 && fn != 0) {
                fn >>= 1;
                sn >>= 1;
            }
        } else {
            CLAVE_CHECK(hash_right(sr, proof[i]));
        }
        fn >>= 1;
        sn >>= 1;
    }
    CLAVE_ENSURE(sn == 0 && hash_equal(fr, old_root) && hash_equal(sr, new_root),
                 CLAVE_ERR_TAMPERED, "merkle: the two tree heads are not consistent");
    st = CLAVE_OK;
done:
    return st;
}
