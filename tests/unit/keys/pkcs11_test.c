/* SPDX-License-Identifier: Apache-2.0 */
/* The PKCS#11 keyring backend against a real SoftHSM2 token made fresh for each test. */
#include "testlib.h"

#include "softhsm.h"

#include <dlfcn.h>
#include <p11-kit/pkcs11.h>
#include <stdlib.h>
#include <string.h>

#define LABEL "clave-test"
#define USER_PIN "1234"
#define SO_PIN "5678"

struct fixture {
    struct t_softhsm *hsm;
    struct clave_secret *pin;
    struct clave_keyring_config cfg;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->hsm = t_softhsm_new(LABEL, USER_PIN, SO_PIN);
    T_OK(clave_secret_from((const uint8_t *)USER_PIN, strlen(USER_PIN), &f->pin));
    f->cfg.backend = CLAVE_KEYRING_PKCS11;
    f->cfg.module = f->hsm->module;
    f->cfg.token_label = LABEL;
    f->cfg.passphrase = f->pin;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    clave_secret_free(f->pin);
    t_softhsm_free(f->hsm);
    free(f);
    return 0;
}

static void test_generate_wrap_unwrap_persist(void **state)
{
    struct fixture *f = *state;
    struct clave_keyring *kr = NULL;
    struct clave_key_info a;
    struct clave_key_info b;
    struct clave_key_info got;
    struct clave_secret *dek = NULL;
    struct clave_secret *back = NULL;
    uint8_t wrapped[CLAVE_WRAPPED_KEY_MAX];
    size_t len = 0;
    const uint8_t aad[] = "sealed-file header";

    T_OK(clave_keyring_create(&f->cfg, &kr));
    assert_int_equal(clave_keyring_count(kr), 0);
    T_OK(clave_keyring_generate(kr, CLAVE_KEY_AES256_KEK, "hsm kek", &a));
    T_OK(clave_keyring_generate(kr, CLAVE_KEY_AES256_KEK, "second", &b));
    assert_int_equal(strncmp(a.id, "kek-", 4), 0);
    /* A day (CKA_START_DATE), or 0 where the module cannot return it (SoftHSM2 2.6). */
    assert_int_equal(a.created % 86400, 0);
    T_OK(clave_keyring_find(kr, a.id, &got));
    assert_string_equal(got.label, "hsm kek");

    T_OK(clave_secret_random(32, &dek));
    T_OK(clave_keyring_wrap(kr, a.id, dek, aad, sizeof(aad), wrapped, sizeof(wrapped), &len));
    assert_int_equal(len, 12 + 32 + 16);
    T_OK(clave_keyring_unwrap(kr, a.id, wrapped, len, aad, sizeof(aad), &back));
    assert_true(clave_secret_equal(dek, back));
    clave_secret_free(back);
    back = NULL;
    T_ERR(clave_keyring_unwrap(kr, a.id, wrapped, len, aad, sizeof(aad) - 1, &back),
          CLAVE_ERR_AUTH);
    T_ERR(clave_keyring_unwrap(kr, b.id, wrapped, len, aad, sizeof(aad), &back), CLAVE_ERR_AUTH);
    for (size_t i = 0; i < len; i += 7) {
        wrapped[i] ^= 0x80;
        T_ERR(clave_keyring_unwrap(kr, a.id, wrapped, len, aad, sizeof(aad), &back),
              CLAVE_ERR_AUTH);
        assert_null(back);
        wrapped[i] ^= 0x80;
    }
    T_ERR(clave_keyring_unwrap(kr, a.id, wrapped, 28, aad, sizeof(aad), &back), CLAVE_ERR_AUTH);
    clave_keyring_free(kr);
    kr = NULL;

    /* Persistence: the keys live in the token. */
    T_OK(clave_keyring_open(&f->cfg, &kr));
    assert_int_equal(clave_keyring_count(kr), 2);
    T_OK(clave_keyring_find(kr, a.id, &got));
    assert_memory_equal(&got, &a, sizeof(got));
    T_OK(clave_keyring_find(kr, b.id, &got));
    assert_memory_equal(&got, &b, sizeof(got));
    T_OK(clave_keyring_unwrap(kr, a.id, wrapped, len, aad, sizeof(aad), &back));
    assert_true(clave_secret_equal(dek, back));
    clave_secret_free(back);
    clave_secret_free(dek);
    clave_keyring_free(kr);
    kr = NULL;

    /* The token is now a keyring: creating one again is refused. */
    T_ERR(clave_keyring_create(&f->cfg, &kr), CLAVE_ERR_EXISTS);
    assert_null(kr);
}

