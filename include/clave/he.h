/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Paillier additively homomorphic encryption (docs/he.md, formats in docs/formats/paillier.md).
 *
 * Parties encrypt numbers to a key holder's public key; anyone holding the public key adds
 * ciphertexts, subtracts them, negates them or multiplies them by public integers; only the key
 * holder decrypts. g = n + 1; encryption uses the short-exponent form of Damgård, Jurik and
 * Nielsen, c = (1 + m n) * h_s^r mod n^2 with h_s = (-x^2)^n mod n^2 and a random r of `r_bits`
 * bits (default ceil(bits / 2), see docs/he.md for the assumption), or textbook r^n on request.
 * Decryption uses the CRT with mpz_powm_sec and a sign-test-free recombination; encryption's
 * exponent r goes through a fully scanned fixed-base table. What remains data-dependent inside
 * GMP's ordinary mpz arithmetic is described in docs/he.md ("Timing").
 *
 * Objects:
 *  - clave_he_key: a private key (p, q and CRT values); owns its public key.
 *  - clave_he_pub: a public key (n, h_s; fixed-base tables built on first use).
 *  - clave_he_ctx: an encryption context: a public key (borrowed), the ONE public fixed-point
 *    scale of every value encrypted through it, the mode, an optional thread pool and an offline
 *    pool of single-use randomisers.
 *  - clave_he_vec: a vector of ciphertexts under one key and one scale, either one value per
 *    ciphertext (CLAVE_HE_VEC_INT) or k values per ciphertext (CLAVE_HE_VEC_PACKED). A single
 *    ciphertext is a vector of length 1.
 *  - clave_he_pool: a small pthread pool spreading batch work over cores.
 *
 * Values are fixed-point: a real x is encrypted as round(x * scale) (a signed integer); integers
 * given to the _i64 functions are taken as already scaled. Plaintexts live in Z_n with
 * [0, n/3) positive, (2n/3, n) negative and the middle third a guard band: a decryption that
 * lands in it fails with CLAVE_ERR_LIMIT ("overflow") instead of returning a wrong number.
 *
 * Thread-safety: keys, public keys and vectors may be read by several threads at once; a vector
 * being written (add_into, rerandomize) must not be used by another thread meanwhile. A context
 * may be used by several threads at once (its randomiser pool is locked). Keys are wiped on free;
 * GMP's allocators are replaced by wiping ones (core/gmp.h) before any big number is created.
 */
#ifndef CLAVE_HE_H
#define CLAVE_HE_H

#include <clave/secret.h>
#include <clave/status.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CLAVE_HE_BITS_MIN 2048      /* smallest modulus accepted (keygen and import) */
#define CLAVE_HE_BITS_MAX 4096      /* largest modulus accepted */
#define CLAVE_HE_KEY_ID_LEN 8       /* SHA-256("clave-he-key-id" || n)[0..8] */
#define CLAVE_HE_VEC_MAX (1u << 24) /* ciphertexts in one vector */
#define CLAVE_HE_SCALE_MAX (1ull << 62)
#define CLAVE_HE_THREADS_MAX 64
#define CLAVE_HE_PACK_VALUE_BITS_MAX 62

struct clave_he_key;
struct clave_he_pub;
struct clave_he_ctx;
struct clave_he_vec;
struct clave_he_pool;

enum clave_he_mode {
    CLAVE_HE_MODE_DJN = 1,      /* (1 + m n) h_s^r, |r| = r_bits: the default */
    CLAVE_HE_MODE_TEXTBOOK = 2, /* (1 + m n) r^n, r uniform in Z_n^* (python-paillier's form) */
};

enum clave_he_vec_kind {
    CLAVE_HE_VEC_INT = 1,    /* one signed fixed-point value per ciphertext */
    CLAVE_HE_VEC_PACKED = 2, /* `slots` values per ciphertext (see clave_he_pack_plan) */
};

