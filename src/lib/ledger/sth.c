/* SPDX-License-Identifier: Apache-2.0 */
/* Signed tree heads of the audit ledger (include/clave/ledger.h gives the signed layout). */
#include "core/check.h"

#include <clave/buf.h>
#include <clave/crypto.h>
#include <clave/encoding.h>
#include <clave/json.h>
#include <clave/ledger.h>
#include <stdlib.h>
#include <string.h>

static const char STH_LABEL[20] = "clave-ledger-sth-v1"; /* NUL-padded to 20 bytes */

clave_status clave_ledger_log_id(const struct clave_pkey *key, uint8_t out[CLAVE_LEDGER_LOG_ID_LEN])
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t spki[256];
    size_t len = 0;
    CLAVE_CHECK(clave_pkey_export_spki(key, spki, sizeof(spki), &len));
    CLAVE_CHECK(clave_hash(CLAVE_HASH_SHA256, spki, len, out, CLAVE_LEDGER_LOG_ID_LEN));
    st = CLAVE_OK;
done:
    return st;
}

static clave_status signed_bytes(const struct clave_ledger_sth *sth,
                                 uint8_t out[CLAVE_LEDGER_STH_SIGNED_LEN])
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_writer w;
    clave_writer_init(&w, out, CLAVE_LEDGER_STH_SIGNED_LEN);
    CLAVE_CHECK(clave_writer_bytes(&w, (const uint8_t *)STH_LABEL, sizeof(STH_LABEL)));
    CLAVE_CHECK(clave_writer_bytes(&w, sth->log_id, CLAVE_LEDGER_LOG_ID_LEN));
    CLAVE_CHECK(clave_writer_u64be(&w, sth->tree_size));
    CLAVE_CHECK(clave_writer_u64be(&w, (uint64_t)sth->timestamp_ms));
    CLAVE_CHECK(clave_writer_bytes(&w, sth->root_hash, CLAVE_MERKLE_HASH_LEN));
    CLAVE_ENSURE(w.len == CLAVE_LEDGER_STH_SIGNED_LEN, CLAVE_ERR_INTERNAL, "sth: layout size");
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_ledger_sth_sign(const struct clave_pkey *key, uint64_t tree_size,
                                   int64_t timestamp_ms, const clave_merkle_hash root,
                                   struct clave_ledger_sth *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_ledger_sth sth;
    uint8_t msg[CLAVE_LEDGER_STH_SIGNED_LEN];
    memset(out, 0, sizeof(*out));
    memset(&sth, 0, sizeof(sth));
    CLAVE_ENSURE(clave_pkey_type(key) == CLAVE_PKEY_ED25519, CLAVE_ERR_KEY,
                 "sth: the log key must be Ed25519");
    CLAVE_ENSURE(timestamp_ms >= 0, CLAVE_ERR_ARG, "sth: negative timestamp");
    CLAVE_CHECK(clave_ledger_log_id(key, sth.log_id));
    sth.tree_size = tree_size;
    sth.timestamp_ms = timestamp_ms;
    memcpy(sth.root_hash, root, CLAVE_MERKLE_HASH_LEN);
    CLAVE_CHECK(signed_bytes(&sth, msg));
    CLAVE_CHECK(clave_ed25519_sign(key, msg, sizeof(msg), sth.signature));
    *out = sth;
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_ledger_sth_verify(const struct clave_pkey *key,
                                     const struct clave_ledger_sth *sth)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t id[CLAVE_LEDGER_LOG_ID_LEN];
    uint8_t msg[CLAVE_LEDGER_STH_SIGNED_LEN];
    CLAVE_ENSURE(clave_pkey_type(key) == CLAVE_PKEY_ED25519, CLAVE_ERR_KEY,
                 "sth: the log key must be Ed25519");
    CLAVE_ENSURE(sth->timestamp_ms >= 0, CLAVE_ERR_FORMAT, "sth: negative timestamp");
    CLAVE_CHECK(clave_ledger_log_id(key, id));
    CLAVE_ENSURE(clave_ct_equal(id, sth->log_id, sizeof(id)), CLAVE_ERR_SIGNATURE,
                 "sth: log_id does not belong to this log key");
    CLAVE_CHECK(signed_bytes(sth, msg));
    CLAVE_CHECK_CTX(
        clave_ed25519_verify(key, msg, sizeof(msg), sth->signature, sizeof(sth->signature)), "sth");
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_ledger_sth_to_json(const struct clave_ledger_sth *sth, char **json)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char id_hex[2 * CLAVE_LEDGER_LOG_ID_LEN + 1];
    char root_hex[2 * CLAVE_MERKLE_HASH_LEN + 1];
    char *sig = NULL;
    json_t *doc = NULL;
    *json = NULL;
    CLAVE_CHECK(clave_hex_encode(sth->log_id, CLAVE_LEDGER_LOG_ID_LEN, id_hex, sizeof(id_hex)));
    CLAVE_CHECK(
        clave_hex_encode(sth->root_hash, CLAVE_MERKLE_HASH_LEN, root_hex, sizeof(root_hex)));
    CLAVE_CHECK(clave_b64_encode_alloc(CLAVE_B64URL, sth->signature, sizeof(sth->signature), &sig));
    doc = json_pack("{s:s, s:I, s:I, s:s, s:s}", "log_id", id_hex, "tree_size",
                    (json_int_t)sth->tree_size, "timestamp", (json_int_t)sth->timestamp_ms,
                    "root_hash", root_hex, "signature", sig);
    CLAVE_ENSURE(doc != NULL, CLAVE_ERR_NOMEM, "out of memory");
    *json = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
    CLAVE_ENSURE(*json != NULL, CLAVE_ERR_NOMEM, "out of memory");
    st = CLAVE_OK;
done:
    json_decref(doc);
    free(sig);
    return st;
}

