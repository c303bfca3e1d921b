/* SPDX-License-Identifier: Apache-2.0 */
/* Materialised query results: a grid of typed cells, built by the backends, read by callers. */
#include "store/store_internal.h"

#include "core/check.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct cell {
    enum clave_store_type type;
    int64_t i;
    uint8_t *data; /* TEXT/BLOB: len bytes plus a NUL */
    size_t len;
};

struct clave_store_rows {
    size_t ncols;
    size_t nrows;
    size_t cap_rows;
    struct cell *cells; /* nrows * ncols, row-major */
};

clave_status clave__rows_new(size_t ncols, struct clave_store_rows **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_store_rows *rows = calloc(1, sizeof(*rows));
    CLAVE_ENSURE_ALLOC(rows);
    rows->ncols = ncols;
    *out = rows;
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave__rows_add(struct clave_store_rows *rows, size_t *row)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    if (rows->nrows == rows->cap_rows) {
        size_t cap = rows->cap_rows == 0 ? 8 : rows->cap_rows * 2;
        size_t cells = 0;
        size_t bytes = 0;
        CLAVE_ENSURE(!__builtin_mul_overflow(cap, rows->ncols, &cells) &&
                         !__builtin_mul_overflow(cells, sizeof(struct cell), &bytes),
                     CLAVE_ERR_TOO_LARGE, "store: result too large");
        struct cell *grown = realloc(rows->cells, bytes == 0 ? 1 : bytes);
        CLAVE_ENSURE_ALLOC(grown);
        rows->cells = grown;
        rows->cap_rows = cap;
    }
    struct cell *first = rows->cells + rows->nrows * rows->ncols;
    memset(first, 0, rows->ncols * sizeof(*first));
    *row = rows->nrows++;
    st = CLAVE_OK;
done:
    return st;
}

static struct cell *cell_at(const struct clave_store_rows *rows, size_t row, size_t col)
{
    if (rows == NULL || row >= rows->nrows || col >= rows->ncols) {
        return NULL;
    }
    return &rows->cells[row * rows->ncols + col];
}

void clave__rows_set_int(struct clave_store_rows *rows, size_t row, size_t col, int64_t v)
{
    struct cell *c = cell_at(rows, row, col);
    c->type = CLAVE_STORE_INT;
    c->i = v;
}

void clave__rows_take_bytes(struct clave_store_rows *rows, size_t row, size_t col,
                            enum clave_store_type type, uint8_t *data, size_t len)
{
    struct cell *c = cell_at(rows, row, col);
    c->type = type;
    c->data = data;
    c->len = len;
}

clave_status clave__rows_set_bytes(struct clave_store_rows *rows, size_t row, size_t col,
                                   enum clave_store_type type, const void *data, size_t len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(len < SIZE_MAX, CLAVE_ERR_TOO_LARGE, "store: value too large");
    uint8_t *copy = malloc(len + 1);
    CLAVE_ENSURE_ALLOC(copy);
    if (len > 0) {
        memcpy(copy, data, len);
    }
    copy[len] = 0;
    clave__rows_take_bytes(rows, row, col, type, copy, len);
    st = CLAVE_OK;
done:
    return st;
}

bool clave__store_parse_int(const char *s, int64_t *out)
{
    if (s == NULL || s[0] == '\0' || !((s[0] >= '0' && s[0] <= '9') || s[0] == '-')) {
        return false;
    }
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0') {
        return false;
    }
    *out = (int64_t)v;
    return true;
}

size_t clave_store_rows_count(const struct clave_store_rows *rows)
{
    return rows != NULL ? rows->nrows : 0;
}

size_t clave_store_rows_column_count(const struct clave_store_rows *rows)
{
    return rows != NULL ? rows->ncols : 0;
}

bool clave_store_rows_is_null(const struct clave_store_rows *rows, size_t row, size_t col)
{
    const struct cell *c = cell_at(rows, row, col);
    return c != NULL && c->type == CLAVE_STORE_NULL;
}

enum clave_store_type clave_store_rows_type(const struct clave_store_rows *rows, size_t row,
                                            size_t col)
{
    const struct cell *c = cell_at(rows, row, col);
    return c != NULL ? c->type : CLAVE_STORE_NULL;
}

clave_status clave_store_rows_get_int(const struct clave_store_rows *rows, size_t row, size_t col,
                                      int64_t *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(out != NULL, CLAVE_ERR_ARG, "store: NULL out");
    *out = 0;
    const struct cell *c = cell_at(rows, row, col);
    CLAVE_ENSURE(c != NULL, CLAVE_ERR_ARG, "store: no cell (%zu, %zu)", row, col);
    CLAVE_ENSURE(c->type == CLAVE_STORE_INT, CLAVE_ERR_FORMAT,
                 "store: column %zu of row %zu is not an integer", col, row);
    *out = c->i;
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_store_rows_get_text(const struct clave_store_rows *rows, size_t row, size_t col,
                                       const char **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(out != NULL, CLAVE_ERR_ARG, "store: NULL out");
    *out = NULL;
    const struct cell *c = cell_at(rows, row, col);
    CLAVE_ENSURE(c != NULL, CLAVE_ERR_ARG, "store: no cell (%zu, %zu)", row, col);
    CLAVE_ENSURE(c->type == CLAVE_STORE_TEXT, CLAVE_ERR_FORMAT,
                 "store: column %zu of row %zu is not text", col, row);
    *out = (const char *)c->data;
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_store_rows_get_blob(const struct clave_store_rows *rows, size_t row, size_t col,
                                       const uint8_t **data, size_t *len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(data != NULL && len != NULL, CLAVE_ERR_ARG, "store: NULL out");
    *data = NULL;
    *len = 0;
    const struct cell *c = cell_at(rows, row, col);
    CLAVE_ENSURE(c != NULL, CLAVE_ERR_ARG, "store: no cell (%zu, %zu)", row, col);
    CLAVE_ENSURE(c->type == CLAVE_STORE_BLOB || c->type == CLAVE_STORE_TEXT, CLAVE_ERR_FORMAT,
                 "store: column %zu of row %zu is not a blob", col, row);
    *data = c->data;
    *len = c->len;
    st = CLAVE_OK;
done:
    return st;
}

void clave_store_rows_free(struct clave_store_rows *rows)
{
    if (rows == NULL) {
        return;
    }
    for (size_t k = 0; k < rows->nrows * rows->ncols; k++) {
        free(rows->cells[k].data);
    }
    free(rows->cells);
    free(rows);
}
