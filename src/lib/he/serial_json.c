/* SPDX-License-Identifier: Apache-2.0 */
/*
 * JSON formats (docs/formats/paillier.md): big integers as unpadded base64url of fixed-width
 * big-endian bytes, small integers as JSON numbers, closed key sets.
 *
 *   public key:  {"format":"clave-he-public-key","version":1,"bits","r_bits","key_id","n","hs"}
 *   private key: {"format":"clave-he-private-key","version":1,"bits","r_bits","p","q","hs"}
 *   vector:      {"format":"clave-he-vector","version":1,"key_id","bits","kind","scale",
 *                 "weight","len",["packing":{"value_bits","slot_bits","slots","max_adds"}],
 *                 "ciphertexts":[...]}
 */
#include "core/check.h"
#include "he/he_serial.h"

#include <clave/encoding.h>
#include <clave/json.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

static clave_status parse_doc(const uint8_t *buf, size_t len, size_t max, const char *format,
                              json_t **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_json_limits lim = {max, 4};
    const char *got = NULL;
    int64_t version = 0;
    *out = NULL;
    CLAVE_CHECK(clave_json_parse((const char *)buf, len, &lim, format, out));
    CLAVE_CHECK(clave_json_expect_object(*out, format));
    CLAVE_CHECK(clave_json_get_string(*out, format, "format", true, 64, &got));
    CLAVE_ENSURE(strcmp(got, format) == 0, CLAVE_ERR_FORMAT, "%s: format is \"%s\"", format, got);
    CLAVE_CHECK(clave_json_get_int(*out, format, "version", true, 0, INT32_MAX, &version));
    CLAVE_ENSURE(version == HE_JSON_VERSION, CLAVE_ERR_UNSUPPORTED, "%s: version %lld", format,
                 (long long)version);
    st = CLAVE_OK;
done:
    if (st != CLAVE_OK) {
        json_decref(*out);
        *out = NULL;
    }
    return st;
}

static clave_status get_sizes(const json_t *doc, const char *where, unsigned *bits,
                              unsigned *r_bits)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    int64_t b = 0;
    int64_t rb = 0;
    CLAVE_CHECK(
        clave_json_get_int(doc, where, "bits", true, CLAVE_HE_BITS_MIN, CLAVE_HE_BITS_MAX, &b));
    CLAVE_ENSURE(b % 16 == 0, CLAVE_ERR_KEY, "%s.bits: %lld is not a multiple of 16", where,
                 (long long)b);
    CLAVE_CHECK(clave_json_get_int(doc, where, "r_bits", true, 1, CLAVE_HE_BITS_MAX, &rb));
    *bits = (unsigned)b;
    *r_bits = (unsigned)rb;
    st = CLAVE_OK;
done:
    return st;
}

static json_t *header(const char *format, unsigned bits)
{
    return json_pack("{s:s, s:i, s:i}", "format", format, "version", HE_JSON_VERSION, "bits",
                     (json_int_t)bits);
}

static clave_status set_key_id(json_t *obj, const uint8_t id[CLAVE_HE_KEY_ID_LEN])
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char hex[2 * CLAVE_HE_KEY_ID_LEN + 1];
    CLAVE_CHECK(clave_hex_encode(id, CLAVE_HE_KEY_ID_LEN, hex, sizeof(hex)));
    CLAVE_ENSURE(json_object_set_new(obj, "key_id", json_string(hex)) == 0, CLAVE_ERR_NOMEM,
                 "out of memory");
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave__he_pub_to_json(const struct clave_he_pub *pub, uint8_t **out, size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *root = header(HE_JSON_FORMAT_PUB, pub->bits);
    CLAVE_ENSURE(root != NULL, CLAVE_ERR_NOMEM, "out of memory");
    CLAVE_ENSURE(json_object_set_new(root, "r_bits", json_integer(pub->r_bits)) == 0,
                 CLAVE_ERR_NOMEM, "out of memory");
    CLAVE_CHECK(set_key_id(root, pub->id));
    CLAVE_CHECK(clave__he_json_set_mpz(root, "n", pub->n, pub->bits / 8));
    CLAVE_CHECK(clave__he_json_set_mpz(root, "hs", pub->hs, pub->bits / 4));
    st = clave__he_json_dump(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER, (char **)out, out_len);
    root = NULL;
done:
    json_decref(root);
    return st;
}

