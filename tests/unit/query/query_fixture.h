/* SPDX-License-Identifier: Apache-2.0 */
/* Shared by the query tests: a small "visits"/"people" schema and helpers. */
#ifndef CLAVE_TEST_QUERY_FIXTURE_H
#define CLAVE_TEST_QUERY_FIXTURE_H

#include "testlib.h"

#include <jansson.h>
#include <string.h>

static const struct clave_query_column VISIT_COLUMNS[] = {
    {"pid", CLAVE_QUERY_INT},    {"region", CLAVE_QUERY_STRING}, {"age", CLAVE_QUERY_INT},
    {"cost", CLAVE_QUERY_FLOAT}, {"smoker", CLAVE_QUERY_BOOL},   {"day", CLAVE_QUERY_DATE},
};
static const struct clave_query_column PEOPLE_COLUMNS[] = {
    {"pid", CLAVE_QUERY_INT},
    {"sex", CLAVE_QUERY_STRING},
    {"secret", CLAVE_QUERY_STRING},
};
static const struct clave_query_table FIXTURE_TABLES[] = {
    {"visits", VISIT_COLUMNS, 6},
    {"visits-b", VISIT_COLUMNS, 6},
    {"people", PEOPLE_COLUMNS, 3},
};
static const char *const FIXTURE_ALLOWED[] = {"region", "age", "cost",
                                              "smoker", "day", "people.sex"};

static inline struct clave_query_rules fixture_rules(uint64_t min_group, double max_epsilon)
{
    return (struct clave_query_rules){FIXTURE_TABLES, 3,  FIXTURE_ALLOWED, 6, min_group,
                                      max_epsilon,    0.0};
}

static inline struct clave_query *fixture_parse(const char *spec,
                                                const struct clave_query_rules *rules)
{
    struct clave_query *q = NULL;
    T_OK(clave_query_parse(spec, strlen(spec), rules, &q));
    return q;
}

static inline void fixture_load(struct clave_query_db *db, size_t table, const char *csv)
{
    T_OK(clave_query_db_load_csv(db, &FIXTURE_TABLES[table], (const uint8_t *)csv, strlen(csv)));
}

/* Run and parse the result document (caller json_decref's it). */
static inline json_t *fixture_run(struct clave_query_db *db, const struct clave_query *q)
{
    char *text = NULL;
    T_OK(clave_query_run(db, q, &text));
    json_error_t err;
    json_t *doc = json_loads(text, 0, &err);
    if (doc == NULL) {
        fail_msg("result is not JSON: %s", err.text);
    }
    free(text);
    return doc;
}

/* groups[g].values[name] as a number (fails if absent). */
static inline double fixture_value(const json_t *doc, size_t g, const char *name)
{
    json_t *v = json_object_get(
        json_object_get(json_array_get(json_object_get(doc, "groups"), g), "values"), name);
    if (!json_is_number(v)) {
        fail_msg("no value %s in group %zu", name, g);
    }
    return json_number_value(v);
}

static inline bool fixture_released(const json_t *doc, size_t g)
{
    return json_is_true(
        json_object_get(json_array_get(json_object_get(doc, "groups"), g), "released"));
}

#endif
