/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The sealed data format (docs/formats/sealed.md): a header authenticated under the data key
 * (DEK), then fixed-size AES-256-GCM chunks whose nonce and AAD bind the file, the chunk index and
 * a final-chunk flag, so reordering, truncation, extension and edits are all detected.
 *
 * This module formats and streams; it does not know keyrings. The caller wraps the DEK for each
 * recipient (keyring KEK, public JWK, key broker) and hands the wrapped bytes in; on the way back
 * it reads the recipients from the parsed header, unwraps the DEK itself, and passes it here.
 * Streaming uses constant memory: about two chunks.
 */
#ifndef CLAVE_SEAL_H
#define CLAVE_SEAL_H

#include <clave/secret.h>
#include <clave/status.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CLAVE_SEAL_MAGIC "CLAVSEAL"
#define CLAVE_SEAL_MAGIC_LEN 8
#define CLAVE_SEAL_VERSION 1
#define CLAVE_SEAL_ALG_AES256GCM_HKDF_SHA256 1
#define CLAVE_SEAL_DEK_LEN 32
#define CLAVE_SEAL_ID_LEN 16
#define CLAVE_SEAL_TAG_LEN 16
#define CLAVE_SEAL_HEADER_TAG_LEN 32
#define CLAVE_SEAL_HEADER_MAX (64 * 1024)
#define CLAVE_SEAL_CHUNK_DEFAULT (64 * 1024)
#define CLAVE_SEAL_CHUNK_MIN 1024
#define CLAVE_SEAL_CHUNK_MAX (16 * 1024 * 1024)
#define CLAVE_SEAL_RECIPIENTS_MAX 16
#define CLAVE_SEAL_KEY_ID_MAX 63
#define CLAVE_SEAL_WRAPPED_MAX 4096

/** How a recipient entry wraps the DEK. */
enum clave_seal_wrap {
    CLAVE_SEAL_WRAP_KEK = 1, /* AES-256-GCM under a keyring KEK (clave_keyring_wrap) */
    CLAVE_SEAL_WRAP_JWE = 2, /* compact JWE (ECDH-ES+A256KW or RSA-OAEP-256, A256GCM) */
};

/** One wrapped copy of the DEK. Pointers are borrowed. */
struct clave_seal_recipient {
    enum clave_seal_wrap wrap;
    const char *key_id; /* printable ASCII, 1..CLAVE_SEAL_KEY_ID_MAX bytes */
    const uint8_t *wrapped;
    size_t wrapped_len; /* 1..CLAVE_SEAL_WRAPPED_MAX */
};

/** Byte source and sink for streaming. `read` returns bytes read (0 at end) or -1 with errno. */
struct clave_seal_io {
    ssize_t (*read)(void *ctx, uint8_t *buf, size_t len);
    clave_status (*write)(void *ctx, const uint8_t *buf, size_t len);
    void *ctx;
};

struct clave_seal_header;

/**
 * The AAD a wrapper should bind into each wrapped DEK: "clave-seal-v1-dek" || file_id || dek_id.
 * Written into `out` (capacity >= CLAVE_SEAL_WRAP_AAD_LEN).
 */
#define CLAVE_SEAL_WRAP_AAD_LEN (17 + 2 * CLAVE_SEAL_ID_LEN)
CLAVE_API void clave_seal_wrap_aad(const uint8_t file_id[CLAVE_SEAL_ID_LEN],
                                   const uint8_t dek_id[CLAVE_SEAL_ID_LEN],
                                   uint8_t out[CLAVE_SEAL_WRAP_AAD_LEN]);

/**
 * Seal everything `io` reads into what it writes: header, then chunks.
 * `dek`: 32 bytes (borrowed). `file_id`: fresh random per file (see clave_random). `chunk_size`:
 * CLAVE_SEAL_CHUNK_MIN..MAX (0 = default). `recipients`: 1..CLAVE_SEAL_RECIPIENTS_MAX entries.
 * `plaintext_bytes` (may be NULL) receives the count sealed.
 */
