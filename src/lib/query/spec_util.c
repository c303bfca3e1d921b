/* SPDX-License-Identifier: Apache-2.0 */
/* Spec parsing helpers: names, numbers (JSON numbers or decimal strings: a contract's CBOR spec
 * has no floats), typed literals and dates, the text buffer. */
#include "query/query_int.h"

#include "core/check.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const TYPE_NAMES[] = {
    [CLAVE_QUERY_INT] = "int",   [CLAVE_QUERY_FLOAT] = "float", [CLAVE_QUERY_STRING] = "string",
    [CLAVE_QUERY_BOOL] = "bool", [CLAVE_QUERY_DATE] = "date",
};

const char *query__type_name(clave_query_type t)
{
    return t >= CLAVE_QUERY_INT && t <= CLAVE_QUERY_DATE ? TYPE_NAMES[t] : "?";
}

clave_query_type clave_query_type_from_name(const char *name)
{
    for (int t = CLAVE_QUERY_INT; name != NULL && t <= CLAVE_QUERY_DATE; t++) {
        if (strcmp(name, TYPE_NAMES[t]) == 0) {
            return (clave_query_type)t;
        }
    }
    return (clave_query_type)0;
}

bool query__valid_name(const char *s, size_t max, const char *extra)
{
    size_t n = s != NULL ? strlen(s) : 0;
    if (n == 0 || n > max) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  (c != '\0' && strchr(extra, c) != NULL);
        if (!ok) {
            return false;
        }
    }
    return true;
}

bool query__valid_alias(const char *s)
{
    return query__valid_name(s, QUERY_ALIAS_MAX, "_") && !(s[0] >= '0' && s[0] <= '9');
}

clave_status query__get_number(const json_t *obj, const char *where, const char *key, bool required,
                               double *out, bool *present)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *v = json_object_get(obj, key);
    *out = 0.0;
    if (present != NULL) {
        *present = false;
    }
    if (v == NULL || json_is_null(v)) {
        CLAVE_ENSURE(!required, CLAVE_ERR_FORMAT, "%s.%s: missing", where, key);
        return CLAVE_OK;
    }
    if (json_is_string(v)) {
        CLAVE_CHECK_CTX(clave_dp_parse_double(key, json_string_value(v), out), "%s: ", where);
    } else {
        CLAVE_ENSURE(json_is_number(v), CLAVE_ERR_JSON, "%s.%s: expected a number", where, key);
        *out = json_number_value(v);
        CLAVE_ENSURE(isfinite(*out), CLAVE_ERR_FORMAT, "%s.%s: not finite", where, key);
    }
    if (present != NULL) {
        *present = true;
    }
    st = CLAVE_OK;
done:
    return st;
}

