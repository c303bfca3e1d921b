/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AWS Nitro Enclaves attestation documents.
 *
 * Layout (aws-nitro-enclaves-nsm-api, docs/attestation_process.md, sections 2.2 and 3):
 *   COSE_Sign1 = [protected: bstr {1: -35 (ES384)}, unprotected: {}, payload: bstr .size
 *                 (1..16384), signature: bstr (96 = r || s)], tag 18 optional
 *   AttestationDocument = {
 *       module_id: text (non-empty),
 *       digest: "SHA384",
 *       timestamp: uint .size 8 (ms since the epoch, > 0),
 *       pcrs: { 1*32 (index 0..31 => bstr .size (32 / 48 / 64)) },
 *       certificate: bstr .size (1..1024)   ; DER, signs the document
 *       cabundle: [+ bstr .size (1..1024)]  ; [ROOT, INTERM_1, ..., INTERM_N]
 *       ? public_key: bstr .size (1..1024),
 *       ? user_data: bstr .size (0..512),
 *       ? nonce: bstr .size (0..512),
 *   }
 * No other key is allowed and no value may be null (section 3.2.2.1).
 *
 * Verification: the payload is peeked (unauthenticated), parsed strictly, the leaf certificate is
 * chained through cabundle to a pinned root at the document's timestamp (or the caller's time),
 * and the COSE signature verified under the leaf key. Debug enclaves report PCR0 as all zeros.
 */
#include "attest/attest_internal.h"
#include "core/cbor.h"
#include "core/check.h"

#include <clave/cose.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NITRO_PCR_SHA384_LEN 48
#define NITRO_MAX_ITEMS 512

struct nitro_doc {
    const char *module_id; /* NUL-terminated copy */
    int64_t timestamp_ms;
    const uint8_t *pcr[CLAVE_NITRO_MAX_PCRS];
    size_t pcr_len[CLAVE_NITRO_MAX_PCRS];
    const uint8_t *certificate;
    size_t certificate_len;
    const uint8_t *cabundle[CLAVE_NITRO_MAX_CABUNDLE];
    size_t cabundle_len[CLAVE_NITRO_MAX_CABUNDLE];
    size_t cabundle_count;
    const uint8_t *public_key, *user_data, *nonce;
    size_t public_key_len, user_data_len, nonce_len;
    bool has_public_key, has_user_data, has_nonce;
    char module_id_buf[256];
};

static clave_status get_bytes(const cbor_item_t *v, const char *field, size_t min, size_t max,
                              const uint8_t **out, size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(v != NULL && cbor_isa_bytestring(v) && cbor_bytestring_is_definite(v),
                 CLAVE_ERR_FORMAT, "nitro: %s is not a byte string", field);
    size_t n = cbor_bytestring_length(v);
    CLAVE_ENSURE(n >= min && n <= max, CLAVE_ERR_FORMAT, "nitro: %s is %zu bytes, not %zu..%zu",
                 field, n, min, max);
    *out = cbor_bytestring_handle(v);
    *out_len = n;
    st = CLAVE_OK;
done:
    return st;
}

