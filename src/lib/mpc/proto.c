/* SPDX-License-Identifier: Apache-2.0 */
/* Arithmetic rounds of the three-party protocol: resharing, multiplication, dot product,
 * truncation (see proto.h, docs/mpc.md). */
#include "mpc/proto.h"

#include "core/check.h"

#include <clave/secret.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#define MUL_CHUNK 1024 /* words of zero-sharing drawn per PRSS call in a multiplication */

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
               "mpc: payload words are u64le and copied straight from memory");

clave_status clave__mpc_vec_alloc(struct mpc_vec *v, size_t len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    size_t n = len == 0 ? 1 : len;
    v->own = calloc(n, sizeof(uint64_t));
    v->next = calloc(n, sizeof(uint64_t));
    v->len = len;
    CLAVE_ENSURE(v->own != NULL && v->next != NULL, CLAVE_ERR_NOMEM, "mpc: out of memory");
    st = CLAVE_OK;
done:
    if (st != CLAVE_OK) {
        clave__mpc_vec_free(v);
    }
    return st;
}

void clave__mpc_vec_free(struct mpc_vec *v)
{
    if (v->own != NULL) {
        clave_wipe(v->own, v->len * sizeof(uint64_t));
    }
    if (v->next != NULL) {
        clave_wipe(v->next, v->len * sizeof(uint64_t));
    }
    free(v->own);
    free(v->next);
    memset(v, 0, sizeof(*v));
}

clave_status clave__mpc_party_init(struct mpc_party *p)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    p->sent_hash = EVP_MD_CTX_new();
    p->recv_hash = EVP_MD_CTX_new();
    CLAVE_ENSURE(p->sent_hash != NULL && p->recv_hash != NULL, CLAVE_ERR_NOMEM,
                 "mpc: out of memory");
    CLAVE_CHECK_OSSL(EVP_DigestInit_ex(p->sent_hash, EVP_sha256(), NULL), CLAVE_ERR_CRYPTO,
                     "mpc: SHA-256");
    CLAVE_CHECK_OSSL(EVP_DigestInit_ex(p->recv_hash, EVP_sha256(), NULL), CLAVE_ERR_CRYPTO,
                     "mpc: SHA-256");
    st = CLAVE_OK;
done:
    return st;
}

void clave__mpc_party_release(struct mpc_party *p)
{
    EVP_MD_CTX_free(p->sent_hash);
    EVP_MD_CTX_free(p->recv_hash);
    p->sent_hash = NULL;
    p->recv_hash = NULL;
}

/* One round in which this party sends `z` to prev (if `send`) and receives `n` words from next
 * into `from_next` (if `receive`). The header is built here; the payload is sent from `z`
 * without a copy. */
static clave_status round_trip(struct mpc_party *p, uint8_t op, uint64_t *z, bool send,
                               uint64_t *from_next, bool receive, size_t n)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t header[MPC_MSG_HEADER_LEN];
    size_t bytes = n * sizeof(uint64_t);
    bool flipped = false;
    struct mpc_send msg = {
        .msg = header, .msg_len = sizeof(header), .tail = (const uint8_t *)z, .tail_len = bytes};
    struct mpc_expect want = {.op = op,
                              .sender = (uint8_t)((p->id + 1) % 3),
                              .session = p->session,
                              .step = p->step,
                              .payload_len = bytes,
                              .max_payload = bytes};
    CLAVE_ENSURE(n <= 2 * MPC_MAX_ELEMS, CLAVE_ERR_LIMIT, "mpc: %zu words in one round", n);
    if (p->test_exit_step != 0 && p->step == p->test_exit_step) {
        raise(SIGKILL); /* test-only crash injection (docs/mpc.md "Test-only options") */
    }
    if (send) {
        struct mpc_header h = {
            .op = op, .sender = (uint8_t)p->id, .step = p->step, .payload_len = (uint32_t)bytes};
        memcpy(h.session, p->session, MPC_SESSION_ID_LEN);
        clave__mpc_header_encode(&h, header);
        CLAVE_CHECK_OSSL(EVP_DigestUpdate(p->sent_hash, z, bytes), CLAVE_ERR_CRYPTO,
                         "mpc: SHA-256");
        if (p->tamper && n > 0) {
            z[0] ^= 1; /* test-only fault injection (docs/mpc.md): sent, but not kept */
            flipped = true;
        }
    }
    st = clave__mpc_exchange2(send ? p->prev : NULL, &msg, receive ? p->next : NULL, &want,
                              (uint8_t *)from_next, bytes, NULL, NULL, p->timeout_ms);
    if (flipped) {
        z[0] ^= 1;
    }
    CLAVE_CHECK(st);
    if (receive) {
        CLAVE_CHECK_OSSL(EVP_DigestUpdate(p->recv_hash, from_next, bytes), CLAVE_ERR_CRYPTO,
                         "mpc: SHA-256");
    }
    p->step++;
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave__mpc_reshare(struct mpc_party *p, uint8_t op, uint64_t *z, uint64_t *from_next,
                                size_t n)
{
    return round_trip(p, op, z, true, from_next, true, n);
}

