/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The requesting client: sends RUN to the three nodes, collects their RESULT messages and
 * opens the output after cross-checking the replicas: component c is sent in full by node c
 * and hashed by node c-1, which received it from node c over the link c -> c-1.
 */
#include "core/check.h"
#include "mpc/config.h"
#include "mpc/proto.h"
#include "mpc/sharefile.h"

#include <clave/crypto.h>
#include <clave/mpc_node.h>
#include <clave/secret.h>
#include <stdlib.h>
#include <string.h>

struct clave_mpc_client {
    struct mpc_config cfg;
    SSL_CTX *ctx;
};

struct reply {
    uint8_t *payload;
    size_t len;
    struct mpc_result res;
};

clave_status clave_mpc_client_new(const char *config_path, struct clave_mpc_client **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_mpc_client *c = NULL;
    *out = NULL;
    CLAVE_ENSURE(config_path != NULL, CLAVE_ERR_ARG, "mpc client: NULL config path");
    c = calloc(1, sizeof(*c));
    CLAVE_ENSURE_ALLOC(c);
    CLAVE_CHECK(clave__mpc_config_load(config_path, true, &c->cfg));
    CLAVE_CHECK(clave__mpc_tls_ctx_new(c->cfg.cert, c->cfg.key, &c->cfg.trust, &c->ctx));
    *out = c;
    c = NULL;
    st = CLAVE_OK;
done:
    clave_mpc_client_free(c);
    return st;
}

void clave_mpc_client_free(struct clave_mpc_client *client)
{
    if (client == NULL) {
        return;
    }
    SSL_CTX_free(client->ctx);
    free(client);
}

void clave_mpc_output_free(struct clave_mpc_output *out)
{
    if (out == NULL) {
        return;
    }
    if (out->values != NULL) {
        clave_wipe(out->values, out->count * sizeof(uint64_t));
        free(out->values);
    }
    memset(out, 0, sizeof(*out));
}

static clave_status send_run(struct clave_mpc_client *c, struct mpc_link *links,
                             const uint8_t session[MPC_SESSION_ID_LEN], const struct mpc_run *run)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t msg[MPC_MSG_HEADER_LEN + 1 + 2 * (1 + MPC_NAME_MAX)];
    struct clave_writer w;
    clave_writer_init(&w, msg + MPC_MSG_HEADER_LEN, sizeof(msg) - MPC_MSG_HEADER_LEN);
    CLAVE_CHECK(clave__mpc_run_encode(run, &w));
    struct mpc_header h = {
        .op = MPC_OP_RUN, .sender = MPC_SENDER_CLIENT, .payload_len = (uint32_t)w.len};
    memcpy(h.session, session, MPC_SESSION_ID_LEN);
    clave__mpc_header_encode(&h, msg);
    for (unsigned i = 0; i < 3; i++) {
        clave__mpc_link_init(&links[i], i);
        CLAVE_CHECK_CTX(
            clave__mpc_connect(c->cfg.peers[i].address, c->cfg.timeout_ms, &links[i].fd), "node %u",
            i);
        CLAVE_CHECK(clave__mpc_link_tls(&links[i], c->ctx, false, c->cfg.timeout_ms));
        CLAVE_ENSURE(links[i].party == i, CLAVE_ERR_CERT,
                     "mpc client: the certificate at node %u's address belongs to %s", i,
                     links[i].name);
        CLAVE_CHECK(clave__mpc_exchange(&links[i], msg, MPC_MSG_HEADER_LEN + w.len, NULL, NULL,
                                        NULL, 0, NULL, NULL, c->cfg.timeout_ms));
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status receive(struct clave_mpc_client *c, struct mpc_link *l,
                            const uint8_t session[MPC_SESSION_ID_LEN], struct reply *r)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct mpc_header h;
    char reason[MPC_ABORT_TEXT_MAX + 1];
    struct mpc_expect want = {.op = MPC_OP_RESULT,
                              .alt_op = MPC_OP_ABORT,
                              .sender = (uint8_t)l->party,
                              .session = session,
                              .any_step = true,
                              .payload_len = SIZE_MAX,
                              .max_payload = clave__mpc_result_len(MPC_MAX_ELEMS)};
    CLAVE_CHECK(
        clave__mpc_exchange(NULL, NULL, 0, l, &want, NULL, 0, &r->payload, &h, c->cfg.timeout_ms));
    r->len = h.payload_len;
    if (h.op == MPC_OP_ABORT) {
        CLAVE_CHECK_CTX(clave__mpc_abort_decode(r->payload, r->len, reason), "%s", l->name);
        CLAVE_RAISE(CLAVE_ERR_IO, "mpc: %s aborted the session: %s", l->name, reason);
    }
    CLAVE_CHECK_CTX(clave__mpc_result_decode(r->payload, r->len, &r->res), "%s", l->name);
    st = CLAVE_OK;
done:
    return st;
}

