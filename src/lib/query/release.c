/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Release: for each group of the declared domain (empty ones too, so which groups appear says
 * nothing about the data), each aggregate is computed by the DP library over that group's
 * bounded rows; NULL values are left out of value aggregates (SQL semantics), counts count rows.
 * A group is suppressed when the noisy count of the query's first count aggregate is below the
 * contract's min_group_size; histogram bins below it are withheld likewise. Both read only noisy
 * values, so they are post-processing and cost no budget.
 */
#include "query/run_int.h"

#include "core/check.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct agg_result {
    struct clave_dp_result r;
    int64_t *hist; /* bins entries (histogram) */
    bool *shown;
};

struct release_ctx {
    const struct clave_query *q;
    const struct query_rows *rows;
    struct clave_dp_rng *rng;
    struct clave_dp_row *buf;
    struct agg_result res[CLAVE_QUERY_AGGREGATES_MAX];
    struct clave_dp_noise noise[CLAVE_QUERY_AGGREGATES_MAX]; /* from the first group */
};

/* The rows of group g for aggregate a (value slot `slot`), NULL values dropped. */
static size_t group_rows(struct release_ctx *c, size_t g, const struct query_agg *a, size_t slot)
{
    const struct query_rows *r = c->rows;
    size_t n = 0;
    for (size_t k = r->offset[g]; k < r->offset[g + 1]; k++) {
        size_t i = r->perm[k];
        double v = a->has_column ? r->values[i * r->value_count + slot] : 0.0;
        if (!isnan(v)) {
            c->buf[n++] = (struct clave_dp_row){r->unit[i], v, NULL};
        }
    }
    return n;
}

static clave_status release_agg(struct release_ctx *c, const struct query_agg *a, size_t n,
                                struct agg_result *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const struct clave_query *q = c->q;
    struct clave_dp_bounds b = {a->lower, a->upper, q->max_rows_per_unit, q->grid_bits};
    if (!a->has_column) {
        b = (struct clave_dp_bounds){0.0, 1.0, q->max_rows_per_unit, 0};
    }
    int64_t threshold = q->min_group_size > 1 ? (int64_t)q->min_group_size : INT64_MIN;
    switch (a->op) {
    case QUERY_AGG_COUNT:
        CLAVE_CHECK(clave_dp_count(c->rng, c->buf, n, &b, &a->params, &out->r));
        break;
    case QUERY_AGG_SUM:
        CLAVE_CHECK(clave_dp_sum(c->rng, c->buf, n, &b, &a->params, &out->r));
        break;
    case QUERY_AGG_MEAN:
        CLAVE_CHECK(clave_dp_mean(c->rng, c->buf, n, &b, &a->params, &out->r));
        break;
    case QUERY_AGG_VARIANCE:
        CLAVE_CHECK(clave_dp_variance(c->rng, c->buf, n, &b, &a->params, &out->r));
        break;
    case QUERY_AGG_QUANTILE:
        CLAVE_CHECK(clave_dp_quantile(c->rng, c->buf, n, &b, &a->params, a->quantile, &out->r));
        break;
    case QUERY_AGG_HISTOGRAM:
        CLAVE_CHECK(clave_dp_histogram_thresholded(c->rng, c->buf, n, &b, &a->params, a->bins,
                                                   threshold, out->hist, out->shown, NULL));
        CLAVE_CHECK(clave_dp_noise_calibrate(&a->params, q->max_rows_per_unit, 0, &out->r.noise));
        break;
    }
    st = CLAVE_OK;
done:
    return st;
}

static json_t *literal_json(const struct query_literal *l)
{
    switch (l->type) {
    case CLAVE_QUERY_INT:
        return json_integer(l->i);
    case CLAVE_QUERY_BOOL:
        return json_boolean(l->i != 0);
    case CLAVE_QUERY_FLOAT:
        return json_real(l->f);
    default:
        return json_string(l->s);
    }
}

