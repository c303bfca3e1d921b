/* SPDX-License-Identifier: Apache-2.0 */
/*
 * clave_query_wipe_sqlite_memory(): SQLite's allocator replaced, process-wide, by one that wipes
 * every block before it is freed or moved, so the plaintext a query database held (rows, index
 * pages, sort buffers) does not linger in freed heap. Each block carries its size in a 16-byte
 * header (keeping the 16-byte alignment malloc gives).
 */
#include "query/query_int.h"

#include "core/check.h"

#include <clave/secret.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define HEADER 16

static void *wmalloc(int n)
{
    if (n <= 0 || (size_t)n > SIZE_MAX - HEADER) {
        return NULL;
    }
    uint8_t *p = malloc((size_t)n + HEADER);
    if (p == NULL) {
        return NULL;
    }
    size_t size = (size_t)n;
    memcpy(p, &size, sizeof(size));
    return p + HEADER;
}

static size_t block_size(void *q)
{
    size_t size = 0;
    memcpy(&size, (uint8_t *)q - HEADER, sizeof(size));
    return size;
}

static void wfree(void *q)
{
    if (q == NULL) {
        return;
    }
    uint8_t *p = (uint8_t *)q - HEADER;
    clave_wipe(p, block_size(q) + HEADER);
    free(p);
}

static void *wrealloc(void *q, int n)
{
    void *fresh = wmalloc(n);
    if (fresh != NULL && q != NULL) {
        size_t old = block_size(q);
        memcpy(fresh, q, old < (size_t)n ? old : (size_t)n);
        wfree(q);
    }
    return fresh; /* on failure SQLite keeps (and later frees) the old block */
}

static int wsize(void *q)
{
    return q != NULL ? (int)block_size(q) : 0;
}

static int wroundup(int n)
{
    return (n + 15) & ~15;
}

static int winit(void *arg)
{
    (void)arg;
    return SQLITE_OK;
}

static void wshutdown(void *arg)
{
    (void)arg;
}

clave_status clave_query_wipe_sqlite_memory(void)
{
    static const sqlite3_mem_methods METHODS = {wmalloc,  wfree, wrealloc,  wsize,
                                                wroundup, winit, wshutdown, NULL};
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(sqlite3_config(SQLITE_CONFIG_MALLOC, &METHODS) == SQLITE_OK, CLAVE_ERR_STATE,
                 "query: SQLite is already initialised; call clave_query_wipe_sqlite_memory() "
                 "before any database is opened");
    st = CLAVE_OK;
done:
    return st;
}
