/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Keyrings: where a party's key-encryption keys (KEKs) and recipient key pairs live.
 *
 * One interface, several backends:
 *  - file:   keys sealed in one file under a key derived with Argon2id from a passphrase;
 *            written atomically (temp file + fsync + rename).
 *  - pkcs11: keys generated inside any PKCS#11 token (SoftHSM2 in tests, cloud HSMs in
 *            production); wrapping and unwrapping happen inside the token, keys never leave it.
 *
 * Key kinds:
 *  - CLAVE_KEY_AES256_KEK: wraps data keys (DEKs) with AES-256-GCM. Both backends.
 *  - CLAVE_KEY_P256_ECDH:  a recipient key pair: anyone holding its public JWK (from
 *            clave_keyring_export_public) can wrap a DEK to it with JWE ECDH-ES+A256KW/A256GCM;
 *            only the keyring can unwrap. File backend.
 *
 * Key ids are short printable strings chosen by the keyring ("kek-" / "p256-" + 16 hex chars),
 * stable for the life of the key. A keyring object is not thread-safe: use one per thread or
 * serialise calls. Format, attributes and AAD conventions: docs/keyring.md.
 */
#ifndef CLAVE_KEYRING_H
#define CLAVE_KEYRING_H

#include <clave/secret.h>
#include <clave/status.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum clave_keyring_backend {
    CLAVE_KEYRING_FILE = 1,
    CLAVE_KEYRING_PKCS11 = 2,
};

enum clave_key_kind {
    CLAVE_KEY_AES256_KEK = 1,
    CLAVE_KEY_P256_ECDH = 2,
};

#define CLAVE_KEY_ID_MAX 64    /* bytes, including the NUL */
#define CLAVE_KEY_LABEL_MAX 64 /* bytes, including the NUL */
#define CLAVE_WRAPPED_KEY_MAX 4096

struct clave_keyring_config {
    enum clave_keyring_backend backend;
    /* file: path of the keyring file. */
    const char *path;
    /* file: the passphrase; pkcs11: the user PIN. Borrowed. */
    const struct clave_secret *passphrase;
    /* pkcs11: path of the module (.so), and the token label to use. */
    const char *module;
    const char *token_label;
};

struct clave_key_info {
    char id[CLAVE_KEY_ID_MAX];
    char label[CLAVE_KEY_LABEL_MAX];
    enum clave_key_kind kind;
    int64_t created; /* unix seconds */
};

struct clave_keyring;

/**
 * Create a new, empty keyring and return it in `*out` (caller frees with clave_keyring_free).
 * `cfg` and everything it points to are borrowed for the call only.
 * file:   writes `cfg->path` (mode 0600, atomically) with a fresh Argon2id salt; the KDF costs are
 *         t=3, m=64 MiB, p=1, or t=1, m=64 KiB when the environment has
 *         CLAVE_ARGON2_TEST_PARAMS=1 (test suites only: such a file is cheap to brute-force).
 *         CLAVE_ERR_EXISTS if the path exists, CLAVE_ERR_IO if it cannot be written.
 * pkcs11: logs in to the token; CLAVE_ERR_EXISTS if it already holds clave keys.
 * Also: CLAVE_ERR_ARG (missing path/module/label), CLAVE_ERR_PASSPHRASE (missing passphrase,
 * wrong PIN), CLAVE_ERR_NOT_FOUND (no such token), CLAVE_ERR_PKCS11, CLAVE_ERR_NOMEM.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_keyring_create(const struct clave_keyring_config *cfg,
                                                           struct clave_keyring **out);

/**
 * Open an existing keyring into `*out` (caller frees). `cfg` is borrowed for the call only.
 * CLAVE_ERR_PASSPHRASE for a missing or wrong passphrase/PIN; CLAVE_ERR_NOT_FOUND if the file or
 * token does not exist. A file that fails validation gives CLAVE_ERR_JSON, CLAVE_ERR_FORMAT,
 * CLAVE_ERR_ENCODING, CLAVE_ERR_TOO_LARGE or CLAVE_ERR_UNSUPPORTED (naming the field), and one
 * whose sealed entries were modified, removed, added or reordered gives CLAVE_ERR_TAMPERED.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_keyring_open(const struct clave_keyring_config *cfg,
                                                         struct clave_keyring **out);

/** Close (PKCS#11: log out, close the session, C_Finalize if this keyring initialised the
 * module) and wipe all key material. NULL is a no-op. */
