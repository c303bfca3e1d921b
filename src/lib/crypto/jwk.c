/* SPDX-License-Identifier: Apache-2.0 */
/*
 * JWK (RFC 7517, RFC 7518 §6, RFC 8037) import, validation, export, generation and the RFC 7638
 * thumbprint. OpenSSL holds the key (EVP_PKEY); import goes through EVP_PKEY_fromdata, which
 * rejects EC points not on the curve, followed by OpenSSL's public/pairwise key checks.
 */
#include "core/check.h"
#include "crypto/jwk.h"

#include <clave/buf.h>
#include <clave/crypto.h>
#include <clave/encoding.h>
#include <clave/json.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <stdlib.h>
#include <string.h>

#define JWK_MAX_PARTS 10 /* kty, crv/e, x/n, y, d, p, q, dp, dq, qi */

struct jwk_kind {
    enum clave_jwk_type type;
    const char *kty;
    const char *crv;  /* NULL for RSA and oct */
    const char *ossl; /* OpenSSL group or key type name */
    size_t len;       /* coordinate / scalar length; 0 when variable */
};

static const struct jwk_kind KINDS[] = {
    {CLAVE_JWK_EC_P256, "EC", "P-256", "P-256", 32},
    {CLAVE_JWK_EC_P384, "EC", "P-384", "P-384", 48},
    {CLAVE_JWK_OKP_X25519, "OKP", "X25519", "X25519", 32},
    {CLAVE_JWK_OKP_ED25519, "OKP", "Ed25519", "ED25519", 32},
    {CLAVE_JWK_RSA, "RSA", NULL, "RSA", 0},
    {CLAVE_JWK_OCT, "oct", NULL, NULL, 0},
};

static const struct jwk_kind *kind_of(enum clave_jwk_type type)
{
    for (size_t i = 0; i < sizeof(KINDS) / sizeof(KINDS[0]); i++) {
        if (KINDS[i].type == type) {
            return &KINDS[i];
        }
    }
    return NULL;
}

/* The kind named by kty and crv (crv NULL for RSA and oct). */
static const struct jwk_kind *kind_named(const char *kty, const char *crv)
{
    for (size_t i = 0; i < sizeof(KINDS) / sizeof(KINDS[0]); i++) {
        bool crv_ok = KINDS[i].crv == NULL || (crv != NULL && strcmp(crv, KINDS[i].crv) == 0);
        if (strcmp(kty, KINDS[i].kty) == 0 && crv_ok) {
            return &KINDS[i];
        }
    }
    return NULL;
}

void clave_jwk_free(struct clave_jwk *key)
{
    if (key == NULL) {
        return;
    }
    EVP_PKEY_free(key->pkey);
    clave_secret_free(key->k);
    clave_wipe(key, sizeof(*key));
    free(key);
}

enum clave_jwk_type clave_jwk_type(const struct clave_jwk *key)
{
    return key->type;
}

bool clave_jwk_has_private(const struct clave_jwk *key)
{
    return key->has_private;
}

const char *clave_jwk_kid(const struct clave_jwk *key)
{
    return key->has_kid ? key->kid : NULL;
}

clave_status clave_jwk_set_kid(struct clave_jwk *key, const char *kid)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(key != NULL && kid != NULL, CLAVE_ERR_ARG, "jwk: no key or kid");
    size_t len = strlen(kid);
    CLAVE_ENSURE(len <= CLAVE_JWK_KID_MAX, CLAVE_ERR_TOO_LARGE, "jwk: kid of %zu bytes exceeds %d",
                 len, CLAVE_JWK_KID_MAX);
    memcpy(key->kid, kid, len + 1);
    key->has_kid = true;
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave__jwk_from_pkey(enum clave_jwk_type type, EVP_PKEY *pkey, bool has_private,
                                  struct clave_jwk **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_jwk *key = NULL;
    *out = NULL;
    key = calloc(1, sizeof(*key));
    CLAVE_ENSURE_ALLOC(key);
    key->type = type;
    key->pkey = pkey;
    pkey = NULL;
    key->has_private = has_private;
    *out = key;
    key = NULL;
    st = CLAVE_OK;
done:
    EVP_PKEY_free(pkey);
    clave_jwk_free(key);
    return st;
}

