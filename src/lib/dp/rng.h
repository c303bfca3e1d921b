/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sampler context (private): a buffer of RAND_bytes output handed out bit by bit, and GMP scratch
 * integers reused across draws so that sampling does not allocate in the common case.
 */
#ifndef CLAVE_DP_RNG_H
#define CLAVE_DP_RNG_H

#include <clave/dp.h>

#include <gmp.h>

/* Bytes pulled from RAND_bytes at a time; wiped as soon as they are consumed. */
#define DP_RNG_BUF_LEN 4096

struct clave_dp_rng {
    uint8_t buf[DP_RNG_BUF_LEN];
    size_t pos;     /* next unread byte of buf; DP_RNG_BUF_LEN means empty */
    uint64_t pool;  /* unread random bits */
    unsigned nbits; /* how many bits of pool are unread */
    mpz_t uniform;  /* result of dp__uniform_mpz */
    mpz_t bound;    /* den * k inside Bernoulli(exp(-g)) */
    mpz_t gnum;     /* exponent of Bernoulli(exp(-g)) being reduced */
    mpz_t bias_num; /* discrete Gaussian acceptance exponent */
    mpz_t bias_den;
    mpz_t one;   /* constant 1 */
    mpz_t geo_u; /* geometric: uniform remainder */
    mpz_t geo_t; /* geometric: its range */
};

/* `k` (0..64) fresh random bits. */
clave_status dp__bits(struct clave_dp_rng *rng, unsigned k, uint64_t *out);

/* Uniform in [0, n) for n >= 1 (GMP), into rng->uniform. */
clave_status dp__uniform_mpz(struct clave_dp_rng *rng, const mpz_t n);

/* Bernoulli(exp(-num/den)), num >= 0, den >= 1 (num, den unchanged). */
clave_status dp__bernoulli_exp_mpz(struct clave_dp_rng *rng, const mpz_t num, const mpz_t den,
                                   int *out);

#endif
