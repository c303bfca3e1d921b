/* SPDX-License-Identifier: Apache-2.0 */
/* Query spec parser: valid specs, every rejection path (the detail names the field), hostile
 * names, truncation at every offset, the cost and the budget split. */
#include "query_fixture.h"

#include <math.h>
#include <stdlib.h>

#define GOOD                                                                                       \
    "{\"name\":\"by_region\",\"tables\":[{\"dataset\":\"visits\",\"as\":\"v\"}],"                  \
    "\"filters\":[{\"column\":\"v.age\",\"op\":\">=\",\"value\":18}],"                             \
    "\"group_by\":[{\"column\":\"v.region\",\"keys\":[\"north\",\"south\"]}],"                     \
    "\"aggregates\":[{\"name\":\"n\",\"op\":\"count\"},"                                           \
    "{\"name\":\"mean_cost\",\"op\":\"mean\",\"column\":\"v.cost\",\"lower\":0,\"upper\":100}],"   \
    "\"privacy\":{\"mechanism\":\"laplace\",\"epsilon\":1}}"

static void test_good(void **state)
{
    (void)state;
    struct clave_query_rules rules = fixture_rules(10, 0);
    struct clave_query *q = fixture_parse(GOOD, &rules);
    double e = 0, d = 1;
    clave_query_cost(q, &e, &d);
    assert_true(e == 1.0 && d == 0.0);
    assert_string_equal(clave_query_name(q), "by_region");
    clave_query_free(q);
    /* Gaussian with numbers as decimal strings (contract CBOR has no floats); union; weights. */
    const char *g =
        "{\"name\":\"g\",\"tables\":[{\"datasets\":[\"visits\",\"visits-b\"],\"as\":\"v\"}],"
        "\"aggregates\":[{\"name\":\"n\",\"op\":\"count\",\"weight\":3},"
        "{\"name\":\"q\",\"op\":\"quantile\",\"column\":\"cost\",\"lower\":\"0\",\"upper\":\"1e2\","
        "\"quantile\":\"0.5\"},{\"name\":\"h\",\"op\":\"histogram\",\"column\":\"v.age\","
        "\"lower\":0,\"upper\":100,\"bins\":10}],"
        "\"privacy\":{\"mechanism\":\"gaussian\",\"epsilon\":\"0.5\",\"delta\":\"1e-6\"}}";
    q = fixture_parse(g, &rules);
    clave_query_cost(q, &e, &d);
    assert_true(e == 0.5 && d == 1e-6);
    clave_query_free(q);
    /* A join on the privacy unit. */
    const char *j = "{\"name\":\"j\",\"tables\":[{\"dataset\":\"visits\",\"as\":\"v\"},"
                    "{\"dataset\":\"people\",\"as\":\"p\"}],\"privacy_unit\":\"p.pid\","
                    "\"max_rows_per_unit\":5,\"joins\":[{\"left\":\"v.pid\",\"right\":\"p.pid\"}],"
                    "\"group_by\":[{\"column\":\"p.sex\",\"keys\":[\"f\",\"m\"]}],"
                    "\"aggregates\":[{\"name\":\"n\",\"op\":\"count\"}],"
                    "\"privacy\":{\"epsilon\":1}}";
    q = fixture_parse(j, &rules);
    /* the datasets a query reads (each owner's budget is debited) and its mechanism */
    assert_int_equal(clave_query_dataset_count(q), 2);
    assert_string_equal(clave_query_dataset(q, 0), "visits");
    assert_string_equal(clave_query_dataset(q, 1), "people");
    assert_null(clave_query_dataset(q, 2));
    assert_string_equal(clave_query_mechanism_name(q), "discrete-laplace");
    clave_query_free(q);
    q = fixture_parse(g, &rules);
    assert_int_equal(clave_query_dataset_count(q), 2);
    assert_string_equal(clave_query_dataset(q, 1), "visits-b");
    assert_string_equal(clave_query_mechanism_name(q), "discrete-gaussian");
    clave_query_free(q);
    assert_int_equal(clave_query_dataset_count(NULL), 0);
    clave_query_free(NULL);
}

struct bad {
    const char *from, *to; /* replace `from` in GOOD by `to` */
    const char *field;     /* expected in the error detail */
};

