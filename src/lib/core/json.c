/* SPDX-License-Identifier: Apache-2.0 */
/* Bounded JSON parsing and typed field access with errors that name the field. */
#include "core/check.h"

#include <clave/encoding.h>
#include <clave/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Maximum nesting outside strings, found by a linear scan before jansson sees the input: jansson
 * recurses per level, so a deep document must be refused before it is parsed. */
static size_t nesting_depth(const char *buf, size_t len)
{
    size_t depth = 0;
    size_t max_depth = 0;
    bool in_string = false;
    for (size_t i = 0; i < len; i++) {
        char c = buf[i];
        if (in_string) {
            if (c == '\\') {
                i++;
            } else if (c == '"') {
                in_string = false;
            }
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            depth++;
            max_depth = depth > max_depth ? depth : max_depth;
        } else if ((c == ']' || c == '}') && depth > 0) {
            depth--;
        }
    }
    return max_depth;
}

clave_status clave_json_parse(const char *buf, size_t len, const struct clave_json_limits *limits,
                              const char *what, json_t **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_json_limits lim = {CLAVE_JSON_DEFAULT_MAX_BYTES, CLAVE_JSON_DEFAULT_MAX_DEPTH};
    json_error_t err;
    *out = NULL;
    if (limits != NULL) {
        lim = *limits;
    }
    CLAVE_ENSURE(buf != NULL || len == 0, CLAVE_ERR_ARG, "%s: no input", what);
    CLAVE_ENSURE(len <= lim.max_bytes, CLAVE_ERR_TOO_LARGE, "%s: %zu bytes exceed limit %zu", what,
                 len, lim.max_bytes);
    size_t depth = nesting_depth(buf, len);
    CLAVE_ENSURE(depth <= lim.max_depth, CLAVE_ERR_TOO_LARGE, "%s: nesting depth %zu exceeds %zu",
                 what, depth, lim.max_depth);
    json_t *doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &err);
    CLAVE_ENSURE(doc != NULL, CLAVE_ERR_JSON, "%s: line %d column %d: %s", what, err.line,
                 err.column, err.text);
    *out = doc;
    st = CLAVE_OK;
done:
    return st;
}

const char *clave_json_path_key(char *buf, size_t cap, const char *where, const char *key)
{
    if (cap > 0) {
        (void)snprintf(buf, cap, "%s.%s", where, key);
    }
    return buf;
}

const char *clave_json_path_index(char *buf, size_t cap, const char *where, size_t index)
{
    if (cap > 0) {
        (void)snprintf(buf, cap, "%s[%zu]", where, index);
    }
    return buf;
}

clave_status clave_json_expect_object(const json_t *v, const char *where)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(json_is_object(v), CLAVE_ERR_JSON, "%s: expected object", where);
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_json_only_keys(json_t *obj, const char *where, const char *const *allowed)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const char *key = NULL;
    json_t *value = NULL;
    CLAVE_CHECK(clave_json_expect_object(obj, where));
    json_object_foreach (obj, key, value) {
        bool known = false;
        for (size_t i = 0; allowed[i] != NULL && !known; i++) {
            known = strcmp(key, allowed[i]) == 0;
        }
        CLAVE_ENSURE(known, CLAVE_ERR_JSON, "%s.%.64s: unknown field", where, key);
    }
    st = CLAVE_OK;
done:
    return st;
}

