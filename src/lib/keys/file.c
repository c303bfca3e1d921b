/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The file keyring backend: key material sealed with AES-256-GCM under an Argon2id-derived key,
 * kept in one JSON file (format in keyfile.c) that is rewritten atomically on every change.
 *
 * AAD conventions (docs/keyring.md):
 *  - a sealed key binds all its metadata:  "clave-keyring v1 key\n" id "\n" kind "\n" label
 *    "\n" created (decimal), so no field can be edited or swapped between entries;
 *  - the check value seals the ordered list of ids, with AAD "clave-keyring v1 check": a wrong
 *    passphrase fails on it (CLAVE_ERR_PASSPHRASE), and a file whose entries were removed,
 *    added or reordered fails with CLAVE_ERR_TAMPERED.
 */
#include "core/check.h"
#include "keys/fileio.h"
#include "keys/keyfile.h"
#include "keys/keyring_internal.h"

#include <clave/crypto.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CHECK_AAD "clave-keyring v1 check"
#define CHECK_HEADER "clave-keyring v1 ids\n"
#define KEY_AAD_MAX 256

struct file_backend {
    char *path;
    struct keyfile_kdf kdf;
    struct clave_aead *aead; /* keyed with the Argon2id-derived key */
};

struct file_key {
    uint8_t *sealed; /* as stored: nonce || ct || tag */
    size_t sealed_len;
    struct clave_secret *material; /* 32-byte KEK, or the private JWK text of a P-256 key */
};

static void free_entry(void *data)
{
    struct file_key *key = data;
    if (key != NULL) {
        free(key->sealed);
        clave_secret_free(key->material);
        free(key);
    }
}

static void close_backend(void *data)
{
    struct file_backend *fb = data;
    free(fb->path);
    clave_aead_free(fb->aead);
    free(fb);
}

/* nonce || AES-256-GCM(pt) || tag into a new buffer. Caller frees. */
static clave_status seal(struct clave_aead *aead, const uint8_t *aad, size_t aad_len,
                         const uint8_t *pt, size_t pt_len, uint8_t **out, size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t *buf = NULL;
    size_t len = 0;
    *out = NULL;
    *out_len = 0;
    CLAVE_ENSURE(!__builtin_add_overflow(pt_len, CLAVE_KEK_WRAP_OVERHEAD, &len), CLAVE_ERR_LIMIT,
                 "keyring: message too long");
    buf = malloc(len);
    CLAVE_ENSURE_ALLOC(buf);
    CLAVE_CHECK(clave_random(buf, CLAVE_AEAD_NONCE_LEN));
    CLAVE_CHECK(clave_aead_seal(aead, buf, aad, aad_len, pt, pt_len, buf + CLAVE_AEAD_NONCE_LEN,
                                buf + CLAVE_AEAD_NONCE_LEN + pt_len));
    *out = buf;
    *out_len = len;
    buf = NULL;
    st = CLAVE_OK;
done:
    free(buf);
    return st;
}

/* Open nonce || ct || tag into a new secret (ct must not be empty). CLAVE_ERR_AUTH on a bad
 * tag. Caller frees. */
static clave_status open_sealed(struct clave_aead *aead, const uint8_t *aad, size_t aad_len,
                                const uint8_t *sealed, size_t len, struct clave_secret **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_secret *pt = NULL;
    *out = NULL;
    CLAVE_ENSURE(len > CLAVE_KEK_WRAP_OVERHEAD, CLAVE_ERR_AUTH, "keyring: sealed data too short");
    size_t ct_len = len - CLAVE_KEK_WRAP_OVERHEAD;
    CLAVE_CHECK(clave_secret_new(ct_len, &pt));
    CLAVE_CHECK(clave_aead_open(aead, sealed, aad, aad_len, sealed + CLAVE_AEAD_NONCE_LEN, ct_len,
                                sealed + CLAVE_AEAD_NONCE_LEN + ct_len, clave_secret_data(pt)));
    *out = pt;
    pt = NULL;
    st = CLAVE_OK;
done:
    clave_secret_free(pt);
    return st;
}

/* The AAD binding a sealed key to its metadata. Fields hold no '\n' (validated). */
static clave_status key_aad(const struct clave_key_info *info, char aad[KEY_AAD_MAX],
                            size_t *aad_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    int n = snprintf(aad, KEY_AAD_MAX, "clave-keyring v1 key\n%s\n%s\n%s\n%" PRId64, info->id,
                     clave__key_kind_name(info->kind), info->label, info->created);
    CLAVE_ENSURE(n > 0 && n < KEY_AAD_MAX, CLAVE_ERR_INTERNAL, "keyring: key AAD too long");
    *aad_len = (size_t)n;
    st = CLAVE_OK;
done:
    return st;
}

