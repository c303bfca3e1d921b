/* SPDX-License-Identifier: Apache-2.0 */
#include "testlib.h"

#include <stdlib.h>
#include <string.h>

#define CHUNK 1024

struct sealed {
    uint8_t *data;
    size_t len;
};

static const uint8_t FILE_ID[CLAVE_SEAL_ID_LEN] = {1, 2,  3,  4,  5,  6,  7,  8,
                                                   9, 10, 11, 12, 13, 14, 15, 16};
static const uint8_t DEK_ID[CLAVE_SEAL_ID_LEN] = {0xd0, 0xd1, 0xd2, 0xd3};
static const uint8_t WRAPPED[] = {0xaa, 0xbb, 0xcc};

static struct clave_secret *test_dek(uint8_t fill)
{
    uint8_t raw[CLAVE_SEAL_DEK_LEN];
    memset(raw, fill, sizeof(raw));
    struct clave_secret *dek = NULL;
    T_OK(clave_secret_from(raw, sizeof(raw), &dek));
    return dek;
}

static uint8_t *pattern(size_t len)
{
    uint8_t *p = malloc(len + 1);
    assert_non_null(p);
    for (size_t i = 0; i < len; i++) {
        p[i] = (uint8_t)(i * 31 + 7);
    }
    return p;
}

static struct sealed seal_bytes(const uint8_t *pt, size_t len, const struct clave_secret *dek)
{
    struct clave_seal_recipient rcpt = {CLAVE_SEAL_WRAP_KEK, "kek-0011223344556677", WRAPPED,
                                        sizeof(WRAPPED)};
    struct clave_seal_mem mem = {.in = pt, .in_len = len};
    struct clave_seal_io io = clave_seal_io_mem(&mem);
    uint64_t n = 0;
    T_OK(clave_seal_stream(dek, FILE_ID, DEK_ID, CHUNK, &rcpt, 1, &io, &n));
    assert_int_equal(n, len);
    struct sealed s = {mem.out, mem.out_len};
    return s;
}

/* Unseal from memory; returns the status, and the plaintext via `out`. */
static clave_status unseal_bytes(const uint8_t *data, size_t len, const struct clave_secret *dek,
                                 uint8_t **out, size_t *out_len)
{
    struct clave_seal_mem mem = {.in = data, .in_len = len};
    struct clave_seal_io io = clave_seal_io_mem(&mem);
    struct clave_seal_header *hdr = NULL;
    clave_status st = clave_seal_header_read(&io, &hdr);
    if (st == CLAVE_OK) {
        st = clave_unseal_stream(hdr, dek, &io, NULL);
    }
    clave_seal_header_free(hdr);
    *out = mem.out;
    *out_len = mem.out_len;
    return st;
}

static void test_round_trip_sizes(void **state)
{
    (void)state;
    const size_t sizes[] = {0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 3 * CHUNK + 17};
    struct clave_secret *dek = test_dek(0x42);
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        uint8_t *pt = pattern(sizes[i]);
        struct sealed s = seal_bytes(pt, sizes[i], dek);
        size_t chunks = sizes[i] == 0 ? 1 : (sizes[i] + CHUNK - 1) / CHUNK;
        struct clave_seal_header *hdr = NULL;
        size_t consumed = 0;
        T_OK(clave_seal_header_parse(s.data, s.len, &hdr, &consumed));
        assert_int_equal(s.len, consumed + sizes[i] + chunks * CLAVE_SEAL_TAG_LEN);
        clave_seal_header_free(hdr);
        uint8_t *out = NULL;
        size_t out_len = 0;
        T_OK(unseal_bytes(s.data, s.len, dek, &out, &out_len));
        assert_int_equal(out_len, sizes[i]);
        if (sizes[i] > 0) {
            assert_memory_equal(out, pt, sizes[i]);
        }
        free(out);
        free(s.data);
        free(pt);
    }
    clave_secret_free(dek);
}

