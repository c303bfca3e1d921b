/* SPDX-License-Identifier: Apache-2.0 */
/* Bounded file reads and atomic file replacement (temp file + fsync + rename + directory fsync). */
#include "core/check.h"
#include "keys/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TEMP_SUFFIX ".tmp-XXXXXX"

clave_status clave__file_read(const char *path, size_t max, char **out, size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char *buf = NULL;
    struct stat sb;
    size_t got = 0;
    *out = NULL;
    *out_len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    CLAVE_ENSURE(fd >= 0 || errno != ENOENT, CLAVE_ERR_NOT_FOUND, "%s: does not exist", path);
    CLAVE_ENSURE(fd >= 0, CLAVE_ERR_IO, "%s: open: %s", path, strerror(errno));
    CLAVE_ENSURE(fstat(fd, &sb) == 0, CLAVE_ERR_IO, "%s: fstat: %s", path, strerror(errno));
    CLAVE_ENSURE(S_ISREG(sb.st_mode), CLAVE_ERR_IO, "%s: not a regular file", path);
    CLAVE_ENSURE(sb.st_size >= 0 && (uint64_t)sb.st_size <= max, CLAVE_ERR_TOO_LARGE,
                 "%s: %lld bytes exceed %zu", path, (long long)sb.st_size, max);
    buf = malloc((size_t)sb.st_size + 1);
    CLAVE_ENSURE_ALLOC(buf);
    /* Read up to the size seen by fstat; a file that grows meanwhile is cut, and then fails
     * to parse, rather than overflowing. */
    while (got < (size_t)sb.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)sb.st_size - got);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        CLAVE_ENSURE(n >= 0, CLAVE_ERR_IO, "%s: read: %s", path, strerror(errno));
        if (n == 0) {
            break;
        }
        got += (size_t)n;
    }
    buf[got] = '\0';
    *out = buf;
    *out_len = got;
    buf = NULL;
    st = CLAVE_OK;
done:
    free(buf);
    if (fd >= 0) {
        (void)close(fd);
    }
    return st;
}

static clave_status write_all(int fd, const uint8_t *data, size_t len, const char *what)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    size_t off = 0;
    while (off < len) {
        ssize_t n = write(fd, data + off, len - off);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        CLAVE_ENSURE(n > 0, CLAVE_ERR_IO, "%s: write: %s", what,
                     n < 0 ? strerror(errno) : "no progress");
        off += (size_t)n;
    }
    st = CLAVE_OK;
done:
    return st;
}

/* fsync the directory holding `path`, so that the rename itself is durable. */
static clave_status sync_parent(const char *path)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char *copy = strdup(path);
    int fd = -1;
    CLAVE_ENSURE_ALLOC(copy);
    const char *dir = dirname(copy);
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    CLAVE_ENSURE(fd >= 0, CLAVE_ERR_IO, "%s: open: %s", dir, strerror(errno));
    CLAVE_ENSURE(fsync(fd) == 0, CLAVE_ERR_IO, "%s: fsync: %s", dir, strerror(errno));
    st = CLAVE_OK;
done:
    if (fd >= 0) {
        (void)close(fd);
    }
    free(copy);
    return st;
}

clave_status clave__file_write_atomic(const char *path, const uint8_t *data, size_t len,
                                      bool exclusive)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char *temp = NULL;
    int fd = -1;
    bool temp_exists = false;
    size_t path_len = strlen(path);
    CLAVE_ENSURE(path_len > 0, CLAVE_ERR_ARG, "keyring: empty path");
    temp = malloc(path_len + sizeof(TEMP_SUFFIX));
    CLAVE_ENSURE_ALLOC(temp);
    memcpy(temp, path, path_len);
    memcpy(temp + path_len, TEMP_SUFFIX, sizeof(TEMP_SUFFIX));
    /* mkostemp opens with O_CREAT | O_EXCL and mode 0600. */
    fd = mkostemp(temp, O_CLOEXEC);
    CLAVE_ENSURE(fd >= 0, CLAVE_ERR_IO, "%s: create temporary file: %s", path, strerror(errno));
    temp_exists = true;
    CLAVE_ENSURE(fchmod(fd, S_IRUSR | S_IWUSR) == 0, CLAVE_ERR_IO, "%s: fchmod: %s", temp,
                 strerror(errno));
    CLAVE_CHECK(write_all(fd, data, len, temp));
    CLAVE_ENSURE(fsync(fd) == 0, CLAVE_ERR_IO, "%s: fsync: %s", temp, strerror(errno));
    int rc = close(fd);
    fd = -1;
    CLAVE_ENSURE(rc == 0, CLAVE_ERR_IO, "%s: close: %s", temp, strerror(errno));
    if (exclusive) {
        /* link() fails if `path` exists, atomically: two creators cannot both win. */
        rc = link(temp, path);
        CLAVE_ENSURE(rc == 0 || errno != EEXIST, CLAVE_ERR_EXISTS, "%s: already exists", path);
        CLAVE_ENSURE(rc == 0, CLAVE_ERR_IO, "%s: link: %s", path, strerror(errno));
    } else {
        CLAVE_ENSURE(rename(temp, path) == 0, CLAVE_ERR_IO, "%s: rename: %s", path,
                     strerror(errno));
        temp_exists = false;
    }
    CLAVE_CHECK(sync_parent(path));
    st = CLAVE_OK;
done:
    if (fd >= 0) {
        (void)close(fd);
    }
    if (temp_exists) {
        (void)unlink(temp);
    }
    free(temp);
    return st;
}
