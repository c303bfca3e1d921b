/* SPDX-License-Identifier: Apache-2.0 */
/* SecAgg key derivations and mask expansion (see masks.h). */
#include "secagg/masks.h"

#include "core/check.h"
#include "mpc/prg.h"

#include <clave/crypto.h>
#include <clave/secret.h>
#include <string.h>

#define SHARE_KEY_INFO "clave secagg v1 share key"
#define PAIR_MASK_LABEL "clave secagg v1 pair mask"
#define SELF_MASK_LABEL "clave secagg v1 self mask"
#define PAIR_CTX_LEN (CLAVE_SECAGG_SESSION_ID_LEN + 8)

static void put_u32be(uint8_t *out, uint32_t v)
{
    out[0] = (uint8_t)(v >> 24);
    out[1] = (uint8_t)(v >> 16);
    out[2] = (uint8_t)(v >> 8);
    out[3] = (uint8_t)v;
}

/* session id || min(a, b) || max(a, b): the same for both ends of the pair. */
static void pair_ctx(const struct clave_secagg_params *p, uint32_t a, uint32_t b,
                     uint8_t out[PAIR_CTX_LEN])
{
    memcpy(out, p->session_id, CLAVE_SECAGG_SESSION_ID_LEN);
    put_u32be(out + CLAVE_SECAGG_SESSION_ID_LEN, a < b ? a : b);
    put_u32be(out + CLAVE_SECAGG_SESSION_ID_LEN + 4, a < b ? b : a);
}

static clave_status agree(const struct clave_pkey *priv, const uint8_t peer_pk[32],
                          struct clave_secret **shared)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_pkey *peer = NULL;
    CLAVE_CHECK(clave_pkey_from_raw_public(CLAVE_PKEY_X25519, peer_pk, 32, &peer));
    CLAVE_CHECK(clave_kx_derive(priv, peer, shared));
    st = CLAVE_OK;
done:
    clave_pkey_free(peer);
    return st;
}

clave_status clave__sa_share_key(const struct clave_secagg_params *p, const struct clave_pkey *c_sk,
                                 const uint8_t peer_c_pk[32], uint32_t a, uint32_t b,
                                 uint8_t key[SA_AEAD_KEY_LEN])
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_secret *shared = NULL;
    uint8_t info[sizeof(SHARE_KEY_INFO) - 1 + PAIR_CTX_LEN];
    CLAVE_CHECK(agree(c_sk, peer_c_pk, &shared));
    memcpy(info, SHARE_KEY_INFO, sizeof(SHARE_KEY_INFO) - 1);
    pair_ctx(p, a, b, info + sizeof(SHARE_KEY_INFO) - 1);
    CLAVE_CHECK(clave_hkdf(CLAVE_HASH_SHA256, p->session_id, sizeof(p->session_id),
                           clave_secret_cdata(shared), clave_secret_len(shared), info, sizeof(info),
                           key, SA_AEAD_KEY_LEN));
    st = CLAVE_OK;
done:
    clave_secret_free(shared);
    return st;
}

clave_status clave__sa_pair_mask(const struct clave_secagg_params *p, const struct clave_pkey *s_sk,
                                 const uint8_t peer_s_pk[32], uint32_t a, uint32_t b, int sign,
                                 uint64_t *acc)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_secret *shared = NULL;
    struct clave__prg *prg = NULL;
    uint8_t ctx[PAIR_CTX_LEN];
    CLAVE_CHECK(agree(s_sk, peer_s_pk, &shared));
    pair_ctx(p, a, b, ctx);
    CLAVE_CHECK(clave__prg_new(clave_secret_cdata(shared), clave_secret_len(shared),
                               PAIR_MASK_LABEL, ctx, sizeof(ctx), &prg));
    CLAVE_CHECK(clave__prg_accumulate(prg, acc, p->dim, sign));
    st = CLAVE_OK;
done:
    clave__prg_free(prg);
    clave_secret_free(shared);
    return st;
}

clave_status clave__sa_self_mask(const struct clave_secagg_params *p, const uint8_t seed[32],
                                 uint32_t u, int sign, uint64_t *acc)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave__prg *prg = NULL;
    uint8_t ctx[CLAVE_SECAGG_SESSION_ID_LEN + 4];
    memcpy(ctx, p->session_id, CLAVE_SECAGG_SESSION_ID_LEN);
    put_u32be(ctx + CLAVE_SECAGG_SESSION_ID_LEN, u);
    CLAVE_CHECK(clave__prg_new(seed, 32, SELF_MASK_LABEL, ctx, sizeof(ctx), &prg));
    CLAVE_CHECK(clave__prg_accumulate(prg, acc, p->dim, sign));
    st = CLAVE_OK;
done:
    clave__prg_free(prg);
    return st;
}

void clave__sa_share_nonce(uint32_t from, uint32_t to, uint8_t nonce[12])
{
    put_u32be(nonce, from);
    put_u32be(nonce + 4, to);
    memset(nonce + 8, 0, 4);
}
