/* SPDX-License-Identifier: Apache-2.0 */
/*
 * JWE (RFC 7516) with alg ECDH-ES+A256KW or RSA-OAEP-256 and enc A256GCM, in the compact and
 * the flattened JSON serialisations (RFC 7516 §7.1, §7.2.2).
 *
 * Decryption parses strictly before any key is touched: size cap, exactly five canonical
 * base64url parts (compact) or a closed set of members (flattened), and a protected header read
 * through the bounded JSON helper with "zip" and every "crit" refused. After parsing, every
 * failure of the key unwrap or of the GCM tag is the one generic CLAVE_ERR_AUTH.
 */
#include "core/check.h"
#include "crypto/jwe_keymgmt.h"
#include "crypto/jwk.h"

#include <clave/crypto.h>
#include <clave/encoding.h>
#include <clave/jose.h>
#include <clave/json.h>
#include <stdlib.h>
#include <string.h>

#define JWE_ALG_ECDH "ECDH-ES+A256KW"
#define JWE_ALG_RSA "RSA-OAEP-256"
#define JWE_ENC "A256GCM"
#define JWE_CEK_LEN CLAVE_AEAD_KEY_LEN
#define JWE_KEK_LEN 32                                         /* A256KW */
#define JWE_WRAPPED_LEN (JWE_CEK_LEN + CLAVE_JOSE_KW_OVERHEAD) /* 40 */
#define JWE_HEADER_MAX_LEN 8192                                /* decoded protected header */
#define JWE_HEADER_MAX_DEPTH 4                                 /* header { epk { } } */
#define JWE_PARTS 5
_Static_assert(JWE_CEK_LEN == 32, "A256GCM key");

/* The five parts, decoded, plus the base64url text the GCM AAD is computed over. */
struct jwe_msg {
    uint8_t *header;
    size_t header_len;
    const char *header_b64; /* borrowed from the input or the JSON document */
    size_t header_b64_len;
    uint8_t *ek;
    size_t ek_len;
    uint8_t *iv;
    size_t iv_len;
    uint8_t *ct;
    size_t ct_len;
    uint8_t *tag;
    size_t tag_len;
    const char *aad_b64; /* flattened only; NULL if absent */
    size_t aad_b64_len;
};

static void msg_free(struct jwe_msg *msg)
{
    free(msg->header);
    free(msg->ek);
    free(msg->iv);
    free(msg->ct);
    free(msg->tag);
}

/* The protected header members this implementation acts on (others are ignored). */
struct jwe_header {
    json_t *doc;
    const char *alg;
    const char *enc;
    const json_t *epk;
    uint8_t *apu;
    size_t apu_len;
    uint8_t *apv;
    size_t apv_len;
};

static void header_free(struct jwe_header *hdr)
{
    json_decref(hdr->doc);
    free(hdr->apu);
    free(hdr->apv);
}

/* ---- parsing --------------------------------------------------------------------------- */

static clave_status decode_part(const char *text, size_t len, const char *what, uint8_t **out,
                                size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_CHECK_CTX(clave_b64_decode_alloc(CLAVE_B64URL, text, len, out, out_len), "jwe: %s", what);
    st = CLAVE_OK;
done:
    return st;
}

/* Compact (RFC 7516 §7.1): BASE64URL(header).BASE64URL(ek).BASE64URL(iv).BASE64URL(ct).
 * BASE64URL(tag) — exactly four dots. */
