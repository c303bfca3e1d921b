/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The canonical encoding of a contract (CDDL in docs/formats/contract.md). Map keys are written
 * in canonical order (shorter first, then bytewise: RFC 8949 section 4.2.1); struct canon_map
 * refuses any other order, so a mistake here fails loudly instead of producing a second form.
 */
#include "contract/canon.h"
#include "contract/contract_internal.h"

#include "core/check.h"

#include <stdlib.h>
#include <string.h>

static clave_status put_text(struct clave_writer *w, const char *s)
{
    return clave__canon_text(w, s, strlen(s));
}

static clave_status put_text_list(struct clave_writer *w, char *const *items, size_t n)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_CHECK(clave__canon_array(w, n));
    for (size_t i = 0; i < n; i++) {
        CLAVE_CHECK(put_text(w, items[i]));
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status put_datasets(struct clave_writer *w, const struct contract_doc *doc)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct canon_map m;
    CLAVE_CHECK(clave__canon_array(w, doc->dataset_count));
    for (size_t i = 0; i < doc->dataset_count; i++) {
        const struct contract_dataset *d = &doc->datasets[i];
        CLAVE_CHECK(clave__canon_map_begin(w, 3, &m));
        CLAVE_CHECK(clave__canon_key(&m, "id"));
        CLAVE_CHECK(put_text(w, d->id));
        CLAVE_CHECK(clave__canon_key(&m, "owner"));
        CLAVE_CHECK(put_text(w, d->owner));
        CLAVE_CHECK(clave__canon_key(&m, "sha256"));
        CLAVE_CHECK(clave__canon_bytes(w, d->sha256, CLAVE_SHA256_LEN));
        CLAVE_CHECK(clave__canon_map_end(&m));
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status put_nitro(struct canon_map *m, const struct clave_contract_workload *wl)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_CHECK(clave__canon_key(m, "pcr0"));
    CLAVE_CHECK(clave__canon_bytes(m->w, wl->nitro.pcr0, CLAVE_SHA384_LEN));
    CLAVE_CHECK(clave__canon_key(m, "pcr1"));
    CLAVE_CHECK(clave__canon_bytes(m->w, wl->nitro.pcr1, CLAVE_SHA384_LEN));
    CLAVE_CHECK(clave__canon_key(m, "pcr2"));
    CLAVE_CHECK(clave__canon_bytes(m->w, wl->nitro.pcr2, CLAVE_SHA384_LEN));
    if (wl->nitro.has_pcr8) {
        CLAVE_CHECK(clave__canon_key(m, "pcr8"));
        CLAVE_CHECK(clave__canon_bytes(m->w, wl->nitro.pcr8, CLAVE_SHA384_LEN));
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status put_snp(struct canon_map *m, const struct clave_contract_workload *wl)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct canon_map tcb;
    CLAVE_CHECK(clave__canon_key(m, "min_tcb"));
    CLAVE_CHECK(clave__canon_map_begin(m->w, 4, &tcb));
    CLAVE_CHECK(clave__canon_key(&tcb, "snp"));
    CLAVE_CHECK(clave__canon_uint(m->w, wl->snp.min_tcb.snp));
    CLAVE_CHECK(clave__canon_key(&tcb, "tee"));
    CLAVE_CHECK(clave__canon_uint(m->w, wl->snp.min_tcb.tee));
    CLAVE_CHECK(clave__canon_key(&tcb, "microcode"));
    CLAVE_CHECK(clave__canon_uint(m->w, wl->snp.min_tcb.microcode));
    CLAVE_CHECK(clave__canon_key(&tcb, "bootloader"));
    CLAVE_CHECK(clave__canon_uint(m->w, wl->snp.min_tcb.bootloader));
    CLAVE_CHECK(clave__canon_map_end(&tcb));
    if (wl->snp.has_host_data) {
        CLAVE_CHECK(clave__canon_key(m, "host_data"));
        CLAVE_CHECK(clave__canon_bytes(m->w, wl->snp.host_data, CLAVE_SHA256_LEN));
    }
    CLAVE_CHECK(clave__canon_key(m, "measurement"));
    CLAVE_CHECK(clave__canon_bytes(m->w, wl->snp.measurement, CLAVE_SHA384_LEN));
    st = CLAVE_OK;
done:
    return st;
}

static clave_status put_tdx(struct canon_map *m, const struct clave_contract_workload *wl)
{
    static const char *const RTMR_KEYS[4] = {"rtmr0", "rtmr1", "rtmr2", "rtmr3"};
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_CHECK(clave__canon_key(m, "mrtd"));
    CLAVE_CHECK(clave__canon_bytes(m->w, wl->tdx.mrtd, CLAVE_SHA384_LEN));
    for (size_t i = 0; i < 4; i++) {
        if (wl->tdx.has_rtmr[i]) {
            CLAVE_CHECK(clave__canon_key(m, RTMR_KEYS[i]));
            CLAVE_CHECK(clave__canon_bytes(m->w, wl->tdx.rtmr[i], CLAVE_SHA384_LEN));
        }
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status put_sgx(struct canon_map *m, const struct clave_contract_workload *wl)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    if (wl->sgx.has_mrsigner) {
        CLAVE_CHECK(clave__canon_key(m, "mrsigner"));
        CLAVE_CHECK(clave__canon_bytes(m->w, wl->sgx.mrsigner, CLAVE_SHA256_LEN));
    }
    CLAVE_CHECK(clave__canon_key(m, "isvprodid"));
    CLAVE_CHECK(clave__canon_uint(m->w, wl->sgx.isvprodid));
    if (wl->sgx.has_mrenclave) {
        CLAVE_CHECK(clave__canon_key(m, "mrenclave"));
        CLAVE_CHECK(clave__canon_bytes(m->w, wl->sgx.mrenclave, CLAVE_SHA256_LEN));
    }
    CLAVE_CHECK(clave__canon_key(m, "min_isvsvn"));
    CLAVE_CHECK(clave__canon_uint(m->w, wl->sgx.min_isvsvn));
    st = CLAVE_OK;
done:
    return st;
}

/* Entries of a workload map, "tee" included. */
static size_t workload_entries(const struct clave_contract_workload *wl)
{
    switch (wl->tee) {
    case CLAVE_TEE_NITRO:
    case CLAVE_TEE_SIM_NITRO:
        return 4 + (size_t)wl->nitro.has_pcr8;
    case CLAVE_TEE_SNP:
    case CLAVE_TEE_SIM_SNP:
        return 3 + (size_t)wl->snp.has_host_data;
    case CLAVE_TEE_TDX:
        return 2 + (size_t)wl->tdx.has_rtmr[0] + (size_t)wl->tdx.has_rtmr[1] +
               (size_t)wl->tdx.has_rtmr[2] + (size_t)wl->tdx.has_rtmr[3];
    default:
        return 3 + (size_t)wl->sgx.has_mrsigner + (size_t)wl->sgx.has_mrenclave;
    }
}

static clave_status put_workload(struct clave_writer *w, const struct clave_contract_workload *wl)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct canon_map m;
    CLAVE_CHECK(clave__canon_map_begin(w, workload_entries(wl), &m));
    CLAVE_CHECK(clave__canon_key(&m, "tee"));
    CLAVE_CHECK(put_text(w, clave_tee_type_name(wl->tee)));
    switch (wl->tee) {
    case CLAVE_TEE_NITRO:
    case CLAVE_TEE_SIM_NITRO:
        CLAVE_CHECK(put_nitro(&m, wl));
        break;
    case CLAVE_TEE_SNP:
    case CLAVE_TEE_SIM_SNP:
        CLAVE_CHECK(put_snp(&m, wl));
        break;
    case CLAVE_TEE_TDX:
        CLAVE_CHECK(put_tdx(&m, wl));
        break;
    default:
        CLAVE_CHECK(put_sgx(&m, wl));
        break;
    }
    CLAVE_CHECK(clave__canon_map_end(&m));
    st = CLAVE_OK;
done:
    return st;
}

static clave_status put_output(struct clave_writer *w, const struct contract_doc *doc)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct canon_map m;
    struct canon_map b;
    CLAVE_CHECK(clave__canon_map_begin(w, 3, &m));
    CLAVE_CHECK(clave__canon_key(&m, "budgets"));
    CLAVE_CHECK(clave__canon_array(w, doc->budget_count));
    for (size_t i = 0; i < doc->budget_count; i++) {
        CLAVE_CHECK(clave__canon_map_begin(w, 3, &b));
        CLAVE_CHECK(clave__canon_key(&b, "party"));
        CLAVE_CHECK(put_text(w, doc->budgets[i].party));
        CLAVE_CHECK(clave__canon_key(&b, "delta_pico"));
        CLAVE_CHECK(clave__canon_uint(w, doc->budgets[i].delta_pico));
        CLAVE_CHECK(clave__canon_key(&b, "epsilon_micro"));
        CLAVE_CHECK(clave__canon_uint(w, doc->budgets[i].epsilon_micro));
        CLAVE_CHECK(clave__canon_map_end(&b));
    }
    CLAVE_CHECK(clave__canon_key(&m, "columns"));
    CLAVE_CHECK(put_text_list(w, doc->columns, doc->column_count));
    CLAVE_CHECK(clave__canon_key(&m, "min_group_size"));
    CLAVE_CHECK(clave__canon_uint(w, doc->min_group_size));
    CLAVE_CHECK(clave__canon_map_end(&m));
    st = CLAVE_OK;
done:
    return st;
}

static clave_status put_recipients(struct clave_writer *w, const struct contract_doc *doc)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct canon_map m;
    CLAVE_CHECK(clave__canon_array(w, doc->recipient_count));
    for (size_t i = 0; i < doc->recipient_count; i++) {
        const struct contract_recipient *r = &doc->recipients[i];
        CLAVE_CHECK(clave__canon_map_begin(w, 2, &m));
        if (r->spki != NULL) {
            CLAVE_CHECK(clave__canon_key(&m, "spki"));
            CLAVE_CHECK(clave__canon_bytes(w, r->spki, r->spki_len));
        }
        CLAVE_CHECK(clave__canon_key(&m, "party"));
        CLAVE_CHECK(put_text(w, r->party));
        if (r->spki == NULL) {
            CLAVE_CHECK(clave__canon_key(&m, "jwk_thumbprint"));
            CLAVE_CHECK(clave__canon_bytes(w, r->thumbprint, CLAVE_SHA256_LEN));
        }
        CLAVE_CHECK(clave__canon_map_end(&m));
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status put_signers(struct clave_writer *w, const struct contract_doc *doc)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct canon_map m;
    CLAVE_CHECK(clave__canon_array(w, doc->signer_count));
    for (size_t i = 0; i < doc->signer_count; i++) {
        CLAVE_CHECK(clave__canon_map_begin(w, 2, &m));
        CLAVE_CHECK(clave__canon_key(&m, "spki"));
        CLAVE_CHECK(clave__canon_bytes(w, doc->signers[i].spki, doc->signers[i].spki_len));
        CLAVE_CHECK(clave__canon_key(&m, "party"));
        CLAVE_CHECK(put_text(w, doc->signers[i].party));
        CLAVE_CHECK(clave__canon_map_end(&m));
    }
    st = CLAVE_OK;
done:
    return st;
}

/* Top-level keys in canonical order; not_before is the only optional one. */
static clave_status put_document(struct clave_writer *w, const struct contract_doc *doc)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct canon_map m;
    struct canon_map comp;
    CLAVE_CHECK(clave__canon_map_begin(w, doc->not_before != 0 ? 14 : 13, &m));
    CLAVE_CHECK(clave__canon_key(&m, "debug"));
    CLAVE_CHECK(clave__canon_bool(w, doc->debug));
    CLAVE_CHECK(clave__canon_key(&m, "expiry"));
    CLAVE_CHECK(clave__canon_uint(w, doc->expiry));
    CLAVE_CHECK(clave__canon_key(&m, "format"));
    CLAVE_CHECK(clave__canon_uint(w, CLAVE_CONTRACT_FORMAT));
    CLAVE_CHECK(clave__canon_key(&m, "output"));
    CLAVE_CHECK(put_output(w, doc));
    CLAVE_CHECK(clave__canon_key(&m, "regions"));
    CLAVE_CHECK(put_text_list(w, doc->regions, doc->region_count));
    CLAVE_CHECK(clave__canon_key(&m, "signers"));
    CLAVE_CHECK(put_signers(w, doc));
    CLAVE_CHECK(clave__canon_key(&m, "version"));
    CLAVE_CHECK(clave__canon_uint(w, doc->version));
    CLAVE_CHECK(clave__canon_key(&m, "datasets"));
    CLAVE_CHECK(put_datasets(w, doc));
    CLAVE_CHECK(clave__canon_key(&m, "workloads"));
    CLAVE_CHECK(clave__canon_array(w, doc->workload_count));
    for (size_t i = 0; i < doc->workload_count; i++) {
        CLAVE_CHECK(put_workload(w, &doc->workloads[i]));
    }
    if (doc->not_before != 0) {
        CLAVE_CHECK(clave__canon_key(&m, "not_before"));
        CLAVE_CHECK(clave__canon_uint(w, doc->not_before));
    }
    CLAVE_CHECK(clave__canon_key(&m, "recipients"));
    CLAVE_CHECK(put_recipients(w, doc));
    CLAVE_CHECK(clave__canon_key(&m, "computation"));
    CLAVE_CHECK(clave__canon_map_begin(w, 2, &comp));
    CLAVE_CHECK(clave__canon_key(&comp, "kind"));
    CLAVE_CHECK(put_text(w, clave_computation_kind_name(doc->kind)));
    CLAVE_CHECK(clave__canon_key(&comp, "spec"));
    CLAVE_CHECK(clave_writer_bytes(w, doc->spec, doc->spec_len)); /* already canonical */
    CLAVE_CHECK(clave__canon_map_end(&comp));
    CLAVE_CHECK(clave__canon_key(&m, "tcb_statuses"));
    CLAVE_CHECK(put_text_list(w, doc->tcb_statuses, doc->tcb_count));
    CLAVE_CHECK(clave__canon_key(&m, "collaboration"));
    CLAVE_CHECK(put_text(w, doc->collaboration));
    CLAVE_CHECK(clave__canon_map_end(&m));
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave__contract_encode(const struct contract_doc *doc, uint8_t **out, size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_writer w;
    uint8_t *buf = malloc(CLAVE_CONTRACT_MAX_LEN);
    *out = NULL;
    *out_len = 0;
    CLAVE_ENSURE_ALLOC(buf);
    clave_writer_init(&w, buf, CLAVE_CONTRACT_MAX_LEN);
    CLAVE_CHECK_CTX(put_document(&w, doc), "contract: encoding: ");
    uint8_t *shrunk = realloc(buf, w.len);
    *out = shrunk != NULL ? shrunk : buf;
    *out_len = w.len;
    buf = NULL;
    st = CLAVE_OK;
done:
    free(buf);
    return st;
}
