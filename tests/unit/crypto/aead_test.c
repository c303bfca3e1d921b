/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AEAD known answers: AES-256-GCM test cases 13-16 of the GCM specification (McGrew-Viega, also
 * NIST SP 800-38D examples) and ChaCha20-Poly1305 from RFC 8439 section 2.8.2. Hostile cases:
 * every flipped bit in tag, ciphertext and AAD must fail with CLAVE_ERR_AUTH and leave the
 * plaintext buffer all zero.
 */
#include "testlib.h"

#include <stdlib.h>
#include <string.h>

struct aead_case {
    const char *name;
    enum clave_aead_alg alg;
    const char *key;
    const char *nonce;
    const char *aad;
    const char *pt;
    const char *ct;
    const char *tag;
};

#define GCM_K1 "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308"
#define GCM_P60                                                                                    \
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6" \
    "b525b16aedf5aa0de657ba637b39"
#define GCM_C60                                                                                    \
    "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b105682" \
    "8838c5f61e6393ba7a0abcc9f662"
#define ZERO32 "0000000000000000000000000000000000000000000000000000000000000000"

static const struct aead_case CASES[] = {
    {"gcm 13", CLAVE_AEAD_AES256GCM, ZERO32, "000000000000000000000000", "", "", "",
     "530f8afbc74536b9a963b4f1c4cb738b"},
    {"gcm 14", CLAVE_AEAD_AES256GCM, ZERO32, "000000000000000000000000", "",
     "00000000000000000000000000000000", "cea7403d4d606b6e074ec5d3baf39d18",
     "d0d1c8a799996bf0265b98b5d48ab919"},
    {"gcm 15", CLAVE_AEAD_AES256GCM, GCM_K1, "cafebabefacedbaddecaf888", "", GCM_P60 "1aafd255",
     GCM_C60 "898015ad", "b094dac5d93471bdec1a502270e3cc6c"},
    {"gcm 16", CLAVE_AEAD_AES256GCM, GCM_K1, "cafebabefacedbaddecaf888",
     "feedfacedeadbeeffeedfacedeadbeefabaddad2", GCM_P60, GCM_C60,
     "76fc6ece0f4e1768cddf8853bb2d551b"},
    {"rfc8439 2.8.2", CLAVE_AEAD_CHACHA20POLY1305,
     "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f", "070000004041424344454647",
     "50515253c0c1c2c3c4c5c6c7",
     /* "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the
      * future, sunscreen would be it." */
     "4c616469657320616e642047656e746c656d656e206f662074686520636c617373206f66202739393a20496620492"
     "0"
     "636f756c64206f6666657220796f75206f6e6c79206f6e652074697020666f7220746865206675747572652c20737"
     "5"
     "6e73637265656e20776f756c642062652069742e",
     "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da927"
     "2"
     "8b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b483"
     "1"
     "d7bc3ff4def08e4b7a9de576d26586cec64b6116",
     "1ae10b594f09e26a7e902ecbd0600691"},
};

#define N_CASES (sizeof(CASES) / sizeof(CASES[0]))

struct vec {
    uint8_t *key, *nonce, *aad, *pt, *ct, *tag;
    size_t key_len, nonce_len, aad_len, pt_len, ct_len, tag_len;
};

static struct vec load(const struct aead_case *c)
{
    struct vec v;
    v.key = t_hex(c->key, &v.key_len);
    v.nonce = t_hex(c->nonce, &v.nonce_len);
    v.aad = t_hex(c->aad, &v.aad_len);
    v.pt = t_hex(c->pt, &v.pt_len);
    v.ct = t_hex(c->ct, &v.ct_len);
    v.tag = t_hex(c->tag, &v.tag_len);
    assert_int_equal(v.key_len, CLAVE_AEAD_KEY_LEN);
    assert_int_equal(v.nonce_len, CLAVE_AEAD_NONCE_LEN);
    assert_int_equal(v.tag_len, CLAVE_AEAD_TAG_LEN);
    assert_int_equal(v.pt_len, v.ct_len);
    return v;
}

static void unload(struct vec *v)
{
    free(v->key);
    free(v->nonce);
    free(v->aad);
    free(v->pt);
    free(v->ct);
    free(v->tag);
}

static bool all_zero(const uint8_t *p, size_t len)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < len; i++) {
        acc |= p[i];
    }
    return acc == 0;
}

static void test_known_answers(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_CASES; i++) {
        struct vec v = load(&CASES[i]);
        struct clave_aead *aead = NULL;
        uint8_t buf[256];
        uint8_t tag[CLAVE_AEAD_TAG_LEN];
        T_OK(clave_aead_new(CASES[i].alg, v.key, &aead));
        T_OK(clave_aead_seal(aead, v.nonce, v.aad, v.aad_len, v.pt, v.pt_len, buf, tag));
        assert_memory_equal(buf, v.ct, v.ct_len);
        assert_memory_equal(tag, v.tag, CLAVE_AEAD_TAG_LEN);
        memset(buf, 0xee, sizeof(buf));
        T_OK(clave_aead_open(aead, v.nonce, v.aad, v.aad_len, v.ct, v.ct_len, v.tag, buf));
        assert_memory_equal(buf, v.pt, v.pt_len);
        /* In place: ct and pt may alias. */
        memcpy(buf, v.pt, v.pt_len);
        T_OK(clave_aead_seal(aead, v.nonce, v.aad, v.aad_len, buf, v.pt_len, buf, tag));
        assert_memory_equal(buf, v.ct, v.ct_len);
        T_OK(clave_aead_open(aead, v.nonce, v.aad, v.aad_len, buf, v.ct_len, tag, buf));
        assert_memory_equal(buf, v.pt, v.pt_len);
        clave_aead_free(aead);
        unload(&v);
    }
}

