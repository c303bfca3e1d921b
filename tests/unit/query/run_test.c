/* SPDX-License-Identifier: Apache-2.0 */
/* Query runs over small hand-written tables at a huge epsilon (noise far below the tolerances):
 * filters, groups of a public domain, joins with per-unit bounding, stacked datasets, NULLs,
 * suppression, injection attempts in literals, and hostile CSV. */
#include "query_fixture.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* pid,region,age,cost,smoker,day */
static const char VISITS[] = "pid,region,age,cost,smoker,day\n"
                             "1,north,30,10.5,true,2024-01-01\n"
                             "1,north,30,20.5,true,2024-01-02\n"
                             "1,north,30,30,true,2024-01-03\n"
                             "2,south,40,100,false,2024-02-01\n"
                             "3,south,50,,0,2024-02-29\n"
                             "4,\"we\"\"st\",17,7,1,2023-12-31\r\n"
                             "5,north,60,1000,false,\n";
/* Columns in another order, quoted header fields, CRLF. */
static const char VISITS_B[] = "\"day\",age,pid,region,cost,smoker\r\n"
                               "2024-03-01,20,6,north,5,false\r\n"
                               "2024-03-02,21,7,south,6,true\r\n";
static const char PEOPLE[] = "pid,sex,secret\n1,f,a\n2,m,b\n3,f,c\n4,m,d\n";

#define HUGE_EPS "\"privacy\":{\"epsilon\":1000000}}"

static struct clave_query_db *fixture_db(void)
{
    struct clave_query_db *db = NULL;
    T_OK(clave_query_db_new(&db));
    fixture_load(db, 0, VISITS);
    fixture_load(db, 1, VISITS_B);
    fixture_load(db, 2, PEOPLE);
    return db;
}

static json_t *run_spec(struct clave_query_db *db, const char *spec, uint64_t min_group)
{
    struct clave_query_rules rules = fixture_rules(min_group, 1e6);
    struct clave_query *q = fixture_parse(spec, &rules);
    json_t *doc = fixture_run(db, q);
    clave_query_free(q);
    return doc;
}

