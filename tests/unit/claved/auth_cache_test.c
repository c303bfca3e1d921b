/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The per-thread credential cache: entries live at most the TTL and never past the limit, a
 * different token never hits, TTL 0 disables it, a generation bump voids every entry; through
 * the dispatcher a logout, token revocation or role change in this process voids every thread's
 * cached copy at once, a revocation by another replica (straight in the store) is seen once the
 * entry lapses; and the loop-thread (inline) path answers only what it may: cached callers on
 * store-free routes, handing everything else to a worker. On SQLite and PostgreSQL.
 */
#include "common.h"

#include "auth_cache.h"

#include <time.h>

static void key_of(const char *tok, uint8_t key[32])
{
    T_OK(claved_auth_cache_key(tok, strlen(tok), key));
}

static void test_cache_rules(void **state)
{
    (void)state;
    struct claved_auth_cache *c = NULL;
    struct claved_principal who = {.authenticated = true, .role = CLAVED_ROLE_ANALYST};
    struct claved_principal got;
    uint8_t a[32];
    uint8_t b[32];
    snprintf(who.user_id, sizeof(who.user_id), "u_1");
    key_of("token-a", a);
    key_of("token-b", b);
    atomic_uint_fast64_t gen;
    atomic_init(&gen, 7);
    T_OK(claved_auth_cache_new(1000, &gen, &c));
    assert_false(claved_auth_cache_get(c, a, 0, &got));
    claved_auth_cache_put(c, a, &who, 10000, 0, 7);
    assert_true(claved_auth_cache_get(c, a, 10999, &got));
    assert_string_equal(got.user_id, "u_1");
    assert_false(claved_auth_cache_get(c, a, 11000, &got)); /* the TTL is a hard bound */
    assert_false(claved_auth_cache_get(c, b, 10500, &got)); /* another token never hits */
    claved_auth_cache_put(c, a, &who, 20000, 20300, 7);     /* the token expires first */
    assert_true(claved_auth_cache_get(c, a, 20299, &got));
    assert_false(claved_auth_cache_get(c, a, 20300, &got));
    claved_auth_cache_put(c, a, &who, 30000, 0, 7);
    claved_auth_cache_drop(c, b); /* dropping another key leaves it */
    assert_true(claved_auth_cache_get(c, a, 30001, &got));
    claved_auth_cache_drop(c, a);
    assert_false(claved_auth_cache_get(c, a, 30001, &got));
    struct claved_principal anon = {.authenticated = false};
    claved_auth_cache_put(c, a, &anon, 40000, 0, 7); /* failures are never cached */
    assert_false(claved_auth_cache_get(c, a, 40001, &got));
    claved_auth_cache_put(c, a, &who, 50000, 0, 7);
    assert_true(claved_auth_cache_get(c, a, 50001, &got));
    claved_auth_cache_revoke_all(&gen); /* any revocation voids everything */
    assert_false(claved_auth_cache_get(c, a, 50001, &got));
    claved_auth_cache_put(c, a, &who, 50000, 0, 7); /* proved before the revocation: void */
    assert_false(claved_auth_cache_get(c, a, 50001, &got));
    assert_int_equal(claved_auth_cache_generation(c), 8);
    claved_auth_cache_free(c);
    T_OK(claved_auth_cache_new(0, &gen, &c)); /* session_cache_ms = 0: off */
    claved_auth_cache_put(c, a, &who, 0, 0, 8);
    assert_false(claved_auth_cache_get(c, a, 1, &got));
    claved_auth_cache_free(c);
    claved_auth_cache_free(NULL);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* In-process revocations void every thread's cache at once; one made by another replica (only
 * in the store) is seen when the cached entry lapses. */
