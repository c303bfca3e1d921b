/* SPDX-License-Identifier: Apache-2.0 */
/*
 * COSE_Sign1 (RFC 9052) over libcbor and OpenSSL.
 *
 *   COSE_Sign1_Tagged = #6.18(COSE_Sign1)
 *   COSE_Sign1 = [
 *       protected : bstr .cbor header_map / bstr .size 0,
 *       unprotected : header_map,
 *       payload : bstr / nil,
 *       signature : bstr
 *   ]
 *   Sig_structure = ["Signature1", body_protected : bstr, external_aad : bstr, payload : bstr]
 *
 * ECDSA signatures are r || s, each left-padded to the curve size (RFC 9053 section 2.1);
 * EdDSA signatures are the 64 raw bytes (RFC 9053 section 2.2).
 */
#include "core/cbor.h"
#include "core/check.h"
#include "crypto/cose_internal.h"
#include "crypto/ossl.h"
#include "crypto/x509_internal.h"

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>

#define COSE_ARRAY_LEN 4
#define COSE_SIG_CONTEXT "Signature1"
#define COSE_SIG_CONTEXT_LEN (sizeof(COSE_SIG_CONTEXT) - 1)
/* Header labels (RFC 9052 section 3.1). */
#define COSE_LABEL_ALG 1
#define COSE_LABEL_CRIT 2
#define COSE_LABEL_CONTENT_TYPE 3
#define COSE_LABEL_KID 4
/* Header maps are small; these bound the protected header decode. */
#define COSE_HEADER_MAX_DEPTH 4
#define COSE_HEADER_MAX_ITEMS 64
#define COSE_MSG_MAX_DEPTH 16
#define COSE_MSG_MAX_ITEMS 1024
#define COSE_MAX_COORD_LEN 48
#define COSE_MAX_SIG_LEN (2 * COSE_MAX_COORD_LEN)
#define COSE_GROUP_NAME_MAX 64
/* A protected header {1: alg} is at most 1 + 1 + 9 bytes. */
#define COSE_PROTECTED_MAX 11

struct alg_info {
    int64_t alg;
    const char *key_type; /* OpenSSL key type name */
    const char *group;    /* EC curve, NULL for EdDSA */
    enum clave_hash_alg hash;
    size_t sig_len;
};

static const struct alg_info ALGS[] = {
    {CLAVE_COSE_ALG_ES256, "EC", "prime256v1", CLAVE_HASH_SHA256, 64},
    {CLAVE_COSE_ALG_ES384, "EC", "secp384r1", CLAVE_HASH_SHA384, 96},
    {CLAVE_COSE_ALG_EDDSA, "ED25519", NULL, 0, 64},
};

struct clave_cose_sign1 {
    int64_t alg;
    uint8_t *payload;
    size_t payload_len;
};

/* A parsed, not yet verified message; views point into `root` or the caller's bytes. */
struct parsed {
    cbor_item_t *root;
    cbor_item_t *protected_map; /* NULL for an empty protected header */
    const uint8_t *protected_bytes;
    size_t protected_len;
    const uint8_t *payload; /* NULL when detached */
    size_t payload_len;
    const uint8_t *sig;
    size_t sig_len;
    int64_t alg;
};

static const struct alg_info *alg_lookup(int64_t alg)
{
    for (size_t i = 0; i < sizeof(ALGS) / sizeof(ALGS[0]); i++) {
        if (ALGS[i].alg == alg) {
            return &ALGS[i];
        }
    }
    return NULL;
}

static void parsed_clear(struct parsed *p)
{
    if (p->protected_map != NULL) {
        cbor_decref(&p->protected_map);
    }
    if (p->root != NULL) {
        cbor_decref(&p->root);
    }
}

/* libcbor's cbor_is_null() asserts on floats, so check the item is a simple value first. */
static bool is_nil(const cbor_item_t *item)
{
    return cbor_isa_float_ctrl(item) && cbor_float_get_width(item) == CBOR_FLOAT_0 &&
           cbor_is_null(item);
}

static bool label_ok(const cbor_item_t *key)
{
    return cbor_isa_uint(key) || cbor_isa_negint(key) || cbor_isa_string(key);
}

/* Labels we process; a `crit` naming anything else is rejected (RFC 9052 section 3.1). */
static bool label_understood(const cbor_item_t *label)
{
    int64_t v = 0;
    if (clave__cbor_int64(label, &v) != CLAVE_OK) {
        return false;
    }
    return v == COSE_LABEL_ALG || v == COSE_LABEL_CONTENT_TYPE || v == COSE_LABEL_KID;
}

