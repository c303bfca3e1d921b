/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Paillier keys: generation from OpenSSL primes, validation of imported keys, CRT values.
 * g = n + 1 throughout (Paillier 1999, section 4, with the simplification of Damgård-Jurik 2001).
 */
#include "core/check.h"
#include "core/gmp.h"
#include "he/he_internal.h"

#include <clave/crypto.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

/* Modulus lengths and their security levels (NIST SP 800-57 Part 1 Rev. 5, table 2; 4096 bits
 * interpolated between 3072 = 128 and 7680 = 192). */
static const struct {
    unsigned bits;
    unsigned security;
} LEVELS[] = {{2048, 112}, {3072, 128}, {4096, 152}};

/* FIPS 186-5 A.1.3: |p - q| > 2^(nlen/2 - 100). */
#define HE_PQ_DISTANCE_MARGIN 100
#define HE_MR_ROUNDS 40
#define HE_KEYGEN_ATTEMPTS 64
#define HE_BYTES_MAX (CLAVE_HE_BITS_MAX / 8)

static unsigned security_level(unsigned bits)
{
    unsigned level = 0;
    for (size_t i = 0; i < sizeof(LEVELS) / sizeof(LEVELS[0]); i++) {
        if (bits >= LEVELS[i].bits) {
            level = LEVELS[i].security;
        }
    }
    return level;
}

unsigned clave__he_default_r_bits(unsigned bits)
{
    return (bits + 1) / 2;
}

unsigned clave__he_min_r_bits(unsigned bits)
{
    return 2 * security_level(bits);
}

void clave__he_mpz_to_bytes(const mpz_t v, uint8_t *out, size_t len)
{
    size_t need = (mpz_sizeinbase(v, 2) + 7) / 8;
    size_t written = 0;
    memset(out, 0, len);
    if (mpz_sgn(v) != 0 && need <= len) {
        mpz_export(out + (len - need), &written, 1, 1, 1, 0, v);
    }
}

void clave__he_mpz_from_bytes(mpz_t v, const uint8_t *in, size_t len)
{
    mpz_import(v, len, 1, 1, 1, 0, in);
}

clave_status clave__he_key_id(const mpz_t n, unsigned bits, uint8_t id[CLAVE_HE_KEY_ID_LEN])
{
    static const char LABEL[] = "clave-he-key-id";
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t buf[sizeof(LABEL) - 1 + HE_BYTES_MAX];
    uint8_t digest[CLAVE_SHA256_LEN];
    size_t nlen = bits / 8;
    CLAVE_ENSURE(nlen <= HE_BYTES_MAX, CLAVE_ERR_INTERNAL, "he: key id of %u bits", bits);
    memcpy(buf, LABEL, sizeof(LABEL) - 1);
    clave__he_mpz_to_bytes(n, buf + sizeof(LABEL) - 1, nlen);
    CLAVE_CHECK(
        clave_hash(CLAVE_HASH_SHA256, buf, sizeof(LABEL) - 1 + nlen, digest, sizeof(digest)));
    memcpy(id, digest, CLAVE_HE_KEY_ID_LEN);
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave__he_random_bits(mpz_t out, unsigned bits)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t buf[2 * HE_BYTES_MAX + 16];
    size_t len = (bits + 7) / 8;
    CLAVE_ENSURE(bits > 0 && len <= sizeof(buf), CLAVE_ERR_INTERNAL, "he: %u random bits", bits);
    CLAVE_CHECK(clave_random(buf, len));
    if (bits % 8 != 0) {
        buf[0] &= (uint8_t)((1u << (bits % 8)) - 1);
    }
    clave__he_mpz_from_bytes(out, buf, len);
    st = CLAVE_OK;
done:
    OPENSSL_cleanse(buf, sizeof(buf));
    return st;
}

clave_status clave__he_random_unit(mpz_t out, const mpz_t bound)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    mpz_t g;
    mpz_init(g);
    /* 64 extra bits make the reduction's bias negligible (< 2^-64). */
    unsigned bits = (unsigned)mpz_sizeinbase(bound, 2) + 64;
    for (int attempt = 0; attempt < HE_KEYGEN_ATTEMPTS; attempt++) {
        CLAVE_CHECK(clave__he_random_bits(out, bits));
        mpz_mod(out, out, bound);
        mpz_gcd(g, out, bound);
        if (mpz_sgn(out) != 0 && mpz_cmp_ui(g, 1) == 0) {
            st = CLAVE_OK;
            goto done;
        }
    }
    CLAVE_RAISE(CLAVE_ERR_RANDOM, "he: no unit found (bad modulus?)");
done:
    mpz_clear(g);
    return st;
}

