/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Decoding a contract document (types and sizes of every field; the rules are in validate.c).
 * The CDDL (docs/formats/contract.md), abridged:
 *
 *   contract = {
 *     "debug": bool, "expiry": uint, "format": 1, "output": output, "regions": [+ tstr],
 *     "signers": [+ signer], "version": uint, "datasets": [+ dataset], "workloads": [+ workload],
 *     ? "not_before": uint, "recipients": [+ recipient],
 *     "computation": {"kind": tstr, "spec": {* tstr => any}},
 *     "tcb_statuses": [+ tstr], "collaboration": tstr }
 *
 * The canonical check (re-encode and compare) happens in clave_contract_parse().
 */
#include "contract/canon.h"
#include "contract/contract_internal.h"

#include "core/cbor.h"
#include "core/check.h"

#include <clave/json.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every key of `map` must be a text string listed in the NULL-terminated `allowed`. */
static clave_status only_keys(const cbor_item_t *map, const char *where, const char *const *allowed)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(cbor_isa_map(map), CLAVE_ERR_FORMAT, "%s: expected a map", where);
    for (size_t i = 0; i < cbor_map_size(map); i++) {
        const cbor_item_t *k = cbor_map_handle(map)[i].key;
        CLAVE_ENSURE(cbor_isa_string(k), CLAVE_ERR_FORMAT, "%s: map key %zu is not text", where, i);
        bool known = false;
        for (size_t j = 0; allowed[j] != NULL && !known; j++) {
            known = strlen(allowed[j]) == cbor_string_length(k) &&
                    clave_ct_equal(allowed[j], cbor_string_handle(k), cbor_string_length(k));
        }
        CLAVE_ENSURE(known, CLAVE_ERR_FORMAT, "%s: unknown field (key %zu)", where, i);
    }
    st = CLAVE_OK;
done:
    return st;
}

/* The value of `key` in `map`; CLAVE_ERR_FORMAT "where.key: required" when absent and required. */
static clave_status field(const cbor_item_t *map, const char *where, const char *key, bool required,
                          cbor_item_t **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    *out = clave__cbor_map_get_text(map, key);
    CLAVE_ENSURE(*out != NULL || !required, CLAVE_ERR_FORMAT, "%s.%s: required", where, key);
    st = CLAVE_OK;
done:
    return st;
}

static clave_status dec_text(const cbor_item_t *item, const char *where, size_t max, char **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    *out = NULL;
    CLAVE_ENSURE(cbor_isa_string(item) && cbor_string_is_definite(item), CLAVE_ERR_FORMAT,
                 "%s: expected text", where);
    size_t len = cbor_string_length(item);
    CLAVE_ENSURE(len <= max, CLAVE_ERR_FORMAT, "%s: longer than %zu bytes", where, max);
    CLAVE_ENSURE(clave__canon_utf8_ok(cbor_string_handle(item), len), CLAVE_ERR_FORMAT,
                 "%s: not UTF-8 or contains NUL", where);
    *out = strndup((const char *)cbor_string_handle(item), len);
    CLAVE_ENSURE_ALLOC(*out);
    st = CLAVE_OK;
done:
    return st;
}

static clave_status dec_uint(const cbor_item_t *item, const char *where, uint64_t max,
                             uint64_t *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    *out = 0;
    CLAVE_ENSURE(cbor_isa_uint(item), CLAVE_ERR_FORMAT, "%s: expected an unsigned integer", where);
    CLAVE_ENSURE(cbor_get_int(item) <= max, CLAVE_ERR_FORMAT, "%s: larger than %llu", where,
                 (unsigned long long)max);
    *out = cbor_get_int(item);
    st = CLAVE_OK;
done:
    return st;
}

static clave_status dec_fixed(const cbor_item_t *item, const char *where, uint8_t *out, size_t len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(cbor_isa_bytestring(item) && cbor_bytestring_is_definite(item), CLAVE_ERR_FORMAT,
                 "%s: expected a byte string", where);
    CLAVE_ENSURE(cbor_bytestring_length(item) == len, CLAVE_ERR_FORMAT, "%s: expected %zu bytes",
                 where, len);
    memcpy(out, cbor_bytestring_handle(item), len);
    st = CLAVE_OK;
done:
    return st;
}

