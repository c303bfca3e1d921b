/* SPDX-License-Identifier: Apache-2.0 */
/* The keyring interface: backend dispatch, the ordered key list, ids and labels. */
#include "core/check.h"
#include "keys/keyring_internal.h"

#include <clave/crypto.h>
#include <clave/encoding.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ID_ATTEMPTS 4 /* a collision of 64 random bits is a broken RNG, not bad luck */

static const struct keyring_ops *backend_ops(enum clave_keyring_backend backend)
{
    switch (backend) {
    case CLAVE_KEYRING_FILE:
        return &clave__keyring_file_ops;
    case CLAVE_KEYRING_PKCS11:
        return &clave__keyring_pkcs11_ops;
    default:
        return NULL;
    }
}

const char *clave__key_kind_name(enum clave_key_kind kind)
{
    switch (kind) {
    case CLAVE_KEY_AES256_KEK:
        return "aes256-kek";
    case CLAVE_KEY_P256_ECDH:
        return "p256-ecdh";
    default:
        return NULL;
    }
}

clave_status clave__key_kind_parse(const char *name, enum clave_key_kind *kind)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    *kind = 0;
    if (strcmp(name, "aes256-kek") == 0) {
        *kind = CLAVE_KEY_AES256_KEK;
    } else if (strcmp(name, "p256-ecdh") == 0) {
        *kind = CLAVE_KEY_P256_ECDH;
    } else {
        CLAVE_RAISE(CLAVE_ERR_FORMAT, "keyring: unknown key kind \"%.32s\"", name);
    }
    st = CLAVE_OK;
done:
    return st;
}

static const char *id_prefix(enum clave_key_kind kind)
{
    return kind == CLAVE_KEY_P256_ECDH ? CLAVE_P256_ID_PREFIX : CLAVE_KEK_ID_PREFIX;
}

bool clave__key_id_valid(const char *id, enum clave_key_kind kind)
{
    const char *prefix = id_prefix(kind);
    size_t prefix_len = strlen(prefix);
    if (clave__key_kind_name(kind) == NULL || strncmp(id, prefix, prefix_len) != 0 ||
        strlen(id) != prefix_len + CLAVE_KEY_ID_HEX_LEN) {
        return false;
    }
    for (const char *p = id + prefix_len; *p != '\0'; p++) {
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) {
            return false;
        }
    }
    return true;
}

bool clave__key_label_valid(const char *label)
{
    if (label == NULL) {
        return false;
    }
    size_t len = strnlen(label, CLAVE_KEY_LABEL_MAX);
    if (len == 0 || len >= CLAVE_KEY_LABEL_MAX) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        if (label[i] < 0x20 || label[i] > 0x7e) {
            return false;
        }
    }
    return true;
}

static bool find_index(const struct clave_keyring *kr, const char *id, size_t *index)
{
    for (size_t i = 0; i < kr->key_count; i++) {
        if (strcmp(kr->keys[i].info.id, id) == 0) {
            *index = i;
            return true;
        }
    }
    return false;
}

clave_status clave__keyring_append(struct clave_keyring *kr, const struct clave_key_info *info,
                                   void *data)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    size_t existing = 0;
    CLAVE_ENSURE(kr->key_count < CLAVE_KEYRING_MAX_KEYS, CLAVE_ERR_LIMIT,
                 "keyring: more than %d keys", CLAVE_KEYRING_MAX_KEYS);
    CLAVE_ENSURE(!find_index(kr, info->id, &existing), CLAVE_ERR_EXISTS,
                 "keyring: duplicate key id %s", info->id);
    if (kr->key_count == kr->key_cap) {
        size_t cap = kr->key_cap == 0 ? 8 : 2 * kr->key_cap;
        struct keyring_entry *keys = reallocarray(kr->keys, cap, sizeof(*keys));
        CLAVE_ENSURE_ALLOC(keys);
        kr->keys = keys;
        kr->key_cap = cap;
    }
    kr->keys[kr->key_count].info = *info;
    kr->keys[kr->key_count].data = data;
    kr->key_count++;
    st = CLAVE_OK;
done:
    return st;
}

void clave__keyring_pop(struct clave_keyring *kr)
{
    if (kr->key_count > 0) {
        kr->key_count--;
    }
}

