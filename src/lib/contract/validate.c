/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The field rules of a contract (docs/formats/contract.md), shared by the builder and the parser.
 * Every failure names the field: "contract.datasets[1].owner: bob is not a required signer".
 */
#include "contract/canon.h"
#include "contract/contract_internal.h"

#include "core/check.h"

#include <clave/sign.h>
#include <string.h>

static bool id_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == ':' || c == '-';
}

static clave_status check_id(const char *s, const char *where)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(s != NULL, CLAVE_ERR_FORMAT, "%s: required", where);
    size_t len = strnlen(s, CLAVE_CONTRACT_ID_MAX + 1);
    CLAVE_ENSURE(len >= 1 && len <= CLAVE_CONTRACT_ID_MAX, CLAVE_ERR_FORMAT,
                 "%s: expected 1..%d characters", where, CLAVE_CONTRACT_ID_MAX);
    for (size_t i = 0; i < len; i++) {
        CLAVE_ENSURE(id_char(s[i]), CLAVE_ERR_FORMAT, "%s: character %zu is not [A-Za-z0-9._:-]",
                     where, i);
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status check_name(const char *s, const char *where)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(s != NULL, CLAVE_ERR_FORMAT, "%s: required", where);
    size_t len = strnlen(s, CLAVE_CONTRACT_NAME_MAX + 1);
    CLAVE_ENSURE(len >= 1 && len <= CLAVE_CONTRACT_NAME_MAX, CLAVE_ERR_FORMAT,
                 "%s: expected 1..%d bytes", where, CLAVE_CONTRACT_NAME_MAX);
    CLAVE_ENSURE(clave__canon_utf8_ok((const uint8_t *)s, len), CLAVE_ERR_FORMAT, "%s: not UTF-8",
                 where);
    for (size_t i = 0; i < len; i++) {
        CLAVE_ENSURE((unsigned char)s[i] >= 0x20 && s[i] != 0x7f, CLAVE_ERR_FORMAT,
                     "%s: control character at %zu", where, i);
    }
    st = CLAVE_OK;
done:
    return st;
}

/* A DER SPKI whose type is in `allowed` (a bit per enum clave_pkey_type). */
static clave_status check_spki(const uint8_t *spki, size_t len, unsigned allowed, const char *where)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_pkey *key = NULL;
    CLAVE_ENSURE(spki != NULL && len > 0, CLAVE_ERR_FORMAT, "%s: required", where);
    CLAVE_ENSURE(clave_pkey_from_der(spki, len, &key) == CLAVE_OK, CLAVE_ERR_KEY,
                 "%s: not a valid SubjectPublicKeyInfo", where);
    CLAVE_ENSURE(!clave_pkey_has_private(key) && (allowed & (1u << clave_pkey_type(key))) != 0,
                 CLAVE_ERR_KEY, "%s: key type not allowed here", where);
    st = CLAVE_OK;
done:
    clave_pkey_free(key);
    return st;
}

static bool str_eq(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcmp(a, b) == 0;
}

static bool is_signer(const struct contract_doc *doc, const char *party)
{
    for (size_t i = 0; i < doc->signer_count; i++) {
        if (str_eq(doc->signers[i].party, party)) {
            return true;
        }
    }
    return false;
}

/* A list of `n` items must hold n_min..n_max entries. */
static clave_status check_count(size_t n, size_t n_min, size_t n_max, const char *where)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(n >= n_min && n <= n_max, CLAVE_ERR_FORMAT, "%s: expected %zu..%zu entries", where,
                 n_min, n_max);
    st = CLAVE_OK;
done:
    return st;
}

