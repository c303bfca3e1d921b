/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Query spec parser, top level: the document, tables (datasets and their schemas from the
 * rules), joins, the privacy unit and the privacy parameters. Filters, groups and aggregates are
 * in spec_parts.c. Layout (docs/runner.md, "Query spec"):
 *
 *   { "name": label, "tables": [{"dataset": id | "datasets": [id...], "as": alias}],
 *     "joins": [{"left": ref, "right": ref}], "privacy_unit": ref, "max_rows_per_unit": n,
 *     "filters": [...], "group_by": [...], "aggregates": [...],
 *     "privacy": {"mechanism": "laplace"|"gaussian", "epsilon": e, "delta": d},
 *     "grid_bits": k }
 */
#include "query/query_int.h"
#include "query/spec_parts.h"

#include "core/check.h"

#include <clave/json.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

static clave_status check_rules(const struct clave_query_rules *r)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(r->table_count <= 1024 && (r->table_count == 0 || r->tables != NULL),
                 CLAVE_ERR_ARG, "query rules: bad table list");
    CLAVE_ENSURE(r->allowed_column_count == 0 || r->allowed_columns != NULL, CLAVE_ERR_ARG,
                 "query rules: allowed_columns is NULL");
    CLAVE_ENSURE(r->max_epsilon >= 0.0 && r->max_delta >= 0.0 && r->max_delta < 1.0, CLAVE_ERR_ARG,
                 "query rules: bad max_epsilon or max_delta");
    for (size_t i = 0; i < r->table_count; i++) {
        const struct clave_query_table *t = &r->tables[i];
        CLAVE_ENSURE(query__valid_name(t->dataset, CLAVE_QUERY_NAME_MAX, "._@-") &&
                         t->column_count >= 1 && t->column_count <= CLAVE_QUERY_COLUMNS_MAX &&
                         t->columns != NULL,
                     CLAVE_ERR_ARG, "query rules: table %zu: bad dataset id or columns", i);
        for (size_t c = 0; c < t->column_count; c++) {
            CLAVE_ENSURE(query__valid_name(t->columns[c].name, CLAVE_QUERY_NAME_MAX, "._@-") &&
                             query__type_name(t->columns[c].type)[0] != '?',
                         CLAVE_ERR_ARG, "query rules: %s: column %zu: bad name or type", t->dataset,
                         c);
            for (size_t d = 0; d < c; d++) {
                CLAVE_ENSURE(strcmp(t->columns[c].name, t->columns[d].name) != 0, CLAVE_ERR_ARG,
                             "query rules: %s: duplicate column %s", t->dataset,
                             t->columns[c].name);
            }
        }
    }
    st = CLAVE_OK;
done:
    return st;
}

static const struct clave_query_table *rules_table(const struct clave_query_rules *r,
                                                   const char *dataset)
{
    for (size_t i = 0; i < r->table_count; i++) {
        if (strcmp(r->tables[i].dataset, dataset) == 0) {
            return &r->tables[i];
        }
    }
    return NULL;
}

static bool same_schema(const struct clave_query_table *a, const struct clave_query_table *b)
{
    if (a->column_count != b->column_count) {
        return false;
    }
    for (size_t i = 0; i < a->column_count; i++) {
        bool found = false;
        for (size_t j = 0; j < b->column_count && !found; j++) {
            found = strcmp(a->columns[i].name, b->columns[j].name) == 0 &&
                    a->columns[i].type == b->columns[j].type;
        }
        if (!found) {
            return false;
        }
    }
    return true;
}

static bool dataset_used(const struct clave_query *q, const char *id)
{
    for (size_t t = 0; t < q->table_count; t++) {
        for (size_t d = 0; d < q->tables[t].dataset_count; d++) {
            if (strcmp(q->tables[t].datasets[d], id) == 0) {
                return true;
            }
        }
    }
    return false;
}

