/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the attestation tests (header-only, test code). */
#ifndef CLAVE_ATTEST_TESTUTIL_H
#define CLAVE_ATTEST_TESTUTIL_H

#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 2026-11-22T00:00:00Z: "now" for the vectors README's verdicts (never the wall clock). */
#define T_NOW_2026_11_22 1795305600

/* Verify `data` with `opts`, then apply `policy` (NULL: default) at `now`. Caller frees. */
static inline struct clave_attest_report *t_appraise(const char *format, const uint8_t *data,
                                                     size_t len,
                                                     const struct clave_attest_options *opts,
                                                     const struct clave_attest_policy *policy,
                                                     int64_t now)
{
    struct clave_attest_report *r = NULL;
    struct clave_attest_policy *def = NULL;
    T_OK(clave_attest_report_new(&r));
    T_OK(clave_attest_verify(format, data, len, opts, r));
    if (policy == NULL) {
        T_OK(clave_attest_policy_default(&def));
        policy = def;
    }
    T_OK(clave_attest_policy_apply(policy, now, r));
    clave_attest_policy_free(def);
    return r;
}

/* The outcome of the named check (fails the test if absent). */
static inline bool t_check_passed(const struct clave_attest_report *r, const char *name,
                                  char *detail, size_t cap)
{
    for (size_t i = 0; i < clave_attest_report_check_count(r); i++) {
        struct clave_attest_check c;
        T_OK(clave_attest_report_get_check(r, i, &c));
        if (strcmp(c.name, name) == 0) {
            if (detail != NULL) {
                (void)snprintf(detail, cap, "%s", c.detail);
            }
            return c.outcome == CLAVE_CHECK_PASS;
        }
    }
    fail_msg("check %s not recorded", name);
    return false;
}

/* True when every check whose name does not start with "policy." passed. */
static inline bool t_crypto_ok(const struct clave_attest_report *r)
{
    size_t n = clave_attest_report_check_count(r);
    for (size_t i = 0; i < n; i++) {
        struct clave_attest_check c;
        T_OK(clave_attest_report_get_check(r, i, &c));
        if (strncmp(c.name, "policy.", 7) != 0 && c.outcome != CLAVE_CHECK_PASS) {
            return false;
        }
    }
    return n > 0;
}

static inline void t_claim_hex(const struct clave_attest_report *r, const char *name,
                               const char *hex)
{
    struct clave_attest_claim c;
    size_t len = 0;
    uint8_t *want = t_hex(hex, &len);
    T_OK(clave_attest_report_find_claim(r, name, &c));
    assert_int_equal(c.type, CLAVE_CLAIM_BYTES);
    assert_int_equal(c.len, len);
    assert_memory_equal(c.bytes, want, len);
    free(want);
}

static inline int64_t t_claim_int(const struct clave_attest_report *r, const char *name)
{
    struct clave_attest_claim c;
    T_OK(clave_attest_report_find_claim(r, name, &c));
    return c.integer;
}

#endif
