/* SPDX-License-Identifier: Apache-2.0 */
/* The SecAgg server's state, shared by server.c (rounds) and server_out.c (outgoing messages). */
#ifndef CLAVE_SECAGG_SERVER_INTERNAL_H
#define CLAVE_SECAGG_SERVER_INTERNAL_H

#include "secagg/graph.h"
#include "secagg/msg.h"

#include <clave/secagg.h>

#define IN_U1 1u
#define IN_U2 2u
#define IN_U3 4u
#define IN_U4 8u

struct clave_secagg_server {
    struct clave_secagg_params p;
    const struct clave_pkey *const *directory;
    struct sa_graph g;
    enum clave_secagg_round round;
    uint8_t *member; /* per client: IN_U* bits */
    uint8_t *heard;  /* per client: a message accepted in the current round */
    size_t heard_count;
    struct sa_keys *keys;       /* per client: its advertisement */
    struct sa_cipher **ciphers; /* per client: its SHARES entries, ascending by recipient */
    size_t *cipher_count;
    struct sa_unmask_entry **unmask; /* per client: its UNMASK entries, ascending by owner */
    size_t *unmask_count;
    uint64_t *sum;
    uint32_t survivors;
    uint32_t *nbrs; /* scratch: degree ids */
};

/* Neighbours of `id` that belong to every set in `mask`, ascending, into s->nbrs. */
size_t clave__sa_server_nbrs_in(struct clave_secagg_server *s, uint32_t id, uint8_t mask);

/* The same into `out` (room for the graph degree), leaving s untouched (thread-safe). */
size_t clave__sa_server_nbrs_into(const struct clave_secagg_server *s, uint32_t id, uint8_t mask,
                                  uint32_t *out);

/* Unmasking (server_unmask.c): reconstruct every secret the sum needs and remove the masks. */
clave_status clave__sa_server_unmask(struct clave_secagg_server *s);

#endif
