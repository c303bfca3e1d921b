/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fixed-base exponentiation h_s^r mod n^2 for the short DJN exponent r (a secret).
 *
 * Window i of the table holds h_s^(j * 2^(w*i)) for j = 0..2^w-1, so h_s^r is the product of
 * one entry per window: ceil(r_bits / w) - 1 multiplications and no squaring. The entry is
 * selected by reading EVERY entry of the window and keeping the wanted one with a mask, so the
 * memory access pattern and the instruction trace do not depend on r. The multiplications use
 * mpz_mul / mpz_tdiv_r on operands of fixed limb count (the selected entry is always loaded with
 * the full width of n^2), whose running time depends on those lengths only.
 */
#include "core/check.h"
#include "he/he_internal.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

void clave__he_table_free(struct he_table *t)
{
    if (t == NULL) {
        return;
    }
    free(t->entries);
    free(t);
}

static mp_limb_t *entry(const struct he_table *t, size_t window, size_t digit)
{
    return t->entries + (window * HE_WINDOW_SIZE + digit) * t->limbs;
}

static void store(const struct he_table *t, size_t window, size_t digit, const mpz_t v)
{
    mp_limb_t *dst = entry(t, window, digit);
    size_t used = mpz_size(v);
    memset(dst, 0, t->limbs * sizeof(mp_limb_t));
    memcpy(dst, mpz_limbs_read(v), used * sizeof(mp_limb_t));
}

static clave_status table_build(const struct clave_he_pub *pub, struct he_table **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct he_table *t = calloc(1, sizeof(*t));
    size_t bytes = 0;
    mpz_t base, acc;
    mpz_inits(base, acc, NULL);
    CLAVE_ENSURE_ALLOC(t);
    t->windows = (pub->r_bits + HE_WINDOW_BITS - 1) / HE_WINDOW_BITS;
    t->limbs = mpz_size(pub->n2);
    CLAVE_ENSURE(
        !__builtin_mul_overflow(t->windows * HE_WINDOW_SIZE, t->limbs * sizeof(mp_limb_t), &bytes),
        CLAVE_ERR_LIMIT, "he: table size overflows");
    t->entries = malloc(bytes);
    CLAVE_ENSURE_ALLOC(t->entries);
    mpz_set(base, pub->hs);
    for (size_t i = 0; i < t->windows; i++) {
        mpz_set_ui(acc, 1);
        for (size_t j = 0; j < HE_WINDOW_SIZE; j++) {
            store(t, i, j, acc);
            mpz_mul(acc, acc, base);
            mpz_tdiv_r(acc, acc, pub->n2);
        }
        mpz_set(base, acc); /* base^(2^w) */
    }
    *out = t;
    t = NULL;
    st = CLAVE_OK;
done:
    clave__he_table_free(t);
    mpz_clears(base, acc, NULL);
    return st;
}

/* The table, built once per public key under its lock. */
static clave_status table_get(const struct clave_he_pub *pub, const struct he_table **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_he_pub *mut = (struct clave_he_pub *)(uintptr_t)pub; /* lazily built cache */
    CLAVE_ENSURE(pthread_mutex_lock(&mut->table_lock) == 0, CLAVE_ERR_INTERNAL, "he: lock");
    if (mut->table == NULL) {
        st = table_build(pub, &mut->table);
    } else {
        st = CLAVE_OK;
    }
    pthread_mutex_unlock(&mut->table_lock);
    *out = mut->table;
done:
    return st;
}

/* Constant-time selection of entry `digit` of `window` into `dst` (t->limbs limbs). */
static void select_entry(const struct he_table *t, size_t window, mp_limb_t digit, mp_limb_t *dst)
{
    memset(dst, 0, t->limbs * sizeof(mp_limb_t));
    for (mp_limb_t j = 0; j < HE_WINDOW_SIZE; j++) {
        const mp_limb_t *src = entry(t, window, (size_t)j);
        /* (x - 1) >> 63 is 1 exactly when x == 0 (x < 2^w), with no branch. */
        mp_limb_t mask = (mp_limb_t)0 - (((j ^ digit) - 1) >> (GMP_LIMB_BITS - 1));
        for (size_t k = 0; k < t->limbs; k++) {
            dst[k] |= src[k] & mask;
        }
    }
}

/* Digit `i` (w bits) of r, read from its limbs without branching on their values. */
static mp_limb_t digit_of(const mp_limb_t *r_limbs, size_t r_size, size_t i)
{
    size_t bit = i * HE_WINDOW_BITS;
    size_t limb = bit / GMP_LIMB_BITS;
    size_t shift = bit % GMP_LIMB_BITS;
    mp_limb_t lo = limb < r_size ? r_limbs[limb] >> shift : 0;
    mp_limb_t hi = 0;
    if (shift + HE_WINDOW_BITS > GMP_LIMB_BITS && limb + 1 < r_size) {
        hi = r_limbs[limb + 1] << (GMP_LIMB_BITS - shift);
    }
    return (lo | hi) & (HE_WINDOW_SIZE - 1);
}

clave_status clave__he_table_pow(const struct clave_he_pub *pub, const mpz_t r, mpz_t out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const struct he_table *t = NULL;
    mp_limb_t r_limbs[CLAVE_HE_BITS_MAX / GMP_LIMB_BITS + 1];
    mpz_t sel, prod;
    mpz_inits(sel, prod, NULL);
    CLAVE_CHECK(table_get(pub, &t));
    size_t r_size = (pub->r_bits + GMP_LIMB_BITS - 1) / GMP_LIMB_BITS;
    CLAVE_ENSURE(mpz_size(r) <= r_size && r_size <= sizeof(r_limbs) / sizeof(r_limbs[0]),
                 CLAVE_ERR_INTERNAL, "he: exponent longer than r_bits");
    /* r copied to a fixed width, so no loop bound depends on its leading zeros. */
    memset(r_limbs, 0, sizeof(r_limbs));
    memcpy(r_limbs, mpz_limbs_read(r), mpz_size(r) * sizeof(mp_limb_t));
    mp_limb_t *w = mpz_limbs_write(out, (mp_size_t)t->limbs);
    select_entry(t, 0, digit_of(r_limbs, r_size, 0), w);
    mpz_limbs_finish(out, (mp_size_t)t->limbs);
    for (size_t i = 1; i < t->windows; i++) {
        w = mpz_limbs_write(sel, (mp_size_t)t->limbs);
        select_entry(t, i, digit_of(r_limbs, r_size, i), w);
        mpz_limbs_finish(sel, (mp_size_t)t->limbs);
        mpz_mul(prod, out, sel);
        mpz_tdiv_r(out, prod, pub->n2);
    }
    st = CLAVE_OK;
done:
    OPENSSL_cleanse(r_limbs, sizeof(r_limbs));
    mpz_clears(sel, prod, NULL);
    return st;
}
