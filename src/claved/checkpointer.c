/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Periodic signed tree heads. Every interval the thread compares the log's size with the latest
 * kept head and signs a new one when it grew, so a quiet log does not accumulate identical heads.
 * Several replicas may run this at once: clave_ledger_checkpoint keeps one head per tree size.
 */
#include "checkpointer.h"

#include "app.h"
#include "core/check.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

struct claved_checkpointer {
    struct claved_app *app;
    struct claved_conn conn;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond; /* CLOCK_MONOTONIC */
    bool stopping;
};

static void tick(struct claved_checkpointer *c)
{
    struct clave_ledger_sth sth;
    uint64_t size = 0;
    clave_status st = clave_ledger_size(c->conn.ledger, &size);
    clave_status latest = st == CLAVE_OK ? clave_ledger_latest_sth(c->conn.ledger, &sth) : st;
    if (st == CLAVE_OK &&
        (latest == CLAVE_ERR_NOT_FOUND || (latest == CLAVE_OK && sth.tree_size < size))) {
        st = clave_ledger_checkpoint(c->conn.ledger, c->app->audit_key, claved_now_ms(), &sth);
    } else if (latest != CLAVE_OK) {
        st = latest;
    }
    if (st != CLAVE_OK) {
        struct clave_log_field f[] = {{"detail", clave_error_last().detail}};
        clave_log_write(c->app->log, CLAVE_LOG_ERROR, "audit", "checkpoint failed", f, 1);
    }
}

static void *checkpointer_main(void *arg)
{
    struct claved_checkpointer *c = arg;
    pthread_mutex_lock(&c->lock);
    while (!c->stopping) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += (time_t)c->app->cfg.audit_checkpoint_interval_s;
        while (!c->stopping && pthread_cond_timedwait(&c->cond, &c->lock, &until) == 0) {
        }
        if (!c->stopping) {
            pthread_mutex_unlock(&c->lock);
            tick(c);
            pthread_mutex_lock(&c->lock);
        }
    }
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

clave_status claved_checkpointer_start(struct claved_app *app, struct claved_checkpointer **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    pthread_condattr_t attr;
    struct claved_checkpointer *c = calloc(1, sizeof(*c));
    *out = NULL;
    CLAVE_ENSURE_ALLOC(c);
    c->app = app;
    pthread_mutex_init(&c->lock, NULL);
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&c->cond, &attr);
    pthread_condattr_destroy(&attr);
    CLAVE_CHECK(claved_app_conn_open(app, &c->conn));
    CLAVE_ENSURE(pthread_create(&c->thread, NULL, checkpointer_main, c) == 0, CLAVE_ERR_INTERNAL,
                 "checkpointer: pthread_create");
    *out = c;
    c = NULL;
    st = CLAVE_OK;
done:
    if (c != NULL) {
        claved_app_conn_close(&c->conn);
        pthread_mutex_destroy(&c->lock);
        pthread_cond_destroy(&c->cond);
        free(c);
    }
    return st;
}

void claved_checkpointer_stop(struct claved_checkpointer *c)
{
    if (c == NULL) {
        return;
    }
    pthread_mutex_lock(&c->lock);
    c->stopping = true;
    pthread_cond_signal(&c->cond);
    pthread_mutex_unlock(&c->lock);
    pthread_join(c->thread, NULL);
    claved_app_conn_close(&c->conn);
    pthread_mutex_destroy(&c->lock);
    pthread_cond_destroy(&c->cond);
    free(c);
}