/* Look up `key`; *value is NULL when absent or null, which fails only if required. */
static clave_status lookup(const json_t *obj, const char *where, const char *key, bool required,
                           json_t **value)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    *value = NULL;
    CLAVE_CHECK(clave_json_expect_object(obj, where));
    json_t *v = json_object_get(obj, key);
    if (json_is_null(v)) {
        v = NULL;
    }
    CLAVE_ENSURE(v != NULL || !required, CLAVE_ERR_JSON, "%s.%s: missing", where, key);
    *value = v;
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_json_get_string(const json_t *obj, const char *where, const char *key,
                                   bool required, size_t max_len, const char **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *v = NULL;
    *out = NULL;
    CLAVE_CHECK(lookup(obj, where, key, required, &v));
    if (v != NULL) {
        CLAVE_ENSURE(json_is_string(v), CLAVE_ERR_JSON, "%s.%s: expected string", where, key);
        size_t len = json_string_length(v);
        CLAVE_ENSURE(len <= max_len, CLAVE_ERR_TOO_LARGE, "%s.%s: %zu characters exceed %zu", where,
                     key, len, max_len);
        CLAVE_ENSURE(strlen(json_string_value(v)) == len, CLAVE_ERR_JSON,
                     "%s.%s: string contains NUL", where, key);
        *out = json_string_value(v);
    }
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_json_get_int(const json_t *obj, const char *where, const char *key,
                                bool required, int64_t min, int64_t max, int64_t *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *v = NULL;
    *out = 0;
    CLAVE_CHECK(lookup(obj, where, key, required, &v));
    if (v != NULL) {
        CLAVE_ENSURE(json_is_integer(v), CLAVE_ERR_JSON, "%s.%s: expected integer", where, key);
        json_int_t n = json_integer_value(v);
        CLAVE_ENSURE(n >= min && n <= max, CLAVE_ERR_JSON, "%s.%s: %lld outside %lld..%lld", where,
                     key, (long long)n, (long long)min, (long long)max);
        *out = (int64_t)n;
    }
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_json_get_bool(const json_t *obj, const char *where, const char *key,
                                 bool required, bool *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *v = NULL;
    *out = false;
    CLAVE_CHECK(lookup(obj, where, key, required, &v));
    if (v != NULL) {
        CLAVE_ENSURE(json_is_boolean(v), CLAVE_ERR_JSON, "%s.%s: expected boolean", where, key);
        *out = json_is_true(v);
    }
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_json_get_object(const json_t *obj, const char *where, const char *key,
                                   bool required, json_t **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *v = NULL;
    *out = NULL;
    CLAVE_CHECK(lookup(obj, where, key, required, &v));
    if (v != NULL) {
        CLAVE_ENSURE(json_is_object(v), CLAVE_ERR_JSON, "%s.%s: expected object", where, key);
        *out = v;
    }
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_json_get_array(const json_t *obj, const char *where, const char *key,
                                  bool required, size_t max_items, json_t **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *v = NULL;
    *out = NULL;
    CLAVE_CHECK(lookup(obj, where, key, required, &v));
    if (v != NULL) {
        CLAVE_ENSURE(json_is_array(v), CLAVE_ERR_JSON, "%s.%s: expected array", where, key);
        CLAVE_ENSURE(json_array_size(v) <= max_items, CLAVE_ERR_TOO_LARGE,
                     "%s.%s: %zu items exceed %zu", where, key, json_array_size(v), max_items);
        *out = v;
    }
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_json_get_b64url(const json_t *obj, const char *where, const char *key,
                                   bool required, size_t max_bytes, uint8_t **out, size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const char *s = NULL;
    *out = NULL;
    *out_len = 0;
    CLAVE_ENSURE(max_bytes <= SIZE_MAX / 2, CLAVE_ERR_ARG, "%s.%s: limit too large", where, key);
    CLAVE_CHECK(clave_json_get_string(obj, where, key, required,
                                      clave_b64_len(CLAVE_B64URL, max_bytes), &s));
    if (s != NULL) {
        CLAVE_CHECK_CTX(clave_b64_decode_alloc(CLAVE_B64URL, s, strlen(s), out, out_len), "%s.%s",
                        where, key);
    }
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_json_get_hex(const json_t *obj, const char *where, const char *key, uint8_t *out,
                                size_t len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const char *s = NULL;
    size_t n = 0;
    CLAVE_CHECK(clave_json_get_string(obj, where, key, true, 2 * len, &s));
    CLAVE_ENSURE(strlen(s) == 2 * len, CLAVE_ERR_JSON, "%s.%s: expected %zu hex characters", where,
                 key, 2 * len);
    CLAVE_CHECK_CTX(clave_hex_decode(s, strlen(s), out, len, &n), "%s.%s", where, key);
    st = CLAVE_OK;
done:
    return st;
}
