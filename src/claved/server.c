/* SPDX-License-Identifier: Apache-2.0 */
/*
 * HTTPS front end over libevent 2.1: per thread an event_base, an evhttp and a listening socket
 * bound with SO_REUSEPORT (the kernel spreads connections). A request is read completely by
 * evhttp (header and body limits), copied into a job, run on the worker pool, and its response
 * is handed back to the loop thread with event_active (evthread locking is on).
 *
 * Slow clients: each connection carries a deadline timer (SSL ex_data): read_timeout_s to
 * deliver a whole request, idle_timeout_s between keep-alive requests; when it fires outside a
 * request the socket is shut down. Connections per thread are capped by pausing the listener.
 */
#include "server.h"

#include "app.h"
#include "auth_cache.h"
#include "checkpointer.h"
#include "core/check.h"
#include "metrics.h"
#include "routes.h"
#include "tls.h"
#include "workers.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <event2/thread.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define LISTEN_BACKLOG 1024
#define MAX_LOOPS 256
#define DRAIN_POLL_NS 10000000L

struct loop {
    pthread_t thread;
    struct server *srv;
    struct event_base *base;
    struct evhttp *http;
    struct evhttp_bound_socket *bound;
    struct evconnlistener *listener;
    struct event *stop_accept;
    struct claved_auth_cache *cache; /* this loop's credentials (auth_cache.h) */
    size_t conns, max_conns;
    bool paused;
};

struct server {
    struct claved_app *app;
    SSL_CTX *ssl;
    struct claved_workers *workers;
    struct claved_checkpointer *checkpointer;
    struct loop *loops;
    size_t nloops;
    atomic_size_t inflight;
    int ex_index;
};

struct conn {
    struct loop *loop;
    struct bufferevent *bev;
    struct event *deadline;
    bool in_request;
    bool fp_done;
    char fp[CLAVED_CERT_FP_LEN + 1];
};

struct http_job {
    struct claved_job job;
    struct server *srv;
    struct loop *loop;
    struct evhttp_request *evreq;
    struct event *done;
    struct claved_request req;
    struct claved_response resp;
    char *path, *query, *auth, *ctype, *fp, *cookie;
    char ip[64];
    uint8_t *body;
    struct timespec start;
};

static void conn_arm(struct conn *c, uint32_t seconds)
{
    struct timeval tv = {(time_t)seconds, 0};
    evtimer_add(c->deadline, &tv);
}

static void deadline_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct conn *c = arg;
    if (!c->in_request) {
        shutdown(bufferevent_getfd(c->bev), SHUT_RDWR);
    }
}

/* SSL ex_data destructor: runs when evhttp frees the connection (SSL_free). */
static void conn_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
    (void)parent;
    (void)ad;
    (void)idx;
    (void)argl;
    (void)argp;
    struct conn *c = ptr;
    if (c == NULL) {
        return;
    }
    struct loop *l = c->loop;
    event_free(c->deadline);
    free(c);
    l->conns--;
    if (l->paused && l->listener != NULL && l->conns < l->max_conns) {
        evconnlistener_enable(l->listener);
        l->paused = false;
    }
}

static struct bufferevent *bev_cb(struct event_base *base, void *arg)
{
    struct loop *l = arg;
    SSL *ssl = SSL_new(l->srv->ssl);
    struct conn *c = calloc(1, sizeof(*c));
    struct bufferevent *bev = NULL;
    if (ssl == NULL || c == NULL) {
        goto fail;
    }
    c->loop = l;
    c->deadline = evtimer_new(base, deadline_cb, c);
    if (c->deadline == NULL || SSL_set_ex_data(ssl, l->srv->ex_index, c) != 1) {
        goto fail;
    }
    l->conns++;
    if (l->conns >= l->max_conns && l->listener != NULL) {
        evconnlistener_disable(l->listener);
        l->paused = true;
    }
    bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
                                         BEV_OPT_CLOSE_ON_FREE);
    if (bev == NULL) {
        SSL_free(ssl); /* runs conn_free */
        return NULL;
    }
    c->bev = bev;
    conn_arm(c, l->srv->app->cfg.read_timeout_s);
    return bev;
fail:
    if (c != NULL && c->deadline != NULL) {
        event_free(c->deadline);
    }
    free(c);
    SSL_free(ssl);
    return NULL;
}

