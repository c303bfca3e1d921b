/* SPDX-License-Identifier: Apache-2.0 */
/* SecAgg+ graph and session parameters. */
#include "secagg/graph.h"

#include "core/check.h"
#include "mpc/prg.h"

#include <clave/crypto.h>
#include <stdlib.h>
#include <string.h>

#define GRAPH_LABEL "clave secagg v1 graph"
#define GRAPH_BATCH 512

clave_status clave_secagg_params_check(const struct clave_secagg_params *p)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(p != NULL, CLAVE_ERR_ARG, "secagg: NULL parameters");
    CLAVE_ENSURE(p->client_count >= 2 && p->client_count <= CLAVE_SECAGG_MAX_CLIENTS, CLAVE_ERR_ARG,
                 "secagg: client_count %u outside 2..%d", p->client_count,
                 CLAVE_SECAGG_MAX_CLIENTS);
    CLAVE_ENSURE(p->degree == p->client_count - 1 ||
                     (p->degree >= 2 && p->degree % 2 == 0 && p->degree < p->client_count - 1),
                 CLAVE_ERR_ARG, "secagg: degree %u is neither even in 2..n-2 nor n-1", p->degree);
    CLAVE_ENSURE(p->share_threshold >= 1 && p->share_threshold <= p->degree, CLAVE_ERR_ARG,
                 "secagg: share_threshold %u outside 1..%u", p->share_threshold, p->degree);
    CLAVE_ENSURE(p->min_clients >= 1 && p->min_clients <= p->client_count, CLAVE_ERR_ARG,
                 "secagg: min_clients %u outside 1..%u", p->min_clients, p->client_count);
    CLAVE_ENSURE(p->dim >= 1 && p->dim <= CLAVE_SECAGG_MAX_DIM, CLAVE_ERR_ARG,
                 "secagg: dim %u outside 1..%u", p->dim, CLAVE_SECAGG_MAX_DIM);
    CLAVE_ENSURE(p->bits <= 64, CLAVE_ERR_ARG, "secagg: bits %u outside 1..64 (0: 64)", p->bits);
    unsigned ring = p->bits == 0 ? 64u : p->bits;
    unsigned headroom = 0; /* ceil(log2(client_count)) */
    while (headroom < 32 && (UINT64_C(1) << headroom) < p->client_count) {
        headroom++;
    }
    CLAVE_ENSURE(p->input_bits == 0 || p->input_bits + headroom <= ring, CLAVE_ERR_ARG,
                 "secagg: %u-bit inputs from %u clients need %u bits of headroom: more than "
                 "the ring's %u bits",
                 p->input_bits, p->client_count, p->input_bits + headroom, ring);
    st = CLAVE_OK;
done:
    return st;
}

/* Uniform index in [0, bound) from the stream (rejection of the 2^64 mod bound low values). */
static clave_status draw_below(struct clave__prg *prg, uint64_t *batch, size_t *used,
                               uint64_t bound, uint32_t *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint64_t reject_below = (0 - bound) % bound;
    for (;;) {
        if (*used == GRAPH_BATCH) {
            CLAVE_CHECK(clave__prg_fill(prg, batch, GRAPH_BATCH));
            *used = 0;
        }
        uint64_t w = batch[(*used)++];
        if (w >= reject_below) {
            *out = (uint32_t)(w % bound);
            break;
        }
    }
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave__sa_graph_init(const struct clave_secagg_params *p, struct sa_graph *g)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave__prg *prg = NULL;
    uint64_t batch[GRAPH_BATCH];
    size_t used = GRAPH_BATCH;
    memset(g, 0, sizeof(*g));
    CLAVE_CHECK(clave_secagg_params_check(p));
    g->n = p->client_count;
    g->half = p->degree == p->client_count - 1 ? 0 : p->degree / 2;
    g->pos = calloc(g->n, sizeof(uint32_t));
    g->id = calloc(g->n, sizeof(uint32_t));
    CLAVE_ENSURE(g->pos != NULL && g->id != NULL, CLAVE_ERR_NOMEM, "out of memory");
    for (uint32_t i = 0; i < g->n; i++) {
        g->id[i] = i + 1;
    }
    CLAVE_CHECK(clave__prg_new(p->graph_seed, sizeof(p->graph_seed), GRAPH_LABEL, p->session_id,
                               sizeof(p->session_id), &prg));
    for (uint32_t i = g->n - 1; i > 0; i--) { /* Fisher-Yates */
        uint32_t j = 0;
        CLAVE_CHECK(draw_below(prg, batch, &used, (uint64_t)i + 1, &j));
        uint32_t tmp = g->id[i];
        g->id[i] = g->id[j];
        g->id[j] = tmp;
    }
    for (uint32_t i = 0; i < g->n; i++) {
        g->pos[g->id[i] - 1] = i;
    }
    st = CLAVE_OK;
done:
    clave__prg_free(prg);
    if (st != CLAVE_OK) {
        clave__sa_graph_clear(g);
    }
    return st;
}

void clave__sa_graph_clear(struct sa_graph *g)
{
    free(g->pos);
    free(g->id);
    memset(g, 0, sizeof(*g));
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a;
    uint32_t y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

size_t clave__sa_graph_neighbours(const struct sa_graph *g, uint32_t id, uint32_t *out)
{
    size_t count = 0;
    if (g->half == 0) {
        for (uint32_t v = 1; v <= g->n; v++) {
            if (v != id) {
                out[count++] = v;
            }
        }
        return count;
    }
    uint32_t at = g->pos[id - 1];
    for (uint32_t d = 1; d <= g->half; d++) {
        out[count++] = g->id[(at + d) % g->n];
        out[count++] = g->id[(at + g->n - d) % g->n];
    }
    qsort(out, count, sizeof(uint32_t), cmp_u32);
    return count;
}

bool clave__sa_graph_adjacent(const struct sa_graph *g, uint32_t a, uint32_t b)
{
    if (a == b || a < 1 || b < 1 || a > g->n || b > g->n) {
        return false;
    }
    if (g->half == 0) {
        return true;
    }
    uint32_t d = (g->pos[a - 1] + g->n - g->pos[b - 1]) % g->n;
    return d <= g->half || g->n - d <= g->half;
}

clave_status clave_secagg_neighbours(const struct clave_secagg_params *p, uint32_t id,
                                     uint32_t *out, size_t cap, size_t *count)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct sa_graph g = {0};
    *count = 0;
    CLAVE_CHECK(clave__sa_graph_init(p, &g));
    CLAVE_ENSURE(id >= 1 && id <= p->client_count && out != NULL && cap >= p->degree, CLAVE_ERR_ARG,
                 "secagg: bad client id or capacity");
    *count = clave__sa_graph_neighbours(&g, id, out);
    st = CLAVE_OK;
done:
    clave__sa_graph_clear(&g);
    return st;
}