static void test_header_fields(void **state)
{
    (void)state;
    struct clave_secret *dek = test_dek(1);
    struct sealed s = seal_bytes((const uint8_t *)"x", 1, dek);
    struct clave_seal_header *hdr = NULL;
    size_t consumed = 0;
    struct clave_seal_recipient r;
    T_OK(clave_seal_header_parse(s.data, s.len, &hdr, &consumed));
    assert_int_equal(clave_seal_header_version(hdr), 1);
    assert_int_equal(clave_seal_header_chunk_size(hdr), CHUNK);
    assert_memory_equal(clave_seal_header_file_id(hdr), FILE_ID, CLAVE_SEAL_ID_LEN);
    assert_memory_equal(clave_seal_header_dek_id(hdr), DEK_ID, CLAVE_SEAL_ID_LEN);
    assert_int_equal(clave_seal_header_recipient_count(hdr), 1);
    T_OK(clave_seal_header_recipient(hdr, 0, &r));
    assert_string_equal(r.key_id, "kek-0011223344556677");
    assert_int_equal(r.wrapped_len, sizeof(WRAPPED));
    T_ERR(clave_seal_header_recipient(hdr, 1, &r), CLAVE_ERR_ARG);
    char *json = NULL;
    T_OK(clave_seal_header_json(hdr, &json));
    assert_non_null(strstr(json, "\"file_id\": \"0102030405060708090a0b0c0d0e0f10\""));
    assert_non_null(strstr(json, "\"key_id\": \"kek-0011223344556677\""));
    free(json);
    clave_seal_header_free(hdr);
    free(s.data);
    clave_secret_free(dek);
}

static void expect_rejected(const uint8_t *data, size_t len, const struct clave_secret *dek)
{
    uint8_t *out = NULL;
    size_t out_len = 0;
    clave_status st = unseal_bytes(data, len, dek, &out, &out_len);
    assert_int_not_equal(st, CLAVE_OK);
    free(out);
}

static void test_every_bit_flip_detected(void **state)
{
    (void)state;
    struct clave_secret *dek = test_dek(7);
    uint8_t *pt = pattern(2 * CHUNK + 5);
    struct sealed s = seal_bytes(pt, 2 * CHUNK + 5, dek);
    /* Flipping any bit anywhere (header, tag, any chunk) must fail the whole unseal. */
    for (size_t i = 0; i < s.len; i += (i < 200 ? 1 : 37)) {
        s.data[i] ^= 0x01;
        expect_rejected(s.data, s.len, dek);
        s.data[i] ^= 0x01;
    }
    free(s.data);
    free(pt);
    clave_secret_free(dek);
}

static void test_chunk_attacks(void **state)
{
    (void)state;
    struct clave_secret *dek = test_dek(9);
    uint8_t *pt = pattern(3 * CHUNK);
    struct sealed s = seal_bytes(pt, 3 * CHUNK, dek);
    size_t hdr_len = s.len - 3 * (CHUNK + CLAVE_SEAL_TAG_LEN);
    size_t clen = CHUNK + CLAVE_SEAL_TAG_LEN;
    uint8_t *copy = malloc(s.len + clen);
    uint8_t *out = NULL;
    size_t out_len = 0;
    assert_non_null(copy);

    /* Swap chunks 0 and 1. */
    memcpy(copy, s.data, s.len);
    memcpy(copy + hdr_len, s.data + hdr_len + clen, clen);
    memcpy(copy + hdr_len + clen, s.data + hdr_len, clen);
    T_ERR(unseal_bytes(copy, s.len, dek, &out, &out_len), CLAVE_ERR_TAMPERED);
    assert_int_equal(out_len, 0); /* nothing released from the bad chunk */
    free(out);

    /* Truncate at every chunk boundary and inside chunks. */
    for (size_t cut = hdr_len; cut < s.len; cut += 97) {
        T_ERR(unseal_bytes(s.data, cut, dek, &out, &out_len), CLAVE_ERR_TAMPERED);
        free(out);
    }
    for (size_t k = 1; k < 3; k++) {
        T_ERR(unseal_bytes(s.data, hdr_len + k * clen, dek, &out, &out_len), CLAVE_ERR_TAMPERED);
        assert_int_equal(out_len, (k - 1) * CHUNK);
        free(out);
    }

    /* Append a copy of the last chunk, and a single extra byte. */
    memcpy(copy, s.data, s.len);
    memcpy(copy + s.len, s.data + s.len - clen, clen);
    T_ERR(unseal_bytes(copy, s.len + clen, dek, &out, &out_len), CLAVE_ERR_TAMPERED);
    free(out);
    copy[s.len] = 0;
    T_ERR(unseal_bytes(copy, s.len + 1, dek, &out, &out_len), CLAVE_ERR_TAMPERED);
    free(out);

    /* Wrong key: the header tag fails first. */
    struct clave_secret *other = test_dek(10);
    T_ERR(unseal_bytes(s.data, s.len, other, &out, &out_len), CLAVE_ERR_AUTH);
    assert_int_equal(out_len, 0);
    free(out);
    clave_secret_free(other);

    free(copy);
    free(s.data);
    free(pt);
    clave_secret_free(dek);
}