static clave_status parse_pcrs(const cbor_item_t *v, struct nitro_doc *doc)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(v != NULL && cbor_isa_map(v), CLAVE_ERR_FORMAT, "nitro: pcrs is not a map");
    size_t n = cbor_map_size(v);
    CLAVE_ENSURE(n >= 1 && n <= CLAVE_NITRO_MAX_PCRS, CLAVE_ERR_FORMAT,
                 "nitro: pcrs has %zu entries, not 1..32", n);
    struct cbor_pair *pairs = cbor_map_handle(v);
    for (size_t i = 0; i < n; i++) {
        int64_t index = -1;
        CLAVE_ENSURE(cbor_isa_uint(pairs[i].key), CLAVE_ERR_FORMAT,
                     "nitro: a PCR index is not an unsigned integer");
        CLAVE_CHECK(clave__cbor_int64(pairs[i].key, &index));
        CLAVE_ENSURE(index >= 0 && index < CLAVE_NITRO_MAX_PCRS, CLAVE_ERR_FORMAT,
                     "nitro: PCR index %lld out of 0..31", (long long)index);
        const uint8_t *value = NULL;
        size_t len = 0;
        CLAVE_CHECK(get_bytes(pairs[i].value, "pcr", 32, 64, &value, &len));
        CLAVE_ENSURE(len == 32 || len == 48 || len == 64, CLAVE_ERR_FORMAT,
                     "nitro: PCR%lld is %zu bytes, not 32/48/64", (long long)index, len);
        doc->pcr[index] = value;
        doc->pcr_len[index] = len;
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status parse_cabundle(const cbor_item_t *v, struct nitro_doc *doc)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(v != NULL && cbor_isa_array(v), CLAVE_ERR_FORMAT,
                 "nitro: cabundle is not an array");
    size_t n = cbor_array_size(v);
    CLAVE_ENSURE(n >= 1 && n <= CLAVE_NITRO_MAX_CABUNDLE, CLAVE_ERR_FORMAT,
                 "nitro: cabundle has %zu entries, not 1..%d", n, CLAVE_NITRO_MAX_CABUNDLE);
    cbor_item_t **items = cbor_array_handle(v);
    for (size_t i = 0; i < n; i++) {
        CLAVE_CHECK(get_bytes(items[i], "cabundle entry", 1, CLAVE_NITRO_MAX_CERT_LEN,
                              &doc->cabundle[i], &doc->cabundle_len[i]));
    }
    doc->cabundle_count = n;
    st = CLAVE_OK;
done:
    return st;
}

static clave_status parse_text_fields(const cbor_item_t *map, struct nitro_doc *doc)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const cbor_item_t *v = clave__cbor_map_get_text(map, "module_id");
    CLAVE_ENSURE(v != NULL && cbor_isa_string(v) && cbor_string_is_definite(v), CLAVE_ERR_FORMAT,
                 "nitro: module_id missing or not text");
    size_t n = cbor_string_length(v);
    CLAVE_ENSURE(n >= 1 && n < sizeof(doc->module_id_buf), CLAVE_ERR_FORMAT,
                 "nitro: module_id of %zu bytes", n);
    memcpy(doc->module_id_buf, cbor_string_handle(v), n);
    doc->module_id_buf[n] = 0;
    CLAVE_ENSURE(strlen(doc->module_id_buf) == n, CLAVE_ERR_FORMAT, "nitro: NUL in module_id");
    doc->module_id = doc->module_id_buf;
    v = clave__cbor_map_get_text(map, "digest");
    CLAVE_ENSURE(v != NULL && cbor_isa_string(v) && cbor_string_length(v) == 6 &&
                     memcmp(cbor_string_handle(v), "SHA384", 6) == 0, // lint:public
                 CLAVE_ERR_FORMAT, "nitro: digest missing or not \"SHA384\"");
    v = clave__cbor_map_get_text(map, "timestamp");
    CLAVE_ENSURE(v != NULL && cbor_isa_uint(v), CLAVE_ERR_FORMAT,
                 "nitro: timestamp missing or not an unsigned integer");
    CLAVE_CHECK(clave__cbor_int64(v, &doc->timestamp_ms));
    CLAVE_ENSURE(doc->timestamp_ms > 0, CLAVE_ERR_FORMAT, "nitro: timestamp is 0");
    st = CLAVE_OK;
done:
    return st;
}

/* libcbor's cbor_is_null() asserts on floats, so check the item is a simple value first. */
static bool is_null(const cbor_item_t *item)
{
    return cbor_isa_float_ctrl(item) && cbor_float_get_width(item) == CBOR_FLOAT_0 &&
           cbor_is_null(item);
}