/* The check plaintext: CHECK_HEADER then each id followed by '\n', in order. Caller frees. */
static clave_status check_text(const struct keyring_entry *keys, size_t count, char **out,
                               size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    size_t cap = sizeof(CHECK_HEADER) + count * CLAVE_KEY_ID_MAX;
    size_t len = sizeof(CHECK_HEADER) - 1;
    char *text = malloc(cap);
    *out = NULL;
    *out_len = 0;
    CLAVE_ENSURE_ALLOC(text);
    memcpy(text, CHECK_HEADER, len);
    for (size_t i = 0; i < count; i++) {
        size_t id_len = strlen(keys[i].info.id);
        memcpy(text + len, keys[i].info.id, id_len);
        text[len + id_len] = '\n';
        len += id_len + 1;
    }
    *out = text;
    *out_len = len;
    text = NULL;
    st = CLAVE_OK;
done:
    free(text);
    return st;
}

/* Serialise every entry with a fresh check value and write the file atomically. */
static clave_status save(struct clave_keyring *kr, bool exclusive)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct file_backend *fb = kr->backend;
    struct keyfile_doc doc;
    char *ids = NULL;
    size_t ids_len = 0;
    char *text = NULL;
    size_t text_len = 0;
    memset(&doc, 0, sizeof(doc));
    doc.kdf = fb->kdf;
    if (kr->key_count > 0) {
        doc.keys = calloc(kr->key_count, sizeof(*doc.keys));
        CLAVE_ENSURE_ALLOC(doc.keys);
    }
    for (size_t i = 0; i < kr->key_count; i++) {
        const struct file_key *key = kr->keys[i].data;
        doc.keys[i].info = kr->keys[i].info;
        doc.keys[i].sealed = key->sealed; /* borrowed */
        doc.keys[i].sealed_len = key->sealed_len;
    }
    doc.key_count = kr->key_count;
    CLAVE_CHECK(check_text(kr->keys, kr->key_count, &ids, &ids_len));
    CLAVE_CHECK(seal(fb->aead, (const uint8_t *)CHECK_AAD, sizeof(CHECK_AAD) - 1,
                     (const uint8_t *)ids, ids_len, &doc.check, &doc.check_len));
    CLAVE_CHECK(clave__keyfile_serialize(&doc, &text, &text_len));
    CLAVE_CHECK(clave__file_write_atomic(fb->path, (const uint8_t *)text, text_len, exclusive));
    st = CLAVE_OK;
done:
    free(text);
    free(ids);
    free(doc.check);
    free(doc.keys);
    return st;
}

/* Shared start of create and open: the backend object with the path. */
static clave_status backend_new(struct clave_keyring *kr, const struct clave_keyring_config *cfg)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct file_backend *fb = NULL;
    CLAVE_ENSURE(cfg->path != NULL && cfg->path[0] != '\0', CLAVE_ERR_ARG, "file keyring: no path");
    CLAVE_ENSURE(cfg->passphrase != NULL && clave_secret_len(cfg->passphrase) > 0,
                 CLAVE_ERR_PASSPHRASE, "file keyring: no passphrase");
    fb = calloc(1, sizeof(*fb));
    CLAVE_ENSURE_ALLOC(fb);
    fb->path = strdup(cfg->path);
    CLAVE_ENSURE_ALLOC(fb->path);
    kr->backend = fb;
    fb = NULL;
    st = CLAVE_OK;
done:
    if (fb != NULL) {
        close_backend(fb);
    }
    return st;
}

/* Derive the file key from the passphrase and key the AEAD with it. */
static clave_status derive(struct file_backend *fb, const struct clave_secret *passphrase)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_secret *key = NULL;
    CLAVE_CHECK(clave__keyfile_derive(&fb->kdf, passphrase, &key));
    CLAVE_CHECK(clave_aead_new(CLAVE_AEAD_AES256GCM, clave_secret_cdata(key), &fb->aead));
    st = CLAVE_OK;
done:
    clave_secret_free(key);
    return st;
}

static clave_status file_create(struct clave_keyring *kr, const struct clave_keyring_config *cfg)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct stat sb;
    CLAVE_CHECK(backend_new(kr, cfg));
    struct file_backend *fb = kr->backend;
    /* Fail early, before the KDF; the exclusive link in save() settles races. */
    CLAVE_ENSURE(lstat(fb->path, &sb) != 0, CLAVE_ERR_EXISTS, "%s: already exists", fb->path);
    CLAVE_CHECK(clave__keyfile_new_kdf(&fb->kdf));
    CLAVE_CHECK(derive(fb, cfg->passphrase));
    CLAVE_CHECK(save(kr, true));
    st = CLAVE_OK;
done:
    return st;
}

