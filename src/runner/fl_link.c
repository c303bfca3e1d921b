/* SPDX-License-Identifier: Apache-2.0 */
/* The aggregator's TLS links to its FL clients (fl_link.h). */
#include "fl_link.h"

#include <clave/netaddr.h>

#include <errno.h>
#include <netdb.h>
#include <openssl/err.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BACKLOG 64
#define FRAME_HEADER 4

uint64_t fl_link_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

clave_status fl_link_listen(const char *address, int *fd)
{
    struct addrinfo *ai = NULL;
    int one = 1;
    *fd = -1;
    clave_status st = clave_netaddr_resolve(address, true, &ai);
    if (st != CLAVE_OK) {
        fprintf(stderr, "clave-runner: --listen: %s\n", clave_error_last().detail);
        return st;
    }
    int s = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    bool ok = s >= 0 && setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0 &&
              bind(s, ai->ai_addr, ai->ai_addrlen) == 0 && listen(s, BACKLOG) == 0;
    int e = errno;
    freeaddrinfo(ai);
    if (!ok) {
        fprintf(stderr, "clave-runner: cannot listen on %s: %s\n", address, strerror(e));
        if (s >= 0) {
            close(s);
        }
        return CLAVE_ERR_IO;
    }
    *fd = s;
    return CLAVE_OK;
}

/* Socket timeouts for the blocking I/O that follows: what is left until the deadline. */
static bool until(int fd, uint64_t deadline_ms)
{
    uint64_t now = fl_link_now_ms();
    if (now >= deadline_ms) {
        return false;
    }
    uint64_t left = deadline_ms - now;
    struct timeval tv = {(time_t)(left / 1000u), (suseconds_t)((left % 1000u) * 1000u)};
    return setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0 &&
           setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == 0;
}

clave_status fl_link_accept(int listen_fd, SSL_CTX *ctx, uint64_t deadline_ms, struct fl_link *out)
{
    struct pollfd p = {.fd = listen_fd, .events = POLLIN};
    out->fd = -1;
    out->ssl = NULL;
    uint64_t now = fl_link_now_ms();
    int rc = now >= deadline_ms ? 0 : poll(&p, 1, (int)(deadline_ms - now));
    if (rc == 0) {
        return CLAVE_ERR_LIMIT;
    }
    if (rc < 0) {
        return errno == EINTR ? CLAVE_ERR_IO : CLAVE_ERR_LIMIT;
    }
    out->fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (out->fd < 0) {
        return CLAVE_ERR_IO;
    }
    /* A client gets a few seconds for the handshake, never more than the overall deadline. */
    uint64_t hs = fl_link_now_ms() + 10000u;
    out->ssl = until(out->fd, hs < deadline_ms ? hs : deadline_ms) ? SSL_new(ctx) : NULL;
    ERR_clear_error();
    if (out->ssl == NULL || SSL_set_fd(out->ssl, out->fd) != 1 || SSL_accept(out->ssl) != 1) {
        ERR_clear_error();
        fl_link_close(out);
        return CLAVE_ERR_IO;
    }
    return CLAVE_OK;
}

void fl_link_close(struct fl_link *l)
{
    if (l->ssl != NULL) {
        (void)SSL_shutdown(l->ssl); /* best effort close_notify */
        SSL_free(l->ssl);
        l->ssl = NULL;
    }
    if (l->fd >= 0) {
        close(l->fd);
        l->fd = -1;
    }
    ERR_clear_error();
}

/* Each record read or written gets only what is left of the deadline: a client that drips
 * bytes cannot stretch a phase. */
static bool io_all(struct fl_link *l, uint8_t *buf, size_t n, bool writing, uint64_t deadline_ms)
{
    while (n > 0) {
        if (!until(l->fd, deadline_ms)) {
            return false;
        }
        int chunk = n > (1u << 30) ? (1 << 30) : (int)n;
        int k = writing ? SSL_write(l->ssl, buf, chunk) : SSL_read(l->ssl, buf, chunk);
        if (k <= 0) {
            return false;
        }
        buf += k;
        n -= (size_t)k;
    }
    return true;
}

bool fl_link_send(struct fl_link *l, const uint8_t *msg, size_t len, uint64_t deadline_ms)
{
    uint8_t hdr[FRAME_HEADER] = {(uint8_t)len, (uint8_t)(len >> 8), (uint8_t)(len >> 16),
                                 (uint8_t)(len >> 24)};
    bool ok = l->fd >= 0 && len <= CLAVE_FL_MAX_MESSAGE &&
              io_all(l, hdr, sizeof(hdr), true, deadline_ms) &&
              (len == 0 || io_all(l, (uint8_t *)(uintptr_t)msg, len, true, deadline_ms));
    if (!ok) {
        fl_link_close(l);
    }
    return ok;
}

bool fl_link_recv(struct fl_link *l, size_t max, uint64_t deadline_ms, uint8_t **msg, size_t *len)
{
    uint8_t hdr[FRAME_HEADER];
    *msg = NULL;
    *len = 0;
    bool ok = l->fd >= 0 && io_all(l, hdr, sizeof(hdr), false, deadline_ms);
    size_t n =
        ok ? ((size_t)hdr[0] | (size_t)hdr[1] << 8 | (size_t)hdr[2] << 16 | (size_t)hdr[3] << 24)
           : 0;
    ok = ok && n <= max && (*msg = malloc(n > 0 ? n : 1)) != NULL &&
         (n == 0 || io_all(l, *msg, n, false, deadline_ms));
    if (!ok) {
        free(*msg);
        *msg = NULL;
        fl_link_close(l);
        return false;
    }
    *len = n;
    return true;
}
