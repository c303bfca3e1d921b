/* SPDX-License-Identifier: Apache-2.0 */
/* Canonical CBOR writers and the JSON-data-model re-encoder (RFC 8949 section 4.2.1). */
#include "contract/canon.h"

#include "core/cbor.h"
#include "core/check.h"

#include <clave/json.h>
#include <stdlib.h>
#include <string.h>

/* Simple values (RFC 8949 section 3.3): major type 7. */
#define CBOR_FALSE 0xf4
#define CBOR_TRUE 0xf5
#define CBOR_NULL 0xf6
#define CBOR_MAJOR_SIMPLE 7

int clave__canon_text_cmp(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len)
{
    /* The head encodes the length and shorter lengths never have larger heads. */
    if (a_len != b_len) {
        return a_len < b_len ? -1 : 1;
    }
    return a_len == 0 ? 0 : memcmp(a, b, a_len); // lint:public
}

clave_status clave__canon_map_begin(struct clave_writer *w, size_t entries, struct canon_map *m)
{
    m->w = w;
    m->prev = NULL;
    m->prev_len = 0;
    m->left = entries;
    return clave__cbor_put_head(w, CLAVE_CBOR_MAJOR_MAP, entries);
}

clave_status clave__canon_key(struct canon_map *m, const char *key)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    size_t len = strlen(key);
    CLAVE_ENSURE(m->left > 0, CLAVE_ERR_INTERNAL, "canon: more keys than declared at '%s'", key);
    CLAVE_ENSURE(m->prev == NULL || clave__canon_text_cmp((const uint8_t *)m->prev, m->prev_len,
                                                          (const uint8_t *)key, len) < 0,
                 CLAVE_ERR_INTERNAL, "canon: key '%s' out of canonical order", key);
    CLAVE_CHECK(clave__canon_text(m->w, key, len));
    m->prev = key;
    m->prev_len = len;
    m->left--;
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave__canon_map_end(const struct canon_map *m)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(m->left == 0, CLAVE_ERR_INTERNAL, "canon: %zu map entries missing", m->left);
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave__canon_uint(struct clave_writer *w, uint64_t v)
{
    return clave__cbor_put_head(w, CLAVE_CBOR_MAJOR_UINT, v);
}

clave_status clave__canon_int(struct clave_writer *w, int64_t v)
{
    if (v >= 0) {
        return clave__cbor_put_head(w, CLAVE_CBOR_MAJOR_UINT, (uint64_t)v);
    }
    /* -1 - v without overflow: v in [INT64_MIN, -1] maps to [INT64_MAX, 0]. */
    return clave__cbor_put_head(w, CLAVE_CBOR_MAJOR_NEGINT, (uint64_t)(-(v + 1)));
}

