/* SPDX-License-Identifier: Apache-2.0 */
/* Training inside the runner (train.h). */
#include "train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AUC_MAX_ROWS (1u << 24)
/* Gradients are summed on the grid 2^-12: fine against noise of standard deviation >= 0.1 *
 * clip, and coarse enough for the sampler at any noise multiplier the accountant picks. */
#define DP_GRID_BITS 12

void runner_train_cost(const struct runner_train *t, double *epsilon, double *delta)
{
    *epsilon = t->dp ? t->dp_epsilon : 0.0;
    *delta = t->dp ? t->dp_delta : 0.0;
}

static double scaled(const struct runner_feature *f, double v)
{
    double c = v < f->lower ? f->lower : (v > f->upper ? f->upper : v);
    return (c - f->lower) / (f->upper - f->lower);
}

/* Clamp and scale features with the declared bounds; labels checked (logistic: 0/1). */
static clave_status prepare(const struct runner_train *s, const struct runner_matrix *m,
                            struct clave_ml_dataset **out)
{
    size_t f = s->feature_count;
    double *x = calloc(m->rows * f + 1, sizeof(double));
    double *y = calloc(m->rows + 1, sizeof(double));
    clave_status st = x != NULL && y != NULL ? CLAVE_OK : CLAVE_ERR_NOMEM;
    for (size_t r = 0; st == CLAVE_OK && r < m->rows; r++) {
        const double *row = m->v + r * m->width;
        for (size_t j = 0; j < f; j++) {
            x[r * f + j] = scaled(&s->features[j], row[j]);
        }
        double label = row[f];
        if (s->model == CLAVE_ML_LOGISTIC && label != 0.0 && label != 1.0) {
            fprintf(stderr, "clave-runner: train.label: row %zu has %g, not 0 or 1\n", r + 1,
                    label);
            st = CLAVE_ERR_FORMAT;
        }
        if (s->model == CLAVE_ML_LINEAR) {
            label = label < s->label_lower ? s->label_lower
                                           : (label > s->label_upper ? s->label_upper : label);
        }
        y[r] = label;
    }
    if (st == CLAVE_OK) {
        st = clave_ml_dataset_new(m->rows, f, s->model == CLAVE_ML_LOGISTIC ? 2 : 0, x, y, out);
    }
    if (x != NULL) {
        clave_wipe(x, (m->rows * f + 1) * sizeof(double));
    }
    if (y != NULL) {
        clave_wipe(y, (m->rows + 1) * sizeof(double));
    }
    free(x);
    free(y);
    return st;
}

static int by_score(const void *a, const void *b)
{
    const double *x = a;
    const double *y = b;
    return (x[0] > y[0]) - (x[0] < y[0]);
}

/* Area under the ROC curve (Mann-Whitney U with ties averaged); NAN with one class only. */
static double auc_of(struct clave_ml_model *model, const struct clave_ml_dataset *ds)
{
    size_t n = clave_ml_dataset_rows(ds);
    double *p = n <= AUC_MAX_ROWS ? calloc(n, sizeof(double)) : NULL;
    double *pairs = n <= AUC_MAX_ROWS ? calloc(2 * n, sizeof(double)) : NULL;
    double result = NAN;
    if (p != NULL && pairs != NULL &&
        clave_ml_model_predict(model, clave_ml_dataset_x(ds), n, p) == CLAVE_OK) {
        const double *y = clave_ml_dataset_y(ds);
        double pos = 0;
        double rank_sum = 0;
        for (size_t i = 0; i < n; i++) {
            pairs[2 * i] = p[i];
            pairs[2 * i + 1] = y[i];
        }
        qsort(pairs, n, 2 * sizeof(double), by_score);
        for (size_t i = 0; i < n;) {
            size_t j = i;
            while (j < n && pairs[2 * j] == pairs[2 * i]) {
                j++;
            }
            double rank = ((double)i + (double)j + 1) / 2.0; /* average of ranks i+1..j */
            for (size_t k = i; k < j; k++) {
                if (pairs[2 * k + 1] == 1.0) {
                    pos += 1;
                    rank_sum += rank;
                }
            }
            i = j;
        }
        double neg = (double)n - pos;
        if (pos > 0 && neg > 0) {
            result = (rank_sum - pos * (pos + 1) / 2.0) / (pos * neg);
        }
    }
    free(p);
    free(pairs);
    return result;
}

struct fit {
    struct clave_ml_model *model;
    double loss, accuracy, auc, epsilon, sigma;
};

static clave_status fit(const struct runner_train *s, const struct clave_ml_dataset *train,
                        const struct clave_ml_dataset *test, bool dp, struct fit *out)
{
    struct clave_ml_model_spec spec = {s->model, (uint32_t)s->feature_count, 0, 0, {0, 0}};
    struct clave_ml_train_opts o = clave_ml_train_opts_default();
    struct clave_ml_trainer *t = NULL;
    size_t rows = clave_ml_dataset_rows(train);
    o.learning_rate = s->learning_rate;
    o.batch_size = (uint32_t)s->batch_size;
    memset(out, 0, sizeof(*out));
    clave_status st = clave_ml_model_new(&spec, s->seed, &out->model);
    if (st == CLAVE_OK && dp) {
        double q = (double)o.batch_size / (double)rows;
        uint64_t steps = (uint64_t)s->epochs * ((rows + o.batch_size - 1) / o.batch_size);
        st = clave_dp_rdp_sigma(s->dp_epsilon, s->dp_delta, q > 1 ? 1 : q, steps,
                                CLAVE_DP_ORDERS_DP_ACCOUNTING, CLAVE_DP_CONVERSION_IMPROVED, 1e-6,
                                &out->sigma);
        o.dp_clip = s->dp_clip;
        o.dp_noise_multiplier = out->sigma;
        o.dp_grid_bits = DP_GRID_BITS;
    }
    if (st == CLAVE_OK) {
        st = clave_ml_trainer_new(out->model, &o, s->seed, NULL, &t);
    }
    for (int64_t e = 0; st == CLAVE_OK && e < s->epochs; e++) {
        st = clave_ml_trainer_epoch(t, train, NULL);
    }
    if (st == CLAVE_OK && dp) {
        st = clave_ml_trainer_dp_epsilon(t, s->dp_delta, &out->epsilon);
    }
    if (st == CLAVE_OK) {
        st = clave_ml_evaluate(out->model, test, &out->loss, &out->accuracy, NULL);
    }
    out->auc = st == CLAVE_OK && s->model == CLAVE_ML_LOGISTIC ? auc_of(out->model, test) : NAN;
    clave_ml_trainer_free(t);
    return st;
}