static clave_status parse_compact(const char *jwe, size_t len, struct jwe_msg *msg)
{
    static const char *const NAMES[JWE_PARTS] = {"protected", "encrypted_key", "iv", "ciphertext",
                                                 "tag"};
    clave_status st = CLAVE_ERR_INTERNAL;
    size_t start[JWE_PARTS + 1] = {0};
    size_t dots = 0;
    for (size_t i = 0; i < len; i++) {
        if (jwe[i] == '.') {
            CLAVE_ENSURE(dots < JWE_PARTS - 1, CLAVE_ERR_FORMAT, "jwe: more than %d parts",
                         JWE_PARTS);
            start[++dots] = i + 1;
        }
    }
    CLAVE_ENSURE(dots == JWE_PARTS - 1, CLAVE_ERR_FORMAT, "jwe: %zu parts, expected %d", dots + 1,
                 JWE_PARTS);
    start[JWE_PARTS] = len + 1;
    uint8_t **outs[JWE_PARTS] = {&msg->header, &msg->ek, &msg->iv, &msg->ct, &msg->tag};
    size_t *lens[JWE_PARTS] = {&msg->header_len, &msg->ek_len, &msg->iv_len, &msg->ct_len,
                               &msg->tag_len};
    for (size_t i = 0; i < JWE_PARTS; i++) {
        CLAVE_CHECK(
            decode_part(jwe + start[i], start[i + 1] - 1 - start[i], NAMES[i], outs[i], lens[i]));
    }
    msg->header_b64 = jwe;
    msg->header_b64_len = start[1] - 1;
    st = CLAVE_OK;
done:
    return st;
}

static clave_status get_part(const json_t *doc, const char *name, bool required, uint8_t **out,
                             size_t *out_len)
{
    return clave_json_get_b64url(doc, "jwe", name, required, CLAVE_JWE_MAX_LEN, out, out_len);
}

/* Flattened JSON (RFC 7516 §7.2.2). Unprotected headers are refused: every header member this
 * code acts on must be integrity protected. */
static clave_status parse_flattened(const char *jwe, size_t len, json_t **doc, struct jwe_msg *msg)
{
    static const char *const ALLOWED[] = {"protected", "encrypted_key", "iv", "ciphertext",
                                          "tag",       "aad",           NULL};
    clave_status st = CLAVE_ERR_INTERNAL;
    const struct clave_json_limits limits = {CLAVE_JWE_MAX_LEN, JWE_HEADER_MAX_DEPTH};
    const char *text = NULL;
    CLAVE_CHECK(clave_json_parse(jwe, len, &limits, "jwe", doc));
    CLAVE_CHECK(clave_json_expect_object(*doc, "jwe"));
    CLAVE_ENSURE(json_object_get(*doc, "recipients") == NULL, CLAVE_ERR_UNSUPPORTED,
                 "jwe: general JSON serialisation");
    CLAVE_ENSURE(json_object_get(*doc, "header") == NULL &&
                     json_object_get(*doc, "unprotected") == NULL,
                 CLAVE_ERR_UNSUPPORTED, "jwe: unprotected header");
    CLAVE_CHECK(clave_json_only_keys(*doc, "jwe", ALLOWED));
    CLAVE_CHECK(clave_json_get_string(*doc, "jwe", "protected", true,
                                      clave_b64_len(CLAVE_B64URL, JWE_HEADER_MAX_LEN), &text));
    msg->header_b64 = text;
    msg->header_b64_len = strlen(text);
    CLAVE_CHECK(
        decode_part(text, msg->header_b64_len, "protected", &msg->header, &msg->header_len));
    CLAVE_CHECK(get_part(*doc, "encrypted_key", true, &msg->ek, &msg->ek_len));
    CLAVE_CHECK(get_part(*doc, "iv", true, &msg->iv, &msg->iv_len));
    CLAVE_CHECK(get_part(*doc, "ciphertext", true, &msg->ct, &msg->ct_len));
    CLAVE_CHECK(get_part(*doc, "tag", true, &msg->tag, &msg->tag_len));
    CLAVE_CHECK(clave_json_get_string(*doc, "jwe", "aad", false, CLAVE_JWE_MAX_LEN, &text));
    if (text != NULL) {
        uint8_t *aad = NULL;
        size_t aad_len = 0;
        CLAVE_CHECK(decode_part(text, strlen(text), "aad", &aad, &aad_len)); /* canonical */
        free(aad);
        msg->aad_b64 = text;
        msg->aad_b64_len = strlen(text);
    }
    st = CLAVE_OK;
done:
    return st;
}