/* Every node must report the same shape; node c's own component must hash to what node c-1
 * (which holds it as its next component) reports. */
static clave_status open_result(const struct reply rep[3], struct clave_mpc_output *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t h[MPC_DIGEST_LEN];
    const struct mpc_result *r = &rep[0].res;
    uint64_t *values = NULL;
    for (unsigned i = 1; i < 3; i++) {
        CLAVE_ENSURE(rep[i].res.count == r->count && rep[i].res.boolean == r->boolean &&
                         rep[i].res.frac_bits == r->frac_bits,
                     CLAVE_ERR_TAMPERED, "mpc: nodes 0 and %u report results of different shapes",
                     i);
    }
    for (unsigned c = 0; c < 3; c++) {
        unsigned holder = (c + 2) % 3;
        CLAVE_CHECK(clave_hash(CLAVE_HASH_SHA256, rep[c].res.own, r->count * sizeof(uint64_t), h,
                               sizeof(h)));
        CLAVE_ENSURE(clave_ct_equal(h, rep[holder].res.next_hash, sizeof(h)), CLAVE_ERR_TAMPERED,
                     "mpc: replicas disagree on component %u: suspect link node %u -> node %u "
                     "(or one of these two nodes)",
                     c, c, holder);
    }
    values = calloc(r->count == 0 ? 1 : r->count, sizeof(uint64_t));
    CLAVE_ENSURE_ALLOC(values);
    for (size_t k = 0; k < r->count; k++) {
        uint64_t v[3];
        for (unsigned c = 0; c < 3; c++) {
            memcpy(&v[c], rep[c].res.own + k * sizeof(uint64_t), sizeof(uint64_t));
        }
        values[k] = r->boolean ? (v[0] ^ v[1] ^ v[2]) & 1 : v[0] + v[1] + v[2];
    }
    out->values = values;
    out->count = r->count;
    out->frac_bits = r->frac_bits;
    out->bits = r->boolean != 0;
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_mpc_client_run(struct clave_mpc_client *client, enum clave_mpc_compute compute,
                                  const char *input_a, const char *input_b,
                                  struct clave_mpc_output *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct mpc_link links[3];
    struct reply rep[3];
    struct mpc_run run;
    uint8_t session[MPC_SESSION_ID_LEN];
    memset(out, 0, sizeof(*out));
    memset(rep, 0, sizeof(rep));
    memset(&run, 0, sizeof(run));
    for (unsigned i = 0; i < 3; i++) {
        clave__mpc_link_init(&links[i], i);
    }
    bool binary = clave__mpc_compute_binary((uint8_t)compute);
    CLAVE_ENSURE(client != NULL && clave__mpc_compute_name((uint8_t)compute) != NULL, CLAVE_ERR_ARG,
                 "mpc client: unknown computation");
    CLAVE_ENSURE(
        input_a != NULL && clave__mpc_name_valid(input_a, strlen(input_a)) &&
            (!binary || (input_b != NULL && clave__mpc_name_valid(input_b, strlen(input_b)))) &&
            (binary || input_b == NULL),
        CLAVE_ERR_ARG, "mpc client: %s needs %s valid input name%s",
        clave__mpc_compute_name((uint8_t)compute), binary ? "two" : "one", binary ? "s" : "");
    run.compute = (uint8_t)compute;
    memcpy(run.input_a, input_a, strlen(input_a) + 1);
    if (binary) {
        memcpy(run.input_b, input_b, strlen(input_b) + 1);
    }
    CLAVE_CHECK(clave_random(session, sizeof(session)));
    CLAVE_CHECK(send_run(client, links, session, &run));
    for (unsigned i = 0; i < 3; i++) {
        CLAVE_CHECK(receive(client, &links[i], session, &rep[i]));
    }
    CLAVE_CHECK(open_result(rep, out));
    st = CLAVE_OK;
done:
    for (unsigned i = 0; i < 3; i++) {
        clave__mpc_link_close(&links[i]);
        if (rep[i].payload != NULL) {
            clave_wipe(rep[i].payload, rep[i].len);
            free(rep[i].payload);
        }
    }
    return st;
}

/* Connect to node i and check that the certificate there is node i's. */
static clave_status connect_node(struct clave_mpc_client *c, unsigned i, struct mpc_link *l)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    clave__mpc_link_init(l, i);
    CLAVE_CHECK_CTX(clave__mpc_connect(c->cfg.peers[i].address, c->cfg.timeout_ms, &l->fd),
                    "node %u", i);
    CLAVE_CHECK(clave__mpc_link_tls(l, c->ctx, false, c->cfg.timeout_ms));
    CLAVE_ENSURE(l->party == i, CLAVE_ERR_CERT,
                 "mpc client: the certificate at node %u's address belongs to %s", i, l->name);
    st = CLAVE_OK;
done:
    return st;
}

