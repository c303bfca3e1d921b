/* SPDX-License-Identifier: Apache-2.0 */
/* The model object: a stack of dense layers over one flat parameter vector. */
#ifndef CLAVE_ML_MODEL_H
#define CLAVE_ML_MODEL_H

#include <clave/ml.h>

#define ML_MAX_LAYERS (CLAVE_ML_MAX_HIDDEN_LAYERS + 1)

struct clave_ml_model {
    struct clave_ml_model_spec spec;
    size_t layers;                   /* dense layers: hidden_count + 1 */
    size_t width[ML_MAX_LAYERS + 1]; /* width[0] = inputs, width[layers] = outputs */
    size_t woff[ML_MAX_LAYERS];      /* offset of layer l's weights [out][in] in params */
    size_t boff[ML_MAX_LAYERS];      /* offset of layer l's biases */
    size_t count;                    /* parameters */
    double *params;
};

/* Validate `spec` and lay out a model (params not allocated). */
clave_status ml__model_layout(const struct clave_ml_model_spec *spec, struct clave_ml_model *m);

/* An allocated, zeroed model of shape `spec`. */
clave_status ml__model_alloc(const struct clave_ml_model_spec *spec, struct clave_ml_model **out);

/* Check that every label is valid for the model (class index or finite target). */
clave_status ml__check_labels(const struct clave_ml_model *m, const double *y, size_t n);

#endif
