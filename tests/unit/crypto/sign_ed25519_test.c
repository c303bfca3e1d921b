/* SPDX-License-Identifier: Apache-2.0 */
/* Ed25519: RFC 8032 section 7.1 TEST 1, 2, 3 and TEST SHA(abc); hostile cases. */
#include "testlib.h"

#include <stdlib.h>
#include <string.h>

struct ed_case {
    const char *secret;
    const char *public_key;
    const char *msg;
    const char *sig;
};

static const struct ed_case CASES[] = {
    {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b"
     "4"
     "6bd25bf5f0595bbe24655141438e7a100b"},
    {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11"
     "d"
     "8c387b2eaeb4302aeeb00d291612bb0c00"},
    {"c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc"
     "6"
     "594a7c15e9716ed28dc027beceea1ec40a"},
    /* TEST SHA(abc): the message is SHA-512("abc"). */
    {"833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
     "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
     "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3fee"
     "b"
     "bd454d4423643ce80e2a9ac94fa54ca49f",
     "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e"
     "0"
     "303dca179c138ac17ad9bef1177331a704"},
};

static void test_rfc8032(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(CASES) / sizeof(CASES[0]); i++) {
        size_t sk_len = 0, pk_len = 0, msg_len = 0, sig_len = 0;
        uint8_t *sk = t_hex(CASES[i].secret, &sk_len);
        uint8_t *pk = t_hex(CASES[i].public_key, &pk_len);
        uint8_t *msg = t_hex(CASES[i].msg, &msg_len);
        uint8_t *sig = t_hex(CASES[i].sig, &sig_len);
        struct clave_pkey *priv = NULL;
        struct clave_pkey *pub = NULL;
        uint8_t got[CLAVE_ED25519_SIG_LEN];
        uint8_t derived[CLAVE_ED25519_KEY_LEN];
        size_t derived_len = 0;
        T_OK(clave_pkey_from_raw_private(CLAVE_PKEY_ED25519, sk, sk_len, &priv));
        T_OK(clave_pkey_export_raw_public(priv, derived, sizeof(derived), &derived_len));
        assert_memory_equal(derived, pk, pk_len);
        T_OK(clave_ed25519_sign(priv, msg, msg_len, got));
        assert_memory_equal(got, sig, sig_len); /* Ed25519 is deterministic */
        T_OK(clave_pkey_from_raw_public(CLAVE_PKEY_ED25519, pk, pk_len, &pub));
        assert_int_equal(clave_pkey_type(pub), CLAVE_PKEY_ED25519);
        T_OK(clave_ed25519_verify(pub, msg, msg_len, sig, sig_len));
        /* Hostile: flipped bits in the signature, a changed message, wrong lengths. */
        for (size_t bit = 0; bit < 8 * sig_len; bit += 5) {
            sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            T_ERR(clave_ed25519_verify(pub, msg, msg_len, sig, sig_len), CLAVE_ERR_SIGNATURE);
            sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        }
        T_ERR(clave_ed25519_verify(pub, (const uint8_t *)"x", 1, sig, sig_len),
              CLAVE_ERR_SIGNATURE);
        T_ERR(clave_ed25519_verify(pub, msg, msg_len, sig, sig_len - 1), CLAVE_ERR_SIGNATURE);
        T_ERR(clave_ed25519_sign(pub, msg, msg_len, got), CLAVE_ERR_KEY);
        clave_pkey_free(priv);
        clave_pkey_free(pub);
        free(sk);
        free(pk);
        free(msg);
        free(sig);
    }
}

static void test_wrong_keys(void **state)
{
    (void)state;
    struct clave_pkey *x = NULL;
    struct clave_pkey *key = NULL;
    uint8_t sig[CLAVE_ED25519_SIG_LEN] = {0};
    uint8_t raw[33] = {0};
    T_OK(clave_pkey_generate(CLAVE_PKEY_X25519, &x));
    T_ERR(clave_ed25519_verify(x, sig, 1, sig, sizeof(sig)), CLAVE_ERR_KEY);
    T_ERR(clave_ed25519_sign(x, sig, 1, sig), CLAVE_ERR_KEY);
    T_ERR(clave_pkey_from_raw_public(CLAVE_PKEY_ED25519, raw, 31, &key), CLAVE_ERR_KEY);
    T_ERR(clave_pkey_from_raw_public(CLAVE_PKEY_ED25519, raw, 33, &key), CLAVE_ERR_KEY);
    T_ERR(clave_pkey_from_raw_private(CLAVE_PKEY_ED25519, raw, 0, &key), CLAVE_ERR_KEY);
    assert_null(key);
    T_OK(clave_pkey_generate(CLAVE_PKEY_ED25519, &key));
    T_OK(clave_ed25519_sign(key, raw, sizeof(raw), sig));
    T_OK(clave_ed25519_verify(key, raw, sizeof(raw), sig, sizeof(sig)));
    clave_pkey_free(key);
    clave_pkey_free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc8032),
        cmocka_unit_test(test_wrong_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
