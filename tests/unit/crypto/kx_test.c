/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Key agreement: RFC 7748 section 5.2 X25519 vectors and the section 6.1 Alice/Bob exchange;
 * RFC 5903 sections 8.1 (P-256) and 8.2 (P-384) ECDH; mismatched and small-order peers.
 */
#include "testlib.h"

#include <stdlib.h>
#include <string.h>

static struct clave_pkey *raw_key(enum clave_pkey_type type, bool private_key, const char *hex)
{
    size_t len = 0;
    uint8_t *raw = t_hex(hex, &len);
    struct clave_pkey *key = NULL;
    if (private_key) {
        T_OK(clave_pkey_from_raw_private(type, raw, len, &key));
    } else {
        T_OK(clave_pkey_from_raw_public(type, raw, len, &key));
    }
    free(raw);
    return key;
}

static void expect_shared(struct clave_pkey *priv, struct clave_pkey *peer, const char *hex)
{
    size_t len = 0;
    uint8_t *want = t_hex(hex, &len);
    struct clave_secret *shared = NULL;
    T_OK(clave_kx_derive(priv, peer, &shared));
    assert_int_equal(clave_secret_len(shared), len);
    assert_memory_equal(clave_secret_cdata(shared), want, len);
    clave_secret_free(shared);
    free(want);
}

static void test_rfc7748_scalar_mult(void **state)
{
    (void)state;
    /* Section 5.2: X25519(scalar, u); the second u has its top bit set (masked per section 5). */
    static const char *const V[][3] = {
        {"a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
         "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
         "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552"},
        {"4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
         "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
         "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957"},
    };
    for (size_t i = 0; i < 2; i++) {
        struct clave_pkey *k = raw_key(CLAVE_PKEY_X25519, true, V[i][0]);
        struct clave_pkey *u = raw_key(CLAVE_PKEY_X25519, false, V[i][1]);
        expect_shared(k, u, V[i][2]);
        clave_pkey_free(k);
        clave_pkey_free(u);
    }
}

