/* SPDX-License-Identifier: Apache-2.0 */
/* JWE key management over OpenSSL 3: ECDH, Concat KDF (SSKDF), AES key wrap, RSA-OAEP-256. */
#include "core/check.h"
#include "crypto/jwe_keymgmt.h"

#include <clave/buf.h>
#include <clave/crypto.h>
#include <clave/secret.h>
#include <limits.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rsa.h>
#include <stdlib.h>
#include <string.h>

#define ALG_ID_MAX_LEN 32
#define OTHER_INFO_MAX_LEN                                                                         \
    (4 + ALG_ID_MAX_LEN + 4 + CLAVE_JOSE_APU_MAX_LEN + 4 + CLAVE_JOSE_APU_MAX_LEN + 4)

clave_status clave__jose_ecdh(EVP_PKEY *priv, EVP_PKEY *peer, uint8_t *z, size_t *z_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    EVP_PKEY_CTX *ctx = NULL;
    EVP_PKEY_CTX *check = NULL;
    size_t len = CLAVE_JOSE_ECDH_MAX_LEN;
    *z_len = 0;
    /* The peer point is validated here, whoever parsed it (an invalid-curve point would leak the
     * private key): on the curve, coordinates in range, not infinity; X25519: present. That is
     * what EVP_PKEY_derive_set_peer's own check adds to, for EC, an n*Q == O multiplication
     * that cofactor-1 curves (P-256, P-384) do not need. */
    check = EVP_PKEY_CTX_new_from_pkey(NULL, peer, NULL);
    CLAVE_ENSURE_ALLOC(check);
    CLAVE_CHECK_OSSL(EVP_PKEY_public_check_quick(check), CLAVE_ERR_KEY, "ecdh: peer key");
    ctx = EVP_PKEY_CTX_new_from_pkey(NULL, priv, NULL);
    CLAVE_ENSURE_ALLOC(ctx);
    CLAVE_CHECK_OSSL(EVP_PKEY_derive_init(ctx), CLAVE_ERR_CRYPTO, "ecdh: init");
    CLAVE_CHECK_OSSL(EVP_PKEY_derive_set_peer_ex(ctx, peer, 0), CLAVE_ERR_KEY, "ecdh: peer key");
    CLAVE_CHECK_OSSL(EVP_PKEY_derive(ctx, z, &len), CLAVE_ERR_CRYPTO, "ecdh: derive");
    *z_len = len;
    st = CLAVE_OK;
done:
    EVP_PKEY_CTX_free(check);
    EVP_PKEY_CTX_free(ctx);
    return st;
}

/* OtherInfo of RFC 7518 §4.6.2: each of AlgorithmID, PartyUInfo, PartyVInfo is a 32-bit
 * big-endian length then the bytes; SuppPubInfo is keydatalen in bits, 32-bit big-endian. */
static clave_status other_info(struct clave_writer *w, const char *algorithm_id, const uint8_t *apu,
                               size_t apu_len, const uint8_t *apv, size_t apv_len, size_t out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(out_len <= UINT32_MAX / 8, CLAVE_ERR_ARG, "concat kdf: output too long");
    CLAVE_CHECK(clave_writer_lenprefixed(w, CLAVE_LEN_U32BE, ALG_ID_MAX_LEN,
                                         (const uint8_t *)algorithm_id, strlen(algorithm_id)));
    CLAVE_CHECK(clave_writer_lenprefixed(w, CLAVE_LEN_U32BE, CLAVE_JOSE_APU_MAX_LEN, apu, apu_len));
    CLAVE_CHECK(clave_writer_lenprefixed(w, CLAVE_LEN_U32BE, CLAVE_JOSE_APU_MAX_LEN, apv, apv_len));
    CLAVE_CHECK(clave_writer_u32be(w, (uint32_t)(out_len * 8)));
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave__jose_concat_kdf(const uint8_t *z, size_t z_len, const char *algorithm_id,
                                    const uint8_t *apu, size_t apu_len, const uint8_t *apv,
                                    size_t apv_len, uint8_t *out, size_t out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t info[OTHER_INFO_MAX_LEN];
    struct clave_writer w;
    EVP_KDF *kdf = NULL;
    EVP_KDF_CTX *ctx = NULL;
    OSSL_PARAM params[4];
    clave_writer_init(&w, info, sizeof(info));
    CLAVE_CHECK(other_info(&w, algorithm_id, apu, apu_len, apv, apv_len, out_len));
    kdf = EVP_KDF_fetch(NULL, "SSKDF", NULL);
    CLAVE_ENSURE(kdf != NULL, CLAVE_ERR_CRYPTO, "concat kdf: SSKDF unavailable");
    ctx = EVP_KDF_CTX_new(kdf);
    CLAVE_ENSURE_ALLOC(ctx);
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
    params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)(uintptr_t)z, z_len);
    params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, w.len);
    params[3] = OSSL_PARAM_construct_end();
    CLAVE_CHECK_OSSL(EVP_KDF_derive(ctx, out, out_len, params), CLAVE_ERR_CRYPTO,
                     "concat kdf: derive");
    st = CLAVE_OK;
