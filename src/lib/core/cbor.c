/* SPDX-License-Identifier: Apache-2.0 */
/* Bounded CBOR decoding over libcbor: a streaming pre-scan, then cbor_load, then a key check. */
#include "core/cbor.h"

#include "core/check.h"

#include <stdbool.h>
#include <string.h>

/* State of the pre-scan: one frame per open container holding the items it still expects. */
struct scan {
    size_t pending[CLAVE_CBOR_DEPTH_CEILING];
    size_t depth;
    size_t items;
    size_t offset; /* offset of the item being decoded */
    size_t max_depth;
    size_t max_items;
    bool called; /* a callback fired for the current step */
    bool done;   /* the top-level item is complete */
    clave_status err;
};

static void scan_fail(struct scan *s, clave_status st, const char *what)
{
    if (s->err == CLAVE_OK) {
        s->err = st;
        clave__error_set(st, __FILE__, __LINE__, "cbor: %s at offset %zu", what, s->offset);
    }
}

/* Close every container whose last item just completed. */
static void scan_pop_complete(struct scan *s)
{
    while (s->depth > 0 && s->pending[s->depth - 1] == 0) {
        s->depth--;
    }
    if (s->depth == 0) {
        s->done = true;
    }
}

/* One data item starts; `children` items follow inside it (0 for a scalar). */
static void scan_item(struct scan *s, size_t children)
{
    s->called = true;
    if (s->err != CLAVE_OK) {
        return;
    }
    if (s->items >= s->max_items) {
        scan_fail(s, CLAVE_ERR_LIMIT, "too many items");
        return;
    }
    s->items++;
    if (s->depth > 0) {
        s->pending[s->depth - 1]--;
    }
    if (children == 0) {
        scan_pop_complete(s);
        return;
    }
    /* Every child is at least one more item, so this also bounds cbor_load's allocation. */
    if (children > s->max_items - s->items) {
        scan_fail(s, CLAVE_ERR_LIMIT, "container larger than the item limit");
        return;
    }
    if (s->depth >= s->max_depth) {
        scan_fail(s, CLAVE_ERR_LIMIT, "nesting too deep");
        return;
    }
    s->pending[s->depth++] = children;
}

static void on_scalar(void *ctx)
{
    scan_item(ctx, 0);
}

static void on_u8(void *ctx, uint8_t v)
{
    (void)v;
    scan_item(ctx, 0);
}

static void on_u16(void *ctx, uint16_t v)
{
    (void)v;
    scan_item(ctx, 0);
}

static void on_u32(void *ctx, uint32_t v)
{
    (void)v;
    scan_item(ctx, 0);
}

static void on_u64(void *ctx, uint64_t v)
{
    (void)v;
    scan_item(ctx, 0);
}

static void on_string(void *ctx, cbor_data data, size_t len)
{
    (void)data;
    (void)len;
    scan_item(ctx, 0);
}

static void on_float(void *ctx, float v)
{
    (void)v;
    scan_item(ctx, 0);
}

static void on_double(void *ctx, double v)
{
    (void)v;
    scan_item(ctx, 0);
}

static void on_bool(void *ctx, bool v)
{
    (void)v;
    scan_item(ctx, 0);
}

static void on_array(void *ctx, size_t count)
{
    scan_item(ctx, count);
}

static void on_map(void *ctx, size_t count)
{
    struct scan *s = ctx;
    /* A map of n pairs holds 2n items; n is bounded by the item limit before doubling. */
    if (count > s->max_items) {
        s->called = true;
        scan_fail(s, CLAVE_ERR_LIMIT, "map larger than the item limit");
        return;
    }
    scan_item(ctx, 2 * count);
}

static void on_tag(void *ctx, uint64_t tag)
{
    (void)tag;
    scan_item(ctx, 1);
}

static void on_indefinite(void *ctx)
{
    struct scan *s = ctx;
    s->called = true;
    scan_fail(s, CLAVE_ERR_CBOR, "indefinite-length item");
}

static const struct cbor_callbacks SCAN_CALLBACKS = {
    .uint8 = on_u8,
    .uint16 = on_u16,
    .uint32 = on_u32,
    .uint64 = on_u64,
    .negint8 = on_u8,
    .negint16 = on_u16,
    .negint32 = on_u32,
    .negint64 = on_u64,
    .byte_string_start = on_indefinite,
    .byte_string = on_string,
    .string = on_string,
    .string_start = on_indefinite,
    .indef_array_start = on_indefinite,
    .array_start = on_array,
    .indef_map_start = on_indefinite,
    .map_start = on_map,
    .tag = on_tag,
    .float2 = on_float,
    .float4 = on_float,
    .float8 = on_double,
    .undefined = on_scalar,
    .null = on_scalar,
    .boolean = on_bool,
    .indef_break = on_indefinite,
};

