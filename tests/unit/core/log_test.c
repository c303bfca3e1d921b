/* SPDX-License-Identifier: Apache-2.0 */
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *capture(enum clave_log_level min, enum clave_log_level level, const char *msg,
                     const struct clave_log_field *fields, size_t count)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *sink = open_memstream(&buf, &len);
    assert_non_null(sink);
    struct clave_log *log = NULL;
    T_OK(clave_log_new(sink, min, &log));
    clave_log_write(log, level, "test", msg, fields, count);
    clave_log_free(log);
    fclose(sink);
    return buf;
}

static void test_json_line(void **state)
{
    (void)state;
    const struct clave_log_field fields[] = {{"file", "a.csv"}, {"level", "forged"}};
    char *line = capture(CLAVE_LOG_INFO, CLAVE_LOG_WARN, "sealed", fields, 2);
    size_t len = strlen(line);
    assert_true(len > 0 && line[len - 1] == '\n');
    json_t *doc = NULL;
    T_OK(clave_json_parse(line, len, NULL, "log", &doc));
    const char *s = NULL;
    T_OK(clave_json_get_string(doc, "log", "level", true, 16, &s));
    assert_string_equal(s, "warn");
    T_OK(clave_json_get_string(doc, "log", "msg", true, 64, &s));
    assert_string_equal(s, "sealed");
    T_OK(clave_json_get_string(doc, "log", "file", true, 64, &s));
    assert_string_equal(s, "a.csv");
    T_OK(clave_json_get_string(doc, "log", "ts", true, 64, &s));
    assert_int_equal(strlen(s), 24);
    json_decref(doc);
    free(line);
}

static void test_level_filter_and_injection(void **state)
{
    (void)state;
    char *line = capture(CLAVE_LOG_WARN, CLAVE_LOG_INFO, "dropped", NULL, 0);
    assert_string_equal(line, "");
    free(line);
    const struct clave_log_field evil[] = {{"user", "x\"}\n{\"level\":\"error\""}};
    line = capture(CLAVE_LOG_DEBUG, CLAVE_LOG_INFO, "line\nbreak", evil, 1);
    /* Exactly one line: newlines and quotes in values are escaped. */
    assert_non_null(strchr(line, '\n'));
    assert_int_equal(strchr(line, '\n') - line, (long)strlen(line) - 1);
    free(line);
    enum clave_log_level lvl = CLAVE_LOG_INFO;
    T_OK(clave_log_level_parse("debug", &lvl));
    assert_int_equal(lvl, CLAVE_LOG_DEBUG);
    T_ERR(clave_log_level_parse("loud", &lvl), CLAVE_ERR_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_line),
        cmocka_unit_test(test_level_filter_and_injection),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
