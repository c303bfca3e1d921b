/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The JOIN control frame (docs/formats/fl.md "Control frames"): a client of an attested FL
 * aggregator answers the HELLO with its party id and a tagged COSE_Sign1 (RFC 9052 section 4.2;
 * EdDSA for Ed25519 identity keys, ES256 for P-256) by that party's identity key, external AAD
 * CLAVE_FL_JOIN_AAD, over the canonical CBOR map
 *
 *   { "v": 1, "cert": bstr .size 32, "party": tstr, "client": uint, "contract": bstr .size 32,
 *     "challenge": bstr .size 32 }
 *
 * (keys in length-first canonical order): the HELLO's fresh challenge, the SHA-256 of the
 * runner's RA-TLS certificate DER as the client saw it (a JOIN made for one attested channel
 * never verifies on another), the contract id and the client id the HELLO gave. The runner
 * verifies it with its own challenge and certificate hash; the payload is never decoded: the
 * expected one is encoded and compared byte for byte with the one the signature covers.
 */
#include "contract/canon.h"
#include "core/check.h"
#include "crypto/cose_internal.h"
#include "crypto/pkey.h"
#include "fl_internal.h"

#include <clave/cose.h>
#include <clave/crypto.h>
#include <clave/fl.h>
#include <stdlib.h>
#include <string.h>

#define JOIN_VERSION 1
#define JOIN_RAW_SIG_LEN 64  /* Ed25519, or ES256 as r || s */
#define JOIN_PAYLOAD_MAX 256 /* 6 keys, three 32-byte strings, a party of <= 64 bytes, a u32 */
#define JOIN_HEAD_LEN 8
/* head, party length u8, party, statement length u16le */
#define JOIN_STATEMENT_MAX (CLAVE_FL_JOIN_MAX_LEN - JOIN_HEAD_LEN - 1 - CLAVE_FL_PARTY_MAX - 2)
#define CERT_HASH_LEN 32

_Static_assert(JOIN_STATEMENT_MAX >= 400, "room for a COSE_Sign1 of the largest payload");

/* The contract's identifier rule: [A-Za-z0-9._:-]{1,64}. */
static bool party_ok(const char *s, size_t n)
{
    if (s == NULL || n == 0 || n > CLAVE_FL_PARTY_MAX) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              strchr("._:-", c) != NULL) ||
            c == '\0') {
            return false;
        }
    }
    return true;
}

static clave_status payload(const struct clave_fl_join_claim *claim, uint8_t *buf, size_t *len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_writer w;
    struct canon_map m;
    *len = 0;
    CLAVE_ENSURE(claim != NULL && claim->challenge != NULL && claim->cert_sha256 != NULL &&
                     claim->contract != NULL,
                 CLAVE_ERR_ARG, "fl join: NULL claim field");
    size_t party_len = claim->party != NULL ? strnlen(claim->party, CLAVE_FL_PARTY_MAX + 1) : 0;
    CLAVE_ENSURE(party_ok(claim->party, party_len), CLAVE_ERR_ARG,
                 "fl join: party: [A-Za-z0-9._:-]{1,%d}", CLAVE_FL_PARTY_MAX);
    CLAVE_ENSURE(claim->client >= 1 && claim->client <= CLAVE_FL_MAX_CLIENTS, CLAVE_ERR_ARG,
                 "fl join: client %u", claim->client);
    clave_writer_init(&w, buf, JOIN_PAYLOAD_MAX);
    CLAVE_CHECK(clave__canon_map_begin(&w, 6, &m));
    CLAVE_CHECK(clave__canon_key(&m, "v"));
    CLAVE_CHECK(clave__canon_uint(&w, JOIN_VERSION));
    CLAVE_CHECK(clave__canon_key(&m, "cert"));
    CLAVE_CHECK(clave__canon_bytes(&w, claim->cert_sha256, CERT_HASH_LEN));
    CLAVE_CHECK(clave__canon_key(&m, "party"));
    CLAVE_CHECK(clave__canon_text(&w, claim->party, party_len));
    CLAVE_CHECK(clave__canon_key(&m, "client"));
    CLAVE_CHECK(clave__canon_uint(&w, claim->client));
    CLAVE_CHECK(clave__canon_key(&m, "contract"));
    CLAVE_CHECK(clave__canon_bytes(&w, claim->contract, CLAVE_FL_CONTRACT_ID_LEN));
    CLAVE_CHECK(clave__canon_key(&m, "challenge"));
    CLAVE_CHECK(clave__canon_bytes(&w, claim->challenge, CLAVE_FL_CHALLENGE_LEN));
    CLAVE_CHECK(clave__canon_map_end(&m));
    *len = w.len;
    st = CLAVE_OK;
done:
    return st;
}

