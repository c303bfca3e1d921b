/* SPDX-License-Identifier: Apache-2.0 */
/* SHA-2 known answers: FIPS 180-4 examples ("abc" and the two-block messages). */
#include "testlib.h"

#include <stdlib.h>
#include <string.h>

/* FIPS 180-4 examples: the 448-bit message (SHA-256) and the 896-bit message (SHA-384/512). */
static const char M448[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
static const char M896[] = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
                           "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";

struct digest_case {
    enum clave_hash_alg alg;
    const char *msg;
    const char *digest_hex;
};

static const struct digest_case CASES[] = {
    {CLAVE_HASH_SHA256, "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
    {CLAVE_HASH_SHA256, "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
    {CLAVE_HASH_SHA256, M448, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
    {CLAVE_HASH_SHA384, "abc",
     "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c82"
     "5"
     "a7"},
    {CLAVE_HASH_SHA384, M896,
     "09330c33f71147e83d192fc782cd1b4753111b173b3b05d22fa08086e3b0f712fcc7c71a557e2db966c3e9fa91746"
     "0"
     "39"},
    {CLAVE_HASH_SHA512, "abc",
     "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3fee"
     "b"
     "bd454d4423643ce80e2a9ac94fa54ca49f"},
    {CLAVE_HASH_SHA512, M896,
     "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018501d289e4900f7e4331b99dec4b54"
     "3"
     "3ac7d329eeb6dd26545e96e55b874be909"},
};

static void test_one_shot_known_answers(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(CASES) / sizeof(CASES[0]); i++) {
        size_t want_len = 0;
        uint8_t *want = t_hex(CASES[i].digest_hex, &want_len);
        uint8_t out[CLAVE_HASH_MAX_LEN];
        assert_int_equal(clave_hash_len(CASES[i].alg), want_len);
        T_OK(clave_hash(CASES[i].alg, (const uint8_t *)CASES[i].msg, strlen(CASES[i].msg), out,
                        sizeof(out)));
        assert_memory_equal(out, want, want_len);
        free(want);
    }
}

static void test_incremental_matches_at_every_split(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(CASES) / sizeof(CASES[0]); i++) {
        size_t want_len = 0;
        uint8_t *want = t_hex(CASES[i].digest_hex, &want_len);
        const uint8_t *msg = (const uint8_t *)CASES[i].msg;
        size_t len = strlen(CASES[i].msg);
        for (size_t split = 0; split <= len; split++) {
            struct clave_hash_ctx *ctx = NULL;
            uint8_t out[CLAVE_HASH_MAX_LEN];
            T_OK(clave_hash_new(CASES[i].alg, &ctx));
            T_OK(clave_hash_update(ctx, msg, split));
            T_OK(clave_hash_update(ctx, msg + split, len - split));
            T_OK(clave_hash_final(ctx, out, sizeof(out)));
            assert_memory_equal(out, want, want_len);
            clave_hash_free(ctx);
        }
        free(want);
    }
}

static void test_bad_arguments(void **state)
{
    (void)state;
    uint8_t out[CLAVE_HASH_MAX_LEN];
    struct clave_hash_ctx *ctx = (struct clave_hash_ctx *)out; /* must be reset to NULL */
    T_ERR(clave_hash((enum clave_hash_alg)99, (const uint8_t *)"abc", 3, out, sizeof(out)),
          CLAVE_ERR_UNSUPPORTED);
    T_ERR(clave_hash(CLAVE_HASH_SHA384, (const uint8_t *)"abc", 3, out, CLAVE_SHA384_LEN - 1),
          CLAVE_ERR_ARG);
    assert_int_equal(clave_hash_len((enum clave_hash_alg)0), 0);
    T_ERR(clave_hash_new((enum clave_hash_alg)0, &ctx), CLAVE_ERR_UNSUPPORTED);
    assert_null(ctx);
    T_OK(clave_hash_new(CLAVE_HASH_SHA512, &ctx));
    T_ERR(clave_hash_final(ctx, out, CLAVE_SHA512_LEN - 1), CLAVE_ERR_ARG);
    clave_hash_free(ctx);
    clave_hash_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_shot_known_answers),
        cmocka_unit_test(test_incremental_matches_at_every_split),
        cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