static clave_status check_crit(const cbor_item_t *protected_map)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const cbor_item_t *crit = clave__cbor_map_get_int(protected_map, COSE_LABEL_CRIT);
    if (crit != NULL) {
        CLAVE_ENSURE(cbor_isa_array(crit) && cbor_array_size(crit) > 0, CLAVE_ERR_FORMAT,
                     "cose: crit is not a non-empty array");
        cbor_item_t **labels = cbor_array_handle(crit);
        for (size_t i = 0; i < cbor_array_size(crit); i++) {
            CLAVE_ENSURE(label_ok(labels[i]), CLAVE_ERR_FORMAT, "cose: crit label of wrong type");
            CLAVE_ENSURE(label_understood(labels[i]), CLAVE_ERR_UNSUPPORTED,
                         "cose: unknown critical header parameter");
            int64_t v = 0;
            CLAVE_CHECK(clave__cbor_int64(labels[i], &v));
            CLAVE_ENSURE(clave__cbor_map_get_int(protected_map, v) != NULL, CLAVE_ERR_FORMAT,
                         "cose: critical label %lld is not in the protected header", (long long)v);
        }
    }
    st = CLAVE_OK;
done:
    return st;
}

/* Label types, no label in both buckets, alg only protected, crit valid. */
static clave_status check_headers(struct parsed *p, const cbor_item_t *unprotected)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const struct cbor_pair *pairs = cbor_map_handle(unprotected);
    for (size_t i = 0; i < cbor_map_size(unprotected); i++) {
        const cbor_item_t *k = pairs[i].key;
        int64_t v = 0;
        CLAVE_ENSURE(label_ok(k), CLAVE_ERR_FORMAT, "cose: unprotected label of wrong type");
        if (cbor_isa_string(k)) {
            continue;
        }
        CLAVE_CHECK(clave__cbor_int64(k, &v));
        CLAVE_ENSURE(v != COSE_LABEL_ALG && v != COSE_LABEL_CRIT, CLAVE_ERR_FORMAT,
                     "cose: label %lld must be protected", (long long)v);
        CLAVE_ENSURE(p->protected_map == NULL ||
                         clave__cbor_map_get_int(p->protected_map, v) == NULL,
                     CLAVE_ERR_FORMAT, "cose: label %lld in both header buckets", (long long)v);
    }
    CLAVE_ENSURE(p->protected_map != NULL, CLAVE_ERR_FORMAT, "cose: empty protected header");
    pairs = cbor_map_handle(p->protected_map);
    for (size_t i = 0; i < cbor_map_size(p->protected_map); i++) {
        CLAVE_ENSURE(label_ok(pairs[i].key), CLAVE_ERR_FORMAT,
                     "cose: protected label of wrong type");
    }
    CLAVE_CHECK(check_crit(p->protected_map));
    const cbor_item_t *alg = clave__cbor_map_get_int(p->protected_map, COSE_LABEL_ALG);
    CLAVE_ENSURE(alg != NULL, CLAVE_ERR_FORMAT, "cose: no alg in the protected header");
    CLAVE_ENSURE(cbor_isa_uint(alg) || cbor_isa_negint(alg), CLAVE_ERR_UNSUPPORTED,
                 "cose: alg is not an integer");
    CLAVE_CHECK(clave__cbor_int64(alg, &p->alg));
    st = CLAVE_OK;
done:
    return st;
}

static clave_status decode_protected(struct parsed *p)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const struct clave__cbor_limits lim = {
        .max_len = p->protected_len,
        .max_depth = COSE_HEADER_MAX_DEPTH,
        .max_items = COSE_HEADER_MAX_ITEMS,
    };
    if (p->protected_len == 0) {
        st = CLAVE_OK; /* a zero-length bstr stands for the empty map */
        goto done;
    }
    CLAVE_CHECK_CTX(clave__cbor_load(p->protected_bytes, p->protected_len, &lim, &p->protected_map),
                    "cose: protected header");
    CLAVE_ENSURE(cbor_isa_map(p->protected_map), CLAVE_ERR_FORMAT,
                 "cose: protected header is not a map");
    if (cbor_map_size(p->protected_map) == 0) {
        cbor_decref(&p->protected_map);
    }
    st = CLAVE_OK;
done:
    return st;
}

/*
 * Strip an optional tag 18 according to `tagging`. The tag head is read here, not by libcbor:
 * libcbor 0.8's decoder rejects the one-byte tags 6..20 (0xc6..0xd4) as unassigned. Only the
 * shortest form 0xd2 is accepted; any other tag is not a COSE_Sign1.
 */