/* head, 8 party length u8, 9 party, then statement length u16le and the statement. */
static clave_status frame(const char *party, const uint8_t *sig, size_t sig_len, uint8_t **out,
                          size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_writer w;
    size_t party_len = strlen(party);
    uint8_t *buf = malloc(CLAVE_FL_JOIN_MAX_LEN);
    CLAVE_ENSURE_ALLOC(buf);
    CLAVE_ENSURE(sig_len >= 1 && sig_len <= JOIN_STATEMENT_MAX, CLAVE_ERR_INTERNAL,
                 "fl join: a %zu-byte statement", sig_len);
    clave_writer_init(&w, buf, CLAVE_FL_JOIN_MAX_LEN);
    CLAVE_CHECK(fl__control_write_head(&w, FL_CONTROL_JOIN));
    CLAVE_CHECK(clave_writer_u8(&w, (uint8_t)party_len));
    CLAVE_CHECK(clave_writer_bytes(&w, (const uint8_t *)party, party_len));
    CLAVE_CHECK(clave_writer_u16le(&w, (uint16_t)sig_len));
    CLAVE_CHECK(clave_writer_bytes(&w, sig, sig_len));
    *out = buf;
    *out_len = w.len;
    buf = NULL;
    st = CLAVE_OK;
done:
    free(buf);
    return st;
}

clave_status clave_fl_join_encode(const struct clave_fl_join_claim *claim,
                                  const struct clave_pkey *identity, uint8_t **out, size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t body[JOIN_PAYLOAD_MAX];
    uint8_t *sig = NULL;
    size_t body_len = 0, sig_len = 0;
    int64_t alg = 0;
    CLAVE_ENSURE(out != NULL && out_len != NULL, CLAVE_ERR_ARG, "fl join: NULL output");
    *out = NULL;
    *out_len = 0;
    CLAVE_ENSURE(identity != NULL && clave_pkey_has_private(identity), CLAVE_ERR_ARG,
                 "fl join: a private identity key is required");
    CLAVE_ENSURE(clave__cose_identity_alg(identity, &alg) == CLAVE_OK, CLAVE_ERR_KEY,
                 "fl join: identity keys are Ed25519 or P-256");
    CLAVE_CHECK(payload(claim, body, &body_len));
    struct clave_cose_sign_opts opts = {.external_aad = (const uint8_t *)CLAVE_FL_JOIN_AAD,
                                        .external_aad_len = strlen(CLAVE_FL_JOIN_AAD),
                                        .tagged = true};
    CLAVE_CHECK(clave__cose_sign1_sign_pkey(clave__pkey_evp(identity), alg, body, body_len, &opts,
                                            &sig, &sig_len));
    CLAVE_CHECK(frame(claim->party, sig, sig_len, out, out_len));
    st = CLAVE_OK;
done:
    free(sig);
    return st;
}

/* JOIN: head (8: "CLFA", version 2, type 3, reserved 0), 8 party length u8 (1..64), 9 party
 * [n] ([A-Za-z0-9._:-]), 9+n statement length u16le (1..JOIN_STATEMENT_MAX), 11+n statement [m]
 * (a COSE_Sign1, checked by clave_fl_join_verify), then nothing. */
