/* SPDX-License-Identifier: Apache-2.0 */
/* Prometheus counters and histograms (lock-free atomics, updated from any thread). */
#ifndef CLAVED_METRICS_H
#define CLAVED_METRICS_H

#include "claved.h"

clave_status claved_metrics_new(size_t route_count, struct claved_metrics **out);
void claved_metrics_free(struct claved_metrics *m);

/* One finished request: `route` index or -1, HTTP status, latency in microseconds. */
void claved_metrics_request(struct claved_metrics *m, int route, int status, uint64_t micros);
void claved_metrics_login_failure(struct claved_metrics *m);

/* Render the text exposition format (version 0.0.4) into a new string. Caller frees. Gauges
 * read from the store are -1 when it could not answer. */
clave_status claved_metrics_render(const struct claved_metrics *m, int64_t active_sessions,
                                   int64_t ledger_entries, char **out, size_t *len);

#endif
