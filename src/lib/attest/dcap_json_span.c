/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The exact text of one member of a JSON object. Intel signs the bytes of the "tcbInfo" and
 * "enclaveIdentity" values as served, so they must be verified as they appear in the file, not
 * re-serialised. The caller has already parsed the document with jansson (well-formed, no
 * duplicate keys, depth capped); this scanner only tracks strings and nesting to find where the
 * value starts and ends (RFC 8259 grammar).
 */
#include "attest/dcap_collateral.h"

#include "core/check.h"

#include <clave/buf.h>
#include <string.h>

static bool is_space(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void skip_space(struct clave_reader *r)
{
    uint8_t c = 0;
    while (clave_reader_remaining(r) > 0 && is_space(r->data[r->pos])) {
        if (clave_reader_u8(r, &c) != CLAVE_OK) {
            return;
        }
    }
}

/* A string starting at the opening quote; `*text`/`*text_len` span its raw contents. */
static clave_status skip_string(struct clave_reader *r, const uint8_t **text, size_t *text_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t c = 0;
    size_t start = 0;
    CLAVE_CHECK(clave_reader_u8(r, &c));
    CLAVE_ENSURE(c == '"', CLAVE_ERR_JSON, "json: expected a string at offset %zu", r->pos - 1);
    start = r->pos;
    for (;;) {
        CLAVE_CHECK(clave_reader_u8(r, &c));
        if (c == '\\') {
            CLAVE_CHECK(clave_reader_u8(r, &c));
        } else if (c == '"') {
            break;
        }
    }
    *text = r->data + start;
    *text_len = r->pos - 1 - start;
    st = CLAVE_OK;
done:
    return st;
}

/* One value of any type; stops before the ',' or '}' that ends it at depth 0. */
static clave_status skip_value(struct clave_reader *r)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    size_t depth = 0;
    const uint8_t *ignored = NULL;
    size_t ignored_len = 0;
    uint8_t c = 0;
    while (clave_reader_remaining(r) > 0) {
        c = r->data[r->pos];
        if (c == '"') {
            CLAVE_CHECK(skip_string(r, &ignored, &ignored_len));
            continue;
        }
        if (depth == 0 && (c == ',' || c == '}')) {
            break;
        }
        if (c == '{' || c == '[') {
            depth++;
        } else if (c == '}' || c == ']') {
            CLAVE_ENSURE(depth > 0, CLAVE_ERR_JSON, "json: unbalanced at offset %zu", r->pos);
            depth--;
        }
        CLAVE_CHECK(clave_reader_u8(r, &c));
    }
    CLAVE_ENSURE(depth == 0, CLAVE_ERR_JSON, "json: unterminated value");
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave__json_member_span(const char *json, size_t len, const char *key, size_t *start,
                                     size_t *span_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_reader r;
    uint8_t c = 0;
    const uint8_t *name = NULL;
    size_t name_len = 0;
    size_t key_len = strlen(key);
    *start = 0;
    *span_len = 0;
    clave_reader_init(&r, (const uint8_t *)json, len);
    skip_space(&r);
    CLAVE_CHECK(clave_reader_u8(&r, &c));
    CLAVE_ENSURE(c == '{', CLAVE_ERR_JSON, "json: expected an object");
    for (;;) {
        skip_space(&r);
        CLAVE_CHECK(skip_string(&r, &name, &name_len));
        skip_space(&r);
        CLAVE_CHECK(clave_reader_u8(&r, &c));
        CLAVE_ENSURE(c == ':', CLAVE_ERR_JSON, "json: expected ':' at offset %zu", r.pos - 1);
        skip_space(&r);
        size_t value_start = r.pos;
        CLAVE_CHECK(skip_value(&r));
        size_t value_end = r.pos;
        while (value_end > value_start && is_space((uint8_t)json[value_end - 1])) {
            value_end--;
        }
        if (name_len == key_len && memcmp(name, key, key_len) == 0) { // lint:public
            *start = value_start;
            *span_len = value_end - value_start;
            st = CLAVE_OK;
            goto done;
        }
        CLAVE_CHECK(clave_reader_u8(&r, &c));
        CLAVE_ENSURE(c == ',', CLAVE_ERR_NOT_FOUND, "json: no member \"%s\"", key);
    }
done:
    return st;
}
