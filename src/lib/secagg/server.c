/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SecAgg server: Bonawitz et al. 2017 figure 4 (server side) over the SecAgg+ graph. The server
 * keeps, per round, the set of clients it heard from: U1 (advertised), U2 (shared), U3 (sent a
 * masked input), U4 (answered the unmasking request). Masked inputs are summed on arrival, so
 * memory does not grow with the number of clients times the dimension.
 */
#include "core/check.h"
#include "mpc/prg.h"
#include "secagg/masks.h"
#include "secagg/server_internal.h"

#include <clave/mpc.h>
#include <clave/secagg.h>
#include <clave/secret.h>
#include <stdlib.h>
#include <string.h>

/* The set a sender must belong to in each round, and the bit that round adds. */
static const uint8_t ROUND_NEEDS[] = {0, 0, IN_U1, IN_U2, IN_U3};
static const uint8_t ROUND_ADDS[] = {0, IN_U1, IN_U2, IN_U3, IN_U4};
static const uint8_t ROUND_TYPE[] = {0, SA_ADVERTISE, SA_SHARES, SA_MASKED, SA_UNMASK};

clave_status clave_secagg_server_new(const struct clave_secagg_params *params,
                                     const struct clave_pkey *const *directory,
                                     struct clave_secagg_server **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_secagg_server *s = NULL;
    size_t n = 0;
    *out = NULL;
    CLAVE_CHECK(clave_secagg_params_check(params));
    CLAVE_ENSURE(directory != NULL, CLAVE_ERR_ARG, "secagg server: NULL directory");
    n = params->client_count;
    s = calloc(1, sizeof(*s));
    CLAVE_ENSURE_ALLOC(s);
    s->p = *params;
    s->directory = directory;
    s->round = CLAVE_SECAGG_ROUND_ADVERTISE;
    CLAVE_CHECK(clave__sa_graph_init(params, &s->g));
    s->member = calloc(n, 1);
    s->heard = calloc(n, 1);
    s->keys = calloc(n, sizeof(*s->keys));
    s->ciphers = calloc(n, sizeof(*s->ciphers));
    s->cipher_count = calloc(n, sizeof(size_t));
    s->unmask = calloc(n, sizeof(*s->unmask));
    s->unmask_count = calloc(n, sizeof(size_t));
    s->sum = calloc(params->dim, sizeof(uint64_t));
    s->nbrs = calloc(params->degree, sizeof(uint32_t));
    CLAVE_ENSURE(s->member != NULL && s->heard != NULL && s->keys != NULL && s->ciphers != NULL &&
                     s->cipher_count != NULL && s->unmask != NULL && s->unmask_count != NULL &&
                     s->sum != NULL && s->nbrs != NULL,
                 CLAVE_ERR_NOMEM, "out of memory");
    *out = s;
    s = NULL;
    st = CLAVE_OK;
done:
    clave_secagg_server_free(s);
    return st;
}

size_t clave__sa_server_nbrs_into(const struct clave_secagg_server *s, uint32_t id, uint8_t mask,
                                  uint32_t *out)
{
    size_t all = clave__sa_graph_neighbours(&s->g, id, out);
    size_t kept = 0;
    for (size_t i = 0; i < all; i++) {
        if ((s->member[out[i] - 1] & mask) == mask) {
            out[kept++] = out[i];
        }
    }
    return kept;
}

size_t clave__sa_server_nbrs_in(struct clave_secagg_server *s, uint32_t id, uint8_t mask)
{
    return clave__sa_server_nbrs_into(s, id, mask, s->nbrs);
}

static clave_status accept_advertise(struct clave_secagg_server *s, const struct sa_msg *m)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t signed_bytes[SA_SIGNED_LEN];
    clave__sa_signed_bytes(&s->p, &m->adv, signed_bytes);
    CLAVE_CHECK_CTX(clave_ed25519_verify(s->directory[m->adv.id - 1], signed_bytes,
                                         sizeof(signed_bytes), m->adv.sig, sizeof(m->adv.sig)),
                    "secagg server: advertisement of client %u: ", m->adv.id);
    CLAVE_ENSURE(memcmp(m->adv.c_pk, m->adv.s_pk, SA_PK_LEN) != 0, // lint:public
                 CLAVE_ERR_KEY, "secagg server: client %u advertises one key twice", m->adv.id);
    s->keys[m->adv.id - 1] = m->adv;
    st = CLAVE_OK;
done:
    return st;
}

/* Shares go to exactly the sender's neighbours in U1, one each, ascending. */
static clave_status accept_shares(struct clave_secagg_server *s, struct sa_msg *m)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    size_t count = clave__sa_server_nbrs_in(s, m->h.sender, IN_U1);
    CLAVE_ENSURE(m->count == count, CLAVE_ERR_FORMAT,
                 "secagg server: client %u sent %zu shares for %zu neighbours", m->h.sender,
                 m->count, count);
    for (size_t i = 0; i < count; i++) {
        CLAVE_ENSURE(m->ciphers[i].peer == s->nbrs[i], CLAVE_ERR_FORMAT,
                     "secagg server: client %u sent a share for client %u, not a neighbour in "
                     "the round",
                     m->h.sender, m->ciphers[i].peer);
    }
    s->ciphers[m->h.sender - 1] = m->ciphers;
    s->cipher_count[m->h.sender - 1] = m->count;
    m->ciphers = NULL;
    st = CLAVE_OK;