static clave_status dec_bytes(const cbor_item_t *item, const char *where, size_t max, uint8_t **out,
                              size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(cbor_isa_bytestring(item) && cbor_bytestring_is_definite(item), CLAVE_ERR_FORMAT,
                 "%s: expected a byte string", where);
    size_t len = cbor_bytestring_length(item);
    CLAVE_ENSURE(len >= 1 && len <= max, CLAVE_ERR_FORMAT, "%s: expected 1..%zu bytes", where, max);
    *out = malloc(len);
    CLAVE_ENSURE_ALLOC(*out);
    memcpy(*out, cbor_bytestring_handle(item), len);
    *out_len = len;
    st = CLAVE_OK;
done:
    return st;
}

static clave_status dec_array(const cbor_item_t *item, const char *where, size_t max, size_t *n)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(cbor_isa_array(item) && cbor_array_is_definite(item), CLAVE_ERR_FORMAT,
                 "%s: expected an array", where);
    CLAVE_ENSURE(cbor_array_size(item) <= max, CLAVE_ERR_FORMAT, "%s: more than %zu entries", where,
                 max);
    *n = cbor_array_size(item);
    st = CLAVE_OK;
done:
    return st;
}

static clave_status dec_text_list(const cbor_item_t *map, const char *where, const char *key,
                                  size_t max_items, size_t max_len, char **items, size_t *n)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char path[CONTRACT_PATH_MAX];
    cbor_item_t *arr = NULL;
    size_t count = 0;
    clave_json_path_key(path, sizeof(path), where, key);
    CLAVE_CHECK(field(map, where, key, true, &arr));
    CLAVE_CHECK(dec_array(arr, path, max_items, &count));
    for (*n = 0; *n < count; (*n)++) {
        snprintf(path, sizeof(path), "%s.%s[%zu]", where, key, *n);
        CLAVE_CHECK(dec_text(cbor_array_handle(arr)[*n], path, max_len, &items[*n]));
    }
    st = CLAVE_OK;
done:
    return st;
}

/* Decode `key` of `map` as text into `*out` (named "where.key"). */
static clave_status text_field(const cbor_item_t *map, const char *where, const char *key,
                               size_t max, char **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char path[CONTRACT_PATH_MAX];
    cbor_item_t *v = NULL;
    clave_json_path_key(path, sizeof(path), where, key);
    CLAVE_CHECK(field(map, where, key, true, &v));
    CLAVE_CHECK(dec_text(v, path, max, out));
    st = CLAVE_OK;
done:
    return st;
}

static clave_status uint_field(const cbor_item_t *map, const char *where, const char *key,
                               bool required, uint64_t max, uint64_t *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char path[CONTRACT_PATH_MAX];
    cbor_item_t *v = NULL;
    *out = 0;
    clave_json_path_key(path, sizeof(path), where, key);
    CLAVE_CHECK(field(map, where, key, required, &v));
    if (v != NULL) {
        CLAVE_CHECK(dec_uint(v, path, max, out));
    }
    st = CLAVE_OK;
done:
    return st;
}

