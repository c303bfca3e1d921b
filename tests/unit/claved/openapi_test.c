/* SPDX-License-Identifier: Apache-2.0 */
/*
 * docs/api/openapi.yaml and the route table agree exactly: the same (method, path) pairs, public
 * routes (and only they) carry `security: []`, and routes with a body schema (and only they)
 * declare a requestBody. The YAML is read line by line: path keys sit at indent 2 under
 * `paths:`, operations at indent 4, operation fields at indent 6. Also: every configuration key
 * is documented in docs/server.md.
 */
#include "common.h"

#define MAX_OPS 64

struct op {
    char method[8];
    char path[128];
    bool public_op;
    bool has_body;
};

static size_t indent_of(const char *line)
{
    size_t n = 0;
    while (line[n] == ' ') {
        n++;
    }
    return n;
}

static size_t parse_ops(const char *text, struct op *ops)
{
    size_t n = 0;
    bool in_paths = false;
    char path[128] = "";
    const char *line = text;
    while (*line != '\0') {
        const char *end = strchr(line, '\n');
        size_t len = end != NULL ? (size_t)(end - line) : strlen(line);
        char buf[256];
        snprintf(buf, sizeof(buf), "%.*s", (int)(len < 255 ? len : 255), line);
        size_t ind = indent_of(buf);
        const char *s = buf + ind;
        if (ind == 0 && s[0] != '\0' && s[0] != '#') {
            in_paths = strcmp(s, "paths:") == 0;
        } else if (in_paths && ind == 2 && s[0] == '/') {
            snprintf(path, sizeof(path), "%.*s", (int)(strlen(s) - 1), s);
        } else if (in_paths && ind == 4 && strcmp(s, "parameters:") != 0) {
            assert_true(n < MAX_OPS);
            snprintf(ops[n].method, sizeof(ops[n].method), "%.*s", (int)(strlen(s) - 1), s);
            snprintf(ops[n].path, sizeof(ops[n].path), "%s", path);
            ops[n].public_op = false;
            ops[n].has_body = false;
            n++;
        } else if (in_paths && ind == 6 && n > 0) {
            ops[n - 1].public_op |= strcmp(s, "security: []") == 0;
            ops[n - 1].has_body |= strcmp(s, "requestBody:") == 0;
        }
        line += len + (end != NULL ? 1 : 0);
    }
    return n;
}

static void lower(const char *in, char *out, size_t cap)
{
    size_t i = 0;
    for (; in[i] != '\0' && i + 1 < cap; i++) {
        out[i] = (char)(in[i] >= 'A' && in[i] <= 'Z' ? in[i] + 32 : in[i]);
    }
    out[i] = '\0';
}

static char *read_text(const char *path)
{
    size_t len = 0;
    char *text = (char *)t_read_file(path, &len);
    char *z = realloc(text, len + 1);
    assert_non_null(z);
    z[len] = '\0';
    return z;
}

static void test_agreement(void **state)
{
    (void)state;
    char *z = read_text(CLAVE_SOURCE_DIR "/docs/api/openapi.yaml");
    struct op ops[MAX_OPS];
    size_t n = parse_ops(z, ops);
    bool used[MAX_OPS] = {false};
    for (size_t i = 0; i < CLAVED_ROUTE_COUNT; i++) {
        const struct claved_route *r = &CLAVED_ROUTES[i];
        char m[8];
        lower(claved_method_name(r->method), m, sizeof(m));
        size_t k = 0;
        while (k < n && !(strcmp(ops[k].method, m) == 0 && strcmp(ops[k].path, r->pattern) == 0)) {
            k++;
        }
        if (k == n) {
            fail_msg("route %s %s is missing from openapi.yaml", m, r->pattern);
        }
        used[k] = true;
        if (ops[k].public_op != (r->perm == CLAVED_PERM_PUBLIC)) {
            fail_msg("%s %s: security mismatch", m, r->pattern);
        }
        if (ops[k].has_body != (r->schema != NULL)) {
            fail_msg("%s %s: requestBody mismatch", m, r->pattern);
        }
    }
    for (size_t k = 0; k < n; k++) {
        if (!used[k]) {
            fail_msg("openapi.yaml has %s %s, which no route serves", ops[k].method, ops[k].path);
        }
    }
    assert_int_equal(n, CLAVED_ROUTE_COUNT);
    free(z);
}

static void test_config_keys_documented(void **state)
{
    (void)state;
    char *z = read_text(CLAVE_SOURCE_DIR "/docs/server.md");
    for (size_t i = 0; i < CLAVED_CONFIG_KEY_COUNT; i++) {
        char needle[80];
        snprintf(needle, sizeof(needle), "`%s`", CLAVED_CONFIG_KEYS[i].name);
        if (strstr(z, needle) == NULL) {
            fail_msg("config key %s is not documented in docs/server.md", needle);
        }
    }
    free(z);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_agreement),
        cmocka_unit_test(test_config_keys_documented),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
