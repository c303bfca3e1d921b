/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Keyring file format, version 1 (JSON, docs/keyring.md):
 *
 *   {
 *     "format":  "clave-keyring",
 *     "version": 1,
 *     "kdf":     {"alg": "argon2id", "salt": b64url(16 bytes),
 *                 "t_cost": 1..16, "m_cost_kib": 8..1048576, "parallelism": 1..16},
 *     "check":   b64url(nonce(12) || AES-256-GCM(K, ids) || tag(16)),
 *     "keys":    [{"id": str, "label": str, "kind": "aes256-kek" | "p256-ecdh",
 *                  "created": 0..253402300799, "sealed": b64url(nonce || ct || tag)}, ...]
 *   }
 *
 * K = Argon2id(passphrase, salt, t_cost, m_cost_kib, parallelism), 32 bytes.
 */
#include "core/check.h"
#include "keys/keyfile.h"

#include <argon2.h>
#include <clave/crypto.h>
#include <clave/encoding.h>
#include <clave/json.h>
#include <stdlib.h>
#include <string.h>

clave_status clave__keyfile_new_kdf(struct keyfile_kdf *kdf)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const char *test = getenv(KEYFILE_TEST_ENV);
    bool cheap = test != NULL && strcmp(test, "1") == 0;
    memset(kdf, 0, sizeof(*kdf));
    CLAVE_CHECK(clave_random(kdf->salt, sizeof(kdf->salt)));
    kdf->t_cost = cheap ? KEYFILE_T_COST_TEST : KEYFILE_T_COST_DEFAULT;
    kdf->m_cost_kib = cheap ? KEYFILE_M_COST_TEST : KEYFILE_M_COST_DEFAULT;
    kdf->parallelism = KEYFILE_PARALLELISM_DEFAULT;
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave__keyfile_derive(const struct keyfile_kdf *kdf,
                                   const struct clave_secret *passphrase, struct clave_secret **key)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_secret *k = NULL;
    *key = NULL;
    size_t pass_len = clave_secret_len(passphrase);
    CLAVE_ENSURE(pass_len <= UINT32_MAX, CLAVE_ERR_ARG, "keyring: passphrase too long");
    CLAVE_CHECK(clave_secret_new(KEYFILE_KEY_LEN, &k));
    int rc = argon2id_hash_raw(kdf->t_cost, kdf->m_cost_kib, kdf->parallelism,
                               clave_secret_cdata(passphrase), pass_len, kdf->salt,
                               sizeof(kdf->salt), clave_secret_data(k), KEYFILE_KEY_LEN);
    CLAVE_ENSURE(rc != ARGON2_MEMORY_ALLOCATION_ERROR, CLAVE_ERR_NOMEM,
                 "keyring: argon2id: out of memory (m_cost %u KiB)", kdf->m_cost_kib);
    CLAVE_ENSURE(rc == ARGON2_OK, CLAVE_ERR_CRYPTO, "keyring: argon2id: %s",
                 argon2_error_message(rc));
    *key = k;
    k = NULL;
    st = CLAVE_OK;
done:
    clave_secret_free(k);
    return st;
}

static const char *const TOP_KEYS[] = {"format", "version", "kdf", "check", "keys", NULL};
static const char *const KDF_KEYS[] = {"alg", "salt", "t_cost", "m_cost_kib", "parallelism", NULL};
static const char *const KEY_KEYS[] = {"id", "label", "kind", "created", "sealed", NULL};

/* A base64url field holding `min`..`max` bytes; caller frees `*out`. */
static clave_status get_bytes(const json_t *obj, const char *where, const char *key, size_t min,
                              size_t max, uint8_t **out, size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_CHECK(clave_json_get_b64url(obj, where, key, true, max, out, out_len));
    CLAVE_ENSURE(*out_len >= min && *out_len <= max, CLAVE_ERR_FORMAT,
                 "%s.%s: %zu bytes outside %zu..%zu", where, key, *out_len, min, max);
    st = CLAVE_OK;
done:
    if (st != CLAVE_OK) {
        free(*out);
        *out = NULL;
        *out_len = 0;
    }
    return st;
}

