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
#define PRG_CHUNK_WORDS                                                                            \
    1024 /* 8 KiB of keystream per call: it and the accumulator's chunk stay in L1 */
#define PRG_FILL_BYTES 65536 /* zero input per EVP call when filling a caller's buffer */
#define PRG_LANES 8          /* words per vector addition (one 512-bit register, or two or four) */

static const uint8_t ZEROS[PRG_FILL_BYTES];

struct clave__prg {
    EVP_CIPHER_CTX *ctx;
};

typedef uint64_t lanes_t __attribute__((vector_size(PRG_LANES * sizeof(uint64_t))));
typedef uint32_t lanes32_t __attribute__((vector_size(PRG_LANES * sizeof(uint32_t))));

/*
 * acc[k] += sign * ks[k] without a branch per element: whole vectors through the compiler's
 * vector extension (memcpy keeps unaligned accesses defined), compiled once per instruction set
 * and picked at load time on x86-64 (AVX-512, AVX2, or SSE2).
 */
#if defined(__x86_64__) && defined(__GNUC__)
#define PRG_TARGETS __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define PRG_TARGETS
#endif
PRG_TARGETS static void add_words(uint64_t *restrict acc, const uint64_t *restrict ks, size_t n)
{
    size_t k = 0;
    for (; k + PRG_LANES <= n; k += PRG_LANES) {
        lanes_t a, b;
        memcpy(&a, acc + k, sizeof(a));
        memcpy(&b, ks + k, sizeof(b));
        a += b;
        memcpy(acc + k, &a, sizeof(a));
    }
    for (; k < n; k++) {
        acc[k] += ks[k];
    }
}

PRG_TARGETS static void sub_words(uint64_t *restrict acc, const uint64_t *restrict ks, size_t n)
{
    size_t k = 0;
    for (; k + PRG_LANES <= n; k += PRG_LANES) {
        lanes_t a, b;
        memcpy(&a, acc + k, sizeof(a));
        memcpy(&b, ks + k, sizeof(b));
        a -= b;
        memcpy(acc + k, &a, sizeof(a));
    }
    for (; k < n; k++) {
        acc[k] -= ks[k];
    }
}

PRG_TARGETS static void add_le(uint64_t *restrict acc, const uint8_t *restrict src, size_t n)
{
    size_t k = 0;
    for (; k + PRG_LANES <= n; k += PRG_LANES) {
        lanes_t a, b;
        memcpy(&a, acc + k, sizeof(a));
        memcpy(&b, src + k * sizeof(uint64_t), sizeof(b));
        a += b;
        memcpy(acc + k, &a, sizeof(a));
    }
    for (; k < n; k++) {
        uint64_t w = 0;
        memcpy(&w, src + k * sizeof(uint64_t), sizeof(w));
        acc[k] += w;
    }
}

/* acc[k] +/-= the k-th u32le word of `src`, zero-extended (`sign` >= 0: add). */
PRG_TARGETS static void add_le32(uint64_t *restrict acc, const uint8_t *restrict src, size_t n,
                                 int sign)
{
    size_t k = 0;
    for (; k + PRG_LANES <= n; k += PRG_LANES) {
        lanes_t a;
        lanes32_t b32;
        memcpy(&a, acc + k, sizeof(a));
        memcpy(&b32, src + k * sizeof(uint32_t), sizeof(b32));
        lanes_t b = __builtin_convertvector(b32, lanes_t);
        a = sign >= 0 ? a + b : a - b;
        memcpy(acc + k, &a, sizeof(a));
    }
    for (; k < n; k++) {
        uint32_t w = 0;
        memcpy(&w, src + k * sizeof(uint32_t), sizeof(w));
        acc[k] = sign >= 0 ? acc[k] + w : acc[k] - w;
    }
}

void clave__words_add_le32(uint64_t *acc, const uint8_t *src, size_t n)
{
    add_le32(acc, src, n, 1);
}

