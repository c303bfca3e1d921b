/* SPDX-License-Identifier: Apache-2.0 */
#include "testlib.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* A vector file under tests/vectors/jose/ as a JSON document. Caller decrefs. */
static json_t *load_vector(const char *name)
{
    char rel[128];
    size_t len = 0;
    (void)snprintf(rel, sizeof(rel), "jose/%s", name);
    uint8_t *text = t_read_file(t_test_vector(rel), &len);
    json_error_t err;
    json_t *doc = json_loadb((const char *)text, len, 0, &err);
    free(text);
    assert_non_null(doc);
    return doc;
}

/* Parse the JWK member `name` of `doc`. */
static clave_status parse_member(const json_t *doc, const char *name, struct clave_jwk **key)
{
    char *text = json_dumps(json_object_get(doc, name), JSON_COMPACT);
    assert_non_null(text);
    clave_status st = clave_jwk_parse(text, strlen(text), key);
    free(text);
    return st;
}

static clave_status parse_str(const char *text, struct clave_jwk **key)
{
    return clave_jwk_parse(text, strlen(text), key);
}

static void assert_thumbprint(const struct clave_jwk *key, const char *expect)
{
    uint8_t digest[32];
    char b64[64];
    size_t n = 0;
    T_OK(clave_jwk_thumbprint(key, digest));
    T_OK(clave_b64_encode(CLAVE_B64URL, digest, sizeof(digest), b64, sizeof(b64), &n));
    assert_string_equal(b64, expect);
}

static void test_rfc7638_thumbprint(void **state)
{
    (void)state;
    json_t *v = load_vector("rfc7638_3_1.json");
    struct clave_jwk *key = NULL;
    T_OK(parse_member(v, "jwk", &key));
    assert_int_equal(clave_jwk_type(key), CLAVE_JWK_RSA);
    assert_false(clave_jwk_has_private(key));
    assert_string_equal(clave_jwk_kid(key), "2011-04-29");
    assert_thumbprint(key, json_string_value(json_object_get(v, "thumbprint")));
    clave_jwk_free(key);
    json_decref(v);
}

static void test_rfc8037_ed25519(void **state)
{
    (void)state;
    json_t *v = load_vector("rfc8037_appendix_a.json");
    json_t *ed = json_object_get(v, "ed25519");
    struct clave_jwk *key = NULL;
    T_OK(parse_member(ed, "jwk", &key));
    assert_int_equal(clave_jwk_type(key), CLAVE_JWK_OKP_ED25519);
    assert_true(clave_jwk_has_private(key));
    assert_thumbprint(key, json_string_value(json_object_get(ed, "thumbprint")));
    char *pub = NULL;
    T_OK(clave_jwk_export_public(key, &pub));
    assert_string_equal(pub, "{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"11qYAYKxCrfVS_"
                             "7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}");
    free(pub);
    clave_jwk_free(key);
    json_decref(v);
}

static void test_rfc7518_ec_keys(void **state)
{
    (void)state;
    json_t *v = load_vector("rfc7518_appendix_c.json");
    struct clave_jwk *key = NULL;
    struct clave_secret *priv = NULL;
    T_OK(parse_member(v, "bob", &key));
    assert_int_equal(clave_jwk_type(key), CLAVE_JWK_EC_P256);
    assert_true(clave_jwk_has_private(key));
    T_OK(clave_jwk_export_private(key, &priv));
    assert_string_equal((const char *)clave_secret_cdata(priv),
                        "{\"crv\":\"P-256\",\"kty\":\"EC\","
                        "\"x\":\"weNJy2HscCSM6AEDTDg04biOvhFhyyWvOHQfeF_PxMQ\","
                        "\"y\":\"e8lnCO-AlStT-NJVX-crhB7QRYhiix03illJOVAOyck\","
                        "\"d\":\"VEmDZpDXXK8p8N0Cndsxs924q6nS1RXFASRl6BfUqdw\"}");
    clave_secret_free(priv);
    clave_jwk_free(key);
    json_decref(v);
}

