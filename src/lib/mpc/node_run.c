/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One session after setup: load the input shares, exchange PRSS keys and check that all three
 * nodes run the same request on the same datasets, compute, and send the output shares to the
 * client (docs/mpc.md "Sessions").
 */
#include "core/check.h"
#include "mpc/node.h"

#include <clave/crypto.h>
#include <clave/secret.h>
#include <string.h>
#include <time.h>

#define DIGEST_LABEL "clave mpc request v1"
#define KEY_PAYLOAD_LEN (MPC_KEY_LEN + MPC_DIGEST_LEN)

/* CPU seconds of the calling thread (the node's work, whatever else the process runs). */
static double thread_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = (uint8_t)(v >> (24 - 8 * i));
    }
}

/* SHA-256 over the label, session, RUN payload and each input's dataset id, length and scale:
 * equal digests mean the nodes agree on what to compute and on which sharing. */
static clave_status request_digest(const struct mpc_session *s, uint8_t out[MPC_DIGEST_LEN])
{
    uint8_t buf[sizeof(DIGEST_LABEL) + MPC_SESSION_ID_LEN + MPC_RUN_PAYLOAD_MAX +
                2 * (MPC_DATASET_ID_LEN + 5)];
    size_t len = 0;
    const struct mpc_input *in[2] = {&s->a, &s->b};
    memcpy(buf, DIGEST_LABEL, sizeof(DIGEST_LABEL));
    len += sizeof(DIGEST_LABEL);
    memcpy(buf + len, s->session, MPC_SESSION_ID_LEN);
    len += MPC_SESSION_ID_LEN;
    memcpy(buf + len, s->run_payload, s->run_len);
    len += s->run_len;
    for (int i = 0; i < 2; i++) {
        memcpy(buf + len, in[i]->dataset, MPC_DATASET_ID_LEN);
        put_u32(buf + len + MPC_DATASET_ID_LEN, (uint32_t)in[i]->shares.len);
        buf[len + MPC_DATASET_ID_LEN + 4] = (uint8_t)in[i]->frac_bits;
        len += MPC_DATASET_ID_LEN + 5;
    }
    return clave_hash(CLAVE_HASH_SHA256, buf, len, out, MPC_DIGEST_LEN);
}

static clave_status load_inputs(struct mpc_session *s)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const struct mpc_config *cfg = &s->node->cfg;
    CLAVE_CHECK(clave__mpc_share_load(cfg->inputs, s->run.input_a, cfg->id, &s->a));
    if (clave__mpc_compute_binary(s->run.compute)) {
        CLAVE_CHECK(clave__mpc_share_load(cfg->inputs, s->run.input_b, cfg->id, &s->b));
        CLAVE_ENSURE(s->a.shares.len == s->b.shares.len && s->a.frac_bits == s->b.frac_bits,
                     CLAVE_ERR_ARG,
                     "mpc node: inputs %s and %s differ in length or fractional bits",
                     s->run.input_a, s->run.input_b);
    }
    st = CLAVE_OK;
done:
    return st;
}

/* Round 0: k_i and the digest to prev; round 1: the digest to next. Each node checks both
 * neighbours' digests, then builds its PRSS from (k_i, k_{i+1}). */
static clave_status agree(struct mpc_session *s)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct mpc_party *p = &s->party;
    uint8_t digest[MPC_DIGEST_LEN];
    uint8_t msg[MPC_MSG_HEADER_LEN + KEY_PAYLOAD_LEN];
    uint8_t got[KEY_PAYLOAD_LEN];
    struct mpc_header h = {
        .op = MPC_OP_KEY, .sender = (uint8_t)p->id, .step = 0, .payload_len = KEY_PAYLOAD_LEN};
    struct mpc_expect want = {.op = MPC_OP_KEY,
                              .sender = (uint8_t)((p->id + 1) % 3),
                              .session = s->session,
                              .step = 0,
                              .payload_len = KEY_PAYLOAD_LEN,
                              .max_payload = KEY_PAYLOAD_LEN};
    CLAVE_CHECK(request_digest(s, digest));
    memcpy(h.session, s->session, MPC_SESSION_ID_LEN);
    clave__mpc_header_encode(&h, msg);
    CLAVE_CHECK(clave_random(msg + MPC_MSG_HEADER_LEN, MPC_KEY_LEN));
    memcpy(msg + MPC_MSG_HEADER_LEN + MPC_KEY_LEN, digest, MPC_DIGEST_LEN);
    CLAVE_CHECK(clave__mpc_exchange(p->prev, msg, sizeof(msg), p->next, &want, got, sizeof(got),
                                    NULL, NULL, p->timeout_ms));
    CLAVE_ENSURE(clave_ct_equal(got + MPC_KEY_LEN, digest, MPC_DIGEST_LEN), CLAVE_ERR_STATE,
                 "mpc node: %s disagrees on the request or its input shares", p->next->name);
    CLAVE_CHECK(clave_mpc_prss_new(msg + MPC_MSG_HEADER_LEN, got, &s->prss));
    h = (struct mpc_header){
        .op = MPC_OP_DIGEST, .sender = (uint8_t)p->id, .step = 1, .payload_len = MPC_DIGEST_LEN};
    memcpy(h.session, s->session, MPC_SESSION_ID_LEN);
    clave__mpc_header_encode(&h, msg);
    memcpy(msg + MPC_MSG_HEADER_LEN, digest, MPC_DIGEST_LEN);
    want = (struct mpc_expect){.op = MPC_OP_DIGEST,
                               .sender = (uint8_t)((p->id + 2) % 3),
                               .session = s->session,
                               .step = 1,
                               .payload_len = MPC_DIGEST_LEN,
                               .max_payload = MPC_DIGEST_LEN};
    CLAVE_CHECK(clave__mpc_exchange(p->next, msg, MPC_MSG_HEADER_LEN + MPC_DIGEST_LEN, p->prev,
                                    &want, got, MPC_DIGEST_LEN, NULL, NULL, p->timeout_ms));
    CLAVE_ENSURE(clave_ct_equal(got, digest, MPC_DIGEST_LEN), CLAVE_ERR_STATE,
                 "mpc node: %s disagrees on the request or its input shares", p->prev->name);
    p->prss = s->prss;
    p->step = 2;
    st = CLAVE_OK;
