/* SPDX-License-Identifier: Apache-2.0 */
/* Internal view of a JWK, shared by jwk.c and the JWE code. */
#ifndef CLAVE_CRYPTO_JWK_H
#define CLAVE_CRYPTO_JWK_H

#include <clave/jose.h>
#include <clave/secret.h>
#include <jansson.h>
#include <openssl/evp.h>

#define CLAVE_JWK_KID_MAX 256        /* bytes of "kid" */
#define CLAVE_JWK_MAX_TEXT 32768     /* a JWK document (RSA-8192 private fits) */
#define CLAVE_JWK_MAX_DEPTH 8        /* JWK nesting ("oth", "x5c") */
#define CLAVE_JWK_RSA_MIN_BYTES 256  /* RSA modulus: 2048 bits minimum */
#define CLAVE_JWK_RSA_MAX_BYTES 1024 /* ... and 8192 bits maximum */
#define CLAVE_JWK_OCT_MAX_BYTES 512  /* symmetric key */

struct clave_jwk {
    enum clave_jwk_type type;
    EVP_PKEY *pkey;         /* every type but oct */
    struct clave_secret *k; /* oct only */
    bool has_private;
    bool has_kid;
    char kid[CLAVE_JWK_KID_MAX + 1];
};

/* Parse a JWK from an already parsed JSON object (`where` names it in errors). Caller frees. */
clave_status clave__jwk_from_object(const json_t *obj, const char *where, struct clave_jwk **out);

/* Wrap `pkey` (ownership taken, also on failure) as a JWK of `type`. Caller frees. */
clave_status clave__jwk_from_pkey(enum clave_jwk_type type, EVP_PKEY *pkey, bool has_private,
                                  struct clave_jwk **out);

/* The public members (kty, crv, x, y / n, e) as a new JSON object, for "epk". Caller decrefs. */
clave_status clave__jwk_public_object(const struct clave_jwk *key, json_t **out);

#endif
