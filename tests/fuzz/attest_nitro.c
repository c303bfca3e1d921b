/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: arbitrary bytes as an AWS Nitro attestation document, through the full
 * verifier (COSE peek, payload parsing with the AWS limits, certificate parsing, chain, COSE
 * signature) and through inspect. Seeds: sim documents made by `clave attest sim-evidence`.
 */
#include <clave/clave.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct clave_attest_report *r = NULL;
    struct clave_attest_options opts = {.at_time = 1700000000};
    if (clave_attest_report_new(&r) != CLAVE_OK) {
        abort();
    }
    (void)clave_attest_verify("nitro", data, size, &opts, r);
    clave_attest_report_free(r);
    if (clave_attest_report_new(&r) != CLAVE_OK) {
        abort();
    }
    (void)clave_attest_inspect("nitro", data, size, r);
    (void)clave_attest_detect(data, size);
    clave_attest_report_free(r);
    return 0;
}