/* h_s = (-x^2)^n mod n^2 for a fresh x in Z_n^* (DJN 2010, section 4.2). */
static clave_status derive_hs(const mpz_t n, const mpz_t n2, mpz_t hs)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    mpz_t x;
    mpz_init(x);
    CLAVE_CHECK(clave__he_random_unit(x, n));
    mpz_mul(x, x, x);
    mpz_mod(x, x, n);
    mpz_sub(x, n, x);
    mpz_powm(hs, x, n, n2);
    st = CLAVE_OK;
done:
    mpz_clear(x);
    return st;
}

/* Reject moduli that cannot be an RSA modulus of the allowed sizes. */
static clave_status check_modulus(const mpz_t n)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    size_t bits = mpz_sizeinbase(n, 2);
    mpz_t g;
    mpz_init(g);
    CLAVE_ENSURE(mpz_sgn(n) > 0 && bits >= CLAVE_HE_BITS_MIN && bits <= CLAVE_HE_BITS_MAX &&
                     bits % 8 == 0,
                 CLAVE_ERR_KEY, "he: n has %zu bits; need a multiple of 8 in %d..%d", bits,
                 CLAVE_HE_BITS_MIN, CLAVE_HE_BITS_MAX);
    CLAVE_ENSURE(mpz_odd_p(n), CLAVE_ERR_KEY, "he: n is even");
    CLAVE_ENSURE(mpz_perfect_power_p(n) == 0, CLAVE_ERR_KEY, "he: n is a perfect power");
    CLAVE_ENSURE(mpz_probab_prime_p(n, 2) == 0, CLAVE_ERR_KEY, "he: n is prime");
    /* No factor below 2^16: the primorial would be the product of primes < 65536; checking
     * the first thousand primes by gcd is enough to catch a toy or corrupted modulus. */
    mpz_primorial_ui(g, 7919);
    mpz_gcd(g, g, n);
    CLAVE_ENSURE(mpz_cmp_ui(g, 1) == 0, CLAVE_ERR_KEY, "he: n has a small factor");
    st = CLAVE_OK;
done:
    mpz_clear(g);
    return st;
}

static void pub_init(struct clave_he_pub *pub)
{
    mpz_inits(pub->n, pub->n2, pub->hs, pub->third, pub->two_third, NULL);
    pthread_mutex_init(&pub->table_lock, NULL);
}

void clave_he_pub_free(struct clave_he_pub *pub)
{
    if (pub == NULL) {
        return;
    }
    mpz_clears(pub->n, pub->n2, pub->hs, pub->third, pub->two_third, NULL);
    pthread_mutex_destroy(&pub->table_lock);
    clave__he_table_free(pub->table);
    OPENSSL_cleanse(pub, sizeof(*pub));
    free(pub);
}

clave_status clave__he_pub_from(const mpz_t n, const mpz_t hs, unsigned r_bits,
                                struct clave_he_pub **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_he_pub *pub = NULL;
    mpz_t g;
    bool inited = false;
    *out = NULL;
    CLAVE_CHECK(clave__gmp_init());
    mpz_init(g);
    inited = true;
    CLAVE_CHECK(check_modulus(n));
    pub = calloc(1, sizeof(*pub));
    CLAVE_ENSURE_ALLOC(pub);
    pub_init(pub);
    pub->bits = (unsigned)mpz_sizeinbase(n, 2);
    pub->r_bits = r_bits == 0 ? clave__he_default_r_bits(pub->bits) : r_bits;
    CLAVE_ENSURE(pub->r_bits >= clave__he_min_r_bits(pub->bits) && pub->r_bits <= pub->bits,
                 CLAVE_ERR_ARG, "he: r_bits %u outside %u..%u for %u-bit n", pub->r_bits,
                 clave__he_min_r_bits(pub->bits), pub->bits, pub->bits);
    mpz_set(pub->n, n);
    mpz_mul(pub->n2, n, n);
    mpz_fdiv_q_ui(pub->third, n, 3);
    mpz_sub(pub->two_third, n, pub->third);
    if (hs == NULL) {
        CLAVE_CHECK(derive_hs(pub->n, pub->n2, pub->hs));
    } else {
        mpz_gcd(g, hs, n);
        CLAVE_ENSURE(mpz_sgn(hs) > 0 && mpz_cmp(hs, pub->n2) < 0 && mpz_cmp_ui(g, 1) == 0 &&
                         mpz_cmp_ui(hs, 1) != 0,
                     CLAVE_ERR_KEY, "he: h_s is not a unit of Z_{n^2} other than 1");
        mpz_set(pub->hs, hs);
    }
    CLAVE_CHECK(clave__he_key_id(pub->n, pub->bits, pub->id));
    *out = pub;
    pub = NULL;
    st = CLAVE_OK;
done:
    clave_he_pub_free(pub);
    if (inited) {
        mpz_clear(g);
    }
    return st;
}

