/* SPDX-License-Identifier: Apache-2.0 */
#include "testlib.h"

#include "crypto/jwe_keymgmt.h"
#include "crypto/jwk.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

static json_t *load_vector(const char *name)
{
    char rel[128];
    size_t len = 0;
    (void)snprintf(rel, sizeof(rel), "jose/%s", name);
    uint8_t *text = t_read_file(t_test_vector(rel), &len);
    json_error_t err;
    json_t *doc = json_loadb((const char *)text, len, 0, &err);
    free(text);
    assert_non_null(doc);
    return doc;
}

static const char *str(const json_t *obj, const char *name)
{
    const char *s = json_string_value(json_object_get(obj, name));
    assert_non_null(s);
    return s;
}

static struct clave_jwk *jwk_member(const json_t *doc, const char *name)
{
    struct clave_jwk *key = NULL;
    char *text = json_dumps(json_object_get(doc, name), JSON_COMPACT);
    assert_non_null(text);
    T_OK(clave_jwk_parse(text, strlen(text), &key));
    free(text);
    return key;
}

static uint8_t *b64(const char *text, size_t *len)
{
    uint8_t *out = NULL;
    T_OK(clave_b64_decode_alloc(CLAVE_B64URL, text, strlen(text), &out, len));
    return out;
}

/* ---- known answers ---- */

static void test_rfc7518_appendix_c(void **state)
{
    (void)state;
    json_t *v = load_vector("rfc7518_appendix_c.json");
    struct clave_jwk *alice = jwk_member(v, "alice_ephemeral");
    struct clave_jwk *bob = jwk_member(v, "bob");
    uint8_t z1[CLAVE_JOSE_ECDH_MAX_LEN], z2[CLAVE_JOSE_ECDH_MAX_LEN], derived[16];
    size_t z1_len = 0, z2_len = 0, apu_len = 0, apv_len = 0, expect_len = 0;
    T_OK(clave__jose_ecdh(alice->pkey, bob->pkey, z1, &z1_len));
    T_OK(clave__jose_ecdh(bob->pkey, alice->pkey, z2, &z2_len));
    assert_int_equal(z1_len, 32);
    assert_memory_equal(z1, z2, 32);
    uint8_t *apu = b64(str(v, "apu"), &apu_len);
    uint8_t *apv = b64(str(v, "apv"), &apv_len);
    assert_int_equal(json_integer_value(json_object_get(v, "keydatalen")), 8 * sizeof(derived));
    T_OK(clave__jose_concat_kdf(z1, z1_len, str(v, "algorithm_id"), apu, apu_len, apv, apv_len,
                                derived, sizeof(derived)));
    uint8_t *expect = b64(str(v, "derived_key"), &expect_len);
    assert_int_equal(expect_len, sizeof(derived));
    assert_memory_equal(derived, expect, sizeof(derived));
    free(expect);
    free(apu);
    free(apv);
    clave_jwk_free(alice);
    clave_jwk_free(bob);
    json_decref(v);
}

/* A raw X25519 key (hex) as a JWK. */
static struct clave_jwk *x25519_jwk(const char *member, const char *hex)
{
    size_t len = 0;
    uint8_t *raw = t_hex(hex, &len);
    char *text = NULL;
    T_OK(clave_b64_encode_alloc(CLAVE_B64URL, raw, len, &text));
    char json[256];
    struct clave_jwk *key = NULL;
    if (strcmp(member, "d") == 0) {
        EVP_PKEY *pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, raw, len);
        uint8_t pub[32];
        size_t pub_len = sizeof(pub);
        assert_int_equal(EVP_PKEY_get_raw_public_key(pkey, pub, &pub_len), 1);
        char *x = NULL;
        T_OK(clave_b64_encode_alloc(CLAVE_B64URL, pub, pub_len, &x));
        (void)snprintf(json, sizeof(json),
                       "{\"kty\":\"OKP\",\"crv\":\"X25519\",\"x\":\"%s\",\"d\":\"%s\"}", x, text);
        free(x);
        EVP_PKEY_free(pkey);
    } else {
        (void)snprintf(json, sizeof(json), "{\"kty\":\"OKP\",\"crv\":\"X25519\",\"x\":\"%s\"}",
                       text);
    }
    T_OK(clave_jwk_parse(json, strlen(json), &key));
    free(text);
    free(raw);
    return key;
}

