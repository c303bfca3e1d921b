/* SPDX-License-Identifier: Apache-2.0 */
/*
 * An MPC node: listener, session setup and teardown. Per session, the client connects to all
 * three nodes and sends RUN; node i accepts the client and the nodes j < i (which send HELLO),
 * then dials the nodes j > i. Every connection is TLS 1.3 with a pinned peer certificate, and
 * every first message must name the client's session.
 */
#include "core/check.h"
#include "mpc/node.h"

#include <clave/encoding.h>
#include <clave/secret.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

clave_status clave_mpc_node_new(const char *config_path, struct clave_mpc_node **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_mpc_node *node = NULL;
    *out = NULL;
    CLAVE_ENSURE(config_path != NULL, CLAVE_ERR_ARG, "mpc node: NULL config path");
    node = calloc(1, sizeof(*node));
    CLAVE_ENSURE_ALLOC(node);
    node->listen_fd = -1;
    CLAVE_CHECK(clave__mpc_config_load(config_path, false, &node->cfg));
    CLAVE_CHECK(
        clave__mpc_tls_ctx_new(node->cfg.cert, node->cfg.key, &node->cfg.trust, &node->ctx));
    CLAVE_CHECK(clave__mpc_listen(node->cfg.listen, &node->listen_fd));
    *out = node;
    node = NULL;
    st = CLAVE_OK;
done:
    clave_mpc_node_free(node);
    return st;
}

void clave_mpc_node_set_cert_hook(struct clave_mpc_node *node, clave_mpc_cert_hook hook, void *arg)
{
    node->cfg.trust.hook = hook;
    node->cfg.trust.hook_arg = arg;
}

void clave_mpc_node_free(struct clave_mpc_node *node)
{
    if (node == NULL) {
        return;
    }
    if (node->listen_fd >= 0) {
        close(node->listen_fd);
    }
    SSL_CTX_free(node->ctx);
    free(node);
}

/* The first message on a fresh connection: RUN or UPLOAD from the client, HELLO from a lower
 * node. An UPLOAD may be as large as a share file: only a pinned client can send one. */
static clave_status first_message(struct mpc_session *s, struct mpc_link *l)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct mpc_header h;
    uint8_t *payload = NULL;
    bool client = l->party == MPC_PARTY_CLIENT;
    struct mpc_expect want = {.op = client ? MPC_OP_RUN : MPC_OP_HELLO,
                              .alt_op = client ? MPC_OP_UPLOAD : 0,
                              .sender = (uint8_t)l->party,
                              .payload_len = SIZE_MAX,
                              .max_payload = client ? MPC_UPLOAD_PAYLOAD_MAX : 0};
    CLAVE_CHECK(clave__mpc_exchange(NULL, NULL, 0, l, &want, NULL, 0, &payload, &h,
                                    s->node->cfg.timeout_ms));
    if (client && h.op == MPC_OP_UPLOAD) {
        s->upload = payload;
        s->upload_len = h.payload_len;
        payload = NULL;
        memcpy(s->session, h.session, MPC_SESSION_ID_LEN);
    } else if (client) {
        CLAVE_ENSURE(h.payload_len <= sizeof(s->run_payload), CLAVE_ERR_TOO_LARGE,
                     "mpc node: %u-byte request", h.payload_len);
        memcpy(s->run_payload, payload, h.payload_len);
        CLAVE_CHECK(clave__mpc_run_decode(s->run_payload, h.payload_len, &s->run));
        s->run_len = h.payload_len;
        memcpy(s->session, h.session, MPC_SESSION_ID_LEN);
    } else {
        memcpy(s->hello_session[l->party], h.session, MPC_SESSION_ID_LEN);
    }
    st = CLAVE_OK;
done:
    free(payload);
    return st;
}

static bool setup_complete(const struct mpc_session *s)
{
    if (s->upload != NULL) {
        return true; /* an upload needs no other node */
    }
    for (unsigned j = 0; j < s->node->cfg.id; j++) {
        if (s->links[j].fd < 0) {
            return false;
        }
    }
    return s->links[MPC_PARTY_CLIENT].fd >= 0;
}

/* Accept one connection and file it by its certificate. A connection that fails the TLS
 * handshake (unpinned certificate, not TLS) is dropped without disturbing the session. */
static clave_status accept_one(struct mpc_session *s, uint64_t deadline)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct mpc_link l;
    const struct mpc_config *cfg = &s->node->cfg;
    clave__mpc_link_init(&l, MPC_PARTY_CLIENT);
    CLAVE_CHECK(clave__mpc_accept(s->node->listen_fd, deadline, &l.fd));
    if (clave__mpc_link_tls(&l, s->node->ctx, true, cfg->timeout_ms) != CLAVE_OK) {
        clave__mpc_link_close(&l);
        st = CLAVE_OK;
        goto done;
    }
    CLAVE_ENSURE(l.party == MPC_PARTY_CLIENT || l.party < cfg->id, CLAVE_ERR_STATE,
                 "mpc node: %s dialled us (nodes dial only higher ids)", l.name);
    CLAVE_ENSURE(s->links[l.party].fd < 0, CLAVE_ERR_STATE, "mpc node: %s connected twice", l.name);
    CLAVE_CHECK(first_message(s, &l));
    s->links[l.party] = l;
    clave__mpc_link_init(&l, MPC_PARTY_CLIENT);
    st = CLAVE_OK;
