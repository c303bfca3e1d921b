/* SPDX-License-Identifier: Apache-2.0 */
/* The runner's job file: the demo job parses; every rule refuses with the field named (on
 * stderr); hostile bytes (truncation at every offset, bit flips) never crash or leak. */
#include "testlib.h"

#include "columns.h"
#include "job.h"

#include <stdlib.h>
#include <string.h>

static char *demo_job(size_t *len)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/examples/cleanroom/job.json", CLAVE_SOURCE_DIR);
    return (char *)t_read_file(path, len);
}

static void test_demo_job(void **state)
{
    (void)state;
    size_t len = 0;
    char *text = demo_job(&len);
    struct runner_job job;
    T_OK(runner_job_parse((const uint8_t *)text, len, &job));
    assert_int_equal(job.table_count, 1);
    assert_string_equal(job.tables[0].name, "patients");
    assert_int_equal(job.tables[0].dataset_count, 3);
    assert_int_equal(json_array_size(job.queries), 1);
    assert_true(job.train.present && job.train.dp && job.train.baseline);
    assert_int_equal(job.train.feature_count, 15);
    assert_true(job.train.dp_epsilon == 3.0 && job.train.dp_delta == 1e-5);
    assert_non_null(runner_job_table(&job, "patients"));
    assert_null(runner_job_table(&job, "nope"));
    runner_job_clear(&job);
    free(text);
}

/* Replace the first `from` in the demo job by `to`; the parse must fail. */
static void refuse(const char *from, const char *to)
{
    size_t len = 0;
    char *text = demo_job(&len);
    char *at = strstr(text, from);
    assert_non_null(at);
    size_t n = len - strlen(from) + strlen(to);
    char *edited = malloc(n + 1);
    size_t head = (size_t)(at - text);
    memcpy(edited, text, head);
    memcpy(edited + head, to, strlen(to));
    memcpy(edited + head + strlen(to), at + strlen(from), len - head - strlen(from));
    edited[n] = '\0';
    struct runner_job job;
    assert_int_not_equal(runner_job_parse((const uint8_t *)edited, n, &job), CLAVE_OK);
    free(edited);
    free(text);
}

static void test_rules(void **state)
{
    (void)state;
    refuse("\"version\": 1", "\"version\": 2");
    refuse("\"version\": 1", "\"version\": 1, \"extra\": true");
    refuse("\"patients\": {", "\"pa tients\": {");
    refuse("\"hospital-a\",", "\"hospital a\",");
    refuse("\"mean_radius\": [\n        6,", "\"mean_radius\": [\n        60,"); /* lower > upper */
    refuse("\"mean_radius\": [\n        6,\n        30\n      ]", "\"mean_radius\": 6");
    refuse("\"label\": \"malignant\"", "\"label\": \"no_such_column\"");
    refuse("\"table\": \"patients\"", "\"table\": \"other\"");
    refuse("\"model\": \"logistic\"", "\"model\": \"mlp\"");
    refuse("\"epochs\": 40", "\"epochs\": 0");
    refuse("\"batch_size\": 64", "\"batch_size\": -1");
    refuse("\"learning_rate\": 0.5", "\"learning_rate\": 0");
    refuse("\"test_fraction\": 0.25", "\"test_fraction\": 1");
    refuse("\"epsilon\": 3", "\"epsilon\": 0");
    refuse("\"delta\": 1e-05", "\"delta\": 0.5");
    refuse("\"clip\": 1", "\"clip\": -1");
    refuse("\"clip\": 1", "\"clip\": 1, \"noise\": 2");
    refuse("\"seed\": \"clave demo 2026\"", "\"seed\": 7");
    refuse("\"baseline\": true", "\"baseline\": \"yes\"");
    refuse("\"worst_fractal_dimension\": \"float\",\n        \"malignant\": \"int\"",
           "\"worst_fractal_dimension\": \"float\""); /* the label is not a column */
    refuse("\"queries\": [", "\"queries\": 3, \"q\": [");
}

static void test_hostile(void **state)
{
    (void)state;
    size_t len = 0;
    char *text = demo_job(&len);
    struct runner_job job;
    for (size_t cut = 0; cut < len; cut += 7) { /* every 7th offset keeps the test fast */
        assert_int_not_equal(runner_job_parse((const uint8_t *)text, cut, &job), CLAVE_OK);
    }
    for (size_t i = 0; i < len; i += 13) {
        text[i] ^= 0x20;
        if (runner_job_parse((const uint8_t *)text, len, &job) == CLAVE_OK) {
            runner_job_clear(&job); /* a flip inside a name can leave a valid job */
        }
        text[i] ^= 0x20;
    }
    char *big = calloc(1, (2u << 20) + 1);
    memset(big, ' ', 2u << 20);
    assert_int_equal(runner_job_parse((const uint8_t *)big, 2u << 20, &job), CLAVE_ERR_JSON);
    free(big);
    free(text);
}

static void test_columns(void **state)
{
    (void)state;
    const char *names[] = {"b", "a"};
    struct runner_matrix m = {0};
    const char *csv = "a,b,c\r\n1,2,x\n3.5,-4e2,y\n\n";
    T_OK(runner_columns_append("t", csv, strlen(csv), names, 2, 10, &m));
    assert_int_equal(m.rows, 2);
    assert_true(m.v[0] == 2 && m.v[1] == 1 && m.v[2] == -400 && m.v[3] == 3.5);
    const char *more = "b,a\n5,6\n";
    T_OK(runner_columns_append("t2", more, strlen(more), names, 2, 10, &m));
    assert_int_equal(m.rows, 3);
    assert_true(m.v[4] == 5 && m.v[5] == 6);
    static const char *const BAD[] = {"",           "a,c\n1,2\n",   "a,b\n1,x\n",
                                      "a,b\n1\n",   "a,b\n1,nan\n", "a,b\n1,1e999\n",
                                      "a,b\n1,2 \n"};
    for (size_t i = 0; i < sizeof(BAD) / sizeof(BAD[0]); i++) {
        struct runner_matrix x = {0};
        assert_int_not_equal(runner_columns_append("bad", BAD[i], strlen(BAD[i]), names, 2, 10, &x),
                             CLAVE_OK);
        runner_matrix_free(&x);
    }
    const char *many = "a,b\n1,2\n3,4\n5,6\n";
    struct runner_matrix y = {0};
    assert_int_equal(runner_columns_append("many", many, strlen(many), names, 2, 2, &y),
                     CLAVE_ERR_TOO_LARGE);
    runner_matrix_free(&y);
    runner_matrix_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_demo_job),
        cmocka_unit_test(test_rules),
        cmocka_unit_test(test_hostile),
        cmocka_unit_test(test_columns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
