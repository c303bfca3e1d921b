/* SPDX-License-Identifier: Apache-2.0 */
/* Paillier scheme: key generation, encryption modes, CRT decryption, homomorphic identities,
 * fixed-point guard bands, packing, the randomiser pool and the thread pool. */
#include "testlib.h"

#include "he/he_internal.h"

#include <clave/he.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static struct clave_he_key *g_key;

static int setup(void **state)
{
    (void)state;
    return clave_he_keygen(2048, 0, &g_key) == CLAVE_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    clave_he_key_free(g_key);
    return 0;
}

static const struct clave_he_pub *pub(void)
{
    return clave_he_key_pub(g_key);
}

/* Encrypt, decrypt, compare. */
static void roundtrip(struct clave_he_ctx *ctx, const int64_t *v, size_t n)
{
    struct clave_he_vec *vec = NULL;
    int64_t *out = calloc(n, sizeof(int64_t));
    assert_non_null(out);
    T_OK(clave_he_encrypt_i64(ctx, v, n, &vec));
    T_OK(clave_he_decrypt_i64(g_key, NULL, vec, out, n));
    assert_memory_equal(v, out, n * sizeof(int64_t));
    clave_he_vec_free(vec);
    free(out);
}

static void test_keygen_properties(void **state)
{
    (void)state;
    const struct clave_he_pub *p = pub();
    assert_int_equal(clave_he_pub_bits(p), 2048);
    assert_int_equal(clave_he_pub_r_bits(p), 1024);
    assert_int_equal(mpz_sizeinbase(p->n, 2), 2048);
    assert_int_equal(mpz_sizeinbase(g_key->p, 2), 1024);
    assert_int_equal(mpz_sizeinbase(g_key->q, 2), 1024);
    mpz_t t;
    mpz_init(t);
    mpz_mul(t, g_key->p, g_key->q);
    assert_int_equal(mpz_cmp(t, p->n), 0);
    mpz_sub(t, g_key->p, g_key->q);
    mpz_abs(t, t);
    assert_true(mpz_sizeinbase(t, 2) > 1024 - 100);
    mpz_clear(t);
    T_ERR(clave_he_keygen(1024, 0, &(struct clave_he_key *){NULL}), CLAVE_ERR_ARG);
    T_ERR(clave_he_keygen(2048, 100, &(struct clave_he_key *){NULL}), CLAVE_ERR_ARG);
    T_ERR(clave_he_keygen(2048, 4096, &(struct clave_he_key *){NULL}), CLAVE_ERR_ARG);
}

static void test_edges_both_modes_and_methods(void **state)
{
    (void)state;
    struct clave_he_ctx *ctx = NULL;
    const int64_t edges[] = {
        0,         1, -1, 2, -2, INT64_MAX, INT64_MIN, INT64_MAX - 1, INT64_MIN + 1, 1234567890123,
        -987654321};
    T_OK(clave_he_ctx_new(pub(), 1, &ctx));
    roundtrip(ctx, edges, sizeof(edges) / sizeof(edges[0]));
    ctx->method = HE_DJN_POWM_SEC;
    roundtrip(ctx, edges, sizeof(edges) / sizeof(edges[0]));
    T_OK(clave_he_ctx_set_mode(ctx, CLAVE_HE_MODE_TEXTBOOK));
    roundtrip(ctx, edges, sizeof(edges) / sizeof(edges[0]));
    T_ERR(clave_he_ctx_set_mode(ctx, (enum clave_he_mode)9), CLAVE_ERR_ARG);
    clave_he_ctx_free(ctx);
}

static void test_table_matches_powm(void **state)
{
    (void)state;
    mpz_t r, a, b;
    mpz_inits(r, a, b, NULL);
    for (int i = 0; i < 8; i++) {
        T_OK(clave__he_random_bits(r, pub()->r_bits));
        if (i == 0) {
            mpz_set_ui(r, 1);
        } else if (i == 1) {
            mpz_setbit(r, pub()->r_bits - 1); /* top digit */
        }
        T_OK(clave__he_table_pow(pub(), r, a));
        mpz_powm(b, pub()->hs, r, pub()->n2);
        assert_int_equal(mpz_cmp(a, b), 0);
    }
    mpz_clears(r, a, b, NULL);
}