/* ---- import ---------------------------------------------------------------------------- */

/* A base64url member decoded to exactly `len` bytes (or 1..`len` when `exact` is false). */
static clave_status get_bytes(const json_t *obj, const char *where, const char *name, bool required,
                              size_t len, bool exact, uint8_t **out, size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_CHECK(clave_json_get_b64url(obj, where, name, required, len, out, out_len));
    if (*out != NULL) {
        CLAVE_ENSURE(exact ? *out_len == len : *out_len > 0, CLAVE_ERR_KEY,
                     "%s.%s: %zu bytes, expected %s%zu", where, name, *out_len,
                     exact ? "" : "at most ", len);
    }
    st = CLAVE_OK;
done:
    return st;
}

static void free_secret_bytes(uint8_t *p, size_t len)
{
    clave_wipe(p, len);
    free(p);
}

/* Import `params` as a key of OpenSSL type `name`, then run OpenSSL's checks on it. */
static clave_status pkey_import(const char *name, OSSL_PARAM_BLD *bld, bool has_private,
                                EVP_PKEY **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    EVP_PKEY_CTX *ctx = NULL;
    EVP_PKEY_CTX *check = NULL;
    OSSL_PARAM *params = NULL;
    EVP_PKEY *pkey = NULL;
    *out = NULL;
    params = OSSL_PARAM_BLD_to_param(bld);
    CLAVE_ENSURE_ALLOC(params);
    ctx = EVP_PKEY_CTX_new_from_name(NULL, name, NULL);
    CLAVE_ENSURE_ALLOC(ctx);
    CLAVE_CHECK_OSSL(EVP_PKEY_fromdata_init(ctx), CLAVE_ERR_CRYPTO, "jwk: fromdata init");
    CLAVE_CHECK_OSSL(
        EVP_PKEY_fromdata(ctx, &pkey, has_private ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params),
        CLAVE_ERR_KEY, "jwk: key rejected");
    check = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    CLAVE_ENSURE_ALLOC(check);
    /* EC (P-256, P-384: cofactor 1): on the curve, coordinates in range, not the point at
     * infinity. The full check adds n*Q == O, which every such point satisfies when the
     * cofactor is 1 (NIST SP 800-56A r3 5.6.2.3.4 partial validation suffices); it costs a
     * scalar multiplication per key parsed. */
    CLAVE_CHECK_OSSL(strcmp(name, "EC") == 0 ? EVP_PKEY_public_check_quick(check)
                                             : EVP_PKEY_public_check(check),
                     CLAVE_ERR_KEY, "jwk: public key check");
    if (has_private) {
        CLAVE_CHECK_OSSL(EVP_PKEY_pairwise_check(check), CLAVE_ERR_KEY, "jwk: private key check");
    }
    *out = pkey;
    pkey = NULL;
    st = CLAVE_OK;
done:
    EVP_PKEY_CTX_free(check);
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params); /* secure BIGNUMs were copied to secure memory; this clears it */
    EVP_PKEY_free(pkey);
    return st;
}

