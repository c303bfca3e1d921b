/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Query spec parser, second half. Layouts (docs/runner.md, "Query spec"):
 *   filter:    {"column": ref, "op": "="|"!="|"<"|"<="|">"|">=", "value": literal}
 *              {"column": ref, "op": "in", "values": [literal, ...]}
 *   group_by:  {"column": ref, "keys": [literal, ...]}      (the public partition domain)
 *   aggregate: {"name": label, "op": "count"|"sum"|"mean"|"variance"|"quantile"|"histogram",
 *               "column": ref, "lower": x, "upper": y, "quantile": p, "bins": n, "weight": w}
 */
#include "query/spec_parts.h"

#include "core/check.h"

#include <clave/json.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Every value must stay exact on the grid: |x| 2^k <= 2^52 (the DP library's rule). */
#define GRID_LIMIT 4503599627370496.0

static bool column_named(const struct clave_query *q, size_t t, const char *name, size_t *col)
{
    for (size_t c = 0; c < q->tables[t].column_count; c++) {
        if (strcmp(q->tables[t].columns[c].name, name) == 0) {
            *col = c;
            return true;
        }
    }
    return false;
}

static bool resolve(const struct clave_query *q, const char *ref, struct query_colref *out,
                    bool *ambiguous)
{
    bool found = false;
    const char *dot = strchr(ref, '.');
    size_t col = 0;
    *ambiguous = false;
    for (size_t t = 0; dot != NULL && t < q->table_count; t++) {
        size_t n = (size_t)(dot - ref);
        if (strlen(q->tables[t].alias) == n && strncmp(q->tables[t].alias, ref, n) == 0 &&
            column_named(q, t, dot + 1, &col)) {
            *out = (struct query_colref){t, col};
            found = true;
        }
    }
    if (q->table_count == 1 && column_named(q, 0, ref, &col)) {
        *ambiguous = found && out->column != col;
        *out = (struct query_colref){0, col};
        found = true;
    }
    return found;
}

clave_status query__parse_ref(const struct clave_query *q, const json_t *obj, const char *key,
                              const char *where, bool required, struct query_colref *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const char *ref = NULL;
    bool ambiguous = false;
    *out = (struct query_colref){0, 0};
    CLAVE_CHECK(clave_json_get_string(obj, where, key, required,
                                      QUERY_ALIAS_MAX + 1 + CLAVE_QUERY_NAME_MAX, &ref));
    if (ref == NULL) {
        return CLAVE_OK;
    }
    CLAVE_ENSURE(resolve(q, ref, out, &ambiguous), CLAVE_ERR_FORMAT,
                 "%s.%s: unknown column (use alias.column)", where, key);
    CLAVE_ENSURE(!ambiguous, CLAVE_ERR_FORMAT, "%s.%s: ambiguous column (use alias.column)", where,
                 key);
    st = CLAVE_OK;
done:
    return st;
}

static bool allowed(const struct clave_query *q, const struct clave_query_rules *rules,
                    struct query_colref r)
{
    const char *name = query__column(q, r)->name;
    const struct query_table *t = &q->tables[r.table];
    for (size_t i = 0; i < rules->allowed_column_count; i++) {
        const char *a = rules->allowed_columns[i];
        if (a == NULL) {
            continue;
        }
        if (strcmp(a, "*") == 0 || strcmp(a, name) == 0) {
            return true;
        }
        for (size_t d = 0; d < t->dataset_count; d++) {
            size_t n = strlen(t->datasets[d]);
            if (strncmp(a, t->datasets[d], n) == 0 && a[n] == '.' && strcmp(a + n + 1, name) == 0) {
                return true;
            }
        }
    }
    return false;
}

/* A column reference that must be allowed by the contract's output columns. */
static clave_status allowed_ref(const struct clave_query *q, const json_t *obj, const char *where,
                                const struct clave_query_rules *rules, bool required,
                                struct query_colref *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_CHECK(query__parse_ref(q, obj, "column", where, required, out));
    CLAVE_ENSURE(json_object_get(obj, "column") == NULL || allowed(q, rules, *out),
                 CLAVE_ERR_FORMAT, "%s.column: not allowed by the contract's output columns",
                 where);
    st = CLAVE_OK;
done:
    return st;
}