/* Verify the check value: the passphrase, then the list of ids against the entries. */
static clave_status verify_check(struct file_backend *fb, const struct keyfile_doc *doc)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_secret *pt = NULL;
    struct keyring_entry *entries = NULL;
    char *ids = NULL;
    size_t ids_len = 0;
    st = open_sealed(fb->aead, (const uint8_t *)CHECK_AAD, sizeof(CHECK_AAD) - 1, doc->check,
                     doc->check_len, &pt);
    if (st != CLAVE_OK && st != CLAVE_ERR_AUTH) {
        goto done;
    }
    CLAVE_ENSURE(st == CLAVE_OK, CLAVE_ERR_PASSPHRASE,
                 "%s: wrong passphrase (or a modified check value)", fb->path);
    entries = calloc(doc->key_count + 1, sizeof(*entries));
    CLAVE_ENSURE_ALLOC(entries);
    for (size_t i = 0; i < doc->key_count; i++) {
        entries[i].info = doc->keys[i].info;
    }
    CLAVE_CHECK(check_text(entries, doc->key_count, &ids, &ids_len));
    CLAVE_ENSURE(ids_len == clave_secret_len(pt) &&
                     clave_ct_equal(ids, clave_secret_cdata(pt), ids_len),
                 CLAVE_ERR_TAMPERED, "%s: keys were added, removed or reordered", fb->path);
    st = CLAVE_OK;
done:
    clave_secret_free(pt);
    free(entries);
    free(ids);
    return st;
}

/* Unseal one stored key and append it. */
static clave_status load_key(struct clave_keyring *kr, const struct keyfile_key *stored)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct file_backend *fb = kr->backend;
    struct file_key *key = NULL;
    char aad[KEY_AAD_MAX];
    size_t aad_len = 0;
    key = calloc(1, sizeof(*key));
    CLAVE_ENSURE_ALLOC(key);
    CLAVE_CHECK(key_aad(&stored->info, aad, &aad_len));
    st = open_sealed(fb->aead, (const uint8_t *)aad, aad_len, stored->sealed, stored->sealed_len,
                     &key->material);
    if (st != CLAVE_OK && st != CLAVE_ERR_AUTH) {
        goto done;
    }
    CLAVE_ENSURE(st == CLAVE_OK, CLAVE_ERR_TAMPERED, "%s: key %s does not authenticate", fb->path,
                 stored->info.id);
    if (stored->info.kind == CLAVE_KEY_AES256_KEK) {
        CLAVE_ENSURE(clave_secret_len(key->material) == CLAVE_KEK_LEN, CLAVE_ERR_KEYRING,
                     "%s: key %s is not 32 bytes", fb->path, stored->info.id);
    } else {
        CLAVE_CHECK_CTX(clave__p256_check(key->material), "%s: key %s", fb->path, stored->info.id);
    }
    key->sealed = malloc(stored->sealed_len);
    CLAVE_ENSURE_ALLOC(key->sealed);
    memcpy(key->sealed, stored->sealed, stored->sealed_len);
    key->sealed_len = stored->sealed_len;
    CLAVE_CHECK(clave__keyring_append(kr, &stored->info, key));
    key = NULL;
    st = CLAVE_OK;
done:
    free_entry(key);
    return st;
}

static clave_status file_open(struct clave_keyring *kr, const struct clave_keyring_config *cfg)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct keyfile_doc doc;
    char *text = NULL;
    size_t text_len = 0;
    memset(&doc, 0, sizeof(doc));
    CLAVE_CHECK(backend_new(kr, cfg));
    struct file_backend *fb = kr->backend;
    CLAVE_CHECK(clave__file_read(fb->path, KEYFILE_MAX_BYTES, &text, &text_len));
    CLAVE_CHECK_CTX(clave__keyfile_parse(text, text_len, &doc), "%s", fb->path);
    fb->kdf = doc.kdf;
    CLAVE_CHECK(derive(fb, cfg->passphrase));
    CLAVE_CHECK(verify_check(fb, &doc));
    for (size_t i = 0; i < doc.key_count; i++) {
        CLAVE_CHECK(load_key(kr, &doc.keys[i]));
    }
    st = CLAVE_OK;
done:
    clave__keyfile_doc_clear(&doc);
    free(text);
    return st;
}

static clave_status file_generate(struct clave_keyring *kr, const struct clave_key_info *info)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct file_backend *fb = kr->backend;
    struct file_key *key = NULL;
    char aad[KEY_AAD_MAX];
    size_t aad_len = 0;
    bool appended = false;
    key = calloc(1, sizeof(*key));
    CLAVE_ENSURE_ALLOC(key);
    if (info->kind == CLAVE_KEY_AES256_KEK) {
        CLAVE_CHECK(clave_secret_random(CLAVE_KEK_LEN, &key->material));
    } else {
        CLAVE_CHECK(clave__p256_generate(info->id, &key->material));
    }
    CLAVE_CHECK(key_aad(info, aad, &aad_len));
    CLAVE_CHECK(seal(fb->aead, (const uint8_t *)aad, aad_len, clave_secret_cdata(key->material),
                     clave_secret_len(key->material), &key->sealed, &key->sealed_len));
    CLAVE_CHECK(clave__keyring_append(kr, info, key));
    appended = true;
    CLAVE_CHECK(save(kr, false));
    key = NULL;
    st = CLAVE_OK;
