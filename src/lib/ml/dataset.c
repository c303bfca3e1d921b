/* SPDX-License-Identifier: Apache-2.0 */
/* Datasets: ownership, standardisation, train/test split and evaluation. */
#include "ml/dataset.h"

#include "core/check.h"
#include "ml/model.h"
#include "ml/stream.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define ML_SPLIT_LABEL "clave ml v1 split"
#define ML_EVAL_CHUNK 1024

clave_status ml__dataset_alloc(size_t rows, size_t features, uint32_t classes,
                               struct clave_ml_dataset **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_ml_dataset *ds = NULL;
    size_t cells = 0;
    *out = NULL;
    CLAVE_ENSURE(rows >= 1 && features >= 1 && features <= CLAVE_ML_MAX_WIDTH, CLAVE_ERR_ARG,
                 "ml: dataset of %zu rows x %zu features", rows, features);
    CLAVE_ENSURE(classes == 0 || (classes >= 2 && classes <= CLAVE_ML_MAX_CLASSES), CLAVE_ERR_ARG,
                 "ml: %u classes", classes);
    CLAVE_ENSURE(!__builtin_mul_overflow(rows, features, &cells) &&
                     cells <= SIZE_MAX / sizeof(double),
                 CLAVE_ERR_LIMIT, "ml: dataset too large");
    ds = calloc(1, sizeof(*ds));
    CLAVE_ENSURE_ALLOC(ds);
    ds->rows = rows;
    ds->features = features;
    ds->classes = classes;
    ds->x = malloc(cells * sizeof(double));
    ds->y = malloc(rows * sizeof(double));
    CLAVE_ENSURE(ds->x != NULL && ds->y != NULL, CLAVE_ERR_NOMEM, "out of memory");
    *out = ds;
    ds = NULL;
    st = CLAVE_OK;
done:
    clave_ml_dataset_free(ds);
    return st;
}

clave_status clave_ml_dataset_new(size_t rows, size_t features, uint32_t classes, const double *x,
                                  const double *y, struct clave_ml_dataset **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_ml_dataset *ds = NULL;
    CLAVE_ENSURE(out != NULL && x != NULL && y != NULL, CLAVE_ERR_ARG, "ml: NULL argument");
    *out = NULL;
    CLAVE_CHECK(ml__dataset_alloc(rows, features, classes, &ds));
    for (size_t i = 0; i < rows * features; i++) {
        CLAVE_ENSURE(isfinite(x[i]), CLAVE_ERR_ARG, "ml: feature value %zu is not finite", i);
    }
    for (size_t i = 0; i < rows; i++) {
        CLAVE_ENSURE(isfinite(y[i]) && (classes == 0 || (y[i] >= 0.0 && y[i] < (double)classes &&
                                                         y[i] == floor(y[i]))),
                     CLAVE_ERR_ARG, "ml: label of row %zu invalid", i);
    }
    memcpy(ds->x, x, rows * features * sizeof(double));
    memcpy(ds->y, y, rows * sizeof(double));
    *out = ds;
    ds = NULL;
    st = CLAVE_OK;
done:
    clave_ml_dataset_free(ds);
    return st;
}

void clave_ml_dataset_free(struct clave_ml_dataset *ds)
{
    if (ds == NULL) {
        return;
    }
    free(ds->x);
    free(ds->y);
    free(ds);
}

size_t clave_ml_dataset_rows(const struct clave_ml_dataset *ds)
{
    return ds->rows;
}

size_t clave_ml_dataset_features(const struct clave_ml_dataset *ds)
{
    return ds->features;
}

uint32_t clave_ml_dataset_classes(const struct clave_ml_dataset *ds)
{
    return ds->classes;
}

const double *clave_ml_dataset_x(const struct clave_ml_dataset *ds)
{
    return ds->x;
}

const double *clave_ml_dataset_y(const struct clave_ml_dataset *ds)
{
    return ds->y;
}

clave_status ml__dataset_gather(const struct clave_ml_dataset *ds, const size_t *idx, size_t n,
                                struct clave_ml_dataset **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_ml_dataset *d = NULL;
    CLAVE_CHECK(ml__dataset_alloc(n, ds->features, ds->classes, &d));
    for (size_t i = 0; i < n; i++) {
        memcpy(d->x + i * ds->features, ds->x + idx[i] * ds->features,
               ds->features * sizeof(double));
        d->y[i] = ds->y[idx[i]];
    }
    *out = d;
    st = CLAVE_OK;
done:
    return st;
}

static void apply_scale(struct clave_ml_dataset *ds, const double *mean, const double *scale)
{
    for (size_t i = 0; i < ds->rows; i++) {
        for (size_t j = 0; j < ds->features; j++) {
            double *v = &ds->x[i * ds->features + j];
            *v = (*v - mean[j]) / scale[j];
        }
    }
}