/* RFC 7518 §6.2: "x", "y" and "d" are exactly the coordinate length; the point is checked. */
static clave_status parse_ec(const json_t *obj, const char *where, const struct jwk_kind *kind,
                             struct clave_jwk *key)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t *x = NULL, *y = NULL, *d = NULL;
    size_t x_len = 0, y_len = 0, d_len = 0;
    uint8_t point[1 + 2 * 66];
    BIGNUM *priv = NULL;
    OSSL_PARAM_BLD *bld = NULL;
    CLAVE_CHECK(get_bytes(obj, where, "x", true, kind->len, true, &x, &x_len));
    CLAVE_CHECK(get_bytes(obj, where, "y", true, kind->len, true, &y, &y_len));
    CLAVE_CHECK(get_bytes(obj, where, "d", false, kind->len, true, &d, &d_len));
    point[0] = 0x04; /* SEC 1 §2.3.3 uncompressed point */
    memcpy(point + 1, x, x_len);
    memcpy(point + 1 + x_len, y, y_len);
    bld = OSSL_PARAM_BLD_new();
    CLAVE_ENSURE_ALLOC(bld);
    CLAVE_CHECK_OSSL(
        OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, kind->ossl, 0),
        CLAVE_ERR_NOMEM, "jwk: params");
    CLAVE_CHECK_OSSL(
        OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, 1 + x_len + y_len),
        CLAVE_ERR_NOMEM, "jwk: params");
    if (d != NULL) {
        priv = BN_secure_new();
        CLAVE_ENSURE_ALLOC(priv);
        CLAVE_ENSURE(BN_bin2bn(d, (int)d_len, priv) != NULL, CLAVE_ERR_NOMEM, "jwk: bignum");
        CLAVE_CHECK_OSSL(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, priv),
                         CLAVE_ERR_NOMEM, "jwk: params");
    }
    CLAVE_CHECK_CTX(pkey_import("EC", bld, d != NULL, &key->pkey), "%s", where);
    key->has_private = d != NULL;
    st = CLAVE_OK;
done:
    OSSL_PARAM_BLD_free(bld);
    BN_clear_free(priv);
    free(x);
    free(y);
    free_secret_bytes(d, d_len);
    return st;
}

/* RFC 8037 §2: "x" and "d" are the raw 32-byte keys; a private "d" must match "x". */
static clave_status parse_okp(const json_t *obj, const char *where, const struct jwk_kind *kind,
                              struct clave_jwk *key)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t *x = NULL, *d = NULL;
    size_t x_len = 0, d_len = 0;
    uint8_t pub[32];
    size_t pub_len = sizeof(pub);
    int id = kind->type == CLAVE_JWK_OKP_X25519 ? EVP_PKEY_X25519 : EVP_PKEY_ED25519;
    CLAVE_CHECK(get_bytes(obj, where, "x", true, kind->len, true, &x, &x_len));
    CLAVE_CHECK(get_bytes(obj, where, "d", false, kind->len, true, &d, &d_len));
    if (d == NULL) {
        key->pkey = EVP_PKEY_new_raw_public_key(id, NULL, x, x_len);
        CLAVE_ENSURE(key->pkey != NULL, CLAVE_ERR_KEY, "%s: public key rejected", where);
    } else {
        key->pkey = EVP_PKEY_new_raw_private_key(id, NULL, d, d_len);
        CLAVE_ENSURE(key->pkey != NULL, CLAVE_ERR_KEY, "%s: private key rejected", where);
        CLAVE_CHECK_OSSL(EVP_PKEY_get_raw_public_key(key->pkey, pub, &pub_len), CLAVE_ERR_CRYPTO,
                         "jwk: raw public key");
        CLAVE_ENSURE(pub_len == x_len && clave_ct_equal(pub, x, x_len), CLAVE_ERR_KEY,
                     "%s: x does not match d", where);
    }
    key->has_private = d != NULL;
    st = CLAVE_OK;
done:
    free(x);
    free_secret_bytes(d, d_len);
    return st;
}

static const char *const RSA_PRIVATE[] = {"d", "p", "q", "dp", "dq", "qi"};
static const char *const RSA_PRIVATE_PARAMS[] = {
    OSSL_PKEY_PARAM_RSA_D,         OSSL_PKEY_PARAM_RSA_FACTOR1,   OSSL_PKEY_PARAM_RSA_FACTOR2,
    OSSL_PKEY_PARAM_RSA_EXPONENT1, OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1,
};
#define RSA_PRIVATE_COUNT (sizeof(RSA_PRIVATE) / sizeof(RSA_PRIVATE[0]))
_Static_assert(sizeof(RSA_PRIVATE_PARAMS) == sizeof(RSA_PRIVATE), "one param per member");

/* Push one big-endian unsigned integer as a BIGNUM parameter (secure memory if secret). */
static clave_status push_bn(OSSL_PARAM_BLD *bld, const char *param, const uint8_t *data, size_t len,
                            bool secret, BIGNUM **keep)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    *keep = secret ? BN_secure_new() : BN_new();
    CLAVE_ENSURE_ALLOC(*keep);
    CLAVE_ENSURE(BN_bin2bn(data, (int)len, *keep) != NULL, CLAVE_ERR_NOMEM, "jwk: bignum");
    CLAVE_CHECK_OSSL(OSSL_PARAM_BLD_push_BN(bld, param, *keep), CLAVE_ERR_NOMEM, "jwk: params");
    st = CLAVE_OK;
