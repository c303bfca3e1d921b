/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Membership statements: tagged COSE_Sign1 (RFC 9052 section 4.2), protected header {1: alg}
 * (-8 EdDSA for Ed25519, -7 ES256 for P-256), external AAD (section 4.3)
 *
 *   "clave-collab-membership-v1" || 0x00 || collaboration || 0x00 || signer
 *
 * and an attached payload in canonical CBOR (RFC 8949 section 4.2.1: shortest heads, keys sorted
 * by their encodings, no other keys):
 *
 *   payload = {
 *     "v": 1,
 *     "op": "add" / "remove" / "rekey",
 *     ? "key": bstr,                 ; add, rekey: SubjectPublicKeyInfo DER, Ed25519 or P-256
 *     "seq": uint,                   ; index of the statement in the history
 *     "prev": bstr .size 32,         ; SHA-256 of statement seq-1 (32 zero bytes for seq 0)
 *     "time": uint,                  ; Unix seconds, informational
 *     "party": tstr,                 ; the subject
 *     ? "region": tstr,              ; add only
 *     "signer": tstr,                ; the member whose key signs
 *     "collaboration": tstr,
 *   }
 */
#include "collab/collab_internal.h"

#include "contract/canon.h"
#include "core/cbor.h"
#include "core/check.h"
#include "crypto/cose_internal.h"
#include "crypto/pkey.h"

#include <clave/cose.h>
#include <stdlib.h>
#include <string.h>

#define RAW_SIG_LEN 64
#define PAYLOAD_VERSION 1
#define PAYLOAD_MAX_ITEMS 32
#define PAYLOAD_MAX_DEPTH 2

static const char *const OP_NAMES[] = {"?", "add", "remove", "rekey"};

const char *clave_collab_op_name(enum clave_collab_op op)
{
    return op >= CLAVE_COLLAB_ADD && op <= CLAVE_COLLAB_REKEY ? OP_NAMES[op] : OP_NAMES[0];
}