clave_status clave_fl_join_parse(const uint8_t *msg, size_t len, char party[CLAVE_FL_PARTY_MAX + 1],
                                 const uint8_t **statement, size_t *statement_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_reader r;
    const uint8_t *name = NULL, *sig = NULL;
    size_t name_len = 0, sig_len = 0;
    CLAVE_ENSURE(msg != NULL && party != NULL && statement != NULL && statement_len != NULL,
                 CLAVE_ERR_ARG, "fl join: NULL argument");
    party[0] = '\0';
    *statement = NULL;
    *statement_len = 0;
    CLAVE_ENSURE(len <= CLAVE_FL_JOIN_MAX_LEN, CLAVE_ERR_TOO_LARGE, "fl join: %zu bytes > %u", len,
                 CLAVE_FL_JOIN_MAX_LEN);
    clave_reader_init(&r, msg, len);
    CLAVE_CHECK(fl__control_read_head(&r, FL_CONTROL_JOIN));
    CLAVE_CHECK_CTX(
        clave_reader_lenprefixed(&r, CLAVE_LEN_U8, CLAVE_FL_PARTY_MAX, &name, &name_len),
        "fl join: party: ");
    CLAVE_ENSURE(party_ok((const char *)name, name_len), CLAVE_ERR_FORMAT,
                 "fl join: party: [A-Za-z0-9._:-]{1,%d}", CLAVE_FL_PARTY_MAX);
    CLAVE_CHECK_CTX(
        clave_reader_lenprefixed(&r, CLAVE_LEN_U16LE, JOIN_STATEMENT_MAX, &sig, &sig_len),
        "fl join: statement: ");
    CLAVE_ENSURE(sig_len > 0, CLAVE_ERR_FORMAT, "fl join: empty statement");
    CLAVE_CHECK(clave_reader_expect_end(&r));
    memcpy(party, name, name_len);
    party[name_len] = '\0';
    *statement = sig;
    *statement_len = sig_len;
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_fl_join_verify(const uint8_t *statement, size_t len,
                                  const struct clave_fl_join_claim *expected,
                                  const uint8_t *identity_spki, size_t identity_spki_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_pkey *key = NULL;
    struct clave_cose_sign1 *msg = NULL;
    uint8_t body[JOIN_PAYLOAD_MAX];
    size_t body_len = 0, got_len = 0;
    int64_t alg = 0;
    CLAVE_ENSURE(statement != NULL && len > 0 && len <= JOIN_STATEMENT_MAX, CLAVE_ERR_FORMAT,
                 "fl join: statement: 1..%d bytes", (int)JOIN_STATEMENT_MAX);
    CLAVE_CHECK(payload(expected, body, &body_len));
    CLAVE_ENSURE(identity_spki != NULL && identity_spki_len > 0, CLAVE_ERR_KEY,
                 "fl join: no identity key for %s", expected->party);
    CLAVE_CHECK(clave_pkey_from_der(identity_spki, identity_spki_len, &key));
    CLAVE_ENSURE(clave__cose_identity_alg(key, &alg) == CLAVE_OK, CLAVE_ERR_KEY,
                 "fl join: identity keys are Ed25519 or P-256");
    struct clave_cose_verify_opts opts = {.alg = alg,
                                          .external_aad = (const uint8_t *)CLAVE_FL_JOIN_AAD,
                                          .external_aad_len = strlen(CLAVE_FL_JOIN_AAD),
                                          .tagging = CLAVE_COSE_TAG_REQUIRED,
                                          .max_len = JOIN_STATEMENT_MAX};
    CLAVE_CHECK_CTX(
        clave__cose_sign1_verify_pkey(statement, len, clave__pkey_evp(key), &opts, &msg),
        "fl join: the JOIN of %s: ", expected->party);
    const uint8_t *got = clave_cose_sign1_payload(msg, &got_len);
    /* Canonical encoding: the expected claim has exactly one payload. */
    CLAVE_ENSURE(got_len == body_len && clave_ct_equal(got, body, body_len), CLAVE_ERR_STATE,
                 "fl join: %s signed a JOIN for another challenge, channel (RA-TLS certificate), "
                 "contract or client id: replayed or relayed",
                 expected->party);
    st = CLAVE_OK;
done:
    clave_cose_sign1_free(msg);
    clave_pkey_free(key);
    return st;
}

clave_status clave_fl_join_signing_input(const struct clave_fl_join_claim *claim, int64_t alg,
                                         uint8_t **out, size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t prot[CLAVE__COSE_PROTECTED_ALG_MAX], body[JOIN_PAYLOAD_MAX];
    size_t prot_len = 0, body_len = 0;
    CLAVE_ENSURE(out != NULL && out_len != NULL, CLAVE_ERR_ARG, "fl join: NULL output");
    *out = NULL;
    *out_len = 0;
    CLAVE_CHECK(clave__cose_protected_alg(alg, prot, &prot_len));
    CLAVE_CHECK(payload(claim, body, &body_len));
    CLAVE_CHECK(clave__cose_sig_structure(prot, prot_len, (const uint8_t *)CLAVE_FL_JOIN_AAD,
                                          strlen(CLAVE_FL_JOIN_AAD), body, body_len, out, out_len));
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_fl_join_assemble(const struct clave_fl_join_claim *claim, int64_t alg,
                                    const uint8_t *identity_spki, size_t identity_spki_len,
                                    const uint8_t *signature, size_t signature_len, uint8_t **out,
                                    size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t prot[CLAVE__COSE_PROTECTED_ALG_MAX], body[JOIN_PAYLOAD_MAX];
    size_t prot_len = 0, body_len = 0, msg_len = 0;
    uint8_t *msg = NULL;
    CLAVE_ENSURE(out != NULL && out_len != NULL, CLAVE_ERR_ARG, "fl join: NULL output");
    *out = NULL;
    *out_len = 0;
    CLAVE_ENSURE(signature != NULL && signature_len == JOIN_RAW_SIG_LEN, CLAVE_ERR_SIGNATURE,
                 "fl join: expected a %d-byte raw signature, got %zu", JOIN_RAW_SIG_LEN,
                 signature_len);
    CLAVE_CHECK(clave__cose_protected_alg(alg, prot, &prot_len));
    CLAVE_CHECK(payload(claim, body, &body_len));
    CLAVE_CHECK(clave__cose_sign1_assemble(prot, prot_len, body, body_len, signature, signature_len,
                                           JOIN_STATEMENT_MAX, &msg, &msg_len));
    CLAVE_CHECK(clave_fl_join_verify(msg, msg_len, claim, identity_spki, identity_spki_len));
    CLAVE_CHECK(frame(claim->party, msg, msg_len, out, out_len));
    st = CLAVE_OK;
done:
    free(msg);
    return st;
}