clave_status clave__mpc_mul(struct mpc_party *p, const struct mpc_vec *x, const struct mpc_vec *y,
                            struct mpc_vec *z)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint64_t zero[MUL_CHUNK];
    CLAVE_ENSURE(x->len == y->len, CLAVE_ERR_ARG, "mpc mul: lengths %zu and %zu differ", x->len,
                 y->len);
    CLAVE_CHECK(clave__mpc_vec_alloc(z, x->len));
    /* The zero-sharing alpha_i is drawn chunk by chunk into a cache-resident buffer and added
     * as the products are formed: one pass over the output instead of three. */
    for (size_t pos = 0; pos < x->len; pos += MUL_CHUNK) {
        size_t part = x->len - pos < MUL_CHUNK ? x->len - pos : MUL_CHUNK;
        CLAVE_CHECK(clave_mpc_prss_zero(p->prss, zero, part));
        clave_mpc_rss_mul_local(x->own + pos, x->next + pos, y->own + pos, y->next + pos, zero,
                                part, z->own + pos);
    }
    CLAVE_CHECK(clave__mpc_reshare(p, MPC_OP_MUL, z->own, z->next, x->len));
    st = CLAVE_OK;
done:
    clave_wipe(zero, sizeof(zero));
    if (st != CLAVE_OK) {
        clave__mpc_vec_free(z);
    }
    return st;
}

clave_status clave__mpc_dot(struct mpc_party *p, const struct mpc_vec *x, const struct mpc_vec *y,
                            struct mpc_vec *z)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint64_t acc = 0;
    CLAVE_ENSURE(x->len == y->len, CLAVE_ERR_ARG, "mpc dot: lengths %zu and %zu differ", x->len,
                 y->len);
    CLAVE_CHECK(clave__mpc_vec_alloc(z, 1));
    for (size_t k = 0; k < x->len; k++) {
        acc += x->own[k] * (y->own[k] + y->next[k]) + x->next[k] * y->own[k];
    }
    CLAVE_CHECK(clave_mpc_prss_zero(p->prss, z->own, 1));
    z->own[0] += acc;
    CLAVE_CHECK(clave__mpc_reshare(p, MPC_OP_MUL, z->own, z->next, 1));
    st = CLAVE_OK;
done:
    if (st != CLAVE_OK) {
        clave__mpc_vec_free(z);
    }
    return st;
}

/*
 * ABY3 (Mohassel-Rindal, CCS 2018) section 5.1.1, semi-honest form. Parties 0 and 2 view
 * x = (x_0 + x_1) + x_2 as a two-party sharing and truncate locally as in SecureML (Mohassel-
 * Zhang 2017, Theorem 1): a' = (x_0 + x_1) >> d, b' = -((-x_2) >> d). The new sharing is
 * y = (a' - r, r, b') with r = F(k_1) from PRSS, known to parties 0 and 1 only. Party 1 holds
 * x_2 already and computes b' itself; party 0 sends a' - r to party 2: one message.
 */
