/* SPDX-License-Identifier: Apache-2.0 */
/* COSE_Sign1 and the bounded CBOR helper: real Nitro documents, a COSE WG example, hostile input.
 */
#include "testlib.h"

#include "core/cbor.h"
#include "crypto/cose_internal.h"

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>

static const char *const NITRO_DOCS[] = {
    "attestation/nitro/evervault_doc_2022-10-13_prod.cose",
    "attestation/nitro/evervault_doc_2022-10-12_debug.cose",
    "attestation/nitro/evervault_doc_2023-09-18_debug.cose",
};

/* Fixed Ed25519 seed shared with tests/fuzz/cose.c (test key, not a secret). */
static const uint8_t FUZZ_ED25519_SEED[32] = {
    0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a, 0xf4, 0x92, 0xec, 0x2c, 0xc4,
    0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32, 0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60,
};

/*
 * cose-wg/Examples sign1-tests/sign-pass-02.json ("sign-pass-02: External"): ES256, key kid "11",
 * external AAD, tag 18. Values copied from the published example.
 */
static const char WG_X_B64URL[] = "usWxHK2PmfnHKwXPS54m0kTcGJ90UiglWiGahtagnv8";
static const char WG_Y_B64URL[] = "IBOL-C3BttVivg-lSreASjpkttcsz-1rb7btKLv8EX4";
static const char WG_EXTERNAL_HEX[] = "11aa22bb33cc44dd55006699";
static const char WG_TBS_HEX[] =
    "846A5369676E61747572653143A101264C11AA22BB33CC44DD550066995454686973"
    "2069732074686520636F6E74656E742E";
static const char WG_CBOR_HEX[] =
    "D28443A10126A10442313154546869732069732074686520636F6E74656E742E5840EAE868ECC176883766C5DC5B"
    "A5B8DCA25DAB3C2E56A551CE5705B793914348E155388B10C4F1B59A6733EAB416870A945111A4B2FBDBEF33A772"
    "34B1DEFF2F9B";
/* sign-pass-01: alg only in the unprotected bucket, protected = h'A0'. */
static const char WG_PASS01_HEX[] =
    "D28441A0A201260442313154546869732069732074686520636F6E74656E742E5840EAE868ECC176883766C5DC5B"
    "A5B8DCA25DAB3C2E56A551CE5705B793914348E11A02E5F0344BF2D4EE5C7FD75A68A9F5E0B3CC1F1FC1409C1895"
    "66586FF9D610";
static const char WG_PLAINTEXT[] = "This is the content.";

/* DER SubjectPublicKeyInfo prefix for an uncompressed P-256 point (RFC 5480). */
static const uint8_t P256_SPKI_PREFIX[] = {0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48,
                                           0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48,
                                           0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04};

static void wg_spki(uint8_t spki[91])
{
    size_t n = 0;
    memcpy(spki, P256_SPKI_PREFIX, sizeof(P256_SPKI_PREFIX));
    T_OK(clave_b64_decode(CLAVE_B64URL, WG_X_B64URL, strlen(WG_X_B64URL), spki + 27, 32, &n));
    assert_int_equal(n, 32);
    T_OK(clave_b64_decode(CLAVE_B64URL, WG_Y_B64URL, strlen(WG_Y_B64URL), spki + 59, 32, &n));
    assert_int_equal(n, 32);
}

static EVP_PKEY *keygen(int64_t alg)
{
    EVP_PKEY *pkey = NULL;
    if (alg == CLAVE_COSE_ALG_EDDSA) {
        pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    } else {
        pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", alg == CLAVE_COSE_ALG_ES256 ? "P-256" : "P-384");
    }
    assert_non_null(pkey);
    return pkey;
}

static EVP_PKEY *fuzz_key(void)
{
    EVP_PKEY *pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, FUZZ_ED25519_SEED,
                                                  sizeof(FUZZ_ED25519_SEED));
    assert_non_null(pkey);
    return pkey;
}

