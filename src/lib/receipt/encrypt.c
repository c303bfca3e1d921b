/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Encrypting a result to a recipient (flattened JSON JWE, RFC 7516 section 7.2.2) and loading
 * the keys a verifier or a recipient names: PEM, DER or JWK, all into one JWK object.
 */
#include "receipt/body.h"

#include "core/check.h"
#include "crypto/jwk.h"
#include "crypto/pkey.h"

#include <stdlib.h>
#include <string.h>

static enum clave_jwk_type jwk_type_of(enum clave_pkey_type t)
{
    switch (t) {
    case CLAVE_PKEY_P256:
        return CLAVE_JWK_EC_P256;
    case CLAVE_PKEY_P384:
        return CLAVE_JWK_EC_P384;
    case CLAVE_PKEY_ED25519:
        return CLAVE_JWK_OKP_ED25519;
    case CLAVE_PKEY_X25519:
        return CLAVE_JWK_OKP_X25519;
    case CLAVE_PKEY_RSA3072:
    case CLAVE_PKEY_RSA:
        return CLAVE_JWK_RSA;
    }
    return 0;
}

/* PEM or DER through the pkey importers. */
static clave_status load_pkey_der_pem(const uint8_t *data, size_t len, struct clave_pkey **out)
{
    static const char PEM[] = "-----BEGIN";
    if (len >= sizeof(PEM) - 1 && memmem(data, len, PEM, sizeof(PEM) - 1) != NULL) {
        return clave_pkey_from_pem((const char *)data, len, out);
    }
    return clave_pkey_from_der(data, len, out);
}

static bool looks_like_json(const uint8_t *data, size_t len)
{
    size_t i = 0;
    while (i < len && (data[i] == ' ' || data[i] == '\n' || data[i] == '\r' || data[i] == '\t')) {
        i++;
    }
    return i < len && data[i] == '{';
}

clave_status clave_receipt_load_jwk(const uint8_t *data, size_t len, struct clave_jwk **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_pkey *pk = NULL;
    *out = NULL;
    CLAVE_ENSURE(data != NULL && len > 0, CLAVE_ERR_ARG, "key: empty");
    if (looks_like_json(data, len)) {
        CLAVE_CHECK(clave_jwk_parse((const char *)data, len, out));
        st = CLAVE_OK;
        goto done;
    }
    CLAVE_CHECK(load_pkey_der_pem(data, len, &pk));
    EVP_PKEY *evp = clave__pkey_evp(pk);
    CLAVE_ENSURE(EVP_PKEY_up_ref(evp) == 1, CLAVE_ERR_CRYPTO, "key: reference");
    CLAVE_CHECK(clave__jwk_from_pkey(jwk_type_of(clave_pkey_type(pk)), evp,
                                     clave_pkey_has_private(pk), out));
    st = CLAVE_OK;
done:
    clave_pkey_free(pk);
    return st;
}

clave_status clave_receipt_load_pkey(const uint8_t *data, size_t len, struct clave_pkey **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_jwk *jwk = NULL;
    *out = NULL;
    CLAVE_ENSURE(data != NULL && len > 0, CLAVE_ERR_ARG, "key: empty");
    if (!looks_like_json(data, len)) {
        CLAVE_CHECK(load_pkey_der_pem(data, len, out));
        st = CLAVE_OK;
        goto done;
    }
    CLAVE_CHECK(clave_jwk_parse((const char *)data, len, &jwk));
    CLAVE_ENSURE(jwk->pkey != NULL, CLAVE_ERR_KEY, "key: a symmetric JWK is not a public key");
    CLAVE_ENSURE(EVP_PKEY_up_ref(jwk->pkey) == 1, CLAVE_ERR_CRYPTO, "key: reference");
    CLAVE_CHECK(clave__pkey_wrap(jwk->pkey, out));
    st = CLAVE_OK;
done:
    clave_jwk_free(jwk);
    return st;
}

clave_status clave_receipt_encrypt_output(const uint8_t *plaintext, size_t plaintext_len,
                                          const uint8_t *recipient, size_t len, char **jwe)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_jwk *key = NULL;
    const char *alg = NULL;
    *jwe = NULL;
    CLAVE_ENSURE(plaintext != NULL && plaintext_len > 0, CLAVE_ERR_ARG, "result: empty output");
    CLAVE_CHECK_CTX(clave_receipt_load_jwk(recipient, len, &key), "recipient key: ");
    switch (clave_jwk_type(key)) {
    case CLAVE_JWK_EC_P256:
    case CLAVE_JWK_EC_P384:
    case CLAVE_JWK_OKP_X25519:
        alg = "ECDH-ES+A256KW";
        break;
    case CLAVE_JWK_RSA:
        alg = "RSA-OAEP-256";
        break;
    default:
        CLAVE_RAISE(CLAVE_ERR_KEY, "recipient key: not an encryption key (EC, X25519 or RSA)");
    }
    CLAVE_CHECK(
        clave_jwe_encrypt(key, alg, plaintext, plaintext_len, NULL, 0, CLAVE_JWE_FLATTENED, jwe));
    st = CLAVE_OK;
done:
    clave_jwk_free(key);
    return st;
}