static clave_status untag(const uint8_t *msg, size_t len, enum clave_cose_tagging tagging,
                          struct clave_reader *body)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const uint8_t tag_head = (uint8_t)(CLAVE_CBOR_MAJOR_TAG << 5 | CLAVE_COSE_SIGN1_TAG);
    uint8_t first = 0;
    clave_reader_init(body, msg, len);
    CLAVE_CHECK_CTX(clave_reader_u8(body, &first), "cose");
    if (first == tag_head) {
        CLAVE_ENSURE(tagging != CLAVE_COSE_TAG_FORBIDDEN, CLAVE_ERR_FORMAT,
                     "cose: tagged message where untagged is required");
    } else {
        CLAVE_ENSURE(first >> 5 != CLAVE_CBOR_MAJOR_TAG, CLAVE_ERR_FORMAT,
                     "cose: tag head 0x%02x is not COSE_Sign1", (unsigned)first);
        CLAVE_ENSURE(tagging != CLAVE_COSE_TAG_REQUIRED, CLAVE_ERR_FORMAT,
                     "cose: untagged message where tag 18 is required");
        clave_reader_init(body, msg, len);
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status parse(const uint8_t *msg, size_t len, const struct clave_cose_verify_opts *opts,
                          struct parsed *p)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const struct clave__cbor_limits lim = {
        .max_len = opts->max_len != 0 ? opts->max_len : CLAVE_COSE_MAX_LEN,
        .max_depth = COSE_MSG_MAX_DEPTH,
        .max_items = COSE_MSG_MAX_ITEMS,
    };
    struct clave_reader body;
    const uint8_t *rest = NULL;
    CLAVE_CHECK(untag(msg, len, opts->tagging, &body));
    size_t rest_len = clave_reader_remaining(&body);
    CLAVE_CHECK(clave_reader_view(&body, rest_len, &rest));
    CLAVE_CHECK_CTX(clave__cbor_load(rest, rest_len, &lim, &p->root), "cose");
    cbor_item_t *arr = p->root;
    CLAVE_ENSURE(cbor_isa_array(arr) && cbor_array_size(arr) == COSE_ARRAY_LEN, CLAVE_ERR_FORMAT,
                 "cose: COSE_Sign1 is not a 4-element array");
    cbor_item_t **f = cbor_array_handle(arr);
    CLAVE_ENSURE(cbor_isa_bytestring(f[0]), CLAVE_ERR_FORMAT, "cose: protected is not a bstr");
    CLAVE_ENSURE(cbor_isa_map(f[1]), CLAVE_ERR_FORMAT, "cose: unprotected is not a map");
    CLAVE_ENSURE(cbor_isa_bytestring(f[2]) || is_nil(f[2]), CLAVE_ERR_FORMAT,
                 "cose: payload is neither bstr nor nil");
    CLAVE_ENSURE(cbor_isa_bytestring(f[3]), CLAVE_ERR_FORMAT, "cose: signature is not a bstr");
    p->protected_bytes = cbor_bytestring_handle(f[0]);
    p->protected_len = cbor_bytestring_length(f[0]);
    if (cbor_isa_bytestring(f[2])) {
        p->payload = cbor_bytestring_handle(f[2]);
        p->payload_len = cbor_bytestring_length(f[2]);
    }
    p->sig = cbor_bytestring_handle(f[3]);
    p->sig_len = cbor_bytestring_length(f[3]);
    CLAVE_CHECK(decode_protected(p));
    CLAVE_CHECK(check_headers(p, f[1]));
    st = CLAVE_OK;
done:
    return st;
}

static size_t bstr_len(size_t n)
{
    return clave__cbor_head_len(n) + n;
}

clave_status clave__cose_sig_structure(const uint8_t *protected_hdr, size_t protected_len,
                                       const uint8_t *aad, size_t aad_len, const uint8_t *payload,
                                       size_t payload_len, uint8_t **out, size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_writer w;
    uint8_t *buf = NULL;
    size_t total = 1 + bstr_len(COSE_SIG_CONTEXT_LEN);
    *out = NULL;
    *out_len = 0;
    CLAVE_ENSURE(!__builtin_add_overflow(total, bstr_len(protected_len), &total) &&
                     !__builtin_add_overflow(total, bstr_len(aad_len), &total) &&
                     !__builtin_add_overflow(total, bstr_len(payload_len), &total),
                 CLAVE_ERR_TOO_LARGE, "cose: Sig_structure too large");
    buf = malloc(total);
    CLAVE_ENSURE_ALLOC(buf);
    clave_writer_init(&w, buf, total);
    CLAVE_CHECK(clave__cbor_put_head(&w, CLAVE_CBOR_MAJOR_ARRAY, COSE_ARRAY_LEN));
    CLAVE_CHECK(clave__cbor_put_head(&w, CLAVE_CBOR_MAJOR_TEXT, COSE_SIG_CONTEXT_LEN));
    CLAVE_CHECK(clave_writer_bytes(&w, (const uint8_t *)COSE_SIG_CONTEXT, COSE_SIG_CONTEXT_LEN));
    CLAVE_CHECK(clave__cbor_put_head(&w, CLAVE_CBOR_MAJOR_BYTES, protected_len));
    CLAVE_CHECK(clave_writer_bytes(&w, protected_hdr, protected_len));
    CLAVE_CHECK(clave__cbor_put_head(&w, CLAVE_CBOR_MAJOR_BYTES, aad_len));
    CLAVE_CHECK(clave_writer_bytes(&w, aad, aad_len));
    CLAVE_CHECK(clave__cbor_put_head(&w, CLAVE_CBOR_MAJOR_BYTES, payload_len));
    CLAVE_CHECK(clave_writer_bytes(&w, payload, payload_len));
    CLAVE_ENSURE(w.len == total, CLAVE_ERR_INTERNAL, "cose: Sig_structure size mismatch");
    *out = buf;
    *out_len = total;
    buf = NULL;
    st = CLAVE_OK;
done:
    free(buf);
    return st;
}

