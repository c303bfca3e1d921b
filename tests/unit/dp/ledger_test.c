/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Budget ledger on SQLite: caps, windows, preview, audit records; two processes debiting the same
 * budget concurrently never overspend; a child killed with SIGKILL in the middle of a stream of
 * debits leaves a consistent ledger that holds every debit it had acknowledged.
 */
#include "testlib.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const struct clave_dp_budget_key KEY = {"collab", "contract-1", "patients", "hospital-a"};
static const struct clave_dp_debit DEBIT = {"alice", "count(*)", "laplace", "basic", 0.1, 0.0};

static char *ledger_path(char **dir)
{
    *dir = t_tempdir();
    size_t len = strlen(*dir) + 16;
    char *p = malloc(len);
    assert_non_null(p);
    snprintf(p, len, "%s/ledger.db", *dir);
    return p;
}

struct rec_count {
    size_t n;
    char last[1024];
};

static bool count_records(void *ctx, const char *json)
{
    struct rec_count *c = ctx;
    c->n++;
    snprintf(c->last, sizeof(c->last), "%s", json);
    return true;
}

static void test_cap_window_preview_records(void **state)
{
    (void)state;
    char *dir = NULL, *path = ledger_path(&dir);
    struct clave_dp_ledger *l = NULL;
    T_OK(clave_dp_ledger_open_sqlite(path, &l));
    struct clave_dp_debit_record rec;
    T_ERR(clave_dp_ledger_debit(l, &KEY, &DEBIT, 1000, &rec), CLAVE_ERR_NOT_FOUND);
    struct clave_dp_budget b = {1.0, 1e-6, 3600};
    T_OK(clave_dp_ledger_set_budget(l, &KEY, &b));
    uint64_t left = 0;
    T_OK(clave_dp_ledger_preview(l, &KEY, 0.1, 0.0, 7200, &left));
    assert_int_equal(left, 10); /* exactly 10 x 0.1 = 1.0 in fixed point */
    T_OK(clave_dp_ledger_preview(l, &KEY, 0.3, 0.0, 7200, &left));
    assert_int_equal(left, 3);
    T_OK(clave_dp_ledger_preview(l, &KEY, 0.01, 5e-7, 7200, &left));
    assert_int_equal(left, 2); /* delta 1e-6 / 5e-7 */
    size_t ok = 0;
    for (int i = 0; i < 20; i++) {
        clave_status st = clave_dp_ledger_debit(l, &KEY, &DEBIT, 7200, &rec);
        assert_true(st == CLAVE_OK || st == CLAVE_ERR_LIMIT);
        ok += st == CLAVE_OK;
    }
    assert_int_equal(ok, 10);
    struct clave_dp_budget_status s;
    T_OK(clave_dp_ledger_status(l, &KEY, 7200, &s));
    assert_true(s.epsilon_spent <= s.epsilon_cap && s.epsilon_spent > 0.99);
    assert_int_equal(s.window_start, 7200);
    /* The next window starts fresh. */
    T_OK(clave_dp_ledger_debit(l, &KEY, &DEBIT, 7200 + 3600, &rec));
    assert_true(fabs(rec.epsilon_remaining - 0.9) < 1e-12);
    struct rec_count c = {0};
    T_OK(clave_dp_ledger_records(l, &KEY, count_records, &c));
    assert_int_equal(c.n, 11);
    assert_non_null(strstr(c.last, "\"who\":\"alice\""));
    assert_non_null(strstr(c.last, "\"mechanism\":\"laplace\""));
    assert_non_null(strstr(c.last, "\"epsilon_remaining\""));
    /* Hostile input. */
    struct clave_dp_budget_key bad = KEY;
    bad.party = "";
    T_ERR(clave_dp_ledger_debit(l, &bad, &DEBIT, 0, &rec), CLAVE_ERR_ARG);
    struct clave_dp_debit neg = DEBIT;
    neg.epsilon = -1.0;
    T_ERR(clave_dp_ledger_debit(l, &KEY, &neg, 0, &rec), CLAVE_ERR_ARG);
    neg.epsilon = 0.0 / 0.0;
    T_ERR(clave_dp_ledger_debit(l, &KEY, &neg, 0, &rec), CLAVE_ERR_ARG);
    struct clave_dp_budget nb = {-1.0, 0.0, 0};
    T_ERR(clave_dp_ledger_set_budget(l, &KEY, &nb), CLAVE_ERR_ARG);
    clave_dp_ledger_free(l);
    free(path);
    t_rmtree(dir);
    free(dir);
}

