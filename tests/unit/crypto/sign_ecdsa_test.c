/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ECDSA: RFC 6979 appendix A.2.5 (P-256/SHA-256) and A.2.6 (P-384/SHA-384) "sample" signatures
 * verify against the published public keys; sign/verify round trips in both encodings; DER/raw
 * conversions; the SEV-SNP little-endian helper; hostile inputs.
 */
#include "testlib.h"

#include <stdlib.h>
#include <string.h>

#define P256_QX "60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6"
#define P256_QY "7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299"
#define P256_D "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721"
#define P256_SAMPLE_SIG                                                                            \
    "efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716"                             \
    "f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8"
#define P384_QX                                                                                    \
    "ec3a4e415b4e19a4568618029f427fa5da9a8bc4ae92e02e06aae5286b300c64def8f0ea9055866064a254515480" \
    "bc13"
#define P384_QY                                                                                    \
    "8015d9b72d7d57244ea8ef9ac0c621896708a59367f9dfb9f54ca84b3f1c9db1288b231c3ae0d4fe7344fd253326" \
    "4720"
#define P384_SAMPLE_SIG                                                                            \
    "94edbb92a5ecb8aad4736e56c691916b3f88140666ce9fa73d64c4ea95ad133c81a648152e44acf96e36dd1e80fa" \
    "be4699ef4aeb15f178cea1fe40db2603138f130e740a19624526203b6351d0a3a94fa329c145786e679e7b82c71a" \
    "38628ac8"

static const uint8_t SAMPLE[] = {'s', 'a', 'm', 'p', 'l', 'e'};

static struct clave_pkey *load_pub(enum clave_pkey_type type, const char *qx, const char *qy)
{
    char hex[2 + 2 * 2 * CLAVE_EC_COORD_MAX_LEN + 1];
    (void)snprintf(hex, sizeof(hex), "04%s%s", qx, qy);
    size_t len = 0;
    uint8_t *point = t_hex(hex, &len);
    struct clave_pkey *key = NULL;
    T_OK(clave_pkey_from_raw_public(type, point, len, &key));
    free(point);
    return key;
}

