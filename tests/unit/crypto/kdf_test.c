/* SPDX-License-Identifier: Apache-2.0 */
/* HMAC (RFC 4231 test cases 1-4, 6, 7) and HKDF-SHA256 (RFC 5869 appendix A.1-A.3). */
#include "testlib.h"

#include <stdlib.h>
#include <string.h>

#define HMAC_BIG_KEY_LEN 131  /* RFC 4231 test cases 6 and 7: 131 bytes of 0xaa */
#define HMAC_FILL_DATA_LEN 50 /* RFC 4231 test cases 3 and 4: 50 bytes of 0xdd / 0xcd */

struct hmac_case {
    int number;
    const char *sha256;
    const char *sha384;
    const char *sha512;
};

/* RFC 4231 section 4; test case 5 (truncated output) is not applicable to a full-length API. */
static const struct hmac_case HMAC_CASES[] = {
    {1, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
     "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9"
     "c"
     "b6",
     "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f"
     "4"
     "e4be9d914eeb61f1702e696c203a126854"},
    {2, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
     "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21"
     "6"
     "49",
     "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e"
     "6"
     "fdcaeab1a34d4a6b4b636e070a38bce737"},
    {3, "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
     "88062608d3e6ad8a0aa2ace014c8a86f0aa635d947ac9febe83ef4e55966144b2a5ab39dc13814b94e3ab6e101a34"
     "f"
     "27",
     "fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39bf3e848279a722c806b485a47e67c"
     "8"
     "07b946a337bee8942674278859e13292fb"},
    {4, "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
     "3e8a69b7783c25851933ab6290af6ca77a9981480850009cc5577c6e1f573b4e6801dd23c4a7d679ccf8a386c674c"
     "f"
     "fb",
     "b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3dba91ca5c11aa25eb4d679275cc5788"
     "0"
     "63a5f19741120c4f2de2adebeb10a298dd"},
    {6, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
     "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c60c2ef6ab4030fe8296248df163f44"
     "9"
     "52",
     "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f3526b56d037e05f2598bd0fd2215d6a1"
     "e"
     "5295e64f73f63f0aec8b915a985d786598"},
    {7, "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
     "6617178e941f020d351e2f254e8fd32c602420feb0b8fb9adccebb82461e99c5a678cc31e799176d3860e6110c465"
     "2"
     "3e",
     "e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944b6022cac3c4982b10d5eeb55c3e4d"
     "e"
     "15134676fb6de0446065c97440fa8c6a58"},
};

/* Key and data of an RFC 4231 test case, written into caller buffers. */
static void hmac_inputs(int number, uint8_t *key, size_t *key_len, uint8_t *data, size_t *data_len)
{
    static const char TC6[] = "Test Using Larger Than Block-Size Key - Hash Key First";
    static const char TC7[] =
        "This is a test using a larger than block-size key and a larger than "
        "block-size data. The key needs to be hashed before being used by the "
        "HMAC algorithm.";
    switch (number) {
    case 1:
        memset(key, 0x0b, 20);
        *key_len = 20;
        memcpy(data, "Hi There", 8);
        *data_len = 8;
        break;
    case 2:
        memcpy(key, "Jefe", 4);
        *key_len = 4;
        memcpy(data, "what do ya want for nothing?", 28);
        *data_len = 28;
        break;
    case 3:
        memset(key, 0xaa, 20);
        *key_len = 20;
        memset(data, 0xdd, HMAC_FILL_DATA_LEN);
        *data_len = HMAC_FILL_DATA_LEN;
        break;
    case 4:
        for (size_t i = 0; i < 25; i++) {
            key[i] = (uint8_t)(i + 1);
        }
        *key_len = 25;
        memset(data, 0xcd, HMAC_FILL_DATA_LEN);
        *data_len = HMAC_FILL_DATA_LEN;
        break;
    case 6:
        memset(key, 0xaa, HMAC_BIG_KEY_LEN);
        *key_len = HMAC_BIG_KEY_LEN;
        memcpy(data, TC6, sizeof(TC6) - 1);
        *data_len = sizeof(TC6) - 1;
        break;
    default:
        memset(key, 0xaa, HMAC_BIG_KEY_LEN);
        *key_len = HMAC_BIG_KEY_LEN;
        memcpy(data, TC7, sizeof(TC7) - 1);
        *data_len = sizeof(TC7) - 1;
        break;
    }
}

