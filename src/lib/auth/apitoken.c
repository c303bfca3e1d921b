/* SPDX-License-Identifier: Apache-2.0 */
/* Long-lived API tokens: "clv_" + base64url(32 random bytes). Servers keep SHA-256(token). */
#include "core/check.h"

#include <clave/auth.h>
#include <clave/crypto.h>
#include <clave/encoding.h>
#include <clave/secret.h>
#include <string.h>

#define API_TOKEN_RANDOM_LEN 32
#define API_TOKEN_PREFIX_LEN 4

_Static_assert(CLAVE_API_TOKEN_LEN == API_TOKEN_PREFIX_LEN + 43, "4 + base64url(32 bytes)");

clave_status clave_api_token_generate(char *out, size_t cap, uint8_t hash[CLAVE_API_TOKEN_HASH_LEN])
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t raw[API_TOKEN_RANDOM_LEN];
    size_t n = 0;
    CLAVE_ENSURE(out != NULL && cap > CLAVE_API_TOKEN_LEN, CLAVE_ERR_ARG,
                 "api token: buffer too small");
    out[0] = '\0';
    CLAVE_CHECK(clave_random(raw, sizeof(raw)));
    memcpy(out, CLAVE_API_TOKEN_PREFIX, API_TOKEN_PREFIX_LEN);
    CLAVE_CHECK(clave_b64_encode(CLAVE_B64URL, raw, sizeof(raw), out + API_TOKEN_PREFIX_LEN,
                                 cap - API_TOKEN_PREFIX_LEN, &n));
    CLAVE_ENSURE(n + API_TOKEN_PREFIX_LEN == CLAVE_API_TOKEN_LEN, CLAVE_ERR_INTERNAL,
                 "api token: unexpected length");
    CLAVE_CHECK(clave_hash(CLAVE_HASH_SHA256, (const uint8_t *)out, CLAVE_API_TOKEN_LEN, hash,
                           CLAVE_API_TOKEN_HASH_LEN));
    st = CLAVE_OK;
done:
    clave_wipe(raw, sizeof(raw));
    if (st != CLAVE_OK && out != NULL && cap > 0) {
        clave_wipe(out, cap);
    }
    return st;
}

static bool b64url_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

clave_status clave_api_token_hash(const char *token, size_t len,
                                  uint8_t hash[CLAVE_API_TOKEN_HASH_LEN])
{
    clave_status st = CLAVE_ERR_INTERNAL;
    bool shape = token != NULL && len == CLAVE_API_TOKEN_LEN &&
                 strncmp(token, CLAVE_API_TOKEN_PREFIX, API_TOKEN_PREFIX_LEN) == 0;
    for (size_t i = API_TOKEN_PREFIX_LEN; shape && i < len; i++) {
        shape = b64url_char(token[i]);
    }
    CLAVE_ENSURE(shape, CLAVE_ERR_AUTH, "api token: malformed");
    CLAVE_CHECK(
        clave_hash(CLAVE_HASH_SHA256, (const uint8_t *)token, len, hash, CLAVE_API_TOKEN_HASH_LEN));
    st = CLAVE_OK;
done:
    return st;
}