/* An array of 1..max literals of `type` (distinct when `distinct`). */
static clave_status literal_list(const json_t *arr, clave_query_type type, const char *where,
                                 size_t max, bool distinct, struct query_literal **out,
                                 size_t *count)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char path[CLAVE_JSON_PATH_MAX];
    size_t n = json_array_size(arr);
    CLAVE_ENSURE(n >= 1 && n <= max, CLAVE_ERR_FORMAT, "%s: between 1 and %zu values", where, max);
    *out = calloc(n, sizeof(**out));
    CLAVE_ENSURE_ALLOC(*out);
    for (size_t i = 0; i < n; i++) {
        clave_json_path_index(path, sizeof(path), where, i);
        CLAVE_CHECK(query__literal(json_array_get(arr, i), type, path, &(*out)[i]));
        *count = i + 1;
        for (size_t j = 0; distinct && j < i; j++) {
            CLAVE_ENSURE(!query__literal_equal(&(*out)[i], &(*out)[j]), CLAVE_ERR_FORMAT,
                         "%s: duplicate value", path);
        }
    }
    st = CLAVE_OK;
done:
    return st;
}

static const char *const OP_TEXT[] = {
    [QUERY_OP_EQ] = "=", [QUERY_OP_NE] = "!=", [QUERY_OP_LT] = "<",  [QUERY_OP_LE] = "<=",
    [QUERY_OP_GT] = ">", [QUERY_OP_GE] = ">=", [QUERY_OP_IN] = "in",
};

const char *query__op_sql(query_op op)
{
    return op == QUERY_OP_IN ? "IN" : OP_TEXT[op];
}

static clave_status parse_filter(struct clave_query *q, json_t *e, const char *where,
                                 const struct clave_query_rules *rules)
{
    static const char *const KEYS[] = {"column", "op", "value", "values", NULL};
    clave_status st = CLAVE_ERR_INTERNAL;
    struct query_filter *f = &q->filters[q->filter_count];
    const char *op = NULL;
    json_t *values = NULL;
    char path[CLAVE_JSON_PATH_MAX];
    CLAVE_CHECK(clave_json_expect_object(e, where));
    CLAVE_CHECK(clave_json_only_keys(e, where, KEYS));
    CLAVE_CHECK(allowed_ref(q, e, where, rules, true, &f->column));
    CLAVE_CHECK(clave_json_get_string(e, where, "op", true, 2, &op));
    for (int i = QUERY_OP_EQ; i <= QUERY_OP_IN; i++) {
        f->op = strcmp(op, OP_TEXT[i]) == 0 ? (query_op)i : f->op;
    }
    CLAVE_ENSURE(f->op != 0, CLAVE_ERR_FORMAT, "%s.op: expected =, !=, <, <=, >, >= or in", where);
    clave_query_type type = query__column(q, f->column)->type;
    bool ordered = type == CLAVE_QUERY_INT || type == CLAVE_QUERY_FLOAT || type == CLAVE_QUERY_DATE;
    CLAVE_ENSURE(ordered || f->op == QUERY_OP_EQ || f->op == QUERY_OP_NE || f->op == QUERY_OP_IN,
                 CLAVE_ERR_FORMAT, "%s.op: %s columns allow only =, != and in", where,
                 query__type_name(type));
    q->filter_count++; /* f's literals are owned by q from here */
    if (f->op == QUERY_OP_IN) {
        CLAVE_ENSURE(json_object_get(e, "value") == NULL, CLAVE_ERR_FORMAT,
                     "%s.value: use values with in", where);
        CLAVE_CHECK(clave_json_get_array(e, where, "values", true, CLAVE_QUERY_IN_MAX, &values));
        clave_json_path_key(path, sizeof(path), where, "values");
        CLAVE_CHECK(literal_list(values, type, path, CLAVE_QUERY_IN_MAX, false, &f->values,
                                 &f->value_count));
    } else {
        json_t *v = json_object_get(e, "value");
        CLAVE_ENSURE(v != NULL && json_object_get(e, "values") == NULL, CLAVE_ERR_FORMAT,
                     "%s.value: missing (values is only for in)", where);
        f->values = calloc(1, sizeof(*f->values));
        CLAVE_ENSURE_ALLOC(f->values);
        f->value_count = 1;
        CLAVE_CHECK(query__literal(v, type, clave_json_path_key(path, sizeof(path), where, "value"),
                                   f->values));
    }
    st = CLAVE_OK;
done:
    return st;
}

