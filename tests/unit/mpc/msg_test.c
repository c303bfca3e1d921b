/* SPDX-License-Identifier: Apache-2.0 */
/* MPC wire messages and share files: round trips, truncation at every offset, wrong fields. */
#include "mpc/msg.h"
#include "mpc/sharefile.h"
#include "testlib.h"

#include <string.h>

static const uint8_t SESSION[MPC_SESSION_ID_LEN] = {1, 2,  3,  4,  5,  6,  7,  8,
                                                    9, 10, 11, 12, 13, 14, 15, 16};

static struct mpc_expect expect_mul(void)
{
    return (struct mpc_expect){.op = MPC_OP_MUL,
                               .sender = 1,
                               .session = SESSION,
                               .step = 7,
                               .payload_len = 80,
                               .max_payload = 80};
}

static void encode_mul(uint8_t out[MPC_MSG_HEADER_LEN])
{
    struct mpc_header h = {.op = MPC_OP_MUL, .sender = 1, .step = 7, .payload_len = 80};
    memcpy(h.session, SESSION, sizeof(SESSION));
    clave__mpc_header_encode(&h, out);
}

static void test_header_round_trip(void **state)
{
    (void)state;
    uint8_t buf[MPC_MSG_HEADER_LEN];
    struct mpc_header h;
    struct mpc_expect want = expect_mul();
    encode_mul(buf);
    assert_memory_equal(buf, "CMPC\x01\x04\x01\x00", 8);
    T_OK(clave__mpc_header_decode(buf, sizeof(buf), &want, "node 1", &h));
    assert_int_equal(h.op, MPC_OP_MUL);
    assert_int_equal(h.step, 7);
    assert_int_equal(h.payload_len, 80);
    for (size_t cut = 0; cut < sizeof(buf); cut++) {
        T_ERR(clave__mpc_header_decode(buf, cut, &want, "node 1", &h), CLAVE_ERR_TRUNCATED);
    }
    uint8_t longer[MPC_MSG_HEADER_LEN + 1] = {0};
    memcpy(longer, buf, sizeof(buf));
    T_ERR(clave__mpc_header_decode(longer, sizeof(longer), &want, "node 1", &h),
          CLAVE_ERR_TRAILING);
}

/* Each wrong field fails, with the peer named in the detail. */
static void test_header_wrong_fields(void **state)
{
    (void)state;
    static const struct {
        size_t offset;
        uint8_t xor ;
        clave_status want;
    } CASES[] = {
        {0, 0x01, CLAVE_ERR_FORMAT},      /* magic */
        {4, 0x02, CLAVE_ERR_UNSUPPORTED}, /* version */
        {5, 0x01, CLAVE_ERR_FORMAT},      /* op */
        {6, 0x03, CLAVE_ERR_FORMAT},      /* sender */
        {7, 0x01, CLAVE_ERR_FORMAT},      /* reserved */
        {8, 0x80, CLAVE_ERR_FORMAT},      /* session */
        {23, 0x01, CLAVE_ERR_FORMAT},     /* session, last byte */
        {27, 0x01, CLAVE_ERR_FORMAT},     /* step */
        {31, 0x08, CLAVE_ERR_TOO_LARGE},  /* payload length 88 > 80 */
        {31, 0x10, CLAVE_ERR_FORMAT},     /* payload length 64 != 80 */
        {28, 0x80, CLAVE_ERR_TOO_LARGE},  /* payload length 2^31 */
    };
    struct mpc_expect want = expect_mul();
    struct mpc_header h;
    for (size_t i = 0; i < sizeof(CASES) / sizeof(CASES[0]); i++) {
        uint8_t buf[MPC_MSG_HEADER_LEN];
        encode_mul(buf);
        buf[CASES[i].offset] ^= CASES[i].xor ;
        T_ERR(clave__mpc_header_decode(buf, sizeof(buf), &want, "node 1", &h), CASES[i].want);
        assert_non_null(strstr(clave_error_last().detail, "node 1"));
        assert_int_equal(h.op, 0); /* nothing written on failure */
    }
    /* Any step and an alternative op are accepted only when asked for. */
    uint8_t buf[MPC_MSG_HEADER_LEN];
    encode_mul(buf);
    buf[27] ^= 1;
    want.any_step = true;
    T_OK(clave__mpc_header_decode(buf, sizeof(buf), &want, "node 1", &h));
    buf[5] = MPC_OP_ABORT;
    want.payload_len = SIZE_MAX;
    T_ERR(clave__mpc_header_decode(buf, sizeof(buf), &want, "node 1", &h), CLAVE_ERR_FORMAT);
    want.alt_op = MPC_OP_ABORT;
    T_OK(clave__mpc_header_decode(buf, sizeof(buf), &want, "node 1", &h));
}

