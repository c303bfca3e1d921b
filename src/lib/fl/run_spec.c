/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The simulation configuration of `clave fl run`: one JSON object (docs/fl.md "Configuration"),
 * parsed with size and depth capped, unknown keys rejected, and every value range-checked before
 * clave_fl_config_check validates the federation as a whole.
 */
#include "core/check.h"

#include <clave/fl.h>

#include <clave/json.h>
#include <jansson.h>
#include <math.h>
#include <string.h>

static clave_status get_number(const json_t *obj, const char *where, const char *key, double min,
                               double max, double *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const json_t *v = json_object_get(obj, key);
    if (v == NULL || json_is_null(v)) {
        st = CLAVE_OK; /* optional: keep the default */
        goto done;
    }
    CLAVE_ENSURE(json_is_number(v), CLAVE_ERR_JSON, "%s.%s: not a number", where, key);
    double d = json_number_value(v);
    CLAVE_ENSURE(isfinite(d) && d >= min && d <= max, CLAVE_ERR_JSON, "%s.%s: %g outside [%g, %g]",
                 where, key, d, min, max);
    *out = d;
    st = CLAVE_OK;
done:
    return st;
}

static clave_status get_u32(const json_t *obj, const char *where, const char *key, uint32_t max,
                            uint32_t *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    int64_t v = 0;
    bool present = json_object_get(obj, key) != NULL;
    CLAVE_CHECK(clave_json_get_int(obj, where, key, false, 0, max, &v));
    if (present) {
        *out = (uint32_t)v;
    }
    st = CLAVE_OK;
done:
    return st;
}

/* A string field into a fixed buffer; absent keeps the buffer. */
static clave_status get_text(const json_t *obj, const char *where, const char *key, char *buf,
                             size_t cap)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const char *s = NULL;
    CLAVE_CHECK(clave_json_get_string(obj, where, key, false, cap - 1, &s));
    if (s != NULL) {
        memcpy(buf, s, strlen(s) + 1);
    }
    st = CLAVE_OK;
done:
    return st;
}

/* Name -> enum value through a table of names (index = value). */
static clave_status get_enum(const json_t *obj, const char *where, const char *key,
                             const char *(*name)(int), int lo, int hi, int *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char buf[32] = "";
    CLAVE_CHECK(get_text(obj, where, key, buf, sizeof(buf)));
    if (buf[0] == '\0') {
        st = CLAVE_OK;
        goto done;
    }
    for (int v = lo; v <= hi; v++) {
        if (name(v) != NULL && strcmp(buf, name(v)) == 0) {
            *out = v;
            st = CLAVE_OK;
            goto done;
        }
    }
    CLAVE_RAISE(CLAVE_ERR_JSON, "%s.%s: unknown value \"%s\"", where, key, buf);
done:
    return st;
}

static const char *strategy_name(int v)
{
    return clave_fl_strategy_name((clave_fl_strategy)v);
}
static const char *aggregation_name(int v)
{
    return clave_fl_aggregation_name((clave_fl_aggregation)v);
}
static const char *protection_name(int v)
{
    return clave_fl_protection_name((clave_fl_protection)v);
}
static const char *dp_name(int v)
{
    return clave_fl_dp_mode_name((clave_fl_dp_mode)v);
}
static const char *kind_name(int v)
{
    return clave_ml_model_kind_name((clave_ml_model_kind)v);
}
static const char *optimizer_name(int v)
{
    return v == CLAVE_ML_SGD ? "sgd" : v == CLAVE_ML_ADAM ? "adam" : NULL;
}
static const char *header_name(int v)
{
    static const char *const NAMES[] = {"none", "names", "sklearn"};
    return v >= 0 && v <= 2 ? NAMES[v] : NULL;
}

