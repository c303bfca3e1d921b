/* SPDX-License-Identifier: Apache-2.0 */
/* Encryption contexts: a public key, the one public scale, the mode, and the offline pool of
 * single-use randomisers. */
#include "core/check.h"
#include "core/gmp.h"
#include "he/he_internal.h"

#include <stdlib.h>

#define HE_RANDOMIZERS_MAX ((size_t)1 << 20)

clave_status clave_he_ctx_new(const struct clave_he_pub *pub, uint64_t scale,
                              struct clave_he_ctx **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_he_ctx *ctx = NULL;
    *out = NULL;
    CLAVE_CHECK(clave__gmp_init());
    CLAVE_ENSURE(pub != NULL, CLAVE_ERR_ARG, "he: no public key");
    CLAVE_ENSURE(scale >= 1 && scale <= CLAVE_HE_SCALE_MAX, CLAVE_ERR_ARG,
                 "he: scale %llu outside 1..2^62", (unsigned long long)scale);
    ctx = calloc(1, sizeof(*ctx));
    CLAVE_ENSURE_ALLOC(ctx);
    ctx->pub = pub;
    ctx->scale = scale;
    ctx->mode = CLAVE_HE_MODE_DJN;
    ctx->method = HE_DJN_TABLE;
    pthread_mutex_init(&ctx->lock, NULL);
    *out = ctx;
    st = CLAVE_OK;
done:
    return st;
}

static void drop_randomizers(struct clave_he_ctx *ctx)
{
    for (size_t i = 0; i < ctx->rand_cap; i++) {
        mpz_clear(ctx->rand[i]); /* wiped by the GMP allocator */
    }
    free(ctx->rand);
    ctx->rand = NULL;
    ctx->rand_count = 0;
    ctx->rand_cap = 0;
}

void clave_he_ctx_free(struct clave_he_ctx *ctx)
{
    if (ctx == NULL) {
        return;
    }
    drop_randomizers(ctx);
    pthread_mutex_destroy(&ctx->lock);
    free(ctx);
}

clave_status clave_he_ctx_set_mode(struct clave_he_ctx *ctx, enum clave_he_mode mode)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(ctx != NULL, CLAVE_ERR_ARG, "he: no context");
    CLAVE_ENSURE(mode == CLAVE_HE_MODE_DJN || mode == CLAVE_HE_MODE_TEXTBOOK, CLAVE_ERR_ARG,
                 "he: unknown mode %d", (int)mode);
    ctx->mode = mode;
    st = CLAVE_OK;
done:
    return st;
}

void clave_he_ctx_set_pool(struct clave_he_ctx *ctx, struct clave_he_pool *pool)
{
    if (ctx != NULL) {
        ctx->pool = pool;
    }
}

uint64_t clave_he_ctx_scale(const struct clave_he_ctx *ctx)
{
    return ctx != NULL ? ctx->scale : 0;
}

const struct clave_he_pub *clave_he_ctx_pub(const struct clave_he_ctx *ctx)
{
    return ctx != NULL ? ctx->pub : NULL;
}

struct fill_job {
    struct clave_he_ctx *ctx;
    mpz_t *slots;
};

static clave_status fill_range(void *arg, size_t begin, size_t end)
{
    struct fill_job *job = arg;
    clave_status st = CLAVE_OK;
    for (size_t i = begin; i < end && st == CLAVE_OK; i++) {
        st = clave__he_randomizer(job->ctx->pub, job->ctx->mode, job->ctx->method, job->slots[i]);
    }
    return st;
}

clave_status clave_he_ctx_precompute(struct clave_he_ctx *ctx, size_t count)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct fill_job job = {ctx, NULL};
    CLAVE_ENSURE(ctx != NULL, CLAVE_ERR_ARG, "he: no context");
    CLAVE_ENSURE(pthread_mutex_lock(&ctx->lock) == 0, CLAVE_ERR_INTERNAL, "he: lock");
    if (ctx->rand_mode != ctx->mode) {
        drop_randomizers(ctx); /* a pool holds one kind of randomiser */
        ctx->rand_mode = ctx->mode;
    }
    size_t have = ctx->rand_count;
    pthread_mutex_unlock(&ctx->lock);
    CLAVE_ENSURE(count <= HE_RANDOMIZERS_MAX - have, CLAVE_ERR_LIMIT,
                 "he: at most %zu randomisers are held", HE_RANDOMIZERS_MAX);
    job.slots = calloc(count == 0 ? 1 : count, sizeof(mpz_t));
    CLAVE_ENSURE_ALLOC(job.slots);
    for (size_t i = 0; i < count; i++) {
        mpz_init(job.slots[i]);
    }
    st = clave__he_pool_run(ctx->pool, fill_range, &job, count);
    if (st == CLAVE_OK && pthread_mutex_lock(&ctx->lock) == 0) {
        if (ctx->rand_count + count > ctx->rand_cap) {
            mpz_t *grown = realloc(ctx->rand, (ctx->rand_count + count) * sizeof(mpz_t));
            if (grown == NULL) {
                st = CLAVE_ERR_NOMEM;
            } else {
                ctx->rand = grown;
                for (size_t i = ctx->rand_cap; i < ctx->rand_count + count; i++) {
                    mpz_init(ctx->rand[i]);
                }
                ctx->rand_cap = ctx->rand_count + count;
            }
        }
        for (size_t i = 0; st == CLAVE_OK && i < count; i++) {
            mpz_swap(ctx->rand[ctx->rand_count++], job.slots[i]);
        }
        pthread_mutex_unlock(&ctx->lock);
    }
    for (size_t i = 0; i < count; i++) {
        mpz_clear(job.slots[i]);
    }
    CLAVE_ENSURE(st == CLAVE_OK, st, "he: precompute failed: %s", clave_status_str(st));
done:
    free(job.slots);
    return st;
}

size_t clave_he_ctx_randomizers(struct clave_he_ctx *ctx)
{
    size_t n = 0;
    if (ctx != NULL && pthread_mutex_lock(&ctx->lock) == 0) {
        n = ctx->rand_mode == ctx->mode ? ctx->rand_count : 0;
        pthread_mutex_unlock(&ctx->lock);
    }
    return n;
}
