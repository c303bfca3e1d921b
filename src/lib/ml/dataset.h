/* SPDX-License-Identifier: Apache-2.0 */
/* The dataset object and helpers shared by the parsers and partitioners. */
#ifndef CLAVE_ML_DATASET_H
#define CLAVE_ML_DATASET_H

#include <clave/ml.h>

struct clave_ml_dataset {
    size_t rows;
    size_t features;
    uint32_t classes;
    double *x; /* rows x features */
    double *y; /* rows */
};

/* An uninitialised dataset of the given shape (x and y allocated). */
clave_status ml__dataset_alloc(size_t rows, size_t features, uint32_t classes,
                               struct clave_ml_dataset **out);

/* A dataset of the rows idx[0..n-1] of `ds`. */
clave_status ml__dataset_gather(const struct clave_ml_dataset *ds, const size_t *idx, size_t n,
                                struct clave_ml_dataset **out);

#endif
