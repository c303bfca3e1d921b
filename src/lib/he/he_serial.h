/* SPDX-License-Identifier: Apache-2.0 */
/* Serialisation internals shared by the binary, JSON and python-paillier formats. */
#ifndef CLAVE_HE_SERIAL_H
#define CLAVE_HE_SERIAL_H

#include "he/he_internal.h"

#include <clave/buf.h>
#include <jansson.h>

#define HE_BIN_MAGIC "CLHE"
#define HE_BIN_MAGIC_LEN 4
#define HE_BIN_VERSION 1
#define HE_BIN_TYPE_PUB 1
#define HE_BIN_TYPE_KEY 2
#define HE_BIN_TYPE_VEC 3
#define HE_JSON_VERSION 1
#define HE_JSON_FORMAT_PUB "clave-he-public-key"
#define HE_JSON_FORMAT_KEY "clave-he-private-key"
#define HE_JSON_FORMAT_VEC "clave-he-vector"
/* A JSON vector of CLAVE_HE_VEC_MAX 4096-bit ciphertexts would be ~11 GiB: cap documents. */
#define HE_JSON_MAX_BYTES ((size_t)256 << 20)
#define HE_JSON_KEY_MAX_BYTES ((size_t)64 << 10)

/* Vector metadata as read from a document, checked before any allocation. */
struct he_vec_meta {
    uint8_t key_id[CLAVE_HE_KEY_ID_LEN];
    unsigned bits;
    unsigned kind;
    uint64_t scale;
    uint64_t weight;
    uint64_t len;
    uint64_t count;
    struct he_pack pack;
};

clave_status clave__he_vec_meta_check(const struct clave_he_pub *pub,
                                      const struct he_vec_meta *meta);
/* A vector shaped by checked metadata; ciphertexts still to be read and validated. */
clave_status clave__he_vec_from_meta(const struct clave_he_pub *pub, const struct he_vec_meta *meta,
                                     struct clave_he_vec **out);

clave_status clave__he_bin_header(struct clave_writer *w, uint8_t type);
clave_status clave__he_bin_open(const uint8_t *buf, size_t len, uint8_t type,
                                struct clave_reader *body);
clave_status clave__he_pub_to_bin(const struct clave_he_pub *pub, uint8_t **out, size_t *out_len);
clave_status clave__he_pub_from_bin(const uint8_t *buf, size_t len, struct clave_he_pub **out);
clave_status clave__he_key_to_bin(const struct clave_he_key *key, struct clave_secret **out);
clave_status clave__he_key_from_bin(const uint8_t *buf, size_t len, struct clave_he_key **out);
clave_status clave__he_vec_to_bin(const struct clave_he_vec *vec, uint8_t **out, size_t *out_len);
clave_status clave__he_vec_from_bin(const struct clave_he_pub *pub, const uint8_t *buf, size_t len,
                                    struct clave_he_vec **out);

clave_status clave__he_pub_to_json(const struct clave_he_pub *pub, uint8_t **out, size_t *out_len);
clave_status clave__he_pub_from_json(const uint8_t *buf, size_t len, struct clave_he_pub **out);
clave_status clave__he_key_to_json(const struct clave_he_key *key, struct clave_secret **out);
clave_status clave__he_key_from_json(const uint8_t *buf, size_t len, struct clave_he_key **out);
clave_status clave__he_vec_to_json(const struct clave_he_vec *vec, uint8_t **out, size_t *out_len);
clave_status clave__he_vec_from_json(const struct clave_he_pub *pub, const uint8_t *buf, size_t len,
                                     struct clave_he_vec **out);

/* A big integer as unpadded base64url of exactly `len` big-endian bytes (fixed width), and
 * back (the field must decode to exactly `len` bytes). */
clave_status clave__he_json_set_mpz(json_t *obj, const char *key, const mpz_t v, size_t len);
clave_status clave__he_json_get_mpz(const json_t *obj, const char *where, const char *key,
                                    size_t len, mpz_t v);
/* JSON text of `root` (consumed) into a new buffer. */
clave_status clave__he_json_dump(json_t *root, size_t flags, char **out, size_t *out_len);

#endif
