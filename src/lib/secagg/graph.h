/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SecAgg+ communication graph (Bell et al. 2020, section 3): the Harary graph H(k, n) --
 * node at position i adjacent to positions i +- 1..k/2 mod n -- under a random relabelling of the
 * n clients derived from the session's graph seed (Fisher-Yates over an AES-CTR stream). With
 * degree n - 1 it is the complete graph of the original protocol.
 */
#ifndef CLAVE_SECAGG_GRAPH_H
#define CLAVE_SECAGG_GRAPH_H

#include <clave/secagg.h>
#include <stdbool.h>

struct sa_graph {
    uint32_t n;
    uint32_t half; /* k / 2, or 0 for the complete graph */
    uint32_t *pos; /* pos[id - 1]: the client's position */
    uint32_t *id;  /* id[position]: the client at a position */
};

clave_status clave__sa_graph_init(const struct clave_secagg_params *p, struct sa_graph *g);
void clave__sa_graph_clear(struct sa_graph *g);

/* Ascending neighbours of `id` into out (capacity >= degree). */
size_t clave__sa_graph_neighbours(const struct sa_graph *g, uint32_t id, uint32_t *out);

bool clave__sa_graph_adjacent(const struct sa_graph *g, uint32_t a, uint32_t b);

#endif