static struct conn *conn_of(struct server *srv, struct evhttp_request *evreq)
{
    struct evhttp_connection *evcon = evhttp_request_get_connection(evreq);
    struct bufferevent *bev = evcon != NULL ? evhttp_connection_get_bufferevent(evcon) : NULL;
    SSL *ssl = bev != NULL ? bufferevent_openssl_get_ssl(bev) : NULL;
    return ssl != NULL ? SSL_get_ex_data(ssl, srv->ex_index) : NULL;
}

static enum claved_method map_method(enum evhttp_cmd_type cmd)
{
    switch (cmd) {
    case EVHTTP_REQ_GET:
        return CLAVED_GET;
    case EVHTTP_REQ_POST:
        return CLAVED_POST;
    case EVHTTP_REQ_PUT:
        return CLAVED_PUT;
    case EVHTTP_REQ_DELETE:
        return CLAVED_DELETE;
    default:
        return CLAVED_OTHER;
    }
}

static void job_free(struct http_job *j)
{
    claved_response_clear(&j->resp);
    free(j->path);
    free(j->query);
    if (j->auth != NULL) {
        clave_wipe(j->auth, strlen(j->auth));
        free(j->auth);
    }
    free(j->ctype);
    free(j->fp);
    if (j->cookie != NULL) {
        clave_wipe(j->cookie, strlen(j->cookie));
        free(j->cookie);
    }
    if (j->body != NULL) {
        clave_wipe(j->body, j->req.body_len);
        free(j->body);
    }
    if (j->done != NULL) {
        event_free(j->done);
    }
    free(j);
}

static uint64_t elapsed_us(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    int64_t us = (int64_t)(now.tv_sec - start->tv_sec) * 1000000 +
                 (int64_t)(now.tv_nsec - start->tv_nsec) / 1000;
    return us > 0 ? (uint64_t)us : 0;
}

static void access_log(struct http_job *j, uint64_t us)
{
    char status[8];
    char dur[24];
    snprintf(status, sizeof(status), "%d", j->resp.status);
    snprintf(dur, sizeof(dur), "%.3f", (double)us / 1000.0);
    const char *route = j->resp.route >= 0 ? CLAVED_ROUTES[j->resp.route].pattern : "unmatched";
    struct clave_log_field f[] = {{"request_id", j->req.request_id},
                                  {"method", claved_method_name(j->req.method)},
                                  {"route", route},
                                  {"status", status},
                                  {"duration_ms", dur}};
    clave_log_write(j->srv->app->log, CLAVE_LOG_INFO, "http", "request", f, 5);
}

/* On the loop thread: send the response, update metrics, re-arm the idle deadline. */
static void reply(struct http_job *j)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(j->evreq);
    struct evbuffer *out = evbuffer_new();
    char retry[16];
    evhttp_add_header(h, "Content-Type",
                      j->resp.content_type != NULL ? j->resp.content_type : "application/json");
    evhttp_add_header(h, "X-Request-Id", j->req.request_id);
    evhttp_add_header(h, "Cache-Control", "no-store");
    evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
    if (j->resp.retry_after > 0) {
        snprintf(retry, sizeof(retry), "%d", j->resp.retry_after);
        evhttp_add_header(h, "Retry-After", retry);
    }
    if (j->resp.set_cookie[0] != '\0') {
        evhttp_add_header(h, "Set-Cookie", j->resp.set_cookie);
    }
    if (atomic_load(&j->srv->app->draining)) {
        evhttp_add_header(h, "Connection", "close");
    }
    if (out != NULL && j->resp.body != NULL) {
        evbuffer_add(out, j->resp.body, j->resp.body_len);
    } else if (out != NULL && j->resp.body_is_fd) {
        /* The buffer takes the descriptor (closed once sent); over TLS libevent maps the file
         * and encrypts from the mapping, so a large blob never sits in the heap. */
        if (evbuffer_add_file(out, j->resp.body_fd, 0, (ev_off_t)j->resp.body_len) == 0) {
            j->resp.body_is_fd = false;
        } else {
            j->resp.status = 500;
        }
    }
    struct conn *c = conn_of(j->srv, j->evreq);
    if (c != NULL) {
        c->in_request = false;
        conn_arm(c, j->srv->app->cfg.idle_timeout_s);
    }
    evhttp_send_reply(j->evreq, j->resp.status, NULL, out);
    evbuffer_free(out);
    if (j->resp.credential_fresh) {
        claved_auth_cache_put(j->loop->cache, j->resp.credential_key, &j->resp.credential_who,
                              claved_now_ms(), j->resp.credential_limit_ms,
                              j->resp.credential_generation);
    }
    uint64_t us = elapsed_us(&j->start);
    claved_metrics_request(j->srv->app->metrics, j->resp.route, j->resp.status, us);
    access_log(j, us);
    atomic_fetch_sub(&j->srv->inflight, 1);
    job_free(j);
}