clave_status clave__mpc_trunc(struct mpc_party *p, struct mpc_vec *x, unsigned bits)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct mpc_vec r = {0};
    if (bits == 0) { /* integers: nothing to do, and every party agrees on frac_bits */
        st = CLAVE_OK;
        goto done;
    }
    CLAVE_CHECK(clave__mpc_vec_alloc(&r, x->len));
    CLAVE_CHECK(clave_mpc_prss_random(p->prss, r.own, r.next, x->len));
    if (p->id == 0) {
        for (size_t k = 0; k < x->len; k++) {
            x->own[k] = clave_mpc_fixed_trunc_share(x->own[k] + x->next[k], 0, bits) - r.next[k];
            x->next[k] = r.next[k];
        }
        CLAVE_CHECK(round_trip(p, MPC_OP_TRUNC, x->own, true, NULL, false, x->len));
    } else if (p->id == 1) {
        for (size_t k = 0; k < x->len; k++) {
            x->own[k] = r.own[k];
            x->next[k] = clave_mpc_fixed_trunc_share(x->next[k], 1, bits);
        }
        p->step++;
    } else {
        for (size_t k = 0; k < x->len; k++) {
            x->own[k] = clave_mpc_fixed_trunc_share(x->own[k], 1, bits);
        }
        CLAVE_CHECK(round_trip(p, MPC_OP_TRUNC, NULL, false, x->next, true, x->len));
    }
    st = CLAVE_OK;
done:
    clave__mpc_vec_free(&r);
    return st;
}

clave_status clave__mpc_check(struct mpc_party *p)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t sent[MPC_DIGEST_LEN];
    uint8_t recv[MPC_DIGEST_LEN];
    uint8_t msg[MPC_MSG_HEADER_LEN + MPC_DIGEST_LEN];
    uint8_t got[MPC_DIGEST_LEN];
    unsigned len = 0;
    CLAVE_CHECK_OSSL(EVP_DigestFinal_ex(p->sent_hash, sent, &len), CLAVE_ERR_CRYPTO,
                     "mpc: SHA-256");
    CLAVE_CHECK_OSSL(EVP_DigestFinal_ex(p->recv_hash, recv, &len), CLAVE_ERR_CRYPTO,
                     "mpc: SHA-256");
    struct mpc_header h = {.op = MPC_OP_CHECK,
                           .sender = (uint8_t)p->id,
                           .step = p->step,
                           .payload_len = MPC_DIGEST_LEN};
    memcpy(h.session, p->session, MPC_SESSION_ID_LEN);
    clave__mpc_header_encode(&h, msg);
    memcpy(msg + MPC_MSG_HEADER_LEN, sent, MPC_DIGEST_LEN);
    struct mpc_expect want = {.op = MPC_OP_CHECK,
                              .sender = (uint8_t)((p->id + 1) % 3),
                              .session = p->session,
                              .step = p->step,
                              .payload_len = MPC_DIGEST_LEN,
                              .max_payload = MPC_DIGEST_LEN};
    CLAVE_CHECK(clave__mpc_exchange(p->prev, msg, sizeof(msg), p->next, &want, got, sizeof(got),
                                    NULL, NULL, p->timeout_ms));
    p->step++;
    CLAVE_ENSURE(clave_ct_equal(got, recv, MPC_DIGEST_LEN), CLAVE_ERR_TAMPERED,
                 "mpc: replicas disagree: what %s sent differs from the shares it keeps "
                 "(suspect link %s -> node %u, or %s itself)",
                 p->next->name, p->next->name, p->id, p->next->name);
    CLAVE_CHECK_OSSL(EVP_DigestInit_ex(p->sent_hash, EVP_sha256(), NULL), CLAVE_ERR_CRYPTO,
                     "mpc: SHA-256");
    CLAVE_CHECK_OSSL(EVP_DigestInit_ex(p->recv_hash, EVP_sha256(), NULL), CLAVE_ERR_CRYPTO,
                     "mpc: SHA-256");
    st = CLAVE_OK;
done:
    return st;
}