static void test_run_codec(void **state)
{
    (void)state;
    uint8_t buf[256];
    struct clave_writer w;
    struct mpc_run run = {.compute = MPC_COMPUTE_DOT}, got;
    memcpy(run.input_a, "age", 4);
    memcpy(run.input_b, "income.2024", 12);
    clave_writer_init(&w, buf, sizeof(buf));
    T_OK(clave__mpc_run_encode(&run, &w));
    T_OK(clave__mpc_run_decode(buf, w.len, &got));
    assert_string_equal(got.input_a, "age");
    assert_string_equal(got.input_b, "income.2024");
    for (size_t cut = 0; cut < w.len; cut++) {
        assert_int_not_equal(clave__mpc_run_decode(buf, cut, &got), CLAVE_OK);
        assert_int_equal(got.compute, 0);
    }
    buf[w.len] = 0;
    T_ERR(clave__mpc_run_decode(buf, w.len + 1, &got), CLAVE_ERR_TRAILING);
    buf[0] = 0;
    T_ERR(clave__mpc_run_decode(buf, w.len, &got), CLAVE_ERR_FORMAT);
    buf[0] = MPC_COMPUTE_LAST + 1;
    T_ERR(clave__mpc_run_decode(buf, w.len, &got), CLAVE_ERR_FORMAT);
    buf[0] = MPC_COMPUTE_SUM; /* unary with a second input */
    T_ERR(clave__mpc_run_decode(buf, w.len, &got), CLAVE_ERR_FORMAT);
    buf[0] = MPC_COMPUTE_DOT;
    buf[2] = '/'; /* "a/e": a path separator in a name */
    T_ERR(clave__mpc_run_decode(buf, w.len, &got), CLAVE_ERR_FORMAT);
    static const uint8_t DOTDOT[] = {MPC_COMPUTE_SUM, 2, '.', '.', 0};
    T_ERR(clave__mpc_run_decode(DOTDOT, sizeof(DOTDOT), &got), CLAVE_ERR_FORMAT);
    static const uint8_t LONG_NAME[] = {MPC_COMPUTE_SUM, 65};
    T_ERR(clave__mpc_run_decode(LONG_NAME, sizeof(LONG_NAME), &got), CLAVE_ERR_TOO_LARGE);
    static const uint8_t MISSING_B[] = {MPC_COMPUTE_LT, 1, 'x', 0};
    T_ERR(clave__mpc_run_decode(MISSING_B, sizeof(MISSING_B), &got), CLAVE_ERR_FORMAT);
}

