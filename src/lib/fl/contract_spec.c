/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The computation.spec of an FL contract (docs/fl.md "FL contracts"): the simulation
 * configuration's federation keys, in the contract's JSON data model (no floats: decimals are
 * strings such as "0.05"), plus model.inputs and round_timeout_s, minus everything that belongs
 * to one machine (data paths, the ledger file, simulated faults). The spec is checked key by key
 * here, rewritten into the simulation configuration and parsed by clave_fl_run_spec_parse, so
 * both read the same keys with the same ranges.
 */
#include "contract/canon.h"
#include "contract/contract_internal.h"
#include "core/cbor.h"
#include "core/check.h"

#include <clave/contract.h>
#include <clave/fl.h>
#include <clave/json.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define DECIMAL_MAX 32
#define PARTY_NAME_MAX 64

static const char *const TOP_KEYS[] = {"name",
                                       "seed",
                                       "model",
                                       "local",
                                       "data",
                                       "clients",
                                       "clients_per_round",
                                       "min_clients",
                                       "rounds",
                                       "strategy",
                                       "server_lr",
                                       "aggregation",
                                       "trim_fraction",
                                       "protection",
                                       "fixed_point_bits",
                                       "update_bound",
                                       "dp",
                                       "eval_every",
                                       "round_timeout_s",
                                       "paillier_bits",
                                       "key_holder",
                                       NULL};
static const char *const MODEL_KEYS[] = {"kind", "inputs", "classes", "hidden", NULL};
static const char *const DATA_KEYS[] = {"header", "test_fraction", "standardize", "rows", NULL};
static const char *const DP_KEYS[] = {"mode",  "clip",           "noise_multiplier",
                                      "delta", "epsilon_budget", NULL};
/* Keys whose value is a decimal number (a string in the contract, a JSON number here). */
static const char *const DECIMAL_KEYS[] = {"learning_rate", "momentum",       "prox_mu",
                                           "weight_decay",  "dp_clip",        "dp_noise_multiplier",
                                           "test_fraction", "server_lr",      "trim_fraction",
                                           "update_bound",  "clip",           "noise_multiplier",
                                           "delta",         "epsilon_budget", NULL};

static bool is_decimal_key(const char *key)
{
    for (size_t i = 0; DECIMAL_KEYS[i] != NULL; i++) {
        if (strcmp(key, DECIMAL_KEYS[i]) == 0) {
            return true;
        }
    }
    return false;
}

/* "-"? digits ("." digits)? (("e"|"E") ("+"|"-")? digits)? */
static bool decimal_syntax(const char *s)
{
    size_t i = s[0] == '-' ? 1 : 0;
    size_t digits = 0;
    for (; s[i] >= '0' && s[i] <= '9'; i++) {
        digits++;
    }
    if (s[i] == '.') {
        size_t frac = 0;
        for (i++; s[i] >= '0' && s[i] <= '9'; i++) {
            frac++;
        }
        if (frac == 0) {
            return false;
        }
    }
    if (digits == 0) {
        return false;
    }
    if (s[i] == 'e' || s[i] == 'E') {
        size_t exp = 0;
        i += (s[i + 1] == '+' || s[i + 1] == '-') ? 2 : 1;
        for (; s[i] >= '0' && s[i] <= '9'; i++) {
            exp++;
        }
        if (exp == 0) {
            return false;
        }
    }
    return s[i] == '\0';
}

/* Decimal strings of `obj`'s decimal keys become JSON reals (in place). */
static clave_status decimals(json_t *obj, const char *where)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const char *key = NULL;
    json_t *v = NULL;
    json_object_foreach (obj, key, v) {
        if (!is_decimal_key(key) || !json_is_string(v)) {
            continue;
        }
        const char *s = json_string_value(v);
        CLAVE_ENSURE(strlen(s) <= DECIMAL_MAX && decimal_syntax(s), CLAVE_ERR_JSON,
                     "%s.%s: \"%.40s\" is not a decimal number", where, key, s);
        CLAVE_ENSURE(json_object_set_new(obj, key, json_real(strtod(s, NULL))) == 0,
                     CLAVE_ERR_NOMEM, "fl: out of memory");
    }
    st = CLAVE_OK;
done:
    return st;
}

