/* SPDX-License-Identifier: Apache-2.0 */
/* AES-256-CTR stream keyed through HKDF-SHA256 (see prg.h). */
#include "mpc/prg.h"

#include "core/check.h"

#include <clave/crypto.h>
#include <clave/secret.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
               "prg: output words are read little-endian straight from the keystream");

#define PRG_KEY_LEN 32
#define PRG_IV_LEN 16
#define PRG_LABEL_MAX 64
#define PRG_CTX_MAX 64
#define PRG_CHUNK_WORDS 4096 /* 32 KiB scratch: stays in L1/L2 while accumulating */

struct clave__prg {
    EVP_CIPHER_CTX *ctx;
    uint64_t scratch[PRG_CHUNK_WORDS];
};

clave_status clave__prg_new(const uint8_t *seed, size_t seed_len, const char *label,
                            const uint8_t *ctx, size_t ctx_len, struct clave__prg **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t key[PRG_KEY_LEN];
    uint8_t info[PRG_LABEL_MAX + PRG_CTX_MAX];
    static const uint8_t ZERO_IV[PRG_IV_LEN];
    size_t label_len = strlen(label);
    struct clave__prg *prg = NULL;
    *out = NULL;
    CLAVE_ENSURE(seed_len >= 16 && label_len <= PRG_LABEL_MAX && ctx_len <= PRG_CTX_MAX,
                 CLAVE_ERR_ARG, "prg: seed, label or context length out of range");
    memcpy(info, label, label_len);
    if (ctx_len > 0) {
        memcpy(info + label_len, ctx, ctx_len);
    }
    CLAVE_CHECK(clave_hkdf(CLAVE_HASH_SHA256, NULL, 0, seed, seed_len, info, label_len + ctx_len,
                           key, sizeof(key)));
    prg = calloc(1, sizeof(*prg));
    CLAVE_ENSURE_ALLOC(prg);
    prg->ctx = EVP_CIPHER_CTX_new();
    CLAVE_ENSURE_ALLOC(prg->ctx);
    CLAVE_CHECK_OSSL(EVP_EncryptInit_ex(prg->ctx, EVP_aes_256_ctr(), NULL, key, ZERO_IV),
                     CLAVE_ERR_CRYPTO, "prg: AES-256-CTR init");
    *out = prg;
    prg = NULL;
    st = CLAVE_OK;
done:
    clave_wipe(key, sizeof(key));
    clave__prg_free(prg);
    return st;
}

clave_status clave__prg_fill(struct clave__prg *prg, uint64_t *out, size_t len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t *bytes = (uint8_t *)out;
    size_t total = 0;
    CLAVE_ENSURE(!__builtin_mul_overflow(len, sizeof(uint64_t), &total), CLAVE_ERR_ARG,
                 "prg: length overflows");
    memset(out, 0, total);
    while (total > 0) {
        int part = total > (1u << 30) ? (1 << 30) : (int)total;
        int written = 0;
        CLAVE_CHECK_OSSL(EVP_EncryptUpdate(prg->ctx, bytes, &written, bytes, part),
                         CLAVE_ERR_CRYPTO, "prg: AES-256-CTR");
        CLAVE_ENSURE(written == part, CLAVE_ERR_CRYPTO, "prg: short keystream");
        bytes += part;
        total -= (size_t)part;
    }
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave__prg_accumulate(struct clave__prg *prg, uint64_t *acc, size_t len, int sign)
{
    /* Keystream = AES-CTR of zeros: encrypting a constant zero block avoids clearing the
     * scratch buffer before every chunk. */
    static const uint8_t ZEROS[PRG_CHUNK_WORDS * sizeof(uint64_t)];
    clave_status st = CLAVE_ERR_INTERNAL;
    size_t pos = 0;
    while (pos < len) {
        size_t part = len - pos < PRG_CHUNK_WORDS ? len - pos : PRG_CHUNK_WORDS;
        int bytes = (int)(part * sizeof(uint64_t));
        int written = 0;
        CLAVE_CHECK_OSSL(
            EVP_EncryptUpdate(prg->ctx, (uint8_t *)prg->scratch, &written, ZEROS, bytes),
            CLAVE_ERR_CRYPTO, "prg: AES-256-CTR");
        CLAVE_ENSURE(written == bytes, CLAVE_ERR_CRYPTO, "prg: short keystream");
        if (sign >= 0) {
            for (size_t k = 0; k < part; k++) {
                acc[pos + k] += prg->scratch[k];
            }
        } else {
            for (size_t k = 0; k < part; k++) {
                acc[pos + k] -= prg->scratch[k];
            }
        }
        pos += part;
    }
    st = CLAVE_OK;
done:
    return st;
}

void clave__prg_free(struct clave__prg *prg)
{
    if (prg == NULL) {
        return;
    }
    EVP_CIPHER_CTX_free(prg->ctx);
    clave_wipe(prg->scratch, sizeof(prg->scratch));
    free(prg);
}