static void done_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    reply(arg);
}

static void run_job(struct claved_job *job, const struct claved_conn *conn)
{
    struct http_job *j = (struct http_job *)job;
    claved_dispatch(j->srv->app, conn, &j->req, &j->resp);
    event_active(j->done, EV_READ, 0);
}

static char *dup_header(struct evhttp_request *evreq, const char *name)
{
    const char *v = evhttp_find_header(evhttp_request_get_input_headers(evreq), name);
    return v != NULL ? strdup(v) : NULL;
}

/* Copy what the router needs out of the evhttp request. False: answer 400. */
static bool fill_job(struct http_job *j, struct evhttp_request *evreq)
{
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(evreq);
    const char *raw = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
    size_t len = 0;
    j->path = raw != NULL ? evhttp_uridecode(raw, 0, &len) : NULL;
    if (j->path == NULL || strlen(j->path) != len) {
        return false; /* undecodable, or a %00 inside */
    }
    j->req.path = j->path;
    const char *query = evhttp_uri_get_query(uri);
    if (query != NULL) {
        j->query = strdup(query);
        if (j->query == NULL) {
            return false;
        }
        j->req.query = j->query;
    }
    j->req.method = map_method(evhttp_request_get_command(evreq));
    j->auth = dup_header(evreq, "Authorization");
    j->ctype = dup_header(evreq, "Content-Type");
    j->cookie = dup_header(evreq, "Cookie");
    j->req.authorization = j->auth;
    j->req.content_type = j->ctype;
    j->req.cookie = j->cookie;
    struct evhttp_connection *ec = evhttp_request_get_connection(evreq);
    char *addr = NULL;
    ev_uint16_t port = 0;
    if (ec != NULL) {
        evhttp_connection_get_peer(ec, &addr, &port);
    }
    if (addr != NULL) {
        snprintf(j->ip, sizeof(j->ip), "%s", addr);
        j->req.client_ip = j->ip;
    }
    struct evbuffer *in = evhttp_request_get_input_buffer(evreq);
    size_t n = evbuffer_get_length(in);
    if (n > 0) {
        j->body = malloc(n);
        if (j->body == NULL || evbuffer_remove(in, j->body, n) != (int)n) {
            return false;
        }
        j->req.body = j->body;
        j->req.body_len = n;
    }
    return true;
}

static void request_cb(struct evhttp_request *evreq, void *arg)
{
    struct loop *l = arg;
    struct server *srv = l->srv;
    struct http_job *j = calloc(1, sizeof(*j));
    if (j == NULL) {
        evhttp_send_error(evreq, 503, NULL);
        return;
    }
    clock_gettime(CLOCK_MONOTONIC, &j->start);
    j->srv = srv;
    j->loop = l;
    j->evreq = evreq;
    j->job.run = run_job;
    j->resp.route = -1;
    atomic_fetch_add(&srv->inflight, 1);
    struct conn *c = conn_of(srv, evreq);
    if (c != NULL) {
        c->in_request = true;
        evtimer_del(c->deadline);
        if (!c->fp_done) {
            c->fp_done = true;
            (void)claved_tls_peer_fp(bufferevent_openssl_get_ssl(c->bev), c->fp);
        }
        if (c->fp[0] != '\0') {
            j->fp = strdup(c->fp);
            j->req.client_cert_fp = j->fp;
        }
    }
    if (claved_new_request_id(j->req.request_id) != CLAVE_OK) {
        evhttp_send_error(evreq, 503, NULL);
        atomic_fetch_sub(&srv->inflight, 1);
        job_free(j);
        return;
    }
    if (!fill_job(j, evreq)) {
        struct claved_ctx ctx = {.app = srv->app, .req = &j->req, .resp = &j->resp};
        claved_error(&ctx, 400, "bad_request", "malformed request path");
        reply(j);
        return;
    }
    if (claved_dispatch_inline(srv->app, l->cache, &j->req, &j->resp)) {
        reply(j); /* answered on this thread: no store needed, credentials cached */
        return;
    }
    j->done = event_new(l->base, -1, 0, done_cb, j);
    if (j->done == NULL) {
        struct claved_ctx ctx = {.app = srv->app, .req = &j->req, .resp = &j->resp};
        claved_error(&ctx, 503, "busy", "out of memory");
        reply(j);
        return;
    }
    claved_workers_submit(srv->workers, &j->job);
}