bool clave_collab_valid_name(const char *s)
{
    size_t n = s != NULL ? strnlen(s, CLAVE_COLLAB_NAME_MAX + 1) : 0;
    if (n == 0 || n > CLAVE_COLLAB_NAME_MAX) {
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

/* Ed25519 or P-256 SPKI in canonical DER (it re-exports to the same bytes). */
static clave_status key_check(const uint8_t *spki, size_t len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_pkey *k = NULL;
    uint8_t again[CLAVE_COLLAB_SPKI_MAX];
    size_t again_len = 0;
    CLAVE_ENSURE(spki != NULL && len > 0 && len <= CLAVE_COLLAB_SPKI_MAX, CLAVE_ERR_KEY,
                 "collab: key must be 1..%d bytes of SubjectPublicKeyInfo", CLAVE_COLLAB_SPKI_MAX);
    CLAVE_CHECK_CTX(clave_pkey_from_der(spki, len, &k), "collab: key: ");
    CLAVE_ENSURE(!clave_pkey_has_private(k), CLAVE_ERR_KEY, "collab: key: a private key");
    CLAVE_ENSURE(clave_pkey_type(k) == CLAVE_PKEY_ED25519 || clave_pkey_type(k) == CLAVE_PKEY_P256,
                 CLAVE_ERR_KEY, "collab: identity keys are Ed25519 or P-256");
    CLAVE_CHECK(clave_pkey_export_spki(k, again, sizeof(again), &again_len));
    CLAVE_ENSURE(again_len == len && memcmp(again, spki, len) == 0, // lint:public
                 CLAVE_ERR_KEY, "collab: key: not in canonical DER");
    st = CLAVE_OK;
done:
    clave_pkey_free(k);
    return st;
}

clave_status clave__collab_change_check(const struct clave_collab_change *ch)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    bool keyed = ch->op == CLAVE_COLLAB_ADD || ch->op == CLAVE_COLLAB_REKEY;
    CLAVE_ENSURE(ch->op >= CLAVE_COLLAB_ADD && ch->op <= CLAVE_COLLAB_REKEY, CLAVE_ERR_FORMAT,
                 "collab: op must be add, remove or rekey");
    CLAVE_ENSURE(clave_collab_valid_name(ch->collaboration), CLAVE_ERR_FORMAT,
                 "collab: collaboration: [A-Za-z0-9_-]{1,64}");
    CLAVE_ENSURE(clave_collab_valid_name(ch->party), CLAVE_ERR_FORMAT,
                 "collab: party: [A-Za-z0-9_-]{1,64}");
    CLAVE_ENSURE(clave_collab_valid_name(ch->signer), CLAVE_ERR_FORMAT,
                 "collab: signer: [A-Za-z0-9_-]{1,64}");
    CLAVE_ENSURE(ch->region == NULL ||
                     (ch->op == CLAVE_COLLAB_ADD && clave_collab_valid_name(ch->region)),
                 CLAVE_ERR_FORMAT, "collab: region: [A-Za-z0-9_-]{1,64}, on add only");
    CLAVE_ENSURE(keyed == (ch->spki != NULL), CLAVE_ERR_FORMAT,
                 "collab: key: required for add and rekey, absent for remove");
    CLAVE_ENSURE(ch->seq < CLAVE_COLLAB_HISTORY_MAX, CLAVE_ERR_LIMIT,
                 "collab: seq: at most %d statements", CLAVE_COLLAB_HISTORY_MAX);
    CLAVE_ENSURE(ch->op != CLAVE_COLLAB_REKEY || strcmp(ch->party, ch->signer) == 0,
                 CLAVE_ERR_FORMAT, "collab: a rekey is signed by the member itself");
    if (keyed) {
        CLAVE_CHECK(key_check(ch->spki, ch->spki_len));
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status put_text(struct canon_map *m, const char *key, const char *v)
{
    clave_status st = clave__canon_key(m, key);
    return st == CLAVE_OK ? clave__canon_text(m->w, v, strlen(v)) : st;
}

clave_status clave__collab_payload(const struct clave_collab_change *ch, uint8_t *buf, size_t *len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_writer w;
    struct canon_map m;
    *len = 0;
    CLAVE_CHECK(clave__collab_change_check(ch));
    clave_writer_init(&w, buf, COLLAB_PAYLOAD_MAX);
    size_t entries = 8 + (ch->spki != NULL ? 1u : 0u) + (ch->region != NULL ? 1u : 0u);
    CLAVE_CHECK(clave__canon_map_begin(&w, entries, &m));
    CLAVE_CHECK(clave__canon_key(&m, "v"));
    CLAVE_CHECK(clave__canon_uint(&w, PAYLOAD_VERSION));
    CLAVE_CHECK(put_text(&m, "op", clave_collab_op_name(ch->op)));
    if (ch->spki != NULL) {
        CLAVE_CHECK(clave__canon_key(&m, "key"));
        CLAVE_CHECK(clave__canon_bytes(&w, ch->spki, ch->spki_len));
    }
    CLAVE_CHECK(clave__canon_key(&m, "seq"));
    CLAVE_CHECK(clave__canon_uint(&w, ch->seq));
    CLAVE_CHECK(clave__canon_key(&m, "prev"));
    CLAVE_CHECK(clave__canon_bytes(&w, ch->prev, CLAVE_COLLAB_HASH_LEN));
    CLAVE_CHECK(clave__canon_key(&m, "time"));
    CLAVE_CHECK(clave__canon_uint(&w, ch->time));
    CLAVE_CHECK(put_text(&m, "party", ch->party));
    if (ch->region != NULL) {
        CLAVE_CHECK(put_text(&m, "region", ch->region));
    }
    CLAVE_CHECK(put_text(&m, "signer", ch->signer));
    CLAVE_CHECK(put_text(&m, "collaboration", ch->collaboration));
    CLAVE_CHECK(clave__canon_map_end(&m));
    *len = w.len;
    st = CLAVE_OK;
done:
    return st;
}

/* A text field of at most CLAVE_COLLAB_NAME_MAX bytes into `out`; absent is an error only when
 * `required`. */
static clave_status get_text(const cbor_item_t *map, const char *key, bool required, char *out,
                             size_t *present)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const cbor_item_t *v = clave__cbor_map_get_text(map, key);
    out[0] = '\0';
    CLAVE_ENSURE(v != NULL || !required, CLAVE_ERR_FORMAT, "collab: payload.%s: missing", key);
    if (v != NULL) {
        CLAVE_ENSURE(cbor_isa_string(v) && cbor_string_is_definite(v) &&
                         cbor_string_length(v) <= CLAVE_COLLAB_NAME_MAX,
                     CLAVE_ERR_FORMAT, "collab: payload.%s: text of at most %d bytes", key,
                     CLAVE_COLLAB_NAME_MAX);
        memcpy(out, cbor_string_handle(v), cbor_string_length(v));
        out[cbor_string_length(v)] = '\0';
        (*present)++;
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status get_uint(const cbor_item_t *map, const char *key, uint64_t *out,
                             size_t *present)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const cbor_item_t *v = clave__cbor_map_get_text(map, key);
    int64_t i = 0;
    CLAVE_ENSURE(v != NULL && cbor_isa_uint(v) && clave__cbor_int64(v, &i) == CLAVE_OK,
                 CLAVE_ERR_FORMAT, "collab: payload.%s: an unsigned integer below 2^63", key);
    *out = (uint64_t)i;
    (*present)++;
    st = CLAVE_OK;
done:
    return st;
}

static clave_status get_bytes(const cbor_item_t *map, const char *key, uint8_t *out, size_t cap,
                              size_t *len, size_t *present)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const cbor_item_t *v = clave__cbor_map_get_text(map, key);
    *len = 0;
    if (v == NULL) {
        return CLAVE_OK;
    }
    CLAVE_ENSURE(cbor_isa_bytestring(v) && cbor_bytestring_is_definite(v) &&
                     cbor_bytestring_length(v) <= cap,
                 CLAVE_ERR_FORMAT, "collab: payload.%s: bytes of at most %zu", key, cap);
    memcpy(out, cbor_bytestring_handle(v), cbor_bytestring_length(v));
    *len = cbor_bytestring_length(v);
    (*present)++;
    st = CLAVE_OK;
done:
    return st;
}

static clave_status decode_fields(const cbor_item_t *map, struct clave_collab_statement *s)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char op[CLAVE_COLLAB_NAME_MAX + 1];
    uint64_t version = 0;
    size_t present = 0;
    size_t prev_len = 0;
    CLAVE_ENSURE(cbor_isa_map(map) && cbor_map_is_definite(map), CLAVE_ERR_FORMAT,
                 "collab: payload: not a map");
    CLAVE_CHECK(get_uint(map, "v", &version, &present));
    CLAVE_ENSURE(version == PAYLOAD_VERSION, CLAVE_ERR_UNSUPPORTED,
                 "collab: payload.v: version %llu", (unsigned long long)version);
    CLAVE_CHECK(get_text(map, "op", true, op, &present));
    for (int i = CLAVE_COLLAB_ADD; i <= CLAVE_COLLAB_REKEY; i++) {
        s->op = strcmp(op, OP_NAMES[i]) == 0 ? (enum clave_collab_op)i : s->op;
    }
    CLAVE_ENSURE(s->op != 0, CLAVE_ERR_FORMAT, "collab: payload.op: add, remove or rekey");
    CLAVE_CHECK(get_bytes(map, "key", s->spki, sizeof(s->spki), &s->spki_len, &present));
    CLAVE_CHECK(get_uint(map, "seq", &s->seq, &present));
    CLAVE_CHECK(get_bytes(map, "prev", s->prev, sizeof(s->prev), &prev_len, &present));
    CLAVE_ENSURE(prev_len == CLAVE_COLLAB_HASH_LEN, CLAVE_ERR_FORMAT,
                 "collab: payload.prev: 32 bytes");
    CLAVE_CHECK(get_uint(map, "time", &s->time, &present));
    CLAVE_CHECK(get_text(map, "party", true, s->party, &present));
    CLAVE_CHECK(get_text(map, "region", false, s->region, &present));
    CLAVE_CHECK(get_text(map, "signer", true, s->signer, &present));
    CLAVE_CHECK(get_text(map, "collaboration", true, s->collaboration, &present));
    CLAVE_ENSURE(present == cbor_map_size(map), CLAVE_ERR_FORMAT, "collab: payload: unknown keys");
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave__collab_payload_decode(const uint8_t *p, size_t len,
                                          struct clave_collab_statement *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    cbor_item_t *item = NULL;
    struct clave__cbor_limits lim = {COLLAB_PAYLOAD_MAX, PAYLOAD_MAX_DEPTH, PAYLOAD_MAX_ITEMS};
    struct clave_collab_change view;
    uint8_t again[COLLAB_PAYLOAD_MAX];
    size_t again_len = 0;
    memset(out, 0, sizeof(*out));
    CLAVE_CHECK_CTX(clave__cbor_load(p, len, &lim, &item), "collab: payload: ");
    CLAVE_CHECK(decode_fields(item, out));
    clave__collab_view(out, &view);
    /* Re-encoding checks every field and the canonical form in one step. */
    CLAVE_CHECK(clave__collab_payload(&view, again, &again_len));
    CLAVE_ENSURE(again_len == len && memcmp(again, p, len) == 0, // lint:public
                 CLAVE_ERR_FORMAT, "collab: payload: not in canonical form");
    st = CLAVE_OK;
done:
    if (item != NULL) {
        cbor_decref(&item);
    }
    return st;
}

void clave__collab_view(const struct clave_collab_statement *s, struct clave_collab_change *out)
{
    memset(out, 0, sizeof(*out));
    out->op = s->op;
    out->collaboration = s->collaboration;
    out->seq = s->seq;
    memcpy(out->prev, s->prev, sizeof(out->prev));
    out->party = s->party;
    out->signer = s->signer;
    out->spki = s->spki_len > 0 ? s->spki : NULL;
    out->spki_len = s->spki_len;
    out->region = s->region[0] != '\0' ? s->region : NULL;
    out->time = s->time;
}

clave_status clave__collab_aad(const char *collaboration, const char *signer, uint8_t *buf,
                               size_t *len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_writer w;
    static const uint8_t zero = 0;
    clave_writer_init(&w, buf, COLLAB_AAD_MAX);
    CLAVE_CHECK(
        clave_writer_bytes(&w, (const uint8_t *)CLAVE_COLLAB_AAD, sizeof(CLAVE_COLLAB_AAD)));
    CLAVE_CHECK(clave_writer_bytes(&w, (const uint8_t *)collaboration, strlen(collaboration)));
    CLAVE_CHECK(clave_writer_bytes(&w, &zero, 1));
    CLAVE_CHECK(clave_writer_bytes(&w, (const uint8_t *)signer, strlen(signer)));
    *len = w.len;
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_collab_statement_peek(const uint8_t *cose, size_t len,
                                         struct clave_collab_statement **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t *payload = NULL;
    size_t payload_len = 0;
    struct clave_collab_statement *s = NULL;
    struct clave_cose_verify_opts opts = {.tagging = CLAVE_COSE_TAG_REQUIRED,
                                          .max_len = CLAVE_COLLAB_STATEMENT_MAX_LEN};
    *out = NULL;
    CLAVE_ENSURE(cose != NULL && len > 0 && len <= CLAVE_COLLAB_STATEMENT_MAX_LEN,
                 CLAVE_ERR_TOO_LARGE, "collab: statement must be 1..%d bytes",
                 CLAVE_COLLAB_STATEMENT_MAX_LEN);
    CLAVE_CHECK_CTX(clave_cose_sign1_peek_payload(cose, len, &opts, &payload, &payload_len),
                    "collab: statement: ");
    s = calloc(1, sizeof(*s));
    CLAVE_ENSURE_ALLOC(s);
    CLAVE_CHECK(clave__collab_payload_decode(payload, payload_len, s));
    *out = s;
    s = NULL;
    st = CLAVE_OK;
done:
    free(s);
    free(payload);
    return st;
}

void clave_collab_statement_change(const struct clave_collab_statement *s,
                                   struct clave_collab_change *out)
{
    clave__collab_view(s, out);
}

void clave_collab_statement_free(struct clave_collab_statement *s)
{
    free(s);
}

clave_status clave_collab_sign(const struct clave_collab_change *change,
                               const struct clave_pkey *key, uint8_t **out, size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t payload[COLLAB_PAYLOAD_MAX];
    uint8_t aad[COLLAB_AAD_MAX];
    size_t payload_len = 0;
    size_t aad_len = 0;
    int64_t alg = 0;
    *out = NULL;
    *out_len = 0;
    CLAVE_ENSURE(change != NULL && key != NULL && clave_pkey_has_private(key), CLAVE_ERR_ARG,
                 "collab: a change and a private key are required");
    CLAVE_ENSURE(clave__cose_identity_alg(key, &alg) == CLAVE_OK, CLAVE_ERR_KEY,
                 "collab: identity keys are Ed25519 or P-256");
    CLAVE_CHECK(clave__collab_payload(change, payload, &payload_len));
    CLAVE_CHECK(clave__collab_aad(change->collaboration, change->signer, aad, &aad_len));
    struct clave_cose_sign_opts opts = {
        .external_aad = aad, .external_aad_len = aad_len, .tagged = true};
    CLAVE_CHECK(clave__cose_sign1_sign_pkey(clave__pkey_evp(key), alg, payload, payload_len, &opts,
                                            out, out_len));
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_collab_signing_input(const struct clave_collab_change *change, int64_t alg,
                                        uint8_t **out, size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t prot[CLAVE__COSE_PROTECTED_ALG_MAX];
    uint8_t payload[COLLAB_PAYLOAD_MAX];
    uint8_t aad[COLLAB_AAD_MAX];
    size_t prot_len = 0;
    size_t payload_len = 0;
    size_t aad_len = 0;
    *out = NULL;
    *out_len = 0;
    CLAVE_ENSURE(change != NULL, CLAVE_ERR_ARG, "collab: NULL change");
    CLAVE_CHECK(clave__cose_protected_alg(alg, prot, &prot_len));
    CLAVE_CHECK(clave__collab_payload(change, payload, &payload_len));
    CLAVE_CHECK(clave__collab_aad(change->collaboration, change->signer, aad, &aad_len));
    CLAVE_CHECK(clave__cose_sig_structure(prot, prot_len, aad, aad_len, payload, payload_len, out,
                                          out_len));
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_collab_assemble(const struct clave_collab_change *change, int64_t alg,
                                   const uint8_t *signer_spki, size_t signer_spki_len,
                                   const uint8_t *signature, size_t signature_len, uint8_t **out,
                                   size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t prot[CLAVE__COSE_PROTECTED_ALG_MAX];
    uint8_t payload[COLLAB_PAYLOAD_MAX];
    size_t prot_len = 0;
    size_t payload_len = 0;
    uint8_t *msg = NULL;
    size_t msg_len = 0;
    struct clave_collab_statement expect;
    *out = NULL;
    *out_len = 0;
    CLAVE_ENSURE(change != NULL, CLAVE_ERR_ARG, "collab: NULL change");
    CLAVE_ENSURE(signature != NULL && signature_len == RAW_SIG_LEN, CLAVE_ERR_SIGNATURE,
                 "collab: expected a %d-byte raw signature", RAW_SIG_LEN);
    CLAVE_CHECK(clave__cose_protected_alg(alg, prot, &prot_len));
    CLAVE_CHECK(clave__collab_payload(change, payload, &payload_len));
    CLAVE_CHECK(clave__collab_payload_decode(payload, payload_len, &expect));
    CLAVE_CHECK(clave__cose_sign1_assemble(prot, prot_len, payload, payload_len, signature,
                                           RAW_SIG_LEN, CLAVE_COLLAB_STATEMENT_MAX_LEN, &msg,
                                           &msg_len));
    CLAVE_CHECK(clave__collab_verify(msg, msg_len, signer_spki, signer_spki_len, &expect));
    *out = msg;
    *out_len = msg_len;
    msg = NULL;
    st = CLAVE_OK;
done:
    free(msg);
    return st;
}

bool clave__collab_same_key(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len)
{
    struct clave_pkey *ka = NULL;
    struct clave_pkey *kb = NULL;
    uint8_t ra[CLAVE_COLLAB_SPKI_MAX];
    uint8_t rb[CLAVE_COLLAB_SPKI_MAX];
    size_t ra_len = 0;
    size_t rb_len = 0;
    bool same = clave_pkey_from_der(a, a_len, &ka) == CLAVE_OK &&
                clave_pkey_from_der(b, b_len, &kb) == CLAVE_OK &&
                clave_pkey_type(ka) == clave_pkey_type(kb) &&
                clave_pkey_export_raw_public(ka, ra, sizeof(ra), &ra_len) == CLAVE_OK &&
                clave_pkey_export_raw_public(kb, rb, sizeof(rb), &rb_len) == CLAVE_OK &&
                ra_len == rb_len && clave_ct_equal(ra, rb, ra_len);
    clave_pkey_free(ka);
    clave_pkey_free(kb);
    return same;
}

clave_status clave__collab_verify(const uint8_t *cose, size_t len, const uint8_t *spki,
                                  size_t spki_len, const struct clave_collab_statement *expect)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_pkey *key = NULL;
    struct clave_cose_sign1 *msg = NULL;
    struct clave_collab_statement got;
    uint8_t aad[COLLAB_AAD_MAX];
    size_t aad_len = 0;
    int64_t alg = 0;
    CLAVE_ENSURE(spki != NULL, CLAVE_ERR_KEY, "collab: no key to verify with");
    CLAVE_CHECK(clave_pkey_from_der(spki, spki_len, &key));
    CLAVE_ENSURE(clave__cose_identity_alg(key, &alg) == CLAVE_OK, CLAVE_ERR_KEY,
                 "collab: identity keys are Ed25519 or P-256");
    CLAVE_CHECK(clave__collab_aad(expect->collaboration, expect->signer, aad, &aad_len));
    struct clave_cose_verify_opts opts = {.alg = alg,
                                          .external_aad = aad,
                                          .external_aad_len = aad_len,
                                          .tagging = CLAVE_COSE_TAG_REQUIRED,
                                          .max_len = CLAVE_COLLAB_STATEMENT_MAX_LEN};
    CLAVE_CHECK_CTX(clave__cose_sign1_verify_pkey(cose, len, clave__pkey_evp(key), &opts, &msg),
                    "collab: statement %llu by %s: ", (unsigned long long)expect->seq,
                    expect->signer);
    size_t payload_len = 0;
    const uint8_t *payload = clave_cose_sign1_payload(msg, &payload_len);
    CLAVE_CHECK(clave__collab_payload_decode(payload, payload_len, &got));
    CLAVE_ENSURE(clave_ct_equal(&got, expect, sizeof(got)), CLAVE_ERR_SIGNATURE,
                 "collab: the signed payload is not the statement's");
    st = CLAVE_OK;
done:
    clave_cose_sign1_free(msg);
    clave_pkey_free(key);
    return st;
}
