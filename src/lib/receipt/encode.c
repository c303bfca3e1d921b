/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The canonical encoding of a receipt payload (CDDL in docs/formats/receipt.md). Keys are
 * written in canonical order (shorter first, then bytewise: RFC 8949 section 4.2.1) through
 * struct canon_map, which refuses any other order. The decoder re-encodes what it read with
 * these functions and requires the same bytes, so there is exactly one encoding per receipt.
 */
#include "receipt/body.h"

#include "contract/canon.h"
#include "core/check.h"

#include <stdlib.h>
#include <string.h>

#define ITEM_OVERHEAD 64 /* heads and keys of one list element, generously */

static clave_status put_text(struct clave_writer *w, const char *s)
{
    return clave__canon_text(w, s, strlen(s));
}

static clave_status put_datasets(struct clave_writer *w, const struct receipt_body *b)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct canon_map m;
    CLAVE_CHECK(clave__canon_array(w, b->dataset_count));
    for (size_t i = 0; i < b->dataset_count; i++) {
        CLAVE_CHECK(clave__canon_map_begin(w, 2, &m));
        CLAVE_CHECK(clave__canon_key(&m, "id"));
        CLAVE_CHECK(put_text(w, b->datasets[i].id));
        CLAVE_CHECK(clave__canon_key(&m, "sha256"));
        CLAVE_CHECK(clave__canon_bytes(w, b->datasets[i].sha256, CLAVE_RECEIPT_SHA256_LEN));
        CLAVE_CHECK(clave__canon_map_end(&m));
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status put_outputs(struct clave_writer *w, const struct receipt_body *b)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct canon_map m;
    CLAVE_CHECK(clave__canon_array(w, b->output_count));
    for (size_t i = 0; i < b->output_count; i++) {
        const struct receipt_output *o = &b->outputs[i];
        CLAVE_CHECK(clave__canon_map_begin(w, 3, &m));
        CLAVE_CHECK(clave__canon_key(&m, "name"));
        CLAVE_CHECK(put_text(w, o->name));
        CLAVE_CHECK(clave__canon_key(&m, "sha256"));
        CLAVE_CHECK(clave__canon_bytes(w, o->sha256, CLAVE_RECEIPT_SHA256_LEN));
        CLAVE_CHECK(clave__canon_key(&m, "content_type"));
        CLAVE_CHECK(put_text(w, o->content_type));
        CLAVE_CHECK(clave__canon_map_end(&m));
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status put_dp(struct clave_writer *w, const struct receipt_body *b)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct canon_map m;
    CLAVE_CHECK(clave__canon_array(w, b->dp_count));
    for (size_t i = 0; i < b->dp_count; i++) {
        const struct receipt_dp *d = &b->dp[i];
        CLAVE_CHECK(clave__canon_map_begin(w, 4, &m));
        CLAVE_CHECK(clave__canon_key(&m, "output"));
        CLAVE_CHECK(put_text(w, d->output));
        CLAVE_CHECK(clave__canon_key(&m, "mechanism"));
        CLAVE_CHECK(put_text(w, d->mechanism));
        CLAVE_CHECK(clave__canon_key(&m, "delta_pico"));
        CLAVE_CHECK(clave__canon_uint(w, d->delta_pico));
        CLAVE_CHECK(clave__canon_key(&m, "epsilon_micro"));
        CLAVE_CHECK(clave__canon_uint(w, d->epsilon_micro));
        CLAVE_CHECK(clave__canon_map_end(&m));
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status put_debits(struct clave_writer *w, const struct receipt_body *b)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct canon_map m;
    CLAVE_CHECK(clave__canon_array(w, b->debit_count));
    for (size_t i = 0; i < b->debit_count; i++) {
        const struct receipt_debit *d = &b->debits[i];
        CLAVE_CHECK(clave__canon_map_begin(w, 5, &m));
        CLAVE_CHECK(clave__canon_key(&m, "party"));
        CLAVE_CHECK(put_text(w, d->party));
        CLAVE_CHECK(clave__canon_key(&m, "dataset"));
        CLAVE_CHECK(put_text(w, d->dataset));
        CLAVE_CHECK(clave__canon_key(&m, "debit_id"));
        CLAVE_CHECK(put_text(w, d->debit_id));
        CLAVE_CHECK(clave__canon_key(&m, "delta_pico"));
        CLAVE_CHECK(clave__canon_uint(w, d->delta_pico));
        CLAVE_CHECK(clave__canon_key(&m, "epsilon_micro"));
        CLAVE_CHECK(clave__canon_uint(w, d->epsilon_micro));
        CLAVE_CHECK(clave__canon_map_end(&m));
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status put_evidence(struct clave_writer *w, const struct receipt_body *b)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct canon_map m;
    CLAVE_CHECK(clave__canon_map_begin(w, b->endorsement != NULL ? 5 : 4, &m));
    CLAVE_CHECK(clave__canon_key(&m, "bytes"));
    CLAVE_CHECK(clave__canon_bytes(w, b->evidence, b->evidence_len));
    CLAVE_CHECK(clave__canon_key(&m, "format"));
    CLAVE_CHECK(put_text(w, b->format));
    CLAVE_CHECK(clave__canon_key(&m, "sha256"));
    CLAVE_CHECK(clave__canon_bytes(w, b->evidence_sha256, CLAVE_RECEIPT_SHA256_LEN));
    if (b->endorsement != NULL) {
        CLAVE_CHECK(clave__canon_key(&m, "endorsement"));
        CLAVE_CHECK(clave__canon_bytes(w, b->endorsement, b->endorsement_len));
    }
    CLAVE_CHECK(clave__canon_key(&m, "runtime_data"));
    CLAVE_CHECK(clave__canon_bytes(w, (const uint8_t *)b->runtime_data, b->runtime_data_len));
    CLAVE_CHECK(clave__canon_map_end(&m));
    st = CLAVE_OK;
done:
    return st;
}

static clave_status put_refs(struct clave_writer *w, const struct receipt_body *b)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct canon_map m;
    CLAVE_CHECK(clave__canon_map_begin(w, b->ref_count, &m));
    for (size_t i = 0; i < b->ref_count; i++) {
        CLAVE_CHECK(clave__canon_key(&m, b->refs[i].name));
        CLAVE_CHECK(clave__canon_bytes(w, b->refs[i].value, b->refs[i].len));
    }
    CLAVE_CHECK(clave__canon_map_end(&m));
    st = CLAVE_OK;
done:
    return st;
}

/* Top-level keys, canonical order: v dp ear kind debits outputs contract datasets evidence
 * issued_at reference. */
static clave_status put_body(struct clave_writer *w, const struct receipt_body *b)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct canon_map m;
    CLAVE_CHECK(clave__canon_map_begin(w, 11, &m));
    CLAVE_CHECK(clave__canon_key(&m, "v"));
    CLAVE_CHECK(clave__canon_uint(w, b->version));
    CLAVE_CHECK(clave__canon_key(&m, "dp"));
    CLAVE_CHECK(put_dp(w, b));
    CLAVE_CHECK(clave__canon_key(&m, "ear"));
    CLAVE_CHECK(put_text(w, b->ear));
    CLAVE_CHECK(clave__canon_key(&m, "kind"));
    CLAVE_CHECK(put_text(w, b->kind));
    CLAVE_CHECK(clave__canon_key(&m, "debits"));
    CLAVE_CHECK(put_debits(w, b));
    CLAVE_CHECK(clave__canon_key(&m, "outputs"));
    CLAVE_CHECK(put_outputs(w, b));
    CLAVE_CHECK(clave__canon_key(&m, "contract"));
    CLAVE_CHECK(clave__canon_bytes(w, b->contract, CLAVE_RECEIPT_CONTRACT_ID_LEN));
    CLAVE_CHECK(clave__canon_key(&m, "datasets"));
    CLAVE_CHECK(put_datasets(w, b));
    CLAVE_CHECK(clave__canon_key(&m, "evidence"));
    CLAVE_CHECK(put_evidence(w, b));
    CLAVE_CHECK(clave__canon_key(&m, "issued_at"));
    CLAVE_CHECK(clave__canon_uint(w, (uint64_t)b->issued_at));
    CLAVE_CHECK(clave__canon_key(&m, "reference"));
    CLAVE_CHECK(put_refs(w, b));
    CLAVE_CHECK(clave__canon_map_end(&m));
    st = CLAVE_OK;
done:
    return st;
}

/* An upper bound of the encoding's size: every byte of content plus a generous per-item
 * allowance for heads and keys. */
static size_t size_bound(const struct receipt_body *b)
{
    size_t n = 1024 + b->evidence_len + b->runtime_data_len + b->endorsement_len + strlen(b->ear) +
               strlen(b->kind) + strlen(b->format);
    n += b->dataset_count * (ITEM_OVERHEAD + CLAVE_RECEIPT_NAME_MAX + CLAVE_RECEIPT_SHA256_LEN);
    n += b->output_count * (ITEM_OVERHEAD + 2 * CLAVE_RECEIPT_NAME_MAX + CLAVE_RECEIPT_SHA256_LEN);
    n += b->dp_count * (ITEM_OVERHEAD + 2 * CLAVE_RECEIPT_NAME_MAX + 18);
    n += b->debit_count * (ITEM_OVERHEAD + 3 * CLAVE_RECEIPT_NAME_MAX + 18);
    for (size_t i = 0; i < b->ref_count; i++) {
        n += ITEM_OVERHEAD + strlen(b->refs[i].name) + b->refs[i].len;
    }
    return n;
}

clave_status clave__receipt_encode(const struct receipt_body *b, uint8_t **out, size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_writer w;
    uint8_t *buf = NULL;
    *out = NULL;
    *out_len = 0;
    CLAVE_ENSURE(b->has_contract, CLAVE_ERR_FORMAT, "receipt: contract id is missing");
    CLAVE_ENSURE(b->kind != NULL, CLAVE_ERR_FORMAT, "receipt: kind is missing");
    CLAVE_ENSURE(b->evidence != NULL && b->format != NULL && b->runtime_data != NULL,
                 CLAVE_ERR_FORMAT, "receipt: evidence is missing");
    CLAVE_ENSURE(b->ear != NULL, CLAVE_ERR_FORMAT, "receipt: EAR token is missing");
    CLAVE_ENSURE(b->dataset_count > 0, CLAVE_ERR_FORMAT, "receipt: no dataset");
    CLAVE_ENSURE(b->output_count > 0, CLAVE_ERR_FORMAT, "receipt: no output");
    size_t cap = size_bound(b);
    buf = malloc(cap);
    CLAVE_ENSURE_ALLOC(buf);
    clave_writer_init(&w, buf, cap);
    CLAVE_CHECK(put_body(&w, b));
    *out = buf;
    *out_len = w.len;
    buf = NULL;
    st = CLAVE_OK;
done:
    free(buf);
    return st;
}