/* RFC 7516 §4.1 header checks: supported alg and enc, no "zip", no "crit" (this code
 * understands no extension, so any critical one must be refused, §4.1.11). */
static clave_status parse_header(const struct jwe_msg *msg, struct jwe_header *hdr)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const struct clave_json_limits limits = {JWE_HEADER_MAX_LEN, JWE_HEADER_MAX_DEPTH};
    CLAVE_ENSURE(msg->header_len > 0, CLAVE_ERR_FORMAT, "jwe: empty protected header");
    CLAVE_CHECK(clave_json_parse((const char *)msg->header, msg->header_len, &limits,
                                 "jwe.protected", &hdr->doc));
    CLAVE_CHECK(clave_json_expect_object(hdr->doc, "jwe.protected"));
    CLAVE_ENSURE(json_object_get(hdr->doc, "zip") == NULL, CLAVE_ERR_UNSUPPORTED,
                 "jwe.protected.zip: compression is not supported");
    CLAVE_ENSURE(json_object_get(hdr->doc, "crit") == NULL, CLAVE_ERR_UNSUPPORTED,
                 "jwe.protected.crit: no critical extension is understood");
    CLAVE_CHECK(clave_json_get_string(hdr->doc, "jwe.protected", "alg", true, 32, &hdr->alg));
    CLAVE_CHECK(clave_json_get_string(hdr->doc, "jwe.protected", "enc", true, 32, &hdr->enc));
    CLAVE_ENSURE(strcmp(hdr->enc, JWE_ENC) == 0, CLAVE_ERR_UNSUPPORTED,
                 "jwe.protected.enc: %.32s is not supported", hdr->enc);
    CLAVE_ENSURE(strcmp(hdr->alg, JWE_ALG_ECDH) == 0 || strcmp(hdr->alg, JWE_ALG_RSA) == 0,
                 CLAVE_ERR_UNSUPPORTED, "jwe.protected.alg: %.32s is not supported", hdr->alg);
    json_t *epk = NULL;
    CLAVE_CHECK(clave_json_get_object(hdr->doc, "jwe.protected", "epk", false, &epk));
    hdr->epk = epk;
    CLAVE_CHECK(clave_json_get_b64url(hdr->doc, "jwe.protected", "apu", false,
                                      CLAVE_JOSE_APU_MAX_LEN, &hdr->apu, &hdr->apu_len));
    CLAVE_CHECK(clave_json_get_b64url(hdr->doc, "jwe.protected", "apv", false,
                                      CLAVE_JOSE_APU_MAX_LEN, &hdr->apv, &hdr->apv_len));
    st = CLAVE_OK;
done:
    return st;
}

/* ---- key management -------------------------------------------------------------------- */

static bool is_ecdh_key(const struct clave_jwk *key)
{
    return key->type == CLAVE_JWK_EC_P256 || key->type == CLAVE_JWK_EC_P384 ||
           key->type == CLAVE_JWK_OKP_X25519;
}

/* KEK = Concat KDF(ECDH(priv, pub)), AlgorithmID = the "alg" value (RFC 7518 §4.6.2: key
 * agreement with key wrapping uses "alg", not "enc"). */
static clave_status ecdh_kek(EVP_PKEY *priv, EVP_PKEY *pub, const struct jwe_header *hdr,
                             uint8_t kek[JWE_KEK_LEN])
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t z[CLAVE_JOSE_ECDH_MAX_LEN];
    size_t z_len = 0;
    CLAVE_CHECK(clave__jose_ecdh(priv, pub, z, &z_len));
    CLAVE_CHECK(clave__jose_concat_kdf(z, z_len, JWE_ALG_ECDH, hdr->apu, hdr->apu_len, hdr->apv,
                                       hdr->apv_len, kek, JWE_KEK_LEN));
    st = CLAVE_OK;