CLAVE_API void clave_keyring_free(struct clave_keyring *kr);

/**
 * Generate a key of `kind` labelled `label` (borrowed: 1..63 bytes of printable ASCII), persist
 * it, and return its description in `*out` (id "kek-"/"p256-" + 16 lowercase hex characters).
 * On failure nothing is persisted and the keyring is unchanged. CLAVE_ERR_ARG for a bad label
 * or kind, CLAVE_ERR_UNSUPPORTED for P-256 on pkcs11, CLAVE_ERR_IO if the file cannot be
 * rewritten, CLAVE_ERR_LIMIT past 1024 keys, CLAVE_ERR_PKCS11.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_keyring_generate(struct clave_keyring *kr,
                                                             enum clave_key_kind kind,
                                                             const char *label,
                                                             struct clave_key_info *out);

/**
 * Number of keys (0 for NULL), and the info of key `index` (0-based) into `*out`
 * (CLAVE_ERR_NOT_FOUND past the end). file: creation order. pkcs11: ordered by (created, id);
 * `created` is the creation day (CKA_START_DATE) or 0 where the module cannot return it.
 */
CLAVE_API size_t clave_keyring_count(const struct clave_keyring *kr);
CLAVE_API CLAVE_MUST_USE clave_status clave_keyring_info(const struct clave_keyring *kr,
                                                         size_t index, struct clave_key_info *out);

/** Find a key by id (borrowed) and copy its info into `*out`; CLAVE_ERR_NOT_FOUND if absent. */
CLAVE_API CLAVE_MUST_USE clave_status clave_keyring_find(const struct clave_keyring *kr,
                                                         const char *id,
                                                         struct clave_key_info *out);

/**
 * Wrap `dek` (borrowed) under key `id`, binding `aad` (may be NULL/0).
 * AES-256 KEK: nonce(12) || AES-256-GCM(dek, aad) || tag(16), the same on both backends.
 * P-256: a compact JWE (ECDH-ES+A256KW, A256GCM) to the key's public part; `aad` must be empty
 * (CLAVE_ERR_ARG), since a compact JWE cannot carry it.
 * Output: opaque bytes (<= CLAVE_WRAPPED_KEY_MAX) into `out` (capacity `out_cap`,
 * CLAVE_ERR_LIMIT if too small), length in `*out_len`. CLAVE_ERR_NOT_FOUND for an unknown id.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_keyring_wrap(struct clave_keyring *kr, const char *id,
                                                         const struct clave_secret *dek,
                                                         const uint8_t *aad, size_t aad_len,
                                                         uint8_t *out, size_t out_cap,
                                                         size_t *out_len);

/**
 * Unwrap bytes made by clave_keyring_wrap (AES-256 KEK) or a compact JWE addressed to a P-256
 * key of this keyring (then `aad` must be empty: CLAVE_ERR_ARG; anything but a compact JWE:
 * CLAVE_ERR_FORMAT). CLAVE_ERR_AUTH if they do not authenticate (wrong key, wrong AAD, any
 * modified byte). The DEK comes back in a new secret; caller frees `*dek`.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_keyring_unwrap(struct clave_keyring *kr, const char *id,
                                                           const uint8_t *wrapped,
                                                           size_t wrapped_len, const uint8_t *aad,
                                                           size_t aad_len,
                                                           struct clave_secret **dek);

/** The public JWK (JSON text, with "kid" = id) of a P-256 key. Caller frees with free().
 * CLAVE_ERR_KEY for a KEK, CLAVE_ERR_NOT_FOUND for an unknown id. */
CLAVE_API CLAVE_MUST_USE clave_status clave_keyring_export_public(const struct clave_keyring *kr,
                                                                  const char *id, char **jwk_json);

#ifdef __cplusplus
}
#endif
#endif
