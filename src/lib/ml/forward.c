/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Forward and backward passes over a batch with CBLAS. Layer l maps a_l (n x w_l) to
 * z_l = a_l W_l^T + b_l (W_l is [w_{l+1}][w_l]); hidden layers apply ReLU, the output layer is
 * the identity (LINEAR, loss (z - y)^2 / 2), a sigmoid (LOGISTIC, binary cross-entropy written as
 * softplus(z) - y z for stability) or a softmax (cross-entropy logsumexp(z) - z_y). Every loss
 * is averaged over the batch, so dL/dz_out = (p - y) / n in all three cases.
 */
#include "core/check.h"
#include "ml/model.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct pass {
    size_t n;
    double *act[ML_MAX_LAYERS + 1]; /* act[0] = x (borrowed); act[l+1] = layer l's output */
    double *mem;
};

static clave_status pass_alloc(const struct clave_ml_model *m, size_t n, const double *x,
                               struct pass *p)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    size_t total = 0;
    memset(p, 0, sizeof(*p));
    p->n = n;
    for (size_t l = 1; l <= m->layers; l++) {
        size_t cells = 0;
        CLAVE_ENSURE(!__builtin_mul_overflow(n, m->width[l], &cells) &&
                         !__builtin_add_overflow(total, cells, &total),
                     CLAVE_ERR_LIMIT, "ml: batch too large");
    }
    p->mem = malloc(total * sizeof(double));
    CLAVE_ENSURE_ALLOC(p->mem);
    p->act[0] = (double *)(uintptr_t)x; /* read only: never written through act[0] */
    size_t off = 0;
    for (size_t l = 1; l <= m->layers; l++) {
        p->act[l] = p->mem + off;
        off += n * m->width[l];
    }
    st = CLAVE_OK;
done:
    return st;
}

static void softmax_rows(double *z, size_t n, size_t k)
{
    for (size_t i = 0; i < n; i++) {
        double *r = z + i * k;
        double mx = r[0];
        for (size_t j = 1; j < k; j++) {
            mx = r[j] > mx ? r[j] : mx;
        }
        double sum = 0.0;
        for (size_t j = 0; j < k; j++) {
            r[j] = exp(r[j] - mx);
            sum += r[j];
        }
        for (size_t j = 0; j < k; j++) {
            r[j] /= sum;
        }
    }
}

/* Forward pass; the output layer keeps raw scores z (probabilities are made by the callers). */
static void forward(const struct clave_ml_model *m, struct pass *p)
{
    for (size_t l = 0; l < m->layers; l++) {
        int in = (int)m->width[l], out = (int)m->width[l + 1];
        double *z = p->act[l + 1];
        const double *b = m->params + m->boff[l];
        for (size_t i = 0; i < p->n; i++) {
            memcpy(z + i * (size_t)out, b, (size_t)out * sizeof(double));
        }
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)p->n, out, in, 1.0, p->act[l], in,
                    m->params + m->woff[l], in, 1.0, z, out);
        if (l + 1 < m->layers) {
            for (size_t i = 0; i < p->n * (size_t)out; i++) {
                z[i] = z[i] > 0.0 ? z[i] : 0.0;
            }
        }
    }
}

static double softplus(double z)
{
    return z > 0.0 ? z + log1p(exp(-z)) : log1p(exp(z));
}

/* Turn the output scores into dL/dz (in place) and return the mean loss. */
static double output_delta(const struct clave_ml_model *m, double *z, const double *y, size_t n)
{
    double loss = 0.0;
    size_t k = m->width[m->layers];
    if (m->spec.kind == CLAVE_ML_LINEAR || m->spec.kind == CLAVE_ML_LOGISTIC) {
        bool lin = m->spec.kind == CLAVE_ML_LINEAR;
        for (size_t i = 0; i < n; i++) {
            double e = lin ? z[i] - y[i] : 1.0 / (1.0 + exp(-z[i])) - y[i];
            loss += lin ? 0.5 * e * e : softplus(z[i]) - y[i] * z[i];
            z[i] = e / (double)n;
        }
        return loss / (double)n;
    }
    for (size_t i = 0; i < n; i++) {
        double *r = z + i * k;
        size_t c = (size_t)y[i];
        double mx = r[0], sum = 0.0;
        for (size_t j = 1; j < k; j++) {
            mx = r[j] > mx ? r[j] : mx;
        }
        for (size_t j = 0; j < k; j++) {
            sum += exp(r[j] - mx);
        }
        loss += mx + log(sum) - r[c];
    }
    softmax_rows(z, n, k);
    for (size_t i = 0; i < n; i++) {
        z[i * k + (size_t)y[i]] -= 1.0;
        for (size_t j = 0; j < k; j++) {
            z[i * k + j] /= (double)n;
        }
    }
    return loss / (double)n;
}