/* ---------------------------------------------------------------------------------- keys */

/**
 * Generate a key pair with an n of exactly `bits` bits (2048, 3072 or 4096): p and q from
 * OpenSSL's BN_generate_prime_ex2, equal length, |p - q| > 2^(bits/2 - 100), gcd(n, phi) = 1.
 * `r_bits`: DJN exponent length; 0 selects ceil(bits/2); otherwise 2*lambda..bits where lambda
 * is the modulus' security level (112/128/152 for 2048/3072/4096), else CLAVE_ERR_ARG.
 * Caller frees `*out`. Errors: CLAVE_ERR_ARG, CLAVE_ERR_CRYPTO, CLAVE_ERR_RANDOM, CLAVE_ERR_NOMEM.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_he_keygen(unsigned bits, unsigned r_bits,
                                                      struct clave_he_key **out);

/** Wipe and free. NULL is a no-op. */
CLAVE_API void clave_he_key_free(struct clave_he_key *key);

/** The key's public key (borrowed: valid until clave_he_key_free). */
CLAVE_API const struct clave_he_pub *clave_he_key_pub(const struct clave_he_key *key);

/** An independent copy of a public key. Caller frees `*out`. */
CLAVE_API CLAVE_MUST_USE clave_status clave_he_pub_dup(const struct clave_he_pub *pub,
                                                       struct clave_he_pub **out);
CLAVE_API void clave_he_pub_free(struct clave_he_pub *pub);

/** Modulus length, DJN exponent length, and the key id (CLAVE_HE_KEY_ID_LEN bytes). */
CLAVE_API unsigned clave_he_pub_bits(const struct clave_he_pub *pub);
CLAVE_API unsigned clave_he_pub_r_bits(const struct clave_he_pub *pub);
CLAVE_API void clave_he_pub_id(const struct clave_he_pub *pub, uint8_t id[CLAVE_HE_KEY_ID_LEN]);

/* --------------------------------------------------------------------- pools and contexts */

/** A pool in which `threads` threads (1..CLAVE_HE_THREADS_MAX) work on each batch: the calling
 * thread plus threads - 1 workers started here. Use the number of cores. Caller frees `*out`. */
CLAVE_API CLAVE_MUST_USE clave_status clave_he_pool_new(unsigned threads,
                                                        struct clave_he_pool **out);
/** Join the workers and free. NULL is a no-op. Must not be called while a batch runs. */
CLAVE_API void clave_he_pool_free(struct clave_he_pool *pool);

/**
 * An encryption context over `pub` (borrowed: must outlive the context) with the public
 * fixed-point `scale` (1..CLAVE_HE_SCALE_MAX; 1 for plain integers). Mode DJN, no pool.
 * Caller frees `*out`.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_he_ctx_new(const struct clave_he_pub *pub,
                                                       uint64_t scale, struct clave_he_ctx **out);
/** Wipe the randomiser pool and free. NULL is a no-op. */
CLAVE_API void clave_he_ctx_free(struct clave_he_ctx *ctx);
CLAVE_API CLAVE_MUST_USE clave_status clave_he_ctx_set_mode(struct clave_he_ctx *ctx,
                                                            enum clave_he_mode mode);
/** Spread batch work over `pool` (borrowed; NULL = the calling thread only). */
CLAVE_API void clave_he_ctx_set_pool(struct clave_he_ctx *ctx, struct clave_he_pool *pool);
CLAVE_API uint64_t clave_he_ctx_scale(const struct clave_he_ctx *ctx);
CLAVE_API const struct clave_he_pub *clave_he_ctx_pub(const struct clave_he_ctx *ctx);

/**
 * Offline phase: compute `count` randomisers (h_s^r or r^n, by the current mode) into the
 * context's pool (at most 1<<20 held). Encryption takes one per ciphertext, removes it and wipes
 * it: a randomiser is never used twice. When the pool is empty encryption computes online.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_he_ctx_precompute(struct clave_he_ctx *ctx,
                                                              size_t count);
/** Randomisers currently held. */
CLAVE_API size_t clave_he_ctx_randomizers(struct clave_he_ctx *ctx);

