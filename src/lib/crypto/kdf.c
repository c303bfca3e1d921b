/* SPDX-License-Identifier: Apache-2.0 */
/* HMAC (RFC 2104) and HKDF (RFC 5869) through OpenSSL's EVP_MAC and EVP_KDF. */
#include "core/check.h"
#include "crypto/ossl.h"

#include <clave/crypto.h>
#include <clave/secret.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#define HKDF_MAX_BLOCKS 255 /* RFC 5869 section 2.3 */

clave_status clave_hmac(enum clave_hash_alg alg, const uint8_t *key, size_t key_len,
                        const uint8_t *data, size_t len, uint8_t *out, size_t out_cap)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const char *name = clave__hash_name(alg);
    size_t written = 0;
    CLAVE_ENSURE(name != NULL, CLAVE_ERR_UNSUPPORTED, "hmac: unknown hash %d", (int)alg);
    CLAVE_ENSURE(out_cap >= clave_hash_len(alg), CLAVE_ERR_ARG, "hmac: output buffer too small");
    CLAVE_ENSURE(EVP_Q_mac(NULL, "HMAC", NULL, name, NULL, key, key_len, data, len, out, out_cap,
                           &written) != NULL,
                 CLAVE_ERR_CRYPTO, "hmac: EVP_Q_mac failed");
    CLAVE_ENSURE(written == clave_hash_len(alg), CLAVE_ERR_CRYPTO, "hmac: unexpected length");
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_hmac_verify(enum clave_hash_alg alg, const uint8_t *key, size_t key_len,
                               const uint8_t *data, size_t len, const uint8_t *tag, size_t tag_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t expect[CLAVE_HASH_MAX_LEN];
    CLAVE_CHECK(clave_hmac(alg, key, key_len, data, len, expect, sizeof(expect)));
    CLAVE_ENSURE(tag_len == clave_hash_len(alg) && clave_ct_equal(expect, tag, tag_len),
                 CLAVE_ERR_AUTH, "hmac: tag mismatch");
    st = CLAVE_OK;
done:
    clave_wipe(expect, sizeof(expect));
    return st;
}

/* Run OpenSSL's HKDF in `mode` (EVP_KDF_HKDF_MODE_*). */
static clave_status hkdf_run(int mode, enum clave_hash_alg alg, const uint8_t *salt,
                             size_t salt_len, const uint8_t *key, size_t key_len,
                             const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    EVP_KDF *kdf = NULL;
    EVP_KDF_CTX *ctx = NULL;
    const char *name = clave__hash_name(alg);
    OSSL_PARAM params[6];
    size_t n = 0;
    CLAVE_ENSURE(name != NULL, CLAVE_ERR_UNSUPPORTED, "hkdf: unknown hash %d", (int)alg);
    CLAVE_ENSURE(out_len > 0, CLAVE_ERR_ARG, "hkdf: empty output");
    /* RFC 5869 section 2.3: L <= 255 * HashLen; refuse it here rather than as a crypto failure. */
    CLAVE_ENSURE(out_len <= HKDF_MAX_BLOCKS * clave_hash_len(alg), CLAVE_ERR_ARG,
                 "hkdf: %zu output bytes above 255 * hash length", out_len);
    kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    CLAVE_ENSURE(kdf != NULL, CLAVE_ERR_CRYPTO, "hkdf: EVP_KDF_fetch failed");
    ctx = EVP_KDF_CTX_new(kdf);
    CLAVE_ENSURE_ALLOC(ctx);
    params[n++] = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
    params[n++] =
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)(uintptr_t)name, 0);
    params[n++] =
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)(uintptr_t)key, key_len);
    if (salt != NULL && salt_len > 0) {
        params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
                                                        (void *)(uintptr_t)salt, salt_len);
    }
    if (info != NULL && info_len > 0) {
        params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
                                                        (void *)(uintptr_t)info, info_len);
    }
    params[n] = OSSL_PARAM_construct_end();
    CLAVE_CHECK_OSSL(EVP_KDF_derive(ctx, out, out_len, params), CLAVE_ERR_CRYPTO,
                     "hkdf: EVP_KDF_derive");
    st = CLAVE_OK;
done:
    EVP_KDF_CTX_free(ctx);
    EVP_KDF_free(kdf);
    return st;
}

clave_status clave_hkdf(enum clave_hash_alg alg, const uint8_t *salt, size_t salt_len,
                        const uint8_t *ikm, size_t ikm_len, const uint8_t *info, size_t info_len,
                        uint8_t *out, size_t out_len)
{
    return hkdf_run(EVP_KDF_HKDF_MODE_EXTRACT_AND_EXPAND, alg, salt, salt_len, ikm, ikm_len, info,
                    info_len, out, out_len);
}

clave_status clave_hkdf_extract(enum clave_hash_alg alg, const uint8_t *salt, size_t salt_len,
                                const uint8_t *ikm, size_t ikm_len, uint8_t *prk, size_t prk_cap)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    size_t len = clave_hash_len(alg);
    CLAVE_ENSURE(len > 0 && prk_cap >= len, CLAVE_ERR_ARG, "hkdf: PRK buffer too small");
    CLAVE_CHECK(hkdf_run(EVP_KDF_HKDF_MODE_EXTRACT_ONLY, alg, salt, salt_len, ikm, ikm_len, NULL, 0,
                         prk, len));
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_hkdf_expand(enum clave_hash_alg alg, const uint8_t *prk, size_t prk_len,
                               const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len)
{
    return hkdf_run(EVP_KDF_HKDF_MODE_EXPAND_ONLY, alg, NULL, 0, prk, prk_len, info, info_len, out,
                    out_len);
}

clave_status clave_random(uint8_t *out, size_t len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(len <= 0x7fffffff, CLAVE_ERR_ARG, "random: %zu bytes in one call", len);
    if (len > 0) {
        CLAVE_CHECK_OSSL(RAND_bytes(out, (int)len), CLAVE_ERR_RANDOM, "RAND_bytes");
    }
    st = CLAVE_OK;
done:
    return st;
}
