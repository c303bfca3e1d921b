/* SPDX-License-Identifier: Apache-2.0 */
/* The receipt builder (include/clave/receipt.h): setters that copy and bound their inputs. */
#include "receipt/body.h"

#include "contract/canon.h"
#include "core/check.h"

#include <stdlib.h>
#include <string.h>

void clave__receipt_refs_free(struct receipt_reference *refs, size_t count)
{
    for (size_t i = 0; refs != NULL && i < count; i++) {
        free(refs[i].name);
        free(refs[i].value);
    }
    free(refs);
}

void clave__receipt_body_clear(struct receipt_body *b)
{
    free(b->kind);
    free(b->format);
    free(b->evidence);
    free(b->runtime_data);
    free(b->endorsement);
    free(b->ear);
    for (size_t i = 0; i < b->dataset_count; i++) {
        free(b->datasets[i].id);
    }
    free(b->datasets);
    for (size_t i = 0; i < b->output_count; i++) {
        free(b->outputs[i].name);
        free(b->outputs[i].content_type);
    }
    free(b->outputs);
    for (size_t i = 0; i < b->dp_count; i++) {
        free(b->dp[i].output);
        free(b->dp[i].mechanism);
    }
    free(b->dp);
    for (size_t i = 0; i < b->debit_count; i++) {
        free(b->debits[i].debit_id);
        free(b->debits[i].party);
        free(b->debits[i].dataset);
    }
    free(b->debits);
    clave__receipt_refs_free(b->refs, b->ref_count);
    memset(b, 0, sizeof(*b));
}

bool clave__receipt_name_ok(const char *s, size_t len)
{
    if (s == NULL || len == 0 || len > CLAVE_RECEIPT_NAME_MAX ||
        !clave__canon_utf8_ok((const uint8_t *)s, len)) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f) {
            return false;
        }
    }
    return true;
}

bool clave__receipt_kind_ok(const char *kind)
{
    return strcmp(kind, "query") == 0 || strcmp(kind, "train") == 0 || strcmp(kind, "infer") == 0 ||
           strcmp(kind, "fl") == 0; /* clave-runner fl: the attested FL aggregator */
}

/* A checked copy of a name into `*dst` (replacing what was there). */
static clave_status set_name(char **dst, const char *s, const char *what)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    size_t n = s != NULL ? strnlen(s, CLAVE_RECEIPT_NAME_MAX + 1) : 0;
    CLAVE_ENSURE(clave__receipt_name_ok(s, n), CLAVE_ERR_ARG,
                 "receipt: %s must be 1..%d bytes of UTF-8 text", what, CLAVE_RECEIPT_NAME_MAX);
    char *copy = strndup(s, n);
    CLAVE_ENSURE_ALLOC(copy);
    free(*dst);
    *dst = copy;
    st = CLAVE_OK;
done:
    return st;
}

static clave_status set_bytes(uint8_t **dst, size_t *dst_len, const uint8_t *p, size_t n,
                              size_t max, const char *what)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(p != NULL && n > 0, CLAVE_ERR_ARG, "receipt: %s is empty", what);
    CLAVE_ENSURE(n <= max, CLAVE_ERR_TOO_LARGE, "receipt: %s of %zu bytes (at most %zu)", what, n,
                 max);
    uint8_t *copy = malloc(n + 1); /* one more: text fields keep a NUL */
    CLAVE_ENSURE_ALLOC(copy);
    memcpy(copy, p, n);
    copy[n] = 0;
    free(*dst);
    *dst = copy;
    *dst_len = n;
    st = CLAVE_OK;
done:
    return st;
}

/* set_bytes() for a NUL-terminated text field. */
static clave_status set_text(char **dst, size_t *dst_len, const char *p, size_t n, size_t max,
                             const char *what)
{
    uint8_t *copy = NULL;
    size_t copy_len = 0;
    clave_status st = set_bytes(&copy, &copy_len, (const uint8_t *)p, n, max, what);
    if (st == CLAVE_OK) {
        free(*dst);
        *dst = (char *)copy;
        *dst_len = copy_len;
    }
    return st;
}

