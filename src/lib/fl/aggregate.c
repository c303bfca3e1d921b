/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Server-side optimisers and robust statistics. FedAdam and FedYogi follow Reddi et al. 2021
 * ("Adaptive Federated Optimization", ICLR, Algorithm 2): with the aggregated update D,
 *   m = b1 m + (1 - b1) D
 *   v = b2 v + (1 - b2) D^2                        (FedAdam)
 *   v = v - (1 - b2) D^2 sign(v - D^2)             (FedYogi)
 *   w = w + lr m / (sqrt(v) + tau),
 * v starting at tau^2. Robust aggregation (Yin et al. 2018, "Byzantine-Robust Distributed
 * Learning") takes the coordinate-wise median or the mean after cutting floor(beta m) values at
 * each end; both ignore the clients' weights.
 */
#include "core/check.h"
#include "fl/fl_internal.h"

#include <math.h>
#include <stdlib.h>

clave_status fl__server_opt_init(const struct clave_fl_config *cfg, size_t dim,
                                 struct fl_server_opt *o)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    o->m = o->v = NULL;
    if (cfg->strategy != CLAVE_FL_FEDADAM && cfg->strategy != CLAVE_FL_FEDYOGI) {
        st = CLAVE_OK;
        goto done;
    }
    o->m = calloc(dim, sizeof(double));
    o->v = malloc(dim * sizeof(double));
    CLAVE_ENSURE(o->m != NULL && o->v != NULL, CLAVE_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < dim; i++) {
        o->v[i] = cfg->server_tau * cfg->server_tau;
    }
    st = CLAVE_OK;
done:
    return st;
}

void fl__server_opt_clear(struct fl_server_opt *o)
{
    free(o->m);
    free(o->v);
    o->m = o->v = NULL;
}

void fl__server_apply(const struct clave_fl_config *cfg, struct fl_server_opt *o, double *w,
                      const double *delta, size_t dim)
{
    if (o->m == NULL) {
        for (size_t i = 0; i < dim; i++) {
            w[i] += cfg->server_lr * delta[i];
        }
        return;
    }
    double b1 = cfg->server_beta1, b2 = cfg->server_beta2;
    for (size_t i = 0; i < dim; i++) {
        double d = delta[i], d2 = d * d;
        o->m[i] = b1 * o->m[i] + (1.0 - b1) * d;
        if (cfg->strategy == CLAVE_FL_FEDADAM) {
            o->v[i] = b2 * o->v[i] + (1.0 - b2) * d2;
        } else {
            double s = o->v[i] > d2 ? 1.0 : (o->v[i] < d2 ? -1.0 : 0.0);
            o->v[i] -= (1.0 - b2) * d2 * s;
        }
        w[i] += cfg->server_lr * o->m[i] / (sqrt(o->v[i]) + cfg->server_tau);
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

clave_status fl__robust(const struct clave_fl_config *cfg, const double *updates, size_t count,
                        size_t dim, double *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    double *col = malloc(count * sizeof(double));
    CLAVE_ENSURE_ALLOC(col);
    size_t cut = (size_t)floor(cfg->trim_fraction * (double)count);
    for (size_t j = 0; j < dim; j++) {
        for (size_t k = 0; k < count; k++) {
            col[k] = updates[k * dim + j];
        }
        qsort(col, count, sizeof(double), cmp_double);
        if (cfg->aggregation == CLAVE_FL_AGG_MEDIAN) {
            out[j] = count % 2 ? col[count / 2] : 0.5 * (col[count / 2 - 1] + col[count / 2]);
        } else {
            double sum = 0.0;
            for (size_t k = cut; k < count - cut; k++) {
                sum += col[k];
            }
            out[j] = sum / (double)(count - 2 * cut);
        }
    }
    st = CLAVE_OK;
done:
    free(col);
    return st;
}
