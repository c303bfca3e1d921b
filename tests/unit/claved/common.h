/* SPDX-License-Identifier: Apache-2.0 */
/* In-process claved fixture for unit tests: an app over a fresh store (SQLite file, or the
 * PostgreSQL database named by CLAVE_TEST_PG_CONNINFO with claved's tables dropped first: the
 * <test>_pg ctest entries), requests through claved_dispatch without sockets. */
#ifndef CLAVED_TEST_COMMON_H
#define CLAVED_TEST_COMMON_H

#include "storelib.h"
#include "testlib.h"

#include "app.h"
#include "db.h"
#include "routes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fixture {
    char *dir;
    struct claved_app app;
    struct claved_auth_cache *cache; /* the dispatching "thread's" credential cache, or NULL */
};

static inline void fixture_init(struct fixture *f)
{
    struct claved_config cfg;
    static const char *const TABLES[] = {"api_tokens",
                                         "sessions",
                                         "users",
                                         "parties",
                                         "ledger_leaves",
                                         "ledger_nodes",
                                         "ledger_sth",
                                         "kbs_contracts",
                                         "kbs_datasets",
                                         "kbs_sessions",
                                         "kbs_evidence_seen",
                                         "collab_statements",
                                         "collab_collaborations",
                                         "collab_uploads",
                                         "recipient_keys",
                                         "schema_migrations"};
    const char *pg = getenv("CLAVE_TEST_PG_CONNINFO");
    if (pg != NULL && pg[0] != '\0') {
        t_store_close(t_store_open(TABLES, sizeof(TABLES) / sizeof(TABLES[0])));
        setenv("CLAVE_STORE", "postgres", 1);
        setenv("CLAVE_PG_CONNINFO", pg, 1);
    }
    f->dir = t_tempdir();
    setenv("CLAVE_DATA_DIR", f->dir, 1);
    setenv("CLAVE_ARGON2_T_COST", "1", 1);
    setenv("CLAVE_ARGON2_M_COST_KIB", "64", 1);
    f->cache = NULL;
    T_OK(claved_config_load(NULL, &cfg));
    FILE *devnull = fopen("/dev/null", "w");
    assert_non_null(devnull);
    T_OK(claved_app_init(&f->app, &cfg, devnull));
}

static inline void fixture_fini(struct fixture *f)
{
    claved_app_fini(&f->app);
    t_rmtree(f->dir);
    free(f->dir);
}

/* Run one request ("?..." in `path` becomes the query string); returns the status and leaves the
 * parsed body (or NULL) in *body. */
static inline int call_raw(struct fixture *f, enum claved_method m, const char *path,
                           const char *token, const char *json, json_t **body, char **raw)
{
    struct claved_request req;
    struct claved_response resp;
    char auth[1200];
    char pbuf[512];
    memset(&req, 0, sizeof(req));
    memset(&resp, 0, sizeof(resp));
    req.method = m;
    snprintf(pbuf, sizeof(pbuf), "%s", path);
    char *q = strchr(pbuf, '?');
    if (q != NULL) {
        *q = '\0';
        req.query = q + 1;
    }
    req.path = pbuf;
    if (token != NULL) {
        snprintf(auth, sizeof(auth), "Bearer %s", token);
        req.authorization = auth;
    }
    if (json != NULL) {
        req.body = (const uint8_t *)json;
        req.body_len = strlen(json);
        req.content_type = "application/json";
    }
    memcpy(req.request_id, "testtesttesttesttesttest", CLAVED_REQUEST_ID_LEN + 1);
    struct claved_conn conn = {f->app.store, f->app.ledger, f->cache};
    claved_dispatch(&f->app, &conn, &req, &resp);
    int status = resp.status;
    if (body != NULL) {
        *body = resp.body != NULL ? json_loadb(resp.body, resp.body_len, 0, NULL) : NULL;
    }
    if (raw != NULL) {
        *raw = resp.body != NULL ? strndup(resp.body, resp.body_len) : NULL;
    }
    claved_response_clear(&resp);
    return status;
}

static inline int call(struct fixture *f, enum claved_method m, const char *path, const char *token,
                       const char *json, json_t **body)
{
    return call_raw(f, m, path, token, json, body, NULL);
}

/* Create party + user directly in the store; returns a session token (caller frees). */
static inline char *make_user(struct fixture *f, const char *party_id, const char *name,
                              enum claved_role role, char *user_id_out)
{
    struct claved_user u;
    struct clave_argon2_params ap = {1, 64, 1};
    memset(&u, 0, sizeof(u));
    T_OK(claved_new_id("u", u.id));
    snprintf(u.party_id, sizeof(u.party_id), "%s", party_id);
    snprintf(u.name, sizeof(u.name), "%s", name);
    u.role = role;
    T_OK(clave_password_hash(&ap, "pw-12345", 8, u.password_hash, sizeof(u.password_hash)));
    T_OK(claved_db_user_insert(f->app.store, &u, NULL, 1));
    if (user_id_out != NULL) {
        memcpy(user_id_out, u.id, sizeof(u.id));
    }
    char body[200];
    snprintf(body, sizeof(body), "{\"username\":\"%s\",\"password\":\"pw-12345\"}", name);
    json_t *resp = NULL;
    assert_int_equal(call(f, CLAVED_POST, "/v1/login", NULL, body, &resp), 200);
    char *tok = strdup(json_string_value(json_object_get(resp, "token")));
    json_decref(resp);
    return tok;
}

#endif
