/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Hex and base64 (RFC 4648) in constant time: no table lookups or branches on the data, so they
 * are safe for keys. Decoders are strict: canonical input only (no whitespace, no non-zero
 * trailing bits, padding exactly as the variant says).
 */
#ifndef CLAVE_ENCODING_H
#define CLAVE_ENCODING_H

#include <clave/status.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum clave_b64_variant {
    CLAVE_B64URL = 1, /* RFC 4648 §5, no padding (JOSE) */
    CLAVE_B64_STD = 2 /* RFC 4648 §4, with '=' padding */
};

/** Characters needed for the hex of `n` bytes, without the terminating NUL. */
CLAVE_API size_t clave_hex_len(size_t n);

/** Lower-case hex of `in` into `out` (capacity `out_cap` >= 2*in_len+1), NUL-terminated. */
CLAVE_API CLAVE_MUST_USE clave_status clave_hex_encode(const uint8_t *in, size_t in_len, char *out,
                                                       size_t out_cap);

/** Decode hex (either case) into `out` (capacity `out_cap`); `*out_len` gets the byte count. */
CLAVE_API CLAVE_MUST_USE clave_status clave_hex_decode(const char *in, size_t in_len, uint8_t *out,
                                                       size_t out_cap, size_t *out_len);

/** Characters needed for the base64 of `n` bytes, without the terminating NUL. */
CLAVE_API size_t clave_b64_len(enum clave_b64_variant variant, size_t n);

/** Encode into `out` (capacity >= clave_b64_len()+1), NUL-terminated; `*out_len` = chars. */
CLAVE_API CLAVE_MUST_USE clave_status clave_b64_encode(enum clave_b64_variant variant,
                                                       const uint8_t *in, size_t in_len, char *out,
                                                       size_t out_cap, size_t *out_len);

/** Decode into `out` (capacity `out_cap`); `*out_len` gets the byte count. */
CLAVE_API CLAVE_MUST_USE clave_status clave_b64_decode(enum clave_b64_variant variant,
                                                       const char *in, size_t in_len, uint8_t *out,
                                                       size_t out_cap, size_t *out_len);

/** Encode into a new NUL-terminated string. Caller frees `*out` with free(). */
CLAVE_API CLAVE_MUST_USE clave_status clave_b64_encode_alloc(enum clave_b64_variant variant,
                                                             const uint8_t *in, size_t in_len,
                                                             char **out);

/** Decode into a new buffer (at least 1 byte allocated). Caller frees `*out` with free(); wipe
 * first if it held a secret. */
CLAVE_API CLAVE_MUST_USE clave_status clave_b64_decode_alloc(enum clave_b64_variant variant,
                                                             const char *in, size_t in_len,
                                                             uint8_t **out, size_t *out_len);

#ifdef __cplusplus
}
#endif
#endif
