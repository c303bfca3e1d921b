/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Versioned binary formats for public keys, private keys and ciphertext vectors
 * (docs/formats/paillier.md). Every object:
 *
 *   0   magic "CLHE"            4
 *   4   version = 1             u8
 *   5   type                    u8   1 public key, 2 private key, 3 vector
 *   6   reserved = 0            u16
 *   8   body                    (per type, below)
 *   -32 SHA-256 of bytes [0, len - 32)   a checksum against corruption (not a MAC)
 *
 * Big integers are unsigned big-endian of a fixed width derived from `bits`.
 */
#include "core/check.h"
#include "core/gmp.h"
#include "he/he_serial.h"

#include <clave/buf.h>
#include <clave/crypto.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#define HE_BIN_HEADER_LEN 8
#define HE_BIN_CHECKSUM_LEN CLAVE_SHA256_LEN
#define HE_BIN_VEC_FIXED_LEN 52 /* vector body before the ciphertexts */

clave_status clave__he_bin_header(struct clave_writer *w, uint8_t type)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_CHECK(clave_writer_bytes(w, (const uint8_t *)HE_BIN_MAGIC, HE_BIN_MAGIC_LEN));
    CLAVE_CHECK(clave_writer_u8(w, HE_BIN_VERSION));
    CLAVE_CHECK(clave_writer_u8(w, type));
    CLAVE_CHECK(clave_writer_u16be(w, 0));
    st = CLAVE_OK;
done:
    return st;
}

static clave_status write_checksum(struct clave_writer *w)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t digest[HE_BIN_CHECKSUM_LEN];
    CLAVE_CHECK(clave_hash(CLAVE_HASH_SHA256, w->data, w->len, digest, sizeof(digest)));
    CLAVE_CHECK(clave_writer_bytes(w, digest, sizeof(digest)));
    st = CLAVE_OK;
done:
    return st;
}

static clave_status write_mpz(struct clave_writer *w, const mpz_t v, size_t len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(len <= w->cap - w->len, CLAVE_ERR_INTERNAL, "he: writer too small");
    CLAVE_ENSURE(mpz_sizeinbase(v, 2) <= 8 * len, CLAVE_ERR_INTERNAL, "he: value too wide");
    clave__he_mpz_to_bytes(v, w->data + w->len, len);
    w->len += len;
    st = CLAVE_OK;
done:
    return st;
}

static clave_status read_mpz(struct clave_reader *r, size_t len, mpz_t v)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const uint8_t *p = NULL;
    CLAVE_CHECK(clave_reader_view(r, len, &p));
    clave__he_mpz_from_bytes(v, p, len);
    st = CLAVE_OK;
done:
    return st;
}

/* Check the envelope (magic, version, type, reserved, checksum) and return a reader over the
 * body. */
clave_status clave__he_bin_open(const uint8_t *buf, size_t len, uint8_t type,
                                struct clave_reader *body)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_reader r;
    uint8_t digest[HE_BIN_CHECKSUM_LEN];
    uint8_t version = 0;
    uint8_t got_type = 0;
    const uint8_t *magic = NULL;
    const uint8_t *sum = NULL;
    CLAVE_ENSURE(len >= HE_BIN_HEADER_LEN + HE_BIN_CHECKSUM_LEN, CLAVE_ERR_TRUNCATED,
                 "he: %zu bytes are too short for a clave-he object", len);
    clave_reader_init(&r, buf, len - HE_BIN_CHECKSUM_LEN);
    CLAVE_CHECK(clave_reader_view(&r, HE_BIN_MAGIC_LEN, &magic));
    CLAVE_ENSURE(memcmp(magic, HE_BIN_MAGIC, HE_BIN_MAGIC_LEN) == 0, // lint:public
                 CLAVE_ERR_FORMAT, "he: not a clave-he object (bad magic)");
    CLAVE_CHECK(clave_reader_u8(&r, &version));
    CLAVE_ENSURE(version == HE_BIN_VERSION, CLAVE_ERR_UNSUPPORTED, "he: version %u (expected %d)",
                 version, HE_BIN_VERSION);
    CLAVE_CHECK(clave_reader_u8(&r, &got_type));
    CLAVE_ENSURE(got_type == type, CLAVE_ERR_FORMAT, "he: object type %u, expected %u", got_type,
                 type);
    CLAVE_CHECK(clave_reader_zeros(&r, 2));
    CLAVE_CHECK(
        clave_hash(CLAVE_HASH_SHA256, buf, len - HE_BIN_CHECKSUM_LEN, digest, sizeof(digest)));
    sum = buf + len - HE_BIN_CHECKSUM_LEN;
    CLAVE_ENSURE(clave_ct_equal(digest, sum, sizeof(digest)), CLAVE_ERR_FORMAT,
                 "he: checksum mismatch (the object was corrupted)");
    *body = r;
    st = CLAVE_OK;
