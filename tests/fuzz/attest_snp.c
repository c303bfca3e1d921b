/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: arbitrary bytes as an AMD SEV-SNP report, through the verifier (with the
 * input's tail, if any, offered as the endorsement certificate) and through inspect. Seeds: sim
 * reports made by `clave attest sim-evidence --format snp`.
 */
#include <clave/clave.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct clave_attest_report *r = NULL;
    size_t report_len = size < CLAVE_SNP_REPORT_LEN ? size : CLAVE_SNP_REPORT_LEN;
    struct clave_attest_options opts = {.at_time = 1700000000,
                                        .endorsement = data + report_len,
                                        .endorsement_len = size - report_len};
    if (opts.endorsement_len == 0) {
        opts.endorsement = NULL;
    }
    if (clave_attest_report_new(&r) != CLAVE_OK) {
        abort();
    }
    (void)clave_attest_verify("snp", data, report_len, &opts, r);
    clave_attest_report_free(r);
    if (clave_attest_report_new(&r) != CLAVE_OK) {
        abort();
    }
    (void)clave_attest_inspect("snp", data, size, r);
    (void)clave_attest_detect(data, size);
    clave_attest_report_free(r);
    return 0;
}