static const struct bad BAD[] = {
    {"\"name\":\"by_region\"", "\"name\":\"a b\"", "query.name"},
    {"\"name\":\"by_region\",", "", "query.name"},
    {"\"dataset\":\"visits\"", "\"dataset\":\"nope\"", "query.tables[0].dataset: unknown"},
    {"\"as\":\"v\"", "\"as\":\"1v\"", "query.tables[0].as"},
    {"\"as\":\"v\"", "\"as\":\"v\\\"x\"", "query.tables[0].as"},
    {"\"dataset\":\"visits\"", "\"datasets\":[\"visits\",\"people\"]", "schema differs"},
    {"\"dataset\":\"visits\"", "\"datasets\":[\"visits\",\"visits\"]", "used twice"},
    {"\"dataset\":\"visits\"", "\"datasets\":[]", "query.tables[0].datasets"},
    {"\"v.age\",\"op\":\">=\"", "\"v.nope\",\"op\":\">=\"", "query.filters[0].column: unknown"},
    {"\"v.age\",\"op\":\">=\"", "\"v.pid\",\"op\":\">=\"", "query.filters[0].column: not allowed"},
    {"\"op\":\">=\"", "\"op\":\"like\"", "query.filters[0].op"},
    {"\"value\":18", "\"value\":\"18\"", "query.filters[0].value: expected an int"},
    {"\"value\":18", "\"value\":18.5", "query.filters[0].value: expected an int"},
    {"\"value\":18", "\"values\":[18]", "query.filters[0].value"},
    {"\"op\":\">=\",\"value\":18", "\"op\":\"in\",\"values\":[]", "query.filters[0].values"},
    {"\"op\":\">=\",\"value\":18", "\"op\":\"in\",\"value\":18", "query.filters[0].value"},
    {"\"v.age\",\"op\":\">=\"", "\"v.smoker\",\"op\":\">=\"", "query.filters[0].op"},
    {"\"v.region\",\"keys\"", "\"v.cost\",\"keys\"", "query.group_by[0].column: cannot group"},
    {"\"keys\":[\"north\",\"south\"]", "\"keys\":[\"north\",\"north\"]", "duplicate value"},
    {"\"keys\":[\"north\",\"south\"]", "\"keys\":[]", "query.group_by[0].keys"},
    {"\"keys\":[\"north\",\"south\"]", "\"keys\":[1]", "query.group_by[0].keys[0]"},
    {"\"column\":\"v.region\",\"keys\"", "\"column\":\"v.pid\",\"keys\"", "not allowed"},
    {",\"upper\":100", "", "query.aggregates[1].upper: missing"},
    {"\"lower\":0,", "", "query.aggregates[1].lower: missing"},
    {"\"lower\":0,\"upper\":100", "\"lower\":100,\"upper\":0", "aggregates[1].lower: bounds"},
    {"\"lower\":0,\"upper\":100", "\"lower\":5,\"upper\":5", "aggregates[1].lower: bounds"},
    {"\"upper\":100", "\"upper\":1e300", "aggregates[1].upper"},
    {"\"upper\":100", "\"upper\":\"nan\"", "upper"},
    {"\"column\":\"v.cost\"", "\"column\":\"v.region\"", "aggregates[1].column: mean needs"},
    {"\"column\":\"v.cost\"", "\"column\":\"v.pid\"", "aggregates[1].column: not allowed"},
    {"{\"name\":\"n\",\"op\":\"count\"}", "{\"name\":\"n\",\"op\":\"count\",\"column\":\"v.age\"}",
     "aggregates[0].column: count takes no"},
    {"\"op\":\"count\"", "\"op\":\"median\"", "aggregates[0].op"},
    {"\"name\":\"mean_cost\"", "\"name\":\"n\"", "aggregates[1].name: duplicate"},
    {"\"op\":\"mean\"", "\"op\":\"quantile\"", "aggregates[1].quantile"},
    {"\"op\":\"mean\"", "\"op\":\"histogram\"", "aggregates[1].bins"},
    {"\"upper\":100}", "\"upper\":100,\"bins\":5}", "aggregates[1].bins: only for histogram"},
    {"\"upper\":100}", "\"upper\":100,\"weight\":0}", "aggregates[1].weight"},
    {"\"upper\":100}", "\"upper\":100,\"extra\":1}", "query.aggregates[1]"},
    {"{\"name\":\"n\",\"op\":\"count\"},", "", "min_group_size 10 needs a count"},
    {"\"epsilon\":1", "\"epsilon\":0", "query.privacy.epsilon"},
    {"\"epsilon\":1", "\"epsilon\":-1", "query.privacy.epsilon"},
    {"\"epsilon\":1", "\"epsilon\":11", "query.privacy.epsilon"},
    {"\"epsilon\":1", "\"epsilon\":\"1x\"", "epsilon"},
    {"\"epsilon\":1", "\"epsilon\":1,\"delta\":1e-6", "query.privacy.delta: laplace"},
    {"\"laplace\"", "\"gaussian\"", "query.privacy.delta: gaussian needs"},
    {"\"laplace\",\"epsilon\":1", "\"gaussian\",\"epsilon\":1,\"delta\":0.5", "privacy.delta"},
    {"\"laplace\"", "\"exponential\"", "query.privacy.mechanism"},
    {"\"privacy\":{\"mechanism\":\"laplace\",\"epsilon\":1}", "\"privacy\":{}", "epsilon"},
    {"\"name\":\"by_region\"", "\"name\":\"x\",\"sql\":\"SELECT 1\"", "query"},
    {"\"name\":\"by_region\"", "\"name\":\"x\",\"max_rows_per_unit\":3", "max_rows_per_unit"},
    {"\"name\":\"by_region\"", "\"name\":\"x\",\"privacy_unit\":\"v.nope\"", "privacy_unit"},
    {"\"name\":\"by_region\"", "\"name\":\"x\",\"privacy_unit\":\"v.cost\"", "privacy_unit"},
    {"\"name\":\"by_region\"", "\"name\":\"x\",\"grid_bits\":41", "grid_bits"},
    {"\"name\":\"by_region\"", "\"name\":\"x\",\"joins\":[{}]", "query.joins"},
};

