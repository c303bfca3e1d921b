/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The attested aggregator's side of its client links (fl_link.c): a listening TCP socket, TLS 1.3
 * with the RA-TLS certificate, and frames of u32le length + bytes (the messages of
 * docs/formats/fl.md and the control frames of docs/fl.md "Aggregation in an attested runner").
 * Every operation has a deadline; a client that is late, closes or sends an oversized frame is
 * closed (a dropout) and never stops the aggregator.
 */
#ifndef RUNNER_FL_LINK_H
#define RUNNER_FL_LINK_H

#include <clave/clave.h>
#include <openssl/ssl.h>

struct fl_link {
    int fd; /* -1: closed */
    SSL *ssl;
};

/* Monotonic milliseconds. */
uint64_t fl_link_now_ms(void);

/* Listen on numeric "host:port" (IPv4 or [IPv6]). Prints why not. */
clave_status fl_link_listen(const char *address, int *fd);

/* Accept one TCP connection by `deadline_ms` and run the TLS handshake (server side, `ctx`).
 * CLAVE_ERR_LIMIT at the deadline; CLAVE_ERR_IO when this connection failed (try the next). */
clave_status fl_link_accept(int listen_fd, SSL_CTX *ctx, uint64_t deadline_ms, struct fl_link *out);

/* One frame out / in by `deadline_ms`; false (and the link closed) on any failure, EOF or a
 * frame longer than `max`. A received frame is a new buffer (caller frees). */
bool fl_link_send(struct fl_link *l, const uint8_t *msg, size_t len, uint64_t deadline_ms);
bool fl_link_recv(struct fl_link *l, size_t max, uint64_t deadline_ms, uint8_t **msg, size_t *len);

void fl_link_close(struct fl_link *l);

#endif
