/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sealed stream: header tag and chunk encryption (docs/formats/sealed.md).
 *
 *   k_header = HKDF-SHA256(ikm = DEK, salt = file_id, info = "clave-seal-v1 header"), 32 bytes
 *   k_chunk  = HKDF-SHA256(ikm = DEK, salt = file_id, info = "clave-seal-v1 chunk"), 32 bytes
 *   prefix   = HKDF-SHA256(ikm = DEK, salt = file_id, info = "clave-seal-v1 nonce"), 4 bytes
 *   nonce_i  = prefix || be64(i)
 *   aad_i    = header_tag (32) || be64(i) || final (1 byte: 1 for the last chunk, else 0)
 *
 * The last chunk holds 0..chunk_size bytes and is the only one with final = 1; a reader knows
 * it has the last chunk when the input ends right after it.
 */
#include "seal/header.h"
#include "seal/stream.h"

#include "core/check.h"

#include <clave/buf.h>
#include <clave/crypto.h>
#include <clave/seal.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_AAD_LEN (CLAVE_SEAL_HEADER_TAG_LEN + 8 + 1)
#define NONCE_PREFIX_LEN 4

static const char WRAP_AAD_LABEL[] = "clave-seal-v1-dek";
_Static_assert(sizeof(WRAP_AAD_LABEL) - 1 + 2 * CLAVE_SEAL_ID_LEN == CLAVE_SEAL_WRAP_AAD_LEN,
               "wrap AAD length");

struct seal_keys {
    uint8_t header[32];
    uint8_t chunk[CLAVE_AEAD_KEY_LEN];
    uint8_t nonce_prefix[NONCE_PREFIX_LEN];
};

void clave_seal_wrap_aad(const uint8_t file_id[CLAVE_SEAL_ID_LEN],
                         const uint8_t dek_id[CLAVE_SEAL_ID_LEN],
                         uint8_t out[CLAVE_SEAL_WRAP_AAD_LEN])
{
    size_t label = sizeof(WRAP_AAD_LABEL) - 1;
    memcpy(out, WRAP_AAD_LABEL, label);
    memcpy(out + label, file_id, CLAVE_SEAL_ID_LEN);
    memcpy(out + label + CLAVE_SEAL_ID_LEN, dek_id, CLAVE_SEAL_ID_LEN);
}

static clave_status derive(const struct clave_secret *dek, const uint8_t *file_id, const char *info,
                           uint8_t *out, size_t len)
{
    return clave_hkdf(CLAVE_HASH_SHA256, file_id, CLAVE_SEAL_ID_LEN, clave_secret_cdata(dek),
                      clave_secret_len(dek), (const uint8_t *)info, strlen(info), out, len);
}

static clave_status derive_keys(const struct clave_secret *dek, const uint8_t *file_id,
                                struct seal_keys *keys)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(clave_secret_len(dek) == CLAVE_SEAL_DEK_LEN, CLAVE_ERR_KEY,
                 "seal: data key must be %d bytes", CLAVE_SEAL_DEK_LEN);
    CLAVE_CHECK(derive(dek, file_id, "clave-seal-v1 header", keys->header, sizeof(keys->header)));
    CLAVE_CHECK(derive(dek, file_id, "clave-seal-v1 chunk", keys->chunk, sizeof(keys->chunk)));
    CLAVE_CHECK(derive(dek, file_id, "clave-seal-v1 nonce", keys->nonce_prefix,
                       sizeof(keys->nonce_prefix)));
    st = CLAVE_OK;
done:
    return st;
}

static void chunk_params(const struct seal_keys *keys, const uint8_t *header_tag, uint64_t index,
                         bool final, uint8_t nonce[CLAVE_AEAD_NONCE_LEN],
                         uint8_t aad[CHUNK_AAD_LEN])
{
    memcpy(nonce, keys->nonce_prefix, NONCE_PREFIX_LEN);
    memcpy(aad, header_tag, CLAVE_SEAL_HEADER_TAG_LEN);
    for (size_t i = 0; i < 8; i++) {
        uint8_t b = (uint8_t)(index >> (56 - 8 * i));
        nonce[NONCE_PREFIX_LEN + i] = b;
        aad[CLAVE_SEAL_HEADER_TAG_LEN + i] = b;
    }
    aad[CHUNK_AAD_LEN - 1] = final ? 1 : 0;
}

