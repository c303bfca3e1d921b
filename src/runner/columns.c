/* SPDX-License-Identifier: Apache-2.0 */
/* CSV numeric columns (columns.h). */
#include "columns.h"

#include <clave/secret.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIELDS_MAX 1024
#define FIELD_MAX 256

struct line {
    const char *p;
    size_t len;
};

/* The next line of [*pos, end), without its terminator. False at the end. */
static bool next_line(const char *csv, size_t len, size_t *pos, struct line *l)
{
    if (*pos >= len) {
        return false;
    }
    const char *start = csv + *pos;
    const char *nl = memchr(start, '\n', len - *pos);
    size_t n = nl != NULL ? (size_t)(nl - start) : len - *pos;
    *pos += n + (nl != NULL ? 1 : 0);
    if (n > 0 && start[n - 1] == '\r') {
        n--;
    }
    l->p = start;
    l->len = n;
    return true;
}

/* Where each comma-separated field of a line starts and ends (one pass per line). */
struct fields {
    size_t count;
    size_t start[FIELDS_MAX], end[FIELDS_MAX];
};

/* Split `l`; false when it has more than FIELDS_MAX fields. */
static bool split(const struct line *l, struct fields *f)
{
    size_t start = 0;
    f->count = 0;
    for (size_t k = 0; k <= l->len; k++) {
        if (k == l->len || l->p[k] == ',') {
            if (f->count == FIELDS_MAX) {
                return false;
            }
            f->start[f->count] = start;
            f->end[f->count] = k;
            f->count++;
            start = k + 1;
        }
    }
    return true;
}

/* Field `i` into buf; false when the line has fewer fields or the field is too long. */
static bool field(const struct line *l, const struct fields *f, size_t i, char *buf, size_t cap)
{
    if (i >= f->count || f->end[i] - f->start[i] >= cap) {
        return false;
    }
    size_t n = f->end[i] - f->start[i];
    memcpy(buf, l->p + f->start[i], n);
    buf[n] = '\0';
    return true;
}

static clave_status header_indices(const char *what, const struct line *h, const char *const *names,
                                   size_t n, size_t *idx, struct fields *f)
{
    char name[FIELD_MAX];
    if (!split(h, f)) {
        fprintf(stderr, "clave-runner: %s: more than %d columns\n", what, FIELDS_MAX);
        return CLAVE_ERR_FORMAT;
    }
    for (size_t j = 0; j < n; j++) {
        bool found = false;
        for (size_t i = 0; i < f->count && !found; i++) {
            if (!field(h, f, i, name, sizeof(name))) {
                continue;
            }
            if (strcmp(name, names[j]) == 0) {
                idx[j] = i;
                found = true;
            }
        }
        if (!found) {
            fprintf(stderr, "clave-runner: %s: no column %s in the header\n", what, names[j]);
            return CLAVE_ERR_FORMAT;
        }
    }
    return CLAVE_OK;
}

static clave_status grow(struct runner_matrix *m, size_t max_rows)
{
    if (m->rows < m->cap_rows) {
        return CLAVE_OK;
    }
    if (m->rows >= max_rows) {
        return CLAVE_ERR_TOO_LARGE;
    }
    size_t cap = m->cap_rows == 0 ? 1024 : m->cap_rows * 2;
    cap = cap > max_rows ? max_rows : cap;
    double *v = calloc(cap * m->width, sizeof(double));
    if (v == NULL) {
        return CLAVE_ERR_NOMEM;
    }
    if (m->v != NULL) {
        memcpy(v, m->v, m->rows * m->width * sizeof(double));
        clave_wipe(m->v, m->cap_rows * m->width * sizeof(double));
        free(m->v);
    }
    m->v = v;
    m->cap_rows = cap;
    return CLAVE_OK;
}

clave_status runner_columns_append(const char *what, const char *csv, size_t len,
                                   const char *const *names, size_t n, size_t max_rows,
                                   struct runner_matrix *m)
{
    size_t idx[FIELDS_MAX];
    struct line l;
    size_t pos = 0;
    size_t line_no = 1;
    char buf[FIELD_MAX];
    if (n == 0 || n > FIELDS_MAX || (m->width != 0 && m->width != n)) {
        return CLAVE_ERR_ARG;
    }
    m->width = n;
    if (!next_line(csv, len, &pos, &l)) {
        fprintf(stderr, "clave-runner: %s: empty (no header line)\n", what);
        return CLAVE_ERR_FORMAT;
    }
    struct fields *f = malloc(sizeof(*f));
    if (f == NULL) {
        return CLAVE_ERR_NOMEM;
    }
    clave_status st = header_indices(what, &l, names, n, idx, f);
    while (st == CLAVE_OK && next_line(csv, len, &pos, &l)) {
        line_no++;
        if (l.len == 0) {
            continue;
        }
        st = grow(m, max_rows);
        bool ok = st == CLAVE_OK && split(&l, f);
        for (size_t j = 0; st == CLAVE_OK && j < n; j++) {
            char *end = NULL;
            errno = 0;
            double x = ok && field(&l, f, idx[j], buf, sizeof(buf)) ? strtod(buf, &end) : NAN;
            if (end == NULL || end == buf || *end != '\0' || errno != 0 || !isfinite(x)) {
                fprintf(stderr, "clave-runner: %s: line %zu, column %s: not a finite number\n",
                        what, line_no, names[j]);
                st = CLAVE_ERR_FORMAT;
            } else {
                m->v[m->rows * n + j] = x;
            }
        }
        m->rows += st == CLAVE_OK ? 1 : 0;
    }
    clave_wipe(buf, sizeof(buf));
    free(f);
    return st;
}

void runner_matrix_free(struct runner_matrix *m)
{
    if (m->v != NULL) {
        clave_wipe(m->v, m->cap_rows * m->width * sizeof(double));
        free(m->v);
    }
    memset(m, 0, sizeof(*m));
}