static clave_status keyring_new(const struct clave_keyring_config *cfg, bool create,
                                struct clave_keyring **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_keyring *kr = NULL;
    *out = NULL;
    CLAVE_ENSURE(cfg != NULL, CLAVE_ERR_ARG, "keyring: no configuration");
    const struct keyring_ops *ops = backend_ops(cfg->backend);
    CLAVE_ENSURE(ops != NULL, CLAVE_ERR_UNSUPPORTED, "keyring: unknown backend %d",
                 (int)cfg->backend);
    kr = calloc(1, sizeof(*kr));
    CLAVE_ENSURE_ALLOC(kr);
    kr->ops = ops;
    CLAVE_CHECK(create ? ops->create(kr, cfg) : ops->open(kr, cfg));
    *out = kr;
    kr = NULL;
    st = CLAVE_OK;
done:
    clave_keyring_free(kr);
    return st;
}

clave_status clave_keyring_create(const struct clave_keyring_config *cfg,
                                  struct clave_keyring **out)
{
    return keyring_new(cfg, true, out);
}

clave_status clave_keyring_open(const struct clave_keyring_config *cfg, struct clave_keyring **out)
{
    return keyring_new(cfg, false, out);
}

void clave_keyring_free(struct clave_keyring *kr)
{
    if (kr == NULL) {
        return;
    }
    for (size_t i = 0; i < kr->key_count; i++) {
        kr->ops->free_entry(kr->keys[i].data);
    }
    free(kr->keys);
    if (kr->backend != NULL) {
        kr->ops->close(kr->backend);
    }
    free(kr);
}

/* A fresh id for `kind` not yet used in `kr`: prefix + hex of CLAVE_KEY_ID_RANDOM_LEN bytes. */
static clave_status new_id(const struct clave_keyring *kr, enum clave_key_kind kind,
                           char id[CLAVE_KEY_ID_MAX])
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t rnd[CLAVE_KEY_ID_RANDOM_LEN];
    const char *prefix = id_prefix(kind);
    size_t prefix_len = strlen(prefix);
    size_t existing = 0;
    _Static_assert(sizeof(CLAVE_P256_ID_PREFIX) - 1 + CLAVE_KEY_ID_HEX_LEN < CLAVE_KEY_ID_MAX,
                   "key id fits");
    for (int attempt = 0; attempt < ID_ATTEMPTS; attempt++) {
        CLAVE_CHECK(clave_random(rnd, sizeof(rnd)));
        memcpy(id, prefix, prefix_len);
        CLAVE_CHECK(
            clave_hex_encode(rnd, sizeof(rnd), id + prefix_len, CLAVE_KEY_ID_MAX - prefix_len));
        if (!find_index(kr, id, &existing)) {
            st = CLAVE_OK;
            goto done;
        }
    }
    CLAVE_RAISE(CLAVE_ERR_RANDOM, "keyring: random key ids keep colliding");
done:
    return st;
}

clave_status clave_keyring_generate(struct clave_keyring *kr, enum clave_key_kind kind,
                                    const char *label, struct clave_key_info *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_key_info info;
    memset(&info, 0, sizeof(info));
    if (out != NULL) {
        memset(out, 0, sizeof(*out));
    }
    CLAVE_ENSURE(kr != NULL && out != NULL, CLAVE_ERR_ARG, "keyring: NULL argument");
    CLAVE_ENSURE(clave__key_kind_name(kind) != NULL, CLAVE_ERR_ARG, "keyring: unknown kind %d",
                 (int)kind);
    CLAVE_ENSURE(clave__key_label_valid(label), CLAVE_ERR_ARG,
                 "keyring: a label is 1..%d bytes of printable ASCII", CLAVE_KEY_LABEL_MAX - 1);
    CLAVE_CHECK(new_id(kr, kind, info.id));
    memcpy(info.label, label, strlen(label) + 1);
    info.kind = kind;
    info.created = (int64_t)time(NULL);
    CLAVE_CHECK(kr->ops->generate(kr, &info));
    /* The backend may round `created` to what it can store (PKCS#11: a day). */
    *out = kr->keys[kr->key_count - 1].info;
    st = CLAVE_OK;
done:
    return st;
}

