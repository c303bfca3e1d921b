/* SPDX-License-Identifier: Apache-2.0 */
#include "testlib.h"

#include <string.h>

/* A small record: u8 tag, u16be, u32le, u64be, u8-prefixed bytes (max 8), 2 zero bytes. */
static const uint8_t RECORD[] = {0x07, 0x12, 0x34, 0x78, 0x56, 0x34, 0x12, 0x01, 0x02, 0x03, 0x04,
                                 0x05, 0x06, 0x07, 0x08, 0x03, 'a',  'b',  'c',  0x00, 0x00};

static clave_status parse_record(const uint8_t *data, size_t len, uint64_t *sum)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_reader r;
    uint8_t tag = 0;
    uint16_t a = 0;
    uint32_t b = 0;
    uint64_t c = 0;
    const uint8_t *name = NULL;
    size_t name_len = 0;
    clave_reader_init(&r, data, len);
    if ((st = clave_reader_u8(&r, &tag)) != CLAVE_OK ||
        (st = clave_reader_u16be(&r, &a)) != CLAVE_OK ||
        (st = clave_reader_u32le(&r, &b)) != CLAVE_OK ||
        (st = clave_reader_u64be(&r, &c)) != CLAVE_OK ||
        (st = clave_reader_lenprefixed(&r, CLAVE_LEN_U8, 8, &name, &name_len)) != CLAVE_OK ||
        (st = clave_reader_zeros(&r, 2)) != CLAVE_OK || (st = clave_reader_expect_end(&r))) {
        return st;
    }
    *sum = tag + a + b + c + name_len;
    return CLAVE_OK;
}

static void test_record_parses(void **state)
{
    (void)state;
    uint64_t sum = 0;
    T_OK(parse_record(RECORD, sizeof(RECORD), &sum));
    assert_int_equal(sum, 0x07 + 0x1234 + 0x12345678 + 0x0102030405060708ULL + 3);
}

static void test_every_truncation_fails(void **state)
{
    (void)state;
    for (size_t len = 0; len < sizeof(RECORD); len++) {
        uint64_t sum = 0;
        uint8_t copy[sizeof(RECORD)];
        memcpy(copy, RECORD, len);
        T_ERR(parse_record(copy, len, &sum), CLAVE_ERR_TRUNCATED);
        assert_int_equal(sum, 0);
        assert_non_null(strstr(clave_error_last().detail, "need"));
    }
}

static void test_trailing_byte_fails(void **state)
{
    (void)state;
    uint8_t longer[sizeof(RECORD) + 1];
    memcpy(longer, RECORD, sizeof(RECORD));
    longer[sizeof(RECORD)] = 0;
    uint64_t sum = 0;
    T_ERR(parse_record(longer, sizeof(longer), &sum), CLAVE_ERR_TRAILING);
}

