/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Authentication building blocks for claved and its clients: Argon2id password hashes, TOTP
 * second factors (RFC 6238 over HOTP, RFC 4226) with otpauth:// enrolment URIs, a login
 * lockout/backoff policy, Ed25519-signed session tokens and long-lived API tokens that servers
 * keep only as SHA-256 hashes.
 *
 * Every function here is stateless and thread-safe; revocation, failure counters and the
 * replay guard for TOTP steps are kept by the caller (the server's store).
 * Authentication failures return the deliberately generic CLAVE_ERR_AUTH.
 */
#ifndef CLAVE_AUTH_H
#define CLAVE_AUTH_H

#include <clave/sign.h>
#include <clave/status.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Passwords: Argon2id (RFC 9106) in the PHC string format ---- */

/** Longest password accepted (bytes); longer input is refused, not truncated. */
#define CLAVE_PASSWORD_MAX_LEN 1024
/** Capacity that always holds an encoded hash ("$argon2id$v=19$m=...,t=...,p=...$salt$hash"). */
#define CLAVE_PASSWORD_HASH_MAX 160
#define CLAVE_PASSWORD_SALT_LEN 16
#define CLAVE_PASSWORD_TAG_LEN 32

struct clave_argon2_params {
    uint32_t t_cost;      /* passes, >= 1 */
    uint32_t m_cost_kib;  /* memory in KiB, >= 8 * parallelism */
    uint32_t parallelism; /* lanes, 1..16 */
};

/**
 * Hash `password` (`len` bytes, 1..CLAVE_PASSWORD_MAX_LEN) with a fresh random salt into the
 * NUL-terminated PHC string `out` (capacity `cap` >= CLAVE_PASSWORD_HASH_MAX).
 * @return CLAVE_OK, CLAVE_ERR_ARG (empty/too long password, bad parameters, small buffer),
 *         CLAVE_ERR_NOMEM, CLAVE_ERR_CRYPTO
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_password_hash(const struct clave_argon2_params *params,
                                                          const char *password, size_t len,
                                                          char *out, size_t cap);

/**
 * Check `password` against an encoded Argon2id hash (the parameters come from the string, so
 * hashes made under older settings keep verifying). The comparison is constant-time.
 * @return CLAVE_OK, CLAVE_ERR_AUTH (wrong password or unusable hash: one generic error)
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_password_verify(const char *encoded,
                                                            const char *password, size_t len);

/* ---- One-time passwords: HOTP (RFC 4226) and TOTP (RFC 6238) ---- */

enum clave_otp_alg {
    CLAVE_OTP_SHA1 = 1, /* the authenticator-app default */
    CLAVE_OTP_SHA256 = 2,
    CLAVE_OTP_SHA512 = 3,
};

#define CLAVE_OTP_MIN_DIGITS 6
#define CLAVE_OTP_MAX_DIGITS 8
#define CLAVE_TOTP_SECRET_LEN 20 /* RFC 4226 section 4 recommends 160 bits */
#define CLAVE_OTP_KEY_MAX_LEN 64

/** HOTP value for `counter` with `digits` (6..8) digits into `*code`. */
CLAVE_API CLAVE_MUST_USE clave_status clave_hotp(enum clave_otp_alg alg, const uint8_t *key,
                                                 size_t key_len, uint64_t counter, unsigned digits,
                                                 uint32_t *code);

/** TOTP value at `unix_time` (T0 = 0) with a `period`-second step. */
CLAVE_API CLAVE_MUST_USE clave_status clave_totp(enum clave_otp_alg alg, const uint8_t *key,
                                                 size_t key_len, int64_t unix_time, uint32_t period,
                                                 unsigned digits, uint32_t *code);

/**
 * Check a decimal `code` string typed by a user against the steps now-window..now+window.
 * Every candidate step is computed and compared in constant time (no early exit). A step at or
 * below `last_step` (the last accepted one, 0 if none) is refused, so a code cannot be replayed.
 * @param matched_step  on success the accepted step; store it as the next `last_step`
 * @return CLAVE_OK, CLAVE_ERR_AUTH (wrong, malformed or replayed code), CLAVE_ERR_ARG
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_totp_verify(enum clave_otp_alg alg, const uint8_t *key,
                                                        size_t key_len, int64_t now,
                                                        uint32_t period, unsigned digits,
                                                        unsigned window, uint64_t last_step,
                                                        const char *code, uint64_t *matched_step);

/** RFC 4648 section 6 base32 without padding into a new string. Caller frees with free(). */
CLAVE_API CLAVE_MUST_USE clave_status clave_base32_encode(const uint8_t *in, size_t len,
                                                          char **out);

/** Decode base32 (upper or lower case, optional '=' padding) into `out` (capacity `cap`). */
CLAVE_API CLAVE_MUST_USE clave_status clave_base32_decode(const char *in, size_t len, uint8_t *out,
                                                          size_t cap, size_t *out_len);

/**
 * The enrolment URI of the Key Uri Format used by authenticator apps:
 * otpauth://totp/ISSUER:ACCOUNT?secret=BASE32&issuer=ISSUER&algorithm=SHA1&digits=6&period=30
 * `issuer` and `account` are percent-encoded. Caller frees `*out` with free(); it holds the
 * secret, so wipe it (clave_wipe) before freeing.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_totp_uri(const char *issuer, const char *account,
                                                     const uint8_t *secret, size_t secret_len,
                                                     enum clave_otp_alg alg, unsigned digits,
                                                     uint32_t period, char **out);

/* ---- Login lockout with exponential backoff ---- */

struct clave_lockout_policy {
    uint32_t free_failures; /* failures allowed before any delay (0 counts as 1) */
    uint32_t base_delay_s;  /* first delay; doubles with each further failure */
    uint32_t max_delay_s;   /* cap on the delay */
};

/**
 * Time (Unix seconds) before which the next attempt is refused after `failures` consecutive
 * failures, the last at `last_failure`: base_delay_s once `free_failures` failures have
 * accumulated, doubling per further failure, capped at max_delay_s. 0 when no delay applies.
 */
CLAVE_API int64_t clave_lockout_until(const struct clave_lockout_policy *policy, uint32_t failures,
                                      int64_t last_failure);

/* ---- Session tokens: "v1." b64url(JSON claims) "." b64url(Ed25519 signature) ---- */

#define CLAVE_SESSION_ID_MAX 64
#define CLAVE_SESSION_SUBJECT_MAX 64
#define CLAVE_SESSION_AUDIENCE_MAX 128
#define CLAVE_SESSION_TOKEN_MAX 1024

struct clave_session_claims {
    char sid[CLAVE_SESSION_ID_MAX + 1];       /* session id (server-side revocation key) */
    char sub[CLAVE_SESSION_SUBJECT_MAX + 1];  /* user id */
    char aud[CLAVE_SESSION_AUDIENCE_MAX + 1]; /* audience: the server's name */
    int64_t iat;                              /* issued at, Unix seconds */
    int64_t exp;                              /* expiry, Unix seconds, > iat */
};

/**
 * Sign `claims` with an Ed25519 private key (borrowed) into a new NUL-terminated token.
 * Caller frees `*out` with free().
 * @return CLAVE_OK, CLAVE_ERR_ARG (empty or overlong fields, exp <= iat), CLAVE_ERR_KEY
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_session_token_sign(
    const struct clave_pkey *key, const struct clave_session_claims *claims, char **out);

/**
 * Verify a token's signature first, then its claims: audience equal to `audience`, and
 * iat <= now + 60 s of clock skew < exp. Revocation (by sid) is the caller's check.
 * @param claims  zeroed on entry; filled only on success
 * @return CLAVE_OK, CLAVE_ERR_AUTH (malformed, bad signature, wrong audience),
 *         CLAVE_ERR_EXPIRED (valid signature but outside its validity window)
 */
CLAVE_API CLAVE_MUST_USE clave_status
clave_session_token_verify(const struct clave_pkey *key, const char *token, size_t len,
                           const char *audience, int64_t now, struct clave_session_claims *claims);

/* ---- API tokens: "clv_" + 43 base64url chars (32 random bytes); stored as SHA-256 ---- */

#define CLAVE_API_TOKEN_PREFIX "clv_"
#define CLAVE_API_TOKEN_LEN 47
#define CLAVE_API_TOKEN_HASH_LEN 32

/**
 * A fresh token into `out` (capacity > CLAVE_API_TOKEN_LEN, NUL-terminated) and its hash.
 * Show the token once to its owner; keep only the hash.
 */
CLAVE_API CLAVE_MUST_USE clave_status
clave_api_token_generate(char *out, size_t cap, uint8_t hash[CLAVE_API_TOKEN_HASH_LEN]);

/**
 * The SHA-256 of a presented token after checking its shape (prefix, length, alphabet).
 * @return CLAVE_OK, CLAVE_ERR_AUTH (not shaped like a clave API token)
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_api_token_hash(const char *token, size_t len,
                                                           uint8_t hash[CLAVE_API_TOKEN_HASH_LEN]);

#ifdef __cplusplus
}
#endif
#endif