done:
    clave_wipe(z, sizeof(z));
    return st;
}

/* ECDH-ES+A256KW, recipient side: the epk must be a public key on the recipient's curve. */
static clave_status unwrap_ecdh(const struct clave_jwk *key, const struct jwe_header *hdr,
                                const struct jwe_msg *msg, uint8_t cek[JWE_CEK_LEN])
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_jwk *epk = NULL;
    uint8_t kek[JWE_KEK_LEN];
    CLAVE_ENSURE(is_ecdh_key(key), CLAVE_ERR_KEY, "jwe: %s needs an EC or X25519 key",
                 JWE_ALG_ECDH);
    CLAVE_ENSURE(hdr->epk != NULL, CLAVE_ERR_FORMAT, "jwe.protected.epk: missing");
    CLAVE_CHECK(clave__jwk_from_object(hdr->epk, "jwe.protected.epk", &epk));
    CLAVE_ENSURE(epk->type == key->type, CLAVE_ERR_KEY,
                 "jwe.protected.epk: curve does not match the key");
    CLAVE_ENSURE(!epk->has_private, CLAVE_ERR_FORMAT, "jwe.protected.epk: private member");
    CLAVE_ENSURE(msg->ek_len == JWE_WRAPPED_LEN, CLAVE_ERR_FORMAT,
                 "jwe: encrypted key of %zu bytes, expected %d", msg->ek_len, JWE_WRAPPED_LEN);
    if (ecdh_kek(key->pkey, epk->pkey, hdr, kek) != CLAVE_OK ||
        clave__jose_aes_kw_unwrap(kek, sizeof(kek), msg->ek, msg->ek_len, cek, JWE_CEK_LEN) !=
            CLAVE_OK) {
        CLAVE_RAISE(CLAVE_ERR_AUTH, "jwe: decryption failed");
    }
    st = CLAVE_OK;
done:
    clave_wipe(kek, sizeof(kek));
    clave_jwk_free(epk);
    return st;
}

/* RSA-OAEP-256, recipient side. A failed OAEP decryption continues with a random CEK so that
 * it is indistinguishable from a bad tag (RFC 7516 §11.5). */
static clave_status unwrap_rsa(const struct clave_jwk *key, const struct jwe_msg *msg,
                               uint8_t cek[JWE_CEK_LEN])
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(key->type == CLAVE_JWK_RSA, CLAVE_ERR_KEY, "jwe: %s needs an RSA key",
                 JWE_ALG_RSA);
    CLAVE_ENSURE(msg->ek_len == (size_t)EVP_PKEY_get_size(key->pkey), CLAVE_ERR_FORMAT,
                 "jwe: encrypted key of %zu bytes does not match the modulus", msg->ek_len);
    if (clave__jose_rsa_oaep_decrypt(key->pkey, msg->ek, msg->ek_len, cek, JWE_CEK_LEN) !=
        CLAVE_OK) {
        CLAVE_CHECK(clave_random(cek, JWE_CEK_LEN));
    }
    st = CLAVE_OK;
done:
    return st;
}

/* ---- decryption ------------------------------------------------------------------------ */

/* ASCII(BASE64URL(protected)) [|| '.' || BASE64URL(aad)] (RFC 7516 §5.2 steps 14-15). */
static clave_status gcm_aad(const struct jwe_msg *msg, char **out, size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    size_t len = msg->header_b64_len;
    char *buf = NULL;
    *out = NULL;
    if (msg->aad_b64 != NULL) {
        CLAVE_ENSURE(!__builtin_add_overflow(len, msg->aad_b64_len + 1, &len), CLAVE_ERR_LIMIT,
                     "jwe: aad too long");
    }
    buf = malloc(len + 1);
    CLAVE_ENSURE_ALLOC(buf);
    memcpy(buf, msg->header_b64, msg->header_b64_len);
    if (msg->aad_b64 != NULL) {
        buf[msg->header_b64_len] = '.';
        memcpy(buf + msg->header_b64_len + 1, msg->aad_b64, msg->aad_b64_len);
    }
    buf[len] = '\0';
    *out = buf;
    *out_len = len;
    buf = NULL;
    st = CLAVE_OK;
done:
    free(buf);
    return st;
}

