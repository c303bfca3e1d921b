/* SPDX-License-Identifier: Apache-2.0 */
/* Contribution bounding: per-user row limits (stable: a user's first rows are kept) and the
 * conversion of clamped values to integers on the declared grid. */
#include "dp/bound.h"

#include "core/check.h"

#include <math.h>
#include <stdlib.h>

struct user_index {
    uint64_t user;
    size_t index;
};

static int by_user_then_index(const void *a, const void *b)
{
    const struct user_index *x = a, *y = b;
    if (x->user != y->user) {
        return x->user < y->user ? -1 : 1;
    }
    return x->index < y->index ? -1 : x->index > y->index;
}

clave_status dp__limit_rows(const struct clave_dp_row *rows, size_t n, uint32_t max_rows,
                            bool **keep, size_t *kept)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct user_index *order = NULL;
    bool *k = NULL;
    *keep = NULL;
    *kept = 0;
    CLAVE_ENSURE(n == 0 || rows != NULL, CLAVE_ERR_ARG, "dp: rows is NULL");
    k = calloc(n > 0 ? n : 1, sizeof(bool));
    order = calloc(n > 0 ? n : 1, sizeof(*order));
    CLAVE_ENSURE_ALLOC(k);
    CLAVE_ENSURE_ALLOC(order);
    for (size_t i = 0; i < n; i++) {
        order[i] = (struct user_index){rows[i].user, i};
    }
    qsort(order, n, sizeof(*order), by_user_then_index);
    size_t run = 0, count = 0;
    for (size_t i = 0; i < n; i++) {
        run = (i > 0 && order[i].user == order[i - 1].user) ? run + 1 : 0;
        if (run < max_rows) {
            k[order[i].index] = true;
            count++;
        }
    }
    *keep = k;
    *kept = count;
    k = NULL;
    st = CLAVE_OK;
done:
    free(order);
    free(k);
    return st;
}

int64_t dp__to_grid(double x, const struct clave_dp_bounds *b)
{
    double c = isnan(x) ? b->lower : fmin(fmax(x, b->lower), b->upper);
    return (int64_t)llround(ldexp(c, b->grid_bits));
}

uint64_t dp__max_abs(int64_t a, int64_t b)
{
    uint64_t x = a < 0 ? (uint64_t)0 - (uint64_t)a : (uint64_t)a;
    uint64_t y = b < 0 ? (uint64_t)0 - (uint64_t)b : (uint64_t)b;
    uint64_t m = x > y ? x : y;
    return m == 0 ? 1 : m;
}
