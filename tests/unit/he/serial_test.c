/* SPDX-License-Identifier: Apache-2.0 */
/* Paillier serialisation: binary and JSON round trips, hostile inputs (truncation at every
 * offset, bit flips caught by the checksum, out-of-range and non-unit ciphertexts, wrong keys,
 * weak or inconsistent keys). */
#include "testlib.h"

#include "he/he_serial.h"

#include <clave/he.h>
#include <stdlib.h>
#include <string.h>

static struct clave_he_key *g_key;
static struct clave_he_ctx *g_ctx;

static int setup(void **state)
{
    (void)state;
    if (clave_he_keygen(2048, 0, &g_key) != CLAVE_OK) {
        return -1;
    }
    return clave_he_ctx_new(clave_he_key_pub(g_key), 1000, &g_ctx) == CLAVE_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    clave_he_ctx_free(g_ctx);
    clave_he_key_free(g_key);
    return 0;
}

static const struct clave_he_pub *pub(void)
{
    return clave_he_key_pub(g_key);
}

/* Rewrite the trailing SHA-256 after an edit, to reach the semantic checks behind it. */
static void fix_checksum(uint8_t *buf, size_t len)
{
    T_OK(clave_hash(CLAVE_HASH_SHA256, buf, len - 32, buf + len - 32, 32));
}

static struct clave_he_vec *sample_vec(void)
{
    const int64_t v[] = {-5, 0, 7000};
    struct clave_he_vec *vec = NULL;
    T_OK(clave_he_encrypt_i64(g_ctx, v, 3, &vec));
    return vec;
}

static void check_sample(const struct clave_he_vec *vec)
{
    int64_t out[3];
    T_OK(clave_he_decrypt_i64(g_key, NULL, vec, out, 3));
    assert_int_equal(out[0], -5);
    assert_int_equal(out[1], 0);
    assert_int_equal(out[2], 7000);
    assert_int_equal(clave_he_vec_scale(vec), 1000);
}

static void test_pub_roundtrips(void **state)
{
    (void)state;
    for (int f = CLAVE_HE_FORMAT_BINARY; f <= CLAVE_HE_FORMAT_JSON; f++) {
        uint8_t *buf = NULL;
        size_t len = 0;
        struct clave_he_pub *back = NULL;
        T_OK(clave_he_pub_export(pub(), (enum clave_he_format)f, &buf, &len));
        T_OK(clave_he_pub_import(buf, len, &back));
        assert_int_equal(mpz_cmp(back->n, pub()->n), 0);
        assert_int_equal(mpz_cmp(back->hs, pub()->hs), 0);
        assert_int_equal(back->r_bits, pub()->r_bits);
        assert_memory_equal(back->id, pub()->id, CLAVE_HE_KEY_ID_LEN);
        /* A vector encrypted under the imported key decrypts with the original private key. */
        struct clave_he_ctx *ctx = NULL;
        struct clave_he_vec *vec = NULL;
        const int64_t v[] = {-5, 0, 7000};
        T_OK(clave_he_ctx_new(back, 1000, &ctx));
        T_OK(clave_he_encrypt_i64(ctx, v, 3, &vec));
        check_sample(vec);
        clave_he_vec_free(vec);
        clave_he_ctx_free(ctx);
        clave_he_pub_free(back);
        free(buf);
    }
}

static void test_key_roundtrips(void **state)
{
    (void)state;
    struct clave_he_vec *vec = sample_vec();
    for (int f = CLAVE_HE_FORMAT_BINARY; f <= CLAVE_HE_FORMAT_JSON; f++) {
        struct clave_secret *sec = NULL;
        struct clave_he_key *back = NULL;
        T_OK(clave_he_key_export(g_key, (enum clave_he_format)f, &sec));
        T_OK(clave_he_key_import(clave_secret_cdata(sec), clave_secret_len(sec), &back));
        assert_int_equal(mpz_cmp(back->p, g_key->p), 0);
        assert_int_equal(mpz_cmp(back->pub->hs, pub()->hs), 0);
        int64_t out[3];
        T_OK(clave_he_decrypt_i64(back, NULL, vec, out, 3));
        assert_int_equal(out[2], 7000);
        clave_he_key_free(back);
        clave_secret_free(sec);
    }
    clave_he_vec_free(vec);
}

