/* SPDX-License-Identifier: Apache-2.0 */
/* Bounded reader over untrusted bytes: the only place where input pointers move. */
#include "core/check.h"
#include "core/lenprefix.h"

#include <clave/buf.h>
#include <string.h>

void clave_reader_init(struct clave_reader *r, const uint8_t *data, size_t len)
{
    r->data = data;
    r->len = data != NULL ? len : 0;
    r->pos = 0;
}

size_t clave_reader_remaining(const struct clave_reader *r)
{
    return r->len - r->pos;
}

/* Check that `n` more bytes exist; the comparison never overflows because pos <= len. */
static clave_status need(const struct clave_reader *r, size_t n)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(r->pos <= r->len, CLAVE_ERR_INTERNAL, "reader: cursor past end");
    CLAVE_ENSURE(n <= r->len - r->pos, CLAVE_ERR_TRUNCATED,
                 "need %zu bytes at offset %zu, only %zu left", n, r->pos, r->len - r->pos);
    st = CLAVE_OK;
done:
    return st;
}

static clave_status read_uint(struct clave_reader *r, size_t n, bool big_endian, uint64_t *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    *out = 0;
    CLAVE_CHECK(need(r, n));
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        size_t idx = big_endian ? i : n - 1 - i;
        v = (v << 8) | r->data[r->pos + idx];
    }
    r->pos += n;
    *out = v;
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_reader_u8(struct clave_reader *r, uint8_t *out)
{
    uint64_t v = 0;
    clave_status st = read_uint(r, 1, true, &v);
    *out = (uint8_t)v;
    return st;
}

clave_status clave_reader_u16be(struct clave_reader *r, uint16_t *out)
{
    uint64_t v = 0;
    clave_status st = read_uint(r, 2, true, &v);
    *out = (uint16_t)v;
    return st;
}

clave_status clave_reader_u16le(struct clave_reader *r, uint16_t *out)
{
    uint64_t v = 0;
    clave_status st = read_uint(r, 2, false, &v);
    *out = (uint16_t)v;
    return st;
}

clave_status clave_reader_u32be(struct clave_reader *r, uint32_t *out)
{
    uint64_t v = 0;
    clave_status st = read_uint(r, 4, true, &v);
    *out = (uint32_t)v;
    return st;
}

clave_status clave_reader_u32le(struct clave_reader *r, uint32_t *out)
{
    uint64_t v = 0;
    clave_status st = read_uint(r, 4, false, &v);
    *out = (uint32_t)v;
    return st;
}

clave_status clave_reader_u64be(struct clave_reader *r, uint64_t *out)
{
    return read_uint(r, 8, true, out);
}

clave_status clave_reader_u64le(struct clave_reader *r, uint64_t *out)
{
    return read_uint(r, 8, false, out);
}

clave_status clave_reader_view(struct clave_reader *r, size_t n, const uint8_t **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    *out = NULL;
    CLAVE_CHECK(need(r, n));
    *out = r->data + r->pos;
    r->pos += n;
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_reader_bytes(struct clave_reader *r, uint8_t *out, size_t n)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const uint8_t *src = NULL;
    CLAVE_CHECK(clave_reader_view(r, n, &src));
    if (n > 0) {
        memcpy(out, src, n);
    }
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_reader_skip(struct clave_reader *r, size_t n)
{
    const uint8_t *ignored = NULL;
    return clave_reader_view(r, n, &ignored);
}

clave_status clave_reader_zeros(struct clave_reader *r, size_t n)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    size_t start = r->pos;
    CLAVE_CHECK(need(r, n));
    for (size_t i = 0; i < n; i++) {
        CLAVE_ENSURE(r->data[start + i] == 0, CLAVE_ERR_FORMAT,
                     "reserved byte at offset %zu is 0x%02x, expected 0", start + i,
                     r->data[start + i]);
    }
    r->pos += n;
    st = CLAVE_OK;
done:
    return st;
}

static clave_status prefix_info(enum clave_len_prefix width, size_t *bytes, bool *big_endian)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    switch (width) {
    case CLAVE_LEN_U8:
        *bytes = 1, *big_endian = true;
        break;
    case CLAVE_LEN_U16BE:
        *bytes = 2, *big_endian = true;
        break;
    case CLAVE_LEN_U16LE:
        *bytes = 2, *big_endian = false;
        break;
    case CLAVE_LEN_U32BE:
        *bytes = 4, *big_endian = true;
        break;
    case CLAVE_LEN_U32LE:
        *bytes = 4, *big_endian = false;
        break;
    default:
        CLAVE_RAISE(CLAVE_ERR_ARG, "unknown length prefix width %d", (int)width);
    }
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_reader_lenprefixed(struct clave_reader *r, enum clave_len_prefix width,
                                      size_t max, const uint8_t **out, size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    *out = NULL;
    *out_len = 0;
    size_t prefix_bytes = 0;
    bool big_endian = true;
    uint64_t n = 0;
    struct clave_reader tmp = *r;
    CLAVE_CHECK(prefix_info(width, &prefix_bytes, &big_endian));
    CLAVE_CHECK(read_uint(&tmp, prefix_bytes, big_endian, &n));
    CLAVE_ENSURE(n <= max, CLAVE_ERR_TOO_LARGE, "length %llu at offset %zu exceeds maximum %zu",
                 (unsigned long long)n, r->pos, max);
    CLAVE_CHECK(clave_reader_view(&tmp, (size_t)n, out));
    *out_len = (size_t)n;
    *r = tmp;
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_reader_sub(struct clave_reader *r, size_t n, struct clave_reader *sub)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const uint8_t *view = NULL;
    clave_reader_init(sub, NULL, 0);
    CLAVE_CHECK(clave_reader_view(r, n, &view));
    clave_reader_init(sub, view, n);
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_reader_expect_end(const struct clave_reader *r)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(r->pos == r->len, CLAVE_ERR_TRAILING, "%zu unexpected bytes after offset %zu",
                 r->len - r->pos, r->pos);
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave__len_prefix_info(enum clave_len_prefix width, size_t *bytes, bool *big_endian)
{
    return prefix_info(width, bytes, big_endian);
}