static json_t *value_json(const struct query_agg *a, const struct agg_result *r)
{
    if (a->op == QUERY_AGG_COUNT) {
        return json_integer(r->r.grid_value);
    }
    if (a->op != QUERY_AGG_HISTOGRAM) {
        return json_real(r->r.value);
    }
    json_t *arr = json_array();
    for (size_t i = 0; arr != NULL && i < a->bins; i++) {
        if (json_array_append_new(arr, r->shown[i] ? json_integer(r->hist[i]) : json_null()) != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

/* {"key": [...], "released": bool, "values": {...}} for group g. */
static clave_status group_json(struct release_ctx *c, size_t g, json_t *groups)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const struct clave_query *q = c->q;
    json_t *obj = json_object(), *key = json_array(), *values = json_object();
    size_t rest = g, slot = 0;
    CLAVE_ENSURE(obj != NULL && key != NULL && values != NULL, CLAVE_ERR_NOMEM, "out of memory");
    for (size_t j = 0; j < q->group_count; j++) {
        const struct query_group *gr = &q->groups[j];
        CLAVE_ENSURE(json_array_append_new(key, literal_json(&gr->keys[rest % gr->key_count])) == 0,
                     CLAVE_ERR_NOMEM, "out of memory");
        rest /= gr->key_count;
    }
    for (size_t i = 0; i < q->agg_count; i++) {
        const struct query_agg *a = &q->aggs[i];
        size_t n = group_rows(c, g, a, slot);
        slot += a->has_column;
        CLAVE_CHECK_CTX(release_agg(c, a, n, &c->res[i]), "query.aggregates[%zu]: ", i);
        c->noise[i] = g == 0 ? c->res[i].r.noise : c->noise[i];
    }
    bool shown = q->threshold_agg == q->agg_count || q->min_group_size <= 1 ||
                 c->res[q->threshold_agg].r.grid_value >= (int64_t)q->min_group_size;
    for (size_t i = 0; shown && i < q->agg_count; i++) {
        CLAVE_ENSURE(
            json_object_set_new(values, q->aggs[i].name, value_json(&q->aggs[i], &c->res[i])) == 0,
            CLAVE_ERR_NOMEM, "out of memory");
    }
    CLAVE_ENSURE(json_object_set(obj, "key", key) == 0 &&
                     json_object_set_new(obj, "released", json_boolean(shown)) == 0 &&
                     (!shown || json_object_set(obj, "values", values) == 0) &&
                     json_array_append(groups, obj) == 0,
                 CLAVE_ERR_NOMEM, "out of memory");
    st = CLAVE_OK;
done:
    json_decref(obj);
    json_decref(key);
    json_decref(values);
    return st;
}

static clave_status ctx_init(struct release_ctx *c)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    size_t most = 1;
    for (size_t g = 0; g < c->q->group_total; g++) {
        size_t n = c->rows->offset[g + 1] - c->rows->offset[g];
        most = n > most ? n : most;
    }
    c->buf = calloc(most, sizeof(*c->buf));
    CLAVE_ENSURE_ALLOC(c->buf);
    for (size_t i = 0; i < c->q->agg_count; i++) {
        size_t bins = c->q->aggs[i].op == QUERY_AGG_HISTOGRAM ? c->q->aggs[i].bins : 0;
        if (bins > 0) {
            c->res[i].hist = calloc(bins, sizeof(int64_t));
            c->res[i].shown = calloc(bins, sizeof(bool));
            CLAVE_ENSURE_ALLOC(c->res[i].hist);
            CLAVE_ENSURE_ALLOC(c->res[i].shown);
        }
    }
    CLAVE_CHECK(clave_dp_rng_new(&c->rng));
    st = CLAVE_OK;
done:
    return st;
}

static void ctx_free(struct release_ctx *c)
{
    if (c->buf != NULL) {
        volatile struct clave_dp_row *b = c->buf; /* plaintext values: wipe */
        size_t n = 1;
        for (size_t g = 0; g < c->q->group_total; g++) {
            size_t k = c->rows->offset[g + 1] - c->rows->offset[g];
            n = k > n ? k : n;
        }
        for (size_t i = 0; i < n; i++) {
            b[i].value = 0.0;
            b[i].user = 0;
        }
    }
    free(c->buf);
    for (size_t i = 0; i < CLAVE_QUERY_AGGREGATES_MAX; i++) {
        free(c->res[i].hist);
        free(c->res[i].shown);
    }
    clave_dp_rng_free(c->rng);
}

clave_status query__release(const struct clave_query *q, const struct query_rows *rows,
                            char **out_json)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct release_ctx c = {.q = q, .rows = rows};
    json_t *groups = json_array(), *doc = NULL;
    CLAVE_ENSURE(groups != NULL, CLAVE_ERR_NOMEM, "out of memory");
    CLAVE_CHECK(ctx_init(&c));
    for (size_t g = 0; g < q->group_total; g++) {
        CLAVE_CHECK(group_json(&c, g, groups));
    }
    CLAVE_CHECK(query__result_doc(q, c.noise, groups, &doc));
    *out_json = json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(17));
    CLAVE_ENSURE(*out_json != NULL, CLAVE_ERR_NOMEM, "out of memory");
    st = CLAVE_OK;
done:
    ctx_free(&c);
    json_decref(groups);
    json_decref(doc);
    return st;
}
