/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/paillier: Paillier operations next to the raw GMP limits they are made of, measured in
 * the same run. One JSON line per figure on stdout: {"op", "bits", "threads", "per_s",
 * "limit_per_s", "ratio"} (ratio = per_s / limit_per_s; the goal is >= 0.85).
 *
 * Limits (raw GMP on operands of the same sizes):
 *   encrypt     mpz_powm_sec(h, r, n^2) with |r| = r_bits (the short DJN exponent)
 *   decrypt     two mpz_powm_sec(c, p - 1, p^2) (one per CRT half)
 *   add         one mpz_mul + mpz_tdiv_r modulo n^2
 *   scalar_mul  mpz_powm(c, k, n^2) with a 63-bit k
 *   packed_sum  one mulmod per packed ciphertext and party
 * With 2 threads the limit is twice the single-core limit.
 *
 *   usage: bench_paillier [--quick]
 */
#include <clave/clave.h>
#include <gmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void die(const char *what, clave_status st)
{
    fprintf(stderr, "bench_paillier: %s: %s (%s)\n", what, clave_status_str(st),
            clave_error_last().detail);
    exit(1);
}

#define CHECK(call)                                                                                \
    do {                                                                                           \
        clave_status st_ = (call);                                                                 \
        if (st_ != CLAVE_OK) {                                                                     \
            die(#call, st_);                                                                       \
        }                                                                                          \
    } while (0)

static void report(const char *op, unsigned bits, unsigned threads, double per_s, double limit)
{
    printf("{\"op\":\"%s\",\"bits\":%u,\"threads\":%u,\"per_s\":%.1f,\"limit_per_s\":%.1f,"
           "\"ratio\":%.3f}\n",
           op, bits, threads, per_s, limit, limit > 0 ? per_s / limit : 0.0);
    fflush(stdout);
}

/* A random odd number of exactly `bits` bits from the CSPRNG (limits depend on sizes only). */
static void random_odd(mpz_t out, unsigned bits)
{
    uint8_t buf[1024];
    size_t len = (bits + 7) / 8;
    CHECK(clave_random(buf, len));
    mpz_import(out, len, 1, 1, 1, 0, buf);
    mpz_setbit(out, bits - 1);
    mpz_setbit(out, 0);
}

struct limits {
    double powm_sec_r;  /* per second */
    double crt_decrypt; /* two half-size powm_sec per decryption */
    double mulmod;
    double powm_scalar;
};

static struct limits measure_limits(unsigned bits, unsigned r_bits, double seconds)
{
    struct limits l;
    mpz_t n, n2, p, p2, pm1, base, e, out, t;
    mpz_inits(n, n2, p, p2, pm1, base, e, out, t, NULL);
    random_odd(n, bits);
    mpz_mul(n2, n, n);
    random_odd(p, bits / 2);
    mpz_nextprime(p, p);
    mpz_mul(p2, p, p);
    mpz_sub_ui(pm1, p, 1);
    random_odd(base, 2 * bits - 1);
    random_odd(e, r_bits);
    size_t iters = 0;
    double t0 = now();
    for (iters = 0; now() - t0 < seconds; iters++) {
        mpz_powm_sec(out, base, e, n2);
    }
    l.powm_sec_r = (double)iters / (now() - t0);
    mpz_mod(t, base, p2);
    t0 = now();
    for (iters = 0; now() - t0 < seconds; iters++) {
        mpz_powm_sec(out, t, pm1, p2);
        mpz_powm_sec(out, t, pm1, p2);
    }
    l.crt_decrypt = (double)iters / (now() - t0);
    t0 = now();
    mpz_set(out, base);
    for (iters = 0; now() - t0 < seconds; iters += 1000) {
        for (int i = 0; i < 1000; i++) {
            mpz_mul(t, out, base);
            mpz_tdiv_r(out, t, n2);
        }
    }
    l.mulmod = (double)iters / (now() - t0);
    random_odd(e, 63);
    t0 = now();
    for (iters = 0; now() - t0 < seconds; iters++) {
        mpz_powm(out, base, e, n2);
    }
    l.powm_scalar = (double)iters / (now() - t0);
    mpz_clears(n, n2, p, p2, pm1, base, e, out, t, NULL);
    return l;
}

/* Rate of batch encryption/decryption of `count` values on `threads` threads. */
static void bench_crypt(const struct clave_he_key *key, unsigned threads, size_t count,
                        const struct limits *l)
{
    struct clave_he_pool *pool = NULL;
    struct clave_he_ctx *ctx = NULL;
    struct clave_he_vec *vec = NULL;
    unsigned bits = clave_he_pub_bits(clave_he_key_pub(key));
    int64_t *values = calloc(count, sizeof(int64_t));
    int64_t *out = calloc(count, sizeof(int64_t));
    for (size_t i = 0; i < count; i++) {
        values[i] = (int64_t)i * 7919 - 100000;
    }
    CHECK(clave_he_pool_new(threads, &pool));
    CHECK(clave_he_ctx_new(clave_he_key_pub(key), 1, &ctx));
    clave_he_ctx_set_pool(ctx, pool);
    CHECK(clave_he_encrypt_i64(ctx, values, 1, &vec)); /* builds the fixed-base table */
    clave_he_vec_free(vec);
    double t0 = now();
    CHECK(clave_he_encrypt_i64(ctx, values, count, &vec));
    report("encrypt", bits, threads, (double)count / (now() - t0), l->powm_sec_r * threads);
    t0 = now();
    CHECK(clave_he_decrypt_i64(key, pool, vec, out, count));
    report("decrypt", bits, threads, (double)count / (now() - t0), l->crt_decrypt * threads);
    if (memcmp(values, out, count * sizeof(int64_t)) != 0) { // lint:public
        die("decrypt mismatch", CLAVE_ERR_INTERNAL);
    }
    clave_he_vec_free(vec);
    clave_he_ctx_free(ctx);
    clave_he_pool_free(pool);
    free(values);
    free(out);
}

/* add/s and scalar-mul/s on single ciphertexts (one core: these are the per-operation costs). */
static void bench_ops(const struct clave_he_key *key, size_t adds, size_t muls,
                      const struct limits *l)
{
    struct clave_he_ctx *ctx = NULL;
    struct clave_he_vec *acc = NULL, *b = NULL, *r = NULL;
    unsigned bits = clave_he_pub_bits(clave_he_key_pub(key));
    const int64_t one = 1;
    CHECK(clave_he_ctx_new(clave_he_key_pub(key), 1, &ctx));
    CHECK(clave_he_encrypt_i64(ctx, &one, 1, &acc));
    CHECK(clave_he_encrypt_i64(ctx, &one, 1, &b));
    double t0 = now();
    for (size_t i = 0; i < adds; i++) {
        CHECK(clave_he_add_into(ctx, acc, b));
    }
    report("add", bits, 1, (double)adds / (now() - t0), l->mulmod);
    t0 = now();
    for (size_t i = 0; i < muls; i++) {
        CHECK(clave_he_mul_scalar(ctx, b, INT64_MAX - (int64_t)i, &r));
        clave_he_vec_free(r);
    }
    report("scalar_mul", bits, 1, (double)muls / (now() - t0), l->powm_scalar);
    clave_he_vec_free(acc);
    clave_he_vec_free(b);
    clave_he_ctx_free(ctx);
}

/* 10 parties each encrypt `count` 32-bit values packed; the aggregator sums; the key holder
 * decrypts. The sum is compared with the plaintext sum. */
static void bench_packed(const struct clave_he_key *key, size_t count, unsigned parties,
                         const struct limits *l)
{
    struct clave_he_pool *pool = NULL;
    struct clave_he_ctx *ctx = NULL;
    struct clave_he_pack_plan plan;
    struct clave_he_vec *acc = NULL;
    struct clave_he_vec **v = calloc(parties, sizeof(*v));
    const struct clave_he_pub *pub = clave_he_key_pub(key);
    int64_t *values = calloc(count, sizeof(int64_t));
    int64_t *out = calloc(count, sizeof(int64_t));
    CHECK(clave_he_pool_new(2, &pool));
    CHECK(clave_he_ctx_new(pub, 1, &ctx));
    clave_he_ctx_set_pool(ctx, pool);
    CHECK(clave_he_pack_plan(pub, 32, parties, &plan));
    double t0 = now();
    for (unsigned p = 0; p < parties; p++) {
        for (size_t i = 0; i < count; i++) {
            values[i] = (int64_t)((i * 2654435761u + p) % 4294967296u) - 2147483648;
        }
        CHECK(clave_he_encrypt_packed(ctx, &plan, values, count, &v[p]));
    }
    double enc = now() - t0;
    size_t cts = clave_he_vec_ciphertexts(v[0]);
    t0 = now();
    acc = v[0];
    for (unsigned p = 1; p < parties; p++) {
        CHECK(clave_he_add_into(ctx, acc, v[p]));
    }
    double sum = now() - t0;
    t0 = now();
    CHECK(clave_he_decrypt_i64(key, pool, acc, out, count));
    double dec = now() - t0;
    printf("{\"op\":\"packed_vector_sum\",\"bits\":%u,\"threads\":2,\"values\":%zu,\"parties\":%u,"
           "\"slots\":%u,\"ciphertexts_per_party\":%zu,\"encrypt_s\":%.2f,\"sum_s\":%.4f,"
           "\"decrypt_s\":%.3f}\n",
           clave_he_pub_bits(pub), count, parties, plan.slots, cts, enc, sum, dec);
    report("packed_sum", clave_he_pub_bits(pub), 2, (double)(cts * (parties - 1)) / sum,
           l->mulmod * 2);
    for (unsigned p = 0; p < parties; p++) {
        clave_he_vec_free(v[p]);
    }
    free(v);
    free(values);
    free(out);
    clave_he_ctx_free(ctx);
    clave_he_pool_free(pool);
}

int main(int argc, char **argv)
{
    bool quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
    const unsigned sizes[] = {2048, 3072};
    double limit_s = quick ? 0.2 : 1.0;
    for (size_t s = 0; s < 2; s++) {
        struct clave_he_key *key = NULL;
        unsigned bits = sizes[s];
        int gens = quick ? 1 : (bits == 2048 ? 4 : 2);
        double t0 = now();
        for (int i = 0; i < gens; i++) {
            clave_he_key_free(key);
            key = NULL;
            CHECK(clave_he_keygen(bits, 0, &key));
        }
        printf("{\"op\":\"keygen\",\"bits\":%u,\"threads\":1,\"seconds\":%.3f}\n", bits,
               (now() - t0) / gens);
        struct limits l = measure_limits(bits, clave_he_pub_r_bits(clave_he_key_pub(key)), limit_s);
        size_t n = quick ? 64 : (bits == 2048 ? 1000 : 300);
        bench_crypt(key, 1, n, &l);
        bench_crypt(key, 2, n, &l);
        bench_ops(key, quick ? 20000 : 100000, quick ? 200 : 2000, &l);
        if (bits == 2048) {
            bench_packed(key, quick ? 2000 : 100000, 10, &l);
        }
        clave_he_key_free(key);
    }
    return 0;
}
