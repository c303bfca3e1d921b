/* SPDX-License-Identifier: Apache-2.0 */
/*
 * claved's router, body parsing and handlers in-process (no sockets), over a throwaway SQLite
 * store. Input: byte 0 selects the method, then "path\n", then an Authorization value line
 * ("@admin" stands for a valid admin session token), then the body. A "?" in the path starts the
 * query string.
 */
#include "app.h"
#include "db.h"
#include "routes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct claved_app app;
static char admin_token[2048];

static void setup(void)
{
    struct claved_config cfg;
    char dir[] = "/tmp/claved-fuzz-XXXXXX";
    if (mkdtemp(dir) == NULL) {
        abort();
    }
    setenv("CLAVE_DATA_DIR", dir, 1);
    setenv("CLAVE_ARGON2_T_COST", "1", 1);
    setenv("CLAVE_ARGON2_M_COST_KIB", "8", 1);
    FILE *devnull = fopen("/dev/null", "w");
    if (devnull == NULL || claved_config_load(NULL, &cfg) != CLAVE_OK ||
        claved_app_init(&app, &cfg, devnull) != CLAVE_OK) {
        abort();
    }
    struct claved_user u;
    memset(&u, 0, sizeof(u));
    struct clave_argon2_params ap = {1, 8, 1};
    if (claved_new_id("p", u.party_id) != CLAVE_OK ||
        claved_db_party_insert(app.store, u.party_id, "fuzz", 1) != CLAVE_OK ||
        claved_new_id("u", u.id) != CLAVE_OK ||
        clave_password_hash(&ap, "pw", 2, u.password_hash, sizeof(u.password_hash)) != CLAVE_OK) {
        abort();
    }
    memcpy(u.name, "admin", 6);
    u.role = CLAVED_ROLE_ADMIN;
    if (claved_db_user_insert(app.store, &u, NULL, 1) != CLAVE_OK) {
        abort();
    }
    struct claved_request req = {
        .method = CLAVED_POST, .path = "/v1/login", .content_type = "application/json"};
    static const char LOGIN[] = "{\"username\":\"admin\",\"password\":\"pw\"}";
    req.body = (const uint8_t *)LOGIN;
    req.body_len = sizeof(LOGIN) - 1;
    struct claved_response resp = {0};
    struct claved_conn conn = {app.store, app.ledger, NULL};
    claved_dispatch(&app, &conn, &req, &resp);
    json_t *doc = json_loadb(resp.body, resp.body_len, 0, NULL);
    const char *tok = json_string_value(json_object_get(doc, "token"));
    if (tok == NULL) {
        abort();
    }
    snprintf(admin_token, sizeof(admin_token), "Bearer %s", tok);
    json_decref(doc);
    claved_response_clear(&resp);
}

static char *take_line(const uint8_t **p, size_t *n)
{
    const uint8_t *nl = memchr(*p, '\n', *n);
    size_t len = nl != NULL ? (size_t)(nl - *p) : *n;
    char *s = strndup((const char *)*p, len);
    *p += len + (nl != NULL ? 1 : 0);
    *n -= len + (nl != NULL ? 1 : 0);
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (app.store == NULL) {
        setup();
    }
    if (size < 1) {
        return 0;
    }
    struct claved_request req;
    struct claved_response resp = {0};
    memset(&req, 0, sizeof(req));
    req.method = (enum claved_method)(1 + data[0] % 5);
    const uint8_t *p = data + 1;
    size_t n = size - 1;
    char *path = take_line(&p, &n);
    char *auth = take_line(&p, &n);
    req.path = path;
    char *q = strchr(path, '?');
    if (q != NULL) {
        *q = '\0';
        req.query = q + 1;
    }
    req.authorization = strcmp(auth, "@admin") == 0 ? admin_token : auth[0] != '\0' ? auth : NULL;
    req.content_type = "application/json";
    req.body = p;
    req.body_len = n;
    memcpy(req.request_id, "fuzzfuzzfuzzfuzzfuzzfuzz", CLAVED_REQUEST_ID_LEN + 1);
    struct claved_conn conn = {app.store, app.ledger, NULL};
    claved_dispatch(&app, &conn, &req, &resp);
    if (resp.status < 200 || resp.status > 599) {
        abort();
    }
    claved_response_clear(&resp);
    free(path);
    free(auth);
    return 0;
}