static clave_status parse_kdf(const json_t *top, struct keyfile_kdf *kdf)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const char *where = "keyring.kdf";
    json_t *obj = NULL;
    const char *alg = NULL;
    int64_t t_cost = 0;
    int64_t m_cost = 0;
    int64_t parallelism = 0;
    uint8_t *salt = NULL;
    size_t salt_len = 0;
    CLAVE_CHECK(clave_json_get_object(top, "keyring", "kdf", true, &obj));
    CLAVE_CHECK(clave_json_only_keys(obj, where, KDF_KEYS));
    CLAVE_CHECK(clave_json_get_string(obj, where, "alg", true, 16, &alg));
    CLAVE_ENSURE(strcmp(alg, "argon2id") == 0, CLAVE_ERR_UNSUPPORTED,
                 "%s.alg: \"%s\" is not argon2id", where, alg);
    CLAVE_CHECK(clave_json_get_int(obj, where, "t_cost", true, KEYFILE_T_COST_MIN,
                                   KEYFILE_T_COST_MAX, &t_cost));
    CLAVE_CHECK(clave_json_get_int(obj, where, "m_cost_kib", true, KEYFILE_M_COST_MIN,
                                   KEYFILE_M_COST_MAX, &m_cost));
    CLAVE_CHECK(clave_json_get_int(obj, where, "parallelism", true, KEYFILE_PARALLELISM_MIN,
                                   KEYFILE_PARALLELISM_MAX, &parallelism));
    /* Argon2 needs 8 KiB per lane (RFC 9106 §3.1). */
    CLAVE_ENSURE(m_cost >= 8 * parallelism, CLAVE_ERR_FORMAT,
                 "%s: m_cost_kib %lld below 8 x parallelism", where, (long long)m_cost);
    CLAVE_CHECK(
        get_bytes(obj, where, "salt", KEYFILE_SALT_LEN, KEYFILE_SALT_LEN, &salt, &salt_len));
    memcpy(kdf->salt, salt, KEYFILE_SALT_LEN);
    kdf->t_cost = (uint32_t)t_cost;
    kdf->m_cost_kib = (uint32_t)m_cost;
    kdf->parallelism = (uint32_t)parallelism;
    st = CLAVE_OK;
done:
    free(salt);
    return st;
}

static clave_status parse_key(json_t *obj, const char *where, struct keyfile_key *key)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const char *id = NULL;
    const char *label = NULL;
    const char *kind = NULL;
    CLAVE_CHECK(clave_json_only_keys(obj, where, KEY_KEYS));
    CLAVE_CHECK(clave_json_get_string(obj, where, "kind", true, 16, &kind));
    CLAVE_CHECK_CTX(clave__key_kind_parse(kind, &key->info.kind), "%s.kind", where);
    CLAVE_CHECK(clave_json_get_string(obj, where, "id", true, CLAVE_KEY_ID_MAX - 1, &id));
    CLAVE_ENSURE(clave__key_id_valid(id, key->info.kind), CLAVE_ERR_FORMAT,
                 "%s.id: not a %s key id", where, kind);
    memcpy(key->info.id, id, strlen(id) + 1);
    CLAVE_CHECK(clave_json_get_string(obj, where, "label", true, CLAVE_KEY_LABEL_MAX - 1, &label));
    CLAVE_ENSURE(clave__key_label_valid(label), CLAVE_ERR_FORMAT,
                 "%s.label: not 1..%d printable ASCII characters", where, CLAVE_KEY_LABEL_MAX - 1);
    memcpy(key->info.label, label, strlen(label) + 1);
    CLAVE_CHECK(clave_json_get_int(obj, where, "created", true, 0, CLAVE_KEY_CREATED_MAX,
                                   &key->info.created));
    CLAVE_CHECK(get_bytes(obj, where, "sealed", CLAVE_KEK_WRAP_OVERHEAD + 1, KEYFILE_SEALED_MAX,
                          &key->sealed, &key->sealed_len));
    st = CLAVE_OK;
done:
    return st;
}

static clave_status parse_keys(const json_t *top, struct keyfile_doc *doc)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *arr = NULL;
    char where[CLAVE_JSON_PATH_MAX];
    CLAVE_CHECK(clave_json_get_array(top, "keyring", "keys", true, CLAVE_KEYRING_MAX_KEYS, &arr));
    size_t n = json_array_size(arr);
    if (n == 0) {
        st = CLAVE_OK;
        goto done;
    }
    doc->keys = calloc(n, sizeof(*doc->keys));
    CLAVE_ENSURE_ALLOC(doc->keys);
    for (size_t i = 0; i < n; i++) {
        clave_json_path_index(where, sizeof(where), "keyring.keys", i);
        json_t *obj = json_array_get(arr, i);
        CLAVE_CHECK(clave_json_expect_object(obj, where));
        doc->key_count = i + 1;
        CLAVE_CHECK(parse_key(obj, where, &doc->keys[i]));
        for (size_t j = 0; j < i; j++) {
            CLAVE_ENSURE(strcmp(doc->keys[j].info.id, doc->keys[i].info.id) != 0, CLAVE_ERR_FORMAT,
                         "%s.id: duplicate of keys[%zu]", where, j);
        }
    }
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave__keyfile_parse(const char *text, size_t len, struct keyfile_doc *doc)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const struct clave_json_limits limits = {KEYFILE_MAX_BYTES, 4};
    json_t *top = NULL;
    const char *format = NULL;
    int64_t version = 0;
    memset(doc, 0, sizeof(*doc));
    CLAVE_CHECK(clave_json_parse(text, len, &limits, "keyring", &top));
    CLAVE_CHECK(clave_json_only_keys(top, "keyring", TOP_KEYS));
    CLAVE_CHECK(clave_json_get_string(top, "keyring", "format", true, 32, &format));
    CLAVE_ENSURE(strcmp(format, KEYFILE_FORMAT) == 0, CLAVE_ERR_FORMAT,
                 "keyring.format: not \"%s\"", KEYFILE_FORMAT);
    CLAVE_CHECK(clave_json_get_int(top, "keyring", "version", true, 0, INT32_MAX, &version));
    CLAVE_ENSURE(version == KEYFILE_VERSION, CLAVE_ERR_UNSUPPORTED,
                 "keyring.version: %lld (supported: %d)", (long long)version, KEYFILE_VERSION);
    CLAVE_CHECK(parse_kdf(top, &doc->kdf));
    CLAVE_CHECK(get_bytes(top, "keyring", "check", CLAVE_KEK_WRAP_OVERHEAD, KEYFILE_CHECK_MAX,
                          &doc->check, &doc->check_len));
    CLAVE_CHECK(parse_keys(top, doc));
    st = CLAVE_OK;
