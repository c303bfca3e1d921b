/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Homomorphic operations on ciphertext vectors (public key only):
 *   E(a) * E(b) = E(a + b);  E(a)^-1 = E(-a);  E(a)^k = E(k a);  E(a) * E(0) re-randomises.
 * Every operand is a vector that was validated when it was created or imported, so no
 * ciphertext check is repeated per operation (that would cost a gcd per addition).
 */
#include "core/check.h"
#include "he/he_internal.h"

#include <string.h>

/* a and b may be combined: same key, kind, scale, length and packing. */
static clave_status compatible(const struct clave_he_ctx *ctx, const struct clave_he_vec *a,
                               const struct clave_he_vec *b)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(ctx != NULL && a != NULL && b != NULL, CLAVE_ERR_ARG, "he: missing operand");
    CLAVE_CHECK(clave__he_vec_same_key(ctx->pub, a));
    CLAVE_CHECK(clave__he_vec_same_key(ctx->pub, b));
    CLAVE_ENSURE(a->kind == b->kind && a->len == b->len && a->count == b->count, CLAVE_ERR_ARG,
                 "he: operands differ in kind or length (%zu vs %zu values)", a->len, b->len);
    CLAVE_ENSURE(a->scale == b->scale, CLAVE_ERR_ARG, "he: operands differ in scale (%llu vs %llu)",
                 (unsigned long long)a->scale, (unsigned long long)b->scale);
    CLAVE_ENSURE(memcmp(&a->pack, &b->pack, sizeof(a->pack)) == 0, // lint:public
                 CLAVE_ERR_ARG, "he: operands use different packing plans");
    st = CLAVE_OK;
done:
    return st;
}

struct op_job {
    const struct clave_he_pub *pub;
    struct clave_he_vec *out;
    const struct clave_he_vec *a;
    const struct clave_he_vec *b;
    int64_t k;
    struct clave_he_ctx *ctx;
};

/* One mpz_mul and one mpz_tdiv_r per ciphertext, in place: the result's limbs were sized for
 * the double-length product by the first addition, so the loop allocates nothing (GMP's
 * in-place temporaries of this size live on the stack). Operands are trusted in-memory values
 * validated on creation or import: nothing is re-checked per addition. */
static clave_status add_range(void *arg, size_t begin, size_t end)
{
    struct op_job *job = arg;
    for (size_t i = begin; i < end; i++) {
        mpz_mul(job->out->c[i], job->a->c[i], job->b->c[i]);
        mpz_tdiv_r(job->out->c[i], job->out->c[i], job->pub->n2);
    }
    return CLAVE_OK;
}

static clave_status sub_range(void *arg, size_t begin, size_t end)
{
    struct op_job *job = arg;
    clave_status st = CLAVE_OK;
    mpz_t t;
    mpz_init(t);
    for (size_t i = begin; i < end && st == CLAVE_OK; i++) {
        if (mpz_invert(t, job->b->c[i], job->pub->n2) == 0) {
            st = CLAVE_ERR_FORMAT; /* impossible for a validated ciphertext */
            break;
        }
        if (job->a != NULL) {
            mpz_mul(t, t, job->a->c[i]);
        }
        mpz_tdiv_r(job->out->c[i], t, job->pub->n2);
    }
    mpz_clear(t);
    return st;
}

static clave_status mul_range(void *arg, size_t begin, size_t end)
{
    struct op_job *job = arg;
    clave_status st = CLAVE_OK;
    mpz_t t;
    mpz_init(t);
    /* |k| without overflow at INT64_MIN; k is public, so mpz_powm (not _sec) is right. */
    uint64_t mag = job->k < 0 ? (uint64_t)(-(job->k + 1)) + 1 : (uint64_t)job->k;
    for (size_t i = begin; i < end && st == CLAVE_OK; i++) {
        mpz_set(t, job->a->c[i]);
        if (job->k < 0 && mpz_invert(t, t, job->pub->n2) == 0) {
            st = CLAVE_ERR_FORMAT;
            break;
        }
        mpz_set_ui(job->out->c[i], (unsigned long)mag);
        mpz_powm(job->out->c[i], t, job->out->c[i], job->pub->n2);
    }
    mpz_clear(t);
    return st;
}

static clave_status rerand_range(void *arg, size_t begin, size_t end)
{
    struct op_job *job = arg;
    clave_status st = CLAVE_OK;
    mpz_t zero, t;
    mpz_inits(zero, t, NULL);
    for (size_t i = begin; i < end && st == CLAVE_OK; i++) {
        st = clave__he_encrypt_raw(job->ctx, zero, t);
        if (st == CLAVE_OK) {
            mpz_mul(t, t, job->out->c[i]);
            mpz_tdiv_r(job->out->c[i], t, job->pub->n2);
        }
    }
    mpz_clears(zero, t, NULL);
    return st;
}