clave_status query__parse_filters(struct clave_query *q, json_t *doc,
                                  const struct clave_query_rules *rules)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *arr = NULL;
    char path[CLAVE_JSON_PATH_MAX];
    CLAVE_CHECK(
        clave_json_get_array(doc, "query", "filters", false, CLAVE_QUERY_FILTERS_MAX, &arr));
    for (size_t i = 0; i < json_array_size(arr); i++) {
        clave_json_path_index(path, sizeof(path), "query.filters", i);
        CLAVE_CHECK(parse_filter(q, json_array_get(arr, i), path, rules));
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status parse_group(struct clave_query *q, json_t *e, const char *where,
                                const struct clave_query_rules *rules)
{
    static const char *const KEYS[] = {"column", "keys", NULL};
    clave_status st = CLAVE_ERR_INTERNAL;
    struct query_group *g = &q->groups[q->group_count];
    json_t *keys = NULL;
    char path[CLAVE_JSON_PATH_MAX];
    CLAVE_CHECK(clave_json_expect_object(e, where));
    CLAVE_CHECK(clave_json_only_keys(e, where, KEYS));
    CLAVE_CHECK(allowed_ref(q, e, where, rules, true, &g->column));
    clave_query_type type = query__column(q, g->column)->type;
    CLAVE_ENSURE(type != CLAVE_QUERY_FLOAT, CLAVE_ERR_FORMAT,
                 "%s.column: cannot group by a float column", where);
    for (size_t i = 0; i < q->group_count; i++) {
        CLAVE_ENSURE(q->groups[i].column.table != g->column.table ||
                         q->groups[i].column.column != g->column.column,
                     CLAVE_ERR_FORMAT, "%s.column: grouped twice", where);
    }
    CLAVE_CHECK(clave_json_get_array(e, where, "keys", true, CLAVE_QUERY_GROUP_KEYS_MAX, &keys));
    q->group_count++;
    clave_json_path_key(path, sizeof(path), where, "keys");
    CLAVE_CHECK(
        literal_list(keys, type, path, CLAVE_QUERY_GROUP_KEYS_MAX, true, &g->keys, &g->key_count));
    CLAVE_ENSURE(q->group_total * g->key_count <= CLAVE_QUERY_GROUP_KEYS_MAX, CLAVE_ERR_FORMAT,
                 "%s.keys: more than %d groups in all", where, CLAVE_QUERY_GROUP_KEYS_MAX);
    q->group_total *= g->key_count;
    st = CLAVE_OK;
done:
    return st;
}

clave_status query__parse_groups(struct clave_query *q, json_t *doc,
                                 const struct clave_query_rules *rules)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *arr = NULL;
    char path[CLAVE_JSON_PATH_MAX];
    q->group_total = 1;
    CLAVE_CHECK(
        clave_json_get_array(doc, "query", "group_by", false, CLAVE_QUERY_GROUP_COLUMNS_MAX, &arr));
    for (size_t i = 0; i < json_array_size(arr); i++) {
        clave_json_path_index(path, sizeof(path), "query.group_by", i);
        CLAVE_CHECK(parse_group(q, json_array_get(arr, i), path, rules));
    }
    st = CLAVE_OK;
done:
    return st;
}