static void test_rfc8037_x25519(void **state)
{
    (void)state;
    json_t *v = load_vector("rfc8037_appendix_a.json");
    json_t *x = json_object_get(v, "x25519");
    struct clave_jwk *eph = x25519_jwk("d", str(x, "ephemeral_secret_hex"));
    struct clave_jwk *bob = x25519_jwk("x", str(x, "bob_public_hex"));
    char *pub = NULL;
    T_OK(clave_jwk_export_public(eph, &pub));
    size_t eph_len = 0;
    uint8_t *eph_pub = t_hex(str(x, "ephemeral_public_hex"), &eph_len);
    char *eph_b64 = NULL;
    T_OK(clave_b64_encode_alloc(CLAVE_B64URL, eph_pub, eph_len, &eph_b64));
    assert_non_null(strstr(pub, eph_b64));
    uint8_t z[CLAVE_JOSE_ECDH_MAX_LEN];
    size_t z_len = 0, expect_len = 0;
    T_OK(clave__jose_ecdh(eph->pkey, bob->pkey, z, &z_len));
    uint8_t *expect = t_hex(str(x, "z_hex"), &expect_len);
    assert_int_equal(z_len, expect_len);
    assert_memory_equal(z, expect, z_len);
    free(expect);
    free(eph_b64);
    free(eph_pub);
    free(pub);
    clave_jwk_free(eph);
    clave_jwk_free(bob);
    json_decref(v);
}

/* AES-128-GCM with OpenSSL directly: the cookbook's content encryption, which clave's JWE does
 * not offer. */
static void gcm128_open(const uint8_t *key, const uint8_t *iv, size_t iv_len, const char *aad,
                        const uint8_t *ct, size_t ct_len, const uint8_t *tag, uint8_t *pt)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n = 0;
    assert_non_null(ctx);
    assert_int_equal(EVP_DecryptInit_ex(ctx, EVP_aes_128_gcm(), NULL, NULL, NULL), 1);
    assert_int_equal(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, (int)iv_len, NULL), 1);
    assert_int_equal(EVP_DecryptInit_ex(ctx, NULL, NULL, key, iv), 1);
    assert_int_equal(EVP_DecryptUpdate(ctx, NULL, &n, (const uint8_t *)aad, (int)strlen(aad)), 1);
    assert_int_equal(EVP_DecryptUpdate(ctx, pt, &n, ct, (int)ct_len), 1);
    assert_int_equal(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, (void *)(uintptr_t)tag), 1);
    assert_int_equal(EVP_DecryptFinal_ex(ctx, pt + n, &n), 1);
    EVP_CIPHER_CTX_free(ctx);
}

