/* SPDX-License-Identifier: Apache-2.0 */
/* python-paillier (phe) interoperability internals (docs/formats/paillier.md, "phe"). */
#ifndef CLAVE_HE_PHE_H
#define CLAVE_HE_PHE_H

#include "he/he_serial.h"

#define HE_PHE_KTY "DAJ"
#define HE_PHE_ALG "PAI-GN1"
#define HE_PHE_BASE_LOG2 4          /* phe's EncodedNumber.BASE = 16 */
#define HE_PHE_EXPONENT_ABS_MAX 512 /* |e| accepted on input (phe floats reach about -281) */
#define HE_PHE_KID_MAX 1024
/* Bare JSON integers with more digits than this are quoted by the pre-pass (jansson's
 * json_int_t holds 18 decimal digits safely). */
#define HE_PHE_BARE_DIGITS_MAX 18
/* Decimal digits of the largest ciphertext (n^2 < 2^8192): 8192 * log10(2) < 2467. */
#define HE_PHE_DECIMAL_MAX 2467

/* Rewrite bare JSON integer tokens of more than HE_PHE_BARE_DIGITS_MAX digits into strings
 * (outside strings only), so that jansson keeps them exactly. Caller frees `*out`. */
clave_status clave__he_phe_quote_bigints(const uint8_t *buf, size_t len, size_t max, char **out,
                                         size_t *out_len);
/* Parse a phe document: size and depth capped, big integers quoted first. */
clave_status clave__he_phe_parse(const uint8_t *buf, size_t len, size_t max, const char *what,
                                 json_t **out);
/* A non-negative decimal integer given as a JSON string or (small) integer. */
clave_status clave__he_phe_get_decimal(const json_t *v, const char *where, mpz_t out);
/* p and q from phe's older private key form: lambda = (p-1)(q-1), mu = lambda^-1 mod n.
 * p + q = n - lambda + 1 and (p - q)^2 = (p + q)^2 - 4n. Checks mu. No size limits on n (the
 * caller checks the key itself). */
clave_status clave__he_phe_factor(const mpz_t n, const mpz_t lambda, const mpz_t mu, mpz_t p,
                                  mpz_t q);
/* The public key of a phe JWK object ("pub" of a private key, or a whole public key). */
clave_status clave__he_phe_pub_n(const json_t *jwk, const char *where, mpz_t n);

#endif
