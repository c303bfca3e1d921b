/* SPDX-License-Identifier: Apache-2.0 */
/* The job file (job.h): bounded JSON, every field checked and named in errors. */
#include "job.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define JOB_MAX_BYTES (1u << 20)

static bool quiet; /* runner_job_quiet(): no messages (fuzzing) */

void runner_job_quiet(bool on)
{
    quiet = on;
}

static clave_status bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static clave_status bad(const char *fmt, ...)
{
    va_list ap;
    if (quiet) {
        return CLAVE_ERR_JSON;
    }
    va_start(ap, fmt);
    fputs("clave-runner: job.", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return CLAVE_ERR_JSON;
}

static bool valid_name(const char *s)
{
    size_t n = s != NULL ? strlen(s) : 0;
    if (n == 0 || n > RUNNER_NAME_MAX) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.')) {
            return false;
        }
    }
    return true;
}

static bool number(const json_t *o, const char *key, double *out)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_number(v) || !isfinite(json_number_value(v))) {
        return false;
    }
    *out = json_number_value(v);
    return true;
}

static clave_status parse_table(const char *name, json_t *t, struct runner_table *out)
{
    static const char *const KEYS[] = {"datasets", "schema", NULL};
    json_t *ds = json_object_get(t, "datasets");
    out->name = name;
    out->schema = json_object_get(t, "schema");
    if (!valid_name(name) || clave_json_only_keys(t, "job.tables", KEYS) != CLAVE_OK) {
        return bad("tables.%s: a name [A-Za-z0-9._-]{1,64} with only datasets and schema", name);
    }
    if (!json_is_array(ds) || json_array_size(ds) == 0 ||
        json_array_size(ds) > RUNNER_TABLE_DATASETS_MAX) {
        return bad("tables.%s.datasets: 1..%d dataset ids", name, RUNNER_TABLE_DATASETS_MAX);
    }
    for (size_t i = 0; i < json_array_size(ds); i++) {
        const char *id = json_string_value(json_array_get(ds, i));
        if (!valid_name(id)) {
            return bad("tables.%s.datasets[%zu]: a dataset id", name, i);
        }
        out->datasets[out->dataset_count++] = id;
    }
    if (!json_is_object(out->schema) || json_object_size(out->schema) == 0) {
        return bad("tables.%s.schema: an object {column: type}", name);
    }
    return CLAVE_OK;
}

static clave_status parse_features(json_t *f, struct runner_train *t)
{
    const char *col = NULL;
    json_t *b = NULL;
    if (!json_is_object(f) || json_object_size(f) == 0 ||
        json_object_size(f) > RUNNER_FEATURES_MAX) {
        return bad("train.features: 1..%d {column: [lower, upper]}", RUNNER_FEATURES_MAX);
    }
    json_object_foreach (f, col, b) {
        struct runner_feature *x = &t->features[t->feature_count++];
        x->column = col;
        if (!json_is_array(b) || json_array_size(b) != 2 || !json_is_number(json_array_get(b, 0)) ||
            !json_is_number(json_array_get(b, 1))) {
            return bad("train.features.%s: declared bounds [lower, upper] are required", col);
        }
        x->lower = json_number_value(json_array_get(b, 0));
        x->upper = json_number_value(json_array_get(b, 1));
        if (!isfinite(x->lower) || !isfinite(x->upper) || !(x->lower < x->upper)) {
            return bad("train.features.%s: lower < upper, both finite", col);
        }
    }
    return CLAVE_OK;
}

static clave_status parse_dp(json_t *dp, struct runner_train *t)
{
    static const char *const KEYS[] = {"epsilon", "delta", "clip", NULL};
    if (dp == NULL) {
        return CLAVE_OK;
    }
    t->dp = true;
    if (clave_json_only_keys(dp, "job.train.dp", KEYS) != CLAVE_OK ||
        !number(dp, "epsilon", &t->dp_epsilon) || !number(dp, "delta", &t->dp_delta) ||
        !number(dp, "clip", &t->dp_clip)) {
        return bad("train.dp: {epsilon, delta, clip} numbers");
    }
    if (!(t->dp_epsilon > 0 && t->dp_epsilon <= 100) || !(t->dp_delta > 0 && t->dp_delta < 1e-2) ||
        !(t->dp_clip > 0 && t->dp_clip <= 1e3)) {
        return bad("train.dp: epsilon in (0, 100], delta in (0, 0.01), clip in (0, 1000]");
    }
    return CLAVE_OK;
}

