/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CSV with a schema: `features` numeric columns then the label, comma-separated, no quoting.
 * Optional header: column names, or scikit-learn's bundled-dataset line "rows,features,names..."
 * (sklearn/datasets/_base.py load_csv_data), whose counts are checked against the body.
 */
#include "core/check.h"
#include "ml/dataset.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define ML_CSV_MAX_LINE 65536
#define ML_CSV_MAX_FIELD 64

struct csv_cursor {
    const char *text;
    size_t len;
    size_t pos;
    size_t line; /* 1-based number of the current line */
};

/* The next line (without its terminator); false at the end of input. */
static bool next_line(struct csv_cursor *c, const char **line, size_t *n)
{
    if (c->pos >= c->len) {
        return false;
    }
    const char *start = c->text + c->pos;
    const char *nl = memchr(start, '\n', c->len - c->pos);
    size_t l = nl != NULL ? (size_t)(nl - start) : c->len - c->pos;
    c->pos += l + (nl != NULL);
    c->line++;
    *line = start;
    *n = l > 0 && start[l - 1] == '\r' ? l - 1 : l;
    return true;
}

static size_t count_fields(const char *line, size_t n)
{
    size_t f = 1;
    for (size_t i = 0; i < n; i++) {
        f += line[i] == ',';
    }
    return f;
}

/* Field `*pos` onwards up to the next comma: a finite decimal number. */
static clave_status parse_number(const char *line, size_t n, size_t *pos, size_t lineno, size_t col,
                                 double *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char buf[ML_CSV_MAX_FIELD + 1];
    size_t start = *pos, end = start;
    while (end < n && line[end] != ',') {
        end++;
    }
    size_t l = end - start;
    CLAVE_ENSURE(l >= 1 && l <= ML_CSV_MAX_FIELD, CLAVE_ERR_FORMAT,
                 "csv: line %zu column %zu: empty or longer than %d bytes", lineno, col + 1,
                 ML_CSV_MAX_FIELD);
    memcpy(buf, line + start, l);
    buf[l] = '\0';
    CLAVE_ENSURE(memchr(buf, '\0', l) == NULL && buf[0] != ' ' && buf[0] != '\t', CLAVE_ERR_FORMAT,
                 "csv: line %zu column %zu: not a number", lineno, col + 1);
    char *stop = NULL;
    errno = 0;
    double v = strtod(buf, &stop);
    CLAVE_ENSURE(stop == buf + l && errno == 0 && isfinite(v), CLAVE_ERR_FORMAT,
                 "csv: line %zu column %zu: not a finite number", lineno, col + 1);
    *out = v;
    *pos = end + 1;
    st = CLAVE_OK;
done:
    return st;
}

struct csv_rows {
    double *x, *y;
    size_t rows, cap;
};

static clave_status grow(struct csv_rows *r, size_t features, size_t max_rows)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(r->rows < max_rows, CLAVE_ERR_TOO_LARGE, "csv: more than %zu rows", max_rows);
    if (r->rows == r->cap) {
        size_t cap = r->cap == 0 ? 64 : r->cap * 2;
        cap = cap > max_rows ? max_rows : cap;
        double *x = realloc(r->x, cap * features * sizeof(double));
        CLAVE_ENSURE_ALLOC(x);
        r->x = x;
        double *y = realloc(r->y, cap * sizeof(double));
        CLAVE_ENSURE_ALLOC(y);
        r->y = y;
        r->cap = cap;
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status parse_row(const struct clave_ml_csv_schema *s, const char *line, size_t n,
                              size_t lineno, struct csv_rows *r)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    size_t pos = 0;
    CLAVE_ENSURE(count_fields(line, n) == (size_t)s->features + 1, CLAVE_ERR_FORMAT,
                 "csv: line %zu has %zu fields, the schema %u", lineno, count_fields(line, n),
                 s->features + 1);
    CLAVE_CHECK(grow(r, s->features, s->max_rows));
    double *x = r->x + r->rows * s->features;
    for (size_t j = 0; j < s->features; j++) {
        CLAVE_CHECK(parse_number(line, n, &pos, lineno, j, &x[j]));
    }
    double label = 0.0;
    CLAVE_CHECK(parse_number(line, n, &pos, lineno, s->features, &label));
    CLAVE_ENSURE(
        s->classes == 0 || (label >= 0.0 && label < (double)s->classes && label == floor(label)),
        CLAVE_ERR_FORMAT, "csv: line %zu: label is not a class in 0..%u", lineno, s->classes - 1);
    r->y[r->rows++] = label;
    st = CLAVE_OK;
done:
    return st;
}