/* UPLOAD of node i's file, then STORED (or the node's ABORT reason). */
static clave_status upload_one(struct clave_mpc_client *c, unsigned i, const char *name,
                               const uint8_t *file, size_t file_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct mpc_link l;
    uint8_t session[MPC_SESSION_ID_LEN];
    uint8_t head[MPC_MSG_HEADER_LEN + 1 + MPC_NAME_MAX];
    uint8_t *reply = NULL;
    char reason[MPC_ABORT_TEXT_MAX + 1];
    size_t name_len = strlen(name);
    struct mpc_header h = {.op = MPC_OP_UPLOAD,
                           .sender = MPC_SENDER_CLIENT,
                           .payload_len = (uint32_t)(1 + name_len + file_len)};
    struct mpc_expect want = {.op = MPC_OP_STORED,
                              .alt_op = MPC_OP_ABORT,
                              .sender = (uint8_t)i,
                              .session = session,
                              .any_step = true,
                              .payload_len = SIZE_MAX,
                              .max_payload = MPC_ABORT_TEXT_MAX};
    clave__mpc_link_init(&l, i);
    CLAVE_CHECK(clave_random(session, sizeof(session)));
    memcpy(h.session, session, sizeof(session));
    clave__mpc_header_encode(&h, head);
    head[MPC_MSG_HEADER_LEN] = (uint8_t)name_len;
    memcpy(head + MPC_MSG_HEADER_LEN + 1, name, name_len);
    struct mpc_send msg = {.msg = head,
                           .msg_len = MPC_MSG_HEADER_LEN + 1 + name_len,
                           .tail = file,
                           .tail_len = file_len};
    CLAVE_CHECK(connect_node(c, i, &l));
    CLAVE_CHECK(clave__mpc_exchange2(&l, &msg, NULL, NULL, NULL, 0, NULL, NULL, c->cfg.timeout_ms));
    CLAVE_CHECK(
        clave__mpc_exchange(NULL, NULL, 0, &l, &want, NULL, 0, &reply, &h, c->cfg.timeout_ms));
    if (h.op == MPC_OP_ABORT) {
        CLAVE_CHECK_CTX(clave__mpc_abort_decode(reply, h.payload_len, reason), "%s", l.name);
        CLAVE_RAISE(CLAVE_ERR_IO, "mpc: %s refused the upload: %s", l.name, reason);
    }
    CLAVE_ENSURE(h.payload_len == 0, CLAVE_ERR_FORMAT, "mpc: %s sent a %u-byte STORED", l.name,
                 h.payload_len);
    st = CLAVE_OK;
done:
    free(reply);
    clave__mpc_link_close(&l);
    return st;
}

clave_status clave_mpc_client_share(struct clave_mpc_client *client, const char *name,
                                    const uint64_t *values, size_t count, unsigned frac_bits)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t *files[3] = {NULL, NULL, NULL};
    size_t lens[3] = {0, 0, 0};
    CLAVE_ENSURE(client != NULL, CLAVE_ERR_ARG, "mpc client: NULL client");
    CLAVE_CHECK(clave__mpc_share_files(name, values, count, frac_bits, files, lens));
    for (unsigned i = 0; i < 3; i++) {
        CLAVE_CHECK(upload_one(client, i, name, files[i], lens[i]));
    }
    st = CLAVE_OK;
done:
    for (unsigned i = 0; i < 3; i++) {
        if (files[i] != NULL) {
            clave_wipe(files[i], lens[i]);
            free(files[i]);
        }
    }
    return st;
}

const char *clave_mpc_compute_name(enum clave_mpc_compute compute)
{
    return clave__mpc_compute_name((uint8_t)compute);
}

clave_status clave_mpc_compute_parse(const char *name, enum clave_mpc_compute *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    *out = CLAVE_MPC_SUM;
    for (uint8_t c = 1; c <= MPC_COMPUTE_LAST && name != NULL; c++) {
        if (strcmp(name, clave__mpc_compute_name(c)) == 0) {
            *out = (enum clave_mpc_compute)c;
            st = CLAVE_OK;
            goto done;
        }
    }
    CLAVE_RAISE(CLAVE_ERR_ARG,
                "mpc: unknown computation '%.32s' (sum, mean, variance, dot, lt, "
                "mul)",
                name == NULL ? "" : name);
done:
    return st;
}
