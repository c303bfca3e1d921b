/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The store under concurrency and crashes, on both backends (store_concurrency_test_pg runs it on
 * PostgreSQL): processes and threads racing on one counter through clave_store_tx_run lose no
 * update; a writer killed with SIGKILL loses no acknowledged row.
 */
#include "storelib.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *const TABLES[] = {"counter", "acks"};

static int setup(void **state)
{
    *state = t_store_open(TABLES, sizeof(TABLES) / sizeof(TABLES[0]));
    return 0;
}

static int teardown(void **state)
{
    t_store_close(*state);
    return 0;
}

/* ---- concurrency: two processes increment one counter ---------------------------------- */

#define INCREMENTS 40

static clave_status increment(struct clave_store *store, void *arg)
{
    (void)arg;
    struct clave_store_rows *rows = NULL;
    struct clave_store_param id = clave_store_param_int(1);
    int64_t n = 0;
    clave_status st =
        clave_store_query_one(store, "SELECT n FROM counter WHERE id = ?", &id, 1, &rows);
    if (st == CLAVE_OK) {
        st = clave_store_rows_get_int(rows, 0, 0, &n);
    }
    clave_store_rows_free(rows);
    if (st != CLAVE_OK) {
        return st;
    }
    struct clave_store_param p[2] = {clave_store_param_int(n + 1), clave_store_param_int(1)};
    return clave_store_exec(store, "UPDATE counter SET n = ? WHERE id = ?", p, 2, NULL);
}

/* In a forked child: a fresh connection, INCREMENTS read-modify-write transactions. */
static void incrementer(const struct clave_store_config *cfg, enum clave_store_tx_mode mode)
{
    struct clave_store *store = NULL;
    int code = 0;
    if (clave_store_open(cfg, &store) != CLAVE_OK) {
        _exit(2);
    }
    for (int i = 0; i < INCREMENTS && code == 0; i++) {
        clave_status st = clave_store_tx_run(store, mode, increment, NULL, 10000);
        if (st != CLAVE_OK) {
            (void)fprintf(stderr, "child: %s: %s\n", clave_status_str(st),
                          clave_error_last().detail);
            code = 3;
        }
    }
    clave_store_close(store);
    _exit(code);
}

static void run_concurrent(struct t_store *f, enum clave_store_tx_mode mode_a,
                           enum clave_store_tx_mode mode_b)
{
    struct clave_store_rows *rows = NULL;
    struct clave_store_param one = clave_store_param_int(1);
    int64_t n = -1;
    T_OK(clave_store_exec(f->store, "UPDATE counter SET n = 0", NULL, 0, NULL));
    pid_t a = fork();
    assert_true(a >= 0);
    if (a == 0) {
        incrementer(&f->cfg, mode_a);
    }
    pid_t b = fork();
    assert_true(b >= 0);
    if (b == 0) {
        incrementer(&f->cfg, mode_b);
    }
    int status_a = 0;
    int status_b = 0;
    assert_int_equal(waitpid(a, &status_a, 0), a);
    assert_int_equal(waitpid(b, &status_b, 0), b);
    assert_true(WIFEXITED(status_a) && WEXITSTATUS(status_a) == 0);
    assert_true(WIFEXITED(status_b) && WEXITSTATUS(status_b) == 0);
    T_OK(clave_store_query_one(f->store, "SELECT n FROM counter WHERE id = ?", &one, 1, &rows));
    T_OK(clave_store_rows_get_int(rows, 0, 0, &n));
    clave_store_rows_free(rows);
    assert_int_equal(n, 2 * INCREMENTS); /* no lost update */
}