clave_status clave__canon_text(struct clave_writer *w, const char *s, size_t len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_CHECK(clave__cbor_put_head(w, CLAVE_CBOR_MAJOR_TEXT, len));
    CLAVE_CHECK(clave_writer_bytes(w, (const uint8_t *)s, len));
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave__canon_bytes(struct clave_writer *w, const uint8_t *b, size_t len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_CHECK(clave__cbor_put_head(w, CLAVE_CBOR_MAJOR_BYTES, len));
    CLAVE_CHECK(clave_writer_bytes(w, b, len));
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave__canon_bool(struct clave_writer *w, bool v)
{
    return clave_writer_u8(w, v ? CBOR_TRUE : CBOR_FALSE);
}

clave_status clave__canon_null(struct clave_writer *w)
{
    return clave_writer_u8(w, CBOR_NULL);
}

clave_status clave__canon_array(struct clave_writer *w, size_t n)
{
    return clave__cbor_put_head(w, CLAVE_CBOR_MAJOR_ARRAY, n);
}

/* Length of the UTF-8 sequence led by `c` (0 if `c` cannot lead one). */
static size_t utf8_seq_len(uint8_t c)
{
    if (c < 0x80) {
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        return 2;
    }
    if (c >= 0xe0 && c <= 0xef) {
        return 3;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        return 4;
    }
    return 0;
}

bool clave__canon_utf8_ok(const uint8_t *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        size_t n = utf8_seq_len(s[i]);
        if (n == 0 || n > len - i || s[i] == 0) {
            return false;
        }
        for (size_t k = 1; k < n; k++) {
            if ((s[i + k] & 0xc0) != 0x80) {
                return false;
            }
        }
        /* Unicode 15 table 3-7: the second byte's range after E0, ED, F0 and F4. */
        if ((s[i] == 0xe0 && s[i + 1] < 0xa0) || (s[i] == 0xed && s[i + 1] > 0x9f) ||
            (s[i] == 0xf0 && s[i + 1] < 0x90) || (s[i] == 0xf4 && s[i + 1] > 0x8f)) {
            return false;
        }
        i += n;
    }
    return true;
}

static bool is_simple(const cbor_item_t *item, uint8_t value)
{
    return cbor_isa_float_ctrl(item) && cbor_float_get_width(item) == CBOR_FLOAT_0 &&
           cbor_ctrl_value(item) == value;
}

static int pair_cmp(const void *a, const void *b)
{
    const struct cbor_pair *pa = *(const struct cbor_pair *const *)a;
    const struct cbor_pair *pb = *(const struct cbor_pair *const *)b;
    return clave__canon_text_cmp(cbor_string_handle(pa->key), cbor_string_length(pa->key),
                                 cbor_string_handle(pb->key), cbor_string_length(pb->key));
}

static clave_status canon_text_item(struct clave_writer *w, const cbor_item_t *item,
                                    const char *where)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const uint8_t *s = cbor_string_handle(item);
    size_t len = cbor_string_length(item);
    CLAVE_ENSURE(cbor_string_is_definite(item) && (len == 0 || s != NULL), CLAVE_ERR_FORMAT,
                 "%s: indefinite text", where);
    CLAVE_ENSURE(clave__canon_utf8_ok(s, len), CLAVE_ERR_FORMAT,
                 "%s: text is not UTF-8 or contains NUL", where);
    CLAVE_CHECK(clave__canon_text(w, (const char *)s, len));
    st = CLAVE_OK;
done:
    return st;
}

static clave_status canon_map_item(struct clave_writer *w, const cbor_item_t *item,
                                   const char *where, size_t depth)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    size_t n = cbor_map_size(item);
    struct cbor_pair *pairs = cbor_map_handle(item);
    const struct cbor_pair **sorted = NULL;
    char path[CLAVE_JSON_PATH_MAX];
    char key[CLAVE_JSON_PATH_MAX];
    for (size_t i = 0; i < n; i++) {
        CLAVE_ENSURE(cbor_isa_string(pairs[i].key) && cbor_string_is_definite(pairs[i].key),
                     CLAVE_ERR_FORMAT, "%s: map keys must be text", where);
    }
    sorted = calloc(n == 0 ? 1 : n, sizeof(*sorted));
    CLAVE_ENSURE_ALLOC(sorted);
    for (size_t i = 0; i < n; i++) {
        sorted[i] = &pairs[i];
    }
    qsort(sorted, n, sizeof(*sorted), pair_cmp);
    CLAVE_CHECK(clave__cbor_put_head(w, CLAVE_CBOR_MAJOR_MAP, n));
    for (size_t i = 0; i < n; i++) {
        CLAVE_ENSURE(i == 0 || pair_cmp(&sorted[i - 1], &sorted[i]) < 0, CLAVE_ERR_FORMAT,
                     "%s: duplicate key", where);
        size_t klen = cbor_string_length(sorted[i]->key);
        size_t shown = klen < sizeof(key) - 1 ? klen : sizeof(key) - 1;
        memcpy(key, cbor_string_handle(sorted[i]->key), shown);
        key[shown] = '\0';
        clave_json_path_key(path, sizeof(path), where, key);
        CLAVE_CHECK(canon_text_item(w, sorted[i]->key, path));
        CLAVE_CHECK(clave__canon_item(w, sorted[i]->value, path, depth - 1));
    }
    st = CLAVE_OK;
done:
    free(sorted);
    return st;
}

