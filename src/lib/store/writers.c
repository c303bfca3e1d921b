/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The in-process writer turn of a SQLite store and its clones. SQLite lets one connection write
 * at a time; the others poll its lock (the busy handler sleeps and retries). Connections of one
 * process instead queue here for their write transactions and are woken when the writer before
 * them ends: no polling, no wasted wake-ups. Other processes on the same file still meet
 * SQLite's lock and its busy timeout, which stays the authority; this is only a queue in front.
 */
#include "store/store_internal.h"

#include "core/check.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

struct store_writers {
    pthread_mutex_t mutex;
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
