/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Session tokens:
 *   token   = "v1." payload "." signature
 *   payload = base64url(JSON {"aud":str,"exp":int,"iat":int,"sid":str,"sub":str}), sorted keys
 *   signature = base64url(Ed25519(key, "v1." payload))      (RFC 8032, pure Ed25519)
 * The signature is checked before the payload is parsed.
 */
#include "core/check.h"

#include <clave/auth.h>
#include <clave/encoding.h>
#include <clave/json.h>
#include <stdlib.h>
#include <string.h>

#define TOKEN_PREFIX "v1."
#define TOKEN_PREFIX_LEN 3
#define PAYLOAD_MAX_BYTES 512
#define CLOCK_SKEW_S 60

static bool field_ok(const char *s, size_t max)
{
    size_t n = strnlen(s, max + 1);
    return n >= 1 && n <= max;
}

static clave_status claims_json(const struct clave_session_claims *c, char **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *obj = json_pack("{s:s,s:I,s:I,s:s,s:s}", "aud", c->aud, "exp", (json_int_t)c->exp,
                            "iat", (json_int_t)c->iat, "sid", c->sid, "sub", c->sub);
    *out = NULL;
    CLAVE_ENSURE_ALLOC(obj);
    *out = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
    CLAVE_ENSURE_ALLOC(*out);
    st = CLAVE_OK;
done:
    json_decref(obj);
    return st;
}

clave_status clave_session_token_sign(const struct clave_pkey *key,
                                      const struct clave_session_claims *claims, char **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char *json = NULL;
    char *payload = NULL;
    char *signed_part = NULL;
    char sig_b64[128];
    uint8_t sig[CLAVE_ED25519_SIG_LEN];
    size_t n = 0;
    *out = NULL;
    CLAVE_ENSURE(field_ok(claims->sid, CLAVE_SESSION_ID_MAX) &&
                     field_ok(claims->sub, CLAVE_SESSION_SUBJECT_MAX) &&
                     field_ok(claims->aud, CLAVE_SESSION_AUDIENCE_MAX) && claims->exp > claims->iat,
                 CLAVE_ERR_ARG, "session: invalid claims");
    CLAVE_CHECK(claims_json(claims, &json));
    CLAVE_CHECK(
        clave_b64_encode_alloc(CLAVE_B64URL, (const uint8_t *)json, strlen(json), &payload));
    size_t plen = strlen(payload);
    size_t total = TOKEN_PREFIX_LEN + plen + 1 + sizeof(sig_b64);
    signed_part = malloc(total);
    CLAVE_ENSURE_ALLOC(signed_part);
    memcpy(signed_part, TOKEN_PREFIX, TOKEN_PREFIX_LEN);
    memcpy(signed_part + TOKEN_PREFIX_LEN, payload, plen);
    size_t signed_len = TOKEN_PREFIX_LEN + plen;
    CLAVE_CHECK(clave_ed25519_sign(key, (const uint8_t *)signed_part, signed_len, sig));
    CLAVE_CHECK(clave_b64_encode(CLAVE_B64URL, sig, sizeof(sig), sig_b64, sizeof(sig_b64), &n));
    signed_part[signed_len] = '.';
    memcpy(signed_part + signed_len + 1, sig_b64, n + 1);
    *out = signed_part;
    signed_part = NULL;
    st = CLAVE_OK;
done:
    free(json);
    free(payload);
    free(signed_part);
    return st;
}

static clave_status copy_claim(const json_t *obj, const char *key, char *dst, size_t max)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const char *v = NULL;
    CLAVE_CHECK(clave_json_get_string(obj, "session", key, true, max, &v));
    CLAVE_ENSURE(v[0] != '\0', CLAVE_ERR_AUTH, "session: empty %s", key);
    memcpy(dst, v, strlen(v) + 1);
    st = CLAVE_OK;
done:
    return st;
}

