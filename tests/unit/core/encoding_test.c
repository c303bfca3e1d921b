/* SPDX-License-Identifier: Apache-2.0 */
#include "testlib.h"

#include <stdlib.h>
#include <string.h>

/* RFC 4648 §10 test vectors. */
static const struct {
    const char *plain;
    const char *std;
    const char *url;
    const char *hex;
} RFC4648[] = {
    {"", "", "", ""},
    {"f", "Zg==", "Zg", "66"},
    {"fo", "Zm8=", "Zm8", "666f"},
    {"foo", "Zm9v", "Zm9v", "666f6f"},
    {"foob", "Zm9vYg==", "Zm9vYg", "666f6f62"},
    {"fooba", "Zm9vYmE=", "Zm9vYmE", "666f6f6261"},
    {"foobar", "Zm9vYmFy", "Zm9vYmFy", "666f6f626172"},
};

static void test_rfc4648_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(RFC4648) / sizeof(RFC4648[0]); i++) {
        const uint8_t *plain = (const uint8_t *)RFC4648[i].plain;
        size_t len = strlen(RFC4648[i].plain);
        char text[32];
        uint8_t bytes[32];
        size_t n = 0;
        T_OK(clave_b64_encode(CLAVE_B64_STD, plain, len, text, sizeof(text), &n));
        assert_string_equal(text, RFC4648[i].std);
        T_OK(clave_b64_encode(CLAVE_B64URL, plain, len, text, sizeof(text), &n));
        assert_string_equal(text, RFC4648[i].url);
        T_OK(clave_hex_encode(plain, len, text, sizeof(text)));
        assert_string_equal(text, RFC4648[i].hex);
        T_OK(clave_b64_decode(CLAVE_B64_STD, RFC4648[i].std, strlen(RFC4648[i].std), bytes,
                              sizeof(bytes), &n));
        assert_int_equal(n, len);
        assert_memory_equal(bytes, plain, len);
        T_OK(clave_b64_decode(CLAVE_B64URL, RFC4648[i].url, strlen(RFC4648[i].url), bytes,
                              sizeof(bytes), &n));
        assert_int_equal(n, len);
        assert_memory_equal(bytes, plain, len);
        T_OK(clave_hex_decode(RFC4648[i].hex, strlen(RFC4648[i].hex), bytes, sizeof(bytes), &n));
        assert_int_equal(n, len);
        assert_memory_equal(bytes, plain, len);
    }
}

static void test_all_byte_values_round_trip(void **state)
{
    (void)state;
    uint8_t all[256];
    for (size_t i = 0; i < sizeof(all); i++) {
        all[i] = (uint8_t)(255 - i);
    }
    const enum clave_b64_variant variants[] = {CLAVE_B64URL, CLAVE_B64_STD};
    for (size_t v = 0; v < 2; v++) {
        for (size_t len = 0; len <= sizeof(all); len += 1) {
            char *text = NULL;
            uint8_t *back = NULL;
            size_t n = 0;
            T_OK(clave_b64_encode_alloc(variants[v], all, len, &text));
            assert_int_equal(strlen(text), clave_b64_len(variants[v], len));
            T_OK(clave_b64_decode_alloc(variants[v], text, strlen(text), &back, &n));
            assert_int_equal(n, len);
            if (len > 0) {
                assert_memory_equal(back, all, len);
            }
            free(text);
            free(back);
        }
    }
    char hex[513];
    uint8_t back[256];
    size_t n = 0;
    T_OK(clave_hex_encode(all, sizeof(all), hex, sizeof(hex)));
    T_OK(clave_hex_decode(hex, 512, back, sizeof(back), &n));
    assert_memory_equal(back, all, sizeof(all));
    T_OK(clave_hex_decode("ABCDEF", 6, back, sizeof(back), &n));
    assert_memory_equal(back, "\xab\xcd\xef", 3);
}

static void test_hostile_inputs(void **state)
{
    (void)state;
    uint8_t out[16];
    size_t n = 99;
    const char *bad_url[] = {"Zg=", "Zm9v+", "Zm9v/", "Z",      "Zm9vY",
                             "Zh",  "Zm9=",  " Zm9v", "Zm9v\n", "Zm\x80v"};
    for (size_t i = 0; i < sizeof(bad_url) / sizeof(bad_url[0]); i++) {
        clave_status st =
            clave_b64_decode(CLAVE_B64URL, bad_url[i], strlen(bad_url[i]), out, sizeof(out), &n);
        assert_int_equal(st, CLAVE_ERR_ENCODING);
        assert_int_equal(n, 0);
    }
    const char *bad_std[] = {"Zg", "Zg=", "Zg===", "Z===", "Zm9v-___", "Zh==", "Zm8=Zm8=", "=Zm8"};
    for (size_t i = 0; i < sizeof(bad_std) / sizeof(bad_std[0]); i++) {
        clave_status st =
            clave_b64_decode(CLAVE_B64_STD, bad_std[i], strlen(bad_std[i]), out, sizeof(out), &n);
        if (st != CLAVE_ERR_ENCODING) {
            fail_msg("'%s' -> %s", bad_std[i], clave_status_str(st));
        }
    }
    T_ERR(clave_hex_decode("abc", 3, out, sizeof(out), &n), CLAVE_ERR_ENCODING);
    T_ERR(clave_hex_decode("zz", 2, out, sizeof(out), &n), CLAVE_ERR_ENCODING);
    T_ERR(clave_hex_decode("0g", 2, out, sizeof(out), &n), CLAVE_ERR_ENCODING);
    T_ERR(clave_hex_decode("00112233", 8, out, 3, &n), CLAVE_ERR_TOO_LARGE);
    T_ERR(clave_b64_decode(CLAVE_B64URL, "Zm9vYmFy", 8, out, 5, &n), CLAVE_ERR_TOO_LARGE);
    char small[4];
    T_ERR(clave_hex_encode((const uint8_t *)"ab", 2, small, sizeof(small)), CLAVE_ERR_ARG);
    T_ERR(clave_b64_encode(CLAVE_B64URL, (const uint8_t *)"abc", 3, small, sizeof(small), &n),
          CLAVE_ERR_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc4648_vectors),
        cmocka_unit_test(test_all_byte_values_round_trip),
        cmocka_unit_test(test_hostile_inputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