static void test_concurrent_processes(void **state)
{
    struct t_store *f = *state;
    struct clave_store_param one = clave_store_param_int(1);
    T_OK(clave_store_exec(f->store, "CREATE TABLE counter (id BIGINT PRIMARY KEY, n BIGINT)", NULL,
                          0, NULL));
    T_OK(clave_store_exec(f->store, "INSERT INTO counter (id, n) VALUES (?, 0)", &one, 1, NULL));
    /* Read-first transactions race (SQLite: stale snapshot, PostgreSQL: serialization failure)
     * and are retried; write transactions serialise up front. */
    run_concurrent(f, CLAVE_STORE_TX_READ, CLAVE_STORE_TX_READ);
    run_concurrent(f, CLAVE_STORE_TX_WRITE, CLAVE_STORE_TX_READ);
    run_concurrent(f, CLAVE_STORE_TX_WRITE, CLAVE_STORE_TX_WRITE);
}

/* Threads: one cloned connection each (a store is used by one thread at a time). */
static void *thread_incrementer(void *arg)
{
    struct clave_store *store = arg;
    intptr_t failures = 0;
    for (int i = 0; i < INCREMENTS; i++) {
        if (clave_store_tx_run(store, CLAVE_STORE_TX_READ, increment, NULL, 10000) != CLAVE_OK) {
            failures++;
        }
    }
    return (void *)failures;
}

