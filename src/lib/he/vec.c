/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Ciphertext vectors: batch encryption and decryption (one value per ciphertext, or packed) over
 * the thread pool, and packing plans.
 *
 * Packing: value v (signed, value_bits bits) is stored biased, v + 2^(value_bits-1), in a slot of
 * slot_bits = value_bits + ceil(log2(max_adds)) bits; slot i sits at bit i * slot_bits. A sum of
 * w <= max_adds fresh vectors holds sum + w * bias per slot, below 2^slot_bits, so no carry
 * crosses slots; the vector's weight w is public and the bias is removed on decryption. All
 * slots together stay below 2^(bits-2) < n/3, inside the positive range.
 */
#include "core/check.h"
#include "core/gmp.h"
#include "he/he_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(sizeof(long) == 8, "mpz_*_si/ui are used with 64-bit values");

clave_status clave__he_vec_new(const struct clave_he_pub *pub, enum clave_he_vec_kind kind,
                               uint64_t scale, size_t len, size_t count, struct clave_he_vec **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_he_vec *vec = NULL;
    *out = NULL;
    CLAVE_CHECK(clave__gmp_init());
    CLAVE_ENSURE(count >= 1 && count <= CLAVE_HE_VEC_MAX, CLAVE_ERR_ARG,
                 "he: %zu ciphertexts (1..%u)", count, CLAVE_HE_VEC_MAX);
    vec = calloc(1, sizeof(*vec));
    CLAVE_ENSURE_ALLOC(vec);
    vec->c = calloc(count, sizeof(mpz_t));
    CLAVE_ENSURE_ALLOC(vec->c);
    for (size_t i = 0; i < count; i++) {
        mpz_init2(vec->c[i], 2 * pub->bits);
    }
    vec->count = count;
    vec->len = len;
    vec->kind = kind;
    vec->scale = scale;
    vec->weight = 1;
    vec->bits = pub->bits;
    memcpy(vec->key_id, pub->id, CLAVE_HE_KEY_ID_LEN);
    *out = vec;
    vec = NULL;
    st = CLAVE_OK;
done:
    clave_he_vec_free(vec);
    return st;
}

void clave_he_vec_free(struct clave_he_vec *vec)
{
    if (vec == NULL) {
        return;
    }
    for (size_t i = 0; vec->c != NULL && i < vec->count; i++) {
        mpz_clear(vec->c[i]);
    }
    free(vec->c);
    free(vec);
}

size_t clave_he_vec_len(const struct clave_he_vec *vec)
{
    return vec != NULL ? vec->len : 0;
}

size_t clave_he_vec_ciphertexts(const struct clave_he_vec *vec)
{
    return vec != NULL ? vec->count : 0;
}

enum clave_he_vec_kind clave_he_vec_kind(const struct clave_he_vec *vec)
{
    return vec != NULL ? vec->kind : CLAVE_HE_VEC_INT;
}

uint64_t clave_he_vec_scale(const struct clave_he_vec *vec)
{
    return vec != NULL ? vec->scale : 0;
}

uint64_t clave_he_vec_weight(const struct clave_he_vec *vec)
{
    return vec != NULL ? vec->weight : 0;
}

void clave_he_vec_plan(const struct clave_he_vec *vec, struct clave_he_pack_plan *out)
{
    memset(out, 0, sizeof(*out));
    if (vec != NULL && vec->kind == CLAVE_HE_VEC_PACKED) {
        out->value_bits = vec->pack.value_bits;
        out->max_adds = vec->pack.max_adds;
        out->slot_bits = vec->pack.slot_bits;
        out->slots = vec->pack.slots;
    }
}

clave_status clave__he_vec_same_key(const struct clave_he_pub *pub, const struct clave_he_vec *v)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(v != NULL, CLAVE_ERR_ARG, "he: no vector");
    CLAVE_ENSURE(memcmp(v->key_id, pub->id, CLAVE_HE_KEY_ID_LEN) == 0, // lint:public
                 CLAVE_ERR_KEY, "he: the vector is under another key");
    st = CLAVE_OK;
done:
    return st;
}

/* ------------------------------------------------------------------------- packing plans */

static unsigned ceil_log2(uint32_t x)
{
    unsigned bits = 0;
    while (bits < 32 && ((uint64_t)1 << bits) < x) {
        bits++;
    }
    return bits;
}

