/* SPDX-License-Identifier: Apache-2.0 */
/* Serialisation entry points: format dispatch, vector metadata checks, JSON big integers. */
#include "core/check.h"
#include "core/gmp.h"
#include "he/he_serial.h"

#include <clave/encoding.h>
#include <clave/json.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* JSON documents start with '{' after optional whitespace; anything else goes to the binary
 * parser, which names a wrong magic. */
static bool is_binary(const uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (buf[i] != ' ' && buf[i] != '\t' && buf[i] != '\n' && buf[i] != '\r') {
            return buf[i] != '{';
        }
    }
    return false;
}

clave_status clave__he_vec_meta_check(const struct clave_he_pub *pub,
                                      const struct he_vec_meta *meta)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(memcmp(meta->key_id, pub->id, CLAVE_HE_KEY_ID_LEN) == 0, // lint:public
                 CLAVE_ERR_KEY, "he: vector: encrypted under another key");
    CLAVE_ENSURE(meta->bits == pub->bits, CLAVE_ERR_FORMAT, "he: vector: %u-bit key, expected %u",
                 meta->bits, pub->bits);
    CLAVE_ENSURE(meta->scale >= 1 && meta->scale <= CLAVE_HE_SCALE_MAX, CLAVE_ERR_FORMAT,
                 "he: vector: scale outside 1..2^62");
    CLAVE_ENSURE(meta->weight >= 1, CLAVE_ERR_FORMAT, "he: vector: weight 0");
    CLAVE_ENSURE(meta->count >= 1 && meta->count <= CLAVE_HE_VEC_MAX, CLAVE_ERR_TOO_LARGE,
                 "he: vector: %llu ciphertexts (1..%u)", (unsigned long long)meta->count,
                 CLAVE_HE_VEC_MAX);
    if (meta->kind == CLAVE_HE_VEC_INT) {
        CLAVE_ENSURE(meta->len == meta->count && meta->pack.value_bits == 0 &&
                         meta->pack.slot_bits == 0 && meta->pack.slots == 0 &&
                         meta->pack.max_adds == 0,
                     CLAVE_ERR_FORMAT,
                     "he: vector: an int vector has one value per ciphertext "
                     "and no packing");
    } else {
        CLAVE_ENSURE(meta->kind == CLAVE_HE_VEC_PACKED, CLAVE_ERR_FORMAT,
                     "he: vector: unknown kind %u", meta->kind);
        if (clave__he_pack_check(pub, &meta->pack) != CLAVE_OK) {
            char why[160];
            (void)snprintf(why, sizeof(why), "%s", clave_error_last().detail);
            CLAVE_RAISE(CLAVE_ERR_FORMAT, "he: vector: bad packing plan (%s)", why);
        }
        CLAVE_ENSURE(meta->weight <= meta->pack.max_adds, CLAVE_ERR_FORMAT,
                     "he: vector: weight above the plan's max_adds");
        uint64_t need = (meta->len + meta->pack.slots - 1) / meta->pack.slots;
        CLAVE_ENSURE(meta->len >= 1 && need == meta->count, CLAVE_ERR_FORMAT,
                     "he: vector: %llu values need %llu ciphertexts, not %llu",
                     (unsigned long long)meta->len, (unsigned long long)need,
                     (unsigned long long)meta->count);
    }
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave__he_vec_from_meta(const struct clave_he_pub *pub, const struct he_vec_meta *meta,
                                     struct clave_he_vec **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_CHECK(clave__he_vec_new(pub, (enum clave_he_vec_kind)meta->kind, meta->scale,
                                  (size_t)meta->len, (size_t)meta->count, out));
    (*out)->weight = meta->weight;
    (*out)->pack = meta->pack;
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave__he_json_set_mpz(json_t *obj, const char *key, const mpz_t v, size_t len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t *bytes = malloc(len == 0 ? 1 : len);
    char *text = NULL;
    CLAVE_ENSURE_ALLOC(bytes);
    CLAVE_ENSURE(mpz_sizeinbase(v, 2) <= 8 * len, CLAVE_ERR_INTERNAL, "he: %s too wide", key);
    clave__he_mpz_to_bytes(v, bytes, len);
    CLAVE_CHECK(clave_b64_encode_alloc(CLAVE_B64URL, bytes, len, &text));
    CLAVE_ENSURE(json_object_set_new(obj, key, json_string(text)) == 0, CLAVE_ERR_NOMEM,
                 "out of memory");
    st = CLAVE_OK;
done:
    if (bytes != NULL) {
        OPENSSL_cleanse(bytes, len);
    }
    if (text != NULL) {
        OPENSSL_cleanse(text, strlen(text));
    }
    free(bytes);
    free(text);
    return st;
}

clave_status clave__he_json_get_mpz(const json_t *obj, const char *where, const char *key,
                                    size_t len, mpz_t v)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t *bytes = NULL;
    size_t got = 0;
    CLAVE_CHECK(clave_json_get_b64url(obj, where, key, true, len, &bytes, &got));
    CLAVE_ENSURE(got == len, CLAVE_ERR_FORMAT, "%s.%s: %zu bytes, expected %zu", where, key, got,
                 len);
    clave__he_mpz_from_bytes(v, bytes, len);
    st = CLAVE_OK;
done:
    if (bytes != NULL) {
        OPENSSL_cleanse(bytes, got);
    }
    free(bytes);
    return st;
}