static json_t *fit_json(const struct runner_train *s, const struct fit *f)
{
    json_t *o = json_pack("{s:f}", "loss", f->loss);
    if (o != NULL && s->model == CLAVE_ML_LOGISTIC) {
        json_object_set_new(o, "accuracy", json_real(f->accuracy));
        json_object_set_new(o, "auc", isfinite(f->auc) ? json_real(f->auc) : json_null());
    }
    return o;
}

static clave_status report(const struct runner_train *s, size_t train_rows, size_t test_rows,
                           const struct fit *priv, const struct fit *base,
                           struct runner_train_result *out)
{
    json_t *m = json_pack("{s:s,s:s,s:I,s:I,s:o}", "name", s->name, "model",
                          clave_ml_model_kind_name(s->model), "train_rows", (json_int_t)train_rows,
                          "test_rows", (json_int_t)test_rows, "test", fit_json(s, priv));
    if (m != NULL && s->dp) {
        json_object_set_new(
            m, "dp",
            json_pack("{s:s,s:f,s:f,s:f,s:f,s:I,s:I}", "mechanism",
                      "DP-SGD (discrete Gaussian, RDP accountant)", "epsilon", priv->epsilon,
                      "delta", s->dp_delta, "noise_multiplier", priv->sigma, "clip", s->dp_clip,
                      "epochs", (json_int_t)s->epochs, "batch_size", (json_int_t)s->batch_size));
    }
    if (m != NULL && base != NULL) {
        json_object_set_new(m, "baseline_non_private_test", fit_json(s, base));
    }
    out->metrics = m;
    return m != NULL ? clave_ml_model_save(priv->model, &out->model, &out->model_len)
                     : CLAVE_ERR_NOMEM;
}

clave_status runner_train_run(const struct runner_train *s, const struct runner_matrix *data,
                              struct runner_train_result *out)
{
    struct clave_ml_dataset *all = NULL;
    struct clave_ml_dataset *train = NULL;
    struct clave_ml_dataset *test = NULL;
    struct fit priv = {0};
    struct fit base = {0};
    memset(out, 0, sizeof(*out));
    clave_status st = data->rows >= 4 ? prepare(s, data, &all) : CLAVE_ERR_ARG;
    if (st == CLAVE_OK) {
        st = clave_ml_dataset_split(all, s->test_fraction, s->seed, &train, &test);
    }
    if (st == CLAVE_OK) {
        st = fit(s, train, test, s->dp, &priv);
    }
    if (st == CLAVE_OK && s->baseline) {
        st = fit(s, train, test, false, &base);
    }
    if (st == CLAVE_OK) {
        st = report(s, clave_ml_dataset_rows(train), clave_ml_dataset_rows(test), &priv,
                    s->baseline ? &base : NULL, out);
        out->epsilon = s->dp ? priv.epsilon : 0.0;
        out->delta = s->dp ? s->dp_delta : 0.0;
    }
    if (st != CLAVE_OK) {
        fprintf(stderr, "clave-runner: train: %s\n", clave_error_last().detail);
        runner_train_result_clear(out);
    }
    clave_ml_model_free(priv.model);
    clave_ml_model_free(base.model);
    clave_ml_dataset_free(all);
    clave_ml_dataset_free(train);
    clave_ml_dataset_free(test);
    return st;
}

void runner_train_result_clear(struct runner_train_result *r)
{
    if (r->model != NULL) {
        clave_wipe(r->model, r->model_len);
    }
    free(r->model);
    json_decref(r->metrics);
    memset(r, 0, sizeof(*r));
}

clave_status runner_train_predict(const struct runner_train *spec, const uint8_t *model,
                                  size_t model_len, const struct runner_matrix *inputs, double *out)
{
    struct clave_ml_model *m = NULL;
    size_t f = spec->feature_count;
    if (inputs->width < f || inputs->rows == 0) {
        return CLAVE_ERR_ARG;
    }
    double *x = calloc(inputs->rows * f, sizeof(double));
    clave_status st = x != NULL ? clave_ml_model_load(model, model_len, &m) : CLAVE_ERR_NOMEM;
    for (size_t r = 0; st == CLAVE_OK && r < inputs->rows; r++) {
        for (size_t j = 0; j < f; j++) {
            x[r * f + j] = scaled(&spec->features[j], inputs->v[r * inputs->width + j]);
        }
    }
    if (st == CLAVE_OK) {
        st = clave_ml_model_predict(m, x, inputs->rows, out);
    }
    if (x != NULL) {
        clave_wipe(x, inputs->rows * f * sizeof(double));
    }
    free(x);
    clave_ml_model_free(m);
    return st;
}
