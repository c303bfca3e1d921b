/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Content-addressed blob store on the local filesystem (layout in include/clave/blob.h).
 * Every path is built from a validated 64-hex id relative to a directory handle opened once,
 * so no caller-supplied byte ever reaches a path. Writes are temp file + fsync + rename + fsync
 * of the directory.
 */
#include "core/check.h"

#include <clave/blob.h>
#include <clave/crypto.h>
#include <clave/encoding.h>
#include <clave/secret.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BLOB_CHUNK 65536
#define TMP_DIR "tmp"
#define TMP_RANDOM_LEN 16
/* "ab/cd/" + 64 hex + NUL, and "tmp/put-" + 32 hex + NUL. */
#define BLOB_PATH_MAX (6 + CLAVE_BLOB_ID_LEN + 1)
#define TMP_PATH_MAX (8 + 2 * TMP_RANDOM_LEN + 1)

struct clave_blob_store {
    int root_fd;
    uint64_t max_size;
};

bool clave_blob_id_valid(const char *id)
{
    if (id == NULL) {
        return false;
    }
    for (size_t i = 0; i < CLAVE_BLOB_ID_LEN; i++) {
        char c = id[i]; /* stops at a NUL before 64: NUL is not a hex digit */
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return false;
        }
    }
    return id[CLAVE_BLOB_ID_LEN] == '\0';
}

clave_status clave_blob_store_open(const struct clave_blob_config *cfg,
                                   struct clave_blob_store **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_blob_store *store = NULL;
    CLAVE_ENSURE(out != NULL, CLAVE_ERR_ARG, "blob: NULL out");
    *out = NULL;
    CLAVE_ENSURE(cfg != NULL && cfg->root != NULL && cfg->root[0] != '\0', CLAVE_ERR_ARG,
                 "blob: no root directory");
    store = calloc(1, sizeof(*store));
    CLAVE_ENSURE_ALLOC(store);
    store->root_fd = -1;
    store->max_size = cfg->max_size != 0 ? cfg->max_size : CLAVE_BLOB_DEFAULT_MAX_SIZE;
    CLAVE_ENSURE(mkdir(cfg->root, 0700) == 0 || errno == EEXIST, CLAVE_ERR_IO,
                 "blob: cannot create %s: %s", cfg->root, strerror(errno));
    store->root_fd = open(cfg->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    CLAVE_ENSURE(store->root_fd >= 0, CLAVE_ERR_IO, "blob: cannot open %s: %s", cfg->root,
                 strerror(errno));
    CLAVE_ENSURE(mkdirat(store->root_fd, TMP_DIR, 0700) == 0 || errno == EEXIST, CLAVE_ERR_IO,
                 "blob: cannot create %s/" TMP_DIR ": %s", cfg->root, strerror(errno));
    *out = store;
    store = NULL;
    st = CLAVE_OK;
done:
    clave_blob_store_close(store);
    return st;
}

void clave_blob_store_close(struct clave_blob_store *store)
{
    if (store == NULL) {
        return;
    }
    if (store->root_fd >= 0) {
        (void)close(store->root_fd);
    }
    free(store);
}

/* "ab/cd/abcd..." for a valid id. */
static void blob_path(const char *id, char path[BLOB_PATH_MAX])
{
    (void)snprintf(path, BLOB_PATH_MAX, "%.2s/%.2s/%s", id, id + 2, id);
}

static clave_status fsync_dir(int root_fd, const char *rel)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    int fd = openat(root_fd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    CLAVE_ENSURE(fd >= 0, CLAVE_ERR_IO, "blob: open directory %s: %s", rel, strerror(errno));
    CLAVE_ENSURE(fsync(fd) == 0, CLAVE_ERR_IO, "blob: fsync directory %s: %s", rel,
                 strerror(errno));
    st = CLAVE_OK;
done:
    if (fd >= 0) {
        (void)close(fd);
    }
    return st;
}

/* Create `rel` if missing; a new directory entry is made durable by syncing its parent. */
static clave_status ensure_dir(int root_fd, const char *rel, const char *parent)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    if (mkdirat(root_fd, rel, 0700) == 0) {
        CLAVE_CHECK(fsync_dir(root_fd, parent));
    } else {
        CLAVE_ENSURE(errno == EEXIST, CLAVE_ERR_IO, "blob: mkdir %s: %s", rel, strerror(errno));
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status write_all(int fd, const uint8_t *buf, size_t len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        CLAVE_ENSURE(n > 0, CLAVE_ERR_IO, "blob: write: %s", n < 0 ? strerror(errno) : "short");
        buf += n;
        len -= (size_t)n;
    }
    st = CLAVE_OK;
done:
    return st;
}

/* Stream the source into `fd`, hashing; enforce the size limit. */
static clave_status copy_in(struct clave_blob_store *store, clave_blob_read_fn source, void *arg,
                            int fd, uint8_t digest[CLAVE_SHA256_LEN], uint64_t *total)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_hash_ctx *hash = NULL;
    uint8_t *buf = malloc(BLOB_CHUNK);
    CLAVE_ENSURE_ALLOC(buf);
    CLAVE_CHECK(clave_hash_new(CLAVE_HASH_SHA256, &hash));
    *total = 0;
    for (;;) {
        size_t got = 0;
        CLAVE_CHECK(source(arg, buf, BLOB_CHUNK, &got));
        if (got == 0) {
            break;
        }
        CLAVE_ENSURE(got <= BLOB_CHUNK, CLAVE_ERR_ARG, "blob: source returned too many bytes");
        CLAVE_ENSURE(got <= store->max_size - *total, CLAVE_ERR_TOO_LARGE,
                     "blob: content exceeds the limit of %llu bytes",
                     (unsigned long long)store->max_size);
        *total += got;
        CLAVE_CHECK(clave_hash_update(hash, buf, got));
        CLAVE_CHECK(write_all(fd, buf, got));
    }
    CLAVE_CHECK(clave_hash_final(hash, digest, CLAVE_SHA256_LEN));
    st = CLAVE_OK;
done:
    clave_hash_free(hash);
    free(buf);
    return st;
}

