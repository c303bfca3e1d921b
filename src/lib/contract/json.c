/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The JSON description of a contract (docs/formats/contract.md): the same field names as the CBOR
 * document; hashes and measurements in hex, SPKI keys in standard base64, JWK thumbprints in
 * base64url, the spec as any JSON object without floats. Reading goes through the bounded JSON
 * helpers, so errors name the field ("contract.signers[0].spki: ...").
 */
#include "contract/canon.h"
#include "contract/contract_internal.h"

#include "core/cbor.h"
#include "core/check.h"

#include <clave/encoding.h>
#include <clave/json.h>
#include <stdlib.h>
#include <string.h>

#define JSON_MAX_BYTES (2u * 1024u * 1024u)
#define JSON_MAX_DEPTH 16
#define B64_SPKI_MAX 4096

/* An optional hex field of `len` bytes; `*present` tells whether it was there. */
static clave_status opt_hex(const json_t *obj, const char *where, const char *key, uint8_t *out,
                            size_t len, bool *present)
{
    *present = json_object_get(obj, key) != NULL;
    return *present ? clave_json_get_hex(obj, where, key, out, len) : CLAVE_OK;
}

static clave_status uint_in(const json_t *obj, const char *where, const char *key, bool required,
                            int64_t max, uint64_t *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    int64_t v = 0;
    CLAVE_CHECK(clave_json_get_int(obj, where, key, required, 0, max, &v));
    *out = (uint64_t)v;
    st = CLAVE_OK;
done:
    return st;
}

static clave_status snp_from_json(const json_t *w, const char *where,
                                  struct clave_contract_workload *wl)
{
    static const char *const KEYS[] = {"tee", "measurement", "host_data", "min_tcb", NULL};
    static const char *const TCB[] = {"bootloader", "tee", "snp", "microcode", NULL};
    clave_status st = CLAVE_ERR_INTERNAL;
    char path[CONTRACT_PATH_MAX];
    json_t *tcb = NULL;
    uint64_t v[4] = {0};
    CLAVE_CHECK(clave_json_only_keys((json_t *)(uintptr_t)w, where, KEYS));
    CLAVE_CHECK(clave_json_get_hex(w, where, "measurement", wl->snp.measurement, CLAVE_SHA384_LEN));
    CLAVE_CHECK(opt_hex(w, where, "host_data", wl->snp.host_data, CLAVE_SHA256_LEN,
                        &wl->snp.has_host_data));
    CLAVE_CHECK(clave_json_get_object(w, where, "min_tcb", true, &tcb));
    clave_json_path_key(path, sizeof(path), where, "min_tcb");
    CLAVE_CHECK(clave_json_only_keys(tcb, path, TCB));
    for (size_t i = 0; i < 4; i++) {
        CLAVE_CHECK(uint_in(tcb, path, TCB[i], true, UINT8_MAX, &v[i]));
    }
    wl->snp.min_tcb =
        (struct clave_snp_tcb){(uint8_t)v[0], (uint8_t)v[1], (uint8_t)v[2], (uint8_t)v[3]};
    st = CLAVE_OK;
done:
    return st;
}

