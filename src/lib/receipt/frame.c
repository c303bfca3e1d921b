/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The outer message of a receipt: a tagged COSE_Sign1 (RFC 9052 section 4.2)
 *
 *   18([ h'A10126'                      ; protected {1: -7}, ES256
 *        {} / {"clave.ledger": {"sth": tstr, "proof": tstr}},   ; unprotected
 *        bstr                           ; payload (docs/formats/receipt.md)
 *        bstr .size 64 ])               ; ES256 signature r || s
 *
 * Signing, the payload hash, attaching the ledger proof, and parsing into a clave_receipt.
 * The frame is re-encoded after parsing and must match byte for byte.
 */
#include "receipt/body.h"

#include "core/cbor.h"
#include "core/check.h"
#include "crypto/cose_internal.h"
#include "crypto/jwk.h"

#include <clave/encoding.h>
#include <clave/json.h>
#include <clave/ledger.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SIG_LEN 64
#define FRAME_DEPTH 4
#define FRAME_ITEMS 16

static const uint8_t PROTECTED[RECEIPT_PROTECTED_LEN] = {0xa1, 0x01, 0x26};

void clave__receipt_frame_clear(struct receipt_frame *f)
{
    if (f->root != NULL) {
        cbor_decref(&f->root);
    }
    memset(f, 0, sizeof(*f));
}

static clave_status put_bstr(struct clave_writer *w, uint8_t major, const void *p, size_t n)
{
    clave_status st = clave__cbor_put_head(w, major, n);
    return st == CLAVE_OK ? clave_writer_bytes(w, p, n) : st;
}

/* Encode a frame; proof and sth both NULL for an empty unprotected header. */
static clave_status frame_encode(const uint8_t *payload, size_t payload_len, const uint8_t *sig,
                                 const char *proof, size_t proof_len, const char *sth,
                                 size_t sth_len, uint8_t **out, size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_writer w;
    /* heads (at most 9 bytes each, 12 of them), the fixed parts, then the variable ones */
    size_t cap = 128 + SIG_LEN + payload_len + proof_len + sth_len + sizeof(RECEIPT_PROOF_LABEL);
    uint8_t *buf = malloc(cap);
    CLAVE_ENSURE_ALLOC(buf);
    clave_writer_init(&w, buf, cap);
    CLAVE_CHECK(clave__cbor_put_head(&w, CLAVE_CBOR_MAJOR_TAG, CLAVE_COSE_SIGN1_TAG));
    CLAVE_CHECK(clave__cbor_put_head(&w, CLAVE_CBOR_MAJOR_ARRAY, 4));
    CLAVE_CHECK(put_bstr(&w, CLAVE_CBOR_MAJOR_BYTES, PROTECTED, sizeof(PROTECTED)));
    CLAVE_CHECK(clave__cbor_put_head(&w, CLAVE_CBOR_MAJOR_MAP, proof != NULL ? 1 : 0));
    if (proof != NULL) {
        CLAVE_CHECK(
            put_bstr(&w, CLAVE_CBOR_MAJOR_TEXT, RECEIPT_PROOF_LABEL, strlen(RECEIPT_PROOF_LABEL)));
        CLAVE_CHECK(clave__cbor_put_head(&w, CLAVE_CBOR_MAJOR_MAP, 2));
        CLAVE_CHECK(put_bstr(&w, CLAVE_CBOR_MAJOR_TEXT, "sth", 3));
        CLAVE_CHECK(put_bstr(&w, CLAVE_CBOR_MAJOR_TEXT, sth, sth_len));
        CLAVE_CHECK(put_bstr(&w, CLAVE_CBOR_MAJOR_TEXT, "proof", 5));
        CLAVE_CHECK(put_bstr(&w, CLAVE_CBOR_MAJOR_TEXT, proof, proof_len));
    }
    CLAVE_CHECK(put_bstr(&w, CLAVE_CBOR_MAJOR_BYTES, payload, payload_len));
    CLAVE_CHECK(put_bstr(&w, CLAVE_CBOR_MAJOR_BYTES, sig, SIG_LEN));
    *out = buf;
    *out_len = w.len;
    buf = NULL;
    st = CLAVE_OK;
done:
    free(buf);
    return st;
}

