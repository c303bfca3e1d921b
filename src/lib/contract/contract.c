/* SPDX-License-Identifier: Apache-2.0 */
/* Contracts: sealing a document (validate, encode, id), strict parsing, and the accessors. */
#include "contract/contract_internal.h"

#include "core/check.h"

#include <stdlib.h>
#include <string.h>

clave_status clave__contract_seal(struct clave_contract *c)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_CHECK(clave__contract_validate(&c->doc));
    CLAVE_CHECK(clave__contract_encode(&c->doc, &c->encoding, &c->encoding_len));
    CLAVE_CHECK(clave_hash(CLAVE_HASH_SHA256, c->encoding, c->encoding_len, c->id, sizeof(c->id)));
    st = CLAVE_OK;
done:
    return st;
}

/* Offset of the first difference of two byte strings (the shorter length if one is a prefix). */
static size_t first_difference(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len)
{
    size_t n = a_len < b_len ? a_len : b_len;
    size_t i = 0;
    while (i < n && a[i] == b[i]) {
        i++;
    }
    return i;
}

clave_status clave_contract_parse(const uint8_t *data, size_t len, struct clave_contract **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_contract *c = NULL;
    *out = NULL;
    CLAVE_ENSURE(data != NULL || len == 0, CLAVE_ERR_ARG, "contract: NULL input");
    CLAVE_ENSURE(len <= CLAVE_CONTRACT_MAX_LEN, CLAVE_ERR_TOO_LARGE,
                 "contract: %zu bytes exceed %u", len, CLAVE_CONTRACT_MAX_LEN);
    c = calloc(1, sizeof(*c));
    CLAVE_ENSURE_ALLOC(c);
    CLAVE_CHECK(clave__contract_decode(data, len, &c->doc));
    CLAVE_CHECK(clave__contract_seal(c));
    /* The id is the hash of these bytes: accept only the one encoding of what they say. */
    CLAVE_ENSURE(c->encoding_len == len && memcmp(c->encoding, data, len) == 0, // lint:public
                 CLAVE_ERR_FORMAT, "contract: not in canonical CBOR form (differs at offset %zu)",
                 first_difference(c->encoding, c->encoding_len, data, len));
    *out = c;
    c = NULL;
    st = CLAVE_OK;
done:
    clave_contract_free(c);
    return st;
}

void clave_contract_free(struct clave_contract *c)
{
    if (c == NULL) {
        return;
    }
    clave__contract_doc_clear(&c->doc);
    free(c->encoding);
    for (size_t i = 0; i < CLAVE_CONTRACT_MAX_SIGNERS; i++) {
        free(c->approvals[i].cose);
        free(c->revocations[i].cose);
    }
    free(c);
}

clave_status clave__contract_signer_index(const struct clave_contract *c, const char *party,
                                          size_t *index)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    *index = 0;
    CLAVE_ENSURE(c != NULL && party != NULL, CLAVE_ERR_ARG, "contract: NULL argument");
    for (size_t i = 0; i < c->doc.signer_count; i++) {
        if (strcmp(c->doc.signers[i].party, party) == 0) {
            *index = i;
            st = CLAVE_OK;
            goto done;
        }
    }
    CLAVE_RAISE(CLAVE_ERR_NOT_FOUND, "contract: party '%.64s' is not a required signer", party);
done:
    return st;
}

const uint8_t *clave_contract_encoding(const struct clave_contract *c, size_t *len)
{
    *len = c->encoding_len;
    return c->encoding;
}

const uint8_t *clave_contract_id(const struct clave_contract *c)
{
    return c->id;
}

const char *clave_contract_collaboration(const struct clave_contract *c)
{
    return c->doc.collaboration;
}

uint64_t clave_contract_version(const struct clave_contract *c)
{
    return c->doc.version;
}

enum clave_computation_kind clave_contract_computation_kind(const struct clave_contract *c)
{
    return c->doc.kind;
}

const uint8_t *clave_contract_computation_spec(const struct clave_contract *c, size_t *len)
{
    *len = c->doc.spec_len;
    return c->doc.spec;
}

size_t clave_contract_dataset_count(const struct clave_contract *c)
{
    return c->doc.dataset_count;
}

