/* SPDX-License-Identifier: Apache-2.0 */
/* The file keyring backend: round trips, passphrase, tampering, hostile files, atomic saves. */
#include "testlib.h"

#include <dirent.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

struct fixture {
    char *dir;
    char path[1024];
    struct clave_secret *pass;
    struct clave_keyring_config cfg;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->dir = t_tempdir();
    (void)snprintf(f->path, sizeof(f->path), "%s/keyring.json", f->dir);
    T_OK(clave_secret_from((const uint8_t *)"correct horse", 13, &f->pass));
    f->cfg.backend = CLAVE_KEYRING_FILE;
    f->cfg.path = f->path;
    f->cfg.passphrase = f->pass;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    t_rmtree(f->dir);
    free(f->dir);
    clave_secret_free(f->pass);
    free(f);
    return 0;
}

/* A keyring at f->path holding one KEK labelled "one"; its id into `id`. */
static void make_keyring(struct fixture *f, char id[CLAVE_KEY_ID_MAX])
{
    struct clave_keyring *kr = NULL;
    struct clave_key_info info;
    T_OK(clave_keyring_create(&f->cfg, &kr));
    T_OK(clave_keyring_generate(kr, CLAVE_KEY_AES256_KEK, "one", &info));
    memcpy(id, info.id, CLAVE_KEY_ID_MAX);
    clave_keyring_free(kr);
}

static clave_status open_status(struct fixture *f)
{
    struct clave_keyring *kr = NULL;
    clave_status st = clave_keyring_open(&f->cfg, &kr);
    assert_true((st == CLAVE_OK) == (kr != NULL));
    clave_keyring_free(kr);
    return st;
}

static void test_round_trip(void **state)
{
    struct fixture *f = *state;
    struct clave_keyring *kr = NULL;
    struct clave_key_info a;
    struct clave_key_info b;
    struct clave_key_info got;
    struct clave_secret *dek = NULL;
    struct clave_secret *back = NULL;
    uint8_t wrapped[CLAVE_WRAPPED_KEY_MAX];
    size_t wrapped_len = 0;
    const uint8_t aad[] = "file-id 42";

    T_OK(clave_keyring_create(&f->cfg, &kr));
    assert_int_equal(clave_keyring_count(kr), 0);
    T_OK(clave_keyring_generate(kr, CLAVE_KEY_AES256_KEK, "first", &a));
    T_OK(clave_keyring_generate(kr, CLAVE_KEY_AES256_KEK, "second key", &b));
    assert_int_equal(strncmp(a.id, "kek-", 4), 0);
    assert_int_equal(strlen(a.id), 4 + 16);
    assert_string_not_equal(a.id, b.id);
    assert_int_equal(a.kind, CLAVE_KEY_AES256_KEK);
    assert_true(a.created > 1600000000);
    assert_int_equal(clave_keyring_count(kr), 2);
    T_OK(clave_keyring_info(kr, 1, &got));
    assert_string_equal(got.id, b.id);
    assert_string_equal(got.label, "second key");

    T_OK(clave_secret_random(32, &dek));
    T_OK(clave_keyring_wrap(kr, a.id, dek, aad, sizeof(aad), wrapped, sizeof(wrapped),
                            &wrapped_len));
    assert_int_equal(wrapped_len, 12 + 32 + 16);
    T_OK(clave_keyring_unwrap(kr, a.id, wrapped, wrapped_len, aad, sizeof(aad), &back));
    assert_true(clave_secret_equal(dek, back));
    clave_secret_free(back);
    back = NULL;
    /* The other key does not open it. */
    T_ERR(clave_keyring_unwrap(kr, b.id, wrapped, wrapped_len, aad, sizeof(aad), &back),
          CLAVE_ERR_AUTH);
    clave_keyring_free(kr);
    kr = NULL;

    /* Persistence: same keys, same order, same metadata; the old wrap still opens. */
    T_OK(clave_keyring_open(&f->cfg, &kr));
    assert_int_equal(clave_keyring_count(kr), 2);
    T_OK(clave_keyring_info(kr, 0, &got));
    assert_memory_equal(&got, &a, sizeof(got));
    T_OK(clave_keyring_find(kr, b.id, &got));
    assert_memory_equal(&got, &b, sizeof(got));
    T_OK(clave_keyring_unwrap(kr, a.id, wrapped, wrapped_len, aad, sizeof(aad), &back));
    assert_true(clave_secret_equal(dek, back));
    clave_secret_free(back);
    clave_secret_free(dek);
    clave_keyring_free(kr);
}

