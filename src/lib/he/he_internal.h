/* SPDX-License-Identifier: Apache-2.0 */
/* Paillier internals shared by the files of src/lib/he (not part of the public API). */
#ifndef CLAVE_HE_INTERNAL_H
#define CLAVE_HE_INTERNAL_H

#include <clave/he.h>
#include <gmp.h>
#include <pthread.h>

/* Fixed-base window width in bits: 2^w table entries per window, scanned in full for each
 * digit (constant time). Chosen by bench/paillier (w = 4 beat 3, 5 and 6 on this machine kind,
 * and beat mpz_powm_sec by a wide margin; see docs/he.md). */
#define HE_WINDOW_BITS 4
#define HE_WINDOW_SIZE (1u << HE_WINDOW_BITS)

/* h_s^(j * 2^(w*i)) mod n^2 for every window i and digit j, as fixed-width limb arrays. */
struct he_table {
    size_t windows;
    size_t limbs; /* limbs of one entry (those of n^2) */
    mp_limb_t *entries;
};

/* How the short exponent is raised (measured by bench/paillier; the table is the default). */
enum he_djn_method {
    HE_DJN_TABLE = 1,    /* constant-time scan of the fixed-base table */
    HE_DJN_POWM_SEC = 2, /* mpz_powm_sec(h_s, r, n^2) */
};

struct clave_he_pub {
    unsigned bits;
    unsigned r_bits;
    mpz_t n;
    mpz_t n2;
    mpz_t hs;
    mpz_t third;     /* floor(n / 3): the positive range is [0, third) */
    mpz_t two_third; /* n - third: the negative range is (two_third, n) */
    uint8_t id[CLAVE_HE_KEY_ID_LEN];
    pthread_mutex_t table_lock;
    struct he_table *table; /* built on first DJN encryption */
};

struct clave_he_key {
    struct clave_he_pub *pub;
    mpz_t p, q, p2, q2, pm1, qm1;
    mpz_t hp, hq; /* L_p(g^(p-1) mod p^2)^-1 mod p, same for q */
    mpz_t qinv;   /* q^-1 mod p */
    mpz_t p2x;    /* 2p: keeps the CRT difference positive (crypt.c) */
};

struct he_pack {
    unsigned value_bits;
    unsigned slot_bits;
    unsigned slots;
    uint32_t max_adds;
};

struct clave_he_vec {
    uint8_t key_id[CLAVE_HE_KEY_ID_LEN];
    unsigned bits;
    enum clave_he_vec_kind kind;
    uint64_t scale;
    uint64_t weight;
    size_t len;   /* logical values */
    size_t count; /* ciphertexts */
    struct he_pack pack;
    mpz_t *c;
};

struct clave_he_ctx {
    const struct clave_he_pub *pub;
    uint64_t scale;
    enum clave_he_mode mode;
    enum he_djn_method method;
    struct clave_he_pool *pool;
    pthread_mutex_t lock;
    mpz_t *rand; /* offline randomisers, used once each */
    size_t rand_count;
    size_t rand_cap;
    enum clave_he_mode rand_mode;
};

/* Public key from n (and h_s, or NULL to derive one from a fresh x). Validates n and h_s. */
clave_status clave__he_pub_from(const mpz_t n, const mpz_t hs, unsigned r_bits,
                                struct clave_he_pub **out);
/* Private key from p, q (validated) and optionally h_s and r_bits (0 = default). */
clave_status clave__he_key_from(const mpz_t p, const mpz_t q, const mpz_t hs, unsigned r_bits,
                                struct clave_he_key **out);
/* Default and minimum r_bits for a modulus length. */
unsigned clave__he_default_r_bits(unsigned bits);
unsigned clave__he_min_r_bits(unsigned bits);

/* Randomiser h_s^r (DJN, fresh r of r_bits bits) or r^n (textbook) into `out` (mod n^2). */
clave_status clave__he_randomizer(const struct clave_he_pub *pub, enum clave_he_mode mode,
                                  enum he_djn_method method, mpz_t out);
/* h_s^r for a given r through the fixed-base table (constant time in r). */
clave_status clave__he_table_pow(const struct clave_he_pub *pub, const mpz_t r, mpz_t out);
void clave__he_table_free(struct he_table *t);
/* A uniform value of `bits` bits (top bit not forced) from the OpenSSL CSPRNG. */
clave_status clave__he_random_bits(mpz_t out, unsigned bits);
/* A uniform element of Z_bound^* (retries until gcd(out, bound) = 1). */
clave_status clave__he_random_unit(mpz_t out, const mpz_t bound);

/* c = (1 + m n) * rnd mod n^2 for m in [0, n). */
void clave__he_combine(const struct clave_he_pub *pub, const mpz_t m, const mpz_t rnd, mpz_t c);
/* Encrypt m in [0, n) with a randomiser taken from the context's pool or computed now. */
clave_status clave__he_encrypt_raw(struct clave_he_ctx *ctx, const mpz_t m, mpz_t c);
/* CRT decryption of a validated ciphertext into m in [0, n). */
clave_status clave__he_decrypt_raw(const struct clave_he_key *key, const mpz_t c, mpz_t m);
/* 0 < c < n^2 and gcd(c, n) = 1, CLAVE_ERR_FORMAT otherwise (naming `what`). */
clave_status clave__he_validate_ct(const struct clave_he_pub *pub, const mpz_t c, const char *what);

/* Signed fixed-point <-> Z_n with the guard band. */
void clave__he_encode_i64(const struct clave_he_pub *pub, int64_t v, mpz_t m);
clave_status clave__he_decode_i64(const struct clave_he_pub *pub, const mpz_t m, int64_t *out);

/* Packing plan check for a key. */
clave_status clave__he_pack_check(const struct clave_he_pub *pub, const struct he_pack *pack);

/* Vector allocation with `count` ciphertexts initialised to 0. */
clave_status clave__he_vec_new(const struct clave_he_pub *pub, enum clave_he_vec_kind kind,
                               uint64_t scale, size_t len, size_t count, struct clave_he_vec **out);
clave_status clave__he_vec_same_key(const struct clave_he_pub *pub, const struct clave_he_vec *v);

/* Parallel for over [0, count) in chunks; `fn` returns a status per item range. A NULL pool
 * runs on the calling thread. The first failure wins and is re-recorded on the caller. */
typedef clave_status (*he_range_fn)(void *arg, size_t begin, size_t end);
clave_status clave__he_pool_run(struct clave_he_pool *pool, he_range_fn fn, void *arg,
                                size_t count);

/* Big-endian fixed-width bytes <-> mpz. */
void clave__he_mpz_to_bytes(const mpz_t v, uint8_t *out, size_t len);
void clave__he_mpz_from_bytes(mpz_t v, const uint8_t *in, size_t len);

/* Key id: SHA-256("clave-he-key-id" || n as bits/8 big-endian bytes)[0..8]. */
clave_status clave__he_key_id(const mpz_t n, unsigned bits, uint8_t id[CLAVE_HE_KEY_ID_LEN]);

#endif