static clave_status copy_schema(struct query_table *t, const struct clave_query_table *src)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    t->columns = calloc(src->column_count, sizeof(*t->columns));
    CLAVE_ENSURE_ALLOC(t->columns);
    for (size_t c = 0; c < src->column_count; c++) {
        char *name = strdup(src->columns[c].name);
        CLAVE_ENSURE_ALLOC(name);
        t->columns[c] = (struct clave_query_column){name, src->columns[c].type};
        t->column_count = c + 1;
    }
    st = CLAVE_OK;
done:
    return st;
}

/* One dataset id of a table entry: known to the rules, unused so far, same schema as the
 * entry's first dataset. */
static clave_status table_dataset(struct clave_query *q, struct query_table *t, const json_t *v,
                                  const struct clave_query_rules *rules, const char *where)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(json_is_string(v), CLAVE_ERR_JSON, "%s: expected a dataset id", where);
    const char *id = json_string_value(v);
    const struct clave_query_table *src = rules_table(rules, id);
    CLAVE_ENSURE(src != NULL, CLAVE_ERR_FORMAT, "%s: unknown dataset (not in the contract)", where);
    CLAVE_ENSURE(!dataset_used(q, id), CLAVE_ERR_FORMAT, "%s: dataset used twice", where);
    if (t->dataset_count == 0) {
        CLAVE_CHECK(copy_schema(t, src));
    } else {
        const struct clave_query_table cur = {NULL, t->columns, t->column_count};
        CLAVE_ENSURE(same_schema(&cur, src), CLAVE_ERR_FORMAT,
                     "%s: schema differs from the other datasets of this table", where);
    }
    t->datasets[t->dataset_count] = strdup(id);
    CLAVE_ENSURE_ALLOC(t->datasets[t->dataset_count]);
    t->dataset_count++;
    st = CLAVE_OK;
done:
    return st;
}