static void test_wrong_passphrase(void **state)
{
    struct fixture *f = *state;
    char id[CLAVE_KEY_ID_MAX];
    struct clave_secret *wrong = NULL;
    struct clave_keyring *kr = NULL;
    make_keyring(f, id);
    T_OK(clave_secret_from((const uint8_t *)"correct hors3", 13, &wrong));
    f->cfg.passphrase = wrong;
    T_ERR(clave_keyring_open(&f->cfg, &kr), CLAVE_ERR_PASSPHRASE);
    assert_null(kr);
    f->cfg.passphrase = NULL;
    T_ERR(clave_keyring_open(&f->cfg, &kr), CLAVE_ERR_PASSPHRASE);
    f->cfg.passphrase = f->pass;
    clave_secret_free(wrong);
    T_OK(open_status(f));
}

static void test_wrong_aad_and_flipped_bits(void **state)
{
    struct fixture *f = *state;
    char id[CLAVE_KEY_ID_MAX];
    struct clave_keyring *kr = NULL;
    struct clave_secret *dek = NULL;
    struct clave_secret *back = NULL;
    uint8_t wrapped[CLAVE_WRAPPED_KEY_MAX];
    size_t len = 0;
    make_keyring(f, id);
    T_OK(clave_keyring_open(&f->cfg, &kr));
    T_OK(clave_secret_random(32, &dek));
    T_OK(
        clave_keyring_wrap(kr, id, dek, (const uint8_t *)"aad", 3, wrapped, sizeof(wrapped), &len));
    T_ERR(clave_keyring_unwrap(kr, id, wrapped, len, (const uint8_t *)"aaD", 3, &back),
          CLAVE_ERR_AUTH);
    T_ERR(clave_keyring_unwrap(kr, id, wrapped, len, NULL, 0, &back), CLAVE_ERR_AUTH);
    for (size_t i = 0; i < len; i++) {
        for (int bit = 0; bit < 8; bit += 7) {
            wrapped[i] ^= (uint8_t)(1u << bit);
            T_ERR(clave_keyring_unwrap(kr, id, wrapped, len, (const uint8_t *)"aad", 3, &back),
                  CLAVE_ERR_AUTH);
            assert_null(back);
            wrapped[i] ^= (uint8_t)(1u << bit);
        }
    }
    for (size_t cut = 0; cut < len; cut++) {
        T_ERR(clave_keyring_unwrap(kr, id, wrapped, cut, (const uint8_t *)"aad", 3, &back),
              CLAVE_ERR_AUTH);
    }
    T_OK(clave_keyring_unwrap(kr, id, wrapped, len, (const uint8_t *)"aad", 3, &back));
    assert_true(clave_secret_equal(dek, back));
    clave_secret_free(back);
    clave_secret_free(dek);
    clave_keyring_free(kr);
}

static void test_create_over_existing(void **state)
{
    struct fixture *f = *state;
    char id[CLAVE_KEY_ID_MAX];
    struct clave_keyring *kr = NULL;
    size_t before_len = 0;
    make_keyring(f, id);
    uint8_t *before = t_read_file(f->path, &before_len);
    T_ERR(clave_keyring_create(&f->cfg, &kr), CLAVE_ERR_EXISTS);
    assert_null(kr);
    size_t after_len = 0;
    uint8_t *after = t_read_file(f->path, &after_len);
    assert_int_equal(before_len, after_len);
    assert_memory_equal(before, after, before_len);
    free(before);
    free(after);
    /* Any existing file, not just a keyring. */
    t_write_file(f->path, (const uint8_t *)"x", 1);
    T_ERR(clave_keyring_create(&f->cfg, &kr), CLAVE_ERR_EXISTS);
    /* And opening a missing file says so. */
    (void)snprintf(f->path, sizeof(f->path), "%s/absent.json", f->dir);
    T_ERR(clave_keyring_open(&f->cfg, &kr), CLAVE_ERR_NOT_FOUND);
}