/* ------------------------------------------------------------------ encryption, decryption */

/** Encrypt `count` (1..CLAVE_HE_VEC_MAX) already-scaled integers. Caller frees `*out`. */
CLAVE_API CLAVE_MUST_USE clave_status clave_he_encrypt_i64(struct clave_he_ctx *ctx,
                                                           const int64_t *values, size_t count,
                                                           struct clave_he_vec **out);

/** Encrypt reals as round(x * scale); CLAVE_ERR_ARG for NaN, infinities or |x * scale| >= 2^63. */
CLAVE_API CLAVE_MUST_USE clave_status clave_he_encrypt_f64(struct clave_he_ctx *ctx,
                                                           const double *values, size_t count,
                                                           struct clave_he_vec **out);

/**
 * Decrypt into `out` (capacity `count` == clave_he_vec_len(vec), else CLAVE_ERR_ARG) using
 * `pool` (borrowed, may be NULL). Scaled integers. CLAVE_ERR_KEY if the vector is under another
 * key; CLAVE_ERR_LIMIT if a value landed in the guard band (overflow) or exceeds int64.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_he_decrypt_i64(const struct clave_he_key *key,
                                                           struct clave_he_pool *pool,
                                                           const struct clave_he_vec *vec,
                                                           int64_t *out, size_t count);
/** As clave_he_decrypt_i64, divided by the vector's scale. */
CLAVE_API CLAVE_MUST_USE clave_status clave_he_decrypt_f64(const struct clave_he_key *key,
                                                           struct clave_he_pool *pool,
                                                           const struct clave_he_vec *vec,
                                                           double *out, size_t count);

/* ------------------------------------------------------------------------------- packing */

/** How values are packed: `slots` values of `value_bits` signed bits in slots of `slot_bits`,
 * safe for up to `max_adds` vectors summed together. */
struct clave_he_pack_plan {
    unsigned value_bits; /* 2..CLAVE_HE_PACK_VALUE_BITS_MAX: values in [-2^(vb-1), 2^(vb-1)) */
    uint32_t max_adds;   /* 1.. : how many fresh vectors may be summed */
    unsigned slot_bits;  /* value_bits + ceil(log2(max_adds)) */
    unsigned slots;      /* per ciphertext */
};

/**
 * Plan packing for `pub`: slot_bits = value_bits + ceil(log2(max_adds)); slots =
 * floor((bits - 2) / slot_bits), so every sum stays below n/4 (inside the positive third).
 * CLAVE_ERR_ARG for out-of-range inputs, CLAVE_ERR_LIMIT if not even one slot fits.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_he_pack_plan(const struct clave_he_pub *pub,
                                                         unsigned value_bits, uint32_t max_adds,
                                                         struct clave_he_pack_plan *out);

/** Encrypt `count` scaled integers packed by `plan` (from clave_he_pack_plan for this key; a
 * plan edited by hand is re-checked). CLAVE_ERR_LIMIT if a value does not fit value_bits. */
CLAVE_API CLAVE_MUST_USE clave_status clave_he_encrypt_packed(struct clave_he_ctx *ctx,
                                                              const struct clave_he_pack_plan *plan,
                                                              const int64_t *values, size_t count,
                                                              struct clave_he_vec **out);

/* ---------------------------------------------------------------------------- operations */

/**
 * acc += b, element-wise, in place (the homomorphic sum). Both under the context's key, with
 * equal scale, kind, length and plan (else CLAVE_ERR_ARG / CLAVE_ERR_KEY). For packed vectors
 * CLAVE_ERR_LIMIT if the sum would exceed the plan's max_adds (acc unchanged).
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_he_add_into(struct clave_he_ctx *ctx,
                                                        struct clave_he_vec *acc,
                                                        const struct clave_he_vec *b);
/** New vector a + b, a - b, -a, a * k (k a public integer). Sub, negate and scalar
 * multiplication are for CLAVE_HE_VEC_INT vectors only (CLAVE_ERR_UNSUPPORTED for packed).
 * Caller frees `*out`. */