/* CLAVE_ERR_KEY unless `pkey` is of the type and curve `info` needs. */
static clave_status check_key(EVP_PKEY *pkey, const struct alg_info *info)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char group[COSE_GROUP_NAME_MAX] = "";
    CLAVE_ENSURE(pkey != NULL && EVP_PKEY_is_a(pkey, info->key_type), CLAVE_ERR_KEY,
                 "cose: key type does not fit alg %lld", (long long)info->alg);
    if (info->group != NULL) {
        size_t glen = 0;
        CLAVE_ENSURE(EVP_PKEY_get_group_name(pkey, group, sizeof(group), &glen) == 1 &&
                         strcmp(group, info->group) == 0,
                     CLAVE_ERR_KEY, "cose: key curve does not fit alg %lld", (long long)info->alg);
    }
    st = CLAVE_OK;
done:
    ERR_clear_error();
    return st;
}

/* Raw r || s (each `half` bytes) to a DER ECDSA-Sig-Value in a new OpenSSL buffer. */
static clave_status ecdsa_raw_to_der(const uint8_t *sig, size_t half, unsigned char **der,
                                     size_t *der_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    ECDSA_SIG *es = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(sig, (int)half, NULL);
    BIGNUM *s = BN_bin2bn(sig + half, (int)half, NULL);
    *der = NULL;
    CLAVE_ENSURE(es != NULL && r != NULL && s != NULL, CLAVE_ERR_NOMEM, "out of memory");
    CLAVE_CHECK_OSSL(ECDSA_SIG_set0(es, r, s), CLAVE_ERR_CRYPTO, "ECDSA_SIG_set0");
    r = NULL;
    s = NULL;
    int n = i2d_ECDSA_SIG(es, der);
    CLAVE_ENSURE(n > 0, CLAVE_ERR_CRYPTO, "cose: cannot encode the ECDSA signature");
    *der_len = (size_t)n;
    st = CLAVE_OK;
done:
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(es);
    return st;
}

static clave_status verify_sig(EVP_PKEY *pkey, const struct alg_info *info, const uint8_t *tbs,
                               size_t tbs_len, const uint8_t *sig, size_t sig_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    EVP_MD_CTX *mctx = EVP_MD_CTX_new();
    unsigned char *der = NULL;
    size_t der_len = sig_len;
    const unsigned char *to_check = sig;
    CLAVE_ENSURE_ALLOC(mctx);
    CLAVE_ENSURE(sig_len == info->sig_len, CLAVE_ERR_SIGNATURE,
                 "cose: signature is %zu bytes, expected %zu", sig_len, info->sig_len);
    if (info->group != NULL) {
        CLAVE_CHECK(ecdsa_raw_to_der(sig, sig_len / 2, &der, &der_len));
        to_check = der;
    }
    CLAVE_CHECK_OSSL(EVP_DigestVerifyInit(mctx, NULL, clave__hash_md(info->hash), NULL, pkey),
                     CLAVE_ERR_CRYPTO, "EVP_DigestVerifyInit");
    int ok = EVP_DigestVerify(mctx, to_check, der_len, tbs, tbs_len);
    ERR_clear_error();
    CLAVE_ENSURE(ok == 1, CLAVE_ERR_SIGNATURE, "cose: signature does not verify");
    st = CLAVE_OK;
done:
    OPENSSL_free(der);
    EVP_MD_CTX_free(mctx);
    return st;
}

static clave_status result_new(int64_t alg, const uint8_t *payload, size_t len,
                               struct clave_cose_sign1 **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_cose_sign1 *res = calloc(1, sizeof(*res));
    CLAVE_ENSURE_ALLOC(res);
    res->alg = alg;
    res->payload = malloc(len > 0 ? len : 1);
    CLAVE_ENSURE_ALLOC(res->payload);
    if (len > 0) {
        memcpy(res->payload, payload, len);
    }
    res->payload_len = len;
    *out = res;
    res = NULL;
    st = CLAVE_OK;
done:
    clave_cose_sign1_free(res);
    return st;
}