/* Names in `dir` other than "." and "..". */
static size_t dir_entries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t n = 0;
    for (struct dirent *e = readdir(d); e != NULL; e = readdir(d)) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            n++;
        }
    }
    closedir(d);
    return n;
}

static void test_mode_and_no_temp_files(void **state)
{
    struct fixture *f = *state;
    char id[CLAVE_KEY_ID_MAX];
    struct stat sb;
    mode_t old = umask(0);
    make_keyring(f, id);
    umask(old);
    assert_int_equal(stat(f->path, &sb), 0);
    assert_int_equal(sb.st_mode & 07777, 0600);
    assert_int_equal(dir_entries(f->dir), 1);
}

/* Save fails half-way through writing the temporary file (RLIMIT_FSIZE makes write() fail with
 * EFBIG, as a full disk would): the old file stays byte for byte, no temporary file remains,
 * and the keyring in memory still matches the file. */
static void test_failed_save_keeps_old_file(void **state)
{
    struct fixture *f = *state;
    char id[CLAVE_KEY_ID_MAX];
    struct clave_keyring *kr = NULL;
    struct clave_key_info info;
    struct rlimit saved;
    size_t before_len = 0;
    make_keyring(f, id);
    uint8_t *before = t_read_file(f->path, &before_len);
    T_OK(clave_keyring_open(&f->cfg, &kr));

    assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved), 0);
    struct rlimit small = {.rlim_cur = (rlim_t)before_len / 2, .rlim_max = saved.rlim_max};
    void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
    clave_status st = clave_keyring_generate(kr, CLAVE_KEY_AES256_KEK, "two", &info);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved), 0);
    (void)signal(SIGXFSZ, old_handler);
    T_ERR(st, CLAVE_ERR_IO);

    size_t after_len = 0;
    uint8_t *after = t_read_file(f->path, &after_len);
    assert_int_equal(before_len, after_len);
    assert_memory_equal(before, after, before_len);
    assert_int_equal(dir_entries(f->dir), 1);
    assert_int_equal(clave_keyring_count(kr), 1);
    /* The keyring is still usable, and the next save works. */
    T_OK(clave_keyring_generate(kr, CLAVE_KEY_AES256_KEK, "two", &info));
    clave_keyring_free(kr);
    kr = NULL;
    T_OK(clave_keyring_open(&f->cfg, &kr));
    assert_int_equal(clave_keyring_count(kr), 2);
    clave_keyring_free(kr);
    free(before);
    free(after);
}

/* Load the keyring file as JSON, let `edit` change it, write it back. */
static json_t *load_doc(struct fixture *f)
{
    json_error_t err;
    json_t *doc = json_load_file(f->path, 0, &err);
    assert_non_null(doc);
    return doc;
}

static void save_doc(struct fixture *f, json_t *doc)
{
    assert_int_equal(json_dump_file(doc, f->path, JSON_INDENT(2)), 0);
    json_decref(doc);
}

static json_t *first_key(json_t *doc)
{
    json_t *key = json_array_get(json_object_get(doc, "keys"), 0);
    assert_non_null(key);
    return key;
}

struct edit_case {
    const char *what;
    const char *object; /* "top", "kdf" or "key" */
    const char *field;
    const char *json_value; /* NULL: delete the field */
    clave_status expect;
};

