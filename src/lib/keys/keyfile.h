/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The file backend's on-disk format (see docs/keyring.md) and its passphrase KDF: parsing with
 * every field validated, serialisation, and Argon2id.
 */
#ifndef CLAVE_KEYS_KEYFILE_H
#define CLAVE_KEYS_KEYFILE_H

#include "keys/keyring_internal.h"

#include <clave/secret.h>

#define KEYFILE_FORMAT "clave-keyring"
#define KEYFILE_VERSION 1
#define KEYFILE_MAX_BYTES ((size_t)1 << 20)
#define KEYFILE_SALT_LEN 16
#define KEYFILE_KEY_LEN 32 /* Argon2id output: an AES-256-GCM key */
/* A sealed key material: nonce || ct || tag; a private P-256 JWK is about 250 bytes. */
#define KEYFILE_SEALED_MAX 2048
/* The check value seals the list of key ids: at most 1024 ids of 22 bytes plus a header. */
#define KEYFILE_CHECK_MAX (64 + CLAVE_KEYRING_MAX_KEYS * CLAVE_KEY_ID_MAX + CLAVE_KEK_WRAP_OVERHEAD)

/* Argon2id limits accepted from a file: a hostile file must not make us allocate or spin
 * without bound. m_cost is in KiB (1 GiB at most). */
#define KEYFILE_T_COST_MIN 1
#define KEYFILE_T_COST_MAX 16
#define KEYFILE_M_COST_MIN 8
#define KEYFILE_M_COST_MAX (UINT32_C(1) << 20)
#define KEYFILE_PARALLELISM_MIN 1
#define KEYFILE_PARALLELISM_MAX 16

/* Defaults for new keyrings (RFC 9106 §4 second recommendation: t=3, m=64 MiB), and the cheap
 * setting selected by CLAVE_ARGON2_TEST_PARAMS=1 for test suites. */
#define KEYFILE_T_COST_DEFAULT 3
#define KEYFILE_M_COST_DEFAULT (UINT32_C(64) * 1024)
#define KEYFILE_PARALLELISM_DEFAULT 1
#define KEYFILE_T_COST_TEST 1
#define KEYFILE_M_COST_TEST 64
#define KEYFILE_TEST_ENV "CLAVE_ARGON2_TEST_PARAMS"

struct keyfile_kdf {
    uint8_t salt[KEYFILE_SALT_LEN];
    uint32_t t_cost;
    uint32_t m_cost_kib;
    uint32_t parallelism;
};

struct keyfile_key {
    struct clave_key_info info;
    uint8_t *sealed; /* nonce || ct || tag */
    size_t sealed_len;
};

struct keyfile_doc {
    struct keyfile_kdf kdf;
    uint8_t *check; /* nonce || ct || tag */
    size_t check_len;
    struct keyfile_key *keys;
    size_t key_count;
};

/* KDF parameters for a new keyring: a random salt, defaults or the test setting. */
clave_status clave__keyfile_new_kdf(struct keyfile_kdf *kdf);

/* Argon2id of `passphrase` into a new KEYFILE_KEY_LEN-byte secret. Caller frees. */
clave_status clave__keyfile_derive(const struct keyfile_kdf *kdf,
                                   const struct clave_secret *passphrase,
                                   struct clave_secret **key);

/* Parse and validate a keyring file. Caller releases `doc` with clave__keyfile_doc_clear,
 * also on failure. */
clave_status clave__keyfile_parse(const char *text, size_t len, struct keyfile_doc *doc);
void clave__keyfile_doc_clear(struct keyfile_doc *doc);

/* Serialise `doc` (borrowed) as JSON text. Caller frees `*out`. */
clave_status clave__keyfile_serialize(const struct keyfile_doc *doc, char **out, size_t *out_len);

#endif