static void test_groups_and_filters(void **state)
{
    (void)state;
    struct clave_query_db *db = fixture_db();
    json_t *doc =
        run_spec(db,
                 "{\"name\":\"r\",\"tables\":[{\"dataset\":\"visits\",\"as\":\"v\"}],"
                 "\"filters\":[{\"column\":\"v.age\",\"op\":\">=\",\"value\":18}],"
                 "\"group_by\":[{\"column\":\"v.region\",\"keys\":[\"north\",\"south\",\"east\"]}],"
                 "\"aggregates\":[{\"name\":\"n\",\"op\":\"count\"},{\"name\":\"s\",\"op\":\"sum\","
                 "\"column\":\"v.cost\",\"lower\":0,\"upper\":100},{\"name\":\"m\",\"op\":\"mean\","
                 "\"column\":\"v.cost\",\"lower\":0,\"upper\":100}]," HUGE_EPS,
                 0);
    /* north: 10.5, 20.5, 30, 1000->100 (clamped); south: 100 and NULL; east: nothing;
     * west is not in the domain (and is under 18). */
    assert_int_equal(json_array_size(json_object_get(doc, "groups")), 3);
    assert_true(fixture_value(doc, 0, "n") == 4);
    assert_true(fabs(fixture_value(doc, 0, "s") - 161.0) < 0.01);
    assert_true(fabs(fixture_value(doc, 0, "m") - 40.25) < 0.01);
    assert_true(fixture_value(doc, 1, "n") == 2);
    assert_true(fabs(fixture_value(doc, 1, "s") - 100.0) < 0.01);
    assert_true(fabs(fixture_value(doc, 1, "m") - 100.0) < 0.01); /* NULL left out */
    assert_true(fixture_value(doc, 2, "n") == 0);
    assert_true(json_real_value(json_object_get(doc, "epsilon_spent")) == 1000000.0);
    json_decref(doc);
    /* Every filter operator, on int, float, bool, date and string columns. */
    static const struct {
        const char *filter;
        double count;
    } CASES[] = {
        {"{\"column\":\"v.age\",\"op\":\"=\",\"value\":30}", 3},
        {"{\"column\":\"v.age\",\"op\":\"!=\",\"value\":30}", 4},
        {"{\"column\":\"v.age\",\"op\":\"<\",\"value\":40}", 4},
        {"{\"column\":\"v.age\",\"op\":\"<=\",\"value\":40}", 5},
        {"{\"column\":\"v.age\",\"op\":\">\",\"value\":40}", 2},
        {"{\"column\":\"v.cost\",\"op\":\">=\",\"value\":\"20.5\"}", 4},
        {"{\"column\":\"v.cost\",\"op\":\"<\",\"value\":20.5}", 2},
        {"{\"column\":\"v.smoker\",\"op\":\"=\",\"value\":true}", 4},
        {"{\"column\":\"v.day\",\"op\":\">=\",\"value\":\"2024-02-01\"}", 2},
        {"{\"column\":\"v.region\",\"op\":\"in\",\"values\":[\"south\",\"we\\\"st\"]}", 3},
        {"{\"column\":\"v.region\",\"op\":\"=\",\"value\":\"north' OR '1'='1\"}", 0},
        {"{\"column\":\"v.region\",\"op\":\"=\",\"value\":\"x\\\"; DROP TABLE visits; --\"}", 0},
    };
    char spec[1024];
    for (size_t i = 0; i < sizeof(CASES) / sizeof(CASES[0]); i++) {
        snprintf(spec, sizeof(spec),
                 "{\"name\":\"f\",\"tables\":[{\"dataset\":\"visits\",\"as\":\"v\"}],"
                 "\"filters\":[%s],\"aggregates\":[{\"name\":\"n\",\"op\":\"count\"}]," HUGE_EPS,
                 CASES[i].filter);
        doc = run_spec(db, spec, 0);
        if (fixture_value(doc, 0, "n") != CASES[i].count) {
            fail_msg("%s: count %g, expected %g", CASES[i].filter, fixture_value(doc, 0, "n"),
                     CASES[i].count);
        }
        json_decref(doc);
    }
    /* The injection attempts changed nothing: the table is still whole. */
    doc = run_spec(db,
                   "{\"name\":\"all\",\"tables\":[{\"dataset\":\"visits\",\"as\":\"v\"}],"
                   "\"aggregates\":[{\"name\":\"n\",\"op\":\"count\"}]," HUGE_EPS,
                   0);
    assert_true(fixture_value(doc, 0, "n") == 7);
    json_decref(doc);
    clave_query_db_free(db);
}

static void test_join_bounds_units(void **state)
{
    (void)state;
    struct clave_query_db *db = fixture_db();
    /* pid 1 has three visits; with at most 2 rows per unit it contributes 2. */
    const char *spec =
        "{\"name\":\"j\",\"tables\":[{\"dataset\":\"visits\",\"as\":\"v\"},"
        "{\"dataset\":\"people\",\"as\":\"p\"}],\"privacy_unit\":\"p.pid\","
        "\"max_rows_per_unit\":2,\"joins\":[{\"left\":\"v.pid\",\"right\":\"p.pid\"}],"
        "\"group_by\":[{\"column\":\"p.sex\",\"keys\":[\"f\",\"m\"]}],"
        "\"aggregates\":[{\"name\":\"n\",\"op\":\"count\"},{\"name\":\"s\",\"op\":\"sum\","
        "\"column\":\"v.age\",\"lower\":0,\"upper\":100}]," HUGE_EPS;
    json_t *doc = run_spec(db, spec, 0);
    assert_true(fixture_value(doc, 0, "n") == 3); /* f: pid 1 (2 of 3 rows), pid 3 */
    assert_true(fabs(fixture_value(doc, 0, "s") - 110.0) < 0.01);
    assert_true(fixture_value(doc, 1, "n") == 2); /* m: pid 2, pid 4 */
    json_t *privacy = json_object_get(doc, "privacy");
    assert_string_equal(json_string_value(json_object_get(privacy, "privacy_unit")), "p.pid");
    /* The noise is calibrated to the bound: count sensitivity 2. */
    json_t *noise = json_object_get(json_array_get(json_object_get(doc, "aggregates"), 0), "noise");
    assert_int_equal(json_integer_value(json_object_get(noise, "sensitivity")), 2);
    json_decref(doc);
    clave_query_db_free(db);
}

