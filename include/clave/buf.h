/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Bounded cursors over bytes: `clave_reader` for untrusted input, `clave_writer` for output with a
 * hard capacity.
 *
 * These two structs are deliberately transparent (an exception to "structs are opaque"): they are
 * small value types that parsers keep on the stack. Touch their fields only through the functions
 * below; all pointer arithmetic on input happens here. Every read checks `n > len - pos` before it
 * moves, and the cursor moves only on success. Failures record a detail naming the offset.
 */
#ifndef CLAVE_BUF_H
#define CLAVE_BUF_H

#include <clave/status.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct clave_reader {
    const uint8_t *data; /* borrowed */
    size_t len;
    size_t pos;
};

/** Width and byte order of a length prefix. */
enum clave_len_prefix {
    CLAVE_LEN_U8,
    CLAVE_LEN_U16BE,
    CLAVE_LEN_U16LE,
    CLAVE_LEN_U32BE,
    CLAVE_LEN_U32LE,
};

/** Start reading `len` bytes at `data` (borrowed; must outlive the reader). */
CLAVE_API void clave_reader_init(struct clave_reader *r, const uint8_t *data, size_t len);

/** Bytes not yet read. */
CLAVE_API size_t clave_reader_remaining(const struct clave_reader *r);

CLAVE_API CLAVE_MUST_USE clave_status clave_reader_u8(struct clave_reader *r, uint8_t *out);
CLAVE_API CLAVE_MUST_USE clave_status clave_reader_u16be(struct clave_reader *r, uint16_t *out);
CLAVE_API CLAVE_MUST_USE clave_status clave_reader_u16le(struct clave_reader *r, uint16_t *out);
CLAVE_API CLAVE_MUST_USE clave_status clave_reader_u32be(struct clave_reader *r, uint32_t *out);
CLAVE_API CLAVE_MUST_USE clave_status clave_reader_u32le(struct clave_reader *r, uint32_t *out);
CLAVE_API CLAVE_MUST_USE clave_status clave_reader_u64be(struct clave_reader *r, uint64_t *out);
CLAVE_API CLAVE_MUST_USE clave_status clave_reader_u64le(struct clave_reader *r, uint64_t *out);

/** Copy the next `n` bytes into `out` (caller's buffer of at least `n` bytes). */
CLAVE_API CLAVE_MUST_USE clave_status clave_reader_bytes(struct clave_reader *r, uint8_t *out,
                                                         size_t n);

/** Point `*out` at the next `n` bytes without copying (borrowed from the reader's data). */
CLAVE_API CLAVE_MUST_USE clave_status clave_reader_view(struct clave_reader *r, size_t n,
                                                        const uint8_t **out);

/** Skip `n` bytes. */
CLAVE_API CLAVE_MUST_USE clave_status clave_reader_skip(struct clave_reader *r, size_t n);

/** Skip `n` bytes that must all be zero (reserved fields); CLAVE_ERR_FORMAT otherwise. */
CLAVE_API CLAVE_MUST_USE clave_status clave_reader_zeros(struct clave_reader *r, size_t n);

/**
 * Read a length prefix of the given width, check it against `max`, then view that many bytes.
 * Returns CLAVE_ERR_TOO_LARGE if the length exceeds `max`, CLAVE_ERR_TRUNCATED if the input is
 * shorter. On failure the cursor does not move.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_reader_lenprefixed(struct clave_reader *r,
                                                               enum clave_len_prefix width,
                                                               size_t max, const uint8_t **out,
                                                               size_t *out_len);

/** A sub-reader over the next `n` bytes; the parent moves past them. */
CLAVE_API CLAVE_MUST_USE clave_status clave_reader_sub(struct clave_reader *r, size_t n,
                                                       struct clave_reader *sub);

/** CLAVE_ERR_TRAILING unless every byte has been read. */
CLAVE_API CLAVE_MUST_USE clave_status clave_reader_expect_end(const struct clave_reader *r);

struct clave_writer {
    uint8_t *data; /* borrowed */
    size_t cap;
    size_t len;
};

/** Start writing into `data` (borrowed) of capacity `cap`. */
CLAVE_API void clave_writer_init(struct clave_writer *w, uint8_t *data, size_t cap);

CLAVE_API CLAVE_MUST_USE clave_status clave_writer_u8(struct clave_writer *w, uint8_t v);
CLAVE_API CLAVE_MUST_USE clave_status clave_writer_u16be(struct clave_writer *w, uint16_t v);
CLAVE_API CLAVE_MUST_USE clave_status clave_writer_u16le(struct clave_writer *w, uint16_t v);
CLAVE_API CLAVE_MUST_USE clave_status clave_writer_u32be(struct clave_writer *w, uint32_t v);
CLAVE_API CLAVE_MUST_USE clave_status clave_writer_u32le(struct clave_writer *w, uint32_t v);
CLAVE_API CLAVE_MUST_USE clave_status clave_writer_u64be(struct clave_writer *w, uint64_t v);
CLAVE_API CLAVE_MUST_USE clave_status clave_writer_u64le(struct clave_writer *w, uint64_t v);
CLAVE_API CLAVE_MUST_USE clave_status clave_writer_bytes(struct clave_writer *w,
                                                         const uint8_t *data, size_t n);

/** Write a length prefix of the given width followed by the bytes; fails if `n` exceeds `max`
 * or the width. */
CLAVE_API CLAVE_MUST_USE clave_status clave_writer_lenprefixed(struct clave_writer *w,
                                                               enum clave_len_prefix width,
                                                               size_t max, const uint8_t *data,
                                                               size_t n);

#ifdef __cplusplus
}
#endif
#endif
