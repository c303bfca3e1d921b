/* SPDX-License-Identifier: Apache-2.0 */
/* Secret buffers in their own locked, non-dumpable pages; wiped on free. */
#include "core/check.h"

#include <clave/secret.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct clave_secret {
    uint8_t *data;  /* start of the mapping: the secret bytes */
    size_t len;     /* secret length */
    size_t map_len; /* mapping length, whole pages */
    bool locked;
};

void clave_wipe(void *p, size_t len)
{
    if (p != NULL && len > 0) {
        OPENSSL_cleanse(p, len);
    }
}

bool clave_ct_equal(const void *a, const void *b, size_t len)
{
    return CRYPTO_memcmp(a, b, len) == 0;
}

clave_status clave_secret_new(size_t len, struct clave_secret **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_secret *s = NULL;
    *out = NULL;
    CLAVE_ENSURE(len > 0 && len <= CLAVE_SECRET_MAX_LEN, CLAVE_ERR_ARG,
                 "secret length %zu outside 1..%zu", len, CLAVE_SECRET_MAX_LEN);
    s = calloc(1, sizeof(*s));
    CLAVE_ENSURE_ALLOC(s);
    long page = sysconf(_SC_PAGESIZE);
    size_t page_size = page > 0 ? (size_t)page : 4096;
    s->map_len = (len + page_size - 1) / page_size * page_size;
    void *map = mmap(NULL, s->map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CLAVE_ENSURE(map != MAP_FAILED, CLAVE_ERR_NOMEM, "secret: mmap of %zu bytes failed",
                 s->map_len);
    s->data = map;
    s->len = len;
    /* Both are best effort: a low RLIMIT_MEMLOCK must not stop clave from working. */
    (void)madvise(map, s->map_len, MADV_DONTDUMP);
    s->locked = mlock(map, s->map_len) == 0;
    *out = s;
    s = NULL;
    st = CLAVE_OK;
done:
    free(s);
    return st;
}

clave_status clave_secret_from(const uint8_t *data, size_t len, struct clave_secret **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_secret *s = NULL;
    *out = NULL;
    CLAVE_CHECK(clave_secret_new(len, &s));
    memcpy(s->data, data, len);
    *out = s;
    s = NULL;
    st = CLAVE_OK;
done:
    clave_secret_free(s);
    return st;
}

clave_status clave_secret_random(size_t len, struct clave_secret **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_secret *s = NULL;
    *out = NULL;
    CLAVE_CHECK(clave_secret_new(len, &s));
    CLAVE_ENSURE(len <= 0x7fffffff, CLAVE_ERR_ARG, "secret too long for RAND_priv_bytes");
    CLAVE_CHECK_OSSL(RAND_priv_bytes(s->data, (int)len), CLAVE_ERR_RANDOM, "RAND_priv_bytes");
    *out = s;
    s = NULL;
    st = CLAVE_OK;
done:
    clave_secret_free(s);
    return st;
}

uint8_t *clave_secret_data(struct clave_secret *s)
{
    return s->data;
}

const uint8_t *clave_secret_cdata(const struct clave_secret *s)
{
    return s->data;
}

size_t clave_secret_len(const struct clave_secret *s)
{
    return s->len;
}

bool clave_secret_is_locked(const struct clave_secret *s)
{
    return s->locked;
}

bool clave_secret_equal(const struct clave_secret *a, const struct clave_secret *b)
{
    if (a->len != b->len) {
        return false;
    }
    return CRYPTO_memcmp(a->data, b->data, a->len) == 0;
}

void clave_secret_free(struct clave_secret *s)
{
    if (s == NULL) {
        return;
    }
    OPENSSL_cleanse(s->data, s->map_len);
    if (s->locked) {
        (void)munlock(s->data, s->map_len);
    }
    (void)munmap(s->data, s->map_len);
    free(s);
}
