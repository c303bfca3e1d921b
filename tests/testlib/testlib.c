/* SPDX-License-Identifier: Apache-2.0 */
#include "testlib.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

uint8_t *t_hex(const char *hex, size_t *len)
{
    size_t n = strlen(hex);
    uint8_t *buf = malloc(n / 2 + 1);
    assert_non_null(buf);
    T_OK(clave_hex_decode(hex, n, buf, n / 2 + 1, len));
    return buf;
}

uint8_t *t_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fail_msg("cannot open %s", path);
    }
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long size = ftell(f);
    assert_true(size >= 0);
    assert_int_equal(fseek(f, 0, SEEK_SET), 0);
    uint8_t *buf = malloc((size_t)size + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)size, f), (size_t)size);
    buf[size] = 0;
    fclose(f);
    *len = (size_t)size;
    return buf;
}

static _Thread_local char path_buf[4][1024];
static _Thread_local unsigned path_next;

static const char *join(const char *base, const char *rel)
{
    char *buf = path_buf[path_next++ % 4];
    int n = snprintf(buf, sizeof(path_buf[0]), "%s/%s", base, rel);
    assert_true(n > 0 && (size_t)n < sizeof(path_buf[0]));
    return buf;
}

const char *t_shared_vector(const char *rel)
{
    return join(CLAVE_SHARED_DIR "/vectors", rel);
}

const char *t_test_vector(const char *rel)
{
    return join(CLAVE_SOURCE_DIR "/tests/vectors", rel);
}

char *t_tempdir(void)
{
    const char *base = getenv("TMPDIR");
    char tmpl[1024];
    (void)snprintf(tmpl, sizeof(tmpl), "%s/clave-test-XXXXXX", base ? base : "/tmp");
    char *dir = mkdtemp(tmpl);
    assert_non_null(dir);
    return strdup(dir);
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void t_rmtree(const char *path)
{
    if (path != NULL) {
        (void)nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    }
}

void t_write_file(const char *path, const uint8_t *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}