static void test_result_and_abort(void **state)
{
    (void)state;
    uint8_t buf[8 + 16 + MPC_DIGEST_LEN] = {1, 0, 0, 0, 0, 0, 0, 2};
    struct mpc_result r;
    char text[MPC_ABORT_TEXT_MAX + 1];
    T_OK(clave__mpc_result_decode(buf, sizeof(buf), &r));
    assert_int_equal(r.count, 2);
    assert_int_equal(r.boolean, 1);
    for (size_t cut = 0; cut < sizeof(buf); cut++) {
        assert_int_not_equal(clave__mpc_result_decode(buf, cut, &r), CLAVE_OK);
        assert_null(r.own);
    }
    buf[0] = 2;
    T_ERR(clave__mpc_result_decode(buf, sizeof(buf), &r), CLAVE_ERR_FORMAT);
    buf[0] = 0;
    buf[1] = 49;
    T_ERR(clave__mpc_result_decode(buf, sizeof(buf), &r), CLAVE_ERR_FORMAT);
    buf[1] = 0;
    buf[2] = 1;
    T_ERR(clave__mpc_result_decode(buf, sizeof(buf), &r), CLAVE_ERR_FORMAT);
    buf[2] = 0;
    buf[4] = 0x10; /* count 2^28 + 2 */
    T_ERR(clave__mpc_result_decode(buf, sizeof(buf), &r), CLAVE_ERR_TOO_LARGE);
    T_OK(clave__mpc_abort_decode((const uint8_t *)"node 2 closed", 13, text));
    assert_string_equal(text, "node 2 closed");
    T_ERR(clave__mpc_abort_decode((const uint8_t *)"bad\nline", 8, text), CLAVE_ERR_FORMAT);
    T_ERR(clave__mpc_abort_decode((const uint8_t *)"", 0, text), CLAVE_ERR_FORMAT);
    uint8_t big[MPC_ABORT_TEXT_MAX + 1];
    memset(big, 'a', sizeof(big));
    T_ERR(clave__mpc_abort_decode(big, sizeof(big), text), CLAVE_ERR_FORMAT);
}

static void test_share_file(void **state)
{
    (void)state;
    uint8_t dataset[MPC_DATASET_ID_LEN] = {9};
    uint64_t own[3] = {1, 2, 3}, next[3] = {4, 5, UINT64_MAX};
    uint8_t *file = NULL;
    size_t len = 0;
    struct mpc_input in;
    T_OK(clave__mpc_share_encode(2, "col", dataset, 16, own, next, 3, &file, &len));
    T_OK(clave__mpc_share_decode(file, len, 2, "col", &in));
    assert_memory_equal(in.shares.own, own, sizeof(own));
    assert_memory_equal(in.shares.next, next, sizeof(next));
    assert_int_equal(in.frac_bits, 16);
    clave__mpc_vec_free(&in.shares);
    for (size_t cut = 0; cut < len; cut++) {
        assert_int_not_equal(clave__mpc_share_decode(file, cut, 2, "col", &in), CLAVE_OK);
        assert_null(in.shares.own);
    }
    T_ERR(clave__mpc_share_decode(file, len, 1, "col", &in), CLAVE_ERR_FORMAT); /* other node */
    T_ERR(clave__mpc_share_decode(file, len, 2, "cot", &in), CLAVE_ERR_FORMAT); /* other name */
    static const size_t FLIP[] = {0, 4, 6, 7, 24};
    static const clave_status WANT[] = {CLAVE_ERR_FORMAT, CLAVE_ERR_UNSUPPORTED, CLAVE_ERR_FORMAT,
                                        CLAVE_ERR_FORMAT, CLAVE_ERR_TOO_LARGE};
    for (size_t i = 0; i < sizeof(FLIP) / sizeof(FLIP[0]); i++) {
        file[FLIP[i]] ^= 0x40;
        T_ERR(clave__mpc_share_decode(file, len, 2, "col", &in), WANT[i]);
        file[FLIP[i]] ^= 0x40;
    }
    free(file);
}

static void test_share_write_and_load(void **state)
{
    (void)state;
    char *dir = t_tempdir();
    uint64_t values[5] = {10, 20, 30, (uint64_t)-4, 0};
    struct mpc_input in[3];
    T_OK(clave_mpc_share_write(dir, "v", values, 5, 8));
    for (unsigned i = 0; i < 3; i++) {
        T_OK(clave__mpc_share_load(dir, "v", i, &in[i]));
    }
    assert_memory_equal(in[0].dataset, in[2].dataset, MPC_DATASET_ID_LEN);
    uint64_t out[5];
    T_OK(clave_mpc_rss_open(1, in[1].shares.own, in[1].shares.next, 2, in[2].shares.own,
                            in[2].shares.next, 5, out));
    assert_memory_equal(out, values, sizeof(values));
    for (unsigned i = 0; i < 3; i++) {
        clave__mpc_vec_free(&in[i].shares);
    }
    T_ERR(clave__mpc_share_load(dir, "missing", 0, &in[0]), CLAVE_ERR_NOT_FOUND);
    T_ERR(clave__mpc_share_load(dir, "../v", 0, &in[0]), CLAVE_ERR_ARG);
    T_ERR(clave_mpc_share_write(dir, "a/b", values, 5, 8), CLAVE_ERR_ARG);
    T_ERR(clave_mpc_share_write(dir, "v", values, 0, 8), CLAVE_ERR_ARG);
    T_ERR(clave_mpc_share_write(dir, "v", values, 5, 49), CLAVE_ERR_ARG);
    t_rmtree(dir);
    free(dir);
}

