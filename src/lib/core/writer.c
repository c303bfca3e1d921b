/* SPDX-License-Identifier: Apache-2.0 */
/* Bounded writer: output never exceeds the capacity the caller gave. */
#include "core/check.h"
#include "core/lenprefix.h"

#include <clave/buf.h>
#include <string.h>

void clave_writer_init(struct clave_writer *w, uint8_t *data, size_t cap)
{
    w->data = data;
    w->cap = data != NULL ? cap : 0;
    w->len = 0;
}

static clave_status room(const struct clave_writer *w, size_t n)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(w->len <= w->cap, CLAVE_ERR_INTERNAL, "writer: cursor past capacity");
    CLAVE_ENSURE(n <= w->cap - w->len, CLAVE_ERR_TOO_LARGE,
                 "writer: %zu bytes do not fit at offset %zu (capacity %zu)", n, w->len, w->cap);
    st = CLAVE_OK;
done:
    return st;
}

static clave_status write_uint(struct clave_writer *w, uint64_t v, size_t n, bool big_endian)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_CHECK(room(w, n));
    for (size_t i = 0; i < n; i++) {
        size_t idx = big_endian ? n - 1 - i : i;
        w->data[w->len + idx] = (uint8_t)(v >> (8 * i));
    }
    w->len += n;
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_writer_u8(struct clave_writer *w, uint8_t v)
{
    return write_uint(w, v, 1, true);
}

clave_status clave_writer_u16be(struct clave_writer *w, uint16_t v)
{
    return write_uint(w, v, 2, true);
}

clave_status clave_writer_u16le(struct clave_writer *w, uint16_t v)
{
    return write_uint(w, v, 2, false);
}

clave_status clave_writer_u32be(struct clave_writer *w, uint32_t v)
{
    return write_uint(w, v, 4, true);
}

clave_status clave_writer_u32le(struct clave_writer *w, uint32_t v)
{
    return write_uint(w, v, 4, false);
}

clave_status clave_writer_u64be(struct clave_writer *w, uint64_t v)
{
    return write_uint(w, v, 8, true);
}

clave_status clave_writer_u64le(struct clave_writer *w, uint64_t v)
{
    return write_uint(w, v, 8, false);
}

clave_status clave_writer_bytes(struct clave_writer *w, const uint8_t *data, size_t n)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_CHECK(room(w, n));
    if (n > 0) {
        memcpy(w->data + w->len, data, n);
    }
    w->len += n;
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_writer_lenprefixed(struct clave_writer *w, enum clave_len_prefix width,
                                      size_t max, const uint8_t *data, size_t n)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    size_t prefix_bytes = 0;
    bool big_endian = true;
    CLAVE_CHECK(clave__len_prefix_info(width, &prefix_bytes, &big_endian));
    CLAVE_ENSURE(n <= max, CLAVE_ERR_TOO_LARGE, "writer: length %zu exceeds maximum %zu", n, max);
    CLAVE_ENSURE(prefix_bytes >= 8 || (uint64_t)n < ((uint64_t)1 << (8 * prefix_bytes)),
                 CLAVE_ERR_TOO_LARGE, "writer: length %zu does not fit a %zu-byte prefix", n,
                 prefix_bytes);
    CLAVE_CHECK(room(w, prefix_bytes));
    CLAVE_CHECK(room(w, prefix_bytes + n));
    CLAVE_CHECK(write_uint(w, n, prefix_bytes, big_endian));
    CLAVE_CHECK(clave_writer_bytes(w, data, n));
    st = CLAVE_OK;
done:
    return st;
}
