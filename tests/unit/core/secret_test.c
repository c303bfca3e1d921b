/* SPDX-License-Identifier: Apache-2.0 */
#include "testlib.h"

#include <string.h>

static void test_secret_lifecycle(void **state)
{
    (void)state;
    struct clave_secret *a = NULL;
    struct clave_secret *b = NULL;
    struct clave_secret *r = NULL;
    T_OK(clave_secret_new(32, &a));
    assert_int_equal(clave_secret_len(a), 32);
    for (size_t i = 0; i < 32; i++) {
        assert_int_equal(clave_secret_data(a)[i], 0);
    }
    memset(clave_secret_data(a), 0x5a, 32);
    T_OK(clave_secret_from(clave_secret_cdata(a), 32, &b));
    assert_true(clave_secret_equal(a, b));
    clave_secret_data(b)[31] ^= 1;
    assert_false(clave_secret_equal(a, b));
    T_OK(clave_secret_random(32, &r));
    assert_false(clave_secret_equal(a, r));
    /* Running as root or with a normal RLIMIT_MEMLOCK, one page locks. */
    assert_true(clave_secret_is_locked(a));
    clave_secret_free(a);
    clave_secret_free(b);
    clave_secret_free(r);
    clave_secret_free(NULL);
}

static void test_secret_limits(void **state)
{
    (void)state;
    struct clave_secret *s = NULL;
    T_ERR(clave_secret_new(0, &s), CLAVE_ERR_ARG);
    assert_null(s);
    T_ERR(clave_secret_new(CLAVE_SECRET_MAX_LEN + 1, &s), CLAVE_ERR_ARG);
    assert_null(s);
    T_OK(clave_secret_new(CLAVE_SECRET_MAX_LEN, &s));
    clave_secret_free(s);
}

static void test_ct_equal_and_wipe(void **state)
{
    (void)state;
    uint8_t a[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    uint8_t b[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    assert_true(clave_ct_equal(a, b, sizeof(a)));
    b[7] = 9;
    assert_false(clave_ct_equal(a, b, sizeof(a)));
    clave_wipe(a, sizeof(a));
    for (size_t i = 0; i < sizeof(a); i++) {
        assert_int_equal(a[i], 0);
    }
}

static void test_status_strings_and_last_error(void **state)
{
    (void)state;
    assert_string_equal(clave_status_str(CLAVE_OK), "ok");
    assert_string_equal(clave_status_str(CLAVE_ERR_TRUNCATED), "truncated input");
    assert_string_equal(clave_status_str((clave_status)12345), "unknown status");
    clave_error_clear();
    assert_int_equal(clave_error_last().status, CLAVE_OK);
    struct clave_secret *s = NULL;
    T_ERR(clave_secret_new(0, &s), CLAVE_ERR_ARG);
    struct clave_error_info e = clave_error_last();
    assert_int_equal(e.status, CLAVE_ERR_ARG);
    assert_non_null(strstr(e.file, "secret.c"));
    assert_true(e.line > 0);
    assert_non_null(strstr(e.detail, "secret length 0"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_secret_lifecycle),
        cmocka_unit_test(test_secret_limits),
        cmocka_unit_test(test_ct_equal_and_wipe),
        cmocka_unit_test(test_status_strings_and_last_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
