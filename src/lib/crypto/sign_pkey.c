/* SPDX-License-Identifier: Apache-2.0 */
/* Asymmetric keys: import (DER, PEM, raw), generation, export and type checks. */
#include "core/check.h"
#include "crypto/pkey.h"

#include <clave/secret.h>
#include <clave/sign.h>
#include <limits.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>

struct clave_pkey {
    EVP_PKEY *evp;
    enum clave_pkey_type type;
    bool has_private;
};

EVP_PKEY *clave__pkey_evp(const struct clave_pkey *key)
{
    return key->evp;
}

size_t clave__pkey_coord_len(enum clave_pkey_type type)
{
    switch (type) {
    case CLAVE_PKEY_P256:
        return CLAVE_P256_COORD_LEN;
    case CLAVE_PKEY_P384:
        return CLAVE_P384_COORD_LEN;
    default:
        return 0;
    }
}

/* OpenSSL group name of an EC key type. */
static const char *ec_group_name(enum clave_pkey_type type)
{
    switch (type) {
    case CLAVE_PKEY_P256:
        return SN_X9_62_prime256v1;
    case CLAVE_PKEY_P384:
        return SN_secp384r1;
    default:
        return NULL;
    }
}

/* Classify an EVP_PKEY; CLAVE_ERR_KEY for anything clave does not accept. */
static clave_status classify(EVP_PKEY *evp, enum clave_pkey_type *type)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char group[64] = "";
    size_t group_len = 0;
    int bits = EVP_PKEY_get_bits(evp);
    if (EVP_PKEY_is_a(evp, "ED25519")) {
        *type = CLAVE_PKEY_ED25519;
    } else if (EVP_PKEY_is_a(evp, "X25519")) {
        *type = CLAVE_PKEY_X25519;
    } else if (EVP_PKEY_is_a(evp, "RSA")) {
        CLAVE_ENSURE(bits >= CLAVE_RSA_MIN_BITS && bits <= CLAVE_RSA_MAX_BITS, CLAVE_ERR_KEY,
                     "pkey: RSA modulus of %d bits outside %d..%d", bits, CLAVE_RSA_MIN_BITS,
                     CLAVE_RSA_MAX_BITS);
        *type = bits == 3072 ? CLAVE_PKEY_RSA3072 : CLAVE_PKEY_RSA;
    } else if (EVP_PKEY_is_a(evp, "EC")) {
        CLAVE_CHECK_OSSL(EVP_PKEY_get_utf8_string_param(evp, OSSL_PKEY_PARAM_GROUP_NAME, group,
                                                        sizeof(group), &group_len),
                         CLAVE_ERR_KEY, "pkey: EC key without a named curve");
        if (strcmp(group, SN_X9_62_prime256v1) == 0) {
            *type = CLAVE_PKEY_P256;
        } else if (strcmp(group, SN_secp384r1) == 0) {
            *type = CLAVE_PKEY_P384;
        } else {
            CLAVE_RAISE(CLAVE_ERR_KEY, "pkey: unsupported curve %s", group);
        }
    } else {
        CLAVE_RAISE(CLAVE_ERR_KEY, "pkey: unsupported key type");
    }
    st = CLAVE_OK;
done:
    return st;
}

/* Whether `evp` holds a private part: ask for the parameter's size only, never its value. */
static bool evp_has_private(EVP_PKEY *evp)
{
    OSSL_PARAM params[2];
    if (EVP_PKEY_is_a(evp, "RSA")) {
        params[0] = OSSL_PARAM_construct_BN(OSSL_PKEY_PARAM_RSA_D, NULL, 0);
    } else if (EVP_PKEY_is_a(evp, "EC")) {
        params[0] = OSSL_PARAM_construct_BN(OSSL_PKEY_PARAM_PRIV_KEY, NULL, 0);
    } else {
        params[0] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PRIV_KEY, NULL, 0);
    }
    params[1] = OSSL_PARAM_construct_end();
    bool has = EVP_PKEY_get_params(evp, params) == 1 && OSSL_PARAM_modified(&params[0]) &&
               params[0].return_size > 0;
    if (!has) {
        /* Providers that do not report the size: a private-key check needs the private part. */
        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, evp, NULL);
        has = ctx != NULL && EVP_PKEY_private_check(ctx) == 1;
        EVP_PKEY_CTX_free(ctx);
    }
    ERR_clear_error();
    return has;
}

