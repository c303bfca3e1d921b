/* SPDX-License-Identifier: Apache-2.0 */
/*
 * FL key statements (docs/formats/fl.md "Client-key statement", "Key-holder statement"): a party
 * certifies a key with its identity key, so that a coordinator that distributes keys cannot
 * substitute one. Client-key statements certify the Ed25519 key of one of the party's FL clients
 * (Bonawitz et al. 2017, section 6: the server must not choose the clients' keys); key-holder
 * statements certify the SHA-256 of the Paillier public key of a PAILLIER federation, made by the
 * contract's key_holder party (an aggregator that chose that key could decrypt every update). The
 * statement is a tagged COSE_Sign1 (RFC 9052 section 4.2; EdDSA for Ed25519 identity keys, ES256
 * for P-256) with the kind's external AAD (CLAVE_FL_CLIENT_CERT_AAD or
 * CLAVE_FL_KEYHOLDER_CERT_AAD: a statement of one kind never verifies as the other) over the
 * canonical CBOR map
 *
 *   { "v": 1, "key": bstr .size 32, "party": tstr, "contract": bstr .size 32,
 *     "collaboration": tstr }
 *
 * (keys in length-first canonical order). It names no round: one key per client per run.
 * Verification never decodes the payload: the expected payload is encoded from the expected
 * claim and compared byte for byte with the one the signature covers.
 */
#include "contract/canon.h"
#include "core/cbor.h"
#include "core/check.h"
#include "crypto/cose_internal.h"
#include "crypto/pkey.h"

#include <clave/cose.h>
#include <clave/crypto.h>
#include <clave/fl.h>
#include <stdlib.h>
#include <string.h>

#define CERT_VERSION 1
#define CERT_PAYLOAD_MAX 256 /* 5 keys, two 32-byte strings and two names of <= 64 characters */
#define CERT_RAW_SIG_LEN 64
#define CERT_NAME_MAX 64

/* The external AAD of a kind; NULL for an unknown kind. */
static const char *kind_aad(clave_fl_statement_kind kind)
{
    return kind == CLAVE_FL_STATEMENT_CLIENT_KEY      ? CLAVE_FL_CLIENT_CERT_AAD
           : kind == CLAVE_FL_STATEMENT_KEYHOLDER_KEY ? CLAVE_FL_KEYHOLDER_CERT_AAD
                                                      : NULL;
}

static bool name_ok(const char *s)
{
    size_t n = s != NULL ? strnlen(s, CERT_NAME_MAX + 1) : 0;
    if (n == 0 || n > CERT_NAME_MAX) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-')) {
            return false;
        }
    }
    return true;
}

