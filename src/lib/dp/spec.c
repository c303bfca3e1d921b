/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Query specification parser (untrusted input: from the CLI, a contract or a fuzzer).
 *
 *   JSON:       {"column": "radius", "op": "mean", "lower": 0, "upper": 30, "epsilon": 1,
 *                "delta": 1e-6, "mechanism": "gaussian", "max_rows_per_user": 1,
 *                "grid_bits": 16, "quantile": 0.5}
 *   key=value:  column=radius op=mean lower=0 upper=30 epsilon=1   (',' or blanks separate)
 *
 * At most SPEC_MAX_LEN bytes; every key at most once; unknown keys rejected; numbers through
 * strtod (key=value) or JSON numbers, finite; then the whole spec is validated (ranges, bounds
 * order, mechanism/op compatibility) with details that name the parameter.
 */
#include "dp/params.h"

#include "core/check.h"

#include <clave/json.h>
#include <jansson.h>
#include <math.h>
#include <string.h>

#define SPEC_MAX_LEN 4096
#define DEFAULT_GRID_BITS 16

enum field {
    F_COLUMN,
    F_OP,
    F_LOWER,
    F_UPPER,
    F_EPSILON,
    F_DELTA,
    F_RHO,
    F_MECHANISM,
    F_MAX_ROWS,
    F_GRID_BITS,
    F_QUANTILE,
    F_COUNT
};

static const char *const FIELD_NAMES[F_COUNT] = {
    "column",    "op",        "lower",
    "upper",     "epsilon",   "delta",
    "rho",       "mechanism", "max_rows_per_user",
    "grid_bits", "quantile",
};

static const struct {
    const char *name;
    clave_dp_op op;
} OPS[] = {
    {"count", CLAVE_DP_OP_COUNT},       {"sum", CLAVE_DP_OP_SUM},
    {"mean", CLAVE_DP_OP_MEAN},         {"variance", CLAVE_DP_OP_VARIANCE},
    {"quantile", CLAVE_DP_OP_QUANTILE},
};

static const struct {
    const char *name;
    clave_dp_mechanism m;
} MECHANISMS[] = {
    {"laplace", CLAVE_DP_LAPLACE},
    {"gaussian", CLAVE_DP_GAUSSIAN},
    {"gaussian-zcdp", CLAVE_DP_GAUSSIAN_ZCDP},
};

struct spec_state {
    struct clave_dp_query_spec *spec;
    unsigned seen;
};

static int field_of(const char *name, size_t len)
{
    for (int f = 0; f < F_COUNT; f++) {
        if (strlen(FIELD_NAMES[f]) == len && strncmp(FIELD_NAMES[f], name, len) == 0) {
            return f;
        }
    }
    return -1;
}