done:
    return st;
}

/* RFC 7518 §6.3: n (2048..8192 bits, no leading zero), e, and either no private member or all
 * of d, p, q, dp, dq, qi (the "oth" multi-prime form is not supported). */
static clave_status parse_rsa(const json_t *obj, const char *where, struct clave_jwk *key)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t *n = NULL, *e = NULL;
    size_t n_len = 0, e_len = 0;
    uint8_t *priv[RSA_PRIVATE_COUNT] = {NULL};
    size_t priv_len[RSA_PRIVATE_COUNT] = {0};
    BIGNUM *bns[RSA_PRIVATE_COUNT + 2] = {NULL};
    OSSL_PARAM_BLD *bld = NULL;
    size_t present = 0;
    CLAVE_CHECK(get_bytes(obj, where, "n", true, CLAVE_JWK_RSA_MAX_BYTES, false, &n, &n_len));
    CLAVE_ENSURE(n_len >= CLAVE_JWK_RSA_MIN_BYTES && n[0] != 0, CLAVE_ERR_KEY,
                 "%s.n: modulus below 2048 bits or not minimal", where);
    CLAVE_CHECK(get_bytes(obj, where, "e", true, 8, false, &e, &e_len));
    CLAVE_ENSURE(json_object_get(obj, "oth") == NULL, CLAVE_ERR_UNSUPPORTED,
                 "%s.oth: multi-prime RSA", where);
    for (size_t i = 0; i < RSA_PRIVATE_COUNT; i++) {
        CLAVE_CHECK(get_bytes(obj, where, RSA_PRIVATE[i], false, CLAVE_JWK_RSA_MAX_BYTES, false,
                              &priv[i], &priv_len[i]));
        present += priv[i] != NULL;
    }
    CLAVE_ENSURE(present == 0 || present == RSA_PRIVATE_COUNT, CLAVE_ERR_UNSUPPORTED,
                 "%s: private RSA key needs all of d, p, q, dp, dq, qi", where);
    bld = OSSL_PARAM_BLD_new();
    CLAVE_ENSURE_ALLOC(bld);
    CLAVE_CHECK(push_bn(bld, OSSL_PKEY_PARAM_RSA_N, n, n_len, false, &bns[0]));
    CLAVE_CHECK(push_bn(bld, OSSL_PKEY_PARAM_RSA_E, e, e_len, false, &bns[1]));
    for (size_t i = 0; i < present; i++) {
        CLAVE_CHECK(push_bn(bld, RSA_PRIVATE_PARAMS[i], priv[i], priv_len[i], true, &bns[i + 2]));
    }
    CLAVE_CHECK_CTX(pkey_import("RSA", bld, present > 0, &key->pkey), "%s", where);
    key->has_private = present > 0;
    st = CLAVE_OK;
done:
    OSSL_PARAM_BLD_free(bld);
    for (size_t i = 0; i < RSA_PRIVATE_COUNT + 2; i++) {
        BN_clear_free(bns[i]);
    }
    for (size_t i = 0; i < RSA_PRIVATE_COUNT; i++) {
        free_secret_bytes(priv[i], priv_len[i]);
    }
    free(n);
    free(e);
    return st;
}

/* RFC 7518 §6.4: "k" is the key itself. */
static clave_status parse_oct(const json_t *obj, const char *where, struct clave_jwk *key)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t *k = NULL;
    size_t k_len = 0;
    CLAVE_CHECK(get_bytes(obj, where, "k", true, CLAVE_JWK_OCT_MAX_BYTES, false, &k, &k_len));
    CLAVE_CHECK(clave_secret_from(k, k_len, &key->k));
    key->has_private = true;
    st = CLAVE_OK;
done:
    free_secret_bytes(k, k_len);
    return st;
}