clave_status clave__he_pack_check(const struct clave_he_pub *pub, const struct he_pack *pack)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(pack->value_bits >= 2 && pack->value_bits <= CLAVE_HE_PACK_VALUE_BITS_MAX,
                 CLAVE_ERR_ARG, "he: value_bits %u outside 2..%d", pack->value_bits,
                 CLAVE_HE_PACK_VALUE_BITS_MAX);
    CLAVE_ENSURE(pack->max_adds >= 1, CLAVE_ERR_ARG, "he: max_adds must be at least 1");
    CLAVE_ENSURE(pack->slot_bits >= pack->value_bits + ceil_log2(pack->max_adds), CLAVE_ERR_LIMIT,
                 "he: %u-bit slots overflow after %u additions of %u-bit values", pack->slot_bits,
                 pack->max_adds, pack->value_bits);
    CLAVE_ENSURE(pack->slots >= 1 && (uint64_t)pack->slots * pack->slot_bits <= pub->bits - 2,
                 CLAVE_ERR_LIMIT, "he: %u slots of %u bits do not fit a %u-bit key", pack->slots,
                 pack->slot_bits, pub->bits);
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_he_pack_plan(const struct clave_he_pub *pub, unsigned value_bits,
                                uint32_t max_adds, struct clave_he_pack_plan *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct he_pack pack = {value_bits, 0, 0, max_adds};
    memset(out, 0, sizeof(*out));
    CLAVE_ENSURE(pub != NULL, CLAVE_ERR_ARG, "he: no public key");
    CLAVE_ENSURE(value_bits >= 2 && value_bits <= CLAVE_HE_PACK_VALUE_BITS_MAX && max_adds >= 1,
                 CLAVE_ERR_ARG, "he: value_bits %u (2..%d), max_adds %u (>= 1)", value_bits,
                 CLAVE_HE_PACK_VALUE_BITS_MAX, max_adds);
    pack.slot_bits = value_bits + ceil_log2(max_adds);
    pack.slots = (pub->bits - 2) / pack.slot_bits;
    CLAVE_CHECK(clave__he_pack_check(pub, &pack));
    out->value_bits = pack.value_bits;
    out->max_adds = pack.max_adds;
    out->slot_bits = pack.slot_bits;
    out->slots = pack.slots;
    st = CLAVE_OK;
done:
    return st;
}

/* --------------------------------------------------------------------------- encryption */

struct enc_job {
    struct clave_he_ctx *ctx;
    struct clave_he_vec *vec;
    const int64_t *values;
    size_t count;
};

static clave_status enc_int_range(void *arg, size_t begin, size_t end)
{
    struct enc_job *job = arg;
    clave_status st = CLAVE_OK;
    mpz_t m;
    mpz_init(m);
    for (size_t i = begin; i < end && st == CLAVE_OK; i++) {
        clave__he_encode_i64(job->ctx->pub, job->values[i], m);
        st = clave__he_encrypt_raw(job->ctx, m, job->vec->c[i]);
    }
    mpz_clear(m);
    return st;
}

/* The plaintext of packed ciphertext `index`: biased values shifted into their slots. */
static void pack_plaintext(const struct enc_job *job, size_t index, mpz_t m)
{
    const struct he_pack *pack = &job->vec->pack;
    uint64_t bias = (uint64_t)1 << (pack->value_bits - 1);
    size_t first = index * pack->slots;
    size_t last = first + pack->slots < job->count ? first + pack->slots : job->count;
    mpz_set_ui(m, 0);
    for (size_t i = last; i > first; i--) {
        mpz_mul_2exp(m, m, pack->slot_bits);
        mpz_add_ui(m, m, (unsigned long)((uint64_t)job->values[i - 1] + bias));
    }
}

static clave_status enc_packed_range(void *arg, size_t begin, size_t end)
{
    struct enc_job *job = arg;
    clave_status st = CLAVE_OK;
    mpz_t m;
    mpz_init(m);
    for (size_t i = begin; i < end && st == CLAVE_OK; i++) {
        pack_plaintext(job, i, m);
        st = clave__he_encrypt_raw(job->ctx, m, job->vec->c[i]);
    }
    mpz_clear(m);
    return st;
}

