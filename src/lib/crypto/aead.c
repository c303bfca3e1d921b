/* SPDX-License-Identifier: Apache-2.0 */
/* AES-256-GCM and ChaCha20-Poly1305 with a reusable key schedule (one EVP context per key). */
#include "core/check.h"

#include <clave/crypto.h>
#include <clave/secret.h>
#include <limits.h>
#include <stdbool.h>
#include <openssl/evp.h>
#include <stdlib.h>

struct clave_aead {
    EVP_CIPHER_CTX *enc; /* keyed once for encryption */
    EVP_CIPHER_CTX *dec; /* keyed once for decryption */
};

static const EVP_CIPHER *aead_cipher(enum clave_aead_alg alg)
{
    switch (alg) {
    case CLAVE_AEAD_AES256GCM:
        return EVP_aes_256_gcm();
    case CLAVE_AEAD_CHACHA20POLY1305:
        return EVP_chacha20_poly1305();
    default:
        return NULL;
    }
}

clave_status clave_aead_new(enum clave_aead_alg alg, const uint8_t key[CLAVE_AEAD_KEY_LEN],
                            struct clave_aead **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_aead *aead = NULL;
    const EVP_CIPHER *cipher = aead_cipher(alg);
    *out = NULL;
    CLAVE_ENSURE(cipher != NULL, CLAVE_ERR_UNSUPPORTED, "aead: unknown algorithm %d", (int)alg);
    aead = calloc(1, sizeof(*aead));
    CLAVE_ENSURE_ALLOC(aead);
    aead->enc = EVP_CIPHER_CTX_new();
    aead->dec = EVP_CIPHER_CTX_new();
    CLAVE_ENSURE_ALLOC(aead->enc);
    CLAVE_ENSURE_ALLOC(aead->dec);
    CLAVE_CHECK_OSSL(EVP_EncryptInit_ex2(aead->enc, cipher, key, NULL, NULL), CLAVE_ERR_CRYPTO,
                     "aead: EVP_EncryptInit_ex2");
    CLAVE_CHECK_OSSL(EVP_DecryptInit_ex2(aead->dec, cipher, key, NULL, NULL), CLAVE_ERR_CRYPTO,
                     "aead: EVP_DecryptInit_ex2");
    *out = aead;
    aead = NULL;
    st = CLAVE_OK;
done:
    clave_aead_free(aead);
    return st;
}

void clave_aead_free(struct clave_aead *aead)
{
    if (aead == NULL) {
        return;
    }
    EVP_CIPHER_CTX_free(aead->enc); /* frees wipe the key schedule */
    EVP_CIPHER_CTX_free(aead->dec);
    free(aead);
}

/* Lengths go to OpenSSL as int: refuse anything that would not fit. */
static clave_status check_lengths(size_t aad_len, size_t text_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(aad_len <= INT_MAX && text_len <= INT_MAX, CLAVE_ERR_LIMIT,
                 "aead: message or AAD above %d bytes", INT_MAX);
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_aead_seal(struct clave_aead *aead, const uint8_t nonce[CLAVE_AEAD_NONCE_LEN],
                             const uint8_t *aad, size_t aad_len, const uint8_t *pt, size_t pt_len,
                             uint8_t *ct, uint8_t tag[CLAVE_AEAD_TAG_LEN])
{
    clave_status st = CLAVE_ERR_INTERNAL;
    int n = 0;
    uint8_t final_block[EVP_MAX_BLOCK_LENGTH]; /* AEAD modes output nothing here */
    CLAVE_CHECK(check_lengths(aad_len, pt_len));
    CLAVE_CHECK_OSSL(EVP_EncryptInit_ex2(aead->enc, NULL, NULL, nonce, NULL), CLAVE_ERR_CRYPTO,
                     "aead: set nonce");
    if (aad_len > 0) {
        CLAVE_CHECK_OSSL(EVP_EncryptUpdate(aead->enc, NULL, &n, aad, (int)aad_len),
                         CLAVE_ERR_CRYPTO, "aead: AAD");
    }
    if (pt_len > 0) {
        CLAVE_CHECK_OSSL(EVP_EncryptUpdate(aead->enc, ct, &n, pt, (int)pt_len), CLAVE_ERR_CRYPTO,
                         "aead: encrypt");
    }
    CLAVE_CHECK_OSSL(EVP_EncryptFinal_ex(aead->enc, final_block, &n), CLAVE_ERR_CRYPTO,
                     "aead: final");
    CLAVE_CHECK_OSSL(EVP_CIPHER_CTX_ctrl(aead->enc, EVP_CTRL_AEAD_GET_TAG, CLAVE_AEAD_TAG_LEN, tag),
                     CLAVE_ERR_CRYPTO, "aead: get tag");
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_aead_open(struct clave_aead *aead, const uint8_t nonce[CLAVE_AEAD_NONCE_LEN],
                             const uint8_t *aad, size_t aad_len, const uint8_t *ct, size_t ct_len,
                             const uint8_t tag[CLAVE_AEAD_TAG_LEN], uint8_t *pt)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    int n = 0;
    bool wrote = false;
    uint8_t final_block[EVP_MAX_BLOCK_LENGTH]; /* AEAD modes output nothing here */
    CLAVE_CHECK(check_lengths(aad_len, ct_len));
    CLAVE_CHECK_OSSL(EVP_DecryptInit_ex2(aead->dec, NULL, NULL, nonce, NULL), CLAVE_ERR_CRYPTO,
                     "aead: set nonce");
    CLAVE_CHECK_OSSL(EVP_CIPHER_CTX_ctrl(aead->dec, EVP_CTRL_AEAD_SET_TAG, CLAVE_AEAD_TAG_LEN,
                                         (void *)(uintptr_t)tag),
                     CLAVE_ERR_CRYPTO, "aead: set tag");
    if (aad_len > 0) {
        CLAVE_CHECK_OSSL(EVP_DecryptUpdate(aead->dec, NULL, &n, aad, (int)aad_len),
                         CLAVE_ERR_CRYPTO, "aead: AAD");
    }
    if (ct_len > 0) {
        wrote = true;
        CLAVE_CHECK_OSSL(EVP_DecryptUpdate(aead->dec, pt, &n, ct, (int)ct_len), CLAVE_ERR_CRYPTO,
                         "aead: decrypt");
    }
    CLAVE_ENSURE(EVP_DecryptFinal_ex(aead->dec, final_block, &n) == 1, CLAVE_ERR_AUTH,
                 "aead: authentication failed");
    st = CLAVE_OK;
done:
    if (st != CLAVE_OK && wrote) {
        /* Whatever failed, no unverified plaintext leaves this function. */
        clave_wipe(pt, ct_len);
    }
    return st;
}
