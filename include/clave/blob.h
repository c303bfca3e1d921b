/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Blob store: content-addressed immutable objects on the local filesystem.
 *
 * A blob's id is the lower-case hex SHA-256 of its content (64 characters). Callers never supply
 * paths: every operation takes an id, which must pass clave_blob_id_valid (exactly 64 characters
 * of [0-9a-f]), and the file name is built from it alone, so path traversal is impossible by
 * construction.
 *
 * Layout under the root directory:
 *     <root>/ab/cd/abcd...(64 hex)   a blob (two levels of fan-out: the first 2 and next 2 hex)
 *     <root>/tmp/put-<random>        a put in progress (removed on failure)
 * A put streams into a temporary file while hashing, enforces the size limit, fsyncs it, renames
 * it to its final name and fsyncs the directory: a crash leaves either the whole blob or none.
 * Puts of the same content race harmlessly (same name, same bytes). A get re-hashes what it reads
 * and reports CLAVE_ERR_TAMPERED if the content no longer matches the id.
 *
 * Thread-safety: a `struct clave_blob_store` holds only a directory handle and its limits; it
 * may be used from several threads and processes at once.
 */
#ifndef CLAVE_BLOB_H
#define CLAVE_BLOB_H

#include <clave/status.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Characters in a blob id (hex SHA-256), without the terminating NUL. */
#define CLAVE_BLOB_ID_LEN 64
/** Buffer size for an id with its NUL. */
#define CLAVE_BLOB_ID_SIZE (CLAVE_BLOB_ID_LEN + 1)

/** Default maximum blob size when the config says 0: 1 GiB. */
#define CLAVE_BLOB_DEFAULT_MAX_SIZE (UINT64_C(1) << 30)

struct clave_blob_config {
    const char *root;  /* directory; created (mode 0700) if missing, its parent must exist */
    uint64_t max_size; /* largest blob a put accepts, in bytes; 0 means the default */
};

struct clave_blob_store;

/**
 * Open (creating if needed) a blob store rooted at `cfg->root`. `cfg` is borrowed.
 * Returns CLAVE_ERR_ARG for a missing root, CLAVE_ERR_IO if it cannot be created or opened.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_blob_store_open(const struct clave_blob_config *cfg,
                                                            struct clave_blob_store **out);

/** Close the store. NULL is a no-op. */
CLAVE_API void clave_blob_store_close(struct clave_blob_store *store);

/** True iff `id` is exactly 64 characters of [0-9a-f] followed by a NUL. NULL is invalid. */
CLAVE_API bool clave_blob_id_valid(const char *id);

/**
 * Source of a streaming put: copy up to `cap` bytes into `buf` and set `*got`; `*got == 0` means
 * the end of the content. Any status other than CLAVE_OK aborts the put with that status.
 */
typedef clave_status (*clave_blob_read_fn)(void *arg, uint8_t *buf, size_t cap, size_t *got);

/** Sink of a streaming get: consume `len` bytes. A failure aborts the get with that status. */
typedef clave_status (*clave_blob_write_fn)(void *arg, const uint8_t *buf, size_t len);

/**
 * Store the content produced by `source(arg, ...)`. On success `id` (CLAVE_BLOB_ID_SIZE bytes)
 * gets the blob id and `size` (may be NULL) its length. Returns CLAVE_ERR_TOO_LARGE as soon as the
 * content exceeds the store's max_size (the temporary file is removed, nothing is stored),
 * CLAVE_ERR_IO on a filesystem failure, or the source's own failure.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_blob_put(struct clave_blob_store *store,
                                                     clave_blob_read_fn source, void *arg,
                                                     char id[CLAVE_BLOB_ID_SIZE], uint64_t *size);

/** clave_blob_put reading from file descriptor `fd` (borrowed, read until end of file). */
CLAVE_API CLAVE_MUST_USE clave_status clave_blob_put_fd(struct clave_blob_store *store, int fd,
                                                        char id[CLAVE_BLOB_ID_SIZE],
                                                        uint64_t *size);

/** clave_blob_put of `len` bytes at `data` (borrowed). */
CLAVE_API CLAVE_MUST_USE clave_status clave_blob_put_buf(struct clave_blob_store *store,
                                                         const uint8_t *data, size_t len,
                                                         char id[CLAVE_BLOB_ID_SIZE]);

/**
 * Stream blob `id` to `sink(arg, ...)` in chunks, hashing as it goes. The content is verified
 * only at the end: if it returns CLAVE_ERR_TAMPERED (stored bytes no longer match the id), the
 * sink has already seen bad bytes and must discard them. `size` (may be NULL) gets the length.
 * Returns CLAVE_ERR_ARG for an invalid id, CLAVE_ERR_NOT_FOUND if absent, CLAVE_ERR_IO,
 * CLAVE_ERR_TAMPERED, or the sink's own failure.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_blob_get(struct clave_blob_store *store, const char *id,
                                                     clave_blob_write_fn sink, void *arg,
                                                     uint64_t *size);

/** clave_blob_get writing to file descriptor `fd` (borrowed). */
CLAVE_API CLAVE_MUST_USE clave_status clave_blob_get_fd(struct clave_blob_store *store,
                                                        const char *id, int fd, uint64_t *size);

/**
 * Read a whole blob of at most `max_len` bytes into a new buffer, verified before it is returned.
 * `*out` (caller frees with free()) and `*len` are set on success only. CLAVE_ERR_TOO_LARGE if the
 * blob is longer than `max_len`; otherwise as clave_blob_get.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_blob_get_buf(struct clave_blob_store *store,
                                                         const char *id, size_t max_len,
                                                         uint8_t **out, size_t *len);

/**
 * Open blob `id` for reading after verifying its whole content against the id, to serve a large
 * blob without holding it in memory. `*fd` (caller closes) reads the verified bytes from offset 0:
 * blobs are written once (temp file + rename) and never rewritten in place, so the descriptor
 * keeps them even if the id is deleted or stored again meanwhile. `*size` gets the length.
 * CLAVE_ERR_TOO_LARGE if the blob is longer than `max_len`; otherwise as clave_blob_get. `*fd` is
 * -1 on failure.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_blob_open(struct clave_blob_store *store,
                                                      const char *id, uint64_t max_len, int *fd,
                                                      uint64_t *size);

/** Size of blob `id` without reading it. CLAVE_ERR_ARG (invalid id), CLAVE_ERR_NOT_FOUND. */
CLAVE_API CLAVE_MUST_USE clave_status clave_blob_stat(struct clave_blob_store *store,
                                                      const char *id, uint64_t *size);

/** Remove blob `id`. CLAVE_ERR_ARG (invalid id), CLAVE_ERR_NOT_FOUND if absent, CLAVE_ERR_IO. */
CLAVE_API CLAVE_MUST_USE clave_status clave_blob_delete(struct clave_blob_store *store,
                                                        const char *id);

#ifdef __cplusplus
}
#endif
#endif