static void stop_accept_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct loop *l = arg;
    if (l->bound != NULL) {
        evhttp_del_accept_socket(l->http, l->bound);
        l->bound = NULL;
        l->listener = NULL;
    }
}

static clave_status listen_socket(const char *listen_addr, evutil_socket_t *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char host[256];
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *ai = NULL;
    int one = 1;
    int fd = -1;
    const char *colon = strrchr(listen_addr, ':');
    size_t hl = (size_t)(colon - listen_addr);
    CLAVE_ENSURE(hl < sizeof(host), CLAVE_ERR_ARG, "listen: address too long");
    memcpy(host, listen_addr, hl);
    host[hl] = '\0';
    char *h = host;
    if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
        host[hl - 1] = '\0';
        h = host + 1;
    }
    int rc = getaddrinfo(h[0] != '\0' ? h : NULL, colon + 1, &hints, &ai);
    CLAVE_ENSURE(rc == 0, CLAVE_ERR_ARG, "listen %s: %s", listen_addr, gai_strerror(rc));
    fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    CLAVE_ENSURE(fd >= 0, CLAVE_ERR_IO, "socket: %s", strerror(errno));
    CLAVE_ENSURE(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0 &&
                     setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) == 0 &&
                     /* Inherited by accepted sockets: no Nagle/delayed-ACK stalls (40 ms). */
                     setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == 0,
                 CLAVE_ERR_IO, "setsockopt: %s", strerror(errno));
    CLAVE_ENSURE(bind(fd, ai->ai_addr, ai->ai_addrlen) == 0, CLAVE_ERR_IO, "bind %s: %s",
                 listen_addr, strerror(errno));
    CLAVE_ENSURE(listen(fd, LISTEN_BACKLOG) == 0, CLAVE_ERR_IO, "listen: %s", strerror(errno));
    *out = fd;
    fd = -1;
    st = CLAVE_OK;
done:
    if (fd >= 0) {
        close(fd);
    }
    if (ai != NULL) {
        freeaddrinfo(ai);
    }
    return st;
}

static clave_status loop_init(struct server *srv, struct loop *l)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const struct claved_config *cfg = &srv->app->cfg;
    evutil_socket_t fd = -1;
    l->srv = srv;
    l->max_conns = cfg->max_connections / srv->nloops;
    l->max_conns = l->max_conns > 0 ? l->max_conns : 1;
    l->base = event_base_new();
    l->http = l->base != NULL ? evhttp_new(l->base) : NULL;
    CLAVE_ENSURE(l->http != NULL, CLAVE_ERR_NOMEM, "evhttp_new");
    l->stop_accept = event_new(l->base, -1, 0, stop_accept_cb, l);
    CLAVE_ENSURE_ALLOC(l->stop_accept);
    CLAVE_CHECK(
        claved_auth_cache_new(cfg->session_cache_ms, &srv->app->auth_generation, &l->cache));
    evhttp_set_max_headers_size(l->http, cfg->max_header_bytes);
    /* Hard cap; dispatch applies the exact (and the tighter unauthenticated) limit with JSON. */
    evhttp_set_max_body_size(l->http, (ev_ssize_t)cfg->max_body_bytes * 2);
    struct timeval tv = {(time_t)cfg->read_timeout_s, 0};
    evhttp_set_timeout_tv(l->http, &tv);
    evhttp_set_allowed_methods(l->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
                                            EVHTTP_REQ_DELETE | EVHTTP_REQ_HEAD);
    evhttp_set_bevcb(l->http, bev_cb, l);
    evhttp_set_gencb(l->http, request_cb, l);
    CLAVE_CHECK(listen_socket(cfg->listen, &fd));
    l->bound = evhttp_accept_socket_with_handle(l->http, fd);
    CLAVE_ENSURE(l->bound != NULL, CLAVE_ERR_IO, "evhttp_accept_socket");
    fd = -1;
    l->listener = evhttp_bound_socket_get_listener(l->bound);
    st = CLAVE_OK;