static clave_status parse_train_numbers(json_t *o, struct runner_train *t)
{
    const char *seed = NULL;
    const char *model = NULL;
    if (clave_json_get_int(o, "job.train", "epochs", true, 1, 1000, &t->epochs) != CLAVE_OK ||
        clave_json_get_int(o, "job.train", "batch_size", true, 1, 65536, &t->batch_size) !=
            CLAVE_OK) {
        return bad("train: epochs 1..1000 and batch_size 1..65536 are required");
    }
    if (!number(o, "learning_rate", &t->learning_rate) || !(t->learning_rate > 0) ||
        !number(o, "test_fraction", &t->test_fraction) || !(t->test_fraction > 0) ||
        !(t->test_fraction < 1)) {
        return bad("train: learning_rate > 0 and test_fraction in (0, 1) are required");
    }
    if (clave_json_get_string(o, "job.train", "seed", true, 256, &seed) != CLAVE_OK ||
        clave_hash(CLAVE_HASH_SHA256, (const uint8_t *)seed, strlen(seed), t->seed, 32) !=
            CLAVE_OK) {
        return bad("train.seed: a string (the shuffling seed; DP noise never comes from it)");
    }
    if (clave_json_get_string(o, "job.train", "model", true, 16, &model) != CLAVE_OK ||
        clave_ml_model_kind_parse(model, &t->model) != CLAVE_OK ||
        (t->model != CLAVE_ML_LOGISTIC && t->model != CLAVE_ML_LINEAR)) {
        return bad("train.model: \"logistic\" or \"linear\"");
    }
    if (t->model == CLAVE_ML_LINEAR) {
        json_t *lb = json_object_get(o, "label_bounds");
        if (!json_is_array(lb) || json_array_size(lb) != 2 ||
            !json_is_number(json_array_get(lb, 0)) || !json_is_number(json_array_get(lb, 1))) {
            return bad("train.label_bounds: [lower, upper] is required for a linear model");
        }
        t->label_lower = json_number_value(json_array_get(lb, 0));
        t->label_upper = json_number_value(json_array_get(lb, 1));
        if (!isfinite(t->label_lower) || !isfinite(t->label_upper) ||
            !(t->label_lower < t->label_upper)) {
            return bad("train.label_bounds: lower < upper, both finite");
        }
    }
    return CLAVE_OK;
}

static clave_status parse_train(const struct runner_job *job, json_t *o, struct runner_train *t)
{
    static const char *const KEYS[] = {
        "name", "table", "label",         "features",      "model",    "epochs",       "batch_size",
        "seed", "dp",    "learning_rate", "test_fraction", "baseline", "label_bounds", NULL};
    json_t *dp = json_object_get(o, "dp");
    t->present = true;
    if (clave_json_expect_object(o, "job.train") != CLAVE_OK ||
        clave_json_only_keys(o, "job.train", KEYS) != CLAVE_OK) {
        return bad("train: an object with the keys of docs/runner.md");
    }
    t->name = json_string_value(json_object_get(o, "name"));
    t->table = json_string_value(json_object_get(o, "table"));
    t->label = json_string_value(json_object_get(o, "label"));
    if (!valid_name(t->name) || runner_job_table(job, t->table) == NULL || !valid_name(t->label)) {
        return bad("train: name, table (one of job.tables) and label are required");
    }
    const struct runner_table *tab = runner_job_table(job, t->table);
    if (json_object_get(tab->schema, t->label) == NULL) {
        return bad("train.label: %s is not a column of %s", t->label, t->table);
    }
    clave_status st = parse_features(json_object_get(o, "features"), t);
    for (size_t i = 0; st == CLAVE_OK && i < t->feature_count; i++) {
        if (json_object_get(tab->schema, t->features[i].column) == NULL) {
            st = bad("train.features.%s: not a column of %s", t->features[i].column, t->table);
        }
    }
    if (st == CLAVE_OK && json_object_get(o, "dp") != NULL && !json_is_object(dp)) {
        st = bad("train.dp: an object");
    }
    st = st == CLAVE_OK ? parse_train_numbers(o, t) : st;
    st = st == CLAVE_OK ? parse_dp(dp, t) : st;
    if (st == CLAVE_OK &&
        clave_json_get_bool(o, "job.train", "baseline", false, &t->baseline) != CLAVE_OK) {
        st = bad("train.baseline: true or false");
    }
    return st;
}

