/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Wisconsin Diagnostic Breast Cancer data (569 rows, scripts/fetch-data.sh; the fixture in
 * wdbc_test.cmake fetches it and CLAVE_TEST_BREAST_CANCER names it): the docs' example spec,
 * counts and mean radius by diagnosis at epsilon 1, checked against the exact values computed
 * here from the same file. scikit-learn's copy starts with a line "569,30,malignant,benign" and
 * its target column is 0 = malignant, 1 = benign; the test gives the columns names.
 */
#include "query_fixture.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define FEATURES 30

static struct clave_query_column COLUMNS[FEATURES + 1];
static char NAMES[FEATURES][16];
static const struct clave_query_table TABLE = {"wdbc", COLUMNS, FEATURES + 1};
static const char *const ALLOWED[] = {"mean_radius", "diagnosis"};

/* The docs/runner.md example. */
static const char SPEC[] =
    "{\"name\":\"radius_by_diagnosis\","
    "\"tables\":[{\"dataset\":\"wdbc\",\"as\":\"w\"}],"
    "\"group_by\":[{\"column\":\"w.diagnosis\",\"keys\":[0,1]}],"
    "\"aggregates\":[{\"name\":\"patients\",\"op\":\"count\"},"
    "{\"name\":\"mean_radius\",\"op\":\"mean\",\"column\":\"w.mean_radius\",\"lower\":5,"
    "\"upper\":30}],"
    "\"privacy\":{\"mechanism\":\"laplace\",\"epsilon\":1}}";

/* The file with a header of names instead of sklearn's first line; exact counts and sums. */
static uint8_t *load(size_t *len, double count[2], double sum[2])
{
    const char *path = getenv("CLAVE_TEST_BREAST_CANCER");
    if (path == NULL) {
        fail_msg("CLAVE_TEST_BREAST_CANCER is not set (run through ctest: it fetches the data)");
    }
    size_t raw_len = 0;
    uint8_t *raw = t_read_file(path, &raw_len);
    const uint8_t *body = memchr(raw, '\n', raw_len);
    assert_non_null(body);
    body++;
    char header[1024] = "";
    for (int i = 0; i < FEATURES; i++) {
        snprintf(NAMES[i], sizeof(NAMES[i]), i == 0 ? "mean_radius" : "f%d", i);
        COLUMNS[i] = (struct clave_query_column){NAMES[i], CLAVE_QUERY_FLOAT};
        strncat(header, NAMES[i], sizeof(header) - strlen(header) - 1);
        strncat(header, ",", sizeof(header) - strlen(header) - 1);
    }
    COLUMNS[FEATURES] = (struct clave_query_column){"diagnosis", CLAVE_QUERY_INT};
    strncat(header, "diagnosis\n", sizeof(header) - strlen(header) - 1);
    size_t rest = raw_len - (size_t)(body - raw);
    uint8_t *csv = malloc(strlen(header) + rest + 1);
    assert_non_null(csv);
    memcpy(csv, header, strlen(header));
    memcpy(csv + strlen(header), body, rest);
    *len = strlen(header) + rest;
    csv[*len] = '\0';
    /* Exact values: first field radius, last field target. */
    count[0] = count[1] = sum[0] = sum[1] = 0;
    for (const char *line = (const char *)csv + strlen(header); *line != '\0';) {
        const char *end = strchr(line, '\n');
        const char *last = end != NULL ? end : line + strlen(line);
        while (last > line && last[-1] != ',') {
            last--;
        }
        int target = last[0] == '1';
        count[target] += 1;
        sum[target] += strtod(line, NULL);
        line = end != NULL ? end + 1 : line + strlen(line);
    }
    free(raw);
    return csv;
}

static json_t *run(const uint8_t *csv, size_t len, const char *spec, double max_epsilon)
{
    struct clave_query_rules rules = {&TABLE, 1, ALLOWED, 2, 10, max_epsilon, 0};
    struct clave_query *q = fixture_parse(spec, &rules);
    struct clave_query_db *db = NULL;
    T_OK(clave_query_db_new(&db));
    T_OK(clave_query_db_load_csv(db, &TABLE, csv, len));
    json_t *doc = fixture_run(db, q);
    clave_query_db_free(db);
    clave_query_free(q);
    return doc;
}

static void test_radius_by_diagnosis(void **state)
{
    (void)state;
    size_t len = 0;
    double count[2], sum[2];
    uint8_t *csv = load(&len, count, sum);
    assert_true(count[0] == 212 && count[1] == 357); /* WDBC: 212 malignant, 357 benign */
    json_t *doc = run(csv, len, SPEC, 0);
    for (size_t g = 0; g < 2; g++) {
        /* Count: discrete Laplace of scale 2 (epsilon 0.5): |noise| > 60 has probability
         * below e^-30. Mean: sum noise of scale 12.5 * 4 = 50 over >= 200 rows, so |error| > 5
         * has probability below e^-20. */
        assert_true(fixture_released(doc, g));
        assert_true(fabs(fixture_value(doc, g, "patients") - count[g]) <= 60);
        assert_true(fabs(fixture_value(doc, g, "mean_radius") - sum[g] / count[g]) <= 5);
    }
    json_decref(doc);
    /* At a huge epsilon the values are the exact ones. */
    char spec[1024];
    snprintf(spec, sizeof(spec), "%.*s\"epsilon\":100000}}",
             (int)(strstr(SPEC, "\"epsilon\"") - SPEC), SPEC);
    doc = run(csv, len, spec, 1e6);
    for (size_t g = 0; g < 2; g++) {
        assert_true(fixture_value(doc, g, "patients") == count[g]);
        assert_true(fabs(fixture_value(doc, g, "mean_radius") - sum[g] / count[g]) < 0.01);
    }
    json_decref(doc);
    free(csv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_radius_by_diagnosis),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
