/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Constant-time hex and base64. Character classes are computed with range masks over uint32_t
 * arithmetic instead of lookup tables, so the memory access pattern does not depend on the data.
 */
#include "core/check.h"

#include <clave/encoding.h>
#include <clave/secret.h>
#include <stdbool.h>
#include <stdlib.h>

/* All-ones if lo <= c <= hi, else zero. Inputs are below 2^16, so the subtractions only wrap
 * when the comparison fails, setting bit 31. */
static uint32_t in_range(uint32_t c, uint32_t lo, uint32_t hi)
{
    uint32_t below_hi = c - (hi + 1); /* bit 31 set iff c <= hi */
    uint32_t above_lo = (lo - 1) - c; /* bit 31 set iff c >= lo (lo >= 1 here) */
    return 0U - ((below_hi & above_lo) >> 31);
}

/* All-ones if a == b. */
static uint32_t equal_mask(uint32_t a, uint32_t b)
{
    return 0U - (((a ^ b) - 1U) >> 31);
}

static char hex_char(uint32_t nibble)
{
    uint32_t letter = in_range(nibble, 10, 15);
    return (char)(('0' + nibble) + (letter & ('a' - '0' - 10)));
}

size_t clave_hex_len(size_t n)
{
    return 2 * n;
}

clave_status clave_hex_encode(const uint8_t *in, size_t in_len, char *out, size_t out_cap)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(in_len <= (SIZE_MAX - 1) / 2 && out_cap >= 2 * in_len + 1, CLAVE_ERR_ARG,
                 "hex: output buffer of %zu too small for %zu bytes", out_cap, in_len);
    for (size_t i = 0; i < in_len; i++) {
        out[2 * i] = hex_char(in[i] >> 4);
        out[2 * i + 1] = hex_char(in[i] & 0x0fU);
    }
    out[2 * in_len] = '\0';
    st = CLAVE_OK;
done:
    return st;
}

/* Value of a hex digit in the low bits; *bad gets all-ones if `c` is not a hex digit. */
static uint32_t hex_value(uint32_t c, uint32_t *bad)
{
    uint32_t digit = in_range(c, '0', '9');
    uint32_t lower = in_range(c, 'a', 'f');
    uint32_t upper = in_range(c, 'A', 'F');
    *bad |= ~(digit | lower | upper);
    return (digit & (c - '0')) | (lower & (c - 'a' + 10)) | (upper & (c - 'A' + 10));
}

clave_status clave_hex_decode(const char *in, size_t in_len, uint8_t *out, size_t out_cap,
                              size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint32_t bad = 0;
    *out_len = 0;
    CLAVE_ENSURE(in_len % 2 == 0, CLAVE_ERR_ENCODING, "hex: odd length %zu", in_len);
    CLAVE_ENSURE(out_cap >= in_len / 2, CLAVE_ERR_TOO_LARGE,
                 "hex: %zu bytes do not fit a %zu-byte buffer", in_len / 2, out_cap);
    for (size_t i = 0; i < in_len / 2; i++) {
        uint32_t hi = hex_value((uint8_t)in[2 * i], &bad);
        uint32_t lo = hex_value((uint8_t)in[2 * i + 1], &bad);
        out[i] = (uint8_t)((hi << 4) | lo);
    }
    if (bad != 0) {
        clave_wipe(out, in_len / 2);
    }
    CLAVE_ENSURE(bad == 0, CLAVE_ERR_ENCODING, "hex: invalid character");
    *out_len = in_len / 2;
    st = CLAVE_OK;
done:
    return st;
}

/* 6-bit value to its base64 character. */
static char b64_char(uint32_t v, enum clave_b64_variant variant)
{
    uint32_t c62 = variant == CLAVE_B64URL ? '-' : '+';
    uint32_t c63 = variant == CLAVE_B64URL ? '_' : '/';
    uint32_t r = (in_range(v, 0, 25) & ('A' + v)) | (in_range(v, 26, 51) & ('a' + v - 26)) |
                 (in_range(v, 52, 61) & ('0' + v - 52)) | (equal_mask(v, 62) & c62) |
                 (equal_mask(v, 63) & c63);
    return (char)r;
}

/* Base64 character to its 6-bit value; *bad gets all-ones for a character outside the
 * alphabet. */
static uint32_t b64_value(uint32_t c, enum clave_b64_variant variant, uint32_t *bad)
{
    uint32_t c62 = variant == CLAVE_B64URL ? '-' : '+';
    uint32_t c63 = variant == CLAVE_B64URL ? '_' : '/';
    uint32_t upper = in_range(c, 'A', 'Z');
    uint32_t lower = in_range(c, 'a', 'z');
    uint32_t digit = in_range(c, '0', '9');
    uint32_t is62 = equal_mask(c, c62);
    uint32_t is63 = equal_mask(c, c63);
    *bad |= ~(upper | lower | digit | is62 | is63);
    return (upper & (c - 'A')) | (lower & (c - 'a' + 26)) | (digit & (c - '0' + 52)) |
           (is62 & 62U) | (is63 & 63U);
}

size_t clave_b64_len(enum clave_b64_variant variant, size_t n)
{
    if (variant == CLAVE_B64_STD) {
        return (n + 2) / 3 * 4;
    }
    return n / 3 * 4 + (n % 3 == 0 ? 0 : n % 3 + 1);
}