/* Export private -> parse -> same text; export public -> parse -> same thumbprint. */
static void round_trip(enum clave_jwk_type type)
{
    struct clave_jwk *key = NULL, *again = NULL, *pub_key = NULL;
    struct clave_secret *priv = NULL, *priv2 = NULL;
    char *pub = NULL;
    uint8_t t1[32], t2[32];
    T_OK(clave_jwk_generate(type, &key));
    assert_int_equal(clave_jwk_type(key), type);
    assert_true(clave_jwk_has_private(key));
    T_OK(clave_jwk_set_kid(key, "key-1"));
    T_OK(clave_jwk_export_private(key, &priv));
    const char *text = (const char *)clave_secret_cdata(priv);
    T_OK(clave_jwk_parse(text, strlen(text), &again));
    assert_string_equal(clave_jwk_kid(again), "key-1");
    T_OK(clave_jwk_export_private(again, &priv2));
    assert_string_equal(text, (const char *)clave_secret_cdata(priv2));
    T_OK(clave_jwk_thumbprint(key, t1));
    if (type != CLAVE_JWK_OCT) {
        T_OK(clave_jwk_export_public(key, &pub));
        assert_null(strstr(pub, "\"d\""));
        T_OK(parse_str(pub, &pub_key));
        assert_false(clave_jwk_has_private(pub_key));
        T_OK(clave_jwk_thumbprint(pub_key, t2));
        assert_memory_equal(t1, t2, sizeof(t1));
        struct clave_secret *none = NULL;
        T_ERR(clave_jwk_export_private(pub_key, &none), CLAVE_ERR_KEY);
        assert_null(none);
    } else {
        T_ERR(clave_jwk_export_public(key, &pub), CLAVE_ERR_KEY);
        assert_null(pub);
    }
    free(pub);
    clave_secret_free(priv);
    clave_secret_free(priv2);
    clave_jwk_free(key);
    clave_jwk_free(again);
    clave_jwk_free(pub_key);
}

static void test_round_trips(void **state)
{
    (void)state;
    round_trip(CLAVE_JWK_EC_P256);
    round_trip(CLAVE_JWK_EC_P384);
    round_trip(CLAVE_JWK_OKP_X25519);
    round_trip(CLAVE_JWK_OKP_ED25519);
    round_trip(CLAVE_JWK_OCT);
    round_trip(CLAVE_JWK_RSA);
}

static void test_kid(void **state)
{
    (void)state;
    struct clave_jwk *key = NULL;
    char long_kid[258];
    memset(long_kid, 'k', sizeof(long_kid) - 1);
    long_kid[sizeof(long_kid) - 1] = '\0';
    T_OK(clave_jwk_generate(CLAVE_JWK_EC_P256, &key));
    assert_null(clave_jwk_kid(key));
    T_ERR(clave_jwk_set_kid(key, long_kid), CLAVE_ERR_TOO_LARGE);
    long_kid[256] = '\0';
    T_OK(clave_jwk_set_kid(key, long_kid));
    T_OK(clave_jwk_set_kid(key, "quote\" and \\ escaped"));
    char *pub = NULL;
    T_OK(clave_jwk_export_public(key, &pub));
    assert_non_null(strstr(pub, "\"kid\":\"quote\\\" and \\\\ escaped\""));
    struct clave_jwk *again = NULL;
    T_OK(parse_str(pub, &again));
    assert_string_equal(clave_jwk_kid(again), "quote\" and \\ escaped");
    free(pub);
    clave_jwk_free(again);
    clave_jwk_free(key);
}

#define BOB_X "weNJy2HscCSM6AEDTDg04biOvhFhyyWvOHQfeF_PxMQ"
#define BOB_Y "e8lnCO-AlStT-NJVX-crhB7QRYhiix03illJOVAOyck"
#define BOB_D "VEmDZpDXXK8p8N0Cndsxs924q6nS1RXFASRl6BfUqdw"
#define ALICE_D "0_NxaRPUMQoAJt50Gz8YiTr8gRTwyEaCumd-MToTmIo"
#define ED_X "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"

