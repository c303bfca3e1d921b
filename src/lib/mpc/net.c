/* SPDX-License-Identifier: Apache-2.0 */
/* TLS 1.3 links with pinned certificates, and non-blocking framed exchanges (see net.h). */
#include "mpc/net.h"

#include "core/check.h"
#include <clave/netaddr.h>

#include <clave/crypto.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define LISTEN_BACKLOG 16
#define TLS_READ_BUFFER (256 * 1024)

uint64_t clave__mpc_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t clave__mpc_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void clave__mpc_link_init(struct mpc_link *link, unsigned party)
{
    memset(link, 0, sizeof(*link));
    link->fd = -1;
    link->party = party;
    if (party == MPC_PARTY_CLIENT) {
        snprintf(link->name, sizeof(link->name), "client");
    } else {
        snprintf(link->name, sizeof(link->name), "node %u", party);
    }
}

void clave__mpc_link_close(struct mpc_link *link)
{
    if (link->ssl != NULL) {
        SSL_shutdown(link->ssl); /* best effort close_notify; never waits (non-blocking) */
        SSL_free(link->ssl);
        link->ssl = NULL;
    }
    if (link->fd >= 0) {
        close(link->fd);
        link->fd = -1;
    }
}

clave_status clave__mpc_cert_fingerprint(X509 *cert, uint8_t out[MPC_FINGERPRINT_LEN])
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t *der = NULL;
    int len = i2d_X509(cert, &der);
    CLAVE_ENSURE(len > 0, CLAVE_ERR_CERT, "mpc tls: cannot encode the peer certificate");
    CLAVE_CHECK(clave_hash(CLAVE_HASH_SHA256, der, (size_t)len, out, MPC_FINGERPRINT_LEN));
    st = CLAVE_OK;
done:
    OPENSSL_free(der);
    return st;
}

/* The party a certificate belongs to: a pinned fingerprint, else the RA-TLS hook, else -1. */
static int cert_party(const struct mpc_trust *trust, X509 *cert)
{
    uint8_t fp[MPC_FINGERPRINT_LEN];
    if (clave__mpc_cert_fingerprint(cert, fp) != CLAVE_OK) {
        return -1;
    }
    for (size_t i = 0; i < trust->pin_count; i++) {
        if (CRYPTO_memcmp(fp, trust->pins[i].fingerprint, MPC_FINGERPRINT_LEN) == 0) {
            return (int)trust->pins[i].party;
        }
    }
    if (trust->hook != NULL) {
        /* RA-TLS: a node in a TEE presents a certificate carrying attestation evidence; the
         * hook appraises it and names the party (docs/mpc.md "RA-TLS hook"). */
        uint8_t *der = NULL;
        int len = i2d_X509(cert, &der);
        unsigned party = 0;
        bool ok = len > 0 && trust->hook(der, (size_t)len, trust->hook_arg, &party) &&
                  party <= MPC_PARTY_CLIENT;
        OPENSSL_free(der);
        return ok ? (int)party : -1;
    }
    return -1;
}

/* Pinning replaces chain validation: the leaf certificate is accepted if and only if its
 * fingerprint is pinned (or the hook accepts it); CA chains, names and dates are not used. */
static int verify_callback(int preverify_ok, X509_STORE_CTX *x)
{
    (void)preverify_ok;
    if (X509_STORE_CTX_get_error_depth(x) > 0) {
        return 1; /* intermediates are irrelevant: only the pinned leaf is trusted */
    }
    SSL *ssl = X509_STORE_CTX_get_ex_data(x, SSL_get_ex_data_X509_STORE_CTX_idx());
    const struct mpc_trust *trust = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
    X509 *cert = X509_STORE_CTX_get_current_cert(x);
    if (trust == NULL || cert == NULL || cert_party(trust, cert) < 0) {
        X509_STORE_CTX_set_error(x, X509_V_ERR_CERT_REJECTED);
        return 0;
    }
    X509_STORE_CTX_set_error(x, X509_V_OK);
    return 1;
}