static void test_oversized_length_fails_without_moving(void **state)
{
    (void)state;
    const uint8_t data[] = {0x00, 0x09, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    struct clave_reader r;
    const uint8_t *view = NULL;
    size_t n = 0;
    clave_reader_init(&r, data, sizeof(data));
    T_ERR(clave_reader_lenprefixed(&r, CLAVE_LEN_U16BE, 8, &view, &n), CLAVE_ERR_TOO_LARGE);
    assert_int_equal(r.pos, 0);
    assert_null(view);
    T_OK(clave_reader_lenprefixed(&r, CLAVE_LEN_U16BE, 9, &view, &n));
    assert_int_equal(n, 9);
    assert_int_equal(view[8], 9);
    T_OK(clave_reader_expect_end(&r));
}

static void test_length_beyond_input_fails(void **state)
{
    (void)state;
    /* u32le length 0xffffffff: must not wrap around. */
    const uint8_t data[] = {0xff, 0xff, 0xff, 0xff, 1};
    struct clave_reader r;
    const uint8_t *view = NULL;
    size_t n = 0;
    clave_reader_init(&r, data, sizeof(data));
    T_ERR(clave_reader_lenprefixed(&r, CLAVE_LEN_U32LE, SIZE_MAX, &view, &n), CLAVE_ERR_TRUNCATED);
    assert_int_equal(r.pos, 0);
    T_ERR(clave_reader_skip(&r, SIZE_MAX), CLAVE_ERR_TRUNCATED);
    assert_int_equal(r.pos, 0);
}

static void test_reserved_nonzero_fails(void **state)
{
    (void)state;
    const uint8_t data[] = {0, 0, 1};
    struct clave_reader r;
    clave_reader_init(&r, data, sizeof(data));
    T_ERR(clave_reader_zeros(&r, 3), CLAVE_ERR_FORMAT);
    assert_int_equal(r.pos, 0);
    assert_non_null(strstr(clave_error_last().detail, "offset 2"));
}

static void test_sub_reader(void **state)
{
    (void)state;
    const uint8_t data[] = {1, 2, 3, 4, 5};
    struct clave_reader r;
    struct clave_reader sub;
    uint16_t v = 0;
    clave_reader_init(&r, data, sizeof(data));
    T_OK(clave_reader_sub(&r, 3, &sub));
    T_OK(clave_reader_u16le(&sub, &v));
    assert_int_equal(v, 0x0201);
    T_ERR(clave_reader_u16le(&sub, &v), CLAVE_ERR_TRUNCATED);
    assert_int_equal(clave_reader_remaining(&r), 2);
    T_ERR(clave_reader_sub(&r, 3, &sub), CLAVE_ERR_TRUNCATED);
}

static void test_writer_round_trip_and_capacity(void **state)
{
    (void)state;
    uint8_t buf[sizeof(RECORD)];
    struct clave_writer w;
    clave_writer_init(&w, buf, sizeof(buf));
    T_OK(clave_writer_u8(&w, 0x07));
    T_OK(clave_writer_u16be(&w, 0x1234));
    T_OK(clave_writer_u32le(&w, 0x12345678));
    T_OK(clave_writer_u64be(&w, 0x0102030405060708ULL));
    T_OK(clave_writer_lenprefixed(&w, CLAVE_LEN_U8, 8, (const uint8_t *)"abc", 3));
    T_OK(clave_writer_u16le(&w, 0));
    assert_int_equal(w.len, sizeof(RECORD));
    assert_memory_equal(buf, RECORD, sizeof(RECORD));
    T_ERR(clave_writer_u8(&w, 1), CLAVE_ERR_TOO_LARGE);
    assert_int_equal(w.len, sizeof(RECORD));

    uint8_t small[4];
    clave_writer_init(&w, small, sizeof(small));
    T_ERR(clave_writer_lenprefixed(&w, CLAVE_LEN_U8, 300, small, 256), CLAVE_ERR_TOO_LARGE);
    T_ERR(clave_writer_lenprefixed(&w, CLAVE_LEN_U16BE, 8, small, 3), CLAVE_ERR_TOO_LARGE);
    assert_int_equal(w.len, 0);
    T_OK(clave_writer_lenprefixed(&w, CLAVE_LEN_U16LE, 8, (const uint8_t *)"xy", 2));
    assert_memory_equal(small, "\x02\x00xy", 4);
}

static void test_little_and_big_endian(void **state)
{
    (void)state;
    const uint8_t data[] = {1, 2, 3, 4, 5, 6, 7, 8};
    struct clave_reader r;
    uint64_t le = 0;
    uint32_t be = 0;
    clave_reader_init(&r, data, sizeof(data));
    T_OK(clave_reader_u64le(&r, &le));
    assert_int_equal(le, 0x0807060504030201ULL);
    clave_reader_init(&r, data, sizeof(data));
    T_OK(clave_reader_u32be(&r, &be));
    assert_int_equal(be, 0x01020304);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record_parses),
        cmocka_unit_test(test_every_truncation_fails),
        cmocka_unit_test(test_trailing_byte_fails),
        cmocka_unit_test(test_oversized_length_fails_without_moving),
        cmocka_unit_test(test_length_beyond_input_fails),
        cmocka_unit_test(test_reserved_nonzero_fails),
        cmocka_unit_test(test_sub_reader),
        cmocka_unit_test(test_writer_round_trip_and_capacity),
        cmocka_unit_test(test_little_and_big_endian),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