/* An optional field. The NSM encodes an absent one as null (real documents do, although
 * section 3.2.2.1 says no value may be null), so null reads as absent. */
static clave_status parse_optional(const cbor_item_t *map, const char *key, size_t min, size_t max,
                                   const uint8_t **out, size_t *out_len, bool *present)
{
    const cbor_item_t *v = clave__cbor_map_get_text(map, key);
    if (v != NULL && is_null(v)) {
        v = NULL;
    }
    *present = v != NULL;
    return v == NULL ? CLAVE_OK : get_bytes(v, key, min, max, out, out_len);
}

static clave_status only_known_keys(const cbor_item_t *map)
{
    static const char *const KEYS[] = {"module_id",  "digest",      "timestamp",
                                       "pcrs",       "certificate", "cabundle",
                                       "public_key", "user_data",   "nonce"};
    clave_status st = CLAVE_ERR_INTERNAL;
    struct cbor_pair *pairs = cbor_map_handle(map);
    for (size_t i = 0; i < cbor_map_size(map); i++) {
        bool known = false;
        for (size_t k = 0; k < sizeof(KEYS) / sizeof(KEYS[0]) && cbor_isa_string(pairs[i].key);
             k++) {
            known = known || (cbor_string_length(pairs[i].key) == strlen(KEYS[k]) &&
                              memcmp(cbor_string_handle(pairs[i].key), KEYS[k], // lint:public
                                     strlen(KEYS[k])) == 0);
        }
        CLAVE_ENSURE(known, CLAVE_ERR_FORMAT, "nitro: unknown field in the attestation document");
    }
    st = CLAVE_OK;
done:
    return st;
}

/* Parse the payload into `doc`, whose pointers borrow from `*root` (caller releases it). */
static clave_status parse_doc(const uint8_t *payload, size_t len, cbor_item_t **root,
                              struct nitro_doc *doc)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const struct clave__cbor_limits limits = {CLAVE_NITRO_MAX_PAYLOAD_LEN, 4, NITRO_MAX_ITEMS};
    memset(doc, 0, sizeof(*doc));
    CLAVE_ENSURE(len >= 1, CLAVE_ERR_FORMAT, "nitro: empty payload");
    CLAVE_CHECK_CTX(clave__cbor_load(payload, len, &limits, root), "nitro: payload: ");
    CLAVE_ENSURE(cbor_isa_map(*root), CLAVE_ERR_FORMAT, "nitro: payload is not a map");
    CLAVE_CHECK(only_known_keys(*root));
    CLAVE_CHECK(parse_text_fields(*root, doc));
    CLAVE_CHECK(parse_pcrs(clave__cbor_map_get_text(*root, "pcrs"), doc));
    CLAVE_CHECK(get_bytes(clave__cbor_map_get_text(*root, "certificate"), "certificate", 1,
                          CLAVE_NITRO_MAX_CERT_LEN, &doc->certificate, &doc->certificate_len));
    CLAVE_CHECK(parse_cabundle(clave__cbor_map_get_text(*root, "cabundle"), doc));
    CLAVE_CHECK(parse_optional(*root, "public_key", 1, CLAVE_NITRO_MAX_PUBLIC_KEY_LEN,
                               &doc->public_key, &doc->public_key_len, &doc->has_public_key));
    CLAVE_CHECK(parse_optional(*root, "user_data", 0, CLAVE_NITRO_MAX_USER_DATA_LEN,
                               &doc->user_data, &doc->user_data_len, &doc->has_user_data));
    CLAVE_CHECK(parse_optional(*root, "nonce", 0, CLAVE_NITRO_MAX_NONCE_LEN, &doc->nonce,
                               &doc->nonce_len, &doc->has_nonce));
    st = CLAVE_OK;
done:
    return st;
}

static bool all_zero(const uint8_t *p, size_t len)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < len; i++) {
        acc |= p[i];
    }
    return len > 0 && acc == 0;
}