/* Grow a list of `size`-byte elements by one zeroed slot; `*count` is not changed. */
static clave_status grow(void **list, size_t count, size_t max, size_t size, const char *what)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(count < max, CLAVE_ERR_LIMIT, "receipt: more than %zu %s", max, what);
    void *bigger = realloc(*list, (count + 1) * size);
    CLAVE_ENSURE_ALLOC(bigger);
    memset((uint8_t *)bigger + count * size, 0, size);
    *list = bigger;
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_receipt_builder_new(struct clave_receipt_builder **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    *out = calloc(1, sizeof(**out));
    CLAVE_ENSURE_ALLOC(*out);
    (*out)->body.version = CLAVE_RECEIPT_VERSION;
    st = CLAVE_OK;
done:
    return st;
}

void clave_receipt_builder_free(struct clave_receipt_builder *b)
{
    if (b != NULL) {
        clave__receipt_body_clear(&b->body);
        free(b);
    }
}

clave_status clave_receipt_builder_set_contract(struct clave_receipt_builder *b,
                                                const uint8_t id[CLAVE_RECEIPT_CONTRACT_ID_LEN])
{
    if (b == NULL || id == NULL) {
        return CLAVE_ERR_ARG;
    }
    memcpy(b->body.contract, id, CLAVE_RECEIPT_CONTRACT_ID_LEN);
    b->body.has_contract = true;
    return CLAVE_OK;
}

clave_status clave_receipt_builder_set_kind(struct clave_receipt_builder *b, const char *kind)
{
    if (b == NULL || kind == NULL || !clave__receipt_kind_ok(kind)) {
        return CLAVE_ERR_ARG;
    }
    return set_name(&b->body.kind, kind, "kind");
}

