/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The result document (docs/runner.md, "Query spec", "Result"):
 *   {"name", "privacy": {mechanism, epsilon, delta, composition, neighbouring, privacy_unit,
 *    max_rows_per_unit, grid_bits, min_group_size}, "group_by": [ref...],
 *    "aggregates": [{name, op, column, lower, upper, quantile|bins, epsilon, delta,
 *    noise: {mechanism, scale|sigma2, sensitivity, grid_bits}}], "groups": [...],
 *    "epsilon_spent", "delta_spent"}
 */
#include "query/run_int.h"

#include "core/check.h"

#include <jansson.h>
#include <stdio.h>

static json_t *ref_json(const struct clave_query *q, struct query_colref r)
{
    char text[QUERY_ALIAS_MAX + CLAVE_QUERY_NAME_MAX + 2];
    snprintf(text, sizeof(text), "%s.%s", q->tables[r.table].alias, query__column(q, r)->name);
    return json_string(text);
}

static json_t *noise_json(const struct clave_dp_noise *n)
{
    double v = n->den > 0 ? (double)n->num / (double)n->den : 0.0;
    return json_pack("{s:s, s:f, s:I, s:i}", "mechanism",
                     n->mechanism == CLAVE_DP_GAUSSIAN ? "discrete-gaussian" : "discrete-laplace",
                     n->mechanism == CLAVE_DP_GAUSSIAN ? "sigma2" : "scale", v, "sensitivity",
                     (json_int_t)n->sensitivity, "grid_bits", n->grid_bits);
}

static json_t *agg_json(const struct clave_query *q, const struct query_agg *a,
                        const struct clave_dp_noise *noise)
{
    json_t *o = json_pack("{s:s, s:s, s:f, s:f, s:o}", "name", a->name, "op",
                          query__agg_op_name(a->op), "epsilon", a->params.epsilon, "delta",
                          a->params.delta, "noise", noise_json(noise));
    if (o != NULL && a->has_column) {
        if (json_object_set_new(o, "column", ref_json(q, a->column)) != 0 ||
            json_object_set_new(o, "lower", json_real(a->lower)) != 0 ||
            json_object_set_new(o, "upper", json_real(a->upper)) != 0 ||
            (a->op == QUERY_AGG_QUANTILE &&
             json_object_set_new(o, "quantile", json_real(a->quantile)) != 0) ||
            (a->op == QUERY_AGG_HISTOGRAM &&
             json_object_set_new(o, "bins", json_integer((json_int_t)a->bins)) != 0)) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

static json_t *privacy_json(const struct clave_query *q)
{
    double epsilon = 0.0, delta = 0.0;
    clave_query_cost(q, &epsilon, &delta);
    return json_pack(
        "{s:s, s:f, s:f, s:s, s:s, s:o, s:i, s:i, s:I}", "mechanism",
        clave_dp_mechanism_name(q->mechanism), "epsilon", epsilon, "delta", delta, "composition",
        "basic over aggregates (shares by weight); groups are disjoint after per-unit bounding",
        "neighbouring", "add or remove one privacy unit (all its rows in every table)",
        "privacy_unit", q->has_unit ? ref_json(q, q->unit) : json_string("row"),
        "max_rows_per_unit", (int)q->max_rows_per_unit, "grid_bits", q->grid_bits, "min_group_size",
        (json_int_t)q->min_group_size);
}

clave_status query__result_doc(const struct clave_query *q, const struct clave_dp_noise *noise,
                               json_t *groups, json_t **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *doc = NULL, *aggs = json_array(), *by = json_array();
    double epsilon = 0.0, delta = 0.0;
    *out = NULL;
    CLAVE_ENSURE(aggs != NULL && by != NULL, CLAVE_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < q->agg_count; i++) {
        CLAVE_ENSURE(json_array_append_new(aggs, agg_json(q, &q->aggs[i], &noise[i])) == 0,
                     CLAVE_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < q->group_count; i++) {
        CLAVE_ENSURE(json_array_append_new(by, ref_json(q, q->groups[i].column)) == 0,
                     CLAVE_ERR_NOMEM, "out of memory");
    }
    clave_query_cost(q, &epsilon, &delta);
    doc = json_pack("{s:s, s:o, s:O, s:O, s:O, s:f, s:f}", "name", q->name, "privacy",
                    privacy_json(q), "group_by", by, "aggregates", aggs, "groups", groups,
                    "epsilon_spent", epsilon, "delta_spent", delta);
    CLAVE_ENSURE(doc != NULL, CLAVE_ERR_NOMEM, "out of memory");
    *out = doc;
    st = CLAVE_OK;
done:
    json_decref(aggs);
    json_decref(by);
    return st;
}