static void test_random_values(void **state)
{
    (void)state;
    struct clave_he_ctx *ctx = NULL;
    int64_t v[64];
    T_OK(clave_random((uint8_t *)v, sizeof(v)));
    T_OK(clave_he_ctx_new(pub(), 1, &ctx));
    roundtrip(ctx, v, 64);
    clave_he_ctx_free(ctx);
}

/* Raw plaintexts at the n/3 boundaries: the guard band refuses exactly the middle third. */
static void test_guard_band_boundaries(void **state)
{
    (void)state;
    struct clave_he_ctx *ctx = NULL;
    const struct clave_he_pub *p = pub();
    mpz_t m, c, d;
    int64_t out = 0;
    mpz_inits(m, c, d, NULL);
    T_OK(clave_he_ctx_new(p, 1, &ctx));
    struct {
        int delta_from; /* 0: third, 1: two_third */
        long delta;
        clave_status expect;
    } cases[] = {{0, -1, CLAVE_ERR_LIMIT}, /* third - 1 is positive but does not fit 64 bits */
                 {0, 0, CLAVE_ERR_LIMIT},
                 {0, 1, CLAVE_ERR_LIMIT},
                 {1, 0, CLAVE_ERR_LIMIT},
                 {1, 1, CLAVE_ERR_LIMIT}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        mpz_set(m, cases[i].delta_from == 0 ? p->third : p->two_third);
        if (cases[i].delta >= 0) {
            mpz_add_ui(m, m, (unsigned long)cases[i].delta);
        } else {
            mpz_sub_ui(m, m, 1);
        }
        T_OK(clave__he_encrypt_raw(ctx, m, c));
        T_OK(clave__he_decrypt_raw(g_key, c, d));
        assert_int_equal(mpz_cmp(m, d), 0);
        T_ERR(clave__he_decode_i64(p, d, &out), cases[i].expect);
    }
    /* Inside the bands: n - 1 is -1, and the detail names the overflow. */
    mpz_sub_ui(m, p->n, 1);
    T_OK(clave__he_decode_i64(p, m, &out));
    assert_int_equal(out, -1);
    mpz_set(m, p->third);
    T_ERR(clave__he_decode_i64(p, m, &out), CLAVE_ERR_LIMIT);
    assert_non_null(strstr(clave_error_last().detail, "guard band"));
    mpz_clears(m, c, d, NULL);
    clave_he_ctx_free(ctx);
}