done:
    return st;
}

/* bits and r_bits, checked against the allowed range. */
static clave_status read_sizes(struct clave_reader *r, unsigned *bits, unsigned *r_bits)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint16_t b = 0;
    uint16_t rb = 0;
    CLAVE_CHECK(clave_reader_u16be(r, &b));
    CLAVE_CHECK(clave_reader_u16be(r, &rb));
    CLAVE_ENSURE(b >= CLAVE_HE_BITS_MIN && b <= CLAVE_HE_BITS_MAX && b % 16 == 0, CLAVE_ERR_KEY,
                 "he: key of %u bits (need a multiple of 16 in %d..%d)", b, CLAVE_HE_BITS_MIN,
                 CLAVE_HE_BITS_MAX);
    *bits = b;
    *r_bits = rb;
    st = CLAVE_OK;
done:
    return st;
}

/* Public key body: bits u16, r_bits u16, n [bits/8], h_s [bits/4]. */
clave_status clave__he_pub_to_bin(const struct clave_he_pub *pub, uint8_t **out, size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_writer w;
    size_t len = HE_BIN_HEADER_LEN + 4 + pub->bits / 8 + pub->bits / 4 + HE_BIN_CHECKSUM_LEN;
    uint8_t *buf = malloc(len);
    CLAVE_ENSURE_ALLOC(buf);
    clave_writer_init(&w, buf, len);
    CLAVE_CHECK(clave__he_bin_header(&w, HE_BIN_TYPE_PUB));
    CLAVE_CHECK(clave_writer_u16be(&w, (uint16_t)pub->bits));
    CLAVE_CHECK(clave_writer_u16be(&w, (uint16_t)pub->r_bits));
    CLAVE_CHECK(write_mpz(&w, pub->n, pub->bits / 8));
    CLAVE_CHECK(write_mpz(&w, pub->hs, pub->bits / 4));
    CLAVE_CHECK(write_checksum(&w));
    *out = buf;
    *out_len = w.len;
    buf = NULL;
    st = CLAVE_OK;
done:
    free(buf);
    return st;
}

clave_status clave__he_pub_from_bin(const uint8_t *buf, size_t len, struct clave_he_pub **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_reader r;
    unsigned bits = 0;
    unsigned r_bits = 0;
    mpz_t n, hs;
    mpz_inits(n, hs, NULL);
    CLAVE_CHECK(clave__he_bin_open(buf, len, HE_BIN_TYPE_PUB, &r));
    CLAVE_CHECK(read_sizes(&r, &bits, &r_bits));
    CLAVE_CHECK(read_mpz(&r, bits / 8, n));
    CLAVE_CHECK(read_mpz(&r, bits / 4, hs));
    CLAVE_CHECK(clave_reader_expect_end(&r));
    CLAVE_ENSURE(mpz_sizeinbase(n, 2) == bits, CLAVE_ERR_KEY, "he: n is not %u bits long", bits);
    CLAVE_CHECK(clave__he_pub_from(n, hs, r_bits, out));
    st = CLAVE_OK;
done:
    mpz_clears(n, hs, NULL);
    return st;
}