clave_status clave_he_pub_dup(const struct clave_he_pub *pub, struct clave_he_pub **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    *out = NULL;
    CLAVE_ENSURE(pub != NULL, CLAVE_ERR_ARG, "he: no public key");
    CLAVE_CHECK(clave__he_pub_from(pub->n, pub->hs, pub->r_bits, out));
    st = CLAVE_OK;
done:
    return st;
}

unsigned clave_he_pub_bits(const struct clave_he_pub *pub)
{
    return pub != NULL ? pub->bits : 0;
}

unsigned clave_he_pub_r_bits(const struct clave_he_pub *pub)
{
    return pub != NULL ? pub->r_bits : 0;
}

void clave_he_pub_id(const struct clave_he_pub *pub, uint8_t id[CLAVE_HE_KEY_ID_LEN])
{
    if (pub != NULL) {
        memcpy(id, pub->id, CLAVE_HE_KEY_ID_LEN);
    }
}

void clave_he_key_free(struct clave_he_key *key)
{
    if (key == NULL) {
        return;
    }
    clave_he_pub_free(key->pub);
    mpz_clears(key->p, key->q, key->p2, key->q2, key->pm1, key->qm1, key->hp, key->hq, key->qinv,
               key->p2x, NULL);
    OPENSSL_cleanse(key, sizeof(*key));
    free(key);
}

const struct clave_he_pub *clave_he_key_pub(const struct clave_he_key *key)
{
    return key != NULL ? key->pub : NULL;
}

/* h = L_p(g^(p-1) mod p^2)^-1 mod p with L_p(x) = (x - 1) / p (Paillier 1999, section 7). */
static clave_status crt_h(const mpz_t n, const mpz_t p, const mpz_t p2, const mpz_t pm1, mpz_t h)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    mpz_add_ui(h, n, 1);
    mpz_powm_sec(h, h, pm1, p2);
    mpz_sub_ui(h, h, 1);
    mpz_divexact(h, h, p);
    CLAVE_ENSURE(mpz_invert(h, h, p) != 0, CLAVE_ERR_KEY, "he: L_p(g^(p-1)) not invertible");
    st = CLAVE_OK;
done:
    return st;
}

/* p and q: prime, equal length, far apart, n = pq of an allowed length, gcd(n, phi) = 1. */
static clave_status check_factors(const mpz_t p, const mpz_t q, mpz_t n)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    mpz_t t, phi;
    mpz_inits(t, phi, NULL);
    size_t pbits = mpz_sizeinbase(p, 2);
    CLAVE_ENSURE(mpz_sgn(p) > 0 && mpz_sgn(q) > 0 && pbits == mpz_sizeinbase(q, 2), CLAVE_ERR_KEY,
                 "he: p and q must be positive and of equal length");
    mpz_mul(n, p, q);
    CLAVE_CHECK(check_modulus(n));
    mpz_sub(t, p, q);
    mpz_abs(t, t);
    CLAVE_ENSURE(mpz_sizeinbase(t, 2) > pbits - HE_PQ_DISTANCE_MARGIN, CLAVE_ERR_KEY,
                 "he: p and q are too close");
    CLAVE_ENSURE(mpz_probab_prime_p(p, HE_MR_ROUNDS) != 0 &&
                     mpz_probab_prime_p(q, HE_MR_ROUNDS) != 0,
                 CLAVE_ERR_KEY, "he: p or q is not prime");
    mpz_sub_ui(t, p, 1);
    mpz_sub_ui(phi, q, 1);
    mpz_mul(phi, phi, t);
    mpz_gcd(t, n, phi);
    CLAVE_ENSURE(mpz_cmp_ui(t, 1) == 0, CLAVE_ERR_KEY, "he: gcd(n, phi(n)) != 1");
    st = CLAVE_OK;
done:
    mpz_clears(t, phi, NULL);
    return st;
}

/* h_s must be an n-th residue (else decryption of (1+mn) h_s^r is not m): h_s^lambda = 1. */
static clave_status check_hs_residue(const struct clave_he_key *key)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    mpz_t t;
    mpz_init(t);
    mpz_mod(t, key->pub->hs, key->p2);
    mpz_powm_sec(t, t, key->pm1, key->p2);
    CLAVE_ENSURE(mpz_cmp_ui(t, 1) == 0, CLAVE_ERR_KEY, "he: h_s is not an n-th residue");
    mpz_mod(t, key->pub->hs, key->q2);
    mpz_powm_sec(t, t, key->qm1, key->q2);
    CLAVE_ENSURE(mpz_cmp_ui(t, 1) == 0, CLAVE_ERR_KEY, "he: h_s is not an n-th residue");
    st = CLAVE_OK;
