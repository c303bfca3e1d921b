/* SPDX-License-Identifier: Apache-2.0 */
/* Internal glue between clave's enums and OpenSSL objects. */
#ifndef CLAVE_CRYPTO_OSSL_H
#define CLAVE_CRYPTO_OSSL_H

#include <clave/crypto.h>
#include <openssl/evp.h>

/* The EVP_MD of `alg`, or NULL for an unknown algorithm. */
const EVP_MD *clave__hash_md(enum clave_hash_alg alg);

/* The OpenSSL digest name of `alg` ("SHA256"), or NULL. */
const char *clave__hash_name(enum clave_hash_alg alg);

#endif