static void test_rfc7520_5_4(void **state)
{
    (void)state;
    json_t *v = load_vector("rfc7520_5_4.json");
    struct clave_jwk *key = jwk_member(v, "key");
    struct clave_jwk *epk = jwk_member(v, "epk");
    assert_int_equal(clave_jwk_type(key), CLAVE_JWK_EC_P384);
    uint8_t z[CLAVE_JOSE_ECDH_MAX_LEN], z_sender[CLAVE_JOSE_ECDH_MAX_LEN], kek[16], cek[16];
    size_t z_len = 0, z_sender_len = 0, n = 0;
    /* Recipient: its d with the epk; sender: the ephemeral d with the recipient's public key. */
    T_OK(clave__jose_ecdh(key->pkey, epk->pkey, z, &z_len));
    T_OK(clave__jose_ecdh(epk->pkey, key->pkey, z_sender, &z_sender_len));
    assert_int_equal(z_len, 48);
    assert_memory_equal(z, z_sender, z_len);
    T_OK(clave__jose_concat_kdf(z, z_len, str(v, "alg"), NULL, 0, NULL, 0, kek, sizeof(kek)));
    uint8_t *ek = b64(str(v, "encrypted_key"), &n);
    T_OK(clave__jose_aes_kw_unwrap(kek, sizeof(kek), ek, n, cek, sizeof(cek)));
    uint8_t *expect_cek = b64(str(v, "cek"), &n);
    assert_int_equal(n, sizeof(cek));
    assert_memory_equal(cek, expect_cek, sizeof(cek));
    /* Wrapping the CEK again reproduces the published encrypted key (RFC 3394 is deterministic). */
    uint8_t rewrapped[24];
    T_OK(clave__jose_aes_kw_wrap(kek, sizeof(kek), cek, sizeof(cek), rewrapped, sizeof(rewrapped)));
    assert_memory_equal(rewrapped, ek, sizeof(rewrapped));
    size_t iv_len = 0, ct_len = 0, tag_len = 0;
    uint8_t *iv = b64(str(v, "iv"), &iv_len);
    uint8_t *ct = b64(str(v, "ciphertext"), &ct_len);
    uint8_t *tag = b64(str(v, "tag"), &tag_len);
    uint8_t *pt = calloc(1, ct_len + 1);
    assert_non_null(pt);
    gcm128_open(cek, iv, iv_len, str(v, "protected_b64u"), ct, ct_len, tag, pt);
    assert_string_equal((const char *)pt, str(v, "plaintext"));
    /* The whole message uses A128KW/A128GCM, which the public API refuses. */
    struct clave_secret *out = NULL;
    const char *compact = str(v, "compact");
    T_ERR(clave_jwe_decrypt(key, compact, strlen(compact), &out), CLAVE_ERR_UNSUPPORTED);
    assert_null(out);
    /* A wrong KEK fails the RFC 3394 integrity check. */
    kek[0] ^= 1;
    T_ERR(clave__jose_aes_kw_unwrap(kek, sizeof(kek), ek, 24, cek, sizeof(cek)), CLAVE_ERR_AUTH);
    free(pt);
    free(iv);
    free(ct);
    free(tag);
    free(ek);
    free(expect_cek);
    clave_jwk_free(key);
    clave_jwk_free(epk);
    json_decref(v);
}

/* ---- round trips ---- */

static const uint8_t MESSAGE[] = "attested workload secret";
static const uint8_t AAD[] = "contract-42";

static void round_trip(const struct clave_jwk *key, const char *alg, enum clave_jwe_format format,
                       bool with_aad)
{
    char *jwe = NULL;
    struct clave_secret *pt = NULL;
    T_OK(clave_jwe_encrypt(key, alg, MESSAGE, sizeof(MESSAGE), with_aad ? AAD : NULL,
                           with_aad ? sizeof(AAD) : 0, format, &jwe));
    assert_true(format == CLAVE_JWE_FLATTENED ? jwe[0] == '{' : strchr(jwe, '{') == NULL);
    T_OK(clave_jwe_decrypt(key, jwe, strlen(jwe), &pt));
    assert_int_equal(clave_secret_len(pt), sizeof(MESSAGE));
    assert_memory_equal(clave_secret_cdata(pt), MESSAGE, sizeof(MESSAGE));
    clave_secret_free(pt);
    free(jwe);
}

static void round_trips_for(enum clave_jwk_type type, const char *alg)
{
    struct clave_jwk *key = NULL;
    T_OK(clave_jwk_generate(type, &key));
    T_OK(clave_jwk_set_kid(key, "recipient"));
    round_trip(key, alg, CLAVE_JWE_COMPACT, false);
    round_trip(key, alg, CLAVE_JWE_FLATTENED, false);
    round_trip(key, alg, CLAVE_JWE_FLATTENED, true);
    /* Encrypting to the public half works the same. */
    char *pub_text = NULL;
    struct clave_jwk *pub = NULL;
    char *jwe = NULL;
    struct clave_secret *pt = NULL;
    T_OK(clave_jwk_export_public(key, &pub_text));
    T_OK(clave_jwk_parse(pub_text, strlen(pub_text), &pub));
    T_OK(clave_jwe_encrypt(pub, alg, MESSAGE, sizeof(MESSAGE), NULL, 0, CLAVE_JWE_COMPACT, &jwe));
    T_ERR(clave_jwe_decrypt(pub, jwe, strlen(jwe), &pt), CLAVE_ERR_KEY);
    T_OK(clave_jwe_decrypt(key, jwe, strlen(jwe), &pt));
    clave_secret_free(pt);
    free(jwe);
    free(pub_text);
    clave_jwk_free(pub);
    clave_jwk_free(key);
}

