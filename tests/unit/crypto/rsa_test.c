/* SPDX-License-Identifier: Apache-2.0 */
/*
 * RSA-PSS and RSA-OAEP-256. No published PSS/OAEP-256 vector was at hand, so these are round
 * trips with a freshly generated RSA-3072 key plus tamper and wrong-key cases.
 */
#include "testlib.h"

#include <string.h>

static const uint8_t MSG[] = "clave rsa test message";

static void test_pss_round_trip_and_tamper(void **state)
{
    (void)state;
    struct clave_pkey *key = NULL;
    struct clave_pkey *pub = NULL;
    uint8_t spki[CLAVE_PKEY_SPKI_MAX_LEN];
    uint8_t sig[CLAVE_RSA_MAX_LEN];
    size_t spki_len = 0;
    size_t sig_len = 0;
    T_OK(clave_pkey_generate(CLAVE_PKEY_RSA3072, &key));
    assert_int_equal(clave_pkey_type(key), CLAVE_PKEY_RSA3072);
    T_OK(clave_pkey_export_spki(key, spki, sizeof(spki), &spki_len));
    T_OK(clave_pkey_from_der(spki, spki_len, &pub));
    assert_false(clave_pkey_has_private(pub));
    const enum clave_hash_alg hashes[] = {CLAVE_HASH_SHA256, CLAVE_HASH_SHA384};
    for (size_t h = 0; h < 2; h++) {
        T_OK(clave_rsa_pss_sign(key, hashes[h], MSG, sizeof(MSG), sig, sizeof(sig), &sig_len));
        assert_int_equal(sig_len, 384);
        T_OK(clave_rsa_pss_verify(pub, hashes[h], CLAVE_PSS_SALT_DIGEST, MSG, sizeof(MSG), sig,
                                  sig_len));
        T_OK(clave_rsa_pss_verify(pub, hashes[h], CLAVE_PSS_SALT_AUTO, MSG, sizeof(MSG), sig,
                                  sig_len));
        /* The other hash, a flipped bit, a changed message, a truncated signature. */
        T_ERR(clave_rsa_pss_verify(pub, hashes[1 - h], CLAVE_PSS_SALT_AUTO, MSG, sizeof(MSG), sig,
                                   sig_len),
              CLAVE_ERR_SIGNATURE);
        for (size_t bit = 0; bit < 8 * sig_len; bit += 97) {
            sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            T_ERR(clave_rsa_pss_verify(pub, hashes[h], CLAVE_PSS_SALT_DIGEST, MSG, sizeof(MSG), sig,
                                       sig_len),
                  CLAVE_ERR_SIGNATURE);
            sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        }
        T_ERR(clave_rsa_pss_verify(pub, hashes[h], CLAVE_PSS_SALT_DIGEST, MSG, sizeof(MSG) - 1, sig,
                                   sig_len),
              CLAVE_ERR_SIGNATURE);
        T_ERR(clave_rsa_pss_verify(pub, hashes[h], CLAVE_PSS_SALT_DIGEST, MSG, sizeof(MSG), sig,
                                   sig_len - 1),
              CLAVE_ERR_SIGNATURE);
    }
    T_ERR(clave_rsa_pss_verify(pub, CLAVE_HASH_SHA512, CLAVE_PSS_SALT_DIGEST, MSG, sizeof(MSG), sig,
                               sig_len),
          CLAVE_ERR_UNSUPPORTED);
    T_ERR(clave_rsa_pss_sign(pub, CLAVE_HASH_SHA256, MSG, sizeof(MSG), sig, sizeof(sig), &sig_len),
          CLAVE_ERR_KEY);
    clave_pkey_free(pub);
    clave_pkey_free(key);
}

static void test_oaep_round_trip_and_wrong_key(void **state)
{
    (void)state;
    struct clave_pkey *key = NULL;
    struct clave_pkey *other = NULL;
    struct clave_secret *pt = NULL;
    uint8_t ct[CLAVE_RSA_MAX_LEN];
    size_t ct_len = 0;
    T_OK(clave_pkey_generate(CLAVE_PKEY_RSA3072, &key));
    T_OK(clave_pkey_generate(CLAVE_PKEY_RSA3072, &other));
    T_OK(clave_rsa_oaep_encrypt(key, MSG, sizeof(MSG), ct, sizeof(ct), &ct_len));
    assert_int_equal(ct_len, 384);
    T_OK(clave_rsa_oaep_decrypt(key, ct, ct_len, &pt));
    assert_int_equal(clave_secret_len(pt), sizeof(MSG));
    assert_memory_equal(clave_secret_cdata(pt), MSG, sizeof(MSG));
    clave_secret_free(pt);
    pt = NULL;
    T_ERR(clave_rsa_oaep_decrypt(other, ct, ct_len, &pt), CLAVE_ERR_AUTH);
    assert_null(pt);
    ct[ct_len / 2] ^= 4;
    T_ERR(clave_rsa_oaep_decrypt(key, ct, ct_len, &pt), CLAVE_ERR_AUTH);
    T_ERR(clave_rsa_oaep_decrypt(key, ct, ct_len - 1, &pt), CLAVE_ERR_AUTH);
    /* Input limits: empty, and longer than k - 2*hLen - 2 = 318 bytes. */
    uint8_t big[319] = {0};
    T_ERR(clave_rsa_oaep_encrypt(key, big, 0, ct, sizeof(ct), &ct_len), CLAVE_ERR_ARG);
    T_ERR(clave_rsa_oaep_encrypt(key, big, sizeof(big), ct, sizeof(ct), &ct_len), CLAVE_ERR_ARG);
    T_OK(clave_rsa_oaep_encrypt(key, big, sizeof(big) - 1, ct, sizeof(ct), &ct_len));
    T_ERR(clave_rsa_oaep_encrypt(key, big, 1, ct, 100, &ct_len), CLAVE_ERR_ARG);
    /* Not an RSA key. */
    struct clave_pkey *ec = NULL;
    T_OK(clave_pkey_generate(CLAVE_PKEY_P256, &ec));
    T_ERR(clave_rsa_oaep_encrypt(ec, MSG, sizeof(MSG), ct, sizeof(ct), &ct_len), CLAVE_ERR_KEY);
    clave_pkey_free(ec);
    clave_pkey_free(other);
    clave_pkey_free(key);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pss_round_trip_and_tamper),
        cmocka_unit_test(test_oaep_round_trip_and_wrong_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