done:
    if (fd >= 0) {
        close(fd);
    }
    return st;
}

static void loop_fini(struct loop *l)
{
    l->listener = NULL;
    if (l->http != NULL) {
        evhttp_free(l->http);
    }
    if (l->stop_accept != NULL) {
        event_free(l->stop_accept);
    }
    if (l->base != NULL) {
        event_base_free(l->base);
    }
    claved_auth_cache_free(l->cache);
}

static void *loop_main(void *arg)
{
    struct loop *l = arg;
    event_base_loop(l->base, EVLOOP_NO_EXIT_ON_EMPTY);
    return NULL;
}

static void drain(struct server *srv, sigset_t *set)
{
    int sig = 0;
    sigwait(set, &sig);
    atomic_store(&srv->app->draining, true);
    struct clave_log_field f[] = {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}};
    clave_log_write(srv->app->log, CLAVE_LOG_INFO, "claved", "draining", f, 1);
    for (size_t i = 0; i < srv->nloops; i++) {
        event_active(srv->loops[i].stop_accept, EV_READ, 0);
    }
    struct timespec pause = {0, DRAIN_POLL_NS};
    uint64_t waited_ns = 0;
    uint64_t limit_ns = (uint64_t)srv->app->cfg.drain_timeout_s * 1000000000u;
    while (atomic_load(&srv->inflight) > 0 && waited_ns < limit_ns) {
        nanosleep(&pause, NULL);
        waited_ns += DRAIN_POLL_NS;
    }
}

static clave_status start(struct server *srv, size_t *started)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_CHECK(claved_tls_ctx_new(&srv->app->cfg, &srv->ssl));
    CLAVE_CHECK(claved_workers_start(srv->app, srv->app->cfg.workers, &srv->workers));
    CLAVE_CHECK(claved_checkpointer_start(srv->app, &srv->checkpointer));
    for (size_t i = 0; i < srv->nloops; i++) {
        CLAVE_CHECK(loop_init(srv, &srv->loops[i]));
    }
    for (size_t i = 0; i < srv->nloops; i++) {
        CLAVE_ENSURE(pthread_create(&srv->loops[i].thread, NULL, loop_main, &srv->loops[i]) == 0,
                     CLAVE_ERR_INTERNAL, "pthread_create");
        *started = i + 1;
    }
    st = CLAVE_OK;
done:
    return st;
}

clave_status claved_serve(struct claved_app *app)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct server srv = {.app = app};
    size_t started = 0;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* inherited by every thread; main sigwaits */
    signal(SIGPIPE, SIG_IGN);
    CLAVE_ENSURE(evthread_use_pthreads() == 0, CLAVE_ERR_INTERNAL, "evthread_use_pthreads");
    srv.ex_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, conn_free);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    srv.nloops = app->cfg.threads != 0 ? app->cfg.threads : (cores > 0 ? (size_t)cores : 1);
    srv.nloops = srv.nloops > MAX_LOOPS ? MAX_LOOPS : srv.nloops;
    srv.loops = calloc(srv.nloops, sizeof(*srv.loops));
    CLAVE_ENSURE_ALLOC(srv.loops);
    CLAVE_CHECK(start(&srv, &started));
    char threads[16];
    snprintf(threads, sizeof(threads), "%zu", srv.nloops);
    struct clave_log_field f[] = {{"listen", app->cfg.listen}, {"threads", threads}};
    clave_log_write(app->log, CLAVE_LOG_INFO, "claved", "listening", f, 2);
    drain(&srv, &set);
    st = CLAVE_OK;
done:
    for (size_t i = 0; srv.loops != NULL && i < started; i++) {
        event_base_loopbreak(srv.loops[i].base);
        pthread_join(srv.loops[i].thread, NULL);
    }
    claved_workers_stop(srv.workers);
    claved_checkpointer_stop(srv.checkpointer);
    for (size_t i = 0; srv.loops != NULL && i < srv.nloops; i++) {
        loop_fini(&srv.loops[i]);
    }
    free(srv.loops);
    SSL_CTX_free(srv.ssl);
    return st;
}
