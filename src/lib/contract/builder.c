/* SPDX-License-Identifier: Apache-2.0 */
/* The contract builder: copies fields in, validates and encodes on finish. */
#include "contract/canon.h"
#include "contract/contract_internal.h"

#include "core/cbor.h"
#include "core/check.h"

#include <stdlib.h>
#include <string.h>

#define BUILDER_ENTRY(b)                                                                           \
    do {                                                                                           \
        CLAVE_ENSURE((b) != NULL, CLAVE_ERR_ARG, "contract builder: NULL builder");                \
    } while (0)

clave_status clave_contract_builder_new(struct clave_contract_builder **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    *out = calloc(1, sizeof(**out));
    CLAVE_ENSURE_ALLOC(*out);
    st = CLAVE_OK;
done:
    return st;
}

void clave_contract_builder_free(struct clave_contract_builder *b)
{
    if (b != NULL) {
        clave__contract_doc_clear(&b->doc);
        free(b);
    }
}

/* Replace `*slot` with a copy of `s` (at most max + 1 bytes kept: validation reports longer). */
static clave_status set_str(char **slot, const char *s, size_t max, const char *what)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(s != NULL, CLAVE_ERR_ARG, "contract builder: NULL %s", what);
    char *copy = clave__contract_strdup(s, max);
    CLAVE_ENSURE_ALLOC(copy);
    free(*slot);
    *slot = copy;
    st = CLAVE_OK;
done:
    return st;
}

static clave_status room(size_t count, size_t max, const char *what)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(count < max, CLAVE_ERR_LIMIT, "contract.%s: more than %zu entries", what, max);
    st = CLAVE_OK;
done:
    return st;
}

static clave_status copy_bytes(uint8_t **slot, size_t *slot_len, const uint8_t *b, size_t len,
                               size_t max, const char *what)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(b != NULL && len > 0 && len <= max, CLAVE_ERR_ARG,
                 "contract builder: %s must be 1..%zu bytes", what, max);
    *slot = malloc(len);
    CLAVE_ENSURE_ALLOC(*slot);
    memcpy(*slot, b, len);
    *slot_len = len;
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_contract_builder_set_collaboration(struct clave_contract_builder *b,
                                                      const char *collaboration_id)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    BUILDER_ENTRY(b);
    CLAVE_CHECK(
        set_str(&b->doc.collaboration, collaboration_id, CLAVE_CONTRACT_ID_MAX, "collaboration"));
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_contract_builder_set_version(struct clave_contract_builder *b, uint64_t version)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    BUILDER_ENTRY(b);
    b->doc.version = version;
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_contract_builder_add_dataset(struct clave_contract_builder *b,
                                                const char *dataset_id, const char *owner_party,
                                                const uint8_t sha256[CLAVE_SHA256_LEN])
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct contract_dataset d;
    memset(&d, 0, sizeof(d));
    BUILDER_ENTRY(b);
    CLAVE_ENSURE(sha256 != NULL, CLAVE_ERR_ARG, "contract builder: NULL dataset hash");
    CLAVE_CHECK(room(b->doc.dataset_count, CLAVE_CONTRACT_MAX_DATASETS, "datasets"));
    CLAVE_CHECK(set_str(&d.id, dataset_id, CLAVE_CONTRACT_ID_MAX, "dataset id"));
    CLAVE_CHECK(set_str(&d.owner, owner_party, CLAVE_CONTRACT_ID_MAX, "dataset owner"));
    memcpy(d.sha256, sha256, CLAVE_SHA256_LEN);
    b->doc.datasets[b->doc.dataset_count++] = d;
    memset(&d, 0, sizeof(d));
    st = CLAVE_OK;
done:
    free(d.id);
    free(d.owner);
    return st;
}