/* Move the finished temporary file to its content address and make that durable. */
static clave_status publish(struct clave_blob_store *store, const char *tmp, const char *id)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char path[BLOB_PATH_MAX];
    char dir1[3];
    char dir2[6];
    (void)snprintf(dir1, sizeof(dir1), "%.2s", id);
    (void)snprintf(dir2, sizeof(dir2), "%.2s/%.2s", id, id + 2);
    blob_path(id, path);
    CLAVE_CHECK(ensure_dir(store->root_fd, dir1, "."));
    CLAVE_CHECK(ensure_dir(store->root_fd, dir2, dir1));
    /* Same content, same name: a concurrent put of the same bytes is replaced atomically by
     * identical bytes. */
    CLAVE_ENSURE(renameat(store->root_fd, tmp, store->root_fd, path) == 0, CLAVE_ERR_IO,
                 "blob: rename: %s", strerror(errno));
    CLAVE_CHECK(fsync_dir(store->root_fd, dir2));
    st = CLAVE_OK;
done:
    return st;
}

static clave_status open_temp(struct clave_blob_store *store, char tmp[TMP_PATH_MAX], int *fd)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t rnd[TMP_RANDOM_LEN];
    char hex[2 * TMP_RANDOM_LEN + 1];
    CLAVE_CHECK(clave_random(rnd, sizeof(rnd)));
    CLAVE_CHECK(clave_hex_encode(rnd, sizeof(rnd), hex, sizeof(hex)));
    (void)snprintf(tmp, TMP_PATH_MAX, TMP_DIR "/put-%s", hex);
    *fd = openat(store->root_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    CLAVE_ENSURE(*fd >= 0, CLAVE_ERR_IO, "blob: create temporary file: %s", strerror(errno));
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_blob_put(struct clave_blob_store *store, clave_blob_read_fn source, void *arg,
                            char id[CLAVE_BLOB_ID_SIZE], uint64_t *size)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char tmp[TMP_PATH_MAX] = "";
    char hex[CLAVE_BLOB_ID_SIZE];
    uint8_t digest[CLAVE_SHA256_LEN];
    uint64_t total = 0;
    int fd = -1;
    if (size != NULL) {
        *size = 0;
    }
    CLAVE_ENSURE(store != NULL && source != NULL && id != NULL, CLAVE_ERR_ARG,
                 "blob: NULL argument");
    id[0] = '\0';
    CLAVE_CHECK(open_temp(store, tmp, &fd));
    CLAVE_CHECK(copy_in(store, source, arg, fd, digest, &total));
    CLAVE_ENSURE(fsync(fd) == 0, CLAVE_ERR_IO, "blob: fsync: %s", strerror(errno));
    CLAVE_ENSURE(close(fd) == 0, CLAVE_ERR_IO, "blob: close: %s", strerror(errno));
    fd = -1;
    CLAVE_CHECK(clave_hex_encode(digest, sizeof(digest), hex, sizeof(hex)));
    CLAVE_CHECK(publish(store, tmp, hex));
    tmp[0] = '\0';
    memcpy(id, hex, CLAVE_BLOB_ID_SIZE);
    if (size != NULL) {
        *size = total;
    }
    st = CLAVE_OK;
done:
    if (fd >= 0) {
        (void)close(fd);
    }
    if (tmp[0] != '\0') {
        (void)unlinkat(store->root_fd, tmp, 0);
    }
    return st;
}