done:
    clave_wipe(msg, sizeof(msg));
    clave_wipe(got, sizeof(got));
    return st;
}

/* RESULT: this node's own component in full and a hash of its next component, which the
 * client compares with what the next node sends in full. */
static clave_status send_result(struct mpc_session *s, const struct mpc_vec *out, bool boolean,
                                unsigned frac)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    size_t payload = clave__mpc_result_len(out->len);
    size_t total = MPC_MSG_HEADER_LEN + payload;
    uint8_t *msg = calloc(1, total);
    struct mpc_header h = {.op = MPC_OP_RESULT,
                           .sender = (uint8_t)s->party.id,
                           .step = s->party.step,
                           .payload_len = (uint32_t)payload};
    CLAVE_ENSURE_ALLOC(msg);
    memcpy(h.session, s->session, MPC_SESSION_ID_LEN);
    clave__mpc_header_encode(&h, msg);
    uint8_t *q = msg + MPC_MSG_HEADER_LEN;
    q[0] = boolean ? 1 : 0;
    q[1] = (uint8_t)frac;
    put_u32(q + 4, (uint32_t)out->len);
    memcpy(q + 8, out->own, out->len * sizeof(uint64_t));
    CLAVE_CHECK(clave_hash(CLAVE_HASH_SHA256, (const uint8_t *)out->next,
                           out->len * sizeof(uint64_t), q + 8 + out->len * sizeof(uint64_t),
                           MPC_DIGEST_LEN));
    if (s->node->cfg.tamper) {
        q[8] ^= 1; /* test-only fault injection: the own component sent to the client */
    }
    CLAVE_CHECK(clave__mpc_exchange(&s->links[MPC_PARTY_CLIENT], msg, total, NULL, NULL, NULL, 0,
                                    NULL, NULL, s->node->cfg.timeout_ms));
    st = CLAVE_OK;
done:
    if (msg != NULL) {
        clave_wipe(msg, total);
        free(msg);
    }
    return st;
}

clave_status clave__mpc_session_run(struct mpc_session *s)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const struct mpc_config *cfg = &s->node->cfg;
    struct mpc_party *p = &s->party;
    struct mpc_vec out = {0};
    bool boolean = false;
    p->id = cfg->id;
    p->prev = &s->links[(cfg->id + 2) % 3];
    p->next = &s->links[(cfg->id + 1) % 3];
    p->timeout_ms = cfg->timeout_ms;
    p->tamper = cfg->tamper;
    p->test_exit_step = cfg->exit_at_step;
    memcpy(p->session, s->session, MPC_SESSION_ID_LEN);
    CLAVE_CHECK(clave__mpc_party_init(p));
    CLAVE_CHECK(load_inputs(s));
    CLAVE_CHECK(agree(s));
    uint64_t start = clave__mpc_now_us();
    double cpu_start = thread_cpu();
    CLAVE_CHECK(clave__mpc_compute(p, s->run.compute, &s->a.shares,
                                   clave__mpc_compute_binary(s->run.compute) ? &s->b.shares : NULL,
                                   s->a.frac_bits, &out, &boolean));
    s->compute_seconds = (double)(clave__mpc_now_us() - start) / 1e6;
    s->compute_cpu_seconds = thread_cpu() - cpu_start;
    CLAVE_CHECK(send_result(s, &out, boolean, boolean ? 0 : s->a.frac_bits));
    st = CLAVE_OK;
done:
    clave__mpc_vec_free(&out);
    return st;
}

void clave__mpc_session_abort(struct mpc_session *s, const char *reason)
{
    struct mpc_link *client = &s->links[MPC_PARTY_CLIENT];
    uint8_t msg[MPC_MSG_HEADER_LEN + MPC_ABORT_TEXT_MAX];
    size_t len = 0;
    if (client->fd < 0) {
        return;
    }
    for (const char *c = reason; *c != '\0' && len < MPC_ABORT_TEXT_MAX; c++) {
        msg[MPC_MSG_HEADER_LEN + len++] = (uint8_t)(*c >= 0x20 && *c <= 0x7e ? *c : '?');
    }
    if (len == 0) {
        msg[MPC_MSG_HEADER_LEN + len++] = '?';
    }
    struct mpc_header h = {.op = MPC_OP_ABORT,
                           .sender = (uint8_t)s->node->cfg.id,
                           .step = s->party.step,
                           .payload_len = (uint32_t)len};
    memcpy(h.session, s->session, MPC_SESSION_ID_LEN);
    clave__mpc_header_encode(&h, msg);
    (void)clave__mpc_exchange(client, msg, MPC_MSG_HEADER_LEN + len, NULL, NULL, NULL, 0, NULL,
                              NULL, MPC_ABORT_TIMEOUT_MS);
}