static clave_status parse_infer(const struct runner_job *job, json_t *o, struct runner_infer *in)
{
    static const char *const KEYS[] = {"name", "table", "id_column", NULL};
    if (clave_json_expect_object(o, "job.infer") != CLAVE_OK ||
        clave_json_only_keys(o, "job.infer", KEYS) != CLAVE_OK) {
        return bad("infer: an object {name, table, id_column}");
    }
    in->present = true;
    in->name = json_string_value(json_object_get(o, "name"));
    in->table = json_string_value(json_object_get(o, "table"));
    in->id_column = json_string_value(json_object_get(o, "id_column"));
    const struct runner_table *t = runner_job_table(job, in->table);
    if (!job->train.present) {
        return bad("infer: applies the model of job.train, which is missing");
    }
    if (!valid_name(in->name) || t == NULL || in->id_column == NULL ||
        json_object_get(t->schema, in->id_column) == NULL) {
        return bad(
            "infer: name, table (one of job.tables) and id_column (its column) are required");
    }
    if (strcmp(in->table, job->train.table) == 0 || strcmp(in->name, job->train.name) == 0) {
        return bad("infer: the inputs are another table than train's, the output another name");
    }
    for (size_t i = 0; i < job->train.feature_count; i++) {
        if (json_object_get(t->schema, job->train.features[i].column) == NULL) {
            return bad("infer.table: %s lacks the feature %s", in->table,
                       job->train.features[i].column);
        }
    }
    return CLAVE_OK;
}

static clave_status parse_doc(struct runner_job *job)
{
    static const char *const KEYS[] = {"version", "tables", "queries", "train", "infer", NULL};
    int64_t version = 0;
    json_t *tables = json_object_get(job->doc, "tables");
    json_t *train = json_object_get(job->doc, "train");
    const char *name = NULL;
    json_t *t = NULL;
    if (clave_json_expect_object(job->doc, "job") != CLAVE_OK ||
        clave_json_only_keys(job->doc, "job", KEYS) != CLAVE_OK ||
        clave_json_get_int(job->doc, "job", "version", true, 1, 1, &version) != CLAVE_OK) {
        return bad("version: 1, and only version, tables, queries, train, infer");
    }
    if (!json_is_object(tables) || json_object_size(tables) == 0 ||
        json_object_size(tables) > RUNNER_TABLES_MAX) {
        return bad("tables: 1..%d named tables", RUNNER_TABLES_MAX);
    }
    json_object_foreach (tables, name, t) {
        clave_status st = parse_table(name, t, &job->tables[job->table_count++]);
        if (st != CLAVE_OK) {
            return st;
        }
    }
    job->queries = json_object_get(job->doc, "queries");
    if (job->queries != NULL &&
        (!json_is_array(job->queries) || json_array_size(job->queries) > RUNNER_QUERIES_MAX)) {
        return bad("queries: an array of at most %d query specs", RUNNER_QUERIES_MAX);
    }
    if (json_array_size(job->queries) == 0 && train == NULL) {
        return bad("queries/train: a job computes something");
    }
    clave_status st = train != NULL ? parse_train(job, train, &job->train) : CLAVE_OK;
    json_t *infer = json_object_get(job->doc, "infer");
    return st == CLAVE_OK && infer != NULL ? parse_infer(job, infer, &job->infer) : st;
}

clave_status runner_job_parse(const uint8_t *data, size_t len, struct runner_job *out)
{
    memset(out, 0, sizeof(*out));
    if (len > JOB_MAX_BYTES) {
        return bad(": larger than 1 MiB");
    }
    clave_status st = clave_hash(CLAVE_HASH_SHA256, data, len, out->sha256, 32);
    if (st == CLAVE_OK) {
        st = clave_json_parse((const char *)data, len, NULL, "job", &out->doc);
        if (st != CLAVE_OK && !quiet) {
            fprintf(stderr, "clave-runner: %s\n", clave_error_last().detail);
        }
    }
    if (st == CLAVE_OK) {
        st = parse_doc(out);
    }
    if (st != CLAVE_OK) {
        runner_job_clear(out);
    }
    return st;
}

void runner_job_clear(struct runner_job *job)
{
    json_decref(job->doc);
    memset(job, 0, sizeof(*job));
}

const struct runner_table *runner_job_table(const struct runner_job *job, const char *name)
{
    for (size_t i = 0; name != NULL && i < job->table_count; i++) {
        if (strcmp(job->tables[i].name, name) == 0) {
            return &job->tables[i];
        }
    }
    return NULL;
}
