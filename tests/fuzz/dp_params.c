/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: the DP query/mechanism spec parser (JSON and key=value forms). A spec that
 * parses must satisfy every invariant the aggregates rely on. */
#include <clave/dp.h>

#include <math.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct clave_dp_query_spec s;
    if (clave_dp_query_spec_parse((const char *)data, size, &s) != CLAVE_OK) {
        return 0;
    }
    if (!(s.bounds.lower <= s.bounds.upper) || !isfinite(s.bounds.lower) ||
        !isfinite(s.bounds.upper) || s.bounds.max_rows_per_user < 1 || s.bounds.grid_bits < 0 ||
        s.bounds.grid_bits > CLAVE_DP_MAX_GRID_BITS || s.column[0] == '\0' ||
        clave_dp_params_check(&s.params) != CLAVE_OK) {
        abort();
    }
    struct clave_dp_noise n;
    (void)clave_dp_noise_calibrate(&s.params, s.bounds.max_rows_per_user, s.bounds.grid_bits, &n);
    return 0;
}
