/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Budget ledger over the metadata store, on SQLite (dp_ledger_test) and on PostgreSQL
 * (dp_ledger_test_pg, see ledger_test.cmake): caps, windows, preview, audit records; two
 * processes debiting the same budget concurrently spend exactly the cap and never more; a child
 * killed with SIGKILL in the middle of a stream of debits leaves a consistent ledger that holds
 * every debit it had acknowledged.
 */
#include "storelib.h"

#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *const TABLES[] = {"dp_budget", "dp_debit"};
static const struct clave_dp_budget_key KEY = {"collab", "contract-1", "patients", "hospital-a"};
static const struct clave_dp_debit DEBIT = {"alice", "count(*)", "laplace", "basic", 0.1, 0.0};

/* Child exit codes beyond any count of debits. */
#define CHILD_OPEN_FAILED 200
#define CHILD_DEBIT_FAILED 201

struct fixture {
    struct t_store *t;
    struct clave_dp_ledger *ledger;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->t = t_store_open(TABLES, sizeof(TABLES) / sizeof(TABLES[0]));
    struct clave_store_param module = clave_store_param_text("dp_ledger");
    if (clave_store_exec(f->t->store, "DELETE FROM schema_migrations WHERE module = ?", &module, 1,
                         NULL) != CLAVE_OK) {
        clave_error_clear(); /* a fresh database has no schema_migrations yet */
    }
    T_OK(clave_dp_ledger_open(f->t->store, &f->ledger));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    clave_dp_ledger_free(f->ledger);
    t_store_close(f->t);
    free(f);
    return 0;
}

/* In a forked child: its own connection (a child must not use the parent's) and ledger. */
static struct clave_dp_ledger *child_ledger(const struct fixture *f)
{
    struct clave_store *store = NULL;
    struct clave_dp_ledger *l = NULL;
    if (clave_store_open(&f->t->cfg, &store) != CLAVE_OK ||
        clave_dp_ledger_open(store, &l) != CLAVE_OK) {
        _exit(CHILD_OPEN_FAILED);
    }
    return l; /* the child _exits: the store is reclaimed with the process */
}

struct rec_ids {
    size_t n;
    int64_t ids[1024];
    char last[1024];
};

static bool collect_records(void *ctx, const char *text)
{
    struct rec_ids *c = ctx;
    json_t *j = json_loads(text, 0, NULL);
    assert_non_null(j);
    json_t *id = json_object_get(j, "id");
    assert_true(json_is_integer(id));
    if (c->n > 0) {
        assert_true(json_integer_value(id) > c->ids[c->n - 1]); /* oldest first */
    }
    if (c->n < sizeof(c->ids) / sizeof(c->ids[0])) {
        c->ids[c->n] = json_integer_value(id);
    }
    json_decref(j);
    c->n++;
    (void)snprintf(c->last, sizeof(c->last), "%s", text);
    return true;
}

static bool has_id(const struct rec_ids *c, int64_t id)
{
    for (size_t i = 0; i < c->n && i < sizeof(c->ids) / sizeof(c->ids[0]); i++) {
        if (c->ids[i] == id) {
            return true;
        }
    }
    return false;
}

static void test_cap_window_preview_records(void **state)
{
    struct fixture *f = *state;
    struct clave_dp_ledger *l = f->ledger;
    struct clave_dp_debit_record rec;
    T_ERR(clave_dp_ledger_debit(l, &KEY, &DEBIT, 1000, &rec), CLAVE_ERR_NOT_FOUND);
    assert_non_null(strstr(clave_error_last().detail, "no budget"));
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
    /* Replacing the budget keeps the debits: a lower cap leaves nothing in this window. */
    struct clave_dp_budget lower = {0.1, 1e-6, 3600};
    T_OK(clave_dp_ledger_set_budget(l, &KEY, &lower));
    T_ERR(clave_dp_ledger_debit(l, &KEY, &DEBIT, 7200 + 3600, &rec), CLAVE_ERR_LIMIT);
    struct rec_ids c = {0};
    T_OK(clave_dp_ledger_records(l, &KEY, collect_records, &c));
    assert_int_equal(c.n, 11);
    assert_non_null(strstr(c.last, "\"who\":\"alice\""));
    assert_non_null(strstr(c.last, "\"mechanism\":\"laplace\""));
    assert_non_null(strstr(c.last, "\"epsilon_remaining\":0.9"));
    assert_non_null(strstr(c.last, "\"party\":\"hospital-a\""));
}