static void test_homomorphic_identities(void **state)
{
    (void)state;
    struct clave_he_ctx *ctx = NULL;
    struct clave_he_vec *a = NULL, *b = NULL, *r = NULL;
    const int64_t va[] = {5, -7, 0, 1000000, -1, INT64_MAX / 4};
    const int64_t vb[] = {3, 7, -9, -2000000, -1, 3};
    const size_t n = 6;
    int64_t out[6];
    T_OK(clave_he_ctx_new(pub(), 1, &ctx));
    T_OK(clave_he_encrypt_i64(ctx, va, n, &a));
    T_OK(clave_he_encrypt_i64(ctx, vb, n, &b));
    T_OK(clave_he_add(ctx, a, b, &r));
    T_OK(clave_he_decrypt_i64(g_key, NULL, r, out, n));
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(out[i], va[i] + vb[i]);
    }
    assert_int_equal(clave_he_vec_weight(r), 2);
    clave_he_vec_free(r);
    T_OK(clave_he_sub(ctx, a, b, &r));
    T_OK(clave_he_decrypt_i64(g_key, NULL, r, out, n));
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(out[i], va[i] - vb[i]);
    }
    clave_he_vec_free(r);
    T_OK(clave_he_negate(ctx, a, &r));
    T_OK(clave_he_decrypt_i64(g_key, NULL, r, out, n));
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(out[i], -va[i]);
    }
    clave_he_vec_free(r);
    const int64_t ks[] = {0, 1, -1, 3, -4, 1 << 20};
    for (size_t j = 0; j < sizeof(ks) / sizeof(ks[0]); j++) {
        T_OK(clave_he_mul_scalar(ctx, b, ks[j], &r));
        T_OK(clave_he_decrypt_i64(g_key, NULL, r, out, n));
        for (size_t i = 0; i < n; i++) {
            assert_int_equal(out[i], vb[i] * ks[j]);
        }
        clave_he_vec_free(r);
    }
    /* Re-randomisation changes every ciphertext and keeps every value. */
    mpz_t before;
    mpz_init_set(before, a->c[0]);
    T_OK(clave_he_rerandomize(ctx, a));
    assert_int_not_equal(mpz_cmp(before, a->c[0]), 0);
    T_OK(clave_he_decrypt_i64(g_key, NULL, a, out, n));
    assert_memory_equal(out, va, sizeof(va));
    mpz_clear(before);
    /* Two encryptions of the same value differ. */
    T_OK(clave_he_encrypt_i64(ctx, va, n, &r));
    assert_int_not_equal(mpz_cmp(r->c[0], a->c[0]), 0);
    clave_he_vec_free(r);
    clave_he_vec_free(a);
    clave_he_vec_free(b);
    clave_he_ctx_free(ctx);
}

static void test_sum_overflow_detected(void **state)
{
    (void)state;
    struct clave_he_ctx *ctx = NULL;
    struct clave_he_vec *a = NULL, *r = NULL;
    const int64_t big[] = {INT64_MAX};
    int64_t out = 0;
    T_OK(clave_he_ctx_new(pub(), 1, &ctx));
    T_OK(clave_he_encrypt_i64(ctx, big, 1, &a));
    T_OK(clave_he_add(ctx, a, a, &r));
    T_ERR(clave_he_decrypt_i64(g_key, NULL, r, &out, 1), CLAVE_ERR_LIMIT);
    assert_int_equal(out, 0);
    clave_he_vec_free(r);
    /* A huge scalar multiple lands in the guard band (2^62 * 2^62 * ... grows past n/3). */
    T_OK(clave_he_mul_scalar(ctx, a, INT64_MAX, &r));
    struct clave_he_vec *r2 = NULL;
    for (int i = 0; i < 33; i++) {
        T_OK(clave_he_mul_scalar(ctx, r, INT64_MAX, &r2));
        clave_he_vec_free(r);
        r = r2;
    }
    T_ERR(clave_he_decrypt_i64(g_key, NULL, r, &out, 1), CLAVE_ERR_LIMIT);
    clave_he_vec_free(r);
    clave_he_vec_free(a);
    clave_he_ctx_free(ctx);
}