clave_status clave_contract_builder_set_computation(struct clave_contract_builder *b,
                                                    enum clave_computation_kind kind,
                                                    const uint8_t *spec_cbor, size_t spec_len)
{
    static const struct clave__cbor_limits LIMITS = {
        .max_len = CLAVE_CONTRACT_SPEC_MAX_LEN,
        .max_depth = CONTRACT_SPEC_MAX_DEPTH + 1,
        .max_items = CONTRACT_MAX_ITEMS,
    };
    clave_status st = CLAVE_ERR_INTERNAL;
    cbor_item_t *spec = NULL;
    uint8_t *buf = NULL;
    struct clave_writer w;
    BUILDER_ENTRY(b);
    CLAVE_CHECK_CTX(clave__cbor_load(spec_cbor, spec_len, &LIMITS, &spec),
                    "contract.computation.spec: ");
    CLAVE_ENSURE(cbor_isa_map(spec), CLAVE_ERR_FORMAT, "contract.computation.spec: expected a map");
    buf = malloc(CLAVE_CONTRACT_SPEC_MAX_LEN);
    CLAVE_ENSURE_ALLOC(buf);
    clave_writer_init(&w, buf, CLAVE_CONTRACT_SPEC_MAX_LEN);
    CLAVE_CHECK(clave__canon_item(&w, spec, "contract.computation.spec", CONTRACT_SPEC_MAX_DEPTH));
    free(b->doc.spec);
    b->doc.spec = buf;
    b->doc.spec_len = w.len;
    b->doc.kind = kind;
    buf = NULL;
    st = CLAVE_OK;
done:
    free(buf);
    if (spec != NULL) {
        cbor_decref(&spec);
    }
    return st;
}

/* Only the member of the workload's type, and only present values: what a parse would give. */
static struct clave_contract_workload normalised(const struct clave_contract_workload *in)
{
    struct clave_contract_workload w;
    memset(&w, 0, sizeof(w));
    w.tee = in->tee;
    switch (in->tee) {
    case CLAVE_TEE_NITRO:
    case CLAVE_TEE_SIM_NITRO:
        w.nitro = in->nitro;
        if (!w.nitro.has_pcr8) {
            memset(w.nitro.pcr8, 0, sizeof(w.nitro.pcr8));
        }
        break;
    case CLAVE_TEE_SNP:
    case CLAVE_TEE_SIM_SNP:
        w.snp = in->snp;
        if (!w.snp.has_host_data) {
            memset(w.snp.host_data, 0, sizeof(w.snp.host_data));
        }
        break;
    case CLAVE_TEE_TDX:
        w.tdx = in->tdx;
        for (size_t i = 0; i < 4; i++) {
            if (!w.tdx.has_rtmr[i]) {
                memset(w.tdx.rtmr[i], 0, sizeof(w.tdx.rtmr[i]));
            }
        }
        break;
    default:
        w.sgx = in->sgx;
        if (!w.sgx.has_mrenclave) {
            memset(w.sgx.mrenclave, 0, sizeof(w.sgx.mrenclave));
        }
        if (!w.sgx.has_mrsigner) {
            memset(w.sgx.mrsigner, 0, sizeof(w.sgx.mrsigner));
        }
        break;
    }
    return w;
}

clave_status clave_contract_builder_add_workload(struct clave_contract_builder *b,
                                                 const struct clave_contract_workload *workload)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    BUILDER_ENTRY(b);
    CLAVE_ENSURE(workload != NULL, CLAVE_ERR_ARG, "contract builder: NULL workload");
    CLAVE_CHECK(room(b->doc.workload_count, CLAVE_CONTRACT_MAX_WORKLOADS, "workloads"));
    b->doc.workloads[b->doc.workload_count++] = normalised(workload);
    st = CLAVE_OK;
done:
    return st;
}

/* Append a copy of `s` to a string list. */
static clave_status add_str(char **list, size_t *count, size_t max_count, const char *s,
                            size_t max_len, const char *what)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_CHECK(room(*count, max_count, what));
    list[*count] = NULL;
    CLAVE_CHECK(set_str(&list[*count], s, max_len, what));
    (*count)++;
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_contract_builder_add_tcb_status(struct clave_contract_builder *b,
                                                   const char *status)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    BUILDER_ENTRY(b);
    CLAVE_CHECK(add_str(b->doc.tcb_statuses, &b->doc.tcb_count, CLAVE_CONTRACT_MAX_TCB_STATUSES,
                        status, CLAVE_CONTRACT_ID_MAX, "tcb_statuses"));
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_contract_builder_set_debug_allowed(struct clave_contract_builder *b,
                                                      bool allowed)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    BUILDER_ENTRY(b);
    b->doc.debug = allowed;
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_contract_builder_add_budget(struct clave_contract_builder *b, const char *party,
                                               uint64_t epsilon_micro, uint64_t delta_pico)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    BUILDER_ENTRY(b);
    CLAVE_CHECK(room(b->doc.budget_count, CLAVE_CONTRACT_MAX_BUDGETS, "output.budgets"));
    struct contract_budget *bu = &b->doc.budgets[b->doc.budget_count];
    memset(bu, 0, sizeof(*bu));
    CLAVE_CHECK(set_str(&bu->party, party, CLAVE_CONTRACT_ID_MAX, "budget party"));
    bu->epsilon_micro = epsilon_micro;
    bu->delta_pico = delta_pico;
    b->doc.budget_count++;
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_contract_builder_set_min_group_size(struct clave_contract_builder *b,
                                                       uint64_t size)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    BUILDER_ENTRY(b);
    b->doc.min_group_size = size;
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_contract_builder_add_column(struct clave_contract_builder *b, const char *column)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    BUILDER_ENTRY(b);
    CLAVE_CHECK(add_str(b->doc.columns, &b->doc.column_count, CLAVE_CONTRACT_MAX_COLUMNS, column,
                        CLAVE_CONTRACT_NAME_MAX, "output.columns"));
    st = CLAVE_OK;