/* Walk the whole input item by item without building anything. */
static clave_status prescan(const uint8_t *data, size_t len, const struct clave__cbor_limits *lim)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct scan s = {.max_depth = lim->max_depth, .max_items = lim->max_items, .err = CLAVE_OK};
    while (!s.done) {
        CLAVE_ENSURE(s.offset < len, CLAVE_ERR_TRUNCATED, "cbor: input ends at offset %zu",
                     s.offset);
        s.called = false;
        struct cbor_decoder_result res =
            cbor_stream_decode(data + s.offset, len - s.offset, &SCAN_CALLBACKS, &s);
        if (s.err != CLAVE_OK) {
            st = s.err;
            goto done;
        }
        CLAVE_ENSURE(res.status != CBOR_DECODER_NEDATA, CLAVE_ERR_TRUNCATED,
                     "cbor: item at offset %zu needs more bytes", s.offset);
        CLAVE_ENSURE(res.status == CBOR_DECODER_FINISHED && s.called && res.read > 0 &&
                         res.read <= len - s.offset,
                     CLAVE_ERR_CBOR, "cbor: malformed item at offset %zu", s.offset);
        s.offset += res.read;
    }
    CLAVE_ENSURE(s.offset == len, CLAVE_ERR_TRAILING, "cbor: %zu trailing bytes after offset %zu",
                 len - s.offset, s.offset);
    st = CLAVE_OK;
done:
    return st;
}

static bool key_equal(const cbor_item_t *a, const cbor_item_t *b)
{
    if (cbor_typeof(a) != cbor_typeof(b)) {
        return false;
    }
    if (cbor_isa_uint(a) || cbor_isa_negint(a)) {
        return cbor_get_int(a) == cbor_get_int(b);
    }
    size_t len = cbor_isa_bytestring(a) ? cbor_bytestring_length(a) : cbor_string_length(a);
    size_t len_b = cbor_isa_bytestring(b) ? cbor_bytestring_length(b) : cbor_string_length(b);
    const uint8_t *da = cbor_isa_bytestring(a) ? cbor_bytestring_handle(a) : cbor_string_handle(a);
    const uint8_t *db = cbor_isa_bytestring(b) ? cbor_bytestring_handle(b) : cbor_string_handle(b);
    return len == len_b && (len == 0 || memcmp(da, db, len) == 0); // lint:public
}

static clave_status check_map(const cbor_item_t *map)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const struct cbor_pair *pairs = cbor_map_handle(map);
    size_t n = cbor_map_size(map);
    for (size_t i = 0; i < n; i++) {
        const cbor_item_t *k = pairs[i].key;
        CLAVE_ENSURE(cbor_isa_uint(k) || cbor_isa_negint(k) || cbor_isa_bytestring(k) ||
                         cbor_isa_string(k),
                     CLAVE_ERR_CBOR, "cbor: map key %zu is not an integer or a string", i);
        for (size_t j = 0; j < i; j++) {
            CLAVE_ENSURE(!key_equal(pairs[j].key, k), CLAVE_ERR_CBOR,
                         "cbor: duplicate map key (entries %zu and %zu)", j, i);
        }
    }
    st = CLAVE_OK;
done:
    return st;
}

/* Recursion depth is bounded by the pre-scan's depth limit. */
static clave_status check_keys(const cbor_item_t *item)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    cbor_item_t *tagged = NULL;
    if (cbor_isa_array(item)) {
        cbor_item_t **elems = cbor_array_handle(item);
        for (size_t i = 0; i < cbor_array_size(item); i++) {
            CLAVE_CHECK(check_keys(elems[i]));
        }
    } else if (cbor_isa_map(item)) {
        CLAVE_CHECK(check_map(item));
        const struct cbor_pair *pairs = cbor_map_handle(item);
        for (size_t i = 0; i < cbor_map_size(item); i++) {
            CLAVE_CHECK(check_keys(pairs[i].value));
        }
    } else if (cbor_isa_tag(item)) {
        tagged = cbor_tag_item(item);
        CLAVE_CHECK(check_keys(tagged));
    }
    st = CLAVE_OK;
done:
    if (tagged != NULL) {
        cbor_decref(&tagged);
    }
    return st;
}