clave_status clave__cose_sign1_verify_pkey(const uint8_t *msg, size_t len, EVP_PKEY *pkey,
                                           const struct clave_cose_verify_opts *opts,
                                           struct clave_cose_sign1 **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    static const struct clave_cose_verify_opts DEFAULTS = {0};
    const struct clave_cose_verify_opts *o = opts != NULL ? opts : &DEFAULTS;
    struct parsed p = {0};
    uint8_t *tbs = NULL;
    size_t tbs_len = 0;
    *out = NULL;
    CLAVE_ENSURE(pkey != NULL && (msg != NULL || len == 0), CLAVE_ERR_ARG, "cose: NULL argument");
    CLAVE_CHECK(parse(msg, len, o, &p));
    const struct alg_info *info = alg_lookup(p.alg);
    CLAVE_ENSURE(info != NULL, CLAVE_ERR_UNSUPPORTED, "cose: unsupported alg %lld",
                 (long long)p.alg);
    CLAVE_ENSURE(o->alg == 0 || o->alg == p.alg, CLAVE_ERR_SIGNATURE,
                 "cose: alg %lld is not the expected %lld", (long long)p.alg, (long long)o->alg);
    CLAVE_CHECK(check_key(pkey, info));
    if (p.payload == NULL) {
        CLAVE_ENSURE(o->detached_payload != NULL, CLAVE_ERR_ARG,
                     "cose: detached payload not supplied");
        p.payload = o->detached_payload;
        p.payload_len = o->detached_payload_len;
    } else {
        CLAVE_ENSURE(o->detached_payload == NULL, CLAVE_ERR_ARG,
                     "cose: detached payload given for an attached message");
    }
    CLAVE_CHECK(clave__cose_sig_structure(p.protected_bytes, p.protected_len, o->external_aad,
                                          o->external_aad_len, p.payload, p.payload_len, &tbs,
                                          &tbs_len));
    CLAVE_CHECK(verify_sig(pkey, info, tbs, tbs_len, p.sig, p.sig_len));
    CLAVE_CHECK(result_new(p.alg, p.payload, p.payload_len, out));
    st = CLAVE_OK;
done:
    free(tbs);
    parsed_clear(&p);
    return st;
}

/* A public key from DER SubjectPublicKeyInfo or a PEM "PUBLIC KEY" block. */
static clave_status load_public_key(const uint8_t *key, size_t key_len, EVP_PKEY **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    static const char PEM_PREFIX[] = "-----BEGIN";
    BIO *bio = NULL;
    *out = NULL;
    CLAVE_ENSURE(key != NULL && key_len > 0 && key_len <= CLAVE_X509_MAX_DER_LEN, CLAVE_ERR_KEY,
                 "cose: public key missing or too large");
    if (key_len >= sizeof(PEM_PREFIX) - 1 &&
        memcmp(key, PEM_PREFIX, sizeof(PEM_PREFIX) - 1) == 0) { // lint:public
        bio = BIO_new_mem_buf(key, (int)key_len);
        CLAVE_ENSURE_ALLOC(bio);
        *out = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
    } else {
        const unsigned char *p = key;
        *out = d2i_PUBKEY(NULL, &p, (long)key_len);
        if (*out != NULL && p != key + key_len) {
            EVP_PKEY_free(*out);
            *out = NULL;
        }
    }
    ERR_clear_error();
    CLAVE_ENSURE(*out != NULL, CLAVE_ERR_KEY, "cose: malformed public key");
    st = CLAVE_OK;
done:
    BIO_free(bio);
    return st;
}

clave_status clave_cose_sign1_verify_spki(const uint8_t *msg, size_t len, const uint8_t *key,
                                          size_t key_len, const struct clave_cose_verify_opts *opts,
                                          struct clave_cose_sign1 **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    EVP_PKEY *pkey = NULL;
    *out = NULL;
    CLAVE_CHECK(load_public_key(key, key_len, &pkey));
    CLAVE_CHECK(clave__cose_sign1_verify_pkey(msg, len, pkey, opts, out));
    st = CLAVE_OK;
done:
    EVP_PKEY_free(pkey);
    return st;
}

clave_status clave_cose_sign1_verify_x509(const uint8_t *msg, size_t len,
                                          const struct clave_x509 *cert,
                                          const struct clave_cose_verify_opts *opts,
                                          struct clave_cose_sign1 **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    *out = NULL;
    CLAVE_ENSURE(cert != NULL, CLAVE_ERR_ARG, "cose: NULL certificate");
    CLAVE_CHECK(clave__cose_sign1_verify_pkey(msg, len, clave__x509_pkey(cert), opts, out));
    st = CLAVE_OK;
done:
    return st;
}