done:
    return st;
}

static void accept_masked(struct clave_secagg_server *s, const struct sa_msg *m)
{
    if (clave__sa_word_bytes(&s->p) == 4) {
        clave__words_add_le32(s->sum, m->vector, s->p.dim);
    } else {
        clave__words_add_le(s->sum, m->vector, s->p.dim); /* little-endian on the wire and here */
    }
}

/* Unmask entries: one per neighbour whose shares the sender holds (U2), of the right kind. */
static clave_status accept_unmask(struct clave_secagg_server *s, struct sa_msg *m)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    size_t count = clave__sa_server_nbrs_in(s, m->h.sender, IN_U2);
    CLAVE_ENSURE(m->count == count, CLAVE_ERR_FORMAT,
                 "secagg server: client %u revealed %zu shares for %zu neighbours", m->h.sender,
                 m->count, count);
    for (size_t i = 0; i < count; i++) {
        uint32_t owner = m->shares[i].owner;
        uint8_t want = (s->member[owner - 1] & IN_U3) != 0 ? SA_KIND_SELF_MASK : SA_KIND_MASK_KEY;
        CLAVE_ENSURE(owner == s->nbrs[i], CLAVE_ERR_FORMAT,
                     "secagg server: client %u revealed a share of client %u, not a neighbour",
                     m->h.sender, owner);
        CLAVE_ENSURE(m->shares[i].kind == want, CLAVE_ERR_FORMAT,
                     "secagg server: client %u revealed the wrong secret of client %u", m->h.sender,
                     owner);
    }
    s->unmask[m->h.sender - 1] = m->shares;
    s->unmask_count[m->h.sender - 1] = m->count;
    m->shares = NULL;
    st = CLAVE_OK;
done:
    return st;
}

static clave_status accept(struct clave_secagg_server *s, struct sa_msg *m)
{
    switch (s->round) {
    case CLAVE_SECAGG_ROUND_ADVERTISE:
        return accept_advertise(s, m);
    case CLAVE_SECAGG_ROUND_SHARE:
        return accept_shares(s, m);
    case CLAVE_SECAGG_ROUND_MASKED:
        accept_masked(s, m);
        return CLAVE_OK;
    default:
        return accept_unmask(s, m);
    }
}

clave_status clave_secagg_server_receive(struct clave_secagg_server *s, const uint8_t *msg,
                                         size_t len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct sa_msg m = {0};
    CLAVE_ENSURE(s->round >= CLAVE_SECAGG_ROUND_ADVERTISE && s->round <= CLAVE_SECAGG_ROUND_UNMASK,
                 CLAVE_ERR_STATE, "secagg server: no round open");
    uint8_t want = ROUND_TYPE[s->round];
    CLAVE_ENSURE(len < 2 || msg == NULL || msg[1] == want || msg[1] < SA_ADVERTISE ||
                     msg[1] > SA_UNMASK,
                 CLAVE_ERR_STATE, "secagg server: message of type %u in round %d",
                 len >= 2 ? msg[1] : 0, (int)s->round);
    CLAVE_CHECK(clave__sa_decode(&s->p, want, msg, len, &m));
    uint32_t sender = m.h.sender;
    CLAVE_ENSURE((s->member[sender - 1] & ROUND_NEEDS[s->round]) == ROUND_NEEDS[s->round],
                 CLAVE_ERR_STATE, "secagg server: client %u is not in round %d", sender,
                 (int)s->round);
    CLAVE_ENSURE(!s->heard[sender - 1], CLAVE_ERR_EXISTS,
                 "secagg server: second message from client %u in round %d", sender, (int)s->round);
    CLAVE_CHECK(accept(s, &m));
    s->heard[sender - 1] = 1;
    s->heard_count++;
    st = CLAVE_OK;
done:
    clave__sa_msg_clear(&m);
    return st;
}

clave_status clave_secagg_server_close_round(struct clave_secagg_server *s)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(s->round >= CLAVE_SECAGG_ROUND_ADVERTISE && s->round <= CLAVE_SECAGG_ROUND_UNMASK,
                 CLAVE_ERR_STATE, "secagg server: no round open");
    CLAVE_ENSURE(s->heard_count >= s->p.min_clients, CLAVE_ERR_STATE,
                 "secagg server: round %d closed with %zu clients, fewer than %u", (int)s->round,
                 s->heard_count, s->p.min_clients);
    for (uint32_t i = 0; i < s->p.client_count; i++) {
        if (s->heard[i]) {
            s->member[i] |= ROUND_ADDS[s->round];
        }
    }
    if (s->round == CLAVE_SECAGG_ROUND_MASKED) {
        s->survivors = (uint32_t)s->heard_count;
    }
    memset(s->heard, 0, s->p.client_count);
    s->heard_count = 0;
    if (s->round == CLAVE_SECAGG_ROUND_UNMASK) {
        CLAVE_CHECK(clave__sa_server_unmask(s));
    }
    s->round = (enum clave_secagg_round)(s->round + 1);
    st = CLAVE_OK;
done:
    if (st != CLAVE_OK && s->round != CLAVE_SECAGG_ROUND_DONE) {
        s->round = CLAVE_SECAGG_ROUND_ABORTED;
        clave_wipe(s->sum, (size_t)s->p.dim * sizeof(uint64_t));
    }
    return st;
}
