/* SPDX-License-Identifier: Apache-2.0 */
/* Parsing a receipt, its accessors, the runtime-data key and the reference values. */
#include "receipt/body.h"

#include "contract/canon.h"
#include "core/check.h"
#include "crypto/jwk.h"

#include <clave/encoding.h>
#include <clave/json.h>
#include <stdlib.h>
#include <string.h>

#define RUNTIME_DATA_DEPTH 4
#define NONCE_TEXT_MAX 512

/* Claims that carry workload reference values, whichever the format has. */
static const char *const REFERENCE_CLAIMS[] = {
    "measurement", "snp.host_data", "nitro.pcr0",  "nitro.pcr1", "nitro.pcr2",
    "nitro.pcr8",  "tdx.mrtd",      "tdx.rtmr0",   "tdx.rtmr1",  "tdx.rtmr2",
    "tdx.rtmr3",   "sgx.mrenclave", "sgx.mrsigner"};
_Static_assert(sizeof(REFERENCE_CLAIMS) / sizeof(REFERENCE_CLAIMS[0]) <=
                   CLAVE_RECEIPT_MAX_REFERENCES,
               "reference claims fit a receipt");

static int ref_cmp(const void *a, const void *b)
{
    const struct receipt_reference *x = a;
    const struct receipt_reference *y = b;
    return clave__canon_text_cmp((const uint8_t *)x->name, strlen(x->name),
                                 (const uint8_t *)y->name, strlen(y->name));
}

clave_status clave__receipt_refs_from_report(const struct clave_attest_report *report,
                                             struct receipt_reference **refs, size_t *count)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const size_t n = sizeof(REFERENCE_CLAIMS) / sizeof(REFERENCE_CLAIMS[0]);
    struct receipt_reference *list = calloc(n, sizeof(*list));
    size_t used = 0;
    *refs = NULL;
    *count = 0;
    CLAVE_ENSURE_ALLOC(list);
    for (size_t i = 0; i < n; i++) {
        struct clave_attest_claim c;
        if (clave_attest_report_find_claim(report, REFERENCE_CLAIMS[i], &c) != CLAVE_OK ||
            c.type != CLAVE_CLAIM_BYTES || c.len == 0 || c.len > 64) {
            continue;
        }
        list[used].name = strdup(REFERENCE_CLAIMS[i]);
        list[used].value = malloc(c.len);
        CLAVE_ENSURE_ALLOC(list[used].name);
        CLAVE_ENSURE_ALLOC(list[used].value);
        memcpy(list[used].value, c.bytes, c.len);
        list[used++].len = c.len;
    }
    qsort(list, used, sizeof(*list), ref_cmp);
    *refs = list;
    *count = used;
    list = NULL;
    st = CLAVE_OK;
done:
    clave__receipt_refs_free(list, n);
    return st;
}

clave_status clave__receipt_tee_key(const char *runtime_data, size_t len, EVP_PKEY **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    static const char *const KEYS[] = {"nonce", "tee-pubkey", NULL};
    static const char W[] = "runtime_data";
    const struct clave_json_limits lim = {CLAVE_RECEIPT_RUNTIME_DATA_MAX, RUNTIME_DATA_DEPTH};
    json_t *doc = NULL;
    json_t *pk = NULL;
    const char *nonce = NULL;
    char *again = NULL;
    struct clave_jwk *jwk = NULL;
    *out = NULL;
    CLAVE_CHECK(clave_json_parse(runtime_data, len, &lim, W, &doc));
    CLAVE_CHECK(clave_json_expect_object(doc, W));
    CLAVE_CHECK(clave_json_only_keys(doc, W, KEYS));
    CLAVE_CHECK(clave_json_get_string(doc, W, "nonce", true, NONCE_TEXT_MAX, &nonce));
    CLAVE_CHECK(clave_json_get_object(doc, W, "tee-pubkey", true, &pk));
    again = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
    CLAVE_ENSURE_ALLOC(again);
    CLAVE_ENSURE(strlen(again) == len && clave_ct_equal(again, runtime_data, len), CLAVE_ERR_JSON,
                 "runtime_data: not the sorted compact serialisation the binding hashes");
    CLAVE_CHECK(clave__jwk_from_object(pk, "runtime_data.tee-pubkey", &jwk));
    CLAVE_ENSURE(jwk->type == CLAVE_JWK_EC_P256 && !jwk->has_private, CLAVE_ERR_KEY,
                 "runtime_data.tee-pubkey: not a public P-256 key");
    CLAVE_ENSURE(EVP_PKEY_up_ref(jwk->pkey) == 1, CLAVE_ERR_CRYPTO, "runtime_data: key ref");
    *out = jwk->pkey;
    st = CLAVE_OK;
done:
    clave_jwk_free(jwk);
    free(again);
    json_decref(doc);
    return st;
}