static void test_fixed_point(void **state)
{
    (void)state;
    struct clave_he_ctx *ctx = NULL;
    struct clave_he_vec *a = NULL, *b = NULL;
    const double va[] = {3.25, -1.5, 0.0, 1e-4, -123456.789};
    double out[5];
    T_OK(clave_he_ctx_new(pub(), 1u << 16, &ctx));
    T_OK(clave_he_encrypt_f64(ctx, va, 5, &a));
    T_OK(clave_he_decrypt_f64(g_key, NULL, a, out, 5));
    for (size_t i = 0; i < 5; i++) {
        assert_true(__builtin_fabs(out[i] - va[i]) <= 0.5 / 65536.0);
    }
    T_OK(clave_he_encrypt_f64(ctx, va, 5, &b));
    T_OK(clave_he_add_into(ctx, a, b));
    T_OK(clave_he_decrypt_f64(g_key, NULL, a, out, 5));
    for (size_t i = 0; i < 5; i++) {
        assert_true(__builtin_fabs(out[i] - 2 * va[i]) <= 1.0 / 65536.0);
    }
    const double bad[] = {__builtin_nan("")};
    const double huge[] = {1e300};
    struct clave_he_vec *x = NULL;
    T_ERR(clave_he_encrypt_f64(ctx, bad, 1, &x), CLAVE_ERR_ARG);
    T_ERR(clave_he_encrypt_f64(ctx, huge, 1, &x), CLAVE_ERR_ARG);
    assert_null(x);
    /* Different scales do not mix. */
    struct clave_he_ctx *other = NULL;
    T_OK(clave_he_ctx_new(pub(), 1000, &other));
    T_OK(clave_he_encrypt_f64(other, va, 5, &x));
    T_ERR(clave_he_add_into(ctx, a, x), CLAVE_ERR_ARG);
    clave_he_vec_free(x);
    clave_he_ctx_free(other);
    T_ERR(clave_he_ctx_new(pub(), 0, &other), CLAVE_ERR_ARG);
    clave_he_vec_free(a);
    clave_he_vec_free(b);
    clave_he_ctx_free(ctx);
}

static void test_packing(void **state)
{
    (void)state;
    struct clave_he_ctx *ctx = NULL;
    struct clave_he_pack_plan plan;
    struct clave_he_vec *acc = NULL, *v = NULL;
    enum { N = 300, PARTIES = 10 };
    int64_t values[PARTIES][N];
    int64_t expect[N] = {0};
    int64_t out[N];
    T_OK(clave_he_ctx_new(pub(), 1, &ctx));
    T_OK(clave_he_pack_plan(pub(), 32, PARTIES, &plan));
    assert_int_equal(plan.slot_bits, 36);
    assert_int_equal(plan.slots, (2048 - 2) / 36);
    for (int p = 0; p < PARTIES; p++) {
        T_OK(clave_random((uint8_t *)values[p], sizeof(values[p])));
        for (int i = 0; i < N; i++) {
            values[p][i] >>= 32; /* signed 32-bit */
        }
        /* Max and min slot values. */
        values[p][0] = INT32_MAX;
        values[p][1] = INT32_MIN;
        values[p][2] = 0;
        for (int i = 0; i < N; i++) {
            expect[i] += values[p][i];
        }
        T_OK(clave_he_encrypt_packed(ctx, &plan, values[p], N, &v));
        assert_int_equal(clave_he_vec_ciphertexts(v), (N + plan.slots - 1) / plan.slots);
        if (acc == NULL) {
            acc = v;
        } else {
            T_OK(clave_he_add_into(ctx, acc, v));
            clave_he_vec_free(v);
        }
        v = NULL;
    }
    T_OK(clave_he_decrypt_i64(g_key, NULL, acc, out, N));
    assert_memory_equal(out, expect, sizeof(out));
    /* An 11th addition would exceed the plan: refused, accumulator untouched. */
    T_OK(clave_he_encrypt_packed(ctx, &plan, values[0], N, &v));
    T_ERR(clave_he_add_into(ctx, acc, v), CLAVE_ERR_LIMIT);
    T_OK(clave_he_decrypt_i64(g_key, NULL, acc, out, N));
    assert_memory_equal(out, expect, sizeof(out));
    /* Operations that would break the bias are refused. */
    struct clave_he_vec *r = NULL;
    T_ERR(clave_he_negate(ctx, v, &r), CLAVE_ERR_UNSUPPORTED);
    T_ERR(clave_he_mul_scalar(ctx, v, 2, &r), CLAVE_ERR_UNSUPPORTED);
    clave_he_vec_free(v);
    /* Values outside the plan and plans that could overflow are refused. */
    const int64_t too_big[] = {(int64_t)1 << 31};
    T_ERR(clave_he_encrypt_packed(ctx, &plan, too_big, 1, &v), CLAVE_ERR_LIMIT);
    struct clave_he_pack_plan bad = plan;
    bad.max_adds = 100; /* slots sized for 10 */
    T_ERR(clave_he_encrypt_packed(ctx, &bad, values[0], N, &v), CLAVE_ERR_LIMIT);
    bad = plan;
    bad.slots = plan.slots + 1;
    T_ERR(clave_he_encrypt_packed(ctx, &bad, values[0], N, &v), CLAVE_ERR_LIMIT);
    T_OK(clave_he_pack_plan(pub(), 62, UINT32_MAX, &plan));
    T_ERR(clave_he_pack_plan(pub(), 63, 2, &plan), CLAVE_ERR_ARG);
    T_ERR(clave_he_pack_plan(pub(), 32, 0, &plan), CLAVE_ERR_ARG);
    clave_he_vec_free(acc);
    clave_he_ctx_free(ctx);
}

