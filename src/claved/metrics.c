/* SPDX-License-Identifier: Apache-2.0 */
/* Metrics in the Prometheus text exposition format 0.0.4. */
#include "metrics.h"

#include "core/check.h"
#include "routes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Status codes counted separately; anything else goes to the last slot. */
static const int STATUSES[] = {200, 201, 204, 400, 401, 403, 404, 405,
                               409, 413, 415, 429, 500, 503, 0};
#define STATUS_SLOTS (sizeof(STATUSES) / sizeof(STATUSES[0]))
/* Latency bucket bounds in microseconds (rendered in seconds). */
static const uint64_t BUCKETS_US[] = {500,   1000,   2500,   5000,   10000,   25000,
                                      50000, 100000, 250000, 500000, 1000000, 2500000};
#define BUCKET_COUNT (sizeof(BUCKETS_US) / sizeof(BUCKETS_US[0]))
#define METRICS_TEXT_MAX (256 * 1024)

struct route_metrics {
    atomic_uint_fast64_t by_status[STATUS_SLOTS];
    atomic_uint_fast64_t buckets[BUCKET_COUNT + 1]; /* last: +Inf */
    atomic_uint_fast64_t sum_us;
};

struct claved_metrics {
    size_t routes; /* route_count + 1: the last row counts unmatched requests */
    atomic_uint_fast64_t login_failures;
    struct route_metrics r[];
};

clave_status claved_metrics_new(size_t route_count, struct claved_metrics **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    *out = NULL;
    struct claved_metrics *m =
        calloc(1, sizeof(*m) + (route_count + 1) * sizeof(struct route_metrics));
    CLAVE_ENSURE_ALLOC(m);
    m->routes = route_count + 1;
    *out = m;
    st = CLAVE_OK;
done:
    return st;
}

void claved_metrics_free(struct claved_metrics *m)
{
    free(m);
}

void claved_metrics_request(struct claved_metrics *m, int route, int status, uint64_t micros)
{
    size_t ri = route >= 0 && (size_t)route < m->routes - 1 ? (size_t)route : m->routes - 1;
    struct route_metrics *r = &m->r[ri];
    size_t si = STATUS_SLOTS - 1;
    for (size_t i = 0; i + 1 < STATUS_SLOTS; i++) {
        if (STATUSES[i] == status) {
            si = i;
            break;
        }
    }
    atomic_fetch_add(&r->by_status[si], 1);
    size_t b = 0;
    while (b < BUCKET_COUNT && micros > BUCKETS_US[b]) {
        b++;
    }
    atomic_fetch_add(&r->buckets[b], 1);
    atomic_fetch_add(&r->sum_us, micros);
}

void claved_metrics_login_failure(struct claved_metrics *m)
{
    atomic_fetch_add(&m->login_failures, 1);
}

struct text {
    char *buf;
    size_t len;
    bool overflow;
};

__attribute__((format(printf, 2, 3))) static void put(struct text *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(t->buf + t->len, METRICS_TEXT_MAX - t->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= METRICS_TEXT_MAX - t->len) {
        t->overflow = true;
        return;
    }
    t->len += (size_t)n;
}

static void route_label(size_t i, size_t routes, const char **method, const char **pattern)
{
    if (i + 1 == routes) {
        *method = "any";
        *pattern = "unmatched";
    } else {
        *method = claved_method_name(CLAVED_ROUTES[i].method);
        *pattern = CLAVED_ROUTES[i].pattern;
    }
}

static void render_requests(const struct claved_metrics *m, struct text *t)
{
    put(t, "# HELP claved_http_requests_total HTTP requests by route and status.\n"
           "# TYPE claved_http_requests_total counter\n");
    for (size_t i = 0; i < m->routes; i++) {
        const char *method = NULL;
        const char *pattern = NULL;
        route_label(i, m->routes, &method, &pattern);
        for (size_t s = 0; s < STATUS_SLOTS; s++) {
            uint64_t v = atomic_load(&m->r[i].by_status[s]);
            if (v != 0) {
                char code[8];
                snprintf(code, sizeof(code), "%d", STATUSES[s]);
                put(t,
                    "claved_http_requests_total{method=\"%s\",route=\"%s\",status=\"%s\"} %llu\n",
                    method, pattern, STATUSES[s] == 0 ? "other" : code, (unsigned long long)v);
            }
        }
    }
}

static void render_latency(const struct claved_metrics *m, struct text *t)
{
    put(t, "# HELP claved_http_request_duration_seconds Request latency by route.\n"
           "# TYPE claved_http_request_duration_seconds histogram\n");
    for (size_t i = 0; i < m->routes; i++) {
        const char *method = NULL;
        const char *pattern = NULL;
        route_label(i, m->routes, &method, &pattern);
        uint64_t cum = 0;
        for (size_t b = 0; b <= BUCKET_COUNT; b++) {
            cum += atomic_load(&m->r[i].buckets[b]);
            char le[32];
            if (b < BUCKET_COUNT) {
                snprintf(le, sizeof(le), "%g", (double)BUCKETS_US[b] / 1e6);
            } else {
                snprintf(le, sizeof(le), "+Inf");
            }
            put(t,
                "claved_http_request_duration_seconds_bucket{method=\"%s\",route=\"%s\","
                "le=\"%s\"} %llu\n",
                method, pattern, le, (unsigned long long)cum);
        }
        put(t, "claved_http_request_duration_seconds_sum{method=\"%s\",route=\"%s\"} %.6f\n",
            method, pattern, (double)atomic_load(&m->r[i].sum_us) / 1e6);
        put(t, "claved_http_request_duration_seconds_count{method=\"%s\",route=\"%s\"} %llu\n",
            method, pattern, (unsigned long long)cum);
    }
}

clave_status claved_metrics_render(const struct claved_metrics *m, int64_t active_sessions,
                                   int64_t ledger_entries, char **out, size_t *len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct text t = {malloc(METRICS_TEXT_MAX), 0, false};
    *out = NULL;
    *len = 0;
    CLAVE_ENSURE_ALLOC(t.buf);
    render_requests(m, &t);
    render_latency(m, &t);
    put(&t,
        "# HELP claved_active_sessions Sessions neither expired nor revoked.\n"
        "# TYPE claved_active_sessions gauge\nclaved_active_sessions %lld\n",
        (long long)active_sessions);
    put(&t,
        "# HELP claved_login_failures_total Failed login attempts.\n"
        "# TYPE claved_login_failures_total counter\nclaved_login_failures_total %llu\n",
        (unsigned long long)atomic_load(&m->login_failures));
    put(&t,
        "# HELP claved_audit_ledger_entries Entries in the audit ledger.\n"
        "# TYPE claved_audit_ledger_entries gauge\nclaved_audit_ledger_entries %lld\n",
        (long long)ledger_entries);
    CLAVE_ENSURE(!t.overflow, CLAVE_ERR_LIMIT, "metrics: output too large");
    *out = t.buf;
    *len = t.len;
    t.buf = NULL;
    st = CLAVE_OK;
done:
    free(t.buf);
    return st;
}
