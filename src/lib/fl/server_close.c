/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Closing a round: the aggregate of the reporting clients (weighted mean, robust statistic, or
 * the exact SecAgg+ sum divided by the summed weights), central DP noise for a TEE aggregator
 * (clip each update, sum on the 2^-bits grid, add one discrete Gaussian per coordinate of
 * variance (z * sensitivity)^2), then the server strategy.
 */
#include "core/check.h"
#include "fl/server_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

clave_status fl__encode_model(struct clave_fl_server *s)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    free(s->model_bytes);
    s->model_bytes = NULL;
    CLAVE_CHECK(clave_ml_model_save(s->model, &s->model_bytes, &s->model_len));
    st = CLAVE_OK;
done:
    return st;
}

/* Central DP over the reported rows (each clipped in place): the noisy mean update. */
static clave_status central_dp_mean(struct clave_fl_server *s, const size_t *slots, size_t k,
                                    double *delta)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint32_t bits = s->cfg.fixed_point_bits;
    uint64_t *words = calloc(s->dim, sizeof(uint64_t));
    CLAVE_ENSURE_ALLOC(words);
    for (size_t r = 0; r < k; r++) {
        double *row = s->updates + slots[r] * s->dim;
        CLAVE_CHECK(clave_dp_clip_l2(row, s->dim, s->cfg.dp_clip, NULL));
        for (size_t i = 0; i < s->dim; i++) {
            words[i] += fl__encode(row[i], bits);
        }
    }
    double sigma = s->cfg.dp_noise_multiplier * fl__dp_sensitivity(&s->cfg, s->dim);
    CLAVE_CHECK(fl__add_noise(s->rng, sigma * sigma, words, s->dim));
    for (size_t i = 0; i < s->dim; i++) {
        delta[i] = fl__decode(words[i], bits) / (double)k;
    }
    st = CLAVE_OK;
done:
    free(words);
    return st;
}

static clave_status plain_aggregate(struct clave_fl_server *s, const size_t *slots, size_t k,
                                    double *delta)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    double *rows = NULL;
    if (s->cfg.dp == CLAVE_FL_DP_CENTRAL) {
        CLAVE_CHECK(central_dp_mean(s, slots, k, delta));
    } else if (s->cfg.aggregation == CLAVE_FL_AGG_MEAN) {
        double total = 0.0;
        memset(delta, 0, s->dim * sizeof(double));
        for (size_t r = 0; r < k; r++) {
            const double *row = s->updates + slots[r] * s->dim;
            total += s->weights[slots[r]];
            for (size_t i = 0; i < s->dim; i++) {
                delta[i] += s->weights[slots[r]] * row[i];
            }
        }
        for (size_t i = 0; i < s->dim; i++) {
            delta[i] /= total;
        }
    } else {
        rows = malloc(k * s->dim * sizeof(double));
        CLAVE_ENSURE_ALLOC(rows);
        for (size_t r = 0; r < k; r++) {
            memcpy(rows + r * s->dim, s->updates + slots[r] * s->dim, s->dim * sizeof(double));
        }
        CLAVE_CHECK(fl__robust(&s->cfg, rows, k, s->dim, delta));
    }
    st = CLAVE_OK;
done:
    free(rows);
    return st;
}

static void apply(struct clave_fl_server *s, const double *delta)
{
    double *w = clave_ml_model_params(s->model, NULL);
    fl__server_apply(&s->cfg, &s->opt, w, delta, s->dim);
}

clave_status fl__close_plain(struct clave_fl_server *s)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    size_t *slots = malloc(s->cfg.clients_per_round * sizeof(size_t));
    double *delta = malloc(s->dim * sizeof(double));
    size_t k = 0;
    double loss = 0.0, total = 0.0;
    CLAVE_ENSURE(slots != NULL && delta != NULL, CLAVE_ERR_NOMEM, "out of memory");
    for (uint32_t i = 0; i < s->cfg.clients_per_round; i++) {
        if (s->state[s->selected[i] - 1] == FL_REPORTED) {
            slots[k++] = i;
            loss += s->weights[i] * s->losses[i];
            total += s->weights[i];
        }
    }
    s->report.reported = (uint32_t)k;
    if (k < s->cfg.min_clients) {
        s->report.aborted = true;
        st = CLAVE_OK;
        goto done;
    }
    CLAVE_CHECK(plain_aggregate(s, slots, k, delta));
    apply(s, delta);
    s->report.train_loss = s->cfg.dp != CLAVE_FL_DP_NONE ? NAN : loss / total;
    st = CLAVE_OK;
done:
    free(slots);
    free(delta);
    return st;
}

clave_status fl__apply_sum(struct clave_fl_server *s, const uint64_t *words, uint32_t reported)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint32_t bits = s->cfg.fixed_point_bits;
    double *delta = malloc(s->dim * sizeof(double));
    CLAVE_ENSURE_ALLOC(delta);
    s->report.reported = reported;
    double total = (double)words[s->dim]; /* summed weights: exact integers */
    CLAVE_ENSURE(total >= 1.0 && total <= (double)reported * CLAVE_FL_MAX_WEIGHT, CLAVE_ERR_FORMAT,
                 "fl: the summed weights are out of range");
    for (size_t i = 0; i < s->dim; i++) {
        delta[i] = fl__decode(words[i], bits) / total;
    }
    apply(s, delta);
    s->report.train_loss =
        s->cfg.dp != CLAVE_FL_DP_NONE ? NAN : fl__decode(words[s->dim + 1], bits) / total;
    st = CLAVE_OK;
done:
    free(delta);
    return st;
}

clave_status fl__close_secagg_result(struct clave_fl_server *s)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    size_t n = s->dim + FL_EXTRA_WORDS;
    uint64_t *words = malloc(n * sizeof(uint64_t));
    CLAVE_ENSURE_ALLOC(words);
    CLAVE_CHECK(clave_secagg_server_result(s->sa, words, n));
    CLAVE_CHECK(fl__apply_sum(s, words, (uint32_t)clave_secagg_server_survivors(s->sa)));
    st = CLAVE_OK;
done:
    free(words);
    return st;
}