static void test_randomizer_pool_single_use(void **state)
{
    (void)state;
    struct clave_he_ctx *ctx = NULL;
    struct clave_he_vec *a = NULL, *b = NULL;
    const int64_t v[] = {42, 42, 42, 42};
    int64_t out[4];
    T_OK(clave_he_ctx_new(pub(), 1, &ctx));
    T_OK(clave_he_ctx_precompute(ctx, 6));
    assert_int_equal(clave_he_ctx_randomizers(ctx), 6);
    T_OK(clave_he_encrypt_i64(ctx, v, 4, &a));
    assert_int_equal(clave_he_ctx_randomizers(ctx), 2);
    T_OK(clave_he_encrypt_i64(ctx, v, 4, &b)); /* 2 from the pool, 2 online */
    assert_int_equal(clave_he_ctx_randomizers(ctx), 0);
    /* Equal plaintexts, all ciphertexts distinct: no randomiser was used twice. */
    for (size_t i = 0; i < 4; i++) {
        for (size_t j = 0; j < 4; j++) {
            if (i != j) {
                assert_int_not_equal(mpz_cmp(a->c[i], a->c[j]), 0);
            }
            assert_int_not_equal(mpz_cmp(a->c[i], b->c[j]), 0);
        }
    }
    T_OK(clave_he_decrypt_i64(g_key, NULL, b, out, 4));
    assert_memory_equal(out, v, sizeof(v));
    /* A mode change drops randomisers of the other kind. */
    T_OK(clave_he_ctx_precompute(ctx, 2));
    T_OK(clave_he_ctx_set_mode(ctx, CLAVE_HE_MODE_TEXTBOOK));
    assert_int_equal(clave_he_ctx_randomizers(ctx), 0);
    clave_he_vec_free(a);
    clave_he_vec_free(b);
    clave_he_ctx_free(ctx);
}

static void test_thread_pool(void **state)
{
    (void)state;
    struct clave_he_pool *pool = NULL;
    struct clave_he_ctx *ctx = NULL;
    struct clave_he_vec *a = NULL;
    enum { N = 40 };
    int64_t v[N];
    int64_t out[N];
    for (int i = 0; i < N; i++) {
        v[i] = (int64_t)i * 1000 - 7777;
    }
    T_OK(clave_he_pool_new(2, &pool));
    T_OK(clave_he_ctx_new(pub(), 1, &ctx));
    clave_he_ctx_set_pool(ctx, pool);
    T_OK(clave_he_ctx_precompute(ctx, 10));
    T_OK(clave_he_encrypt_i64(ctx, v, N, &a));
    T_OK(clave_he_add_into(ctx, a, a));
    T_OK(clave_he_decrypt_i64(g_key, pool, a, out, N));
    for (int i = 0; i < N; i++) {
        assert_int_equal(out[i], 2 * v[i]);
    }
    /* A failing batch reports its failure on the caller's thread. */
    a->c[N - 1]->_mp_size = 0; /* c = 0: refused by decryption */
    T_ERR(clave_he_decrypt_i64(g_key, pool, a, out, N), CLAVE_ERR_FORMAT);
    assert_int_equal(out[0], 0);
    T_ERR(clave_he_pool_new(0, &(struct clave_he_pool *){NULL}), CLAVE_ERR_ARG);
    clave_he_vec_free(a);
    clave_he_ctx_free(ctx);
    clave_he_pool_free(pool);
}