static clave_status set_string(struct clave_dp_query_spec *s, int f, const char *v)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    size_t len = strlen(v);
    if (f == F_COLUMN) {
        CLAVE_ENSURE(len >= 1 && len <= CLAVE_DP_COLUMN_MAX, CLAVE_ERR_ARG,
                     "dp spec: column must be 1..%d bytes", CLAVE_DP_COLUMN_MAX);
        for (size_t i = 0; i < len; i++) {
            CLAVE_ENSURE(v[i] >= 0x20 && v[i] != 0x7f, CLAVE_ERR_ARG,
                         "dp spec: column has a control character");
        }
        memcpy(s->column, v, len + 1);
    } else if (f == F_OP) {
        clave_dp_op op = 0;
        for (size_t i = 0; i < sizeof(OPS) / sizeof(OPS[0]); i++) {
            if (strcmp(v, OPS[i].name) == 0) {
                op = OPS[i].op;
            }
        }
        CLAVE_ENSURE(op != 0, CLAVE_ERR_ARG,
                     "dp spec: op must be count, sum, mean, variance or quantile");
        s->op = op;
    } else {
        clave_dp_mechanism m = 0;
        for (size_t i = 0; i < sizeof(MECHANISMS) / sizeof(MECHANISMS[0]); i++) {
            if (strcmp(v, MECHANISMS[i].name) == 0) {
                m = MECHANISMS[i].m;
            }
        }
        CLAVE_ENSURE(m != 0, CLAVE_ERR_ARG,
                     "dp spec: mechanism must be laplace, gaussian or gaussian-zcdp");
        s->params.mechanism = m;
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status set_number(struct clave_dp_query_spec *s, int f, double v)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const char *name = FIELD_NAMES[f];
    CLAVE_ENSURE(isfinite(v), CLAVE_ERR_ARG, "dp spec: %s must be a finite number", name);
    switch (f) {
    case F_LOWER:
        s->bounds.lower = v;
        break;
    case F_UPPER:
        s->bounds.upper = v;
        break;
    case F_EPSILON:
        s->params.epsilon = v;
        break;
    case F_DELTA:
        s->params.delta = v;
        break;
    case F_RHO:
        s->params.rho = v;
        break;
    case F_QUANTILE:
        s->quantile = v;
        break;
    case F_MAX_ROWS:
        CLAVE_ENSURE(v >= 1 && v <= 1000000 && v == floor(v), CLAVE_ERR_ARG,
                     "dp spec: max_rows_per_user must be an integer in [1, 1000000]");
        s->bounds.max_rows_per_user = (uint32_t)v;
        break;
    case F_GRID_BITS:
        CLAVE_ENSURE(v >= 0 && v <= CLAVE_DP_MAX_GRID_BITS && v == floor(v), CLAVE_ERR_ARG,
                     "dp spec: grid_bits must be an integer in [0, %d]", CLAVE_DP_MAX_GRID_BITS);
        s->bounds.grid_bits = (int)v;
        break;
    default:
        CLAVE_RAISE(CLAVE_ERR_ARG, "dp spec: %s must be a string", name);
    }
    st = CLAVE_OK;
done:
    return st;
}

static bool is_string_field(int f)
{
    return f == F_COLUMN || f == F_OP || f == F_MECHANISM;
}

static clave_status mark_seen(struct spec_state *ss, int f)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(!(ss->seen & (1u << f)), CLAVE_ERR_ARG, "dp spec: %s given twice", FIELD_NAMES[f]);
    ss->seen |= 1u << f;
    st = CLAVE_OK;
done:
    return st;
}

static clave_status parse_json(struct spec_state *ss, const char *text, size_t len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *root = NULL;
    const char *k = NULL;
    json_t *v = NULL;
    CLAVE_CHECK(clave_json_parse(text, len, NULL, "dp spec", &root));
    CLAVE_CHECK(clave_json_expect_object(root, "dp spec"));
    json_object_foreach (root, k, v) {
        int f = field_of(k, strlen(k));
        CLAVE_ENSURE(f >= 0, CLAVE_ERR_ARG, "dp spec: unknown key '%.40s'", k);
        CLAVE_CHECK(mark_seen(ss, f));
        if (is_string_field(f)) {
            CLAVE_ENSURE(json_is_string(v), CLAVE_ERR_ARG, "dp spec: %s must be a string",
                         FIELD_NAMES[f]);
            CLAVE_ENSURE(strlen(json_string_value(v)) == json_string_length(v), CLAVE_ERR_ARG,
                         "dp spec: %s contains NUL", FIELD_NAMES[f]);
            CLAVE_CHECK(set_string(ss->spec, f, json_string_value(v)));
        } else {
            CLAVE_ENSURE(json_is_number(v), CLAVE_ERR_ARG, "dp spec: %s must be a number",
                         FIELD_NAMES[f]);
            CLAVE_CHECK(set_number(ss->spec, f, json_number_value(v)));
        }
    }
    st = CLAVE_OK;
done:
    json_decref(root);
    return st;
}

