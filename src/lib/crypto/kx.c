/* SPDX-License-Identifier: Apache-2.0 */
/* Key agreement: X25519 (RFC 7748) and ECDH on P-256/P-384 (SEC 1 section 3.3.1). */
#include "core/check.h"
#include "crypto/pkey.h"

#include <clave/secret.h>
#include <clave/sign.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#define KX_SHARED_MAX_LEN CLAVE_P384_COORD_LEN

clave_status clave_kx_derive(const struct clave_pkey *priv, const struct clave_pkey *peer,
                             struct clave_secret **shared)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    EVP_PKEY_CTX *ctx = NULL;
    struct clave_secret *out = NULL;
    size_t len = 0;
    uint8_t acc = 0;
    enum clave_pkey_type type = clave_pkey_type(priv);
    *shared = NULL;
    CLAVE_ENSURE(type == CLAVE_PKEY_X25519 || type == CLAVE_PKEY_P256 || type == CLAVE_PKEY_P384,
                 CLAVE_ERR_KEY, "kx: key type %d cannot agree keys", (int)type);
    CLAVE_ENSURE(clave_pkey_type(peer) == type, CLAVE_ERR_KEY,
                 "kx: peer key type %d does not match %d", (int)clave_pkey_type(peer), (int)type);
    CLAVE_ENSURE(clave_pkey_has_private(priv), CLAVE_ERR_KEY, "kx: no private key");
    ctx = EVP_PKEY_CTX_new_from_pkey(NULL, clave__pkey_evp(priv), NULL);
    CLAVE_ENSURE_ALLOC(ctx);
    CLAVE_CHECK_OSSL(EVP_PKEY_derive_init(ctx), CLAVE_ERR_CRYPTO, "kx: derive init");
    /* validate_peer = 1: OpenSSL checks the peer's public key against the domain again. */
    CLAVE_CHECK_OSSL(EVP_PKEY_derive_set_peer_ex(ctx, clave__pkey_evp(peer), 1), CLAVE_ERR_KEY,
                     "kx: invalid peer key");
    CLAVE_CHECK_OSSL(EVP_PKEY_derive(ctx, NULL, &len), CLAVE_ERR_CRYPTO, "kx: derive length");
    CLAVE_ENSURE(len > 0 && len <= KX_SHARED_MAX_LEN, CLAVE_ERR_CRYPTO, "kx: %zu-byte secret", len);
    CLAVE_CHECK(clave_secret_new(len, &out));
    /* OpenSSL refuses an all-zero X25519 result itself; report that as a bad peer key. */
    CLAVE_CHECK_OSSL(EVP_PKEY_derive(ctx, clave_secret_data(out), &len), CLAVE_ERR_KEY,
                     "kx: derivation failed (invalid peer key)");
    CLAVE_ENSURE(len == clave_secret_len(out), CLAVE_ERR_CRYPTO, "kx: secret length changed");
    /* RFC 7748 section 6.1: check for the all-zero value, in constant time. */
    for (size_t i = 0; i < len; i++) {
        acc |= clave_secret_cdata(out)[i];
    }
    CLAVE_ENSURE(acc != 0, CLAVE_ERR_KEY, "kx: all-zero shared secret (small-order peer)");
    *shared = out;
    out = NULL;
    st = CLAVE_OK;
done:
    ERR_clear_error();
    clave_secret_free(out);
    EVP_PKEY_CTX_free(ctx);
    return st;
}
