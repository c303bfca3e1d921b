/* SPDX-License-Identifier: Apache-2.0 */
/* HOTP (RFC 4226 Appendix D) and TOTP (RFC 6238 Appendix B) known answers; base32; otpauth. */
#include "testlib.h"

#include <stdlib.h>
#include <string.h>

static const char SEED20[] = "12345678901234567890";
static const char SEED32[] = "12345678901234567890123456789012";
static const char SEED64[] = "1234567890123456789012345678901234567890123456789012345678901234";

static void test_hotp_rfc4226(void **state)
{
    (void)state;
    /* RFC 4226 Appendix D: HOTP values for counters 0..9, 6 digits. */
    static const uint32_t want[10] = {755224, 287082, 359152, 969429, 338314,
                                      254676, 287922, 162583, 399871, 520489};
    for (uint64_t c = 0; c < 10; c++) {
        uint32_t code = 0;
        T_OK(clave_hotp(CLAVE_OTP_SHA1, (const uint8_t *)SEED20, 20, c, 6, &code));
        assert_int_equal(code, want[c]);
    }
}

struct totp_vector {
    int64_t time;
    uint32_t sha1, sha256, sha512;
};

static void test_totp_rfc6238(void **state)
{
    (void)state;
    /* RFC 6238 Appendix B: 8 digits, 30 s step, T0 = 0. */
    static const struct totp_vector v[] = {
        {59, 94287082, 46119246, 90693936},         {1111111109, 7081804, 68084774, 25091201},
        {1111111111, 14050471, 67062674, 99943326}, {1234567890, 89005924, 91819424, 93441116},
        {2000000000, 69279037, 90698825, 38618901}, {20000000000, 65353130, 77737706, 47863826},
    };
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        uint32_t code = 0;
        T_OK(clave_totp(CLAVE_OTP_SHA1, (const uint8_t *)SEED20, 20, v[i].time, 30, 8, &code));
        assert_int_equal(code, v[i].sha1);
        T_OK(clave_totp(CLAVE_OTP_SHA256, (const uint8_t *)SEED32, 32, v[i].time, 30, 8, &code));
        assert_int_equal(code, v[i].sha256);
        T_OK(clave_totp(CLAVE_OTP_SHA512, (const uint8_t *)SEED64, 64, v[i].time, 30, 8, &code));
        assert_int_equal(code, v[i].sha512);
    }
}

static void test_totp_verify_window_and_replay(void **state)
{
    (void)state;
    const uint8_t *k = (const uint8_t *)SEED20;
    uint64_t step = 0;
    /* 07081804 is the code for step 0x23523EC (t = 1111111109). */
    T_OK(clave_totp_verify(CLAVE_OTP_SHA1, k, 20, 1111111109, 30, 8, 1, 0, "07081804", &step));
    assert_int_equal(step, 0x23523ECu);
    /* One step later is still inside a window of 1; two steps later is not. */
    T_OK(clave_totp_verify(CLAVE_OTP_SHA1, k, 20, 1111111109 + 30, 30, 8, 1, 0, "07081804", &step));
    T_ERR(clave_totp_verify(CLAVE_OTP_SHA1, k, 20, 1111111109 + 60, 30, 8, 1, 0, "07081804", &step),
          CLAVE_ERR_AUTH);
    /* Replay: the same step is refused once it has been used. */
    T_ERR(clave_totp_verify(CLAVE_OTP_SHA1, k, 20, 1111111109, 30, 8, 1, 0x23523ECu, "07081804",
                            &step),
          CLAVE_ERR_AUTH);
    /* Malformed codes. */
    static const char *const bad[] = {"", "0708180", "070818044", "0708180x", " 7081804", NULL};
    for (size_t i = 0; bad[i] != NULL; i++) {
        T_ERR(clave_totp_verify(CLAVE_OTP_SHA1, k, 20, 1111111109, 30, 8, 1, 0, bad[i], &step),
              CLAVE_ERR_AUTH);
    }
    T_ERR(clave_totp_verify(CLAVE_OTP_SHA1, k, 20, 1111111109, 30, 8, 1, 0, NULL, &step),
          CLAVE_ERR_AUTH);
    /* Every single-digit change fails. */
    char code[9] = "07081804";
    for (size_t i = 0; i < 8; i++) {
        char saved = code[i];
        code[i] = (char)('0' + (saved - '0' + 1) % 10);
        T_ERR(clave_totp_verify(CLAVE_OTP_SHA1, k, 20, 1111111109, 30, 8, 0, 0, code, &step),
              CLAVE_ERR_AUTH);
        code[i] = saved;
    }
}

