/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The persistent audit log on a real database: SQLite always; PostgreSQL too when the suite
 * registers this test with CLAVE_TEST_PG_CONNINFO (log_test.cmake).
 */
#include "testlib.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct fixture {
    char *dir;
    char path[1024];
    struct clave_store *store;
    struct clave_ledger *ledger;
    struct clave_pkey *key;
};

static clave_status open_store(struct fixture *f, struct clave_store **out)
{
    struct clave_store_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    const char *pg = getenv("CLAVE_TEST_PG_CONNINFO");
    if (pg != NULL && pg[0] != '\0') {
        cfg.backend = CLAVE_STORE_POSTGRES;
        cfg.pg_conninfo = pg;
    } else {
        cfg.backend = CLAVE_STORE_SQLITE;
        cfg.sqlite_path = f->path;
    }
    return clave_store_open(&cfg, out);
}

static void drop_pg_tables(struct clave_store *store)
{
    if (clave_store_backend_of(store) == CLAVE_STORE_POSTGRES) {
        const char *drops[] = {
            "DROP TABLE IF EXISTS ledger_leaves", "DROP TABLE IF EXISTS ledger_nodes",
            "DROP TABLE IF EXISTS ledger_sth", "DELETE FROM schema_migrations WHERE module = ?"};
        struct clave_store_param module[] = {clave_store_param_text("ledger")};
        for (size_t i = 0; i < 4; i++) {
            if (clave_store_exec(store, drops[i], i == 3 ? module : NULL, i == 3 ? 1 : 0, NULL) !=
                CLAVE_OK) {
                clave_error_clear(); /* the table may not exist yet */
            }
        }
    }
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    f->dir = t_tempdir();
    (void)snprintf(f->path, sizeof(f->path), "%s/ledger.db", f->dir);
    T_OK(open_store(f, &f->store));
    drop_pg_tables(f->store);
    T_OK(clave_ledger_open(f->store, &f->ledger));
    T_OK(clave_pkey_generate(CLAVE_PKEY_ED25519, &f->key));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    clave_ledger_free(f->ledger);
    drop_pg_tables(f->store);
    clave_store_close(f->store);
    clave_pkey_free(f->key);
    t_rmtree(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

static void append_events(struct clave_ledger *ledger, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++) {
        char *event = NULL;
        json_t *fields = json_pack("{s:s, s:I}", "actor", "alice", "n", (json_int_t)i);
        uint64_t index = 0;
        T_OK(clave_ledger_event_json("login", 1700000000000 + (int64_t)i, fields, &event));
        T_OK(clave_ledger_append(ledger, (const uint8_t *)event, strlen(event), &index));
        assert_int_equal(index, i);
        json_decref(fields);
        free(event);
    }
}

static void test_append_prove_and_checkpoint(void **state)
{
    struct fixture *f = *state;
    const size_t n = 70;
    clave_merkle_hash roots[71];
    uint64_t size = 99;
    T_OK(clave_ledger_size(f->ledger, &size));
    assert_int_equal(size, 0);
    T_OK(clave_ledger_root(f->ledger, 0, roots[0]));
    for (size_t i = 0; i < n; i++) {
        append_events(f->ledger, i, i + 1);
        T_OK(clave_ledger_root(f->ledger, i + 1, roots[i + 1]));
    }
    for (uint64_t m = 0; m < n; m += 3) {
        clave_merkle_hash proof[CLAVE_MERKLE_MAX_PROOF];
        clave_merkle_hash leaf;
        uint8_t *event = NULL;
        size_t len = 0;
        size_t count = 0;
        T_OK(clave_ledger_entry(f->ledger, m, &event, &len));
        T_OK(clave_merkle_leaf_hash(event, len, leaf));
        free(event);
        T_OK(clave_ledger_inclusion_proof(f->ledger, m, n, proof, CLAVE_MERKLE_MAX_PROOF, &count));
        T_OK(clave_merkle_verify_inclusion(leaf, m, n, proof, count, roots[n]));
        T_OK(clave_ledger_consistency_proof(f->ledger, m + 1, n, proof, CLAVE_MERKLE_MAX_PROOF,
                                            &count));
        T_OK(clave_merkle_verify_consistency(m + 1, n, roots[m + 1], roots[n], proof, count));
    }
    struct clave_ledger_sth sth;
    struct clave_ledger_sth latest;
    T_OK(clave_ledger_checkpoint(f->ledger, f->key, 1700000001000, &sth));
    assert_int_equal(sth.tree_size, n);
    assert_memory_equal(sth.root_hash, roots[n], CLAVE_MERKLE_HASH_LEN);
    T_OK(clave_ledger_latest_sth(f->ledger, &latest));
    assert_memory_equal(&latest, &sth, sizeof(sth));
    T_OK(clave_ledger_audit(f->ledger, f->key, &sth));
    clave_merkle_hash proof[4];
    size_t count = 0;
    T_ERR(clave_ledger_inclusion_proof(f->ledger, 0, n + 1, proof, 4, &count), CLAVE_ERR_ARG);
    T_ERR(clave_ledger_append(f->ledger, (const uint8_t *)"", 0, NULL), CLAVE_ERR_ARG);
}

/* Appends inside the caller's transaction: gone with a rollback, kept (with every subtree) with
 * a commit, interleaved with ordinary appends into one consistent tree. */
static void test_append_in_tx(void **state)
{
    struct fixture *f = *state;
    static const char EV[] = "{\"type\":\"kbs.attest\"}";
    const uint8_t *ev = (const uint8_t *)EV;
    uint64_t index = 99;
    uint64_t size = 99;
    T_ERR(clave_ledger_append_in_tx(f->ledger, ev, strlen(EV), &index), CLAVE_ERR_STATE);
    assert_int_equal(index, 0);
    append_events(f->ledger, 0, 3);
    T_OK(clave_store_begin(f->store, CLAVE_STORE_TX_WRITE));
    T_OK(clave_ledger_append_in_tx(f->ledger, ev, strlen(EV), &index));
    assert_int_equal(index, 3);
    T_ERR(clave_ledger_append_in_tx(f->ledger, ev, 0, NULL), CLAVE_ERR_ARG);
    clave_store_rollback(f->store);
    T_OK(clave_ledger_size(f->ledger, &size));
    assert_int_equal(size, 3);
    T_OK(clave_store_begin(f->store, CLAVE_STORE_TX_WRITE));
    for (uint64_t i = 3; i < 6; i++) {
        T_OK(clave_ledger_append_in_tx(f->ledger, ev, strlen(EV), &index));
        assert_int_equal(index, i);
    }
    T_OK(clave_store_commit(f->store));
    append_events(f->ledger, 6, 9);
    T_OK(clave_ledger_size(f->ledger, &size));
    assert_int_equal(size, 9);
    struct clave_ledger_sth sth;
    T_OK(clave_ledger_checkpoint(f->ledger, f->key, 1700000001000, &sth));
    assert_int_equal(sth.tree_size, 9);
    T_OK(clave_ledger_audit(f->ledger, f->key, &sth));
    uint8_t *got = NULL;
    size_t len = 0;
    T_OK(clave_ledger_entry(f->ledger, 4, &got, &len));
    assert_int_equal(len, strlen(EV));
    assert_memory_equal(got, EV, len);
    free(got);
}

static void test_offline_export_and_entry_proof(void **state)
{
    struct fixture *f = *state;
    struct clave_ledger_sth sth;
    char *text = NULL;
    size_t len = 0;
    append_events(f->ledger, 0, 21);
    T_OK(clave_ledger_checkpoint(f->ledger, f->key, 1700000002000, &sth));
    append_events(f->ledger, 21, 25); /* entries after the head are allowed in an export */
    T_OK(clave_ledger_export(f->ledger, 25, &text, &len));
    T_OK(clave_ledger_verify_export(text, len, f->key, &sth));
    /* Drop a line, swap two lines, edit an event: each is caught. */
    char *second = strchr(text, '\n') + 1;
    char *third = strchr(second, '\n') + 1;
    T_ERR(clave_ledger_verify_export(second, len - (size_t)(second - text), f->key, &sth),
          CLAVE_ERR_TAMPERED);
    char *edited = strdup(text);
    char *ev = strstr(edited + (second - text), "\"event\":\"") + 9;
    *ev = *ev == 'A' ? 'B' : 'A';
    assert_int_not_equal(clave_ledger_verify_export(edited, len, f->key, &sth), CLAVE_OK);
    free(edited);
    T_ERR(clave_ledger_verify_export(text, (size_t)(third - text), f->key, &sth),
          CLAVE_ERR_TAMPERED);
    free(text);

    char *proof = NULL;
    T_OK(clave_ledger_proof_json(f->ledger, 7, 21, &proof));
    T_OK(clave_ledger_verify_entry(proof, strlen(proof), f->key, &sth));
    char *bad = strdup(proof);
    char *path = strstr(bad, "\"audit_path\":[\"") + 15;
    *path = *path == '0' ? '1' : '0';
    T_ERR(clave_ledger_verify_entry(bad, strlen(bad), f->key, &sth), CLAVE_ERR_TAMPERED);
    free(bad);
    free(proof);
    T_OK(clave_ledger_proof_json(f->ledger, 7, 25, &proof));
    T_ERR(clave_ledger_verify_entry(proof, strlen(proof), f->key, &sth), CLAVE_ERR_FORMAT);
    free(proof);
}

static void test_tampered_database_is_caught(void **state)
{
    struct fixture *f = *state;
    struct clave_ledger_sth sth;
    append_events(f->ledger, 0, 9);
    T_OK(clave_ledger_checkpoint(f->ledger, f->key, 1700000003000, &sth));
    const char *evil = "{\"actor\":\"mallory\",\"n\":4,\"time\":1700000000004,\"type\":\"login\"}";
    struct clave_store_param p[] = {clave_store_param_blob(evil, strlen(evil)),
                                    clave_store_param_int(4)};
    T_OK(
        clave_store_exec(f->store, "UPDATE ledger_leaves SET event = ? WHERE idx = ?", p, 2, NULL));
    T_ERR(clave_ledger_audit(f->ledger, f->key, &sth), CLAVE_ERR_TAMPERED);
    assert_non_null(strstr(clave_error_last().detail, "entry 4"));
}

/* kill -9 a writer repeatedly: every acknowledged append survives and the log audits clean. */
static void test_crash_safety(void **state)
{
    struct fixture *f = *state;
    for (int round = 0; round < 3; round++) {
        int fds[2];
        assert_int_equal(pipe(fds), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            struct clave_store *store = NULL;
            struct clave_ledger *ledger = NULL;
            close(fds[0]);
            if (open_store(f, &store) != CLAVE_OK || clave_ledger_open(store, &ledger) != 0) {
                _exit(2);
            }
            for (uint64_t i = 0;; i++) {
                uint64_t index = 0;
                char event[64];
                int len = snprintf(event, sizeof(event), "{\"crash\":%llu}", (unsigned long long)i);
                if (clave_ledger_append(ledger, (const uint8_t *)event, (size_t)len, &index) != 0 ||
                    write(fds[1], &index, sizeof(index)) != sizeof(index)) {
                    _exit(3);
                }
            }
        }
        close(fds[1]);
        uint64_t acked = 0;
        uint64_t got = 0;
        for (int i = 0; i < 25 + round * 10 && read(fds[0], &got, sizeof(got)) == sizeof(got);
             i++) {
            acked = got;
        }
        kill(pid, SIGKILL);
        int status = 0;
        waitpid(pid, &status, 0);
        close(fds[0]);
        uint64_t size = 0;
        T_OK(clave_ledger_size(f->ledger, &size));
        assert_true(size >= acked + 1);
        struct clave_ledger_sth sth;
        T_OK(clave_ledger_checkpoint(f->ledger, f->key, 1700000004000 + round, &sth));
        T_OK(clave_ledger_audit(f->ledger, f->key, &sth));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_append_prove_and_checkpoint, setup, teardown),
        cmocka_unit_test_setup_teardown(test_append_in_tx, setup, teardown),
        cmocka_unit_test_setup_teardown(test_offline_export_and_entry_proof, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tampered_database_is_caught, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crash_safety, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
