/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/paillier: Paillier operations next to the raw GMP limits they are made of, measured in
 * the same run. One JSON line per figure on stdout: {"op", "bits", "threads", "per_s",
 * "limit_per_s", "ratio", "cpu_per_wall", "ratio_cpu"} (ratio = per_s / limit_per_s; the goal
 * is >= 0.85; ratio_cpu compares operations per second of process CPU time instead, which is
 * what stays comparable when other processes take cores away between two measurements).
 *
 * Limits (raw GMP on operands of the same sizes, in as many threads as the operation):
 *   encrypt     mpz_powm_sec(h, r, n^2) with |r| = r_bits (the short DJN exponent)
 *   decrypt     two mpz_powm_sec(c mod x^2, x - 1, x^2), x = p and q (the CRT halves); the
 *               reductions, L function and recombination around them are not in the limit
 *   add         mpz_mul + mpz_tdiv_r modulo n^2, in place (what one addition is)
 *   scalar_mul  mpz_powm(c, k, n^2) with a 63-bit k
 *   packed_sum  one add per packed ciphertext and party
 * The machine is shared (other engineers compile on its 2 cores), so each figure is the best of
 * 3 short rounds, and each round measures the limit right before the operation; 2-thread
 * limits are measured with 2 threads running concurrently, not as twice the 1-thread limit.
 * cpu_per_wall (process CPU time / wall time) shows whether 2 threads really ran in parallel.
 *
 *   usage: bench_paillier [--quick]
 */
#include <clave/clave.h>
#include <gmp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ROUNDS 3
#define PACKED_PARTIES 10
#define PACKED_VALUES_PER_PARTY 10000 /* 100,000 values in all */
#define PACKED_VALUE_BITS 32