static void test_otp_args(void **state)
{
    (void)state;
    uint32_t code = 0;
    T_ERR(clave_hotp(CLAVE_OTP_SHA1, (const uint8_t *)SEED20, 20, 0, 5, &code), CLAVE_ERR_ARG);
    T_ERR(clave_hotp(CLAVE_OTP_SHA1, (const uint8_t *)SEED20, 20, 0, 9, &code), CLAVE_ERR_ARG);
    T_ERR(clave_hotp(CLAVE_OTP_SHA1, (const uint8_t *)SEED20, 0, 0, 6, &code), CLAVE_ERR_ARG);
    T_ERR(clave_hotp((enum clave_otp_alg)9, (const uint8_t *)SEED20, 20, 0, 6, &code),
          CLAVE_ERR_UNSUPPORTED);
    T_ERR(clave_totp(CLAVE_OTP_SHA1, (const uint8_t *)SEED20, 20, 59, 0, 6, &code), CLAVE_ERR_ARG);
}

static void test_base32(void **state)
{
    (void)state;
    /* RFC 4648 section 10 test vectors (unpadded). */
    static const char *const in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *const want[] = {"",        "MY",       "MZXQ",      "MZXW6",
                                       "MZXW6YQ", "MZXW6YTB", "MZXW6YTBOI"};
    for (size_t i = 0; i < 7; i++) {
        char *s = NULL;
        T_OK(clave_base32_encode((const uint8_t *)in[i], strlen(in[i]), &s));
        assert_string_equal(s, want[i]);
        uint8_t back[16];
        size_t n = 0;
        T_OK(clave_base32_decode(s, strlen(s), back, sizeof(back), &n));
        assert_int_equal(n, strlen(in[i]));
        assert_memory_equal(back, in[i], n);
        free(s);
    }
    uint8_t out[4];
    size_t n = 0;
    T_ERR(clave_base32_decode("MZ1W", 4, out, sizeof(out), &n), CLAVE_ERR_ENCODING);
    T_ERR(clave_base32_decode("MZ", 2, out, sizeof(out), &n), CLAVE_ERR_ENCODING);
    T_ERR(clave_base32_decode("MZXW6YTBOI", 10, out, sizeof(out), &n), CLAVE_ERR_TOO_LARGE);
}

static void test_otpauth_uri(void **state)
{
    (void)state;
    char *uri = NULL;
    T_OK(clave_totp_uri("clave test", "alice@example.org", (const uint8_t *)SEED20, 20,
                        CLAVE_OTP_SHA1, 6, 30, &uri));
    assert_string_equal(uri, "otpauth://totp/clave%20test:alice%40example.org?secret="
                             "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=clave%20test&algorithm=SHA1&"
                             "digits=6&period=30");
    free(uri);
    T_ERR(clave_totp_uri("a:b", "c", (const uint8_t *)SEED20, 20, CLAVE_OTP_SHA1, 6, 30, &uri),
          CLAVE_ERR_ARG);
    assert_null(uri);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hotp_rfc4226),
        cmocka_unit_test(test_totp_rfc6238),
        cmocka_unit_test(test_totp_verify_window_and_replay),
        cmocka_unit_test(test_otp_args),
        cmocka_unit_test(test_base32),
        cmocka_unit_test(test_otpauth_uri),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