clave_status clave__jwk_from_object(const json_t *obj, const char *where, struct clave_jwk **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_jwk *key = NULL;
    const char *kty = NULL, *crv = NULL, *kid = NULL;
    *out = NULL;
    CLAVE_CHECK(clave_json_expect_object(obj, where));
    CLAVE_CHECK(clave_json_get_string(obj, where, "kty", true, 8, &kty));
    CLAVE_CHECK(clave_json_get_string(obj, where, "crv", false, 16, &crv));
    CLAVE_CHECK(clave_json_get_string(obj, where, "kid", false, CLAVE_JWK_KID_MAX, &kid));
    const struct jwk_kind *kind = kind_named(kty, crv);
    CLAVE_ENSURE(kind != NULL, CLAVE_ERR_UNSUPPORTED, "%s: unsupported kty/crv", where);
    key = calloc(1, sizeof(*key));
    CLAVE_ENSURE_ALLOC(key);
    key->type = kind->type;
    if (strcmp(kind->kty, "EC") == 0) {
        CLAVE_CHECK(parse_ec(obj, where, kind, key));
    } else if (strcmp(kind->kty, "OKP") == 0) {
        CLAVE_CHECK(parse_okp(obj, where, kind, key));
    } else if (kind->type == CLAVE_JWK_RSA) {
        CLAVE_CHECK(parse_rsa(obj, where, key));
    } else {
        CLAVE_CHECK(parse_oct(obj, where, key));
    }
    if (kid != NULL) {
        CLAVE_CHECK(clave_jwk_set_kid(key, kid));
    }
    *out = key;
    key = NULL;
    st = CLAVE_OK;
done:
    clave_jwk_free(key);
    return st;
}

clave_status clave_jwk_parse(const char *json, size_t len, struct clave_jwk **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const struct clave_json_limits limits = {CLAVE_JWK_MAX_TEXT, CLAVE_JWK_MAX_DEPTH};
    json_t *doc = NULL;
    *out = NULL;
    CLAVE_ENSURE(json != NULL, CLAVE_ERR_ARG, "jwk: no input");
    CLAVE_CHECK(clave_json_parse(json, len, &limits, "jwk", &doc));
    CLAVE_CHECK(clave__jwk_from_object(doc, "jwk", out));
    st = CLAVE_OK;
done:
    json_decref(doc);
    return st;
}

/* ---- generation ------------------------------------------------------------------------ */

#define CLAVE_JWK_RSA_GENERATE_BITS 3072
#define CLAVE_JWK_OCT_GENERATE_BYTES 32

clave_status clave_jwk_generate(enum clave_jwk_type type, struct clave_jwk **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const struct jwk_kind *kind = kind_of(type);
    struct clave_jwk *key = NULL;
    EVP_PKEY *pkey = NULL;
    *out = NULL;
    CLAVE_ENSURE(kind != NULL, CLAVE_ERR_ARG, "jwk: unknown key type %d", (int)type);
    if (type == CLAVE_JWK_OCT) {
        key = calloc(1, sizeof(*key));
        CLAVE_ENSURE_ALLOC(key);
        key->type = type;
        key->has_private = true;
        CLAVE_CHECK(clave_secret_random(CLAVE_JWK_OCT_GENERATE_BYTES, &key->k));
    } else {
        if (type == CLAVE_JWK_RSA) {
            pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)CLAVE_JWK_RSA_GENERATE_BITS);
        } else if (kind->crv != NULL && strcmp(kind->kty, "EC") == 0) {
            pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", kind->ossl);
        } else {
            pkey = EVP_PKEY_Q_keygen(NULL, NULL, kind->ossl);
        }
        CLAVE_ENSURE(pkey != NULL, CLAVE_ERR_CRYPTO, "jwk: key generation failed");
        CLAVE_CHECK(clave__jwk_from_pkey(type, pkey, true, &key));
        pkey = NULL;
    }
    *out = key;
    key = NULL;
    st = CLAVE_OK;
done:
    EVP_PKEY_free(pkey);
    clave_jwk_free(key);
    return st;
}

/* ---- export ---------------------------------------------------------------------------- */