static const struct edit_case EDITS[] = {
    {"label edited", "key", "label", "\"One\"", CLAVE_ERR_TAMPERED},
    {"created edited", "key", "created", "1", CLAVE_ERR_TAMPERED},
    {"kind edited", "key", "kind", "\"p256-ecdh\"", CLAVE_ERR_FORMAT},
    {"unknown kind", "key", "kind", "\"rsa\"", CLAVE_ERR_FORMAT},
    {"id edited", "key", "id", "\"kek-0000000000000000\"", CLAVE_ERR_TAMPERED},
    {"id malformed", "key", "id", "\"kek-XYZ\"", CLAVE_ERR_FORMAT},
    {"label not printable", "key", "label", "\"a\\nb\"", CLAVE_ERR_FORMAT},
    {"label too long", "key", "label",
     "\"0123456789012345678901234567890123456789012345678901234567890123\"", CLAVE_ERR_TOO_LARGE},
    {"sealed bad base64", "key", "sealed", "\"!!!!\"", CLAVE_ERR_ENCODING},
    {"sealed padded base64", "key", "sealed", "\"AAAA==\"", CLAVE_ERR_ENCODING},
    {"sealed too short", "key", "sealed", "\"AAAA\"", CLAVE_ERR_FORMAT},
    {"sealed missing", "key", "sealed", NULL, CLAVE_ERR_JSON},
    {"created negative", "key", "created", "-5", CLAVE_ERR_JSON},
    {"created is a string", "key", "created", "\"5\"", CLAVE_ERR_JSON},
    {"extra key field", "key", "extra", "1", CLAVE_ERR_JSON},
    {"huge m_cost", "kdf", "m_cost_kib", "100000000000", CLAVE_ERR_JSON},
    /* Valid parameters, but not the ones the key was derived with. */
    {"m_cost lowered", "kdf", "m_cost_kib", "8", CLAVE_ERR_PASSPHRASE},
    {"huge t_cost", "kdf", "t_cost", "4294967296", CLAVE_ERR_JSON},
    {"zero parallelism", "kdf", "parallelism", "0", CLAVE_ERR_JSON},
    {"lanes above memory", "kdf", "parallelism", "16", CLAVE_ERR_FORMAT},
    {"other kdf", "kdf", "alg", "\"scrypt\"", CLAVE_ERR_UNSUPPORTED},
    {"short salt", "kdf", "salt", "\"AAAA\"", CLAVE_ERR_FORMAT},
    {"changed salt", "kdf", "salt", "\"AAAAAAAAAAAAAAAAAAAAAA\"", CLAVE_ERR_PASSPHRASE},
    {"version 2", "top", "version", "2", CLAVE_ERR_UNSUPPORTED},
    {"other format", "top", "format", "\"x\"", CLAVE_ERR_FORMAT},
    {"check missing", "top", "check", NULL, CLAVE_ERR_JSON},
    {"check altered", "top", "check", "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"",
     CLAVE_ERR_PASSPHRASE},
    {"keys not an array", "top", "keys", "{}", CLAVE_ERR_JSON},
    {"keys holds a number", "top", "keys", "[1]", CLAVE_ERR_JSON},
    {"keys emptied", "top", "keys", "[]", CLAVE_ERR_TAMPERED},
    {"unknown top field", "top", "comment", "\"hi\"", CLAVE_ERR_JSON},
};

static void test_edited_fields(void **state)
{
    struct fixture *f = *state;
    char id[CLAVE_KEY_ID_MAX];
    size_t orig_len = 0;
    make_keyring(f, id);
    uint8_t *orig = t_read_file(f->path, &orig_len);
    for (size_t i = 0; i < sizeof(EDITS) / sizeof(EDITS[0]); i++) {
        const struct edit_case *c = &EDITS[i];
        t_write_file(f->path, orig, orig_len);
        json_t *doc = load_doc(f);
        json_t *obj = strcmp(c->object, "top") == 0   ? doc
                      : strcmp(c->object, "kdf") == 0 ? json_object_get(doc, "kdf")
                                                      : first_key(doc);
        if (c->json_value == NULL) {
            assert_int_equal(json_object_del(obj, c->field), 0);
        } else {
            json_t *v = json_loads(c->json_value, JSON_DECODE_ANY, NULL);
            assert_non_null(v);
            assert_int_equal(json_object_set_new(obj, c->field, v), 0);
        }
        save_doc(f, doc);
        clave_status st = open_status(f);
        if (st != c->expect) {
            fail_msg("%s: got %s, expected %s (%s)", c->what, clave_status_str(st),
                     clave_status_str(c->expect), clave_error_last().detail);
        }
        if (st != CLAVE_OK) {
            assert_true(strlen(clave_error_last().detail) > 0);
        }
    }
    free(orig);
}

