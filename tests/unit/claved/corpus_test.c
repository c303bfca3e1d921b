/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Replays the claved_request fuzz seed corpus (tests/fuzz/corpus/claved_request/) through the
 * dispatcher on SQLite and (corpus_test_pg) PostgreSQL: every input gets a well-formed response
 * with a status in 200..599 and, for errors, the stable JSON error shape. The input format is
 * the fuzz target's: byte 0 selects the method, then "path[?query]\n", an Authorization line
 * ("@admin": a valid admin session), then the body.
 */
#include "common.h"

#include <dirent.h>

static char *take_line(const uint8_t **p, size_t *n)
{
    const uint8_t *nl = memchr(*p, '\n', *n);
    size_t len = nl != NULL ? (size_t)(nl - *p) : *n;
    char *s = strndup((const char *)*p, len);
    assert_non_null(s);
    *p += len + (nl != NULL ? 1 : 0);
    *n -= len + (nl != NULL ? 1 : 0);
    return s;
}

static void replay(struct fixture *f, const char *admin, const uint8_t *data, size_t size)
{
    struct claved_request req;
    struct claved_response resp = {0};
    char auth[1200];
    memset(&req, 0, sizeof(req));
    req.method = (enum claved_method)(1 + data[0] % 5);
    const uint8_t *p = data + 1;
    size_t n = size - 1;
    char *path = take_line(&p, &n);
    char *a = take_line(&p, &n);
    char *q = strchr(path, '?');
    if (q != NULL) {
        *q = '\0';
        req.query = q + 1;
    }
    req.path = path;
    snprintf(auth, sizeof(auth), "Bearer %s", admin);
    req.authorization = strcmp(a, "@admin") == 0 ? auth : a[0] != '\0' ? a : NULL;
    req.content_type = "application/json";
    req.body = p;
    req.body_len = n;
    memcpy(req.request_id, "corpuscorpuscorpuscorpus", CLAVED_REQUEST_ID_LEN + 1);
    struct claved_conn conn = {f->app.store, f->app.ledger, NULL};
    claved_dispatch(&f->app, &conn, &req, &resp);
    assert_in_range(resp.status, 200, 599);
    json_t *doc = json_loadb(resp.body, resp.body_len, 0, NULL);
    if (resp.status >= 400) {
        assert_non_null(json_object_get(json_object_get(doc, "error"), "request_id"));
    }
    json_decref(doc);
    claved_response_clear(&resp);
    free(path);
    free(a);
}

static void test_corpus(void **state)
{
    (void)state;
    struct fixture f;
    char party[CLAVED_ID_LEN + 1];
    const char *dir = CLAVE_SOURCE_DIR "/tests/fuzz/corpus/claved_request";
    size_t count = 0;
    fixture_init(&f);
    T_OK(claved_new_id("p", party));
    T_OK(claved_db_party_insert(f.app.store, party, "fuzz", 1));
    char *admin = make_user(&f, party, "admin", CLAVED_ROLE_ADMIN, NULL);
    DIR *d = opendir(dir);
    assert_non_null(d);
    for (struct dirent *e = readdir(d); e != NULL; e = readdir(d)) {
        char path[1024];
        size_t len = 0;
        if (e->d_name[0] == '.') {
            continue;
        }
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        uint8_t *data = t_read_file(path, &len);
        if (len > 0) {
            replay(&f, admin, data, len);
            count++;
        }
        free(data);
    }
    closedir(d);
    assert_true(count > 0);
    free(admin);
    fixture_fini(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_corpus)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