/* One member of the exported text: a fixed string or base64url bytes (wiped when secret). */
struct jwk_part {
    const char *name;
    const char *text;
    uint8_t *data;
    size_t len;
};

struct jwk_parts {
    struct jwk_part part[JWK_MAX_PARTS];
    size_t count;
};

static void parts_free(struct jwk_parts *parts)
{
    for (size_t i = 0; i < parts->count; i++) {
        free_secret_bytes(parts->part[i].data, parts->part[i].len);
    }
    parts->count = 0;
}

static clave_status add_text(struct jwk_parts *parts, const char *name, const char *text)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(parts->count < JWK_MAX_PARTS, CLAVE_ERR_INTERNAL, "jwk: too many members");
    parts->part[parts->count++] = (struct jwk_part){name, text, NULL, 0};
    st = CLAVE_OK;
done:
    return st;
}

/* A BIGNUM parameter as big-endian bytes, left-padded to `pad` (0: minimal length). */
static clave_status add_bn(struct jwk_parts *parts, const EVP_PKEY *pkey, const char *name,
                           const char *param, size_t pad)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    BIGNUM *bn = NULL;
    uint8_t *buf = NULL;
    size_t len = 0;
    CLAVE_ENSURE(parts->count < JWK_MAX_PARTS, CLAVE_ERR_INTERNAL, "jwk: too many members");
    CLAVE_CHECK_OSSL(EVP_PKEY_get_bn_param(pkey, param, &bn), CLAVE_ERR_CRYPTO, "jwk: get param");
    len = pad > 0 ? pad : (size_t)BN_num_bytes(bn);
    buf = calloc(1, len > 0 ? len : 1);
    CLAVE_ENSURE_ALLOC(buf);
    CLAVE_ENSURE(BN_bn2binpad(bn, buf, (int)len) == (int)len, CLAVE_ERR_CRYPTO,
                 "jwk: %s does not fit", name);
    parts->part[parts->count++] = (struct jwk_part){name, NULL, buf, len};
    buf = NULL;
    st = CLAVE_OK;
done:
    free_secret_bytes(buf, len);
    BN_clear_free(bn);
    return st;
}

static clave_status add_raw(struct jwk_parts *parts, const EVP_PKEY *pkey, const char *name,
                            bool private_key)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t *buf = NULL;
    size_t len = 32;
    CLAVE_ENSURE(parts->count < JWK_MAX_PARTS, CLAVE_ERR_INTERNAL, "jwk: too many members");
    buf = calloc(1, len);
    CLAVE_ENSURE_ALLOC(buf);
    if (private_key) {
        CLAVE_CHECK_OSSL(EVP_PKEY_get_raw_private_key(pkey, buf, &len), CLAVE_ERR_CRYPTO,
                         "jwk: raw private key");
    } else {
        CLAVE_CHECK_OSSL(EVP_PKEY_get_raw_public_key(pkey, buf, &len), CLAVE_ERR_CRYPTO,
                         "jwk: raw public key");
    }
    parts->part[parts->count++] = (struct jwk_part){name, NULL, buf, len};
    buf = NULL;
    st = CLAVE_OK;
done:
    free_secret_bytes(buf, 32);
    return st;
}

/*
 * The key's members, required ones first in the lexicographic order RFC 7638 §3.2 wants
 * (EC: crv kty x y; OKP: crv kty x; RSA: e kty n; oct: k kty), then the private ones.
 */