static void test_hostile_input(void **state)
{
    struct fixture *f = *state;
    struct clave_dp_ledger *l = f->ledger;
    struct clave_dp_debit_record rec;
    struct clave_dp_budget b = {1.0, 0.0, 0};
    T_OK(clave_dp_ledger_set_budget(l, &KEY, &b));
    struct clave_dp_budget_key bad = KEY;
    bad.party = "";
    T_ERR(clave_dp_ledger_debit(l, &bad, &DEBIT, 0, &rec), CLAVE_ERR_ARG);
    char long_name[300];
    memset(long_name, 'x', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = '\0';
    bad.party = long_name;
    T_ERR(clave_dp_ledger_set_budget(l, &bad, &b), CLAVE_ERR_ARG);
    struct clave_dp_debit neg = DEBIT;
    neg.epsilon = -1.0;
    T_ERR(clave_dp_ledger_debit(l, &KEY, &neg, 0, &rec), CLAVE_ERR_ARG);
    neg.epsilon = 0.0 / 0.0;
    T_ERR(clave_dp_ledger_debit(l, &KEY, &neg, 0, &rec), CLAVE_ERR_ARG);
    neg = DEBIT;
    neg.who = NULL;
    T_ERR(clave_dp_ledger_debit(l, &KEY, &neg, 0, &rec), CLAVE_ERR_ARG);
    struct clave_dp_budget nb = {-1.0, 0.0, 0};
    T_ERR(clave_dp_ledger_set_budget(l, &KEY, &nb), CLAVE_ERR_ARG);
    /* SQL metacharacters in a key are data, never SQL. */
    struct clave_dp_budget_key quoted = {"c'); DROP TABLE dp_debit; --", "k", "d", "p"};
    T_OK(clave_dp_ledger_set_budget(l, &quoted, &b));
    T_OK(clave_dp_ledger_debit(l, &quoted, &DEBIT, 0, &rec));
    T_OK(clave_dp_ledger_debit(l, &KEY, &DEBIT, 0, &rec));
    /* No ledger over a store with a transaction open. */
    struct clave_dp_ledger *other = NULL;
    T_OK(clave_store_begin(f->t->store, CLAVE_STORE_TX_READ));
    T_ERR(clave_dp_ledger_open(f->t->store, &other), CLAVE_ERR_STATE);
    clave_store_rollback(f->t->store);
    T_ERR(clave_dp_ledger_open(NULL, &other), CLAVE_ERR_ARG);
}

static void test_records_paging(void **state)
{
    struct fixture *f = *state;
    struct clave_dp_budget b = {1e6, 0.0, 0};
    T_OK(clave_dp_ledger_set_budget(f->ledger, &KEY, &b));
    for (int i = 0; i < 300; i++) { /* more than one page of 256 */
        T_OK(clave_dp_ledger_debit(f->ledger, &KEY, &DEBIT, 0, NULL));
    }
    struct rec_ids c = {0};
    T_OK(clave_dp_ledger_records(f->ledger, &KEY, collect_records, &c));
    assert_int_equal(c.n, 300);
}

static int debit_until_exhausted(const struct fixture *f, int go)
{
    struct clave_dp_ledger *l = child_ledger(f);
    char byte = 0;
    /* Start together: read returns (at EOF) once the parent closes its end. */
    if (read(go, &byte, 1) < 0) {
        return CHILD_OPEN_FAILED;
    }
    struct clave_dp_debit d = DEBIT;
    d.epsilon = 0.01;
    int ok = 0;
    for (int i = 0; i < 150; i++) {
        clave_status st = clave_dp_ledger_debit(l, &KEY, &d, 0, NULL);
        if (st == CLAVE_OK) {
            ok++;
        } else if (st != CLAVE_ERR_LIMIT) {
            fprintf(stderr, "child debit: %s: %s\n", clave_status_str(st),
                    clave_error_last().detail);
            return CHILD_DEBIT_FAILED;
        }
    }
    return ok;
}

static void test_concurrent_debits_never_overspend(void **state)
{
    struct fixture *f = *state;
    struct clave_dp_budget b = {1.0, 0.0, 0};
    T_OK(clave_dp_ledger_set_budget(f->ledger, &KEY, &b));
    int go[2];
    assert_int_equal(pipe(go), 0);
    pid_t kids[2];
    for (int k = 0; k < 2; k++) {
        kids[k] = fork();
        assert_true(kids[k] >= 0);
        if (kids[k] == 0) {
            close(go[1]);
            _exit(debit_until_exhausted(f, go[0]));
        }
    }
    close(go[0]);
    close(go[1]);
    int total = 0;
    for (int k = 0; k < 2; k++) {
        int status = 0;
        assert_int_equal(waitpid(kids[k], &status, 0), kids[k]);
        assert_true(WIFEXITED(status));
        assert_true(WEXITSTATUS(status) <= 100);
        total += WEXITSTATUS(status);
    }
    /* 100 debits of 0.01 fit in the cap 1.0: exactly that many succeed, never more. */
    assert_int_equal(total, 100);
    struct rec_ids c = {0};
    T_OK(clave_dp_ledger_records(f->ledger, &KEY, collect_records, &c));
    assert_int_equal(c.n, 100);
    struct clave_dp_budget_status s;
    T_OK(clave_dp_ledger_status(f->ledger, &KEY, 0, &s));
    assert_true(s.epsilon_spent == s.epsilon_cap);
    uint64_t left = 1;
    T_OK(clave_dp_ledger_preview(f->ledger, &KEY, 0.01, 0.0, 0, &left));
    assert_int_equal(left, 0);
}

#define ACKS 64

/* Child: debit forever, writing each acknowledged id to `fd` only after debit returned. */
static void debit_forever(const struct fixture *f, int fd)
{
    struct clave_dp_ledger *l = child_ledger(f);
    for (;;) {
        struct clave_dp_debit_record r;
        if (clave_dp_ledger_debit(l, &KEY, &DEBIT, 0, &r) != CLAVE_OK ||
            write(fd, &r.id, sizeof(r.id)) != (ssize_t)sizeof(r.id)) {
            _exit(CHILD_DEBIT_FAILED);
        }
    }
}

static void test_crash_keeps_acknowledged_debits(void **state)
{
    struct fixture *f = *state;
    struct clave_dp_budget b = {1e6, 0.0, 0};
    T_OK(clave_dp_ledger_set_budget(f->ledger, &KEY, &b));
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t kid = fork();
    assert_true(kid >= 0);
    if (kid == 0) {
        close(fds[0]);
        debit_forever(f, fds[1]);
    }
    close(fds[1]);
    int64_t acked[ACKS];
    size_t n = 0;
    while (n < ACKS && read(fds[0], &acked[n], sizeof(acked[n])) == (ssize_t)sizeof(acked[n])) {
        n++;
    }
    kill(kid, SIGKILL); /* mid-stream: usually inside a debit transaction */
    int status = 0;
    assert_int_equal(waitpid(kid, &status, 0), kid);
    assert_true(WIFSIGNALED(status));
    close(fds[0]);
    assert_int_equal(n, ACKS);

    /* A fresh connection and ledger, as after a restart. */
    struct clave_store *store = NULL;
    struct clave_dp_ledger *l = NULL;
    T_OK(clave_store_open(&f->t->cfg, &store));
    T_OK(clave_dp_ledger_open(store, &l));
    struct rec_ids c = {0};
    T_OK(clave_dp_ledger_records(l, &KEY, collect_records, &c));
    assert_true(c.n >= ACKS);
    for (size_t i = 0; i < n; i++) {
        assert_true(has_id(&c, acked[i]));
    }
    /* The spend is exactly the recorded debits: no half-written debit. */
    struct clave_dp_budget_status s;
    T_OK(clave_dp_ledger_status(l, &KEY, 0, &s));
    assert_true(fabs(s.epsilon_spent - 0.1 * (double)c.n) <= 1e-9 * (double)c.n);
    T_OK(clave_dp_ledger_debit(l, &KEY, &DEBIT, 0, NULL));
    clave_dp_ledger_free(l);
    clave_store_close(store);
}

/* One debit over several keys is all or nothing: a key without room (or without a budget)
 * refuses it, its index is reported, and no key is charged; when every key has room, every key
 * is charged once. */
static void test_debit_all_or_nothing(void **state)
{
    struct fixture *f = *state;
    struct clave_dp_budget_key keys[3] = {
        {"collab", "contract-2", "fl", "alice"},
        {"collab", "contract-2", "fl", "bob"},
        {"collab", "contract-2", "fl", "carol"},
    };
    const struct clave_dp_budget roomy = {1.0, 1e-5, 0}, tight = {0.15, 1e-5, 0};
    struct clave_dp_budget_status s;
    size_t failed = 99;
    int64_t now = 1700000000;
    struct clave_dp_debit_record rec[3];
    T_OK(clave_dp_ledger_set_budget(f->ledger, &keys[0], &roomy));
    T_OK(clave_dp_ledger_set_budget(f->ledger, &keys[1], &tight));
    T_ERR(clave_dp_ledger_debit_all(f->ledger, keys, 3, &DEBIT, now, &failed, NULL),
          CLAVE_ERR_NOT_FOUND);
    assert_int_equal(failed, 2);
    T_OK(clave_dp_ledger_set_budget(f->ledger, &keys[2], &roomy));
    T_OK(clave_dp_ledger_debit_all(f->ledger, keys, 3, &DEBIT, now, &failed, rec));
    assert_int_equal(failed, 3);
    /* One record per key: distinct ids, the amount, and that key's remaining budget. */
    assert_true(rec[0].id != rec[1].id && rec[1].id != rec[2].id && rec[0].id != rec[2].id);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(rec[i].time, now);
        assert_true(fabs(rec[i].epsilon - 0.1) < 1e-9);
        assert_true(fabs(rec[i].epsilon_remaining - (i == 1 ? 0.05 : 0.9)) < 1e-9);
    }
    T_ERR(clave_dp_ledger_debit_all(f->ledger, keys, 3, &DEBIT, now, &failed, rec),
          CLAVE_ERR_LIMIT);
    assert_int_equal(failed, 1);
    for (size_t i = 0; i < 3; i++) {
        T_OK(clave_dp_ledger_status(f->ledger, &keys[i], now, &s));
        assert_true(fabs(s.epsilon_spent - 0.1) < 1e-9); /* the first debit only, for all */
    }
    T_ERR(clave_dp_ledger_debit_all(f->ledger, keys, 0, &DEBIT, now, &failed, NULL), CLAVE_ERR_ARG);
    keys[1].party = "";
    T_ERR(clave_dp_ledger_debit_all(f->ledger, keys, 3, &DEBIT, now, &failed, NULL), CLAVE_ERR_ARG);
    assert_int_equal(failed, 1);
}

