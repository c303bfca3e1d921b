/* SPDX-License-Identifier: Apache-2.0 */
/* RCAR request bodies and the runtime-data binding (include/clave/kbs.h). */
#include <clave/clave.h>
#include <clave/kbs.h>

#include "core/check.h"

#include <stdlib.h>
#include <string.h>

#define JSON_DEPTH 8
#define PUBKEY_JSON_MAX 4096

struct clave_kbs_attestation {
    char *nonce;
    char *pubkey_json;
    struct clave_jwk *key;
    char format[8];
    uint8_t *evidence;
    size_t evidence_len;
    uint8_t report_data[CLAVE_KBS_REPORT_DATA_LEN];
};

bool clave_kbs_valid_path_part(const char *s)
{
    size_t n = s != NULL ? strnlen(s, 65) : 0;
    if (n == 0 || n > 64 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-')) {
            return false;
        }
    }
    return true;
}

/* "0.1.x" with x decimal. */
static bool version_ok(const char *v)
{
    if (strncmp(v, "0.1.", 4) != 0 || v[4] == '\0') {
        return false;
    }
    for (const char *p = v + 4; *p != '\0'; p++) {
        if (*p < '0' || *p > '9') {
            return false;
        }
    }
    return strlen(v) <= 8;
}

clave_status clave_kbs_parse_auth(const char *body, size_t len, struct clave_kbs_auth_request *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *doc = NULL;
    const char *version = NULL;
    const char *tee = NULL;
    static const char *const KEYS[] = {"version", "tee", "extra-params", NULL};
    struct clave_json_limits lim = {16384, JSON_DEPTH};
    memset(out, 0, sizeof(*out));
    CLAVE_ENSURE(body != NULL, CLAVE_ERR_ARG, "request: no body");
    CLAVE_CHECK(clave_json_parse(body, len, &lim, "request", &doc));
    CLAVE_CHECK(clave_json_expect_object(doc, "request"));
    CLAVE_CHECK(clave_json_only_keys(doc, "request", KEYS));
    CLAVE_CHECK(clave_json_get_string(doc, "request", "version", true, 15, &version));
    CLAVE_CHECK(clave_json_get_string(doc, "request", "tee", true, CLAVE_KBS_TEE_MAX, &tee));
    json_t *extra = json_object_get(doc, "extra-params");
    CLAVE_ENSURE(extra == NULL || json_is_object(extra) || json_is_string(extra), CLAVE_ERR_JSON,
                 "request.extra-params: expected an object or a string");
    CLAVE_ENSURE(version_ok(version), CLAVE_ERR_UNSUPPORTED,
                 "request.version: %s is not supported (0.1.x)", version);
    CLAVE_ENSURE(clave_kbs_valid_path_part(tee), CLAVE_ERR_FORMAT, "request.tee: invalid");
    memcpy(out->version, version, strlen(version) + 1);
    memcpy(out->tee, tee, strlen(tee) + 1);
    st = CLAVE_OK;
done:
    json_decref(doc);
    return st;
}

clave_status clave_kbs_report_data(const char *nonce, const json_t *tee_pubkey,
                                   uint8_t out[CLAVE_KBS_REPORT_DATA_LEN])
{
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *rt = NULL;
    char *text = NULL;
    memset(out, 0, CLAVE_KBS_REPORT_DATA_LEN);
    CLAVE_ENSURE(nonce != NULL && json_is_object(tee_pubkey), CLAVE_ERR_ARG,
                 "runtime-data: nonce and tee-pubkey required");
    rt = json_pack("{s:s,s:O}", "nonce", nonce, "tee-pubkey", tee_pubkey);
    CLAVE_ENSURE_ALLOC(rt);
    text = json_dumps(rt, JSON_COMPACT | JSON_SORT_KEYS);
    CLAVE_ENSURE_ALLOC(text);
    CLAVE_CHECK(clave_hash(CLAVE_HASH_SHA384, (const uint8_t *)text, strlen(text), out, 48));
    st = CLAVE_OK;
done:
    free(text);
    json_decref(rt);
    return st;
}

static clave_status parse_runtime(struct clave_kbs_attestation *a, json_t *rt)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    static const char *const KEYS[] = {"nonce", "tee-pubkey", NULL};
    const char *nonce = NULL;
    json_t *pk = NULL;
    CLAVE_CHECK(clave_json_expect_object(rt, "attestation.runtime-data"));
    CLAVE_CHECK(clave_json_only_keys(rt, "attestation.runtime-data", KEYS));
    CLAVE_CHECK(clave_json_get_string(rt, "attestation.runtime-data", "nonce", true,
                                      CLAVE_KBS_NONCE_TEXT_MAX, &nonce));
    CLAVE_CHECK(clave_json_get_object(rt, "attestation.runtime-data", "tee-pubkey", true, &pk));
    a->nonce = strdup(nonce);
    a->pubkey_json = json_dumps(pk, JSON_COMPACT | JSON_SORT_KEYS);
    CLAVE_ENSURE_ALLOC(a->nonce);
    CLAVE_ENSURE_ALLOC(a->pubkey_json);
    CLAVE_ENSURE(strlen(a->pubkey_json) <= PUBKEY_JSON_MAX, CLAVE_ERR_TOO_LARGE,
                 "attestation.runtime-data.tee-pubkey: too large");
    CLAVE_CHECK_CTX(clave_jwk_parse(a->pubkey_json, strlen(a->pubkey_json), &a->key),
                    "attestation.runtime-data.tee-pubkey: ");
    enum clave_jwk_type t = clave_jwk_type(a->key);
    CLAVE_ENSURE(t == CLAVE_JWK_EC_P256 || t == CLAVE_JWK_EC_P384 || t == CLAVE_JWK_RSA ||
                     t == CLAVE_JWK_OKP_X25519,
                 CLAVE_ERR_KEY, "attestation.runtime-data.tee-pubkey: not an encryption key");
    CLAVE_ENSURE(!clave_jwk_has_private(a->key), CLAVE_ERR_KEY,
                 "attestation.runtime-data.tee-pubkey: holds a private key");
    CLAVE_CHECK(clave_kbs_report_data(a->nonce, pk, a->report_data));
    st = CLAVE_OK;
