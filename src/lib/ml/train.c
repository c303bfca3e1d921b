/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Mini-batch training: SGD with (heavy-ball) momentum, v = mu v + g, w -= lr v, and Adam (Kingma
 * & Ba 2015, Algorithm 1). The weight-decay term (wd/2)|w|^2 and the FedProx proximal term
 * (mu/2)|w - w_global|^2 (Li et al. 2020, "Federated Optimization in Heterogeneous Networks",
 * eq. 2) are added to each batch gradient as wd w + mu (w - w_global).
 */
#include "core/check.h"
#include "ml/dataset.h"

#include <clave/dp.h>
#include "ml/model.h"
#include "ml/stream.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define ML_SHUFFLE_LABEL "clave ml v1 shuffle"

struct clave_ml_trainer {
    struct clave_ml_model *model; /* borrowed */
    struct clave_ml_train_opts opts;
    struct ml_stream stream;
    double *prox; /* FedProx anchor or NULL */
    double *m, *v, *grad;
    uint64_t steps;
    /* DP-SGD */
    struct clave_dp_rng *rng;
    double *per_example; /* batch_size x parameters */
    size_t rows;         /* of the last epoch's dataset */
};

struct clave_ml_train_opts clave_ml_train_opts_default(void)
{
    struct clave_ml_train_opts o = {
        .optimizer = CLAVE_ML_SGD,
        .learning_rate = 0.05,
        .momentum = 0.9,
        .beta1 = 0.9,
        .beta2 = 0.999,
        .epsilon = 1e-8,
        .weight_decay = 0.0,
        .batch_size = 32,
        .prox_mu = 0.0,
    };
    return o;
}