static clave_status read_from_fd(void *arg, uint8_t *buf, size_t cap, size_t *got)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    int fd = *(const int *)arg;
    ssize_t n;
    do {
        n = read(fd, buf, cap);
    } while (n < 0 && errno == EINTR);
    CLAVE_ENSURE(n >= 0, CLAVE_ERR_IO, "blob: read source: %s", strerror(errno));
    *got = (size_t)n;
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_blob_put_fd(struct clave_blob_store *store, int fd, char id[CLAVE_BLOB_ID_SIZE],
                               uint64_t *size)
{
    return clave_blob_put(store, read_from_fd, &fd, id, size);
}

struct mem_source {
    const uint8_t *data;
    size_t len;
    size_t pos;
};

static clave_status read_from_mem(void *arg, uint8_t *buf, size_t cap, size_t *got)
{
    struct mem_source *m = arg;
    size_t n = m->len - m->pos < cap ? m->len - m->pos : cap;
    if (n > 0) {
        memcpy(buf, m->data + m->pos, n);
    }
    m->pos += n;
    *got = n;
    return CLAVE_OK;
}

clave_status clave_blob_put_buf(struct clave_blob_store *store, const uint8_t *data, size_t len,
                                char id[CLAVE_BLOB_ID_SIZE])
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct mem_source m = {data, len, 0};
    CLAVE_ENSURE(data != NULL || len == 0, CLAVE_ERR_ARG, "blob: NULL data");
    CLAVE_CHECK(clave_blob_put(store, read_from_mem, &m, id, NULL));
    st = CLAVE_OK;
done:
    return st;
}

