/* SPDX-License-Identifier: Apache-2.0 */
#include "testlib.h"

#include "core/gmp.h"

#include <gmp.h>

static void test_allocators_installed_once(void **state)
{
    (void)state;
    void *(*first)(size_t) = NULL;
    T_OK(clave__gmp_init());
    mp_get_memory_functions(&first, NULL, NULL);
    T_OK(clave__gmp_init());
    void *(*second)(size_t) = NULL;
    mp_get_memory_functions(&second, NULL, NULL);
    assert_ptr_equal(first, second);
    /* Big numbers work through them, including growth (realloc) and release. */
    mpz_t a;
    mpz_init_set_ui(a, 3);
    mpz_pow_ui(a, a, 5000);
    assert_true(mpz_sizeinbase(a, 2) > 7900);
    mpz_clear(a);
}

static void *foreign_alloc(size_t size)
{
    return malloc(size);
}

static void test_foreign_allocators_refused(void **state)
{
    (void)state;
    void *(*alloc)(size_t) = NULL;
    void *(*realloc_fn)(void *, size_t, size_t) = NULL;
    void (*free_fn)(void *, size_t) = NULL;
    T_OK(clave__gmp_init());
    mp_get_memory_functions(&alloc, &realloc_fn, &free_fn);
    mp_set_memory_functions(foreign_alloc, realloc_fn, free_fn);
    T_ERR(clave__gmp_init(), CLAVE_ERR_STATE);
    mp_set_memory_functions(alloc, realloc_fn, free_fn);
    T_OK(clave__gmp_init());
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_allocators_installed_once),
        cmocka_unit_test(test_foreign_allocators_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