clave_status clave__pkey_wrap(EVP_PKEY *evp, struct clave_pkey **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_pkey *key = NULL;
    enum clave_pkey_type type = CLAVE_PKEY_P256;
    *out = NULL;
    CLAVE_ENSURE(evp != NULL, CLAVE_ERR_KEY, "pkey: no key");
    CLAVE_CHECK(classify(evp, &type));
    key = calloc(1, sizeof(*key));
    CLAVE_ENSURE_ALLOC(key);
    key->evp = evp;
    key->type = type;
    key->has_private = evp_has_private(evp);
    evp = NULL;
    *out = key;
    st = CLAVE_OK;
done:
    EVP_PKEY_free(evp);
    return st;
}

/* An EC public point must be on the curve and not the identity (SP 800-56A 5.6.2.3.3). */
static clave_status check_public(EVP_PKEY *evp)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    EVP_PKEY_CTX *ctx = NULL;
    if (!EVP_PKEY_is_a(evp, "EC")) {
        return CLAVE_OK;
    }
    ctx = EVP_PKEY_CTX_new_from_pkey(NULL, evp, NULL);
    CLAVE_ENSURE_ALLOC(ctx);
    CLAVE_CHECK_OSSL(EVP_PKEY_public_check(ctx), CLAVE_ERR_KEY, "pkey: invalid EC public key");
    st = CLAVE_OK;
done:
    EVP_PKEY_CTX_free(ctx);
    return st;
}

void clave_pkey_free(struct clave_pkey *key)
{
    if (key == NULL) {
        return;
    }
    EVP_PKEY_free(key->evp); /* OpenSSL clears private key material when freeing it */
    free(key);
}

enum clave_pkey_type clave_pkey_type(const struct clave_pkey *key)
{
    return key->type;
}

bool clave_pkey_has_private(const struct clave_pkey *key)
{
    return key->has_private;
}

clave_status clave_pkey_from_der(const uint8_t *der, size_t len, struct clave_pkey **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    EVP_PKEY *evp = NULL;
    PKCS8_PRIV_KEY_INFO *p8 = NULL;
    const unsigned char *p = der;
    *out = NULL;
    CLAVE_ENSURE(len > 0, CLAVE_ERR_KEY, "pkey: empty DER");
    CLAVE_ENSURE(len <= CLAVE_PKEY_DER_MAX_LEN, CLAVE_ERR_TOO_LARGE, "pkey: DER of %zu bytes > %d",
                 len, CLAVE_PKEY_DER_MAX_LEN);
    /* SubjectPublicKeyInfo first, then PrivateKeyInfo; each must consume the whole input. */
    evp = d2i_PUBKEY(NULL, &p, (long)len);
    if (evp != NULL) {
        CLAVE_ENSURE(p == der + len, CLAVE_ERR_KEY, "pkey: trailing bytes after SPKI");
        CLAVE_CHECK(check_public(evp));
    } else {
        p = der;
        p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, (long)len);
        CLAVE_ENSURE(p8 != NULL, CLAVE_ERR_KEY, "pkey: neither SPKI nor PKCS#8 DER");
        CLAVE_ENSURE(p == der + len, CLAVE_ERR_KEY, "pkey: trailing bytes after PKCS#8");
        evp = EVP_PKCS82PKEY(p8);
        CLAVE_ENSURE(evp != NULL, CLAVE_ERR_KEY, "pkey: unusable PKCS#8 key");
    }
    st = clave__pkey_wrap(evp, out);
    evp = NULL;
done:
    ERR_clear_error();
    PKCS8_PRIV_KEY_INFO_free(p8);
    EVP_PKEY_free(evp);
    return st;
}