static clave_status text_member(const cbor_item_t *map, const char *key, size_t max,
                                const char **out, size_t *len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const cbor_item_t *v = clave__cbor_map_get_text(map, key);
    CLAVE_ENSURE(v != NULL && cbor_isa_string(v) && cbor_string_is_definite(v), CLAVE_ERR_FORMAT,
                 "receipt: ledger proof: %s is not text", key);
    *len = cbor_string_length(v);
    *out = (const char *)cbor_string_handle(v);
    CLAVE_ENSURE(*len > 0 && *len <= max && memchr(*out, 0, *len) == NULL, CLAVE_ERR_FORMAT,
                 "receipt: ledger proof: %s of %zu bytes", key, *len);
    st = CLAVE_OK;
done:
    return st;
}

static clave_status frame_unprotected(const cbor_item_t *u, struct receipt_frame *f)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(cbor_isa_map(u) && cbor_map_size(u) <= 1, CLAVE_ERR_FORMAT,
                 "receipt: unprotected header is not empty or the ledger proof");
    if (cbor_map_size(u) == 1) {
        const cbor_item_t *p = clave__cbor_map_get_text(u, RECEIPT_PROOF_LABEL);
        CLAVE_ENSURE(p != NULL && cbor_isa_map(p) && cbor_map_size(p) == 2, CLAVE_ERR_FORMAT,
                     "receipt: unprotected header holds no ledger proof map");
        CLAVE_CHECK(text_member(p, "proof", RECEIPT_PROOF_JSON_MAX, &f->proof_json, &f->proof_len));
        CLAVE_CHECK(text_member(p, "sth", RECEIPT_STH_JSON_MAX, &f->sth_json, &f->sth_len));
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status proof_is_canonical(const struct receipt_frame *f);

clave_status clave__receipt_frame_parse(const uint8_t *msg, size_t len, struct receipt_frame *f)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const struct clave__cbor_limits lim = {CLAVE_RECEIPT_MAX_LEN, FRAME_DEPTH, FRAME_ITEMS};
    struct clave_reader r;
    uint8_t tag = 0;
    const uint8_t *rest = NULL;
    uint8_t *again = NULL;
    size_t again_len = 0;
    memset(f, 0, sizeof(*f));
    CLAVE_ENSURE(msg != NULL, CLAVE_ERR_ARG, "receipt: no input");
    CLAVE_ENSURE(len <= CLAVE_RECEIPT_MAX_LEN, CLAVE_ERR_TOO_LARGE, "receipt: %zu bytes", len);
    clave_reader_init(&r, msg, len);
    CLAVE_CHECK_CTX(clave_reader_u8(&r, &tag), "receipt");
    CLAVE_ENSURE(tag == (CLAVE_CBOR_MAJOR_TAG << 5 | CLAVE_COSE_SIGN1_TAG), CLAVE_ERR_FORMAT,
                 "receipt: not a tagged COSE_Sign1");
    size_t rest_len = clave_reader_remaining(&r);
    CLAVE_CHECK(clave_reader_view(&r, rest_len, &rest));
    CLAVE_CHECK_CTX(clave__cbor_load(rest, rest_len, &lim, &f->root), "receipt");
    CLAVE_ENSURE(cbor_isa_array(f->root) && cbor_array_size(f->root) == 4, CLAVE_ERR_FORMAT,
                 "receipt: COSE_Sign1 is not a 4-element array");
    cbor_item_t **a = cbor_array_handle(f->root);
    CLAVE_ENSURE(cbor_isa_bytestring(a[0]) && cbor_bytestring_length(a[0]) == sizeof(PROTECTED) &&
                     clave_ct_equal(cbor_bytestring_handle(a[0]), PROTECTED, sizeof(PROTECTED)),
                 CLAVE_ERR_FORMAT, "receipt: protected header is not {1: -7} (ES256)");
    CLAVE_CHECK(frame_unprotected(a[1], f));
    CLAVE_ENSURE(cbor_isa_bytestring(a[2]) && cbor_bytestring_length(a[2]) > 0, CLAVE_ERR_FORMAT,
                 "receipt: payload is not a byte string");
    CLAVE_ENSURE(cbor_isa_bytestring(a[3]) && cbor_bytestring_length(a[3]) == SIG_LEN,
                 CLAVE_ERR_FORMAT, "receipt: signature is not %d bytes", SIG_LEN);
    f->payload = cbor_bytestring_handle(a[2]);
    f->payload_len = cbor_bytestring_length(a[2]);
    f->signature = cbor_bytestring_handle(a[3]);
    f->signature_len = SIG_LEN;
    CLAVE_CHECK(frame_encode(f->payload, f->payload_len, f->signature, f->proof_json, f->proof_len,
                             f->sth_json, f->sth_len, &again, &again_len));
    CLAVE_ENSURE(again_len == len && clave_ct_equal(again, msg, len), CLAVE_ERR_FORMAT,
                 "receipt: COSE_Sign1 is not in canonical form");
    if (f->proof_json != NULL) {
        CLAVE_CHECK(proof_is_canonical(f));
    }
    st = CLAVE_OK;
done:
    free(again);
    if (st != CLAVE_OK) {
        clave__receipt_frame_clear(f);
    }
    return st;
}

