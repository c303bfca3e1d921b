/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Paillier encryption and CRT decryption of single values, ciphertext validation, and the
 * signed fixed-point encoding with its guard band.
 *
 * Encryption: c = (1 + m n) * rho mod n^2, where rho = h_s^r (DJN, r of r_bits bits) or r^n
 * (textbook, r in Z_n^*). (1 + n)^m = 1 + m n mod n^2 by the binomial theorem, so the message
 * part costs one multiplication: c = rho + n * (m * rho mod n) mod n^2.
 * Decryption (Paillier 1999, section 7): m_p = L_p(c^(p-1) mod p^2) h_p mod p, the same mod q,
 * recombined with Garner's formula m = m_q + q ((m_p + 2p - m_q) q^-1 mod p).
 *
 * Timing: the exponentiations with p - 1 and q - 1 are mpz_powm_sec (no secret-dependent
 * branch or memory access). The rest of decryption uses GMP's mpz layer, which has no branch
 * on operand values in mul, add, sub and divexact, and whose tdiv_r has a quotient-correction
 * step taken with a data-dependent, small probability; the mpz layer also trims leading zero
 * limbs, so an intermediate whose top limb is zero (probability about 2^-64) is handled a
 * little faster. The CRT step avoids the sign test of mpz_mod. Full constant time would need
 * GMP's mpn_sec_* functions throughout; see docs/he.md, "Timing".
 */
#include "core/check.h"
#include "he/he_internal.h"

clave_status clave__he_randomizer(const struct clave_he_pub *pub, enum clave_he_mode mode,
                                  enum he_djn_method method, mpz_t out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    mpz_t r;
    mpz_init(r);
    if (mode == CLAVE_HE_MODE_TEXTBOOK) {
        CLAVE_CHECK(clave__he_random_unit(r, pub->n));
        mpz_powm_sec(out, r, pub->n, pub->n2);
    } else {
        CLAVE_ENSURE(mode == CLAVE_HE_MODE_DJN, CLAVE_ERR_ARG, "he: unknown mode %d", (int)mode);
        CLAVE_CHECK(clave__he_random_bits(r, pub->r_bits));
        if (mpz_sgn(r) == 0) {
            mpz_set_ui(r, 1); /* probability 2^-r_bits; h_s^0 = 1 would not hide m */
        }
        if (method == HE_DJN_POWM_SEC) {
            mpz_powm_sec(out, pub->hs, r, pub->n2);
        } else {
            CLAVE_CHECK(clave__he_table_pow(pub, r, out));
        }
    }
    st = CLAVE_OK;
done:
    mpz_clear(r); /* the wiping allocator clears r's limbs */
    return st;
}

void clave__he_combine(const struct clave_he_pub *pub, const mpz_t m, const mpz_t rnd, mpz_t c)
{
    mpz_t t;
    mpz_init(t);
    mpz_mul(t, m, rnd);
    mpz_tdiv_r(t, t, pub->n);
    mpz_mul(t, t, pub->n);
    mpz_add(t, t, rnd);
    mpz_tdiv_r(c, t, pub->n2);
    mpz_clear(t);
}

/* Take one offline randomiser of the right mode, if any: moved out, its slot cleared. */
static bool take_randomizer(struct clave_he_ctx *ctx, mpz_t out)
{
    bool taken = false;
    if (pthread_mutex_lock(&ctx->lock) != 0) {
        return false;
    }
    if (ctx->rand_count > 0 && ctx->rand_mode == ctx->mode) {
        ctx->rand_count--;
        mpz_swap(out, ctx->rand[ctx->rand_count]);
        mpz_set_ui(ctx->rand[ctx->rand_count], 0);
        taken = true;
    }
    pthread_mutex_unlock(&ctx->lock);
    return taken;
}

clave_status clave__he_encrypt_raw(struct clave_he_ctx *ctx, const mpz_t m, mpz_t c)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    mpz_t rnd;
    mpz_init(rnd);
    CLAVE_ENSURE(mpz_sgn(m) >= 0 && mpz_cmp(m, ctx->pub->n) < 0, CLAVE_ERR_INTERNAL,
                 "he: plaintext outside [0, n)");
    if (!take_randomizer(ctx, rnd)) {
        CLAVE_CHECK(clave__he_randomizer(ctx->pub, ctx->mode, ctx->method, rnd));
    }
    clave__he_combine(ctx->pub, m, rnd, c);
    st = CLAVE_OK;