clave_status clave__seal_read_full(const struct clave_seal_io *io, uint8_t *buf, size_t len,
                                   size_t *got)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    *got = 0;
    while (*got < len) {
        ssize_t n = io->read(io->ctx, buf + *got, len - *got);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        CLAVE_ENSURE(n >= 0, CLAVE_ERR_IO, "seal: read failed: %s", strerror(errno));
        if (n == 0) {
            break;
        }
        *got += (size_t)n;
    }
    st = CLAVE_OK;
done:
    return st;
}

/* Encrypt one chunk in place in `buf` (plaintext `len` bytes, room for the tag) and write it. */
static clave_status seal_chunk(struct clave_aead *aead, const struct seal_keys *keys,
                               const uint8_t *header_tag, uint64_t index, bool final, uint8_t *buf,
                               size_t len, const struct clave_seal_io *io)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t nonce[CLAVE_AEAD_NONCE_LEN];
    uint8_t aad[CHUNK_AAD_LEN];
    chunk_params(keys, header_tag, index, final, nonce, aad);
    CLAVE_CHECK(clave_aead_seal(aead, nonce, aad, sizeof(aad), buf, len, buf, buf + len));
    CLAVE_CHECK(io->write(io->ctx, buf, len + CLAVE_SEAL_TAG_LEN));
    st = CLAVE_OK;
done:
    return st;
}

static clave_status write_header(const struct seal_keys *keys, size_t chunk_size,
                                 const uint8_t *file_id, const uint8_t *dek_id,
                                 const struct clave_seal_recipient *recipients, size_t count,
                                 const struct clave_seal_io *io, uint8_t *tag_out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t *hdr = NULL;
    size_t hdr_len = 0;
    CLAVE_CHECK(clave__seal_header_build((uint32_t)chunk_size, file_id, dek_id, recipients, count,
                                         &hdr, &hdr_len));
    size_t body = hdr_len - CLAVE_SEAL_HEADER_TAG_LEN;
    CLAVE_CHECK(clave_hmac(CLAVE_HASH_SHA256, keys->header, sizeof(keys->header), hdr, body,
                           hdr + body, CLAVE_SEAL_HEADER_TAG_LEN));
    memcpy(tag_out, hdr + body, CLAVE_SEAL_HEADER_TAG_LEN);
    CLAVE_CHECK(io->write(io->ctx, hdr, hdr_len));
    st = CLAVE_OK;
done:
    free(hdr);
    return st;
}

clave_status clave_seal_stream(const struct clave_secret *dek,
                               const uint8_t file_id[CLAVE_SEAL_ID_LEN],
                               const uint8_t dek_id[CLAVE_SEAL_ID_LEN], size_t chunk_size,
                               const struct clave_seal_recipient *recipients,
                               size_t recipient_count, const struct clave_seal_io *io,
                               uint64_t *plaintext_bytes)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct seal_keys keys;
    struct clave_aead *aead = NULL;
    uint8_t header_tag[CLAVE_SEAL_HEADER_TAG_LEN];
    uint8_t *buf = NULL;
    uint64_t total = 0;
    size_t filled = 0;
    uint64_t index = 0;
    if (plaintext_bytes != NULL) {
        *plaintext_bytes = 0;
    }
    chunk_size = chunk_size == 0 ? CLAVE_SEAL_CHUNK_DEFAULT : chunk_size;
    CLAVE_CHECK(clave__seal_check_chunk_size(chunk_size));
    CLAVE_CHECK(derive_keys(dek, file_id, &keys));
    CLAVE_CHECK(write_header(&keys, chunk_size, file_id, dek_id, recipients, recipient_count, io,
                             header_tag));
    CLAVE_CHECK(clave_aead_new(CLAVE_AEAD_AES256GCM, keys.chunk, &aead));
    /* One chunk plus its tag plus one byte of look-ahead to learn whether more input follows. */
    buf = malloc(chunk_size + CLAVE_SEAL_TAG_LEN + 1);
    CLAVE_ENSURE_ALLOC(buf);
    CLAVE_CHECK(clave__seal_read_full(io, buf, chunk_size + 1, &filled));
    while (filled == chunk_size + 1) {
        uint8_t carry = buf[chunk_size];
        CLAVE_CHECK(seal_chunk(aead, &keys, header_tag, index++, false, buf, chunk_size, io));
        total += chunk_size;
        buf[0] = carry;
        CLAVE_CHECK(clave__seal_read_full(io, buf + 1, chunk_size, &filled));
        filled += 1;
    }
    CLAVE_CHECK(seal_chunk(aead, &keys, header_tag, index, true, buf, filled, io));
    total += filled;
    if (plaintext_bytes != NULL) {
        *plaintext_bytes = total;
    }
    st = CLAVE_OK;
