/* SPDX-License-Identifier: Apache-2.0 */
/* ECDSA over P-256/SHA-256 and P-384/SHA-384, with DER and raw r||s signature encodings. */
#include "core/check.h"
#include "crypto/ossl.h"
#include "crypto/pkey.h"

#include <clave/sign.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <string.h>

/* The hash bound to each curve: FIPS 186-5 pairs, as JOSE ES256/ES384 and COSE do. */
static enum clave_hash_alg curve_hash(enum clave_pkey_type type)
{
    return type == CLAVE_PKEY_P384 ? CLAVE_HASH_SHA384 : CLAVE_HASH_SHA256;
}

clave_status clave_ecdsa_raw_to_der(const uint8_t *raw, size_t raw_len, uint8_t *der,
                                    size_t der_cap, size_t *der_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    ECDSA_SIG *sig = NULL;
    BIGNUM *r = NULL;
    BIGNUM *s = NULL;
    unsigned char *p = der;
    size_t coord = raw_len / 2;
    *der_len = 0;
    CLAVE_ENSURE(raw_len == 2 * CLAVE_P256_COORD_LEN || raw_len == 2 * CLAVE_P384_COORD_LEN,
                 CLAVE_ERR_FORMAT, "ecdsa: raw signature of %zu bytes", raw_len);
    r = BN_bin2bn(raw, (int)coord, NULL);
    s = BN_bin2bn(raw + coord, (int)coord, NULL);
    CLAVE_ENSURE(r != NULL && s != NULL, CLAVE_ERR_NOMEM, "out of memory");
    CLAVE_ENSURE(!BN_is_zero(r) && !BN_is_zero(s), CLAVE_ERR_FORMAT, "ecdsa: r or s is zero");
    sig = ECDSA_SIG_new();
    CLAVE_ENSURE_ALLOC(sig);
    CLAVE_CHECK_OSSL(ECDSA_SIG_set0(sig, r, s), CLAVE_ERR_CRYPTO, "ecdsa: ECDSA_SIG_set0");
    r = NULL; /* owned by sig now */
    s = NULL;
    int n = i2d_ECDSA_SIG(sig, NULL);
    CLAVE_ENSURE(n > 0, CLAVE_ERR_CRYPTO, "ecdsa: DER encoding failed");
    CLAVE_ENSURE((size_t)n <= der_cap, CLAVE_ERR_ARG, "ecdsa: DER needs %d bytes", n);
    CLAVE_ENSURE(i2d_ECDSA_SIG(sig, &p) == n, CLAVE_ERR_CRYPTO, "ecdsa: DER encoding failed");
    *der_len = (size_t)n;
    st = CLAVE_OK;
done:
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    return st;
}

clave_status clave_ecdsa_der_to_raw(const uint8_t *der, size_t der_len, size_t coord_len,
                                    uint8_t *raw, size_t raw_cap)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    ECDSA_SIG *sig = NULL;
    const unsigned char *p = der;
    uint8_t again[CLAVE_ECDSA_DER_MAX_LEN];
    unsigned char *q = again;
    CLAVE_ENSURE(coord_len == CLAVE_P256_COORD_LEN || coord_len == CLAVE_P384_COORD_LEN,
                 CLAVE_ERR_ARG, "ecdsa: coordinate width %zu", coord_len);
    CLAVE_ENSURE(raw_cap >= 2 * coord_len, CLAVE_ERR_ARG, "ecdsa: raw buffer too small");
    CLAVE_ENSURE(der_len > 0 && der_len <= CLAVE_ECDSA_DER_MAX_LEN, CLAVE_ERR_FORMAT,
                 "ecdsa: DER signature of %zu bytes", der_len);
    sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
    CLAVE_ENSURE(sig != NULL, CLAVE_ERR_FORMAT, "ecdsa: malformed DER signature");
    CLAVE_ENSURE(p == der + der_len, CLAVE_ERR_FORMAT, "ecdsa: trailing bytes after signature");
    /* Strict DER only: re-encoding must give back the very same bytes (no BER leniency). */
    CLAVE_ENSURE(i2d_ECDSA_SIG(sig, &q) == (int)der_len &&
                     memcmp(again, der, der_len) == 0, // lint:public (a signature)
                 CLAVE_ERR_FORMAT, "ecdsa: signature is not strict DER");
    const BIGNUM *r = ECDSA_SIG_get0_r(sig);
    const BIGNUM *s = ECDSA_SIG_get0_s(sig);
    CLAVE_ENSURE(!BN_is_negative(r) && !BN_is_negative(s) && !BN_is_zero(r) && !BN_is_zero(s),
                 CLAVE_ERR_FORMAT, "ecdsa: r or s not positive");
    CLAVE_ENSURE(BN_bn2binpad(r, raw, (int)coord_len) == (int)coord_len &&
                     BN_bn2binpad(s, raw + coord_len, (int)coord_len) == (int)coord_len,
                 CLAVE_ERR_FORMAT, "ecdsa: r or s wider than %zu bytes", coord_len);
    st = CLAVE_OK;
done:
    ERR_clear_error();
    ECDSA_SIG_free(sig);
    return st;
}