clave_status clave_pkey_from_pem(const char *pem, size_t len, struct clave_pkey **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    BIO *bio = NULL;
    char *name = NULL;
    char *header = NULL;
    unsigned char *data = NULL;
    long data_len = 0;
    *out = NULL;
    CLAVE_ENSURE(len <= CLAVE_PKEY_PEM_MAX_LEN, CLAVE_ERR_TOO_LARGE, "pkey: PEM of %zu bytes > %d",
                 len, CLAVE_PKEY_PEM_MAX_LEN);
    bio = BIO_new_mem_buf(pem, (int)len);
    CLAVE_ENSURE_ALLOC(bio);
    CLAVE_ENSURE(PEM_read_bio(bio, &name, &header, &data, &data_len) == 1, CLAVE_ERR_FORMAT,
                 "pkey: no PEM block");
    CLAVE_ENSURE(header == NULL || header[0] == '\0', CLAVE_ERR_UNSUPPORTED,
                 "pkey: PEM headers (encrypted PEM) are not supported");
    CLAVE_ENSURE(strcmp(name, PEM_STRING_PUBLIC) == 0 || strcmp(name, PEM_STRING_PKCS8INF) == 0,
                 CLAVE_ERR_UNSUPPORTED, "pkey: PEM label \"%.40s\" is not supported", name);
    CLAVE_ENSURE(data_len > 0, CLAVE_ERR_KEY, "pkey: empty PEM body");
    CLAVE_CHECK(clave_pkey_from_der(data, (size_t)data_len, out));
    st = CLAVE_OK;
done:
    ERR_clear_error();
    if (data != NULL) {
        OPENSSL_clear_free(data, data_len > 0 ? (size_t)data_len : 0);
    }
    OPENSSL_free(name);
    OPENSSL_free(header);
    BIO_free(bio);
    return st;
}

/* EVP_PKEY from OSSL_PARAMs built by `bld` (EC keys). */
static clave_status ec_fromdata(OSSL_PARAM_BLD *bld, int selection, EVP_PKEY **evp)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    EVP_PKEY_CTX *ctx = NULL;
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    CLAVE_ENSURE_ALLOC(params);
    ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    CLAVE_ENSURE_ALLOC(ctx);
    CLAVE_CHECK_OSSL(EVP_PKEY_fromdata_init(ctx), CLAVE_ERR_CRYPTO, "pkey: fromdata init");
    CLAVE_CHECK_OSSL(EVP_PKEY_fromdata(ctx, evp, selection, params), CLAVE_ERR_KEY,
                     "pkey: invalid EC key");
    st = CLAVE_OK;
done:
    OSSL_PARAM_free(params);
    EVP_PKEY_CTX_free(ctx);
    return st;
}

static clave_status ec_from_point(enum clave_pkey_type type, const uint8_t *raw, size_t len,
                                  EVP_PKEY **evp)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    OSSL_PARAM_BLD *bld = NULL;
    size_t coord = clave__pkey_coord_len(type);
    CLAVE_ENSURE(len == 1 + 2 * coord && raw[0] == POINT_CONVERSION_UNCOMPRESSED, CLAVE_ERR_KEY,
                 "pkey: expected a %zu-byte uncompressed point", 1 + 2 * coord);
    bld = OSSL_PARAM_BLD_new();
    CLAVE_ENSURE_ALLOC(bld);
    CLAVE_CHECK_OSSL(
        OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, ec_group_name(type), 0),
        CLAVE_ERR_NOMEM, "pkey: params");
    CLAVE_CHECK_OSSL(OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, raw, len),
                     CLAVE_ERR_NOMEM, "pkey: params");
    CLAVE_CHECK(ec_fromdata(bld, EVP_PKEY_PUBLIC_KEY, evp));
    CLAVE_CHECK(check_public(*evp));
    st = CLAVE_OK;
done:
    OSSL_PARAM_BLD_free(bld);
    return st;
}

/* pub = d * G for an EC scalar d in 1..n-1, as an uncompressed point into `point`. */
static clave_status ec_derive_point(enum clave_pkey_type type, const BIGNUM *d, uint8_t *point,
                                    size_t point_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    EC_GROUP *group = EC_GROUP_new_by_curve_name(OBJ_sn2nid(ec_group_name(type)));
    EC_POINT *pub = NULL;
    CLAVE_ENSURE_ALLOC(group);
    CLAVE_ENSURE(!BN_is_zero(d) && BN_cmp(d, EC_GROUP_get0_order(group)) < 0, CLAVE_ERR_KEY,
                 "pkey: EC scalar outside 1..n-1");
    pub = EC_POINT_new(group);
    CLAVE_ENSURE_ALLOC(pub);
    CLAVE_CHECK_OSSL(EC_POINT_mul(group, pub, d, NULL, NULL, NULL), CLAVE_ERR_CRYPTO,
                     "pkey: EC_POINT_mul");
    CLAVE_ENSURE(EC_POINT_point2oct(group, pub, POINT_CONVERSION_UNCOMPRESSED, point, point_len,
                                    NULL) == point_len,
                 CLAVE_ERR_CRYPTO, "pkey: point encoding");
    st = CLAVE_OK;
done:
    EC_POINT_free(pub);
    EC_GROUP_free(group);
    return st;
}