static void test_vec_roundtrips(void **state)
{
    (void)state;
    struct clave_he_vec *vec = sample_vec();
    struct clave_he_pack_plan plan;
    struct clave_he_vec *packed = NULL;
    int64_t values[200];
    for (int i = 0; i < 200; i++) {
        values[i] = i * 37 - 3000;
    }
    T_OK(clave_he_pack_plan(pub(), 16, 4, &plan));
    T_OK(clave_he_encrypt_packed(g_ctx, &plan, values, 200, &packed));
    T_OK(clave_he_add_into(g_ctx, packed, packed));
    for (int f = CLAVE_HE_FORMAT_BINARY; f <= CLAVE_HE_FORMAT_JSON; f++) {
        uint8_t *buf = NULL;
        size_t len = 0;
        struct clave_he_vec *back = NULL;
        T_OK(clave_he_vec_export(vec, (enum clave_he_format)f, &buf, &len));
        T_OK(clave_he_vec_import(pub(), buf, len, &back));
        check_sample(back);
        clave_he_vec_free(back);
        free(buf);
        T_OK(clave_he_vec_export(packed, (enum clave_he_format)f, &buf, &len));
        T_OK(clave_he_vec_import(pub(), buf, len, &back));
        assert_int_equal(clave_he_vec_kind(back), CLAVE_HE_VEC_PACKED);
        assert_int_equal(clave_he_vec_weight(back), 2);
        int64_t out[200];
        T_OK(clave_he_decrypt_i64(g_key, NULL, back, out, 200));
        for (int i = 0; i < 200; i++) {
            assert_int_equal(out[i], 2 * values[i]);
        }
        /* The plan still limits additions after a round trip: 2 + 2 + 2 > 4. */
        T_OK(clave_he_add_into(g_ctx, back, packed));
        T_ERR(clave_he_add_into(g_ctx, back, packed), CLAVE_ERR_LIMIT);
        clave_he_vec_free(back);
        free(buf);
    }
    clave_he_vec_free(packed);
    clave_he_vec_free(vec);
}

static void test_binary_truncation_and_bitflips(void **state)
{
    (void)state;
    struct clave_he_vec *vec = sample_vec();
    struct clave_he_vec *back = NULL;
    uint8_t *buf = NULL;
    size_t len = 0;
    T_OK(clave_he_vec_export(vec, CLAVE_HE_FORMAT_BINARY, &buf, &len));
    for (size_t cut = 0; cut < len; cut++) {
        assert_int_not_equal(clave_he_vec_import(pub(), buf, cut, &back), CLAVE_OK);
        assert_null(back);
    }
    uint8_t *longer = malloc(len + 1);
    memcpy(longer, buf, len);
    longer[len] = 0;
    assert_int_not_equal(clave_he_vec_import(pub(), longer, len + 1, &back), CLAVE_OK);
    free(longer);
    /* Every single-bit flip is caught (the checksum, or the magic before it). */
    for (size_t i = 0; i < len; i += 7) {
        buf[i] ^= 0x10;
        clave_status st = clave_he_vec_import(pub(), buf, len, &back);
        assert_true(st == CLAVE_ERR_FORMAT || st == CLAVE_ERR_TRUNCATED);
        buf[i] ^= 0x10;
    }
    buf[100] ^= 1;
    T_ERR(clave_he_vec_import(pub(), buf, len, &back), CLAVE_ERR_FORMAT);
    assert_non_null(strstr(clave_error_last().detail, "checksum"));
    buf[100] ^= 1;
    free(buf);
    /* Keys too. */
    T_OK(clave_he_pub_export(pub(), CLAVE_HE_FORMAT_BINARY, &buf, &len));
    struct clave_he_pub *p = NULL;
    buf[len / 2] ^= 4;
    T_ERR(clave_he_pub_import(buf, len, &p), CLAVE_ERR_FORMAT);
    for (size_t cut = 0; cut < len; cut += 13) {
        assert_int_not_equal(clave_he_pub_import(buf, cut, &p), CLAVE_OK);
    }
    free(buf);
    struct clave_secret *sec = NULL;
    struct clave_he_key *k = NULL;
    T_OK(clave_he_key_export(g_key, CLAVE_HE_FORMAT_BINARY, &sec));
    clave_secret_data(sec)[40] ^= 0x80;
    T_ERR(clave_he_key_import(clave_secret_cdata(sec), clave_secret_len(sec), &k),
          CLAVE_ERR_FORMAT);
    clave_secret_free(sec);
    clave_he_vec_free(vec);
}