done:
    return st;
}

static clave_status parse_evidence(struct clave_kbs_attestation *a, json_t *te)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    static const char *const KEYS[] = {"primary_evidence", "additional_evidence", NULL};
    static const char *const PKEYS[] = {"format", "evidence", NULL};
    static const char W[] = "attestation.tee-evidence.primary_evidence";
    json_t *pe = NULL;
    const char *format = NULL;
    const char *add = NULL;
    CLAVE_CHECK(clave_json_expect_object(te, "attestation.tee-evidence"));
    CLAVE_CHECK(clave_json_only_keys(te, "attestation.tee-evidence", KEYS));
    CLAVE_CHECK(clave_json_get_string(te, "attestation.tee-evidence", "additional_evidence", false,
                                      16, &add));
    CLAVE_ENSURE(add == NULL || add[0] == '\0' || strcmp(add, "{}") == 0, CLAVE_ERR_UNSUPPORTED,
                 "attestation.tee-evidence.additional_evidence: not supported");
    CLAVE_CHECK(
        clave_json_get_object(te, "attestation.tee-evidence", "primary_evidence", true, &pe));
    CLAVE_CHECK(clave_json_only_keys(pe, W, PKEYS));
    CLAVE_CHECK(clave_json_get_string(pe, W, "format", true, sizeof(a->format) - 1, &format));
    CLAVE_ENSURE(strcmp(format, "snp") == 0 || strcmp(format, "nitro") == 0, CLAVE_ERR_UNSUPPORTED,
                 "%s.format: %s is not supported (snp, nitro)", W, format);
    memcpy(a->format, format, strlen(format) + 1);
    CLAVE_CHECK(clave_json_get_b64url(pe, W, "evidence", true, CLAVE_KBS_BODY_MAX, &a->evidence,
                                      &a->evidence_len));
    CLAVE_ENSURE(a->evidence_len > 0, CLAVE_ERR_FORMAT, "%s.evidence: empty", W);
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_kbs_parse_attestation(const char *body, size_t len,
                                         struct clave_kbs_attestation **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *doc = NULL;
    json_t *rt = NULL;
    json_t *te = NULL;
    struct clave_kbs_attestation *a = NULL;
    static const char *const KEYS[] = {"runtime-data", "tee-evidence", "init-data", NULL};
    struct clave_json_limits lim = {CLAVE_KBS_BODY_MAX * 2, JSON_DEPTH};
    *out = NULL;
    CLAVE_ENSURE(body != NULL, CLAVE_ERR_ARG, "attestation: no body");
    CLAVE_CHECK(clave_json_parse(body, len, &lim, "attestation", &doc));
    CLAVE_CHECK(clave_json_expect_object(doc, "attestation"));
    CLAVE_CHECK(clave_json_only_keys(doc, "attestation", KEYS));
    CLAVE_ENSURE(json_object_get(doc, "init-data") == NULL, CLAVE_ERR_UNSUPPORTED,
                 "attestation.init-data: not supported");
    CLAVE_CHECK(clave_json_get_object(doc, "attestation", "runtime-data", true, &rt));
    CLAVE_CHECK(clave_json_get_object(doc, "attestation", "tee-evidence", true, &te));
    a = calloc(1, sizeof(*a));
    CLAVE_ENSURE_ALLOC(a);
    CLAVE_CHECK(parse_runtime(a, rt));
    CLAVE_CHECK(parse_evidence(a, te));
    *out = a;
    a = NULL;
    st = CLAVE_OK;
done:
    clave_kbs_attestation_free(a);
    json_decref(doc);
    return st;
}

void clave_kbs_attestation_free(struct clave_kbs_attestation *a)
{
    if (a == NULL) {
        return;
    }
    free(a->nonce);
    free(a->pubkey_json);
    clave_jwk_free(a->key);
    free(a->evidence);
    free(a);
}

const char *clave_kbs_attestation_nonce(const struct clave_kbs_attestation *a)
{
    return a->nonce;
}

const struct clave_jwk *clave_kbs_attestation_tee_key(const struct clave_kbs_attestation *a)
{
    return a->key;
}

const char *clave_kbs_attestation_tee_pubkey_json(const struct clave_kbs_attestation *a)
{
    return a->pubkey_json;
}

const char *clave_kbs_attestation_format(const struct clave_kbs_attestation *a)
{
    return a->format;
}

const uint8_t *clave_kbs_attestation_evidence(const struct clave_kbs_attestation *a, size_t *len)
{
    *len = a->evidence_len;
    return a->evidence;
}

const uint8_t *clave_kbs_attestation_report_data(const struct clave_kbs_attestation *a)
{
    return a->report_data;
}