static clave_status tee_values_from_json(const json_t *w, const char *where,
                                         struct clave_contract_workload *wl)
{
    static const char *const NITRO[] = {"tee", "pcr0", "pcr1", "pcr2", "pcr8", NULL};
    static const char *const TDX[] = {"tee", "mrtd", "rtmr0", "rtmr1", "rtmr2", "rtmr3", NULL};
    static const char *const SGX[] = {"tee",       "mrenclave",  "mrsigner",
                                      "isvprodid", "min_isvsvn", NULL};
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *obj = (json_t *)(uintptr_t)w;
    uint64_t v = 0;
    switch (wl->tee) {
    case CLAVE_TEE_NITRO:
    case CLAVE_TEE_SIM_NITRO:
        CLAVE_CHECK(clave_json_only_keys(obj, where, NITRO));
        CLAVE_CHECK(clave_json_get_hex(w, where, "pcr0", wl->nitro.pcr0, CLAVE_SHA384_LEN));
        CLAVE_CHECK(clave_json_get_hex(w, where, "pcr1", wl->nitro.pcr1, CLAVE_SHA384_LEN));
        CLAVE_CHECK(clave_json_get_hex(w, where, "pcr2", wl->nitro.pcr2, CLAVE_SHA384_LEN));
        CLAVE_CHECK(
            opt_hex(w, where, "pcr8", wl->nitro.pcr8, CLAVE_SHA384_LEN, &wl->nitro.has_pcr8));
        break;
    case CLAVE_TEE_SNP:
    case CLAVE_TEE_SIM_SNP:
        CLAVE_CHECK(snp_from_json(w, where, wl));
        break;
    case CLAVE_TEE_TDX:
        CLAVE_CHECK(clave_json_only_keys(obj, where, TDX));
        CLAVE_CHECK(clave_json_get_hex(w, where, "mrtd", wl->tdx.mrtd, CLAVE_SHA384_LEN));
        for (size_t i = 0; i < 4; i++) {
            CLAVE_CHECK(opt_hex(w, where, TDX[2 + i], wl->tdx.rtmr[i], CLAVE_SHA384_LEN,
                                &wl->tdx.has_rtmr[i]));
        }
        break;
    default:
        CLAVE_CHECK(clave_json_only_keys(obj, where, SGX));
        CLAVE_CHECK(opt_hex(w, where, "mrenclave", wl->sgx.mrenclave, CLAVE_SHA256_LEN,
                            &wl->sgx.has_mrenclave));
        CLAVE_CHECK(opt_hex(w, where, "mrsigner", wl->sgx.mrsigner, CLAVE_SHA256_LEN,
                            &wl->sgx.has_mrsigner));
        CLAVE_CHECK(uint_in(w, where, "isvprodid", true, UINT16_MAX, &v));
        wl->sgx.isvprodid = (uint16_t)v;
        CLAVE_CHECK(uint_in(w, where, "min_isvsvn", true, UINT16_MAX, &v));
        wl->sgx.min_isvsvn = (uint16_t)v;
        break;
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status workloads_from_json(const json_t *root, struct clave_contract_builder *b)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char where[CONTRACT_PATH_MAX];
    json_t *arr = NULL;
    const char *tee = NULL;
    struct clave_contract_workload wl;
    CLAVE_CHECK(clave_json_get_array(root, "contract", "workloads", true,
                                     CLAVE_CONTRACT_MAX_WORKLOADS, &arr));
    for (size_t i = 0; i < json_array_size(arr); i++) {
        const json_t *w = json_array_get(arr, i);
        memset(&wl, 0, sizeof(wl));
        clave_json_path_index(where, sizeof(where), "contract.workloads", i);
        CLAVE_CHECK(clave_json_get_string(w, where, "tee", true, CLAVE_CONTRACT_ID_MAX, &tee));
        wl.tee = clave__contract_tee_from_name(tee, strlen(tee));
        CLAVE_ENSURE(wl.tee != 0, CLAVE_ERR_FORMAT,
                     "%s.tee: expected nitro, snp, tdx, sgx, sim-nitro or sim-snp", where);
        CLAVE_CHECK(tee_values_from_json(w, where, &wl));
        CLAVE_CHECK(clave_contract_builder_add_workload(b, &wl));
    }
    st = CLAVE_OK;
done:
    return st;
}

/* A standard-base64 DER SPKI field into a new buffer (caller frees). */
static clave_status spki_from_json(const json_t *obj, const char *where, uint8_t **out,
                                   size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const char *s = NULL;
    CLAVE_CHECK(clave_json_get_string(obj, where, "spki", true, B64_SPKI_MAX, &s));
    CLAVE_CHECK_CTX(clave_b64_decode_alloc(CLAVE_B64_STD, s, strlen(s), out, out_len),
                    "%s.spki: ", where);
    st = CLAVE_OK;
done:
    return st;
}

static clave_status parties_from_json(const json_t *root, struct clave_contract_builder *b)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    static const char *const SIGNER[] = {"party", "spki", NULL};
    static const char *const RECIPIENT[] = {"party", "spki", "jwk_thumbprint", NULL};
    char where[CONTRACT_PATH_MAX];
    json_t *arr = NULL;
    const char *party = NULL;
    uint8_t *key = NULL;
    size_t key_len = 0;
    CLAVE_CHECK(
        clave_json_get_array(root, "contract", "signers", true, CLAVE_CONTRACT_MAX_SIGNERS, &arr));
    for (size_t i = 0; i < json_array_size(arr); i++) {
        json_t *s = json_array_get(arr, i);
        clave_json_path_index(where, sizeof(where), "contract.signers", i);
        CLAVE_CHECK(clave_json_only_keys(s, where, SIGNER));
        CLAVE_CHECK(clave_json_get_string(s, where, "party", true, CLAVE_CONTRACT_ID_MAX, &party));
        CLAVE_CHECK(spki_from_json(s, where, &key, &key_len));
        CLAVE_CHECK(clave_contract_builder_add_signer(b, party, key, key_len));
        free(key);
        key = NULL;
    }
    CLAVE_CHECK(clave_json_get_array(root, "contract", "recipients", true,
                                     CLAVE_CONTRACT_MAX_RECIPIENTS, &arr));
    for (size_t i = 0; i < json_array_size(arr); i++) {
        json_t *r = json_array_get(arr, i);
        clave_json_path_index(where, sizeof(where), "contract.recipients", i);
        CLAVE_CHECK(clave_json_only_keys(r, where, RECIPIENT));
        CLAVE_CHECK(clave_json_get_string(r, where, "party", true, CLAVE_CONTRACT_ID_MAX, &party));
        if (json_object_get(r, "jwk_thumbprint") != NULL) {
            CLAVE_ENSURE(json_object_get(r, "spki") == NULL, CLAVE_ERR_FORMAT,
                         "%s: expected exactly one of spki, jwk_thumbprint", where);
            CLAVE_CHECK(clave_json_get_b64url(r, where, "jwk_thumbprint", true, CLAVE_SHA256_LEN,
                                              &key, &key_len));
            CLAVE_ENSURE(key_len == CLAVE_SHA256_LEN, CLAVE_ERR_FORMAT,
                         "%s.jwk_thumbprint: expected 32 bytes", where);
            CLAVE_CHECK(clave_contract_builder_add_recipient_thumbprint(b, party, key));
        } else {
            CLAVE_CHECK(spki_from_json(r, where, &key, &key_len));
            CLAVE_CHECK(clave_contract_builder_add_recipient_spki(b, party, key, key_len));
        }
        free(key);
        key = NULL;
    }
    st = CLAVE_OK;
done:
    free(key);
    return st;
}

