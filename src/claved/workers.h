/* SPDX-License-Identifier: Apache-2.0 */
/* A fixed pool of worker threads, each with its own store connection and ledger, fed by a FIFO. */
#ifndef CLAVED_WORKERS_H
#define CLAVED_WORKERS_H

#include "claved.h"

struct claved_job {
    struct claved_job *next;
    void (*run)(struct claved_job *job, const struct claved_conn *conn); /* on a worker */
};

struct claved_workers;

clave_status claved_workers_start(struct claved_app *app, size_t count,
                                  struct claved_workers **out);
/* Queue `job` (never blocks). */
void claved_workers_submit(struct claved_workers *w, struct claved_job *job);
/* Finish every queued job, then stop and free the pool. NULL is a no-op. */
void claved_workers_stop(struct claved_workers *w);

#endif
