/* SPDX-License-Identifier: Apache-2.0 */
/* Policy engine: inline PEM roots, evidence age, TCB status, report_data padding, and the
 * default policy's refusal of simulated evidence even when its root is supplied. */
#include "attest_testutil.h"

#include <time.h>

/* An hour ago: inside the fresh sim certificates' validity (the document time judges the chain). */
static int64_t g_doc_time;
#define DOC_TIME g_doc_time

static char *g_dir;
static char g_sim[4096];

static int setup(void **state)
{
    (void)state;
    g_dir = t_tempdir();
    (void)snprintf(g_sim, sizeof(g_sim), "%s/sim", g_dir);
    T_OK(clave_attest_sim_init(g_sim));
    g_doc_time = (int64_t)time(NULL) - 3600;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    t_rmtree(g_dir);
    free(g_dir);
    return 0;
}

/* A policy whose sim-nitro root is the PEM text itself, JSON-escaped, plus `extra` members. */
static struct clave_attest_policy *inline_policy(const char *extra)
{
    char path[4200];
    size_t len = 0;
    (void)snprintf(path, sizeof(path), "%s/root.pem", g_sim);
    uint8_t *pem = t_read_file(path, &len);
    json_t *root = json_stringn((const char *)pem, len);
    char *escaped = json_dumps(root, JSON_ENCODE_ANY);
    char json[8192];
    (void)snprintf(json, sizeof(json),
                   "{\"version\":1,\"tees\":{\"sim-nitro\":{\"trusted_roots\":[%s]%s}}}", escaped,
                   extra);
    struct clave_attest_policy *p = NULL;
    T_OK(clave_attest_policy_parse(json, strlen(json), NULL, &p));
    free(escaped);
    json_decref(root);
    free(pem);
    return p;
}

static uint8_t *sim_doc(size_t *len)
{
    const uint8_t rd[4] = {0xde, 0xad, 0xbe, 0xef};
    struct clave_attest_sim_input in = {.report_data = rd, .report_data_len = 4, .time = DOC_TIME};
    uint8_t *doc = NULL;
    T_OK(clave_attest_sim_evidence(g_sim, "nitro", &in, &doc, len));
    return doc;
}

static void test_inline_root_and_age(void **state)
{
    (void)state;
    size_t len = 0;
    uint8_t *doc = sim_doc(&len);
    struct clave_attest_policy *p = inline_policy(",\"max_age_seconds\":60");
    struct clave_attest_options opts = {.policy = p};
    struct clave_attest_report *r = t_appraise("nitro", doc, len, &opts, p, DOC_TIME + 30);
    assert_true(clave_attest_report_ok(r));
    assert_true(t_check_passed(r, "policy.max_age", NULL, 0));
    clave_attest_report_free(r);
    r = t_appraise("nitro", doc, len, &opts, p, DOC_TIME + 120); /* too old */
    assert_false(t_check_passed(r, "policy.max_age", NULL, 0));
    clave_attest_report_free(r);
    r = t_appraise("nitro", doc, len, &opts, p, DOC_TIME - 10); /* from the future */
    assert_false(t_check_passed(r, "policy.max_age", NULL, 0));
    clave_attest_report_free(r);
    clave_attest_policy_free(p);
    free(doc);
}

static void test_report_data_and_tcb_status(void **state)
{
    (void)state;
    size_t len = 0;
    uint8_t *doc = sim_doc(&len);
    struct clave_attest_policy *p = inline_policy(",\"report_data\":\"deadbeef\"");
    struct clave_attest_options opts = {.policy = p};
    struct clave_attest_report *r = t_appraise("nitro", doc, len, &opts, p, DOC_TIME);
    assert_true(t_check_passed(r, "policy.report_data", NULL, 0));
    clave_attest_report_free(r);
    clave_attest_policy_free(p);
    p = inline_policy(",\"report_data\":\"deadbeee\",\"tcb_status\":[\"UpToDate\"]");
    opts.policy = p;
    r = t_appraise("nitro", doc, len, &opts, p, DOC_TIME);
    assert_false(t_check_passed(r, "policy.report_data", NULL, 0));
    assert_false(t_check_passed(r, "policy.tcb_status", NULL, 0)); /* Nitro has no TCB status */
    clave_attest_report_free(r);
    clave_attest_policy_free(p);
    free(doc);
}

static void test_default_policy_refuses_sim(void **state)
{
    (void)state;
    size_t len = 0;
    uint8_t *doc = sim_doc(&len);
    struct clave_attest_policy *p = inline_policy("");
    struct clave_attest_options opts = {.policy = p}; /* the root is known to the verifier */
    struct clave_attest_report *r = t_appraise("nitro", doc, len, &opts, NULL, DOC_TIME);
    assert_true(t_crypto_ok(r));
    assert_false(t_check_passed(r, "policy.tee", NULL, 0));
    assert_false(clave_attest_report_ok(r));
    clave_attest_report_free(r);
    /* A report without a tee claim. */
    struct clave_attest_policy *def = NULL;
    T_OK(clave_attest_policy_default(&def));
    T_OK(clave_attest_report_new(&r));
    T_OK(clave_attest_policy_apply(def, DOC_TIME, r));
    assert_false(t_check_passed(r, "policy.tee", NULL, 0));
    clave_attest_report_free(r);
    assert_null(clave_attest_policy_roots(def, "nitro"));
    clave_attest_policy_free(def);
    clave_attest_policy_free(p);
    free(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inline_root_and_age),
        cmocka_unit_test(test_report_data_and_tcb_status),
        cmocka_unit_test(test_default_policy_refuses_sim),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