clave_status clave_receipt_payload_hash(const uint8_t *receipt, size_t len,
                                        uint8_t out[CLAVE_RECEIPT_SHA256_LEN])
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct receipt_frame f;
    memset(out, 0, CLAVE_RECEIPT_SHA256_LEN);
    CLAVE_CHECK(clave__receipt_frame_parse(receipt, len, &f));
    CLAVE_CHECK(
        clave_hash(CLAVE_HASH_SHA256, f.payload, f.payload_len, out, CLAVE_RECEIPT_SHA256_LEN));
    st = CLAVE_OK;
done:
    clave__receipt_frame_clear(&f);
    return st;
}

/* The audit path as a new array of lower-case hex hashes (rejecting anything else). */
static clave_status canonical_path(json_t *doc, json_t **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *path = NULL;
    json_t *arr = json_array();
    CLAVE_ENSURE_ALLOC(arr);
    CLAVE_CHECK(
        clave_json_get_array(doc, "proof", "audit_path", true, CLAVE_MERKLE_MAX_PROOF, &path));
    for (size_t i = 0; i < json_array_size(path); i++) {
        uint8_t h[CLAVE_MERKLE_HASH_LEN];
        char hex[2 * CLAVE_MERKLE_HASH_LEN + 1];
        size_t n = 0;
        const json_t *item = json_array_get(path, i);
        CLAVE_ENSURE(json_is_string(item), CLAVE_ERR_JSON, "proof.audit_path[%zu]: not text", i);
        CLAVE_CHECK(
            clave_hex_decode(json_string_value(item), json_string_length(item), h, sizeof(h), &n));
        CLAVE_ENSURE(n == sizeof(h), CLAVE_ERR_FORMAT, "proof.audit_path[%zu]: not a hash", i);
        CLAVE_CHECK(clave_hex_encode(h, sizeof(h), hex, sizeof(hex)));
        CLAVE_ENSURE(json_array_append_new(arr, json_string(hex)) == 0, CLAVE_ERR_NOMEM,
                     "out of memory");
    }
    *out = arr;
    arr = NULL;
    st = CLAVE_OK;
done:
    json_decref(arr);
    return st;
}