/* Open blob `id` for reading: CLAVE_ERR_ARG for an invalid id, CLAVE_ERR_NOT_FOUND if absent. */
static clave_status open_blob(struct clave_blob_store *store, const char *id, int *fd,
                              uint64_t *size)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char path[BLOB_PATH_MAX];
    struct stat sb;
    *fd = -1;
    CLAVE_ENSURE(store != NULL, CLAVE_ERR_ARG, "blob: NULL store");
    CLAVE_ENSURE(clave_blob_id_valid(id), CLAVE_ERR_ARG, "blob: invalid id");
    blob_path(id, path);
    *fd = openat(store->root_fd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    CLAVE_ENSURE(*fd >= 0 || errno != ENOENT, CLAVE_ERR_NOT_FOUND, "blob: %s not found", id);
    CLAVE_ENSURE(*fd >= 0, CLAVE_ERR_IO, "blob: open %s: %s", id, strerror(errno));
    CLAVE_ENSURE(fstat(*fd, &sb) == 0 && S_ISREG(sb.st_mode), CLAVE_ERR_IO,
                 "blob: %s is not a regular file", id);
    *size = (uint64_t)sb.st_size;
    st = CLAVE_OK;
done:
    if (st != CLAVE_OK && *fd >= 0) {
        (void)close(*fd);
        *fd = -1;
    }
    return st;
}

/* Stream an open blob to `write`, then check its hash against the id. */
static clave_status copy_out(int fd, const char *id, clave_blob_write_fn sink, void *arg,
                             uint64_t *total)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_hash_ctx *hash = NULL;
    uint8_t digest[CLAVE_SHA256_LEN];
    char hex[CLAVE_BLOB_ID_SIZE];
    uint8_t *buf = malloc(BLOB_CHUNK);
    CLAVE_ENSURE_ALLOC(buf);
    CLAVE_CHECK(clave_hash_new(CLAVE_HASH_SHA256, &hash));
    *total = 0;
    for (;;) {
        size_t got = 0;
        CLAVE_CHECK(read_from_fd(&fd, buf, BLOB_CHUNK, &got));
        if (got == 0) {
            break;
        }
        *total += got;
        CLAVE_CHECK(clave_hash_update(hash, buf, got));
        CLAVE_CHECK(sink(arg, buf, got));
    }
    CLAVE_CHECK(clave_hash_final(hash, digest, sizeof(digest)));
    CLAVE_CHECK(clave_hex_encode(digest, sizeof(digest), hex, sizeof(hex)));
    CLAVE_ENSURE(clave_ct_equal(hex, id, CLAVE_BLOB_ID_LEN), CLAVE_ERR_TAMPERED,
                 "blob: %s: content does not match its id", id);
    st = CLAVE_OK;
done:
    clave_hash_free(hash);
    free(buf);
    return st;
}

clave_status clave_blob_get(struct clave_blob_store *store, const char *id,
                            clave_blob_write_fn sink, void *arg, uint64_t *size)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    int fd = -1;
    uint64_t expect = 0;
    uint64_t total = 0;
    if (size != NULL) {
        *size = 0;
    }
    CLAVE_ENSURE(sink != NULL, CLAVE_ERR_ARG, "blob: NULL sink");
    CLAVE_CHECK(open_blob(store, id, &fd, &expect));
    CLAVE_CHECK(copy_out(fd, id, sink, arg, &total));
    if (size != NULL) {
        *size = total;
    }
    st = CLAVE_OK;
done:
    if (fd >= 0) {
        (void)close(fd);
    }
    return st;
}

static clave_status write_to_fd(void *arg, const uint8_t *buf, size_t len)
{
    return write_all(*(const int *)arg, buf, len);
}

clave_status clave_blob_get_fd(struct clave_blob_store *store, const char *id, int fd,
                               uint64_t *size)
{
    return clave_blob_get(store, id, write_to_fd, &fd, size);
}

struct mem_sink {
    uint8_t *data;
    size_t cap;
    size_t len;
};