clave_status clave_ecdsa_le_to_raw(const uint8_t *r_le, const uint8_t *s_le, size_t field_len,
                                   size_t coord_len, uint8_t *raw_out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t high = 0;
    CLAVE_ENSURE(coord_len > 0 && coord_len <= CLAVE_EC_COORD_MAX_LEN && field_len >= coord_len,
                 CLAVE_ERR_ARG, "ecdsa: field %zu / coordinate %zu bytes", field_len, coord_len);
    /* SEV-SNP ABI (ECDSA P-384 signature format): r and s are little-endian, zero-extended. */
    for (size_t i = coord_len; i < field_len; i++) {
        high |= r_le[i] | s_le[i];
    }
    CLAVE_ENSURE(high == 0, CLAVE_ERR_FORMAT, "ecdsa: non-zero bytes above %zu in r or s",
                 coord_len);
    for (size_t i = 0; i < coord_len; i++) {
        raw_out[i] = r_le[coord_len - 1 - i];
        raw_out[coord_len + i] = s_le[coord_len - 1 - i];
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status check_ec_key(const struct clave_pkey *key)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    enum clave_pkey_type type = clave_pkey_type(key);
    CLAVE_ENSURE(type == CLAVE_PKEY_P256 || type == CLAVE_PKEY_P384, CLAVE_ERR_KEY,
                 "ecdsa: not a P-256 or P-384 key");
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_ecdsa_sign(const struct clave_pkey *key, enum clave_sig_format format,
                              const uint8_t *msg, size_t len, uint8_t *sig, size_t sig_cap,
                              size_t *sig_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    EVP_MD_CTX *md = NULL;
    uint8_t der[CLAVE_ECDSA_DER_MAX_LEN];
    size_t der_len = sizeof(der);
    *sig_len = 0;
    CLAVE_CHECK(check_ec_key(key));
    CLAVE_ENSURE(clave_pkey_has_private(key), CLAVE_ERR_KEY, "ecdsa: no private key");
    CLAVE_ENSURE(format == CLAVE_SIG_DER || format == CLAVE_SIG_RAW, CLAVE_ERR_ARG,
                 "ecdsa: unknown signature format %d", (int)format);
    md = EVP_MD_CTX_new();
    CLAVE_ENSURE_ALLOC(md);
    CLAVE_CHECK_OSSL(EVP_DigestSignInit_ex(md, NULL,
                                           clave__hash_name(curve_hash(clave_pkey_type(key))), NULL,
                                           NULL, clave__pkey_evp(key), NULL),
                     CLAVE_ERR_CRYPTO, "ecdsa: sign init");
    CLAVE_CHECK_OSSL(EVP_DigestSign(md, der, &der_len, msg, len), CLAVE_ERR_CRYPTO, "ecdsa: sign");
    if (format == CLAVE_SIG_RAW) {
        size_t coord = clave__pkey_coord_len(clave_pkey_type(key));
        CLAVE_ENSURE(sig_cap >= 2 * coord, CLAVE_ERR_ARG, "ecdsa: signature buffer too small");
        CLAVE_CHECK(clave_ecdsa_der_to_raw(der, der_len, coord, sig, sig_cap));
        *sig_len = 2 * coord;
    } else {
        CLAVE_ENSURE(sig_cap >= der_len, CLAVE_ERR_ARG, "ecdsa: signature buffer too small");
        memcpy(sig, der, der_len);
        *sig_len = der_len;
    }
    st = CLAVE_OK;
done:
    EVP_MD_CTX_free(md);
    return st;
}

clave_status clave_ecdsa_verify(const struct clave_pkey *key, enum clave_sig_format format,
                                const uint8_t *msg, size_t len, const uint8_t *sig, size_t sig_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    EVP_MD_CTX *md = NULL;
    uint8_t der[CLAVE_ECDSA_DER_MAX_LEN];
    uint8_t raw[CLAVE_ECDSA_RAW_MAX_LEN];
    size_t der_len = 0;
    CLAVE_CHECK(check_ec_key(key));
    size_t coord = clave__pkey_coord_len(clave_pkey_type(key));
    if (format == CLAVE_SIG_RAW) {
        CLAVE_ENSURE(sig_len == 2 * coord, CLAVE_ERR_SIGNATURE,
                     "ecdsa: raw signature of %zu bytes, expected %zu", sig_len, 2 * coord);
        CLAVE_ENSURE(clave_ecdsa_raw_to_der(sig, sig_len, der, sizeof(der), &der_len) == CLAVE_OK,
                     CLAVE_ERR_SIGNATURE, "ecdsa: malformed raw signature");
    } else {
        CLAVE_ENSURE(format == CLAVE_SIG_DER, CLAVE_ERR_ARG, "ecdsa: unknown signature format");
        CLAVE_ENSURE(clave_ecdsa_der_to_raw(sig, sig_len, coord, raw, sizeof(raw)) == CLAVE_OK,
                     CLAVE_ERR_SIGNATURE, "ecdsa: malformed DER signature");
        memcpy(der, sig, sig_len);
        der_len = sig_len;
    }
    md = EVP_MD_CTX_new();
    CLAVE_ENSURE_ALLOC(md);
    CLAVE_CHECK_OSSL(EVP_DigestVerifyInit_ex(md, NULL,
                                             clave__hash_name(curve_hash(clave_pkey_type(key))),
                                             NULL, NULL, clave__pkey_evp(key), NULL),
                     CLAVE_ERR_CRYPTO, "ecdsa: verify init");
    CLAVE_CHECK_OSSL(EVP_DigestVerify(md, der, der_len, msg, len), CLAVE_ERR_SIGNATURE,
                     "ecdsa: signature does not verify");
    st = CLAVE_OK;
done:
    EVP_MD_CTX_free(md);
    return st;
}