static void test_hostile(void **state)
{
    (void)state;
    static const struct {
        const char *json;
        clave_status expect;
    } CASES[] = {
        /* y changed in its last character: not on the curve */
        {"{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" BOB_X
         "\",\"y\":\"e8lnCO-AlStT-NJVX-crhB7QRYhiix03illJOVAOycg\"}",
         CLAVE_ERR_KEY},
        /* x of 31 bytes */
        {"{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"weNJy2HscCSM6AEDTDg04biOvhFhyyWvOHQfeF_PxA\","
         "\"y\":\"" BOB_Y "\"}",
         CLAVE_ERR_KEY},
        /* P-256 coordinates labelled P-384 */
        {"{\"kty\":\"EC\",\"crv\":\"P-384\",\"x\":\"" BOB_X "\",\"y\":\"" BOB_Y "\"}",
         CLAVE_ERR_KEY},
        /* d of another key: the pairwise check fails */
        {"{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" BOB_X "\",\"y\":\"" BOB_Y
         "\",\"d\":\"" ALICE_D "\"}",
         CLAVE_ERR_KEY},
        {"{\"kty\":\"EC\",\"crv\":\"P-521\",\"x\":\"" BOB_X "\",\"y\":\"" BOB_Y "\"}",
         CLAVE_ERR_UNSUPPORTED},
        {"{\"kty\":\"EC\",\"x\":\"" BOB_X "\",\"y\":\"" BOB_Y "\"}", CLAVE_ERR_UNSUPPORTED},
        {"{\"kty\":\"OKP\",\"crv\":\"X448\",\"x\":\"" ED_X "\"}", CLAVE_ERR_UNSUPPORTED},
        /* Ed25519 d that does not match x */
        {"{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" ED_X "\",\"d\":\"" BOB_D "\"}",
         CLAVE_ERR_KEY},
        /* RSA-1024 */
        {"{\"kty\":\"RSA\",\"e\":\"AQAB\",\"n\":\"" BOB_X BOB_Y BOB_X "A\"}", CLAVE_ERR_KEY},
        {"{\"kty\":\"RSA\",\"e\":\"AQAB\"}", CLAVE_ERR_JSON},
        {"{\"kty\":\"oct\",\"k\":\"\"}", CLAVE_ERR_KEY},
        {"{\"kty\":\"oct\",\"k\":\"AAE=\"}", CLAVE_ERR_ENCODING},
        {"{\"kty\":\"oct\",\"k\":\"AAF\"}", CLAVE_ERR_ENCODING},
        {"{\"kty\":\"oct\",\"k\":\"AAE\",\"k\":\"AAE\"}", CLAVE_ERR_JSON},
        {"{\"kty\":\"oct\",\"k\":17}", CLAVE_ERR_JSON},
        {"{\"kty\":7}", CLAVE_ERR_JSON},
        {"{\"k\":\"AAE\"}", CLAVE_ERR_JSON},
        {"{\"kty\":\"DSA\"}", CLAVE_ERR_UNSUPPORTED},
        {"[1]", CLAVE_ERR_JSON},
        {"", CLAVE_ERR_JSON},
    };
    for (size_t i = 0; i < sizeof(CASES) / sizeof(CASES[0]); i++) {
        struct clave_jwk *key = NULL;
        clave_status st = parse_str(CASES[i].json, &key);
        if (st != CASES[i].expect) {
            fail_msg("case %zu: %s, expected %s (%s)", i, clave_status_str(st),
                     clave_status_str(CASES[i].expect), clave_error_last().detail);
        }
        assert_null(key);
    }
}

static void test_every_truncation_fails(void **state)
{
    (void)state;
    const char *full = "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" BOB_X "\",\"y\":\"" BOB_Y
                       "\",\"d\":\"" BOB_D "\"}";
    size_t len = strlen(full);
    for (size_t n = 0; n < len; n++) {
        char *copy = malloc(n + 1);
        assert_non_null(copy);
        memcpy(copy, full, n);
        struct clave_jwk *key = NULL;
        assert_int_not_equal(clave_jwk_parse(copy, n, &key), CLAVE_OK);
        assert_null(key);
        free(copy);
    }
    struct clave_jwk *key = NULL;
    T_OK(clave_jwk_parse(full, len, &key));
    clave_jwk_free(key);
}

static void test_limits_and_args(void **state)
{
    (void)state;
    struct clave_jwk *key = NULL;
    size_t big = 40000;
    char *text = malloc(big);
    assert_non_null(text);
    memset(text, ' ', big);
    T_ERR(clave_jwk_parse(text, big, &key), CLAVE_ERR_TOO_LARGE);
    free(text);
    T_ERR(clave_jwk_parse(NULL, 0, &key), CLAVE_ERR_ARG);
    T_ERR(clave_jwk_generate((enum clave_jwk_type)99, &key), CLAVE_ERR_ARG);
    assert_null(key);
    clave_jwk_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc7638_thumbprint),
        cmocka_unit_test(test_rfc8037_ed25519),
        cmocka_unit_test(test_rfc7518_ec_keys),
        cmocka_unit_test(test_round_trips),
        cmocka_unit_test(test_kid),
        cmocka_unit_test(test_hostile),
        cmocka_unit_test(test_every_truncation_fails),
        cmocka_unit_test(test_limits_and_args),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
