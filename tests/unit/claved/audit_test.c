/* SPDX-License-Identifier: Apache-2.0 */
/*
 * claved's audit ledger end to end, in-process: security events become ledger entries before the
 * response, with the documented fields and no secrets; the served key, heads, pages, proofs,
 * consistency proofs and exports verify with the offline verifier; hostile query strings get
 * 400s; and when the ledger cannot record, the action is answered 503, not silently done.
 * Runs on SQLite and (audit_test_pg) PostgreSQL.
 */
#include "common.h"

#include "audit_hook.h"

struct world {
    struct fixture f;
    char party[CLAVED_ID_LEN + 1];
    char *admin;
    char *auditor;
    char *analyst;
    struct clave_pkey *key;
};

static void world_init(struct world *w)
{
    char *pem = NULL;
    memset(w, 0, sizeof(*w));
    fixture_init(&w->f);
    T_OK(claved_new_id("p", w->party));
    T_OK(claved_db_party_insert(w->f.app.store, w->party, "p1", 1));
    w->admin = make_user(&w->f, w->party, "ada", CLAVED_ROLE_ADMIN, NULL);
    w->auditor = make_user(&w->f, w->party, "aud", CLAVED_ROLE_AUDITOR, NULL);
    w->analyst = make_user(&w->f, w->party, "ana", CLAVED_ROLE_ANALYST, NULL);
    assert_int_equal(call_raw(&w->f, CLAVED_GET, "/v1/audit/key", w->auditor, NULL, NULL, &pem),
                     200);
    T_OK(clave_pkey_from_pem(pem, strlen(pem), &w->key));
    free(pem);
}

static void world_fini(struct world *w)
{
    clave_pkey_free(w->key);
    free(w->admin);
    free(w->auditor);
    free(w->analyst);
    fixture_fini(&w->f);
}

/* POST /v1/audit/checkpoint, parsed and verified under the served key. */
static void checkpoint(struct world *w, struct clave_ledger_sth *sth)
{
    char *raw = NULL;
    assert_int_equal(
        call_raw(&w->f, CLAVED_POST, "/v1/audit/checkpoint", w->auditor, NULL, NULL, &raw), 200);
    T_OK(clave_ledger_sth_from_json(raw, strlen(raw), sth));
    T_OK(clave_ledger_sth_verify(w->key, sth));
    free(raw);
}

/* The event at `index` as JSON (through GET /v1/audit/entries). */
static json_t *entry(struct world *w, uint64_t index)
{
    char path[128];
    json_t *b = NULL;
    uint8_t *ev = NULL;
    size_t len = 0;
    snprintf(path, sizeof(path), "/v1/audit/entries?start=%llu&end=%llu", (unsigned long long)index,
             (unsigned long long)index + 1);
    assert_int_equal(call(&w->f, CLAVED_GET, path, w->admin, NULL, &b), 200);
    const char *b64 = json_string_value(
        json_object_get(json_array_get(json_object_get(b, "entries"), 0), "event"));
    assert_non_null(b64);
    T_OK(clave_b64_decode_alloc(CLAVE_B64URL, b64, strlen(b64), &ev, &len));
    json_t *e = json_loadb((const char *)ev, len, 0, NULL);
    assert_non_null(e);
    assert_null(memmem(ev, len, "pw-12345", 8)); /* never a password */
    free(ev);
    json_decref(b);
    return e;
}

static const char *str(json_t *o, const char *k)
{
    const char *v = json_string_value(json_object_get(o, k));
    return v != NULL ? v : "(missing)";
}

static void test_events_recorded(void **state)
{
    (void)state;
    struct world w;
    struct clave_ledger_sth sth;
    world_init(&w);
    checkpoint(&w, &sth);
    uint64_t before = sth.tree_size;
    assert_int_equal(before, 3); /* three successful logins */
    json_t *e = entry(&w, 0);
    assert_string_equal(str(e, "type"), CLAVED_AUDIT_LOGIN_OK);
    assert_string_equal(str(e, "outcome"), "success");
    assert_string_equal(str(e, "request_id"), "testtesttesttesttesttest");
    assert_non_null(json_object_get(e, "time"));
    json_decref(e);
    /* A failed login, a denial and a role change. */
    assert_int_equal(call(&w.f, CLAVED_POST, "/v1/login", NULL,
                          "{\"username\":\"ana\",\"password\":\"wrong-secret\"}", NULL),
                     401);
    assert_int_equal(call(&w.f, CLAVED_GET, "/v1/audit/sth", w.analyst, NULL, NULL), 403);
    checkpoint(&w, &sth);
    assert_int_equal(sth.tree_size, before + 2);
    e = entry(&w, before);
    assert_string_equal(str(e, "type"), CLAVED_AUDIT_LOGIN_FAIL);
    assert_string_equal(str(e, "outcome"), "failure");
    assert_string_equal(str(e, "reason"), "password");
    assert_string_equal(str(e, "actor"), "");
    json_decref(e);
    e = entry(&w, before + 1);
    assert_string_equal(str(e, "type"), CLAVED_AUDIT_DENIED);
    assert_string_equal(str(e, "outcome"), "denied");
    assert_string_equal(str(e, "actor_party"), w.party);
    assert_string_equal(str(e, "route"), "/v1/audit/sth");
    json_decref(e);
    world_fini(&w);
}