static char *replace(const char *from, const char *to)
{
    const char *at = strstr(GOOD, from);
    if (at == NULL) {
        fail_msg("test bug: '%s' not in GOOD", from);
    }
    size_t pre = (size_t)(at - GOOD), n = strlen(GOOD) - strlen(from) + strlen(to) + 1;
    char *s = malloc(n);
    assert_non_null(s);
    memcpy(s, GOOD, pre);
    memcpy(s + pre, to, strlen(to));
    memcpy(s + pre + strlen(to), at + strlen(from), strlen(at + strlen(from)) + 1);
    return s;
}

static void expect_bad(const char *spec, const struct clave_query_rules *rules, const char *field)
{
    struct clave_query *q = (struct clave_query *)(uintptr_t)1;
    clave_status st = clave_query_parse(spec, strlen(spec), rules, &q);
    if (st == CLAVE_OK) {
        fail_msg("accepted: %s", spec);
    }
    assert_null(q);
    const char *d = clave_error_last().detail;
    if (strstr(d, field) == NULL) {
        fail_msg("%s\n  detail '%s' does not name '%s'", spec, d, field);
    }
}

static void test_rejections(void **state)
{
    (void)state;
    struct clave_query_rules rules = fixture_rules(10, 0);
    for (size_t i = 0; i < sizeof(BAD) / sizeof(BAD[0]); i++) {
        char *s = replace(BAD[i].from, BAD[i].to);
        expect_bad(s, &rules, BAD[i].field);
        free(s);
    }
}