static clave_status open_content(const uint8_t cek[JWE_CEK_LEN], const struct jwe_msg *msg,
                                 struct clave_secret **pt)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_aead *aead = NULL;
    struct clave_secret *out = NULL;
    char *aad = NULL;
    size_t aad_len = 0;
    CLAVE_CHECK(gcm_aad(msg, &aad, &aad_len));
    CLAVE_CHECK(clave_aead_new(CLAVE_AEAD_AES256GCM, cek, &aead));
    CLAVE_CHECK(clave_secret_new(msg->ct_len, &out));
    if (clave_aead_open(aead, msg->iv, (const uint8_t *)aad, aad_len, msg->ct, msg->ct_len,
                        msg->tag, clave_secret_data(out)) != CLAVE_OK) {
        CLAVE_RAISE(CLAVE_ERR_AUTH, "jwe: decryption failed");
    }
    *pt = out;
    out = NULL;
    st = CLAVE_OK;
done:
    clave_secret_free(out);
    clave_aead_free(aead);
    free(aad);
    return st;
}

static clave_status parse_message(const char *jwe, size_t jwe_len, json_t **doc,
                                  struct jwe_msg *msg, struct jwe_header *hdr)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    size_t first = 0;
    while (first < jwe_len &&
           (jwe[first] == ' ' || jwe[first] == '\t' || jwe[first] == '\r' || jwe[first] == '\n')) {
        first++;
    }
    if (first < jwe_len && jwe[first] == '{') {
        CLAVE_CHECK(parse_flattened(jwe, jwe_len, doc, msg));
    } else {
        CLAVE_CHECK(parse_compact(jwe, jwe_len, msg));
    }
    CLAVE_CHECK(parse_header(msg, hdr));
    CLAVE_ENSURE(msg->iv_len == CLAVE_AEAD_NONCE_LEN, CLAVE_ERR_FORMAT, "jwe: iv of %zu bytes",
                 msg->iv_len);
    CLAVE_ENSURE(msg->tag_len == CLAVE_AEAD_TAG_LEN, CLAVE_ERR_FORMAT, "jwe: tag of %zu bytes",
                 msg->tag_len);
    CLAVE_ENSURE(msg->ct_len > 0 && msg->ct_len <= CLAVE_SECRET_MAX_LEN, CLAVE_ERR_TOO_LARGE,
                 "jwe: ciphertext of %zu bytes outside 1..%zu", msg->ct_len, CLAVE_SECRET_MAX_LEN);
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_jwe_decrypt(const struct clave_jwk *key, const char *jwe, size_t jwe_len,
                               struct clave_secret **pt)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct jwe_msg msg = {0};
    struct jwe_header hdr = {0};
    json_t *doc = NULL;
    uint8_t cek[JWE_CEK_LEN];
    *pt = NULL;
    CLAVE_ENSURE(key != NULL && jwe != NULL, CLAVE_ERR_ARG, "jwe: no key or input");
    CLAVE_ENSURE(jwe_len <= CLAVE_JWE_MAX_LEN, CLAVE_ERR_TOO_LARGE,
                 "jwe: %zu bytes exceed the limit %zu", jwe_len, CLAVE_JWE_MAX_LEN);
    CLAVE_CHECK(parse_message(jwe, jwe_len, &doc, &msg, &hdr));
    CLAVE_ENSURE(key->has_private && key->pkey != NULL, CLAVE_ERR_KEY,
                 "jwe: decryption needs a private EC, X25519 or RSA key");
    if (strcmp(hdr.alg, JWE_ALG_ECDH) == 0) {
        CLAVE_CHECK(unwrap_ecdh(key, &hdr, &msg, cek));
    } else {
        CLAVE_CHECK(unwrap_rsa(key, &msg, cek));
    }
    CLAVE_CHECK(open_content(cek, &msg, pt));
    st = CLAVE_OK;