static void test_union_histogram_quantile(void **state)
{
    (void)state;
    struct clave_query_db *db = fixture_db();
    json_t *doc = run_spec(
        db,
        "{\"name\":\"u\",\"tables\":[{\"datasets\":[\"visits\",\"visits-b\"],\"as\":\"v\"}],"
        "\"aggregates\":[{\"name\":\"n\",\"op\":\"count\"},{\"name\":\"h\",\"op\":\"histogram\","
        "\"column\":\"v.age\",\"lower\":0,\"upper\":100,\"bins\":4},{\"name\":\"med\","
        "\"op\":\"quantile\",\"column\":\"v.age\",\"lower\":0,\"upper\":100,\"quantile\":0.5},"
        "{\"name\":\"var\",\"op\":\"variance\",\"column\":\"v.smoker\",\"lower\":0,\"upper\":1}],"
        "\"grid_bits\":4," HUGE_EPS,
        0);
    assert_true(fixture_value(doc, 0, "n") == 9);
    /* ages 30,30,30,40,50,17,60,20,21: [0,25) 3, [25,50) 4, [50,75) 2, [75,100] 0 */
    json_t *h = json_object_get(
        json_object_get(json_array_get(json_object_get(doc, "groups"), 0), "values"), "h");
    assert_int_equal(json_array_size(h), 4);
    assert_int_equal(json_integer_value(json_array_get(h, 0)), 3);
    assert_int_equal(json_integer_value(json_array_get(h, 1)), 4);
    assert_int_equal(json_integer_value(json_array_get(h, 2)), 2);
    assert_int_equal(json_integer_value(json_array_get(h, 3)), 0);
    double med = fixture_value(doc, 0, "med");
    assert_true(med >= 29.0 && med <= 31.0);
    /* smokers 1,1,1,0,0,1,0,0,1: 5 of 9, variance 5/9 * 4/9 */
    assert_true(fabs(fixture_value(doc, 0, "var") - 20.0 / 81.0) < 0.01);
    json_decref(doc);
    clave_query_db_free(db);
}

static void test_min_group_size(void **state)
{
    (void)state;
    struct clave_query_db *db = fixture_db();
    const char *spec =
        "{\"name\":\"r\",\"tables\":[{\"dataset\":\"visits\",\"as\":\"v\"}],"
        "\"group_by\":[{\"column\":\"v.region\",\"keys\":[\"north\",\"south\"]},"
        "{\"column\":\"v.smoker\",\"keys\":[true,false]}],"
        "\"aggregates\":[{\"name\":\"n\",\"op\":\"count\"},{\"name\":\"h\",\"op\":\"histogram\","
        "\"column\":\"v.age\",\"lower\":0,\"upper\":100,\"bins\":2}]," HUGE_EPS;
    json_t *doc = run_spec(db, spec, 3);
    json_t *groups = json_object_get(doc, "groups");
    assert_int_equal(json_array_size(groups), 4);
    /* Row-major over the group columns, the first varying fastest: (north,true) has 3 rows. */
    json_t *g0 = json_array_get(groups, 0);
    assert_string_equal(json_string_value(json_array_get(json_object_get(g0, "key"), 0)), "north");
    assert_true(json_is_true(json_array_get(json_object_get(g0, "key"), 1)));
    assert_true(fixture_released(doc, 0) && fixture_value(doc, 0, "n") == 3);
    json_t *h = json_object_get(json_object_get(g0, "values"), "h");
    assert_int_equal(json_integer_value(json_array_get(h, 0)), 3);
    assert_true(json_is_null(json_array_get(h, 1))); /* below 3: withheld */
    for (size_t g = 1; g < 4; g++) {
        assert_false(fixture_released(doc, g));
        assert_null(json_object_get(json_array_get(groups, g), "values"));
    }
    json_decref(doc);
    clave_query_db_free(db);
}