done:
    return st;
}

static clave_status add_recipient(struct clave_contract_builder *b, const char *party,
                                  const uint8_t *spki, size_t spki_len, const uint8_t *thumbprint)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct contract_recipient r;
    memset(&r, 0, sizeof(r));
    BUILDER_ENTRY(b);
    CLAVE_CHECK(room(b->doc.recipient_count, CLAVE_CONTRACT_MAX_RECIPIENTS, "recipients"));
    CLAVE_CHECK(set_str(&r.party, party, CLAVE_CONTRACT_ID_MAX, "recipient party"));
    if (thumbprint != NULL) {
        memcpy(r.thumbprint, thumbprint, CLAVE_SHA256_LEN);
        r.has_thumbprint = true;
    } else {
        CLAVE_CHECK(
            copy_bytes(&r.spki, &r.spki_len, spki, spki_len, CLAVE_PKEY_SPKI_MAX_LEN, "spki"));
    }
    b->doc.recipients[b->doc.recipient_count++] = r;
    memset(&r, 0, sizeof(r));
    st = CLAVE_OK;
done:
    free(r.party);
    free(r.spki);
    return st;
}

clave_status clave_contract_builder_add_recipient_spki(struct clave_contract_builder *b,
                                                       const char *party, const uint8_t *spki,
                                                       size_t spki_len)
{
    return add_recipient(b, party, spki, spki_len, NULL);
}

clave_status
clave_contract_builder_add_recipient_thumbprint(struct clave_contract_builder *b, const char *party,
                                                const uint8_t thumbprint[CLAVE_SHA256_LEN])
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(thumbprint != NULL, CLAVE_ERR_ARG, "contract builder: NULL thumbprint");
    st = add_recipient(b, party, NULL, 0, thumbprint);
done:
    return st;
}

clave_status clave_contract_builder_add_region(struct clave_contract_builder *b, const char *region)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    BUILDER_ENTRY(b);
    CLAVE_CHECK(add_str(b->doc.regions, &b->doc.region_count, CLAVE_CONTRACT_MAX_REGIONS, region,
                        CLAVE_CONTRACT_NAME_MAX, "regions"));
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_contract_builder_add_signer(struct clave_contract_builder *b, const char *party,
                                               const uint8_t *spki, size_t spki_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct contract_signer s;
    memset(&s, 0, sizeof(s));
    BUILDER_ENTRY(b);
    CLAVE_CHECK(room(b->doc.signer_count, CLAVE_CONTRACT_MAX_SIGNERS, "signers"));
    CLAVE_CHECK(set_str(&s.party, party, CLAVE_CONTRACT_ID_MAX, "signer party"));
    CLAVE_CHECK(copy_bytes(&s.spki, &s.spki_len, spki, spki_len, CLAVE_PKEY_SPKI_MAX_LEN, "spki"));
    b->doc.signers[b->doc.signer_count++] = s;
    memset(&s, 0, sizeof(s));
    st = CLAVE_OK;
done:
    free(s.party);
    free(s.spki);
    return st;
}

clave_status clave_contract_builder_set_validity(struct clave_contract_builder *b,
                                                 uint64_t not_before, uint64_t expiry)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    BUILDER_ENTRY(b);
    b->doc.not_before = not_before;
    b->doc.expiry = expiry;
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_contract_builder_finish(const struct clave_contract_builder *b,
                                           struct clave_contract **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_contract *c = NULL;
    *out = NULL;
    CLAVE_ENSURE(b != NULL, CLAVE_ERR_ARG, "contract builder: NULL builder");
    c = calloc(1, sizeof(*c));
    CLAVE_ENSURE_ALLOC(c);
    CLAVE_CHECK(clave__contract_doc_copy(&c->doc, &b->doc));
    CLAVE_CHECK(clave__contract_seal(c));
    *out = c;
    c = NULL;
    st = CLAVE_OK;
done:
    clave_contract_free(c);
    return st;
}
