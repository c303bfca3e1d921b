/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Bounded CBOR (RFC 8949) decoding of untrusted input over libcbor, plus a few accessors and a
 * canonical head encoder. Internal to libclave.
 *
 * libcbor's cbor_load() trusts declared container sizes and allocates for them before reading
 * the items, so a five-byte input can ask for gigabytes. clave__cbor_load() therefore first walks
 * the input with libcbor's streaming decoder, enforcing the limits below, and only then builds
 * the tree.
 */
#ifndef CLAVE_CORE_CBOR_H
#define CLAVE_CORE_CBOR_H

#include <cbor.h>
#include <clave/buf.h>
#include <clave/status.h>
#include <stddef.h>
#include <stdint.h>

/* Hard ceiling on nesting, whatever a caller asks for (the pre-scan keeps a fixed stack). */
#define CLAVE_CBOR_DEPTH_CEILING 32

/* Defaults for untrusted documents of moderate size (attestation documents, COSE messages). */
#define CLAVE_CBOR_DEFAULT_MAX_LEN (1024u * 1024u)
#define CLAVE_CBOR_DEFAULT_MAX_DEPTH 16
#define CLAVE_CBOR_DEFAULT_MAX_ITEMS 4096

/* CBOR major types (RFC 8949 section 3.1). */
#define CLAVE_CBOR_MAJOR_UINT 0
#define CLAVE_CBOR_MAJOR_NEGINT 1
#define CLAVE_CBOR_MAJOR_BYTES 2
#define CLAVE_CBOR_MAJOR_TEXT 3
#define CLAVE_CBOR_MAJOR_ARRAY 4
#define CLAVE_CBOR_MAJOR_MAP 5
#define CLAVE_CBOR_MAJOR_TAG 6

struct clave__cbor_limits {
    size_t max_len;   /* input bytes */
    size_t max_depth; /* nesting of arrays, maps and tags; at most CLAVE_CBOR_DEPTH_CEILING */
    size_t max_items; /* data items in total, containers included */
};

/*
 * Decode exactly one data item from `data` (borrowed) under `limits` (NULL = defaults).
 * Rejects: input longer than max_len (CLAVE_ERR_TOO_LARGE), nesting or item count over the limits
 * (CLAVE_ERR_LIMIT), indefinite-length items, maps with duplicate keys or keys that are not
 * integers or strings, malformed CBOR (CLAVE_ERR_CBOR), incomplete input (CLAVE_ERR_TRUNCATED) and
 * trailing bytes (CLAVE_ERR_TRAILING). On success `*out` is a new reference: caller releases it
 * with cbor_decref().
 */
clave_status clave__cbor_load(const uint8_t *data, size_t len,
                              const struct clave__cbor_limits *limits, cbor_item_t **out)
    __attribute__((warn_unused_result));

/* The value of an integer item as int64_t; CLAVE_ERR_CBOR if not an integer or out of range. */
clave_status clave__cbor_int64(const cbor_item_t *item, int64_t *out)
    __attribute__((warn_unused_result));

/* The value of the map entry with integer key `key`, or NULL (borrowed from `map`). */
cbor_item_t *clave__cbor_map_get_int(const cbor_item_t *map, int64_t key);

/* The value of the map entry with text key `key` (NUL-terminated), or NULL (borrowed). */
cbor_item_t *clave__cbor_map_get_text(const cbor_item_t *map, const char *key);

/* Write a head (major type + argument) in its shortest form (RFC 8949 section 4.2.1). */
clave_status clave__cbor_put_head(struct clave_writer *w, uint8_t major, uint64_t value)
    __attribute__((warn_unused_result));

/* Length of the shortest head for `value`: 1, 2, 3, 5 or 9 bytes. */
size_t clave__cbor_head_len(uint64_t value);

#endif