static void test_rfc7748_alice_bob(void **state)
{
    (void)state;
    const char *shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";
    struct clave_pkey *alice =
        raw_key(CLAVE_PKEY_X25519, true,
                "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
    struct clave_pkey *bob =
        raw_key(CLAVE_PKEY_X25519, true,
                "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
    struct clave_pkey *alice_pub =
        raw_key(CLAVE_PKEY_X25519, false,
                "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
    struct clave_pkey *bob_pub =
        raw_key(CLAVE_PKEY_X25519, false,
                "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
    uint8_t pub[CLAVE_X25519_KEY_LEN];
    uint8_t want[CLAVE_X25519_KEY_LEN];
    size_t len = 0;
    size_t want_len = 0;
    T_OK(clave_pkey_export_raw_public(alice, pub, sizeof(pub), &len));
    T_OK(clave_pkey_export_raw_public(alice_pub, want, sizeof(want), &want_len));
    assert_memory_equal(pub, want, CLAVE_X25519_KEY_LEN);
    expect_shared(alice, bob_pub, shared);
    expect_shared(bob, alice_pub, shared);
    /* No private key on the left: refused. */
    struct clave_secret *s = NULL;
    T_ERR(clave_kx_derive(alice_pub, bob_pub, &s), CLAVE_ERR_KEY);
    assert_null(s);
    clave_pkey_free(alice);
    clave_pkey_free(bob);
    clave_pkey_free(alice_pub);
    clave_pkey_free(bob_pub);
}

static void test_x25519_small_order_peer(void **state)
{
    (void)state;
    /* u = 0 and u = 1 are small-order points: the result is all zero (RFC 7748 section 6.1). */
    const char *points[] = {"0000000000000000000000000000000000000000000000000000000000000000",
                            "0100000000000000000000000000000000000000000000000000000000000000"};
    struct clave_pkey *k = NULL;
    T_OK(clave_pkey_generate(CLAVE_PKEY_X25519, &k));
    for (size_t i = 0; i < 2; i++) {
        struct clave_pkey *peer = raw_key(CLAVE_PKEY_X25519, false, points[i]);
        struct clave_secret *s = NULL;
        T_ERR(clave_kx_derive(k, peer, &s), CLAVE_ERR_KEY);
        assert_null(s);
        clave_pkey_free(peer);
    }
    clave_pkey_free(k);
}

static void test_rfc5903_ecdh(void **state)
{
    (void)state;
    /* Section 8.1: initiator's i against the responder's gr; the result is the x-coordinate. */
    struct clave_pkey *i256 = raw_key(
        CLAVE_PKEY_P256, true, "c6ef9c5d78ae012a011164acb397ce2088685d8f06bf9be0b283ab46476bee53");
    struct clave_pkey *r256 =
        raw_key(CLAVE_PKEY_P256, false,
                "04dad0b65394221cf9b051e1feca5787d098dfe637fc90b9ef945d0c3772581180"
                "5271a0461cdb8252d61f1c456fa3e59ab1f45b33accf5f58389e0577b8990bb3");
    expect_shared(i256, r256, "d6840f6b42f6edafd13116e0e12565202fef8e9ece7dce03812464d04b9442de");
    /* Section 8.2, P-384. */
    struct clave_pkey *i384 =
        raw_key(CLAVE_PKEY_P384, true,
                "099f3c7034d4a2c699884d73a375a67f7624ef7c6b3c0f160647b67414dce6"
                "55e35b538041e649ee3faef896783ab194");
    struct clave_pkey *r384 = raw_key(
        CLAVE_PKEY_P384, false,
        "04e558dbef53eecde3d3fccfc1aea08a89a987475d12fd950d83cfa41732bc509d0d1ac43a0336def96f"
        "da41d0774a3571dcfbec7aacf3196472169e838430367f66eebe3c6e70c416dd5f0c68759dd1fff83fa4"
        "0142209dff5eaad96db9e6386c");
    expect_shared(i384, r384,
                  "11187331c279962d93d604243fd592cb9d0a926f422e47187521287e7156c5c4d60313556"
                  "9b9e9d09cf5d4a270f59746");
    /* Mismatched curves and types are refused. */
    struct clave_secret *s = NULL;
    T_ERR(clave_kx_derive(i256, r384, &s), CLAVE_ERR_KEY);
    T_ERR(clave_kx_derive(i384, r256, &s), CLAVE_ERR_KEY);
    struct clave_pkey *x = NULL;
    T_OK(clave_pkey_generate(CLAVE_PKEY_X25519, &x));
    T_ERR(clave_kx_derive(x, r256, &s), CLAVE_ERR_KEY);
    T_ERR(clave_kx_derive(i256, x, &s), CLAVE_ERR_KEY);
    assert_null(s);
    clave_pkey_free(x);
    clave_pkey_free(i256);
    clave_pkey_free(r256);
    clave_pkey_free(i384);
    clave_pkey_free(r384);
}

static void test_invalid_points_refused(void **state)
{
    (void)state;
    size_t len = 0;
    uint8_t *p = t_hex("04dad0b65394221cf9b051e1feca5787d098dfe637fc90b9ef945d0c3772581180"
                       "5271a0461cdb8252d61f1c456fa3e59ab1f45b33accf5f58389e0577b8990bb3",
                       &len);
    struct clave_pkey *key = NULL;
    p[len - 1] ^= 1; /* off the curve */
    T_ERR(clave_pkey_from_raw_public(CLAVE_PKEY_P256, p, len, &key), CLAVE_ERR_KEY);
    p[len - 1] ^= 1;
    p[0] = 0x02; /* compressed prefix */
    T_ERR(clave_pkey_from_raw_public(CLAVE_PKEY_P256, p, len, &key), CLAVE_ERR_KEY);
    p[0] = 0x04;
    T_ERR(clave_pkey_from_raw_public(CLAVE_PKEY_P256, p, len - 1, &key), CLAVE_ERR_KEY);
    memset(p, 0, len);
    p[0] = 0x04; /* (0, 0) is not on P-256 */
    T_ERR(clave_pkey_from_raw_public(CLAVE_PKEY_P256, p, len, &key), CLAVE_ERR_KEY);
    /* Scalars 0 and >= n are refused. */
    uint8_t scalar[CLAVE_P256_COORD_LEN];
    memset(scalar, 0, sizeof(scalar));
    T_ERR(clave_pkey_from_raw_private(CLAVE_PKEY_P256, scalar, sizeof(scalar), &key),
          CLAVE_ERR_KEY);
    memset(scalar, 0xff, sizeof(scalar));
    T_ERR(clave_pkey_from_raw_private(CLAVE_PKEY_P256, scalar, sizeof(scalar), &key),
          CLAVE_ERR_KEY);
    assert_null(key);
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc7748_scalar_mult),     cmocka_unit_test(test_rfc7748_alice_bob),
        cmocka_unit_test(test_x25519_small_order_peer), cmocka_unit_test(test_rfc5903_ecdh),
        cmocka_unit_test(test_invalid_points_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