static double seconds_of(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double now(void)
{
    return seconds_of(CLOCK_MONOTONIC);
}

static double cpu_now(void)
{
    return seconds_of(CLOCK_PROCESS_CPUTIME_ID);
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

/* A measured rate and how parallel the process was while measuring it. */
struct rate {
    double per_s;
    double cpu_per_wall;
    double per_cpu_s; /* operations per second of process CPU time */
};

static void report(const char *op, unsigned bits, unsigned threads, struct rate r,
                   struct rate limit)
{
    printf("{\"op\":\"%s\",\"bits\":%u,\"threads\":%u,\"per_s\":%.1f,\"limit_per_s\":%.1f,"
           "\"ratio\":%.3f,\"cpu_per_wall\":%.2f,\"ratio_cpu\":%.3f}\n",
           op, bits, threads, r.per_s, limit.per_s, limit.per_s > 0 ? r.per_s / limit.per_s : 0.0,
           r.cpu_per_wall, limit.per_cpu_s > 0 ? r.per_cpu_s / limit.per_cpu_s : 0.0);
    fflush(stdout);
}

/* ------------------------------------------------------------------------- raw GMP limits */

/* Operands with the sizes of a key (values random: the limits depend on sizes only). */
struct operands {
    mpz_t n2, p2, pm1, q2, qm1, base, r, k;
};

enum raw_op { RAW_POWM_SEC_R, RAW_CRT, RAW_MULMOD, RAW_POWM_SCALAR };

static void random_bits(mpz_t out, unsigned bits, bool odd)
{
    uint8_t buf[1024];
    size_t len = (bits + 7) / 8;
    CHECK(clave_random(buf, len));
    mpz_import(out, len, 1, 1, 1, 0, buf);
    mpz_fdiv_r_2exp(out, out, bits);
    mpz_setbit(out, bits - 1);
    if (odd) {
        mpz_setbit(out, 0);
    }
}

static void operands_init(struct operands *o, unsigned bits, unsigned r_bits)
{
    mpz_inits(o->n2, o->p2, o->pm1, o->q2, o->qm1, o->base, o->r, o->k, NULL);
    random_bits(o->n2, 2 * bits, true);
    random_bits(o->pm1, bits / 2, false);
    mpz_nextprime(o->pm1, o->pm1);
    mpz_mul(o->p2, o->pm1, o->pm1);
    mpz_sub_ui(o->pm1, o->pm1, 1);
    random_bits(o->qm1, bits / 2, false);
    mpz_nextprime(o->qm1, o->qm1);
    mpz_mul(o->q2, o->qm1, o->qm1);
    mpz_sub_ui(o->qm1, o->qm1, 1);
    random_bits(o->base, 2 * bits - 1, true);
    random_bits(o->r, r_bits, false);
    random_bits(o->k, 63, true);
}

static void operands_clear(struct operands *o)
{
    mpz_clears(o->n2, o->p2, o->pm1, o->q2, o->qm1, o->base, o->r, o->k, NULL);
}

/* One unit of the raw operation; x is the caller's scratch (and the running value). */
static void raw_step(const struct operands *o, enum raw_op op, mpz_t x, mpz_t t)
{
    switch (op) {
    case RAW_POWM_SEC_R:
        mpz_powm_sec(x, o->base, o->r, o->n2);
        break;
    case RAW_CRT:
        mpz_tdiv_r(t, o->base, o->p2);
        mpz_powm_sec(x, t, o->pm1, o->p2);
        mpz_tdiv_r(t, o->base, o->q2);
        mpz_powm_sec(x, t, o->qm1, o->q2);
        break;
    case RAW_MULMOD:
        mpz_mul(x, x, o->base);
        mpz_tdiv_r(x, x, o->n2);
        break;
    case RAW_POWM_SCALAR:
        mpz_powm(x, o->base, o->k, o->n2);
        break;
    }
}

struct raw_job {
    const struct operands *o;
    enum raw_op op;
    double seconds;
    double per_s;
};

static void *raw_thread(void *arg)
{
    struct raw_job *job = arg;
    size_t batch = job->op == RAW_MULMOD ? 256 : 1;
    size_t units = 0;
    mpz_t x, t;
    mpz_inits(x, t, NULL);
    mpz_set(x, job->o->base);
    double t0 = now();
    double elapsed = 0;
    do {
        for (size_t i = 0; i < batch; i++) {
            raw_step(job->o, job->op, x, t);
        }
        units += batch;
        elapsed = now() - t0;
    } while (elapsed < job->seconds);
    job->per_s = (double)units / elapsed;
    mpz_clears(x, t, NULL);
    return NULL;
}

/* The raw operation on `threads` concurrent threads: the sum of their rates. */
static struct rate raw_rate(const struct operands *o, enum raw_op op, unsigned threads,
                            double seconds)
{
    struct raw_job jobs[2];
    pthread_t tid[2];
    struct rate r = {0, 0, 0};
    double w0 = now();
    double c0 = cpu_now();
    for (unsigned i = 0; i < threads; i++) {
        jobs[i] = (struct raw_job){o, op, seconds, 0};
        if (i > 0 && pthread_create(&tid[i], NULL, raw_thread, &jobs[i]) != 0) {
            die("pthread_create", CLAVE_ERR_INTERNAL);
        }
    }
    raw_thread(&jobs[0]);
    for (unsigned i = 1; i < threads; i++) {
        pthread_join(tid[i], NULL);
    }
    for (unsigned i = 0; i < threads; i++) {
        r.per_s += jobs[i].per_s;
    }
    double cpu = cpu_now() - c0;
    double wall = now() - w0;
    r.cpu_per_wall = cpu / wall;
    r.per_cpu_s = r.per_s * wall / cpu;
    return r;
}

/* ------------------------------------------------------------------ library operations */

struct lib_state {
    const struct clave_he_key *key;
    struct clave_he_pool *pool;
    struct clave_he_ctx *ctx;
    struct clave_he_vec *vec; /* BATCH fresh ciphertexts */
    struct clave_he_vec *acc;
    int64_t values[256];
    int64_t out[256];
    size_t batch;
};

enum lib_op { LIB_ENCRYPT, LIB_DECRYPT, LIB_ADD, LIB_SCALAR_MUL };

/* One batch of the operation; returns the operations done. */
static size_t lib_step(struct lib_state *s, enum lib_op op)
{
    struct clave_he_vec *r = NULL;
    switch (op) {
    case LIB_ENCRYPT:
        CHECK(clave_he_encrypt_i64(s->ctx, s->values, s->batch, &r));
        break;
    case LIB_DECRYPT:
        CHECK(clave_he_decrypt_i64(s->key, s->pool, s->vec, s->out, s->batch));
        break;
    case LIB_ADD:
        CHECK(clave_he_add_into(s->ctx, s->acc, s->vec));
        break;
    case LIB_SCALAR_MUL:
        CHECK(clave_he_mul_scalar(s->ctx, s->vec, INT64_MAX - 12345, &r));
        break;
    }
    clave_he_vec_free(r);
    return s->batch;
}

static struct rate lib_rate(struct lib_state *s, enum lib_op op, double seconds)
{
    size_t units = 0;
    double w0 = now();
    double c0 = cpu_now();
    double elapsed = 0;
    do {
        units += lib_step(s, op);
        elapsed = now() - w0;
    } while (elapsed < seconds);
    double cpu = cpu_now() - c0;
    return (struct rate){(double)units / elapsed, cpu / elapsed, (double)units / cpu};
}

/* Best of ROUNDS rounds of (limit, operation), interleaved so both see the same machine. */
static void compare(struct lib_state *s, enum lib_op op, const struct operands *o, enum raw_op raw,
                    unsigned threads, double seconds, const char *name)
{
    struct rate best = {0, 0, 0};
    struct rate best_limit = {0, 0, 0};
    for (int round = 0; round < ROUNDS; round++) {
        struct rate limit = raw_rate(o, raw, threads, seconds);
        struct rate got = lib_rate(s, op, seconds);
        best_limit = limit.per_s > best_limit.per_s ? limit : best_limit;
        best = got.per_s > best.per_s ? got : best;
    }
    report(name, clave_he_pub_bits(clave_he_key_pub(s->key)), threads, best, best_limit);
}

/* A pool of `threads`, a context over it and `batch`-value vectors; `check` decrypts one. */
static void state_init(struct lib_state *s, const struct clave_he_key *key, unsigned threads,
                       size_t batch, bool check)
{
    memset(s, 0, sizeof(*s));
    s->key = key;
    s->batch = batch;
    for (size_t i = 0; i < batch; i++) {
        s->values[i] = (int64_t)i * 7919 - 100000;
    }
    CHECK(clave_he_pool_new(threads, &s->pool));
    CHECK(clave_he_ctx_new(clave_he_key_pub(key), 1, &s->ctx));
    clave_he_ctx_set_pool(s->ctx, s->pool);
    CHECK(clave_he_encrypt_i64(s->ctx, s->values, batch, &s->vec)); /* also builds the table */
    CHECK(clave_he_encrypt_i64(s->ctx, s->values, batch, &s->acc));
    if (check) {
        CHECK(clave_he_decrypt_i64(key, s->pool, s->vec, s->out, batch));
        if (memcmp(s->values, s->out, batch * sizeof(int64_t)) != 0) { // lint:public
            die("decrypt mismatch", CLAVE_ERR_INTERNAL);
        }
    }
}

static void state_free(struct lib_state *s)
{
    clave_he_vec_free(s->vec);
    clave_he_vec_free(s->acc);
    clave_he_ctx_free(s->ctx);
    clave_he_pool_free(s->pool);
}

/* Every per-operation figure of one key size, on 1 and 2 threads. Batches of 16 (1 thread) or
 * 32 (2 threads) values per call, 128 ciphertexts per vector addition. */
static void bench_ops(const struct clave_he_key *key, double seconds)
{
    const struct clave_he_pub *pub = clave_he_key_pub(key);
    struct operands o;
    operands_init(&o, clave_he_pub_bits(pub), clave_he_pub_r_bits(pub));
    for (unsigned threads = 1; threads <= 2; threads++) {
        struct lib_state s;
        state_init(&s, key, threads, 16 * threads, true);
        compare(&s, LIB_ENCRYPT, &o, RAW_POWM_SEC_R, threads, seconds, "encrypt");
        compare(&s, LIB_DECRYPT, &o, RAW_CRT, threads, seconds, "decrypt");
        if (threads == 1) {
            compare(&s, LIB_SCALAR_MUL, &o, RAW_POWM_SCALAR, threads, seconds, "scalar_mul");
        }
        state_free(&s);
        state_init(&s, key, threads, 128, false);
        compare(&s, LIB_ADD, &o, RAW_MULMOD, threads, seconds, "add");
        state_free(&s);
    }
    operands_clear(&o);
}

/* PACKED_PARTIES parties each encrypt PACKED_VALUES_PER_PARTY 32-bit values packed (2
 * threads); the aggregator sums the vectors (best of ROUNDS, compared with the 2-thread
 * mulmod limit); the key holder decrypts, and the result is checked against the plain sum. */
struct packed {
    struct clave_he_vec *v[PACKED_PARTIES];
    int64_t *values;
    int64_t *expect;
    size_t count;
};

static int64_t packed_value(size_t i, unsigned party)
{
    return (int64_t)((i * 2654435761u + party * 40503u) % 4294967296u) - 2147483648;
}

static double packed_encrypt(struct clave_he_ctx *ctx, const struct clave_he_pack_plan *plan,
                             struct packed *p)
{
    double t0 = now();
    for (unsigned party = 0; party < PACKED_PARTIES; party++) {
        for (size_t i = 0; i < p->count; i++) {
            p->values[i] = packed_value(i, party);
            p->expect[i] += p->values[i];
        }
        CHECK(clave_he_encrypt_packed(ctx, plan, p->values, p->count, &p->v[party]));
    }
    return now() - t0;
}

static double packed_sum(struct clave_he_ctx *ctx, struct packed *p, struct clave_he_vec **acc)
{
    double t0 = now();
    CHECK(clave_he_add(ctx, p->v[0], p->v[1], acc));
    for (unsigned party = 2; party < PACKED_PARTIES; party++) {
        CHECK(clave_he_add_into(ctx, *acc, p->v[party]));
    }
    return now() - t0;
}

static void bench_packed(const struct clave_he_key *key, size_t count, double seconds)
{
    const struct clave_he_pub *pub = clave_he_key_pub(key);
    struct clave_he_pool *pool = NULL;
    struct clave_he_ctx *ctx = NULL;
    struct clave_he_pack_plan plan;
    struct clave_he_vec *acc = NULL;
    struct operands o;
    struct packed p = {{NULL}, calloc(count, 8), calloc(count, 8), count};
    int64_t *out = calloc(count, sizeof(int64_t));
    operands_init(&o, clave_he_pub_bits(pub), clave_he_pub_r_bits(pub));
    CHECK(clave_he_pool_new(2, &pool));
    CHECK(clave_he_ctx_new(pub, 1, &ctx));
    clave_he_ctx_set_pool(ctx, pool);
    CHECK(clave_he_pack_plan(pub, PACKED_VALUE_BITS, PACKED_PARTIES, &plan));
    double enc = packed_encrypt(ctx, &plan, &p);
    size_t cts = clave_he_vec_ciphertexts(p.v[0]);
    double sum = 1e9;
    struct rate limit = {0, 0, 0};
    double cpu = 0;
    for (int round = 0; round < ROUNDS; round++) {
        struct rate l = raw_rate(&o, RAW_MULMOD, 2, seconds);
        limit = l.per_s > limit.per_s ? l : limit;
        clave_he_vec_free(acc);
        acc = NULL;
        double c0 = cpu_now();
        double s = packed_sum(ctx, &p, &acc);
        cpu = s < sum ? cpu_now() - c0 : cpu;
        sum = s < sum ? s : sum;
    }
    double t0 = now();
    CHECK(clave_he_decrypt_i64(key, pool, acc, out, count));
    double dec = now() - t0;
    if (memcmp(out, p.expect, count * sizeof(int64_t)) != 0) { // lint:public
        die("packed sum mismatch", CLAVE_ERR_INTERNAL);
    }
    printf("{\"op\":\"packed_vector_sum\",\"bits\":%u,\"threads\":2,\"values\":%zu,\"parties\":%d,"
           "\"value_bits\":%d,\"slots\":%u,\"encryptions\":%zu,\"encrypt_s\":%.2f,"
           "\"sum_s\":%.4f,\"decrypt_s\":%.3f}\n",
           clave_he_pub_bits(pub), count * PACKED_PARTIES, PACKED_PARTIES, PACKED_VALUE_BITS,
           plan.slots, cts * PACKED_PARTIES, enc, sum, dec);
    double adds = (double)(cts * (PACKED_PARTIES - 1));
    report("packed_sum", clave_he_pub_bits(pub), 2,
           (struct rate){adds / sum, cpu / sum, adds / cpu}, limit);
    for (unsigned party = 0; party < PACKED_PARTIES; party++) {
        clave_he_vec_free(p.v[party]);
    }
    clave_he_vec_free(acc);
    operands_clear(&o);
    free(p.values);
    free(p.expect);
    free(out);
    clave_he_ctx_free(ctx);
    clave_he_pool_free(pool);
}

int main(int argc, char **argv)
{
    bool quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
    const unsigned sizes[] = {2048, 3072};
    double seconds = quick ? 0.05 : 0.25;
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        struct clave_he_key *key = NULL;
        unsigned bits = sizes[i];
        int gens = quick ? 1 : (bits == 2048 ? 3 : 2);
        double t0 = now();
        for (int g = 0; g < gens; g++) {
            clave_he_key_free(key);
            key = NULL;
            CHECK(clave_he_keygen(bits, 0, &key));
        }
        printf("{\"op\":\"keygen\",\"bits\":%u,\"threads\":1,\"seconds\":%.3f}\n", bits,
               (now() - t0) / gens);
        bench_ops(key, seconds);
        if (bits == 2048) {
            bench_packed(key, quick ? 1000 : PACKED_VALUES_PER_PARTY, seconds);
        }
        clave_he_key_free(key);
    }
    return 0;
}