/* Nitro document and its signing certificate (from the payload; unauthenticated here). */
static void nitro_load(const char *rel, uint8_t **doc, size_t *len, struct clave_x509 **cert)
{
    uint8_t *payload = NULL;
    size_t payload_len = 0;
    cbor_item_t *map = NULL;
    *doc = t_read_file(t_shared_vector(rel), len);
    T_OK(clave_cose_sign1_peek_payload(*doc, *len, NULL, &payload, &payload_len));
    T_OK(clave__cbor_load(payload, payload_len, NULL, &map));
    cbor_item_t *der = clave__cbor_map_get_text(map, "certificate");
    assert_non_null(der);
    assert_true(cbor_isa_bytestring(der));
    T_OK(clave_x509_parse_der(cbor_bytestring_handle(der), cbor_bytestring_length(der), cert));
    cbor_decref(&map);
    free(payload);
}

static void test_nitro_documents_verify(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(NITRO_DOCS) / sizeof(NITRO_DOCS[0]); i++) {
        uint8_t *doc = NULL;
        size_t len = 0;
        struct clave_x509 *cert = NULL;
        struct clave_cose_sign1 *msg = NULL;
        nitro_load(NITRO_DOCS[i], &doc, &len, &cert);
        struct clave_cose_verify_opts opts = {.alg = CLAVE_COSE_ALG_ES384,
                                              .tagging = CLAVE_COSE_TAG_FORBIDDEN};
        T_OK(clave_cose_sign1_verify_x509(doc, len, cert, &opts, &msg));
        assert_int_equal(clave_cose_sign1_alg(msg), CLAVE_COSE_ALG_ES384);
        size_t payload_len = 0;
        const uint8_t *payload = clave_cose_sign1_payload(msg, &payload_len);
        assert_true(payload_len > 1000 && payload_len < len);
        assert_int_equal(payload[0] & 0xe0, 0xa0); /* a CBOR map */
        clave_cose_sign1_free(msg);

        /* Same key through the SPKI entry point. */
        uint8_t *spki = NULL;
        size_t spki_len = 0;
        T_OK(clave_x509_spki_der(cert, &spki, &spki_len));
        T_OK(clave_cose_sign1_verify_spki(doc, len, spki, spki_len, NULL, &msg));
        clave_cose_sign1_free(msg);

        /* Wrong expectations: algorithm, tagging, a key of the wrong curve. */
        opts.alg = CLAVE_COSE_ALG_ES256;
        T_ERR(clave_cose_sign1_verify_x509(doc, len, cert, &opts, &msg), CLAVE_ERR_SIGNATURE);
        opts = (struct clave_cose_verify_opts){.tagging = CLAVE_COSE_TAG_REQUIRED};
        T_ERR(clave_cose_sign1_verify_x509(doc, len, cert, &opts, &msg), CLAVE_ERR_FORMAT);
        EVP_PKEY *p256 = keygen(CLAVE_COSE_ALG_ES256);
        T_ERR(clave__cose_sign1_verify_pkey(doc, len, p256, NULL, &msg), CLAVE_ERR_KEY);
        EVP_PKEY_free(p256);
        assert_null(msg);
        free(spki);
        clave_x509_free(cert);
        free(doc);
    }
}

/* Untagged Nitro layout: 84 | 44 a1 01 38 22 | a0 | 59 <len16> <payload> | 58 60 <sig>. */
static void test_nitro_bit_flips(void **state)
{
    (void)state;
    uint8_t *doc = NULL;
    size_t len = 0;
    struct clave_x509 *cert = NULL;
    struct clave_cose_sign1 *msg = NULL;
    nitro_load(NITRO_DOCS[0], &doc, &len, &cert);
    assert_int_equal(doc[7], 0x59);
    size_t payload_off = 10;
    size_t payload_len = ((size_t)doc[8] << 8) | doc[9];
    size_t sig_off = payload_off + payload_len + 2;
    assert_int_equal(sig_off + 96, len);
    const size_t offsets[] = {payload_off,  payload_off + payload_len / 2,
                              sig_off - 3,  sig_off,
                              sig_off + 47, sig_off + 48,
                              len - 1};
    for (size_t i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
        doc[offsets[i]] ^= 0x10;
        T_ERR(clave_cose_sign1_verify_x509(doc, len, cert, NULL, &msg), CLAVE_ERR_SIGNATURE);
        doc[offsets[i]] ^= 0x10;
    }
    /* Every bit of the protected header and of the structure heads: never OK. */
    for (size_t off = 0; off < payload_off; off++) {
        for (unsigned bit = 0; bit < 8; bit++) {
            doc[off] ^= (uint8_t)(1u << bit);
            assert_int_not_equal(clave_cose_sign1_verify_x509(doc, len, cert, NULL, &msg),
                                 CLAVE_OK);
            doc[off] ^= (uint8_t)(1u << bit);
        }
    }
    T_OK(clave_cose_sign1_verify_x509(doc, len, cert, NULL, &msg));
    clave_cose_sign1_free(msg);
    clave_x509_free(cert);
    free(doc);
}

