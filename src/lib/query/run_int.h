/* SPDX-License-Identifier: Apache-2.0 */
/* The bounded rows of a run, bucketed by group, and their release (release.c). */
#ifndef CLAVE_QUERY_RUN_INT_H
#define CLAVE_QUERY_RUN_INT_H

#include "query/query_int.h"

struct query_rows {
    size_t n, cap;
    uint64_t *unit;  /* distinct per privacy unit */
    uint32_t *group; /* index into the declared domain (row-major over the group columns) */
    double *values;  /* n x value_count clamped values, NaN for NULL */
    size_t value_count;
    size_t *offset; /* group_total + 1 entries */
    size_t *perm;   /* row indices ordered by group */
};

/* Noisy aggregates for every group, suppression, and the result document. */
clave_status query__release(const struct clave_query *q, const struct query_rows *rows,
                            char **out_json);

/* The result document around `groups` (borrowed): name, privacy, aggregates with the noise
 * actually used (`noise[i]` for aggregate i), group_by, spend (result.c). */
clave_status query__result_doc(const struct clave_query *q, const struct clave_dp_noise *noise,
                               json_t *groups, json_t **out);

#endif