static void test_revocation_reaches_cache(void **state)
{
    (void)state;
    struct fixture f;
    char party[CLAVED_ID_LEN + 1];
    json_t *b = NULL;
    setenv("CLAVE_SESSION_CACHE_MS", "200", 1);
    fixture_init(&f);
    unsetenv("CLAVE_SESSION_CACHE_MS");
    T_OK(claved_new_id("p", party));
    T_OK(claved_db_party_insert(f.app.store, party, "p", 1));
    char *tok = make_user(&f, party, "carl", CLAVED_ROLE_ANALYST, NULL);
    char *tok2 = make_user(&f, party, "dora", CLAVED_ROLE_OWNER, NULL);
    T_OK(claved_auth_cache_new(f.app.cfg.session_cache_ms, &f.app.auth_generation, &f.cache));
    struct claved_auth_cache *mine = f.cache;
    /* Logout on "another thread" (no cache): this thread's cached copy is void at once. */
    assert_int_equal(call(&f, CLAVED_GET, "/v1/me", tok, NULL, NULL), 200); /* now cached */
    f.cache = NULL;
    assert_int_equal(call(&f, CLAVED_POST, "/v1/logout", tok, NULL, NULL), 200);
    f.cache = mine;
    assert_int_equal(call(&f, CLAVED_GET, "/v1/me", tok, NULL, NULL), 401);
    /* A role change elsewhere: the cached role is not used again. */
    assert_int_equal(call(&f, CLAVED_GET, "/v1/me", tok2, NULL, &b), 200);
    assert_string_equal(json_string_value(json_object_get(b, "role")), "owner");
    json_decref(b);
    struct claved_user u;
    T_OK(claved_db_user_by_name(f.app.store, "dora", &u));
    char path[128];
    snprintf(path, sizeof(path), "/v1/users/%s/role", u.id);
    f.cache = NULL;
    assert_int_equal(call(&f, CLAVED_PUT, path, tok2, "{\"role\":\"analyst\"}", NULL), 200);
    f.cache = mine;
    assert_int_equal(call(&f, CLAVED_GET, "/v1/me", tok2, NULL, &b), 200);
    assert_string_equal(json_string_value(json_object_get(b, "role")), "analyst");
    json_decref(b);
    /* Another replica revokes (store only, no generation bump): seen once the entry lapses. */
    int64_t sessions = 0;
    T_OK(claved_db_session_active_count(f.app.store, (int64_t)time(NULL), &sessions));
    assert_int_equal(sessions, 1);
    T_OK(clave_store_exec(f.app.store, "UPDATE sessions SET revoked = 1", NULL, 0, NULL));
    sleep_ms(250); /* past session_cache_ms = 200 */
    assert_int_equal(call(&f, CLAVED_GET, "/v1/me", tok2, NULL, NULL), 401);
    claved_auth_cache_free(f.cache);
    f.cache = NULL;
    free(tok);
    free(tok2);
    fixture_fini(&f);
}

static bool inline_call(struct fixture *f, struct claved_auth_cache *loop_cache,
                        enum claved_method m, const char *path, const char *token, int *status)
{
    struct claved_request req;
    struct claved_response resp;
    char auth[1200];
    memset(&req, 0, sizeof(req));
    memset(&resp, 0, sizeof(resp));
    req.method = m;
    req.path = path;
    if (token != NULL) {
        snprintf(auth, sizeof(auth), "Bearer %s", token);
        req.authorization = auth;
    }
    memcpy(req.request_id, "inlineinlineinlineinline", CLAVED_REQUEST_ID_LEN + 1);
    bool handled = claved_dispatch_inline(&f->app, loop_cache, &req, &resp);
    *status = resp.status;
    if (!handled) {
        assert_null(resp.body); /* nothing half-done */
        /* What the server does next: a worker finishes it, the loop learns the credential. */
        struct claved_conn conn = {f->app.store, f->app.ledger, NULL};
        claved_dispatch(&f->app, &conn, &req, &resp);
        *status = resp.status;
        if (resp.credential_fresh) {
            claved_auth_cache_put(loop_cache, resp.credential_key, &resp.credential_who,
                                  claved_now_ms(), resp.credential_limit_ms,
                                  resp.credential_generation);
        }
    }
    claved_response_clear(&resp);
    return handled;
}

static void test_inline_path(void **state)
{
    (void)state;
    struct fixture f;
    struct claved_auth_cache *loop = NULL;
    char party[CLAVED_ID_LEN + 1];
    int st = 0;
    fixture_init(&f);
    T_OK(claved_new_id("p", party));
    T_OK(claved_db_party_insert(f.app.store, party, "p", 1));
    char *tok = make_user(&f, party, "eve", CLAVED_ROLE_ANALYST, NULL);
    T_OK(claved_auth_cache_new(1000, &f.app.auth_generation, &loop));
    assert_true(inline_call(&f, loop, CLAVED_GET, "/healthz", NULL, &st));
    assert_int_equal(st, 200);
    assert_true(inline_call(&f, loop, CLAVED_GET, "/nope", NULL, &st));
    assert_int_equal(st, 404);
    assert_true(inline_call(&f, loop, CLAVED_GET, "/v1/me", NULL, &st)); /* no credentials */
    assert_int_equal(st, 401);
    assert_false(inline_call(&f, loop, CLAVED_GET, "/v1/me", tok, &st)); /* not cached yet */
    assert_int_equal(st, 200);
    assert_true(inline_call(&f, loop, CLAVED_GET, "/v1/me", tok, &st)); /* cached now */
    assert_int_equal(st, 200);
    assert_false(inline_call(&f, loop, CLAVED_GET, "/v1/users", tok, &st)); /* needs the store */
    assert_int_equal(st, 403);                                              /* and is audited */
    assert_false(inline_call(&f, loop, CLAVED_GET, "/v1/me", "v1.forged.token", &st));
    assert_int_equal(st, 401);
    assert_false(inline_call(&f, loop, CLAVED_GET, "/v1/me", "v1.forged.token", &st));
    assert_int_equal(st, 401); /* failures are not cached */
    claved_auth_cache_free(loop);
    free(tok);
    fixture_fini(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cache_rules),
        cmocka_unit_test(test_revocation_reaches_cache),
        cmocka_unit_test(test_inline_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