static clave_status collect_parts(const struct clave_jwk *key, bool with_private,
                                  struct jwk_parts *parts)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const struct jwk_kind *kind = kind_of(key->type);
    const EVP_PKEY *pkey = key->pkey;
    CLAVE_ENSURE(kind != NULL, CLAVE_ERR_INTERNAL, "jwk: bad type");
    CLAVE_ENSURE(!with_private || key->has_private, CLAVE_ERR_KEY, "jwk: no private key");
    if (key->type == CLAVE_JWK_OCT) {
        CLAVE_ENSURE(with_private, CLAVE_ERR_KEY, "jwk: a symmetric key has no public form");
        CLAVE_CHECK(add_text(parts, "k", NULL));
        parts->part[0].len = clave_secret_len(key->k);
        parts->part[0].data = malloc(parts->part[0].len);
        CLAVE_ENSURE_ALLOC(parts->part[0].data);
        memcpy(parts->part[0].data, clave_secret_cdata(key->k), parts->part[0].len);
        CLAVE_CHECK(add_text(parts, "kty", kind->kty));
    } else if (key->type == CLAVE_JWK_RSA) {
        CLAVE_CHECK(add_bn(parts, pkey, "e", OSSL_PKEY_PARAM_RSA_E, 0));
        CLAVE_CHECK(add_text(parts, "kty", kind->kty));
        CLAVE_CHECK(add_bn(parts, pkey, "n", OSSL_PKEY_PARAM_RSA_N, 0));
        for (size_t i = 0; with_private && i < RSA_PRIVATE_COUNT; i++) {
            CLAVE_CHECK(add_bn(parts, pkey, RSA_PRIVATE[i], RSA_PRIVATE_PARAMS[i], 0));
        }
    } else if (strcmp(kind->kty, "EC") == 0) {
        CLAVE_CHECK(add_text(parts, "crv", kind->crv));
        CLAVE_CHECK(add_text(parts, "kty", kind->kty));
        CLAVE_CHECK(add_bn(parts, pkey, "x", OSSL_PKEY_PARAM_EC_PUB_X, kind->len));
        CLAVE_CHECK(add_bn(parts, pkey, "y", OSSL_PKEY_PARAM_EC_PUB_Y, kind->len));
        if (with_private) {
            CLAVE_CHECK(add_bn(parts, pkey, "d", OSSL_PKEY_PARAM_PRIV_KEY, kind->len));
        }
    } else {
        CLAVE_CHECK(add_text(parts, "crv", kind->crv));
        CLAVE_CHECK(add_text(parts, "kty", kind->kty));
        CLAVE_CHECK(add_raw(parts, pkey, "x", false));
        if (with_private) {
            CLAVE_CHECK(add_raw(parts, pkey, "d", true));
        }
    }
    st = CLAVE_OK;
done:
    return st;
}

/* Characters of `,"name":"value"` for one part. */
static size_t part_text_len(const struct jwk_part *part)
{
    size_t value = part->text != NULL ? strlen(part->text) : clave_b64_len(CLAVE_B64URL, part->len);
    return strlen(part->name) + value + 6; /* quotes, colon, comma */
}

static clave_status write_str(struct clave_writer *w, const char *s)
{
    return clave_writer_bytes(w, (const uint8_t *)s, strlen(s));
}

/* Write `{"a":"..",...[,"kid":..]}` plus a NUL into `w` (sized by text_len()). */
static clave_status write_parts(struct clave_writer *w, const struct jwk_parts *parts,
                                const char *kid_json)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    size_t n = 0;
    CLAVE_CHECK(write_str(w, "{"));
    for (size_t i = 0; i < parts->count; i++) {
        const struct jwk_part *part = &parts->part[i];
        CLAVE_CHECK(write_str(w, i > 0 ? ",\"" : "\""));
        CLAVE_CHECK(write_str(w, part->name));
        CLAVE_CHECK(write_str(w, "\":\""));
        if (part->text != NULL) {
            CLAVE_CHECK(write_str(w, part->text));
        } else {
            size_t need = clave_b64_len(CLAVE_B64URL, part->len);
            CLAVE_ENSURE(need < w->cap - w->len, CLAVE_ERR_INTERNAL, "jwk: text buffer");
            CLAVE_CHECK(clave_b64_encode(CLAVE_B64URL, part->data, part->len,
                                         (char *)w->data + w->len, w->cap - w->len, &n));
            w->len += n;
        }
        CLAVE_CHECK(write_str(w, "\""));
    }
    if (kid_json != NULL) {
        CLAVE_CHECK(write_str(w, ",\"kid\":"));
        CLAVE_CHECK(write_str(w, kid_json));
    }
    CLAVE_CHECK(clave_writer_bytes(w, (const uint8_t *)"}", 2)); /* with the NUL */
    st = CLAVE_OK;
done:
    return st;
}