/* Backward pass from dL/dz_out (in act[layers]); writes the gradient; clobbers activations. */
static clave_status backward(const struct clave_ml_model *m, struct pass *p, double *grad)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    double *dprev = NULL;
    for (size_t l = m->layers; l-- > 0;) {
        int in = (int)m->width[l], out = (int)m->width[l + 1];
        double *dz = p->act[l + 1];
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, out, in, (int)p->n, 1.0, dz, out,
                    p->act[l], in, 0.0, grad + m->woff[l], in);
        double *gb = grad + m->boff[l];
        memset(gb, 0, (size_t)out * sizeof(double));
        for (size_t i = 0; i < p->n; i++) {
            cblas_daxpy(out, 1.0, dz + i * (size_t)out, 1, gb, 1);
        }
        if (l == 0) {
            break;
        }
        dprev = malloc(p->n * (size_t)in * sizeof(double));
        CLAVE_ENSURE_ALLOC(dprev);
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)p->n, in, out, 1.0, dz, out,
                    m->params + m->woff[l], in, 0.0, dprev, in);
        double *a = p->act[l]; /* ReLU output of layer l-1: a > 0 exactly where z > 0 */
        for (size_t i = 0; i < p->n * (size_t)in; i++) {
            a[i] = a[i] > 0.0 ? dprev[i] : 0.0;
        }
        free(dprev);
        dprev = NULL;
    }
    st = CLAVE_OK;
done:
    free(dprev);
    return st;
}

static clave_status check_inputs(const struct clave_ml_model *m, const double *x, size_t n)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(n >= 1 && n <= INT32_MAX, CLAVE_ERR_ARG, "ml: batch of %zu examples", n);
    for (size_t i = 0; i < n * m->width[0]; i++) {
        CLAVE_ENSURE(isfinite(x[i]), CLAVE_ERR_ARG, "ml: input %zu is not finite", i);
    }
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_ml_model_loss_grad(struct clave_ml_model *model, const double *x,
                                      const double *y, size_t n, double *grad, double *loss)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct pass p = {0};
    CLAVE_ENSURE(model != NULL && x != NULL && y != NULL, CLAVE_ERR_ARG, "ml: NULL argument");
    CLAVE_CHECK(check_inputs(model, x, n));
    CLAVE_CHECK(ml__check_labels(model, y, n));
    CLAVE_CHECK(pass_alloc(model, n, x, &p));
    forward(model, &p);
    double l = output_delta(model, p.act[model->layers], y, n);
    if (grad != NULL) {
        CLAVE_CHECK(backward(model, &p, grad));
    }
    if (loss != NULL) {
        *loss = l;
    }
    st = CLAVE_OK;
done:
    free(p.mem);
    return st;
}

clave_status clave_ml_model_predict(struct clave_ml_model *model, const double *x, size_t n,
                                    double *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct pass p = {0};
    CLAVE_ENSURE(model != NULL && x != NULL && out != NULL, CLAVE_ERR_ARG, "ml: NULL argument");
    CLAVE_CHECK(check_inputs(model, x, n));
    CLAVE_CHECK(pass_alloc(model, n, x, &p));
    forward(model, &p);
    size_t k = model->width[model->layers];
    double *z = p.act[model->layers];
    if (model->spec.kind == CLAVE_ML_LOGISTIC) {
        for (size_t i = 0; i < n; i++) {
            z[i] = 1.0 / (1.0 + exp(-z[i]));
        }
    } else if (model->spec.kind != CLAVE_ML_LINEAR) {
        softmax_rows(z, n, k);
    }
    memcpy(out, z, n * k * sizeof(double));
    st = CLAVE_OK;
done:
    free(p.mem);
    return st;
}