done:
    clave__mpc_link_close(&l);
    return st;
}

static clave_status dial(struct mpc_session *s, unsigned j)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const struct mpc_config *cfg = &s->node->cfg;
    struct mpc_link *l = &s->links[j];
    uint8_t hello[MPC_MSG_HEADER_LEN];
    struct mpc_header h = {.op = MPC_OP_HELLO, .sender = (uint8_t)cfg->id};
    clave__mpc_link_init(l, j);
    CLAVE_CHECK_CTX(clave__mpc_connect(cfg->peers[j].address, cfg->timeout_ms, &l->fd), "node %u",
                    j);
    CLAVE_CHECK(clave__mpc_link_tls(l, s->node->ctx, false, cfg->timeout_ms));
    CLAVE_ENSURE(l->party == j, CLAVE_ERR_CERT,
                 "mpc node: the certificate at node %u's address belongs to %s", j, l->name);
    memcpy(h.session, s->session, MPC_SESSION_ID_LEN);
    clave__mpc_header_encode(&h, hello);
    CLAVE_CHECK(clave__mpc_exchange(l, hello, sizeof(hello), NULL, NULL, NULL, 0, NULL, NULL,
                                    cfg->timeout_ms));
    st = CLAVE_OK;
done:
    return st;
}

/* Wait (unbounded) for the first connection, then give the rest of the setup one timeout. */
static clave_status setup(struct mpc_session *s)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const struct mpc_config *cfg = &s->node->cfg;
    uint64_t deadline = UINT64_MAX;
    while (!setup_complete(s)) {
        CLAVE_CHECK_CTX(accept_one(s, deadline), "mpc node %u: session setup", cfg->id);
        if (deadline == UINT64_MAX && (s->links[0].fd >= 0 || s->links[1].fd >= 0 ||
                                       s->links[2].fd >= 0 || s->links[3].fd >= 0)) {
            deadline = clave__mpc_now_ms() + (uint64_t)cfg->timeout_ms;
        }
    }
    if (s->upload != NULL) {
        CLAVE_ENSURE(s->links[0].fd < 0 && s->links[1].fd < 0 && s->links[2].fd < 0,
                     CLAVE_ERR_STATE,
                     "mpc node: an upload arrived while nodes were setting up "
                     "a computation (retry)");
        st = CLAVE_OK;
        goto done;
    }
    for (unsigned j = 0; j < cfg->id; j++) {
        CLAVE_ENSURE(memcmp(s->hello_session[j], s->session, // lint:public
                            MPC_SESSION_ID_LEN) == 0,
                     CLAVE_ERR_STATE, "mpc node: node %u is in another session than the client", j);
    }
    for (unsigned j = cfg->id + 1; j < 3; j++) {
        CLAVE_CHECK(dial(s, j));
    }
    st = CLAVE_OK;
done:
    return st;
}

static void session_close(struct mpc_session *s)
{
    for (int i = 0; i < 4; i++) {
        clave__mpc_link_close(&s->links[i]);
    }
    if (s->upload != NULL) {
        clave_wipe(s->upload, s->upload_len);
        free(s->upload);
    }
    clave__mpc_vec_free(&s->a.shares);
    clave__mpc_vec_free(&s->b.shares);
    clave_mpc_prss_free(s->prss);
    clave__mpc_party_release(&s->party);
    clave_wipe(s, sizeof(*s));
}

clave_status clave_mpc_node_serve_one(struct clave_mpc_node *node,
                                      struct clave_mpc_session_info *info)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct mpc_session *s = calloc(1, sizeof(*s));
    if (info != NULL) {
        memset(info, 0, sizeof(*info));
    }
    CLAVE_ENSURE_ALLOC(s);
    s->node = node;
    for (unsigned i = 0; i < 4; i++) {
        clave__mpc_link_init(&s->links[i], i);
    }
    st = setup(s);
    if (info != NULL && s->links[MPC_PARTY_CLIENT].fd >= 0) {
        if (clave_hex_encode(s->session, MPC_SESSION_ID_LEN, info->session_hex,
                             sizeof(info->session_hex)) != CLAVE_OK) {
            info->session_hex[0] = '\0';
        }
        const char *name = s->upload != NULL ? "upload" : clave__mpc_compute_name(s->run.compute);
        snprintf(info->compute, sizeof(info->compute), "%s", name == NULL ? "" : name);
    }
    size_t stored = 0;
    if (st == CLAVE_OK) {
        st = s->upload != NULL ? clave__mpc_session_store(s, &stored) : clave__mpc_session_run(s);
    }
    if (info != NULL) {
        info->values = s->upload != NULL ? stored : s->a.shares.len;
        info->rounds = s->party.step;
        info->compute_seconds = s->compute_seconds;
        info->compute_cpu_seconds = s->compute_cpu_seconds;
    }
    if (st != CLAVE_OK) {
        char reason[MPC_ABORT_TEXT_MAX + 1];
        snprintf(reason, sizeof(reason), "%s", clave_error_last().detail);
        clave__mpc_session_abort(s, reason);
        clave__error_set(st, __FILE__, __LINE__, "%s", reason); /* the abort may overwrite it */
    }
done:
    if (s != NULL) {
        session_close(s);
        free(s);
    }
    return st;
}