static size_t text_len(const struct jwk_parts *parts, const char *kid_json)
{
    size_t len = 3; /* braces and NUL */
    for (size_t i = 0; i < parts->count; i++) {
        len += part_text_len(&parts->part[i]);
    }
    return len + (kid_json != NULL ? strlen(kid_json) + 7 : 0);
}

/* "kid" as a JSON string literal (escaped by jansson). Caller frees. */
static clave_status kid_literal(const struct clave_jwk *key, char **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *s = NULL;
    *out = NULL;
    if (key->has_kid) {
        s = json_string(key->kid);
        CLAVE_ENSURE(s != NULL, CLAVE_ERR_KEY, "jwk: kid is not valid UTF-8");
        *out = json_dumps(s, JSON_ENCODE_ANY | JSON_COMPACT);
        CLAVE_ENSURE_ALLOC(*out);
    }
    st = CLAVE_OK;
done:
    json_decref(s);
    return st;
}

clave_status clave_jwk_export_public(const struct clave_jwk *key, char **json)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct jwk_parts parts = {.count = 0};
    struct clave_writer w;
    char *kid = NULL;
    char *text = NULL;
    *json = NULL;
    CLAVE_ENSURE(key != NULL, CLAVE_ERR_ARG, "jwk: no key");
    CLAVE_CHECK(collect_parts(key, false, &parts));
    CLAVE_CHECK(kid_literal(key, &kid));
    size_t cap = text_len(&parts, kid);
    text = malloc(cap);
    CLAVE_ENSURE_ALLOC(text);
    clave_writer_init(&w, (uint8_t *)text, cap);
    CLAVE_CHECK(write_parts(&w, &parts, kid));
    *json = text;
    text = NULL;
    st = CLAVE_OK;
done:
    parts_free(&parts);
    free(kid);
    free(text);
    return st;
}

clave_status clave_jwk_export_private(const struct clave_jwk *key, struct clave_secret **json)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct jwk_parts parts = {.count = 0};
    struct clave_writer w;
    struct clave_secret *text = NULL;
    char *kid = NULL;
    *json = NULL;
    CLAVE_ENSURE(key != NULL, CLAVE_ERR_ARG, "jwk: no key");
    CLAVE_CHECK(collect_parts(key, true, &parts));
    CLAVE_CHECK(kid_literal(key, &kid));
    CLAVE_CHECK(clave_secret_new(text_len(&parts, kid), &text));
    clave_writer_init(&w, clave_secret_data(text), clave_secret_len(text));
    CLAVE_CHECK(write_parts(&w, &parts, kid));
    *json = text;
    text = NULL;
    st = CLAVE_OK;
done:
    parts_free(&parts);
    free(kid);
    clave_secret_free(text);
    return st;
}

clave_status clave_jwk_thumbprint(const struct clave_jwk *key, uint8_t out[32])
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct jwk_parts parts = {.count = 0};
    struct clave_writer w;
    struct clave_secret *text = NULL; /* an oct key's thumbprint input holds the key */
    CLAVE_ENSURE(key != NULL, CLAVE_ERR_ARG, "jwk: no key");
    CLAVE_CHECK(collect_parts(key, key->type == CLAVE_JWK_OCT, &parts));
    CLAVE_CHECK(clave_secret_new(text_len(&parts, NULL), &text));
    clave_writer_init(&w, clave_secret_data(text), clave_secret_len(text));
    CLAVE_CHECK(write_parts(&w, &parts, NULL));
    CLAVE_CHECK(
        clave_hash(CLAVE_HASH_SHA256, clave_secret_cdata(text), w.len - 1, out, CLAVE_SHA256_LEN));
    st = CLAVE_OK;
done:
    parts_free(&parts);
    clave_secret_free(text);
    return st;
}

clave_status clave__jwk_public_object(const struct clave_jwk *key, json_t **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char *text = NULL;
    *out = NULL;
    CLAVE_CHECK(clave_jwk_export_public(key, &text));
    CLAVE_CHECK(clave_json_parse(text, strlen(text), NULL, "jwk", out));
    st = CLAVE_OK;
done:
    free(text);
    return st;
}