/* An optional sub-object: allowed keys, decimals converted. */
static clave_status section(json_t *root, const char *key, const char *const *keys)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *o = NULL;
    char where[32];
    CLAVE_CHECK(clave_json_get_object(root, "spec", key, false, &o));
    if (o != NULL) {
        (void)clave_json_path_key(where, sizeof(where), "spec", key);
        if (keys != NULL) {
            CLAVE_CHECK(clave_json_only_keys(o, where, keys));
        }
        CLAVE_CHECK(decimals(o, where));
    }
    st = CLAVE_OK;
done:
    return st;
}

/* protection "tee" (aggregation in an attested runner) is "plain" to the library: the updates
 * travel in the clear, inside TLS, to measured code. */
static clave_status tee_protection(json_t *root, bool *tee)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *p = json_object_get(root, "protection");
    *tee = json_is_string(p) && strcmp(json_string_value(p), "tee") == 0;
    if (*tee) {
        CLAVE_ENSURE(json_object_set_new(root, "protection", json_string("plain")) == 0,
                     CLAVE_ERR_NOMEM, "fl: out of memory");
    }
    st = CLAVE_OK;
done:
    return st;
}

/* [A-Za-z0-9_-]{1,64}, the syntax of party names. */
static bool party_name_ok(const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-')) {
            return false;
        }
    }
    return n >= 1 && n <= PARTY_NAME_MAX;
}

/* The optional key_holder (taken out of `root`: the configuration parser does not know it). */
static clave_status key_holder(json_t *root, char *out, size_t cap)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const char *name = NULL;
    out[0] = '\0';
    CLAVE_CHECK(clave_json_get_string(root, "spec", "key_holder", false, PARTY_NAME_MAX, &name));
    if (name != NULL) {
        CLAVE_ENSURE(party_name_ok(name) && strlen(name) < cap, CLAVE_ERR_JSON,
                     "spec.key_holder: a party name ([A-Za-z0-9_-]{1,64})");
        memcpy(out, name, strlen(name) + 1);
    }
    (void)json_object_del(root, "key_holder");
    st = CLAVE_OK;
done:
    return st;
}

/* Check and rewrite the spec into the simulation configuration; inputs and the timeout out. */
static clave_status rewrite(json_t *root, uint32_t *inputs, uint32_t *timeout)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *model = NULL, *data = NULL;
    int64_t v = 0;
    CLAVE_CHECK(clave_json_expect_object(root, "spec"));
    CLAVE_CHECK(clave_json_only_keys(root, "spec", TOP_KEYS));
    CLAVE_CHECK(decimals(root, "spec"));
    CLAVE_CHECK(section(root, "local", NULL)); /* keys checked by the configuration parser */
    CLAVE_CHECK(section(root, "dp", DP_KEYS));
    CLAVE_CHECK(section(root, "data", DATA_KEYS));
    CLAVE_CHECK(clave_json_get_object(root, "spec", "model", true, &model));
    CLAVE_CHECK(clave_json_only_keys(model, "spec.model", MODEL_KEYS));
    CLAVE_CHECK(clave_json_get_int(model, "spec.model", "inputs", true, 1, CLAVE_ML_MAX_WIDTH, &v));
    *inputs = (uint32_t)v;
    CLAVE_ENSURE(json_object_del(model, "inputs") == 0, CLAVE_ERR_INTERNAL, "fl: spec.model");
    *timeout = CLAVE_FL_DEFAULT_ROUND_TIMEOUT_S;
    if (json_object_get(root, "round_timeout_s") != NULL) {
        CLAVE_CHECK(clave_json_get_int(root, "spec", "round_timeout_s", true, 1,
                                       CLAVE_FL_MAX_ROUND_TIMEOUT_S, &v));
        *timeout = (uint32_t)v;
    }
    (void)json_object_del(root, "round_timeout_s");
    data = json_object_get(root, "data");
    if (data == NULL) {
        data = json_object();
        CLAVE_ENSURE(data != NULL && json_object_set_new(root, "data", data) == 0, CLAVE_ERR_NOMEM,
                     "fl: out of memory");
    }
    /* Each client reads its own file; the configuration parser wants a path. */
    CLAVE_ENSURE(json_object_set_new(data, "path", json_string("-")) == 0, CLAVE_ERR_NOMEM,
                 "fl: out of memory");
    st = CLAVE_OK;
