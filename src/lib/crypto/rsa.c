/* SPDX-License-Identifier: Apache-2.0 */
/* RSA-PSS signatures (RFC 8017 section 8.1) and RSA-OAEP-256 encryption (section 7.1). */
#include "core/check.h"
#include "crypto/ossl.h"
#include "crypto/pkey.h"

#include <clave/secret.h>
#include <clave/sign.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <string.h>

/* OAEP with SHA-256 adds 2 * 32 + 2 bytes of padding (RFC 8017 section 7.1.1). */
#define OAEP_SHA256_OVERHEAD (2 * CLAVE_SHA256_LEN + 2)

static clave_status check_rsa_key(const struct clave_pkey *key, bool need_private)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    enum clave_pkey_type type = clave_pkey_type(key);
    CLAVE_ENSURE(type == CLAVE_PKEY_RSA3072 || type == CLAVE_PKEY_RSA, CLAVE_ERR_KEY,
                 "rsa: not an RSA key");
    CLAVE_ENSURE(!need_private || clave_pkey_has_private(key), CLAVE_ERR_KEY,
                 "rsa: no private key");
    st = CLAVE_OK;
done:
    return st;
}

static clave_status check_pss_hash(enum clave_hash_alg hash)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(hash == CLAVE_HASH_SHA256 || hash == CLAVE_HASH_SHA384, CLAVE_ERR_UNSUPPORTED,
                 "rsa: PSS with hash %d", (int)hash);
    st = CLAVE_OK;
done:
    return st;
}

/* PSS padding, MGF1 with the message hash, and the salt length policy on an initialised ctx. */
static clave_status set_pss(EVP_PKEY_CTX *pctx, enum clave_hash_alg hash, int salt_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_CHECK_OSSL(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING), CLAVE_ERR_CRYPTO,
                     "rsa: PSS padding");
    CLAVE_CHECK_OSSL(EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, clave__hash_name(hash), NULL),
                     CLAVE_ERR_CRYPTO, "rsa: MGF1 hash");
    CLAVE_CHECK_OSSL(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, salt_len), CLAVE_ERR_CRYPTO,
                     "rsa: PSS salt length");
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_rsa_pss_sign(const struct clave_pkey *key, enum clave_hash_alg hash,
                                const uint8_t *msg, size_t len, uint8_t *sig, size_t sig_cap,
                                size_t *sig_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    EVP_MD_CTX *md = NULL;
    EVP_PKEY_CTX *pctx = NULL;
    size_t n = 0;
    *sig_len = 0;
    CLAVE_CHECK(check_rsa_key(key, true));
    CLAVE_CHECK(check_pss_hash(hash));
    md = EVP_MD_CTX_new();
    CLAVE_ENSURE_ALLOC(md);
    CLAVE_CHECK_OSSL(EVP_DigestSignInit_ex(md, &pctx, clave__hash_name(hash), NULL, NULL,
                                           clave__pkey_evp(key), NULL),
                     CLAVE_ERR_CRYPTO, "rsa: sign init");
    CLAVE_CHECK(set_pss(pctx, hash, RSA_PSS_SALTLEN_DIGEST));
    CLAVE_CHECK_OSSL(EVP_DigestSign(md, NULL, &n, msg, len), CLAVE_ERR_CRYPTO, "rsa: sign size");
    CLAVE_ENSURE(n <= sig_cap, CLAVE_ERR_ARG, "rsa: signature needs %zu bytes", n);
    CLAVE_CHECK_OSSL(EVP_DigestSign(md, sig, &n, msg, len), CLAVE_ERR_CRYPTO, "rsa: sign");
    *sig_len = n;
    st = CLAVE_OK;
done:
    EVP_MD_CTX_free(md); /* frees pctx too */
    return st;
}

clave_status clave_rsa_pss_verify(const struct clave_pkey *key, enum clave_hash_alg hash,
                                  enum clave_pss_salt salt, const uint8_t *msg, size_t len,
                                  const uint8_t *sig, size_t sig_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    EVP_MD_CTX *md = NULL;
    EVP_PKEY_CTX *pctx = NULL;
    CLAVE_CHECK(check_rsa_key(key, false));
    CLAVE_CHECK(check_pss_hash(hash));
    CLAVE_ENSURE(salt == CLAVE_PSS_SALT_DIGEST || salt == CLAVE_PSS_SALT_AUTO, CLAVE_ERR_ARG,
                 "rsa: unknown salt policy %d", (int)salt);
    CLAVE_ENSURE(sig_len == (size_t)EVP_PKEY_get_size(clave__pkey_evp(key)), CLAVE_ERR_SIGNATURE,
                 "rsa: signature of %zu bytes for a %d-byte modulus", sig_len,
                 EVP_PKEY_get_size(clave__pkey_evp(key)));
    md = EVP_MD_CTX_new();
    CLAVE_ENSURE_ALLOC(md);
    CLAVE_CHECK_OSSL(EVP_DigestVerifyInit_ex(md, &pctx, clave__hash_name(hash), NULL, NULL,
                                             clave__pkey_evp(key), NULL),
                     CLAVE_ERR_CRYPTO, "rsa: verify init");
    CLAVE_CHECK(set_pss(
        pctx, hash, salt == CLAVE_PSS_SALT_AUTO ? RSA_PSS_SALTLEN_AUTO : RSA_PSS_SALTLEN_DIGEST));
    CLAVE_CHECK_OSSL(EVP_DigestVerify(md, sig, sig_len, msg, len), CLAVE_ERR_SIGNATURE,
                     "rsa: PSS signature does not verify");
    st = CLAVE_OK;
done:
    EVP_MD_CTX_free(md);
    return st;
}