static clave_status record_claims(const struct nitro_doc *doc, const char *tee,
                                  struct clave_attest_report *report)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char name[CLAVE_ATTEST_NAME_MAX];
    CLAVE_CHECK(clave_attest_claim_string(report, "tee", tee));
    CLAVE_CHECK(clave_attest_claim_string(report, "nitro.module_id", doc->module_id));
    CLAVE_CHECK(clave_attest_claim_string(report, "nitro.digest", "SHA384"));
    CLAVE_CHECK(clave_attest_claim_int(report, "time", doc->timestamp_ms / 1000));
    CLAVE_CHECK(clave_attest_claim_int(report, "nitro.timestamp_ms", doc->timestamp_ms));
    for (size_t i = 0; i < CLAVE_NITRO_MAX_PCRS; i++) {
        if (doc->pcr[i] != NULL) {
            (void)snprintf(name, sizeof(name), "nitro.pcr%zu", i);
            CLAVE_CHECK(clave_attest_claim_bytes(report, name, doc->pcr[i], doc->pcr_len[i]));
        }
    }
    if (doc->pcr[0] != NULL) {
        CLAVE_CHECK(clave_attest_claim_bytes(report, "measurement", doc->pcr[0], doc->pcr_len[0]));
    }
    /* A debug-mode enclave reports PCR0 (and 1, 2, 8) as zeros (Nitro Enclaves user guide). */
    CLAVE_CHECK(clave_attest_claim_bool(
        report, "debug", doc->pcr[0] == NULL || all_zero(doc->pcr[0], doc->pcr_len[0])));
    if (doc->has_user_data) {
        CLAVE_CHECK(
            clave_attest_claim_bytes(report, "report_data", doc->user_data, doc->user_data_len));
    }
    if (doc->has_nonce) {
        CLAVE_CHECK(clave_attest_claim_bytes(report, "nonce", doc->nonce, doc->nonce_len));
    }
    if (doc->has_public_key) {
        CLAVE_CHECK(
            clave_attest_claim_bytes(report, "public_key", doc->public_key, doc->public_key_len));
    }
    st = CLAVE_OK;
done:
    return st;
}

bool clave__nitro_detect(const uint8_t *evidence, size_t len)
{
    /* An untagged (0x84) or tagged (0xd2 0x84) four-element array whose protected header is the
     * bstr-wrapped {1: -35}: 0x44 0xa1 0x01 0x38 0x22. */
    static const uint8_t PREFIX[] = {0x84, 0x44, 0xa1, 0x01, 0x38, 0x22};
    if (len > 1 && evidence[0] == 0xd2) {
        evidence++;
        len--;
    }
    return len > sizeof(PREFIX) && memcmp(evidence, PREFIX, sizeof(PREFIX)) == 0; // lint:public
}

static clave_status peek(const uint8_t *evidence, size_t len, uint8_t **payload,
                         size_t *payload_len)
{
    struct clave_cose_verify_opts vopts = {0};
    vopts.alg = CLAVE_COSE_ALG_ES384;
    vopts.max_len = CLAVE_ATTEST_MAX_EVIDENCE_LEN;
    return clave_cose_sign1_peek_payload(evidence, len, &vopts, payload, payload_len);
}

clave_status clave__nitro_inspect(const uint8_t *evidence, size_t len,
                                  struct clave_attest_report *report)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t *payload = NULL;
    size_t payload_len = 0;
    cbor_item_t *root = NULL;
    struct nitro_doc doc;
    CLAVE_CHECK(peek(evidence, len, &payload, &payload_len));
    CLAVE_CHECK(parse_doc(payload, payload_len, &root, &doc));
    CLAVE_CHECK(record_claims(&doc, "nitro", report));
    st = CLAVE_OK;
done:
    if (root != NULL) {
        cbor_decref(&root);
    }
    free(payload);
    return st;
}

