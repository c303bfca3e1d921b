/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The writers of one SQLite database in this process (a store and its clones): their turn and
 * their group commit.
 *
 * Turn: SQLite lets one connection write at a time; the others poll its lock (the busy handler
 * sleeps and retries). Connections of one process instead queue here for their write
 * transactions and are woken when the writer before them ends: no polling, no wasted wake-ups.
 * Other processes on the same file still meet SQLite's lock and its busy timeout, which stays
 * the authority; this is only a queue in front.
 *
 * Group commit: the connections run WAL with synchronous=NORMAL, so a COMMIT writes its frames
 * to the WAL without an fsync and the turn passes on at once. The committer then takes a
 * ticket and waits until the WAL is synced past it: one waiting committer syncs the whole WAL
 * (covering every ticket handed out before it started) while the others wait for that sync or
 * the next. A commit returns only once durable, as with synchronous=FULL, but the fsync no
 * longer holds up the next writer, and concurrent commits share one. A failed sync poisons the
 * group: Linux may drop the dirty pages of a failed write-back, so a retry that "succeeds"
 * would prove nothing; every later durable commit of this process fails until a restart.
 */
#include "store/store_internal.h"

#include "core/check.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

struct store_writers {
    pthread_mutex_t mutex; /* the write turn */
    pthread_mutex_t sync_mutex;
    pthread_cond_t synced_cond;
    uint64_t written; /* tickets handed out: commits whose frames are in the WAL */
    uint64_t synced;  /* every ticket up to this one is on stable storage */
    bool syncing;     /* a committer is syncing the WAL now */
    bool sync_failed; /* a sync failed: nothing is durable any more (see above) */
    atomic_uint refs;
};

clave_status clave__store_writers_new(struct store_writers **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct store_writers *w = calloc(1, sizeof(*w));
    *out = NULL;
    CLAVE_ENSURE_ALLOC(w);
    CLAVE_ENSURE(pthread_mutex_init(&w->mutex, NULL) == 0, CLAVE_ERR_INTERNAL,
                 "store: writer lock init");
    if (pthread_mutex_init(&w->sync_mutex, NULL) != 0) {
        pthread_mutex_destroy(&w->mutex);
        CLAVE_RAISE(CLAVE_ERR_INTERNAL, "store: sync lock init");
    }
    if (pthread_cond_init(&w->synced_cond, NULL) != 0) {
        pthread_mutex_destroy(&w->sync_mutex);
        pthread_mutex_destroy(&w->mutex);
        CLAVE_RAISE(CLAVE_ERR_INTERNAL, "store: sync condition init");
    }
    atomic_init(&w->refs, 1);
    *out = w;
    w = NULL;
    st = CLAVE_OK;
done:
    free(w);
    return st;
}

struct store_writers *clave__store_writers_ref(struct store_writers *w)
{
    if (w != NULL) {
        atomic_fetch_add(&w->refs, 1);
    }
    return w;
}

void clave__store_writers_unref(struct store_writers *w)
{
    if (w != NULL && atomic_fetch_sub(&w->refs, 1) == 1) {
        pthread_cond_destroy(&w->synced_cond);
        pthread_mutex_destroy(&w->sync_mutex);
        pthread_mutex_destroy(&w->mutex);
        free(w);
    }
}

clave_status clave__store_writers_lock(struct store_writers *w, uint32_t timeout_ms)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct timespec until;
    CLAVE_ENSURE(clock_gettime(CLOCK_REALTIME, &until) == 0, CLAVE_ERR_INTERNAL,
                 "store: clock_gettime");
    until.tv_sec += (time_t)(timeout_ms / 1000);
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    int rc = pthread_mutex_timedlock(&w->mutex, &until);
    CLAVE_ENSURE(rc != ETIMEDOUT, CLAVE_ERR_CONFLICT,
                 "store: another connection of this process kept the write lock over %u ms",
                 timeout_ms);
    CLAVE_ENSURE(rc == 0, CLAVE_ERR_INTERNAL, "store: writer lock: error %d", rc);
    st = CLAVE_OK;
done:
    return st;
}

void clave__store_writers_unlock(struct store_writers *w)
{
    (void)pthread_mutex_unlock(&w->mutex);
}

uint64_t clave__store_writers_ticket(struct store_writers *w)
{
    (void)pthread_mutex_lock(&w->sync_mutex);
    uint64_t ticket = ++w->written;
    (void)pthread_mutex_unlock(&w->sync_mutex);
    return ticket;
}

clave_status clave__store_writers_sync(struct store_writers *w, uint64_t ticket,
                                       struct clave_store *s)
{
    clave_status st = CLAVE_OK;
    (void)pthread_mutex_lock(&w->sync_mutex);
    while (w->synced < ticket && !w->sync_failed) {
        if (w->syncing) {
            (void)pthread_cond_wait(&w->synced_cond, &w->sync_mutex);
            continue;
        }
        w->syncing = true;
        uint64_t target = w->written; /* their frames were written before their tickets */
        (void)pthread_mutex_unlock(&w->sync_mutex);
        st = s->ops->sync(s);
        (void)pthread_mutex_lock(&w->sync_mutex);
        w->syncing = false;
        if (st == CLAVE_OK && target > w->synced) {
            w->synced = target;
        }
        w->sync_failed = w->sync_failed || st != CLAVE_OK;
        (void)pthread_cond_broadcast(&w->synced_cond);
    }
    bool failed = w->synced < ticket;
    (void)pthread_mutex_unlock(&w->sync_mutex);
    if (failed && st == CLAVE_OK) {
        st = CLAVE_ERR_STORE;
        clave__error_set(st, __FILE__, __LINE__,
                         "store: a sync of the write-ahead log failed earlier in this process; "
                         "commits can no longer be made durable (restart)");
    }
    return st;
}