CLAVE_API CLAVE_MUST_USE clave_status clave_he_add(struct clave_he_ctx *ctx,
                                                   const struct clave_he_vec *a,
                                                   const struct clave_he_vec *b,
                                                   struct clave_he_vec **out);
CLAVE_API CLAVE_MUST_USE clave_status clave_he_sub(struct clave_he_ctx *ctx,
                                                   const struct clave_he_vec *a,
                                                   const struct clave_he_vec *b,
                                                   struct clave_he_vec **out);
CLAVE_API CLAVE_MUST_USE clave_status clave_he_negate(struct clave_he_ctx *ctx,
                                                      const struct clave_he_vec *a,
                                                      struct clave_he_vec **out);
CLAVE_API CLAVE_MUST_USE clave_status clave_he_mul_scalar(struct clave_he_ctx *ctx,
                                                          const struct clave_he_vec *a, int64_t k,
                                                          struct clave_he_vec **out);
/** The sum of all values of an INT vector as a new vector of length 1 (weight multiplied by
 * the length). CLAVE_ERR_UNSUPPORTED for packed vectors. Caller frees `*out`. */
CLAVE_API CLAVE_MUST_USE clave_status clave_he_vec_sum(struct clave_he_ctx *ctx,
                                                       const struct clave_he_vec *a,
                                                       struct clave_he_vec **out);
/** Multiply every ciphertext of `vec` by a fresh encryption of zero, in place. */
CLAVE_API CLAVE_MUST_USE clave_status clave_he_rerandomize(struct clave_he_ctx *ctx,
                                                           struct clave_he_vec *vec);

/* ------------------------------------------------------------------------------- vectors */

CLAVE_API void clave_he_vec_free(struct clave_he_vec *vec);
/** Logical number of values (for packed vectors: values, not ciphertexts). */
CLAVE_API size_t clave_he_vec_len(const struct clave_he_vec *vec);
/** Number of ciphertexts. */
CLAVE_API size_t clave_he_vec_ciphertexts(const struct clave_he_vec *vec);
CLAVE_API enum clave_he_vec_kind clave_he_vec_kind(const struct clave_he_vec *vec);
CLAVE_API uint64_t clave_he_vec_scale(const struct clave_he_vec *vec);
/** How many fresh vectors were summed into this one (1 for a fresh encryption). */
CLAVE_API uint64_t clave_he_vec_weight(const struct clave_he_vec *vec);
/** The packing plan of a CLAVE_HE_VEC_PACKED vector into `out` (zeros for an INT vector or
 * NULL). For checking that a received vector uses the plan a protocol agreed on. */
CLAVE_API void clave_he_vec_plan(const struct clave_he_vec *vec, struct clave_he_pack_plan *out);

/* ------------------------------------------------------------------------- serialisation */

enum clave_he_format {
    CLAVE_HE_FORMAT_BINARY = 1, /* versioned binary with a SHA-256 checksum */
    CLAVE_HE_FORMAT_JSON = 2,   /* JSON text (no terminating NUL counted in the length) */
};

/** Public key to bytes / JSON. Caller frees `*out` with free(). */
CLAVE_API CLAVE_MUST_USE clave_status clave_he_pub_export(const struct clave_he_pub *pub,
                                                          enum clave_he_format format,
                                                          uint8_t **out, size_t *out_len);
/** Parse and validate a public key (either format, detected). Caller frees `*out`. Errors
 * name the field: CLAVE_ERR_FORMAT, CLAVE_ERR_JSON, CLAVE_ERR_TRUNCATED, CLAVE_ERR_KEY (weak or
 * malformed n or h_s), CLAVE_ERR_UNSUPPORTED (version). */
