/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The keyring interface shared by its backends. keyring.c owns the generic object (the list of
 * keys in creation order, lookups, ids, labels) and dispatches the key operations through one
 * table of function pointers per backend (file.c, pkcs11.c).
 */
#ifndef CLAVE_KEYS_KEYRING_INTERNAL_H
#define CLAVE_KEYS_KEYRING_INTERNAL_H

#include <clave/crypto.h>
#include <clave/keyring.h>
#include <stdbool.h>

#define CLAVE_KEK_ID_PREFIX "kek-"
#define CLAVE_P256_ID_PREFIX "p256-"
#define CLAVE_KEY_ID_RANDOM_LEN 8 /* bytes of randomness in an id: 16 hex characters */
#define CLAVE_KEY_ID_HEX_LEN (2 * CLAVE_KEY_ID_RANDOM_LEN)
#define CLAVE_KEK_LEN 32            /* AES-256 */
#define CLAVE_KEYRING_MAX_KEYS 1024 /* per keyring: a bound on parsing and on token listings */
/* Latest creation time accepted from storage: 9999-12-31T23:59:59Z. */
#define CLAVE_KEY_CREATED_MAX INT64_C(253402300799)

/* One key as the generic layer sees it: its public description and backend-owned data. */
struct keyring_entry {
    struct clave_key_info info;
    void *data; /* owned by the backend; released with ops->free_entry */
};

struct keyring_ops {
    const char *name;
    /* Initialise kr->backend for a new (create) or existing (open) keyring and append the
     * existing keys with clave__keyring_append. On failure the caller frees kr. */
    clave_status (*create)(struct clave_keyring *kr, const struct clave_keyring_config *cfg);
    clave_status (*open)(struct clave_keyring *kr, const struct clave_keyring_config *cfg);
    /* Make and persist a key described by `info` (id, label, kind and created already set),
     * then append it. On failure nothing is persisted or appended. */
    clave_status (*generate)(struct clave_keyring *kr, const struct clave_key_info *info);
    /* Key operations on entry `index` (a valid index; kind not yet checked). */
    clave_status (*wrap)(struct clave_keyring *kr, size_t index, const struct clave_secret *dek,
                         const uint8_t *aad, size_t aad_len, uint8_t *out, size_t out_cap,
                         size_t *out_len);
    clave_status (*unwrap)(struct clave_keyring *kr, size_t index, const uint8_t *wrapped,
                           size_t wrapped_len, const uint8_t *aad, size_t aad_len,
                           struct clave_secret **dek);
    clave_status (*export_public)(const struct clave_keyring *kr, size_t index, char **jwk_json);
    void (*free_entry)(void *data);
    void (*close)(void *backend);
};

struct clave_keyring {
    const struct keyring_ops *ops;
    void *backend; /* owned; released with ops->close */
    struct keyring_entry *keys;
    size_t key_count;
    size_t key_cap;
};

extern const struct keyring_ops clave__keyring_file_ops;
extern const struct keyring_ops clave__keyring_pkcs11_ops;

/* Append a key; takes ownership of `data` on success only. CLAVE_ERR_LIMIT past
 * CLAVE_KEYRING_MAX_KEYS, CLAVE_ERR_EXISTS for a duplicate id. */
clave_status clave__keyring_append(struct clave_keyring *kr, const struct clave_key_info *info,
                                   void *data);

/* Remove the last entry without freeing its data (undo of a failed generate). */
void clave__keyring_pop(struct clave_keyring *kr);

/* Whether `id` is a well-formed id for `kind` (prefix + 16 lowercase hex characters). */
bool clave__key_id_valid(const char *id, enum clave_key_kind kind);

/* Whether `label` is 1..CLAVE_KEY_LABEL_MAX-1 bytes of printable ASCII. */
bool clave__key_label_valid(const char *label);

/* Stable text name of a kind ("aes256-kek", "p256-ecdh"), or NULL; and the reverse. */
const char *clave__key_kind_name(enum clave_key_kind kind);
clave_status clave__key_kind_parse(const char *name, enum clave_key_kind *kind);

/* Wrap format shared by the AES-256 KEK of both backends: nonce(12) || ct || tag(16). */
#define CLAVE_KEK_WRAP_OVERHEAD (CLAVE_AEAD_NONCE_LEN + CLAVE_AEAD_TAG_LEN)

/* JWE glue for P-256 recipient keys (p256.c). The private JWK text lives in a secret. */
clave_status clave__p256_generate(const char *kid, struct clave_secret **private_jwk);
clave_status clave__p256_check(const struct clave_secret *private_jwk);
clave_status clave__p256_wrap(const struct clave_secret *private_jwk,
                              const struct clave_secret *dek, uint8_t *out, size_t out_cap,
                              size_t *out_len);
clave_status clave__p256_unwrap(const struct clave_secret *private_jwk, const uint8_t *wrapped,
                                size_t wrapped_len, struct clave_secret **dek);
clave_status clave__p256_export_public(const struct clave_secret *private_jwk, const char *kid,
                                       char **jwk_json);

#endif