static clave_status canon_int_item(struct clave_writer *w, const cbor_item_t *item,
                                   const char *where)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    int64_t v = 0;
    CLAVE_ENSURE(clave__cbor_int64(item, &v) == CLAVE_OK, CLAVE_ERR_FORMAT,
                 "%s: integer outside the int64 range", where);
    CLAVE_CHECK(clave__canon_int(w, v));
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave__canon_item(struct clave_writer *w, const cbor_item_t *item, const char *where,
                               size_t depth)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char path[CLAVE_JSON_PATH_MAX];
    CLAVE_ENSURE(depth > 0, CLAVE_ERR_LIMIT, "%s: nested too deeply", where);
    switch (cbor_typeof(item)) {
    case CBOR_TYPE_UINT:
    case CBOR_TYPE_NEGINT:
        CLAVE_CHECK(canon_int_item(w, item, where));
        break;
    case CBOR_TYPE_STRING:
        CLAVE_CHECK(canon_text_item(w, item, where));
        break;
    case CBOR_TYPE_ARRAY:
        CLAVE_ENSURE(cbor_array_is_definite(item), CLAVE_ERR_FORMAT, "%s: indefinite array", where);
        CLAVE_CHECK(clave__canon_array(w, cbor_array_size(item)));
        for (size_t i = 0; i < cbor_array_size(item); i++) {
            clave_json_path_index(path, sizeof(path), where, i);
            CLAVE_CHECK(clave__canon_item(w, cbor_array_handle(item)[i], path, depth - 1));
        }
        break;
    case CBOR_TYPE_MAP:
        CLAVE_ENSURE(cbor_map_is_definite(item), CLAVE_ERR_FORMAT, "%s: indefinite map", where);
        CLAVE_CHECK(canon_map_item(w, item, where, depth));
        break;
    case CBOR_TYPE_FLOAT_CTRL:
        if (is_simple(item, CBOR_CTRL_TRUE) || is_simple(item, CBOR_CTRL_FALSE)) {
            CLAVE_CHECK(clave__canon_bool(w, is_simple(item, CBOR_CTRL_TRUE)));
        } else {
            CLAVE_ENSURE(is_simple(item, CBOR_CTRL_NULL), CLAVE_ERR_FORMAT,
                         "%s: floats and simple values other than true, false and null are not "
                         "allowed (use fixed-point integers)",
                         where);
            CLAVE_CHECK(clave__canon_null(w));
        }
        break;
    default:
        CLAVE_RAISE(CLAVE_ERR_FORMAT, "%s: byte strings and tags are not allowed", where);
    }
    st = CLAVE_OK;
done:
    return st;
}

static int key_cmp(const void *a, const void *b)
{
    const char *ka = *(const char *const *)a;
    const char *kb = *(const char *const *)b;
    return clave__canon_text_cmp((const uint8_t *)ka, strlen(ka), (const uint8_t *)kb, strlen(kb));
}

static clave_status canon_json_object(struct clave_writer *w, const json_t *v, const char *where,
                                      size_t depth)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    size_t n = json_object_size(v);
    const char **keys = calloc(n == 0 ? 1 : n, sizeof(*keys));
    char path[CLAVE_JSON_PATH_MAX];
    const char *key = NULL;
    json_t *value = NULL;
    size_t i = 0;
    CLAVE_ENSURE_ALLOC(keys);
    /* json_object_foreach does not modify the object; jansson's macro wants a non-const one. */
    json_object_foreach ((json_t *)(uintptr_t)v, key, value) {
        keys[i++] = key;
    }
    qsort(keys, n, sizeof(*keys), key_cmp);
    CLAVE_CHECK(clave__cbor_put_head(w, CLAVE_CBOR_MAJOR_MAP, n));
    for (i = 0; i < n; i++) {
        clave_json_path_key(path, sizeof(path), where, keys[i]);
        CLAVE_ENSURE(clave__canon_utf8_ok((const uint8_t *)keys[i], strlen(keys[i])),
                     CLAVE_ERR_FORMAT, "%s: key is not UTF-8", path);
        CLAVE_CHECK(clave__canon_text(w, keys[i], strlen(keys[i])));
        CLAVE_CHECK(clave__canon_json(w, json_object_get(v, keys[i]), path, depth - 1));
    }
    st = CLAVE_OK;
done:
    free(keys);
    return st;
}

