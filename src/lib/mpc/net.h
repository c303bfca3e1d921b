/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Links between MPC parties: TCP sockets under mutually authenticated TLS 1.3 with pinned
 * certificate fingerprints (or plain sockets, for in-process tests over socketpairs). All I/O
 * is non-blocking under poll() with an idle timeout: a peer that sends nothing for `timeout_ms`
 * fails the call with a detail naming it. The caller must ignore SIGPIPE.
 */
#ifndef CLAVE_MPC_NET_H
#define CLAVE_MPC_NET_H

#include "mpc/msg.h"

#include <clave/mpc_node.h>
#include <clave/status.h>
#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MPC_FINGERPRINT_LEN 32
#define MPC_PARTY_CLIENT 3
#define MPC_PINS_MAX 16
#define MPC_LINK_NAME_MAX 16

struct mpc_pin {
    uint8_t fingerprint[MPC_FINGERPRINT_LEN]; /* SHA-256 of the certificate's DER */
    unsigned party;                           /* 0..2 node, MPC_PARTY_CLIENT */
};

/* The trust configuration of one TLS context (kept alive as long as the SSL_CTX). */
struct mpc_trust {
    struct mpc_pin pins[MPC_PINS_MAX];
    size_t pin_count;
    clave_mpc_cert_hook hook; /* RA-TLS hook for unpinned certificates; NULL: pins only */
    void *hook_arg;
};

struct mpc_link {
    int fd;   /* -1 when closed */
    SSL *ssl; /* NULL: a plain socket */
    unsigned party;
    char name[MPC_LINK_NAME_MAX]; /* "node 2", "client" */
};

/* "node N" or "client" into link->name; fd -1, no ssl. */
void clave__mpc_link_init(struct mpc_link *link, unsigned party);

/* Shut down TLS (best effort), close the socket. Safe on a closed link. */
void clave__mpc_link_close(struct mpc_link *link);

/* A TLS 1.3-only context presenting cert_path/key_path (PEM) and requiring a peer certificate
 * that matches `trust` (borrowed; must outlive the context). */
clave_status clave__mpc_tls_ctx_new(const char *cert_path, const char *key_path,
                                    struct mpc_trust *trust, SSL_CTX **out);

/* SHA-256 of a certificate's DER encoding. */
clave_status clave__mpc_cert_fingerprint(X509 *cert, uint8_t out[MPC_FINGERPRINT_LEN]);

/* Listen on "host:port" (numeric host; IPv4 or [IPv6]). */
clave_status clave__mpc_listen(const char *address, int *fd);

/* Connect to "host:port" within timeout_ms. */
clave_status clave__mpc_connect(const char *address, int timeout_ms, int *fd);

/* Accept one connection on a listening socket, waiting until `deadline_ms`
 * (clave__mpc_now_ms clock). CLAVE_ERR_LIMIT on timeout. */
clave_status clave__mpc_accept(int listen_fd, uint64_t deadline_ms, int *fd);

/* Run the TLS handshake on link->fd (server or client side) and identify the peer by its
 * certificate: link->party and link->name are set from the matching pin. */
clave_status clave__mpc_link_tls(struct mpc_link *link, SSL_CTX *ctx, bool server, int timeout_ms);

/* Make a socket non-blocking with TCP_NODELAY (a no-op for non-TCP sockets). */
clave_status clave__mpc_socket_setup(int fd);

uint64_t clave__mpc_now_ms(void);
uint64_t clave__mpc_now_us(void);

/*
 * One protocol round: send `msg` (a header and payload, borrowed) on `out` while receiving one
 * message from `in`, whose header must match `want`; its payload lands in `payload` (capacity
 * `payload_cap` >= want->max_payload or the exact length). Either side may be NULL. Sending and
 * receiving proceed concurrently, so three parties sending around a ring cannot deadlock.
 * If `payload` is NULL, a buffer of the received length is allocated and returned in
 * `*allocated` (caller frees). `got` receives the header. Fails with a detail naming the peer on a
 * timeout, a closed connection or a header mismatch.
 */
clave_status clave__mpc_exchange(struct mpc_link *out, const uint8_t *msg, size_t msg_len,
                                 struct mpc_link *in, const struct mpc_expect *want,
                                 uint8_t *payload, size_t payload_cap, uint8_t **allocated,
                                 struct mpc_header *got, int timeout_ms);

/* A message in two pieces: `msg` then `tail` (both borrowed), sent back to back. */
struct mpc_send {
    const uint8_t *msg;
    size_t msg_len;
    const uint8_t *tail;
    size_t tail_len;
};

/* clave__mpc_exchange with the message in two pieces: a header and the payload where it lies,
 * so large vectors are not copied. */
clave_status clave__mpc_exchange2(struct mpc_link *out, const struct mpc_send *send,
                                  struct mpc_link *in, const struct mpc_expect *want,
                                  uint8_t *payload, size_t payload_cap, uint8_t **allocated,
                                  struct mpc_header *got, int timeout_ms);

#endif