/*
 * The canonical texts of an inclusion proof and its tree head (the forms clave_ledger_proof_json
 * and clave_ledger_sth_to_json write), checked to agree on the tree size. Caller frees both.
 */
static clave_status canonical_proof(const char *proof, size_t proof_len, const char *sth,
                                    size_t sth_len, char **proof_out, char **sth_out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    static const char *const FIELDS[] = {"index", "tree_size", "event", "audit_path", NULL};
    static const struct clave_json_limits LIMITS = {RECEIPT_PROOF_JSON_MAX, 3};
    struct clave_ledger_sth head;
    json_t *doc = NULL;
    json_t *path = NULL;
    json_t *canon = NULL;
    int64_t index = 0;
    int64_t size = 0;
    const char *event = NULL;
    *proof_out = NULL;
    *sth_out = NULL;
    CLAVE_ENSURE(proof != NULL && sth != NULL && proof_len > 0 && sth_len > 0, CLAVE_ERR_ARG,
                 "receipt: proof and tree head are required");
    CLAVE_ENSURE(proof_len <= RECEIPT_PROOF_JSON_MAX && sth_len <= RECEIPT_STH_JSON_MAX,
                 CLAVE_ERR_TOO_LARGE, "receipt: proof or tree head too large");
    CLAVE_CHECK(clave_ledger_sth_from_json(sth, sth_len, &head));
    CLAVE_CHECK(clave_ledger_sth_to_json(&head, sth_out));
    CLAVE_CHECK(clave_json_parse(proof, proof_len, &LIMITS, "proof", &doc));
    CLAVE_CHECK(clave_json_only_keys(doc, "proof", FIELDS));
    CLAVE_CHECK(clave_json_get_int(doc, "proof", "index", true, 0, INT64_MAX, &index));
    CLAVE_CHECK(clave_json_get_int(doc, "proof", "tree_size", true, 1, INT64_MAX, &size));
    CLAVE_CHECK(clave_json_get_string(doc, "proof", "event", true, RECEIPT_PROOF_JSON_MAX, &event));
    CLAVE_CHECK(canonical_path(doc, &path));
    CLAVE_ENSURE((uint64_t)size == head.tree_size && index < size, CLAVE_ERR_FORMAT,
                 "receipt: proof of entry %lld in %lld entries, the tree head has %llu",
                 (long long)index, (long long)size, (unsigned long long)head.tree_size);
    canon = json_pack("{s:I, s:I, s:s, s:O}", "index", (json_int_t)index, "tree_size",
                      (json_int_t)size, "event", event, "audit_path", path);
    CLAVE_ENSURE_ALLOC(canon);
    *proof_out = json_dumps(canon, JSON_COMPACT | JSON_PRESERVE_ORDER);
    CLAVE_ENSURE_ALLOC(*proof_out);
    st = CLAVE_OK;
done:
    if (st != CLAVE_OK) {
        free(*sth_out);
        *sth_out = NULL;
    }
    json_decref(canon);
    json_decref(path);
    json_decref(doc);
    return st;
}

/* An attached proof must be in the canonical form attach_proof writes. */
static clave_status proof_is_canonical(const struct receipt_frame *f)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char *proof = NULL;
    char *sth = NULL;
    CLAVE_CHECK_CTX(
        canonical_proof(f->proof_json, f->proof_len, f->sth_json, f->sth_len, &proof, &sth),
        "receipt: ledger proof: ");
    CLAVE_ENSURE(strlen(proof) == f->proof_len &&
                     clave_ct_equal(proof, f->proof_json, f->proof_len) &&
                     strlen(sth) == f->sth_len && clave_ct_equal(sth, f->sth_json, f->sth_len),
                 CLAVE_ERR_FORMAT, "receipt: ledger proof is not in canonical form");
    st = CLAVE_OK;
done:
    free(proof);
    free(sth);
    return st;
}