done:
    json_decref(top);
    return st;
}

void clave__keyfile_doc_clear(struct keyfile_doc *doc)
{
    for (size_t i = 0; i < doc->key_count; i++) {
        free(doc->keys[i].sealed);
    }
    free(doc->keys);
    free(doc->check);
    memset(doc, 0, sizeof(*doc));
}

/* Set `key` of `obj` to base64url(data); takes care of the reference. */
static clave_status set_b64(json_t *obj, const char *key, const uint8_t *data, size_t len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char *text = NULL;
    CLAVE_CHECK(clave_b64_encode_alloc(CLAVE_B64URL, data, len, &text));
    CLAVE_ENSURE(json_object_set_new(obj, key, json_string(text)) == 0, CLAVE_ERR_NOMEM,
                 "keyring: building JSON");
    st = CLAVE_OK;
done:
    free(text);
    return st;
}

static clave_status serialize_key(const struct keyfile_key *key, json_t *arr)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *obj =
        json_pack("{s:s, s:s, s:s, s:I}", "id", key->info.id, "label", key->info.label, "kind",
                  clave__key_kind_name(key->info.kind), "created", (json_int_t)key->info.created);
    CLAVE_ENSURE(obj != NULL, CLAVE_ERR_NOMEM, "keyring: building JSON");
    CLAVE_CHECK(set_b64(obj, "sealed", key->sealed, key->sealed_len));
    CLAVE_ENSURE(json_array_append(arr, obj) == 0, CLAVE_ERR_NOMEM, "keyring: building JSON");
    st = CLAVE_OK;
done:
    json_decref(obj);
    return st;
}

clave_status clave__keyfile_serialize(const struct keyfile_doc *doc, char **out, size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *kdf = NULL;
    json_t *top = NULL;
    json_t *keys = NULL;
    char *text = NULL;
    *out = NULL;
    *out_len = 0;
    kdf = json_pack("{s:s, s:I, s:I, s:I}", "alg", "argon2id", "t_cost",
                    (json_int_t)doc->kdf.t_cost, "m_cost_kib", (json_int_t)doc->kdf.m_cost_kib,
                    "parallelism", (json_int_t)doc->kdf.parallelism);
    CLAVE_ENSURE(kdf != NULL, CLAVE_ERR_NOMEM, "keyring: building JSON");
    CLAVE_CHECK(set_b64(kdf, "salt", doc->kdf.salt, sizeof(doc->kdf.salt)));
    keys = json_array();
    CLAVE_ENSURE(keys != NULL, CLAVE_ERR_NOMEM, "keyring: building JSON");
    for (size_t i = 0; i < doc->key_count; i++) {
        CLAVE_CHECK(serialize_key(&doc->keys[i], keys));
    }
    top = json_pack("{s:s, s:i, s:O}", "format", KEYFILE_FORMAT, "version", KEYFILE_VERSION, "kdf",
                    kdf);
    CLAVE_ENSURE(top != NULL, CLAVE_ERR_NOMEM, "keyring: building JSON");
    CLAVE_CHECK(set_b64(top, "check", doc->check, doc->check_len));
    CLAVE_ENSURE(json_object_set(top, "keys", keys) == 0, CLAVE_ERR_NOMEM,
                 "keyring: building JSON");
    text = json_dumps(top, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    CLAVE_ENSURE(text != NULL, CLAVE_ERR_NOMEM, "keyring: serialising JSON");
    *out_len = strlen(text);
    CLAVE_ENSURE(*out_len <= KEYFILE_MAX_BYTES, CLAVE_ERR_LIMIT, "keyring: file would exceed %zu",
                 KEYFILE_MAX_BYTES);
    *out = text;
    text = NULL;
    st = CLAVE_OK;
done:
    if (st != CLAVE_OK) {
        *out_len = 0;
    }
    free(text);
    json_decref(kdf);
    json_decref(keys);
    json_decref(top);
    return st;
}
