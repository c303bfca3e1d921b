/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Paillier-packed FL updates: key and plan agreement, the client's packed encryption, and the
 * checks every received vector passes before it is added or decrypted. Packing is the he
 * library's (src/lib/he/vec.c): a signed value v of value_bits bits is stored as v + 2^(vb-1) in
 * [0, 2^vb), in a slot of vb + ceil(log2(clients_per_round)) bits; a sum of at most
 * clients_per_round such values stays below 2^slot_bits, so no carry reaches the next slot, and
 * the public count of summands removes the bias on decryption.
 */
#include "fl/paillier.h"

#include "core/check.h"

#include <stdlib.h>
#include <string.h>

static clave_status he_plan(const struct clave_fl_config *cfg, struct fl_he *he)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    unsigned vb = 0, sb = 0;
    CLAVE_ENSURE(cfg->protection == CLAVE_FL_PAILLIER, CLAVE_ERR_ARG,
                 "fl: not a paillier federation");
    CLAVE_ENSURE(clave_he_pub_bits(he->pub) == cfg->paillier_bits, CLAVE_ERR_ARG,
                 "fl: the paillier key has %u bits, the federation uses %u",
                 clave_he_pub_bits(he->pub), cfg->paillier_bits);
    CLAVE_CHECK(fl__paillier_bits(cfg, &vb, &sb));
    CLAVE_CHECK(clave_he_pack_plan(he->pub, vb, cfg->clients_per_round, &he->plan));
    CLAVE_ENSURE(he->plan.slot_bits == sb, CLAVE_ERR_INTERNAL, "fl: packing plan mismatch");
    clave_he_pub_id(he->pub, he->key_id);
    CLAVE_CHECK(clave_he_ctx_new(he->pub, 1, &he->ctx));
    st = CLAVE_OK;
done:
    return st;
}

clave_status fl__he_setup(const struct clave_fl_config *cfg, const uint8_t *pub, size_t len,
                          struct fl_he *he)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    fl__he_clear(he);
    CLAVE_ENSURE(pub != NULL, CLAVE_ERR_ARG, "fl: no paillier key");
    CLAVE_CHECK_CTX(clave_he_pub_import(pub, len, &he->pub), "fl: paillier key");
    CLAVE_CHECK(he_plan(cfg, he));
    st = CLAVE_OK;
done:
    if (st != CLAVE_OK) {
        fl__he_clear(he);
    }
    return st;
}

clave_status fl__he_setup_pub(const struct clave_fl_config *cfg, const struct clave_he_pub *pub,
                              struct fl_he *he)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    fl__he_clear(he);
    CLAVE_CHECK(clave_he_pub_dup(pub, &he->pub));
    CLAVE_CHECK(he_plan(cfg, he));
    st = CLAVE_OK;
done:
    if (st != CLAVE_OK) {
        fl__he_clear(he);
    }
    return st;
}

void fl__he_clear(struct fl_he *he)
{
    clave_he_ctx_free(he->ctx);
    clave_he_pub_free(he->pub);
    memset(he, 0, sizeof(*he));
}

clave_status fl__he_encrypt(struct fl_he *he, const uint64_t *words, size_t n, uint8_t **out,
                            size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_he_vec *vec = NULL;
    int64_t *values = calloc(n, sizeof(int64_t));
    CLAVE_ENSURE_ALLOC(values);
    for (size_t i = 0; i < n; i++) {
        values[i] = (int64_t)words[i]; /* two's complement: the signed fixed-point value */
    }
    CLAVE_CHECK_CTX(clave_he_encrypt_packed(he->ctx, &he->plan, values, n, &vec),
                    "fl: paillier encoding");
    CLAVE_CHECK(clave_he_vec_export(vec, CLAVE_HE_FORMAT_BINARY, out, out_len));
    st = CLAVE_OK;
done:
    if (values != NULL) {
        memset(values, 0, n * sizeof(int64_t)); /* the client's update */
    }
    free(values);
    clave_he_vec_free(vec);
    return st;
}

clave_status fl__he_import(const struct fl_he *he, const uint8_t *buf, size_t len, uint32_t words,
                           uint64_t weight, struct clave_he_vec **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_he_vec *vec = NULL;
    struct clave_he_pack_plan got;
    *out = NULL;
    size_t cts = ((size_t)words + he->plan.slots - 1) / he->plan.slots;
    size_t max = cts * (clave_he_pub_bits(he->pub) / 4) + FL_HE_VEC_SLACK;
    CLAVE_ENSURE(len <= max, CLAVE_ERR_TOO_LARGE,
                 "fl: paillier vector of %zu bytes (at most %zu for %u words)", len, max, words);
    CLAVE_CHECK_CTX(clave_he_vec_import(he->pub, buf, len, &vec), "fl: paillier vector");
    clave_he_vec_plan(vec, &got);
    CLAVE_ENSURE(clave_he_vec_kind(vec) == CLAVE_HE_VEC_PACKED &&
                     got.value_bits == he->plan.value_bits && got.slot_bits == he->plan.slot_bits &&
                     got.slots == he->plan.slots && got.max_adds == he->plan.max_adds,
                 CLAVE_ERR_FORMAT, "fl: paillier vector not packed by the federation's plan");
    CLAVE_ENSURE(clave_he_vec_len(vec) == words && clave_he_vec_ciphertexts(vec) == cts,
                 CLAVE_ERR_FORMAT, "fl: paillier vector of %zu values, expected %u",
                 clave_he_vec_len(vec), words);
    CLAVE_ENSURE(clave_he_vec_scale(vec) == 1 && clave_he_vec_weight(vec) == weight,
                 CLAVE_ERR_FORMAT, "fl: paillier vector with scale %llu and weight %llu",
                 (unsigned long long)clave_he_vec_scale(vec),
                 (unsigned long long)clave_he_vec_weight(vec));
    *out = vec;
    vec = NULL;
    st = CLAVE_OK;
done:
    clave_he_vec_free(vec);
    return st;
}
