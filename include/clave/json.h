/* SPDX-License-Identifier: Apache-2.0 */
/*
 * JSON over jansson with limits: size and nesting depth are capped before parsing, duplicate keys
 * are rejected, and typed getters validate each field, failing with an error that names it
 * ("contract.parties[2].key: expected string").
 *
 * `where` arguments name the object being read ("contract.parties[2]"); build them with
 * clave_json_path_key()/clave_json_path_index(). Values returned through `const char **` or
 * `json_t **` are borrowed from the parsed document.
 */
#ifndef CLAVE_JSON_H
#define CLAVE_JSON_H

#include <clave/status.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CLAVE_JSON_DEFAULT_MAX_BYTES ((size_t)1 << 20)
#define CLAVE_JSON_DEFAULT_MAX_DEPTH 32
#define CLAVE_JSON_PATH_MAX 256

struct clave_json_limits {
    size_t max_bytes; /* whole document */
    size_t max_depth; /* nesting of arrays and objects */
};

/**
 * Parse `len` bytes of JSON (need not be NUL-terminated). `limits` NULL means the defaults.
 * `what` names the document in errors. On success `*out` is a new reference the caller
 * releases with json_decref(). Errors: CLAVE_ERR_TOO_LARGE (size/depth), CLAVE_ERR_JSON.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_json_parse(const char *buf, size_t len,
                                                       const struct clave_json_limits *limits,
                                                       const char *what, json_t **out);

/** "where.key" into `buf` (truncated safely). Returns `buf`. */
CLAVE_API const char *clave_json_path_key(char *buf, size_t cap, const char *where,
                                          const char *key);
/** "where[index]" into `buf` (truncated safely). Returns `buf`. */
CLAVE_API const char *clave_json_path_index(char *buf, size_t cap, const char *where, size_t index);

/** CLAVE_ERR_JSON unless `v` is an object. */
CLAVE_API CLAVE_MUST_USE clave_status clave_json_expect_object(const json_t *v, const char *where);

/** CLAVE_ERR_JSON if `obj` has a key not in the NULL-terminated list `allowed`. */
CLAVE_API CLAVE_MUST_USE clave_status clave_json_only_keys(json_t *obj, const char *where,
                                                           const char *const *allowed);

/*
 * Typed getters. `required` false: a missing key (or JSON null) succeeds with a neutral output
 * (NULL, 0, false) and *present (if given) false.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_json_get_string(const json_t *obj, const char *where,
                                                            const char *key, bool required,
                                                            size_t max_len, const char **out);
CLAVE_API CLAVE_MUST_USE clave_status clave_json_get_int(const json_t *obj, const char *where,
                                                         const char *key, bool required,
                                                         int64_t min, int64_t max, int64_t *out);
CLAVE_API CLAVE_MUST_USE clave_status clave_json_get_bool(const json_t *obj, const char *where,
                                                          const char *key, bool required,
                                                          bool *out);
CLAVE_API CLAVE_MUST_USE clave_status clave_json_get_object(const json_t *obj, const char *where,
                                                            const char *key, bool required,
                                                            json_t **out);
CLAVE_API CLAVE_MUST_USE clave_status clave_json_get_array(const json_t *obj, const char *where,
                                                           const char *key, bool required,
                                                           size_t max_items, json_t **out);

/** A base64url (unpadded) string field decoded into a new buffer of at most `max_bytes`.
 * Caller frees `*out` with free() (wipe first if secret). */
CLAVE_API CLAVE_MUST_USE clave_status clave_json_get_b64url(const json_t *obj, const char *where,
                                                            const char *key, bool required,
                                                            size_t max_bytes, uint8_t **out,
                                                            size_t *out_len);

/** A hex string field that must decode to exactly `len` bytes into `out`. */
CLAVE_API CLAVE_MUST_USE clave_status clave_json_get_hex(const json_t *obj, const char *where,
                                                         const char *key, uint8_t *out, size_t len);

#ifdef __cplusplus
}
#endif
#endif