static clave_status datasets_from_json(const json_t *root, struct clave_contract_builder *b)
{
    static const char *const KEYS[] = {"id", "owner", "sha256", NULL};
    clave_status st = CLAVE_ERR_INTERNAL;
    char where[CONTRACT_PATH_MAX];
    json_t *arr = NULL;
    const char *id = NULL;
    const char *owner = NULL;
    uint8_t hash[CLAVE_SHA256_LEN];
    CLAVE_CHECK(clave_json_get_array(root, "contract", "datasets", true,
                                     CLAVE_CONTRACT_MAX_DATASETS, &arr));
    for (size_t i = 0; i < json_array_size(arr); i++) {
        json_t *d = json_array_get(arr, i);
        clave_json_path_index(where, sizeof(where), "contract.datasets", i);
        CLAVE_CHECK(clave_json_only_keys(d, where, KEYS));
        CLAVE_CHECK(clave_json_get_string(d, where, "id", true, CLAVE_CONTRACT_ID_MAX, &id));
        CLAVE_CHECK(clave_json_get_string(d, where, "owner", true, CLAVE_CONTRACT_ID_MAX, &owner));
        CLAVE_CHECK(clave_json_get_hex(d, where, "sha256", hash, sizeof(hash)));
        CLAVE_CHECK(clave_contract_builder_add_dataset(b, id, owner, hash));
    }
    st = CLAVE_OK;
done:
    return st;
}