done:
    return st;
}

static clave_status spec_json(const uint8_t *spec, size_t len, json_t **out)
{
    static const struct clave__cbor_limits LIMITS = {
        .max_len = CLAVE_CONTRACT_SPEC_MAX_LEN,
        .max_depth = CONTRACT_SPEC_MAX_DEPTH + 1,
        .max_items = CONTRACT_MAX_ITEMS,
    };
    clave_status st = CLAVE_ERR_INTERNAL;
    cbor_item_t *item = NULL;
    CLAVE_CHECK_CTX(clave__cbor_load(spec, len, &LIMITS, &item), "spec: ");
    CLAVE_CHECK_CTX(clave__canon_to_json(item, out), "spec: ");
    st = CLAVE_OK;
done:
    if (item != NULL) {
        cbor_decref(&item);
    }
    return st;
}

/* The spec; protection "tee" only when `allow_tee` (the contract names accepted workloads). */
static clave_status parse_spec(const uint8_t *spec, size_t len, bool allow_tee,
                               struct clave_fl_contract_spec *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *root = NULL;
    char *text = NULL;
    uint32_t inputs = 0, timeout = 0;
    bool tee = false;
    CLAVE_ENSURE(spec != NULL && out != NULL, CLAVE_ERR_ARG, "fl: NULL argument");
    memset(out, 0, sizeof(*out));
    CLAVE_CHECK(spec_json(spec, len, &root));
    CLAVE_CHECK(tee_protection(root, &tee));
    CLAVE_ENSURE(!tee || allow_tee, CLAVE_ERR_ARG,
                 "spec.protection: \"tee\" needs the contract's accepted workloads (the "
                 "aggregator is clave-runner fl, not the coordinator)");
    CLAVE_CHECK(key_holder(root, out->key_holder, sizeof(out->key_holder)));
    CLAVE_CHECK(rewrite(root, &inputs, &timeout));
    text = json_dumps(root, JSON_COMPACT);
    CLAVE_ENSURE(text != NULL, CLAVE_ERR_NOMEM, "fl: out of memory");
    CLAVE_CHECK_CTX(clave_fl_run_spec_parse(text, strlen(text), &out->run), "spec: ");
    out->run.data_path[0] = '\0';
    out->run.cfg.model.inputs = inputs;
    out->round_timeout_s = timeout;
    out->tee = tee;
    CLAVE_ENSURE(tee || out->run.cfg.protection == CLAVE_FL_SECAGG ||
                     out->run.cfg.protection == CLAVE_FL_PAILLIER,
                 CLAVE_ERR_ARG,
                 "spec.protection: an FL contract needs \"secagg\", \"paillier\" or \"tee\"");
    /* The spec is part of the signed contract: every party agreed who holds the key. */
    CLAVE_ENSURE((out->run.cfg.protection == CLAVE_FL_PAILLIER) == (out->key_holder[0] != '\0'),
                 CLAVE_ERR_ARG,
                 "spec.key_holder: required with protection \"paillier\" (the party that "
                 "decrypts the sums), and only then");
    CLAVE_CHECK_CTX(clave_fl_config_check(&out->run.cfg), "spec: ");
    st = CLAVE_OK;
done:
    free(text);
    json_decref(root);
    if (st != CLAVE_OK && out != NULL) {
        memset(out, 0, sizeof(*out));
    }
    return st;
}

clave_status clave_fl_contract_spec_parse(const uint8_t *spec, size_t len,
                                          struct clave_fl_contract_spec *out)
{
    return parse_spec(spec, len, false, out);
}

clave_status clave_fl_contract_spec_of(const struct clave_contract *contract,
                                       struct clave_fl_contract_spec *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    size_t len = 0;
    CLAVE_ENSURE(contract != NULL && out != NULL, CLAVE_ERR_ARG, "fl: NULL argument");
    memset(out, 0, sizeof(*out));
    CLAVE_ENSURE(clave_contract_computation_kind(contract) == CLAVE_COMPUTATION_FL, CLAVE_ERR_ARG,
                 "computation.kind: not \"fl\"");
    const uint8_t *spec = clave_contract_computation_spec(contract, &len);
    CLAVE_CHECK(parse_spec(spec, len, clave_contract_workload_count(contract) > 0, out));
    st = CLAVE_OK;
done:
    return st;
}
