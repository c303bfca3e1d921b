/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Approvals and revocations: tagged COSE_Sign1 (RFC 9052 section 4.2) under a required signer's
 * identity key, with a statement-specific external AAD (section 4.3) that binds the purpose and
 * the party:
 *
 *   approval:    payload = contract id (32)
 *                external_aad = "clave-contract-approval-v1" || 0x00 || party
 *   revocation:  payload = "revoke" || contract id (32) || be64(time)   (46 bytes)
 *                external_aad = "clave-contract-revocation-v1" || 0x00 || party
 *   protected header {1: alg}: -8 (EdDSA) for Ed25519 keys, -7 (ES256) for P-256 keys.
 */
#include "contract/canon.h"
#include "contract/contract_internal.h"

#include "core/cbor.h"
#include "core/check.h"
#include "crypto/cose_internal.h"
#include "crypto/pkey.h"

#include <clave/cose.h>
#include <stdlib.h>
#include <string.h>

#define AAD_MAX (sizeof(CONTRACT_REVOCATION_AAD) + CLAVE_CONTRACT_ID_MAX + 1)
#define RAW_SIG_LEN 64

struct statement {
    uint8_t payload[CONTRACT_REVOCATION_LEN];
    size_t payload_len;
    uint8_t aad[AAD_MAX];
    size_t aad_len;
};

static clave_status statement_init(const struct clave_contract *c,
                                   enum clave_contract_statement kind, const char *party,
                                   uint64_t time, struct statement *s)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_writer w;
    const char *context =
        kind == CLAVE_CONTRACT_APPROVAL ? CONTRACT_APPROVAL_AAD : CONTRACT_REVOCATION_AAD;
    CLAVE_ENSURE(kind == CLAVE_CONTRACT_APPROVAL || kind == CLAVE_CONTRACT_REVOCATION,
                 CLAVE_ERR_ARG, "contract: unknown statement kind");
    size_t party_len = strlen(party);
    CLAVE_ENSURE(party_len <= CLAVE_CONTRACT_ID_MAX, CLAVE_ERR_ARG, "contract: party too long");
    clave_writer_init(&w, s->aad, sizeof(s->aad));
    CLAVE_CHECK(clave_writer_bytes(&w, (const uint8_t *)context, strlen(context) + 1));
    CLAVE_CHECK(clave_writer_bytes(&w, (const uint8_t *)party, party_len));
    s->aad_len = w.len;
    clave_writer_init(&w, s->payload, sizeof(s->payload));
    if (kind == CLAVE_CONTRACT_REVOCATION) {
        CLAVE_CHECK(clave_writer_bytes(&w, (const uint8_t *)CONTRACT_REVOKE_PREFIX,
                                       CONTRACT_REVOKE_PREFIX_LEN));
    }
    CLAVE_CHECK(clave_writer_bytes(&w, c->id, CLAVE_CONTRACT_ID_LEN));
    if (kind == CLAVE_CONTRACT_REVOCATION) {
        CLAVE_CHECK(clave_writer_u64be(&w, time));
    }
    s->payload_len = w.len;
    st = CLAVE_OK;
done:
    return st;
}

/* The declared identity key of signer `index` (caller frees). */
static clave_status signer_key(const struct clave_contract *c, size_t index,
                               struct clave_pkey **out)
{
    const struct contract_signer *s = &c->doc.signers[index];
    return clave_pkey_from_der(s->spki, s->spki_len, out);
}

/* CLAVE_ERR_KEY unless `key` has the same public key as signer `index`. */
static clave_status check_same_key(const struct clave_contract *c, size_t index,
                                   const struct clave_pkey *key)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_pkey *declared = NULL;
    uint8_t a[CLAVE_P384_POINT_LEN];
    uint8_t b[CLAVE_P384_POINT_LEN];
    size_t a_len = 0;
    size_t b_len = 0;
    CLAVE_CHECK(signer_key(c, index, &declared));
    CLAVE_ENSURE(clave_pkey_type(declared) == clave_pkey_type(key), CLAVE_ERR_KEY,
                 "contract: the key is not %s's declared signer key", c->doc.signers[index].party);
    CLAVE_CHECK(clave_pkey_export_raw_public(declared, a, sizeof(a), &a_len));
    CLAVE_CHECK(clave_pkey_export_raw_public(key, b, sizeof(b), &b_len));
    CLAVE_ENSURE(a_len == b_len && memcmp(a, b, a_len) == 0, CLAVE_ERR_KEY, // lint:public
                 "contract: the key is not %s's declared signer key", c->doc.signers[index].party);
    st = CLAVE_OK;