static clave_status ec_from_scalar(enum clave_pkey_type type, const uint8_t *raw, size_t len,
                                   EVP_PKEY **evp)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    OSSL_PARAM_BLD *bld = NULL;
    BIGNUM *d = NULL;
    uint8_t point[CLAVE_P384_POINT_LEN];
    size_t coord = clave__pkey_coord_len(type);
    CLAVE_ENSURE(len == coord, CLAVE_ERR_KEY, "pkey: EC scalar of %zu bytes, expected %zu", len,
                 coord);
    d = BN_secure_new();
    CLAVE_ENSURE_ALLOC(d);
    CLAVE_ENSURE(BN_bin2bn(raw, (int)len, d) != NULL, CLAVE_ERR_NOMEM, "pkey: scalar");
    CLAVE_CHECK(ec_derive_point(type, d, point, 1 + 2 * coord));
    bld = OSSL_PARAM_BLD_new();
    CLAVE_ENSURE_ALLOC(bld);
    CLAVE_CHECK_OSSL(
        OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, ec_group_name(type), 0),
        CLAVE_ERR_NOMEM, "pkey: params");
    CLAVE_CHECK_OSSL(
        OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, 1 + 2 * coord),
        CLAVE_ERR_NOMEM, "pkey: params");
    CLAVE_CHECK_OSSL(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d), CLAVE_ERR_NOMEM,
                     "pkey: params");
    CLAVE_CHECK(ec_fromdata(bld, EVP_PKEY_KEYPAIR, evp));
    st = CLAVE_OK;
done:
    OSSL_PARAM_BLD_free(bld); /* its param copy of d is cleared: BN pushed from secure memory */
    BN_clear_free(d);
    return st;
}

/* Raw import shared by the public and private forms: 32-byte Ed25519/X25519 keys, EC points
 * (public) or scalars (private). */
static clave_status from_raw(enum clave_pkey_type type, const uint8_t *raw, size_t len,
                             bool private_key, struct clave_pkey **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    EVP_PKEY *evp = NULL;
    *out = NULL;
    switch (type) {
    case CLAVE_PKEY_ED25519:
    case CLAVE_PKEY_X25519: {
        const char *name = type == CLAVE_PKEY_ED25519 ? "ED25519" : "X25519";
        CLAVE_ENSURE(len == CLAVE_X25519_KEY_LEN, CLAVE_ERR_KEY, "pkey: raw key of %zu bytes", len);
        evp = private_key ? EVP_PKEY_new_raw_private_key_ex(NULL, name, NULL, raw, len)
                          : EVP_PKEY_new_raw_public_key_ex(NULL, name, NULL, raw, len);
        CLAVE_ENSURE(evp != NULL, CLAVE_ERR_KEY, "pkey: invalid raw %s key",
                     private_key ? "private" : "public");
        break;
    }
    case CLAVE_PKEY_P256:
    case CLAVE_PKEY_P384:
        CLAVE_CHECK(private_key ? ec_from_scalar(type, raw, len, &evp)
                                : ec_from_point(type, raw, len, &evp));
        break;
    default:
        CLAVE_RAISE(CLAVE_ERR_UNSUPPORTED, "pkey: no raw form for type %d", (int)type);
    }
    st = clave__pkey_wrap(evp, out);
    evp = NULL;
done:
    ERR_clear_error();
    EVP_PKEY_free(evp);
    return st;
}

clave_status clave_pkey_from_raw_public(enum clave_pkey_type type, const uint8_t *raw, size_t len,
                                        struct clave_pkey **out)
{
    return from_raw(type, raw, len, false, out);
}

clave_status clave_pkey_from_raw_private(enum clave_pkey_type type, const uint8_t *raw, size_t len,
                                         struct clave_pkey **out)
{
    return from_raw(type, raw, len, true, out);
}

