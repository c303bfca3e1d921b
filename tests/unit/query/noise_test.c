/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Noise scale of released counts. An empty table grouped over a public domain of 5000 keys gives
 * 5000 independent noise draws in one query (every declared group is released, empty or not).
 * Secure samplers have no seed, so the tolerances are wide enough never to fail by chance: the
 * sample variance of N = 5000 draws has relative standard deviation sqrt((kurtosis - 1) / N),
 * about 3.2% for the (discrete) Laplace (kurtosis 6) and 2% for the Gaussian; we allow 25%
 * (> 7 standard deviations), and |mean| <= 8 sqrt(var / N).
 */
#include "query_fixture.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define KEYS 5000

static const struct clave_query_column COLUMNS[] = {{"k", CLAVE_QUERY_INT}, {"u", CLAVE_QUERY_INT}};
static const struct clave_query_table TABLE[] = {{"t", COLUMNS, 2}};
static const char *const ALLOWED[] = {"k"};

/* Run the count query with `extra` spec fields and privacy `privacy`; returns the document. */
static json_t *noise_run(const char *extra, const char *privacy)
{
    size_t cap = 16 * KEYS + 1024;
    char *spec = malloc(cap);
    assert_non_null(spec);
    int n = snprintf(spec, cap,
                     "{\"name\":\"noise\",\"tables\":[{\"dataset\":\"t\",\"as\":\"t\"}],%s"
                     "\"group_by\":[{\"column\":\"t.k\",\"keys\":[",
                     extra);
    for (int i = 0; i < KEYS; i++) {
        n += snprintf(spec + n, cap - (size_t)n, "%s%d", i ? "," : "", i);
    }
    snprintf(spec + n, cap - (size_t)n,
             "]}],\"aggregates\":[{\"name\":\"n\",\"op\":\"count\"}],\"privacy\":%s}", privacy);
    struct clave_query_rules rules = {TABLE, 1, ALLOWED, 1, 0, 0, 0};
    struct clave_query *q = fixture_parse(spec, &rules);
    struct clave_query_db *db = NULL;
    T_OK(clave_query_db_new(&db));
    T_OK(clave_query_db_load_csv(db, TABLE, (const uint8_t *)"k,u\n", 4));
    json_t *doc = fixture_run(db, q);
    clave_query_db_free(db);
    clave_query_free(q);
    free(spec);
    return doc;
}

static void moments(const json_t *doc, double *mean, double *var)
{
    double s = 0, s2 = 0;
    json_t *groups = json_object_get(doc, "groups");
    assert_int_equal(json_array_size(groups), KEYS);
    for (size_t g = 0; g < KEYS; g++) {
        assert_true(fixture_released(doc, g));
        double v = fixture_value(doc, g, "n");
        s += v;
        s2 += v * v;
    }
    *mean = s / KEYS;
    *var = s2 / KEYS - *mean * *mean;
}

static double noise_param(const json_t *doc, const char *name)
{
    json_t *noise = json_object_get(json_array_get(json_object_get(doc, "aggregates"), 0), "noise");
    return json_number_value(json_object_get(noise, name));
}

static void check(double mean, double var, double expected_var)
{
    if (fabs(var / expected_var - 1.0) > 0.25 || fabs(mean) > 8.0 * sqrt(expected_var / KEYS)) {
        fail_msg("mean %g, variance %g, expected variance %g", mean, var, expected_var);
    }
}

/* Discrete Laplace of scale t: variance 2r / (1 - r)^2 with r = exp(-1/t). */
static double laplace_variance(double t)
{
    double r = exp(-1.0 / t);
    return 2.0 * r / ((1.0 - r) * (1.0 - r));
}

static void test_laplace(void **state)
{
    (void)state;
    double mean = 0, var = 0;
    json_t *doc = noise_run("", "{\"epsilon\":1}");
    double scale = noise_param(doc, "scale");
    assert_true(scale >= 1.0 && scale < 1.0 + 1e-9); /* sensitivity 1 / epsilon 1 */
    moments(doc, &mean, &var);
    check(mean, var, laplace_variance(scale));
    json_decref(doc);
    /* Three rows per unit: three times the scale, at half the epsilon six times. */
    doc = noise_run("\"privacy_unit\":\"t.u\",\"max_rows_per_unit\":3,", "{\"epsilon\":0.5}");
    scale = noise_param(doc, "scale");
    assert_true(scale >= 6.0 && scale < 6.0 + 1e-8);
    assert_int_equal((int)noise_param(doc, "sensitivity"), 3);
    moments(doc, &mean, &var);
    check(mean, var, laplace_variance(scale));
    json_decref(doc);
}

static void test_gaussian(void **state)
{
    (void)state;
    double mean = 0, var = 0;
    json_t *doc = noise_run("", "{\"mechanism\":\"gaussian\",\"epsilon\":1,\"delta\":1e-5}");
    double sigma2 = noise_param(doc, "sigma2");
    /* Balle & Wang 2018: sensitivity 1, epsilon 1, delta 1e-5 -> sigma 3.7306 (the discrete
     * Gaussian check may raise it a little, never lower it). */
    assert_true(sigma2 >= 3.7306 * 3.7306 && sigma2 <= 3.80 * 3.80);
    moments(doc, &mean, &var);
    check(mean, var, sigma2);
    json_t *privacy = json_object_get(doc, "privacy");
    assert_true(json_number_value(json_object_get(privacy, "delta")) == 1e-5);
    assert_true(json_number_value(json_object_get(doc, "delta_spent")) == 1e-5);
    json_decref(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_laplace),
        cmocka_unit_test(test_gaussian),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