done:
    EVP_KDF_CTX_free(ctx);
    EVP_KDF_free(kdf);
    return st;
}

/* Run the RFC 3394 wrap cipher in one direction; `*written` gets the output length. */
static clave_status aes_kw(int encrypt, const uint8_t *kek, size_t kek_len, const uint8_t *in,
                           size_t in_len, uint8_t *out, size_t *written)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    EVP_CIPHER *cipher = NULL;
    EVP_CIPHER_CTX *ctx = NULL;
    int n = 0;
    int final_len = 0;
    *written = 0;
    CLAVE_ENSURE(kek_len == 16 || kek_len == 32, CLAVE_ERR_ARG, "aes-kw: KEK of %zu bytes",
                 kek_len);
    CLAVE_ENSURE(in_len >= 16 && in_len % 8 == 0 && in_len <= 1024, CLAVE_ERR_FORMAT,
                 "aes-kw: input of %zu bytes", in_len);
    cipher = EVP_CIPHER_fetch(NULL, kek_len == 16 ? "AES-128-WRAP" : "AES-256-WRAP", NULL);
    CLAVE_ENSURE(cipher != NULL, CLAVE_ERR_CRYPTO, "aes-kw: cipher unavailable");
    ctx = EVP_CIPHER_CTX_new();
    CLAVE_ENSURE_ALLOC(ctx);
    /* Only the legacy EVP path checks this flag; setting it keeps both paths working. */
    EVP_CIPHER_CTX_set_flags(ctx, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
    CLAVE_CHECK_OSSL(EVP_CipherInit_ex2(ctx, cipher, kek, NULL, encrypt, NULL), CLAVE_ERR_CRYPTO,
                     "aes-kw: init");
    if (EVP_CipherUpdate(ctx, out, &n, in, (int)in_len) != 1 ||
        EVP_CipherFinal_ex(ctx, out + n, &final_len) != 1) {
        CLAVE_RAISE(encrypt ? CLAVE_ERR_CRYPTO : CLAVE_ERR_AUTH, "aes-kw: %s failed",
                    encrypt ? "wrap" : "unwrap");
    }
    *written = (size_t)n + (size_t)final_len;
    st = CLAVE_OK;
done:
    EVP_CIPHER_CTX_free(ctx);
    EVP_CIPHER_free(cipher);
    return st;
}

clave_status clave__jose_aes_kw_wrap(const uint8_t *kek, size_t kek_len, const uint8_t *in,
                                     size_t in_len, uint8_t *out, size_t out_cap)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    size_t written = 0;
    CLAVE_ENSURE(out_cap >= in_len + CLAVE_JOSE_KW_OVERHEAD, CLAVE_ERR_ARG,
                 "aes-kw: output too small");
    CLAVE_CHECK(aes_kw(1, kek, kek_len, in, in_len, out, &written));
    CLAVE_ENSURE(written == in_len + CLAVE_JOSE_KW_OVERHEAD, CLAVE_ERR_CRYPTO,
                 "aes-kw: unexpected length");
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave__jose_aes_kw_unwrap(const uint8_t *kek, size_t kek_len, const uint8_t *in,
                                       size_t in_len, uint8_t *out, size_t out_cap)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    size_t written = 0;
    uint8_t buf[1024];
    CLAVE_ENSURE(in_len >= 24 && in_len <= sizeof(buf) && out_cap >= in_len - 8, CLAVE_ERR_FORMAT,
                 "aes-kw: wrapped key of %zu bytes", in_len);
    /* OpenSSL writes the whole input length before checking: unwrap into a scratch buffer. */
    CLAVE_CHECK(aes_kw(0, kek, kek_len, in, in_len, buf, &written));
    CLAVE_ENSURE(written == in_len - CLAVE_JOSE_KW_OVERHEAD, CLAVE_ERR_AUTH,
                 "aes-kw: unwrap failed");
    memcpy(out, buf, written);
    st = CLAVE_OK;
