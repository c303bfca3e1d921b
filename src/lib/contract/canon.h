/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Canonical CBOR writing (RFC 8949 section 4.2.1 "core deterministic encoding") over a
 * clave_writer: shortest heads, definite lengths only, map keys in bytewise order of their
 * encodings, no duplicates, no floats.
 *
 * libcbor's serializer is not used: it writes integers at the width the item was built with and
 * map entries in insertion order, so it cannot promise this form. These writers can: a map is
 * written through `struct canon_map`, which refuses a key that does not sort after the previous
 * one, so a wrong key order in the encoder is a CLAVE_ERR_INTERNAL, never a silently
 * non-canonical document.
 */
#ifndef CLAVE_CONTRACT_CANON_H
#define CLAVE_CONTRACT_CANON_H

#include <cbor.h>
#include <clave/buf.h>
#include <clave/status.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A map being written with text keys: counts entries and checks their order. */
struct canon_map {
    struct clave_writer *w;
    const char *prev; /* previous key, NULL before the first */
    size_t prev_len;
    size_t left;
};

clave_status clave__canon_map_begin(struct clave_writer *w, size_t entries, struct canon_map *m)
    __attribute__((warn_unused_result));
clave_status clave__canon_key(struct canon_map *m, const char *key)
    __attribute__((warn_unused_result));
clave_status clave__canon_map_end(const struct canon_map *m) __attribute__((warn_unused_result));

clave_status clave__canon_uint(struct clave_writer *w, uint64_t v)
    __attribute__((warn_unused_result));
clave_status clave__canon_int(struct clave_writer *w, int64_t v)
    __attribute__((warn_unused_result));
clave_status clave__canon_text(struct clave_writer *w, const char *s, size_t len)
    __attribute__((warn_unused_result));
clave_status clave__canon_bytes(struct clave_writer *w, const uint8_t *b, size_t len)
    __attribute__((warn_unused_result));
clave_status clave__canon_bool(struct clave_writer *w, bool v) __attribute__((warn_unused_result));
clave_status clave__canon_null(struct clave_writer *w) __attribute__((warn_unused_result));
clave_status clave__canon_array(struct clave_writer *w, size_t n)
    __attribute__((warn_unused_result));

/* Order of two text keys by their encodings: shorter first, then bytewise (< 0, 0, > 0). */
int clave__canon_text_cmp(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len);

/* Strict UTF-8 (no overlongs, surrogates or code points above U+10FFFF) without NUL. */
bool clave__canon_utf8_ok(const uint8_t *s, size_t len);

/*
 * Re-encode a decoded item canonically. Only the JSON data model is accepted: maps with text
 * keys, arrays, text, integers in int64 range, true, false, null. `where` names the item in
 * errors; `depth` counts the levels still allowed.
 */
clave_status clave__canon_item(struct clave_writer *w, const cbor_item_t *item, const char *where,
                               size_t depth) __attribute__((warn_unused_result));

/* The canonical CBOR of a JSON value (same data model; reals are refused). */
clave_status clave__canon_json(struct clave_writer *w, const json_t *v, const char *where,
                               size_t depth) __attribute__((warn_unused_result));

/* Canonical CBOR (JSON data model) back to JSON; a new reference. */
clave_status clave__canon_to_json(const cbor_item_t *item, json_t **out)
    __attribute__((warn_unused_result));

#endif
