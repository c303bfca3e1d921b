/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The client's link to an attested FL aggregator (fl_join_tee.c): TCP, TLS 1.3 with the RA-TLS
 * verify callback (the certificate's evidence must verify under the party's attestation policy
 * and bind the certificate key), then the appraisal that decides: the evidence's claims must
 * match a workload of the contract (reference values, TCB, debug). Nothing is sent before both
 * pass. Frames are u32le length + bytes.
 */
#include "fl_tee.h"

#include <clave/netaddr.h>

#include <errno.h>
#include <netdb.h>
#include <openssl/err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define FRAME_HEADER 4

static int tcp_connect(const char *address)
{
    struct addrinfo *ai = NULL;
    clave_status st = clave_netaddr_resolve(address, false, &ai);
    if (st != CLAVE_OK) {
        cli_fail("clave fl join: --aggregator", st);
        return -1;
    }
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        fprintf(stderr, "clave fl join: cannot connect to %s: %s\n", address, strerror(errno));
        close(fd);
        fd = -1;
    }
    freeaddrinfo(ai);
    return fd;
}

/* Blocking reads and writes wait at most `seconds` each. */
static bool set_timeout(int fd, long seconds)
{
    struct timeval tv = {(time_t)seconds, 0};
    return setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0 &&
           setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == 0;
}

/* The peer's evidence against the contract's workloads (the TLS callback already checked the
 * evidence itself and its binding to the certificate key); the certificate's hash into `l`. */
static int appraise(const struct fl_tee_trust *t, struct fl_tee_link *l)
{
    X509 *peer = SSL_get1_peer_certificate(l->ssl);
    unsigned char *der = NULL;
    int n = peer != NULL ? i2d_X509(peer, &der) : -1;
    struct clave_attest_report *report = NULL;
    struct clave_kbs_claims claims;
    char reason[CLAVE_KBS_REASON_MAX] = "the certificate's evidence does not verify";
    int64_t now = (int64_t)time(NULL);
    struct clave_attest_options opts = {
        .at_time = now, .collateral_dir = t->collateral_dir, .policy = t->policy};
    bool ok = n > 0 && clave_attest_report_new(&report) == CLAVE_OK &&
              clave_ratls_verify_cert(der, (size_t)n, &opts, t->policy, now, report) == CLAVE_OK &&
              clave_attest_report_ok(report) &&
              clave_kbs_claims_from_report(report, der, (size_t)n, &claims) == CLAVE_OK;
    /* Simulated evidence verified only because the party's own policy names the dev root. */
    ok = ok && clave_kbs_appraise_workload(t->contract, (uint64_t)now, true, &claims, reason);
    ok = ok && clave_hash(CLAVE_HASH_SHA256, der, (size_t)n, l->cert_sha256,
                          sizeof(l->cert_sha256)) == CLAVE_OK;
    if (!ok) {
        fprintf(stderr,
                "clave fl join: refused: the aggregator is not a workload of the contract (%s); "
                "nothing was sent\n",
                reason);
    }
    clave_attest_report_free(report);
    OPENSSL_free(der);
    X509_free(peer);
    return ok ? 0 : CLI_FAILED;
}

int fl_tee_connect(const struct fl_tee_trust *t, const char *address, long timeout_s,
                   struct fl_tee_link *out)
{
    struct clave_ratls_verifier *v = NULL;
    out->fd = tcp_connect(address);
    out->ctx = NULL;
    out->ssl = NULL;
    out->verifier = NULL;
    if (out->fd < 0 || !set_timeout(out->fd, timeout_s)) {
        return CLI_FAILED;
    }
    out->ctx = SSL_CTX_new(TLS_client_method());
    bool ok = out->ctx != NULL && SSL_CTX_set_min_proto_version(out->ctx, TLS1_3_VERSION) == 1 &&
              clave_ratls_verifier_new(t->policy, t->collateral_dir, &v) == CLAVE_OK &&
              clave_ratls_ssl_ctx_verify(out->ctx, v) == CLAVE_OK;
    out->verifier = v;
    out->ssl = ok ? SSL_new(out->ctx) : NULL;
    if (out->ssl == NULL || SSL_set_fd(out->ssl, out->fd) != 1) {
        ERR_clear_error();
        return cli_fail("fl join: TLS", CLAVE_ERR_CRYPTO);
    }
    if (SSL_connect(out->ssl) != 1) {
        fprintf(stderr,
                "clave fl join: refused: the aggregator's RA-TLS certificate does not verify "
                "(evidence, policy or key binding); nothing was sent\n");
        ERR_clear_error();
        return CLI_FAILED;
    }
    return appraise(t, out);
}

void fl_tee_close(struct fl_tee_link *l)
{
    if (l->ssl != NULL) {
        (void)SSL_shutdown(l->ssl);
        SSL_free(l->ssl);
    }
    SSL_CTX_free(l->ctx);
    clave_ratls_verifier_free(l->verifier);
    if (l->fd >= 0) {
        close(l->fd);
    }
    ERR_clear_error();
    memset(l, 0, sizeof(*l));
    l->fd = -1;
}

static bool io_all(SSL *ssl, uint8_t *buf, size_t n, bool writing)
{
    while (n > 0) {
        int chunk = n > (1u << 30) ? (1 << 30) : (int)n;
        int k = writing ? SSL_write(ssl, buf, chunk) : SSL_read(ssl, buf, chunk);
        if (k <= 0) {
            ERR_clear_error();
            return false;
        }
        buf += k;
        n -= (size_t)k;
    }
    return true;
}

bool fl_tee_send(struct fl_tee_link *l, const uint8_t *msg, size_t len)
{
    uint8_t hdr[FRAME_HEADER] = {(uint8_t)len, (uint8_t)(len >> 8), (uint8_t)(len >> 16),
                                 (uint8_t)(len >> 24)};
    return len <= CLAVE_FL_MAX_MESSAGE && io_all(l->ssl, hdr, sizeof(hdr), true) &&
           (len == 0 || io_all(l->ssl, (uint8_t *)(uintptr_t)msg, len, true));
}

bool fl_tee_recv(struct fl_tee_link *l, uint8_t **msg, size_t *len)
{
    uint8_t hdr[FRAME_HEADER];
    *msg = NULL;
    *len = 0;
    if (!io_all(l->ssl, hdr, sizeof(hdr), false)) {
        return false;
    }
    size_t n = (size_t)hdr[0] | (size_t)hdr[1] << 8 | (size_t)hdr[2] << 16 | (size_t)hdr[3] << 24;
    if (n > CLAVE_FL_MAX_MESSAGE || (*msg = malloc(n > 0 ? n : 1)) == NULL ||
        (n > 0 && !io_all(l->ssl, *msg, n, false))) {
        free(*msg);
        *msg = NULL;
        return false;
    }
    *len = n;
    return true;
}