done:
    clave_wipe(cek, sizeof(cek));
    header_free(&hdr);
    msg_free(&msg);
    json_decref(doc);
    return st;
}

/* ---- encryption ------------------------------------------------------------------------ */

/* ECDH-ES+A256KW, sender side: a fresh ephemeral key on the recipient's curve, its public part
 * in "epk", and the CEK wrapped under the derived KEK. */
static clave_status wrap_ecdh(const struct clave_jwk *recipient, const uint8_t cek[JWE_CEK_LEN],
                              json_t *header, uint8_t **ek, size_t *ek_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    EVP_PKEY_CTX *ctx = NULL;
    EVP_PKEY *eph = NULL;
    struct clave_jwk *eph_jwk = NULL;
    json_t *epk = NULL;
    const struct jwe_header no_party_info = {0};
    uint8_t kek[JWE_KEK_LEN];
    CLAVE_ENSURE(is_ecdh_key(recipient), CLAVE_ERR_KEY, "jwe: %s needs an EC or X25519 key",
                 JWE_ALG_ECDH);
    ctx = EVP_PKEY_CTX_new_from_pkey(NULL, recipient->pkey, NULL);
    CLAVE_ENSURE_ALLOC(ctx);
    CLAVE_CHECK_OSSL(EVP_PKEY_keygen_init(ctx), CLAVE_ERR_CRYPTO, "jwe: ephemeral key");
    CLAVE_CHECK_OSSL(EVP_PKEY_keygen(ctx, &eph), CLAVE_ERR_CRYPTO, "jwe: ephemeral key");
    CLAVE_CHECK(ecdh_kek(eph, recipient->pkey, &no_party_info, kek));
    *ek = malloc(JWE_WRAPPED_LEN);
    CLAVE_ENSURE_ALLOC(*ek);
    CLAVE_CHECK(clave__jose_aes_kw_wrap(kek, sizeof(kek), cek, JWE_CEK_LEN, *ek, JWE_WRAPPED_LEN));
    *ek_len = JWE_WRAPPED_LEN;
    CLAVE_CHECK(clave__jwk_from_pkey(recipient->type, eph, false, &eph_jwk));
    eph = NULL;
    CLAVE_CHECK(clave__jwk_public_object(eph_jwk, &epk));
    CLAVE_ENSURE(json_object_set_new(header, "epk", epk) == 0, CLAVE_ERR_NOMEM, "jwe: header");
    epk = NULL;
    st = CLAVE_OK;
done:
    clave_wipe(kek, sizeof(kek));
    json_decref(epk);
    clave_jwk_free(eph_jwk); /* frees the ephemeral private key */
    EVP_PKEY_free(eph);
    EVP_PKEY_CTX_free(ctx);
    return st;
}

static clave_status wrap_rsa(const struct clave_jwk *recipient, const uint8_t cek[JWE_CEK_LEN],
                             uint8_t **ek, size_t *ek_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(recipient->type == CLAVE_JWK_RSA, CLAVE_ERR_KEY, "jwe: %s needs an RSA key",
                 JWE_ALG_RSA);
    CLAVE_CHECK(clave__jose_rsa_oaep_encrypt(recipient->pkey, cek, JWE_CEK_LEN, ek, ek_len));
    st = CLAVE_OK;
done:
    return st;
}