static void test_round_trips(void **state)
{
    (void)state;
    round_trips_for(CLAVE_JWK_EC_P256, "ECDH-ES+A256KW");
    round_trips_for(CLAVE_JWK_EC_P384, "ECDH-ES+A256KW");
    round_trips_for(CLAVE_JWK_OKP_X25519, "ECDH-ES+A256KW");
    round_trips_for(CLAVE_JWK_RSA, "RSA-OAEP-256");
}

/* ---- hostile input ---- */

struct fixture {
    struct clave_jwk *p256;
    struct clave_jwk *p384;
    struct clave_jwk *rsa;
    char *compact; /* to p256 */
    char *flat;    /* to p256, with aad */
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    T_OK(clave_jwk_generate(CLAVE_JWK_EC_P256, &f->p256));
    T_OK(clave_jwk_generate(CLAVE_JWK_EC_P384, &f->p384));
    T_OK(clave_jwk_generate(CLAVE_JWK_RSA, &f->rsa));
    T_OK(clave_jwe_encrypt(f->p256, "ECDH-ES+A256KW", MESSAGE, sizeof(MESSAGE), NULL, 0,
                           CLAVE_JWE_COMPACT, &f->compact));
    T_OK(clave_jwe_encrypt(f->p256, "ECDH-ES+A256KW", MESSAGE, sizeof(MESSAGE), AAD, sizeof(AAD),
                           CLAVE_JWE_FLATTENED, &f->flat));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    clave_jwk_free(f->p256);
    clave_jwk_free(f->p384);
    clave_jwk_free(f->rsa);
    free(f->compact);
    free(f->flat);
    free(f);
    return 0;
}

static clave_status decrypt_str(const struct clave_jwk *key, const char *jwe)
{
    struct clave_secret *pt = NULL;
    clave_status st = clave_jwe_decrypt(key, jwe, strlen(jwe), &pt);
    if (st != CLAVE_OK) {
        assert_null(pt);
    }
    clave_secret_free(pt);
    return st;
}

/* Offset of the start of compact part `index` (0..4). */
static size_t part_start(const char *jwe, int index)
{
    size_t pos = 0;
    for (int i = 0; i < index; i++) {
        pos = (size_t)(strchr(jwe + pos, '.') - jwe) + 1;
    }
    return pos;
}

static void test_compact_tampering(void **state)
{
    struct fixture *f = *state;
    T_OK(decrypt_str(f->p256, f->compact));
    for (int part = 0; part < 5; part++) {
        char *copy = strdup(f->compact);
        size_t pos = part_start(copy, part);
        /* Flip the low bit of the first byte: still canonical base64url. */
        copy[pos] = copy[pos] == 'A' ? 'B' : 'A';
        clave_status st = decrypt_str(f->p256, copy);
        assert_int_not_equal(st, CLAVE_OK);
        if (part > 0) {
            assert_int_equal(st, CLAVE_ERR_AUTH);
        }
        /* Drop the last character of the part. */
        free(copy);
        copy = strdup(f->compact);
        size_t end = part < 4 ? part_start(copy, part + 1) - 1 : strlen(copy);
        memmove(copy + end - 1, copy + end, strlen(copy + end) + 1);
        assert_int_not_equal(decrypt_str(f->p256, copy), CLAVE_OK);
        free(copy);
    }
    /* Every truncation of the whole text fails. */
    size_t len = strlen(f->compact);
    for (size_t n = 0; n < len; n += 7) {
        struct clave_secret *pt = NULL;
        assert_int_not_equal(clave_jwe_decrypt(f->p256, f->compact, n, &pt), CLAVE_OK);
        assert_null(pt);
    }
}

