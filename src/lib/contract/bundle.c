/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The portable contract bundle: one canonical CBOR map (docs/formats/contract.md)
 *
 *   bundle = {
 *     "format": 1,
 *     "contract": bstr,              ; the canonical contract document
 *     "approvals": [* statement],    ; signer order, at most one per signer
 *     "revocations": [* statement],  ; signer order, at most one per signer
 *   }
 *   statement = { "cose": bstr, "party": tstr }   ; cose: tagged COSE_Sign1
 *
 * Parsing verifies every statement and re-encodes the result: any byte that differs from the
 * one valid encoding of its content, or any statement that does not verify, fails the bundle.
 */
#include "contract/canon.h"
#include "contract/contract_internal.h"

#include "core/cbor.h"
#include "core/check.h"

#include <stdlib.h>
#include <string.h>

#define BUNDLE_FORMAT 1
#define BUNDLE_MAX_DEPTH 4
#define BUNDLE_MAX_ITEMS (16 + 8 * CLAVE_CONTRACT_MAX_SIGNERS)

static size_t statement_count(const struct contract_statement *list, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        count += list[i].cose != NULL ? 1 : 0;
    }
    return count;
}

static clave_status put_statements(struct clave_writer *w, const struct clave_contract *c,
                                   const struct contract_statement *list)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct canon_map m;
    CLAVE_CHECK(clave__canon_array(w, statement_count(list, c->doc.signer_count)));
    for (size_t i = 0; i < c->doc.signer_count; i++) {
        if (list[i].cose == NULL) {
            continue;
        }
        CLAVE_CHECK(clave__canon_map_begin(w, 2, &m));
        CLAVE_CHECK(clave__canon_key(&m, "cose"));
        CLAVE_CHECK(clave__canon_bytes(w, list[i].cose, list[i].len));
        CLAVE_CHECK(clave__canon_key(&m, "party"));
        CLAVE_CHECK(clave__canon_text(w, c->doc.signers[i].party, strlen(c->doc.signers[i].party)));
        CLAVE_CHECK(clave__canon_map_end(&m));
    }
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_contract_bundle_export(const struct clave_contract *c, uint8_t **out,
                                          size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_writer w;
    struct canon_map m;
    uint8_t *buf = NULL;
    *out = NULL;
    *out_len = 0;
    CLAVE_ENSURE(c != NULL, CLAVE_ERR_ARG, "contract: NULL contract");
    buf = malloc(CLAVE_CONTRACT_BUNDLE_MAX_LEN);
    CLAVE_ENSURE_ALLOC(buf);
    clave_writer_init(&w, buf, CLAVE_CONTRACT_BUNDLE_MAX_LEN);
    CLAVE_CHECK(clave__canon_map_begin(&w, 4, &m));
    CLAVE_CHECK(clave__canon_key(&m, "format"));
    CLAVE_CHECK(clave__canon_uint(&w, BUNDLE_FORMAT));
    CLAVE_CHECK(clave__canon_key(&m, "contract"));
    CLAVE_CHECK(clave__canon_bytes(&w, c->encoding, c->encoding_len));
    CLAVE_CHECK(clave__canon_key(&m, "approvals"));
    CLAVE_CHECK(put_statements(&w, c, c->approvals));
    CLAVE_CHECK(clave__canon_key(&m, "revocations"));
    CLAVE_CHECK(put_statements(&w, c, c->revocations));
    CLAVE_CHECK(clave__canon_map_end(&m));
    uint8_t *shrunk = realloc(buf, w.len);
    *out = shrunk != NULL ? shrunk : buf;
    *out_len = w.len;
    buf = NULL;
    st = CLAVE_OK;
done:
    free(buf);
    return st;
}

static clave_status get(const cbor_item_t *map, const char *key, cbor_item_t **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    *out = clave__cbor_map_get_text(map, key);
    CLAVE_ENSURE(*out != NULL, CLAVE_ERR_FORMAT, "bundle.%s: required", key);
    st = CLAVE_OK;
done:
    return st;
}