static void test_entries_removed_or_reordered(void **state)
{
    struct fixture *f = *state;
    struct clave_keyring *kr = NULL;
    struct clave_key_info info;
    T_OK(clave_keyring_create(&f->cfg, &kr));
    T_OK(clave_keyring_generate(kr, CLAVE_KEY_AES256_KEK, "a", &info));
    T_OK(clave_keyring_generate(kr, CLAVE_KEY_AES256_KEK, "b", &info));
    clave_keyring_free(kr);
    size_t orig_len = 0;
    uint8_t *orig = t_read_file(f->path, &orig_len);

    json_t *doc = load_doc(f);
    json_t *keys = json_object_get(doc, "keys");
    json_t *first = json_incref(json_array_get(keys, 0));
    assert_int_equal(json_array_remove(keys, 0), 0);
    assert_int_equal(json_array_append_new(keys, first), 0);
    save_doc(f, doc);
    T_ERR(open_status(f), CLAVE_ERR_TAMPERED);

    t_write_file(f->path, orig, orig_len);
    doc = load_doc(f);
    assert_int_equal(json_array_remove(json_object_get(doc, "keys"), 1), 0);
    save_doc(f, doc);
    T_ERR(open_status(f), CLAVE_ERR_TAMPERED);

    /* Duplicated entry. */
    t_write_file(f->path, orig, orig_len);
    doc = load_doc(f);
    keys = json_object_get(doc, "keys");
    assert_int_equal(json_array_append(keys, json_array_get(keys, 0)), 0);
    save_doc(f, doc);
    T_ERR(open_status(f), CLAVE_ERR_FORMAT);
    free(orig);
}

static void test_truncated_at_every_offset(void **state)
{
    struct fixture *f = *state;
    char id[CLAVE_KEY_ID_MAX];
    size_t len = 0;
    make_keyring(f, id);
    uint8_t *orig = t_read_file(f->path, &len);
    for (size_t cut = 0; cut < len; cut++) {
        t_write_file(f->path, orig, cut);
        clave_status st = open_status(f);
        /* Cutting only trailing whitespace leaves a valid document. */
        if (st == CLAVE_OK) {
            for (size_t i = cut; i < len; i++) {
                assert_true(orig[i] == '\n' || orig[i] == ' ');
            }
            continue;
        }
        assert_true(st == CLAVE_ERR_JSON || st == CLAVE_ERR_ARG);
    }
    free(orig);
}

static void test_hostile_files(void **state)
{
    struct fixture *f = *state;
    /* Larger than the 1 MiB cap: refused before parsing. */
    size_t big_len = ((size_t)1 << 20) + 1;
    uint8_t *big = malloc(big_len);
    assert_non_null(big);
    memset(big, ' ', big_len);
    t_write_file(f->path, big, big_len);
    T_ERR(open_status(f), CLAVE_ERR_TOO_LARGE);
    /* Deep nesting. */
    memset(big, '[', 4096);
    t_write_file(f->path, big, 4096);
    T_ERR(open_status(f), CLAVE_ERR_TOO_LARGE);
    free(big);
    const char *const junk[] = {"",
                                "null",
                                "[]",
                                "\"keyring\"",
                                "{\"format\":1}",
                                "{}",
                                "{\"format\":\"clave-keyring\",\"version\":1}"};
    for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
        t_write_file(f->path, (const uint8_t *)junk[i], strlen(junk[i]));
        T_ERR(open_status(f), CLAVE_ERR_JSON);
    }
    /* A directory, not a file. */
    (void)snprintf(f->path, sizeof(f->path), "%s", f->dir);
    T_ERR(open_status(f), CLAVE_ERR_IO);
}