/* An optional fixed-size byte field; `*present` tells whether it was there. */
static clave_status fixed_field(const cbor_item_t *map, const char *where, const char *key,
                                uint8_t *out, size_t len, bool *present)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char path[CONTRACT_PATH_MAX];
    cbor_item_t *v = NULL;
    clave_json_path_key(path, sizeof(path), where, key);
    CLAVE_CHECK(field(map, where, key, present == NULL, &v));
    if (present != NULL) {
        *present = v != NULL;
    }
    if (v != NULL) {
        CLAVE_CHECK(dec_fixed(v, path, out, len));
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status dec_snp_tcb(const cbor_item_t *map, const char *where,
                                struct clave_snp_tcb *tcb)
{
    static const char *const KEYS[] = {"snp", "tee", "microcode", "bootloader", NULL};
    clave_status st = CLAVE_ERR_INTERNAL;
    char path[CONTRACT_PATH_MAX];
    cbor_item_t *v = NULL;
    uint64_t x[4] = {0};
    clave_json_path_key(path, sizeof(path), where, "min_tcb");
    CLAVE_CHECK(field(map, where, "min_tcb", true, &v));
    CLAVE_CHECK(only_keys(v, path, KEYS));
    for (size_t i = 0; i < 4; i++) {
        CLAVE_CHECK(uint_field(v, path, KEYS[i], true, UINT8_MAX, &x[i]));
    }
    tcb->snp = (uint8_t)x[0];
    tcb->tee = (uint8_t)x[1];
    tcb->microcode = (uint8_t)x[2];
    tcb->bootloader = (uint8_t)x[3];
    st = CLAVE_OK;
done:
    return st;
}

static clave_status dec_sgx(const cbor_item_t *item, const char *where,
                            struct clave_contract_workload *wl)
{
    static const char *const KEYS[] = {"tee",       "mrsigner",   "isvprodid",
                                       "mrenclave", "min_isvsvn", NULL};
    clave_status st = CLAVE_ERR_INTERNAL;
    uint64_t v = 0;
    CLAVE_CHECK(only_keys(item, where, KEYS));
    CLAVE_CHECK(fixed_field(item, where, "mrsigner", wl->sgx.mrsigner, CLAVE_SHA256_LEN,
                            &wl->sgx.has_mrsigner));
    CLAVE_CHECK(fixed_field(item, where, "mrenclave", wl->sgx.mrenclave, CLAVE_SHA256_LEN,
                            &wl->sgx.has_mrenclave));
    CLAVE_CHECK(uint_field(item, where, "isvprodid", true, UINT16_MAX, &v));
    wl->sgx.isvprodid = (uint16_t)v;
    CLAVE_CHECK(uint_field(item, where, "min_isvsvn", true, UINT16_MAX, &v));
    wl->sgx.min_isvsvn = (uint16_t)v;
    st = CLAVE_OK;
done:
    return st;
}

static clave_status dec_tee_values(const cbor_item_t *item, const char *where,
                                   struct clave_contract_workload *wl)
{
    static const char *const NITRO[] = {"tee", "pcr0", "pcr1", "pcr2", "pcr8", NULL};
    static const char *const SNP[] = {"tee", "min_tcb", "host_data", "measurement", NULL};
    static const char *const TDX[] = {"tee", "mrtd", "rtmr0", "rtmr1", "rtmr2", "rtmr3", NULL};
    clave_status st = CLAVE_ERR_INTERNAL;
    switch (wl->tee) {
    case CLAVE_TEE_NITRO:
    case CLAVE_TEE_SIM_NITRO:
        CLAVE_CHECK(only_keys(item, where, NITRO));
        CLAVE_CHECK(fixed_field(item, where, "pcr0", wl->nitro.pcr0, CLAVE_SHA384_LEN, NULL));
        CLAVE_CHECK(fixed_field(item, where, "pcr1", wl->nitro.pcr1, CLAVE_SHA384_LEN, NULL));
        CLAVE_CHECK(fixed_field(item, where, "pcr2", wl->nitro.pcr2, CLAVE_SHA384_LEN, NULL));
        CLAVE_CHECK(fixed_field(item, where, "pcr8", wl->nitro.pcr8, CLAVE_SHA384_LEN,
                                &wl->nitro.has_pcr8));
        break;
    case CLAVE_TEE_SNP:
    case CLAVE_TEE_SIM_SNP:
        CLAVE_CHECK(only_keys(item, where, SNP));
        CLAVE_CHECK(
            fixed_field(item, where, "measurement", wl->snp.measurement, CLAVE_SHA384_LEN, NULL));
        CLAVE_CHECK(fixed_field(item, where, "host_data", wl->snp.host_data, CLAVE_SHA256_LEN,
                                &wl->snp.has_host_data));
        CLAVE_CHECK(dec_snp_tcb(item, where, &wl->snp.min_tcb));
        break;
    case CLAVE_TEE_TDX:
        CLAVE_CHECK(only_keys(item, where, TDX));
        CLAVE_CHECK(fixed_field(item, where, "mrtd", wl->tdx.mrtd, CLAVE_SHA384_LEN, NULL));
        for (size_t i = 0; i < 4; i++) {
            CLAVE_CHECK(fixed_field(item, where, TDX[2 + i], wl->tdx.rtmr[i], CLAVE_SHA384_LEN,
                                    &wl->tdx.has_rtmr[i]));
        }
        break;
    default:
        CLAVE_CHECK(dec_sgx(item, where, wl));
        break;
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status dec_workload(const cbor_item_t *item, const char *where,
                                 struct clave_contract_workload *wl)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char *tee = NULL;
    memset(wl, 0, sizeof(*wl));
    CLAVE_ENSURE(cbor_isa_map(item), CLAVE_ERR_FORMAT, "%s: expected a map", where);
    CLAVE_CHECK(text_field(item, where, "tee", CLAVE_CONTRACT_ID_MAX, &tee));
    wl->tee = clave__contract_tee_from_name(tee, strlen(tee));
    CLAVE_ENSURE(wl->tee != 0, CLAVE_ERR_FORMAT,
                 "%s.tee: expected nitro, snp, tdx, sgx, sim-nitro or sim-snp", where);
    CLAVE_CHECK(dec_tee_values(item, where, wl));
    st = CLAVE_OK;
done:
    free(tee);
    return st;
}

static clave_status dec_datasets(const cbor_item_t *root, struct contract_doc *doc)
{
    static const char *const KEYS[] = {"id", "owner", "sha256", NULL};
    clave_status st = CLAVE_ERR_INTERNAL;
    char where[CONTRACT_PATH_MAX];
    cbor_item_t *arr = NULL;
    size_t n = 0;
    CLAVE_CHECK(field(root, "contract", "datasets", true, &arr));
    CLAVE_CHECK(dec_array(arr, "contract.datasets", CLAVE_CONTRACT_MAX_DATASETS, &n));
    for (size_t i = 0; i < n; i++) {
        const cbor_item_t *d = cbor_array_handle(arr)[i];
        struct contract_dataset *out = &doc->datasets[i];
        snprintf(where, sizeof(where), "contract.datasets[%zu]", i);
        CLAVE_CHECK(only_keys(d, where, KEYS));
        doc->dataset_count = i + 1;
        CLAVE_CHECK(text_field(d, where, "id", CLAVE_CONTRACT_ID_MAX, &out->id));
        CLAVE_CHECK(text_field(d, where, "owner", CLAVE_CONTRACT_ID_MAX, &out->owner));
        CLAVE_CHECK(fixed_field(d, where, "sha256", out->sha256, CLAVE_SHA256_LEN, NULL));
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status dec_computation(const cbor_item_t *root, struct contract_doc *doc)
{
    static const char *const KEYS[] = {"kind", "spec", NULL};
    clave_status st = CLAVE_ERR_INTERNAL;
    cbor_item_t *comp = NULL;
    cbor_item_t *spec = NULL;
    char *kind = NULL;
    uint8_t *buf = NULL;
    struct clave_writer w;
    CLAVE_CHECK(field(root, "contract", "computation", true, &comp));
    CLAVE_CHECK(only_keys(comp, "contract.computation", KEYS));
    CLAVE_CHECK(text_field(comp, "contract.computation", "kind", CLAVE_CONTRACT_ID_MAX, &kind));
    doc->kind = clave__contract_kind_from_name(kind, strlen(kind));
    CLAVE_ENSURE(doc->kind != 0, CLAVE_ERR_FORMAT,
                 "contract.computation.kind: expected query, train, fl, mpc or he");
    CLAVE_CHECK(field(comp, "contract.computation", "spec", true, &spec));
    CLAVE_ENSURE(cbor_isa_map(spec), CLAVE_ERR_FORMAT, "contract.computation.spec: expected a map");
    buf = malloc(CLAVE_CONTRACT_SPEC_MAX_LEN);
    CLAVE_ENSURE_ALLOC(buf);
    clave_writer_init(&w, buf, CLAVE_CONTRACT_SPEC_MAX_LEN);
    CLAVE_CHECK(clave__canon_item(&w, spec, "contract.computation.spec", CONTRACT_SPEC_MAX_DEPTH));
    doc->spec = buf;
    doc->spec_len = w.len;
    buf = NULL;
    st = CLAVE_OK;
done:
    free(kind);
    free(buf);
    return st;
}

static clave_status dec_workloads(const cbor_item_t *root, struct contract_doc *doc)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char where[CONTRACT_PATH_MAX];
    cbor_item_t *arr = NULL;
    size_t n = 0;
    CLAVE_CHECK(field(root, "contract", "workloads", true, &arr));
    CLAVE_CHECK(dec_array(arr, "contract.workloads", CLAVE_CONTRACT_MAX_WORKLOADS, &n));
    for (size_t i = 0; i < n; i++) {
        snprintf(where, sizeof(where), "contract.workloads[%zu]", i);
        CLAVE_CHECK(dec_workload(cbor_array_handle(arr)[i], where, &doc->workloads[i]));
        doc->workload_count = i + 1;
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status dec_budgets(const cbor_item_t *output, struct contract_doc *doc)
{
    static const char *const KEYS[] = {"party", "delta_pico", "epsilon_micro", NULL};
    clave_status st = CLAVE_ERR_INTERNAL;
    char where[CONTRACT_PATH_MAX];
    cbor_item_t *arr = NULL;
    size_t n = 0;
    CLAVE_CHECK(field(output, "contract.output", "budgets", true, &arr));
    CLAVE_CHECK(dec_array(arr, "contract.output.budgets", CLAVE_CONTRACT_MAX_BUDGETS, &n));
    for (size_t i = 0; i < n; i++) {
        const cbor_item_t *b = cbor_array_handle(arr)[i];
        struct contract_budget *out = &doc->budgets[i];
        snprintf(where, sizeof(where), "contract.output.budgets[%zu]", i);
        CLAVE_CHECK(only_keys(b, where, KEYS));
        doc->budget_count = i + 1;
        CLAVE_CHECK(text_field(b, where, "party", CLAVE_CONTRACT_ID_MAX, &out->party));
        CLAVE_CHECK(uint_field(b, where, "delta_pico", true, UINT64_MAX, &out->delta_pico));
        CLAVE_CHECK(uint_field(b, where, "epsilon_micro", true, UINT64_MAX, &out->epsilon_micro));
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status dec_output(const cbor_item_t *root, struct contract_doc *doc)
{
    static const char *const KEYS[] = {"budgets", "columns", "min_group_size", NULL};
    clave_status st = CLAVE_ERR_INTERNAL;
    cbor_item_t *output = NULL;
    CLAVE_CHECK(field(root, "contract", "output", true, &output));
    CLAVE_CHECK(only_keys(output, "contract.output", KEYS));
    CLAVE_CHECK(dec_budgets(output, doc));
    CLAVE_CHECK(dec_text_list(output, "contract.output", "columns", CLAVE_CONTRACT_MAX_COLUMNS,
                              CLAVE_CONTRACT_NAME_MAX, doc->columns, &doc->column_count));
    CLAVE_CHECK(uint_field(output, "contract.output", "min_group_size", true, UINT64_MAX,
                           &doc->min_group_size));
    st = CLAVE_OK;
done:
    return st;
}

static clave_status dec_recipients(const cbor_item_t *root, struct contract_doc *doc)
{
    static const char *const KEYS[] = {"spki", "party", "jwk_thumbprint", NULL};
    clave_status st = CLAVE_ERR_INTERNAL;
    char where[CONTRACT_PATH_MAX];
    cbor_item_t *arr = NULL;
    cbor_item_t *v = NULL;
    size_t n = 0;
    CLAVE_CHECK(field(root, "contract", "recipients", true, &arr));
    CLAVE_CHECK(dec_array(arr, "contract.recipients", CLAVE_CONTRACT_MAX_RECIPIENTS, &n));
    for (size_t i = 0; i < n; i++) {
        const cbor_item_t *r = cbor_array_handle(arr)[i];
        struct contract_recipient *out = &doc->recipients[i];
        snprintf(where, sizeof(where), "contract.recipients[%zu]", i);
        CLAVE_CHECK(only_keys(r, where, KEYS));
        doc->recipient_count = i + 1;
        CLAVE_CHECK(text_field(r, where, "party", CLAVE_CONTRACT_ID_MAX, &out->party));
        CLAVE_CHECK(field(r, where, "spki", false, &v));
        if (v != NULL) {
            snprintf(where, sizeof(where), "contract.recipients[%zu].spki", i);
            CLAVE_CHECK(dec_bytes(v, where, CLAVE_PKEY_SPKI_MAX_LEN, &out->spki, &out->spki_len));
            snprintf(where, sizeof(where), "contract.recipients[%zu]", i);
        }
        CLAVE_CHECK(fixed_field(r, where, "jwk_thumbprint", out->thumbprint, CLAVE_SHA256_LEN,
                                &out->has_thumbprint));
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status dec_signers(const cbor_item_t *root, struct contract_doc *doc)
{
    static const char *const KEYS[] = {"spki", "party", NULL};
    clave_status st = CLAVE_ERR_INTERNAL;
    char where[CONTRACT_PATH_MAX];
    cbor_item_t *arr = NULL;
    cbor_item_t *v = NULL;
    size_t n = 0;
    CLAVE_CHECK(field(root, "contract", "signers", true, &arr));
    CLAVE_CHECK(dec_array(arr, "contract.signers", CLAVE_CONTRACT_MAX_SIGNERS, &n));
    for (size_t i = 0; i < n; i++) {
        const cbor_item_t *s = cbor_array_handle(arr)[i];
        struct contract_signer *out = &doc->signers[i];
        snprintf(where, sizeof(where), "contract.signers[%zu]", i);
        CLAVE_CHECK(only_keys(s, where, KEYS));
        doc->signer_count = i + 1;
        CLAVE_CHECK(text_field(s, where, "party", CLAVE_CONTRACT_ID_MAX, &out->party));
        CLAVE_CHECK(field(s, where, "spki", true, &v));
        snprintf(where, sizeof(where), "contract.signers[%zu].spki", i);
        CLAVE_CHECK(dec_bytes(v, where, CLAVE_PKEY_SPKI_MAX_LEN, &out->spki, &out->spki_len));
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status dec_scalars(const cbor_item_t *root, struct contract_doc *doc)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    cbor_item_t *v = NULL;
    uint64_t format = 0;
    CLAVE_CHECK(uint_field(root, "contract", "format", true, UINT64_MAX, &format));
    CLAVE_ENSURE(format == CLAVE_CONTRACT_FORMAT, CLAVE_ERR_UNSUPPORTED,
                 "contract.format: version %llu is not supported", (unsigned long long)format);
    CLAVE_CHECK(
        text_field(root, "contract", "collaboration", CLAVE_CONTRACT_ID_MAX, &doc->collaboration));
    CLAVE_CHECK(uint_field(root, "contract", "version", true, UINT64_MAX, &doc->version));
    CLAVE_CHECK(field(root, "contract", "debug", true, &v));
    CLAVE_ENSURE(
        cbor_isa_float_ctrl(v) && cbor_float_get_width(v) == CBOR_FLOAT_0 &&
            (cbor_ctrl_value(v) == CBOR_CTRL_TRUE || cbor_ctrl_value(v) == CBOR_CTRL_FALSE),
        CLAVE_ERR_FORMAT, "contract.debug: expected true or false");
    doc->debug = cbor_ctrl_value(v) == CBOR_CTRL_TRUE;
    CLAVE_CHECK(uint_field(root, "contract", "not_before", false, UINT64_MAX, &doc->not_before));
    CLAVE_ENSURE(clave__cbor_map_get_text(root, "not_before") == NULL || doc->not_before > 0,
                 CLAVE_ERR_FORMAT, "contract.not_before: omit it instead of writing 0");
    CLAVE_CHECK(uint_field(root, "contract", "expiry", true, UINT64_MAX, &doc->expiry));
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave__contract_decode(const uint8_t *data, size_t len, struct contract_doc *doc)
{
    static const char *const KEYS[] = {
        "debug",      "expiry",      "format",       "output",        "regions",
        "signers",    "version",     "datasets",     "workloads",     "not_before",
        "recipients", "computation", "tcb_statuses", "collaboration", NULL,
    };
    static const struct clave__cbor_limits LIMITS = {
        .max_len = CLAVE_CONTRACT_MAX_LEN,
        .max_depth = CONTRACT_MAX_DEPTH,
        .max_items = CONTRACT_MAX_ITEMS,
    };
    clave_status st = CLAVE_ERR_INTERNAL;
    cbor_item_t *root = NULL;
    CLAVE_CHECK_CTX(clave__cbor_load(data, len, &LIMITS, &root), "contract: ");
    CLAVE_CHECK(only_keys(root, "contract", KEYS));
    CLAVE_CHECK(dec_scalars(root, doc));
    CLAVE_CHECK(dec_signers(root, doc));
    CLAVE_CHECK(dec_datasets(root, doc));
    CLAVE_CHECK(dec_computation(root, doc));
    CLAVE_CHECK(dec_workloads(root, doc));
    CLAVE_CHECK(dec_text_list(root, "contract", "tcb_statuses", CLAVE_CONTRACT_MAX_TCB_STATUSES,
                              CLAVE_CONTRACT_ID_MAX, doc->tcb_statuses, &doc->tcb_count));
    CLAVE_CHECK(dec_output(root, doc));
    CLAVE_CHECK(dec_recipients(root, doc));
    CLAVE_CHECK(dec_text_list(root, "contract", "regions", CLAVE_CONTRACT_MAX_REGIONS,
                              CLAVE_CONTRACT_NAME_MAX, doc->regions, &doc->region_count));
    st = CLAVE_OK;
done:
    if (root != NULL) {
        cbor_decref(&root);
    }
    return st;
}