/* Private key body: bits u16, r_bits u16, p [bits/16], q [bits/16], h_s [bits/4]. */
clave_status clave__he_key_to_bin(const struct clave_he_key *key, struct clave_secret **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_secret *sec = NULL;
    struct clave_writer w;
    unsigned bits = key->pub->bits;
    size_t len = HE_BIN_HEADER_LEN + 4 + bits / 8 + bits / 4 + HE_BIN_CHECKSUM_LEN;
    CLAVE_CHECK(clave_secret_new(len, &sec));
    clave_writer_init(&w, clave_secret_data(sec), len);
    CLAVE_CHECK(clave__he_bin_header(&w, HE_BIN_TYPE_KEY));
    CLAVE_CHECK(clave_writer_u16be(&w, (uint16_t)bits));
    CLAVE_CHECK(clave_writer_u16be(&w, (uint16_t)key->pub->r_bits));
    CLAVE_CHECK(write_mpz(&w, key->p, bits / 16));
    CLAVE_CHECK(write_mpz(&w, key->q, bits / 16));
    CLAVE_CHECK(write_mpz(&w, key->pub->hs, bits / 4));
    CLAVE_CHECK(write_checksum(&w));
    *out = sec;
    sec = NULL;
    st = CLAVE_OK;
done:
    clave_secret_free(sec);
    return st;
}

clave_status clave__he_key_from_bin(const uint8_t *buf, size_t len, struct clave_he_key **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_reader r;
    unsigned bits = 0;
    unsigned r_bits = 0;
    mpz_t p, q, hs;
    mpz_inits(p, q, hs, NULL);
    *out = NULL;
    CLAVE_CHECK(clave__he_bin_open(buf, len, HE_BIN_TYPE_KEY, &r));
    CLAVE_CHECK(read_sizes(&r, &bits, &r_bits));
    CLAVE_CHECK(read_mpz(&r, bits / 16, p));
    CLAVE_CHECK(read_mpz(&r, bits / 16, q));
    CLAVE_CHECK(read_mpz(&r, bits / 4, hs));
    CLAVE_CHECK(clave_reader_expect_end(&r));
    CLAVE_CHECK(clave__he_key_from(p, q, hs, r_bits, out));
    CLAVE_ENSURE((*out)->pub->bits == bits, CLAVE_ERR_KEY, "he: n is not %u bits long", bits);
    st = CLAVE_OK;
done:
    if (st != CLAVE_OK && *out != NULL) {
        clave_he_key_free(*out);
        *out = NULL;
    }
    mpz_clears(p, q, hs, NULL); /* wiped by the GMP allocator */
    return st;
}

/*
 * Vector body:
 *   key_id [8], bits u16, kind u8, reserved u8 = 0, scale u64, weight u64, len u64,
 *   value_bits u16, slot_bits u16, slots u16, reserved u16 = 0, max_adds u32, count u32,
 *   then count ciphertexts of [bits/4] bytes.
 */
clave_status clave__he_vec_to_bin(const struct clave_he_vec *vec, uint8_t **out, size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_writer w;
    size_t ct_len = vec->bits / 4;
    size_t len = 0;
    uint8_t *buf = NULL;
    CLAVE_ENSURE(!__builtin_mul_overflow(vec->count, ct_len, &len) &&
                     !__builtin_add_overflow(
                         len, HE_BIN_HEADER_LEN + HE_BIN_VEC_FIXED_LEN + HE_BIN_CHECKSUM_LEN, &len),
                 CLAVE_ERR_LIMIT, "he: vector too large to serialise");
    buf = malloc(len);
    CLAVE_ENSURE_ALLOC(buf);
    clave_writer_init(&w, buf, len);
    CLAVE_CHECK(clave__he_bin_header(&w, HE_BIN_TYPE_VEC));
    CLAVE_CHECK(clave_writer_bytes(&w, vec->key_id, CLAVE_HE_KEY_ID_LEN));
    CLAVE_CHECK(clave_writer_u16be(&w, (uint16_t)vec->bits));
    CLAVE_CHECK(clave_writer_u8(&w, (uint8_t)vec->kind));
    CLAVE_CHECK(clave_writer_u8(&w, 0));
    CLAVE_CHECK(clave_writer_u64be(&w, vec->scale));
    CLAVE_CHECK(clave_writer_u64be(&w, vec->weight));
    CLAVE_CHECK(clave_writer_u64be(&w, vec->len));
    CLAVE_CHECK(clave_writer_u16be(&w, (uint16_t)vec->pack.value_bits));
    CLAVE_CHECK(clave_writer_u16be(&w, (uint16_t)vec->pack.slot_bits));
    CLAVE_CHECK(clave_writer_u16be(&w, (uint16_t)vec->pack.slots));
    CLAVE_CHECK(clave_writer_u16be(&w, 0));
    CLAVE_CHECK(clave_writer_u32be(&w, vec->pack.max_adds));
    CLAVE_CHECK(clave_writer_u32be(&w, (uint32_t)vec->count));
    for (size_t i = 0; i < vec->count; i++) {
        CLAVE_CHECK(write_mpz(&w, vec->c[i], ct_len));
    }
    CLAVE_CHECK(write_checksum(&w));
    *out = buf;
    *out_len = w.len;
    buf = NULL;
    st = CLAVE_OK;
done:
    free(buf);
    return st;
}