static clave_status check_opts(const struct clave_ml_train_opts *o)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(o->optimizer == CLAVE_ML_SGD || o->optimizer == CLAVE_ML_ADAM, CLAVE_ERR_ARG,
                 "ml: unknown optimizer %d", (int)o->optimizer);
    CLAVE_ENSURE(isfinite(o->learning_rate) && o->learning_rate > 0.0, CLAVE_ERR_ARG,
                 "ml: learning_rate must be > 0");
    CLAVE_ENSURE(o->momentum >= 0.0 && o->momentum < 1.0, CLAVE_ERR_ARG,
                 "ml: momentum outside [0, 1)");
    CLAVE_ENSURE(o->beta1 >= 0.0 && o->beta1 < 1.0 && o->beta2 >= 0.0 && o->beta2 < 1.0,
                 CLAVE_ERR_ARG, "ml: beta1/beta2 outside [0, 1)");
    CLAVE_ENSURE(isfinite(o->epsilon) && o->epsilon > 0.0, CLAVE_ERR_ARG,
                 "ml: epsilon must be > 0");
    CLAVE_ENSURE(isfinite(o->weight_decay) && o->weight_decay >= 0.0, CLAVE_ERR_ARG,
                 "ml: weight_decay must be >= 0");
    CLAVE_ENSURE(isfinite(o->prox_mu) && o->prox_mu >= 0.0, CLAVE_ERR_ARG,
                 "ml: prox_mu must be >= 0");
    CLAVE_ENSURE(o->batch_size >= 1, CLAVE_ERR_ARG, "ml: batch_size must be >= 1");
    CLAVE_ENSURE(isfinite(o->dp_noise_multiplier) && o->dp_noise_multiplier >= 0.0 &&
                     o->dp_noise_multiplier <= 1e6,
                 CLAVE_ERR_ARG, "ml: dp_noise_multiplier outside [0, 1e6]");
    CLAVE_ENSURE(o->dp_noise_multiplier == 0.0 || (isfinite(o->dp_clip) && o->dp_clip > 0.0),
                 CLAVE_ERR_ARG, "ml: DP-SGD needs dp_clip > 0");
    CLAVE_ENSURE(o->dp_grid_bits >= 0 && o->dp_grid_bits <= CLAVE_DP_MAX_GRID_BITS, CLAVE_ERR_ARG,
                 "ml: dp_grid_bits outside 0..%d", CLAVE_DP_MAX_GRID_BITS);
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_ml_trainer_new(struct clave_ml_model *model,
                                  const struct clave_ml_train_opts *opts, const uint8_t *seed,
                                  const double *prox_center, struct clave_ml_trainer **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_ml_trainer *t = NULL;
    CLAVE_ENSURE(out != NULL, CLAVE_ERR_ARG, "ml: NULL argument");
    *out = NULL;
    CLAVE_ENSURE(model != NULL && opts != NULL && seed != NULL, CLAVE_ERR_ARG, "ml: NULL argument");
    CLAVE_CHECK(check_opts(opts));
    CLAVE_ENSURE(opts->prox_mu == 0.0 || prox_center != NULL, CLAVE_ERR_ARG,
                 "ml: prox_mu > 0 needs a proximal centre");
    t = calloc(1, sizeof(*t));
    CLAVE_ENSURE_ALLOC(t);
    t->model = model;
    t->opts = *opts;
    size_t n = model->count;
    t->m = calloc(n, sizeof(double));
    t->v = calloc(n, sizeof(double));
    t->grad = calloc(n, sizeof(double));
    CLAVE_ENSURE(t->m != NULL && t->v != NULL && t->grad != NULL, CLAVE_ERR_NOMEM, "out of memory");
    if (opts->prox_mu > 0.0) {
        t->prox = malloc(n * sizeof(double));
        CLAVE_ENSURE_ALLOC(t->prox);
        memcpy(t->prox, prox_center, n * sizeof(double));
    }
    if (opts->dp_noise_multiplier > 0.0) {
        size_t cells = 0;
        CLAVE_ENSURE(!__builtin_mul_overflow((size_t)opts->batch_size, n, &cells) &&
                         cells <= ((size_t)1 << 28),
                     CLAVE_ERR_LIMIT, "ml: DP-SGD batch of per-example gradients too large");
        t->per_example = malloc(cells * sizeof(double));
        CLAVE_ENSURE_ALLOC(t->per_example);
        CLAVE_CHECK(clave_dp_rng_new(&t->rng));
        if (t->opts.dp_grid_bits == 0) {
            t->opts.dp_grid_bits = 20;
        }
    }
    CLAVE_CHECK(ml__stream_init(&t->stream, seed, ML_SHUFFLE_LABEL));
    *out = t;
    t = NULL;
    st = CLAVE_OK;
done:
    clave_ml_trainer_free(t);
    return st;
}

void clave_ml_trainer_free(struct clave_ml_trainer *t)
{
    if (t == NULL) {
        return;
    }
    ml__stream_clear(&t->stream);
    clave_dp_rng_free(t->rng);
    free(t->per_example);
    free(t->prox);
    free(t->m);
    free(t->v);
    free(t->grad);
    free(t);
}

static void apply_step(struct clave_ml_trainer *t)
{
    const struct clave_ml_train_opts *o = &t->opts;
    double *w = t->model->params;
    size_t n = t->model->count;
    t->steps++;
    double bc1 = 1.0 - pow(o->beta1, (double)t->steps);
    double bc2 = 1.0 - pow(o->beta2, (double)t->steps);
    for (size_t i = 0; i < n; i++) {
        double g = t->grad[i] + o->weight_decay * w[i];
        if (t->prox != NULL) {
            g += o->prox_mu * (w[i] - t->prox[i]);
        }
        if (o->optimizer == CLAVE_ML_SGD) {
            t->m[i] = o->momentum * t->m[i] + g;
            w[i] -= o->learning_rate * t->m[i];
        } else {
            t->m[i] = o->beta1 * t->m[i] + (1.0 - o->beta1) * g;
            t->v[i] = o->beta2 * t->v[i] + (1.0 - o->beta2) * g * g;
            w[i] -= o->learning_rate * (t->m[i] / bc1) / (sqrt(t->v[i] / bc2) + o->epsilon);
        }
    }
}