clave_status clave_receipt_parse(const uint8_t *data, size_t len, struct clave_receipt **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct receipt_frame f;
    struct clave_receipt *r = NULL;
    memset(&f, 0, sizeof(f));
    *out = NULL;
    CLAVE_CHECK(clave__receipt_frame_parse(data, len, &f));
    r = calloc(1, sizeof(*r));
    CLAVE_ENSURE_ALLOC(r);
    CLAVE_CHECK(clave__receipt_decode(f.payload, f.payload_len, &r->body));
    CLAVE_CHECK(clave_hash(CLAVE_HASH_SHA256, f.payload, f.payload_len, r->hash, sizeof(r->hash)));
    if (f.proof_json != NULL) {
        r->proof_json = strndup(f.proof_json, f.proof_len);
        r->sth_json = strndup(f.sth_json, f.sth_len);
        CLAVE_ENSURE_ALLOC(r->proof_json);
        CLAVE_ENSURE_ALLOC(r->sth_json);
    }
    *out = r;
    r = NULL;
    st = CLAVE_OK;
done:
    clave_receipt_free(r);
    clave__receipt_frame_clear(&f);
    return st;
}

void clave_receipt_free(struct clave_receipt *r)
{
    if (r != NULL) {
        clave__receipt_body_clear(&r->body);
        free(r->proof_json);
        free(r->sth_json);
        free(r);
    }
}

uint64_t clave_receipt_version(const struct clave_receipt *r)
{
    return r->body.version;
}

const uint8_t *clave_receipt_contract_id(const struct clave_receipt *r)
{
    return r->body.contract;
}

const char *clave_receipt_kind(const struct clave_receipt *r)
{
    return r->body.kind;
}

int64_t clave_receipt_issued_at(const struct clave_receipt *r)
{
    return r->body.issued_at;
}

const uint8_t *clave_receipt_hash(const struct clave_receipt *r)
{
    return r->hash;
}

const char *clave_receipt_evidence_format(const struct clave_receipt *r)
{
    return r->body.format;
}

const uint8_t *clave_receipt_evidence(const struct clave_receipt *r, size_t *len)
{
    *len = r->body.evidence_len;
    return r->body.evidence;
}

const uint8_t *clave_receipt_evidence_sha256(const struct clave_receipt *r)
{
    return r->body.evidence_sha256;
}

const char *clave_receipt_runtime_data(const struct clave_receipt *r, size_t *len)
{
    *len = r->body.runtime_data_len;
    return r->body.runtime_data;
}

const uint8_t *clave_receipt_endorsement(const struct clave_receipt *r, size_t *len)
{
    *len = r->body.endorsement_len;
    return r->body.endorsement;
}

const char *clave_receipt_ear(const struct clave_receipt *r)
{
    return r->body.ear;
}

size_t clave_receipt_dataset_count(const struct clave_receipt *r)
{
    return r->body.dataset_count;
}

struct clave_receipt_dataset clave_receipt_dataset(const struct clave_receipt *r, size_t i)
{
    struct clave_receipt_dataset d = {r->body.datasets[i].id, r->body.datasets[i].sha256};
    return d;
}

size_t clave_receipt_output_count(const struct clave_receipt *r)
{
    return r->body.output_count;
}

struct clave_receipt_output clave_receipt_output(const struct clave_receipt *r, size_t i)
{
    const struct receipt_output *o = &r->body.outputs[i];
    struct clave_receipt_output v = {o->name, o->sha256, o->content_type};
    return v;
}

size_t clave_receipt_dp_count(const struct clave_receipt *r)
{
    return r->body.dp_count;
}

struct clave_receipt_dp clave_receipt_dp(const struct clave_receipt *r, size_t i)
{
    const struct receipt_dp *d = &r->body.dp[i];
    struct clave_receipt_dp v = {d->output, d->mechanism, d->epsilon_micro, d->delta_pico};
    return v;
}

size_t clave_receipt_debit_count(const struct clave_receipt *r)
{
    return r->body.debit_count;
}

struct clave_receipt_debit clave_receipt_debit(const struct clave_receipt *r, size_t i)
{
    const struct receipt_debit *d = &r->body.debits[i];
    struct clave_receipt_debit v = {d->debit_id, d->party, d->dataset, d->epsilon_micro,
                                    d->delta_pico};
    return v;
}

size_t clave_receipt_reference_count(const struct clave_receipt *r)
{
    return r->body.ref_count;
}

struct clave_receipt_reference clave_receipt_reference(const struct clave_receipt *r, size_t i)
{
    const struct receipt_reference *x = &r->body.refs[i];
    struct clave_receipt_reference v = {x->name, x->value, x->len};
    return v;
}

bool clave_receipt_has_proof(const struct clave_receipt *r)
{
    return r->proof_json != NULL;
}

const char *clave_receipt_proof_json(const struct clave_receipt *r)
{
    return r->proof_json;
}

const char *clave_receipt_sth_json(const struct clave_receipt *r)
{
    return r->sth_json;
}