static void test_part_count(void **state)
{
    struct fixture *f = *state;
    char *four = strdup(f->compact);
    *strrchr(four, '.') = '\0';
    T_ERR(decrypt_str(f->p256, four), CLAVE_ERR_FORMAT);
    size_t len = strlen(f->compact);
    char *six = malloc(len + 3);
    memcpy(six, f->compact, len);
    memcpy(six + len, ".A", 3);
    T_ERR(decrypt_str(f->p256, six), CLAVE_ERR_FORMAT);
    T_ERR(decrypt_str(f->p256, "...."), CLAVE_ERR_FORMAT);
    T_ERR(decrypt_str(f->p256, "a.b.c.d.e.f"), CLAVE_ERR_FORMAT);
    free(four);
    free(six);
}

static void test_bad_base64(void **state)
{
    struct fixture *f = *state;
    const char bad[] = {'+', '/', '=', ' ', '\n'};
    for (size_t i = 0; i < sizeof(bad); i++) {
        char *copy = strdup(f->compact);
        copy[part_start(copy, 3) + 1] = bad[i];
        T_ERR(decrypt_str(f->p256, copy), CLAVE_ERR_ENCODING);
        free(copy);
    }
}

static void test_wrong_keys(void **state)
{
    struct fixture *f = *state;
    struct clave_jwk *other = NULL;
    T_OK(clave_jwk_generate(CLAVE_JWK_EC_P256, &other));
    T_ERR(decrypt_str(other, f->compact), CLAVE_ERR_AUTH);
    T_ERR(decrypt_str(other, f->flat), CLAVE_ERR_AUTH);
    T_ERR(decrypt_str(f->p384, f->compact), CLAVE_ERR_KEY); /* epk curve mismatch */
    T_ERR(decrypt_str(f->rsa, f->compact), CLAVE_ERR_KEY);
    clave_jwk_free(other);
    /* RSA: a wrong key and a flipped encrypted key give the same generic error. */
    struct clave_jwk *rsa2 = NULL;
    char *jwe = NULL;
    T_OK(clave_jwk_generate(CLAVE_JWK_RSA, &rsa2));
    T_OK(clave_jwe_encrypt(f->rsa, "RSA-OAEP-256", MESSAGE, sizeof(MESSAGE), NULL, 0,
                           CLAVE_JWE_COMPACT, &jwe));
    T_ERR(decrypt_str(rsa2, jwe), CLAVE_ERR_AUTH);
    T_ERR(decrypt_str(f->p256, jwe), CLAVE_ERR_KEY);
    size_t pos = part_start(jwe, 1);
    jwe[pos] = jwe[pos] == 'A' ? 'B' : 'A';
    T_ERR(decrypt_str(f->rsa, jwe), CLAVE_ERR_AUTH);
    free(jwe);
    clave_jwk_free(rsa2);
}

/* Replace the protected header of `jwe` (compact) by `header` JSON. */
static char *with_header(const char *jwe, const char *header)
{
    char *h = NULL;
    T_OK(clave_b64_encode_alloc(CLAVE_B64URL, (const uint8_t *)header, strlen(header), &h));
    const char *rest = strchr(jwe, '.');
    size_t len = strlen(h) + strlen(rest) + 1;
    char *out = malloc(len);
    assert_non_null(out);
    (void)snprintf(out, len, "%s%s", h, rest);
    free(h);
    return out;
}

/* The decoded protected header of a compact JWE as JSON. Caller decrefs. */
static json_t *header_of(const char *jwe)
{
    size_t len = 0;
    uint8_t *raw = NULL;
    T_OK(clave_b64_decode_alloc(CLAVE_B64URL, jwe, (size_t)(strchr(jwe, '.') - jwe), &raw, &len));
    json_t *doc = json_loadb((const char *)raw, len, 0, NULL);
    assert_non_null(doc);
    free(raw);
    return doc;
}

static void expect_with_header(const struct fixture *f, json_t *header, clave_status expect)
{
    char *text = json_dumps(header, JSON_COMPACT);
    char *jwe = with_header(f->compact, text);
    T_ERR(decrypt_str(f->p256, jwe), expect);
    free(jwe);
    free(text);
}