static clave_status encrypt_run(struct clave_he_ctx *ctx, enum clave_he_vec_kind kind,
                                const struct he_pack *pack, const int64_t *values, size_t count,
                                struct clave_he_vec **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct enc_job job = {ctx, NULL, values, count};
    size_t cts = kind == CLAVE_HE_VEC_PACKED ? (count + pack->slots - 1) / pack->slots : count;
    *out = NULL;
    CLAVE_ENSURE(ctx != NULL && (values != NULL || count == 0), CLAVE_ERR_ARG,
                 "he: no context or values");
    CLAVE_ENSURE(count >= 1 && count <= CLAVE_HE_VEC_MAX, CLAVE_ERR_ARG, "he: %zu values (1..%u)",
                 count, CLAVE_HE_VEC_MAX);
    CLAVE_CHECK(clave__he_vec_new(ctx->pub, kind, ctx->scale, count, cts, &job.vec));
    if (pack != NULL) {
        job.vec->pack = *pack;
    }
    CLAVE_CHECK(clave__he_pool_run(
        ctx->pool, kind == CLAVE_HE_VEC_PACKED ? enc_packed_range : enc_int_range, &job, cts));
    *out = job.vec;
    job.vec = NULL;
    st = CLAVE_OK;
done:
    clave_he_vec_free(job.vec);
    return st;
}

clave_status clave_he_encrypt_i64(struct clave_he_ctx *ctx, const int64_t *values, size_t count,
                                  struct clave_he_vec **out)
{
    return encrypt_run(ctx, CLAVE_HE_VEC_INT, NULL, values, count, out);
}

/* Round to nearest, halves away from zero (without libm). Beyond 2^52 every double is an
 * integer already and the cast is exact. */
static int64_t round_half_away(double x)
{
    const double exact = 4503599627370496.0; /* 2^52 */
    if (x >= exact || x <= -exact) {
        return (int64_t)x;
    }
    int64_t t = (int64_t)x; /* truncates toward zero */
    double frac = x - (double)t;
    if (frac >= 0.5) {
        t++;
    } else if (frac <= -0.5) {
        t--;
    }
    return t;
}

clave_status clave_he_encrypt_f64(struct clave_he_ctx *ctx, const double *values, size_t count,
                                  struct clave_he_vec **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    int64_t *scaled = NULL;
    *out = NULL;
    CLAVE_ENSURE(ctx != NULL && values != NULL, CLAVE_ERR_ARG, "he: no context or values");
    CLAVE_ENSURE(count >= 1 && count <= CLAVE_HE_VEC_MAX, CLAVE_ERR_ARG, "he: %zu values (1..%u)",
                 count, CLAVE_HE_VEC_MAX);
    scaled = calloc(count, sizeof(int64_t));
    CLAVE_ENSURE_ALLOC(scaled);
    for (size_t i = 0; i < count; i++) {
        double x = values[i] * (double)ctx->scale;
        /* 2^63 is exactly representable; anything at or beyond it does not fit int64. */
        CLAVE_ENSURE(isfinite(x) && x > -9223372036854775808.0 && x < 9223372036854775808.0,
                     CLAVE_ERR_ARG, "he: value %zu (%g) times scale does not fit 64 bits", i,
                     values[i]);
        scaled[i] = round_half_away(x);
    }
    CLAVE_CHECK(clave_he_encrypt_i64(ctx, scaled, count, out));
    st = CLAVE_OK;
done:
    free(scaled);
    return st;
}

clave_status clave_he_encrypt_packed(struct clave_he_ctx *ctx,
                                     const struct clave_he_pack_plan *plan, const int64_t *values,
                                     size_t count, struct clave_he_vec **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    *out = NULL;
    CLAVE_ENSURE(ctx != NULL && plan != NULL && values != NULL, CLAVE_ERR_ARG,
                 "he: no context, plan or values");
    struct he_pack pack = {plan->value_bits, plan->slot_bits, plan->slots, plan->max_adds};
    CLAVE_CHECK(clave__he_pack_check(ctx->pub, &pack));
    int64_t lo = -((int64_t)1 << (pack.value_bits - 1));
    int64_t hi = ((int64_t)1 << (pack.value_bits - 1)) - 1;
    for (size_t i = 0; i < count; i++) {
        CLAVE_ENSURE(values[i] >= lo && values[i] <= hi, CLAVE_ERR_LIMIT,
                     "he: value %zu does not fit %u signed bits", i, pack.value_bits);
    }
    CLAVE_CHECK(encrypt_run(ctx, CLAVE_HE_VEC_PACKED, &pack, values, count, out));
    st = CLAVE_OK;
done:
    return st;
}

/* --------------------------------------------------------------------------- decryption */

struct dec_job {
    const struct clave_he_key *key;
    const struct clave_he_vec *vec;
    int64_t *out;
};

