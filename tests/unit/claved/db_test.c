/* SPDX-License-Identifier: Apache-2.0 */
/*
 * claved's identity tables (src/claved/db.c) on SQLite and (db_test_pg) PostgreSQL: users,
 * parties, sessions and API tokens round-trip; uniqueness, expiry and revocation hold; values
 * full of SQL metacharacters are stored as data; lookups of what is absent say NOT_FOUND.
 */
#include "common.h"

static const char *const TABLES[] = {"api_tokens", "sessions", "users", "parties",
                                     "schema_migrations"};

static struct t_store *open_db(void)
{
    struct t_store *t = t_store_open(TABLES, sizeof(TABLES) / sizeof(TABLES[0]));
    T_OK(claved_db_migrate(t->store));
    T_OK(claved_db_migrate(t->store)); /* idempotent */
    return t;
}

static void make(struct clave_store *s, const char *party, const char *name, enum claved_role r,
                 struct claved_user *u)
{
    memset(u, 0, sizeof(*u));
    T_OK(claved_new_id("u", u->id));
    snprintf(u->party_id, sizeof(u->party_id), "%s", party);
    snprintf(u->name, sizeof(u->name), "%s", name);
    snprintf(u->password_hash, sizeof(u->password_hash), "$argon2id$fake");
    u->role = r;
    T_OK(claved_db_user_insert(s, u, NULL, 100));
}

static void test_users_and_parties(void **state)
{
    (void)state;
    struct t_store *t = open_db();
    struct claved_user u;
    struct claved_user got;
    char party[CLAVED_ID_LEN + 1];
    static const char EVIL[] = "x'); DROP TABLE users; --";
    T_OK(claved_new_id("p", party));
    T_OK(claved_db_party_insert(t->store, party, EVIL, 1));
    T_ERR(claved_db_party_insert(t->store, party, "again", 1), CLAVE_ERR_EXISTS);
    T_OK(claved_db_party_exists(t->store, party));
    T_ERR(claved_db_party_exists(t->store, "p_nope"), CLAVE_ERR_NOT_FOUND);
    make(t->store, party, EVIL, CLAVED_ROLE_OWNER, &u);
    T_OK(claved_db_user_by_name(t->store, EVIL, &got));
    assert_string_equal(got.id, u.id);
    assert_int_equal(got.role, CLAVED_ROLE_OWNER);
    T_ERR(claved_db_user_insert(t->store, &u, NULL, 1), CLAVE_ERR_EXISTS);
    T_ERR(claved_db_user_by_name(t->store, "x' OR '1'='1", &got), CLAVE_ERR_NOT_FOUND);
    T_OK(claved_db_user_set_role(t->store, u.id, CLAVED_ROLE_AUDITOR));
    T_OK(claved_db_user_by_id(t->store, u.id, &got));
    assert_int_equal(got.role, CLAVED_ROLE_AUDITOR);
    T_OK(claved_db_user_login_result(t->store, u.id, false, 500));
    T_OK(claved_db_user_login_result(t->store, u.id, false, 600));
    T_OK(claved_db_user_by_id(t->store, u.id, &got));
    assert_int_equal(got.failures, 2);
    assert_int_equal(got.last_failure, 600);
    T_OK(claved_db_user_login_result(t->store, u.id, true, 700));
    T_OK(claved_db_user_by_id(t->store, u.id, &got));
    assert_int_equal(got.failures, 0);
    int64_t count = 0;
    T_OK(claved_db_user_count(t->store, &count));
    assert_int_equal(count, 1);
    json_t *list = NULL;
    T_OK(claved_db_user_list(t->store, "p_other", &list));
    assert_int_equal(json_array_size(list), 0);
    json_decref(list);
    T_OK(claved_db_party_list(t->store, NULL, &list));
    assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "name")), EVIL);
    json_decref(list);
    t_store_close(t);
}

static void test_sessions_and_tokens(void **state)
{
    (void)state;
    struct t_store *t = open_db();
    struct claved_user u;
    char party[CLAVED_ID_LEN + 1];
    char sid[CLAVED_ID_LEN + 1];
    char tid[CLAVED_ID_LEN + 1];
    char owner[CLAVED_ID_LEN + 1];
    uint8_t hash[CLAVE_API_TOKEN_HASH_LEN];
    char token[CLAVE_API_TOKEN_LEN + 1];
    T_OK(claved_new_id("p", party));
    T_OK(claved_db_party_insert(t->store, party, "p", 1));
    make(t->store, party, "sam", CLAVED_ROLE_ANALYST, &u);
    T_OK(claved_new_id("s", sid));
    T_OK(claved_db_session_insert(t->store, sid, u.id, 1000, 2000));
    T_OK(claved_db_session_check(t->store, sid, u.id, 1500));
    T_ERR(claved_db_session_check(t->store, sid, u.id, 2000), CLAVE_ERR_NOT_FOUND);
    T_ERR(claved_db_session_check(t->store, sid, "u_other", 1500), CLAVE_ERR_NOT_FOUND);
    int64_t active = 0;
    T_OK(claved_db_session_active_count(t->store, 1500, &active));
    assert_int_equal(active, 1);
    T_OK(claved_db_session_revoke(t->store, sid));
    T_ERR(claved_db_session_check(t->store, sid, u.id, 1500), CLAVE_ERR_NOT_FOUND);
    T_OK(claved_new_id("t", tid));
    T_OK(clave_api_token_generate(token, sizeof(token), hash));
    T_OK(claved_db_token_insert(t->store, tid, u.id, "ci", hash, 1000, 3000));
    T_OK(claved_db_token_user(t->store, hash, 2000, owner));
    assert_string_equal(owner, u.id);
    T_ERR(claved_db_token_user(t->store, hash, 3000, owner), CLAVE_ERR_NOT_FOUND); /* expired */
    json_t *list = NULL;
    T_OK(claved_db_token_list(t->store, u.id, &list));
    assert_int_equal(json_array_size(list), 1);
    char *text = json_dumps(list, 0);
    assert_null(strstr(text, token)); /* the listing never holds the token */
    free(text);
    json_decref(list);
    T_ERR(claved_db_token_revoke(t->store, tid, "u_someone_else"), CLAVE_ERR_NOT_FOUND);
    T_OK(claved_db_token_revoke(t->store, tid, u.id));
    T_ERR(claved_db_token_user(t->store, hash, 2000, owner), CLAVE_ERR_NOT_FOUND);
    clave_wipe(token, sizeof(token));
    t_store_close(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_users_and_parties),
        cmocka_unit_test(test_sessions_and_tokens),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
