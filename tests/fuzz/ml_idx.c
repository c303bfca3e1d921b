/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz the IDX and CSV dataset parsers. Input: u32le split point, then the IDX image file and the
 * IDX label file; the whole input is also tried as CSV under a 3-feature schema. Invariants: a
 * failed parse returns no dataset; a successful one has rows within the limit, values in range.
 */
#include <clave/ml.h>
#include <math.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(struct clave_ml_dataset *ds, clave_status st, size_t max_rows, double lo,
                  double hi)
{
    if (st != CLAVE_OK) {
        if (ds != NULL) {
            abort();
        }
        return;
    }
    size_t n = clave_ml_dataset_rows(ds), d = clave_ml_dataset_features(ds);
    if (n < 1 || n > max_rows) {
        abort();
    }
    for (size_t i = 0; i < n * d; i++) {
        double v = clave_ml_dataset_x(ds)[i];
        if (!isfinite(v) || v < lo || v > hi) {
            abort();
        }
    }
    clave_ml_dataset_free(ds);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct clave_ml_dataset *ds = NULL;
    if (size >= 4) {
        size_t split =
            (size_t)data[0] | (size_t)data[1] << 8 | (size_t)data[2] << 16 | (size_t)data[3] << 24;
        split = split > size - 4 ? size - 4 : split;
        clave_status st =
            clave_ml_idx_parse(data + 4, split, data + 4 + split, size - 4 - split, 10, 64, &ds);
        check(ds, st, 64, 0.0, 1.0);
        ds = NULL;
    }
    struct clave_ml_csv_schema s = {3, 2, CLAVE_ML_CSV_SKLEARN, 64};
    clave_status st = clave_ml_csv_parse((const char *)data, size, &s, &ds);
    check(ds, st, 64, -INFINITY, INFINITY);
    return 0;
}