static void test_header_truncation_and_limits(void **state)
{
    (void)state;
    struct clave_secret *dek = test_dek(3);
    struct sealed s = seal_bytes((const uint8_t *)"hello", 5, dek);
    struct clave_seal_header *hdr = NULL;
    size_t consumed = 0;
    T_OK(clave_seal_header_parse(s.data, s.len, &hdr, &consumed));
    clave_seal_header_free(hdr);
    for (size_t cut = 0; cut < consumed; cut++) {
        T_ERR(clave_seal_header_parse(s.data, cut, &hdr, &consumed), CLAVE_ERR_TRUNCATED);
        assert_null(hdr);
    }
    /* Bad magic, version, algorithm, header_len, chunk size, recipient count. */
    const struct {
        size_t offset;
        uint8_t value;
        clave_status expect;
    } edits[] = {
        {0, 'X', CLAVE_ERR_FORMAT},     {9, 2, CLAVE_ERR_UNSUPPORTED},
        {11, 9, CLAVE_ERR_UNSUPPORTED}, {12, 0xff, CLAVE_ERR_FORMAT},
        {16, 0xff, CLAVE_ERR_FORMAT},   {52, 0, CLAVE_ERR_FORMAT},
        {52, 17, CLAVE_ERR_FORMAT},     {53, 3, CLAVE_ERR_FORMAT},
        {54, 0, CLAVE_ERR_FORMAT},      {54, 200, CLAVE_ERR_TOO_LARGE},
    };
    for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
        uint8_t saved = s.data[edits[i].offset];
        s.data[edits[i].offset] = edits[i].value;
        clave_status st = clave_seal_header_parse(s.data, s.len, &hdr, &consumed);
        if (st != edits[i].expect) {
            fail_msg("edit %zu: got %s (%s)", i, clave_status_str(st), clave_error_last().detail);
        }
        assert_null(hdr);
        s.data[edits[i].offset] = saved;
    }
    free(s.data);
    clave_secret_free(dek);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    struct clave_secret *dek = test_dek(3);
    struct clave_secret *short_dek = NULL;
    T_OK(clave_secret_new(16, &short_dek));
    struct clave_seal_recipient rcpt = {CLAVE_SEAL_WRAP_KEK, "id with space", WRAPPED, 3};
    struct clave_seal_mem mem = {.in = (const uint8_t *)"x", .in_len = 1};
    struct clave_seal_io io = clave_seal_io_mem(&mem);
    T_ERR(clave_seal_stream(dek, FILE_ID, DEK_ID, CHUNK, &rcpt, 1, &io, NULL), CLAVE_ERR_FORMAT);
    rcpt.key_id = "ok";
    T_ERR(clave_seal_stream(dek, FILE_ID, DEK_ID, 100, &rcpt, 1, &io, NULL), CLAVE_ERR_FORMAT);
    T_ERR(clave_seal_stream(dek, FILE_ID, DEK_ID, CHUNK, &rcpt, 0, &io, NULL), CLAVE_ERR_ARG);
    T_ERR(clave_seal_stream(short_dek, FILE_ID, DEK_ID, CHUNK, &rcpt, 1, &io, NULL), CLAVE_ERR_KEY);
    rcpt.wrapped_len = CLAVE_SEAL_WRAPPED_MAX + 1;
    T_ERR(clave_seal_stream(dek, FILE_ID, DEK_ID, CHUNK, &rcpt, 1, &io, NULL), CLAVE_ERR_FORMAT);
    assert_int_equal(mem.out_len, 0);
    free(mem.out);
    clave_secret_free(short_dek);
    clave_secret_free(dek);
}

static void test_wrap_aad(void **state)
{
    (void)state;
    uint8_t aad[CLAVE_SEAL_WRAP_AAD_LEN];
    clave_seal_wrap_aad(FILE_ID, DEK_ID, aad);
    assert_memory_equal(aad, "clave-seal-v1-dek", 17);
    assert_memory_equal(aad + 17, FILE_ID, CLAVE_SEAL_ID_LEN);
    assert_memory_equal(aad + 17 + CLAVE_SEAL_ID_LEN, DEK_ID, CLAVE_SEAL_ID_LEN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_sizes),
        cmocka_unit_test(test_header_fields),
        cmocka_unit_test(test_every_bit_flip_detected),
        cmocka_unit_test(test_chunk_attacks),
        cmocka_unit_test(test_header_truncation_and_limits),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_wrap_aad),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