static void test_arguments(void **state)
{
    struct fixture *f = *state;
    struct clave_keyring *kr = NULL;
    struct clave_key_info info;
    struct clave_secret *dek = NULL;
    struct clave_secret *back = NULL;
    uint8_t out[CLAVE_WRAPPED_KEY_MAX];
    size_t out_len = 0;
    char *jwk = NULL;
    char long_label[CLAVE_KEY_LABEL_MAX + 1];
    memset(long_label, 'a', sizeof(long_label) - 1);
    long_label[CLAVE_KEY_LABEL_MAX] = '\0';
    T_OK(clave_keyring_create(&f->cfg, &kr));
    const char *const bad_labels[] = {"", "tab\there", "new\nline", "caf\xc3\xa9", long_label};
    for (size_t i = 0; i < sizeof(bad_labels) / sizeof(bad_labels[0]); i++) {
        T_ERR(clave_keyring_generate(kr, CLAVE_KEY_AES256_KEK, bad_labels[i], &info),
              CLAVE_ERR_ARG);
    }
    T_ERR(clave_keyring_generate(kr, CLAVE_KEY_AES256_KEK, NULL, &info), CLAVE_ERR_ARG);
    T_ERR(clave_keyring_generate(kr, (enum clave_key_kind)7, "x", &info), CLAVE_ERR_ARG);
    long_label[CLAVE_KEY_LABEL_MAX - 1] = '\0'; /* 63 bytes: the longest allowed */
    T_OK(clave_keyring_generate(kr, CLAVE_KEY_AES256_KEK, long_label, &info));
    assert_string_equal(info.label, long_label);
    assert_int_equal(clave_keyring_count(kr), 1);

    T_OK(clave_secret_random(32, &dek));
    T_ERR(clave_keyring_find(kr, "kek-0000000000000000", &info), CLAVE_ERR_NOT_FOUND);
    T_ERR(clave_keyring_info(kr, 1, &info), CLAVE_ERR_NOT_FOUND);
    T_OK(clave_keyring_info(kr, 0, &info));
    T_ERR(clave_keyring_wrap(kr, info.id, dek, NULL, 0, out, 59, &out_len), CLAVE_ERR_LIMIT);
    T_ERR(clave_keyring_wrap(kr, "nope", dek, NULL, 0, out, sizeof(out), &out_len),
          CLAVE_ERR_NOT_FOUND);
    T_ERR(clave_keyring_unwrap(kr, info.id, out, CLAVE_WRAPPED_KEY_MAX + 1, NULL, 0, &back),
          CLAVE_ERR_TOO_LARGE);
    T_ERR(clave_keyring_export_public(kr, info.id, &jwk), CLAVE_ERR_KEY);
    assert_null(jwk);
    clave_secret_free(dek);
    clave_keyring_free(kr);
    clave_keyring_free(NULL);
}

/* Without the test setting, a new keyring uses Argon2id t=3, m=64 MiB, p=1. */
static void test_default_kdf_params(void **state)
{
    struct fixture *f = *state;
    struct clave_keyring *kr = NULL;
    const char *saved = getenv("CLAVE_ARGON2_TEST_PARAMS");
    char *copy = saved != NULL ? strdup(saved) : NULL;
    assert_int_equal(unsetenv("CLAVE_ARGON2_TEST_PARAMS"), 0);
    T_OK(clave_keyring_create(&f->cfg, &kr));
    clave_keyring_free(kr);
    if (copy != NULL) {
        assert_int_equal(setenv("CLAVE_ARGON2_TEST_PARAMS", copy, 1), 0);
        free(copy);
    }
    json_t *doc = load_doc(f);
    json_t *kdf = json_object_get(doc, "kdf");
    assert_string_equal(json_string_value(json_object_get(kdf, "alg")), "argon2id");
    assert_int_equal(json_integer_value(json_object_get(kdf, "t_cost")), 3);
    assert_int_equal(json_integer_value(json_object_get(kdf, "m_cost_kib")), 65536);
    assert_int_equal(json_integer_value(json_object_get(kdf, "parallelism")), 1);
    json_decref(doc);
    T_OK(open_status(f));
}

/* A P-256 recipient key: anyone with the exported public JWK encrypts a JWE to it; only the
 * keyring decrypts, also after reopening. */