/* Offsets in a binary vector: header 8, body fixed 52, then ciphertexts of 512 bytes. */
#define CT0 (8 + 52)

static void test_invalid_ciphertexts(void **state)
{
    (void)state;
    struct clave_he_vec *vec = sample_vec();
    struct clave_he_vec *back = NULL;
    uint8_t *buf = NULL;
    size_t len = 0;
    T_OK(clave_he_vec_export(vec, CLAVE_HE_FORMAT_BINARY, &buf, &len));
    uint8_t *edit = malloc(len);
    /* c = 0 */
    memcpy(edit, buf, len);
    memset(edit + CT0, 0, 512);
    fix_checksum(edit, len);
    T_ERR(clave_he_vec_import(pub(), edit, len, &back), CLAVE_ERR_FORMAT);
    assert_non_null(strstr(clave_error_last().detail, "outside"));
    /* c = 2^4096 - 1 >= n^2 */
    memset(edit + CT0, 0xff, 512);
    fix_checksum(edit, len);
    T_ERR(clave_he_vec_import(pub(), edit, len, &back), CLAVE_ERR_FORMAT);
    /* c = n^2 exactly, and c = p (shares a factor with n) */
    const mpz_t *cases[] = {&pub()->n2, &g_key->p, &pub()->n};
    for (size_t i = 0; i < 3; i++) {
        clave__he_mpz_to_bytes(*cases[i], edit + CT0, 512);
        fix_checksum(edit, len);
        T_ERR(clave_he_vec_import(pub(), edit, len, &back), CLAVE_ERR_FORMAT);
    }
    assert_non_null(strstr(clave_error_last().detail, "factor"));
    /* Wrong key id, inconsistent metadata. */
    memcpy(edit, buf, len);
    edit[8] ^= 1;
    fix_checksum(edit, len);
    T_ERR(clave_he_vec_import(pub(), edit, len, &back), CLAVE_ERR_KEY);
    memcpy(edit, buf, len);
    edit[8 + 10] = 2; /* kind packed without a plan */
    fix_checksum(edit, len);
    T_ERR(clave_he_vec_import(pub(), edit, len, &back), CLAVE_ERR_FORMAT);
    assert_non_null(strstr(clave_error_last().detail, "packing plan"));
    memcpy(edit, buf, len);
    edit[8 + 51] = 200; /* count 200, 3 present */
    fix_checksum(edit, len);
    T_ERR(clave_he_vec_import(pub(), edit, len, &back), CLAVE_ERR_FORMAT);
    memcpy(edit, buf, len);
    edit[5] = 1; /* a vector presented as a public key */
    fix_checksum(edit, len);
    T_ERR(clave_he_vec_import(pub(), edit, len, &back), CLAVE_ERR_FORMAT);
    edit[5] = 3;
    edit[4] = 2;
    fix_checksum(edit, len);
    T_ERR(clave_he_vec_import(pub(), edit, len, &back), CLAVE_ERR_UNSUPPORTED);
    free(edit);
    free(buf);
    clave_he_vec_free(vec);
}