static void test_wrong_pin(void **state)
{
    struct fixture *f = *state;
    struct clave_keyring *kr = NULL;
    struct clave_secret *wrong = NULL;
    T_OK(clave_secret_from((const uint8_t *)"4321", 4, &wrong));
    f->cfg.passphrase = wrong;
    T_ERR(clave_keyring_open(&f->cfg, &kr), CLAVE_ERR_PASSPHRASE);
    assert_null(kr);
    f->cfg.passphrase = NULL;
    T_ERR(clave_keyring_open(&f->cfg, &kr), CLAVE_ERR_PASSPHRASE);
    f->cfg.passphrase = f->pin;
    clave_secret_free(wrong);
    /* The library was finalised cleanly: the right PIN still works afterwards. */
    T_OK(clave_keyring_open(&f->cfg, &kr));
    clave_keyring_free(kr);
}

static void test_bad_configuration(void **state)
{
    struct fixture *f = *state;
    struct clave_keyring *kr = NULL;
    struct clave_key_info info;
    f->cfg.token_label = "no-such-token";
    T_ERR(clave_keyring_open(&f->cfg, &kr), CLAVE_ERR_NOT_FOUND);
    f->cfg.token_label = "a label longer than thirty-two bytes";
    T_ERR(clave_keyring_open(&f->cfg, &kr), CLAVE_ERR_ARG);
    f->cfg.token_label = LABEL;
    f->cfg.module = "/nonexistent/libpkcs11.so";
    T_ERR(clave_keyring_open(&f->cfg, &kr), CLAVE_ERR_PKCS11);
    f->cfg.module = NULL;
    T_ERR(clave_keyring_open(&f->cfg, &kr), CLAVE_ERR_ARG);
    f->cfg.module = f->hsm->module;
    T_OK(clave_keyring_open(&f->cfg, &kr));
    T_ERR(clave_keyring_generate(kr, CLAVE_KEY_P256_ECDH, "p256", &info), CLAVE_ERR_UNSUPPORTED);
    assert_int_equal(clave_keyring_count(kr), 0);
    clave_keyring_free(kr);
}

/* Raw PKCS#11 access to the token, independent of the keyring, for white-box checks. */
struct raw {
    void *module;
    CK_FUNCTION_LIST *fn;
    CK_SESSION_HANDLE session;
};

static void raw_open(struct raw *r, const char *module)
{
    CK_C_GetFunctionList get_list = NULL;
    CK_SLOT_ID slots[8];
    CK_ULONG count = 8;
    r->module = dlopen(module, RTLD_NOW | RTLD_LOCAL);
    assert_non_null(r->module);
    void *sym = dlsym(r->module, "C_GetFunctionList");
    assert_non_null(sym);
    memcpy(&get_list, &sym, sizeof(get_list));
    assert_int_equal(get_list(&r->fn), CKR_OK);
    assert_int_equal(r->fn->C_Initialize(NULL), CKR_OK);
    assert_int_equal(r->fn->C_GetSlotList(CK_TRUE, slots, &count), CKR_OK);
    assert_true(count >= 1);
    assert_int_equal(r->fn->C_OpenSession(slots[0], CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL,
                                          &r->session),
                     CKR_OK);
    assert_int_equal(r->fn->C_Login(r->session, CKU_USER, (CK_UTF8CHAR_PTR)(uintptr_t)USER_PIN,
                                    strlen(USER_PIN)),
                     CKR_OK);
}

static void raw_close(struct raw *r)
{
    (void)r->fn->C_Logout(r->session);
    (void)r->fn->C_CloseSession(r->session);
    assert_int_equal(r->fn->C_Finalize(NULL), CKR_OK);
    (void)dlclose(r->module);
}