clave_status clave_ledger_sth_from_json(const char *json, size_t len, struct clave_ledger_sth *out)
{
    static const char *const FIELDS[] = {"log_id",    "tree_size", "timestamp",
                                         "root_hash", "signature", NULL};
    static const struct clave_json_limits LIMITS = {4096, 2};
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *doc = NULL;
    uint8_t *sig = NULL;
    size_t sig_len = 0;
    int64_t size = 0;
    struct clave_ledger_sth sth;
    memset(out, 0, sizeof(*out));
    memset(&sth, 0, sizeof(sth));
    CLAVE_CHECK(clave_json_parse(json, len, &LIMITS, "sth", &doc));
    CLAVE_CHECK(clave_json_only_keys(doc, "sth", FIELDS));
    CLAVE_CHECK(clave_json_get_hex(doc, "sth", "log_id", sth.log_id, CLAVE_LEDGER_LOG_ID_LEN));
    CLAVE_CHECK(clave_json_get_int(doc, "sth", "tree_size", true, 0, INT64_MAX, &size));
    CLAVE_CHECK(clave_json_get_int(doc, "sth", "timestamp", true, 0, INT64_MAX, &sth.timestamp_ms));
    CLAVE_CHECK(clave_json_get_hex(doc, "sth", "root_hash", sth.root_hash, CLAVE_MERKLE_HASH_LEN));
    CLAVE_CHECK(clave_json_get_b64url(doc, "sth", "signature", true, CLAVE_ED25519_SIG_LEN, &sig,
                                      &sig_len));
    CLAVE_ENSURE(sig_len == CLAVE_ED25519_SIG_LEN, CLAVE_ERR_FORMAT,
                 "sth.signature: %zu bytes, expected %d", sig_len, CLAVE_ED25519_SIG_LEN);
    memcpy(sth.signature, sig, sig_len);
    sth.tree_size = (uint64_t)size;
    *out = sth;
    st = CLAVE_OK;
done:
    free(sig);
    json_decref(doc);
    return st;
}