/* Add every statement of `list` (an array of {cose, party}) to `c`, verifying each. */
static clave_status load_statements(struct clave_contract *c, const cbor_item_t *list,
                                    enum clave_contract_statement kind, const char *name)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char party[CLAVE_CONTRACT_ID_MAX + 1];
    CLAVE_ENSURE(cbor_isa_array(list) && cbor_array_size(list) <= c->doc.signer_count,
                 CLAVE_ERR_FORMAT, "bundle.%s: expected an array of at most one per signer", name);
    for (size_t i = 0; i < cbor_array_size(list); i++) {
        const cbor_item_t *s = cbor_array_handle(list)[i];
        cbor_item_t *p = clave__cbor_map_get_text(s, "party");
        cbor_item_t *cose = clave__cbor_map_get_text(s, "cose");
        CLAVE_ENSURE(cbor_isa_map(s) && cbor_map_size(s) == 2 && p != NULL && cose != NULL &&
                         cbor_isa_string(p) && cbor_isa_bytestring(cose) &&
                         cbor_string_length(p) <= CLAVE_CONTRACT_ID_MAX,
                     CLAVE_ERR_FORMAT, "bundle.%s[%zu]: expected {cose: bstr, party: tstr}", name,
                     i);
        memcpy(party, cbor_string_handle(p), cbor_string_length(p));
        party[cbor_string_length(p)] = '\0';
        CLAVE_ENSURE(strlen(party) == cbor_string_length(p), CLAVE_ERR_FORMAT,
                     "bundle.%s[%zu].party: contains NUL", name, i);
        clave_status add =
            kind == CLAVE_CONTRACT_APPROVAL
                ? clave_contract_add_signature(c, party, cbor_bytestring_handle(cose),
                                               cbor_bytestring_length(cose))
                : clave_contract_add_revocation(c, party, cbor_bytestring_handle(cose),
                                                cbor_bytestring_length(cose));
        CLAVE_CHECK_CTX(add, "bundle.%s[%zu]: ", name, i);
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status load_bundle(const cbor_item_t *root, struct clave_contract **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    cbor_item_t *v = NULL;
    struct clave_contract *c = NULL;
    CLAVE_ENSURE(cbor_isa_map(root) && cbor_map_size(root) == 4, CLAVE_ERR_FORMAT,
                 "bundle: expected a map of 4 entries");
    CLAVE_CHECK(get(root, "format", &v));
    CLAVE_ENSURE(cbor_isa_uint(v), CLAVE_ERR_FORMAT, "bundle.format: expected an integer");
    CLAVE_ENSURE(cbor_get_int(v) == BUNDLE_FORMAT, CLAVE_ERR_UNSUPPORTED,
                 "bundle.format: unsupported version");
    CLAVE_CHECK(get(root, "contract", &v));
    CLAVE_ENSURE(cbor_isa_bytestring(v), CLAVE_ERR_FORMAT, "bundle.contract: expected bytes");
    CLAVE_CHECK_CTX(clave_contract_parse(cbor_bytestring_handle(v), cbor_bytestring_length(v), &c),
                    "bundle: ");
    CLAVE_CHECK(get(root, "approvals", &v));
    CLAVE_CHECK(load_statements(c, v, CLAVE_CONTRACT_APPROVAL, "approvals"));
    CLAVE_CHECK(get(root, "revocations", &v));
    CLAVE_CHECK(load_statements(c, v, CLAVE_CONTRACT_REVOCATION, "revocations"));
    *out = c;
    c = NULL;
    st = CLAVE_OK;
done:
    clave_contract_free(c);
    return st;
}

clave_status clave_contract_bundle_parse(const uint8_t *data, size_t len,
                                         struct clave_contract **out)
{
    static const struct clave__cbor_limits LIMITS = {
        .max_len = CLAVE_CONTRACT_BUNDLE_MAX_LEN,
        .max_depth = BUNDLE_MAX_DEPTH,
        .max_items = BUNDLE_MAX_ITEMS,
    };
    clave_status st = CLAVE_ERR_INTERNAL;
    cbor_item_t *root = NULL;
    struct clave_contract *c = NULL;
    uint8_t *again = NULL;
    size_t again_len = 0;
    *out = NULL;
    CLAVE_CHECK_CTX(clave__cbor_load(data, len, &LIMITS, &root), "bundle: ");
    CLAVE_CHECK(load_bundle(root, &c));
    /* Order, duplicates, encodings: the bundle must be exactly what export writes. */
    CLAVE_CHECK(clave_contract_bundle_export(c, &again, &again_len));
    CLAVE_ENSURE(again_len == len && memcmp(again, data, len) == 0, // lint:public
                 CLAVE_ERR_FORMAT,
                 "bundle: not in canonical form (statements out of signer order or duplicated?)");
    *out = c;
    c = NULL;
    st = CLAVE_OK;
done:
    free(again);
    clave_contract_free(c);
    if (root != NULL) {
        cbor_decref(&root);
    }
    return st;
}