CLAVE_API CLAVE_MUST_USE clave_status
clave_seal_stream(const struct clave_secret *dek, const uint8_t file_id[CLAVE_SEAL_ID_LEN],
                  const uint8_t dek_id[CLAVE_SEAL_ID_LEN], size_t chunk_size,
                  const struct clave_seal_recipient *recipients, size_t recipient_count,
                  const struct clave_seal_io *io, uint64_t *plaintext_bytes);

/**
 * Read and parse the header from `io` (not yet authenticated: nothing in it may be trusted
 * until clave_unseal_stream has verified its tag under the DEK). Caller frees `*out`.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_seal_header_read(const struct clave_seal_io *io,
                                                             struct clave_seal_header **out);

/** Parse a header from memory; `*consumed` gets its length. Caller frees `*out`. */
CLAVE_API CLAVE_MUST_USE clave_status clave_seal_header_parse(const uint8_t *buf, size_t len,
                                                              struct clave_seal_header **out,
                                                              size_t *consumed);

CLAVE_API void clave_seal_header_free(struct clave_seal_header *hdr);
CLAVE_API uint16_t clave_seal_header_version(const struct clave_seal_header *hdr);
CLAVE_API uint16_t clave_seal_header_algorithm(const struct clave_seal_header *hdr);
CLAVE_API size_t clave_seal_header_chunk_size(const struct clave_seal_header *hdr);
CLAVE_API size_t clave_seal_header_len(const struct clave_seal_header *hdr);
CLAVE_API const uint8_t *clave_seal_header_file_id(const struct clave_seal_header *hdr);
CLAVE_API const uint8_t *clave_seal_header_dek_id(const struct clave_seal_header *hdr);
CLAVE_API size_t clave_seal_header_recipient_count(const struct clave_seal_header *hdr);
/** Recipient `index`; its pointers are borrowed from `hdr`. */
CLAVE_API CLAVE_MUST_USE clave_status clave_seal_header_recipient(
    const struct clave_seal_header *hdr, size_t index, struct clave_seal_recipient *out);

/** The header as JSON text (no secrets: ids, sizes, recipients' ids and wrap kinds). Caller
 * frees with free(). */
CLAVE_API CLAVE_MUST_USE clave_status clave_seal_header_json(const struct clave_seal_header *hdr,
                                                             char **json);

/**
 * Authenticate the header under `dek`, then decrypt the chunks that follow it in `io` (the
 * header must already have been read from the same `io`). Plaintext of a chunk is written only
 * after that chunk authenticated; on CLAVE_ERR_TAMPERED the caller must discard what was
 * written before (the CLI writes to a temporary file and renames only on success).
 * Errors: CLAVE_ERR_AUTH (wrong DEK / header edited), CLAVE_ERR_TAMPERED (a chunk).
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_unseal_stream(const struct clave_seal_header *hdr,
                                                          const struct clave_secret *dek,
                                                          const struct clave_seal_io *io,
                                                          uint64_t *plaintext_bytes);

/** io over file descriptors (borrowed): reads `ctx->in`, writes `ctx->out`. */
struct clave_seal_fds {
    int in;
    int out;
};
CLAVE_API struct clave_seal_io clave_seal_io_fds(struct clave_seal_fds *fds);

/** io over memory: reads `in`, appends to a growing buffer (`out`, caller frees `out.data`). */
struct clave_seal_mem {
    const uint8_t *in;
    size_t in_len;
    size_t in_pos;
    uint8_t *out;
    size_t out_len;
    size_t out_cap;
    size_t out_max; /* refuse to grow past this (CLAVE_ERR_LIMIT) */
};
CLAVE_API struct clave_seal_io clave_seal_io_mem(struct clave_seal_mem *mem);

#ifdef __cplusplus
}
#endif
#endif