/* The protected header {"alg","enc"[,"kid"][,"epk"]} with the CEK wrapped for `recipient`. */
static clave_status build_header(const struct clave_jwk *recipient, const char *alg,
                                 const uint8_t cek[JWE_CEK_LEN], char **header_b64, uint8_t **ek,
                                 size_t *ek_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *header = json_object();
    char *text = NULL;
    CLAVE_ENSURE_ALLOC(header);
    CLAVE_ENSURE(json_object_set_new(header, "alg", json_string(alg)) == 0 &&
                     json_object_set_new(header, "enc", json_string(JWE_ENC)) == 0,
                 CLAVE_ERR_NOMEM, "jwe: header");
    if (recipient->has_kid) {
        CLAVE_ENSURE(json_object_set_new(header, "kid", json_string(recipient->kid)) == 0,
                     CLAVE_ERR_KEY, "jwe: kid is not valid UTF-8");
    }
    if (strcmp(alg, JWE_ALG_ECDH) == 0) {
        CLAVE_CHECK(wrap_ecdh(recipient, cek, header, ek, ek_len));
    } else {
        CLAVE_CHECK(wrap_rsa(recipient, cek, ek, ek_len));
    }
    text = json_dumps(header, JSON_COMPACT);
    CLAVE_ENSURE_ALLOC(text);
    CLAVE_CHECK(
        clave_b64_encode_alloc(CLAVE_B64URL, (const uint8_t *)text, strlen(text), header_b64));
    st = CLAVE_OK;
done:
    free(text);
    json_decref(header);
    return st;
}

/* Base64url of each binary part: encrypted_key, iv, ciphertext, tag. */
struct jwe_text {
    char *header;
    char *ek;
    char *iv;
    char *ct;
    char *tag;
    char *aad;
};

static void text_free(struct jwe_text *t)
{
    free(t->header);
    free(t->ek);
    free(t->iv);
    free(t->ct);
    free(t->tag);
    free(t->aad);
}

static clave_status serialise_compact(const struct jwe_text *t, char **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const char *parts[JWE_PARTS] = {t->header, t->ek, t->iv, t->ct, t->tag};
    size_t len = 0;
    char *buf = NULL;
    for (size_t i = 0; i < JWE_PARTS; i++) {
        len += strlen(parts[i]) + 1; /* '.' or the NUL */
    }
    buf = malloc(len);
    CLAVE_ENSURE_ALLOC(buf);
    size_t pos = 0;
    for (size_t i = 0; i < JWE_PARTS; i++) {
        size_t n = strlen(parts[i]);
        memcpy(buf + pos, parts[i], n);
        pos += n;
        buf[pos++] = i + 1 < JWE_PARTS ? '.' : '\0';
    }
    *out = buf;
    st = CLAVE_OK;
done:
    return st;
}

static clave_status serialise_flattened(const struct jwe_text *t, char **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:s}", "protected", t->header, "encrypted_key",
                            t->ek, "iv", t->iv, "ciphertext", t->ct, "tag", t->tag);
    CLAVE_ENSURE_ALLOC(doc);
    if (t->aad != NULL) {
        CLAVE_ENSURE(json_object_set_new(doc, "aad", json_string(t->aad)) == 0, CLAVE_ERR_NOMEM,
                     "jwe: aad");
    }
    *out = json_dumps(doc, JSON_COMPACT);
    CLAVE_ENSURE_ALLOC(*out);
    st = CLAVE_OK;
done:
    json_decref(doc);
    return st;
}