static clave_status check_finite(const struct clave_ml_model *m)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    for (size_t i = 0; i < m->count; i++) {
        CLAVE_ENSURE(isfinite(m->params[i]), CLAVE_ERR_STATE,
                     "ml: training diverged (parameter %zu not finite): lower the learning rate",
                     i);
    }
    st = CLAVE_OK;
done:
    return st;
}

/* DP-SGD gradient of one batch: per-example gradients, clipped, noisy sum, / batch_size. */
static clave_status dp_gradient(struct clave_ml_trainer *t, const struct clave_ml_dataset *b,
                                double *loss)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    size_t dim = t->model->count;
    double total = 0.0;
    for (size_t i = 0; i < b->rows; i++) {
        double l = 0.0;
        CLAVE_CHECK(clave_ml_model_loss_grad(t->model, b->x + i * b->features, b->y + i, 1,
                                             t->per_example + i * dim, &l));
        total += l;
    }
    CLAVE_CHECK(clave_dp_sgd_step(t->rng, t->per_example, b->rows, dim, t->opts.dp_clip,
                                  t->opts.dp_noise_multiplier, t->opts.dp_grid_bits, t->grad));
    for (size_t j = 0; j < dim; j++) {
        t->grad[j] /= (double)t->opts.batch_size;
    }
    *loss = total / (double)b->rows;
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_ml_trainer_dp_epsilon(const struct clave_ml_trainer *t, double delta,
                                         double *epsilon)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_dp_epsilon e = {0};
    CLAVE_ENSURE(t != NULL && epsilon != NULL, CLAVE_ERR_ARG, "ml: NULL argument");
    CLAVE_ENSURE(t->rng != NULL && t->steps > 0 && t->rows > 0, CLAVE_ERR_STATE,
                 "ml: no DP-SGD step taken");
    double q = fmin(1.0, (double)t->opts.batch_size / (double)t->rows);
    CLAVE_CHECK(clave_dp_rdp_epsilon(q, t->opts.dp_noise_multiplier, t->steps, delta,
                                     CLAVE_DP_ORDERS_DP_ACCOUNTING, CLAVE_DP_CONVERSION_IMPROVED,
                                     &e));
    *epsilon = e.epsilon;
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_ml_trainer_epoch(struct clave_ml_trainer *t, const struct clave_ml_dataset *ds,
                                    double *loss)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    size_t *idx = NULL;
    struct clave_ml_dataset *batch = NULL;
    double total = 0.0;
    size_t batches = 0;
    CLAVE_ENSURE(t != NULL && ds != NULL, CLAVE_ERR_ARG, "ml: NULL argument");
    CLAVE_ENSURE(ds->features == t->model->width[0], CLAVE_ERR_ARG,
                 "ml: dataset has %zu features, model %zu", ds->features, t->model->width[0]);
    idx = malloc(ds->rows * sizeof(size_t));
    CLAVE_ENSURE_ALLOC(idx);
    for (size_t i = 0; i < ds->rows; i++) {
        idx[i] = i;
    }
    t->rows = ds->rows;
    ml__stream_shuffle(&t->stream, idx, ds->rows);
    CLAVE_CHECK(ml__stream_status(&t->stream));
    for (size_t off = 0; off < ds->rows; off += t->opts.batch_size) {
        size_t n = ds->rows - off < t->opts.batch_size ? ds->rows - off : t->opts.batch_size;
        double l = 0.0;
        CLAVE_CHECK(ml__dataset_gather(ds, idx + off, n, &batch));
        if (t->rng != NULL) {
            CLAVE_CHECK(dp_gradient(t, batch, &l));
        } else {
            CLAVE_CHECK(clave_ml_model_loss_grad(t->model, batch->x, batch->y, n, t->grad, &l));
        }
        clave_ml_dataset_free(batch);
        batch = NULL;
        apply_step(t);
        total += l;
        batches++;
    }
    CLAVE_CHECK(check_finite(t->model));
    if (loss != NULL) {
        *loss = total / (double)batches;
    }
    st = CLAVE_OK;
done:
    clave_ml_dataset_free(batch);
    free(idx);
    return st;
}
