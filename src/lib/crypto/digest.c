/* SPDX-License-Identifier: Apache-2.0 */
/* SHA-2 digests over OpenSSL EVP. */
#include "core/check.h"
#include "crypto/ossl.h"

#include <clave/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>

struct clave_hash_ctx {
    EVP_MD_CTX *md;
    size_t len;
};

const EVP_MD *clave__hash_md(enum clave_hash_alg alg)
{
    switch (alg) {
    case CLAVE_HASH_SHA256:
        return EVP_sha256();
    case CLAVE_HASH_SHA384:
        return EVP_sha384();
    case CLAVE_HASH_SHA512:
        return EVP_sha512();
    default:
        return NULL;
    }
}

const char *clave__hash_name(enum clave_hash_alg alg)
{
    switch (alg) {
    case CLAVE_HASH_SHA256:
        return "SHA256";
    case CLAVE_HASH_SHA384:
        return "SHA384";
    case CLAVE_HASH_SHA512:
        return "SHA512";
    default:
        return NULL;
    }
}

size_t clave_hash_len(enum clave_hash_alg alg)
{
    switch (alg) {
    case CLAVE_HASH_SHA256:
        return CLAVE_SHA256_LEN;
    case CLAVE_HASH_SHA384:
        return CLAVE_SHA384_LEN;
    case CLAVE_HASH_SHA512:
        return CLAVE_SHA512_LEN;
    default:
        return 0;
    }
}

clave_status clave_hash(enum clave_hash_alg alg, const uint8_t *data, size_t len, uint8_t *out,
                        size_t out_cap)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const EVP_MD *md = clave__hash_md(alg);
    CLAVE_ENSURE(md != NULL, CLAVE_ERR_UNSUPPORTED, "hash: unknown algorithm %d", (int)alg);
    CLAVE_ENSURE(out_cap >= clave_hash_len(alg), CLAVE_ERR_ARG, "hash: output buffer too small");
    CLAVE_CHECK_OSSL(EVP_Digest(data, len, out, NULL, md, NULL), CLAVE_ERR_CRYPTO, "EVP_Digest");
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_hash_new(enum clave_hash_alg alg, struct clave_hash_ctx **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_hash_ctx *ctx = NULL;
    const EVP_MD *md = clave__hash_md(alg);
    *out = NULL;
    CLAVE_ENSURE(md != NULL, CLAVE_ERR_UNSUPPORTED, "hash: unknown algorithm %d", (int)alg);
    ctx = calloc(1, sizeof(*ctx));
    CLAVE_ENSURE_ALLOC(ctx);
    ctx->len = clave_hash_len(alg);
    ctx->md = EVP_MD_CTX_new();
    CLAVE_ENSURE_ALLOC(ctx->md);
    CLAVE_CHECK_OSSL(EVP_DigestInit_ex(ctx->md, md, NULL), CLAVE_ERR_CRYPTO, "EVP_DigestInit_ex");
    *out = ctx;
    ctx = NULL;
    st = CLAVE_OK;
done:
    clave_hash_free(ctx);
    return st;
}

clave_status clave_hash_update(struct clave_hash_ctx *ctx, const uint8_t *data, size_t len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_CHECK_OSSL(EVP_DigestUpdate(ctx->md, data, len), CLAVE_ERR_CRYPTO, "EVP_DigestUpdate");
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_hash_final(struct clave_hash_ctx *ctx, uint8_t *out, size_t out_cap)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(out_cap >= ctx->len, CLAVE_ERR_ARG, "hash: output buffer too small");
    CLAVE_CHECK_OSSL(EVP_DigestFinal_ex(ctx->md, out, NULL), CLAVE_ERR_CRYPTO,
                     "EVP_DigestFinal_ex");
    st = CLAVE_OK;
done:
    return st;
}

void clave_hash_free(struct clave_hash_ctx *ctx)
{
    if (ctx == NULL) {
        return;
    }
    EVP_MD_CTX_free(ctx->md);
    free(ctx);
}