static void test_nitro_truncation_and_trailing(void **state)
{
    (void)state;
    uint8_t *doc = NULL;
    size_t len = 0;
    struct clave_x509 *cert = NULL;
    struct clave_cose_sign1 *msg = NULL;
    nitro_load(NITRO_DOCS[0], &doc, &len, &cert);
    for (size_t n = 0; n < len; n++) {
        uint8_t *copy = malloc(n + 1);
        assert_non_null(copy);
        memcpy(copy, doc, n);
        assert_int_not_equal(clave_cose_sign1_verify_x509(copy, n, cert, NULL, &msg), CLAVE_OK);
        assert_null(msg);
        free(copy);
    }
    uint8_t *longer = malloc(len + 1);
    assert_non_null(longer);
    memcpy(longer, doc, len);
    longer[len] = 0x00;
    T_ERR(clave_cose_sign1_verify_x509(longer, len + 1, cert, NULL, &msg), CLAVE_ERR_TRAILING);
    struct clave_cose_verify_opts small = {.max_len = 1024};
    T_ERR(clave_cose_sign1_verify_x509(doc, len, cert, &small, &msg), CLAVE_ERR_TOO_LARGE);
    free(longer);
    clave_x509_free(cert);
    free(doc);
}

static void test_cose_wg_sign_pass_02(void **state)
{
    (void)state;
    uint8_t spki[91];
    size_t aad_len = 0;
    size_t tbs_len = 0;
    size_t msg_len = 0;
    uint8_t *aad = t_hex(WG_EXTERNAL_HEX, &aad_len);
    uint8_t *want_tbs = t_hex(WG_TBS_HEX, &tbs_len);
    uint8_t *wire = t_hex(WG_CBOR_HEX, &msg_len);
    uint8_t *tbs = NULL;
    size_t got_len = 0;
    struct clave_cose_sign1 *msg = NULL;
    wg_spki(spki);
    static const uint8_t PROTECTED[] = {0xa1, 0x01, 0x26};
    T_OK(clave__cose_sig_structure(PROTECTED, sizeof(PROTECTED), aad, aad_len,
                                   (const uint8_t *)WG_PLAINTEXT, strlen(WG_PLAINTEXT), &tbs,
                                   &got_len));
    assert_int_equal(got_len, tbs_len);
    assert_memory_equal(tbs, want_tbs, tbs_len);

    struct clave_cose_verify_opts opts = {.alg = CLAVE_COSE_ALG_ES256,
                                          .external_aad = aad,
                                          .external_aad_len = aad_len,
                                          .tagging = CLAVE_COSE_TAG_REQUIRED};
    T_OK(clave_cose_sign1_verify_spki(wire, msg_len, spki, sizeof(spki), &opts, &msg));
    size_t plen = 0;
    const uint8_t *payload = clave_cose_sign1_payload(msg, &plen);
    assert_int_equal(plen, strlen(WG_PLAINTEXT));
    assert_memory_equal(payload, WG_PLAINTEXT, plen);
    clave_cose_sign1_free(msg);
    msg = NULL;
    /* Without the external AAD the signature cannot verify. */
    opts.external_aad = NULL;
    opts.external_aad_len = 0;
    T_ERR(clave_cose_sign1_verify_spki(wire, msg_len, spki, sizeof(spki), &opts, &msg),
          CLAVE_ERR_SIGNATURE);
    opts.tagging = CLAVE_COSE_TAG_FORBIDDEN;
    T_ERR(clave_cose_sign1_verify_spki(wire, msg_len, spki, sizeof(spki), &opts, &msg),
          CLAVE_ERR_FORMAT);
    free(tbs);
    free(wire);
    free(want_tbs);
    free(aad);
}