static void check_hmac(enum clave_hash_alg alg, const uint8_t *key, size_t key_len,
                       const uint8_t *data, size_t data_len, const char *hex)
{
    size_t want_len = 0;
    uint8_t *want = t_hex(hex, &want_len);
    uint8_t out[CLAVE_HASH_MAX_LEN];
    T_OK(clave_hmac(alg, key, key_len, data, data_len, out, sizeof(out)));
    assert_memory_equal(out, want, want_len);
    T_OK(clave_hmac_verify(alg, key, key_len, data, data_len, want, want_len));
    free(want);
}

static void test_hmac_rfc4231(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(HMAC_CASES) / sizeof(HMAC_CASES[0]); i++) {
        uint8_t key[HMAC_BIG_KEY_LEN];
        uint8_t data[256];
        size_t key_len = 0;
        size_t data_len = 0;
        hmac_inputs(HMAC_CASES[i].number, key, &key_len, data, &data_len);
        check_hmac(CLAVE_HASH_SHA256, key, key_len, data, data_len, HMAC_CASES[i].sha256);
        check_hmac(CLAVE_HASH_SHA384, key, key_len, data, data_len, HMAC_CASES[i].sha384);
        check_hmac(CLAVE_HASH_SHA512, key, key_len, data, data_len, HMAC_CASES[i].sha512);
    }
}