/* "rows,features,name0,...": returns the declared row count. */
static clave_status parse_sklearn_header(const struct clave_ml_csv_schema *s, const char *line,
                                         size_t n, double *rows)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    size_t pos = 0;
    double features = 0.0;
    CLAVE_ENSURE(count_fields(line, n) >= 2, CLAVE_ERR_FORMAT, "csv: header too short");
    CLAVE_CHECK(parse_number(line, n, &pos, 1, 0, rows));
    CLAVE_CHECK(parse_number(line, n, &pos, 1, 1, &features));
    CLAVE_ENSURE(features == (double)s->features, CLAVE_ERR_FORMAT,
                 "csv: header declares %.0f features, the schema %u", features, s->features);
    CLAVE_ENSURE(s->classes == 0 || count_fields(line, n) - 2 == s->classes, CLAVE_ERR_FORMAT,
                 "csv: header names %zu classes, the schema %u", count_fields(line, n) - 2,
                 s->classes);
    st = CLAVE_OK;
done:
    return st;
}

static clave_status check_schema(const struct clave_ml_csv_schema *s)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(s->features >= 1 && s->features <= CLAVE_ML_MAX_WIDTH, CLAVE_ERR_ARG,
                 "csv: schema features %u", s->features);
    CLAVE_ENSURE(s->classes == 0 || (s->classes >= 2 && s->classes <= CLAVE_ML_MAX_CLASSES),
                 CLAVE_ERR_ARG, "csv: schema classes %u", s->classes);
    CLAVE_ENSURE(s->header >= CLAVE_ML_CSV_NO_HEADER && s->header <= CLAVE_ML_CSV_SKLEARN,
                 CLAVE_ERR_ARG, "csv: unknown header mode");
    CLAVE_ENSURE(s->max_rows >= 1, CLAVE_ERR_ARG, "csv: max_rows must be >= 1");
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_ml_csv_parse(const char *text, size_t len,
                                const struct clave_ml_csv_schema *schema,
                                struct clave_ml_dataset **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct csv_cursor c = {text, len, 0, 0};
    struct csv_rows r = {0};
    const char *line = NULL;
    size_t n = 0;
    double declared = -1.0;
    CLAVE_ENSURE(out != NULL && schema != NULL && (text != NULL || len == 0), CLAVE_ERR_ARG,
                 "csv: NULL argument");
    *out = NULL;
    CLAVE_CHECK(check_schema(schema));
    while (next_line(&c, &line, &n)) {
        CLAVE_ENSURE(n <= ML_CSV_MAX_LINE, CLAVE_ERR_TOO_LARGE, "csv: line %zu too long", c.line);
        if (c.line == 1 && schema->header == CLAVE_ML_CSV_NAMES) {
            CLAVE_ENSURE(count_fields(line, n) == (size_t)schema->features + 1, CLAVE_ERR_FORMAT,
                         "csv: header has %zu fields", count_fields(line, n));
        } else if (c.line == 1 && schema->header == CLAVE_ML_CSV_SKLEARN) {
            CLAVE_CHECK(parse_sklearn_header(schema, line, n, &declared));
        } else {
            CLAVE_ENSURE(n > 0 || c.pos >= c.len, CLAVE_ERR_FORMAT, "csv: line %zu is empty",
                         c.line);
            if (n > 0) {
                CLAVE_CHECK(parse_row(schema, line, n, c.line, &r));
            }
        }
    }
    CLAVE_ENSURE(r.rows >= 1, CLAVE_ERR_FORMAT, "csv: no data rows");
    CLAVE_ENSURE(declared < 0.0 || declared == (double)r.rows, CLAVE_ERR_FORMAT,
                 "csv: header declares %.0f rows, the file has %zu", declared, r.rows);
    CLAVE_CHECK(clave_ml_dataset_new(r.rows, schema->features, schema->classes, r.x, r.y, out));
    st = CLAVE_OK;
done:
    free(r.x);
    free(r.y);
    return st;
}