/* Not cloned itself: clang 14 emits no plain symbol for an external target_clones function. */
void clave__words_add_le(uint64_t *acc, const uint8_t *src, size_t n)
{
    add_le(acc, src, n);
}

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

/* Keystream = AES-CTR of zeros, encrypted straight into the caller's buffer (one pass). */
clave_status clave__prg_fill(struct clave__prg *prg, uint64_t *out, size_t len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t *bytes = (uint8_t *)out;
    size_t total = 0;
    CLAVE_ENSURE(!__builtin_mul_overflow(len, sizeof(uint64_t), &total), CLAVE_ERR_ARG,
                 "prg: length overflows");
    while (total > 0) {
        int part = total > PRG_FILL_BYTES ? PRG_FILL_BYTES : (int)total;
        int written = 0;
        CLAVE_CHECK_OSSL(EVP_EncryptUpdate(prg->ctx, bytes, &written, ZEROS, part),
                         CLAVE_ERR_CRYPTO, "prg: AES-256-CTR");
        CLAVE_ENSURE(written == part, CLAVE_ERR_CRYPTO, "prg: short keystream");
        bytes += part;
        total -= (size_t)part;
    }
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave__prg_accumulate_many(struct clave__prg *const *prgs, const int *signs,
                                        size_t count, uint64_t *acc, size_t len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint64_t ks[PRG_CHUNK_WORDS];
    for (size_t pos = 0; pos < len; pos += PRG_CHUNK_WORDS) {
        size_t part = len - pos < PRG_CHUNK_WORDS ? len - pos : PRG_CHUNK_WORDS;
        int bytes = (int)(part * sizeof(uint64_t));
        for (size_t i = 0; i < count; i++) {
            int written = 0;
            CLAVE_CHECK_OSSL(EVP_EncryptUpdate(prgs[i]->ctx, (uint8_t *)ks, &written, ZEROS, bytes),
                             CLAVE_ERR_CRYPTO, "prg: AES-256-CTR");
            CLAVE_ENSURE(written == bytes, CLAVE_ERR_CRYPTO, "prg: short keystream");
            if (signs[i] >= 0) {
                add_words(acc + pos, ks, part);
            } else {
                sub_words(acc + pos, ks, part);
            }
        }
    }
    st = CLAVE_OK;
done:
    clave_wipe(ks, sizeof(ks));
    return st;
}

clave_status clave__prg_accumulate_many32(struct clave__prg *const *prgs, const int *signs,
                                          size_t count, uint64_t *acc, size_t len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint32_t ks[2 * PRG_CHUNK_WORDS]; /* the same 8 KiB of keystream per EVP call */
    for (size_t pos = 0; pos < len; pos += 2 * PRG_CHUNK_WORDS) {
        size_t part = len - pos < 2 * PRG_CHUNK_WORDS ? len - pos : 2 * PRG_CHUNK_WORDS;
        int bytes = (int)(part * sizeof(uint32_t));
        for (size_t i = 0; i < count; i++) {
            int written = 0;
            CLAVE_CHECK_OSSL(EVP_EncryptUpdate(prgs[i]->ctx, (uint8_t *)ks, &written, ZEROS, bytes),
                             CLAVE_ERR_CRYPTO, "prg: AES-256-CTR");
            CLAVE_ENSURE(written == bytes, CLAVE_ERR_CRYPTO, "prg: short keystream");
            add_le32(acc + pos, (const uint8_t *)ks, part, signs[i]);
        }
    }
    st = CLAVE_OK;
done:
    clave_wipe(ks, sizeof(ks));
    return st;
}

clave_status clave__prg_accumulate(struct clave__prg *prg, uint64_t *acc, size_t len, int sign)
{
    return clave__prg_accumulate_many(&prg, &sign, 1, acc, len);
}

void clave__prg_free(struct clave__prg *prg)
{
    if (prg == NULL) {
        return;
    }
    EVP_CIPHER_CTX_free(prg->ctx);
    free(prg);
}
