/* SPDX-License-Identifier: Apache-2.0 */
/* Argon2id password hashes, session tokens (tamper, expiry, audience), API tokens, lockout. */
#include "testlib.h"

#include <stdlib.h>
#include <string.h>

static const struct clave_argon2_params FAST = {1, 64, 1};

static void test_password_roundtrip(void **state)
{
    (void)state;
    char h1[CLAVE_PASSWORD_HASH_MAX];
    char h2[CLAVE_PASSWORD_HASH_MAX];
    T_OK(clave_password_hash(&FAST, "correct horse", 13, h1, sizeof(h1)));
    T_OK(clave_password_hash(&FAST, "correct horse", 13, h2, sizeof(h2)));
    assert_true(strncmp(h1, "$argon2id$v=19$m=64,t=1,p=1$", 28) == 0);
    assert_string_not_equal(h1, h2); /* fresh salt each time */
    T_OK(clave_password_verify(h1, "correct horse", 13));
    T_ERR(clave_password_verify(h1, "correct horsf", 13), CLAVE_ERR_AUTH);
    T_ERR(clave_password_verify(h1, "correct hors", 12), CLAVE_ERR_AUTH);
    /* A tampered hash string fails with the same generic error. */
    char bad[CLAVE_PASSWORD_HASH_MAX];
    memcpy(bad, h1, sizeof(bad));
    bad[strlen(bad) - 2] = bad[strlen(bad) - 2] == 'A' ? 'B' : 'A';
    T_ERR(clave_password_verify(bad, "correct horse", 13), CLAVE_ERR_AUTH);
    T_ERR(clave_password_verify("$argon2i$v=19$m=64,t=1,p=1$AAAA$AAAA", "x", 1), CLAVE_ERR_AUTH);
    T_ERR(clave_password_verify("", "x", 1), CLAVE_ERR_AUTH);
}

static void test_password_args(void **state)
{
    (void)state;
    char h[CLAVE_PASSWORD_HASH_MAX];
    struct clave_argon2_params bad = {0, 64, 1};
    T_ERR(clave_password_hash(&bad, "pw", 2, h, sizeof(h)), CLAVE_ERR_ARG);
    T_ERR(clave_password_hash(&FAST, "", 0, h, sizeof(h)), CLAVE_ERR_ARG);
    T_ERR(clave_password_hash(&FAST, "pw", 2, h, 10), CLAVE_ERR_ARG);
    char *longpw = malloc(CLAVE_PASSWORD_MAX_LEN + 1);
    assert_non_null(longpw);
    memset(longpw, 'a', CLAVE_PASSWORD_MAX_LEN + 1);
    T_ERR(clave_password_hash(&FAST, longpw, CLAVE_PASSWORD_MAX_LEN + 1, h, sizeof(h)),
          CLAVE_ERR_ARG);
    free(longpw);
}

static struct clave_session_claims claims(void)
{
    struct clave_session_claims c;
    memset(&c, 0, sizeof(c));
    memcpy(c.sid, "s-123", 6);
    memcpy(c.sub, "u-alice", 8);
    memcpy(c.aud, "claved.test", 12);
    c.iat = 1700000000;
    c.exp = 1700000900;
    return c;
}

static void test_session_token(void **state)
{
    (void)state;
    struct clave_pkey *key = NULL;
    struct clave_pkey *other = NULL;
    T_OK(clave_pkey_generate(CLAVE_PKEY_ED25519, &key));
    T_OK(clave_pkey_generate(CLAVE_PKEY_ED25519, &other));
    struct clave_session_claims c = claims();
    struct clave_session_claims got;
    char *tok = NULL;
    T_OK(clave_session_token_sign(key, &c, &tok));
    size_t len = strlen(tok);
    T_OK(clave_session_token_verify(key, tok, len, "claved.test", 1700000100, &got));
    assert_string_equal(got.sid, "s-123");
    assert_string_equal(got.sub, "u-alice");
    assert_int_equal(got.exp, 1700000900);
    /* Expired, not yet valid, wrong audience, wrong key. */
    T_ERR(clave_session_token_verify(key, tok, len, "claved.test", 1700000900, &got),
          CLAVE_ERR_EXPIRED);
    T_ERR(clave_session_token_verify(key, tok, len, "claved.test", 1699990000, &got),
          CLAVE_ERR_EXPIRED);
    T_ERR(clave_session_token_verify(key, tok, len, "other", 1700000100, &got), CLAVE_ERR_AUTH);
    T_ERR(clave_session_token_verify(other, tok, len, "claved.test", 1700000100, &got),
          CLAVE_ERR_AUTH);
    assert_string_equal(got.sid, "");
    /* Truncation at every offset and a bit flip in every byte. */
    for (size_t i = 0; i < len; i++) {
        T_ERR(clave_session_token_verify(key, tok, i, "claved.test", 1700000100, &got),
              CLAVE_ERR_AUTH);
        char *t = strdup(tok);
        assert_non_null(t);
        t[i] = (char)(t[i] ^ 0x01);
        assert_int_not_equal(
            clave_session_token_verify(key, t, len, "claved.test", 1700000100, &got), CLAVE_OK);
        free(t);
    }
    free(tok);
    c.exp = c.iat;
    T_ERR(clave_session_token_sign(key, &c, &tok), CLAVE_ERR_ARG);
    clave_pkey_free(key);
    clave_pkey_free(other);
}

static void test_api_token(void **state)
{
    (void)state;
    char tok[CLAVE_API_TOKEN_LEN + 1];
    uint8_t h1[CLAVE_API_TOKEN_HASH_LEN];
    uint8_t h2[CLAVE_API_TOKEN_HASH_LEN];
    T_OK(clave_api_token_generate(tok, sizeof(tok), h1));
    assert_int_equal(strlen(tok), CLAVE_API_TOKEN_LEN);
    assert_true(strncmp(tok, "clv_", 4) == 0);
    T_OK(clave_api_token_hash(tok, strlen(tok), h2));
    assert_memory_equal(h1, h2, sizeof(h1));
    T_ERR(clave_api_token_hash(tok, strlen(tok) - 1, h2), CLAVE_ERR_AUTH);
    tok[10] = '!';
    T_ERR(clave_api_token_hash(tok, strlen(tok), h2), CLAVE_ERR_AUTH);
    tok[0] = 'x';
    T_ERR(clave_api_token_hash(tok, strlen(tok), h2), CLAVE_ERR_AUTH);
    T_ERR(clave_api_token_generate(tok, CLAVE_API_TOKEN_LEN, h1), CLAVE_ERR_ARG);
}

static void test_lockout(void **state)
{
    (void)state;
    struct clave_lockout_policy p = {3, 2, 60};
    assert_int_equal(clave_lockout_until(&p, 0, 1000), 0);
    assert_int_equal(clave_lockout_until(&p, 2, 1000), 0);
    assert_int_equal(clave_lockout_until(&p, 3, 1000), 1002);
    assert_int_equal(clave_lockout_until(&p, 4, 1000), 1004);
    assert_int_equal(clave_lockout_until(&p, 7, 1000), 1032);
    assert_int_equal(clave_lockout_until(&p, 8, 1000), 1060);
    assert_int_equal(clave_lockout_until(&p, UINT32_MAX, 1000), 1060);
    assert_int_equal(clave_lockout_until(NULL, 10, 1000), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_password_roundtrip),
        cmocka_unit_test(test_password_args),
        cmocka_unit_test(test_session_token),
        cmocka_unit_test(test_api_token),
        cmocka_unit_test(test_lockout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