clave_status clave__he_pub_from_json(const uint8_t *buf, size_t len, struct clave_he_pub **out)
{
    static const char *const KEYS[] = {"format", "version", "bits", "r_bits",
                                       "key_id", "n",       "hs",   NULL};
    const char *where = HE_JSON_FORMAT_PUB;
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *doc = NULL;
    unsigned bits = 0;
    unsigned r_bits = 0;
    uint8_t id[CLAVE_HE_KEY_ID_LEN];
    mpz_t n, hs;
    mpz_inits(n, hs, NULL);
    *out = NULL;
    CLAVE_CHECK(parse_doc(buf, len, HE_JSON_KEY_MAX_BYTES, where, &doc));
    CLAVE_CHECK(clave_json_only_keys(doc, where, KEYS));
    CLAVE_CHECK(get_sizes(doc, where, &bits, &r_bits));
    CLAVE_CHECK(clave_json_get_hex(doc, where, "key_id", id, sizeof(id)));
    CLAVE_CHECK(clave__he_json_get_mpz(doc, where, "n", bits / 8, n));
    CLAVE_CHECK(clave__he_json_get_mpz(doc, where, "hs", bits / 4, hs));
    CLAVE_ENSURE(mpz_sizeinbase(n, 2) == bits, CLAVE_ERR_KEY, "%s.n: not %u bits long", where,
                 bits);
    CLAVE_CHECK(clave__he_pub_from(n, hs, r_bits, out));
    CLAVE_ENSURE(memcmp(id, (*out)->id, sizeof(id)) == 0, // lint:public
                 CLAVE_ERR_FORMAT, "%s.key_id: does not match n", where);
    st = CLAVE_OK;
done:
    if (st != CLAVE_OK) {
        clave_he_pub_free(*out);
        *out = NULL;
    }
    mpz_clears(n, hs, NULL);
    json_decref(doc);
    return st;
}

clave_status clave__he_key_to_json(const struct clave_he_key *key, struct clave_secret **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    unsigned bits = key->pub->bits;
    char *text = NULL;
    size_t len = 0;
    json_t *root = header(HE_JSON_FORMAT_KEY, bits);
    CLAVE_ENSURE(root != NULL, CLAVE_ERR_NOMEM, "out of memory");
    CLAVE_ENSURE(json_object_set_new(root, "r_bits", json_integer(key->pub->r_bits)) == 0,
                 CLAVE_ERR_NOMEM, "out of memory");
    CLAVE_CHECK(clave__he_json_set_mpz(root, "p", key->p, bits / 16));
    CLAVE_CHECK(clave__he_json_set_mpz(root, "q", key->q, bits / 16));
    CLAVE_CHECK(clave__he_json_set_mpz(root, "hs", key->pub->hs, bits / 4));
    st = clave__he_json_dump(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER, &text, &len);
    root = NULL;
    if (st == CLAVE_OK) {
        st = clave_secret_from((const uint8_t *)text, len, out);
    }
done:
    if (text != NULL) {
        OPENSSL_cleanse(text, strlen(text));
        free(text);
    }
    json_decref(root);
    return st;
}

