/* SPDX-License-Identifier: Apache-2.0 */
/* A receipt as JSON: the ledger entry's fields and the display form of `clave result show`. */
#include "receipt/body.h"

#include "core/check.h"

#include <clave/encoding.h>
#include <stdlib.h>
#include <string.h>

#define HEX_MAX 129 /* 64 bytes of hex and a NUL */

static json_t *hex(const uint8_t *b, size_t n)
{
    char text[HEX_MAX];
    if (n > 64 || clave_hex_encode(b, n, text, sizeof(text)) != CLAVE_OK) {
        return NULL;
    }
    return json_string(text);
}

/* obj[key] = value, consuming the reference; a NULL value fails. */
static clave_status put(json_t *obj, const char *key, json_t *value)
{
    return value != NULL && json_object_set_new(obj, key, value) == 0 ? CLAVE_OK : CLAVE_ERR_NOMEM;
}

static clave_status push(json_t *arr, json_t *value)
{
    return value != NULL && json_array_append_new(arr, value) == 0 ? CLAVE_OK : CLAVE_ERR_NOMEM;
}

static clave_status outputs_json(const struct receipt_body *b, bool full, json_t **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *arr = json_array();
    CLAVE_ENSURE_ALLOC(arr);
    for (size_t i = 0; i < b->output_count; i++) {
        const struct receipt_output *o = &b->outputs[i];
        json_t *item = json_pack("{s:s}", "name", o->name);
        CLAVE_ENSURE_ALLOC(item);
        CLAVE_CHECK(push(arr, item));
        CLAVE_CHECK(put(item, "sha256", hex(o->sha256, 32)));
        if (full) {
            CLAVE_CHECK(put(item, "content_type", json_string(o->content_type)));
        }
    }
    *out = arr;
    arr = NULL;
    st = CLAVE_OK;
done:
    json_decref(arr);
    return st;
}

clave_status clave_receipt_ledger_fields(const struct clave_receipt *r, json_t **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *doc = json_object();
    json_t *outputs = NULL;
    *out = NULL;
    CLAVE_ENSURE_ALLOC(doc);
    CLAVE_CHECK(put(doc, "contract", hex(r->body.contract, 32)));
    CLAVE_CHECK(put(doc, "receipt", hex(r->hash, 32)));
    CLAVE_CHECK(outputs_json(&r->body, false, &outputs));
    CLAVE_CHECK(put(doc, "outputs", outputs));
    *out = doc;
    doc = NULL;
    st = CLAVE_OK;
done:
    json_decref(doc);
    return st;
}

static clave_status lists_json(const struct receipt_body *b, json_t *doc)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *ds = json_array();
    json_t *dp = json_array();
    json_t *debits = json_array();
    json_t *refs = json_object();
    CLAVE_ENSURE(ds != NULL && dp != NULL && debits != NULL && refs != NULL, CLAVE_ERR_NOMEM,
                 "out of memory");
    for (size_t i = 0; i < b->dataset_count; i++) {
        json_t *item = json_pack("{s:s}", "id", b->datasets[i].id);
        CLAVE_CHECK(push(ds, item));
        CLAVE_CHECK(put(item, "sha256", hex(b->datasets[i].sha256, 32)));
    }
    for (size_t i = 0; i < b->dp_count; i++) {
        const struct receipt_dp *d = &b->dp[i];
        CLAVE_CHECK(push(dp, json_pack("{s:s,s:s,s:f,s:f}", "output", d->output, "mechanism",
                                       d->mechanism, "epsilon", (double)d->epsilon_micro / 1e6,
                                       "delta", (double)d->delta_pico / 1e12)));
    }
    for (size_t i = 0; i < b->debit_count; i++) {
        const struct receipt_debit *d = &b->debits[i];
        CLAVE_CHECK(push(debits, json_pack("{s:s,s:s,s:s,s:f,s:f}", "debit_id", d->debit_id,
                                           "party", d->party, "dataset", d->dataset, "epsilon",
                                           (double)d->epsilon_micro / 1e6, "delta",
                                           (double)d->delta_pico / 1e12)));
    }
    for (size_t i = 0; i < b->ref_count; i++) {
        CLAVE_CHECK(put(refs, b->refs[i].name, hex(b->refs[i].value, b->refs[i].len)));
    }
    st = json_object_set(doc, "datasets", ds) == 0 && json_object_set(doc, "dp", dp) == 0 &&
                 json_object_set(doc, "debits", debits) == 0 &&
                 json_object_set(doc, "reference", refs) == 0
             ? CLAVE_OK
             : CLAVE_ERR_NOMEM;
done:
    json_decref(ds);
    json_decref(dp);
    json_decref(debits);
    json_decref(refs);
    return st;
}

clave_status clave_receipt_to_json(const struct clave_receipt *r, char **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const struct receipt_body *b = &r->body;
    json_t *doc = NULL;
    json_t *outputs = NULL;
    json_t *ev = NULL;
    *out = NULL;
    doc = json_pack("{s:I,s:s,s:I,s:s,s:b}", "version", (json_int_t)b->version, "kind", b->kind,
                    "issued_at", (json_int_t)b->issued_at, "ear", b->ear, "ledger_proof",
                    r->proof_json != NULL);
    CLAVE_ENSURE_ALLOC(doc);
    CLAVE_CHECK(put(doc, "contract", hex(b->contract, 32)));
    CLAVE_CHECK(put(doc, "receipt_sha256", hex(r->hash, 32)));
    ev = json_pack("{s:s,s:I,s:I}", "format", b->format, "size", (json_int_t)b->evidence_len,
                   "endorsement_size", (json_int_t)b->endorsement_len);
    CLAVE_CHECK(put(doc, "evidence", ev));
    CLAVE_CHECK(put(ev, "sha256", hex(b->evidence_sha256, 32)));
    json_t *rd = json_stringn(b->runtime_data, b->runtime_data_len); /* NULL if not UTF-8 */
    CLAVE_CHECK(put(ev, "runtime_data", rd != NULL ? rd : json_null()));
    CLAVE_CHECK(outputs_json(b, true, &outputs));
    CLAVE_CHECK(put(doc, "outputs", outputs));
    CLAVE_CHECK(lists_json(b, doc));
    *out = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    CLAVE_ENSURE_ALLOC(*out);
    st = CLAVE_OK;
done:
    json_decref(doc);
    return st;
}