/* We require alg in the protected bucket; sign-pass-01 carries it unprotected: rejected. */
static void test_cose_wg_unprotected_alg_rejected(void **state)
{
    (void)state;
    uint8_t spki[91];
    size_t len = 0;
    uint8_t *wire = t_hex(WG_PASS01_HEX, &len);
    struct clave_cose_sign1 *msg = NULL;
    wg_spki(spki);
    T_ERR(clave_cose_sign1_verify_spki(wire, len, spki, sizeof(spki), NULL, &msg),
          CLAVE_ERR_FORMAT);
    free(wire);
}

static void round_trip(int64_t alg, bool tagged, bool detached)
{
    EVP_PKEY *pkey = keygen(alg);
    static const uint8_t PAYLOAD[] = "payload for round trip";
    static const uint8_t AAD[] = {1, 2, 3};
    uint8_t *wire = NULL;
    size_t len = 0;
    struct clave_cose_sign1 *msg = NULL;
    struct clave_cose_sign_opts sopts = {.external_aad = AAD,
                                         .external_aad_len = sizeof(AAD),
                                         .tagged = tagged,
                                         .detached = detached};
    T_OK(clave__cose_sign1_sign_pkey(pkey, alg, PAYLOAD, sizeof(PAYLOAD), &sopts, &wire, &len));
    assert_int_equal(wire[0], tagged ? 0xd2 : 0x84);
    struct clave_cose_verify_opts vopts = {
        .alg = alg,
        .external_aad = AAD,
        .external_aad_len = sizeof(AAD),
        .detached_payload = detached ? PAYLOAD : NULL,
        .detached_payload_len = detached ? sizeof(PAYLOAD) : 0,
        .tagging = tagged ? CLAVE_COSE_TAG_REQUIRED : CLAVE_COSE_TAG_FORBIDDEN,
    };
    T_OK(clave__cose_sign1_verify_pkey(wire, len, pkey, &vopts, &msg));
    size_t plen = 0;
    const uint8_t *payload = clave_cose_sign1_payload(msg, &plen);
    assert_int_equal(plen, sizeof(PAYLOAD));
    assert_memory_equal(payload, PAYLOAD, plen);
    assert_int_equal(clave_cose_sign1_alg(msg), alg);
    clave_cose_sign1_free(msg);
    /* Another key of the same type, a different AAD, a missing detached payload. */
    EVP_PKEY *other = keygen(alg);
    T_ERR(clave__cose_sign1_verify_pkey(wire, len, other, &vopts, &msg), CLAVE_ERR_SIGNATURE);
    vopts.external_aad_len = 2;
    T_ERR(clave__cose_sign1_verify_pkey(wire, len, pkey, &vopts, &msg), CLAVE_ERR_SIGNATURE);
    vopts.external_aad_len = sizeof(AAD);
    vopts.detached_payload = detached ? NULL : PAYLOAD;
    T_ERR(clave__cose_sign1_verify_pkey(wire, len, pkey, &vopts, &msg), CLAVE_ERR_ARG);
    /* Every truncation of a small message fails cleanly. */
    vopts.detached_payload = detached ? PAYLOAD : NULL;
    for (size_t n = 0; n < len; n++) {
        assert_int_not_equal(clave__cose_sign1_verify_pkey(wire, n, pkey, &vopts, &msg), CLAVE_OK);
    }
    EVP_PKEY_free(other);
    EVP_PKEY_free(pkey);
    free(wire);
}

static void test_round_trips(void **state)
{
    (void)state;
    static const int64_t ALGS[] = {CLAVE_COSE_ALG_ES256, CLAVE_COSE_ALG_ES384,
                                   CLAVE_COSE_ALG_EDDSA};
    for (size_t i = 0; i < sizeof(ALGS) / sizeof(ALGS[0]); i++) {
        round_trip(ALGS[i], false, false);
        round_trip(ALGS[i], true, false);
        round_trip(ALGS[i], false, true);
        round_trip(ALGS[i], true, true);
    }
}