static void test_wrong_key_and_args(void **state)
{
    (void)state;
    struct clave_he_key *other = NULL;
    struct clave_he_ctx *ctx = NULL;
    struct clave_he_vec *a = NULL;
    const int64_t v[] = {1};
    int64_t out[2];
    T_OK(clave_he_keygen(2048, 224, &other));
    assert_int_equal(clave_he_pub_r_bits(clave_he_key_pub(other)), 224);
    T_OK(clave_he_ctx_new(clave_he_key_pub(other), 1, &ctx));
    T_OK(clave_he_encrypt_i64(ctx, v, 1, &a));
    T_OK(clave_he_decrypt_i64(other, NULL, a, out, 1));
    assert_int_equal(out[0], 1);
    T_ERR(clave_he_decrypt_i64(g_key, NULL, a, out, 1), CLAVE_ERR_KEY);
    T_ERR(clave_he_decrypt_i64(other, NULL, a, out, 2), CLAVE_ERR_ARG);
    struct clave_he_ctx *mine = NULL;
    T_OK(clave_he_ctx_new(pub(), 1, &mine));
    T_ERR(clave_he_add_into(mine, a, a), CLAVE_ERR_KEY);
    struct clave_he_vec *x = NULL;
    T_ERR(clave_he_encrypt_i64(mine, v, 0, &x), CLAVE_ERR_ARG);
    clave_he_ctx_free(mine);
    clave_he_vec_free(a);
    clave_he_ctx_free(ctx);
    clave_he_key_free(other);
}

/* The pool really runs two chunks at the same time: each chunk waits (up to 20 s, far beyond
 * any scheduling delay) until another chunk is active. Not a timing assertion: a serial pool
 * would never reach two active chunks. */
struct overlap {
    atomic_int active;
    atomic_int max_active;
};

static clave_status overlap_range(void *arg, size_t begin, size_t end)
{
    struct overlap *o = arg;
    (void)begin;
    (void)end;
    int now_active = atomic_fetch_add(&o->active, 1) + 1;
    int seen = atomic_load(&o->max_active);
    while (now_active > seen && !atomic_compare_exchange_weak(&o->max_active, &seen, now_active)) {
    }
    const struct timespec nap = {0, 1000000};
    for (int i = 0; i < 20000 && atomic_load(&o->max_active) < 2; i++) {
        nanosleep(&nap, NULL);
    }
    atomic_fetch_sub(&o->active, 1);
    return CLAVE_OK;
}

static void test_pool_runs_in_parallel(void **state)
{
    (void)state;
    struct clave_he_pool *pool = NULL;
    struct overlap o;
    atomic_init(&o.active, 0);
    atomic_init(&o.max_active, 0);
    T_OK(clave_he_pool_new(2, &pool));
    T_OK(clave__he_pool_run(pool, overlap_range, &o, 16));
    assert_int_equal(atomic_load(&o.max_active), 2);
    clave_he_pool_free(pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keygen_properties),
        cmocka_unit_test(test_edges_both_modes_and_methods),
        cmocka_unit_test(test_table_matches_powm),
        cmocka_unit_test(test_random_values),
        cmocka_unit_test(test_guard_band_boundaries),
        cmocka_unit_test(test_homomorphic_identities),
        cmocka_unit_test(test_sum_overflow_detected),
        cmocka_unit_test(test_fixed_point),
        cmocka_unit_test(test_packing),
        cmocka_unit_test(test_randomizer_pool_single_use),
        cmocka_unit_test(test_thread_pool),
        cmocka_unit_test(test_pool_runs_in_parallel),
        cmocka_unit_test(test_wrong_key_and_args),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
