/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Base32 (RFC 4648 section 6) and the otpauth:// enrolment URI of the Key Uri Format that
 * authenticator apps read (github.com/google/google-authenticator/wiki/Key-Uri-Format).
 */
#include "core/check.h"

#include <clave/auth.h>
#include <clave/secret.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char B32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
#define OTPAUTH_LABEL_MAX 128
#define OTPAUTH_URI_MAX 1024

clave_status clave_base32_encode(const uint8_t *in, size_t len, char **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char *s = NULL;
    *out = NULL;
    CLAVE_ENSURE(len <= 4096, CLAVE_ERR_TOO_LARGE, "base32: input too long");
    size_t chars = (len * 8 + 4) / 5;
    s = malloc(chars + 1);
    CLAVE_ENSURE_ALLOC(s);
    uint32_t acc = 0;
    unsigned bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        acc = (acc << 8) | in[i];
        bits += 8;
        while (bits >= 5) {
            s[o++] = B32[(acc >> (bits - 5)) & 31u];
            bits -= 5;
        }
    }
    if (bits > 0) {
        s[o++] = B32[(acc << (5 - bits)) & 31u];
    }
    s[o] = '\0';
    *out = s;
    s = NULL;
    st = CLAVE_OK;
done:
    free(s);
    return st;
}

static int b32_value(char c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a';
    }
    if (c >= '2' && c <= '7') {
        return c - '2' + 26;
    }
    return -1;
}

clave_status clave_base32_decode(const char *in, size_t len, uint8_t *out, size_t cap,
                                 size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint32_t acc = 0;
    unsigned bits = 0;
    size_t o = 0;
    *out_len = 0;
    while (len > 0 && in[len - 1] == '=') {
        len--;
    }
    for (size_t i = 0; i < len; i++) {
        int v = b32_value(in[i]);
        CLAVE_ENSURE(v >= 0, CLAVE_ERR_ENCODING, "base32: invalid character at %zu", i);
        acc = (acc << 5) | (uint32_t)v;
        bits += 5;
        if (bits >= 8) {
            CLAVE_ENSURE(o < cap, CLAVE_ERR_TOO_LARGE, "base32: output exceeds %zu bytes", cap);
            out[o++] = (uint8_t)(acc >> (bits - 8));
            bits -= 8;
        }
        acc &= 0xffu;
    }
    CLAVE_ENSURE((acc & ((1u << bits) - 1u)) == 0, CLAVE_ERR_ENCODING,
                 "base32: non-zero trailing bits");
    *out_len = o;
    st = CLAVE_OK;
done:
    return st;
}

/* RFC 3986 percent-encoding of everything outside the unreserved set. */
static clave_status pct_encode(const char *in, char *out, size_t cap)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    static const char HEX[] = "0123456789ABCDEF";
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)in; *p != '\0'; p++) {
        bool plain = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                     (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' || *p == '~';
        CLAVE_ENSURE(o + 4 <= cap, CLAVE_ERR_TOO_LARGE, "otpauth: label too long");
        if (plain) {
            out[o++] = (char)*p;
        } else {
            out[o++] = '%';
            out[o++] = HEX[*p >> 4];
            out[o++] = HEX[*p & 15u];
        }
    }
    out[o] = '\0';
    st = CLAVE_OK;
done:
    return st;
}

static const char *alg_name(enum clave_otp_alg alg)
{
    return alg == CLAVE_OTP_SHA256 ? "SHA256" : alg == CLAVE_OTP_SHA512 ? "SHA512" : "SHA1";
}

clave_status clave_totp_uri(const char *issuer, const char *account, const uint8_t *secret,
                            size_t secret_len, enum clave_otp_alg alg, unsigned digits,
                            uint32_t period, char **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char iss[OTPAUTH_LABEL_MAX * 3 + 1];
    char acct[OTPAUTH_LABEL_MAX * 3 + 1];
    char *b32 = NULL;
    char *uri = NULL;
    *out = NULL;
    CLAVE_ENSURE(issuer != NULL && account != NULL && issuer[0] != '\0' && account[0] != '\0',
                 CLAVE_ERR_ARG, "otpauth: issuer and account are required");
    CLAVE_ENSURE(strchr(issuer, ':') == NULL && strchr(account, ':') == NULL, CLAVE_ERR_ARG,
                 "otpauth: ':' is not allowed in the issuer or account");
    CLAVE_ENSURE(digits >= CLAVE_OTP_MIN_DIGITS && digits <= CLAVE_OTP_MAX_DIGITS && period >= 1,
                 CLAVE_ERR_ARG, "otpauth: bad digits or period");
    CLAVE_CHECK(pct_encode(issuer, iss, sizeof(iss)));
    CLAVE_CHECK(pct_encode(account, acct, sizeof(acct)));
    CLAVE_CHECK(clave_base32_encode(secret, secret_len, &b32));
    uri = malloc(OTPAUTH_URI_MAX);
    CLAVE_ENSURE_ALLOC(uri);
    int n = snprintf(uri, OTPAUTH_URI_MAX,
                     "otpauth://totp/%s:%s?secret=%s&issuer=%s&algorithm=%s&digits=%u&period=%u",
                     iss, acct, b32, iss, alg_name(alg), digits, period);
    CLAVE_ENSURE(n > 0 && n < OTPAUTH_URI_MAX, CLAVE_ERR_TOO_LARGE, "otpauth: URI too long");
    *out = uri;
    uri = NULL;
    st = CLAVE_OK;
done:
    if (b32 != NULL) {
        clave_wipe(b32, strlen(b32));
        free(b32);
    }
    if (uri != NULL) {
        clave_wipe(uri, OTPAUTH_URI_MAX);
        free(uri);
    }
    return st;
}