static void test_public_sign_with_secret_key(void **state)
{
    (void)state;
    EVP_PKEY *pkey = keygen(CLAVE_COSE_ALG_ES256);
    unsigned char *der = NULL;
    int der_len = i2d_PrivateKey(pkey, &der);
    assert_true(der_len > 0);
    struct clave_secret *secret = NULL;
    T_OK(clave_secret_from(der, (size_t)der_len, &secret));
    OPENSSL_clear_free(der, (size_t)der_len);
    unsigned char *spki = NULL;
    int spki_len = i2d_PUBKEY(pkey, &spki);
    assert_true(spki_len > 0);
    uint8_t *wire = NULL;
    size_t len = 0;
    struct clave_cose_sign1 *msg = NULL;
    T_OK(clave_cose_sign1_sign(secret, CLAVE_COSE_ALG_ES256, (const uint8_t *)"x", 1, NULL, &wire,
                               &len));
    T_OK(clave_cose_sign1_verify_spki(wire, len, spki, (size_t)spki_len, NULL, &msg));
    clave_cose_sign1_free(msg);
    free(wire);
    /* The key does not fit ES384 or EdDSA; an unknown alg is unsupported. */
    T_ERR(clave_cose_sign1_sign(secret, CLAVE_COSE_ALG_ES384, NULL, 0, NULL, &wire, &len),
          CLAVE_ERR_KEY);
    T_ERR(clave_cose_sign1_sign(secret, CLAVE_COSE_ALG_EDDSA, NULL, 0, NULL, &wire, &len),
          CLAVE_ERR_KEY);
    T_ERR(clave_cose_sign1_sign(secret, -37, NULL, 0, NULL, &wire, &len), CLAVE_ERR_UNSUPPORTED);
    assert_null(wire);
    OPENSSL_free(spki);
    clave_secret_free(secret);
    EVP_PKEY_free(pkey);
}

/*
 * Build [protected, unprotected, payload, sig] around arbitrary header bytes, signed with
 * Ed25519 so the headers under test are the only thing that differs.
 */
static uint8_t *build_eddsa(EVP_PKEY *pkey, const char *prot_hex, const char *unprot_hex,
                            size_t *out_len)
{
    size_t prot_len = 0;
    size_t unprot_len = 0;
    uint8_t *prot = t_hex(prot_hex, &prot_len);
    uint8_t *unprot = t_hex(unprot_hex, &unprot_len);
    static const uint8_t PAYLOAD[] = {'h', 'i'};
    uint8_t *tbs = NULL;
    size_t tbs_len = 0;
    uint8_t sig[64];
    size_t sig_len = sizeof(sig);
    T_OK(clave__cose_sig_structure(prot, prot_len, NULL, 0, PAYLOAD, sizeof(PAYLOAD), &tbs,
                                   &tbs_len));
    EVP_MD_CTX *mctx = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestSignInit(mctx, NULL, NULL, NULL, pkey), 1);
    assert_int_equal(EVP_DigestSign(mctx, sig, &sig_len, tbs, tbs_len), 1);
    EVP_MD_CTX_free(mctx);
    assert_true(prot_len < 24);
    size_t len = 1 + 1 + prot_len + unprot_len + 1 + sizeof(PAYLOAD) + 2 + sig_len;
    uint8_t *out = malloc(len);
    assert_non_null(out);
    size_t pos = 0;
    out[pos++] = 0x84;
    out[pos++] = (uint8_t)(0x40 | prot_len);
    memcpy(out + pos, prot, prot_len);
    pos += prot_len;
    memcpy(out + pos, unprot, unprot_len);
    pos += unprot_len;
    out[pos++] = 0x42;
    memcpy(out + pos, PAYLOAD, sizeof(PAYLOAD));
    pos += sizeof(PAYLOAD);
    out[pos++] = 0x58;
    out[pos++] = (uint8_t)sig_len;
    memcpy(out + pos, sig, sig_len);
    *out_len = len;
    free(tbs);
    free(prot);
    free(unprot);
    return out;
}