clave_status clave_receipt_attach_proof(const uint8_t *receipt, size_t len, const char *proof_json,
                                        size_t proof_len, const char *sth_json, size_t sth_len,
                                        uint8_t **out, size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct receipt_frame f;
    char *proof = NULL;
    char *sth = NULL;
    *out = NULL;
    *out_len = 0;
    memset(&f, 0, sizeof(f));
    CLAVE_CHECK(canonical_proof(proof_json, proof_len, sth_json, sth_len, &proof, &sth));
    CLAVE_CHECK(clave__receipt_frame_parse(receipt, len, &f));
    CLAVE_CHECK(frame_encode(f.payload, f.payload_len, f.signature, proof, strlen(proof), sth,
                             strlen(sth), out, out_len));
    st = CLAVE_OK;
done:
    free(proof);
    free(sth);
    clave__receipt_frame_clear(&f);
    return st;
}

/* The builder's body, completed with the reference values from the evidence and the time. */
static clave_status complete_body(const struct receipt_body *src, struct receipt_body *dst)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_attest_report *report = NULL;
    *dst = *src;
    dst->refs = NULL;
    dst->ref_count = 0;
    CLAVE_ENSURE(src->evidence != NULL, CLAVE_ERR_FORMAT, "receipt: evidence is missing");
    CLAVE_CHECK(clave_attest_report_new(&report));
    CLAVE_CHECK_CTX(clave_attest_inspect(src->format, src->evidence, src->evidence_len, report),
                    "receipt: evidence: ");
    CLAVE_CHECK(clave__receipt_refs_from_report(report, &dst->refs, &dst->ref_count));
    if (dst->issued_at == 0) {
        dst->issued_at = (int64_t)time(NULL);
    }
    st = CLAVE_OK;
done:
    clave_attest_report_free(report);
    return st;
}

/* The signing key must be the private half of the runtime data's tee-pubkey. */
static clave_status key_matches(const struct clave_jwk *key, const struct receipt_body *b)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    EVP_PKEY *named = NULL;
    CLAVE_ENSURE(key != NULL && clave_jwk_type(key) == CLAVE_JWK_EC_P256 &&
                     clave_jwk_has_private(key),
                 CLAVE_ERR_KEY, "receipt: the TEE key must be a private P-256 key");
    CLAVE_ENSURE(b->runtime_data != NULL, CLAVE_ERR_FORMAT, "receipt: runtime data is missing");
    CLAVE_CHECK(clave__receipt_tee_key(b->runtime_data, b->runtime_data_len, &named));
    CLAVE_ENSURE(EVP_PKEY_eq(named, key->pkey) == 1, CLAVE_ERR_KEY,
                 "receipt: the TEE key is not the runtime data's tee-pubkey");
    st = CLAVE_OK;
done:
    EVP_PKEY_free(named);
    return st;
}

clave_status clave_receipt_sign(const struct clave_receipt_builder *b,
                                const struct clave_jwk *tee_key, uint8_t **out, size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct receipt_body body;
    uint8_t *payload = NULL;
    size_t payload_len = 0;
    const struct clave_cose_sign_opts opts = {.tagged = true};
    memset(&body, 0, sizeof(body));
    *out = NULL;
    *out_len = 0;
    CLAVE_ENSURE(b != NULL, CLAVE_ERR_ARG, "receipt: no builder");
    CLAVE_CHECK(key_matches(tee_key, &b->body));
    CLAVE_CHECK(complete_body(&b->body, &body));
    CLAVE_CHECK(clave__receipt_encode(&body, &payload, &payload_len));
    CLAVE_CHECK(clave__cose_sign1_sign_pkey(tee_key->pkey, CLAVE_COSE_ALG_ES256, payload,
                                            payload_len, &opts, out, out_len));
    st = CLAVE_OK;
done:
    clave__receipt_refs_free(body.refs, body.ref_count);
    free(payload);
    return st;
}