static void check_rfc6979(enum clave_pkey_type type, const char *qx, const char *qy,
                          const char *sig_hex)
{
    struct clave_pkey *key = load_pub(type, qx, qy);
    size_t raw_len = 0;
    uint8_t *raw = t_hex(sig_hex, &raw_len);
    uint8_t der[CLAVE_ECDSA_DER_MAX_LEN + 1]; /* + 1: room for a trailing-byte case */
    uint8_t back[CLAVE_ECDSA_RAW_MAX_LEN];
    size_t der_len = 0;
    assert_false(clave_pkey_has_private(key));
    T_OK(clave_ecdsa_verify(key, CLAVE_SIG_RAW, SAMPLE, sizeof(SAMPLE), raw, raw_len));
    T_OK(clave_ecdsa_raw_to_der(raw, raw_len, der, sizeof(der), &der_len));
    T_OK(clave_ecdsa_verify(key, CLAVE_SIG_DER, SAMPLE, sizeof(SAMPLE), der, der_len));
    T_OK(clave_ecdsa_der_to_raw(der, der_len, raw_len / 2, back, sizeof(back)));
    assert_memory_equal(back, raw, raw_len);

    /* Every flipped bit of the raw signature fails; so does another message. */
    for (size_t bit = 0; bit < 8 * raw_len; bit += 7) {
        raw[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        T_ERR(clave_ecdsa_verify(key, CLAVE_SIG_RAW, SAMPLE, sizeof(SAMPLE), raw, raw_len),
              CLAVE_ERR_SIGNATURE);
        raw[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    T_ERR(clave_ecdsa_verify(key, CLAVE_SIG_RAW, (const uint8_t *)"test", 4, raw, raw_len),
          CLAVE_ERR_SIGNATURE);
    /* Truncated raw and DER at every length. */
    for (size_t n = 0; n < raw_len; n++) {
        T_ERR(clave_ecdsa_verify(key, CLAVE_SIG_RAW, SAMPLE, sizeof(SAMPLE), raw, n),
              CLAVE_ERR_SIGNATURE);
    }
    for (size_t n = 0; n < der_len; n++) {
        T_ERR(clave_ecdsa_verify(key, CLAVE_SIG_DER, SAMPLE, sizeof(SAMPLE), der, n),
              CLAVE_ERR_SIGNATURE);
    }
    /* A trailing byte after the DER. */
    der[der_len] = 0;
    T_ERR(clave_ecdsa_verify(key, CLAVE_SIG_DER, SAMPLE, sizeof(SAMPLE), der, der_len + 1),
          CLAVE_ERR_SIGNATURE);
    free(raw);
    clave_pkey_free(key);
}

static void test_rfc6979_p256(void **state)
{
    (void)state;
    check_rfc6979(CLAVE_PKEY_P256, P256_QX, P256_QY, P256_SAMPLE_SIG);
}

static void test_rfc6979_p384(void **state)
{
    (void)state;
    check_rfc6979(CLAVE_PKEY_P384, P384_QX, P384_QY, P384_SAMPLE_SIG);
}

static void test_wrong_curve_fails(void **state)
{
    (void)state;
    struct clave_pkey *p384 = load_pub(CLAVE_PKEY_P384, P384_QX, P384_QY);
    size_t raw_len = 0;
    uint8_t *raw = t_hex(P256_SAMPLE_SIG, &raw_len);
    T_ERR(clave_ecdsa_verify(p384, CLAVE_SIG_RAW, SAMPLE, sizeof(SAMPLE), raw, raw_len),
          CLAVE_ERR_SIGNATURE);
    struct clave_pkey *ed = NULL;
    T_OK(clave_pkey_generate(CLAVE_PKEY_ED25519, &ed));
    T_ERR(clave_ecdsa_verify(ed, CLAVE_SIG_RAW, SAMPLE, sizeof(SAMPLE), raw, raw_len),
          CLAVE_ERR_KEY);
    /* A P-384 point presented as P-256 has the wrong length. */
    uint8_t point[CLAVE_P384_POINT_LEN];
    size_t point_len = 0;
    struct clave_pkey *bad = (struct clave_pkey *)point;
    T_OK(clave_pkey_export_raw_public(p384, point, sizeof(point), &point_len));
    T_ERR(clave_pkey_from_raw_public(CLAVE_PKEY_P256, point, point_len, &bad), CLAVE_ERR_KEY);
    assert_null(bad);
    free(raw);
    clave_pkey_free(ed);
    clave_pkey_free(p384);
}

static void test_sign_round_trip(void **state)
{
    (void)state;
    const enum clave_pkey_type types[] = {CLAVE_PKEY_P256, CLAVE_PKEY_P384};
    for (size_t t = 0; t < 2; t++) {
        struct clave_pkey *key = NULL;
        uint8_t sig[CLAVE_ECDSA_DER_MAX_LEN];
        size_t sig_len = 0;
        T_OK(clave_pkey_generate(types[t], &key));
        assert_true(clave_pkey_has_private(key));
        T_OK(clave_ecdsa_sign(key, CLAVE_SIG_RAW, SAMPLE, sizeof(SAMPLE), sig, sizeof(sig),
                              &sig_len));
        assert_int_equal(sig_len, t == 0 ? 64 : 96);
        T_OK(clave_ecdsa_verify(key, CLAVE_SIG_RAW, SAMPLE, sizeof(SAMPLE), sig, sig_len));
        T_OK(clave_ecdsa_sign(key, CLAVE_SIG_DER, SAMPLE, sizeof(SAMPLE), sig, sizeof(sig),
                              &sig_len));
        T_OK(clave_ecdsa_verify(key, CLAVE_SIG_DER, SAMPLE, sizeof(SAMPLE), sig, sig_len));
        T_ERR(clave_ecdsa_sign(key, CLAVE_SIG_RAW, SAMPLE, sizeof(SAMPLE), sig, 10, &sig_len),
              CLAVE_ERR_ARG);
        clave_pkey_free(key);
    }
    /* The RFC 6979 private key, imported raw, signs verifiably under the published public key. */
    size_t d_len = 0;
    uint8_t *d = t_hex(P256_D, &d_len);
    struct clave_pkey *priv = NULL;
    struct clave_pkey *pub = load_pub(CLAVE_PKEY_P256, P256_QX, P256_QY);
    uint8_t sig[CLAVE_ECDSA_RAW_MAX_LEN];
    size_t sig_len = 0;
    T_OK(clave_pkey_from_raw_private(CLAVE_PKEY_P256, d, d_len, &priv));
    T_OK(clave_ecdsa_sign(priv, CLAVE_SIG_RAW, SAMPLE, sizeof(SAMPLE), sig, sizeof(sig), &sig_len));
    T_OK(clave_ecdsa_verify(pub, CLAVE_SIG_RAW, SAMPLE, sizeof(SAMPLE), sig, sig_len));
    T_ERR(clave_ecdsa_sign(pub, CLAVE_SIG_RAW, SAMPLE, sizeof(SAMPLE), sig, sizeof(sig), &sig_len),
          CLAVE_ERR_KEY);
    free(d);
    clave_pkey_free(priv);
    clave_pkey_free(pub);
}

static void test_conversions_hostile(void **state)
{
    (void)state;
    uint8_t raw[64] = {0};
    uint8_t der[CLAVE_ECDSA_DER_MAX_LEN];
    size_t der_len = 0;
    /* r = 0 is not a signature. */
    raw[63] = 1;
    T_ERR(clave_ecdsa_raw_to_der(raw, 64, der, sizeof(der), &der_len), CLAVE_ERR_FORMAT);
    T_ERR(clave_ecdsa_raw_to_der(raw, 63, der, sizeof(der), &der_len), CLAVE_ERR_FORMAT);
    raw[0] = 0x80; /* high bit set: DER needs a leading zero */
    T_OK(clave_ecdsa_raw_to_der(raw, 64, der, sizeof(der), &der_len));
    assert_int_equal(der_len, 2 + 2 + 33 + 2 + 1);
    T_ERR(clave_ecdsa_raw_to_der(raw, 64, der, 10, &der_len), CLAVE_ERR_ARG);
    /* Non-minimal DER (a redundant leading zero on s = 1) is refused. */
    const uint8_t lax[] = {0x30, 0x07, 0x02, 0x01, 0x01, 0x02, 0x02, 0x00, 0x01};
    uint8_t out[64];
    T_ERR(clave_ecdsa_der_to_raw(lax, sizeof(lax), 32, out, sizeof(out)), CLAVE_ERR_FORMAT);
    const uint8_t strict[] = {0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02};
    T_OK(clave_ecdsa_der_to_raw(strict, sizeof(strict), 32, out, sizeof(out)));
    assert_int_equal(out[31], 1);
    assert_int_equal(out[63], 2);
    /* A negative r, a value too wide for P-256, garbage. */
    const uint8_t neg[] = {0x30, 0x06, 0x02, 0x01, 0x81, 0x02, 0x01, 0x02};
    T_ERR(clave_ecdsa_der_to_raw(neg, sizeof(neg), 32, out, sizeof(out)), CLAVE_ERR_FORMAT);
    uint8_t wide[CLAVE_ECDSA_RAW_MAX_LEN];
    memset(wide, 0x11, sizeof(wide));
    T_OK(clave_ecdsa_raw_to_der(wide, sizeof(wide), der, sizeof(der), &der_len));
    T_ERR(clave_ecdsa_der_to_raw(der, der_len, 32, out, sizeof(out)), CLAVE_ERR_FORMAT);
    T_ERR(clave_ecdsa_der_to_raw((const uint8_t *)"\x30\x00", 2, 32, out, sizeof(out)),
          CLAVE_ERR_FORMAT);
    T_ERR(clave_ecdsa_der_to_raw(strict, sizeof(strict), 33, out, sizeof(out)), CLAVE_ERR_ARG);
}

/* SEV-SNP: 72-byte little-endian zero-extended r and s for a P-384 signature. */
#define SNP_SIG_FIELD_LEN 72

static void test_le_to_raw(void **state)
{
    (void)state;
    size_t raw_len = 0;
    uint8_t *raw = t_hex(P384_SAMPLE_SIG, &raw_len);
    uint8_t r_le[SNP_SIG_FIELD_LEN] = {0};
    uint8_t s_le[SNP_SIG_FIELD_LEN] = {0};
    uint8_t out[CLAVE_ECDSA_RAW_MAX_LEN];
    for (size_t i = 0; i < CLAVE_P384_COORD_LEN; i++) {
        r_le[i] = raw[CLAVE_P384_COORD_LEN - 1 - i];
        s_le[i] = raw[2 * CLAVE_P384_COORD_LEN - 1 - i];
    }
    T_OK(clave_ecdsa_le_to_raw(r_le, s_le, SNP_SIG_FIELD_LEN, CLAVE_P384_COORD_LEN, out));
    assert_memory_equal(out, raw, raw_len);
    struct clave_pkey *key = load_pub(CLAVE_PKEY_P384, P384_QX, P384_QY);
    T_OK(clave_ecdsa_verify(key, CLAVE_SIG_RAW, SAMPLE, sizeof(SAMPLE), out, raw_len));
    /* Any non-zero byte above the coordinate width is refused and leaves the output alone. */
    for (size_t i = CLAVE_P384_COORD_LEN; i < SNP_SIG_FIELD_LEN; i++) {
        memset(out, 0xa5, sizeof(out));
        r_le[i] = 1;
        T_ERR(clave_ecdsa_le_to_raw(r_le, s_le, SNP_SIG_FIELD_LEN, CLAVE_P384_COORD_LEN, out),
              CLAVE_ERR_FORMAT);
        r_le[i] = 0;
        s_le[i] = 0x80;
        T_ERR(clave_ecdsa_le_to_raw(r_le, s_le, SNP_SIG_FIELD_LEN, CLAVE_P384_COORD_LEN, out),
              CLAVE_ERR_FORMAT);
        s_le[i] = 0;
        assert_int_equal(out[0], 0xa5);
    }
    T_ERR(clave_ecdsa_le_to_raw(r_le, s_le, 40, CLAVE_P384_COORD_LEN, out), CLAVE_ERR_ARG);
    T_ERR(clave_ecdsa_le_to_raw(r_le, s_le, SNP_SIG_FIELD_LEN, 0, out), CLAVE_ERR_ARG);
    clave_pkey_free(key);
    free(raw);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc6979_p256),        cmocka_unit_test(test_rfc6979_p384),
        cmocka_unit_test(test_wrong_curve_fails),   cmocka_unit_test(test_sign_round_trip),
        cmocka_unit_test(test_conversions_hostile), cmocka_unit_test(test_le_to_raw),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