size_t clave_keyring_count(const struct clave_keyring *kr)
{
    return kr != NULL ? kr->key_count : 0;
}

clave_status clave_keyring_info(const struct clave_keyring *kr, size_t index,
                                struct clave_key_info *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    if (out != NULL) {
        memset(out, 0, sizeof(*out));
    }
    CLAVE_ENSURE(kr != NULL && out != NULL, CLAVE_ERR_ARG, "keyring: NULL argument");
    CLAVE_ENSURE(index < kr->key_count, CLAVE_ERR_NOT_FOUND, "keyring: no key at index %zu", index);
    *out = kr->keys[index].info;
    st = CLAVE_OK;
done:
    return st;
}

/* Index of key `id`, CLAVE_ERR_NOT_FOUND if absent. */
static clave_status lookup(const struct clave_keyring *kr, const char *id, size_t *index)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    *index = 0;
    CLAVE_ENSURE(kr != NULL && id != NULL, CLAVE_ERR_ARG, "keyring: NULL argument");
    CLAVE_ENSURE(find_index(kr, id, index), CLAVE_ERR_NOT_FOUND, "keyring: no key %.*s",
                 CLAVE_KEY_ID_MAX, id);
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_keyring_find(const struct clave_keyring *kr, const char *id,
                                struct clave_key_info *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    size_t index = 0;
    if (out != NULL) {
        memset(out, 0, sizeof(*out));
    }
    CLAVE_ENSURE(out != NULL, CLAVE_ERR_ARG, "keyring: NULL argument");
    CLAVE_CHECK(lookup(kr, id, &index));
    *out = kr->keys[index].info;
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_keyring_wrap(struct clave_keyring *kr, const char *id,
                                const struct clave_secret *dek, const uint8_t *aad, size_t aad_len,
                                uint8_t *out, size_t out_cap, size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    size_t index = 0;
    if (out_len != NULL) {
        *out_len = 0;
    }
    CLAVE_ENSURE(dek != NULL && out != NULL && out_len != NULL, CLAVE_ERR_ARG,
                 "keyring wrap: NULL argument");
    CLAVE_ENSURE(aad != NULL || aad_len == 0, CLAVE_ERR_ARG, "keyring wrap: NULL aad");
    CLAVE_CHECK(lookup(kr, id, &index));
    CLAVE_CHECK(kr->ops->wrap(kr, index, dek, aad, aad_len, out, out_cap, out_len));
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_keyring_unwrap(struct clave_keyring *kr, const char *id, const uint8_t *wrapped,
                                  size_t wrapped_len, const uint8_t *aad, size_t aad_len,
                                  struct clave_secret **dek)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    size_t index = 0;
    if (dek != NULL) {
        *dek = NULL;
    }
    CLAVE_ENSURE(wrapped != NULL && dek != NULL, CLAVE_ERR_ARG, "keyring unwrap: NULL argument");
    CLAVE_ENSURE(aad != NULL || aad_len == 0, CLAVE_ERR_ARG, "keyring unwrap: NULL aad");
    CLAVE_ENSURE(wrapped_len <= CLAVE_WRAPPED_KEY_MAX, CLAVE_ERR_TOO_LARGE,
                 "keyring unwrap: %zu bytes exceed %d", wrapped_len, CLAVE_WRAPPED_KEY_MAX);
    CLAVE_CHECK(lookup(kr, id, &index));
    CLAVE_CHECK(kr->ops->unwrap(kr, index, wrapped, wrapped_len, aad, aad_len, dek));
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_keyring_export_public(const struct clave_keyring *kr, const char *id,
                                         char **jwk_json)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    size_t index = 0;
    if (jwk_json != NULL) {
        *jwk_json = NULL;
    }
    CLAVE_ENSURE(jwk_json != NULL, CLAVE_ERR_ARG, "keyring export: NULL argument");
    CLAVE_CHECK(lookup(kr, id, &index));
    CLAVE_ENSURE(kr->keys[index].info.kind == CLAVE_KEY_P256_ECDH, CLAVE_ERR_KEY,
                 "keyring export: %s is not a P-256 key pair", id);
    CLAVE_CHECK(kr->ops->export_public(kr, index, jwk_json));
    st = CLAVE_OK;
done:
    return st;
}