CLAVE_API CLAVE_MUST_USE clave_status clave_he_pub_import(const uint8_t *buf, size_t len,
                                                          struct clave_he_pub **out);

/** Private key into a new secret (binary or JSON), to be sealed by the caller (the CLI seals
 * it with the keyring into the sealed format). Caller frees `*out`. */
CLAVE_API CLAVE_MUST_USE clave_status clave_he_key_export(const struct clave_he_key *key,
                                                          enum clave_he_format format,
                                                          struct clave_secret **out);
/** Parse and validate a private key (either format): p, q prime, equal length, far apart,
 * n = pq of an allowed length, gcd(n, phi) = 1, h_s an n-th residue. Caller frees `*out`. */
CLAVE_API CLAVE_MUST_USE clave_status clave_he_key_import(const uint8_t *buf, size_t len,
                                                          struct clave_he_key **out);

/** Vector to bytes / JSON. Caller frees `*out` with free(). */
CLAVE_API CLAVE_MUST_USE clave_status clave_he_vec_export(const struct clave_he_vec *vec,
                                                          enum clave_he_format format,
                                                          uint8_t **out, size_t *out_len);
/** Parse a vector (either format) for `pub` (borrowed): every ciphertext must satisfy
 * 0 < c < n^2 and gcd(c, n) = 1, the key id must match (CLAVE_ERR_KEY), the metadata be
 * consistent. Caller frees `*out`. */
CLAVE_API CLAVE_MUST_USE clave_status clave_he_vec_import(const struct clave_he_pub *pub,
                                                          const uint8_t *buf, size_t len,
                                                          struct clave_he_vec **out);

/* ------------------------------------------------- python-paillier (phe) interoperability */
/*
 * python-paillier ("phe", docs/serialisation.rst and phe/command_line.py of data61/
 * python-paillier) keys as JWK-style JSON and its encrypted numbers (value = M * 16^e with a
 * public exponent e per number). Formats and the exponent <-> scale mapping are in
 * docs/formats/paillier.md ("python-paillier"). phe keys carry no h_s: importing one derives a
 * fresh h_s here. Thread-safety as for the other serialisation functions.
 */

enum clave_he_phe_form {
    CLAVE_HE_PHE_NUMBER = 1, /* pheutil: {"v": "<decimal ciphertext>", "e": exponent} */
    CLAVE_HE_PHE_LIST = 2,   /* phe docs: {"public_key":{"g","n"},"values":[["<c>", e],...]} */
};

/** What a document is, from its first bytes and top-level JSON members (for CLIs that accept
 * several formats). Never fails: CLAVE_HE_DOC_UNKNOWN for anything unrecognised. */
enum clave_he_doc {
    CLAVE_HE_DOC_UNKNOWN = 0,
    CLAVE_HE_DOC_BINARY = 1,      /* not JSON: a clave binary format (or a sealed file) */
    CLAVE_HE_DOC_JSON = 2,        /* a clave JSON format ("format" member) */
    CLAVE_HE_DOC_PHE_PUBLIC = 3,  /* phe public JWK ("kty", no "pub") */
    CLAVE_HE_DOC_PHE_PRIVATE = 4, /* phe private JWK ("kty" and "pub") */
    CLAVE_HE_DOC_PHE_NUMBERS = 5, /* phe numbers ("v" or "values") */
};
CLAVE_API enum clave_he_doc clave_he_detect(const uint8_t *buf, size_t len);

/** Import a phe public JWK: "kty" = "DAJ", "alg" = "PAI-GN1", "key_ops" (if present) contains
 * "encrypt", "n" base64url; other members are ignored (RFC 7517 section 4). n is validated as
 * for clave_he_pub_import (2048..4096 bits). Caller frees `*out`. Errors: CLAVE_ERR_JSON,
 * CLAVE_ERR_FORMAT, CLAVE_ERR_UNSUPPORTED (kty/alg), CLAVE_ERR_KEY, CLAVE_ERR_TOO_LARGE. */