static int debit_until_exhausted(const char *path)
{
    struct clave_dp_ledger *l = NULL;
    if (clave_dp_ledger_open_sqlite(path, &l) != CLAVE_OK) {
        return 100;
    }
    struct clave_dp_debit d = DEBIT;
    d.epsilon = 0.01;
    int ok = 0;
    for (int i = 0; i < 150; i++) {
        clave_status st = clave_dp_ledger_debit(l, &KEY, &d, 0, NULL);
        if (st == CLAVE_OK) {
            ok++;
        } else if (st != CLAVE_ERR_LIMIT) {
            clave_dp_ledger_free(l);
            return 101;
        }
    }
    clave_dp_ledger_free(l);
    return ok;
}

static void test_concurrent_debits_never_overspend(void **state)
{
    (void)state;
    char *dir = NULL, *path = ledger_path(&dir);
    struct clave_dp_ledger *l = NULL;
    T_OK(clave_dp_ledger_open_sqlite(path, &l));
    struct clave_dp_budget b = {1.0, 0.0, 0};
    T_OK(clave_dp_ledger_set_budget(l, &KEY, &b));
    pid_t kids[2];
    for (int k = 0; k < 2; k++) {
        kids[k] = fork();
        assert_true(kids[k] >= 0);
        if (kids[k] == 0) {
            _exit(debit_until_exhausted(path));
        }
    }
    int total = 0;
    for (int k = 0; k < 2; k++) {
        int status = 0;
        assert_int_equal(waitpid(kids[k], &status, 0), kids[k]);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) <= 100);
        total += WEXITSTATUS(status);
    }
    /* 100 debits of 0.01 fit in the cap 1.0, never more. */
    assert_int_equal(total, 100);
    struct rec_count c = {0};
    T_OK(clave_dp_ledger_records(l, &KEY, count_records, &c));
    assert_int_equal(c.n, 100);
    struct clave_dp_budget_status s;
    T_OK(clave_dp_ledger_status(l, &KEY, 0, &s));
    assert_true(s.epsilon_spent <= s.epsilon_cap);
    clave_dp_ledger_free(l);
    free(path);
    t_rmtree(dir);
    free(dir);
}

static void test_crash_keeps_acknowledged_debits(void **state)
{
    (void)state;
    char *dir = NULL, *path = ledger_path(&dir);
    struct clave_dp_ledger *l = NULL;
    T_OK(clave_dp_ledger_open_sqlite(path, &l));
    struct clave_dp_budget b = {1e6, 0.0, 0};
    T_OK(clave_dp_ledger_set_budget(l, &KEY, &b));
    clave_dp_ledger_free(l);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t kid = fork();
    assert_true(kid >= 0);
    if (kid == 0) {
        close(fds[0]);
        struct clave_dp_ledger *cl = NULL;
        if (clave_dp_ledger_open_sqlite(path, &cl) != CLAVE_OK) {
            _exit(1);
        }
        for (;;) {
            struct clave_dp_debit_record r;
            if (clave_dp_ledger_debit(cl, &KEY, &DEBIT, 0, &r) != CLAVE_OK ||
                write(fds[1], &r.id, sizeof(r.id)) != (ssize_t)sizeof(r.id)) {
                _exit(2);
            }
        }
    }
    close(fds[1]);
    int64_t acked[64];
    size_t n = 0;
    while (n < 64 && read(fds[0], &acked[n], sizeof(acked[n])) == (ssize_t)sizeof(acked[n])) {
        n++;
    }
    kill(kid, SIGKILL);
    int status = 0;
    waitpid(kid, &status, 0);
    assert_true(WIFSIGNALED(status));
    int64_t more = 0;
    while (read(fds[0], &more, sizeof(more)) == (ssize_t)sizeof(more) && n < 64) {
        acked[n++] = more;
    }
    close(fds[0]);
    assert_int_equal(n, 64);

    T_OK(clave_dp_ledger_open_sqlite(path, &l));
    struct rec_count c = {0};
    T_OK(clave_dp_ledger_records(l, &KEY, count_records, &c));
    assert_true(c.n >= 64);
    /* Every acknowledged id is present: ids are consecutive from 1 and the count covers them. */
    for (size_t i = 0; i < n; i++) {
        assert_true(acked[i] >= 1 && (size_t)acked[i] <= c.n);
    }
    struct clave_dp_budget_status s;
    T_OK(clave_dp_ledger_status(l, &KEY, 0, &s));
    assert_true(s.epsilon_spent > 0.1 * (double)c.n * (1 - 1e-12) &&
                s.epsilon_spent < 0.1 * (double)c.n * (1 + 1e-12));
    T_OK(clave_dp_ledger_debit(l, &KEY, &DEBIT, 0, NULL));
    clave_dp_ledger_free(l);
    free(path);
    t_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cap_window_preview_records),
        cmocka_unit_test(test_concurrent_debits_never_overspend),
        cmocka_unit_test(test_crash_keeps_acknowledged_debits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