/* A context for OAEP with SHA-256 and MGF1-SHA-256, initialised for `decrypt` or encrypt. */
static clave_status oaep_ctx(const struct clave_pkey *key, bool decrypt, EVP_PKEY_CTX **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, clave__pkey_evp(key), NULL);
    CLAVE_ENSURE_ALLOC(ctx);
    if (decrypt) {
        CLAVE_CHECK_OSSL(EVP_PKEY_decrypt_init(ctx), CLAVE_ERR_CRYPTO, "rsa: decrypt init");
    } else {
        CLAVE_CHECK_OSSL(EVP_PKEY_encrypt_init(ctx), CLAVE_ERR_CRYPTO, "rsa: encrypt init");
    }
    CLAVE_CHECK_OSSL(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING), CLAVE_ERR_CRYPTO,
                     "rsa: OAEP padding");
    CLAVE_CHECK_OSSL(EVP_PKEY_CTX_set_rsa_oaep_md_name(ctx, "SHA256", NULL), CLAVE_ERR_CRYPTO,
                     "rsa: OAEP hash");
    CLAVE_CHECK_OSSL(EVP_PKEY_CTX_set_rsa_mgf1_md_name(ctx, "SHA256", NULL), CLAVE_ERR_CRYPTO,
                     "rsa: MGF1 hash");
    *out = ctx;
    ctx = NULL;
    st = CLAVE_OK;
done:
    EVP_PKEY_CTX_free(ctx);
    return st;
}

clave_status clave_rsa_oaep_encrypt(const struct clave_pkey *key, const uint8_t *pt, size_t pt_len,
                                    uint8_t *ct, size_t ct_cap, size_t *ct_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    EVP_PKEY_CTX *ctx = NULL;
    size_t n = 0;
    *ct_len = 0;
    CLAVE_CHECK(check_rsa_key(key, false));
    size_t k = (size_t)EVP_PKEY_get_size(clave__pkey_evp(key));
    CLAVE_ENSURE(pt_len > 0 && pt_len <= k - OAEP_SHA256_OVERHEAD, CLAVE_ERR_ARG,
                 "rsa: OAEP input of %zu bytes outside 1..%zu", pt_len, k - OAEP_SHA256_OVERHEAD);
    CLAVE_ENSURE(ct_cap >= k, CLAVE_ERR_ARG, "rsa: ciphertext needs %zu bytes", k);
    CLAVE_CHECK(oaep_ctx(key, false, &ctx));
    n = ct_cap;
    CLAVE_CHECK_OSSL(EVP_PKEY_encrypt(ctx, ct, &n, pt, pt_len), CLAVE_ERR_CRYPTO,
                     "rsa: OAEP encrypt");
    *ct_len = n;
    st = CLAVE_OK;
done:
    EVP_PKEY_CTX_free(ctx);
    return st;
}

clave_status clave_rsa_oaep_decrypt(const struct clave_pkey *key, const uint8_t *ct, size_t ct_len,
                                    struct clave_secret **pt)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    EVP_PKEY_CTX *ctx = NULL;
    struct clave_secret *buf = NULL;
    size_t n = 0;
    *pt = NULL;
    CLAVE_CHECK(check_rsa_key(key, true));
    size_t k = (size_t)EVP_PKEY_get_size(clave__pkey_evp(key));
    CLAVE_ENSURE(ct_len == k, CLAVE_ERR_AUTH, "rsa: decryption failed");
    CLAVE_CHECK(oaep_ctx(key, true, &ctx));
    /* Decrypt into locked memory, then copy the exact plaintext into a secret of its size. */
    CLAVE_CHECK(clave_secret_new(k, &buf));
    n = k;
    /* One generic error for every failure: no padding oracle (RFC 8017 section 7.1.2 note). */
    if (EVP_PKEY_decrypt(ctx, clave_secret_data(buf), &n, ct, ct_len) != 1 || n == 0 || n > k) {
        ERR_clear_error();
        CLAVE_RAISE(CLAVE_ERR_AUTH, "rsa: decryption failed");
    }
    CLAVE_CHECK(clave_secret_from(clave_secret_cdata(buf), n, pt));
    st = CLAVE_OK;
done:
    clave_secret_free(buf);
    EVP_PKEY_CTX_free(ctx);
    return st;
}
