/* SPDX-License-Identifier: Apache-2.0 */
/* Test data for the FL tests: a generated breast-cancer-like table (30 features, binary label,
 * scikit-learn header), parsed, split per client and standardised. Header-only test helper. */
#ifndef CLAVE_TEST_FL_DATA_H
#define CLAVE_TEST_FL_DATA_H

#include "testlib.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FLD_FEATURES 30

static double fld_noise(size_t i)
{
    uint64_t z = (i + 7) * UINT64_C(0x9e3779b97f4a7c15);
    z ^= z >> 31;
    z *= UINT64_C(0xbf58476d1ce4e5b9);
    z ^= z >> 29;
    return (double)(z >> 11) * 0x1p-53 * 2.0 - 1.0;
}

/* "rows,30,malignant,benign" then rows of 30 positive measurements and a 0/1 label. */
static char *fld_csv(size_t rows, size_t *len)
{
    size_t cap = 64 + rows * (FLD_FEATURES * 16 + 4);
    char *s = malloc(cap);
    assert_non_null(s);
    size_t n = (size_t)snprintf(s, cap, "%zu,%d,malignant,benign\n", rows, FLD_FEATURES);
    for (size_t r = 0; r < rows; r++) {
        int label = (int)(r % 3 != 0); /* about 2/3 benign, like WDBC */
        for (size_t j = 0; j < FLD_FEATURES; j++) {
            double centre = 10.0 + (double)j + (label ? -1.5 : 1.5) * (1.0 + (double)(j % 5));
            double v = centre + 2.5 * fld_noise(r * FLD_FEATURES + j);
            n += (size_t)snprintf(s + n, cap - n, "%.4f,", v);
        }
        n += (size_t)snprintf(s + n, cap - n, "%d\n", label);
    }
    *len = n;
    return s;
}

struct fld_parts {
    size_t clients;
    struct clave_ml_dataset *train[16];
    struct clave_ml_dataset *test[16];
};

static void fld_make(size_t rows, size_t clients, double alpha, struct fld_parts *p)
{
    static const uint8_t SEED[CLAVE_ML_SEED_LEN] = {42};
    size_t len = 0;
    char *csv = fld_csv(rows, &len);
    struct clave_ml_csv_schema schema = {FLD_FEATURES, 2, CLAVE_ML_CSV_SKLEARN, 100000};
    struct clave_ml_dataset *all = NULL, *tr = NULL, *te = NULL;
    T_OK(clave_ml_csv_parse(csv, len, &schema, &all));
    free(csv);
    T_OK(clave_ml_dataset_split(all, 0.25, SEED, &tr, &te));
    T_OK(clave_ml_dataset_standardize(tr, te));
    memset(p, 0, sizeof(*p));
    p->clients = clients;
    T_OK(clave_ml_dataset_partition(tr, clients, alpha, SEED, p->train));
    T_OK(clave_ml_dataset_partition(te, clients, 0.0, SEED, p->test));
    clave_ml_dataset_free(all);
    clave_ml_dataset_free(tr);
    clave_ml_dataset_free(te);
}

static void fld_free(struct fld_parts *p)
{
    for (size_t i = 0; i < p->clients; i++) {
        clave_ml_dataset_free(p->train[i]);
        clave_ml_dataset_free(p->test[i]);
    }
}

#endif
