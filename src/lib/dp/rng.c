/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Randomness for the samplers: only OpenSSL RAND_bytes, pulled DP_RNG_BUF_LEN bytes at a time,
 * each byte wiped from the buffer as soon as it moves into the bit pool. Uniform integers are
 * drawn by rejection: take the bit length of n-1 and retry until the value is below n, so every
 * value has exactly the same probability (no modulo bias); each try succeeds with probability
 * above 1/2.
 */
#include "dp/rng.h"

#include "core/check.h"
#include "core/gmp.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

clave_status clave_dp_rng_new(struct clave_dp_rng **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_dp_rng *rng = NULL;
    CLAVE_ENSURE(out != NULL, CLAVE_ERR_ARG, "dp rng: out is NULL");
    *out = NULL;
    CLAVE_CHECK(clave__gmp_init());
    rng = calloc(1, sizeof(*rng));
    CLAVE_ENSURE_ALLOC(rng);
    rng->pos = DP_RNG_BUF_LEN;
    mpz_inits(rng->uniform, rng->bound, rng->gnum, rng->bias_num, rng->bias_den, rng->geo_u,
              rng->geo_t, NULL);
    mpz_init_set_ui(rng->one, 1);
    *out = rng;
    rng = NULL;
    st = CLAVE_OK;
done:
    free(rng);
    return st;
}

void clave_dp_rng_free(struct clave_dp_rng *rng)
{
    if (rng == NULL) {
        return;
    }
    mpz_clears(rng->uniform, rng->bound, rng->gnum, rng->bias_num, rng->bias_den, rng->one,
               rng->geo_u, rng->geo_t, NULL);
    OPENSSL_cleanse(rng, sizeof(*rng));
    free(rng);
}

static clave_status refill(struct clave_dp_rng *rng)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_CHECK_OSSL(RAND_bytes(rng->buf, (int)sizeof(rng->buf)), CLAVE_ERR_RANDOM,
                     "dp rng: RAND_bytes");
    rng->pos = 0;
    st = CLAVE_OK;
done:
    return st;
}

clave_status dp__bits(struct clave_dp_rng *rng, unsigned k, uint64_t *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint64_t value = 0;
    unsigned have = 0;
    *out = 0;
    while (have < k) {
        if (rng->nbits == 0) {
            if (rng->pos + 8 > DP_RNG_BUF_LEN) {
                CLAVE_CHECK(refill(rng));
            }
            memcpy(&rng->pool, rng->buf + rng->pos, 8);
            OPENSSL_cleanse(rng->buf + rng->pos, 8);
            rng->pos += 8;
            rng->nbits = 64;
        }
        unsigned take = k - have < rng->nbits ? k - have : rng->nbits;
        uint64_t mask = take == 64 ? UINT64_MAX : (((uint64_t)1 << take) - 1);
        value |= (rng->pool & mask) << have;
        rng->pool = take == 64 ? 0 : rng->pool >> take;
        rng->nbits -= take;
        have += take;
    }
    *out = value;
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_dp_sample_uniform(struct clave_dp_rng *rng, uint64_t n, uint64_t *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(out != NULL, CLAVE_ERR_ARG, "dp uniform: out is NULL");
    *out = 0;
    CLAVE_ENSURE(rng != NULL && n >= 1, CLAVE_ERR_ARG, "dp uniform: n must be >= 1");
    if (n == 1) {
        st = CLAVE_OK;
        goto done;
    }
    unsigned k = 64 - (unsigned)__builtin_clzll(n - 1);
    uint64_t x = 0;
    do {
        CLAVE_CHECK(dp__bits(rng, k, &x));
    } while (x >= n);
    *out = x;
    st = CLAVE_OK;
done:
    return st;
}

clave_status dp__uniform_mpz(struct clave_dp_rng *rng, const mpz_t n)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(mpz_sgn(n) > 0, CLAVE_ERR_INTERNAL, "dp uniform: n must be >= 1");
    if (mpz_fits_ulong_p(n)) {
        uint64_t x = 0;
        CLAVE_CHECK(clave_dp_sample_uniform(rng, mpz_get_ui(n), &x));
        mpz_set_ui(rng->uniform, x);
        st = CLAVE_OK;
        goto done;
    }
    /* n > 2^64 - 1: bit length of n - 1 equals that of n unless n is a power of two. */
    size_t k = mpz_sizeinbase(n, 2);
    if (mpz_scan1(n, 0) == k - 1) {
        k--;
    }
    do {
        mpz_set_ui(rng->uniform, 0);
        for (size_t have = 0; have < k;) {
            unsigned take = k - have < 64 ? (unsigned)(k - have) : 64;
            uint64_t x = 0;
            CLAVE_CHECK(dp__bits(rng, take, &x));
            mpz_mul_2exp(rng->uniform, rng->uniform, take);
            mpz_add_ui(rng->uniform, rng->uniform, x);
            have += take;
        }
    } while (mpz_cmp(rng->uniform, n) >= 0);
    st = CLAVE_OK;
done:
    return st;
}