static clave_status parse_table(struct clave_query *q, json_t *e, const char *where,
                                const struct clave_query_rules *rules)
{
    static const char *const KEYS[] = {"dataset", "datasets", "as", NULL};
    clave_status st = CLAVE_ERR_INTERNAL;
    struct query_table *t = &q->tables[q->table_count];
    json_t *one = NULL, *many = NULL;
    const char *alias = NULL;
    char path[CLAVE_JSON_PATH_MAX];
    CLAVE_CHECK(clave_json_expect_object(e, where));
    CLAVE_CHECK(clave_json_only_keys(e, where, KEYS));
    CLAVE_CHECK(clave_json_get_string(e, where, "as", true, QUERY_ALIAS_MAX, &alias));
    CLAVE_ENSURE(query__valid_alias(alias), CLAVE_ERR_FORMAT,
                 "%s.as: expected [A-Za-z_][A-Za-z0-9_]{0,31}", where);
    for (size_t i = 0; i < q->table_count; i++) {
        CLAVE_ENSURE(strcmp(q->tables[i].alias, alias) != 0, CLAVE_ERR_FORMAT,
                     "%s.as: duplicate alias", where);
    }
    memcpy(t->alias, alias, strlen(alias) + 1);
    one = json_object_get(e, "dataset");
    CLAVE_CHECK(clave_json_get_array(e, where, "datasets", false, CLAVE_QUERY_TABLES_MAX, &many));
    CLAVE_ENSURE((one == NULL) != (many == NULL), CLAVE_ERR_FORMAT,
                 "%s: exactly one of dataset or datasets", where);
    size_t n = one != NULL ? 1 : json_array_size(many);
    CLAVE_ENSURE(n >= 1, CLAVE_ERR_FORMAT, "%s.datasets: empty", where);
    t->datasets = calloc(n, sizeof(char *));
    CLAVE_ENSURE_ALLOC(t->datasets);
    q->table_count++; /* owned by q from here (freed with it) */
    for (size_t i = 0; i < n; i++) {
        const char *w = one != NULL ? clave_json_path_key(path, sizeof(path), where, "dataset")
                                    : clave_json_path_index(path, sizeof(path), where, i);
        CLAVE_CHECK(table_dataset(q, t, one != NULL ? one : json_array_get(many, i), rules, w));
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status parse_tables(struct clave_query *q, json_t *doc,
                                 const struct clave_query_rules *rules)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *arr = NULL;
    char path[CLAVE_JSON_PATH_MAX];
    CLAVE_CHECK(clave_json_get_array(doc, "query", "tables", true, CLAVE_QUERY_TABLES_MAX, &arr));
    CLAVE_ENSURE(json_array_size(arr) >= 1, CLAVE_ERR_FORMAT, "query.tables: empty");
    for (size_t i = 0; i < json_array_size(arr); i++) {
        clave_json_path_index(path, sizeof(path), "query.tables", i);
        CLAVE_CHECK(parse_table(q, json_array_get(arr, i), path, rules));
    }
    st = CLAVE_OK;
done:
    return st;
}

static bool ref_equal(struct query_colref a, struct query_colref b)
{
    return a.table == b.table && a.column == b.column;
}

/* Joins: each one links a table not yet joined to the joined ones, and every join is on the
 * privacy unit's key (see docs: a lookup on another key would let one row of the looked-up
 * table reach many units, which the per-unit contribution bound does not cover). */
static clave_status parse_join(struct clave_query *q, json_t *e, const char *where, bool *joined,
                               struct query_colref *unit_class, size_t *class_count)
{
    static const char *const KEYS[] = {"left", "right", NULL};
    clave_status st = CLAVE_ERR_INTERNAL;
    struct query_join *j = &q->joins[q->join_count];
    CLAVE_CHECK(clave_json_expect_object(e, where));
    CLAVE_CHECK(clave_json_only_keys(e, where, KEYS));
    CLAVE_CHECK(query__parse_ref(q, e, "left", where, true, &j->left));
    CLAVE_CHECK(query__parse_ref(q, e, "right", where, true, &j->right));
    CLAVE_ENSURE(joined[j->left.table] != joined[j->right.table], CLAVE_ERR_FORMAT,
                 "%s: must join one new table to the tables joined so far", where);
    struct query_colref old = joined[j->left.table] ? j->left : j->right;
    struct query_colref added = joined[j->left.table] ? j->right : j->left;
    bool on_unit = false;
    for (size_t i = 0; i < *class_count; i++) {
        on_unit = on_unit || ref_equal(unit_class[i], old);
    }
    CLAVE_ENSURE(on_unit, CLAVE_ERR_FORMAT, "%s: joins must be on the privacy_unit key", where);
    const struct clave_query_column *a = query__column(q, j->left), *b = query__column(q, j->right);
    CLAVE_ENSURE(a->type == b->type && a->type != CLAVE_QUERY_FLOAT, CLAVE_ERR_FORMAT,
                 "%s: join keys must have the same type (not float)", where);
    unit_class[(*class_count)++] = added;
    joined[added.table] = true;
    q->join_count++;
    st = CLAVE_OK;
done:
    return st;
}

static clave_status parse_unit_and_joins(struct clave_query *q, json_t *doc)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *arr = NULL;
    bool joined[CLAVE_QUERY_TABLES_MAX] = {false};
    struct query_colref unit_class[CLAVE_QUERY_TABLES_MAX];
    size_t class_count = 0;
    char path[CLAVE_JSON_PATH_MAX];
    int64_t m = 1;
    CLAVE_CHECK(query__parse_ref(q, doc, "privacy_unit", "query", false, &q->unit));
    q->has_unit = json_object_get(doc, "privacy_unit") != NULL;
    CLAVE_ENSURE(q->has_unit || q->table_count == 1, CLAVE_ERR_FORMAT,
                 "query.privacy_unit: required when the query joins tables");
    CLAVE_ENSURE(!q->has_unit || query__column(q, q->unit)->type != CLAVE_QUERY_FLOAT,
                 CLAVE_ERR_FORMAT, "query.privacy_unit: must not be a float column");
    CLAVE_CHECK(clave_json_get_int(doc, "query", "max_rows_per_unit", false, 1,
                                   CLAVE_QUERY_ROWS_PER_UNIT_MAX, &m));
    q->max_rows_per_unit = json_object_get(doc, "max_rows_per_unit") != NULL ? (uint32_t)m : 1;
    CLAVE_ENSURE(q->has_unit || q->max_rows_per_unit == 1, CLAVE_ERR_FORMAT,
                 "query.max_rows_per_unit: without a privacy_unit each row is a unit (must be 1)");
    CLAVE_CHECK(clave_json_get_array(doc, "query", "joins", false, CLAVE_QUERY_TABLES_MAX, &arr));
    CLAVE_ENSURE(json_array_size(arr) + 1 == q->table_count, CLAVE_ERR_FORMAT,
                 "query.joins: need exactly %zu joins for %zu tables", q->table_count - 1,
                 q->table_count);
    if (q->has_unit) {
        joined[q->unit.table] = true;
        unit_class[class_count++] = q->unit;
    }
    for (size_t i = 0; i < json_array_size(arr); i++) {
        clave_json_path_index(path, sizeof(path), "query.joins", i);
        CLAVE_CHECK(parse_join(q, json_array_get(arr, i), path, joined, unit_class, &class_count));
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status parse_privacy(struct clave_query *q, json_t *doc,
                                  const struct clave_query_rules *rules)
{
    static const char *const KEYS[] = {"mechanism", "epsilon", "delta", NULL};
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *p = NULL;
    const char *mech = NULL;
    bool has_delta = false;
    double max_eps = rules->max_epsilon > 0.0 ? rules->max_epsilon : CLAVE_QUERY_EPSILON_MAX;
    double max_delta = rules->max_delta > 0.0 ? rules->max_delta : CLAVE_QUERY_DELTA_MAX;
    CLAVE_CHECK(clave_json_get_object(doc, "query", "privacy", true, &p));
    CLAVE_CHECK(clave_json_only_keys(p, "query.privacy", KEYS));
    CLAVE_CHECK(clave_json_get_string(p, "query.privacy", "mechanism", false, 16, &mech));
    q->mechanism = mech == NULL || strcmp(mech, "laplace") == 0 ? CLAVE_DP_LAPLACE
                   : strcmp(mech, "gaussian") == 0              ? CLAVE_DP_GAUSSIAN
                                                                : (clave_dp_mechanism)0;
    CLAVE_ENSURE(q->mechanism != 0, CLAVE_ERR_FORMAT,
                 "query.privacy.mechanism: expected laplace or gaussian");
    CLAVE_CHECK(query__get_number(p, "query.privacy", "epsilon", true, &q->epsilon, NULL));
    CLAVE_ENSURE(q->epsilon > 0.0 && q->epsilon <= max_eps, CLAVE_ERR_FORMAT,
                 "query.privacy.epsilon: must be in (0, %g]", max_eps);
    CLAVE_CHECK(query__get_number(p, "query.privacy", "delta", false, &q->delta, &has_delta));
    if (q->mechanism == CLAVE_DP_GAUSSIAN) {
        CLAVE_ENSURE(has_delta && q->delta > 0.0 && q->delta <= max_delta, CLAVE_ERR_FORMAT,
                     "query.privacy.delta: gaussian needs delta in (0, %g]", max_delta);
    } else {
        CLAVE_ENSURE(!has_delta || q->delta == 0.0, CLAVE_ERR_FORMAT,
                     "query.privacy.delta: laplace is pure epsilon-DP (no delta)");
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status parse_header(struct clave_query *q, json_t *doc)
{
    static const char *const KEYS[] = {
        "name",    "tables",   "joins",      "privacy_unit", "max_rows_per_unit",
        "filters", "group_by", "aggregates", "privacy",      "grid_bits",
        NULL};
    clave_status st = CLAVE_ERR_INTERNAL;
    const char *name = NULL;
    int64_t k = QUERY_DEFAULT_GRID_BITS;
    CLAVE_CHECK(clave_json_expect_object(doc, "query"));
    CLAVE_CHECK(clave_json_only_keys(doc, "query", KEYS));
    CLAVE_CHECK(clave_json_get_string(doc, "query", "name", true, QUERY_LABEL_MAX, &name));
    CLAVE_ENSURE(query__valid_name(name, QUERY_LABEL_MAX, "_.-"), CLAVE_ERR_FORMAT,
                 "query.name: expected [A-Za-z0-9_.-]{1,64}");
    memcpy(q->name, name, strlen(name) + 1);
    CLAVE_CHECK(
        clave_json_get_int(doc, "query", "grid_bits", false, 0, CLAVE_DP_MAX_GRID_BITS, &k));
    q->grid_bits = json_object_get(doc, "grid_bits") != NULL ? (int)k : QUERY_DEFAULT_GRID_BITS;
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_query_parse(const char *text, size_t len, const struct clave_query_rules *rules,
                               struct clave_query **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const struct clave_json_limits limits = {CLAVE_QUERY_SPEC_MAX_BYTES, 8};
    json_t *doc = NULL;
    struct clave_query *q = NULL;
    CLAVE_ENSURE(out != NULL, CLAVE_ERR_ARG, "query: out is NULL");
    *out = NULL;
    CLAVE_ENSURE(text != NULL && rules != NULL, CLAVE_ERR_ARG, "query: NULL spec or rules");
    CLAVE_CHECK(check_rules(rules));
    CLAVE_CHECK(clave_json_parse(text, len, &limits, "query", &doc));
    q = calloc(1, sizeof(*q));
    CLAVE_ENSURE_ALLOC(q);
    q->min_group_size = rules->min_group_size;
    CLAVE_CHECK(parse_header(q, doc));
    CLAVE_CHECK(parse_tables(q, doc, rules));
    CLAVE_CHECK(parse_unit_and_joins(q, doc));
    CLAVE_CHECK(parse_privacy(q, doc, rules));
    CLAVE_CHECK(query__parse_filters(q, doc, rules));
    CLAVE_CHECK(query__parse_groups(q, doc, rules));
    CLAVE_CHECK(query__parse_aggregates(q, doc, rules));
    *out = q;
    q = NULL;
    st = CLAVE_OK;
done:
    clave_query_free(q);
    json_decref(doc);
    return st;
}

void clave_query_free(struct clave_query *q)
{
    if (q == NULL) {
        return;
    }
    for (size_t t = 0; t < q->table_count; t++) {
        for (size_t d = 0; d < q->tables[t].dataset_count; d++) {
            free(q->tables[t].datasets[d]);
        }
        free(q->tables[t].datasets);
        for (size_t c = 0; c < q->tables[t].column_count; c++) {
            free((char *)(uintptr_t)q->tables[t].columns[c].name);
        }
        free(q->tables[t].columns);
    }
    for (size_t i = 0; i < q->filter_count; i++) {
        query__literals_free(q->filters[i].values, q->filters[i].value_count);
    }
    for (size_t i = 0; i < q->group_count; i++) {
        query__literals_free(q->groups[i].keys, q->groups[i].key_count);
    }
    free(q);
}

void clave_query_cost(const struct clave_query *q, double *epsilon, double *delta)
{
    *epsilon = q != NULL ? q->epsilon : 0.0;
    *delta = q != NULL && q->mechanism == CLAVE_DP_GAUSSIAN ? q->delta : 0.0;
}

const char *clave_query_name(const struct clave_query *q)
{
    return q != NULL ? q->name : NULL;
}

size_t clave_query_dataset_count(const struct clave_query *q)
{
    size_t n = 0;
    for (size_t i = 0; q != NULL && i < q->table_count; i++) {
        n += q->tables[i].dataset_count;
    }
    return n;
}

const char *clave_query_dataset(const struct clave_query *q, size_t index)
{
    for (size_t i = 0; q != NULL && i < q->table_count; i++) {
        if (index < q->tables[i].dataset_count) {
            return q->tables[i].datasets[index];
        }
        index -= q->tables[i].dataset_count;
    }
    return NULL;
}

const char *clave_query_mechanism_name(const struct clave_query *q)
{
    if (q == NULL) {
        return NULL;
    }
    return q->mechanism == CLAVE_DP_GAUSSIAN ? "discrete-gaussian" : "discrete-laplace";
}

const struct clave_query_column *query__column(const struct clave_query *q, struct query_colref r)
{
    return &q->tables[r.table].columns[r.column];
}
