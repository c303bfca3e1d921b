/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Key derivations shared by SecAgg clients and server. Every derived key goes through
 * HKDF-SHA256 over the full X25519 output or the full 32-byte seed, bound to the session id and
 * (for pairwise values) to both client ids; every mask is an AES-256-CTR stream (mpc/prg.h).
 */
#ifndef CLAVE_SECAGG_MASKS_H
#define CLAVE_SECAGG_MASKS_H

#include <clave/secagg.h>
#include <clave/sign.h>
#include <openssl/evp.h>

#include "mpc/prg.h"
#include "secagg/msg.h"

#define SA_AEAD_KEY_LEN 32

/* AES-256-GCM key for shares exchanged between clients a and b (either order). */
clave_status clave__sa_share_key(const struct clave_secagg_params *p, const struct clave_pkey *c_sk,
                                 const uint8_t peer_c_pk[32], uint32_t a, uint32_t b,
                                 uint8_t key[SA_AEAD_KEY_LEN]);

/* An EVP X25519 public key for a raw one (caller frees with EVP_PKEY_free). */
clave_status clave__sa_x25519_public(const uint8_t pk[SA_PK_LEN], EVP_PKEY **out);

/* A derivation context holding the X25519 private key `priv` (caller frees). */
clave_status clave__sa_derive_ctx(const struct clave_pkey *priv, EVP_PKEY_CTX **out);

/* The pairwise mask stream of clients a and b: PRG(HKDF(X25519(derive's key, peer))). */
clave_status clave__sa_pair_prg(const struct clave_secagg_params *p, EVP_PKEY_CTX *derive,
                                EVP_PKEY *peer, uint32_t a, uint32_t b, struct clave__prg **out);

/* Client u's self-mask stream PRG(b_u) for its 32-byte seed. */
clave_status clave__sa_self_prg(const struct clave_secagg_params *p, const uint8_t seed[32],
                                uint32_t u, struct clave__prg **out);

/*
 * Mask streams added to one accumulator (`dim` words) in batches: each batch of up to
 * SA_STREAM_BATCH streams costs one pass over the accumulator, chunk by chunk
 * (clave__prg_accumulate_many), instead of one pass per stream.
 */
#define SA_STREAM_BATCH 64
struct sa_streams {
    struct clave__prg *prg[SA_STREAM_BATCH];
    int sign[SA_STREAM_BATCH];
    size_t count;
    uint64_t *acc;
    size_t dim;
    size_t width; /* bytes of keystream per mask word: 4 (bits <= 32) or 8; 0 is read as 8 */
};

/* Take ownership of `prg` (added with `sign`, +1 or -1); a full batch is flushed. */
clave_status clave__sa_streams_add(struct sa_streams *b, struct clave__prg *prg, int sign);

/* Add the pending streams to the accumulator and free them. */
clave_status clave__sa_streams_flush(struct sa_streams *b);

/* Free the pending streams without adding them. */
void clave__sa_streams_clear(struct sa_streams *b);

/* Nonce of the share ciphertext from `from` to `to`: from || to || 0000 (each direction of a
 * pair key is used exactly once per session). */
void clave__sa_share_nonce(uint32_t from, uint32_t to, uint8_t nonce[12]);

#endif