/* A fresh vector shaped like `a` for a result. */
static clave_status result_like(const struct clave_he_ctx *ctx, const struct clave_he_vec *a,
                                struct clave_he_vec **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_CHECK(clave__he_vec_new(ctx->pub, a->kind, a->scale, a->len, a->count, out));
    (*out)->pack = a->pack;
    (*out)->weight = a->weight;
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_he_add_into(struct clave_he_ctx *ctx, struct clave_he_vec *acc,
                               const struct clave_he_vec *b)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint64_t weight = 0;
    CLAVE_CHECK(compatible(ctx, acc, b));
    CLAVE_ENSURE(!__builtin_add_overflow(acc->weight, b->weight, &weight), CLAVE_ERR_LIMIT,
                 "he: weight overflows");
    CLAVE_ENSURE(acc->kind != CLAVE_HE_VEC_PACKED || weight <= acc->pack.max_adds, CLAVE_ERR_LIMIT,
                 "he: the sum of %llu packed vectors exceeds the plan's %u",
                 (unsigned long long)weight, acc->pack.max_adds);
    struct op_job job = {ctx->pub, acc, acc, b, 0, ctx};
    CLAVE_CHECK(clave__he_pool_run(ctx->pool, add_range, &job, acc->count));
    acc->weight = weight;
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_he_add(struct clave_he_ctx *ctx, const struct clave_he_vec *a,
                          const struct clave_he_vec *b, struct clave_he_vec **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_he_vec *r = NULL;
    *out = NULL;
    CLAVE_CHECK(compatible(ctx, a, b));
    CLAVE_CHECK(result_like(ctx, a, &r));
    for (size_t i = 0; i < a->count; i++) {
        mpz_set(r->c[i], a->c[i]);
    }
    CLAVE_CHECK(clave_he_add_into(ctx, r, b));
    *out = r;
    r = NULL;
    st = CLAVE_OK;
done:
    clave_he_vec_free(r);
    return st;
}

/* Shared by sub and negate: INT vectors only (a packed slot's bias does not negate). */
static clave_status run_int_op(struct clave_he_ctx *ctx, const struct clave_he_vec *a,
                               struct op_job *job, he_range_fn fn, struct clave_he_vec **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_he_vec *r = NULL;
    *out = NULL;
    CLAVE_ENSURE(ctx != NULL && a != NULL, CLAVE_ERR_ARG, "he: missing operand");
    CLAVE_CHECK(clave__he_vec_same_key(ctx->pub, a));
    CLAVE_ENSURE(a->kind == CLAVE_HE_VEC_INT, CLAVE_ERR_UNSUPPORTED,
                 "he: subtraction, negation and scalar multiplication need unpacked vectors");
    CLAVE_CHECK(result_like(ctx, a, &r));
    job->out = r;
    CLAVE_CHECK(clave__he_pool_run(ctx->pool, fn, job, a->count));
    *out = r;
    r = NULL;
    st = CLAVE_OK;
done:
    clave_he_vec_free(r);
    return st;
}

clave_status clave_he_sub(struct clave_he_ctx *ctx, const struct clave_he_vec *a,
                          const struct clave_he_vec *b, struct clave_he_vec **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    *out = NULL;
    CLAVE_CHECK(compatible(ctx, a, b));
    struct op_job job = {ctx->pub, NULL, a, b, 0, ctx};
    CLAVE_CHECK(run_int_op(ctx, a, &job, sub_range, out));
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_he_negate(struct clave_he_ctx *ctx, const struct clave_he_vec *a,
                             struct clave_he_vec **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    *out = NULL;
    CLAVE_ENSURE(ctx != NULL, CLAVE_ERR_ARG, "he: no context");
    struct op_job job = {ctx->pub, NULL, NULL, a, 0, ctx};
    CLAVE_CHECK(run_int_op(ctx, a, &job, sub_range, out));
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_he_mul_scalar(struct clave_he_ctx *ctx, const struct clave_he_vec *a, int64_t k,
                                 struct clave_he_vec **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    *out = NULL;
    CLAVE_ENSURE(ctx != NULL, CLAVE_ERR_ARG, "he: no context");
    struct op_job job = {ctx->pub, NULL, a, NULL, k, ctx};
    CLAVE_CHECK(run_int_op(ctx, a, &job, mul_range, out));
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_he_rerandomize(struct clave_he_ctx *ctx, struct clave_he_vec *vec)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(ctx != NULL && vec != NULL, CLAVE_ERR_ARG, "he: missing operand");
    CLAVE_CHECK(clave__he_vec_same_key(ctx->pub, vec));
    struct op_job job = {ctx->pub, vec, NULL, NULL, 0, ctx};
    CLAVE_CHECK(clave__he_pool_run(ctx->pool, rerand_range, &job, vec->count));
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_he_vec_sum(struct clave_he_ctx *ctx, const struct clave_he_vec *a,
                              struct clave_he_vec **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_he_vec *r = NULL;
    uint64_t weight = 0;
    mpz_t t;
    mpz_init(t);
    *out = NULL;
    CLAVE_ENSURE(ctx != NULL && a != NULL, CLAVE_ERR_ARG, "he: missing operand");
    CLAVE_CHECK(clave__he_vec_same_key(ctx->pub, a));
    CLAVE_ENSURE(a->kind == CLAVE_HE_VEC_INT, CLAVE_ERR_UNSUPPORTED,
                 "he: only unpacked vectors can be summed into one value");
    CLAVE_ENSURE(!__builtin_mul_overflow(a->weight, (uint64_t)a->count, &weight), CLAVE_ERR_LIMIT,
                 "he: weight overflows");
    CLAVE_CHECK(clave__he_vec_new(ctx->pub, CLAVE_HE_VEC_INT, a->scale, 1, 1, &r));
    mpz_set(r->c[0], a->c[0]);
    for (size_t i = 1; i < a->count; i++) {
        mpz_mul(t, r->c[0], a->c[i]);
        mpz_tdiv_r(r->c[0], t, ctx->pub->n2);
    }
    r->weight = weight;
    *out = r;
    r = NULL;
    st = CLAVE_OK;
done:
    clave_he_vec_free(r);
    mpz_clear(t);
    return st;
}
