/* SPDX-License-Identifier: Apache-2.0 */
/*
 * python-paillier (phe) keys: the JWK-style JSON of python-paillier's docs/serialisation.rst and
 * phe/command_line.py (pheutil). Big integers are unpadded base64url of minimal big-endian bytes.
 *
 *   public:  {"kty":"DAJ", "alg":"PAI-GN1", "key_ops":["encrypt"], "n":b64url, "kid":string}
 *   private: {"kty":"DAJ", "key_ops":["decrypt"], "p":b64url, "q":b64url, "pub":{public},
 *             "kid":string}
 *   older private form: "lambda" = (p-1)(q-1) and "mu" = lambda^-1 mod n instead of p and q.
 *
 * phe's g is always n + 1, as ours. phe keys carry no h_s: importing one derives a fresh
 * h_s = (-x^2)^n mod n^2 from the OpenSSL CSPRNG here, so no outside party chooses it. Members
 * not listed are ignored (RFC 7517 section 4); "kty", "alg" (public part) and "key_ops" (when
 * present) are checked.
 */
#include "core/check.h"
#include "core/gmp.h"
#include "he/he_phe.h"

#include <clave/encoding.h>
#include <clave/json.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HE_PHE_KEY_MAX_BYTES ((size_t)64 << 10)
#define HE_PHE_INT_MAX_BYTES (CLAVE_HE_BITS_MAX / 8)
#define HE_PHE_KEY_OPS_MAX 8

/* "key_ops", when present, is an array of strings that contains `op`. */
static clave_status check_key_ops(const json_t *jwk, const char *where, const char *op,
                                  bool required)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *ops = NULL;
    bool found = false;
    CLAVE_CHECK(clave_json_get_array(jwk, where, "key_ops", required, HE_PHE_KEY_OPS_MAX, &ops));
    for (size_t i = 0; ops != NULL && i < json_array_size(ops); i++) {
        const json_t *item = json_array_get(ops, i);
        CLAVE_ENSURE(json_is_string(item), CLAVE_ERR_JSON, "%s.key_ops[%zu]: expected string",
                     where, i);
        found = found || strcmp(json_string_value(item), op) == 0;
    }
    CLAVE_ENSURE(ops == NULL || found, CLAVE_ERR_KEY, "%s.key_ops: no \"%s\"", where, op);
    st = CLAVE_OK;
done:
    return st;
}

static clave_status expect_string(const json_t *jwk, const char *where, const char *key,
                                  bool required, const char *want)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const char *got = NULL;
    CLAVE_CHECK(clave_json_get_string(jwk, where, key, required, 64, &got));
    CLAVE_ENSURE(got == NULL || strcmp(got, want) == 0, CLAVE_ERR_UNSUPPORTED,
                 "%s.%s: \"%s\", expected \"%s\"", where, key, got, want);
    st = CLAVE_OK;
done:
    return st;
}

/* A base64url big integer of 1..HE_PHE_INT_MAX_BYTES bytes. */
static clave_status get_b64_int(const json_t *jwk, const char *where, const char *key, mpz_t v)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t *bytes = NULL;
    size_t len = 0;
    CLAVE_CHECK(clave_json_get_b64url(jwk, where, key, true, HE_PHE_INT_MAX_BYTES, &bytes, &len));
    CLAVE_ENSURE(len > 0, CLAVE_ERR_FORMAT, "%s.%s: empty", where, key);
    clave__he_mpz_from_bytes(v, bytes, len);
    st = CLAVE_OK;
done:
    if (bytes != NULL) {
        OPENSSL_cleanse(bytes, len);
    }
    free(bytes);
    return st;
}

/* A big integer as minimal big-endian unpadded base64url (phe.util.int_to_base64). */
static clave_status set_b64_int(json_t *obj, const char *key, const mpz_t v)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    size_t len = (mpz_sizeinbase(v, 2) + 7) / 8;
    uint8_t *bytes = malloc(len);
    char *text = NULL;
    CLAVE_ENSURE_ALLOC(bytes);
    clave__he_mpz_to_bytes(v, bytes, len);
    CLAVE_CHECK(clave_b64_encode_alloc(CLAVE_B64URL, bytes, len, &text));
    CLAVE_ENSURE(json_object_set_new(obj, key, json_string(text)) == 0, CLAVE_ERR_NOMEM,
                 "out of memory");
    st = CLAVE_OK;
done:
    if (bytes != NULL) {
        OPENSSL_cleanse(bytes, len);
    }
    if (text != NULL) {
        OPENSSL_cleanse(text, strlen(text));
    }
    free(bytes);
    free(text);
    return st;
}