const uint8_t *clave_cose_sign1_payload(const struct clave_cose_sign1 *msg, size_t *len)
{
    *len = msg->payload_len;
    return msg->payload;
}

int64_t clave_cose_sign1_alg(const struct clave_cose_sign1 *msg)
{
    return msg->alg;
}

void clave_cose_sign1_free(struct clave_cose_sign1 *msg)
{
    if (msg == NULL) {
        return;
    }
    free(msg->payload);
    free(msg);
}

clave_status clave_cose_sign1_peek_payload(const uint8_t *msg, size_t len,
                                           const struct clave_cose_verify_opts *opts,
                                           uint8_t **payload, size_t *payload_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    static const struct clave_cose_verify_opts DEFAULTS = {0};
    struct parsed p = {0};
    *payload = NULL;
    *payload_len = 0;
    CLAVE_ENSURE(msg != NULL || len == 0, CLAVE_ERR_ARG, "cose: NULL message");
    CLAVE_CHECK(parse(msg, len, opts != NULL ? opts : &DEFAULTS, &p));
    CLAVE_ENSURE(p.payload != NULL, CLAVE_ERR_NOT_FOUND, "cose: payload is detached");
    *payload = malloc(p.payload_len > 0 ? p.payload_len : 1);
    CLAVE_ENSURE_ALLOC(*payload);
    if (p.payload_len > 0) {
        memcpy(*payload, p.payload, p.payload_len);
    }
    *payload_len = p.payload_len;
    st = CLAVE_OK;
done:
    parsed_clear(&p);
    return st;
}

/* Sign `tbs` and write the COSE form of the signature (raw r || s for ECDSA) into `sig`. */
static clave_status sign_raw(EVP_PKEY *pkey, const struct alg_info *info, const uint8_t *tbs,
                             size_t tbs_len, uint8_t sig[COSE_MAX_SIG_LEN])
{
    clave_status st = CLAVE_ERR_INTERNAL;
    EVP_MD_CTX *mctx = EVP_MD_CTX_new();
    unsigned char *der = NULL;
    size_t der_len = 0;
    ECDSA_SIG *es = NULL;
    CLAVE_ENSURE_ALLOC(mctx);
    CLAVE_CHECK_OSSL(EVP_DigestSignInit(mctx, NULL, clave__hash_md(info->hash), NULL, pkey),
                     CLAVE_ERR_CRYPTO, "EVP_DigestSignInit");
    CLAVE_CHECK_OSSL(EVP_DigestSign(mctx, NULL, &der_len, tbs, tbs_len), CLAVE_ERR_CRYPTO,
                     "EVP_DigestSign (size)");
    der = OPENSSL_malloc(der_len);
    CLAVE_ENSURE_ALLOC(der);
    CLAVE_CHECK_OSSL(EVP_DigestSign(mctx, der, &der_len, tbs, tbs_len), CLAVE_ERR_CRYPTO,
                     "EVP_DigestSign");
    if (info->group == NULL) {
        CLAVE_ENSURE(der_len == info->sig_len, CLAVE_ERR_CRYPTO, "cose: bad EdDSA signature size");
        memcpy(sig, der, der_len);
    } else {
        const unsigned char *p = der;
        int half = (int)(info->sig_len / 2);
        es = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
        CLAVE_ENSURE(es != NULL, CLAVE_ERR_CRYPTO, "cose: cannot decode the ECDSA signature");
        CLAVE_ENSURE(BN_bn2binpad(ECDSA_SIG_get0_r(es), sig, half) == half &&
                         BN_bn2binpad(ECDSA_SIG_get0_s(es), sig + half, half) == half,
                     CLAVE_ERR_CRYPTO, "cose: ECDSA signature component too large");
    }
    st = CLAVE_OK;
done:
    ECDSA_SIG_free(es);
    OPENSSL_free(der);
    EVP_MD_CTX_free(mctx);
    return st;
}

/* The protected header {1: alg} in canonical CBOR. */
static clave_status encode_protected(int64_t alg, uint8_t buf[COSE_PROTECTED_MAX], size_t *len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_writer w;
    clave_writer_init(&w, buf, COSE_PROTECTED_MAX);
    CLAVE_CHECK(clave__cbor_put_head(&w, CLAVE_CBOR_MAJOR_MAP, 1));
    CLAVE_CHECK(clave__cbor_put_head(&w, CLAVE_CBOR_MAJOR_UINT, COSE_LABEL_ALG));
    if (alg >= 0) {
        CLAVE_CHECK(clave__cbor_put_head(&w, CLAVE_CBOR_MAJOR_UINT, (uint64_t)alg));
    } else {
        CLAVE_CHECK(clave__cbor_put_head(&w, CLAVE_CBOR_MAJOR_NEGINT, (uint64_t)(-(alg + 1))));
    }
    *len = w.len;
    st = CLAVE_OK;
done:
    return st;
}

