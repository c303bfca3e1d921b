/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A small pthread pool for batch work: the caller and the workers take chunks of an index
 * range from a shared counter until it is exhausted; the caller returns when every chunk is
 * done. One batch at a time per pool (a second caller waits for the first).
 */
#include "core/check.h"
#include "he/he_internal.h"

#include <stdlib.h>

/* Chunks per thread and per batch: enough to balance cores whose speed differs (shared
 * machines), few enough to amortise the lock. */
#define HE_POOL_CHUNKS_PER_THREAD 4
#define HE_POOL_CHUNK_MAX 64

struct clave_he_pool {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_cond_t idle;
    pthread_mutex_t batch_lock; /* serialises batches */
    pthread_t *threads;
    unsigned workers;
    bool stop;
    uint64_t generation;
    /* the current batch */
    he_range_fn fn;
    void *arg;
    size_t count;
    size_t next;
    size_t chunk;
    size_t done;
    clave_status first_error;
    size_t error_index;
};

/* Take the next chunk, run it, account for it. Returns false when nothing was left. */
static bool run_chunk(struct clave_he_pool *pool)
{
    size_t begin = 0;
    size_t end = 0;
    pthread_mutex_lock(&pool->lock);
    if (pool->next >= pool->count) {
        pthread_mutex_unlock(&pool->lock);
        return false;
    }
    begin = pool->next;
    end = pool->count - begin > pool->chunk ? begin + pool->chunk : pool->count;
    pool->next = end;
    he_range_fn fn = pool->fn;
    void *arg = pool->arg;
    pthread_mutex_unlock(&pool->lock);

    clave_status st = fn(arg, begin, end);

    pthread_mutex_lock(&pool->lock);
    if (st != CLAVE_OK && (pool->first_error == CLAVE_OK || begin < pool->error_index)) {
        pool->first_error = st;
        pool->error_index = begin;
    }
    pool->done += end - begin;
    if (pool->done == pool->count) {
        pthread_cond_broadcast(&pool->idle);
    }
    pthread_mutex_unlock(&pool->lock);
    return true;
}

static void *worker(void *p)
{
    struct clave_he_pool *pool = p;
    uint64_t seen = 0;
    for (;;) {
        pthread_mutex_lock(&pool->lock);
        while (!pool->stop && pool->generation == seen) {
            pthread_cond_wait(&pool->wake, &pool->lock);
        }
        if (pool->stop) {
            pthread_mutex_unlock(&pool->lock);
            return NULL;
        }
        seen = pool->generation;
        pthread_mutex_unlock(&pool->lock);
        while (run_chunk(pool)) {
        }
    }
}

clave_status clave_he_pool_new(unsigned threads, struct clave_he_pool **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_he_pool *pool = NULL;
    *out = NULL;
    CLAVE_ENSURE(threads >= 1 && threads <= CLAVE_HE_THREADS_MAX, CLAVE_ERR_ARG,
                 "he: %u threads (1..%d)", threads, CLAVE_HE_THREADS_MAX);
    pool = calloc(1, sizeof(*pool));
    CLAVE_ENSURE_ALLOC(pool);
    pthread_mutex_init(&pool->lock, NULL);
    pthread_mutex_init(&pool->batch_lock, NULL);
    pthread_cond_init(&pool->wake, NULL);
    pthread_cond_init(&pool->idle, NULL);
    pool->threads = calloc(threads, sizeof(pthread_t));
    CLAVE_ENSURE_ALLOC(pool->threads);
    for (unsigned i = 0; i + 1 < threads; i++) {
        CLAVE_ENSURE(pthread_create(&pool->threads[i], NULL, worker, pool) == 0, CLAVE_ERR_INTERNAL,
                     "he: cannot start a worker thread");
        pool->workers++;
    }
    *out = pool;
    pool = NULL;
    st = CLAVE_OK;
done:
    clave_he_pool_free(pool);
    return st;
}

void clave_he_pool_free(struct clave_he_pool *pool)
{
    if (pool == NULL) {
        return;
    }
    pthread_mutex_lock(&pool->lock);
    pool->stop = true;
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->lock);
    for (unsigned i = 0; i < pool->workers; i++) {
        pthread_join(pool->threads[i], NULL);
    }
    free(pool->threads);
    pthread_cond_destroy(&pool->wake);
    pthread_cond_destroy(&pool->idle);
    pthread_mutex_destroy(&pool->lock);
    pthread_mutex_destroy(&pool->batch_lock);
    free(pool);
}

clave_status clave__he_pool_run(struct clave_he_pool *pool, he_range_fn fn, void *arg, size_t count)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    if (pool == NULL || pool->workers == 0 || count < 2) {
        return count == 0 ? CLAVE_OK : fn(arg, 0, count);
    }
    size_t chunk = count / (HE_POOL_CHUNKS_PER_THREAD * (pool->workers + 1));
    chunk = chunk == 0 ? 1 : (chunk > HE_POOL_CHUNK_MAX ? HE_POOL_CHUNK_MAX : chunk);
    pthread_mutex_lock(&pool->batch_lock);
    pthread_mutex_lock(&pool->lock);
    pool->fn = fn;
    pool->arg = arg;
    pool->count = count;
    pool->next = 0;
    pool->chunk = chunk;
    pool->done = 0;
    pool->first_error = CLAVE_OK;
    pool->error_index = 0;
    pool->generation++;
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->lock);
    while (run_chunk(pool)) {
    }
    pthread_mutex_lock(&pool->lock);
    while (pool->done < pool->count) {
        pthread_cond_wait(&pool->idle, &pool->lock);
    }
    clave_status first = pool->first_error;
    size_t index = pool->error_index;
    pool->count = 0;
    pthread_mutex_unlock(&pool->lock);
    pthread_mutex_unlock(&pool->batch_lock);
    /* A worker's detail lives in its own thread-local error: name the failure here. */
    CLAVE_ENSURE(first == CLAVE_OK, first, "he: batch item %zu..: %s", index,
                 clave_status_str(first));
    st = CLAVE_OK;
done:
    return st;
}
