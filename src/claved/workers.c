/* SPDX-License-Identifier: Apache-2.0 */
/* Worker pool: long work (Argon2, store round trips) never runs on an event-loop thread. */
#include "workers.h"

#include "app.h"
#include "core/check.h"

#include <pthread.h>
#include <stdlib.h>

struct worker {
    pthread_t thread;
    struct claved_conn conn;
    struct claved_workers *pool;
};

struct claved_workers {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct claved_job *head, *tail;
    bool stopping;
    size_t count; /* threads started */
    size_t alloc; /* slots */
    struct worker w[];
};

static void *worker_main(void *arg)
{
    struct worker *self = arg;
    struct claved_workers *pool = self->pool;
    for (;;) {
        pthread_mutex_lock(&pool->lock);
        while (pool->head == NULL && !pool->stopping) {
            pthread_cond_wait(&pool->cond, &pool->lock);
        }
        struct claved_job *job = pool->head;
        if (job == NULL) {
            pthread_mutex_unlock(&pool->lock);
            return NULL;
        }
        pool->head = job->next;
        if (pool->head == NULL) {
            pool->tail = NULL;
        }
        pthread_mutex_unlock(&pool->lock);
        job->run(job, &self->conn);
    }
}

clave_status claved_workers_start(struct claved_app *app, size_t count, struct claved_workers **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct claved_workers *p = calloc(1, sizeof(*p) + count * sizeof(struct worker));
    *out = NULL;
    CLAVE_ENSURE_ALLOC(p);
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->cond, NULL);
    p->alloc = count;
    for (size_t i = 0; i < count; i++) {
        p->w[i].pool = p;
        CLAVE_CHECK(claved_app_conn_open(app, &p->w[i].conn));
        CLAVE_ENSURE(pthread_create(&p->w[i].thread, NULL, worker_main, &p->w[i]) == 0,
                     CLAVE_ERR_INTERNAL, "workers: pthread_create");
        p->count = i + 1;
    }
    *out = p;
    p = NULL;
    st = CLAVE_OK;
done:
    claved_workers_stop(p);
    return st;
}

void claved_workers_submit(struct claved_workers *w, struct claved_job *job)
{
    job->next = NULL;
    pthread_mutex_lock(&w->lock);
    if (w->tail != NULL) {
        w->tail->next = job;
    } else {
        w->head = job;
    }
    w->tail = job;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

void claved_workers_stop(struct claved_workers *w)
{
    if (w == NULL) {
        return;
    }
    pthread_mutex_lock(&w->lock);
    w->stopping = true;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
    for (size_t i = 0; i < w->count; i++) {
        pthread_join(w->w[i].thread, NULL);
    }
    for (size_t i = 0; i < w->alloc; i++) {
        claved_app_conn_close(&w->w[i].conn);
    }
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->cond);
    free(w);
}
