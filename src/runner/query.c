/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The `query` computation (docs/runner.md "Query spec"): every spec of the job is parsed against
 * the job's declared schemas and the contract's output rules before any key is requested; after
 * the datasets are open, each query's budget is debited from the owner of every dataset it reads
 * and only then is it run; its result (noisy aggregates) becomes an output.
 */
#include "runner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COLUMNS_PER_TABLE (CLAVE_QUERY_COLUMNS_MAX / 16)

/* The query engine's view of the job: one table per dataset with its schema, the contract's
 * output columns and minimum group size. Built once, before any key; used again to load. */
struct runner_query_rules {
    struct clave_query_column cols[RUNNER_DATASETS_MAX][COLUMNS_PER_TABLE];
    struct clave_query_table tables[RUNNER_DATASETS_MAX];
    const char *allowed[CLAVE_QUERY_COLUMNS_MAX];
    struct clave_query_rules rules;
};

/* One query table per dataset, with its job table's schema. */
static clave_status table_of(const struct runner_table *t, const char *dataset,
                             struct clave_query_column *cols, struct clave_query_table *out)
{
    const char *name = NULL;
    json_t *type = NULL;
    size_t n = 0;
    if (json_object_size(t->schema) > COLUMNS_PER_TABLE) {
        fprintf(stderr, "clave-runner: job.tables.%s.schema: at most %d columns\n", t->name,
                COLUMNS_PER_TABLE);
        return CLAVE_ERR_TOO_LARGE;
    }
    json_object_foreach (t->schema, name, type) {
        clave_query_type qt = clave_query_type_from_name(json_string_value(type));
        if (qt == 0) {
            fprintf(stderr,
                    "clave-runner: job.tables.%s.schema.%s: int, float, string, bool or date\n",
                    t->name, name);
            return CLAVE_ERR_FORMAT;
        }
        cols[n].name = name;
        cols[n].type = qt;
        n++;
    }
    out->dataset = dataset;
    out->columns = cols;
    out->column_count = n;
    return CLAVE_OK;
}

static clave_status build_rules(const struct runner *r, struct runner_query_rules *s)
{
    size_t k = 0;
    clave_status st = CLAVE_OK;
    for (size_t t = 0; st == CLAVE_OK && t < r->job.table_count; t++) {
        const struct runner_table *tab = &r->job.tables[t];
        for (size_t i = 0; st == CLAVE_OK && i < tab->dataset_count; i++, k++) {
            st = table_of(tab, tab->datasets[i], s->cols[k], &s->tables[k]);
        }
    }
    size_t nc = clave_contract_column_count(r->contract);
    if (nc > CLAVE_QUERY_COLUMNS_MAX) {
        return CLAVE_ERR_TOO_LARGE;
    }
    for (size_t i = 0; i < nc; i++) {
        s->allowed[i] = clave_contract_column(r->contract, i);
    }
    s->rules.tables = s->tables;
    s->rules.table_count = k;
    s->rules.allowed_columns = s->allowed;
    s->rules.allowed_column_count = nc;
    s->rules.min_group_size = clave_contract_min_group_size(r->contract);
    return st;
}

clave_status runner_queries_check(struct runner *r)
{
    struct runner_query_rules *s = calloc(1, sizeof(*s));
    clave_status st = s != NULL ? build_rules(r, s) : CLAVE_ERR_NOMEM;
    r->query_rules = s; /* kept: the datasets are loaded with the same schemas */
    for (size_t i = 0; st == CLAVE_OK && i < json_array_size(r->job.queries); i++) {
        char *text = json_dumps(json_array_get(r->job.queries, i), JSON_COMPACT);
        st = text != NULL ? clave_query_parse(text, strlen(text), &s->rules, &r->queries[i])
                          : CLAVE_ERR_NOMEM;
        free(text);
        if (st != CLAVE_OK) {
            fprintf(stderr, "clave-runner: job.queries[%zu] refused before any data is read: %s\n",
                    i, clave_error_last().detail);
        } else {
            r->query_count++;
        }
    }
    if (st == CLAVE_OK && r->query_count > 0) {
        runner_say(r,
                   "%zu query spec(s) checked against the contract's output rules "
                   "(columns, min group size %llu)",
                   r->query_count, (unsigned long long)clave_contract_min_group_size(r->contract));
    }
    return st;
}

void runner_queries_free(struct runner *r)
{
    for (size_t i = 0; i < r->query_count; i++) {
        clave_query_free(r->queries[i]);
    }
    free(r->query_rules);
}

/* Load every dataset a query reads (once) into the in-memory database. */
static clave_status load_all(struct runner *r, struct clave_query_db *db)
{
    const struct clave_query_rules *rules = &r->query_rules->rules;
    clave_status st = CLAVE_OK;
    for (size_t i = 0; st == CLAVE_OK && i < rules->table_count; i++) {
        const struct runner_plain *p = runner_plain_of(r, rules->tables[i].dataset);
        st = p != NULL ? clave_query_db_load_csv(db, &rules->tables[i], p->data, p->len)
                       : CLAVE_ERR_STATE;
        if (st != CLAVE_OK) {
            fprintf(stderr, "clave-runner: dataset %s: %s\n", rules->tables[i].dataset,
                    clave_error_last().detail);
        }
    }
    return st;
}

static clave_status run_one(struct runner *r, struct clave_query_db *db,
                            const struct clave_query *q)
{
    const char *datasets[CLAVE_QUERY_TABLES_MAX * RUNNER_TABLE_DATASETS_MAX];
    size_t n = clave_query_dataset_count(q);
    double eps = 0;
    double delta = 0;
    char *result = NULL;
    char name[RUNNER_NAME_MAX + 16];
    if (n > sizeof(datasets) / sizeof(datasets[0])) {
        return CLAVE_ERR_LIMIT;
    }
    for (size_t i = 0; i < n; i++) {
        datasets[i] = clave_query_dataset(q, i);
    }
    clave_query_cost(q, &eps, &delta);
    snprintf(name, sizeof(name), "%s.json", clave_query_name(q));
    clave_status st =
        runner_debit_datasets(r, datasets, n, name, clave_query_mechanism_name(q), eps, delta);
    if (st == CLAVE_OK) {
        st = clave_query_run(db, q, &result);
        if (st != CLAVE_OK) {
            fprintf(stderr, "clave-runner: query %s: %s\n", clave_query_name(q),
                    clave_error_last().detail);
        }
    }
    if (st == CLAVE_OK) {
        runner_say(r, "query %s: ran over %zu dataset(s) at epsilon %g", clave_query_name(q), n,
                   eps);
        st = runner_add_output(r, name, "application/json", (uint8_t *)result, strlen(result));
    }
    return st;
}

clave_status runner_queries_run(struct runner *r)
{
    struct clave_query_db *db = NULL;
    if (r->query_count == 0) {
        return CLAVE_OK;
    }
    clave_status st = clave_query_db_new(&db);
    st = st == CLAVE_OK ? load_all(r, db) : st;
    for (size_t i = 0; st == CLAVE_OK && i < r->query_count; i++) {
        st = run_one(r, db, r->queries[i]);
    }
    clave_query_db_free(db);
    return st;
}