static void test_header_checks(void **state)
{
    struct fixture *f = *state;
    static const struct {
        const char *key;
        const char *value; /* JSON */
        clave_status expect;
    } CASES[] = {
        {"alg", "\"none\"", CLAVE_ERR_UNSUPPORTED},
        {"alg", "\"dir\"", CLAVE_ERR_UNSUPPORTED},
        {"alg", "\"ECDH-ES+A128KW\"", CLAVE_ERR_UNSUPPORTED},
        {"alg", "\"RSA-OAEP\"", CLAVE_ERR_UNSUPPORTED},
        {"alg", "17", CLAVE_ERR_JSON},
        {"enc", "\"A128GCM\"", CLAVE_ERR_UNSUPPORTED},
        {"enc", "\"A256CBC-HS512\"", CLAVE_ERR_UNSUPPORTED},
        {"zip", "\"DEF\"", CLAVE_ERR_UNSUPPORTED},
        {"crit", "[\"exp\"]", CLAVE_ERR_UNSUPPORTED},
        {"epk", "\"x\"", CLAVE_ERR_JSON},
        {"apu", "\"not base64!\"", CLAVE_ERR_ENCODING},
        {"kid", "\"other\"", CLAVE_ERR_AUTH}, /* the header is authenticated */
    };
    for (size_t i = 0; i < sizeof(CASES) / sizeof(CASES[0]); i++) {
        json_t *header = header_of(f->compact);
        json_object_set_new(header, CASES[i].key,
                            json_loads(CASES[i].value, JSON_DECODE_ANY, NULL));
        expect_with_header(f, header, CASES[i].expect);
        json_decref(header);
    }
    json_t *header = header_of(f->compact);
    json_object_del(header, "epk");
    expect_with_header(f, header, CLAVE_ERR_FORMAT);
    json_decref(header);
    /* epk not on the curve: y changed. */
    header = header_of(f->compact);
    json_t *epk = json_object_get(header, "epk");
    char *y = strdup(json_string_value(json_object_get(epk, "y")));
    y[0] = y[0] == 'A' ? 'B' : 'A';
    json_object_set_new(epk, "y", json_string(y));
    expect_with_header(f, header, CLAVE_ERR_KEY);
    free(y);
    json_decref(header);
    /* epk on another curve than the key. */
    header = header_of(f->compact);
    char *p384 = NULL;
    T_OK(clave_jwk_export_public(f->p384, &p384));
    json_object_set_new(header, "epk", json_loads(p384, 0, NULL));
    expect_with_header(f, header, CLAVE_ERR_KEY);
    free(p384);
    json_decref(header);
    T_ERR(decrypt_str(f->p256, ".AA.AA.AA.AA"), CLAVE_ERR_FORMAT);
    char *not_json = with_header(f->compact, "not json");
    T_ERR(decrypt_str(f->p256, not_json), CLAVE_ERR_JSON);
    free(not_json);
}

static void test_flattened(void **state)
{
    struct fixture *f = *state;
    T_OK(decrypt_str(f->p256, f->flat));
    json_t *doc = json_loads(f->flat, 0, NULL);
    assert_non_null(doc);
    static const struct {
        const char *key;
        const char *value;
        clave_status expect;
    } CASES[] = {
        {"aad", "\"Y29udHJhY3QtNDM\"", CLAVE_ERR_AUTH},
        {"aad", "\"Y29udHJhY3QtNDM=\"", CLAVE_ERR_ENCODING},
        {"unprotected", "{\"kid\":\"x\"}", CLAVE_ERR_UNSUPPORTED},
        {"header", "{\"kid\":\"x\"}", CLAVE_ERR_UNSUPPORTED},
        {"recipients", "[]", CLAVE_ERR_UNSUPPORTED},
        {"extra", "1", CLAVE_ERR_JSON},
        {"iv", "\"AAAA\"", CLAVE_ERR_FORMAT},
        {"tag", "\"AAAA\"", CLAVE_ERR_FORMAT},
        {"encrypted_key", "\"AAAA\"", CLAVE_ERR_FORMAT},
        {"ciphertext", "\"\"", CLAVE_ERR_TOO_LARGE},
        {"ciphertext", "7", CLAVE_ERR_JSON},
    };
    for (size_t i = 0; i < sizeof(CASES) / sizeof(CASES[0]); i++) {
        json_t *copy = json_deep_copy(doc);
        json_object_set_new(copy, CASES[i].key, json_loads(CASES[i].value, JSON_DECODE_ANY, NULL));
        char *text = json_dumps(copy, JSON_COMPACT);
        clave_status st = decrypt_str(f->p256, text);
        if (st != CASES[i].expect) {
            fail_msg("case %zu: %s, expected %s", i, clave_status_str(st),
                     clave_status_str(CASES[i].expect));
        }
        free(text);
        json_decref(copy);
    }
    json_t *copy = json_deep_copy(doc);
    json_object_del(copy, "aad");
    char *text = json_dumps(copy, JSON_COMPACT);
    T_ERR(decrypt_str(f->p256, text), CLAVE_ERR_AUTH);
    free(text);
    json_decref(copy);
    T_ERR(decrypt_str(f->p256, "{\"protected\":\"e30\",\"protected\":\"e30\"}"), CLAVE_ERR_JSON);
    json_decref(doc);
}