static clave_status check_signers(const struct contract_doc *doc)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char where[CONTRACT_PATH_MAX];
    const unsigned allowed = (1u << CLAVE_PKEY_ED25519) | (1u << CLAVE_PKEY_P256);
    CLAVE_CHECK(check_count(doc->signer_count, 1, CLAVE_CONTRACT_MAX_SIGNERS, "contract.signers"));
    for (size_t i = 0; i < doc->signer_count; i++) {
        const struct contract_signer *s = &doc->signers[i];
        snprintf(where, sizeof(where), "contract.signers[%zu].party", i);
        CLAVE_CHECK(check_id(s->party, where));
        snprintf(where, sizeof(where), "contract.signers[%zu].spki", i);
        CLAVE_CHECK(check_spki(s->spki, s->spki_len, allowed, where));
        for (size_t j = 0; j < i; j++) {
            CLAVE_ENSURE(!str_eq(doc->signers[j].party, s->party), CLAVE_ERR_FORMAT,
                         "contract.signers[%zu].party: duplicate of signers[%zu]", i, j);
            CLAVE_ENSURE(doc->signers[j].spki_len != s->spki_len ||
                             memcmp(doc->signers[j].spki, s->spki, s->spki_len) != 0, // lint:public
                         CLAVE_ERR_FORMAT, "contract.signers[%zu].spki: same key as signers[%zu]",
                         i, j);
        }
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status check_datasets(const struct contract_doc *doc)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char where[CONTRACT_PATH_MAX];
    CLAVE_CHECK(
        check_count(doc->dataset_count, 1, CLAVE_CONTRACT_MAX_DATASETS, "contract.datasets"));
    for (size_t i = 0; i < doc->dataset_count; i++) {
        const struct contract_dataset *d = &doc->datasets[i];
        snprintf(where, sizeof(where), "contract.datasets[%zu].id", i);
        CLAVE_CHECK(check_id(d->id, where));
        snprintf(where, sizeof(where), "contract.datasets[%zu].owner", i);
        CLAVE_CHECK(check_id(d->owner, where));
        CLAVE_ENSURE(is_signer(doc, d->owner), CLAVE_ERR_FORMAT, "%s: %s is not a required signer",
                     where, d->owner);
        for (size_t j = 0; j < i; j++) {
            CLAVE_ENSURE(!str_eq(doc->datasets[j].id, d->id), CLAVE_ERR_FORMAT,
                         "contract.datasets[%zu].id: duplicate of datasets[%zu]", i, j);
            CLAVE_ENSURE(!clave_ct_equal(doc->datasets[j].sha256, d->sha256, CLAVE_SHA256_LEN),
                         CLAVE_ERR_FORMAT,
                         "contract.datasets[%zu].sha256: duplicate of datasets[%zu]", i, j);
        }
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status check_workload(const struct clave_contract_workload *w, size_t i)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(clave_tee_type_name(w->tee) != NULL, CLAVE_ERR_FORMAT,
                 "contract.workloads[%zu].tee: unknown TEE type", i);
    if (w->tee == CLAVE_TEE_SGX) {
        CLAVE_ENSURE(w->sgx.has_mrenclave || w->sgx.has_mrsigner, CLAVE_ERR_FORMAT,
                     "contract.workloads[%zu]: sgx needs mrenclave or mrsigner", i);
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status check_computation(const struct contract_doc *doc)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(clave_computation_kind_name(doc->kind) != NULL, CLAVE_ERR_FORMAT,
                 "contract.computation.kind: expected query, train, fl, mpc or he");
    CLAVE_ENSURE(doc->spec != NULL && doc->spec_len > 0 && (doc->spec[0] >> 5) == 5,
                 CLAVE_ERR_FORMAT, "contract.computation.spec: expected a map");
    CLAVE_CHECK(
        check_count(doc->workload_count, 1, CLAVE_CONTRACT_MAX_WORKLOADS, "contract.workloads"));
    for (size_t i = 0; i < doc->workload_count; i++) {
        CLAVE_CHECK(check_workload(&doc->workloads[i], i));
    }
    CLAVE_CHECK(
        check_count(doc->tcb_count, 1, CLAVE_CONTRACT_MAX_TCB_STATUSES, "contract.tcb_statuses"));
    for (size_t i = 0; i < doc->tcb_count; i++) {
        const char *s = doc->tcb_statuses[i];
        CLAVE_ENSURE(s != NULL && clave__contract_tcb_status_known(s, strlen(s)), CLAVE_ERR_FORMAT,
                     "contract.tcb_statuses[%zu]: unknown TCB status", i);
        for (size_t j = 0; j < i; j++) {
            CLAVE_ENSURE(!str_eq(doc->tcb_statuses[j], s), CLAVE_ERR_FORMAT,
                         "contract.tcb_statuses[%zu]: duplicate", i);
        }
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status check_budgets(const struct contract_doc *doc)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char where[CONTRACT_PATH_MAX];
    CLAVE_CHECK(
        check_count(doc->budget_count, 0, CLAVE_CONTRACT_MAX_BUDGETS, "contract.output.budgets"));
    for (size_t i = 0; i < doc->budget_count; i++) {
        const struct contract_budget *b = &doc->budgets[i];
        snprintf(where, sizeof(where), "contract.output.budgets[%zu].party", i);
        CLAVE_CHECK(check_id(b->party, where));
        CLAVE_ENSURE(is_signer(doc, b->party), CLAVE_ERR_FORMAT, "%s: %s is not a required signer",
                     where, b->party);
        for (size_t j = 0; j < i; j++) {
            CLAVE_ENSURE(!str_eq(doc->budgets[j].party, b->party), CLAVE_ERR_FORMAT,
                         "%s: duplicate of budgets[%zu]", where, j);
        }
        CLAVE_ENSURE(b->epsilon_micro >= 1 && b->epsilon_micro <= CLAVE_CONTRACT_EPSILON_MICRO_MAX,
                     CLAVE_ERR_FORMAT, "contract.output.budgets[%zu].epsilon_micro: expected 1..%u",
                     i, CLAVE_CONTRACT_EPSILON_MICRO_MAX);
        CLAVE_ENSURE(b->delta_pico < CLAVE_CONTRACT_DELTA_PICO_LIMIT, CLAVE_ERR_FORMAT,
                     "contract.output.budgets[%zu].delta_pico: expected < 10^12 (delta < 1)", i);
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status check_output(const struct contract_doc *doc)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char where[CONTRACT_PATH_MAX];
    CLAVE_CHECK(check_budgets(doc));
    CLAVE_ENSURE(doc->min_group_size >= 1 && doc->min_group_size <= UINT32_MAX, CLAVE_ERR_FORMAT,
                 "contract.output.min_group_size: expected 1..%u", UINT32_MAX);
    CLAVE_CHECK(
        check_count(doc->column_count, 0, CLAVE_CONTRACT_MAX_COLUMNS, "contract.output.columns"));
    for (size_t i = 0; i < doc->column_count; i++) {
        snprintf(where, sizeof(where), "contract.output.columns[%zu]", i);
        CLAVE_CHECK(check_name(doc->columns[i], where));
        for (size_t j = 0; j < i; j++) {
            CLAVE_ENSURE(!str_eq(doc->columns[j], doc->columns[i]), CLAVE_ERR_FORMAT,
                         "%s: duplicate", where);
        }
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status check_recipients(const struct contract_doc *doc)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char where[CONTRACT_PATH_MAX];
    const unsigned allowed = (1u << CLAVE_PKEY_ED25519) | (1u << CLAVE_PKEY_P256) |
                             (1u << CLAVE_PKEY_P384) | (1u << CLAVE_PKEY_X25519);
    CLAVE_CHECK(
        check_count(doc->recipient_count, 1, CLAVE_CONTRACT_MAX_RECIPIENTS, "contract.recipients"));
    for (size_t i = 0; i < doc->recipient_count; i++) {
        const struct contract_recipient *r = &doc->recipients[i];
        snprintf(where, sizeof(where), "contract.recipients[%zu].party", i);
        CLAVE_CHECK(check_id(r->party, where));
        for (size_t j = 0; j < i; j++) {
            CLAVE_ENSURE(!str_eq(doc->recipients[j].party, r->party), CLAVE_ERR_FORMAT,
                         "%s: duplicate of recipients[%zu]", where, j);
        }
        CLAVE_ENSURE((r->spki != NULL) != r->has_thumbprint, CLAVE_ERR_FORMAT,
                     "contract.recipients[%zu]: expected exactly one of spki, jwk_thumbprint", i);
        if (r->spki != NULL) {
            snprintf(where, sizeof(where), "contract.recipients[%zu].spki", i);
            CLAVE_CHECK(check_spki(r->spki, r->spki_len, allowed, where));
        }
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status check_regions(const struct contract_doc *doc)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char where[CONTRACT_PATH_MAX];
    CLAVE_CHECK(check_count(doc->region_count, 1, CLAVE_CONTRACT_MAX_REGIONS, "contract.regions"));
    for (size_t i = 0; i < doc->region_count; i++) {
        snprintf(where, sizeof(where), "contract.regions[%zu]", i);
        CLAVE_CHECK(check_name(doc->regions[i], where));
        CLAVE_ENSURE(!str_eq(doc->regions[i], CLAVE_CONTRACT_ANY_REGION) || doc->region_count == 1,
                     CLAVE_ERR_FORMAT, "%s: \"*\" must be the only region", where);
        for (size_t j = 0; j < i; j++) {
            CLAVE_ENSURE(!str_eq(doc->regions[j], doc->regions[i]), CLAVE_ERR_FORMAT,
                         "%s: duplicate", where);
        }
    }
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave__contract_validate(const struct contract_doc *doc)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_CHECK(check_id(doc->collaboration, "contract.collaboration"));
    CLAVE_ENSURE(doc->version >= 1 && doc->version <= INT64_MAX, CLAVE_ERR_FORMAT,
                 "contract.version: expected 1..2^63-1");
    CLAVE_CHECK(check_signers(doc));
    CLAVE_CHECK(check_datasets(doc));
    CLAVE_CHECK(check_computation(doc));
    CLAVE_CHECK(check_output(doc));
    CLAVE_CHECK(check_recipients(doc));
    CLAVE_CHECK(check_regions(doc));
    CLAVE_ENSURE(doc->expiry >= 1 && doc->expiry <= INT64_MAX, CLAVE_ERR_FORMAT,
                 "contract.expiry: required, unix seconds in 1..2^63-1");
    CLAVE_ENSURE(doc->not_before < doc->expiry, CLAVE_ERR_FORMAT,
                 "contract.not_before: must be before contract.expiry");
    st = CLAVE_OK;
done:
    return st;
}