static void test_open_sqlite_convenience(void **state)
{
    (void)state;
    char *dir = t_tempdir();
    char path[1024];
    (void)snprintf(path, sizeof(path), "%s/ledger.db", dir);
    struct clave_dp_ledger *l = NULL;
    T_OK(clave_dp_ledger_open_sqlite(path, &l));
    struct clave_dp_budget b = {0.15, 0.0, 0};
    T_OK(clave_dp_ledger_set_budget(l, &KEY, &b));
    T_OK(clave_dp_ledger_debit(l, &KEY, &DEBIT, 0, NULL));
    clave_dp_ledger_free(l);
    /* Reopened (the migration is idempotent), the spend persists. */
    T_OK(clave_dp_ledger_open_sqlite(path, &l));
    T_ERR(clave_dp_ledger_debit(l, &KEY, &DEBIT, 0, NULL), CLAVE_ERR_LIMIT);
    clave_dp_ledger_free(l);
    (void)snprintf(path, sizeof(path), "%s/missing/ledger.db", dir);
    assert_int_not_equal(clave_dp_ledger_open_sqlite(path, &l), CLAVE_OK);
    assert_null(l);
    t_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_cap_window_preview_records, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_input, setup, teardown),
        cmocka_unit_test_setup_teardown(test_records_paging, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_debits_never_overspend, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crash_keeps_acknowledged_debits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_debit_all_or_nothing, setup, teardown),
        cmocka_unit_test(test_open_sqlite_convenience),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