static CK_OBJECT_HANDLE raw_find(struct raw *r, const char *id)
{
    CK_ATTRIBUTE filter[] = {{CKA_ID, (void *)(uintptr_t)id, strlen(id)}};
    CK_OBJECT_HANDLE handle = CK_INVALID_HANDLE;
    CK_ULONG n = 0;
    assert_int_equal(r->fn->C_FindObjectsInit(r->session, filter, 1), CKR_OK);
    assert_int_equal(r->fn->C_FindObjects(r->session, &handle, 1, &n), CKR_OK);
    assert_int_equal(r->fn->C_FindObjectsFinal(r->session), CKR_OK);
    assert_int_equal(n, 1);
    return handle;
}

static void test_key_attributes(void **state)
{
    struct fixture *f = *state;
    struct clave_keyring *kr = NULL;
    struct clave_key_info info;
    T_OK(clave_keyring_create(&f->cfg, &kr));
    T_OK(clave_keyring_generate(kr, CLAVE_KEY_AES256_KEK, "attrs", &info));
    clave_keyring_free(kr);
    kr = NULL;

    struct raw r;
    raw_open(&r, f->hsm->module);
    CK_OBJECT_HANDLE key = raw_find(&r, info.id);
    CK_BBOOL sensitive = CK_FALSE;
    CK_BBOOL extractable = CK_TRUE;
    CK_BBOOL never_extractable = CK_FALSE;
    CK_BBOOL token = CK_FALSE;
    CK_BBOOL is_private = CK_FALSE;
    CK_BBOOL wrap = CK_TRUE;
    CK_ULONG value_len = 0;
    char label[64] = {0};
    CK_ATTRIBUTE attrs[] = {
        {CKA_SENSITIVE, &sensitive, sizeof(sensitive)},
        {CKA_EXTRACTABLE, &extractable, sizeof(extractable)},
        {CKA_NEVER_EXTRACTABLE, &never_extractable, sizeof(never_extractable)},
        {CKA_TOKEN, &token, sizeof(token)},
        {CKA_PRIVATE, &is_private, sizeof(is_private)},
        {CKA_WRAP, &wrap, sizeof(wrap)},
        {CKA_VALUE_LEN, &value_len, sizeof(value_len)},
        {CKA_LABEL, label, sizeof(label) - 1},
    };
    assert_int_equal(r.fn->C_GetAttributeValue(r.session, key, attrs, 8), CKR_OK);
    assert_int_equal(sensitive, CK_TRUE);
    assert_int_equal(extractable, CK_FALSE);
    assert_int_equal(never_extractable, CK_TRUE);
    assert_int_equal(token, CK_TRUE);
    assert_int_equal(is_private, CK_TRUE);
    assert_int_equal(wrap, CK_FALSE);
    assert_int_equal(value_len, 32);
    assert_string_equal(label, "attrs");
    /* The key value cannot be read out. */
    uint8_t value[32];
    CK_ATTRIBUTE value_attr = {CKA_VALUE, value, sizeof(value)};
    assert_int_equal(r.fn->C_GetAttributeValue(r.session, key, &value_attr, 1),
                     CKR_ATTRIBUTE_SENSITIVE);

    /* Another AES key on the token, not made by clave: the keyring ignores it. */
    CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
    CK_KEY_TYPE type = CKK_AES;
    CK_ULONG len = 32;
    CK_BBOOL yes = CK_TRUE;
    CK_MECHANISM mech = {CKM_AES_KEY_GEN, NULL, 0};
    CK_OBJECT_HANDLE other = CK_INVALID_HANDLE;
    CK_ATTRIBUTE tmpl[] = {
        {CKA_CLASS, &cls, sizeof(cls)},     {CKA_KEY_TYPE, &type, sizeof(type)},
        {CKA_VALUE_LEN, &len, sizeof(len)}, {CKA_TOKEN, &yes, sizeof(yes)},
        {CKA_ID, "someone-else", 12},
    };
    assert_int_equal(r.fn->C_GenerateKey(r.session, &mech, tmpl, 5, &other), CKR_OK);
    raw_close(&r);

    T_OK(clave_keyring_open(&f->cfg, &kr));
    assert_int_equal(clave_keyring_count(kr), 1);
    T_OK(clave_keyring_info(kr, 0, &info));
    assert_string_equal(info.label, "attrs");
    clave_keyring_free(kr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_generate_wrap_unwrap_persist, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_pin, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_configuration, setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_attributes, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
