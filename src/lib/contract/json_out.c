/* SPDX-License-Identifier: Apache-2.0 */
/* A contract as JSON in the schema clave_contract_from_json() reads (docs/formats/contract.md). */
#include "contract/canon.h"
#include "contract/contract_internal.h"

#include "core/cbor.h"
#include "core/check.h"

#include <clave/encoding.h>
#include <stdlib.h>
#include <string.h>

/* Lower-case hex of `len` bytes (at most 48) as a new JSON string; NULL on allocation failure. */
static json_t *hex(const uint8_t *b, size_t len)
{
    char buf[2 * CLAVE_SHA384_LEN + 1];
    if (len > CLAVE_SHA384_LEN || clave_hex_encode(b, len, buf, sizeof(buf)) != CLAVE_OK) {
        return NULL;
    }
    return json_string(buf);
}

static json_t *b64(enum clave_b64_variant variant, const uint8_t *b, size_t len)
{
    char *s = NULL;
    if (clave_b64_encode_alloc(variant, b, len, &s) != CLAVE_OK) {
        return NULL;
    }
    json_t *v = json_string(s);
    free(s);
    return v;
}

/* json_object_set_new that remembers a failure (NULL value or allocation) in `*ok`. */
static void put(json_t *obj, const char *key, json_t *value, bool *ok)
{
    if (value == NULL || json_object_set_new(obj, key, value) != 0) {
        *ok = false;
    }
}

static void add(json_t *arr, json_t *value, bool *ok)
{
    if (value == NULL || json_array_append_new(arr, value) != 0) {
        *ok = false;
    }
}

static json_t *workload_json(const struct clave_contract_workload *w, bool *ok)
{
    static const char *const RTMR[4] = {"rtmr0", "rtmr1", "rtmr2", "rtmr3"};
    json_t *o = json_object();
    put(o, "tee", json_string(clave_tee_type_name(w->tee)), ok);
    if (w->tee == CLAVE_TEE_NITRO || w->tee == CLAVE_TEE_SIM_NITRO) {
        put(o, "pcr0", hex(w->nitro.pcr0, CLAVE_SHA384_LEN), ok);
        put(o, "pcr1", hex(w->nitro.pcr1, CLAVE_SHA384_LEN), ok);
        put(o, "pcr2", hex(w->nitro.pcr2, CLAVE_SHA384_LEN), ok);
        if (w->nitro.has_pcr8) {
            put(o, "pcr8", hex(w->nitro.pcr8, CLAVE_SHA384_LEN), ok);
        }
    } else if (w->tee == CLAVE_TEE_SNP || w->tee == CLAVE_TEE_SIM_SNP) {
        put(o, "measurement", hex(w->snp.measurement, CLAVE_SHA384_LEN), ok);
        if (w->snp.has_host_data) {
            put(o, "host_data", hex(w->snp.host_data, CLAVE_SHA256_LEN), ok);
        }
        put(o, "min_tcb",
            json_pack("{s:i, s:i, s:i, s:i}", "bootloader", w->snp.min_tcb.bootloader, "tee",
                      w->snp.min_tcb.tee, "snp", w->snp.min_tcb.snp, "microcode",
                      w->snp.min_tcb.microcode),
            ok);
    } else if (w->tee == CLAVE_TEE_TDX) {
        put(o, "mrtd", hex(w->tdx.mrtd, CLAVE_SHA384_LEN), ok);
        for (size_t i = 0; i < 4; i++) {
            if (w->tdx.has_rtmr[i]) {
                put(o, RTMR[i], hex(w->tdx.rtmr[i], CLAVE_SHA384_LEN), ok);
            }
        }
    } else {
        if (w->sgx.has_mrenclave) {
            put(o, "mrenclave", hex(w->sgx.mrenclave, CLAVE_SHA256_LEN), ok);
        }
        if (w->sgx.has_mrsigner) {
            put(o, "mrsigner", hex(w->sgx.mrsigner, CLAVE_SHA256_LEN), ok);
        }
        put(o, "isvprodid", json_integer(w->sgx.isvprodid), ok);
        put(o, "min_isvsvn", json_integer(w->sgx.min_isvsvn), ok);
    }
    return o;
}

static json_t *string_list(char *const *items, size_t n, bool *ok)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        add(arr, json_string(items[i]), ok);
    }
    return arr;
}

