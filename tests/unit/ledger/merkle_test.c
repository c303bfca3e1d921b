/* SPDX-License-Identifier: Apache-2.0 */
/* RFC 9162 Merkle tree: Certificate Transparency reference vectors, then properties. */
#include "testlib.h"

#include <clave/merkle.h>
#include <stdlib.h>
#include <string.h>

static const char *const LEAVES[] = {"",
                                     "00",
                                     "10",
                                     "2021",
                                     "3031",
                                     "40414243",
                                     "5051525354555657",
                                     "606162636465666768696a6b6c6d6e6f"};
static const char *const ROOTS[] = {
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

struct vector_proof {
    uint64_t a; /* leaf index (inclusion) or old size (consistency) */
    uint64_t size;
    size_t count;
    const char *hashes[3];
};

static const struct vector_proof INCLUSION[] = {
    {0,
     8,
     3,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {5,
     8,
     3,
     {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {2, 3, 1, {"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"}},
    {1,
     5,
     3,
     {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
};

static const struct vector_proof CONSISTENCY[] = {
    {1, 1, 0, {NULL}},
    {1,
     8,
     3,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {6,
     8,
     3,
     {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {2,
     5,
     2,
     {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
};

/* An in-memory tree: leaf hashes, subtree hashes computed on demand. */
struct mem_tree {
    clave_merkle_hash *leaves;
    size_t count;
};

static clave_status mem_subtree(void *ctx, uint64_t start, unsigned level, clave_merkle_hash out)
{
    const struct mem_tree *t = ctx;
    if (start + ((uint64_t)1 << level) > t->count) {
        return CLAVE_ERR_ARG;
    }
    if (level == 0) {
        memcpy(out, t->leaves[start], CLAVE_MERKLE_HASH_LEN);
        return CLAVE_OK;
    }
    clave_merkle_hash l;
    clave_merkle_hash r;
    clave_status st = mem_subtree(ctx, start, level - 1, l);
    if (st == CLAVE_OK) {
        st = mem_subtree(ctx, start + ((uint64_t)1 << (level - 1)), level - 1, r);
    }
    return st == CLAVE_OK ? clave_merkle_node_hash(l, r, out) : st;
}

static struct mem_tree vector_tree(void)
{
    struct mem_tree t = {calloc(8, sizeof(clave_merkle_hash)), 8};
    for (size_t i = 0; i < 8; i++) {
        size_t len = 0;
        uint8_t *data = t_hex(LEAVES[i], &len);
        T_OK(clave_merkle_leaf_hash(data, len, t.leaves[i]));
        free(data);
    }
    return t;
}

static void hex_hash(const char *hex, clave_merkle_hash out)
{
    size_t len = 0;
    T_OK(clave_hex_decode(hex, strlen(hex), out, CLAVE_MERKLE_HASH_LEN, &len));
    assert_int_equal(len, CLAVE_MERKLE_HASH_LEN);
}

static void test_reference_roots(void **state)
{
    (void)state;
    struct mem_tree t = vector_tree();
    for (uint64_t n = 0; n <= 8; n++) {
        clave_merkle_hash root;
        clave_merkle_hash expect;
        T_OK(clave_merkle_root(mem_subtree, &t, n, root));
        hex_hash(ROOTS[n], expect);
        assert_memory_equal(root, expect, CLAVE_MERKLE_HASH_LEN);
    }
    free(t.leaves);
}

static void check_vector_proof(const struct vector_proof *v, const clave_merkle_hash *proof,
                               size_t count)
{
    assert_int_equal(count, v->count);
    for (size_t i = 0; i < count; i++) {
        clave_merkle_hash expect;
        hex_hash(v->hashes[i], expect);
        assert_memory_equal(proof[i], expect, CLAVE_MERKLE_HASH_LEN);
    }
}

static void test_reference_inclusion_proofs(void **state)
{
    (void)state;
    struct mem_tree t = vector_tree();
    for (size_t i = 0; i < sizeof(INCLUSION) / sizeof(INCLUSION[0]); i++) {
        const struct vector_proof *v = &INCLUSION[i];
        clave_merkle_hash proof[CLAVE_MERKLE_MAX_PROOF];
        clave_merkle_hash root;
        size_t count = 0;
        T_OK(clave_merkle_inclusion_proof(mem_subtree, &t, v->a, v->size, proof,
                                          CLAVE_MERKLE_MAX_PROOF, &count));
        check_vector_proof(v, proof, count);
        hex_hash(ROOTS[v->size], root);
        T_OK(clave_merkle_verify_inclusion(t.leaves[v->a], v->a, v->size, proof, count, root));
        hex_hash(ROOTS[v->size - 1], root);
        T_ERR(clave_merkle_verify_inclusion(t.leaves[v->a], v->a, v->size, proof, count, root),
              CLAVE_ERR_TAMPERED);
    }
    free(t.leaves);
}

static void test_reference_consistency_proofs(void **state)
{
    (void)state;
    struct mem_tree t = vector_tree();
    for (size_t i = 0; i < sizeof(CONSISTENCY) / sizeof(CONSISTENCY[0]); i++) {
        const struct vector_proof *v = &CONSISTENCY[i];
        clave_merkle_hash proof[CLAVE_MERKLE_MAX_PROOF];
        clave_merkle_hash old_root;
        clave_merkle_hash new_root;
        size_t count = 0;
        T_OK(clave_merkle_consistency_proof(mem_subtree, &t, v->a, v->size, proof,
                                            CLAVE_MERKLE_MAX_PROOF, &count));
        check_vector_proof(v, proof, count);
        hex_hash(ROOTS[v->a], old_root);
        hex_hash(ROOTS[v->size], new_root);
        T_OK(clave_merkle_verify_consistency(v->a, v->size, old_root, new_root, proof, count));
        old_root[0] ^= 1;
        T_ERR(clave_merkle_verify_consistency(v->a, v->size, old_root, new_root, proof, count),
              CLAVE_ERR_TAMPERED);
    }
    free(t.leaves);
}

/* Every leaf of every tree size up to 40 proves and verifies; every flipped proof bit, wrong
 * index or wrong size fails. Every pair of sizes is consistent; tampered proofs are not. */
static void test_all_shapes(void **state)
{
    (void)state;
    const size_t max = 40;
    struct mem_tree t = {calloc(max, sizeof(clave_merkle_hash)), max};
    clave_merkle_hash roots[41];
    for (size_t i = 0; i < max; i++) {
        uint8_t data[2] = {(uint8_t)i, (uint8_t)(i * 7)};
        T_OK(clave_merkle_leaf_hash(data, sizeof(data), t.leaves[i]));
    }
    for (uint64_t n = 0; n <= max; n++) {
        T_OK(clave_merkle_root(mem_subtree, &t, n, roots[n]));
    }
    for (uint64_t n = 1; n <= max; n++) {
        for (uint64_t m = 0; m < n; m++) {
            clave_merkle_hash proof[CLAVE_MERKLE_MAX_PROOF];
            size_t count = 0;
            T_OK(clave_merkle_inclusion_proof(mem_subtree, &t, m, n, proof, CLAVE_MERKLE_MAX_PROOF,
                                              &count));
            T_OK(clave_merkle_verify_inclusion(t.leaves[m], m, n, proof, count, roots[n]));
            if (n > 1) {
                assert_int_not_equal(clave_merkle_verify_inclusion(t.leaves[m], (m + 1) % n, n,
                                                                   proof, count, roots[n]),
                                     CLAVE_OK);
            }
            /* (A wrong tree size can still verify against the same root: e.g. leaf 0 of 3 reads
             * as leaf 0 of 4. Sizes are authenticated by the signed tree head, not the proof.) */
            for (size_t k = 0; k < count; k++) {
                proof[k][k % 32] ^= 0x80;
                T_ERR(clave_merkle_verify_inclusion(t.leaves[m], m, n, proof, count, roots[n]),
                      CLAVE_ERR_TAMPERED);
                proof[k][k % 32] ^= 0x80;
            }
            if (count > 0) {
                assert_int_not_equal(
                    clave_merkle_verify_inclusion(t.leaves[m], m, n, proof, count - 1, roots[n]),
                    CLAVE_OK);
            }
        }
        for (uint64_t m = 1; m <= n; m++) {
            clave_merkle_hash proof[CLAVE_MERKLE_MAX_PROOF];
            size_t count = 0;
            T_OK(clave_merkle_consistency_proof(mem_subtree, &t, m, n, proof,
                                                CLAVE_MERKLE_MAX_PROOF, &count));
            T_OK(clave_merkle_verify_consistency(m, n, roots[m], roots[n], proof, count));
            for (size_t k = 0; k < count; k++) {
                proof[k][0] ^= 1;
                T_ERR(clave_merkle_verify_consistency(m, n, roots[m], roots[n], proof, count),
                      CLAVE_ERR_TAMPERED);
                proof[k][0] ^= 1;
            }
            if (m < n) {
                assert_int_not_equal(
                    clave_merkle_verify_consistency(m, n, roots[m], roots[n - 1], proof, count),
                    CLAVE_OK);
            }
        }
    }
    free(t.leaves);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    struct mem_tree t = vector_tree();
    clave_merkle_hash proof[2];
    clave_merkle_hash root;
    size_t count = 0;
    T_ERR(clave_merkle_inclusion_proof(mem_subtree, &t, 8, 8, proof, 2, &count), CLAVE_ERR_ARG);
    T_ERR(clave_merkle_inclusion_proof(mem_subtree, &t, 0, 8, proof, 2, &count), CLAVE_ERR_LIMIT);
    T_ERR(clave_merkle_consistency_proof(mem_subtree, &t, 5, 4, proof, 2, &count), CLAVE_ERR_ARG);
    hex_hash(ROOTS[8], root);
    T_ERR(clave_merkle_verify_inclusion(t.leaves[0], 8, 8, proof, 0, root), CLAVE_ERR_FORMAT);
    T_ERR(clave_merkle_verify_inclusion(t.leaves[0], 0, 0, proof, 0, root), CLAVE_ERR_FORMAT);
    T_ERR(clave_merkle_verify_consistency(3, 3, root, t.leaves[0], proof, 0), CLAVE_ERR_TAMPERED);
    free(t.leaves);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_roots),
        cmocka_unit_test(test_reference_inclusion_proofs),
        cmocka_unit_test(test_reference_consistency_proofs),
        cmocka_unit_test(test_all_shapes),
        cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