/* YYYY-MM-DD, year 0001..9999, a real day of the proleptic Gregorian calendar. */
bool query__valid_date(const char *s, size_t len)
{
    static const int DAYS[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (len != 10 || s[4] != '-' || s[7] != '-') {
        return false;
    }
    int v[3] = {0, 0, 0};
    static const size_t START[] = {0, 5, 8}, WIDTH[] = {4, 2, 2};
    for (size_t f = 0; f < 3; f++) {
        for (size_t i = START[f]; i < START[f] + WIDTH[f]; i++) {
            if (s[i] < '0' || s[i] > '9') {
                return false;
            }
            v[f] = v[f] * 10 + (s[i] - '0');
        }
    }
    if (v[0] < 1 || v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > DAYS[v[1] - 1]) {
        return false;
    }
    bool leap = (v[0] % 4 == 0 && v[0] % 100 != 0) || v[0] % 400 == 0;
    return !(v[1] == 2 && v[2] == 29 && !leap);
}

static clave_status literal_text(const json_t *v, clave_query_type type, const char *where,
                                 struct query_literal *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(json_is_string(v), CLAVE_ERR_FORMAT, "%s: expected a %s literal (string)", where,
                 query__type_name(type));
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    CLAVE_ENSURE(n <= CLAVE_QUERY_CSV_FIELD_MAX && strlen(s) == n, CLAVE_ERR_FORMAT,
                 "%s: string too long or contains NUL", where);
    CLAVE_ENSURE(type != CLAVE_QUERY_DATE || query__valid_date(s, n), CLAVE_ERR_FORMAT,
                 "%s: expected a date YYYY-MM-DD", where);
    out->s = strdup(s);
    CLAVE_ENSURE_ALLOC(out->s);
    st = CLAVE_OK;
done:
    return st;
}

clave_status query__literal(const json_t *v, clave_query_type type, const char *where,
                            struct query_literal *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    *out = (struct query_literal){.type = type};
    switch (type) {
    case CLAVE_QUERY_INT:
        CLAVE_ENSURE(json_is_integer(v), CLAVE_ERR_FORMAT, "%s: expected an int literal", where);
        out->i = json_integer_value(v);
        break;
    case CLAVE_QUERY_FLOAT:
        if (json_is_string(v)) {
            CLAVE_CHECK_CTX(clave_dp_parse_double("value", json_string_value(v), &out->f),
                            "%s: ", where);
        } else {
            CLAVE_ENSURE(json_is_number(v), CLAVE_ERR_FORMAT, "%s: expected a float literal",
                         where);
            out->f = json_number_value(v);
            CLAVE_ENSURE(isfinite(out->f), CLAVE_ERR_FORMAT, "%s: not finite", where);
        }
        break;
    case CLAVE_QUERY_BOOL:
        CLAVE_ENSURE(json_is_boolean(v), CLAVE_ERR_FORMAT, "%s: expected a bool literal", where);
        out->i = json_is_true(v) ? 1 : 0;
        break;
    case CLAVE_QUERY_STRING:
    case CLAVE_QUERY_DATE:
        CLAVE_CHECK(literal_text(v, type, where, out));
        break;
    default:
        CLAVE_RAISE(CLAVE_ERR_INTERNAL, "%s: bad type", where);
    }
    st = CLAVE_OK;
done:
    return st;
}

bool query__literal_equal(const struct query_literal *a, const struct query_literal *b)
{
    switch (a->type) {
    case CLAVE_QUERY_INT:
    case CLAVE_QUERY_BOOL:
        return a->i == b->i;
    case CLAVE_QUERY_FLOAT:
        return a->f == b->f;
    default:
        return strcmp(a->s, b->s) == 0; // lint:public (spec literals, not secrets)
    }
}

void query__literals_free(struct query_literal *v, size_t n)
{
    for (size_t i = 0; v != NULL && i < n; i++) {
        free(v[i].s);
    }
    free(v);
}

static bool buf_reserve(struct query_buf *b, size_t more)
{
    size_t need = 0;
    if (b->failed || __builtin_add_overflow(b->len, more + 1, &need) || need > QUERY_SQL_MAX) {
        b->failed = true;
        return false;
    }
    if (need > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < need) {
            cap *= 2;
        }
        char *t = realloc(b->text, cap);
        if (t == NULL) {
            b->failed = true;
            return false;
        }
        b->text = t;
        b->cap = cap;
    }
    return true;
}

void query__buf_add(struct query_buf *b, const char *s)
{
    size_t n = strlen(s);
    if (buf_reserve(b, n)) {
        memcpy(b->text + b->len, s, n + 1);
        b->len += n;
    }
}

void query__buf_addf(struct query_buf *b, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(tmp)) {
        b->failed = true;
        return;
    }
    query__buf_add(b, tmp);
}

bool query__quote_ident(struct query_buf *b, const char *name)
{
    query__buf_add(b, "\"");
    for (const char *p = name; *p != '\0'; p++) {
        char c[3] = {*p, *p == '"' ? '"' : '\0', '\0'};
        query__buf_add(b, c);
    }
    query__buf_add(b, "\"");
    return !b->failed;
}
