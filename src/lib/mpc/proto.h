/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The three-party protocol over replicated secret sharing in Z_2^64 (Araki et al., CCS 2016),
 * semi-honest with an honest majority (docs/mpc.md). Party i holds (x_i, x_{i+1}) of
 * x = x_0 + x_1 + x_2 (or x_0 ^ x_1 ^ x_2 for boolean sharings). Every party runs the same
 * sequence of calls; each round is one clave__mpc_exchange over the ring: party i sends to
 * party i-1 ("prev") and receives from party i+1 ("next").
 */
#ifndef CLAVE_MPC_PROTO_H
#define CLAVE_MPC_PROTO_H

#include "mpc/net.h"

#include <clave/mpc.h>
#include <clave/status.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One party's view of a vector of shared values (arrays owned by whoever allocated them). */
struct mpc_vec {
    uint64_t *own;
    uint64_t *next;
    size_t len;
};

struct mpc_party {
    unsigned id;                 /* 0..2 */
    struct mpc_link *prev;       /* party id-1 (borrowed) */
    struct mpc_link *next;       /* party id+1 (borrowed) */
    struct clave_mpc_prss *prss; /* borrowed */
    uint8_t session[MPC_SESSION_ID_LEN];
    uint32_t step;           /* rounds so far; every party counts the same */
    int timeout_ms;          /* idle timeout of one round */
    bool tamper;             /* test only: flip the lowest bit of every payload sent to a peer */
    uint32_t test_exit_step; /* test only: die (SIGKILL) when this round starts; 0: never */
    uint8_t *buf;            /* send buffer (header + payload), grown on demand */
    size_t buf_cap;
    EVP_MD_CTX *sent_hash; /* SHA-256 of the payloads sent to prev (as this party keeps them) */
    EVP_MD_CTX *recv_hash; /* SHA-256 of the payloads received from next */
};

/* Allocate own/next of `len` zeroed words; mpc_vec_free releases (and wipes) them. */
clave_status clave__mpc_vec_alloc(struct mpc_vec *v, size_t len);
void clave__mpc_vec_free(struct mpc_vec *v);

/* Start the transcript hashes (after the other fields are set); release frees them. */
clave_status clave__mpc_party_init(struct mpc_party *p);
void clave__mpc_party_release(struct mpc_party *p);

/*
 * Replica consistency check (one round): every value a party sends to prev becomes prev's
 * "next" component while the sender keeps it as its "own", so the two transcripts must be
 * equal. Each party sends the hash of what it sent; prev compares it with the hash of what it
 * received. A mismatch (CLAVE_ERR_TAMPERED) names the link. It catches a party whose messages
 * differ from the shares it keeps even when a later truncation would re-randomise the
 * difference away; it cannot catch a party that lies consistently (docs/mpc.md).
 */
clave_status clave__mpc_check(struct mpc_party *p);

/* Send `z` (n words) to prev, receive n words from next into `from_next`, with `op`. `z` is
 * not modified (a test-only tamper flips and restores one bit while sending). */
clave_status clave__mpc_reshare(struct mpc_party *p, uint8_t op, uint64_t *z, uint64_t *from_next,
                                size_t n);

/* Elementwise z = x * y (one round, one word per element sent). z is allocated. */
clave_status clave__mpc_mul(struct mpc_party *p, const struct mpc_vec *x, const struct mpc_vec *y,
                            struct mpc_vec *z);

/* z (one element, allocated) = sum_k x_k * y_k: one round, one word sent in total. */
clave_status clave__mpc_dot(struct mpc_party *p, const struct mpc_vec *x, const struct mpc_vec *y,
                            struct mpc_vec *z);

/* Truncate every element by `bits` in place (ABY3 share truncation, one message 0 -> 2). */
clave_status clave__mpc_trunc(struct mpc_party *p, struct mpc_vec *x, unsigned bits);

/* Elementwise boolean AND of boolean sharings (one round). z is allocated. */
clave_status clave__mpc_and(struct mpc_party *p, const struct mpc_vec *x, const struct mpc_vec *y,
                            struct mpc_vec *z);

/* Boolean sharing (in bit 0 of each word) of the sign bit of arithmetic-shared `d`: A2B of the
 * three components by a carry-save adder and a Kogge-Stone carry tree (8 rounds). */
clave_status clave__mpc_msb(struct mpc_party *p, const struct mpc_vec *d, struct mpc_vec *bit);

/*
 * Run computation `compute` (enum mpc_compute) on inputs a (and b for binary ones) with
 * `frac_bits` fractional bits. `out` is allocated; *boolean says how its components combine.
 */
clave_status clave__mpc_compute(struct mpc_party *p, uint8_t compute, const struct mpc_vec *a,
                                const struct mpc_vec *b, unsigned frac_bits, struct mpc_vec *out,
                                bool *boolean);

#endif
