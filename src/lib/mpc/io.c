/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Concurrent send and receive over two links with an idle timeout (see clave__mpc_exchange in
 * net.h). Each protocol round sends to one neighbour while receiving from the other; doing both
 * at once under poll() is what keeps a ring of three blocking senders from deadlocking once a
 * batch exceeds the socket buffers.
 */
#include "core/check.h"
#include "mpc/net.h"

#include <errno.h>
#include <openssl/err.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define IO_CHUNK (1 << 20) /* most bytes handed to one read or write call */

struct io_side {
    struct mpc_link *link;
    uint8_t *rbuf; /* receive side */
    const uint8_t *sbuf;
    const uint8_t *tail; /* send side: a second segment sent after sbuf (no copy) */
    size_t tail_len;
    size_t len;
    size_t pos;
    short wait; /* poll events needed before the next attempt, 0 if it may try now */
};

/* One non-blocking attempt. Returns 1 on progress, 0 if it would block (sets side->wait),
 * -1 if the peer closed or failed. */
static int attempt(struct io_side *side, bool sending)
{
    size_t want = side->len - side->pos;
    int n = want > IO_CHUNK ? IO_CHUNK : (int)want;
    struct mpc_link *l = side->link;
    if (l->ssl == NULL) {
        ssize_t rc = sending ? send(l->fd, side->sbuf + side->pos, (size_t)n, MSG_NOSIGNAL)
                             : recv(l->fd, side->rbuf + side->pos, (size_t)n, 0);
        if (rc > 0) {
            side->pos += (size_t)rc;
            return 1;
        }
        if (rc < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            side->wait = sending ? POLLOUT : POLLIN;
            return 0;
        }
        return -1;
    }
    ERR_clear_error();
    int rc = sending ? SSL_write(l->ssl, side->sbuf + side->pos, n)
                     : SSL_read(l->ssl, side->rbuf + side->pos, n);
    if (rc > 0) {
        side->pos += (size_t)rc;
        return 1;
    }
    int err = SSL_get_error(l->ssl, rc);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
        side->wait = err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
        return 0;
    }
    if (sending && ERR_peek_error() == 0) {
        /* The peer may have refused us with an alert (TLS 1.3 checks the client certificate
         * after the client thinks the handshake is done): read it so the error can name it. */
        uint8_t byte = 0;
        (void)SSL_read(l->ssl, &byte, 1);
    }
    return -1;
}

/* The TLS alert or error behind a failed read or write ("tlsv13 alert certificate required"),
 * or "". */
static const char *tls_reason(void)
{
    const char *r = ERR_reason_error_string(ERR_peek_error());
    return r == NULL ? "" : r;
}

/* Move bytes until the receive side is complete (and, if `finish_send`, the send side too). */
static clave_status pump(struct io_side *tx, struct io_side *rx, bool finish_send, int timeout_ms)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint64_t deadline = clave__mpc_now_ms() + (uint64_t)timeout_ms;
    for (;;) {
        if (tx->pos == tx->len && tx->tail_len > 0) {
            tx->sbuf = tx->tail;
            tx->len = tx->tail_len;
            tx->pos = 0;
            tx->tail_len = 0;
        }
        bool tx_open = tx->link != NULL && tx->pos < tx->len;
        bool rx_open = rx->link != NULL && rx->pos < rx->len;
        if (!rx_open && (!finish_send || !tx_open)) {
            break;
        }
        bool progress = false;
        if (tx_open && tx->wait == 0) {
            int rc = attempt(tx, true);
            CLAVE_ENSURE(rc >= 0, CLAVE_ERR_IO, "mpc: connection to %s lost while sending%s%s",
                         tx->link->name, tls_reason()[0] != '\0' ? ": " : "", tls_reason());
            progress = progress || rc > 0;
        }
        if (rx_open && rx->wait == 0) {
            int rc = attempt(rx, false);
            CLAVE_ENSURE(rc >= 0, CLAVE_ERR_IO, "mpc: %s closed the connection%s%s", rx->link->name,
                         tls_reason()[0] != '\0' ? ": " : "", tls_reason());
            progress = progress || rc > 0;
        }
        if (progress) {
            deadline = clave__mpc_now_ms() + (uint64_t)timeout_ms;
            continue;
        }
        struct pollfd fds[2];
        nfds_t n = 0;
        struct io_side *which[2];
        if (tx_open && tx->wait != 0) {
            fds[n] = (struct pollfd){.fd = tx->link->fd, .events = tx->wait};
            which[n++] = tx;
        }
        if (rx_open && rx->wait != 0) {
            fds[n] = (struct pollfd){.fd = rx->link->fd, .events = rx->wait};
            which[n++] = rx;
        }
        uint64_t now = clave__mpc_now_ms();
        int rc = poll(fds, n, now >= deadline ? 0 : (int)(deadline - now));
        CLAVE_ENSURE(rc >= 0 || errno == EINTR, CLAVE_ERR_IO, "mpc: poll: %s", strerror(errno));
        CLAVE_ENSURE(rc != 0, CLAVE_ERR_IO, "mpc: timed out after %d ms waiting for %s", timeout_ms,
                     (rx_open ? rx : tx)->link->name);
        for (nfds_t i = 0; i < n && rc > 0; i++) {
            if (fds[i].revents != 0) {
                which[i]->wait = 0;
            }
        }
    }
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave__mpc_exchange(struct mpc_link *out, const uint8_t *msg, size_t msg_len,
                                 struct mpc_link *in, const struct mpc_expect *want,
                                 uint8_t *payload, size_t payload_cap, uint8_t **allocated,
                                 struct mpc_header *got, int timeout_ms)
{
    struct mpc_send send = {.msg = msg, .msg_len = msg_len};
    return clave__mpc_exchange2(out, &send, in, want, payload, payload_cap, allocated, got,
                                timeout_ms);
}

clave_status clave__mpc_exchange2(struct mpc_link *out, const struct mpc_send *send,
                                  struct mpc_link *in, const struct mpc_expect *want,
                                  uint8_t *payload, size_t payload_cap, uint8_t **allocated,
                                  struct mpc_header *got, int timeout_ms)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t header[MPC_MSG_HEADER_LEN];
    struct io_side tx = {.link = out,
                         .sbuf = send->msg,
                         .len = send->msg_len,
                         .tail = send->tail,
                         .tail_len = send->tail_len};
    struct io_side rx = {.link = in, .rbuf = header, .len = sizeof(header)};
    if (got != NULL) {
        memset(got, 0, sizeof(*got));
    }
    if (allocated != NULL) {
        *allocated = NULL;
    }
    if (in != NULL) {
        struct mpc_header h;
        CLAVE_CHECK(pump(&tx, &rx, false, timeout_ms));
        CLAVE_CHECK(clave__mpc_header_decode(header, sizeof(header), want, in->name, &h));
        if (payload == NULL && allocated != NULL) {
            *allocated = malloc(h.payload_len == 0 ? 1 : h.payload_len);
            CLAVE_ENSURE_ALLOC(*allocated);
            payload = *allocated;
            payload_cap = h.payload_len;
        }
        CLAVE_ENSURE(h.payload_len <= payload_cap, CLAVE_ERR_TOO_LARGE,
                     "mpc: %s sent a %u-byte payload for a %zu-byte buffer", in->name,
                     h.payload_len, payload_cap);
        rx = (struct io_side){.link = in, .rbuf = payload, .len = h.payload_len};
        if (got != NULL) {
            *got = h;
        }
    }
    CLAVE_CHECK(pump(&tx, &rx, true, timeout_ms));
    st = CLAVE_OK;
done:
    return st;
}
