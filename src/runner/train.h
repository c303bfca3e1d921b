/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The `train` computation: logistic or linear regression on the pooled rows, optionally with
 * DP-SGD (per-example clipping, discrete Gaussian noise, RDP accountant), evaluated on a held-out
 * split. Features are clamped to their declared bounds and scaled to [0, 1] with those bounds
 * only, so no statistic of the private data (means, deviations) shapes the model outside DP.
 */
#ifndef RUNNER_TRAIN_H
#define RUNNER_TRAIN_H

#include "columns.h"
#include "job.h"

struct runner_train_result {
    uint8_t *model; /* docs/formats/model.md; caller frees */
    size_t model_len;
    json_t
        *metrics; /* {rows, train_rows, test_rows, accuracy, auc, loss, dp{...}, baseline{...}} */
    double epsilon, delta; /* what DP-SGD spent (0, 0 without DP) */
};

/* The epsilon and delta this job will spend (the budget to debit before training). */
void runner_train_cost(const struct runner_train *t, double *epsilon, double *delta);

/* Train on `data`: feature columns in spec order, then the label. `data` is not modified. */
clave_status runner_train_run(const struct runner_train *spec, const struct runner_matrix *data,
                              struct runner_train_result *out);

void runner_train_result_clear(struct runner_train_result *r);

/* Apply a model saved by runner_train_run to `inputs` (the first columns: the features in spec
 * order; any further columns are ignored), scaled
 * with the same declared bounds: out[i] is P(y = 1) (logistic) or the prediction (linear). */
clave_status runner_train_predict(const struct runner_train *spec, const uint8_t *model,
                                  size_t model_len, const struct runner_matrix *inputs,
                                  double *out);

#endif