clave_status clave__cbor_load(const uint8_t *data, size_t len,
                              const struct clave__cbor_limits *limits, cbor_item_t **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    static const struct clave__cbor_limits DEFAULTS = {
        .max_len = CLAVE_CBOR_DEFAULT_MAX_LEN,
        .max_depth = CLAVE_CBOR_DEFAULT_MAX_DEPTH,
        .max_items = CLAVE_CBOR_DEFAULT_MAX_ITEMS,
    };
    const struct clave__cbor_limits *lim = limits != NULL ? limits : &DEFAULTS;
    cbor_item_t *item = NULL;
    struct cbor_load_result res;
    *out = NULL;
    CLAVE_ENSURE(data != NULL || len == 0, CLAVE_ERR_ARG, "cbor: NULL input");
    CLAVE_ENSURE(lim->max_depth <= CLAVE_CBOR_DEPTH_CEILING, CLAVE_ERR_ARG,
                 "cbor: depth limit %zu above the ceiling", lim->max_depth);
    CLAVE_ENSURE(len <= lim->max_len, CLAVE_ERR_TOO_LARGE, "cbor: %zu bytes > limit %zu", len,
                 lim->max_len);
    CLAVE_CHECK(prescan(data, len, lim));
    item = cbor_load(data, len, &res);
    CLAVE_ENSURE(res.error.code != CBOR_ERR_MEMERROR, CLAVE_ERR_NOMEM, "cbor: out of memory");
    CLAVE_ENSURE(item != NULL && res.error.code == CBOR_ERR_NONE && res.read == len, CLAVE_ERR_CBOR,
                 "cbor: decode failed at offset %zu", res.error.position);
    CLAVE_CHECK(check_keys(item));
    *out = item;
    item = NULL;
    st = CLAVE_OK;
done:
    if (item != NULL) {
        cbor_decref(&item);
    }
    return st;
}

clave_status clave__cbor_int64(const cbor_item_t *item, int64_t *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    *out = 0;
    CLAVE_ENSURE(cbor_isa_uint(item) || cbor_isa_negint(item), CLAVE_ERR_CBOR,
                 "cbor: expected an integer");
    uint64_t raw = cbor_get_int(item);
    CLAVE_ENSURE(raw <= (uint64_t)INT64_MAX, CLAVE_ERR_CBOR, "cbor: integer out of range");
    /* A negative integer n encodes the value -1 - n (RFC 8949 section 3.1). */
    *out = cbor_isa_uint(item) ? (int64_t)raw : -1 - (int64_t)raw;
    st = CLAVE_OK;
done:
    return st;
}

cbor_item_t *clave__cbor_map_get_int(const cbor_item_t *map, int64_t key)
{
    if (!cbor_isa_map(map)) {
        return NULL;
    }
    const struct cbor_pair *pairs = cbor_map_handle(map);
    for (size_t i = 0; i < cbor_map_size(map); i++) {
        int64_t v = 0;
        const cbor_item_t *k = pairs[i].key;
        if ((cbor_isa_uint(k) || cbor_isa_negint(k)) && clave__cbor_int64(k, &v) == CLAVE_OK &&
            v == key) {
            return pairs[i].value;
        }
    }
    return NULL;
}

cbor_item_t *clave__cbor_map_get_text(const cbor_item_t *map, const char *key)
{
    if (!cbor_isa_map(map)) {
        return NULL;
    }
    size_t key_len = strlen(key);
    const struct cbor_pair *pairs = cbor_map_handle(map);
    for (size_t i = 0; i < cbor_map_size(map); i++) {
        const cbor_item_t *k = pairs[i].key;
        if (cbor_isa_string(k) && cbor_string_is_definite(k) && cbor_string_length(k) == key_len &&
            memcmp(cbor_string_handle(k), key, key_len) == 0) { // lint:public
            return pairs[i].value;
        }
    }
    return NULL;
}

size_t clave__cbor_head_len(uint64_t value)
{
    if (value < 24) {
        return 1;
    }
    if (value <= UINT8_MAX) {
        return 2;
    }
    if (value <= UINT16_MAX) {
        return 3;
    }
    if (value <= UINT32_MAX) {
        return 5;
    }
    return 9;
}

clave_status clave__cbor_put_head(struct clave_writer *w, uint8_t major, uint64_t value)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t initial = (uint8_t)(major << 5);
    CLAVE_ENSURE(major <= 7, CLAVE_ERR_ARG, "cbor: bad major type %u", (unsigned)major);
    switch (clave__cbor_head_len(value)) {
    case 1:
        CLAVE_CHECK(clave_writer_u8(w, (uint8_t)(initial | value)));
        break;
    case 2:
        CLAVE_CHECK(clave_writer_u8(w, initial | 24));
        CLAVE_CHECK(clave_writer_u8(w, (uint8_t)value));
        break;
    case 3:
        CLAVE_CHECK(clave_writer_u8(w, initial | 25));
        CLAVE_CHECK(clave_writer_u16be(w, (uint16_t)value));
        break;
    case 5:
        CLAVE_CHECK(clave_writer_u8(w, initial | 26));
        CLAVE_CHECK(clave_writer_u32be(w, (uint32_t)value));
        break;
    default:
        CLAVE_CHECK(clave_writer_u8(w, initial | 27));
        CLAVE_CHECK(clave_writer_u64be(w, value));
        break;
    }
    st = CLAVE_OK;
done:
    return st;
}