done:
    if (buf != NULL) {
        clave_wipe(buf, chunk_size + CLAVE_SEAL_TAG_LEN + 1);
    }
    free(buf);
    clave_aead_free(aead);
    clave_wipe(&keys, sizeof(keys));
    return st;
}

static clave_status verify_header(const struct clave_seal_header *hdr, const struct seal_keys *keys)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    size_t body = hdr->raw_len - CLAVE_SEAL_HEADER_TAG_LEN;
    if (clave_hmac_verify(CLAVE_HASH_SHA256, keys->header, sizeof(keys->header), hdr->raw, body,
                          hdr->raw + body, CLAVE_SEAL_HEADER_TAG_LEN) != CLAVE_OK) {
        CLAVE_RAISE(CLAVE_ERR_AUTH,
                    "seal: header authentication failed (wrong data key or edited header)");
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status open_chunk(struct clave_aead *aead, const struct seal_keys *keys,
                               const uint8_t *header_tag, uint64_t index, bool final, uint8_t *buf,
                               size_t len, const struct clave_seal_io *io)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t nonce[CLAVE_AEAD_NONCE_LEN];
    uint8_t aad[CHUNK_AAD_LEN];
    size_t pt_len = len - CLAVE_SEAL_TAG_LEN;
    chunk_params(keys, header_tag, index, final, nonce, aad);
    if (clave_aead_open(aead, nonce, aad, sizeof(aad), buf, pt_len, buf + pt_len, buf) !=
        CLAVE_OK) {
        CLAVE_RAISE(CLAVE_ERR_TAMPERED,
                    "seal: chunk %llu failed authentication (data modified, reordered, truncated "
                    "or extended)",
                    (unsigned long long)index);
    }
    CLAVE_CHECK(io->write(io->ctx, buf, pt_len));
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_unseal_stream(const struct clave_seal_header *hdr,
                                 const struct clave_secret *dek, const struct clave_seal_io *io,
                                 uint64_t *plaintext_bytes)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct seal_keys keys;
    struct clave_aead *aead = NULL;
    uint8_t *buf = NULL;
    size_t chunk_len = (size_t)hdr->chunk_size + CLAVE_SEAL_TAG_LEN;
    const uint8_t *header_tag = hdr->raw + hdr->raw_len - CLAVE_SEAL_HEADER_TAG_LEN;
    size_t filled = 0;
    uint64_t index = 0;
    uint64_t total = 0;
    if (plaintext_bytes != NULL) {
        *plaintext_bytes = 0;
    }
    CLAVE_CHECK(derive_keys(dek, hdr->file_id, &keys));
    CLAVE_CHECK(verify_header(hdr, &keys));
    CLAVE_CHECK(clave_aead_new(CLAVE_AEAD_AES256GCM, keys.chunk, &aead));
    buf = malloc(chunk_len + 1);
    CLAVE_ENSURE_ALLOC(buf);
    CLAVE_CHECK(clave__seal_read_full(io, buf, chunk_len + 1, &filled));
    while (filled == chunk_len + 1) {
        uint8_t carry = buf[chunk_len];
        CLAVE_CHECK(open_chunk(aead, &keys, header_tag, index++, false, buf, chunk_len, io));
        total += hdr->chunk_size;
        buf[0] = carry;
        CLAVE_CHECK(clave__seal_read_full(io, buf + 1, chunk_len, &filled));
        filled += 1;
    }
    CLAVE_ENSURE(filled >= CLAVE_SEAL_TAG_LEN, CLAVE_ERR_TAMPERED,
                 "seal: input ends inside chunk %llu (truncated)", (unsigned long long)index);
    CLAVE_CHECK(open_chunk(aead, &keys, header_tag, index, true, buf, filled, io));
    total += filled - CLAVE_SEAL_TAG_LEN;
    if (plaintext_bytes != NULL) {
        *plaintext_bytes = total;
    }
    st = CLAVE_OK;
done:
    if (buf != NULL) {
        clave_wipe(buf, chunk_len + 1);
    }
    free(buf);
    clave_aead_free(aead);
    clave_wipe(&keys, sizeof(keys));
    return st;
}