/* UPLOAD payloads: name then a share file; the node stores only a file that decodes for it and
 * for that name, and a store never leaves a partial file. */
static void test_upload(void **state)
{
    (void)state;
    char *dir = t_tempdir();
    uint64_t values[4] = {1, 2, 3, 4};
    uint8_t *files[3] = {NULL, NULL, NULL};
    size_t lens[3] = {0, 0, 0};
    char name[MPC_NAME_MAX + 1];
    const uint8_t *file = NULL;
    size_t file_len = 0, count = 0;
    T_OK(clave__mpc_share_files("up", values, 4, 0, files, lens));
    uint8_t *payload = malloc(3 + lens[1]);
    assert_non_null(payload);
    payload[0] = 2;
    memcpy(payload + 1, "up", 2);
    memcpy(payload + 3, files[1], lens[1]);
    T_OK(clave__mpc_upload_decode(payload, 3 + lens[1], name, &file, &file_len));
    assert_string_equal(name, "up");
    assert_int_equal(file_len, lens[1]);
    for (size_t cut = 0; cut <= 3; cut++) { /* no name, short name, or no file */
        assert_int_not_equal(clave__mpc_upload_decode(payload, cut, name, &file, &file_len),
                             CLAVE_OK);
        assert_null(file);
        assert_string_equal(name, "");
    }
    payload[1] = '.'; /* ".p": names may not start with a dot */
    T_ERR(clave__mpc_upload_decode(payload, 3 + lens[1], name, &file, &file_len), CLAVE_ERR_FORMAT);
    payload[1] = 'u';
    payload[0] = MPC_NAME_MAX + 1;
    assert_int_not_equal(clave__mpc_upload_decode(payload, 3 + lens[1], name, &file, &file_len),
                         CLAVE_OK);
    T_OK(clave__mpc_share_store(dir, "up", 1, files[1], lens[1], &count));
    assert_int_equal(count, 4);
    T_ERR(clave__mpc_share_store(dir, "up", 2, files[1], lens[1], &count), CLAVE_ERR_FORMAT);
    T_ERR(clave__mpc_share_store(dir, "other", 1, files[1], lens[1], &count), CLAVE_ERR_FORMAT);
    T_ERR(clave__mpc_share_store(dir, "../up", 1, files[1], lens[1], &count), CLAVE_ERR_ARG);
    for (size_t cut = 0; cut < lens[2]; cut += 7) {
        assert_int_not_equal(clave__mpc_share_store(dir, "up", 2, files[2], cut, &count), CLAVE_OK);
        assert_int_equal(count, 0);
    }
    struct mpc_input in;
    T_ERR(clave__mpc_share_load(dir, "up", 2, &in), CLAVE_ERR_NOT_FOUND); /* nothing partial */
    T_OK(clave__mpc_share_load(dir, "up", 1, &in));
    clave__mpc_vec_free(&in.shares);
    for (int i = 0; i < 3; i++) {
        free(files[i]);
    }
    T_ERR(clave__mpc_share_files("bad/name", values, 4, 0, files, lens), CLAVE_ERR_ARG);
    assert_null(files[0]);
    free(payload);
    t_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_round_trip),
        cmocka_unit_test(test_header_wrong_fields),
        cmocka_unit_test(test_run_codec),
        cmocka_unit_test(test_result_and_abort),
        cmocka_unit_test(test_share_file),
        cmocka_unit_test(test_share_write_and_load),
        cmocka_unit_test(test_upload),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
