/* SPDX-License-Identifier: Apache-2.0 */
/* Key import/export: DER and PEM round trips, truncation at every offset, wrong labels. */
#include "testlib.h"

#include <stdlib.h>
#include <string.h>

static void test_spki_round_trip_and_truncation(void **state)
{
    (void)state;
    const enum clave_pkey_type types[] = {CLAVE_PKEY_P256, CLAVE_PKEY_P384, CLAVE_PKEY_ED25519,
                                          CLAVE_PKEY_X25519};
    for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
        struct clave_pkey *key = NULL;
        struct clave_pkey *pub = NULL;
        uint8_t spki[CLAVE_PKEY_SPKI_MAX_LEN + 1];
        uint8_t raw1[CLAVE_P384_POINT_LEN];
        uint8_t raw2[CLAVE_P384_POINT_LEN];
        size_t spki_len = 0, raw1_len = 0, raw2_len = 0;
        T_OK(clave_pkey_generate(types[t], &key));
        assert_int_equal(clave_pkey_type(key), types[t]);
        assert_true(clave_pkey_has_private(key));
        T_OK(clave_pkey_export_spki(key, spki, CLAVE_PKEY_SPKI_MAX_LEN, &spki_len));
        T_OK(clave_pkey_from_der(spki, spki_len, &pub));
        assert_int_equal(clave_pkey_type(pub), types[t]);
        assert_false(clave_pkey_has_private(pub));
        T_OK(clave_pkey_export_raw_public(key, raw1, sizeof(raw1), &raw1_len));
        T_OK(clave_pkey_export_raw_public(pub, raw2, sizeof(raw2), &raw2_len));
        assert_int_equal(raw1_len, raw2_len);
        assert_memory_equal(raw1, raw2, raw1_len);
        T_ERR(clave_pkey_export_spki(key, spki, spki_len - 1, &spki_len), CLAVE_ERR_ARG);
        T_OK(clave_pkey_export_spki(key, spki, CLAVE_PKEY_SPKI_MAX_LEN, &spki_len));
        for (size_t n = 0; n < spki_len; n++) {
            struct clave_pkey *bad = NULL;
            T_ERR(clave_pkey_from_der(spki, n, &bad), CLAVE_ERR_KEY);
            assert_null(bad);
        }
        spki[spki_len] = 0;
        struct clave_pkey *bad = NULL;
        T_ERR(clave_pkey_from_der(spki, spki_len + 1, &bad), CLAVE_ERR_KEY);
        clave_pkey_free(pub);
        clave_pkey_free(key);
    }
}

/* A test-only Ed25519 private key in PKCS#8 PEM (parsed and used; not a known answer). */
static const char ED25519_PEM[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\n"
    "-----END PRIVATE KEY-----\n";

static void test_pem(void **state)
{
    (void)state;
    struct clave_pkey *key = NULL;
    T_OK(clave_pkey_from_pem(ED25519_PEM, strlen(ED25519_PEM), &key));
    assert_int_equal(clave_pkey_type(key), CLAVE_PKEY_ED25519);
    assert_true(clave_pkey_has_private(key));
    uint8_t sig[CLAVE_ED25519_SIG_LEN];
    T_OK(clave_ed25519_sign(key, (const uint8_t *)"m", 1, sig));
    T_OK(clave_ed25519_verify(key, (const uint8_t *)"m", 1, sig, sizeof(sig)));
    clave_pkey_free(key);
    key = NULL;

    char other[sizeof(ED25519_PEM) + 16];
    (void)snprintf(other, sizeof(other), "%s", ED25519_PEM);
    memcpy(other + 11, "EC PRIVATE KEY-----\n", 20); /* relabel: BEGIN EC PRIVATE KEY */
    T_ERR(clave_pkey_from_pem(other, strlen(other), &key), CLAVE_ERR_FORMAT);
    T_ERR(clave_pkey_from_pem("not pem", 7, &key), CLAVE_ERR_FORMAT);
    T_ERR(clave_pkey_from_pem(ED25519_PEM, 40, &key), CLAVE_ERR_FORMAT);
    assert_null(key);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spki_round_trip_and_truncation),
        cmocka_unit_test(test_pem),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