static void test_joins_and_units(void **state)
{
    (void)state;
    struct clave_query_rules rules = fixture_rules(0, 0);
    static const char *const HEAD = "{\"name\":\"j\",\"tables\":[{\"dataset\":\"visits\",\"as\":"
                                    "\"v\"},{\"dataset\":\"people\",\"as\":\"p\"}],";
    static const char *const TAIL =
        "\"aggregates\":[{\"name\":\"n\",\"op\":\"count\"}],\"privacy\":{\"epsilon\":1}}";
    static const struct {
        const char *mid, *field;
    } CASES[] = {
        {"", "privacy_unit: required"},
        {"\"privacy_unit\":\"p.pid\",", "query.joins: need exactly 1"},
        {"\"privacy_unit\":\"p.pid\",\"joins\":[{\"left\":\"v.region\",\"right\":\"p.sex\"}],",
         "query.joins[0]: joins must be on the privacy_unit"},
        {"\"privacy_unit\":\"p.pid\",\"joins\":[{\"left\":\"v.region\",\"right\":\"p.pid\"}],",
         "query.joins[0]: join keys must have the same type"},
        {"\"privacy_unit\":\"p.pid\",\"joins\":[{\"left\":\"p.pid\",\"right\":\"p.pid\"}],",
         "query.joins[0]: must join one new table"},
        {"\"privacy_unit\":\"p.pid\",\"joins\":[{\"left\":\"v.pid\",\"right\":\"p.nope\"}],",
         "query.joins[0].right: unknown column"},
        {"\"privacy_unit\":\"pid\",\"joins\":[{\"left\":\"v.pid\",\"right\":\"p.pid\"}],",
         "query.privacy_unit: unknown column"},
        {"\"privacy_unit\":\"p.pid\",\"max_rows_per_unit\":1001,\"joins\":[{\"left\":\"v.pid\","
         "\"right\":\"p.pid\"}],",
         "max_rows_per_unit"},
    };
    char spec[2048];
    for (size_t i = 0; i < sizeof(CASES) / sizeof(CASES[0]); i++) {
        snprintf(spec, sizeof(spec), "%s%s%s", HEAD, CASES[i].mid, TAIL);
        expect_bad(spec, &rules, CASES[i].field);
    }
    /* A column of people not in the allowed list ("secret") cannot be grouped or filtered on. */
    snprintf(spec, sizeof(spec),
             "%s\"privacy_unit\":\"p.pid\",\"joins\":[{\"left\":\"v.pid\",\"right\":\"p.pid\"}],"
             "\"filters\":[{\"column\":\"p.secret\",\"op\":\"=\",\"value\":\"x\"}],%s",
             HEAD, TAIL);
    expect_bad(spec, &rules, "query.filters[0].column: not allowed");
}

/* Names that try to break out of SQL quoting never get that far: they are not columns. */
static void test_hostile_names(void **state)
{
    (void)state;
    struct clave_query_rules rules = fixture_rules(0, 0);
    static const char *const REFS[] = {
        "v.age\\\" FROM visits; DROP TABLE visits; --",
        "v.\\\"age\\\"",
        "v.age; --",
        "v.age' OR '1'='1",
        "v.*",
        "*",
        "v.",
        ".age",
        "v..age",
    };
    char spec[1024];
    for (size_t i = 0; i < sizeof(REFS) / sizeof(REFS[0]); i++) {
        snprintf(spec, sizeof(spec),
                 "{\"name\":\"x\",\"tables\":[{\"dataset\":\"visits\",\"as\":\"v\"}],"
                 "\"aggregates\":[{\"name\":\"s\",\"op\":\"sum\",\"column\":\"%s\",\"lower\":0,"
                 "\"upper\":1}],\"privacy\":{\"epsilon\":1}}",
                 REFS[i]);
        expect_bad(spec, &rules, "query.aggregates[0].column");
    }
    const char *nul =
        "{\"name\":\"x\",\"tables\":[{\"dataset\":\"visits\",\"as\":\"v\"}],"
        "\"aggregates\":[{\"name\":\"s\",\"op\":\"sum\",\"column\":\"v.a\\u0000ge\"}]}";
    struct clave_query *nq = NULL;
    T_ERR(clave_query_parse(nul, strlen(nul), &rules, &nq), CLAVE_ERR_JSON);
    /* Rules with hostile names are refused (they would be SQL identifiers). */
    static const struct clave_query_column BAD_COLS[] = {{"a\"b", CLAVE_QUERY_INT}};
    static const struct clave_query_table BAD_TABLES[] = {{"t", BAD_COLS, 1}};
    struct clave_query_rules bad = {BAD_TABLES, 1, NULL, 0, 0, 0, 0};
    struct clave_query *q = NULL;
    T_ERR(clave_query_parse(GOOD, strlen(GOOD), &bad, &q), CLAVE_ERR_ARG);
    static const struct clave_query_table BAD_IDS[] = {{"t\"; --", VISIT_COLUMNS, 6}};
    bad.tables = BAD_IDS;
    T_ERR(clave_query_parse(GOOD, strlen(GOOD), &bad, &q), CLAVE_ERR_ARG);
}