/* The parsed certificates of a document: leaf and cabundle (cached per distinct bytes). */
struct nitro_certs {
    struct clave_x509 *leaf;
    struct clave_x509_list *bundle;
};

static void nitro_certs_free(void *p)
{
    struct nitro_certs *c = p;
    if (c != NULL) {
        clave_x509_free(c->leaf);
        clave_x509_list_free(c->bundle);
        free(c);
    }
}

/* Parse the leaf and cabundle, recording a check per certificate; `*out` NULL if one fails. */
static clave_status parse_certs(const struct nitro_doc *doc, struct clave_attest_report *report,
                                struct nitro_certs **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct nitro_certs *c = calloc(1, sizeof(*c));
    *out = NULL;
    CLAVE_ENSURE_ALLOC(c);
    clave_status cst = clave_x509_parse_der(doc->certificate, doc->certificate_len, &c->leaf);
    CLAVE_CHECK(clave_attest_report_check(report, "nitro.certificate", cst == CLAVE_OK, "%s",
                                          cst == CLAVE_OK ? "leaf certificate parsed"
                                                          : clave_error_last().detail));
    CLAVE_CHECK(clave_x509_list_new(&c->bundle));
    for (size_t i = 0; cst == CLAVE_OK && i < doc->cabundle_count; i++) {
        cst = clave_x509_list_add_der(c->bundle, doc->cabundle[i], doc->cabundle_len[i]);
        CLAVE_CHECK(clave_attest_report_check(report, "nitro.cabundle", cst == CLAVE_OK,
                                              "cabundle[%zu] %s", i,
                                              cst == CLAVE_OK ? "parsed" : "malformed"));
    }
    if (cst == CLAVE_OK) {
        *out = c;
        c = NULL;
    }
    st = CLAVE_OK;
done:
    nitro_certs_free(c);
    return st;
}

/* The certificates from the cache (`*owned` NULL) or freshly parsed (`*owned` set when there is
 * no cache to keep them). `*certs` NULL means a certificate failed to parse. */
static clave_status get_certs(const struct nitro_doc *doc, struct clave_attest_cache *cache,
                              struct clave_attest_report *report, const struct nitro_certs **certs,
                              struct nitro_certs **owned)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const uint8_t *parts[1 + CLAVE_NITRO_MAX_CABUNDLE];
    size_t lens[1 + CLAVE_NITRO_MAX_CABUNDLE];
    uint8_t key[32];
    struct nitro_certs *fresh = NULL;
    *certs = NULL;
    *owned = NULL;
    parts[0] = doc->certificate;
    lens[0] = doc->certificate_len;
    for (size_t i = 0; i < doc->cabundle_count; i++) {
        parts[1 + i] = doc->cabundle[i];
        lens[1 + i] = doc->cabundle_len[i];
    }
    CLAVE_CHECK(clave__attest_digest("nitro-certs", parts, lens, 1 + doc->cabundle_count, key));
    *certs = clave__attest_cache_get(cache, key);
    if (*certs != NULL) {
        CLAVE_CHECK(clave_attest_report_check(report, "nitro.certificate", true,
                                              "leaf and %zu cabundle certificates parsed (cached)",
                                              doc->cabundle_count));
        st = CLAVE_OK;
        goto done;
    }
    CLAVE_CHECK(parse_certs(doc, report, &fresh));
    *certs = fresh;
    if (fresh != NULL && cache != NULL) {
        clave__attest_cache_put(cache, key, fresh, nitro_certs_free);
    } else {
        *owned = fresh;
    }
    st = CLAVE_OK;
done:
    return st;
}