/* [tag 18] [protected, {}, payload / nil, signature] */
static clave_status encode_message(const uint8_t *prot, size_t prot_len, const uint8_t *payload,
                                   size_t payload_len, const uint8_t *sig, size_t sig_len,
                                   const struct clave_cose_sign_opts *o, uint8_t **out,
                                   size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_writer w;
    uint8_t *buf = NULL;
    size_t total = (size_t)(o->tagged ? 2 : 1) + bstr_len(prot_len) + 1 + bstr_len(sig_len);
    CLAVE_ENSURE(
        !__builtin_add_overflow(total, o->detached ? (size_t)1 : bstr_len(payload_len), &total),
        CLAVE_ERR_TOO_LARGE, "cose: message too large");
    buf = malloc(total);
    CLAVE_ENSURE_ALLOC(buf);
    clave_writer_init(&w, buf, total);
    if (o->tagged) {
        CLAVE_CHECK(clave__cbor_put_head(&w, CLAVE_CBOR_MAJOR_TAG, CLAVE_COSE_SIGN1_TAG));
    }
    CLAVE_CHECK(clave__cbor_put_head(&w, CLAVE_CBOR_MAJOR_ARRAY, COSE_ARRAY_LEN));
    CLAVE_CHECK(clave__cbor_put_head(&w, CLAVE_CBOR_MAJOR_BYTES, prot_len));
    CLAVE_CHECK(clave_writer_bytes(&w, prot, prot_len));
    CLAVE_CHECK(clave__cbor_put_head(&w, CLAVE_CBOR_MAJOR_MAP, 0));
    if (o->detached) {
        CLAVE_CHECK(clave_writer_u8(&w, 0xf6)); /* simple value 22: null */
    } else {
        CLAVE_CHECK(clave__cbor_put_head(&w, CLAVE_CBOR_MAJOR_BYTES, payload_len));
        CLAVE_CHECK(clave_writer_bytes(&w, payload, payload_len));
    }
    CLAVE_CHECK(clave__cbor_put_head(&w, CLAVE_CBOR_MAJOR_BYTES, sig_len));
    CLAVE_CHECK(clave_writer_bytes(&w, sig, sig_len));
    CLAVE_ENSURE(w.len == total, CLAVE_ERR_INTERNAL, "cose: message size mismatch");
    *out = buf;
    *out_len = total;
    buf = NULL;
    st = CLAVE_OK;
done:
    free(buf);
    return st;
}

clave_status clave__cose_sign1_sign_pkey(EVP_PKEY *pkey, int64_t alg, const uint8_t *payload,
                                         size_t payload_len,
                                         const struct clave_cose_sign_opts *opts, uint8_t **out,
                                         size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    static const struct clave_cose_sign_opts DEFAULTS = {0};
    const struct clave_cose_sign_opts *o = opts != NULL ? opts : &DEFAULTS;
    const struct alg_info *info = alg_lookup(alg);
    uint8_t prot[COSE_PROTECTED_MAX];
    size_t prot_len = 0;
    uint8_t sig[COSE_MAX_SIG_LEN];
    uint8_t *tbs = NULL;
    size_t tbs_len = 0;
    *out = NULL;
    *out_len = 0;
    CLAVE_ENSURE(info != NULL, CLAVE_ERR_UNSUPPORTED, "cose: unsupported alg %lld", (long long)alg);
    CLAVE_ENSURE(payload != NULL || payload_len == 0, CLAVE_ERR_ARG, "cose: NULL payload");
    CLAVE_CHECK(check_key(pkey, info));
    CLAVE_CHECK(encode_protected(alg, prot, &prot_len));
    CLAVE_CHECK(clave__cose_sig_structure(prot, prot_len, o->external_aad, o->external_aad_len,
                                          payload, payload_len, &tbs, &tbs_len));
    CLAVE_CHECK(sign_raw(pkey, info, tbs, tbs_len, sig));
    CLAVE_CHECK(
        encode_message(prot, prot_len, payload, payload_len, sig, info->sig_len, o, out, out_len));
    st = CLAVE_OK;
done:
    free(tbs);
    return st;
}

