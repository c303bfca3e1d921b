/* SPDX-License-Identifier: Apache-2.0 */
/*
 * HOTP (RFC 4226 section 5) and TOTP (RFC 6238 section 4): HMAC over the 8-byte big-endian
 * counter, dynamic truncation at the offset in the low nibble of the last byte, modulo 10^digits.
 */
#include "core/check.h"

#include <clave/auth.h>
#include <clave/secret.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

#define HOTP_COUNTER_LEN 8
#define TOTP_MAX_WINDOW 10

static const EVP_MD *otp_md(enum clave_otp_alg alg)
{
    switch (alg) {
    case CLAVE_OTP_SHA1:
        return EVP_sha1();
    case CLAVE_OTP_SHA256:
        return EVP_sha256();
    case CLAVE_OTP_SHA512:
        return EVP_sha512();
    default:
        return NULL;
    }
}

static uint32_t pow10u(unsigned digits)
{
    uint32_t p = 1;
    for (unsigned i = 0; i < digits; i++) {
        p *= 10;
    }
    return p;
}

clave_status clave_hotp(enum clave_otp_alg alg, const uint8_t *key, size_t key_len,
                        uint64_t counter, unsigned digits, uint32_t *code)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t msg[HOTP_COUNTER_LEN];
    uint8_t mac[EVP_MAX_MD_SIZE];
    unsigned mac_len = 0;
    *code = 0;
    const EVP_MD *md = otp_md(alg);
    CLAVE_ENSURE(md != NULL, CLAVE_ERR_UNSUPPORTED, "otp: unknown algorithm %d", (int)alg);
    CLAVE_ENSURE(digits >= CLAVE_OTP_MIN_DIGITS && digits <= CLAVE_OTP_MAX_DIGITS, CLAVE_ERR_ARG,
                 "otp: digits must be %d..%d", CLAVE_OTP_MIN_DIGITS, CLAVE_OTP_MAX_DIGITS);
    CLAVE_ENSURE(key != NULL && key_len >= 1 && key_len <= CLAVE_OTP_KEY_MAX_LEN, CLAVE_ERR_ARG,
                 "otp: key length must be 1..%d", CLAVE_OTP_KEY_MAX_LEN);
    for (size_t i = 0; i < HOTP_COUNTER_LEN; i++) {
        msg[i] = (uint8_t)(counter >> (8 * (HOTP_COUNTER_LEN - 1 - i)));
    }
    CLAVE_ENSURE(HMAC(md, key, (int)key_len, msg, sizeof(msg), mac, &mac_len) != NULL,
                 CLAVE_ERR_CRYPTO, "otp: HMAC failed");
    /* RFC 4226 section 5.3: offset = low 4 bits of the last byte; 31-bit big-endian word. */
    size_t offset = mac[mac_len - 1] & 0x0fu;
    uint32_t bin = ((uint32_t)(mac[offset] & 0x7fu) << 24) | ((uint32_t)mac[offset + 1] << 16) |
                   ((uint32_t)mac[offset + 2] << 8) | (uint32_t)mac[offset + 3];
    *code = bin % pow10u(digits);
    st = CLAVE_OK;
done:
    clave_wipe(mac, sizeof(mac));
    return st;
}

clave_status clave_totp(enum clave_otp_alg alg, const uint8_t *key, size_t key_len,
                        int64_t unix_time, uint32_t period, unsigned digits, uint32_t *code)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    *code = 0;
    CLAVE_ENSURE(period >= 1 && unix_time >= 0, CLAVE_ERR_ARG, "totp: bad period or time");
    CLAVE_CHECK(clave_hotp(alg, key, key_len, (uint64_t)unix_time / period, digits, code));
    st = CLAVE_OK;
done:
    return st;
}

/* Parse exactly `digits` ASCII digits; anything else is not a code. */
static bool parse_code(const char *code, unsigned digits, uint32_t *out)
{
    uint32_t v = 0;
    if (code == NULL || strnlen(code, CLAVE_OTP_MAX_DIGITS + 1) != digits) {
        return false;
    }
    for (unsigned i = 0; i < digits; i++) {
        if (code[i] < '0' || code[i] > '9') {
            return false;
        }
        v = v * 10 + (uint32_t)(code[i] - '0');
    }
    *out = v;
    return true;
}

clave_status clave_totp_verify(enum clave_otp_alg alg, const uint8_t *key, size_t key_len,
                               int64_t now, uint32_t period, unsigned digits, unsigned window,
                               uint64_t last_step, const char *code, uint64_t *matched_step)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint32_t want = 0;
    uint64_t found = 0;
    *matched_step = 0;
    CLAVE_ENSURE(period >= 1 && now >= 0 && window <= TOTP_MAX_WINDOW, CLAVE_ERR_ARG,
                 "totp: bad period, time or window");
    CLAVE_ENSURE(parse_code(code, digits, &want), CLAVE_ERR_AUTH, "authentication failed");
    uint64_t step = (uint64_t)now / period;
    for (uint64_t s = step >= window ? step - window : 0; s <= step + window; s++) {
        uint32_t got = 0;
        CLAVE_CHECK(clave_hotp(alg, key, key_len, s, digits, &got));
        /* Constant-time match; the latest matching step wins without a data-dependent exit. */
        uint64_t hit = (uint64_t)clave_ct_equal(&got, &want, sizeof(got));
        found = (found & (hit - 1)) | (s & (0 - hit));
    }
    CLAVE_ENSURE(found != 0 && found > last_step, CLAVE_ERR_AUTH, "authentication failed");
    *matched_step = found;
    st = CLAVE_OK;
done:
    return st;
}
