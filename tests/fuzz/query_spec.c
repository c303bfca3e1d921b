/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: the query spec parser against fixed rules (two datasets that stack, one to
 * join). A spec that parses must have a sane cost and must compile to SQL that runs over a small
 * loaded database and yields a JSON result. */
#include <clave/query.h>

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct clave_query_column VISITS[] = {
    {"pid", CLAVE_QUERY_INT},    {"region", CLAVE_QUERY_STRING}, {"age", CLAVE_QUERY_INT},
    {"cost", CLAVE_QUERY_FLOAT}, {"smoker", CLAVE_QUERY_BOOL},   {"day", CLAVE_QUERY_DATE},
};
static const struct clave_query_column PEOPLE[] = {{"pid", CLAVE_QUERY_INT},
                                                   {"sex", CLAVE_QUERY_STRING}};
static const struct clave_query_table TABLES[] = {
    {"visits", VISITS, 6}, {"visits-b", VISITS, 6}, {"people", PEOPLE, 2}};
static const char *const ALLOWED[] = {"region", "age", "cost", "smoker", "day", "people.sex"};

static struct clave_query_db *database(void)
{
    static struct clave_query_db *db;
    static const char *const CSV[] = {
        "pid,region,age,cost,smoker,day\n1,north,30,10.5,true,2024-01-01\n2,south,40,,0,\n",
        "pid,region,age,cost,smoker,day\n3,north,20,5,false,2024-03-01\n",
        "pid,sex\n1,f\n2,m\n3,f\n",
    };
    if (db == NULL) {
        if (clave_query_db_new(&db) != CLAVE_OK) {
            abort();
        }
        for (size_t t = 0; t < 3; t++) {
            if (clave_query_db_load_csv(db, &TABLES[t], (const uint8_t *)CSV[t], strlen(CSV[t])) !=
                CLAVE_OK) {
                abort();
            }
        }
    }
    return db;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct clave_query_rules rules = {TABLES, 3, ALLOWED, 6, 2, 0, 0};
    struct clave_query *q = NULL;
    if (clave_query_parse((const char *)data, size, &rules, &q) != CLAVE_OK) {
        if (q != NULL) {
            abort();
        }
        return 0;
    }
    double epsilon = 0, delta = 0;
    clave_query_cost(q, &epsilon, &delta);
    if (!(epsilon > 0 && epsilon <= CLAVE_QUERY_EPSILON_MAX) || !(delta >= 0) ||
        delta > CLAVE_QUERY_DELTA_MAX || clave_query_name(q) == NULL) {
        abort();
    }
    char *out = NULL;
    clave_status st = clave_query_run(database(), q, &out);
    /* Only a sum overflowing the grid may refuse a validated query. */
    if (st != CLAVE_OK && st != CLAVE_ERR_LIMIT) {
        abort();
    }
    if (st == CLAVE_OK) {
        json_t *doc = json_loads(out, 0, NULL);
        if (doc == NULL) {
            abort();
        }
        json_decref(doc);
    }
    free(out);
    clave_query_free(q);
    return 0;
}
