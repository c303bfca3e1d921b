/* SPDX-License-Identifier: Apache-2.0 */
/* clave he: read one numeric column of a CSV file (comma-separated, no quoting; the shape of
 * the demo datasets). The column is a header name or a 1-based number. */
#include "he_cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define CSV_LINE_MAX (1 << 20)
#define CSV_ROWS_MAX (1u << 24)

/* Field `index` (0-based) of a line, as [start, end). False if the line is shorter. */
static bool field(const char *line, size_t index, const char **start, size_t *len)
{
    const char *p = line;
    for (size_t i = 0; i < index; i++) {
        p = strchr(p, ',');
        if (p == NULL) {
            return false;
        }
        p++;
    }
    size_t n = strcspn(p, ",\r\n");
    *start = p;
    *len = n;
    return true;
}

/* A 1-based number, or a header name looked up in the first line. */
static bool column_index(const char *column, const char *first_line, bool header, size_t *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long v = strtoul(column, &end, 10);
    if (errno == 0 && end != column && *end == '\0' && v >= 1) {
        *out = v - 1;
        return true;
    }
    for (size_t i = 0; header && first_line != NULL; i++) {
        const char *start = NULL;
        size_t len = 0;
        if (!field(first_line, i, &start, &len)) {
            break;
        }
        if (len == strlen(column) && strncmp(start, column, len) == 0) {
            *out = i;
            return true;
        }
    }
    return false;
}

static clave_status parse_value(const char *start, size_t len, size_t row, double *out)
{
    char buf[64];
    char *end = NULL;
    if (len == 0 || len >= sizeof(buf)) {
        fprintf(stderr, "clave: row %zu: empty or overlong value\n", row);
        return CLAVE_ERR_FORMAT;
    }
    memcpy(buf, start, len);
    buf[len] = '\0';
    errno = 0;
    *out = strtod(buf, &end);
    if (errno != 0 || *end != '\0') {
        fprintf(stderr, "clave: row %zu: '%s' is not a number\n", row, buf);
        return CLAVE_ERR_FORMAT;
    }
    return CLAVE_OK;
}

static clave_status push(double **values, size_t *count, size_t *cap, double v)
{
    if (*count == *cap) {
        size_t next = *cap == 0 ? 1024 : *cap * 2;
        if (next > CSV_ROWS_MAX) {
            fprintf(stderr, "clave: more than %u rows\n", CSV_ROWS_MAX);
            return CLAVE_ERR_TOO_LARGE;
        }
        double *grown = realloc(*values, next * sizeof(double));
        if (grown == NULL) {
            return CLAVE_ERR_NOMEM;
        }
        *values = grown;
        *cap = next;
    }
    (*values)[(*count)++] = v;
    return CLAVE_OK;
}

clave_status cli_he_csv_column(const char *path, const char *column, bool header, double **values,
                               size_t *count)
{
    clave_status st = CLAVE_OK;
    size_t cap = 0;
    size_t row = 0;
    size_t index = 0;
    bool have_index = false;
    *values = NULL;
    *count = 0;
    FILE *f = fopen(path, "r");
    char *line = malloc(CSV_LINE_MAX);
    if (f == NULL || line == NULL) {
        fprintf(stderr, "clave: cannot open %s\n", path);
        st = f == NULL ? CLAVE_ERR_IO : CLAVE_ERR_NOMEM;
    }
    while (st == CLAVE_OK && fgets(line, CSV_LINE_MAX, f) != NULL) {
        row++;
        if (!have_index) {
            have_index = column_index(column, line, header, &index);
            if (!have_index) {
                fprintf(stderr, "clave: no column '%s' in %s\n", column, path);
                st = CLAVE_ERR_NOT_FOUND;
                break;
            }
            if (header) {
                continue;
            }
        }
        if (line[strspn(line, " \r\n")] == '\0') {
            continue; /* blank line */
        }
        const char *start = NULL;
        size_t len = 0;
        double v = 0;
        if (!field(line, index, &start, &len)) {
            fprintf(stderr, "clave: row %zu has no column %zu\n", row, index + 1);
            st = CLAVE_ERR_FORMAT;
        } else if ((st = parse_value(start, len, row, &v)) == CLAVE_OK) {
            st = push(values, count, &cap, v);
        }
    }
    if (st == CLAVE_OK && *count == 0) {
        fprintf(stderr, "clave: %s: no values\n", path);
        st = CLAVE_ERR_FORMAT;
    }
    if (st != CLAVE_OK) {
        free(*values);
        *values = NULL;
        *count = 0;
    }
    free(line);
    if (f != NULL) {
        fclose(f);
    }
    return st;
}
