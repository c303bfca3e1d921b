/* SPDX-License-Identifier: Apache-2.0 */
/* Numeric columns out of plaintext CSV held in memory (training input). */
#ifndef RUNNER_COLUMNS_H
#define RUNNER_COLUMNS_H

#include <clave/status.h>
#include <stddef.h>

/* A growing row-major matrix of `width` columns; memory is wiped when freed. */
struct runner_matrix {
    double *v;
    size_t rows, width, cap_rows;
};

/*
 * Append the columns `names[0..n-1]` of every data row of `csv` (untrusted: a header line of
 * column names, then rows; no quoting; `\n` or `\r\n`) to `m` (width n). Every selected value
 * must be a finite number. Errors name the line and column: CLAVE_ERR_FORMAT, CLAVE_ERR_TOO_LARGE
 * (more than max_rows in total), CLAVE_ERR_NOMEM.
 */
clave_status runner_columns_append(const char *what, const char *csv, size_t len,
                                   const char *const *names, size_t n, size_t max_rows,
                                   struct runner_matrix *m);

void runner_matrix_free(struct runner_matrix *m);

#endif
