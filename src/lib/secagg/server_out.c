/* SPDX-License-Identifier: Apache-2.0 */
/* SecAgg server: the per-client messages of each round, accessors and teardown. */
#include "core/check.h"
#include "secagg/server_internal.h"

#include <clave/secret.h>
#include <stdlib.h>
#include <string.h>

/* KEYS: the advertisements of the client's neighbours in U1. */
static clave_status build_keys(struct clave_secagg_server *s, uint32_t id, struct sa_msg *m)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    size_t count = clave__sa_server_nbrs_in(s, id, IN_U1);
    m->keys = calloc(count + 1, sizeof(*m->keys));
    CLAVE_ENSURE_ALLOC(m->keys);
    for (size_t i = 0; i < count; i++) {
        m->keys[i] = s->keys[s->nbrs[i] - 1];
    }
    m->count = count;
    st = CLAVE_OK;
done:
    return st;
}

/* FORWARD: for each neighbour u in U2, the ciphertext u addressed to this client. */
static clave_status build_forward(struct clave_secagg_server *s, uint32_t id, struct sa_msg *m)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    size_t count = clave__sa_server_nbrs_in(s, id, IN_U2);
    m->ciphers = calloc(count + 1, sizeof(*m->ciphers));
    CLAVE_ENSURE_ALLOC(m->ciphers);
    for (size_t i = 0; i < count; i++) {
        uint32_t u = s->nbrs[i];
        const struct sa_cipher *found = NULL;
        for (size_t j = 0; j < s->cipher_count[u - 1] && found == NULL; j++) {
            found = s->ciphers[u - 1][j].peer == id ? &s->ciphers[u - 1][j] : NULL;
        }
        CLAVE_ENSURE(found != NULL, CLAVE_ERR_INTERNAL, "secagg server: missing share %u->%u", u,
                     id);
        m->ciphers[i].peer = u;
        memcpy(m->ciphers[i].ct, found->ct, SA_SHARE_CT_LEN);
    }
    m->count = count;
    st = CLAVE_OK;
done:
    return st;
}

/* UNMASK_REQUEST: the client's neighbours in U3. */
static clave_status build_request(struct clave_secagg_server *s, uint32_t id, struct sa_msg *m)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    size_t count = clave__sa_server_nbrs_in(s, id, IN_U2 | IN_U3);
    m->ids = calloc(count + 1, sizeof(*m->ids));
    CLAVE_ENSURE_ALLOC(m->ids);
    memcpy(m->ids, s->nbrs, count * sizeof(uint32_t));
    m->count = count;
    m->survivors_total = s->survivors;
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_secagg_server_message(struct clave_secagg_server *s, uint32_t id, uint8_t **msg,
                                         size_t *len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct sa_msg m = {0};
    *msg = NULL;
    *len = 0;
    CLAVE_ENSURE(s->round >= CLAVE_SECAGG_ROUND_SHARE && s->round <= CLAVE_SECAGG_ROUND_UNMASK,
                 CLAVE_ERR_STATE, "secagg server: no message to send in round %d", (int)s->round);
    CLAVE_ENSURE(id >= 1 && id <= s->p.client_count, CLAVE_ERR_ARG, "secagg server: client %u", id);
    /* The client must have completed the previous round. */
    static const uint8_t NEEDS[] = {0, 0, IN_U1, IN_U2, IN_U3};
    CLAVE_ENSURE((s->member[id - 1] & NEEDS[s->round]) != 0, CLAVE_ERR_NOT_FOUND,
                 "secagg server: client %u dropped out", id);
    m.h.sender = 0;
    m.h.recipient = id;
    if (s->round == CLAVE_SECAGG_ROUND_SHARE) {
        m.h.type = SA_KEYS;
        CLAVE_CHECK(build_keys(s, id, &m));
    } else if (s->round == CLAVE_SECAGG_ROUND_MASKED) {
        m.h.type = SA_FORWARD;
        CLAVE_CHECK(build_forward(s, id, &m));
    } else {
        m.h.type = SA_UNMASK_REQUEST;
        CLAVE_CHECK(build_request(s, id, &m));
    }
    CLAVE_CHECK(clave__sa_encode(&s->p, &m, msg, len));
    st = CLAVE_OK;
done:
    clave__sa_msg_clear(&m);
    return st;
}

enum clave_secagg_round clave_secagg_server_round(const struct clave_secagg_server *s)
{
    return s->round;
}

size_t clave_secagg_server_heard(const struct clave_secagg_server *s)
{
    return s->heard_count;
}

size_t clave_secagg_server_survivors(const struct clave_secagg_server *s)
{
    return s->survivors;
}

clave_status clave_secagg_server_result(const struct clave_secagg_server *s, uint64_t *out,
                                        size_t cap)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(s->round == CLAVE_SECAGG_ROUND_DONE, CLAVE_ERR_STATE,
                 "secagg server: no result (round %d)", (int)s->round);
    CLAVE_ENSURE(out != NULL && cap >= s->p.dim, CLAVE_ERR_ARG,
                 "secagg server: result needs %u words", s->p.dim);
    memcpy(out, s->sum, (size_t)s->p.dim * sizeof(uint64_t));
    st = CLAVE_OK;
done:
    return st;
}

void clave_secagg_server_free(struct clave_secagg_server *s)
{
    if (s == NULL) {
        return;
    }
    for (uint32_t i = 0; s->ciphers != NULL && i < s->p.client_count; i++) {
        free(s->ciphers[i]);
    }
    for (uint32_t i = 0; s->unmask != NULL && i < s->p.client_count; i++) {
        if (s->unmask[i] != NULL) {
            clave_wipe(s->unmask[i], s->unmask_count[i] * sizeof(*s->unmask[i]));
            free(s->unmask[i]);
        }
    }
    if (s->sum != NULL) {
        clave_wipe(s->sum, (size_t)s->p.dim * sizeof(uint64_t));
    }
    clave__sa_graph_clear(&s->g);
    free(s->member);
    free(s->heard);
    free(s->keys);
    free(s->ciphers);
    free(s->cipher_count);
    free(s->unmask);
    free(s->unmask_count);
    free(s->sum);
    free(s->nbrs);
    free(s);
}