static void test_json_hostile(void **state)
{
    (void)state;
    struct clave_he_vec *back = NULL;
    struct clave_he_pub *p = NULL;
    struct clave_he_key *k = NULL;
    const char *bad[] = {
        "",
        "[]",
        "{\"format\":\"clave-he-vector\",\"version\":2}",
        "{\"format\":\"clave-he-public-key\",\"version\":1}",
        "{\"format\":\"clave-he-vector\",\"version\":1,\"key_id\":\"00\"}",
        "{\"format\":\"clave-he-vector\",\"version\":1,\"extra\":1}",
        ("{\"format\":\"clave-he-public-key\",\"version\":1,\"bits\":256,\"r_bits\":128,"
         "\"key_id\":\"0000000000000000\",\"n\":\"AA\",\"hs\":\"AA\"}"),
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const uint8_t *b = (const uint8_t *)bad[i];
        assert_int_not_equal(clave_he_vec_import(pub(), b, strlen(bad[i]), &back), CLAVE_OK);
        assert_int_not_equal(clave_he_pub_import(b, strlen(bad[i]), &p), CLAVE_OK);
        assert_int_not_equal(clave_he_key_import(b, strlen(bad[i]), &k), CLAVE_OK);
    }
    /* A JSON vector with one ciphertext replaced by n (not a unit). */
    struct clave_he_vec *vec = sample_vec();
    uint8_t *buf = NULL;
    size_t len = 0;
    T_OK(clave_he_vec_export(vec, CLAVE_HE_FORMAT_JSON, &buf, &len));
    json_t *doc = json_loadb((const char *)buf, len, 0, NULL);
    json_t *holder = json_object();
    T_OK(clave__he_json_set_mpz(holder, "c", pub()->n, 512));
    json_array_set(json_object_get(doc, "ciphertexts"), 1, json_object_get(holder, "c"));
    char *text = json_dumps(doc, JSON_COMPACT);
    T_ERR(clave_he_vec_import(pub(), (const uint8_t *)text, strlen(text), &back), CLAVE_ERR_FORMAT);
    assert_non_null(strstr(clave_error_last().detail, "ciphertexts[1]"));
    free(text);
    /* A short ciphertext string (not fixed width) is refused. */
    json_array_set_new(json_object_get(doc, "ciphertexts"), 1, json_string("AQ"));
    text = json_dumps(doc, JSON_COMPACT);
    T_ERR(clave_he_vec_import(pub(), (const uint8_t *)text, strlen(text), &back), CLAVE_ERR_FORMAT);
    free(text);
    json_decref(holder);
    json_decref(doc);
    free(buf);
    clave_he_vec_free(vec);
}

static void test_key_validation(void **state)
{
    (void)state;
    struct clave_he_key *k = NULL;
    mpz_t p, q, t;
    mpz_inits(p, q, t, NULL);
    /* p = q: n a perfect square. */
    T_ERR(clave__he_key_from(g_key->p, g_key->p, NULL, 0, &k), CLAVE_ERR_KEY);
    /* q not prime. */
    mpz_add_ui(q, g_key->q, 2);
    T_ERR(clave__he_key_from(g_key->p, q, NULL, 0, &k), CLAVE_ERR_KEY);
    /* q close to p. */
    mpz_nextprime(q, g_key->p);
    T_ERR(clave__he_key_from(g_key->p, q, NULL, 0, &k), CLAVE_ERR_KEY);
    assert_non_null(strstr(clave_error_last().detail, "too close"));
    /* h_s that is not an n-th residue (1 + n is a unit, but of order n). */
    mpz_add_ui(t, pub()->n, 1);
    T_ERR(clave__he_key_from(g_key->p, g_key->q, t, 0, &k), CLAVE_ERR_KEY);
    assert_non_null(strstr(clave_error_last().detail, "n-th residue"));
    /* r_bits below twice the security level. */
    T_ERR(clave__he_key_from(g_key->p, g_key->q, NULL, 200, &k), CLAVE_ERR_ARG);
    /* Public keys: even, small, prime moduli. */
    struct clave_he_pub *pk = NULL;
    mpz_set(t, pub()->n);
    mpz_add_ui(t, t, 1);
    T_ERR(clave__he_pub_from(t, NULL, 0, &pk), CLAVE_ERR_KEY);
    mpz_set_ui(t, 1);
    mpz_mul_2exp(t, t, 1023);
    mpz_nextprime(t, t);
    T_ERR(clave__he_pub_from(t, NULL, 0, &pk), CLAVE_ERR_KEY);
    mpz_mul_2exp(t, t, 1024);
    mpz_nextprime(t, t);
    T_ERR(clave__he_pub_from(t, NULL, 0, &pk), CLAVE_ERR_KEY);
    mpz_clears(p, q, t, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pub_roundtrips),
        cmocka_unit_test(test_key_roundtrips),
        cmocka_unit_test(test_vec_roundtrips),
        cmocka_unit_test(test_binary_truncation_and_bitflips),
        cmocka_unit_test(test_invalid_ciphertexts),
        cmocka_unit_test(test_json_hostile),
        cmocka_unit_test(test_key_validation),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
