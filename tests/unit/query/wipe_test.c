/* SPDX-License-Identifier: Apache-2.0 */
/* The wiping SQLite allocator: set before SQLite starts, a database loads and answers a query
 * under it, and it cannot be set once SQLite is initialised. */
#include "testlib.h"

#include <clave/query.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static void test_wiping_allocator(void **state)
{
    (void)state;
    T_OK(clave_query_wipe_sqlite_memory());
    struct clave_query_column cols[] = {{"g", CLAVE_QUERY_INT}, {"x", CLAVE_QUERY_FLOAT}};
    struct clave_query_table t = {"d", cols, 2};
    const char *allowed[] = {"*"};
    struct clave_query_rules rules = {&t, 1, allowed, 1, 1, 1e6, 0};
    const char *spec = "{\"name\":\"q\",\"tables\":[{\"dataset\":\"d\",\"as\":\"t\"}],"
                       "\"group_by\":[{\"column\":\"t.g\",\"keys\":[1,2]}],"
                       "\"aggregates\":[{\"name\":\"n\",\"op\":\"count\"}],"
                       "\"privacy\":{\"epsilon\":1000000}}";
    struct clave_query *q = NULL;
    struct clave_query_db *db = NULL;
    char *out = NULL;
    T_OK(clave_query_parse(spec, strlen(spec), &rules, &q));
    T_OK(clave_query_db_new(&db));
    /* enough rows that SQLite allocates, reallocates and frees many blocks */
    size_t cap = 1u << 20;
    char *csv = malloc(cap);
    size_t n = (size_t)snprintf(csv, cap, "g,x\n");
    for (int i = 0; i < 20000; i++) {
        n += (size_t)snprintf(csv + n, cap - n, "%d,%d.5\n", 1 + i % 2, i);
    }
    T_OK(clave_query_db_load_csv(db, &t, (const uint8_t *)csv, n));
    T_OK(clave_query_run(db, q, &out));
    json_t *doc = json_loads(out, 0, NULL);
    json_t *g0 = json_array_get(json_object_get(doc, "groups"), 0);
    json_int_t count = json_integer_value(json_object_get(json_object_get(g0, "values"), "n"));
    assert_true(count >= 9990 && count <= 10010); /* 10000 plus noise of scale 1e-6 */
    json_decref(doc);
    free(out);
    free(csv);
    clave_query_db_free(db);
    clave_query_free(q);
    /* SQLite is initialised now: too late to change its allocator */
    T_ERR(clave_query_wipe_sqlite_memory(), CLAVE_ERR_STATE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_wiping_allocator)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