done:
    mpz_clear(t);
    return st;
}

clave_status clave__he_key_from(const mpz_t p, const mpz_t q, const mpz_t hs, unsigned r_bits,
                                struct clave_he_key **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_he_key *key = NULL;
    mpz_t n;
    bool inited = false;
    *out = NULL;
    CLAVE_CHECK(clave__gmp_init());
    mpz_init(n);
    inited = true;
    key = calloc(1, sizeof(*key));
    CLAVE_ENSURE_ALLOC(key);
    mpz_inits(key->p, key->q, key->p2, key->q2, key->pm1, key->qm1, key->hp, key->hq, key->qinv,
              key->p2x, NULL);
    CLAVE_CHECK(check_factors(p, q, n));
    CLAVE_CHECK(clave__he_pub_from(n, hs, r_bits, &key->pub));
    mpz_set(key->p, p);
    mpz_set(key->q, q);
    mpz_mul(key->p2, p, p);
    mpz_mul(key->q2, q, q);
    mpz_sub_ui(key->pm1, p, 1);
    mpz_sub_ui(key->qm1, q, 1);
    CLAVE_CHECK(crt_h(n, key->p, key->p2, key->pm1, key->hp));
    CLAVE_CHECK(crt_h(n, key->q, key->q2, key->qm1, key->hq));
    CLAVE_ENSURE(mpz_invert(key->qinv, q, p) != 0, CLAVE_ERR_KEY, "he: q not invertible mod p");
    mpz_mul_2exp(key->p2x, p, 1);
    CLAVE_CHECK(check_hs_residue(key));
    *out = key;
    key = NULL;
    st = CLAVE_OK;
done:
    clave_he_key_free(key);
    if (inited) {
        mpz_clear(n);
    }
    return st;
}

/* One prime of `bits` bits from OpenSSL (top two bits set, so p*q has exactly 2*bits bits). */
static clave_status ossl_prime(int bits, BN_CTX *bn_ctx, mpz_t out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t buf[HE_BYTES_MAX / 2];
    size_t len = (size_t)bits / 8;
    BIGNUM *bn = BN_secure_new();
    CLAVE_ENSURE_ALLOC(bn);
    CLAVE_ENSURE(len <= sizeof(buf), CLAVE_ERR_INTERNAL, "he: prime of %d bits", bits);
    CLAVE_CHECK_OSSL(BN_generate_prime_ex2(bn, bits, 0, NULL, NULL, NULL, bn_ctx), CLAVE_ERR_CRYPTO,
                     "BN_generate_prime_ex2");
    CLAVE_ENSURE(BN_bn2binpad(bn, buf, (int)len) == (int)len, CLAVE_ERR_CRYPTO,
                 "he: prime does not fit %zu bytes", len);
    clave__he_mpz_from_bytes(out, buf, len);
    st = CLAVE_OK;
done:
    OPENSSL_cleanse(buf, sizeof(buf));
    BN_clear_free(bn);
    return st;
}

clave_status clave_he_keygen(unsigned bits, unsigned r_bits, struct clave_he_key **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    BN_CTX *bn_ctx = NULL;
    mpz_t p, q;
    bool inited = false;
    *out = NULL;
    CLAVE_ENSURE(bits == 2048 || bits == 3072 || bits == 4096, CLAVE_ERR_ARG,
                 "he: key length %u (use 2048, 3072 or 4096)", bits);
    CLAVE_ENSURE(r_bits == 0 || (r_bits >= clave__he_min_r_bits(bits) && r_bits <= bits),
                 CLAVE_ERR_ARG, "he: r_bits %u outside %u..%u", r_bits, clave__he_min_r_bits(bits),
                 bits);
    CLAVE_CHECK(clave__gmp_init());
    mpz_inits(p, q, NULL);
    inited = true;
    bn_ctx = BN_CTX_secure_new();
    CLAVE_ENSURE_ALLOC(bn_ctx);
    for (int attempt = 0; attempt < HE_KEYGEN_ATTEMPTS; attempt++) {
        CLAVE_CHECK(ossl_prime((int)bits / 2, bn_ctx, p));
        CLAVE_CHECK(ossl_prime((int)bits / 2, bn_ctx, q));
        /* Failing checks (close primes, gcd(n, phi) != 1: both astronomically rare) retry. */
        if (clave__he_key_from(p, q, NULL, r_bits, out) == CLAVE_OK) {
            clave_error_clear();
            st = CLAVE_OK;
            goto done;
        }
    }
    CLAVE_RAISE(CLAVE_ERR_CRYPTO, "he: no valid key after %d attempts", HE_KEYGEN_ATTEMPTS);
done:
    if (inited) {
        mpz_clears(p, q, NULL);
    }
    BN_CTX_free(bn_ctx);
    return st;
}
