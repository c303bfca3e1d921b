/* SPDX-License-Identifier: Apache-2.0 */
#include "testlib.h"

#include <stdlib.h>
#include <string.h>

static json_t *parse(const char *text)
{
    json_t *doc = NULL;
    T_OK(clave_json_parse(text, strlen(text), NULL, "doc", &doc));
    return doc;
}

static void test_typed_getters(void **state)
{
    (void)state;
    json_t *doc = parse("{\"name\":\"alice\",\"n\":42,\"ok\":true,\"obj\":{},\"list\":[1,2],"
                        "\"b\":\"AQID\",\"h\":\"0a0b\",\"nul\":null}");
    const char *s = NULL;
    int64_t n = 0;
    bool b = false;
    json_t *v = NULL;
    uint8_t *bytes = NULL;
    size_t len = 0;
    uint8_t hex[2];
    T_OK(clave_json_get_string(doc, "doc", "name", true, 16, &s));
    assert_string_equal(s, "alice");
    T_OK(clave_json_get_int(doc, "doc", "n", true, 0, 100, &n));
    assert_int_equal(n, 42);
    T_OK(clave_json_get_bool(doc, "doc", "ok", true, &b));
    assert_true(b);
    T_OK(clave_json_get_object(doc, "doc", "obj", true, &v));
    assert_non_null(v);
    T_OK(clave_json_get_array(doc, "doc", "list", true, 2, &v));
    assert_int_equal(json_array_size(v), 2);
    T_OK(clave_json_get_b64url(doc, "doc", "b", true, 3, &bytes, &len));
    assert_int_equal(len, 3);
    assert_memory_equal(bytes, "\x01\x02\x03", 3);
    free(bytes);
    T_OK(clave_json_get_hex(doc, "doc", "h", hex, 2));
    assert_memory_equal(hex, "\x0a\x0b", 2);
    /* Optional fields: absent and null both give neutral values. */
    T_OK(clave_json_get_string(doc, "doc", "missing", false, 16, &s));
    assert_null(s);
    T_OK(clave_json_get_int(doc, "doc", "nul", false, 0, 1, &n));
    assert_int_equal(n, 0);
    json_decref(doc);
}

static void test_errors_name_the_field(void **state)
{
    (void)state;
    json_t *doc = parse("{\"contract\":{\"parties\":[{},{},{\"key\":5}]}}");
    json_t *contract = NULL;
    json_t *parties = NULL;
    char where[CLAVE_JSON_PATH_MAX];
    const char *s = NULL;
    T_OK(clave_json_get_object(doc, "doc", "contract", true, &contract));
    T_OK(clave_json_get_array(contract, "contract", "parties", true, 8, &parties));
    clave_json_path_index(where, sizeof(where), "contract.parties", 2);
    T_ERR(clave_json_get_string(json_array_get(parties, 2), where, "key", true, 64, &s),
          CLAVE_ERR_JSON);
    assert_string_equal(clave_error_last().detail, "contract.parties[2].key: expected string");
    clave_json_path_index(where, sizeof(where), "contract.parties", 0);
    T_ERR(clave_json_get_string(json_array_get(parties, 0), where, "key", true, 64, &s),
          CLAVE_ERR_JSON);
    assert_string_equal(clave_error_last().detail, "contract.parties[0].key: missing");
    T_ERR(clave_json_get_array(contract, "contract", "parties", true, 2, &parties),
          CLAVE_ERR_TOO_LARGE);
    json_decref(doc);
}

static void test_ranges_and_types(void **state)
{
    (void)state;
    json_t *doc = parse("{\"n\":-1,\"f\":1.5,\"s\":\"toolong\",\"h\":\"0g\"}");
    int64_t n = 0;
    const char *s = NULL;
    uint8_t h[1];
    T_ERR(clave_json_get_int(doc, "d", "n", true, 0, 10, &n), CLAVE_ERR_JSON);
    T_ERR(clave_json_get_int(doc, "d", "f", true, 0, 10, &n), CLAVE_ERR_JSON);
    T_ERR(clave_json_get_string(doc, "d", "s", true, 3, &s), CLAVE_ERR_TOO_LARGE);
    json_t *nul = NULL;
    const char *with_nul = "{\"z\":\"a\\u0000b\"}";
    T_ERR(clave_json_parse(with_nul, strlen(with_nul), NULL, "d", &nul), CLAVE_ERR_JSON);
    T_ERR(clave_json_get_hex(doc, "d", "h", h, 1), CLAVE_ERR_ENCODING);
    T_ERR(clave_json_get_hex(doc, "d", "s", h, 1), CLAVE_ERR_TOO_LARGE);
    const char *const allowed[] = {"n", "f", NULL};
    T_ERR(clave_json_only_keys(doc, "d", allowed), CLAVE_ERR_JSON);
    json_decref(doc);
}

static void test_parse_limits(void **state)
{
    (void)state;
    json_t *doc = NULL;
    const char *dup = "{\"a\":1,\"a\":2}";
    T_ERR(clave_json_parse(dup, strlen(dup), NULL, "doc", &doc), CLAVE_ERR_JSON);
    assert_null(doc);
    T_ERR(clave_json_parse("{\"a\":", 5, NULL, "doc", &doc), CLAVE_ERR_JSON);
    char deep[200];
    memset(deep, '[', 100);
    memset(deep + 100, ']', 100);
    T_ERR(clave_json_parse(deep, sizeof(deep), NULL, "doc", &doc), CLAVE_ERR_TOO_LARGE);
    struct clave_json_limits lim = {8, 4};
    T_ERR(clave_json_parse("[1,2,3,4,5]", 11, &lim, "doc", &doc), CLAVE_ERR_TOO_LARGE);
    /* Brackets inside strings do not count toward depth. */
    lim.max_bytes = 100;
    T_OK(clave_json_parse("[\"[[[[[[\\\"[[[[\"]", 16, &lim, "doc", &doc));
    json_decref(doc);
    /* Input need not be NUL-terminated, and must not be read past its length. */
    const char text[] = {'[', '1', ']', 'x'};
    T_OK(clave_json_parse(text, 3, NULL, "doc", &doc));
    json_decref(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_typed_getters),
        cmocka_unit_test(test_errors_name_the_field),
        cmocka_unit_test(test_ranges_and_types),
        cmocka_unit_test(test_parse_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