static void test_header_rules(void **state)
{
    (void)state;
    static const struct {
        const char *prot;
        const char *unprot;
        clave_status want;
    } CASES[] = {
        {"a10127", "a0", CLAVE_OK},               /* {1: -8} */
        {"a201270300", "a10442abcd", CLAVE_OK},   /* content type 0; kid unprotected */
        {"a20127028103", "a0", CLAVE_ERR_FORMAT}, /* crit [3] but 3 absent */
        {"a30127028103"
         "0300",
         "a0", CLAVE_OK},                                /* crit [3], 3 present */
        {"a2012702811863", "a0", CLAVE_ERR_UNSUPPORTED}, /* crit [99]: unknown */
        {"a2012702"
         "80",
         "a0", CLAVE_ERR_FORMAT},                       /* crit [] */
        {"a0", "a10127", CLAVE_ERR_FORMAT},             /* alg unprotected only */
        {"", "a10127", CLAVE_ERR_FORMAT},               /* empty protected */
        {"a10127", "a10127", CLAVE_ERR_FORMAT},         /* alg in both */
        {"a201270300", "a10301", CLAVE_ERR_FORMAT},     /* label 3 in both */
        {"a2012701 27", "a0", CLAVE_ERR_CBOR},          /* duplicate label 1 */
        {"8201 27", "a0", CLAVE_ERR_FORMAT},            /* protected is an array */
        {"a1016345 6464", "a0", CLAVE_ERR_UNSUPPORTED}, /* alg is text */
        {"a10126", "a0", CLAVE_ERR_KEY},                /* ES256 with an Ed25519 key */
        {"a1011863", "a0", CLAVE_ERR_UNSUPPORTED},      /* alg 99 */
        {"a10127", "a1616101", CLAVE_OK},               /* text label "a" unprotected */
        {"a10127", "a1416101", CLAVE_ERR_FORMAT},       /* bstr label */
        {"a1012700", "a0", CLAVE_ERR_TRAILING},         /* trailing byte in protected */
        {"bf0127ff", "a0", CLAVE_ERR_CBOR},             /* indefinite map */
    };
    EVP_PKEY *pkey = fuzz_key();
    for (size_t i = 0; i < sizeof(CASES) / sizeof(CASES[0]); i++) {
        char prot[64];
        size_t j = 0;
        for (const char *c = CASES[i].prot; *c != '\0'; c++) {
            if (*c != ' ') {
                prot[j++] = *c;
            }
        }
        prot[j] = '\0';
        size_t len = 0;
        uint8_t *wire = build_eddsa(pkey, prot, CASES[i].unprot, &len);
        struct clave_cose_sign1 *msg = NULL;
        clave_status st = clave__cose_sign1_verify_pkey(wire, len, pkey, NULL, &msg);
        if (st != CASES[i].want) {
            fail_msg("case %zu (%s / %s): %s, want %s (%s)", i, CASES[i].prot, CASES[i].unprot,
                     clave_status_str(st), clave_status_str(CASES[i].want),
                     clave_error_last().detail);
        }
        clave_cose_sign1_free(msg);
        free(wire);
    }
    /* A flipped bit inside a still-valid protected header: content type 0 -> 1. */
    size_t len = 0;
    uint8_t *wire = build_eddsa(pkey, "a201270300", "a0", &len);
    struct clave_cose_sign1 *msg = NULL;
    wire[6] ^= 0x01;
    T_ERR(clave__cose_sign1_verify_pkey(wire, len, pkey, NULL, &msg), CLAVE_ERR_SIGNATURE);
    free(wire);
    EVP_PKEY_free(pkey);
}

