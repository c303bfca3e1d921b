/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The job file: what the runner computes (docs/runner.md "Job"). The contract approves a job by
 * its SHA-256 (computation.spec.job_sha256), so every party signed exactly these tables, queries
 * and training settings; the runner refuses any other job before it asks for a key.
 */
#ifndef RUNNER_JOB_H
#define RUNNER_JOB_H

#include <clave/clave.h>

#define RUNNER_TABLES_MAX 8
#define RUNNER_TABLE_DATASETS_MAX 16
#define RUNNER_FEATURES_MAX 64
#define RUNNER_QUERIES_MAX 32
#define RUNNER_NAME_MAX 64

struct runner_table {
    const char *name;
    const char *datasets[RUNNER_TABLE_DATASETS_MAX];
    size_t dataset_count;
    json_t *schema; /* {column: int|float|string|bool|date}, borrowed from the job document */
};

struct runner_feature {
    const char *column;
    double lower, upper; /* declared bounds: values are clamped, then scaled to [0, 1] */
};

struct runner_train {
    bool present;
    const char *name; /* output name */
    const char *table;
    const char *label; /* 0/1 (logistic) or a number (linear) */
    struct runner_feature features[RUNNER_FEATURES_MAX];
    size_t feature_count;
    clave_ml_model_kind model;
    double label_lower, label_upper; /* linear: declared label bounds */
    int64_t epochs, batch_size;
    double learning_rate, test_fraction;
    uint8_t seed[32];
    bool dp;
    double dp_epsilon, dp_delta, dp_clip;
    bool baseline; /* also train without DP and release only its test metrics */
};

/* Apply the model `train` produced in this run to a table of sealed inputs (rows of the train
 * features plus an id column) that a recipient uploaded; predictions go to the recipients. */
struct runner_infer {
    bool present;
    const char *name;      /* output name */
    const char *table;     /* the inputs */
    const char *id_column; /* copied to each prediction row */
};

struct runner_job {
    json_t *doc;
    uint8_t sha256[32];
    struct runner_table tables[RUNNER_TABLES_MAX];
    size_t table_count;
    json_t *queries; /* array of query specs (borrowed from doc), possibly empty */
    struct runner_train train;
    struct runner_infer infer;
};

/* Parse and validate a job (untrusted bytes). Errors name the field (printed to stderr). */
clave_status runner_job_parse(const uint8_t *data, size_t len, struct runner_job *out);
void runner_job_clear(struct runner_job *job);

/* Parse errors are printed on stderr, naming the field; `on` silences them (fuzzing). */
void runner_job_quiet(bool on);

/* The table named `name`, or NULL. */
const struct runner_table *runner_job_table(const struct runner_job *job, const char *name);

#endif