done:
    mpz_clear(rnd);
    return st;
}

/* m_x = L_x(c^(x-1) mod x^2) * h_x mod x for x = p or q. */
static void half(const mpz_t c, const mpz_t x, const mpz_t x2, const mpz_t xm1, const mpz_t hx,
                 mpz_t out)
{
    mpz_tdiv_r(out, c, x2);
    mpz_powm_sec(out, out, xm1, x2);
    mpz_sub_ui(out, out, 1);
    mpz_divexact(out, out, x);
    mpz_mul(out, out, hx);
    mpz_tdiv_r(out, out, x);
}

clave_status clave__he_decrypt_raw(const struct clave_he_key *key, const mpz_t c, mpz_t m)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    mpz_t mp, mq;
    mpz_inits(mp, mq, NULL);
    /* mpz_powm_sec needs a positive base below nothing in particular, but 0 has no inverse:
     * every ciphertext reaching here was validated; check the cheap part again. */
    CLAVE_ENSURE(mpz_sgn(c) > 0 && mpz_cmp(c, key->pub->n2) < 0, CLAVE_ERR_FORMAT,
                 "he: ciphertext outside (0, n^2)");
    half(c, key->p, key->p2, key->pm1, key->hp, mp);
    half(c, key->q, key->q2, key->qm1, key->hq, mq);
    /* Garner without a sign test: p and q have equal length, so m_q < q < 2p and
     * m_p + 2p - m_q > 0 always; mpz_mod's fix-up branch for a negative m_p - m_q (taken
     * with a probability that depends on the secret halves) is never needed. */
    mpz_add(mp, mp, key->p2x);
    mpz_sub(mp, mp, mq);
    mpz_mul(mp, mp, key->qinv);
    mpz_tdiv_r(mp, mp, key->p);
    mpz_mul(mp, mp, key->q);
    mpz_add(m, mp, mq);
    st = CLAVE_OK;
done:
    mpz_clears(mp, mq, NULL);
    return st;
}

clave_status clave__he_validate_ct(const struct clave_he_pub *pub, const mpz_t c, const char *what)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    mpz_t g;
    mpz_init(g);
    CLAVE_ENSURE(mpz_sgn(c) > 0 && mpz_cmp(c, pub->n2) < 0, CLAVE_ERR_FORMAT,
                 "%s: ciphertext outside (0, n^2)", what);
    mpz_gcd(g, c, pub->n);
    CLAVE_ENSURE(mpz_cmp_ui(g, 1) == 0, CLAVE_ERR_FORMAT, "%s: ciphertext shares a factor with n",
                 what);
    st = CLAVE_OK;
done:
    mpz_clear(g);
    return st;
}

void clave__he_encode_i64(const struct clave_he_pub *pub, int64_t v, mpz_t m)
{
    if (v >= 0) {
        mpz_set_ui(m, (unsigned long)v);
    } else {
        /* -(v + 1) + 1 avoids negating INT64_MIN. */
        mpz_set_ui(m, (unsigned long)(-(v + 1)));
        mpz_add_ui(m, m, 1);
        mpz_sub(m, pub->n, m);
    }
}

clave_status clave__he_decode_i64(const struct clave_he_pub *pub, const mpz_t m, int64_t *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    mpz_t t;
    mpz_init(t);
    *out = 0;
    CLAVE_ENSURE(mpz_cmp(m, pub->third) < 0 || mpz_cmp(m, pub->two_third) > 0, CLAVE_ERR_LIMIT,
                 "he: overflow: the decrypted value is in the guard band (|sum| >= n/3)");
    if (mpz_cmp(m, pub->third) < 0) {
        mpz_set(t, m);
    } else {
        mpz_sub(t, m, pub->n);
    }
    CLAVE_ENSURE(mpz_fits_slong_p(t), CLAVE_ERR_LIMIT,
                 "he: overflow: the decrypted value does not fit 64 bits");
    *out = (int64_t)mpz_get_si(t);
    st = CLAVE_OK;
done:
    mpz_clear(t);
    return st;
}