clave_status clave__he_vec_from_bin(const struct clave_he_pub *pub, const uint8_t *buf, size_t len,
                                    struct clave_he_vec **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_reader r;
    struct he_vec_meta meta;
    uint8_t kind = 0;
    uint16_t bits = 0, vb = 0, sb = 0, slots = 0;
    uint32_t count = 0;
    char what[64];
    memset(&meta, 0, sizeof(meta));
    *out = NULL;
    CLAVE_CHECK(clave__he_bin_open(buf, len, HE_BIN_TYPE_VEC, &r));
    CLAVE_CHECK(clave_reader_bytes(&r, meta.key_id, CLAVE_HE_KEY_ID_LEN));
    CLAVE_CHECK(clave_reader_u16be(&r, &bits));
    CLAVE_CHECK(clave_reader_u8(&r, &kind));
    CLAVE_CHECK(clave_reader_zeros(&r, 1));
    CLAVE_CHECK(clave_reader_u64be(&r, &meta.scale));
    CLAVE_CHECK(clave_reader_u64be(&r, &meta.weight));
    CLAVE_CHECK(clave_reader_u64be(&r, &meta.len));
    CLAVE_CHECK(clave_reader_u16be(&r, &vb));
    CLAVE_CHECK(clave_reader_u16be(&r, &sb));
    CLAVE_CHECK(clave_reader_u16be(&r, &slots));
    CLAVE_CHECK(clave_reader_zeros(&r, 2));
    CLAVE_CHECK(clave_reader_u32be(&r, &meta.pack.max_adds));
    CLAVE_CHECK(clave_reader_u32be(&r, &count));
    meta.bits = bits;
    meta.kind = kind;
    meta.pack.value_bits = vb;
    meta.pack.slot_bits = sb;
    meta.pack.slots = slots;
    meta.count = count;
    CLAVE_CHECK(clave__he_vec_meta_check(pub, &meta));
    CLAVE_ENSURE(clave_reader_remaining(&r) / (pub->bits / 4) == count &&
                     clave_reader_remaining(&r) % (pub->bits / 4) == 0,
                 CLAVE_ERR_FORMAT, "he: vector: %u ciphertexts announced, %zu bytes present", count,
                 clave_reader_remaining(&r));
    CLAVE_CHECK(clave__he_vec_from_meta(pub, &meta, out));
    for (size_t i = 0; i < count; i++) {
        (void)snprintf(what, sizeof(what), "he: vector ciphertext %zu", i);
        CLAVE_CHECK(read_mpz(&r, pub->bits / 4, (*out)->c[i]));
        CLAVE_CHECK(clave__he_validate_ct(pub, (*out)->c[i], what));
    }
    CLAVE_CHECK(clave_reader_expect_end(&r));
    st = CLAVE_OK;
done:
    if (st != CLAVE_OK) {
        clave_he_vec_free(*out);
        *out = NULL;
    }
    return st;
}