/* The roots to chain to, and whether they are the simulated dev root a policy trusts. */
static clave_status choose_roots(const struct clave_attest_options *opts,
                                 const struct nitro_certs *certs, int64_t at_time,
                                 const struct clave_x509_list **roots, bool *simulated,
                                 struct clave__vendor_pki **owned)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const struct clave_x509_list *sim = clave_attest_policy_roots(opts->policy, "sim-nitro");
    const struct clave_x509_list *pinned = clave_attest_policy_roots(opts->policy, "nitro");
    const struct clave__vendor_pki *vendor = NULL;
    bool cached = false;
    *simulated = false;
    if (sim != NULL && clave__attest_chain_verify(certs->leaf, certs->bundle, sim, at_time,
                                                  opts->cache, &cached) == CLAVE_OK) {
        *roots = sim;
        *simulated = true;
    } else if (pinned != NULL) {
        *roots = pinned;
    } else {
        CLAVE_CHECK(clave__attest_vendor_pki(opts->cache, "nitro", &vendor, owned));
        *roots = vendor->roots;
    }
    clave_error_clear();
    st = CLAVE_OK;
done:
    return st;
}

/* Chain and signature checks once the document parsed. */
static clave_status verify_doc(const uint8_t *evidence, size_t len, const struct nitro_doc *doc,
                               const struct clave_attest_options *opts,
                               struct clave_attest_report *report)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const struct nitro_certs *certs = NULL;
    struct nitro_certs *owned_certs = NULL;
    struct clave__vendor_pki *owned_pki = NULL;
    const struct clave_x509_list *roots = NULL;
    struct clave_cose_sign1 *msg = NULL;
    bool simulated = false;
    bool chain_ok = false;
    CLAVE_CHECK(get_certs(doc, opts->cache, report, &certs, &owned_certs));
    if (certs == NULL) {
        st = CLAVE_OK; /* the failed check carries the verdict */
        goto done;
    }
    int64_t at_time = clave__attest_time(opts, doc->timestamp_ms / 1000);
    CLAVE_CHECK(choose_roots(opts, certs, at_time, &roots, &simulated, &owned_pki));
    CLAVE_CHECK(clave__attest_chain(report, "x509.chain", certs->leaf, certs->bundle, roots,
                                    at_time, opts->cache, &chain_ok));
    struct clave_cose_verify_opts vopts = {0};
    vopts.alg = CLAVE_COSE_ALG_ES384;
    vopts.max_len = CLAVE_ATTEST_MAX_EVIDENCE_LEN;
    clave_status cst = clave_cose_sign1_verify_x509(evidence, len, certs->leaf, &vopts, &msg);
    CLAVE_CHECK(clave_attest_report_check(report, "nitro.signature", cst == CLAVE_OK, "%s",
                                          cst == CLAVE_OK ? "COSE_Sign1 ES384 by the leaf key"
                                                          : clave_error_last().detail));
    CLAVE_CHECK(record_claims(doc, simulated ? "sim-nitro" : "nitro", report));
    st = CLAVE_OK;
done:
    clave_cose_sign1_free(msg);
    clave__vendor_pki_free(owned_pki);
    nitro_certs_free(owned_certs);
    return st;
}

clave_status clave__nitro_verify(const uint8_t *evidence, size_t len,
                                 const struct clave_attest_options *opts,
                                 struct clave_attest_report *report)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t *payload = NULL;
    size_t payload_len = 0;
    cbor_item_t *root = NULL;
    struct nitro_doc doc;
    clave_status pst = peek(evidence, len, &payload, &payload_len);
    if (pst == CLAVE_OK) {
        pst = parse_doc(payload, payload_len, &root, &doc);
    }
    CLAVE_CHECK(clave_attest_report_check(report, "nitro.format", pst == CLAVE_OK, "%s",
                                          pst == CLAVE_OK ? "COSE_Sign1 attestation document"
                                                          : clave_error_last().detail));
    if (pst == CLAVE_OK) {
        CLAVE_CHECK(verify_doc(evidence, len, &doc, opts, report));
    }
    st = CLAVE_OK;
done:
    if (root != NULL) {
        cbor_decref(&root);
    }
    free(payload);
    return st;
}