static void test_proofs_and_export_verify(void **state)
{
    (void)state;
    struct world w;
    struct clave_ledger_sth old_sth;
    struct clave_ledger_sth sth;
    char path[160];
    char *raw = NULL;
    world_init(&w);
    checkpoint(&w, &old_sth);
    for (int i = 0; i < 6; i++) {
        (void)call(&w.f, CLAVED_POST, "/v1/login", NULL,
                   "{\"username\":\"nobody\",\"password\":\"x\"}", NULL);
    }
    checkpoint(&w, &sth);
    assert_int_equal(sth.tree_size, old_sth.tree_size + 6);
    /* GET /v1/audit/sth returns exactly the latest head. */
    assert_int_equal(call_raw(&w.f, CLAVED_GET, "/v1/audit/sth", w.admin, NULL, NULL, &raw), 200);
    struct clave_ledger_sth got;
    T_OK(clave_ledger_sth_from_json(raw, strlen(raw), &got));
    assert_int_equal(got.tree_size, sth.tree_size);
    free(raw);
    for (uint64_t i = 0; i < sth.tree_size; i++) {
        snprintf(path, sizeof(path), "/v1/audit/entries/%llu/proof", (unsigned long long)i);
        assert_int_equal(call_raw(&w.f, CLAVED_GET, path, w.auditor, NULL, NULL, &raw), 200);
        T_OK(clave_ledger_verify_entry(raw, strlen(raw), w.key, &sth));
        free(raw);
    }
    assert_int_equal(call_raw(&w.f, CLAVED_GET, "/v1/audit/export", w.auditor, NULL, NULL, &raw),
                     200);
    T_OK(clave_ledger_verify_export(raw, strlen(raw), w.key, &sth));
    raw[strlen(raw) / 2] ^= 1; /* one flipped bit anywhere fails */
    assert_int_not_equal(clave_ledger_verify_export(raw, strlen(raw), w.key, &sth), CLAVE_OK);
    free(raw);
    /* Consistency between the two heads. */
    json_t *b = NULL;
    snprintf(path, sizeof(path), "/v1/audit/consistency?first=%llu&second=%llu",
             (unsigned long long)old_sth.tree_size, (unsigned long long)sth.tree_size);
    assert_int_equal(call(&w.f, CLAVED_GET, path, w.auditor, NULL, &b), 200);
    json_t *list = json_object_get(b, "proof");
    clave_merkle_hash proof[CLAVE_MERKLE_MAX_PROOF];
    size_t n = json_array_size(list);
    for (size_t i = 0; i < n; i++) {
        const char *hex = json_string_value(json_array_get(list, i));
        size_t len = 0;
        T_OK(clave_hex_decode(hex, strlen(hex), proof[i], CLAVE_MERKLE_HASH_LEN, &len));
    }
    T_OK(clave_merkle_verify_consistency(old_sth.tree_size, sth.tree_size, old_sth.root_hash,
                                         sth.root_hash, proof, n));
    json_decref(b);
    world_fini(&w);
}

static void test_hostile_queries(void **state)
{
    (void)state;
    struct world w;
    world_init(&w);
    static const char *const BAD[] = {
        "/v1/audit/entries?start=5&end=2",
        "/v1/audit/entries?start=0&end=99999",
        "/v1/audit/entries?start=-1",
        "/v1/audit/entries?start=1e3",
        "/v1/audit/entries?start=",
        "/v1/audit/entries?start=0&end=1000000000000000000000",
        "/v1/audit/entries/99/proof",
        "/v1/audit/entries/0/proof?tree_size=99999",
        "/v1/audit/entries/0/proof?tree_size=abc",
        "/v1/audit/consistency",
        "/v1/audit/consistency?first=0&second=1",
        "/v1/audit/consistency?first=3&second=2",
        "/v1/audit/consistency?first=1&second=99999",
        "/v1/audit/export?size=99999",
        "/v1/audit/export?size=1%27%20OR%201=1",
    };
    for (size_t i = 0; i < sizeof(BAD) / sizeof(BAD[0]); i++) {
        json_t *b = NULL;
        int st = call(&w.f, CLAVED_GET, BAD[i], w.admin, NULL, &b);
        if (st != 400) {
            fail_msg("%s -> %d, want 400", BAD[i], st);
        }
        assert_non_null(json_object_get(json_object_get(b, "error"), "code"));
        json_decref(b);
    }
    /* Unknown parameters are ignored; a page without parameters is the last one. */
    json_t *b = NULL;
    assert_int_equal(call(&w.f, CLAVED_GET, "/v1/audit/entries?x=1&&=", w.admin, NULL, &b), 200);
    assert_int_equal(json_array_size(json_object_get(b, "entries")), 3);
    json_decref(b);
    world_fini(&w);
}

/* If the ledger cannot append, the action is not acknowledged: 503, and no session is issued. */
static void test_unrecorded_is_refused(void **state)
{
    (void)state;
    struct world w;
    json_t *b = NULL;
    world_init(&w);
    T_OK(clave_store_exec(w.f.app.store, "DROP TABLE ledger_nodes", NULL, 0, NULL));
    T_OK(clave_store_exec(w.f.app.store, "DROP TABLE ledger_leaves", NULL, 0, NULL));
    assert_int_equal(call(&w.f, CLAVED_POST, "/v1/login", NULL,
                          "{\"username\":\"ana\",\"password\":\"pw-12345\"}", &b),
                     503);
    assert_string_equal(json_string_value(json_object_get(json_object_get(b, "error"), "code")),
                        "audit_unavailable");
    assert_null(json_object_get(b, "token"));
    json_decref(b);
    assert_int_equal(call(&w.f, CLAVED_POST, "/v1/parties", w.admin, "{\"name\":\"p2\"}", NULL),
                     503);
    world_fini(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_events_recorded),
        cmocka_unit_test(test_proofs_and_export_verify),
        cmocka_unit_test(test_hostile_queries),
        cmocka_unit_test(test_unrecorded_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
