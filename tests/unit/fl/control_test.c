/* SPDX-License-Identifier: Apache-2.0 */
/* Control frames of the attested FL aggregator (HELLO, END; docs/formats/fl.md "Control
 * frames"): exact bytes, round trips, and hostile input: truncation at every offset, trailing
 * bytes, every single-bit flip, out-of-range ids and reasons. */
#include "testlib.h"

#include <string.h>

static struct clave_fl_hello sample(void)
{
    struct clave_fl_hello h = {.client = 3, .clients = 4, .rounds = 10};
    for (size_t i = 0; i < CLAVE_FL_CONTRACT_ID_LEN; i++) {
        h.contract_id[i] = (uint8_t)(0xa0 + i);
    }
    for (size_t i = 0; i < CLAVE_FL_CHALLENGE_LEN; i++) {
        h.challenge[i] = (uint8_t)(0x30 + i);
    }
    return h;
}

static void test_hello(void **state)
{
    (void)state;
    struct clave_fl_hello h = sample(), back;
    uint8_t f[CLAVE_FL_HELLO_LEN + 1];
    T_OK(clave_fl_hello_encode(&h, f));
    static const uint8_t HEAD[8] = {'C', 'L', 'F', 'A', 2, 1, 0, 0};
    assert_memory_equal(f, HEAD, sizeof(HEAD));
    assert_memory_equal(f + 8, h.contract_id, CLAVE_FL_CONTRACT_ID_LEN);
    static const uint8_t TAIL[12] = {3, 0, 0, 0, 4, 0, 0, 0, 10, 0, 0, 0};
    assert_memory_equal(f + 40, TAIL, sizeof(TAIL));
    assert_memory_equal(f + 52, h.challenge, CLAVE_FL_CHALLENGE_LEN);
    assert_true(clave_fl_is_control(f, sizeof(f)));
    T_OK(clave_fl_hello_parse(f, CLAVE_FL_HELLO_LEN, &back));
    assert_memory_equal(&back, &h, sizeof(h));
    for (size_t cut = 0; cut < CLAVE_FL_HELLO_LEN; cut++) {
        assert_int_not_equal(clave_fl_hello_parse(f, cut, &back), CLAVE_OK);
        assert_int_equal(back.client, 0);
    }
    f[CLAVE_FL_HELLO_LEN] = 0;
    assert_int_equal(clave_fl_hello_parse(f, sizeof(f), &back), CLAVE_ERR_TRAILING);
    /* a flipped bit in the head or the ids is refused or changes what is read */
    for (size_t bit = 0; bit < CLAVE_FL_HELLO_LEN * 8; bit++) {
        f[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        clave_status st = clave_fl_hello_parse(f, CLAVE_FL_HELLO_LEN, &back);
        if (bit < 64) {
            assert_int_not_equal(st, CLAVE_OK);
        } else if (st == CLAVE_OK) {
            assert_memory_not_equal(&back, &h, sizeof(h));
        }
        f[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    /* ids out of range, both ways */
    struct clave_fl_hello bad = h;
    bad.client = 5;
    assert_int_equal(clave_fl_hello_encode(&bad, f), CLAVE_ERR_ARG);
    bad.client = 0;
    assert_int_equal(clave_fl_hello_encode(&bad, f), CLAVE_ERR_ARG);
    bad = h;
    bad.clients = CLAVE_FL_MAX_CLIENTS + 1;
    assert_int_equal(clave_fl_hello_encode(&bad, f), CLAVE_ERR_ARG);
    T_OK(clave_fl_hello_encode(&h, f));
    f[40] = 5; /* client 5 of 4 */
    assert_int_equal(clave_fl_hello_parse(f, CLAVE_FL_HELLO_LEN, &back), CLAVE_ERR_FORMAT);
    f[40] = 3;
    f[48] = 0; /* 0 rounds */
    assert_int_equal(clave_fl_hello_parse(f, CLAVE_FL_HELLO_LEN, &back), CLAVE_ERR_FORMAT);
    f[48] = 10;
    f[4] = 1; /* a version-1 HELLO (no challenge) is refused as unsupported */
    assert_int_equal(clave_fl_hello_parse(f, CLAVE_FL_HELLO_LEN, &back), CLAVE_ERR_UNSUPPORTED);
    assert_int_equal(clave_fl_hello_parse(f, 52, &back), CLAVE_ERR_UNSUPPORTED);
}

static void test_end(void **state)
{
    (void)state;
    uint8_t f[CLAVE_FL_END_LEN + 1];
    uint32_t rounds = 9;
    clave_fl_end_reason why = CLAVE_FL_END_DONE;
    T_OK(clave_fl_end_encode(7, CLAVE_FL_END_BUDGET, f));
    static const uint8_t WANT[CLAVE_FL_END_LEN] = {'C', 'L', 'F', 'A', 2, 2, 0, 0,
                                                   7,   0,   0,   0,   1, 0, 0, 0};
    assert_memory_equal(f, WANT, sizeof(WANT));
    T_OK(clave_fl_end_parse(f, CLAVE_FL_END_LEN, &rounds, &why));
    assert_true(rounds == 7 && why == CLAVE_FL_END_BUDGET);
    for (size_t cut = 0; cut < CLAVE_FL_END_LEN; cut++) {
        assert_int_not_equal(clave_fl_end_parse(f, cut, &rounds, &why), CLAVE_OK);
        assert_true(rounds == 0 && why == CLAVE_FL_END_FAILED);
    }
    f[CLAVE_FL_END_LEN] = 0;
    assert_int_equal(clave_fl_end_parse(f, sizeof(f), &rounds, &why), CLAVE_ERR_TRAILING);
    f[12] = 3; /* unknown reason */
    assert_int_equal(clave_fl_end_parse(f, CLAVE_FL_END_LEN, &rounds, &why), CLAVE_ERR_FORMAT);
    f[12] = 1;
    f[5] = 1; /* a HELLO type where END is expected */
    assert_int_equal(clave_fl_end_parse(f, CLAVE_FL_END_LEN, &rounds, &why), CLAVE_ERR_FORMAT);
    f[5] = 2;
    f[4] = 1; /* version */
    assert_int_equal(clave_fl_end_parse(f, CLAVE_FL_END_LEN, &rounds, &why), CLAVE_ERR_UNSUPPORTED);
    f[4] = 2;
    f[7] = 1; /* reserved */
    assert_int_not_equal(clave_fl_end_parse(f, CLAVE_FL_END_LEN, &rounds, &why), CLAVE_OK);
    assert_int_equal(clave_fl_end_encode(1, (clave_fl_end_reason)3, f), CLAVE_ERR_ARG);
    /* an FL message is not a control frame, and vice versa */
    static const uint8_t FL[8] = {'C', 'L', 'F', 'L', 1, 1, 0, 0};
    assert_false(clave_fl_is_control(FL, sizeof(FL)));
    assert_false(clave_fl_is_control(FL, 3));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hello),
        cmocka_unit_test(test_end),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
