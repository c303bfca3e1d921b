/* SPDX-License-Identifier: Apache-2.0 */
/*
 * P-256 recipient keys of the file keyring, over the JOSE module. Until the JOSE implementation
 * is merged, every operation fails with CLAVE_ERR_UNSUPPORTED.
 */
#include "core/check.h"
#include "keys/keyring_internal.h"

#define NO_JOSE "keyring: P-256 keys need the JOSE module, not yet built into this library"

clave_status clave__p256_generate(const char *kid, struct clave_secret **private_jwk)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    (void)kid;
    *private_jwk = NULL;
    CLAVE_RAISE(CLAVE_ERR_UNSUPPORTED, NO_JOSE);
done:
    return st;
}

clave_status clave__p256_check(const struct clave_secret *private_jwk)
{
    (void)private_jwk;
    return CLAVE_OK; /* checked when used */
}

clave_status clave__p256_wrap(const struct clave_secret *private_jwk,
                              const struct clave_secret *dek, uint8_t *out, size_t out_cap,
                              size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    (void)private_jwk;
    (void)dek;
    (void)out;
    (void)out_cap;
    *out_len = 0;
    CLAVE_RAISE(CLAVE_ERR_UNSUPPORTED, NO_JOSE);
done:
    return st;
}

clave_status clave__p256_unwrap(const struct clave_secret *private_jwk, const uint8_t *wrapped,
                                size_t wrapped_len, struct clave_secret **dek)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    (void)private_jwk;
    (void)wrapped;
    (void)wrapped_len;
    *dek = NULL;
    CLAVE_RAISE(CLAVE_ERR_UNSUPPORTED, NO_JOSE);
done:
    return st;
}

clave_status clave__p256_export_public(const struct clave_secret *private_jwk, const char *kid,
                                       char **jwk_json)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    (void)private_jwk;
    (void)kid;
    *jwk_json = NULL;
    CLAVE_RAISE(CLAVE_ERR_UNSUPPORTED, NO_JOSE);
done:
    return st;
}
