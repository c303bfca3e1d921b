/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz the model reader (docs/formats/model.md). Invariants: a failed load returns no model; a
 * successful one has finite parameters, evaluates without error, and saves to the same bytes.
 */
#include <clave/ml.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct clave_ml_model *m = NULL;
    if (clave_ml_model_load(data, size, &m) != CLAVE_OK) {
        if (m != NULL) {
            abort();
        }
        return 0;
    }
    uint8_t *out = NULL;
    size_t len = 0;
    if (clave_ml_model_save(m, &out, &len) != CLAVE_OK || len != size ||
        memcmp(out, data, size) != 0) { // lint:public
        abort();
    }
    struct clave_ml_model_spec s = clave_ml_model_spec(m);
    if (s.inputs <= 4096) {
        double *x = calloc(s.inputs, sizeof(double));
        double *p = calloc(clave_ml_model_outputs(m), sizeof(double));
        if (x != NULL && p != NULL && clave_ml_model_predict(m, x, 1, p) != CLAVE_OK) {
            abort();
        }
        free(x);
        free(p);
    }
    free(out);
    clave_ml_model_free(m);
    return 0;
}