clave_status clave_pkey_generate(enum clave_pkey_type type, struct clave_pkey **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    EVP_PKEY *evp = NULL;
    *out = NULL;
    switch (type) {
    case CLAVE_PKEY_P256:
    case CLAVE_PKEY_P384:
        evp = EVP_PKEY_Q_keygen(NULL, NULL, "EC", ec_group_name(type));
        break;
    case CLAVE_PKEY_ED25519:
        evp = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
        break;
    case CLAVE_PKEY_X25519:
        evp = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
        break;
    case CLAVE_PKEY_RSA3072:
        evp = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072);
        break;
    default:
        CLAVE_RAISE(CLAVE_ERR_UNSUPPORTED, "pkey: cannot generate type %d", (int)type);
    }
    CLAVE_ENSURE(evp != NULL, CLAVE_ERR_CRYPTO, "pkey: key generation failed");
    st = clave__pkey_wrap(evp, out);
    evp = NULL;
done:
    ERR_clear_error();
    EVP_PKEY_free(evp);
    return st;
}

clave_status clave_pkey_export_spki(const struct clave_pkey *key, uint8_t *out, size_t cap,
                                    size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    unsigned char *p = out;
    int n = i2d_PUBKEY(key->evp, NULL);
    *out_len = 0;
    CLAVE_ENSURE(n > 0, CLAVE_ERR_CRYPTO, "pkey: SPKI encoding failed");
    CLAVE_ENSURE((size_t)n <= cap, CLAVE_ERR_ARG, "pkey: SPKI needs %d bytes, buffer has %zu", n,
                 cap);
    CLAVE_ENSURE(i2d_PUBKEY(key->evp, &p) == n, CLAVE_ERR_CRYPTO, "pkey: SPKI encoding failed");
    *out_len = (size_t)n;
    st = CLAVE_OK;
done:
    ERR_clear_error();
    return st;
}

/* Uncompressed point from the key's affine coordinates (independent of its stored form). */
static clave_status ec_export_point(const struct clave_pkey *key, uint8_t *out, size_t cap,
                                    size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    BIGNUM *x = NULL;
    BIGNUM *y = NULL;
    size_t coord = clave__pkey_coord_len(key->type);
    CLAVE_ENSURE(cap >= 1 + 2 * coord, CLAVE_ERR_ARG, "pkey: point needs %zu bytes", 1 + 2 * coord);
    CLAVE_CHECK_OSSL(EVP_PKEY_get_bn_param(key->evp, OSSL_PKEY_PARAM_EC_PUB_X, &x),
                     CLAVE_ERR_CRYPTO, "pkey: EC x");
    CLAVE_CHECK_OSSL(EVP_PKEY_get_bn_param(key->evp, OSSL_PKEY_PARAM_EC_PUB_Y, &y),
                     CLAVE_ERR_CRYPTO, "pkey: EC y");
    out[0] = POINT_CONVERSION_UNCOMPRESSED;
    CLAVE_ENSURE(BN_bn2binpad(x, out + 1, (int)coord) == (int)coord &&
                     BN_bn2binpad(y, out + 1 + coord, (int)coord) == (int)coord,
                 CLAVE_ERR_CRYPTO, "pkey: coordinate encoding");
    *out_len = 1 + 2 * coord;
    st = CLAVE_OK;
done:
    BN_free(x);
    BN_free(y);
    return st;
}

clave_status clave_pkey_export_raw_public(const struct clave_pkey *key, uint8_t *out, size_t cap,
                                          size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    size_t n = cap;
    *out_len = 0;
    switch (key->type) {
    case CLAVE_PKEY_P256:
    case CLAVE_PKEY_P384:
        CLAVE_CHECK(ec_export_point(key, out, cap, out_len));
        break;
    case CLAVE_PKEY_ED25519:
    case CLAVE_PKEY_X25519:
        CLAVE_ENSURE(cap >= CLAVE_X25519_KEY_LEN, CLAVE_ERR_ARG, "pkey: raw key needs %d bytes",
                     CLAVE_X25519_KEY_LEN);
        CLAVE_CHECK_OSSL(EVP_PKEY_get_raw_public_key(key->evp, out, &n), CLAVE_ERR_CRYPTO,
                         "pkey: raw public key");
        *out_len = n;
        break;
    default:
        CLAVE_RAISE(CLAVE_ERR_UNSUPPORTED, "pkey: RSA keys have no raw form");
    }
    st = CLAVE_OK;
done:
    return st;
}