static void test_hmac_verify_rejects(void **state)
{
    (void)state;
    uint8_t key[HMAC_BIG_KEY_LEN];
    uint8_t data[256];
    size_t key_len = 0;
    size_t data_len = 0;
    uint8_t tag[CLAVE_SHA256_LEN];
    hmac_inputs(2, key, &key_len, data, &data_len);
    T_OK(clave_hmac(CLAVE_HASH_SHA256, key, key_len, data, data_len, tag, sizeof(tag)));
    /* A flipped bit anywhere in the tag. */
    for (size_t bit = 0; bit < 8 * sizeof(tag); bit++) {
        tag[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        T_ERR(clave_hmac_verify(CLAVE_HASH_SHA256, key, key_len, data, data_len, tag, sizeof(tag)),
              CLAVE_ERR_AUTH);
        tag[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    /* A flipped bit in the data or the key. */
    data[0] ^= 1;
    T_ERR(clave_hmac_verify(CLAVE_HASH_SHA256, key, key_len, data, data_len, tag, sizeof(tag)),
          CLAVE_ERR_AUTH);
    data[0] ^= 1;
    key[3] ^= 0x80;
    T_ERR(clave_hmac_verify(CLAVE_HASH_SHA256, key, key_len, data, data_len, tag, sizeof(tag)),
          CLAVE_ERR_AUTH);
    key[3] ^= 0x80;
    /* A truncated tag, a tag of the wrong algorithm's length, an empty tag. */
    T_ERR(clave_hmac_verify(CLAVE_HASH_SHA256, key, key_len, data, data_len, tag, sizeof(tag) - 1),
          CLAVE_ERR_AUTH);
    T_ERR(clave_hmac_verify(CLAVE_HASH_SHA384, key, key_len, data, data_len, tag, sizeof(tag)),
          CLAVE_ERR_AUTH);
    T_ERR(clave_hmac_verify(CLAVE_HASH_SHA256, key, key_len, data, data_len, tag, 0),
          CLAVE_ERR_AUTH);
    T_OK(clave_hmac_verify(CLAVE_HASH_SHA256, key, key_len, data, data_len, tag, sizeof(tag)));
}

static void test_hmac_bad_arguments(void **state)
{
    (void)state;
    uint8_t out[CLAVE_HASH_MAX_LEN];
    T_ERR(clave_hmac((enum clave_hash_alg)7, (const uint8_t *)"k", 1, (const uint8_t *)"d", 1, out,
                     sizeof(out)),
          CLAVE_ERR_UNSUPPORTED);
    T_ERR(clave_hmac(CLAVE_HASH_SHA512, (const uint8_t *)"k", 1, (const uint8_t *)"d", 1, out,
                     CLAVE_SHA512_LEN - 1),
          CLAVE_ERR_ARG);
}

struct hkdf_case {
    const char *ikm;
    const char *salt;
    const char *info;
    const char *prk;
    const char *okm;
};

/* RFC 5869 appendix A.1-A.3 (SHA-256). */
static const struct hkdf_case HKDF_CASES[] = {
    {"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "000102030405060708090a0b0c",
     "f0f1f2f3f4f5f6f7f8f9", "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5",
     "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"},
    {"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d"
     "2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f",
     "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d"
     "8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeaf",
     "b0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdd"
     "dedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
     "06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244",
     "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e59"
     "0e09da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87"},
    {"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "", "",
     "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04",
     "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"},
};

static void test_hkdf_rfc5869(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(HKDF_CASES) / sizeof(HKDF_CASES[0]); i++) {
        size_t ikm_len = 0, salt_len = 0, info_len = 0, prk_len = 0, okm_len = 0;
        uint8_t *ikm = t_hex(HKDF_CASES[i].ikm, &ikm_len);
        uint8_t *salt = t_hex(HKDF_CASES[i].salt, &salt_len);
        uint8_t *info = t_hex(HKDF_CASES[i].info, &info_len);
        uint8_t *prk = t_hex(HKDF_CASES[i].prk, &prk_len);
        uint8_t *okm = t_hex(HKDF_CASES[i].okm, &okm_len);
        uint8_t got_prk[CLAVE_SHA256_LEN];
        uint8_t got[128];
        assert_true(okm_len <= sizeof(got));

        T_OK(clave_hkdf_extract(CLAVE_HASH_SHA256, salt, salt_len, ikm, ikm_len, got_prk,
                                sizeof(got_prk)));
        assert_memory_equal(got_prk, prk, prk_len);
        T_OK(clave_hkdf_expand(CLAVE_HASH_SHA256, prk, prk_len, info, info_len, got, okm_len));
        assert_memory_equal(got, okm, okm_len);
        memset(got, 0, sizeof(got));
        T_OK(clave_hkdf(CLAVE_HASH_SHA256, salt, salt_len, ikm, ikm_len, info, info_len, got,
                        okm_len));
        assert_memory_equal(got, okm, okm_len);
        /* A NULL salt means "no salt", the same as an empty one (RFC 5869 section 2.2). */
        if (salt_len == 0) {
            T_OK(clave_hkdf(CLAVE_HASH_SHA256, NULL, 0, ikm, ikm_len, NULL, 0, got, okm_len));
            assert_memory_equal(got, okm, okm_len);
        }
        free(ikm);
        free(salt);
        free(info);
        free(prk);
        free(okm);
    }
}

static void test_hkdf_bad_arguments(void **state)
{
    (void)state;
    const uint8_t ikm[22] = {0x0b};
    uint8_t prk[CLAVE_SHA256_LEN];
    uint8_t out[CLAVE_SHA256_LEN * 255 + 1];
    T_ERR(clave_hkdf(CLAVE_HASH_SHA256, NULL, 0, ikm, sizeof(ikm), NULL, 0, out, 0), CLAVE_ERR_ARG);
    T_ERR(clave_hkdf_extract(CLAVE_HASH_SHA256, NULL, 0, ikm, sizeof(ikm), prk, sizeof(prk) - 1),
          CLAVE_ERR_ARG);
    T_ERR(clave_hkdf((enum clave_hash_alg)0, NULL, 0, ikm, sizeof(ikm), NULL, 0, out, 16),
          CLAVE_ERR_UNSUPPORTED);
    /* RFC 5869 section 2.3: L <= 255 * HashLen. */
    T_OK(clave_hkdf(CLAVE_HASH_SHA256, NULL, 0, ikm, sizeof(ikm), NULL, 0, out, sizeof(out) - 1));
    T_ERR(clave_hkdf(CLAVE_HASH_SHA256, NULL, 0, ikm, sizeof(ikm), NULL, 0, out, sizeof(out)),
          CLAVE_ERR_ARG);
    T_ERR(clave_hkdf_expand(CLAVE_HASH_SHA256, ikm, sizeof(ikm), NULL, 0, out, sizeof(out)),
          CLAVE_ERR_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hmac_rfc4231),       cmocka_unit_test(test_hmac_verify_rejects),
        cmocka_unit_test(test_hmac_bad_arguments), cmocka_unit_test(test_hkdf_rfc5869),
        cmocka_unit_test(test_hkdf_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