done:
    clave_wipe(buf, sizeof(buf));
    return st;
}

/* An RSA context set up for OAEP with SHA-256 and MGF1-SHA-256. */
static clave_status oaep_ctx(EVP_PKEY *key, int encrypt, EVP_PKEY_CTX **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    EVP_PKEY_CTX *ctx = NULL;
    *out = NULL;
    CLAVE_ENSURE(EVP_PKEY_is_a(key, "RSA"), CLAVE_ERR_KEY, "rsa-oaep: not an RSA key");
    ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
    CLAVE_ENSURE_ALLOC(ctx);
    CLAVE_CHECK_OSSL(encrypt ? EVP_PKEY_encrypt_init(ctx) : EVP_PKEY_decrypt_init(ctx),
                     CLAVE_ERR_CRYPTO, "rsa-oaep: init");
    CLAVE_CHECK_OSSL(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING), CLAVE_ERR_CRYPTO,
                     "rsa-oaep: padding");
    CLAVE_CHECK_OSSL(EVP_PKEY_CTX_set_rsa_oaep_md_name(ctx, "SHA256", NULL), CLAVE_ERR_CRYPTO,
                     "rsa-oaep: digest");
    CLAVE_CHECK_OSSL(EVP_PKEY_CTX_set_rsa_mgf1_md_name(ctx, "SHA256", NULL), CLAVE_ERR_CRYPTO,
                     "rsa-oaep: mgf1");
    *out = ctx;
    ctx = NULL;
    st = CLAVE_OK;
done:
    EVP_PKEY_CTX_free(ctx);
    return st;
}

clave_status clave__jose_rsa_oaep_encrypt(EVP_PKEY *pub, const uint8_t *in, size_t in_len,
                                          uint8_t **out, size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    EVP_PKEY_CTX *ctx = NULL;
    uint8_t *buf = NULL;
    size_t len = 0;
    *out = NULL;
    *out_len = 0;
    CLAVE_CHECK(oaep_ctx(pub, 1, &ctx));
    CLAVE_CHECK_OSSL(EVP_PKEY_encrypt(ctx, NULL, &len, in, in_len), CLAVE_ERR_CRYPTO,
                     "rsa-oaep: size");
    buf = malloc(len);
    CLAVE_ENSURE_ALLOC(buf);
    CLAVE_CHECK_OSSL(EVP_PKEY_encrypt(ctx, buf, &len, in, in_len), CLAVE_ERR_CRYPTO,
                     "rsa-oaep: encrypt");
    *out = buf;
    *out_len = len;
    buf = NULL;
    st = CLAVE_OK;
done:
    free(buf);
    EVP_PKEY_CTX_free(ctx);
    return st;
}

clave_status clave__jose_rsa_oaep_decrypt(EVP_PKEY *priv, const uint8_t *in, size_t in_len,
                                          uint8_t *out, size_t out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    EVP_PKEY_CTX *ctx = NULL;
    uint8_t buf[1024]; /* at least the largest modulus accepted (RSA-8192) */
    size_t len = sizeof(buf);
    CLAVE_CHECK(oaep_ctx(priv, 0, &ctx));
    CLAVE_ENSURE((size_t)EVP_PKEY_get_size(priv) <= sizeof(buf), CLAVE_ERR_KEY,
                 "rsa-oaep: modulus too large");
    /* One outcome for every failure (RFC 7516 §11.5): no padding oracle. */
    if (EVP_PKEY_decrypt(ctx, buf, &len, in, in_len) != 1 || len != out_len) {
        ERR_clear_error();
        CLAVE_RAISE(CLAVE_ERR_AUTH, "rsa-oaep: decryption failed");
    }
    memcpy(out, buf, out_len);
    st = CLAVE_OK;
done:
    if (st != CLAVE_OK) {
        clave_wipe(out, out_len);
    }
    clave_wipe(buf, sizeof(buf));
    EVP_PKEY_CTX_free(ctx);
    return st;
}