static clave_status parse_model(json_t *root, struct clave_ml_model_spec *m)
{
    static const char *const KEYS[] = {"kind", "hidden", "classes", NULL};
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *o = NULL, *hidden = NULL;
    int kind = (int)m->kind;
    CLAVE_CHECK(clave_json_get_object(root, "config", "model", true, &o));
    CLAVE_CHECK(clave_json_only_keys(o, "model", KEYS));
    CLAVE_CHECK(get_enum(o, "model", "kind", kind_name, CLAVE_ML_LINEAR, CLAVE_ML_MLP, &kind));
    m->kind = (clave_ml_model_kind)kind;
    CLAVE_CHECK(get_u32(o, "model", "classes", CLAVE_ML_MAX_CLASSES, &m->classes));
    CLAVE_CHECK(
        clave_json_get_array(o, "model", "hidden", false, CLAVE_ML_MAX_HIDDEN_LAYERS, &hidden));
    m->hidden_count = hidden != NULL ? (uint32_t)json_array_size(hidden) : 0;
    for (size_t i = 0; i < m->hidden_count; i++) {
        json_t *v = json_array_get(hidden, i);
        CLAVE_ENSURE(json_is_integer(v) && json_integer_value(v) >= 1 &&
                         json_integer_value(v) <= CLAVE_ML_MAX_WIDTH,
                     CLAVE_ERR_JSON, "model.hidden[%zu]: an integer in 1..%u", i,
                     CLAVE_ML_MAX_WIDTH);
        m->hidden[i] = (uint32_t)json_integer_value(v);
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status parse_local(json_t *root, struct clave_fl_config *c)
{
    static const char *const KEYS[] = {
        "optimizer", "learning_rate", "momentum", "batch_size",          "epochs",
        "prox_mu",   "weight_decay",  "dp_clip",  "dp_noise_multiplier", NULL};
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *o = NULL;
    int opt = (int)c->local.optimizer;
    CLAVE_CHECK(clave_json_get_object(root, "config", "local", false, &o));
    if (o == NULL) {
        st = CLAVE_OK;
        goto done;
    }
    CLAVE_CHECK(clave_json_only_keys(o, "local", KEYS));
    CLAVE_CHECK(get_enum(o, "local", "optimizer", optimizer_name, 1, 2, &opt));
    c->local.optimizer = (clave_ml_optimizer)opt;
    CLAVE_CHECK(get_number(o, "local", "learning_rate", 1e-9, 100, &c->local.learning_rate));
    CLAVE_CHECK(get_number(o, "local", "momentum", 0, 0.999, &c->local.momentum));
    CLAVE_CHECK(get_number(o, "local", "prox_mu", 0, 1e6, &c->local.prox_mu));
    CLAVE_CHECK(get_number(o, "local", "weight_decay", 0, 1e6, &c->local.weight_decay));
    CLAVE_CHECK(get_number(o, "local", "dp_clip", 0, 1e6, &c->local.dp_clip));
    CLAVE_CHECK(
        get_number(o, "local", "dp_noise_multiplier", 0, 1e6, &c->local.dp_noise_multiplier));
    CLAVE_CHECK(get_u32(o, "local", "batch_size", 1u << 20, &c->local.batch_size));
    CLAVE_CHECK(get_u32(o, "local", "epochs", 1000, &c->local_epochs));
    st = CLAVE_OK;
done:
    return st;
}

static clave_status parse_dp(json_t *root, struct clave_fl_run_spec *run)
{
    static const char *const KEYS[] = {
        "mode", "clip", "noise_multiplier", "delta", "epsilon_budget", "ledger", NULL};
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_fl_config *c = &run->cfg;
    json_t *o = NULL;
    int mode = (int)c->dp;
    CLAVE_CHECK(clave_json_get_object(root, "config", "dp", false, &o));
    if (o == NULL) {
        st = CLAVE_OK;
        goto done;
    }
    CLAVE_CHECK(clave_json_only_keys(o, "dp", KEYS));
    CLAVE_CHECK(get_enum(o, "dp", "mode", dp_name, 0, 2, &mode));
    c->dp = (clave_fl_dp_mode)mode;
    CLAVE_CHECK(get_number(o, "dp", "clip", 1e-9, 1e6, &c->dp_clip));
    CLAVE_CHECK(get_number(o, "dp", "noise_multiplier", 1e-6, 1e3, &c->dp_noise_multiplier));
    CLAVE_CHECK(get_number(o, "dp", "delta", 1e-300, 0.5, &c->dp_delta));
    CLAVE_CHECK(get_number(o, "dp", "epsilon_budget", 0, 1e6, &c->dp_epsilon_budget));
    CLAVE_CHECK(get_text(o, "dp", "ledger", run->ledger, sizeof(run->ledger)));
    st = CLAVE_OK;
done:
    return st;
}

static clave_status parse_data(json_t *root, struct clave_fl_run_spec *run)
{
    static const char *const KEYS[] = {"format", "path",          "labels",      "header", "rows",
                                       "alpha",  "test_fraction", "standardize", NULL};
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *o = NULL;
    int header = (int)run->header;
    CLAVE_CHECK(clave_json_get_object(root, "config", "data", true, &o));
    CLAVE_CHECK(clave_json_only_keys(o, "data", KEYS));
    CLAVE_CHECK(get_text(o, "data", "format", run->data_format, sizeof(run->data_format)));
    CLAVE_ENSURE(strcmp(run->data_format, "csv") == 0 || strcmp(run->data_format, "idx") == 0,
                 CLAVE_ERR_JSON, "data.format: \"csv\" or \"idx\"");
    CLAVE_CHECK(get_text(o, "data", "path", run->data_path, sizeof(run->data_path)));
    CLAVE_ENSURE(run->data_path[0] != '\0', CLAVE_ERR_JSON, "data.path: required");
    CLAVE_CHECK(get_text(o, "data", "labels", run->labels_path, sizeof(run->labels_path)));
    CLAVE_CHECK(get_enum(o, "data", "header", header_name, 0, 2, &header));
    run->header = (clave_ml_csv_header)header;
    CLAVE_CHECK(get_u32(o, "data", "rows", 10000000, &run->max_rows));
    CLAVE_CHECK(get_number(o, "data", "alpha", 0, 1e6, &run->alpha));
    CLAVE_CHECK(get_number(o, "data", "test_fraction", 0.01, 0.99, &run->test_fraction));
    CLAVE_CHECK(clave_json_get_bool(o, "data", "standardize", false, &run->standardize));
    if (json_object_get(o, "standardize") == NULL) {
        run->standardize = strcmp(run->data_format, "csv") == 0;
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status parse_federation(json_t *root, struct clave_fl_run_spec *run)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_fl_config *c = &run->cfg;
    int v = 0;
    CLAVE_CHECK(get_u32(root, "config", "clients", CLAVE_FL_MAX_CLIENTS, &c->clients));
    c->clients_per_round = c->clients;
    c->min_clients = c->clients;
    CLAVE_CHECK(
        get_u32(root, "config", "clients_per_round", CLAVE_FL_MAX_CLIENTS, &c->clients_per_round));
    c->min_clients = c->clients_per_round - c->clients_per_round * 3 / 10; /* 30 % may drop */
    CLAVE_CHECK(get_u32(root, "config", "min_clients", CLAVE_FL_MAX_CLIENTS, &c->min_clients));
    CLAVE_CHECK(get_u32(root, "config", "rounds", 100000, &c->rounds));
    v = (int)c->strategy;
    CLAVE_CHECK(get_enum(root, "config", "strategy", strategy_name, 1, 4, &v));
    c->strategy = (clave_fl_strategy)v;
    CLAVE_CHECK(get_number(root, "config", "server_lr", 1e-9, 100, &c->server_lr));
    v = (int)c->aggregation;
    CLAVE_CHECK(get_enum(root, "config", "aggregation", aggregation_name, 1, 3, &v));
    c->aggregation = (clave_fl_aggregation)v;
    CLAVE_CHECK(get_number(root, "config", "trim_fraction", 0, 0.49, &c->trim_fraction));
    v = (int)c->protection;
    CLAVE_CHECK(get_enum(root, "config", "protection", protection_name, 1, 3, &v));
    c->protection = (clave_fl_protection)v;
    CLAVE_CHECK(get_u32(root, "config", "paillier_bits", 4096, &c->paillier_bits));
    CLAVE_CHECK(get_u32(root, "config", "fixed_point_bits", 64, &c->fixed_point_bits));
    CLAVE_CHECK(get_number(root, "config", "update_bound", 1e-9, 1e9, &c->update_bound));
    CLAVE_CHECK(get_number(root, "config", "dropout", 0, 1, &run->faults.dropout));
    CLAVE_CHECK(get_u32(root, "config", "malicious", CLAVE_FL_MAX_CLIENTS, &run->faults.malicious));
    CLAVE_CHECK(get_u32(root, "config", "eval_every", 100000, &run->eval_every));
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_fl_run_spec_parse(const char *text, size_t len, struct clave_fl_run_spec *run)
{
    static const char *const KEYS[] = {"name",
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
                                       "paillier_bits",
                                       "dp",
                                       "dropout",
                                       "malicious",
                                       "eval_every",
                                       NULL};
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *root = NULL;
    CLAVE_ENSURE(run != NULL && (text != NULL || len == 0), CLAVE_ERR_ARG, "fl: NULL argument");
    memset(run, 0, sizeof(*run));
    run->cfg = clave_fl_config_default();
    run->cfg.model.kind = CLAVE_ML_LOGISTIC;
    memcpy(run->name, "fl", 3);
    memcpy(run->data_format, "csv", 4);
    run->header = CLAVE_ML_CSV_SKLEARN;
    run->max_rows = 1000000;
    run->test_fraction = 0.2;
    run->eval_every = 1;
    CLAVE_CHECK(clave_json_parse(text, len, NULL, "fl config", &root));
    CLAVE_CHECK(clave_json_expect_object(root, "config"));
    CLAVE_CHECK(clave_json_only_keys(root, "config", KEYS));
    CLAVE_CHECK(get_text(root, "config", "name", run->name, sizeof(run->name)));
    if (json_object_get(root, "seed") != NULL) {
        CLAVE_CHECK(clave_json_get_hex(root, "config", "seed", run->cfg.seed, CLAVE_ML_SEED_LEN));
    }
    CLAVE_CHECK(parse_model(root, &run->cfg.model));
    CLAVE_CHECK(parse_local(root, &run->cfg));
    CLAVE_CHECK(parse_data(root, run));
    CLAVE_CHECK(parse_federation(root, run));
    CLAVE_CHECK(parse_dp(root, run));
    CLAVE_ENSURE(run->faults.malicious <= run->cfg.clients, CLAVE_ERR_JSON,
                 "config.malicious: more than clients");
    st = CLAVE_OK;
done:
    json_decref(root);
    return st;
}
