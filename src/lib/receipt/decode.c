/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Strict decoding of a receipt payload (CDDL in docs/formats/receipt.md):
 *
 *   payload = {"v": 1, "dp": [* dp], "ear": tstr, "kind": tstr, "debits": [* debit],
 *              "outputs": [+ output], "contract": bstr .size 32, "datasets": [+ dataset],
 *              "evidence": evidence, "issued_at": uint, "reference": {* tstr => bstr}}
 *
 * Each field is read and checked for type and range in the order above; then the whole is
 * re-encoded and must equal the input byte for byte (canonical form, no unknown keys).
 */
#include "receipt/body.h"

#include "contract/canon.h"
#include "core/cbor.h"
#include "core/check.h"

#include <stdlib.h>
#include <string.h>

#define PAYLOAD_DEPTH 6

static cbor_item_t *field(const cbor_item_t *map, const char *key)
{
    return clave__cbor_map_get_text(map, key);
}

static clave_status expect_map(const cbor_item_t *item, size_t entries, const char *where)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(item != NULL && cbor_isa_map(item), CLAVE_ERR_FORMAT, "%s: expected a map", where);
    CLAVE_ENSURE(cbor_map_size(item) == entries, CLAVE_ERR_FORMAT, "%s: %zu entries, expected %zu",
                 where, cbor_map_size(item), entries);
    st = CLAVE_OK;
done:
    return st;
}

/* A text field; `name` applies the name rules, otherwise any UTF-8 up to `max` bytes. */
static clave_status get_text(const cbor_item_t *map, const char *key, const char *where, bool name,
                             size_t max, char **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const cbor_item_t *v = field(map, key);
    CLAVE_ENSURE(v != NULL && cbor_isa_string(v) && cbor_string_is_definite(v), CLAVE_ERR_FORMAT,
                 "%s.%s: expected text", where, key);
    size_t n = cbor_string_length(v);
    const char *s = (const char *)cbor_string_handle(v);
    CLAVE_ENSURE(n > 0 && n <= max, CLAVE_ERR_FORMAT, "%s.%s: %zu bytes (1..%zu)", where, key, n,
                 max);
    CLAVE_ENSURE(!name || clave__receipt_name_ok(s, n), CLAVE_ERR_FORMAT, "%s.%s: not a valid name",
                 where, key);
    CLAVE_ENSURE(memchr(s, 0, n) == NULL, CLAVE_ERR_FORMAT, "%s.%s: holds a NUL", where, key);
    *out = strndup(s, n);
    CLAVE_ENSURE_ALLOC(*out);
    st = CLAVE_OK;
done:
    return st;
}

/* A byte-string field of `min..max` bytes into a new buffer (one extra NUL byte). */
static clave_status get_bytes(const cbor_item_t *map, const char *key, const char *where,
                              size_t min, size_t max, uint8_t **out, size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const cbor_item_t *v = field(map, key);
    CLAVE_ENSURE(v != NULL && cbor_isa_bytestring(v) && cbor_bytestring_is_definite(v),
                 CLAVE_ERR_FORMAT, "%s.%s: expected a byte string", where, key);
    size_t n = cbor_bytestring_length(v);
    CLAVE_ENSURE(n >= min && n <= max, CLAVE_ERR_FORMAT, "%s.%s: %zu bytes (%zu..%zu)", where, key,
                 n, min, max);
    *out = malloc(n + 1);
    CLAVE_ENSURE_ALLOC(*out);
    memcpy(*out, cbor_bytestring_handle(v), n);
    (*out)[n] = 0;
    *out_len = n;
    st = CLAVE_OK;
done:
    return st;
}

static clave_status get_fixed(const cbor_item_t *map, const char *key, const char *where,
                              uint8_t *out, size_t len)
{
    uint8_t *tmp = NULL;
    size_t n = 0;
    clave_status st = get_bytes(map, key, where, len, len, &tmp, &n);
    if (st == CLAVE_OK) {
        memcpy(out, tmp, len);
    }
    free(tmp);
    return st;
}

