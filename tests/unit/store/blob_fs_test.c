/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The filesystem blob store: content addresses (SHA-256 vectors from FIPS 180-2 / NIST CSRC
 * examples), layout, streaming, size limits, concurrent puts, corruption, hostile ids.
 */
#include "testlib.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* SHA-256("abc") and SHA-256("") (FIPS 180-2 appendix B.1; the empty-string digest). */
#define ID_ABC "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define ID_EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

struct fixture {
    char *dir;
    char root[1024];
    struct clave_blob_store *store;
};

static int open_with_limit(struct fixture *f, uint64_t max)
{
    struct clave_blob_config cfg = {.root = f->root, .max_size = max};
    clave_blob_store_close(f->store);
    f->store = NULL;
    T_OK(clave_blob_store_open(&cfg, &f->store));
    return 0;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->dir = t_tempdir();
    (void)snprintf(f->root, sizeof(f->root), "%s/blobs", f->dir);
    open_with_limit(f, 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    clave_blob_store_close(f->store);
    t_rmtree(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

static size_t count_entries(const char *path)
{
    DIR *d = opendir(path);
    assert_non_null(d);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            n++;
        }
    }
    closedir(d);
    return n;
}

static void assert_no_temp_files(struct fixture *f)
{
    char tmp[1100];
    (void)snprintf(tmp, sizeof(tmp), "%s/tmp", f->root);
    assert_int_equal(count_entries(tmp), 0);
}

static void blob_file(struct fixture *f, const char *id, char *out, size_t cap)
{
    (void)snprintf(out, cap, "%s/%.2s/%.2s/%s", f->root, id, id + 2, id);
}

static void test_known_ids_and_layout(void **state)
{
    struct fixture *f = *state;
    char id[CLAVE_BLOB_ID_SIZE];
    char path[1200];
    struct stat sb;
    T_OK(clave_blob_put_buf(f->store, (const uint8_t *)"abc", 3, id));
    assert_string_equal(id, ID_ABC);
    T_OK(clave_blob_put_buf(f->store, NULL, 0, id));
    assert_string_equal(id, ID_EMPTY);
    blob_file(f, ID_ABC, path, sizeof(path));
    assert_int_equal(stat(path, &sb), 0);
    assert_true(S_ISREG(sb.st_mode));
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal(sb.st_size, 3);
    assert_int_equal(stat(f->root, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0700);
    assert_no_temp_files(f);

    uint8_t *data = NULL;
    size_t len = 0;
    uint64_t size = 0;
    T_OK(clave_blob_get_buf(f->store, ID_ABC, 3, &data, &len));
    assert_int_equal(len, 3);
    assert_memory_equal(data, "abc", 3);
    free(data);
    T_ERR(clave_blob_get_buf(f->store, ID_ABC, 2, &data, &len), CLAVE_ERR_TOO_LARGE);
    assert_null(data);
    T_OK(clave_blob_get_buf(f->store, ID_EMPTY, 0, &data, &len));
    assert_int_equal(len, 0);
    free(data);
    T_OK(clave_blob_stat(f->store, ID_ABC, &size));
    assert_int_equal(size, 3);
    /* Putting the same content again is a no-op with the same id. */
    T_OK(clave_blob_put_buf(f->store, (const uint8_t *)"abc", 3, id));
    assert_string_equal(id, ID_ABC);

    T_OK(clave_blob_delete(f->store, ID_ABC));
    T_ERR(clave_blob_delete(f->store, ID_ABC), CLAVE_ERR_NOT_FOUND);
    T_ERR(clave_blob_stat(f->store, ID_ABC, &size), CLAVE_ERR_NOT_FOUND);
    T_ERR(clave_blob_get_buf(f->store, ID_ABC, 3, &data, &len), CLAVE_ERR_NOT_FOUND);
}

/* A source producing `total` pseudo-random bytes in chunks of varying size. */
struct pattern {
    uint64_t total;
    uint64_t pos;
    uint32_t state;
    size_t calls;
};

static uint8_t pattern_byte(uint64_t i)
{
    return (uint8_t)((i * 2654435761u) >> 13);
}

static clave_status pattern_read(void *arg, uint8_t *buf, size_t cap, size_t *got)
{
    struct pattern *p = arg;
    p->calls++;
    p->state = p->state * 1103515245u + 12345u;
    size_t want = 1 + p->state % 40000;
    if (want > cap) {
        want = cap;
    }
    if (want > p->total - p->pos) {
        want = (size_t)(p->total - p->pos);
    }
    for (size_t i = 0; i < want; i++) {
        buf[i] = pattern_byte(p->pos + i);
    }
    p->pos += want;
    *got = want;
    return CLAVE_OK;
}

struct checker {
    uint64_t pos;
    bool ok;
};

static clave_status pattern_check(void *arg, const uint8_t *buf, size_t len)
{
    struct checker *c = arg;
    for (size_t i = 0; i < len; i++) {
        if (buf[i] != pattern_byte(c->pos + i)) {
            c->ok = false;
        }
    }
    c->pos += len;
    return CLAVE_OK;
}

static void test_streaming(void **state)
{
    struct fixture *f = *state;
    char id[CLAVE_BLOB_ID_SIZE];
    uint64_t size = 0;
    struct pattern p = {.total = 5u << 20, .state = 1};
    T_OK(clave_blob_put(f->store, pattern_read, &p, id, &size));
    assert_int_equal(size, 5u << 20);
    assert_true(clave_blob_id_valid(id));
    struct checker c = {0, true};
    T_OK(clave_blob_get(f->store, id, pattern_check, &c, &size));
    assert_true(c.ok);
    assert_int_equal(c.pos, 5u << 20);

    /* Through file descriptors: put from one file, get into another, same bytes. */
    char in_path[1100];
    char out_path[1100];
    (void)snprintf(in_path, sizeof(in_path), "%s/in", f->dir);
    (void)snprintf(out_path, sizeof(out_path), "%s/out", f->dir);
    int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(out >= 0);
    T_OK(clave_blob_get_fd(f->store, id, out, &size));
    assert_int_equal(close(out), 0);
    assert_int_equal(rename(out_path, in_path), 0);
    T_OK(clave_blob_delete(f->store, id));
    int in = open(in_path, O_RDONLY);
    assert_true(in >= 0);
    char id2[CLAVE_BLOB_ID_SIZE];
    T_OK(clave_blob_put_fd(f->store, in, id2, &size));
    close(in);
    assert_string_equal(id, id2);
    assert_int_equal(size, 5u << 20);
    assert_no_temp_files(f);
}

static clave_status failing_source(void *arg, uint8_t *buf, size_t cap, size_t *got)
{
    size_t *calls = arg;
    (void)buf;
    if (++*calls > 3) {
        return CLAVE_ERR_IO;
    }
    *got = cap < 100 ? cap : 100;
    return CLAVE_OK;
}

static clave_status failing_sink(void *arg, const uint8_t *buf, size_t len)
{
    (void)arg;
    (void)buf;
    (void)len;
    return CLAVE_ERR_LIMIT;
}

static clave_status lying_source(void *arg, uint8_t *buf, size_t cap, size_t *got)
{
    (void)arg;
    (void)buf;
    *got = cap + 1;
    return CLAVE_OK;
}

static void test_size_limit_and_failures(void **state)
{
    struct fixture *f = *state;
    char id[CLAVE_BLOB_ID_SIZE] = "x";
    uint64_t size = 7;
    uint8_t data[1001];
    memset(data, 'z', sizeof(data));
    open_with_limit(f, 1000);
    T_OK(clave_blob_put_buf(f->store, data, 1000, id));
    T_ERR(clave_blob_put_buf(f->store, data, 1001, id), CLAVE_ERR_TOO_LARGE);
    assert_string_equal(id, "");
    /* An endless source stops at the limit, with nothing left behind. */
    struct pattern endless = {.total = UINT64_MAX, .state = 7};
    T_ERR(clave_blob_put(f->store, pattern_read, &endless, id, &size), CLAVE_ERR_TOO_LARGE);
    assert_int_equal(size, 0);
    assert_true(endless.pos <= 1000 + 40000);
    assert_no_temp_files(f);
    char root_count[1100];
    (void)snprintf(root_count, sizeof(root_count), "%s", f->root);
    assert_int_equal(count_entries(root_count), 2); /* tmp and the one 1000-byte blob's dir */

    size_t calls = 0;
    T_ERR(clave_blob_put(f->store, failing_source, &calls, id, NULL), CLAVE_ERR_IO);
    T_ERR(clave_blob_put(f->store, lying_source, NULL, id, NULL), CLAVE_ERR_ARG);
    assert_no_temp_files(f);
    T_ERR(clave_blob_get(f->store, ID_EMPTY, failing_sink, NULL, NULL), CLAVE_ERR_NOT_FOUND);
    T_OK(clave_blob_put_buf(f->store, NULL, 0, id));
    T_OK(clave_blob_get(f->store, ID_EMPTY, failing_sink, NULL, NULL)); /* no bytes, no call */
    T_OK(clave_blob_put_buf(f->store, (const uint8_t *)"abc", 3, id));
    T_ERR(clave_blob_get(f->store, ID_ABC, failing_sink, NULL, NULL), CLAVE_ERR_LIMIT);
    T_ERR(clave_blob_get(f->store, ID_ABC, NULL, NULL, NULL), CLAVE_ERR_ARG);
    T_ERR(clave_blob_put(f->store, NULL, NULL, id, NULL), CLAVE_ERR_ARG);
}

/* Several processes putting the same content at once all succeed, and the result is whole. */
static void test_concurrent_same_content(void **state)
{
    struct fixture *f = *state;
    enum { WORKERS = 4, ROUNDS = 15 };
    pid_t pids[WORKERS];
    for (int w = 0; w < WORKERS; w++) {
        pids[w] = fork();
        assert_true(pids[w] >= 0);
        if (pids[w] == 0) {
            struct clave_blob_config cfg = {.root = f->root};
            struct clave_blob_store *store = NULL;
            int code = clave_blob_store_open(&cfg, &store) == CLAVE_OK ? 0 : 2;
            for (int r = 0; r < ROUNDS && code == 0; r++) {
                struct pattern p = {.total = 300000, .state = (uint32_t)(w * 100 + r + 1)};
                char id[CLAVE_BLOB_ID_SIZE];
                code = clave_blob_put(store, pattern_read, &p, id, NULL) == CLAVE_OK ? 0 : 3;
            }
            clave_blob_store_close(store);
            _exit(code);
        }
    }
    for (int w = 0; w < WORKERS; w++) {
        int status = 0;
        assert_int_equal(waitpid(pids[w], &status, 0), pids[w]);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    struct pattern p = {.total = 300000, .state = 99};
    char id[CLAVE_BLOB_ID_SIZE];
    T_OK(clave_blob_put(f->store, pattern_read, &p, id, NULL));
    struct checker c = {0, true};
    T_OK(clave_blob_get(f->store, id, pattern_check, &c, NULL));
    assert_true(c.ok);
    assert_int_equal(c.pos, 300000);
    assert_no_temp_files(f);
}

/* A stored blob modified on disk is detected on read: flipped bit, truncation, extension. */
static void test_corruption_detected(void **state)
{
    struct fixture *f = *state;
    char id[CLAVE_BLOB_ID_SIZE];
    char path[1200];
    uint8_t data[4096];
    for (size_t i = 0; i < sizeof(data); i++) {
        data[i] = (uint8_t)i;
    }
    T_OK(clave_blob_put_buf(f->store, data, sizeof(data), id));
    blob_file(f, id, path, sizeof(path));
    uint8_t *out = NULL;
    size_t len = 0;
    static const size_t FLIPS[] = {0, 1, 2047, 4095};
    for (size_t k = 0; k < sizeof(FLIPS) / sizeof(FLIPS[0]); k++) {
        uint8_t bad[sizeof(data)];
        memcpy(bad, data, sizeof(bad));
        bad[FLIPS[k]] ^= 0x01;
        t_write_file(path, bad, sizeof(bad));
        T_ERR(clave_blob_get_buf(f->store, id, sizeof(data), &out, &len), CLAVE_ERR_TAMPERED);
        assert_null(out);
        struct checker c = {0, true};
        T_ERR(clave_blob_get(f->store, id, pattern_check, &c, NULL), CLAVE_ERR_TAMPERED);
    }
    t_write_file(path, data, sizeof(data) - 1);
    T_ERR(clave_blob_get_buf(f->store, id, sizeof(data), &out, &len), CLAVE_ERR_TAMPERED);
    t_write_file(path, data, 0);
    T_ERR(clave_blob_get_buf(f->store, id, sizeof(data), &out, &len), CLAVE_ERR_TAMPERED);
    /* A re-put repairs it. */
    T_OK(clave_blob_put_buf(f->store, data, sizeof(data), id));
    T_OK(clave_blob_get_buf(f->store, id, sizeof(data), &out, &len));
    assert_memory_equal(out, data, sizeof(data));
    free(out);
    /* A symlink planted in place of a blob is not followed. */
    assert_int_equal(unlink(path), 0);
    assert_int_equal(symlink("/etc/passwd", path), 0);
    T_ERR(clave_blob_get_buf(f->store, id, sizeof(data), &out, &len), CLAVE_ERR_IO);
}

/* clave_blob_open: the verified bytes from offset 0 of a descriptor the caller owns; the same
 * limit and the same refusals as the buffer read; the descriptor keeps the verified content
 * even when the id is deleted after it was opened. */
static void test_open_verified(void **state)
{
    struct fixture *f = *state;
    char id[CLAVE_BLOB_ID_SIZE];
    char path[1200];
    uint8_t data[70000]; /* more than one read chunk */
    uint8_t back[sizeof(data)];
    int fd = -1;
    uint64_t size = 0;
    for (size_t i = 0; i < sizeof(data); i++) {
        data[i] = (uint8_t)(i * 7u);
    }
    T_OK(clave_blob_put_buf(f->store, data, sizeof(data), id));
    T_OK(clave_blob_open(f->store, id, sizeof(data), &fd, &size));
    assert_int_equal(size, sizeof(data));
    assert_true(fd >= 0);
    blob_file(f, id, path, sizeof(path));
    assert_int_equal(unlink(path), 0); /* deleted after it was opened */
    assert_int_equal(pread(fd, back, sizeof(back), 0), (ssize_t)sizeof(back));
    assert_memory_equal(back, data, sizeof(data));
    assert_int_equal(close(fd), 0);
    T_ERR(clave_blob_open(f->store, id, sizeof(data), &fd, &size), CLAVE_ERR_NOT_FOUND);
    assert_int_equal(fd, -1);
    T_OK(clave_blob_put_buf(f->store, data, sizeof(data), id));
    T_ERR(clave_blob_open(f->store, id, sizeof(data) - 1, &fd, &size), CLAVE_ERR_TOO_LARGE);
    assert_int_equal(fd, -1);
    data[69999] ^= 0x80;
    t_write_file(path, data, sizeof(data));
    T_ERR(clave_blob_open(f->store, id, sizeof(data), &fd, &size), CLAVE_ERR_TAMPERED);
    assert_int_equal(fd, -1);
    T_ERR(clave_blob_open(f->store, "zz", sizeof(data), &fd, &size), CLAVE_ERR_ARG);
    T_ERR(clave_blob_open(f->store, id, sizeof(data), NULL, &size), CLAVE_ERR_ARG);
}

static void test_hostile_ids(void **state)
{
    struct fixture *f = *state;
    char with_nul[CLAVE_BLOB_ID_SIZE + 1];
    memcpy(with_nul, ID_ABC, CLAVE_BLOB_ID_SIZE);
    with_nul[10] = '\0';
    char long_id[CLAVE_BLOB_ID_SIZE + 1];
    (void)snprintf(long_id, sizeof(long_id), "%s0", ID_ABC);
    static const char *const HOSTILE[] = {
        "",
        "../../../../etc/passwd",
        "..",
        "/etc/passwd",
        "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD",
        "Ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        "a7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a/",
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a.",
        "ba/816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        "../816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        " ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a",
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ag",
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a\n",
        "0x7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    };
    char id[CLAVE_BLOB_ID_SIZE];
    T_OK(clave_blob_put_buf(f->store, (const uint8_t *)"abc", 3, id));
    assert_true(clave_blob_id_valid(ID_ABC));
    assert_true(clave_blob_id_valid(ID_EMPTY));
    assert_false(clave_blob_id_valid(NULL));
    assert_false(clave_blob_id_valid(with_nul));
    assert_false(clave_blob_id_valid(long_id));
    uint64_t size = 0;
    uint8_t *out = NULL;
    size_t len = 0;
    for (size_t i = 0; i < sizeof(HOSTILE) / sizeof(HOSTILE[0]); i++) {
        assert_false(clave_blob_id_valid(HOSTILE[i]));
        T_ERR(clave_blob_stat(f->store, HOSTILE[i], &size), CLAVE_ERR_ARG);
        T_ERR(clave_blob_get_buf(f->store, HOSTILE[i], 100, &out, &len), CLAVE_ERR_ARG);
        T_ERR(clave_blob_delete(f->store, HOSTILE[i]), CLAVE_ERR_ARG);
    }
    T_ERR(clave_blob_get_buf(f->store, with_nul, 100, &out, &len), CLAVE_ERR_ARG);
    T_ERR(clave_blob_get_buf(f->store, long_id, 100, &out, &len), CLAVE_ERR_ARG);
    T_ERR(clave_blob_delete(f->store, NULL), CLAVE_ERR_ARG);
    /* Every single-character change of a valid id's characters outside [0-9a-f] is refused. */
    char probe[CLAVE_BLOB_ID_SIZE];
    for (size_t pos = 0; pos < CLAVE_BLOB_ID_LEN; pos += 7) {
        for (int c = 1; c < 256; c++) {
            memcpy(probe, ID_ABC, sizeof(probe));
            probe[pos] = (char)c;
            bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
            assert_true(clave_blob_id_valid(probe) == hex);
        }
    }
    /* The valid blob is untouched by all of the above. */
    T_OK(clave_blob_stat(f->store, ID_ABC, &size));
    assert_int_equal(size, 3);
}

static void test_open_errors(void **state)
{
    struct fixture *f = *state;
    struct clave_blob_store *s = NULL;
    struct clave_blob_config cfg = {0};
    T_ERR(clave_blob_store_open(&cfg, &s), CLAVE_ERR_ARG);
    T_ERR(clave_blob_store_open(NULL, &s), CLAVE_ERR_ARG);
    char file[1100];
    (void)snprintf(file, sizeof(file), "%s/plain-file", f->dir);
    t_write_file(file, (const uint8_t *)"x", 1);
    cfg.root = file;
    T_ERR(clave_blob_store_open(&cfg, &s), CLAVE_ERR_IO);
    cfg.root = "/nonexistent-parent/blobs";
    T_ERR(clave_blob_store_open(&cfg, &s), CLAVE_ERR_IO);
    assert_null(s);
    /* Reopening an existing store finds its blobs. */
    char id[CLAVE_BLOB_ID_SIZE];
    T_OK(clave_blob_put_buf(f->store, (const uint8_t *)"abc", 3, id));
    open_with_limit(f, 0);
    uint64_t size = 0;
    T_OK(clave_blob_stat(f->store, ID_ABC, &size));
    clave_blob_store_close(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_known_ids_and_layout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_streaming, setup, teardown),
        cmocka_unit_test_setup_teardown(test_size_limit_and_failures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_same_content, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corruption_detected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_verified, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_ids, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_errors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
