/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Partitioning for federated simulations: IID (shuffle and cut) and Dirichlet label skew as in
 * Hsu, Qi & Brown 2019 ("Measuring the Effects of Non-Identical Data Distribution for Federated
 * Visual Classification", section 3): for each class, p ~ Dir(alpha) over the parts, drawn as
 * normalised Gamma(alpha, 1) variates, and the class's shuffled examples are cut at the
 * cumulative proportions.
 */
#include "core/check.h"
#include "ml/dataset.h"
#include "ml/stream.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define ML_PARTITION_LABEL "clave ml v1 partition"

struct assign {
    size_t *part_of; /* rows: the part each row goes to */
    size_t *sizes;   /* parts */
};

static void assign_iid(const struct clave_ml_dataset *ds, size_t parts, const size_t *perm,
                       struct assign *a)
{
    for (size_t i = 0; i < ds->rows; i++) {
        a->part_of[perm[i]] = i * parts / ds->rows;
        a->sizes[i * parts / ds->rows]++;
    }
}

/* Cut one class's shuffled rows `rows[0..n-1]` by Dirichlet proportions. */
static void assign_class(struct ml_stream *s, double alpha, size_t parts, const size_t *rows,
                         size_t n, double *p, struct assign *a)
{
    double sum = 0.0;
    for (size_t k = 0; k < parts; k++) {
        p[k] = ml__stream_gamma(s, alpha);
        sum += p[k];
    }
    double cum = 0.0;
    size_t start = 0;
    for (size_t k = 0; k < parts; k++) {
        cum += sum > 0.0 ? p[k] / sum : 1.0 / (double)parts;
        size_t end = k + 1 == parts ? n : (size_t)llround(cum * (double)n);
        end = end > n ? n : end;
        for (size_t i = start; i < end; i++) {
            a->part_of[rows[i]] = k;
            a->sizes[k]++;
        }
        start = end > start ? end : start;
    }
}

/* Give every empty part one row from the currently largest part. */
static void fill_empty(const struct clave_ml_dataset *ds, size_t parts, struct assign *a)
{
    for (size_t k = 0; k < parts; k++) {
        if (a->sizes[k] > 0) {
            continue;
        }
        size_t big = 0;
        for (size_t j = 1; j < parts; j++) {
            big = a->sizes[j] > a->sizes[big] ? j : big;
        }
        for (size_t i = 0; i < ds->rows; i++) {
            if (a->part_of[i] == big) {
                a->part_of[i] = k;
                a->sizes[big]--;
                a->sizes[k]++;
                break;
            }
        }
    }
}

static clave_status assign_dirichlet(struct ml_stream *s, const struct clave_ml_dataset *ds,
                                     size_t parts, double alpha, const size_t *perm,
                                     struct assign *a)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    size_t *rows = malloc(ds->rows * sizeof(size_t));
    double *p = malloc(parts * sizeof(double));
    CLAVE_ENSURE(rows != NULL && p != NULL, CLAVE_ERR_NOMEM, "out of memory");
    for (uint32_t c = 0; c < ds->classes; c++) {
        size_t n = 0;
        for (size_t i = 0; i < ds->rows; i++) {
            if (ds->y[perm[i]] == (double)c) {
                rows[n++] = perm[i];
            }
        }
        assign_class(s, alpha, parts, rows, n, p, a);
    }
    fill_empty(ds, parts, a);
    st = CLAVE_OK;
done:
    free(rows);
    free(p);
    return st;
}

static clave_status gather_parts(const struct clave_ml_dataset *ds, size_t parts,
                                 const struct assign *a, struct clave_ml_dataset **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    size_t *idx = malloc(ds->rows * sizeof(size_t));
    CLAVE_ENSURE_ALLOC(idx);
    for (size_t k = 0; k < parts; k++) {
        size_t n = 0;
        for (size_t i = 0; i < ds->rows; i++) {
            if (a->part_of[i] == k) {
                idx[n++] = i;
            }
        }
        CLAVE_CHECK(ml__dataset_gather(ds, idx, n, &out[k]));
    }
    st = CLAVE_OK;
done:
    free(idx);
    return st;
}

clave_status clave_ml_dataset_partition(const struct clave_ml_dataset *ds, size_t parts,
                                        double alpha, const uint8_t *seed,
                                        struct clave_ml_dataset **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct ml_stream s = {0};
    struct assign a = {0};
    size_t *perm = NULL;
    CLAVE_ENSURE(ds != NULL && seed != NULL && out != NULL, CLAVE_ERR_ARG, "ml: NULL argument");
    CLAVE_ENSURE(parts >= 1 && parts <= ds->rows, CLAVE_ERR_ARG, "ml: %zu parts of %zu rows", parts,
                 ds->rows);
    memset(out, 0, parts * sizeof(*out));
    CLAVE_ENSURE(isfinite(alpha) && alpha >= 0.0 && (alpha == 0.0 || ds->classes >= 2),
                 CLAVE_ERR_ARG, "ml: alpha must be 0 (IID) or > 0 with class labels");
    perm = malloc(ds->rows * sizeof(size_t));
    a.part_of = calloc(ds->rows, sizeof(size_t));
    a.sizes = calloc(parts, sizeof(size_t));
    CLAVE_ENSURE(perm != NULL && a.part_of != NULL && a.sizes != NULL, CLAVE_ERR_NOMEM,
                 "out of memory");
    for (size_t i = 0; i < ds->rows; i++) {
        perm[i] = i;
    }
    CLAVE_CHECK(ml__stream_init(&s, seed, ML_PARTITION_LABEL));
    ml__stream_shuffle(&s, perm, ds->rows);
    if (alpha == 0.0) {
        assign_iid(ds, parts, perm, &a);
    } else {
        CLAVE_CHECK(assign_dirichlet(&s, ds, parts, alpha, perm, &a));
    }
    CLAVE_CHECK(ml__stream_status(&s));
    CLAVE_CHECK(gather_parts(ds, parts, &a, out));
    st = CLAVE_OK;
done:
    if (st != CLAVE_OK && out != NULL && ds != NULL && parts <= ds->rows) {
        for (size_t k = 0; k < parts; k++) {
            clave_ml_dataset_free(out[k]);
            out[k] = NULL;
        }
    }
    ml__stream_clear(&s);
    free(perm);
    free(a.part_of);
    free(a.sizes);
    return st;
}