static clave_status get_uint(const cbor_item_t *map, const char *key, const char *where,
                             uint64_t max, uint64_t *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const cbor_item_t *v = field(map, key);
    CLAVE_ENSURE(v != NULL && cbor_isa_uint(v), CLAVE_ERR_FORMAT,
                 "%s.%s: expected an unsigned integer", where, key);
    *out = cbor_get_int(v);
    CLAVE_ENSURE(*out <= max, CLAVE_ERR_FORMAT, "%s.%s: out of range", where, key);
    st = CLAVE_OK;
done:
    return st;
}

/* An array field of at most `max` elements (at least `min`); `*items` borrowed. */
static clave_status get_array(const cbor_item_t *map, const char *key, size_t min, size_t max,
                              cbor_item_t ***items, size_t *count)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const cbor_item_t *v = field(map, key);
    CLAVE_ENSURE(v != NULL && cbor_isa_array(v) && cbor_array_is_definite(v), CLAVE_ERR_FORMAT,
                 "receipt.%s: expected an array", key);
    *count = cbor_array_size(v);
    CLAVE_ENSURE(*count >= min && *count <= max, CLAVE_ERR_FORMAT,
                 "receipt.%s: %zu elements (%zu..%zu)", key, *count, min, max);
    *items = cbor_array_handle(v);
    st = CLAVE_OK;
done:
    return st;
}