clave_status clave__he_phe_pub_n(const json_t *jwk, const char *where, mpz_t n)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const char *kid = NULL;
    CLAVE_CHECK(clave_json_expect_object(jwk, where));
    CLAVE_CHECK(expect_string(jwk, where, "kty", true, HE_PHE_KTY));
    CLAVE_CHECK(expect_string(jwk, where, "alg", true, HE_PHE_ALG));
    CLAVE_CHECK(check_key_ops(jwk, where, "encrypt", false));
    CLAVE_CHECK(clave_json_get_string(jwk, where, "kid", false, HE_PHE_KID_MAX, &kid));
    CLAVE_CHECK(get_b64_int(jwk, where, "n", n));
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_he_pub_import_phe(const uint8_t *buf, size_t len, struct clave_he_pub **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *doc = NULL;
    mpz_t n;
    bool inited = false;
    *out = NULL;
    CLAVE_CHECK(clave__gmp_init());
    CLAVE_ENSURE(buf != NULL, CLAVE_ERR_ARG, "he: no input");
    mpz_init(n);
    inited = true;
    CLAVE_CHECK(clave__he_phe_parse(buf, len, HE_PHE_KEY_MAX_BYTES, "phe public key", &doc));
    CLAVE_CHECK(clave__he_phe_pub_n(doc, "phe public key", n));
    CLAVE_CHECK_CTX(clave__he_pub_from(n, NULL, 0, out), "phe public key: ");
    st = CLAVE_OK;
done:
    if (inited) {
        mpz_clear(n);
    }
    json_decref(doc);
    return st;
}

static json_t *pub_jwk(const struct clave_he_pub *pub, const char *kid)
{
    char id_hex[2 * CLAVE_HE_KEY_ID_LEN + 1];
    char fallback[64];
    json_t *jwk = NULL;
    if (kid == NULL) {
        if (clave_hex_encode(pub->id, CLAVE_HE_KEY_ID_LEN, id_hex, sizeof(id_hex)) != CLAVE_OK) {
            return NULL;
        }
        (void)snprintf(fallback, sizeof(fallback), "clave he key %s", id_hex);
        kid = fallback;
    }
    jwk = json_pack("{s:s, s:s, s:[s], s:s}", "kty", HE_PHE_KTY, "alg", HE_PHE_ALG, "key_ops",
                    "encrypt", "kid", kid);
    if (jwk != NULL && set_b64_int(jwk, "n", pub->n) != CLAVE_OK) {
        json_decref(jwk);
        jwk = NULL;
    }
    return jwk;
}

clave_status clave_he_pub_export_phe(const struct clave_he_pub *pub, const char *kid, uint8_t **out,
                                     size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    *out = NULL;
    *out_len = 0;
    CLAVE_ENSURE(pub != NULL, CLAVE_ERR_ARG, "he: no public key");
    CLAVE_ENSURE(kid == NULL || strlen(kid) <= HE_PHE_KID_MAX, CLAVE_ERR_ARG,
                 "he: kid longer than %d", HE_PHE_KID_MAX);
    CLAVE_CHECK(clave__he_json_dump(pub_jwk(pub, kid), JSON_INDENT(2) | JSON_PRESERVE_ORDER,
                                    (char **)out, out_len));
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave__he_phe_factor(const mpz_t n, const mpz_t lambda, const mpz_t mu, mpz_t p,
                                  mpz_t q)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    mpz_t s, d, r;
    mpz_inits(s, d, r, NULL);
    CLAVE_ENSURE(mpz_sgn(n) > 0 && mpz_sgn(lambda) > 0 && mpz_cmp(lambda, n) < 0, CLAVE_ERR_KEY,
                 "phe private key: lambda outside (0, n)");
    mpz_sub(s, n, lambda);
    mpz_add_ui(s, s, 1); /* p + q */
    mpz_mul(d, s, s);
    mpz_submul_ui(d, n, 4); /* (p - q)^2 */
    CLAVE_ENSURE(mpz_sgn(d) > 0, CLAVE_ERR_KEY,
                 "phe private key: lambda is not (p-1)(q-1) for this n");
    mpz_sqrtrem(d, r, d);
    CLAVE_ENSURE(mpz_sgn(r) == 0, CLAVE_ERR_KEY,
                 "phe private key: lambda is not (p-1)(q-1) for this n");
    mpz_add(p, s, d);
    mpz_sub(q, s, d);
    CLAVE_ENSURE(mpz_even_p(p) && mpz_even_p(q), CLAVE_ERR_KEY,
                 "phe private key: lambda is not (p-1)(q-1) for this n");
    mpz_tdiv_q_2exp(p, p, 1);
    mpz_tdiv_q_2exp(q, q, 1);
    mpz_mul(r, p, q);
    CLAVE_ENSURE(mpz_cmp(r, n) == 0 && mpz_cmp_ui(q, 1) > 0, CLAVE_ERR_KEY,
                 "phe private key: lambda is not (p-1)(q-1) for this n");
    /* With g = n + 1, L(g^lambda mod n^2) = lambda mod n, so mu = lambda^-1 mod n. */
    CLAVE_ENSURE(mpz_invert(r, lambda, n) != 0 && mpz_cmp(r, mu) == 0, CLAVE_ERR_KEY,
                 "phe private key: mu is not lambda^-1 mod n");
    st = CLAVE_OK;
done:
    mpz_clears(s, d, r, NULL);
    return st;
}