static const char *const AGG_NAMES[] = {
    [QUERY_AGG_COUNT] = "count",       [QUERY_AGG_SUM] = "sum",
    [QUERY_AGG_MEAN] = "mean",         [QUERY_AGG_VARIANCE] = "variance",
    [QUERY_AGG_QUANTILE] = "quantile", [QUERY_AGG_HISTOGRAM] = "histogram",
};

const char *query__agg_op_name(query_agg_op op)
{
    return op >= QUERY_AGG_COUNT && op <= QUERY_AGG_HISTOGRAM ? AGG_NAMES[op] : "?";
}

static clave_status agg_bounds(struct clave_query *q, struct query_agg *a, json_t *e,
                               const char *where)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    clave_query_type type = query__column(q, a->column)->type;
    CLAVE_ENSURE(type == CLAVE_QUERY_INT || type == CLAVE_QUERY_FLOAT || type == CLAVE_QUERY_BOOL,
                 CLAVE_ERR_FORMAT, "%s.column: %s needs an int, float or bool column", where,
                 AGG_NAMES[a->op]);
    CLAVE_CHECK(query__get_number(e, where, "lower", true, &a->lower, NULL));
    CLAVE_CHECK(query__get_number(e, where, "upper", true, &a->upper, NULL));
    CLAVE_ENSURE(a->lower < a->upper, CLAVE_ERR_FORMAT,
                 "%s.lower: bounds reversed or equal "
                 "(lower must be < upper)",
                 where);
    CLAVE_ENSURE(ldexp(fabs(a->lower), q->grid_bits) < GRID_LIMIT &&
                     ldexp(fabs(a->upper), q->grid_bits) < GRID_LIMIT,
                 CLAVE_ERR_FORMAT, "%s.upper: |bound| * 2^grid_bits must be < 2^52", where);
    st = CLAVE_OK;
done:
    return st;
}

static clave_status agg_options(struct query_agg *a, json_t *e, const char *where)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    bool has_q = false;
    int64_t bins = 0;
    CLAVE_CHECK(
        query__get_number(e, where, "quantile", a->op == QUERY_AGG_QUANTILE, &a->quantile, &has_q));
    CLAVE_ENSURE(a->op == QUERY_AGG_QUANTILE ? a->quantile > 0.0 && a->quantile < 1.0 : !has_q,
                 CLAVE_ERR_FORMAT, "%s.quantile: only for quantile, in (0, 1)", where);
    CLAVE_CHECK(clave_json_get_int(e, where, "bins", a->op == QUERY_AGG_HISTOGRAM, 1,
                                   CLAVE_QUERY_BINS_MAX, &bins));
    CLAVE_ENSURE(a->op == QUERY_AGG_HISTOGRAM || json_object_get(e, "bins") == NULL,
                 CLAVE_ERR_FORMAT, "%s.bins: only for histogram", where);
    a->bins = (size_t)bins;
    CLAVE_CHECK(query__get_number(e, where, "weight", false, &a->weight, &has_q));
    a->weight = has_q ? a->weight : 1.0;
    CLAVE_ENSURE(a->weight >= 1.0 / QUERY_WEIGHT_MAX && a->weight <= QUERY_WEIGHT_MAX,
                 CLAVE_ERR_FORMAT, "%s.weight: must be in [0.001, 1000]", where);
    st = CLAVE_OK;
done:
    return st;
}