CLAVE_API CLAVE_MUST_USE clave_status clave_he_pub_import_phe(const uint8_t *buf, size_t len,
                                                              struct clave_he_pub **out);
/** Export as a phe public JWK. `kid` (borrowed, may be NULL for "clave he key <key id hex>")
 * is at most 1024 bytes. Caller frees `*out` with free(). */
CLAVE_API CLAVE_MUST_USE clave_status clave_he_pub_export_phe(const struct clave_he_pub *pub,
                                                              const char *kid, uint8_t **out,
                                                              size_t *out_len);
/** Import a phe private JWK: "kty" = "DAJ", "key_ops" contains "decrypt", "pub" a public JWK,
 * and either "p" and "q" (current pheutil) or "lambda" = (p-1)(q-1) and "mu" = lambda^-1 mod n
 * (older pheutil; p and q are recovered from n and lambda, mu is checked). The factors are
 * validated as for clave_he_key_import and p * q must equal pub.n (CLAVE_ERR_KEY). Caller frees
 * `*out`. */
CLAVE_API CLAVE_MUST_USE clave_status clave_he_key_import_phe(const uint8_t *buf, size_t len,
                                                              struct clave_he_key **out);
/** Export as a phe private JWK (p/q form, with "pub") into a new secret. The result is an
 * UNENCRYPTED private key: seal it or write it to a private file. Caller frees `*out`. */
CLAVE_API CLAVE_MUST_USE clave_status clave_he_key_export_phe(const struct clave_he_key *key,
                                                              const char *kid,
                                                              struct clave_secret **out);
/** Import phe numbers (either form) as an INT vector for `pub` (borrowed): every ciphertext
 * validated (0 < c < n^2, gcd(c, n) = 1), the list form's n must be pub's (CLAVE_ERR_KEY) and
 * its g n + 1. Exponents are aligned to the smallest, e_min (public scalar multiplications by
 * powers of 16), and the vector's scale is 16^-min(e_min, 0); CLAVE_ERR_UNSUPPORTED when
 * e_min < -15 (pheutil writes e = -32: decrypt those with clave_he_decrypt_phe). Caller frees. */
CLAVE_API CLAVE_MUST_USE clave_status clave_he_vec_import_phe(const struct clave_he_pub *pub,
                                                              const uint8_t *buf, size_t len,
                                                              struct clave_he_vec **out);
/** Export an INT vector under `pub` (borrowed) as phe numbers in `form` (CLAVE_HE_PHE_NUMBER
 * needs one ciphertext). The scale must be 2^j: e = -ceil(j/4), plaintexts multiplied by
 * 2^(4 ceil(j/4) - j) when j is not a multiple of 4; other scales and packed vectors give
 * CLAVE_ERR_UNSUPPORTED. n and g are written as decimal strings. Caller frees `*out`. */
CLAVE_API CLAVE_MUST_USE clave_status clave_he_vec_export_phe(const struct clave_he_pub *pub,
                                                              const struct clave_he_vec *vec,
                                                              enum clave_he_phe_form form,
                                                              uint8_t **out, size_t *out_len);
/** Decrypt phe numbers (either form, any exponent in +-512) into `out` (capacity `cap`) as
 * M * 16^e, M's 53 leading bits kept; `*count` numbers written. CLAVE_ERR_LIMIT for a value in
 * the guard band (phe's OverflowError) or beyond a double; CLAVE_ERR_ARG if cap is short. */
CLAVE_API CLAVE_MUST_USE clave_status clave_he_decrypt_phe(const struct clave_he_key *key,
                                                           const uint8_t *buf, size_t len,
                                                           double *out, size_t cap, size_t *count);

#ifdef __cplusplus
}
#endif
#endif
