/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Boolean rounds: AND of replicated XOR-sharings and the sign bit of an arithmetic sharing
 * (arithmetic-to-binary conversion of ABY3 section 5.3, Mohassel-Rindal CCS 2018, with a
 * Kogge-Stone parallel-prefix carry tree). Words hold 64 bits of one value (bit-parallel).
 */
#include "core/check.h"
#include "mpc/proto.h"

#define KS_ROUNDS 6 /* carry spans 1 + 2 + ... + 32 = 63 bits */

/* z_i = x_i&y_i ^ x_i&y_{i+1} ^ x_{i+1}&y_i ^ alpha_i, alpha_i = F(k_i) ^ F(k_{i+1}): the
 * alphas XOR to zero, so the z_i are an XOR-sharing of x&y; resharing makes it replicated. */
clave_status clave__mpc_and(struct mpc_party *p, const struct mpc_vec *x, const struct mpc_vec *y,
                            struct mpc_vec *z)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(x->len == y->len, CLAVE_ERR_ARG, "mpc and: lengths %zu and %zu differ", x->len,
                 y->len);
    CLAVE_CHECK(clave__mpc_vec_alloc(z, x->len));
    CLAVE_CHECK(clave_mpc_prss_random(p->prss, z->own, z->next, x->len));
    for (size_t k = 0; k < x->len; k++) {
        z->own[k] ^= z->next[k] ^ (x->own[k] & y->own[k]) ^ (x->own[k] & y->next[k]) ^
                     (x->next[k] & y->own[k]);
    }
    CLAVE_CHECK(clave__mpc_reshare(p, MPC_OP_AND, z->own, z->next, x->len));
    st = CLAVE_OK;
done:
    if (st != CLAVE_OK) {
        clave__mpc_vec_free(z);
    }
    return st;
}

/* Party p's view of the trivial boolean sharing of arithmetic component j: the component sits
 * in XOR position j, the other two positions are zero. */
static void component(const struct mpc_party *p, const struct mpc_vec *d, unsigned j,
                      struct mpc_vec *out)
{
    for (size_t k = 0; k < d->len; k++) {
        out->own[k] = j == p->id ? d->own[k] : 0;
        out->next[k] = j == (p->id + 1) % 3 ? d->next[k] : 0;
    }
}

/* Carry-save step: d = c0 + c1 + c2 = s + (maj(c0, c1, c2) << 1), with s = c0 ^ c1 ^ c2 and
 * maj = ((c0 ^ c2) & (c1 ^ c2)) ^ c2 (one AND). Writes s into `s` and the shifted carry into
 * `c` (allocated). */
static clave_status carry_save(struct mpc_party *p, const struct mpc_vec *d, struct mpc_vec *s,
                               struct mpc_vec *c)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct mpc_vec c0 = {0}, c1 = {0}, c2 = {0};
    CLAVE_CHECK(clave__mpc_vec_alloc(&c0, d->len));
    CLAVE_CHECK(clave__mpc_vec_alloc(&c1, d->len));
    CLAVE_CHECK(clave__mpc_vec_alloc(&c2, d->len));
    component(p, d, 0, &c0);
    component(p, d, 1, &c1);
    component(p, d, 2, &c2);
    for (size_t k = 0; k < d->len; k++) {
        s->own[k] = c0.own[k] ^ c1.own[k] ^ c2.own[k];
        s->next[k] = c0.next[k] ^ c1.next[k] ^ c2.next[k];
        c0.own[k] ^= c2.own[k];
        c0.next[k] ^= c2.next[k];
        c1.own[k] ^= c2.own[k];
        c1.next[k] ^= c2.next[k];
    }
    CLAVE_CHECK(clave__mpc_and(p, &c0, &c1, c));
    for (size_t k = 0; k < d->len; k++) {
        c->own[k] = (c->own[k] ^ c2.own[k]) << 1;
        c->next[k] = (c->next[k] ^ c2.next[k]) << 1;
    }
    st = CLAVE_OK;
done:
    clave__mpc_vec_free(&c0);
    clave__mpc_vec_free(&c1);
    clave__mpc_vec_free(&c2);
    return st;
}

/* One Kogge-Stone level: g ^= p & (g << shift), p &= p << shift, both ANDs in one round
 * (a vector of 2n words). */
static clave_status ks_level(struct mpc_party *p, struct mpc_vec *g, struct mpc_vec *pr,
                             unsigned shift)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    size_t n = g->len;
    struct mpc_vec a = {0}, b = {0}, z = {0};
    CLAVE_CHECK(clave__mpc_vec_alloc(&a, 2 * n));
    CLAVE_CHECK(clave__mpc_vec_alloc(&b, 2 * n));
    for (size_t k = 0; k < n; k++) {
        a.own[k] = a.own[n + k] = pr->own[k];
        a.next[k] = a.next[n + k] = pr->next[k];
        b.own[k] = g->own[k] << shift;
        b.next[k] = g->next[k] << shift;
        b.own[n + k] = pr->own[k] << shift;
        b.next[n + k] = pr->next[k] << shift;
    }
    CLAVE_CHECK(clave__mpc_and(p, &a, &b, &z));
    for (size_t k = 0; k < n; k++) {
        g->own[k] ^= z.own[k];
        g->next[k] ^= z.next[k];
        pr->own[k] = z.own[n + k];
        pr->next[k] = z.next[n + k];
    }
    st = CLAVE_OK;
done:
    clave__mpc_vec_free(&a);
    clave__mpc_vec_free(&b);
    clave__mpc_vec_free(&z);
    return st;
}

/* msb(s + c) = s_63 ^ c_63 ^ carry_63, and carry_63 is the group generate of bits 0..62:
 * bit 62 of g after the prefix tree over g = s & c, p = s ^ c. */
clave_status clave__mpc_msb(struct mpc_party *p, const struct mpc_vec *d, struct mpc_vec *bit)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct mpc_vec s = {0}, c = {0}, g = {0}, pr = {0};
    CLAVE_CHECK(clave__mpc_vec_alloc(&s, d->len));
    CLAVE_CHECK(carry_save(p, d, &s, &c));
    CLAVE_CHECK(clave__mpc_and(p, &s, &c, &g));
    CLAVE_CHECK(clave__mpc_vec_alloc(&pr, d->len));
    CLAVE_CHECK(clave__mpc_vec_alloc(bit, d->len));
    for (size_t k = 0; k < d->len; k++) {
        pr.own[k] = s.own[k] ^ c.own[k];
        pr.next[k] = s.next[k] ^ c.next[k];
        bit->own[k] = pr.own[k] >> 63;
        bit->next[k] = pr.next[k] >> 63;
    }
    for (unsigned level = 0; level < KS_ROUNDS; level++) {
        CLAVE_CHECK(ks_level(p, &g, &pr, 1u << level));
    }
    for (size_t k = 0; k < d->len; k++) {
        bit->own[k] ^= (g.own[k] >> 62) & 1;
        bit->next[k] ^= (g.next[k] >> 62) & 1;
    }
    st = CLAVE_OK;
done:
    if (st != CLAVE_OK) {
        clave__mpc_vec_free(bit);
    }
    clave__mpc_vec_free(&s);
    clave__mpc_vec_free(&c);
    clave__mpc_vec_free(&g);
    clave__mpc_vec_free(&pr);
    return st;
}
