/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Pseudo-random secret sharing among three parties (Cramer-Damgard-Ishai 2005, in the replicated
 * form of Araki et al. 2016 section 2.2): party i knows k_i and k_{i+1}. F(k) is an AES-256-CTR
 * stream keyed by HKDF-SHA256(k, "clave mpc prss v1"). A zero-sharing is
 * alpha_i = F(k_i) - F(k_{i+1}) (the three sum to zero); a random replicated sharing is
 * (F(k_i), F(k_{i+1})), consistent because party i+1 computes the same F(k_{i+1}) as its own.
 */
#include "core/check.h"
#include "mpc/prg.h"

#include <clave/mpc.h>
#include <clave/secret.h>
#include <stdlib.h>

#define PRSS_LABEL "clave mpc prss v1"

struct clave_mpc_prss {
    struct clave__prg *own;
    struct clave__prg *next;
};

clave_status clave_mpc_prss_new(const uint8_t key_own[CLAVE_MPC_PRSS_KEY_LEN],
                                const uint8_t key_next[CLAVE_MPC_PRSS_KEY_LEN],
                                struct clave_mpc_prss **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_mpc_prss *prss = NULL;
    *out = NULL;
    CLAVE_ENSURE(key_own != NULL && key_next != NULL, CLAVE_ERR_ARG, "prss: NULL key");
    CLAVE_ENSURE(!clave_ct_equal(key_own, key_next, CLAVE_MPC_PRSS_KEY_LEN), CLAVE_ERR_ARG,
                 "prss: the two keys are equal (every zero-sharing would be all zeros)");
    prss = calloc(1, sizeof(*prss));
    CLAVE_ENSURE_ALLOC(prss);
    CLAVE_CHECK(clave__prg_new(key_own, CLAVE_MPC_PRSS_KEY_LEN, PRSS_LABEL, NULL, 0, &prss->own));
    CLAVE_CHECK(clave__prg_new(key_next, CLAVE_MPC_PRSS_KEY_LEN, PRSS_LABEL, NULL, 0, &prss->next));
    *out = prss;
    prss = NULL;
    st = CLAVE_OK;
done:
    clave_mpc_prss_free(prss);
    return st;
}

clave_status clave_mpc_prss_zero(struct clave_mpc_prss *prss, uint64_t *out, size_t len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(prss != NULL && out != NULL && len <= CLAVE_MPC_MAX_LEN, CLAVE_ERR_ARG,
                 "prss: bad arguments");
    CLAVE_CHECK(clave__prg_fill(prss->own, out, len));
    CLAVE_CHECK(clave__prg_accumulate(prss->next, out, len, -1));
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_mpc_prss_random(struct clave_mpc_prss *prss, uint64_t *own, uint64_t *next,
                                   size_t len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(prss != NULL && own != NULL && next != NULL && len <= CLAVE_MPC_MAX_LEN,
                 CLAVE_ERR_ARG, "prss: bad arguments");
    CLAVE_CHECK(clave__prg_fill(prss->own, own, len));
    CLAVE_CHECK(clave__prg_fill(prss->next, next, len));
    st = CLAVE_OK;
done:
    return st;
}

void clave_mpc_prss_free(struct clave_mpc_prss *prss)
{
    if (prss == NULL) {
        return;
    }
    clave__prg_free(prss->own);
    clave__prg_free(prss->next);
    free(prss);
}
