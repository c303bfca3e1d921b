/* SPDX-License-Identifier: Apache-2.0 */
/* Whole-file reads with a size cap, and crash-safe replacement of small files. */
#ifndef CLAVE_KEYS_FILEIO_H
#define CLAVE_KEYS_FILEIO_H

#include <clave/status.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Read the regular file `path` (at most `max` bytes) into a new NUL-terminated buffer.
 * CLAVE_ERR_NOT_FOUND if absent, CLAVE_ERR_TOO_LARGE past `max`. Caller frees `*out`. */
clave_status clave__file_read(const char *path, size_t max, char **out, size_t *out_len);

/*
 * Write `data` to `path` so that a crash at any point leaves either the old file or the new one,
 * never a mix: a temporary file in the same directory (O_EXCL, mode 0600), fsync, then rename
 * (or, with `exclusive`, link: CLAVE_ERR_EXISTS if `path` exists), then fsync of the directory.
 * On failure the temporary file is removed.
 */
clave_status clave__file_write_atomic(const char *path, const uint8_t *data, size_t len,
                                      bool exclusive);

#endif