static clave_status dec_int_range(void *arg, size_t begin, size_t end)
{
    struct dec_job *job = arg;
    clave_status st = CLAVE_OK;
    mpz_t m;
    mpz_init(m);
    for (size_t i = begin; i < end && st == CLAVE_OK; i++) {
        st = clave__he_decrypt_raw(job->key, job->vec->c[i], m);
        if (st == CLAVE_OK) {
            st = clave__he_decode_i64(job->key->pub, m, &job->out[i]);
        }
    }
    mpz_clear(m);
    return st;
}

/* Split packed plaintext `m` of ciphertext `index` into its slots, removing weight * bias. */
static clave_status unpack(const struct dec_job *job, size_t index, mpz_t m, mpz_t slot)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    mpz_t bias;
    mpz_init_set_ui(bias, (unsigned long)job->vec->weight);
    mpz_mul_2exp(bias, bias, job->vec->pack.value_bits - 1);
    const struct he_pack *pack = &job->vec->pack;
    size_t first = index * pack->slots;
    size_t last = first + pack->slots < job->vec->len ? first + pack->slots : job->vec->len;
    /* The whole packed value must sit below 2^(slots * slot_bits): a larger one means a slot
     * overflowed or the ciphertext is not a packing of this plan. */
    CLAVE_ENSURE(mpz_sizeinbase(m, 2) <= (size_t)pack->slots * pack->slot_bits, CLAVE_ERR_LIMIT,
                 "he: overflow: packed ciphertext %zu exceeds its slots", index);
    for (size_t i = first; i < last; i++) {
        mpz_tdiv_r_2exp(slot, m, pack->slot_bits);
        mpz_tdiv_q_2exp(m, m, pack->slot_bits);
        mpz_sub(slot, slot, bias);
        CLAVE_ENSURE(mpz_fits_slong_p(slot), CLAVE_ERR_LIMIT, "he: overflow in slot %zu", i);
        job->out[i] = (int64_t)mpz_get_si(slot);
    }
    st = CLAVE_OK;
done:
    mpz_clear(bias);
    return st;
}

static clave_status dec_packed_range(void *arg, size_t begin, size_t end)
{
    struct dec_job *job = arg;
    clave_status st = CLAVE_OK;
    mpz_t m, slot;
    mpz_inits(m, slot, NULL);
    for (size_t i = begin; i < end && st == CLAVE_OK; i++) {
        st = clave__he_decrypt_raw(job->key, job->vec->c[i], m);
        if (st == CLAVE_OK) {
            st = unpack(job, i, m, slot);
        }
    }
    mpz_clears(m, slot, NULL);
    return st;
}

clave_status clave_he_decrypt_i64(const struct clave_he_key *key, struct clave_he_pool *pool,
                                  const struct clave_he_vec *vec, int64_t *out, size_t count)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct dec_job job = {key, vec, out};
    CLAVE_ENSURE(key != NULL && vec != NULL && out != NULL, CLAVE_ERR_ARG,
                 "he: no key, vector or output");
    CLAVE_ENSURE(count == vec->len, CLAVE_ERR_ARG, "he: output holds %zu values, vector has %zu",
                 count, vec->len);
    memset(out, 0, count * sizeof(int64_t));
    CLAVE_CHECK(clave__he_vec_same_key(key->pub, vec));
    CLAVE_CHECK(clave__he_pool_run(
        pool, vec->kind == CLAVE_HE_VEC_PACKED ? dec_packed_range : dec_int_range, &job,
        vec->count));
    st = CLAVE_OK;
done:
    if (st != CLAVE_OK && out != NULL && vec != NULL && count == vec->len) {
        memset(out, 0, count * sizeof(int64_t));
    }
    return st;
}

clave_status clave_he_decrypt_f64(const struct clave_he_key *key, struct clave_he_pool *pool,
                                  const struct clave_he_vec *vec, double *out, size_t count)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    int64_t *ints = NULL;
    CLAVE_ENSURE(vec != NULL && out != NULL && count == vec->len, CLAVE_ERR_ARG,
                 "he: output does not match the vector");
    ints = calloc(count, sizeof(int64_t));
    CLAVE_ENSURE_ALLOC(ints);
    CLAVE_CHECK(clave_he_decrypt_i64(key, pool, vec, ints, count));
    for (size_t i = 0; i < count; i++) {
        out[i] = (double)ints[i] / (double)vec->scale;
    }
    st = CLAVE_OK;
done:
    free(ints);
    return st;
}