clave_status clave__mpc_tls_ctx_new(const char *cert_path, const char *key_path,
                                    struct mpc_trust *trust, SSL_CTX **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    SSL_CTX *ctx = NULL;
    *out = NULL;
    ctx = SSL_CTX_new(TLS_method());
    CLAVE_ENSURE_ALLOC(ctx);
    CLAVE_CHECK_OSSL(SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION), CLAVE_ERR_CRYPTO,
                     "mpc tls: TLS 1.3 only");
    CLAVE_CHECK_OSSL(SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION), CLAVE_ERR_CRYPTO,
                     "mpc tls: TLS 1.3 only");
    CLAVE_CHECK_OSSL(SSL_CTX_use_certificate_chain_file(ctx, cert_path), CLAVE_ERR_CERT,
                     "mpc tls: certificate file");
    CLAVE_CHECK_OSSL(SSL_CTX_use_PrivateKey_file(ctx, key_path, SSL_FILETYPE_PEM), CLAVE_ERR_KEY,
                     "mpc tls: private key file");
    CLAVE_CHECK_OSSL(SSL_CTX_check_private_key(ctx), CLAVE_ERR_KEY,
                     "mpc tls: key does not match the certificate");
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, verify_callback);
    SSL_CTX_set_app_data(ctx, trust);
    SSL_CTX_set_num_tickets(ctx, 0); /* no resumption: each session is a full handshake */
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    /* Read many records per recv(): one syscall per TLS_READ_BUFFER bytes instead of two per
     * 16 KiB record when a round moves megabytes. */
    SSL_CTX_set_read_ahead(ctx, 1);
    SSL_CTX_set_default_read_buffer_len(ctx, TLS_READ_BUFFER);
    *out = ctx;
    ctx = NULL;
    st = CLAVE_OK;
done:
    SSL_CTX_free(ctx);
    return st;
}

static clave_status resolve(const char *address, struct addrinfo **out)
{
    return clave_netaddr_resolve(address, false, out);
}

clave_status clave__mpc_socket_setup(int fd)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    int one = 1;
    int flags = fcntl(fd, F_GETFL, 0);
    CLAVE_ENSURE(flags >= 0 && fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0, CLAVE_ERR_IO,
                 "mpc: cannot make a socket non-blocking: %s", strerror(errno));
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)); /* fails on socketpairs */
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave__mpc_listen(const char *address, int *fd)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct addrinfo *ai = NULL;
    int s = -1;
    int one = 1;
    *fd = -1;
    CLAVE_CHECK(resolve(address, &ai));
    s = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    CLAVE_ENSURE(s >= 0, CLAVE_ERR_IO, "mpc: socket: %s", strerror(errno));
    (void)setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    CLAVE_ENSURE(bind(s, ai->ai_addr, ai->ai_addrlen) == 0, CLAVE_ERR_IO,
                 "mpc: cannot listen on %.64s: %s", address, strerror(errno));
    CLAVE_ENSURE(listen(s, LISTEN_BACKLOG) == 0, CLAVE_ERR_IO, "mpc: listen on %.64s: %s", address,
                 strerror(errno));
    CLAVE_CHECK(clave__mpc_socket_setup(s));
    *fd = s;
    s = -1;
    st = CLAVE_OK;
done:
    if (s >= 0) {
        close(s);
    }
    if (ai != NULL) {
        freeaddrinfo(ai);
    }
    return st;
}

static int wait_fd(int fd, short events, uint64_t deadline)
{
    uint64_t now = clave__mpc_now_ms();
    struct pollfd p = {.fd = fd, .events = events};
    int wait = now >= deadline ? 0 : (int)(deadline - now);
    int rc = poll(&p, 1, wait);
    while (rc < 0 && errno == EINTR) {
        rc = poll(&p, 1, wait);
    }
    return rc;
}