/* Append each string of the array `key` of `obj` through `add`. */
static clave_status strings_from_json(const json_t *obj, const char *where, const char *key,
                                      size_t max, struct clave_contract_builder *b,
                                      clave_status (*add)(struct clave_contract_builder *,
                                                          const char *))
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char path[CONTRACT_PATH_MAX];
    json_t *arr = NULL;
    CLAVE_CHECK(clave_json_get_array(obj, where, key, true, max, &arr));
    for (size_t i = 0; i < json_array_size(arr); i++) {
        json_t *v = json_array_get(arr, i);
        clave_json_path_key(path, sizeof(path), where, key);
        CLAVE_ENSURE(json_is_string(v), CLAVE_ERR_JSON, "%s[%zu]: expected string", path, i);
        CLAVE_CHECK(add(b, json_string_value(v)));
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status output_from_json(const json_t *root, struct clave_contract_builder *b)
{
    static const char *const KEYS[] = {"budgets", "min_group_size", "columns", NULL};
    static const char *const BUDGET[] = {"party", "epsilon_micro", "delta_pico", NULL};
    clave_status st = CLAVE_ERR_INTERNAL;
    char where[CONTRACT_PATH_MAX];
    json_t *out = NULL;
    json_t *arr = NULL;
    const char *party = NULL;
    uint64_t eps = 0;
    uint64_t delta = 0;
    CLAVE_CHECK(clave_json_get_object(root, "contract", "output", true, &out));
    CLAVE_CHECK(clave_json_only_keys(out, "contract.output", KEYS));
    CLAVE_CHECK(clave_json_get_array(out, "contract.output", "budgets", true,
                                     CLAVE_CONTRACT_MAX_BUDGETS, &arr));
    for (size_t i = 0; i < json_array_size(arr); i++) {
        json_t *bu = json_array_get(arr, i);
        clave_json_path_index(where, sizeof(where), "contract.output.budgets", i);
        CLAVE_CHECK(clave_json_only_keys(bu, where, BUDGET));
        CLAVE_CHECK(clave_json_get_string(bu, where, "party", true, CLAVE_CONTRACT_ID_MAX, &party));
        CLAVE_CHECK(uint_in(bu, where, "epsilon_micro", true, INT64_MAX, &eps));
        CLAVE_CHECK(uint_in(bu, where, "delta_pico", true, INT64_MAX, &delta));
        CLAVE_CHECK(clave_contract_builder_add_budget(b, party, eps, delta));
    }
    CLAVE_CHECK(uint_in(out, "contract.output", "min_group_size", true, INT64_MAX, &eps));
    CLAVE_CHECK(clave_contract_builder_set_min_group_size(b, eps));
    CLAVE_CHECK(strings_from_json(out, "contract.output", "columns", CLAVE_CONTRACT_MAX_COLUMNS, b,
                                  clave_contract_builder_add_column));
    st = CLAVE_OK;
done:
    return st;
}

static clave_status computation_from_json(const json_t *root, struct clave_contract_builder *b)
{
    static const char *const KEYS[] = {"kind", "spec", NULL};
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *comp = NULL;
    json_t *spec = NULL;
    const char *kind = NULL;
    uint8_t *buf = NULL;
    struct clave_writer w;
    CLAVE_CHECK(clave_json_get_object(root, "contract", "computation", true, &comp));
    CLAVE_CHECK(clave_json_only_keys(comp, "contract.computation", KEYS));
    CLAVE_CHECK(clave_json_get_string(comp, "contract.computation", "kind", true,
                                      CLAVE_CONTRACT_ID_MAX, &kind));
    enum clave_computation_kind k = clave__contract_kind_from_name(kind, strlen(kind));
    CLAVE_ENSURE(k != 0, CLAVE_ERR_FORMAT,
                 "contract.computation.kind: expected query, train, fl, mpc or he");
    CLAVE_CHECK(clave_json_get_object(comp, "contract.computation", "spec", true, &spec));
    buf = malloc(CLAVE_CONTRACT_SPEC_MAX_LEN);
    CLAVE_ENSURE_ALLOC(buf);
    clave_writer_init(&w, buf, CLAVE_CONTRACT_SPEC_MAX_LEN);
    CLAVE_CHECK(clave__canon_json(&w, spec, "contract.computation.spec", CONTRACT_SPEC_MAX_DEPTH));
    CLAVE_CHECK(clave_contract_builder_set_computation(b, k, buf, w.len));
    st = CLAVE_OK;
done:
    free(buf);
    return st;
}

static clave_status scalars_from_json(json_t *root, struct clave_contract_builder *b)
{
    static const char *const KEYS[] = {
        "format",    "collaboration", "version",    "datasets", "computation",
        "workloads", "tcb_statuses",  "debug",      "output",   "recipients",
        "regions",   "signers",       "not_before", "expiry",   NULL,
    };
    clave_status st = CLAVE_ERR_INTERNAL;
    const char *collab = NULL;
    uint64_t v = 0;
    uint64_t not_before = 0;
    bool debug = false;
    CLAVE_CHECK(clave_json_only_keys(root, "contract", KEYS));
    CLAVE_CHECK(uint_in(root, "contract", "format", false, INT64_MAX, &v));
    CLAVE_ENSURE(v == 0 || v == CLAVE_CONTRACT_FORMAT, CLAVE_ERR_UNSUPPORTED,
                 "contract.format: only version %d is supported", CLAVE_CONTRACT_FORMAT);
    CLAVE_CHECK(clave_json_get_string(root, "contract", "collaboration", true,
                                      CLAVE_CONTRACT_ID_MAX + 1, &collab));
    CLAVE_CHECK(clave_contract_builder_set_collaboration(b, collab));
    CLAVE_CHECK(uint_in(root, "contract", "version", true, INT64_MAX, &v));
    CLAVE_CHECK(clave_contract_builder_set_version(b, v));
    CLAVE_CHECK(clave_json_get_bool(root, "contract", "debug", false, &debug));
    CLAVE_CHECK(clave_contract_builder_set_debug_allowed(b, debug));
    CLAVE_CHECK(uint_in(root, "contract", "not_before", false, INT64_MAX, &not_before));
    CLAVE_CHECK(uint_in(root, "contract", "expiry", true, INT64_MAX, &v));
    CLAVE_CHECK(clave_contract_builder_set_validity(b, not_before, v));
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_contract_from_json(const char *json, size_t len, struct clave_contract **out)
{
    const struct clave_json_limits limits = {JSON_MAX_BYTES, JSON_MAX_DEPTH};
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *root = NULL;
    struct clave_contract_builder *b = NULL;
    *out = NULL;
    CLAVE_CHECK(clave_json_parse(json, len, &limits, "contract", &root));
    CLAVE_CHECK(clave_json_expect_object(root, "contract"));
    CLAVE_CHECK(clave_contract_builder_new(&b));
    CLAVE_CHECK(scalars_from_json(root, b));
    CLAVE_CHECK(datasets_from_json(root, b));
    CLAVE_CHECK(computation_from_json(root, b));
    CLAVE_CHECK(workloads_from_json(root, b));
    CLAVE_CHECK(strings_from_json(root, "contract", "tcb_statuses", CLAVE_CONTRACT_MAX_TCB_STATUSES,
                                  b, clave_contract_builder_add_tcb_status));
    CLAVE_CHECK(output_from_json(root, b));
    CLAVE_CHECK(parties_from_json(root, b));
    CLAVE_CHECK(strings_from_json(root, "contract", "regions", CLAVE_CONTRACT_MAX_REGIONS, b,
                                  clave_contract_builder_add_region));
    CLAVE_CHECK(clave_contract_builder_finish(b, out));
    st = CLAVE_OK;
done:
    clave_contract_builder_free(b);
    json_decref(root);
    return st;
}
