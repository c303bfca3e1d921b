/* SPDX-License-Identifier: Apache-2.0 */
/* Wiping allocators for GMP, installed once per process. */
#include "core/gmp.h"

#include "core/check.h"

#include <gmp.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static pthread_once_t gmp_once = PTHREAD_ONCE_INIT;
static clave_status gmp_state = CLAVE_ERR_INTERNAL;

static void *wipe_alloc(size_t size)
{
    void *p = malloc(size);
    if (p == NULL) {
        /* GMP has no failure path for allocation; abort is its documented contract. */
        abort();
    }
    return p;
}

static void *wipe_realloc(void *old, size_t old_size, size_t new_size)
{
    void *p = wipe_alloc(new_size);
    memcpy(p, old, old_size < new_size ? old_size : new_size);
    OPENSSL_cleanse(old, old_size);
    free(old);
    return p;
}

static void wipe_free(void *p, size_t size)
{
    if (p != NULL) {
        OPENSSL_cleanse(p, size);
        free(p);
    }
}

static void install(void)
{
    mp_set_memory_functions(wipe_alloc, wipe_realloc, wipe_free);
    gmp_state = CLAVE_OK;
}

clave_status clave__gmp_init(void)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(pthread_once(&gmp_once, install) == 0, CLAVE_ERR_INTERNAL, "gmp: init failed");
    CLAVE_ENSURE(gmp_state == CLAVE_OK, CLAVE_ERR_STATE, "gmp: allocators not installed");
    void *(*alloc)(size_t) = NULL;
    mp_get_memory_functions(&alloc, NULL, NULL);
    CLAVE_ENSURE(
        alloc == wipe_alloc, CLAVE_ERR_STATE,
        "gmp: another component replaced GMP's allocators; refusing secret big-number work");
    st = CLAVE_OK;
done:
    return st;
}