static void test_run_errors(void **state)
{
    (void)state;
    struct clave_query_db *db = NULL;
    T_OK(clave_query_db_new(&db));
    struct clave_query_rules rules = fixture_rules(0, 0);
    struct clave_query *q = fixture_parse(
        "{\"name\":\"x\",\"tables\":[{\"dataset\":\"visits\",\"as\":\"v\"}],"
        "\"aggregates\":[{\"name\":\"n\",\"op\":\"count\"}],\"privacy\":{\"epsilon\":1}}",
        &rules);
    char *out = (char *)(uintptr_t)1;
    T_ERR(clave_query_run(db, q, &out), CLAVE_ERR_NOT_FOUND);
    assert_null(out);
    /* Loaded under the same id with another schema. */
    static const struct clave_query_column OTHER[] = {{"pid", CLAVE_QUERY_INT}};
    static const struct clave_query_table T = {"visits", OTHER, 1};
    T_OK(clave_query_db_load_csv(db, &T, (const uint8_t *)"pid\n1\n", 6));
    T_ERR(clave_query_run(db, q, &out), CLAVE_ERR_STATE);
    T_ERR(clave_query_db_load_csv(db, &T, (const uint8_t *)"pid\n1\n", 6), CLAVE_ERR_EXISTS);
    T_ERR(clave_query_run(NULL, q, &out), CLAVE_ERR_ARG);
    T_ERR(clave_query_run(db, q, NULL), CLAVE_ERR_ARG);
    clave_query_free(q);
    clave_query_db_free(db);
    clave_query_db_free(NULL);
}

static const struct {
    const char *csv, *detail;
} BAD_CSV[] = {
    {"", "empty"},
    {"pid,region,age,cost,smoker\n", "header has 5 fields"},
    {"pid,region,age,cost,smoker,day,x\n", "more fields"},
    {"pid,region,age,cost,smoker,pid\n", "twice"},
    {"pid,region,age,cost,smoker,nope\n", "not a column"},
    {"pid,region,age,cost,smoker,day\n1,a,2,3,true\n", "line 2: 5 fields"},
    {"pid,region,age,cost,smoker,day\n1,a,2,3,true,2024-01-01,9\n", "line 2: too many"},
    {"pid,region,age,cost,smoker,day\nx,a,2,3,true,2024-01-01\n", "column pid: not a valid int"},
    {"pid,region,age,cost,smoker,day\n99999999999999999999,a,2,3,1,\n", "pid: not a valid int"},
    {"pid,region,age,cost,smoker,day\n 1,a,2,3,1,\n", "pid: not a valid int"},
    {"pid,region,age,cost,smoker,day\n1,a,2,nan,1,\n", "cost: not a valid float"},
    {"pid,region,age,cost,smoker,day\n1,a,2,1e999,1,\n", "cost: not a valid float"},
    {"pid,region,age,cost,smoker,day\n1,a,2,inf,1,\n", "cost: not a valid float"},
    {"pid,region,age,cost,smoker,day\n1,a,2,3,yes,\n", "smoker: not a valid bool"},
    {"pid,region,age,cost,smoker,day\n1,a,2,3,1,2023-02-29\n", "day: not a valid date"},
    {"pid,region,age,cost,smoker,day\n1,a,2,3,1,2024-13-01\n", "day: not a valid date"},
    {"pid,region,age,cost,smoker,day\n1,\"a,2,3,1,\n", "unterminated quote"},
    {"pid,region,age,cost,smoker,day\n1,\"a\"b,2,3,1,\n", "unexpected character"},
    {"pid,region,age,cost,smoker,day\n1,a\"b,2,3,1,\n", "quote inside"},
    {"pid,region,age,cost,smoker,day\n1,a\rb,2,3,1,\n", "unexpected character"},
};

