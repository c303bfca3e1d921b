/* SPDX-License-Identifier: Apache-2.0 */
/* Query spec parser: JSON and key=value forms, and hostile specs naming the bad parameter. */
#include "testlib.h"

#include <string.h>

static void parse_ok(const char *text, struct clave_dp_query_spec *s)
{
    T_OK(clave_dp_query_spec_parse(text, strlen(text), s));
}

static void parse_bad(const char *text, const char *name)
{
    struct clave_dp_query_spec s;
    clave_status st = clave_dp_query_spec_parse(text, strlen(text), &s);
    if (st == CLAVE_OK) {
        fail_msg("accepted: %s", text);
    }
    const char *d = clave_error_last().detail;
    if (strstr(d, name) == NULL) {
        fail_msg("'%s': detail '%s' does not name '%s'", text, d, name);
    }
    assert_int_equal(s.op, 0);
}

static void test_forms(void **state)
{
    (void)state;
    struct clave_dp_query_spec s;
    parse_ok("column=radius op=mean lower=0 upper=30 epsilon=1", &s);
    assert_string_equal(s.column, "radius");
    assert_int_equal(s.op, CLAVE_DP_OP_MEAN);
    assert_true(s.bounds.lower == 0 && s.bounds.upper == 30 && s.params.epsilon == 1);
    assert_int_equal(s.params.mechanism, CLAVE_DP_LAPLACE);
    assert_int_equal(s.bounds.max_rows_per_user, 1);
    assert_int_equal(s.bounds.grid_bits, 16);
    parse_ok("{\"column\":\"c\",\"op\":\"sum\",\"lower\":-1,\"upper\":1,\"epsilon\":0.5,"
             "\"delta\":1e-6,\"mechanism\":\"gaussian\",\"max_rows_per_user\":3,\"grid_bits\":8}",
             &s);
    assert_int_equal(s.params.mechanism, CLAVE_DP_GAUSSIAN);
    assert_true(s.params.delta == 1e-6 && s.bounds.max_rows_per_user == 3);
    parse_ok("column=c,op=count,epsilon=2", &s);
    assert_int_equal(s.op, CLAVE_DP_OP_COUNT);
    parse_ok("column=c op=quantile lower=0 upper=1 epsilon=1 quantile=0.5", &s);
    parse_ok("column=c op=count mechanism=gaussian-zcdp rho=0.5", &s);
}

static void test_hostile(void **state)
{
    (void)state;
    parse_bad("column=c op=sum lower=5 upper=1 epsilon=1", "bounds reversed");
    parse_bad("column=c op=sum lower=0 upper=1 epsilon=0", "epsilon");
    parse_bad("column=c op=sum lower=0 upper=1 epsilon=-1", "epsilon");
    parse_bad("column=c op=sum lower=0 upper=1 epsilon=nan", "epsilon");
    parse_bad("column=c op=sum lower=0 upper=1 epsilon=inf", "epsilon");
    parse_bad("column=c op=sum lower=0 upper=1 epsilon=1e999", "epsilon");
    parse_bad("column=c op=sum lower=0 upper=1 epsilon=1x", "epsilon");
    parse_bad("column=c op=sum lower=0 upper=1 epsilon=1 mechanism=gaussian delta=1", "delta");
    parse_bad("column=c op=sum lower=0 upper=1 epsilon=1 mechanism=gaussian", "delta");
    parse_bad("column=c op=sum lower=0 upper=1 epsilon=1 delta=0.1", "delta");
    parse_bad("column=c op=sum lower=0 upper=1 epsilon=1 epsilon=2", "epsilon given twice");
    parse_bad("column=c op=sum lower=0 upper=1 epsilon=1 colour=red", "unknown key");
    parse_bad("column=c op=median epsilon=1", "op");
    parse_bad("column=c op=sum epsilon=1", "lower and upper");
    parse_bad("op=sum lower=0 upper=1 epsilon=1", "column");
    parse_bad("column=c op=sum lower=0 upper=1 epsilon=1 mechanism=cauchy", "mechanism");
    parse_bad("column=c op=sum lower=0 upper=1 epsilon=1 grid_bits=41", "grid_bits");
    parse_bad("column=c op=sum lower=0 upper=1 epsilon=1 max_rows_per_user=0", "max_rows");
    parse_bad("column=c op=quantile lower=0 upper=1 epsilon=1 quantile=1", "quantile");
    parse_bad("column=c op=count epsilon", "key=value");
    parse_bad("{\"column\":\"c\",\"op\":\"sum\",\"lower\":\"0\",\"upper\":1,\"epsilon\":1}",
              "lower must be a number");
    parse_bad("{\"column\":1}", "column must be a string");
    parse_bad("{\"column\":\"c\",\"column\":\"d\"}", "");
    parse_bad("[1,2]", "");
    parse_bad("{", "");
    char big[5000];
    memset(big, ' ', sizeof(big));
    struct clave_dp_query_spec s;
    T_ERR(clave_dp_query_spec_parse(big, sizeof(big), &s), CLAVE_ERR_TOO_LARGE);
    /* Truncation at every offset never crashes and never yields a half spec silently. */
    const char *full = "{\"column\":\"c\",\"op\":\"sum\",\"lower\":0,\"upper\":1,\"epsilon\":1}";
    for (size_t i = 0; i < strlen(full); i++) {
        assert_int_not_equal(clave_dp_query_spec_parse(full, i, &s), CLAVE_OK);
    }
    double v = 0;
    T_ERR(clave_dp_parse_double("sigma", "", &v), CLAVE_ERR_ARG);
    T_ERR(clave_dp_parse_double("sigma", " 1", &v), CLAVE_ERR_ARG);
    T_OK(clave_dp_parse_double("sigma", "1.5e-3", &v));
    assert_true(v == 1.5e-3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forms),
        cmocka_unit_test(test_hostile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
