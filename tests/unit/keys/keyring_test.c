/* SPDX-License-Identifier: Apache-2.0 */
/* The keyring interface: backend dispatch, configuration errors, ids, kinds and labels. */
#include "testlib.h"

#include "keys/keyring_internal.h"

#include <string.h>

static void test_bad_configuration(void **state)
{
    (void)state;
    struct clave_keyring *kr = (struct clave_keyring *)1;
    struct clave_keyring_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    T_ERR(clave_keyring_open(NULL, &kr), CLAVE_ERR_ARG);
    assert_null(kr);
    T_ERR(clave_keyring_open(&cfg, &kr), CLAVE_ERR_UNSUPPORTED);
    cfg.backend = (enum clave_keyring_backend)9;
    T_ERR(clave_keyring_create(&cfg, &kr), CLAVE_ERR_UNSUPPORTED);
    cfg.backend = CLAVE_KEYRING_FILE;
    T_ERR(clave_keyring_create(&cfg, &kr), CLAVE_ERR_ARG); /* no path */
    assert_null(kr);
    assert_int_equal(clave_keyring_count(NULL), 0);
    clave_keyring_free(NULL);
}

static void test_key_ids(void **state)
{
    (void)state;
    assert_true(clave__key_id_valid("kek-0123456789abcdef", CLAVE_KEY_AES256_KEK));
    assert_true(clave__key_id_valid("p256-0123456789abcdef", CLAVE_KEY_P256_ECDH));
    assert_false(clave__key_id_valid("p256-0123456789abcdef", CLAVE_KEY_AES256_KEK));
    assert_false(clave__key_id_valid("kek-0123456789ABCDEF", CLAVE_KEY_AES256_KEK));
    assert_false(clave__key_id_valid("kek-0123456789abcde", CLAVE_KEY_AES256_KEK));
    assert_false(clave__key_id_valid("kek-0123456789abcdef0", CLAVE_KEY_AES256_KEK));
    assert_false(clave__key_id_valid("kek-0123456789abcdeg", CLAVE_KEY_AES256_KEK));
    assert_false(clave__key_id_valid("", CLAVE_KEY_AES256_KEK));
    assert_false(clave__key_id_valid("kek-0123456789abcdef", (enum clave_key_kind)3));
}

static void test_labels_and_kinds(void **state)
{
    (void)state;
    char label[CLAVE_KEY_LABEL_MAX + 1];
    memset(label, 'x', sizeof(label));
    label[CLAVE_KEY_LABEL_MAX - 1] = '\0';
    assert_true(clave__key_label_valid(label));
    label[CLAVE_KEY_LABEL_MAX - 1] = 'x';
    label[CLAVE_KEY_LABEL_MAX] = '\0';
    assert_false(clave__key_label_valid(label));
    assert_true(clave__key_label_valid(" ~"));
    assert_false(clave__key_label_valid(""));
    assert_false(clave__key_label_valid(NULL));
    assert_false(clave__key_label_valid("\x7f"));
    assert_false(clave__key_label_valid("\x1b[31m"));

    enum clave_key_kind kind = 0;
    T_OK(clave__key_kind_parse("aes256-kek", &kind));
    assert_int_equal(kind, CLAVE_KEY_AES256_KEK);
    T_OK(clave__key_kind_parse(clave__key_kind_name(CLAVE_KEY_P256_ECDH), &kind));
    assert_int_equal(kind, CLAVE_KEY_P256_ECDH);
    T_ERR(clave__key_kind_parse("AES256-KEK", &kind), CLAVE_ERR_FORMAT);
    assert_null(clave__key_kind_name((enum clave_key_kind)0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_configuration),
        cmocka_unit_test(test_key_ids),
        cmocka_unit_test(test_labels_and_kinds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