clave_status clave__he_key_from_json(const uint8_t *buf, size_t len, struct clave_he_key **out)
{
    static const char *const KEYS[] = {"format", "version", "bits", "r_bits", "p", "q", "hs", NULL};
    const char *where = HE_JSON_FORMAT_KEY;
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *doc = NULL;
    unsigned bits = 0;
    unsigned r_bits = 0;
    mpz_t p, q, hs;
    mpz_inits(p, q, hs, NULL);
    *out = NULL;
    CLAVE_CHECK(parse_doc(buf, len, HE_JSON_KEY_MAX_BYTES, where, &doc));
    CLAVE_CHECK(clave_json_only_keys(doc, where, KEYS));
    CLAVE_CHECK(get_sizes(doc, where, &bits, &r_bits));
    CLAVE_CHECK(clave__he_json_get_mpz(doc, where, "p", bits / 16, p));
    CLAVE_CHECK(clave__he_json_get_mpz(doc, where, "q", bits / 16, q));
    CLAVE_CHECK(clave__he_json_get_mpz(doc, where, "hs", bits / 4, hs));
    CLAVE_CHECK(clave__he_key_from(p, q, hs, r_bits, out));
    CLAVE_ENSURE((*out)->pub->bits == bits, CLAVE_ERR_KEY, "%s: n is not %u bits long", where,
                 bits);
    st = CLAVE_OK;
done:
    if (st != CLAVE_OK) {
        clave_he_key_free(*out);
        *out = NULL;
    }
    mpz_clears(p, q, hs, NULL);
    json_decref(doc);
    return st;
}

static json_t *packing_json(const struct he_pack *pack)
{
    return json_pack("{s:i, s:i, s:i, s:I}", "value_bits", (json_int_t)pack->value_bits,
                     "slot_bits", (json_int_t)pack->slot_bits, "slots", (json_int_t)pack->slots,
                     "max_adds", (json_int_t)pack->max_adds);
}

