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

#define SA_AEAD_KEY_LEN 32

/* AES-256-GCM key for shares exchanged between clients a and b (either order). */
clave_status clave__sa_share_key(const struct clave_secagg_params *p, const struct clave_pkey *c_sk,
                                 const uint8_t peer_c_pk[32], uint32_t a, uint32_t b,
                                 uint8_t key[SA_AEAD_KEY_LEN]);

/* acc += sign * PRG(s_ab), where s_ab = X25519(s_sk, peer_s_pk) for clients a and b. */
clave_status clave__sa_pair_mask(const struct clave_secagg_params *p, const struct clave_pkey *s_sk,
                                 const uint8_t peer_s_pk[32], uint32_t a, uint32_t b, int sign,
                                 uint64_t *acc);

/* acc += sign * PRG(b_u) for client u's 32-byte self-mask seed. */
clave_status clave__sa_self_mask(const struct clave_secagg_params *p, const uint8_t seed[32],
                                 uint32_t u, int sign, uint64_t *acc);

/* Nonce of the share ciphertext from `from` to `to`: from || to || 0000 (each direction of a
 * pair key is used exactly once per session). */
void clave__sa_share_nonce(uint32_t from, uint32_t to, uint8_t nonce[12]);

#endif