clave_status clave__he_json_dump(json_t *root, size_t flags, char **out, size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    *out = NULL;
    CLAVE_ENSURE(root != NULL, CLAVE_ERR_NOMEM, "out of memory");
    *out = json_dumps(root, flags);
    CLAVE_ENSURE(*out != NULL, CLAVE_ERR_NOMEM, "he: cannot write JSON");
    if (out_len != NULL) {
        *out_len = strlen(*out);
    }
    st = CLAVE_OK;
done:
    json_decref(root);
    return st;
}

clave_status clave_he_pub_export(const struct clave_he_pub *pub, enum clave_he_format format,
                                 uint8_t **out, size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    *out = NULL;
    *out_len = 0;
    CLAVE_ENSURE(pub != NULL, CLAVE_ERR_ARG, "he: no public key");
    if (format == CLAVE_HE_FORMAT_BINARY) {
        CLAVE_CHECK(clave__he_pub_to_bin(pub, out, out_len));
    } else {
        CLAVE_ENSURE(format == CLAVE_HE_FORMAT_JSON, CLAVE_ERR_ARG, "he: unknown format");
        CLAVE_CHECK(clave__he_pub_to_json(pub, out, out_len));
    }
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_he_pub_import(const uint8_t *buf, size_t len, struct clave_he_pub **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    *out = NULL;
    CLAVE_CHECK(clave__gmp_init());
    CLAVE_ENSURE(buf != NULL, CLAVE_ERR_ARG, "he: no input");
    CLAVE_CHECK(is_binary(buf, len) ? clave__he_pub_from_bin(buf, len, out)
                                    : clave__he_pub_from_json(buf, len, out));
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_he_key_export(const struct clave_he_key *key, enum clave_he_format format,
                                 struct clave_secret **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    *out = NULL;
    CLAVE_ENSURE(key != NULL, CLAVE_ERR_ARG, "he: no key");
    if (format == CLAVE_HE_FORMAT_BINARY) {
        CLAVE_CHECK(clave__he_key_to_bin(key, out));
    } else {
        CLAVE_ENSURE(format == CLAVE_HE_FORMAT_JSON, CLAVE_ERR_ARG, "he: unknown format");
        CLAVE_CHECK(clave__he_key_to_json(key, out));
    }
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_he_key_import(const uint8_t *buf, size_t len, struct clave_he_key **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    *out = NULL;
    CLAVE_CHECK(clave__gmp_init());
    CLAVE_ENSURE(buf != NULL, CLAVE_ERR_ARG, "he: no input");
    CLAVE_CHECK(is_binary(buf, len) ? clave__he_key_from_bin(buf, len, out)
                                    : clave__he_key_from_json(buf, len, out));
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_he_vec_export(const struct clave_he_vec *vec, enum clave_he_format format,
                                 uint8_t **out, size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    *out = NULL;
    *out_len = 0;
    CLAVE_ENSURE(vec != NULL, CLAVE_ERR_ARG, "he: no vector");
    if (format == CLAVE_HE_FORMAT_BINARY) {
        CLAVE_CHECK(clave__he_vec_to_bin(vec, out, out_len));
    } else {
        CLAVE_ENSURE(format == CLAVE_HE_FORMAT_JSON, CLAVE_ERR_ARG, "he: unknown format");
        CLAVE_CHECK(clave__he_vec_to_json(vec, out, out_len));
    }
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_he_vec_import(const struct clave_he_pub *pub, const uint8_t *buf, size_t len,
                                 struct clave_he_vec **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    *out = NULL;
    CLAVE_CHECK(clave__gmp_init());
    CLAVE_ENSURE(pub != NULL && buf != NULL, CLAVE_ERR_ARG, "he: no key or input");
    CLAVE_CHECK(is_binary(buf, len) ? clave__he_vec_from_bin(pub, buf, len, out)
                                    : clave__he_vec_from_json(pub, buf, len, out));
    st = CLAVE_OK;
done:
    return st;
}