static json_t *output_json(const struct contract_doc *doc, bool *ok)
{
    json_t *o = json_object();
    json_t *budgets = json_array();
    for (size_t i = 0; i < doc->budget_count; i++) {
        const struct contract_budget *b = &doc->budgets[i];
        add(budgets,
            json_pack("{s:s, s:I, s:I}", "party", b->party, "epsilon_micro",
                      (json_int_t)b->epsilon_micro, "delta_pico", (json_int_t)b->delta_pico),
            ok);
    }
    put(o, "budgets", budgets, ok);
    put(o, "min_group_size", json_integer((json_int_t)doc->min_group_size), ok);
    put(o, "columns", string_list(doc->columns, doc->column_count, ok), ok);
    return o;
}

static json_t *parties_json(const struct contract_doc *doc, bool signers, bool *ok)
{
    json_t *arr = json_array();
    size_t n = signers ? doc->signer_count : doc->recipient_count;
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_object();
        if (signers) {
            put(o, "party", json_string(doc->signers[i].party), ok);
            put(o, "spki", b64(CLAVE_B64_STD, doc->signers[i].spki, doc->signers[i].spki_len), ok);
        } else {
            const struct contract_recipient *r = &doc->recipients[i];
            put(o, "party", json_string(r->party), ok);
            put(o, r->spki != NULL ? "spki" : "jwk_thumbprint",
                r->spki != NULL ? b64(CLAVE_B64_STD, r->spki, r->spki_len)
                                : b64(CLAVE_B64URL, r->thumbprint, CLAVE_SHA256_LEN),
                ok);
        }
        add(arr, o, ok);
    }
    return arr;
}

static clave_status spec_json(const struct contract_doc *doc, json_t **out)
{
    static const struct clave__cbor_limits LIMITS = {
        .max_len = CLAVE_CONTRACT_SPEC_MAX_LEN,
        .max_depth = CONTRACT_SPEC_MAX_DEPTH + 1,
        .max_items = CONTRACT_MAX_ITEMS,
    };
    clave_status st = CLAVE_ERR_INTERNAL;
    cbor_item_t *spec = NULL;
    CLAVE_CHECK(clave__cbor_load(doc->spec, doc->spec_len, &LIMITS, &spec));
    CLAVE_CHECK(clave__canon_to_json(spec, out));
    st = CLAVE_OK;
done:
    if (spec != NULL) {
        cbor_decref(&spec);
    }
    return st;
}

static json_t *datasets_json(const struct contract_doc *doc, bool *ok)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < doc->dataset_count; i++) {
        json_t *o = json_object();
        put(o, "id", json_string(doc->datasets[i].id), ok);
        put(o, "owner", json_string(doc->datasets[i].owner), ok);
        put(o, "sha256", hex(doc->datasets[i].sha256, CLAVE_SHA256_LEN), ok);
        add(arr, o, ok);
    }
    return arr;
}

clave_status clave_contract_to_json(const struct clave_contract *c, char **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const struct contract_doc *doc = &c->doc;
    json_t *root = json_object();
    json_t *spec = NULL;
    json_t *workloads = json_array();
    bool ok = root != NULL && workloads != NULL;
    *out = NULL;
    CLAVE_CHECK(spec_json(doc, &spec));
    put(root, "format", json_integer(CLAVE_CONTRACT_FORMAT), &ok);
    put(root, "collaboration", json_string(doc->collaboration), &ok);
    put(root, "version", json_integer((json_int_t)doc->version), &ok);
    put(root, "datasets", datasets_json(doc, &ok), &ok);
    put(root, "computation",
        json_pack("{s:s, s:O}", "kind", clave_computation_kind_name(doc->kind), "spec", spec), &ok);
    for (size_t i = 0; i < doc->workload_count; i++) {
        add(workloads, workload_json(&doc->workloads[i], &ok), &ok);
    }
    put(root, "workloads", workloads, &ok);
    workloads = NULL;
    put(root, "tcb_statuses", string_list(doc->tcb_statuses, doc->tcb_count, &ok), &ok);
    put(root, "debug", json_boolean(doc->debug), &ok);
    put(root, "output", output_json(doc, &ok), &ok);
    put(root, "recipients", parties_json(doc, false, &ok), &ok);
    put(root, "regions", string_list(doc->regions, doc->region_count, &ok), &ok);
    put(root, "signers", parties_json(doc, true, &ok), &ok);
    if (doc->not_before != 0) {
        put(root, "not_before", json_integer((json_int_t)doc->not_before), &ok);
    }
    put(root, "expiry", json_integer((json_int_t)doc->expiry), &ok);
    CLAVE_ENSURE(ok, CLAVE_ERR_NOMEM, "contract: out of memory building JSON");
    *out = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    CLAVE_ENSURE_ALLOC(*out);
    st = CLAVE_OK;
done:
    json_decref(spec);
    json_decref(workloads);
    json_decref(root);
    return st;
}