static clave_status check_encrypt_args(const struct clave_jwk *recipient, const char *alg,
                                       const uint8_t *pt, size_t pt_len, const uint8_t *aad,
                                       size_t aad_len, enum clave_jwe_format format)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(recipient != NULL && alg != NULL && pt != NULL, CLAVE_ERR_ARG,
                 "jwe: missing argument");
    CLAVE_ENSURE(format == CLAVE_JWE_COMPACT || format == CLAVE_JWE_FLATTENED, CLAVE_ERR_ARG,
                 "jwe: unknown format %d", (int)format);
    CLAVE_ENSURE(aad != NULL || aad_len == 0, CLAVE_ERR_ARG, "jwe: aad length without aad");
    CLAVE_ENSURE(aad == NULL || format == CLAVE_JWE_FLATTENED, CLAVE_ERR_ARG,
                 "jwe: aad needs the flattened JSON serialisation");
    CLAVE_ENSURE(aad_len <= CLAVE_JWE_MAX_LEN / 2, CLAVE_ERR_TOO_LARGE, "jwe: aad too long");
    CLAVE_ENSURE(strcmp(alg, JWE_ALG_ECDH) == 0 || strcmp(alg, JWE_ALG_RSA) == 0,
                 CLAVE_ERR_UNSUPPORTED, "jwe: alg %.32s is not supported", alg);
    /* What is encrypted must decrypt into a clave_secret. */
    CLAVE_ENSURE(pt_len > 0 && pt_len <= CLAVE_SECRET_MAX_LEN, CLAVE_ERR_TOO_LARGE,
                 "jwe: plaintext of %zu bytes outside 1..%zu", pt_len, CLAVE_SECRET_MAX_LEN);
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_jwe_encrypt(const struct clave_jwk *recipient, const char *alg,
                               const uint8_t *pt, size_t pt_len, const uint8_t *aad, size_t aad_len,
                               enum clave_jwe_format format, char **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct jwe_text t = {0};
    struct jwe_msg msg = {0};
    struct clave_aead *aead = NULL;
    uint8_t cek[JWE_CEK_LEN];
    uint8_t iv[CLAVE_AEAD_NONCE_LEN];
    uint8_t tag[CLAVE_AEAD_TAG_LEN];
    char *gcm = NULL;
    size_t gcm_len = 0;
    *out = NULL;
    CLAVE_CHECK(check_encrypt_args(recipient, alg, pt, pt_len, aad, aad_len, format));
    CLAVE_CHECK(clave_random(cek, sizeof(cek)));
    CLAVE_CHECK(clave_random(iv, sizeof(iv)));
    CLAVE_CHECK(build_header(recipient, alg, cek, &t.header, &msg.ek, &msg.ek_len));
    if (aad != NULL) {
        CLAVE_CHECK(clave_b64_encode_alloc(CLAVE_B64URL, aad, aad_len, &t.aad));
    }
    msg.header_b64 = t.header;
    msg.header_b64_len = strlen(t.header);
    msg.aad_b64 = t.aad;
    msg.aad_b64_len = t.aad != NULL ? strlen(t.aad) : 0;
    CLAVE_CHECK(gcm_aad(&msg, &gcm, &gcm_len));
    msg.ct = malloc(pt_len);
    CLAVE_ENSURE_ALLOC(msg.ct);
    CLAVE_CHECK(clave_aead_new(CLAVE_AEAD_AES256GCM, cek, &aead));
    CLAVE_CHECK(clave_aead_seal(aead, iv, (const uint8_t *)gcm, gcm_len, pt, pt_len, msg.ct, tag));
    CLAVE_CHECK(clave_b64_encode_alloc(CLAVE_B64URL, msg.ek, msg.ek_len, &t.ek));
    CLAVE_CHECK(clave_b64_encode_alloc(CLAVE_B64URL, iv, sizeof(iv), &t.iv));
    CLAVE_CHECK(clave_b64_encode_alloc(CLAVE_B64URL, msg.ct, pt_len, &t.ct));
    CLAVE_CHECK(clave_b64_encode_alloc(CLAVE_B64URL, tag, sizeof(tag), &t.tag));
    if (format == CLAVE_JWE_COMPACT) {
        CLAVE_CHECK(serialise_compact(&t, out));
    } else {
        CLAVE_CHECK(serialise_flattened(&t, out));
    }
    st = CLAVE_OK;
done:
    clave_wipe(cek, sizeof(cek));
    clave_aead_free(aead);
    free(gcm);
    msg_free(&msg);
    text_free(&t);
    return st;
}