static void test_hostile_documents(void **state)
{
    (void)state;
    struct clave_query_rules rules = fixture_rules(10, 0);
    struct clave_query *q = NULL;
    for (size_t i = 0; i < strlen(GOOD); i++) {
        assert_int_not_equal(clave_query_parse(GOOD, i, &rules, &q), CLAVE_OK);
        assert_null(q);
    }
    char *big = malloc(CLAVE_QUERY_SPEC_MAX_BYTES + 2);
    assert_non_null(big);
    memset(big, ' ', CLAVE_QUERY_SPEC_MAX_BYTES + 1);
    big[0] = '{';
    big[CLAVE_QUERY_SPEC_MAX_BYTES] = '}';
    T_ERR(clave_query_parse(big, CLAVE_QUERY_SPEC_MAX_BYTES + 1, &rules, &q), CLAVE_ERR_TOO_LARGE);
    free(big);
    const char *deep = "{\"name\":[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]}";
    assert_int_not_equal(clave_query_parse(deep, strlen(deep), &rules, &q), CLAVE_OK);
    T_ERR(clave_query_parse("[]", 2, &rules, &q), CLAVE_ERR_JSON);
    T_ERR(clave_query_parse(GOOD, strlen(GOOD), NULL, &q), CLAVE_ERR_ARG);
    T_ERR(clave_query_parse(NULL, 0, &rules, &q), CLAVE_ERR_ARG);
    T_ERR(clave_query_parse(GOOD, strlen(GOOD), &rules, NULL), CLAVE_ERR_ARG);
    /* Duplicate keys are refused by the JSON layer. */
    const char *dup = "{\"name\":\"a\",\"name\":\"b\"}";
    assert_int_not_equal(clave_query_parse(dup, strlen(dup), &rules, &q), CLAVE_OK);
    /* Too many aggregates. */
    char spec[8192] = "{\"name\":\"x\",\"tables\":[{\"dataset\":\"visits\",\"as\":\"v\"}],"
                      "\"aggregates\":[";
    for (int i = 0; i <= CLAVE_QUERY_AGGREGATES_MAX; i++) {
        char one[64];
        snprintf(one, sizeof(one), "%s{\"name\":\"n%d\",\"op\":\"count\"}", i ? "," : "", i);
        strncat(spec, one, sizeof(spec) - strlen(spec) - 1);
    }
    strncat(spec, "],\"privacy\":{\"epsilon\":1}}", sizeof(spec) - strlen(spec) - 1);
    expect_bad(spec, &rules, "query.aggregates");
}

static void test_rules_caps(void **state)
{
    (void)state;
    struct clave_query_rules rules = fixture_rules(10, 0.5);
    expect_bad(GOOD, &rules, "query.privacy.epsilon: must be in (0, 0.5]");
    rules.max_epsilon = 100;
    struct clave_query *q = fixture_parse(GOOD, &rules);
    clave_query_free(q);
    /* An empty allowed list allows only counts. */
    rules.allowed_column_count = 0;
    expect_bad(GOOD, &rules, "not allowed");
    static const char *const STAR[] = {"*"};
    rules.allowed_columns = STAR;
    rules.allowed_column_count = 1;
    q = fixture_parse(GOOD, &rules);
    clave_query_free(q);
    static const char *const QUALIFIED[] = {"visits.age", "visits.region", "visits.cost"};
    rules.allowed_columns = QUALIFIED;
    rules.allowed_column_count = 3;
    q = fixture_parse(GOOD, &rules);
    clave_query_free(q);
    static const char *const OTHER[] = {"visits-b.age", "visits.region", "visits.cost"};
    rules.allowed_columns = OTHER;
    expect_bad(GOOD, &rules, "query.filters[0].column: not allowed");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),
        cmocka_unit_test(test_rejections),
        cmocka_unit_test(test_joins_and_units),
        cmocka_unit_test(test_hostile_names),
        cmocka_unit_test(test_hostile_documents),
        cmocka_unit_test(test_rules_caps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