static bool is_sep(char c)
{
    return c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static clave_status parse_pair(struct spec_state *ss, char *tok, size_t len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char *eq = memchr(tok, '=', len);
    CLAVE_ENSURE(eq != NULL, CLAVE_ERR_ARG, "dp spec: '%.40s' is not key=value", tok);
    int f = field_of(tok, (size_t)(eq - tok));
    CLAVE_ENSURE(f >= 0, CLAVE_ERR_ARG, "dp spec: unknown key '%.*s'", (int)(eq - tok), tok);
    CLAVE_CHECK(mark_seen(ss, f));
    if (is_string_field(f)) {
        CLAVE_CHECK(set_string(ss->spec, f, eq + 1));
    } else {
        double v = 0.0;
        CLAVE_CHECK(clave_dp_parse_double(FIELD_NAMES[f], eq + 1, &v));
        CLAVE_CHECK(set_number(ss->spec, f, v));
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status parse_kv(struct spec_state *ss, const char *text, size_t len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char buf[SPEC_MAX_LEN + 1];
    memcpy(buf, text, len);
    buf[len] = '\0';
    CLAVE_ENSURE(strlen(buf) == len, CLAVE_ERR_ARG, "dp spec: contains NUL");
    size_t i = 0;
    while (i < len) {
        while (i < len && is_sep(buf[i])) {
            i++;
        }
        size_t start = i;
        while (i < len && !is_sep(buf[i])) {
            i++;
        }
        if (i > start) {
            buf[i] = '\0';
            CLAVE_CHECK(parse_pair(ss, buf + start, i - start));
            i++;
        }
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status validate(const struct spec_state *ss)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const struct clave_dp_query_spec *s = ss->spec;
    CLAVE_ENSURE(ss->seen & (1u << F_OP), CLAVE_ERR_ARG, "dp spec: op is required");
    CLAVE_ENSURE(ss->seen & (1u << F_COLUMN), CLAVE_ERR_ARG, "dp spec: column is required");
    bool needs_bounds = s->op != CLAVE_DP_OP_COUNT;
    CLAVE_ENSURE(!needs_bounds || ((ss->seen & (1u << F_LOWER)) && (ss->seen & (1u << F_UPPER))),
                 CLAVE_ERR_ARG, "dp spec: lower and upper are required for this op");
    CLAVE_CHECK(clave_dp_params_check(&s->params));
    CLAVE_CHECK(dp__check_bounds(&s->bounds));
    if (s->op == CLAVE_DP_OP_QUANTILE) {
        CLAVE_CHECK(dp__check_range("quantile", s->quantile, 0.0, true, 1.0, true));
        CLAVE_ENSURE(s->params.mechanism == CLAVE_DP_LAPLACE, CLAVE_ERR_ARG,
                     "dp spec: mechanism must be laplace for quantiles");
    }
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_dp_query_spec_parse(const char *text, size_t len,
                                       struct clave_dp_query_spec *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_dp_query_spec s;
    memset(&s, 0, sizeof(s));
    struct spec_state ss = {&s, 0};
    CLAVE_ENSURE(out != NULL, CLAVE_ERR_ARG, "dp spec: out is NULL");
    memset(out, 0, sizeof(*out));
    CLAVE_ENSURE(text != NULL || len == 0, CLAVE_ERR_ARG, "dp spec: text is NULL");
    CLAVE_ENSURE(len <= SPEC_MAX_LEN, CLAVE_ERR_TOO_LARGE, "dp spec: longer than %d bytes",
                 SPEC_MAX_LEN);
    s.params.mechanism = CLAVE_DP_LAPLACE;
    s.bounds.max_rows_per_user = 1;
    s.bounds.grid_bits = DEFAULT_GRID_BITS;
    size_t i = 0;
    while (i < len && is_sep(text[i])) {
        i++;
    }
    if (i < len && text[i] == '{') {
        CLAVE_CHECK(parse_json(&ss, text, len));
    } else {
        CLAVE_CHECK(parse_kv(&ss, text, len));
    }
    CLAVE_CHECK(validate(&ss));
    *out = s;
    st = CLAVE_OK;
done:
    return st;
}