clave_status clave__mpc_connect(const char *address, int timeout_ms, int *fd)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct addrinfo *ai = NULL;
    int s = -1;
    int err = 0;
    socklen_t err_len = sizeof(err);
    *fd = -1;
    CLAVE_CHECK(resolve(address, &ai));
    s = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    CLAVE_ENSURE(s >= 0, CLAVE_ERR_IO, "mpc: socket: %s", strerror(errno));
    CLAVE_CHECK(clave__mpc_socket_setup(s));
    if (connect(s, ai->ai_addr, ai->ai_addrlen) != 0) {
        CLAVE_ENSURE(errno == EINPROGRESS, CLAVE_ERR_IO, "mpc: cannot connect to %.64s: %s",
                     address, strerror(errno));
        int rc = wait_fd(s, POLLOUT, clave__mpc_now_ms() + (uint64_t)timeout_ms);
        CLAVE_ENSURE(rc > 0, CLAVE_ERR_IO, "mpc: connecting to %.64s timed out", address);
        CLAVE_ENSURE(getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &err_len) == 0 && err == 0,
                     CLAVE_ERR_IO, "mpc: cannot connect to %.64s: %s", address, strerror(err));
    }
    *fd = s;
    s = -1;
    st = CLAVE_OK;
done:
    if (s >= 0) {
        close(s);
    }
    if (ai != NULL) {
        freeaddrinfo(ai);
    }
    return st;
}

clave_status clave__mpc_accept(int listen_fd, uint64_t deadline_ms, int *fd)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    int s = -1;
    *fd = -1;
    for (;;) {
        int rc = wait_fd(listen_fd, POLLIN, deadline_ms);
        CLAVE_ENSURE(rc > 0, CLAVE_ERR_LIMIT, "mpc: timed out waiting for connections");
        s = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (s >= 0) {
            break;
        }
        CLAVE_ENSURE(errno == EAGAIN || errno == EINTR || errno == ECONNABORTED, CLAVE_ERR_IO,
                     "mpc: accept: %s", strerror(errno));
    }
    CLAVE_CHECK(clave__mpc_socket_setup(s));
    *fd = s;
    s = -1;
    st = CLAVE_OK;
done:
    if (s >= 0) {
        close(s);
    }
    return st;
}

clave_status clave__mpc_link_tls(struct mpc_link *link, SSL_CTX *ctx, bool server, int timeout_ms)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    X509 *peer = NULL;
    uint64_t deadline = clave__mpc_now_ms() + (uint64_t)timeout_ms;
    link->ssl = SSL_new(ctx);
    CLAVE_ENSURE_ALLOC(link->ssl);
    CLAVE_CHECK_OSSL(SSL_set_fd(link->ssl, link->fd), CLAVE_ERR_CRYPTO, "mpc tls: set fd");
    if (server) {
        SSL_set_accept_state(link->ssl);
    } else {
        SSL_set_connect_state(link->ssl);
    }
    for (;;) {
        ERR_clear_error();
        int rc = SSL_do_handshake(link->ssl);
        if (rc == 1) {
            break;
        }
        int err = SSL_get_error(link->ssl, rc);
        short events = err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
        CLAVE_ENSURE(err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE, CLAVE_ERR_CERT,
                     "mpc tls: handshake with %s failed (certificate not pinned, or not TLS "
                     "1.3): %s",
                     link->name, ERR_reason_error_string(ERR_peek_error()));
        CLAVE_ENSURE(wait_fd(link->fd, events, deadline) > 0, CLAVE_ERR_IO,
                     "mpc tls: handshake with %s timed out", link->name);
    }
    peer = SSL_get1_peer_certificate(link->ssl);
    const struct mpc_trust *trust = SSL_CTX_get_app_data(ctx);
    int party = peer == NULL ? -1 : cert_party(trust, peer);
    CLAVE_ENSURE(party >= 0, CLAVE_ERR_CERT, "mpc tls: peer certificate is not pinned");
    int fd = link->fd;
    SSL *ssl = link->ssl;
    clave__mpc_link_init(link, (unsigned)party); /* name the link after its certificate */
    link->fd = fd;
    link->ssl = ssl;
    st = CLAVE_OK;
done:
    X509_free(peer);
    return st;
}