/* Open must fail with CLAVE_ERR_AUTH and leave `pt` all zero. */
static void expect_auth_failure(struct clave_aead *aead, const struct vec *v, const uint8_t *nonce,
                                const uint8_t *aad, size_t aad_len, const uint8_t *ct,
                                const uint8_t *tag)
{
    uint8_t pt[256];
    memset(pt, 0xee, sizeof(pt));
    T_ERR(clave_aead_open(aead, nonce, aad, aad_len, ct, v->ct_len, tag, pt), CLAVE_ERR_AUTH);
    assert_true(all_zero(pt, v->ct_len));
}

static void test_every_flipped_bit_fails(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_CASES; i++) {
        struct vec v = load(&CASES[i]);
        struct clave_aead *aead = NULL;
        T_OK(clave_aead_new(CASES[i].alg, v.key, &aead));
        for (size_t bit = 0; bit < 8 * v.tag_len; bit++) {
            v.tag[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            expect_auth_failure(aead, &v, v.nonce, v.aad, v.aad_len, v.ct, v.tag);
            v.tag[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        }
        for (size_t bit = 0; bit < 8 * v.ct_len; bit++) {
            v.ct[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            expect_auth_failure(aead, &v, v.nonce, v.aad, v.aad_len, v.ct, v.tag);
            v.ct[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        }
        for (size_t bit = 0; bit < 8 * v.aad_len; bit++) {
            v.aad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            expect_auth_failure(aead, &v, v.nonce, v.aad, v.aad_len, v.ct, v.tag);
            v.aad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        }
        for (size_t bit = 0; bit < 8 * v.nonce_len; bit++) {
            v.nonce[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            expect_auth_failure(aead, &v, v.nonce, v.aad, v.aad_len, v.ct, v.tag);
            v.nonce[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        }
        /* The context still works after all those failures. */
        uint8_t pt[256];
        T_OK(clave_aead_open(aead, v.nonce, v.aad, v.aad_len, v.ct, v.ct_len, v.tag, pt));
        assert_memory_equal(pt, v.pt, v.pt_len);
        clave_aead_free(aead);
        unload(&v);
    }
}

static void test_wrong_lengths_and_keys(void **state)
{
    (void)state;
    struct vec v = load(&CASES[3]); /* gcm 16: has AAD and text */
    struct clave_aead *aead = NULL;
    uint8_t pt[256];
    T_OK(clave_aead_new(CLAVE_AEAD_AES256GCM, v.key, &aead));
    /* Truncated ciphertext, AAD dropped, AAD truncated, AAD extended. */
    memset(pt, 0xee, sizeof(pt));
    T_ERR(clave_aead_open(aead, v.nonce, v.aad, v.aad_len, v.ct, v.ct_len - 1, v.tag, pt),
          CLAVE_ERR_AUTH);
    assert_true(all_zero(pt, v.ct_len - 1));
    T_ERR(clave_aead_open(aead, v.nonce, NULL, 0, v.ct, v.ct_len, v.tag, pt), CLAVE_ERR_AUTH);
    T_ERR(clave_aead_open(aead, v.nonce, v.aad, v.aad_len - 1, v.ct, v.ct_len, v.tag, pt),
          CLAVE_ERR_AUTH);
    uint8_t longer_aad[64];
    memcpy(longer_aad, v.aad, v.aad_len);
    longer_aad[v.aad_len] = 0;
    T_ERR(clave_aead_open(aead, v.nonce, longer_aad, v.aad_len + 1, v.ct, v.ct_len, v.tag, pt),
          CLAVE_ERR_AUTH);
    assert_true(all_zero(pt, v.ct_len));
    clave_aead_free(aead);

    /* The right message under the wrong key, and under the other algorithm. */
    v.key[31] ^= 1;
    T_OK(clave_aead_new(CLAVE_AEAD_AES256GCM, v.key, &aead));
    T_ERR(clave_aead_open(aead, v.nonce, v.aad, v.aad_len, v.ct, v.ct_len, v.tag, pt),
          CLAVE_ERR_AUTH);
    clave_aead_free(aead);
    v.key[31] ^= 1;
    T_OK(clave_aead_new(CLAVE_AEAD_CHACHA20POLY1305, v.key, &aead));
    T_ERR(clave_aead_open(aead, v.nonce, v.aad, v.aad_len, v.ct, v.ct_len, v.tag, pt),
          CLAVE_ERR_AUTH);
    clave_aead_free(aead);

    aead = (struct clave_aead *)pt;
    T_ERR(clave_aead_new((enum clave_aead_alg)9, v.key, &aead), CLAVE_ERR_UNSUPPORTED);
    assert_null(aead);
    clave_aead_free(NULL);
    unload(&v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_answers),
        cmocka_unit_test(test_every_flipped_bit_fails),
        cmocka_unit_test(test_wrong_lengths_and_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