clave_status clave__canon_json(struct clave_writer *w, const json_t *v, const char *where,
                               size_t depth)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char path[CLAVE_JSON_PATH_MAX];
    CLAVE_ENSURE(depth > 0, CLAVE_ERR_LIMIT, "%s: nested too deeply", where);
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        CLAVE_CHECK(canon_json_object(w, v, where, depth));
        break;
    case JSON_ARRAY:
        CLAVE_CHECK(clave__canon_array(w, json_array_size(v)));
        for (size_t i = 0; i < json_array_size(v); i++) {
            clave_json_path_index(path, sizeof(path), where, i);
            CLAVE_CHECK(clave__canon_json(w, json_array_get(v, i), path, depth - 1));
        }
        break;
    case JSON_STRING:
        CLAVE_ENSURE(
            clave__canon_utf8_ok((const uint8_t *)json_string_value(v), json_string_length(v)),
            CLAVE_ERR_FORMAT, "%s: text contains NUL", where);
        CLAVE_CHECK(clave__canon_text(w, json_string_value(v), json_string_length(v)));
        break;
    case JSON_INTEGER:
        CLAVE_CHECK(clave__canon_int(w, (int64_t)json_integer_value(v)));
        break;
    case JSON_TRUE:
    case JSON_FALSE:
        CLAVE_CHECK(clave__canon_bool(w, json_is_true(v)));
        break;
    case JSON_NULL:
        CLAVE_CHECK(clave__canon_null(w));
        break;
    default:
        CLAVE_RAISE(CLAVE_ERR_FORMAT, "%s: floats are not allowed (use fixed-point integers)",
                    where);
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status to_json_map(const cbor_item_t *item, json_t **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *obj = json_object();
    json_t *child = NULL;
    char *key = NULL;
    CLAVE_ENSURE_ALLOC(obj);
    for (size_t i = 0; i < cbor_map_size(item); i++) {
        const struct cbor_pair *p = &cbor_map_handle(item)[i];
        CLAVE_ENSURE(cbor_isa_string(p->key), CLAVE_ERR_FORMAT, "spec: map key is not text");
        key = strndup((const char *)cbor_string_handle(p->key), cbor_string_length(p->key));
        CLAVE_ENSURE_ALLOC(key);
        CLAVE_CHECK(clave__canon_to_json(p->value, &child));
        CLAVE_ENSURE(json_object_set_new(obj, key, child) == 0, CLAVE_ERR_NOMEM, "out of memory");
        child = NULL;
        free(key);
        key = NULL;
    }
    *out = obj;
    obj = NULL;
    st = CLAVE_OK;
done:
    free(key);
    json_decref(child);
    json_decref(obj);
    return st;
}

static clave_status to_json_array(const cbor_item_t *item, json_t **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *arr = json_array();
    json_t *child = NULL;
    CLAVE_ENSURE_ALLOC(arr);
    for (size_t i = 0; i < cbor_array_size(item); i++) {
        CLAVE_CHECK(clave__canon_to_json(cbor_array_handle(item)[i], &child));
        CLAVE_ENSURE(json_array_append_new(arr, child) == 0, CLAVE_ERR_NOMEM, "out of memory");
        child = NULL;
    }
    *out = arr;
    arr = NULL;
    st = CLAVE_OK;
done:
    json_decref(child);
    json_decref(arr);
    return st;
}

clave_status clave__canon_to_json(const cbor_item_t *item, json_t **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    int64_t v = 0;
    *out = NULL;
    switch (cbor_typeof(item)) {
    case CBOR_TYPE_UINT:
    case CBOR_TYPE_NEGINT:
        CLAVE_CHECK(clave__cbor_int64(item, &v));
        *out = json_integer((json_int_t)v);
        break;
    case CBOR_TYPE_STRING:
        *out = json_stringn((const char *)cbor_string_handle(item), cbor_string_length(item));
        break;
    case CBOR_TYPE_ARRAY:
        CLAVE_CHECK(to_json_array(item, out));
        break;
    case CBOR_TYPE_MAP:
        CLAVE_CHECK(to_json_map(item, out));
        break;
    default:
        if (is_simple(item, CBOR_CTRL_NULL)) {
            *out = json_null();
        } else {
            CLAVE_ENSURE(is_simple(item, CBOR_CTRL_TRUE) || is_simple(item, CBOR_CTRL_FALSE),
                         CLAVE_ERR_FORMAT, "spec: value outside the JSON data model");
            *out = json_boolean(is_simple(item, CBOR_CTRL_TRUE));
        }
    }
    CLAVE_ENSURE_ALLOC(*out);
    st = CLAVE_OK;
done:
    return st;
}