done:
    clave_pkey_free(declared);
    return st;
}

static clave_status make_statement(const struct clave_contract *c,
                                   enum clave_contract_statement kind, const struct clave_pkey *key,
                                   const char *party, uint64_t time, uint8_t **out, size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct statement s;
    size_t index = 0;
    int64_t alg = 0;
    *out = NULL;
    *out_len = 0;
    CLAVE_ENSURE(c != NULL && key != NULL && party != NULL, CLAVE_ERR_ARG,
                 "contract: NULL argument");
    CLAVE_ENSURE(clave_pkey_has_private(key), CLAVE_ERR_KEY, "contract: not a private key");
    CLAVE_CHECK(clave__contract_signer_index(c, party, &index));
    CLAVE_CHECK(clave__cose_identity_alg(key, &alg));
    CLAVE_CHECK(check_same_key(c, index, key));
    CLAVE_CHECK(statement_init(c, kind, party, time, &s));
    struct clave_cose_sign_opts opts = {
        .external_aad = s.aad, .external_aad_len = s.aad_len, .tagged = true};
    CLAVE_CHECK(clave__cose_sign1_sign_pkey(clave__pkey_evp(key), alg, s.payload, s.payload_len,
                                            &opts, out, out_len));
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_contract_sign(const struct clave_contract *c, const struct clave_pkey *key,
                                 const char *party, uint8_t **out, size_t *out_len)
{
    return make_statement(c, CLAVE_CONTRACT_APPROVAL, key, party, 0, out, out_len);
}

clave_status clave_contract_revoke(const struct clave_contract *c, const struct clave_pkey *key,
                                   const char *party, uint64_t time, uint8_t **out, size_t *out_len)
{
    return make_statement(c, CLAVE_CONTRACT_REVOCATION, key, party, time, out, out_len);
}

clave_status clave_contract_sign_secret(const struct clave_contract *c,
                                        const struct clave_secret *key, const char *party,
                                        uint8_t **out, size_t *out_len)
{
    static const char PEM_PREFIX[] = "-----BEGIN";
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_pkey *pkey = NULL;
    *out = NULL;
    *out_len = 0;
    CLAVE_ENSURE(key != NULL, CLAVE_ERR_ARG, "contract: NULL key");
    const uint8_t *data = clave_secret_cdata(key);
    size_t len = clave_secret_len(key);
    if (len >= sizeof(PEM_PREFIX) - 1 &&
        memcmp(data, PEM_PREFIX, sizeof(PEM_PREFIX) - 1) == 0) { // lint:public
        CLAVE_CHECK(clave_pkey_from_pem((const char *)data, len, &pkey));
    } else {
        CLAVE_CHECK(clave_pkey_from_der(data, len, &pkey));
    }
    CLAVE_CHECK(clave_contract_sign(c, pkey, party, out, out_len));
    st = CLAVE_OK;
done:
    clave_pkey_free(pkey);
    return st;
}

clave_status clave_contract_signing_input(const struct clave_contract *c,
                                          enum clave_contract_statement kind, const char *party,
                                          int64_t alg, uint64_t time, uint8_t **out,
                                          size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct statement s;
    uint8_t prot[CLAVE__COSE_PROTECTED_ALG_MAX];
    size_t prot_len = 0;
    size_t index = 0;
    *out = NULL;
    *out_len = 0;
    CLAVE_CHECK(clave__contract_signer_index(c, party, &index));
    CLAVE_CHECK(clave__cose_protected_alg(alg, prot, &prot_len));
    CLAVE_CHECK(statement_init(c, kind, party, time, &s));
    CLAVE_CHECK(clave__cose_sig_structure(prot, prot_len, s.aad, s.aad_len, s.payload,
                                          s.payload_len, out, out_len));
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_contract_assemble_statement(const struct clave_contract *c,
                                               enum clave_contract_statement kind,
                                               const char *party, int64_t alg, uint64_t time,
                                               const uint8_t *signature, size_t signature_len,
                                               uint8_t **out, size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct statement s;
    uint8_t prot[CLAVE__COSE_PROTECTED_ALG_MAX];
    size_t prot_len = 0;
    size_t index = 0;
    uint8_t *msg = NULL;
    size_t msg_len = 0;
    uint64_t stated = 0;
    *out = NULL;
    *out_len = 0;
    CLAVE_CHECK(clave__contract_signer_index(c, party, &index));
    CLAVE_CHECK(clave__cose_protected_alg(alg, prot, &prot_len));
    CLAVE_ENSURE(signature != NULL && signature_len == RAW_SIG_LEN, CLAVE_ERR_SIGNATURE,
                 "contract: expected a %d-byte raw signature", RAW_SIG_LEN);
    CLAVE_CHECK(statement_init(c, kind, party, time, &s));
    CLAVE_CHECK(clave__cose_sign1_assemble(prot, prot_len, s.payload, s.payload_len, signature,
                                           signature_len, CONTRACT_STATEMENT_MAX_LEN, &msg,
                                           &msg_len));
    CLAVE_CHECK(clave__contract_verify_statement(c, kind, index, msg, msg_len, &stated));
    *out = msg;
    *out_len = msg_len;
    msg = NULL;
    st = CLAVE_OK;
done:
    free(msg);
    return st;
}

/* The statement's payload must be exactly the one for this contract (and, for revocations,
 * carry a time, returned in `*time`). */
static clave_status check_payload(const struct clave_contract *c,
                                  enum clave_contract_statement kind, const uint8_t *p, size_t len,
                                  uint64_t *time)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_reader r;
    const uint8_t *id = NULL;
    const uint8_t *prefix = NULL;
    clave_reader_init(&r, p, len);
    if (kind == CLAVE_CONTRACT_REVOCATION) {
        CLAVE_ENSURE(clave_reader_view(&r, CONTRACT_REVOKE_PREFIX_LEN, &prefix) == CLAVE_OK &&
                         clave_ct_equal(prefix, CONTRACT_REVOKE_PREFIX, CONTRACT_REVOKE_PREFIX_LEN),
                     CLAVE_ERR_SIGNATURE, "contract: not a revocation statement");
    }
    CLAVE_ENSURE(clave_reader_view(&r, CLAVE_CONTRACT_ID_LEN, &id) == CLAVE_OK &&
                     clave_ct_equal(id, c->id, CLAVE_CONTRACT_ID_LEN),
                 CLAVE_ERR_SIGNATURE, "contract: the statement is about another contract");
    if (kind == CLAVE_CONTRACT_REVOCATION) {
        CLAVE_ENSURE(clave_reader_u64be(&r, time) == CLAVE_OK, CLAVE_ERR_SIGNATURE,
                     "contract: revocation without a time");
    }
    CLAVE_ENSURE(clave_reader_remaining(&r) == 0, CLAVE_ERR_SIGNATURE,
                 "contract: statement payload has trailing bytes");
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave__contract_verify_statement(const struct clave_contract *c,
                                              enum clave_contract_statement kind, size_t index,
                                              const uint8_t *cose, size_t len, uint64_t *time)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_pkey *key = NULL;
    struct clave_cose_sign1 *msg = NULL;
    struct statement s;
    int64_t alg = 0;
    *time = 0;
    CLAVE_ENSURE(cose != NULL && len > 0 && len <= CONTRACT_STATEMENT_MAX_LEN, CLAVE_ERR_FORMAT,
                 "contract: statement must be 1..%d bytes", CONTRACT_STATEMENT_MAX_LEN);
    CLAVE_CHECK(signer_key(c, index, &key));
    CLAVE_CHECK(clave__cose_identity_alg(key, &alg));
    CLAVE_CHECK(statement_init(c, kind, c->doc.signers[index].party, 0, &s));
    struct clave_cose_verify_opts opts = {
        .alg = alg,
        .external_aad = s.aad,
        .external_aad_len = s.aad_len,
        .tagging = CLAVE_COSE_TAG_REQUIRED,
        .max_len = CONTRACT_STATEMENT_MAX_LEN,
    };
    CLAVE_CHECK_CTX(
        clave__cose_sign1_verify_pkey(cose, len, clave__pkey_evp(key), &opts, &msg),
        "contract: %s of %s: ", kind == CLAVE_CONTRACT_APPROVAL ? "approval" : "revocation",
        c->doc.signers[index].party);
    size_t payload_len = 0;
    const uint8_t *payload = clave_cose_sign1_payload(msg, &payload_len);
    CLAVE_CHECK(check_payload(c, kind, payload, payload_len, time));
    st = CLAVE_OK;
done:
    clave_cose_sign1_free(msg);
    clave_pkey_free(key);
    return st;
}