static clave_status get_datasets(const cbor_item_t *map, struct receipt_body *b)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    cbor_item_t **items = NULL;
    size_t n = 0;
    char where[48];
    CLAVE_CHECK(get_array(map, "datasets", 1, CLAVE_RECEIPT_MAX_DATASETS, &items, &n));
    b->datasets = calloc(n, sizeof(*b->datasets));
    CLAVE_ENSURE_ALLOC(b->datasets);
    for (size_t i = 0; i < n; i++) {
        b->dataset_count = i + 1; /* zeroed slot: clear() frees what was read */
        (void)snprintf(where, sizeof(where), "receipt.datasets[%zu]", i);
        CLAVE_CHECK(expect_map(items[i], 2, where));
        CLAVE_CHECK(
            get_text(items[i], "id", where, true, CLAVE_RECEIPT_NAME_MAX, &b->datasets[i].id));
        CLAVE_CHECK(get_fixed(items[i], "sha256", where, b->datasets[i].sha256, 32));
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status get_outputs(const cbor_item_t *map, struct receipt_body *b)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    cbor_item_t **items = NULL;
    size_t n = 0;
    char where[48];
    CLAVE_CHECK(get_array(map, "outputs", 1, CLAVE_RECEIPT_MAX_OUTPUTS, &items, &n));
    b->outputs = calloc(n, sizeof(*b->outputs));
    CLAVE_ENSURE_ALLOC(b->outputs);
    for (size_t i = 0; i < n; i++) {
        b->output_count = i + 1; /* zeroed slot: clear() frees what was read */
        struct receipt_output *o = &b->outputs[i];
        (void)snprintf(where, sizeof(where), "receipt.outputs[%zu]", i);
        CLAVE_CHECK(expect_map(items[i], 3, where));
        CLAVE_CHECK(get_text(items[i], "name", where, true, CLAVE_RECEIPT_NAME_MAX, &o->name));
        CLAVE_CHECK(get_fixed(items[i], "sha256", where, o->sha256, 32));
        CLAVE_CHECK(get_text(items[i], "content_type", where, true, CLAVE_RECEIPT_NAME_MAX,
                             &o->content_type));
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status get_dp(const cbor_item_t *map, struct receipt_body *b)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    cbor_item_t **items = NULL;
    size_t n = 0;
    char where[48];
    CLAVE_CHECK(get_array(map, "dp", 0, CLAVE_RECEIPT_MAX_DP, &items, &n));
    b->dp = calloc(n + 1, sizeof(*b->dp));
    CLAVE_ENSURE_ALLOC(b->dp);
    for (size_t i = 0; i < n; i++) {
        b->dp_count = i + 1; /* zeroed slot: clear() frees what was read */
        struct receipt_dp *d = &b->dp[i];
        (void)snprintf(where, sizeof(where), "receipt.dp[%zu]", i);
        CLAVE_CHECK(expect_map(items[i], 4, where));
        CLAVE_CHECK(get_text(items[i], "output", where, true, CLAVE_RECEIPT_NAME_MAX, &d->output));
        CLAVE_CHECK(
            get_text(items[i], "mechanism", where, true, CLAVE_RECEIPT_NAME_MAX, &d->mechanism));
        CLAVE_CHECK(get_uint(items[i], "epsilon_micro", where, UINT64_MAX, &d->epsilon_micro));
        CLAVE_CHECK(get_uint(items[i], "delta_pico", where, UINT64_MAX, &d->delta_pico));
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status get_debits(const cbor_item_t *map, struct receipt_body *b)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    cbor_item_t **items = NULL;
    size_t n = 0;
    char where[48];
    CLAVE_CHECK(get_array(map, "debits", 0, CLAVE_RECEIPT_MAX_DEBITS, &items, &n));
    b->debits = calloc(n + 1, sizeof(*b->debits));
    CLAVE_ENSURE_ALLOC(b->debits);
    for (size_t i = 0; i < n; i++) {
        b->debit_count = i + 1; /* zeroed slot: clear() frees what was read */
        struct receipt_debit *d = &b->debits[i];
        (void)snprintf(where, sizeof(where), "receipt.debits[%zu]", i);
        CLAVE_CHECK(expect_map(items[i], 5, where));
        CLAVE_CHECK(get_text(items[i], "party", where, true, CLAVE_RECEIPT_NAME_MAX, &d->party));
        CLAVE_CHECK(
            get_text(items[i], "dataset", where, true, CLAVE_RECEIPT_NAME_MAX, &d->dataset));
        CLAVE_CHECK(
            get_text(items[i], "debit_id", where, true, CLAVE_RECEIPT_NAME_MAX, &d->debit_id));
        CLAVE_CHECK(get_uint(items[i], "epsilon_micro", where, UINT64_MAX, &d->epsilon_micro));
        CLAVE_CHECK(get_uint(items[i], "delta_pico", where, UINT64_MAX, &d->delta_pico));
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status get_evidence(const cbor_item_t *map, struct receipt_body *b)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    static const char W[] = "receipt.evidence";
    const cbor_item_t *ev = field(map, "evidence");
    bool endorsed = ev != NULL && cbor_isa_map(ev) && field(ev, "endorsement") != NULL;
    uint8_t *rd = NULL;
    CLAVE_CHECK(expect_map(ev, endorsed ? 5 : 4, W));
    CLAVE_CHECK(get_text(ev, "format", W, true, CLAVE_RECEIPT_NAME_MAX, &b->format));
    CLAVE_CHECK(get_bytes(ev, "bytes", W, 1, CLAVE_ATTEST_MAX_EVIDENCE_LEN, &b->evidence,
                          &b->evidence_len));
    CLAVE_CHECK(get_fixed(ev, "sha256", W, b->evidence_sha256, 32));
    CLAVE_CHECK(get_bytes(ev, "runtime_data", W, 1, CLAVE_RECEIPT_RUNTIME_DATA_MAX, &rd,
                          &b->runtime_data_len));
    b->runtime_data = (char *)rd;
    if (endorsed) {
        CLAVE_CHECK(get_bytes(ev, "endorsement", W, 1, CLAVE_RECEIPT_ENDORSEMENT_MAX,
                              &b->endorsement, &b->endorsement_len));
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status get_refs(const cbor_item_t *map, struct receipt_body *b)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const cbor_item_t *refs = field(map, "reference");
    CLAVE_ENSURE(refs != NULL && cbor_isa_map(refs) && cbor_map_is_definite(refs), CLAVE_ERR_FORMAT,
                 "receipt.reference: expected a map");
    size_t n = cbor_map_size(refs);
    CLAVE_ENSURE(n <= CLAVE_RECEIPT_MAX_REFERENCES, CLAVE_ERR_FORMAT,
                 "receipt.reference: %zu entries (at most %d)", n, CLAVE_RECEIPT_MAX_REFERENCES);
    b->refs = calloc(n + 1, sizeof(*b->refs));
    CLAVE_ENSURE_ALLOC(b->refs);
    const struct cbor_pair *pairs = cbor_map_handle(refs);
    for (size_t i = 0; i < n; i++) {
        b->ref_count = i + 1; /* zeroed slot: clear() frees what was read */
        const cbor_item_t *k = pairs[i].key;
        const cbor_item_t *v = pairs[i].value;
        CLAVE_ENSURE(
            cbor_isa_string(k) && cbor_string_is_definite(k) &&
                clave__receipt_name_ok((const char *)cbor_string_handle(k), cbor_string_length(k)),
            CLAVE_ERR_FORMAT, "receipt.reference: key %zu is not a name", i);
        CLAVE_ENSURE(cbor_isa_bytestring(v) && cbor_bytestring_is_definite(v) &&
                         cbor_bytestring_length(v) > 0 && cbor_bytestring_length(v) <= 64,
                     CLAVE_ERR_FORMAT, "receipt.reference: value %zu is not 1..64 bytes", i);
        CLAVE_ENSURE(i == 0 ||
                         clave__canon_text_cmp((const uint8_t *)b->refs[i - 1].name,
                                               strlen(b->refs[i - 1].name), cbor_string_handle(k),
                                               cbor_string_length(k)) < 0,
                     CLAVE_ERR_FORMAT, "receipt.reference: keys not in canonical order");
        b->refs[i].name = strndup((const char *)cbor_string_handle(k), cbor_string_length(k));
        b->refs[i].value = malloc(cbor_bytestring_length(v));
        CLAVE_ENSURE_ALLOC(b->refs[i].name);
        CLAVE_ENSURE_ALLOC(b->refs[i].value);
        b->refs[i].len = cbor_bytestring_length(v);
        memcpy(b->refs[i].value, cbor_bytestring_handle(v), b->refs[i].len);
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status get_all(const cbor_item_t *root, struct receipt_body *b)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint64_t issued_at = 0;
    CLAVE_ENSURE(cbor_isa_map(root), CLAVE_ERR_FORMAT, "receipt: payload is not a map");
    CLAVE_CHECK(get_uint(root, "v", "receipt", UINT64_MAX, &b->version));
    CLAVE_ENSURE(b->version == CLAVE_RECEIPT_VERSION, CLAVE_ERR_UNSUPPORTED,
                 "receipt.v: version %llu is not supported (%d)", (unsigned long long)b->version,
                 CLAVE_RECEIPT_VERSION);
    CLAVE_CHECK(expect_map(root, 11, "receipt"));
    CLAVE_CHECK(get_fixed(root, "contract", "receipt", b->contract, 32));
    b->has_contract = true;
    CLAVE_CHECK(get_text(root, "kind", "receipt", true, CLAVE_RECEIPT_NAME_MAX, &b->kind));
    CLAVE_ENSURE(clave__receipt_kind_ok(b->kind), CLAVE_ERR_FORMAT,
                 "receipt.kind: not query, train or infer");
    CLAVE_CHECK(get_datasets(root, b));
    CLAVE_CHECK(get_evidence(root, b));
    CLAVE_CHECK(get_refs(root, b));
    CLAVE_CHECK(get_text(root, "ear", "receipt", false, CLAVE_RECEIPT_EAR_MAX, &b->ear));
    CLAVE_CHECK(get_dp(root, b));
    CLAVE_CHECK(get_debits(root, b));
    CLAVE_CHECK(get_outputs(root, b));
    CLAVE_CHECK(get_uint(root, "issued_at", "receipt", INT64_MAX, &issued_at));
    b->issued_at = (int64_t)issued_at;
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave__receipt_decode(const uint8_t *data, size_t len, struct receipt_body *b)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const struct clave__cbor_limits lim = {CLAVE_RECEIPT_MAX_LEN, PAYLOAD_DEPTH, RECEIPT_MAX_ITEMS};
    cbor_item_t *root = NULL;
    uint8_t *again = NULL;
    size_t again_len = 0;
    memset(b, 0, sizeof(*b));
    CLAVE_CHECK_CTX(clave__cbor_load(data, len, &lim, &root), "receipt payload");
    CLAVE_CHECK(get_all(root, b));
    CLAVE_CHECK(clave__receipt_encode(b, &again, &again_len));
    CLAVE_ENSURE(again_len == len && clave_ct_equal(again, data, len), CLAVE_ERR_FORMAT,
                 "receipt: payload is not in canonical form");
    st = CLAVE_OK;
done:
    if (st != CLAVE_OK) {
        clave__receipt_body_clear(b);
    }
    free(again);
    if (root != NULL) {
        cbor_decref(&root);
    }
    return st;
}