static void test_structure_rules(void **state)
{
    (void)state;
    static const struct {
        const char *hex;
        clave_status want;
    } CASES[] = {
        {"83 43a10127 a0 40", CLAVE_ERR_FORMAT},            /* 3 elements */
        {"85 43a10127 a0 40 40 40", CLAVE_ERR_FORMAT},      /* 5 elements */
        {"84 a10127 a0 40 40", CLAVE_ERR_FORMAT},           /* protected is a map */
        {"84 43a10127 80 40 40", CLAVE_ERR_FORMAT},         /* unprotected is an array */
        {"84 43a10127 a0 6161 40", CLAVE_ERR_FORMAT},       /* payload is text */
        {"84 43a10127 a0 fa00000000 40", CLAVE_ERR_FORMAT}, /* payload is a float (fuzz find) */
        {"84 43a10127 a0 40 6161", CLAVE_ERR_FORMAT},       /* signature is text */
        {"d3 84 43a10127 a0 40 40", CLAVE_ERR_FORMAT},      /* tag 19 */
        {"9f 43a10127 a0 40 40 ff", CLAVE_ERR_CBOR},        /* indefinite array */
        {"84 43a10127 a0 5f4100ff 40", CLAVE_ERR_CBOR},     /* indefinite bstr */
        {"84 43a10127 a0 40 40 00", CLAVE_ERR_TRAILING},    /* trailing item */
        {"84 43a10127 a0 40 5840", CLAVE_ERR_TRUNCATED},    /* bstr runs off the end */
        {"9b ffffffffffffffff", CLAVE_ERR_LIMIT},           /* 2^64-1 elements */
        {"84 43a10127 a0 40 40", CLAVE_ERR_SIGNATURE},      /* empty signature */
        {"84 43a10127 a0 f6 40", CLAVE_ERR_ARG},            /* detached, none supplied */
        {"", CLAVE_ERR_TRUNCATED},
        {"d2", CLAVE_ERR_TRUNCATED},
        {"d8 12 84 43a10127 a0 40 40", CLAVE_ERR_FORMAT}, /* tag 18, not shortest form */
        {"ff", CLAVE_ERR_CBOR},
    };
    EVP_PKEY *pkey = fuzz_key();
    for (size_t i = 0; i < sizeof(CASES) / sizeof(CASES[0]); i++) {
        char hex[128];
        size_t j = 0;
        for (const char *c = CASES[i].hex; *c != '\0'; c++) {
            if (*c != ' ') {
                hex[j++] = *c;
            }
        }
        hex[j] = '\0';
        size_t len = 0;
        uint8_t *wire = j > 0 ? t_hex(hex, &len) : NULL;
        struct clave_cose_sign1 *msg = NULL;
        clave_status st = clave__cose_sign1_verify_pkey(wire, len, pkey, NULL, &msg);
        if (st != CASES[i].want) {
            fail_msg("case %zu (%s): %s, want %s (%s)", i, CASES[i].hex, clave_status_str(st),
                     clave_status_str(CASES[i].want), clave_error_last().detail);
        }
        assert_null(msg);
        free(wire);
    }
    EVP_PKEY_free(pkey);
}