clave_status clave_b64_encode(enum clave_b64_variant variant, const uint8_t *in, size_t in_len,
                              char *out, size_t out_cap, size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    *out_len = 0;
    CLAVE_ENSURE(variant == CLAVE_B64URL || variant == CLAVE_B64_STD, CLAVE_ERR_ARG,
                 "b64: unknown variant");
    CLAVE_ENSURE(in_len <= SIZE_MAX / 2, CLAVE_ERR_ARG, "b64: input too long");
    size_t need = clave_b64_len(variant, in_len);
    CLAVE_ENSURE(out_cap > need, CLAVE_ERR_ARG, "b64: output buffer of %zu too small for %zu",
                 out_cap, need);
    size_t o = 0;
    for (size_t i = 0; i < in_len; i += 3) {
        size_t left = in_len - i;
        uint32_t b0 = in[i];
        uint32_t b1 = left > 1 ? in[i + 1] : 0;
        uint32_t b2 = left > 2 ? in[i + 2] : 0;
        uint32_t triple = (b0 << 16) | (b1 << 8) | b2;
        out[o++] = b64_char((triple >> 18) & 63U, variant);
        out[o++] = b64_char((triple >> 12) & 63U, variant);
        if (left > 1) {
            out[o++] = b64_char((triple >> 6) & 63U, variant);
        }
        if (left > 2) {
            out[o++] = b64_char(triple & 63U, variant);
        }
    }
    while (variant == CLAVE_B64_STD && o % 4 != 0) {
        out[o++] = '=';
    }
    out[o] = '\0';
    *out_len = o;
    st = CLAVE_OK;
done:
    return st;
}

/* Length of the unpadded body after checking the variant's padding rules. */
static clave_status b64_body_len(enum clave_b64_variant variant, const char *in, size_t in_len,
                                 size_t *body)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    *body = in_len;
    if (variant == CLAVE_B64_STD) {
        CLAVE_ENSURE(in_len % 4 == 0, CLAVE_ERR_ENCODING, "base64: length %zu not a multiple of 4",
                     in_len);
        while (*body > 0 && in_len - *body < 2 && in[*body - 1] == '=') {
            (*body)--;
        }
    }
    CLAVE_ENSURE(*body % 4 != 1, CLAVE_ERR_ENCODING, "base64: impossible length %zu", in_len);
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_b64_decode(enum clave_b64_variant variant, const char *in, size_t in_len,
                              uint8_t *out, size_t out_cap, size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint32_t bad = 0;
    size_t body = 0;
    size_t o = 0;
    *out_len = 0;
    CLAVE_ENSURE(variant == CLAVE_B64URL || variant == CLAVE_B64_STD, CLAVE_ERR_ARG,
                 "b64: unknown variant");
    CLAVE_CHECK(b64_body_len(variant, in, in_len, &body));
    size_t need = body / 4 * 3 + (body % 4 == 0 ? 0 : body % 4 - 1);
    CLAVE_ENSURE(out_cap >= need, CLAVE_ERR_TOO_LARGE,
                 "base64: %zu bytes do not fit a %zu-byte buffer", need, out_cap);
    for (size_t i = 0; i < body; i += 4) {
        size_t left = body - i;
        uint32_t acc = 0;
        size_t chars = left < 4 ? left : 4;
        for (size_t k = 0; k < 4; k++) {
            uint32_t v = k < chars ? b64_value((uint8_t)in[i + k], variant, &bad) : 0;
            acc = (acc << 6) | v;
        }
        out[o++] = (uint8_t)(acc >> 16);
        if (chars > 2) {
            out[o++] = (uint8_t)(acc >> 8);
        }
        if (chars > 3) {
            out[o++] = (uint8_t)acc;
        }
        /* Canonical form: the bits below the last output byte must be zero. */
        if (chars == 2) {
            bad |= 0U - ((acc & 0xffffU) != 0);
        } else if (chars == 3) {
            bad |= 0U - ((acc & 0xffU) != 0);
        }
    }
    if (bad != 0) {
        clave_wipe(out, o);
    }
    CLAVE_ENSURE(bad == 0, CLAVE_ERR_ENCODING, "base64: invalid or non-canonical input");
    *out_len = o;
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_b64_encode_alloc(enum clave_b64_variant variant, const uint8_t *in,
                                    size_t in_len, char **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char *buf = NULL;
    size_t n = 0;
    *out = NULL;
    CLAVE_ENSURE(in_len <= SIZE_MAX / 2, CLAVE_ERR_ARG, "b64: input too long");
    size_t cap = clave_b64_len(variant, in_len) + 1;
    buf = malloc(cap);
    CLAVE_ENSURE_ALLOC(buf);
    CLAVE_CHECK(clave_b64_encode(variant, in, in_len, buf, cap, &n));
    *out = buf;
    buf = NULL;
    st = CLAVE_OK;
done:
    free(buf);
    return st;
}

clave_status clave_b64_decode_alloc(enum clave_b64_variant variant, const char *in, size_t in_len,
                                    uint8_t **out, size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t *buf = NULL;
    *out = NULL;
    *out_len = 0;
    size_t cap = in_len / 4 * 3 + 3;
    buf = malloc(cap);
    CLAVE_ENSURE_ALLOC(buf);
    CLAVE_CHECK(clave_b64_decode(variant, in, in_len, buf, cap, out_len));
    *out = buf;
    buf = NULL;
    st = CLAVE_OK;
done:
    free(buf);
    return st;
}