static clave_status payload(const struct clave_fl_client_claim *claim, uint8_t *buf, size_t *len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_writer w;
    struct canon_map m;
    *len = 0;
    CLAVE_ENSURE(claim != NULL && claim->contract != NULL && claim->client_key != NULL,
                 CLAVE_ERR_ARG, "fl: client-key claim: NULL field");
    CLAVE_ENSURE(name_ok(claim->collaboration) && name_ok(claim->party), CLAVE_ERR_ARG,
                 "fl: client-key claim: collaboration and party are [A-Za-z0-9_-]{1,64}");
    clave_writer_init(&w, buf, CERT_PAYLOAD_MAX);
    CLAVE_CHECK(clave__canon_map_begin(&w, 5, &m));
    CLAVE_CHECK(clave__canon_key(&m, "v"));
    CLAVE_CHECK(clave__canon_uint(&w, CERT_VERSION));
    CLAVE_CHECK(clave__canon_key(&m, "key"));
    CLAVE_CHECK(clave__canon_bytes(&w, claim->client_key, CLAVE_FL_CLIENT_KEY_LEN));
    CLAVE_CHECK(clave__canon_key(&m, "party"));
    CLAVE_CHECK(clave__canon_text(&w, claim->party, strlen(claim->party)));
    CLAVE_CHECK(clave__canon_key(&m, "contract"));
    CLAVE_CHECK(clave__canon_bytes(&w, claim->contract, CLAVE_FL_CONTRACT_ID_LEN));
    CLAVE_CHECK(clave__canon_key(&m, "collaboration"));
    CLAVE_CHECK(clave__canon_text(&w, claim->collaboration, strlen(claim->collaboration)));
    CLAVE_CHECK(clave__canon_map_end(&m));
    *len = w.len;
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_fl_statement_sign(clave_fl_statement_kind kind,
                                     const struct clave_fl_client_claim *claim,
                                     const struct clave_pkey *identity, uint8_t **out,
                                     size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t body[CERT_PAYLOAD_MAX];
    size_t body_len = 0;
    int64_t alg = 0;
    const char *aad = kind_aad(kind);
    CLAVE_ENSURE(out != NULL && out_len != NULL, CLAVE_ERR_ARG, "fl: NULL output");
    *out = NULL;
    *out_len = 0;
    CLAVE_ENSURE(aad != NULL, CLAVE_ERR_ARG, "fl: unknown statement kind %d", (int)kind);
    CLAVE_ENSURE(identity != NULL && clave_pkey_has_private(identity), CLAVE_ERR_ARG,
                 "fl: a private identity key is required");
    CLAVE_ENSURE(clave__cose_identity_alg(identity, &alg) == CLAVE_OK, CLAVE_ERR_KEY,
                 "fl: identity keys are Ed25519 or P-256");
    CLAVE_CHECK(payload(claim, body, &body_len));
    struct clave_cose_sign_opts opts = {
        .external_aad = (const uint8_t *)aad, .external_aad_len = strlen(aad), .tagged = true};
    CLAVE_CHECK(clave__cose_sign1_sign_pkey(clave__pkey_evp(identity), alg, body, body_len, &opts,
                                            out, out_len));
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_fl_statement_signing_input(clave_fl_statement_kind kind,
                                              const struct clave_fl_client_claim *claim,
                                              int64_t alg, uint8_t **out, size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t prot[CLAVE__COSE_PROTECTED_ALG_MAX], body[CERT_PAYLOAD_MAX];
    size_t prot_len = 0, body_len = 0;
    const char *aad = kind_aad(kind);
    CLAVE_ENSURE(out != NULL && out_len != NULL, CLAVE_ERR_ARG, "fl: NULL output");
    *out = NULL;
    *out_len = 0;
    CLAVE_ENSURE(aad != NULL, CLAVE_ERR_ARG, "fl: unknown statement kind %d", (int)kind);
    CLAVE_CHECK(clave__cose_protected_alg(alg, prot, &prot_len));
    CLAVE_CHECK(payload(claim, body, &body_len));
    CLAVE_CHECK(clave__cose_sig_structure(prot, prot_len, (const uint8_t *)aad, strlen(aad), body,
                                          body_len, out, out_len));
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_fl_statement_verify(clave_fl_statement_kind kind, const uint8_t *statement,
                                       size_t len, const struct clave_fl_client_claim *claim,
                                       const uint8_t *identity_spki, size_t identity_spki_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_pkey *key = NULL;
    struct clave_cose_sign1 *msg = NULL;
    uint8_t body[CERT_PAYLOAD_MAX];
    size_t body_len = 0, got_len = 0;
    int64_t alg = 0;
    const char *aad = kind_aad(kind);
    CLAVE_ENSURE(aad != NULL, CLAVE_ERR_ARG, "fl: unknown statement kind %d", (int)kind);
    CLAVE_ENSURE(statement != NULL && len > 0 && len <= CLAVE_FL_CLIENT_CERT_MAX_LEN,
                 CLAVE_ERR_FORMAT, "fl: client-key statement: 1..%u bytes",
                 CLAVE_FL_CLIENT_CERT_MAX_LEN);
    CLAVE_CHECK(payload(claim, body, &body_len));
    CLAVE_ENSURE(identity_spki != NULL, CLAVE_ERR_KEY, "fl: no identity key for %s", claim->party);
    CLAVE_CHECK(clave_pkey_from_der(identity_spki, identity_spki_len, &key));
    CLAVE_ENSURE(clave__cose_identity_alg(key, &alg) == CLAVE_OK, CLAVE_ERR_KEY,
                 "fl: identity keys are Ed25519 or P-256");
    struct clave_cose_verify_opts opts = {.alg = alg,
                                          .external_aad = (const uint8_t *)aad,
                                          .external_aad_len = strlen(aad),
                                          .tagging = CLAVE_COSE_TAG_REQUIRED,
                                          .max_len = CLAVE_FL_CLIENT_CERT_MAX_LEN};
    CLAVE_CHECK_CTX(
        clave__cose_sign1_verify_pkey(statement, len, clave__pkey_evp(key), &opts, &msg),
        "fl: %s statement of %s: ",
        kind == CLAVE_FL_STATEMENT_CLIENT_KEY ? "client-key" : "key-holder", claim->party);
    const uint8_t *got = clave_cose_sign1_payload(msg, &got_len);
    /* Canonical encoding: the same claim has exactly one payload. */
    CLAVE_ENSURE(got_len == body_len && clave_ct_equal(got, body, body_len), CLAVE_ERR_SIGNATURE,
                 "fl: the statement of %s certifies another key, party or contract", claim->party);
    st = CLAVE_OK;
done:
    clave_cose_sign1_free(msg);
    clave_pkey_free(key);
    return st;
}

/* #6.18([bstr protected, {}, bstr payload, bstr signature]) in canonical CBOR. */
clave_status clave_fl_statement_assemble(clave_fl_statement_kind kind,
                                         const struct clave_fl_client_claim *claim, int64_t alg,
                                         const uint8_t *identity_spki, size_t identity_spki_len,
                                         const uint8_t *signature, size_t signature_len,
                                         uint8_t **out, size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t prot[CLAVE__COSE_PROTECTED_ALG_MAX], body[CERT_PAYLOAD_MAX];
    size_t prot_len = 0, body_len = 0, msg_len = 0;
    uint8_t *msg = NULL;
    CLAVE_ENSURE(out != NULL && out_len != NULL, CLAVE_ERR_ARG, "fl: NULL output");
    *out = NULL;
    *out_len = 0;
    CLAVE_ENSURE(signature != NULL && signature_len == CERT_RAW_SIG_LEN, CLAVE_ERR_SIGNATURE,
                 "fl: expected a %d-byte raw signature", CERT_RAW_SIG_LEN);
    CLAVE_CHECK(clave__cose_protected_alg(alg, prot, &prot_len));
    CLAVE_CHECK(payload(claim, body, &body_len));
    CLAVE_CHECK(clave__cose_sign1_assemble(prot, prot_len, body, body_len, signature,
                                           CERT_RAW_SIG_LEN, CLAVE_FL_CLIENT_CERT_MAX_LEN, &msg,
                                           &msg_len));
    CLAVE_CHECK(
        clave_fl_statement_verify(kind, msg, msg_len, claim, identity_spki, identity_spki_len));
    *out = msg;
    *out_len = msg_len;
    msg = NULL;
    st = CLAVE_OK;
done:
    free(msg);
    return st;
}

/* ---- client-key statements: the kind CLAVE_FL_STATEMENT_CLIENT_KEY ---- */

clave_status clave_fl_client_cert_sign(const struct clave_fl_client_claim *claim,
                                       const struct clave_pkey *identity, uint8_t **out,
                                       size_t *out_len)
{
    return clave_fl_statement_sign(CLAVE_FL_STATEMENT_CLIENT_KEY, claim, identity, out, out_len);
}

clave_status clave_fl_client_cert_signing_input(const struct clave_fl_client_claim *claim,
                                                int64_t alg, uint8_t **out, size_t *out_len)
{
    return clave_fl_statement_signing_input(CLAVE_FL_STATEMENT_CLIENT_KEY, claim, alg, out,
                                            out_len);
}

clave_status clave_fl_client_cert_verify(const uint8_t *statement, size_t len,
                                         const struct clave_fl_client_claim *claim,
                                         const uint8_t *identity_spki, size_t identity_spki_len)
{
    return clave_fl_statement_verify(CLAVE_FL_STATEMENT_CLIENT_KEY, statement, len, claim,
                                     identity_spki, identity_spki_len);
}

clave_status clave_fl_client_cert_assemble(const struct clave_fl_client_claim *claim, int64_t alg,
                                           const uint8_t *identity_spki, size_t identity_spki_len,
                                           const uint8_t *signature, size_t signature_len,
                                           uint8_t **out, size_t *out_len)
{
    return clave_fl_statement_assemble(CLAVE_FL_STATEMENT_CLIENT_KEY, claim, alg, identity_spki,
                                       identity_spki_len, signature, signature_len, out, out_len);
}

clave_status clave_fl_keyholder_key_digest(const uint8_t *pub, size_t len,
                                           uint8_t digest[CLAVE_FL_CLIENT_KEY_LEN])
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(pub != NULL && len > 0 && digest != NULL, CLAVE_ERR_ARG, "fl: NULL argument");
    CLAVE_CHECK(clave_hash(CLAVE_HASH_SHA256, pub, len, digest, CLAVE_FL_CLIENT_KEY_LEN));
    st = CLAVE_OK;
done:
    return st;
}