static void test_p256_recipient(void **state)
{
    struct fixture *f = *state;
    struct clave_keyring *kr = NULL;
    struct clave_key_info info;
    struct clave_jwk *pub = NULL;
    struct clave_secret *dek = NULL;
    struct clave_secret *back = NULL;
    char *jwk = NULL;
    char *jwe = NULL;
    uint8_t wrapped[CLAVE_WRAPPED_KEY_MAX];
    size_t len = 0;
    T_OK(clave_keyring_create(&f->cfg, &kr));
    T_OK(clave_keyring_generate(kr, CLAVE_KEY_P256_ECDH, "recipient", &info));
    assert_int_equal(strncmp(info.id, "p256-", 5), 0);
    assert_int_equal(info.kind, CLAVE_KEY_P256_ECDH);
    T_OK(clave_keyring_export_public(kr, info.id, &jwk));
    assert_null(strstr(jwk, "\"d\""));
    T_OK(clave_jwk_parse(jwk, strlen(jwk), &pub));
    assert_int_equal(clave_jwk_type(pub), CLAVE_JWK_EC_P256);
    assert_false(clave_jwk_has_private(pub));
    assert_string_equal(clave_jwk_kid(pub), info.id);

    T_OK(clave_secret_random(32, &dek));
    T_OK(clave_jwe_encrypt(pub, "ECDH-ES+A256KW", clave_secret_cdata(dek), 32, NULL, 0,
                           CLAVE_JWE_COMPACT, &jwe));
    T_OK(clave_keyring_unwrap(kr, info.id, (const uint8_t *)jwe, strlen(jwe), NULL, 0, &back));
    assert_true(clave_secret_equal(dek, back));
    clave_secret_free(back);
    back = NULL;
    /* No AAD can be bound to a compact JWE: refused, not ignored. */
    T_ERR(clave_keyring_unwrap(kr, info.id, (const uint8_t *)jwe, strlen(jwe), (const uint8_t *)"x",
                               1, &back),
          CLAVE_ERR_ARG);
    T_ERR(clave_keyring_wrap(kr, info.id, dek, (const uint8_t *)"x", 1, wrapped, sizeof(wrapped),
                             &len),
          CLAVE_ERR_ARG);
    /* A changed character in the ciphertext part fails authentication. */
    char *last_dot = strrchr(jwe, '.');
    assert_non_null(last_dot);
    last_dot[-2] = last_dot[-2] == 'A' ? 'B' : 'A';
    T_ERR(clave_keyring_unwrap(kr, info.id, (const uint8_t *)jwe, strlen(jwe), NULL, 0, &back),
          CLAVE_ERR_AUTH);
    T_ERR(clave_keyring_unwrap(kr, info.id, (const uint8_t *)"{\"protected\":\"\"}", 16, NULL, 0,
                               &back),
          CLAVE_ERR_FORMAT);

    T_OK(clave_keyring_wrap(kr, info.id, dek, NULL, 0, wrapped, sizeof(wrapped), &len));
    clave_keyring_free(kr);
    kr = NULL;
    T_OK(clave_keyring_open(&f->cfg, &kr));
    T_OK(clave_keyring_unwrap(kr, info.id, wrapped, len, NULL, 0, &back));
    assert_true(clave_secret_equal(dek, back));
    char *jwk_again = NULL;
    T_OK(clave_keyring_export_public(kr, info.id, &jwk_again));
    assert_string_equal(jwk, jwk_again);
    free(jwk_again);
    clave_secret_free(back);
    clave_secret_free(dek);
    clave_jwk_free(pub);
    free(jwk);
    free(jwe);
    clave_keyring_free(kr);
}

int main(void)
{
    /* Cheap Argon2id unless the caller chose otherwise (file_test.cmake sets it too). */
    (void)setenv("CLAVE_ARGON2_TEST_PARAMS", "1", 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_passphrase, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_aad_and_flipped_bits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_over_existing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mode_and_no_temp_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_save_keeps_old_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_edited_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_entries_removed_or_reordered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated_at_every_offset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_arguments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_default_kdf_params, setup, teardown),
        cmocka_unit_test_setup_teardown(test_p256_recipient, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