static void test_threads_with_clones(void **state)
{
    struct t_store *f = *state;
    enum { THREADS = 3 };
    struct clave_store *clones[THREADS] = {NULL};
    pthread_t threads[THREADS];
    struct clave_store_param one = clave_store_param_int(1);
    T_OK(clave_store_exec(f->store, "CREATE TABLE counter (id BIGINT PRIMARY KEY, n BIGINT)", NULL,
                          0, NULL));
    T_OK(clave_store_exec(f->store, "INSERT INTO counter (id, n) VALUES (?, 0)", &one, 1, NULL));
    for (int i = 0; i < THREADS; i++) {
        T_OK(clave_store_clone(f->store, &clones[i]));
        assert_int_equal(pthread_create(&threads[i], NULL, thread_incrementer, clones[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        void *failures = NULL;
        assert_int_equal(pthread_join(threads[i], &failures), 0);
        assert_null(failures);
        clave_store_close(clones[i]);
    }
    assert_int_equal(t_store_count(f, "SELECT n FROM counter"), THREADS * INCREMENTS);
}

static void *thread_write_incrementer(void *arg)
{
    struct clave_store *store = arg;
    intptr_t failures = 0;
    for (int i = 0; i < INCREMENTS; i++) {
        enum clave_store_tx_mode mode =
            i % 2 == 0 ? CLAVE_STORE_TX_WRITE : CLAVE_STORE_TX_WRITE_NOSYNC;
        if (clave_store_tx_run(store, mode, increment, NULL, 10000) != CLAVE_OK) {
            failures++;
        }
    }
    return (void *)failures;
}

/* Write transactions of clones queue for their turn (SQLite: in process): no update is lost;
 * a turn that does not come within the busy timeout is a CLAVE_ERR_CONFLICT, never a hang. */
static void test_clones_take_write_turns(void **state)
{
    struct t_store *f = *state;
    enum { THREADS = 3 };
    struct clave_store *clones[THREADS] = {NULL};
    pthread_t threads[THREADS];
    struct clave_store_param one = clave_store_param_int(1);
    T_OK(clave_store_exec(f->store, "CREATE TABLE counter (id BIGINT PRIMARY KEY, n BIGINT)", NULL,
                          0, NULL));
    T_OK(clave_store_exec(f->store, "INSERT INTO counter (id, n) VALUES (?, 0)", &one, 1, NULL));
    for (int i = 0; i < THREADS; i++) {
        T_OK(clave_store_clone(f->store, &clones[i]));
        assert_int_equal(pthread_create(&threads[i], NULL, thread_write_incrementer, clones[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        void *failures = NULL;
        assert_int_equal(pthread_join(threads[i], &failures), 0);
        assert_null(failures);
        clave_store_close(clones[i]);
    }
    assert_int_equal(t_store_count(f, "SELECT n FROM counter"), THREADS * INCREMENTS);
    /* SQLite, one thread, two connections, a write open on the first: the second gives up. */
    struct clave_store_config cfg = f->cfg;
    struct clave_store *a = NULL;
    struct clave_store *b = NULL;
    cfg.busy_timeout_ms = 200;
    T_OK(clave_store_open(&cfg, &a));
    T_OK(clave_store_clone(a, &b));
    T_OK(clave_store_begin(a, CLAVE_STORE_TX_WRITE));
    T_OK(increment(a, NULL));
    if (t_store_is_pg(f)) { /* no turns: PostgreSQL serialises at the rows */
        T_OK(clave_store_commit(a));
    } else {
        T_ERR(clave_store_begin(b, CLAVE_STORE_TX_WRITE_NOSYNC), CLAVE_ERR_CONFLICT);
        assert_false(clave_store_in_tx(b));
        T_OK(clave_store_commit(a));
        T_OK(clave_store_begin(b, CLAVE_STORE_TX_WRITE)); /* the turn passed on */
        T_OK(increment(b, NULL));
        T_OK(clave_store_commit(b));
    }
    clave_store_close(b);
    clave_store_close(a);
}

/* ---- durability: kill -9 a writer; every acknowledged row survives ------------------------ */

/* Each round writes its own key range: after kill -9, PostgreSQL may still commit the dead
 * client's last INSERT on its backend, after the next round has started; it must not collide. */
#define ROUND_KEYS 1000000000

static void acking_writer(const struct clave_store_config *cfg, int ack_fd, int round)
{
    struct clave_store *store = NULL;
    if (clave_store_open(cfg, &store) != CLAVE_OK) {
        _exit(2);
    }
    for (int64_t i = 0;; i++) {
        struct clave_store_param p = clave_store_param_int((int64_t)round * ROUND_KEYS + i);
        if (clave_store_exec(store, "INSERT INTO acks (n) VALUES (?)", &p, 1, NULL) != CLAVE_OK) {
            _exit(3);
        }
        if (write(ack_fd, &i, sizeof(i)) != (ssize_t)sizeof(i)) {
            _exit(4);
        }
    }
}

static void test_crash_durability(void **state)
{
    struct t_store *f = *state;
    T_OK(clave_store_exec(f->store, "CREATE TABLE acks (n BIGINT PRIMARY KEY)", NULL, 0, NULL));
    for (int round = 0; round < 3; round++) {
        int fds[2];
        assert_int_equal(pipe(fds), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            close(fds[0]);
            acking_writer(&f->cfg, fds[1], round);
        }
        close(fds[1]);
        int64_t acked = -1;
        int64_t got = 0;
        /* Let it run for a while, then kill it mid-stream. */
        while (acked < 50 * (round + 1) && read(fds[0], &got, sizeof(got)) == sizeof(got)) {
            acked = got;
        }
        assert_int_equal(kill(pid, SIGKILL), 0);
        int status = 0;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (!WIFSIGNALED(status)) {
            fail_msg("round %d: the writer exited by itself with status %d after %lld acks", round,
                     WIFEXITED(status) ? WEXITSTATUS(status) : -1, (long long)acked);
        }
        while (read(fds[0], &got, sizeof(got)) == sizeof(got)) {
            acked = got; /* acks written before the kill */
        }
        close(fds[0]);
        /* A fresh connection sees every acknowledged row. */
        clave_store_close(f->store);
        T_OK(clave_store_open(&f->cfg, &f->store));
        struct clave_store_param range[] = {
            clave_store_param_int((int64_t)round * ROUND_KEYS),
            clave_store_param_int((int64_t)round * ROUND_KEYS + acked)};
        struct clave_store_rows *rows = NULL;
        int64_t present = 0;
        T_OK(clave_store_query_one(f->store, "SELECT COUNT(*) FROM acks WHERE n >= ? AND n <= ?",
                                   range, 2, &rows));
        T_OK(clave_store_rows_get_int(rows, 0, 0, &present));
        clave_store_rows_free(rows);
        assert_int_equal(present, acked + 1);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_concurrent_processes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_threads_with_clones, setup, teardown),
        cmocka_unit_test_setup_teardown(test_clones_take_write_turns, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crash_durability, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