clave_status clave_receipt_builder_set_evidence(struct clave_receipt_builder *b, const char *format,
                                                const uint8_t *evidence, size_t evidence_len,
                                                const char *runtime_data, size_t runtime_data_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(b != NULL, CLAVE_ERR_ARG, "receipt: no builder");
    CLAVE_CHECK(set_name(&b->body.format, format, "evidence format"));
    CLAVE_CHECK(set_bytes(&b->body.evidence, &b->body.evidence_len, evidence, evidence_len,
                          CLAVE_ATTEST_MAX_EVIDENCE_LEN, "evidence"));
    CLAVE_CHECK(clave_hash(CLAVE_HASH_SHA256, b->body.evidence, evidence_len,
                           b->body.evidence_sha256, CLAVE_RECEIPT_SHA256_LEN));
    CLAVE_CHECK(set_text(&b->body.runtime_data, &b->body.runtime_data_len, runtime_data,
                         runtime_data_len, CLAVE_RECEIPT_RUNTIME_DATA_MAX, "runtime data"));
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_receipt_builder_set_endorsement(struct clave_receipt_builder *b,
                                                   const uint8_t *cert, size_t len)
{
    return b == NULL ? CLAVE_ERR_ARG
                     : set_bytes(&b->body.endorsement, &b->body.endorsement_len, cert, len,
                                 CLAVE_RECEIPT_ENDORSEMENT_MAX, "endorsement");
}

clave_status clave_receipt_builder_set_ear(struct clave_receipt_builder *b, const char *jwt)
{
    size_t n = 0;
    if (b == NULL || jwt == NULL) {
        return CLAVE_ERR_ARG;
    }
    n = strnlen(jwt, CLAVE_RECEIPT_EAR_MAX + 1);
    return set_text(&b->body.ear, &n, jwt, n, CLAVE_RECEIPT_EAR_MAX, "EAR token");
}

clave_status clave_receipt_builder_set_issued_at(struct clave_receipt_builder *b, int64_t issued_at)
{
    if (b == NULL || issued_at < 0) {
        return CLAVE_ERR_ARG;
    }
    b->body.issued_at = issued_at;
    return CLAVE_OK;
}

clave_status clave_receipt_builder_add_dataset(struct clave_receipt_builder *b, const char *id,
                                               const uint8_t sha256[CLAVE_RECEIPT_SHA256_LEN])
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(b != NULL && sha256 != NULL, CLAVE_ERR_ARG, "receipt: dataset without a hash");
    struct receipt_body *body = &b->body;
    CLAVE_CHECK(grow((void **)&body->datasets, body->dataset_count, CLAVE_RECEIPT_MAX_DATASETS,
                     sizeof(*body->datasets), "datasets"));
    struct receipt_dataset *d = &body->datasets[body->dataset_count];
    CLAVE_CHECK(set_name(&d->id, id, "dataset id"));
    memcpy(d->sha256, sha256, CLAVE_RECEIPT_SHA256_LEN);
    body->dataset_count++;
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_receipt_builder_add_output(struct clave_receipt_builder *b, const char *name,
                                              const uint8_t sha256[CLAVE_RECEIPT_SHA256_LEN],
                                              const char *content_type)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(b != NULL && sha256 != NULL, CLAVE_ERR_ARG, "receipt: output without a hash");
    struct receipt_body *body = &b->body;
    CLAVE_CHECK(grow((void **)&body->outputs, body->output_count, CLAVE_RECEIPT_MAX_OUTPUTS,
                     sizeof(*body->outputs), "outputs"));
    struct receipt_output *o = &body->outputs[body->output_count];
    clave_status name_st = set_name(&o->name, name, "output name");
    if (name_st == CLAVE_OK) {
        name_st = set_name(&o->content_type, content_type, "output content type");
    }
    if (name_st != CLAVE_OK) {
        free(o->name);
        o->name = NULL;
        CLAVE_CHECK(name_st);
    }
    memcpy(o->sha256, sha256, CLAVE_RECEIPT_SHA256_LEN);
    body->output_count++;
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_receipt_builder_add_dp(struct clave_receipt_builder *b, const char *output,
                                          const char *mechanism, uint64_t epsilon_micro,
                                          uint64_t delta_pico)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(b != NULL, CLAVE_ERR_ARG, "receipt: no builder");
    struct receipt_body *body = &b->body;
    CLAVE_CHECK(
        grow((void **)&body->dp, body->dp_count, CLAVE_RECEIPT_MAX_DP, sizeof(*body->dp), "dp"));
    struct receipt_dp *d = &body->dp[body->dp_count];
    clave_status name_st = set_name(&d->output, output, "dp output");
    if (name_st == CLAVE_OK) {
        name_st = set_name(&d->mechanism, mechanism, "dp mechanism");
    }
    if (name_st != CLAVE_OK) {
        free(d->output);
        d->output = NULL;
        CLAVE_CHECK(name_st);
    }
    d->epsilon_micro = epsilon_micro;
    d->delta_pico = delta_pico;
    body->dp_count++;
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_receipt_builder_add_debit(struct clave_receipt_builder *b, const char *debit_id,
                                             const char *party, const char *dataset,
                                             uint64_t epsilon_micro, uint64_t delta_pico)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(b != NULL, CLAVE_ERR_ARG, "receipt: no builder");
    struct receipt_body *body = &b->body;
    CLAVE_CHECK(grow((void **)&body->debits, body->debit_count, CLAVE_RECEIPT_MAX_DEBITS,
                     sizeof(*body->debits), "debits"));
    struct receipt_debit *d = &body->debits[body->debit_count];
    clave_status name_st = set_name(&d->debit_id, debit_id, "debit id");
    if (name_st == CLAVE_OK) {
        name_st = set_name(&d->party, party, "debit party");
    }
    if (name_st == CLAVE_OK) {
        name_st = set_name(&d->dataset, dataset, "debit dataset");
    }
    if (name_st != CLAVE_OK) {
        free(d->debit_id);
        free(d->party);
        memset(d, 0, sizeof(*d));
        CLAVE_CHECK(name_st);
    }
    d->epsilon_micro = epsilon_micro;
    d->delta_pico = delta_pico;
    body->debit_count++;
    st = CLAVE_OK;
done:
    return st;
}