clave_status clave_ml_dataset_standardize(struct clave_ml_dataset *train,
                                          struct clave_ml_dataset *test)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    double *mean = NULL, *scale = NULL;
    CLAVE_ENSURE(train != NULL, CLAVE_ERR_ARG, "ml: NULL dataset");
    CLAVE_ENSURE(test == NULL || test->features == train->features, CLAVE_ERR_ARG,
                 "ml: test set has %zu features, train %zu", test->features, train->features);
    size_t d = train->features;
    mean = calloc(d, sizeof(double));
    scale = calloc(d, sizeof(double));
    CLAVE_ENSURE(mean != NULL && scale != NULL, CLAVE_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < train->rows; i++) {
        for (size_t j = 0; j < d; j++) {
            mean[j] += train->x[i * d + j];
        }
    }
    for (size_t j = 0; j < d; j++) {
        mean[j] /= (double)train->rows;
    }
    for (size_t i = 0; i < train->rows; i++) {
        for (size_t j = 0; j < d; j++) {
            double e = train->x[i * d + j] - mean[j];
            scale[j] += e * e;
        }
    }
    for (size_t j = 0; j < d; j++) {
        scale[j] /= (double)train->rows;
        scale[j] = scale[j] > 1e-24 ? sqrt(scale[j]) : 1.0;
    }
    apply_scale(train, mean, scale);
    if (test != NULL) {
        apply_scale(test, mean, scale);
    }
    st = CLAVE_OK;
done:
    free(mean);
    free(scale);
    return st;
}

clave_status clave_ml_dataset_split(const struct clave_ml_dataset *ds, double test_fraction,
                                    const uint8_t *seed, struct clave_ml_dataset **train,
                                    struct clave_ml_dataset **test)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct ml_stream s = {0};
    struct clave_ml_dataset *a = NULL, *b = NULL;
    size_t *idx = NULL;
    CLAVE_ENSURE(train != NULL && test != NULL, CLAVE_ERR_ARG, "ml: NULL argument");
    *train = NULL;
    *test = NULL;
    CLAVE_ENSURE(ds != NULL && seed != NULL, CLAVE_ERR_ARG, "ml: NULL argument");
    CLAVE_ENSURE(test_fraction > 0.0 && test_fraction < 1.0, CLAVE_ERR_ARG,
                 "ml: test_fraction outside (0, 1)");
    size_t nt = (size_t)llround((double)ds->rows * test_fraction);
    CLAVE_ENSURE(nt >= 1 && nt < ds->rows, CLAVE_ERR_ARG, "ml: split leaves an empty side");
    idx = malloc(ds->rows * sizeof(size_t));
    CLAVE_ENSURE_ALLOC(idx);
    for (size_t i = 0; i < ds->rows; i++) {
        idx[i] = i;
    }
    CLAVE_CHECK(ml__stream_init(&s, seed, ML_SPLIT_LABEL));
    ml__stream_shuffle(&s, idx, ds->rows);
    CLAVE_CHECK(ml__stream_status(&s));
    CLAVE_CHECK(ml__dataset_gather(ds, idx + nt, ds->rows - nt, &a));
    CLAVE_CHECK(ml__dataset_gather(ds, idx, nt, &b));
    *train = a;
    *test = b;
    a = b = NULL;
    st = CLAVE_OK;
done:
    ml__stream_clear(&s);
    free(idx);
    clave_ml_dataset_free(a);
    clave_ml_dataset_free(b);
    return st;
}

static size_t argmax(const double *p, size_t k)
{
    size_t best = 0;
    for (size_t j = 1; j < k; j++) {
        best = p[j] > p[best] ? j : best;
    }
    return best;
}

clave_status clave_ml_evaluate(struct clave_ml_model *model, const struct clave_ml_dataset *ds,
                               double *loss, double *accuracy, size_t *correct)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    double *p = NULL;
    double total = 0.0;
    size_t good = 0;
    CLAVE_ENSURE(model != NULL && ds != NULL, CLAVE_ERR_ARG, "ml: NULL argument");
    CLAVE_ENSURE(ds->features == model->width[0], CLAVE_ERR_ARG,
                 "ml: dataset has %zu features, model %zu", ds->features, model->width[0]);
    size_t k = clave_ml_model_outputs(model);
    p = malloc(ML_EVAL_CHUNK * k * sizeof(double));
    CLAVE_ENSURE_ALLOC(p);
    for (size_t off = 0; off < ds->rows; off += ML_EVAL_CHUNK) {
        size_t n = ds->rows - off < ML_EVAL_CHUNK ? ds->rows - off : ML_EVAL_CHUNK;
        const double *x = ds->x + off * ds->features;
        double l = 0.0;
        CLAVE_CHECK(clave_ml_model_loss_grad(model, x, ds->y + off, n, NULL, &l));
        total += l * (double)n;
        CLAVE_CHECK(clave_ml_model_predict(model, x, n, p));
        for (size_t i = 0; model->spec.kind != CLAVE_ML_LINEAR && i < n; i++) {
            size_t label = (size_t)ds->y[off + i];
            size_t guess = k == 1 ? (p[i] >= 0.5 ? 1 : 0) : argmax(p + i * k, k);
            good += guess == label;
        }
    }
    if (loss != NULL) {
        *loss = total / (double)ds->rows;
    }
    if (accuracy != NULL) {
        *accuracy = (double)good / (double)ds->rows;
    }
    if (correct != NULL) {
        *correct = good;
    }
    st = CLAVE_OK;
done:
    free(p);
    return st;
}