/* A private key from DER (PKCS#8 or traditional) or PEM. */
static clave_status load_private_key(const struct clave_secret *key, EVP_PKEY **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    static const char PEM_PREFIX[] = "-----BEGIN";
    const uint8_t *data = clave_secret_cdata(key);
    size_t len = clave_secret_len(key);
    BIO *bio = NULL;
    *out = NULL;
    CLAVE_ENSURE(len > 0 && len <= CLAVE_X509_MAX_DER_LEN, CLAVE_ERR_KEY,
                 "cose: private key missing or too large");
    if (len >= sizeof(PEM_PREFIX) - 1 &&
        memcmp(data, PEM_PREFIX, sizeof(PEM_PREFIX) - 1) == 0) { // lint:public
        bio = BIO_new_mem_buf(data, (int)len);
        CLAVE_ENSURE_ALLOC(bio);
        *out = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    } else {
        const unsigned char *p = data;
        *out = d2i_AutoPrivateKey(NULL, &p, (long)len);
    }
    ERR_clear_error();
    CLAVE_ENSURE(*out != NULL, CLAVE_ERR_KEY, "cose: malformed private key");
    st = CLAVE_OK;
done:
    BIO_free(bio);
    return st;
}

clave_status clave_cose_sign1_sign(const struct clave_secret *private_key, int64_t alg,
                                   const uint8_t *payload, size_t payload_len,
                                   const struct clave_cose_sign_opts *opts, uint8_t **out,
                                   size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    EVP_PKEY *pkey = NULL;
    *out = NULL;
    *out_len = 0;
    CLAVE_ENSURE(private_key != NULL, CLAVE_ERR_ARG, "cose: NULL private key");
    CLAVE_CHECK(load_private_key(private_key, &pkey));
    CLAVE_CHECK(clave__cose_sign1_sign_pkey(pkey, alg, payload, payload_len, opts, out, out_len));
    st = CLAVE_OK;
done:
    EVP_PKEY_free(pkey);
    return st;
}

clave_status clave__cose_identity_alg(const struct clave_pkey *key, int64_t *alg)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    enum clave_pkey_type type = clave_pkey_type(key);
    CLAVE_ENSURE(type == CLAVE_PKEY_ED25519 || type == CLAVE_PKEY_P256, CLAVE_ERR_KEY,
                 "cose: identity keys are Ed25519 or P-256");
    *alg = type == CLAVE_PKEY_ED25519 ? CLAVE_COSE_ALG_EDDSA : CLAVE_COSE_ALG_ES256;
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave__cose_protected_alg(int64_t alg, uint8_t *buf, size_t *len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_writer w;
    clave_writer_init(&w, buf, CLAVE__COSE_PROTECTED_ALG_MAX);
    CLAVE_ENSURE(alg == CLAVE_COSE_ALG_EDDSA || alg == CLAVE_COSE_ALG_ES256, CLAVE_ERR_UNSUPPORTED,
                 "cose: identity signatures are EdDSA or ES256");
    CLAVE_CHECK(clave__cbor_put_head(&w, CLAVE_CBOR_MAJOR_MAP, 1));
    CLAVE_CHECK(clave__cbor_put_head(&w, CLAVE_CBOR_MAJOR_UINT, 1));
    /* Both algorithms are negative: -8 (EdDSA) and -7 (ES256) are major 1 with value -1 - alg. */
    CLAVE_CHECK(clave__cbor_put_head(&w, CLAVE_CBOR_MAJOR_NEGINT, (uint64_t)(-1 - alg)));
    *len = w.len;
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave__cose_sign1_assemble(const uint8_t *protected_hdr, size_t protected_len,
                                        const uint8_t *payload, size_t payload_len,
                                        const uint8_t *sig, size_t sig_len, size_t max_len,
                                        uint8_t **out, size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_writer w;
    uint8_t *buf = malloc(max_len > 0 ? max_len : 1);
    CLAVE_ENSURE_ALLOC(buf);
    *out = NULL;
    *out_len = 0;
    clave_writer_init(&w, buf, max_len);
    CLAVE_CHECK(clave__cbor_put_head(&w, CLAVE_CBOR_MAJOR_TAG, CLAVE_COSE_SIGN1_TAG));
    CLAVE_CHECK(clave__cbor_put_head(&w, CLAVE_CBOR_MAJOR_ARRAY, 4));
    CLAVE_CHECK(clave__cbor_put_head(&w, CLAVE_CBOR_MAJOR_BYTES, protected_len));
    CLAVE_CHECK(clave_writer_bytes(&w, protected_hdr, protected_len));
    CLAVE_CHECK(clave__cbor_put_head(&w, CLAVE_CBOR_MAJOR_MAP, 0));
    CLAVE_CHECK(clave__cbor_put_head(&w, CLAVE_CBOR_MAJOR_BYTES, payload_len));
    CLAVE_CHECK(clave_writer_bytes(&w, payload, payload_len));
    CLAVE_CHECK(clave__cbor_put_head(&w, CLAVE_CBOR_MAJOR_BYTES, sig_len));
    CLAVE_CHECK(clave_writer_bytes(&w, sig, sig_len));
    *out = buf;
    *out_len = w.len;
    buf = NULL;
    st = CLAVE_OK;
done:
    free(buf);
    return st;
}
