/* SPDX-License-Identifier: Apache-2.0 */
/* Paillier-packed FL updates (docs/fl.md "Paillier"): the federation's key and packing plan, the
 * client's encryption, the checks of a received vector, shared by client, aggregator and key
 * holder. */
#ifndef CLAVE_FL_PAILLIER_H
#define CLAVE_FL_PAILLIER_H

#include "fl/fl_internal.h"

#include <clave/he.h>

/* A CLHE binary vector is its ciphertexts plus at most this much (header, metadata, checksum;
 * docs/formats/paillier.md): anything longer is refused before parsing. */
#define FL_HE_VEC_SLACK 256u

/* The public side of a PAILLIER federation. */
struct fl_he {
    struct clave_he_pub *pub;
    struct clave_he_ctx *ctx; /* scale 1: words are already fixed point */
    struct clave_he_pack_plan plan;
    uint8_t key_id[CLAVE_HE_KEY_ID_LEN];
};

/* Import the public key `pub` (borrowed bytes) for `cfg`: the modulus must be cfg->paillier_bits
 * and the plan the one of fl__paillier_bits with max_adds = clients_per_round. */
clave_status fl__he_setup(const struct clave_fl_config *cfg, const uint8_t *pub, size_t len,
                          struct fl_he *he);
/* The same from a public key object (borrowed; duplicated). */
clave_status fl__he_setup_pub(const struct clave_fl_config *cfg, const struct clave_he_pub *pub,
                              struct fl_he *he);
void fl__he_clear(struct fl_he *he);

/* Encrypt `n` Z_2^64 words read as signed integers, packed by the plan, and serialise the vector
 * (CLHE binary). CLAVE_ERR_LIMIT if a word does not fit value_bits (nothing is sent). */
clave_status fl__he_encrypt(struct fl_he *he, const uint64_t *words, size_t n, uint8_t **out,
                            size_t *out_len);

/* Parse a received vector: at most the plan's length plus FL_HE_VEC_SLACK bytes, under the key,
 * packed by exactly the plan, `words` values, weight `weight`, scale 1. Caller frees `*out`. */
clave_status fl__he_import(const struct fl_he *he, const uint8_t *buf, size_t len, uint32_t words,
                           uint64_t weight, struct clave_he_vec **out);

#endif