static clave_status parse_agg(struct clave_query *q, json_t *e, const char *where,
                              const struct clave_query_rules *rules)
{
    static const char *const KEYS[] = {"name",     "op",   "column", "lower", "upper",
                                       "quantile", "bins", "weight", NULL};
    clave_status st = CLAVE_ERR_INTERNAL;
    struct query_agg *a = &q->aggs[q->agg_count];
    const char *name = NULL, *op = NULL;
    CLAVE_CHECK(clave_json_expect_object(e, where));
    CLAVE_CHECK(clave_json_only_keys(e, where, KEYS));
    CLAVE_CHECK(clave_json_get_string(e, where, "name", true, QUERY_LABEL_MAX, &name));
    CLAVE_ENSURE(query__valid_name(name, QUERY_LABEL_MAX, "_.-"), CLAVE_ERR_FORMAT,
                 "%s.name: expected [A-Za-z0-9_.-]{1,64}", where);
    for (size_t i = 0; i < q->agg_count; i++) {
        CLAVE_ENSURE(strcmp(q->aggs[i].name, name) != 0, CLAVE_ERR_FORMAT,
                     "%s.name: duplicate aggregate name", where);
    }
    memcpy(a->name, name, strlen(name) + 1);
    CLAVE_CHECK(clave_json_get_string(e, where, "op", true, 16, &op));
    for (int i = QUERY_AGG_COUNT; i <= QUERY_AGG_HISTOGRAM; i++) {
        a->op = strcmp(op, AGG_NAMES[i]) == 0 ? (query_agg_op)i : a->op;
    }
    CLAVE_ENSURE(a->op != 0, CLAVE_ERR_FORMAT,
                 "%s.op: expected count, sum, mean, variance, quantile or histogram", where);
    a->has_column = a->op != QUERY_AGG_COUNT;
    CLAVE_ENSURE(a->has_column ||
                     (json_object_get(e, "column") == NULL && json_object_get(e, "lower") == NULL &&
                      json_object_get(e, "upper") == NULL),
                 CLAVE_ERR_FORMAT, "%s.column: count takes no column or bounds", where);
    CLAVE_CHECK(allowed_ref(q, e, where, rules, a->has_column, &a->column));
    if (a->has_column) {
        CLAVE_CHECK(agg_bounds(q, a, e, where));
    }
    CLAVE_CHECK(agg_options(a, e, where));
    q->agg_count++;
    st = CLAVE_OK;
done:
    return st;
}

/* Each aggregate gets weight / total of the query's epsilon (and delta), shrunk by 2^-40 so
 * that the rounded shares never add up to more than the spec's total (basic composition). */
static void split_budget(struct clave_query *q)
{
    double total = 0.0;
    for (size_t i = 0; i < q->agg_count; i++) {
        total += q->aggs[i].weight;
    }
    for (size_t i = 0; i < q->agg_count; i++) {
        double share = q->aggs[i].weight / total * (1.0 - ldexp(1.0, -40));
        q->aggs[i].params = (struct clave_dp_params){
            .mechanism = q->mechanism,
            .epsilon = q->epsilon * share,
            .delta = q->mechanism == CLAVE_DP_GAUSSIAN ? q->delta * share : 0.0,
        };
    }
}

clave_status query__parse_aggregates(struct clave_query *q, json_t *doc,
                                     const struct clave_query_rules *rules)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *arr = NULL;
    char path[CLAVE_JSON_PATH_MAX];
    CLAVE_CHECK(
        clave_json_get_array(doc, "query", "aggregates", true, CLAVE_QUERY_AGGREGATES_MAX, &arr));
    CLAVE_ENSURE(json_array_size(arr) >= 1, CLAVE_ERR_FORMAT, "query.aggregates: empty");
    for (size_t i = 0; i < json_array_size(arr); i++) {
        clave_json_path_index(path, sizeof(path), "query.aggregates", i);
        CLAVE_CHECK(parse_agg(q, json_array_get(arr, i), path, rules));
    }
    q->threshold_agg = q->agg_count;
    for (size_t i = q->agg_count; i > 0; i--) {
        q->threshold_agg = q->aggs[i - 1].op == QUERY_AGG_COUNT ? i - 1 : q->threshold_agg;
    }
    CLAVE_ENSURE(q->min_group_size <= 1 || q->threshold_agg < q->agg_count, CLAVE_ERR_FORMAT,
                 "query.aggregates: the contract's min_group_size %llu needs a count aggregate",
                 (unsigned long long)q->min_group_size);
    split_budget(q);
    st = CLAVE_OK;
done:
    return st;
}