static clave_status write_to_mem(void *arg, const uint8_t *buf, size_t len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct mem_sink *m = arg;
    CLAVE_ENSURE(len <= m->cap - m->len, CLAVE_ERR_TOO_LARGE, "blob: grew while being read");
    memcpy(m->data + m->len, buf, len);
    m->len += len;
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_blob_get_buf(struct clave_blob_store *store, const char *id, size_t max_len,
                                uint8_t **out, size_t *len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct mem_sink m = {NULL, 0, 0};
    uint64_t size = 0;
    uint64_t total = 0;
    int fd = -1;
    CLAVE_ENSURE(out != NULL && len != NULL, CLAVE_ERR_ARG, "blob: NULL out");
    *out = NULL;
    *len = 0;
    CLAVE_CHECK(open_blob(store, id, &fd, &size));
    CLAVE_ENSURE(size <= max_len, CLAVE_ERR_TOO_LARGE, "blob: %s is %llu bytes, limit %zu", id,
                 (unsigned long long)size, max_len);
    m.cap = (size_t)size;
    m.data = malloc(m.cap > 0 ? m.cap : 1);
    CLAVE_ENSURE_ALLOC(m.data);
    CLAVE_CHECK(copy_out(fd, id, write_to_mem, &m, &total));
    *out = m.data;
    *len = m.len;
    m.data = NULL;
    st = CLAVE_OK;
done:
    free(m.data);
    if (fd >= 0) {
        (void)close(fd);
    }
    return st;
}

static clave_status discard(void *arg, const uint8_t *buf, size_t len)
{
    (void)arg;
    (void)buf;
    (void)len;
    return CLAVE_OK;
}

clave_status clave_blob_open(struct clave_blob_store *store, const char *id, uint64_t max_len,
                             int *fd, uint64_t *size)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    int f = -1;
    uint64_t n = 0;
    uint64_t total = 0;
    CLAVE_ENSURE(fd != NULL && size != NULL, CLAVE_ERR_ARG, "blob: NULL out");
    *fd = -1;
    *size = 0;
    CLAVE_CHECK(open_blob(store, id, &f, &n));
    CLAVE_ENSURE(n <= max_len, CLAVE_ERR_TOO_LARGE, "blob: %s is %llu bytes, limit %llu", id,
                 (unsigned long long)n, (unsigned long long)max_len);
    CLAVE_CHECK(copy_out(f, id, discard, NULL, &total)); /* hashes every byte, then compares */
    CLAVE_ENSURE(total == n && lseek(f, 0, SEEK_SET) == 0, CLAVE_ERR_IO,
                 "blob: %s changed while it was verified", id);
    *fd = f;
    *size = n;
    f = -1;
    st = CLAVE_OK;
done:
    if (f >= 0) {
        (void)close(f);
    }
    return st;
}

clave_status clave_blob_stat(struct clave_blob_store *store, const char *id, uint64_t *size)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    int fd = -1;
    uint64_t n = 0;
    CLAVE_ENSURE(size != NULL, CLAVE_ERR_ARG, "blob: NULL size");
    *size = 0;
    CLAVE_CHECK(open_blob(store, id, &fd, &n));
    *size = n;
    st = CLAVE_OK;
done:
    if (fd >= 0) {
        (void)close(fd);
    }
    return st;
}

clave_status clave_blob_delete(struct clave_blob_store *store, const char *id)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char path[BLOB_PATH_MAX];
    char dir[6];
    CLAVE_ENSURE(store != NULL, CLAVE_ERR_ARG, "blob: NULL store");
    CLAVE_ENSURE(clave_blob_id_valid(id), CLAVE_ERR_ARG, "blob: invalid id");
    blob_path(id, path);
    (void)snprintf(dir, sizeof(dir), "%.2s/%.2s", id, id + 2);
    if (unlinkat(store->root_fd, path, 0) != 0) {
        CLAVE_ENSURE(errno != ENOENT, CLAVE_ERR_NOT_FOUND, "blob: %s not found", id);
        CLAVE_RAISE(CLAVE_ERR_IO, "blob: delete %s: %s", id, strerror(errno));
    }
    CLAVE_CHECK(fsync_dir(store->root_fd, dir));
    st = CLAVE_OK;
done:
    return st;
}