done:
    if (key != NULL && appended) {
        clave__keyring_pop(kr); /* the file still holds the old set: so must memory */
    }
    free_entry(key);
    return st;
}

static clave_status kek_wrap(const struct file_key *key, const struct clave_secret *dek,
                             const uint8_t *aad, size_t aad_len, uint8_t *out, size_t out_cap,
                             size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_aead *aead = NULL;
    size_t dek_len = clave_secret_len(dek);
    CLAVE_ENSURE(dek_len <= CLAVE_WRAPPED_KEY_MAX - CLAVE_KEK_WRAP_OVERHEAD, CLAVE_ERR_TOO_LARGE,
                 "keyring wrap: data key of %zu bytes too long", dek_len);
    CLAVE_ENSURE(out_cap >= dek_len + CLAVE_KEK_WRAP_OVERHEAD, CLAVE_ERR_LIMIT,
                 "keyring wrap: output needs %zu bytes", dek_len + CLAVE_KEK_WRAP_OVERHEAD);
    CLAVE_CHECK(clave_aead_new(CLAVE_AEAD_AES256GCM, clave_secret_cdata(key->material), &aead));
    CLAVE_CHECK(clave_random(out, CLAVE_AEAD_NONCE_LEN));
    CLAVE_CHECK(clave_aead_seal(aead, out, aad, aad_len, clave_secret_cdata(dek), dek_len,
                                out + CLAVE_AEAD_NONCE_LEN, out + CLAVE_AEAD_NONCE_LEN + dek_len));
    *out_len = dek_len + CLAVE_KEK_WRAP_OVERHEAD;
    st = CLAVE_OK;
done:
    clave_aead_free(aead);
    return st;
}

static clave_status file_wrap(struct clave_keyring *kr, size_t index,
                              const struct clave_secret *dek, const uint8_t *aad, size_t aad_len,
                              uint8_t *out, size_t out_cap, size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const struct file_key *key = kr->keys[index].data;
    if (kr->keys[index].info.kind == CLAVE_KEY_AES256_KEK) {
        CLAVE_CHECK(kek_wrap(key, dek, aad, aad_len, out, out_cap, out_len));
    } else {
        /* A compact JWE has no external AAD: refuse one rather than silently drop it. */
        CLAVE_ENSURE(aad_len == 0, CLAVE_ERR_ARG,
                     "keyring wrap: a P-256 key cannot bind AAD (compact JWE)");
        CLAVE_CHECK(clave__p256_wrap(key->material, dek, out, out_cap, out_len));
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status kek_unwrap(const struct file_key *key, const uint8_t *wrapped,
                               size_t wrapped_len, const uint8_t *aad, size_t aad_len,
                               struct clave_secret **dek)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_aead *aead = NULL;
    CLAVE_CHECK(clave_aead_new(CLAVE_AEAD_AES256GCM, clave_secret_cdata(key->material), &aead));
    CLAVE_CHECK(open_sealed(aead, aad, aad_len, wrapped, wrapped_len, dek));
    st = CLAVE_OK;
done:
    clave_aead_free(aead);
    return st;
}

static clave_status file_unwrap(struct clave_keyring *kr, size_t index, const uint8_t *wrapped,
                                size_t wrapped_len, const uint8_t *aad, size_t aad_len,
                                struct clave_secret **dek)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const struct file_key *key = kr->keys[index].data;
    if (kr->keys[index].info.kind == CLAVE_KEY_AES256_KEK) {
        CLAVE_CHECK(kek_unwrap(key, wrapped, wrapped_len, aad, aad_len, dek));
    } else {
        CLAVE_ENSURE(aad_len == 0, CLAVE_ERR_ARG,
                     "keyring unwrap: a P-256 key cannot bind AAD (compact JWE)");
        CLAVE_CHECK(clave__p256_unwrap(key->material, wrapped, wrapped_len, dek));
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status file_export_public(const struct clave_keyring *kr, size_t index,
                                       char **jwk_json)
{
    const struct file_key *key = kr->keys[index].data;
    return clave__p256_export_public(key->material, kr->keys[index].info.id, jwk_json);
}

const struct keyring_ops clave__keyring_file_ops = {
    .name = "file",
    .create = file_create,
    .open = file_open,
    .generate = file_generate,
    .wrap = file_wrap,
    .unwrap = file_unwrap,
    .export_public = file_export_public,
    .free_entry = free_entry,
    .close = close_backend,
};
