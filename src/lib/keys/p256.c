/* SPDX-License-Identifier: Apache-2.0 */
/*
 * P-256 recipient keys of the file keyring, over the JOSE module. The key material kept (and
 * sealed in the file) is the private JWK text with "kid" = the key id. Wrapping produces a
 * compact JWE (RFC 7516 §7.1) with alg ECDH-ES+A256KW, enc A256GCM; a compact JWE carries no
 * external AAD, so callers may not pass one (the keyring checks that before calling here).
 */
#include "core/check.h"
#include "keys/keyring_internal.h"

#include <clave/jose.h>
#include <stdlib.h>
#include <string.h>

#define JWE_ALG "ECDH-ES+A256KW"
#define COMPACT_JWE_DOTS 4

/* The stored private JWK as a key object; CLAVE_ERR_KEY unless a private P-256 key. */
static clave_status load(const struct clave_secret *private_jwk, struct clave_jwk **key)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_jwk *k = NULL;
    *key = NULL;
    const char *text = (const char *)clave_secret_cdata(private_jwk);
    CLAVE_CHECK_CTX(clave_jwk_parse(text, strnlen(text, clave_secret_len(private_jwk)), &k),
                    "keyring: stored P-256 key");
    CLAVE_ENSURE(clave_jwk_type(k) == CLAVE_JWK_EC_P256 && clave_jwk_has_private(k), CLAVE_ERR_KEY,
                 "keyring: stored key is not a private P-256 JWK");
    *key = k;
    k = NULL;
    st = CLAVE_OK;
done:
    clave_jwk_free(k);
    return st;
}

clave_status clave__p256_generate(const char *kid, struct clave_secret **private_jwk)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_jwk *key = NULL;
    *private_jwk = NULL;
    CLAVE_CHECK(clave_jwk_generate(CLAVE_JWK_EC_P256, &key));
    CLAVE_CHECK(clave_jwk_set_kid(key, kid));
    CLAVE_CHECK(clave_jwk_export_private(key, private_jwk));
    st = CLAVE_OK;
done:
    clave_jwk_free(key);
    return st;
}

clave_status clave__p256_check(const struct clave_secret *private_jwk)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_jwk *key = NULL;
    CLAVE_CHECK(load(private_jwk, &key));
    st = CLAVE_OK;
done:
    clave_jwk_free(key);
    return st;
}

clave_status clave__p256_wrap(const struct clave_secret *private_jwk,
                              const struct clave_secret *dek, uint8_t *out, size_t out_cap,
                              size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_jwk *key = NULL;
    char *jwe = NULL;
    *out_len = 0;
    CLAVE_CHECK(load(private_jwk, &key));
    CLAVE_CHECK(clave_jwe_encrypt(key, JWE_ALG, clave_secret_cdata(dek), clave_secret_len(dek),
                                  NULL, 0, CLAVE_JWE_COMPACT, &jwe));
    size_t len = strlen(jwe);
    CLAVE_ENSURE(len <= CLAVE_WRAPPED_KEY_MAX, CLAVE_ERR_TOO_LARGE,
                 "keyring wrap: JWE of %zu bytes exceeds %d", len, CLAVE_WRAPPED_KEY_MAX);
    CLAVE_ENSURE(len <= out_cap, CLAVE_ERR_LIMIT, "keyring wrap: output needs %zu bytes", len);
    memcpy(out, jwe, len);
    *out_len = len;
    st = CLAVE_OK;
done:
    free(jwe);
    clave_jwk_free(key);
    return st;
}

/* Compact serialisation only: five base64url segments. A flattened JSON JWE could carry an
 * "aad" member that this interface would not check, so it is refused. */
static clave_status expect_compact(const uint8_t *wrapped, size_t len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    size_t dots = 0;
    for (size_t i = 0; i < len; i++) {
        uint8_t c = wrapped[i];
        bool b64 = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                   c == '-' || c == '_';
        CLAVE_ENSURE(b64 || c == '.', CLAVE_ERR_FORMAT,
                     "keyring unwrap: not a compact JWE (byte 0x%02x at offset %zu)", c, i);
        dots += c == '.';
    }
    CLAVE_ENSURE(dots == COMPACT_JWE_DOTS, CLAVE_ERR_FORMAT,
                 "keyring unwrap: a compact JWE has 5 parts, not %zu", dots + 1);
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave__p256_unwrap(const struct clave_secret *private_jwk, const uint8_t *wrapped,
                                size_t wrapped_len, struct clave_secret **dek)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_jwk *key = NULL;
    *dek = NULL;
    CLAVE_CHECK(expect_compact(wrapped, wrapped_len));
    CLAVE_CHECK(load(private_jwk, &key));
    CLAVE_CHECK(clave_jwe_decrypt(key, (const char *)wrapped, wrapped_len, dek));
    st = CLAVE_OK;
done:
    clave_jwk_free(key);
    return st;
}

clave_status clave__p256_export_public(const struct clave_secret *private_jwk, const char *kid,
                                       char **jwk_json)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_jwk *key = NULL;
    *jwk_json = NULL;
    CLAVE_CHECK(load(private_jwk, &key));
    CLAVE_CHECK(clave_jwk_set_kid(key, kid));
    CLAVE_CHECK(clave_jwk_export_public(key, jwk_json));
    st = CLAVE_OK;
done:
    clave_jwk_free(key);
    return st;
}