struct clave_contract_dataset clave_contract_dataset(const struct clave_contract *c, size_t i)
{
    const struct contract_dataset *d = &c->doc.datasets[i];
    struct clave_contract_dataset view = {d->id, d->owner, d->sha256};
    return view;
}

clave_status clave_contract_find_dataset(const struct clave_contract *c,
                                         const uint8_t sha256[CLAVE_SHA256_LEN], size_t *index)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    *index = 0;
    for (size_t i = 0; i < c->doc.dataset_count; i++) {
        if (memcmp(c->doc.datasets[i].sha256, sha256, CLAVE_SHA256_LEN) == 0) { // lint:public
            *index = i;
            st = CLAVE_OK;
            goto done;
        }
    }
    CLAVE_RAISE(CLAVE_ERR_NOT_FOUND, "contract: dataset is not named by the contract");
done:
    return st;
}

size_t clave_contract_workload_count(const struct clave_contract *c)
{
    return c->doc.workload_count;
}

const struct clave_contract_workload *clave_contract_workload(const struct clave_contract *c,
                                                              size_t i)
{
    return &c->doc.workloads[i];
}

size_t clave_contract_tcb_status_count(const struct clave_contract *c)
{
    return c->doc.tcb_count;
}

const char *clave_contract_tcb_status(const struct clave_contract *c, size_t i)
{
    return c->doc.tcb_statuses[i];
}

bool clave_contract_accepts_tcb_status(const struct clave_contract *c, const char *status)
{
    for (size_t i = 0; status != NULL && i < c->doc.tcb_count; i++) {
        if (strcmp(c->doc.tcb_statuses[i], status) == 0) {
            return true;
        }
    }
    return false;
}

bool clave_contract_debug_allowed(const struct clave_contract *c)
{
    return c->doc.debug;
}

size_t clave_contract_budget_count(const struct clave_contract *c)
{
    return c->doc.budget_count;
}

struct clave_contract_budget clave_contract_budget(const struct clave_contract *c, size_t i)
{
    const struct contract_budget *b = &c->doc.budgets[i];
    struct clave_contract_budget view = {b->party, b->epsilon_micro, b->delta_pico};
    return view;
}

uint64_t clave_contract_min_group_size(const struct clave_contract *c)
{
    return c->doc.min_group_size;
}

size_t clave_contract_column_count(const struct clave_contract *c)
{
    return c->doc.column_count;
}

const char *clave_contract_column(const struct clave_contract *c, size_t i)
{
    return c->doc.columns[i];
}

size_t clave_contract_recipient_count(const struct clave_contract *c)
{
    return c->doc.recipient_count;
}

struct clave_contract_recipient clave_contract_recipient(const struct clave_contract *c, size_t i)
{
    const struct contract_recipient *r = &c->doc.recipients[i];
    struct clave_contract_recipient view = {r->party, r->spki, r->spki_len,
                                            r->has_thumbprint ? r->thumbprint : NULL};
    return view;
}

size_t clave_contract_region_count(const struct clave_contract *c)
{
    return c->doc.region_count;
}

const char *clave_contract_region(const struct clave_contract *c, size_t i)
{
    return c->doc.regions[i];
}

bool clave_contract_allows_region(const struct clave_contract *c, const char *region)
{
    for (size_t i = 0; region != NULL && i < c->doc.region_count; i++) {
        if (strcmp(c->doc.regions[i], CLAVE_CONTRACT_ANY_REGION) == 0 ||
            strcmp(c->doc.regions[i], region) == 0) {
            return true;
        }
    }
    return false;
}

size_t clave_contract_signer_count(const struct clave_contract *c)
{
    return c->doc.signer_count;
}

struct clave_contract_signer clave_contract_signer(const struct clave_contract *c, size_t i)
{
    const struct contract_signer *s = &c->doc.signers[i];
    struct clave_contract_signer view = {s->party, s->spki, s->spki_len};
    return view;
}

uint64_t clave_contract_not_before(const struct clave_contract *c)
{
    return c->doc.not_before;
}

uint64_t clave_contract_expiry(const struct clave_contract *c)
{
    return c->doc.expiry;
}
