/* SPDX-License-Identifier: Apache-2.0 */
/* Internal access to the EVP_PKEY behind a struct clave_pkey. */
#ifndef CLAVE_CRYPTO_PKEY_H
#define CLAVE_CRYPTO_PKEY_H

#include <clave/sign.h>
#include <openssl/evp.h>

/* The wrapped key (borrowed: valid while `key` lives; do not free, do not modify). */
EVP_PKEY *clave__pkey_evp(const struct clave_pkey *key);

/*
 * Wrap `evp`, taking ownership of it on success and on failure (it is freed then). Checks the
 * key is one of clave's supported types; CLAVE_ERR_KEY otherwise.
 */
clave_status clave__pkey_wrap(EVP_PKEY *evp, struct clave_pkey **out);

/* Coordinate width of an EC key type (32 or 48), 0 for other types. */
size_t clave__pkey_coord_len(enum clave_pkey_type type);

#endif