static clave_status parse_claims(const uint8_t *json, size_t len, struct clave_session_claims *c)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    static const char *const KEYS[] = {"aud", "exp", "iat", "sid", "sub", NULL};
    struct clave_json_limits lim = {PAYLOAD_MAX_BYTES, 2};
    json_t *obj = NULL;
    CLAVE_CHECK(clave_json_parse((const char *)json, len, &lim, "session", &obj));
    CLAVE_CHECK(clave_json_expect_object(obj, "session"));
    CLAVE_CHECK(clave_json_only_keys(obj, "session", KEYS));
    CLAVE_CHECK(copy_claim(obj, "aud", c->aud, CLAVE_SESSION_AUDIENCE_MAX));
    CLAVE_CHECK(copy_claim(obj, "sid", c->sid, CLAVE_SESSION_ID_MAX));
    CLAVE_CHECK(copy_claim(obj, "sub", c->sub, CLAVE_SESSION_SUBJECT_MAX));
    CLAVE_CHECK(clave_json_get_int(obj, "session", "iat", true, 0, INT64_MAX, &c->iat));
    CLAVE_CHECK(clave_json_get_int(obj, "session", "exp", true, 0, INT64_MAX, &c->exp));
    st = CLAVE_OK;
done:
    json_decref(obj);
    return st;
}

clave_status clave_session_token_verify(const struct clave_pkey *key, const char *token, size_t len,
                                        const char *audience, int64_t now,
                                        struct clave_session_claims *claims)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t payload[PAYLOAD_MAX_BYTES];
    uint8_t sig[CLAVE_ED25519_SIG_LEN + 3];
    size_t payload_len = 0;
    size_t sig_len = 0;
    struct clave_session_claims c;
    memset(claims, 0, sizeof(*claims));
    memset(&c, 0, sizeof(c));
    CLAVE_ENSURE(token != NULL && len > TOKEN_PREFIX_LEN && len <= CLAVE_SESSION_TOKEN_MAX &&
                     strncmp(token, TOKEN_PREFIX, TOKEN_PREFIX_LEN) == 0,
                 CLAVE_ERR_AUTH, "session: malformed token");
    const char *dot = memchr(token + TOKEN_PREFIX_LEN, '.', len - TOKEN_PREFIX_LEN);
    CLAVE_ENSURE(dot != NULL, CLAVE_ERR_AUTH, "session: malformed token");
    size_t signed_len = (size_t)(dot - token);
    const char *sig_b64 = dot + 1;
    size_t sig_b64_len = len - signed_len - 1;
    CLAVE_ENSURE(clave_b64_decode(CLAVE_B64URL, sig_b64, sig_b64_len, sig, sizeof(sig), &sig_len) ==
                         CLAVE_OK &&
                     sig_len == CLAVE_ED25519_SIG_LEN,
                 CLAVE_ERR_AUTH, "session: malformed signature");
    CLAVE_ENSURE(clave_ed25519_verify(key, (const uint8_t *)token, signed_len, sig, sig_len) ==
                     CLAVE_OK,
                 CLAVE_ERR_AUTH, "session: bad signature");
    CLAVE_ENSURE(clave_b64_decode(CLAVE_B64URL, token + TOKEN_PREFIX_LEN,
                                  signed_len - TOKEN_PREFIX_LEN, payload, sizeof(payload),
                                  &payload_len) == CLAVE_OK,
                 CLAVE_ERR_AUTH, "session: malformed payload");
    CLAVE_ENSURE(parse_claims(payload, payload_len, &c) == CLAVE_OK, CLAVE_ERR_AUTH,
                 "session: malformed claims");
    CLAVE_ENSURE(audience != NULL && strcmp(c.aud, audience) == 0, CLAVE_ERR_AUTH,
                 "session: wrong audience");
    CLAVE_ENSURE(c.iat <= now + CLOCK_SKEW_S && now < c.exp && c.iat < c.exp, CLAVE_ERR_EXPIRED,
                 "session: token expired or not yet valid");
    *claims = c;
    st = CLAVE_OK;
done:
    return st;
}
