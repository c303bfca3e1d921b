/* SPDX-License-Identifier: Apache-2.0 */
/* The in-memory document: names of enumerations, deep copy and release. */
#include "contract/contract_internal.h"

#include "core/check.h"

#include <stdlib.h>
#include <string.h>

static const char *const KIND_NAMES[] = {
    [CLAVE_COMPUTATION_QUERY] = "query", [CLAVE_COMPUTATION_TRAIN] = "train",
    [CLAVE_COMPUTATION_FL] = "fl",       [CLAVE_COMPUTATION_MPC] = "mpc",
    [CLAVE_COMPUTATION_HE] = "he",
};

static const char *const TEE_NAMES[] = {
    [CLAVE_TEE_NITRO] = "nitro",
    [CLAVE_TEE_SNP] = "snp",
    [CLAVE_TEE_TDX] = "tdx",
    [CLAVE_TEE_SGX] = "sgx",
    [CLAVE_TEE_SIM_NITRO] = "sim-nitro",
    [CLAVE_TEE_SIM_SNP] = "sim-snp",
};

/* Intel TCB statuses (TDX/SGX collateral) and AMD's two; "Revoked" is never acceptable. */
static const char *const TCB_STATUSES[] = {
    "UpToDate",
    "SWHardeningNeeded",
    "ConfigurationNeeded",
    "ConfigurationAndSWHardeningNeeded",
    "OutOfDate",
    "OutOfDateConfigurationNeeded",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static bool name_is(const char *name, const char *s, size_t len)
{
    return name != NULL && strlen(name) == len && memcmp(name, s, len) == 0; // lint:public
}

const char *clave_computation_kind_name(enum clave_computation_kind kind)
{
    size_t i = (size_t)kind;
    return i < COUNT(KIND_NAMES) ? KIND_NAMES[i] : NULL;
}

const char *clave_tee_type_name(enum clave_tee_type tee)
{
    size_t i = (size_t)tee;
    return i < COUNT(TEE_NAMES) ? TEE_NAMES[i] : NULL;
}

enum clave_computation_kind clave__contract_kind_from_name(const char *name, size_t len)
{
    for (size_t i = 1; i < COUNT(KIND_NAMES); i++) {
        if (name_is(KIND_NAMES[i], name, len)) {
            return (enum clave_computation_kind)i;
        }
    }
    return (enum clave_computation_kind)0;
}

enum clave_tee_type clave__contract_tee_from_name(const char *name, size_t len)
{
    for (size_t i = 1; i < COUNT(TEE_NAMES); i++) {
        if (name_is(TEE_NAMES[i], name, len)) {
            return (enum clave_tee_type)i;
        }
    }
    return (enum clave_tee_type)0;
}

bool clave__contract_tcb_status_known(const char *status, size_t len)
{
    for (size_t i = 0; i < COUNT(TCB_STATUSES); i++) {
        if (name_is(TCB_STATUSES[i], status, len)) {
            return true;
        }
    }
    return false;
}

char *clave__contract_strdup(const char *s, size_t max)
{
    return s == NULL ? NULL : strndup(s, max + 1);
}

void clave__contract_doc_clear(struct contract_doc *doc)
{
    free(doc->collaboration);
    for (size_t i = 0; i < doc->dataset_count; i++) {
        free(doc->datasets[i].id);
        free(doc->datasets[i].owner);
    }
    free(doc->spec);
    for (size_t i = 0; i < doc->tcb_count; i++) {
        free(doc->tcb_statuses[i]);
    }
    for (size_t i = 0; i < doc->budget_count; i++) {
        free(doc->budgets[i].party);
    }
    for (size_t i = 0; i < doc->column_count; i++) {
        free(doc->columns[i]);
    }
    for (size_t i = 0; i < doc->recipient_count; i++) {
        free(doc->recipients[i].party);
        free(doc->recipients[i].spki);
    }
    for (size_t i = 0; i < doc->region_count; i++) {
        free(doc->regions[i]);
    }
    for (size_t i = 0; i < doc->signer_count; i++) {
        free(doc->signers[i].party);
        free(doc->signers[i].spki);
    }
    memset(doc, 0, sizeof(*doc));
}

static bool dup_str(char **dst, const char *src)
{
    if (src == NULL) {
        *dst = NULL;
        return true;
    }
    *dst = strdup(src);
    return *dst != NULL;
}

static bool dup_bytes(uint8_t **dst, const uint8_t *src, size_t len)
{
    *dst = NULL;
    if (src == NULL) {
        return true;
    }
    *dst = malloc(len == 0 ? 1 : len);
    if (*dst != NULL && len > 0) {
        memcpy(*dst, src, len);
    }
    return *dst != NULL;
}

/* Copy the lists of strings and byte strings; the scalars were copied with the struct. */
static bool copy_lists(struct contract_doc *dst, const struct contract_doc *src)
{
    bool ok = dup_str(&dst->collaboration, src->collaboration) &&
              dup_bytes(&dst->spec, src->spec, src->spec_len);
    for (size_t i = 0; ok && i < src->dataset_count; i++) {
        ok = dup_str(&dst->datasets[i].id, src->datasets[i].id) &&
             dup_str(&dst->datasets[i].owner, src->datasets[i].owner);
    }
    for (size_t i = 0; ok && i < src->tcb_count; i++) {
        ok = dup_str(&dst->tcb_statuses[i], src->tcb_statuses[i]);
    }
    for (size_t i = 0; ok && i < src->budget_count; i++) {
        ok = dup_str(&dst->budgets[i].party, src->budgets[i].party);
    }
    for (size_t i = 0; ok && i < src->column_count; i++) {
        ok = dup_str(&dst->columns[i], src->columns[i]);
    }
    for (size_t i = 0; ok && i < src->recipient_count; i++) {
        ok = dup_str(&dst->recipients[i].party, src->recipients[i].party) &&
             dup_bytes(&dst->recipients[i].spki, src->recipients[i].spki,
                       src->recipients[i].spki_len);
    }
    for (size_t i = 0; ok && i < src->region_count; i++) {
        ok = dup_str(&dst->regions[i], src->regions[i]);
    }
    for (size_t i = 0; ok && i < src->signer_count; i++) {
        ok = dup_str(&dst->signers[i].party, src->signers[i].party) &&
             dup_bytes(&dst->signers[i].spki, src->signers[i].spki, src->signers[i].spki_len);
    }
    return ok;
}

/* Forget every pointer copied from the source (the counts stay, so clear() walks the lists). */
static void null_pointers(struct contract_doc *doc)
{
    doc->collaboration = NULL;
    doc->spec = NULL;
    for (size_t i = 0; i < doc->dataset_count; i++) {
        doc->datasets[i].id = NULL;
        doc->datasets[i].owner = NULL;
    }
    memset(doc->tcb_statuses, 0, sizeof(doc->tcb_statuses));
    for (size_t i = 0; i < doc->budget_count; i++) {
        doc->budgets[i].party = NULL;
    }
    memset(doc->columns, 0, sizeof(doc->columns));
    for (size_t i = 0; i < doc->recipient_count; i++) {
        doc->recipients[i].party = NULL;
        doc->recipients[i].spki = NULL;
    }
    memset(doc->regions, 0, sizeof(doc->regions));
    for (size_t i = 0; i < doc->signer_count; i++) {
        doc->signers[i].party = NULL;
        doc->signers[i].spki = NULL;
    }
}

clave_status clave__contract_doc_copy(struct contract_doc *dst, const struct contract_doc *src)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    /* Scalars and fixed arrays by value, then every pointer replaced by its own copy. */
    memcpy(dst, src, sizeof(*dst));
    null_pointers(dst);
    if (!copy_lists(dst, src)) {
        clave__contract_doc_clear(dst);
        CLAVE_RAISE(CLAVE_ERR_NOMEM, "out of memory");
    }
    st = CLAVE_OK;
done:
    return st;
}
