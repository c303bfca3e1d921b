/* SPDX-License-Identifier: Apache-2.0 */
/* Collection: the first TEE device present on this machine, detected at run time. */
#include "attest/collect.h"
#include "core/check.h"

#include <clave/attest_verify.h>
#include <unistd.h>

clave_status clave_attest_collect(const uint8_t *report_data, size_t report_data_len,
                                  const char **format, uint8_t **out, size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    *format = NULL;
    *out = NULL;
    *out_len = 0;
    CLAVE_ENSURE(report_data_len <= CLAVE_SNP_REPORT_DATA_LEN, CLAVE_ERR_ARG,
                 "collect: report data of %zu bytes (max 64)", report_data_len);
    if (access(CLAVE_NSM_DEVICE, R_OK | W_OK) == 0) {
        CLAVE_CHECK(clave__nsm_collect(report_data, report_data_len, out, out_len));
        *format = "nitro";
    } else if (access(CLAVE_SEV_GUEST_DEVICE, R_OK | W_OK) == 0) {
        CLAVE_CHECK(clave__snp_collect(report_data, report_data_len, out, out_len));
        *format = "snp";
    } else if (access(CLAVE_TSM_REPORT_DIR, W_OK) == 0) {
        CLAVE_CHECK(clave__tsm_collect(CLAVE_TSM_REPORT_DIR, report_data, report_data_len, format,
                                       out, out_len));
    } else {
        CLAVE_RAISE(CLAVE_ERR_NOT_FOUND, "no TEE device found (looked for %s, %s, %s)",
                    CLAVE_NSM_DEVICE, CLAVE_SEV_GUEST_DEVICE, CLAVE_TSM_REPORT_DIR);
    }
    st = CLAVE_OK;
done:
    return st;
}