static void test_hostile_csv(void **state)
{
    (void)state;
    struct clave_query_db *db = NULL;
    T_OK(clave_query_db_new(&db));
    for (size_t i = 0; i < sizeof(BAD_CSV) / sizeof(BAD_CSV[0]); i++) {
        clave_status st = clave_query_db_load_csv(
            db, &FIXTURE_TABLES[0], (const uint8_t *)BAD_CSV[i].csv, strlen(BAD_CSV[i].csv));
        if (st == CLAVE_OK || strstr(clave_error_last().detail, BAD_CSV[i].detail) == NULL) {
            fail_msg("csv %zu: %s (%s)", i, clave_status_str(st), clave_error_last().detail);
        }
    }
    /* A NUL byte; a field over the limit; details never quote cells. */
    static const char NUL_CSV[] = "pid,region,age,cost,smoker,day\n1,a\0b,2,3,1,\n";
    T_ERR(clave_query_db_load_csv(db, &FIXTURE_TABLES[0], (const uint8_t *)NUL_CSV,
                                  sizeof(NUL_CSV) - 1),
          CLAVE_ERR_FORMAT);
    size_t big_len = CLAVE_QUERY_CSV_FIELD_MAX + 64;
    char *big = malloc(big_len);
    assert_non_null(big);
    int head = snprintf(big, big_len, "pid,region,age,cost,smoker,day\n1,");
    memset(big + head, 'S', big_len - (size_t)head);
    T_ERR(clave_query_db_load_csv(db, &FIXTURE_TABLES[0], (const uint8_t *)big, big_len),
          CLAVE_ERR_TOO_LARGE);
    assert_null(strstr(clave_error_last().detail, "SSS"));
    free(big);
    /* Truncation at every offset: a clean error or a (shorter) table, never a crash; failed
     * loads leave nothing behind, so the next load of the same id works. */
    for (size_t n = 0; n <= strlen(VISITS); n++) {
        struct clave_query_db *t = NULL;
        T_OK(clave_query_db_new(&t));
        if (clave_query_db_load_csv(t, &FIXTURE_TABLES[0], (const uint8_t *)VISITS, n) !=
            CLAVE_OK) {
            fixture_load(t, 0, VISITS);
        }
        clave_query_db_free(t);
    }
    /* Every single-byte flip of a valid file. */
    char *copy = strdup(VISITS);
    assert_non_null(copy);
    for (size_t i = 0; i < strlen(VISITS); i++) {
        struct clave_query_db *t = NULL;
        T_OK(clave_query_db_new(&t));
        copy[i] ^= 0x22;
        clave_status st =
            clave_query_db_load_csv(t, &FIXTURE_TABLES[0], (const uint8_t *)copy, strlen(VISITS));
        assert_true(st == CLAVE_OK || st == CLAVE_ERR_FORMAT);
        copy[i] ^= 0x22;
        clave_query_db_free(t);
    }
    free(copy);
    fixture_load(db, 0, VISITS); /* all the failures above left no table "visits" */
    clave_query_db_free(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_groups_and_filters),
        cmocka_unit_test(test_join_bounds_units),
        cmocka_unit_test(test_union_histogram_quantile),
        cmocka_unit_test(test_min_group_size),
        cmocka_unit_test(test_run_errors),
        cmocka_unit_test(test_hostile_csv),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
