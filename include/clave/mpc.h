/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Secret sharing for multi-party computation (docs/mpc.md):
 *   - additive sharing over the ring Z_2^64 and over the prime field F_p, p = 2^61 - 1;
 *   - replicated three-party sharing (Araki et al., CCS 2016): x = x0 + x1 + x2 mod 2^64 and
 *     party i holds the pair (x_i, x_{i+1 mod 3}); multiplication is local plus one resharing;
 *   - Shamir t-of-n sharing over F_p with Lagrange reconstruction and a consistency check of the
 *     shares beyond the threshold;
 *   - fixed-point encoding of reals in Z_2^64 (two's complement) with truncation;
 *   - pseudo-random secret sharing (PRSS): zero-sharings and random replicated sharings expanded
 *     with AES-256-CTR from pairwise keys, so no communication is needed for them.
 *
 * Share randomness comes from the OpenSSL CSPRNG. All functions are thread-safe; a PRSS object
 * is not shared between threads. Arrays are caller-owned and borrowed for the call.
 */
#ifndef CLAVE_MPC_H
#define CLAVE_MPC_H

#include <clave/status.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The Mersenne prime 2^61 - 1: the field of the prime-field and Shamir sharings. */
#define CLAVE_MPC_P61 ((UINT64_C(1) << 61) - 1)
/** Most parties an additive or Shamir sharing accepts. */
#define CLAVE_MPC_MAX_PARTIES 65535
/** Most elements one call shares (bounds the work done on behalf of a caller). */
#define CLAVE_MPC_MAX_LEN ((size_t)1 << 30)
/** Replicated sharing is among exactly three parties. */
#define CLAVE_MPC_RSS_PARTIES 3
/** Bytes of secret packed into one field element by the byte helpers (56 bits < 61). */
#define CLAVE_MPC_BYTES_PER_ELEM 7
/** Length of a PRSS pairwise key. */
#define CLAVE_MPC_PRSS_KEY_LEN 32
/** Largest number of fractional bits of the fixed-point encoding. */
#define CLAVE_MPC_FIXED_MAX_FRAC 48

/* ---- additive sharing ---------------------------------------------------------------------- */

/**
 * Split each of `len` values of `secret` into `party_count` (2..CLAVE_MPC_MAX_PARTIES) additive
 * shares over Z_2^64: shares[p][k] for party p, sum over p = secret[k] mod 2^64. The first
 * party_count - 1 shares are uniform.
 * @param shares  party_count caller arrays of `len` elements each (written)
 * @return CLAVE_OK, CLAVE_ERR_ARG (NULL array, party count or length out of range),
 *         CLAVE_ERR_RANDOM
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_mpc_add_share(const uint64_t *secret, size_t len,
                                                          size_t party_count,
                                                          uint64_t *const *shares);

/** Sum the `party_count` share arrays into `out` (len elements) mod 2^64. CLAVE_ERR_ARG on bad
 * arguments. */
CLAVE_API CLAVE_MUST_USE clave_status clave_mpc_add_open(const uint64_t *const *shares,
                                                         size_t party_count, size_t len,
                                                         uint64_t *out);

/**
 * As clave_mpc_add_share, over F_p (p = CLAVE_MPC_P61). Every secret must be < p.
 * @return CLAVE_OK, CLAVE_ERR_ARG (also for a secret >= p), CLAVE_ERR_RANDOM
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_mpc_fp_share(const uint64_t *secret, size_t len,
                                                         size_t party_count,
                                                         uint64_t *const *shares);

/** Sum shares mod p into `out`. Every share must be < p: CLAVE_ERR_FORMAT otherwise. */
CLAVE_API CLAVE_MUST_USE clave_status clave_mpc_fp_open(const uint64_t *const *shares,
                                                        size_t party_count, size_t len,
                                                        uint64_t *out);

/* ---- replicated three-party sharing (Araki et al. 2016) ------------------------------------ */

/**
 * Share `len` values among three parties: writes the three additive components comp[0..2]
 * (caller arrays of `len`). Party i keeps comp[i] as its "own" and comp[(i+1) % 3] as its "next"
 * component; any two parties together hold all three.
 * @return CLAVE_OK, CLAVE_ERR_ARG, CLAVE_ERR_RANDOM
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_mpc_rss_share(const uint64_t *secret, size_t len,
                                                          uint64_t *const comp[3]);

/**
 * Open from the views of two distinct parties a and b (each: own, next arrays of `len`). The
 * component both hold is compared element by element: a mismatch means one of the two lied.
 * @return CLAVE_OK, CLAVE_ERR_ARG (a == b, index > 2), CLAVE_ERR_TAMPERED (inconsistent
 *         views; `out` is then zeroed: no partial output)
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_mpc_rss_open(size_t party_a, const uint64_t *a_own,
                                                         const uint64_t *a_next, size_t party_b,
                                                         const uint64_t *b_own,
                                                         const uint64_t *b_next, size_t len,
                                                         uint64_t *out);

/**
 * The local step of replicated multiplication: z = x_own*y_own + x_own*y_next + x_next*y_own +
 * zero, mod 2^64, where `zero` is this party's PRSS zero-sharing (clave_mpc_prss_zero). The z of
 * the three parties are an additive sharing of x*y; party i sends its z to party i-1, which uses
 * it as its new "next" component (one ring element per party per multiplication). `z` may alias
 * no input. Never fails.
 */
CLAVE_API void clave_mpc_rss_mul_local(const uint64_t *x_own, const uint64_t *x_next,
                                       const uint64_t *y_own, const uint64_t *y_next,
                                       const uint64_t *zero, size_t len, uint64_t *z);

/* ---- Shamir sharing over F_p ---------------------------------------------------------------- */

/**
 * Split `count` secrets (each < p) with polynomials of degree threshold - 1, evaluated at the
 * `share_count` distinct nonzero points `xs` (each < p). shares[j * count + k] is share j of
 * secret k. Any `threshold` shares reconstruct; fewer reveal nothing.
 * @param threshold  1..share_count
 * @param shares     caller array of share_count * count elements (written)
 * @return CLAVE_OK, CLAVE_ERR_ARG (threshold, duplicate or zero points, secret >= p),
 *         CLAVE_ERR_RANDOM, CLAVE_ERR_NOMEM
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_mpc_shamir_split(const uint64_t *secrets, size_t count,
                                                             size_t threshold, const uint64_t *xs,
                                                             size_t share_count, uint64_t *shares);

/**
 * Reconstruct `count` secrets from `share_count` >= threshold shares (layout as in split) at the
 * distinct nonzero points `xs`. The first `threshold` shares interpolate; every further share
 * must lie on the same polynomial.
 * @return CLAVE_OK, CLAVE_ERR_ARG (too few shares, duplicate or zero points), CLAVE_ERR_FORMAT
 *         (a share >= p), CLAVE_ERR_TAMPERED (an extra share is inconsistent; `secrets` zeroed),
 *         CLAVE_ERR_NOMEM
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_mpc_shamir_combine(const uint64_t *xs,
                                                               const uint64_t *shares,
                                                               size_t share_count, size_t count,
                                                               size_t threshold, uint64_t *secrets);

/** Field elements needed for `len` bytes: ceil(len / CLAVE_MPC_BYTES_PER_ELEM). */
CLAVE_API size_t clave_mpc_bytes_elem_count(size_t len);

/** Pack `len` bytes into clave_mpc_bytes_elem_count(len) field elements (7 bytes each, big-endian,
 * the last zero-padded). CLAVE_ERR_ARG if `elem_cap` is too small. */
CLAVE_API CLAVE_MUST_USE clave_status clave_mpc_bytes_to_elems(const uint8_t *data, size_t len,
                                                               uint64_t *elems, size_t elem_cap);

/** Unpack field elements into `len` bytes. CLAVE_ERR_FORMAT if an element exceeds 56 bits or the
 * padding is not zero (a reconstruction from bad shares). */
CLAVE_API CLAVE_MUST_USE clave_status clave_mpc_elems_to_bytes(const uint64_t *elems,
                                                               size_t elem_count, uint8_t *data,
                                                               size_t len);

/* ---- fixed point in Z_2^64 ------------------------------------------------------------------ */

/**
 * Encode `value` as round(value * 2^frac_bits) in two's complement.
 * @return CLAVE_OK, CLAVE_ERR_ARG (NaN, infinity, |value| * 2^frac_bits >= 2^62, frac_bits >
 *         CLAVE_MPC_FIXED_MAX_FRAC)
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_mpc_fixed_encode(double value, unsigned frac_bits,
                                                             uint64_t *out);

/** Decode a two's-complement fixed-point value. */
CLAVE_API double clave_mpc_fixed_decode(uint64_t value, unsigned frac_bits);

/** Truncate a public fixed-point value by `bits` (arithmetic shift: after a product of two values
 * with f fractional bits, truncate by f). */
CLAVE_API uint64_t clave_mpc_fixed_trunc(uint64_t value, unsigned bits);

/**
 * Local truncation of a two-party additive sharing (SecureML, Mohassel-Zhang 2017, Theorem 1):
 * party 0 shifts its share, party 1 shifts the negation of its share and negates. The opened
 * result is within 1 of the true truncation except with probability about 2^(l+1-64) for a
 * value of l bits.
 * @param party  0 or 1 (any other value is treated as 1)
 */
CLAVE_API uint64_t clave_mpc_fixed_trunc_share(uint64_t share, unsigned party, unsigned bits);

/* ---- pseudo-random secret sharing ----------------------------------------------------------- */

/**
 * PRSS state of party i among three: key_own = k_i, key_next = k_{i+1 mod 3}, where party i
 * drew k_i and gave it to party i-1 (so each key is known to exactly two parties). Each key is
 * expanded by HKDF-SHA256 into an AES-256-CTR stream; parties stay in step by making the same
 * sequence of calls.
 */
struct clave_mpc_prss;

/**
 * @param key_own, key_next  borrowed CLAVE_MPC_PRSS_KEY_LEN-byte keys (the caller wipes them)
 * @param out                set to NULL on entry; caller frees with clave_mpc_prss_free
 * @return CLAVE_OK, CLAVE_ERR_ARG (equal keys), CLAVE_ERR_CRYPTO, CLAVE_ERR_NOMEM
 */
CLAVE_API CLAVE_MUST_USE clave_status
clave_mpc_prss_new(const uint8_t key_own[CLAVE_MPC_PRSS_KEY_LEN],
                   const uint8_t key_next[CLAVE_MPC_PRSS_KEY_LEN], struct clave_mpc_prss **out);

/** This party's share of a fresh zero-sharing: out = F(k_own) - F(k_next); the three parties'
 * outputs sum to 0 mod 2^64. */
CLAVE_API CLAVE_MUST_USE clave_status clave_mpc_prss_zero(struct clave_mpc_prss *prss,
                                                          uint64_t *out, size_t len);

/** This party's view (own, next) of a fresh random replicated sharing of an unknown value. */
CLAVE_API CLAVE_MUST_USE clave_status clave_mpc_prss_random(struct clave_mpc_prss *prss,
                                                            uint64_t *own, uint64_t *next,
                                                            size_t len);

/** Free and wipe. NULL is a no-op. */
CLAVE_API void clave_mpc_prss_free(struct clave_mpc_prss *prss);

#ifdef __cplusplus
}
#endif
#endif
