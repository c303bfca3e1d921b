/* SPDX-License-Identifier: Apache-2.0 */
/* SecAgg key derivations and mask expansion (see masks.h). */
#include "secagg/masks.h"

#include "core/check.h"
#include "crypto/pkey.h"
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

clave_status clave__sa_x25519_public(const uint8_t pk[SA_PK_LEN], EVP_PKEY **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    *out = EVP_PKEY_new_raw_public_key_ex(NULL, "X25519", NULL, pk, SA_PK_LEN);
    CLAVE_ENSURE(*out != NULL, CLAVE_ERR_KEY, "secagg: invalid X25519 public key");
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave__sa_derive_ctx(const struct clave_pkey *priv, EVP_PKEY_CTX **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    *out = NULL;
    CLAVE_ENSURE(clave_pkey_type(priv) == CLAVE_PKEY_X25519 && clave_pkey_has_private(priv),
                 CLAVE_ERR_KEY, "secagg: mask key is not an X25519 private key");
    *out = EVP_PKEY_CTX_new_from_pkey(NULL, clave__pkey_evp(priv), NULL);
    CLAVE_ENSURE_ALLOC(*out);
    CLAVE_CHECK_OSSL(EVP_PKEY_derive_init(*out), CLAVE_ERR_CRYPTO, "secagg: X25519 init");
    st = CLAVE_OK;
done:
    if (st != CLAVE_OK) {
        EVP_PKEY_CTX_free(*out);
        *out = NULL;
    }
    return st;
}

/* X25519 straight into a wiped stack buffer: one agreement per pair, no allocation. */
clave_status clave__sa_pair_prg(const struct clave_secagg_params *p, EVP_PKEY_CTX *derive,
                                EVP_PKEY *peer, uint32_t a, uint32_t b, struct clave__prg **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t shared[SA_SECRET_LEN];
    uint8_t ctx[PAIR_CTX_LEN];
    size_t len = sizeof(shared);
    uint8_t any = 0;
    *out = NULL;
    CLAVE_CHECK_OSSL(EVP_PKEY_derive_set_peer_ex(derive, peer, 1), CLAVE_ERR_KEY,
                     "secagg: invalid peer key");
    CLAVE_CHECK_OSSL(EVP_PKEY_derive(derive, shared, &len), CLAVE_ERR_KEY,
                     "secagg: X25519 failed (invalid peer key)");
    CLAVE_ENSURE(len == sizeof(shared), CLAVE_ERR_CRYPTO, "secagg: %zu-byte X25519 output", len);
    for (size_t i = 0; i < len; i++) { /* RFC 7748 section 6.1, constant time */
        any |= shared[i];
    }
    CLAVE_ENSURE(any != 0, CLAVE_ERR_KEY, "secagg: all-zero X25519 output (low-order key)");
    pair_ctx(p, a, b, ctx);
    CLAVE_CHECK(clave__prg_new(shared, sizeof(shared), PAIR_MASK_LABEL, ctx, sizeof(ctx), out));
    st = CLAVE_OK;
done:
    clave_wipe(shared, sizeof(shared));
    return st;
}

clave_status clave__sa_self_prg(const struct clave_secagg_params *p, const uint8_t seed[32],
                                uint32_t u, struct clave__prg **out)
{
    uint8_t ctx[CLAVE_SECAGG_SESSION_ID_LEN + 4];
    memcpy(ctx, p->session_id, CLAVE_SECAGG_SESSION_ID_LEN);
    put_u32be(ctx + CLAVE_SECAGG_SESSION_ID_LEN, u);
    return clave__prg_new(seed, 32, SELF_MASK_LABEL, ctx, sizeof(ctx), out);
}

clave_status clave__sa_streams_flush(struct sa_streams *b)
{
    clave_status st = b->width == 4
                          ? clave__prg_accumulate_many32(b->prg, b->sign, b->count, b->acc, b->dim)
                          : clave__prg_accumulate_many(b->prg, b->sign, b->count, b->acc, b->dim);
    clave__sa_streams_clear(b);
    return st;
}

clave_status clave__sa_streams_add(struct sa_streams *b, struct clave__prg *prg, int sign)
{
    b->prg[b->count] = prg;
    b->sign[b->count] = sign;
    b->count++;
    return b->count == SA_STREAM_BATCH ? clave__sa_streams_flush(b) : CLAVE_OK;
}

void clave__sa_streams_clear(struct sa_streams *b)
{
    for (size_t i = 0; i < b->count; i++) {
        clave__prg_free(b->prg[i]);
    }
    b->count = 0;
}

void clave__sa_share_nonce(uint32_t from, uint32_t to, uint8_t nonce[12])
{
    put_u32be(nonce, from);
    put_u32be(nonce + 4, to);
    memset(nonce + 8, 0, 4);
}