clave_status clave__he_vec_to_json(const struct clave_he_vec *vec, uint8_t **out, size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *root =
        json_pack("{s:s, s:i}", "format", HE_JSON_FORMAT_VEC, "version", HE_JSON_VERSION);
    json_t *cts = json_array();
    json_t *holder = json_object();
    CLAVE_ENSURE(root != NULL && cts != NULL && holder != NULL, CLAVE_ERR_NOMEM, "out of memory");
    CLAVE_CHECK(set_key_id(root, vec->key_id));
    CLAVE_ENSURE(
        json_object_set_new(root, "bits", json_integer(vec->bits)) == 0 &&
            json_object_set_new(root, "kind",
                                json_string(vec->kind == CLAVE_HE_VEC_PACKED ? "packed" : "int")) ==
                0 &&
            json_object_set_new(root, "scale", json_integer((json_int_t)vec->scale)) == 0 &&
            json_object_set_new(root, "weight", json_integer((json_int_t)vec->weight)) == 0 &&
            json_object_set_new(root, "len", json_integer((json_int_t)vec->len)) == 0,
        CLAVE_ERR_NOMEM, "out of memory");
    if (vec->kind == CLAVE_HE_VEC_PACKED) {
        CLAVE_ENSURE(json_object_set_new(root, "packing", packing_json(&vec->pack)) == 0,
                     CLAVE_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < vec->count; i++) {
        CLAVE_CHECK(clave__he_json_set_mpz(holder, "c", vec->c[i], vec->bits / 4));
        CLAVE_ENSURE(json_array_append(cts, json_object_get(holder, "c")) == 0, CLAVE_ERR_NOMEM,
                     "out of memory");
    }
    CLAVE_ENSURE(json_object_set_new(root, "ciphertexts", cts) == 0, CLAVE_ERR_NOMEM,
                 "out of memory");
    cts = NULL;
    st = clave__he_json_dump(root, JSON_COMPACT | JSON_PRESERVE_ORDER, (char **)out, out_len);
    root = NULL;
done:
    json_decref(holder);
    json_decref(cts);
    json_decref(root);
    return st;
}

static clave_status vec_meta_json(const json_t *doc, const char *where, struct he_vec_meta *meta)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const char *kind = NULL;
    json_t *packing = NULL;
    int64_t v[4] = {0};
    CLAVE_CHECK(clave_json_get_hex(doc, where, "key_id", meta->key_id, CLAVE_HE_KEY_ID_LEN));
    CLAVE_CHECK(clave_json_get_int(doc, where, "bits", true, 0, CLAVE_HE_BITS_MAX, &v[0]));
    meta->bits = (unsigned)v[0];
    CLAVE_CHECK(clave_json_get_string(doc, where, "kind", true, 16, &kind));
    CLAVE_ENSURE(strcmp(kind, "int") == 0 || strcmp(kind, "packed") == 0, CLAVE_ERR_FORMAT,
                 "%s.kind: \"%s\" (int or packed)", where, kind);
    meta->kind = strcmp(kind, "int") == 0 ? CLAVE_HE_VEC_INT : CLAVE_HE_VEC_PACKED;
    CLAVE_CHECK(
        clave_json_get_int(doc, where, "scale", true, 1, (int64_t)CLAVE_HE_SCALE_MAX, &v[1]));
    CLAVE_CHECK(clave_json_get_int(doc, where, "weight", true, 1, INT64_MAX, &v[2]));
    CLAVE_CHECK(clave_json_get_int(doc, where, "len", true, 1, INT64_MAX, &v[3]));
    meta->scale = (uint64_t)v[1];
    meta->weight = (uint64_t)v[2];
    meta->len = (uint64_t)v[3];
    CLAVE_CHECK(
        clave_json_get_object(doc, where, "packing", meta->kind == CLAVE_HE_VEC_PACKED, &packing));
    if (packing != NULL) {
        static const char *const PKEYS[] = {"value_bits", "slot_bits", "slots", "max_adds", NULL};
        CLAVE_CHECK(clave_json_only_keys(packing, "packing", PKEYS));
        CLAVE_CHECK(clave_json_get_int(packing, "packing", "value_bits", true, 0, 4096, &v[0]));
        CLAVE_CHECK(clave_json_get_int(packing, "packing", "slot_bits", true, 0, 4096, &v[1]));
        CLAVE_CHECK(clave_json_get_int(packing, "packing", "slots", true, 0, 4096, &v[2]));
        CLAVE_CHECK(clave_json_get_int(packing, "packing", "max_adds", true, 0, UINT32_MAX, &v[3]));
        meta->pack.value_bits = (unsigned)v[0];
        meta->pack.slot_bits = (unsigned)v[1];
        meta->pack.slots = (unsigned)v[2];
        meta->pack.max_adds = (uint32_t)v[3];
    }
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave__he_vec_from_json(const struct clave_he_pub *pub, const uint8_t *buf, size_t len,
                                     struct clave_he_vec **out)
{
    static const char *const KEYS[] = {"format",  "version",     "key_id", "bits",
                                       "kind",    "scale",       "weight", "len",
                                       "packing", "ciphertexts", NULL};
    const char *where = HE_JSON_FORMAT_VEC;
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *doc = NULL;
    json_t *cts = NULL;
    struct he_vec_meta meta;
    char item[64];
    memset(&meta, 0, sizeof(meta));
    *out = NULL;
    CLAVE_CHECK(parse_doc(buf, len, HE_JSON_MAX_BYTES, where, &doc));
    CLAVE_CHECK(clave_json_only_keys(doc, where, KEYS));
    CLAVE_CHECK(vec_meta_json(doc, where, &meta));
    CLAVE_CHECK(clave_json_get_array(doc, where, "ciphertexts", true, CLAVE_HE_VEC_MAX, &cts));
    meta.count = json_array_size(cts);
    CLAVE_CHECK(clave__he_vec_meta_check(pub, &meta));
    CLAVE_CHECK(clave__he_vec_from_meta(pub, &meta, out));
    for (size_t i = 0; i < meta.count; i++) {
        json_t *holder = json_pack("{s:O}", "c", json_array_get(cts, i));
        CLAVE_ENSURE(holder != NULL, CLAVE_ERR_NOMEM, "out of memory");
        (void)snprintf(item, sizeof(item), "%s.ciphertexts[%zu]", where, i);
        st = clave__he_json_get_mpz(holder, item, "c", pub->bits / 4, (*out)->c[i]);
        json_decref(holder);
        CLAVE_CHECK(st);
        CLAVE_CHECK(clave__he_validate_ct(pub, (*out)->c[i], item));
    }
    st = CLAVE_OK;
done:
    if (st != CLAVE_OK) {
        clave_he_vec_free(*out);
        *out = NULL;
    }
    json_decref(doc);
    return st;
}