static void test_cbor_limits(void **state)
{
    (void)state;
    cbor_item_t *item = NULL;
    const struct clave__cbor_limits shallow = {.max_len = 64, .max_depth = 3, .max_items = 8};
    /* [[[1]]] is depth 3: fine; [[[[1]]]] is not. */
    static const uint8_t DEPTH3[] = {0x81, 0x81, 0x81, 0x01};
    static const uint8_t DEPTH4[] = {0x81, 0x81, 0x81, 0x81, 0x01};
    T_OK(clave__cbor_load(DEPTH3, sizeof(DEPTH3), &shallow, &item));
    cbor_decref(&item);
    T_ERR(clave__cbor_load(DEPTH4, sizeof(DEPTH4), &shallow, &item), CLAVE_ERR_LIMIT);
    /* Nine items > 8. */
    static const uint8_t NINE[] = {0x88, 1, 2, 3, 4, 5, 6, 7, 8};
    T_ERR(clave__cbor_load(NINE, sizeof(NINE), &shallow, &item), CLAVE_ERR_LIMIT);
    /* A map claiming 2^32 pairs must fail before any allocation. */
    static const uint8_t HUGE_MAP[] = {0xba, 0xff, 0xff, 0xff, 0xff};
    T_ERR(clave__cbor_load(HUGE_MAP, sizeof(HUGE_MAP), NULL, &item), CLAVE_ERR_LIMIT);
    /* Duplicate keys, including the same value with different integer widths. */
    static const uint8_t DUP[] = {0xa2, 0x01, 0x00, 0x18, 0x01, 0x00};
    T_ERR(clave__cbor_load(DUP, sizeof(DUP), NULL, &item), CLAVE_ERR_CBOR);
    static const uint8_t DUP_TEXT[] = {0xa2, 0x61, 'a', 0x00, 0x61, 'a', 0x01};
    T_ERR(clave__cbor_load(DUP_TEXT, sizeof(DUP_TEXT), NULL, &item), CLAVE_ERR_CBOR);
    static const uint8_t NOT_DUP[] = {0xa2, 0x61, 'a', 0x00, 0x41, 'a', 0x01};
    T_OK(clave__cbor_load(NOT_DUP, sizeof(NOT_DUP), NULL, &item));
    cbor_decref(&item);
    static const uint8_t ARRAY_KEY[] = {0xa1, 0x80, 0x00};
    T_ERR(clave__cbor_load(ARRAY_KEY, sizeof(ARRAY_KEY), NULL, &item), CLAVE_ERR_CBOR);
    /* Nested duplicate inside an array inside a tag. */
    static const uint8_t NESTED_DUP[] = {0xc1, 0x81, 0xa2, 0x20, 0x00, 0x20, 0x01};
    T_ERR(clave__cbor_load(NESTED_DUP, sizeof(NESTED_DUP), NULL, &item), CLAVE_ERR_CBOR);
    static const uint8_t INDEF_TEXT[] = {0x7f, 0x61, 'a', 0xff};
    T_ERR(clave__cbor_load(INDEF_TEXT, sizeof(INDEF_TEXT), NULL, &item), CLAVE_ERR_CBOR);
    static const uint8_t STRAY_BREAK[] = {0xff};
    T_ERR(clave__cbor_load(STRAY_BREAK, sizeof(STRAY_BREAK), NULL, &item), CLAVE_ERR_CBOR);
    T_ERR(clave__cbor_load(DEPTH3, sizeof(DEPTH3) - 1, NULL, &item), CLAVE_ERR_TRUNCATED);
    const struct clave__cbor_limits tiny = {.max_len = 3, .max_depth = 4, .max_items = 8};
    T_ERR(clave__cbor_load(DEPTH3, sizeof(DEPTH3), &tiny, &item), CLAVE_ERR_TOO_LARGE);
    int64_t v = 0;
    static const uint8_t NEG_MAX[] = {0x3b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    T_OK(clave__cbor_load(NEG_MAX, sizeof(NEG_MAX), NULL, &item));
    T_OK(clave__cbor_int64(item, &v));
    assert_true(v == INT64_MIN);
    cbor_decref(&item);
    static const uint8_t NEG_TOO_BIG[] = {0x3b, 0x80, 0, 0, 0, 0, 0, 0, 0};
    T_OK(clave__cbor_load(NEG_TOO_BIG, sizeof(NEG_TOO_BIG), NULL, &item));
    T_ERR(clave__cbor_int64(item, &v), CLAVE_ERR_CBOR);
    cbor_decref(&item);
}

/*
 * Seeds for tests/fuzz/corpus/cose, signed with the fuzz target's fixed Ed25519 key. Written only
 * when CLAVE_WRITE_COSE_CORPUS names a directory (run once by hand; the files are committed).
 */
static void test_write_fuzz_corpus(void **state)
{
    (void)state;
    const char *dir = getenv("CLAVE_WRITE_COSE_CORPUS");
    if (dir == NULL) {
        skip();
    }
    EVP_PKEY *pkey = fuzz_key();
    static const struct {
        const char *name;
        bool tagged;
        bool detached;
        size_t payload_len;
    } SEEDS[] = {
        {"eddsa-untagged", false, false, 16},
        {"eddsa-tagged", true, false, 3},
        {"eddsa-detached", false, true, 8},
        {"eddsa-tagged-large", true, false, 300},
    };
    uint8_t payload[300];
    for (size_t i = 0; i < sizeof(payload); i++) {
        payload[i] = (uint8_t)(i * 7);
    }
    for (size_t i = 0; i < sizeof(SEEDS) / sizeof(SEEDS[0]); i++) {
        struct clave_cose_sign_opts o = {.tagged = SEEDS[i].tagged, .detached = SEEDS[i].detached};
        uint8_t *wire = NULL;
        size_t len = 0;
        char path[512];
        T_OK(clave__cose_sign1_sign_pkey(pkey, CLAVE_COSE_ALG_EDDSA, payload, SEEDS[i].payload_len,
                                         &o, &wire, &len));
        int n = snprintf(path, sizeof(path), "%s/%s.cbor", dir, SEEDS[i].name);
        assert_true(n > 0 && (size_t)n < sizeof(path));
        t_write_file(path, wire, len);
        free(wire);
    }
    EVP_PKEY_free(pkey);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nitro_documents_verify),
        cmocka_unit_test(test_nitro_bit_flips),
        cmocka_unit_test(test_nitro_truncation_and_trailing),
        cmocka_unit_test(test_cose_wg_sign_pass_02),
        cmocka_unit_test(test_cose_wg_unprotected_alg_rejected),
        cmocka_unit_test(test_round_trips),
        cmocka_unit_test(test_public_sign_with_secret_key),
        cmocka_unit_test(test_header_rules),
        cmocka_unit_test(test_structure_rules),
        cmocka_unit_test(test_cbor_limits),
        cmocka_unit_test(test_write_fuzz_corpus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