static void test_limits_and_args(void **state)
{
    struct fixture *f = *state;
    struct clave_secret *pt = NULL;
    char *out = NULL;
    size_t huge = CLAVE_JWE_MAX_LEN + 1;
    char *big = malloc(huge);
    assert_non_null(big);
    memset(big, 'A', huge);
    T_ERR(clave_jwe_decrypt(f->p256, big, huge, &pt), CLAVE_ERR_TOO_LARGE);
    free(big);
    T_ERR(clave_jwe_decrypt(f->p256, NULL, 0, &pt), CLAVE_ERR_ARG);
    T_ERR(clave_jwe_decrypt(f->p256, "", 0, &pt), CLAVE_ERR_FORMAT);
    T_ERR(clave_jwe_encrypt(f->p256, "ECDH-ES+A256KW", MESSAGE, sizeof(MESSAGE), AAD, sizeof(AAD),
                            CLAVE_JWE_COMPACT, &out),
          CLAVE_ERR_ARG);
    T_ERR(clave_jwe_encrypt(f->p256, "dir", MESSAGE, sizeof(MESSAGE), NULL, 0, CLAVE_JWE_COMPACT,
                            &out),
          CLAVE_ERR_UNSUPPORTED);
    T_ERR(clave_jwe_encrypt(f->p256, "RSA-OAEP-256", MESSAGE, sizeof(MESSAGE), NULL, 0,
                            CLAVE_JWE_COMPACT, &out),
          CLAVE_ERR_KEY);
    T_ERR(clave_jwe_encrypt(f->rsa, "ECDH-ES+A256KW", MESSAGE, sizeof(MESSAGE), NULL, 0,
                            CLAVE_JWE_COMPACT, &out),
          CLAVE_ERR_KEY);
    T_ERR(
        clave_jwe_encrypt(f->p256, "ECDH-ES+A256KW", MESSAGE, 0, NULL, 0, CLAVE_JWE_COMPACT, &out),
        CLAVE_ERR_TOO_LARGE);
    T_ERR(clave_jwe_encrypt(f->p256, "ECDH-ES+A256KW", MESSAGE, sizeof(MESSAGE), NULL, 0,
                            (enum clave_jwe_format)9, &out),
          CLAVE_ERR_ARG);
    assert_null(out);
    struct clave_jwk *oct = NULL;
    T_OK(clave_jwk_generate(CLAVE_JWK_OCT, &oct));
    T_ERR(decrypt_str(oct, f->compact), CLAVE_ERR_KEY);
    clave_jwk_free(oct);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc7518_appendix_c), cmocka_unit_test(test_rfc8037_x25519),
        cmocka_unit_test(test_rfc7520_5_4),        cmocka_unit_test(test_round_trips),
        cmocka_unit_test(test_compact_tampering),  cmocka_unit_test(test_part_count),
        cmocka_unit_test(test_bad_base64),         cmocka_unit_test(test_wrong_keys),
        cmocka_unit_test(test_header_checks),      cmocka_unit_test(test_flattened),
        cmocka_unit_test(test_limits_and_args),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
