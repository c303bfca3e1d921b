/* SPDX-License-Identifier: Apache-2.0 */
/* Ed25519 (RFC 8032, pure EdDSA: no pre-hash, no context). */
#include "core/check.h"
#include "crypto/pkey.h"

#include <clave/sign.h>
#include <openssl/evp.h>

clave_status clave_ed25519_sign(const struct clave_pkey *key, const uint8_t *msg, size_t len,
                                uint8_t sig[CLAVE_ED25519_SIG_LEN])
{
    clave_status st = CLAVE_ERR_INTERNAL;
    EVP_MD_CTX *md = NULL;
    size_t sig_len = CLAVE_ED25519_SIG_LEN;
    CLAVE_ENSURE(clave_pkey_type(key) == CLAVE_PKEY_ED25519 && clave_pkey_has_private(key),
                 CLAVE_ERR_KEY, "ed25519: not an Ed25519 private key");
    md = EVP_MD_CTX_new();
    CLAVE_ENSURE_ALLOC(md);
    /* EdDSA hashes internally: no digest name (RFC 8032 section 5.1.6). */
    CLAVE_CHECK_OSSL(EVP_DigestSignInit_ex(md, NULL, NULL, NULL, NULL, clave__pkey_evp(key), NULL),
                     CLAVE_ERR_CRYPTO, "ed25519: sign init");
    CLAVE_CHECK_OSSL(EVP_DigestSign(md, sig, &sig_len, msg, len), CLAVE_ERR_CRYPTO,
                     "ed25519: sign");
    CLAVE_ENSURE(sig_len == CLAVE_ED25519_SIG_LEN, CLAVE_ERR_CRYPTO, "ed25519: signature length");
    st = CLAVE_OK;
done:
    EVP_MD_CTX_free(md);
    return st;
}

clave_status clave_ed25519_verify(const struct clave_pkey *key, const uint8_t *msg, size_t len,
                                  const uint8_t *sig, size_t sig_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    EVP_MD_CTX *md = NULL;
    CLAVE_ENSURE(clave_pkey_type(key) == CLAVE_PKEY_ED25519, CLAVE_ERR_KEY,
                 "ed25519: not an Ed25519 key");
    CLAVE_ENSURE(sig_len == CLAVE_ED25519_SIG_LEN, CLAVE_ERR_SIGNATURE,
                 "ed25519: signature of %zu bytes", sig_len);
    md = EVP_MD_CTX_new();
    CLAVE_ENSURE_ALLOC(md);
    CLAVE_CHECK_OSSL(
        EVP_DigestVerifyInit_ex(md, NULL, NULL, NULL, NULL, clave__pkey_evp(key), NULL),
        CLAVE_ERR_CRYPTO, "ed25519: verify init");
    CLAVE_CHECK_OSSL(EVP_DigestVerify(md, sig, sig_len, msg, len), CLAVE_ERR_SIGNATURE,
                     "ed25519: signature does not verify");
    st = CLAVE_OK;
done:
    EVP_MD_CTX_free(md);
    return st;
}