/* p and q from either private form; both forms at once are rejected as ambiguous. */
static clave_status private_factors(const json_t *doc, const char *where, const mpz_t n, mpz_t p,
                                    mpz_t q)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    bool pq = json_object_get(doc, "p") != NULL || json_object_get(doc, "q") != NULL;
    bool lm = json_object_get(doc, "lambda") != NULL || json_object_get(doc, "mu") != NULL;
    mpz_t lambda, mu;
    mpz_inits(lambda, mu, NULL);
    CLAVE_ENSURE(pq != lm, CLAVE_ERR_FORMAT, "%s: need either p and q, or lambda and mu", where);
    if (pq) {
        CLAVE_CHECK(get_b64_int(doc, where, "p", p));
        CLAVE_CHECK(get_b64_int(doc, where, "q", q));
    } else {
        CLAVE_CHECK(get_b64_int(doc, where, "lambda", lambda));
        CLAVE_CHECK(get_b64_int(doc, where, "mu", mu));
        CLAVE_CHECK(clave__he_phe_factor(n, lambda, mu, p, q));
    }
    st = CLAVE_OK;
done:
    mpz_clears(lambda, mu, NULL);
    return st;
}

clave_status clave_he_key_import_phe(const uint8_t *buf, size_t len, struct clave_he_key **out)
{
    const char *where = "phe private key";
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *doc = NULL;
    json_t *pub = NULL;
    mpz_t n, p, q;
    bool inited = false;
    *out = NULL;
    CLAVE_CHECK(clave__gmp_init());
    CLAVE_ENSURE(buf != NULL, CLAVE_ERR_ARG, "he: no input");
    mpz_inits(n, p, q, NULL);
    inited = true;
    CLAVE_CHECK(clave__he_phe_parse(buf, len, HE_PHE_KEY_MAX_BYTES, where, &doc));
    CLAVE_CHECK(clave_json_expect_object(doc, where));
    CLAVE_CHECK(expect_string(doc, where, "kty", true, HE_PHE_KTY));
    CLAVE_CHECK(check_key_ops(doc, where, "decrypt", true));
    CLAVE_CHECK(clave_json_get_object(doc, where, "pub", true, &pub));
    CLAVE_CHECK(clave__he_phe_pub_n(pub, "phe private key.pub", n));
    CLAVE_CHECK(private_factors(doc, where, n, p, q));
    CLAVE_CHECK_CTX(clave__he_key_from(p, q, NULL, 0, out), "%s: ", where);
    CLAVE_ENSURE(mpz_cmp((*out)->pub->n, n) == 0, CLAVE_ERR_KEY, "%s: p * q != pub.n", where);
    st = CLAVE_OK;
done:
    if (st != CLAVE_OK) {
        clave_he_key_free(*out);
        *out = NULL;
    }
    if (inited) {
        mpz_clears(n, p, q, NULL);
    }
    json_decref(doc);
    return st;
}

clave_status clave_he_key_export_phe(const struct clave_he_key *key, const char *kid,
                                     struct clave_secret **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *root = NULL;
    json_t *pub = NULL;
    char *text = NULL;
    size_t len = 0;
    *out = NULL;
    CLAVE_ENSURE(key != NULL, CLAVE_ERR_ARG, "he: no key");
    CLAVE_ENSURE(kid == NULL || strlen(kid) <= HE_PHE_KID_MAX, CLAVE_ERR_ARG,
                 "he: kid longer than %d", HE_PHE_KID_MAX);
    pub = pub_jwk(key->pub, kid);
    root = json_pack("{s:s, s:[s]}", "kty", HE_PHE_KTY, "key_ops", "decrypt");
    CLAVE_ENSURE(pub != NULL && root != NULL, CLAVE_ERR_NOMEM, "out of memory");
    CLAVE_CHECK(set_b64_int(root, "p", key->p));
    CLAVE_CHECK(set_b64_int(root, "q", key->q));
    int rc = json_object_set(root, "kid", json_object_get(pub, "kid"));
    rc |= json_object_set_new(root, "pub", pub); /* consumes pub, even on failure */
    pub = NULL;
    CLAVE_ENSURE(rc == 0, CLAVE_ERR_NOMEM, "out of memory");
    st = clave__he_json_dump(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER, &text, &len);
    root = NULL;
    if (st == CLAVE_OK) {
        st = clave_secret_from((const uint8_t *)text, len, out);
    }
done:
    if (text != NULL) {
        OPENSSL_cleanse(text, len);
        free(text);
    }
    json_decref(pub);
    json_decref(root);
    return st;
}
