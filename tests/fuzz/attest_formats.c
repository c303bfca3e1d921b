/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the format table's detection and inspection (every format) and the Azure evidence JSON. */
#include "attest/azure_vtpm.h"

#include <clave/attest_verify.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct clave_attest_report *r = NULL;
    struct azure_evidence *ev = NULL;
    (void)clave_attest_detect(data, size);
    if (clave_attest_report_new(&r) == CLAVE_OK) {
        (void)clave_attest_inspect("auto", data, size, r);
    }
    clave_attest_report_free(r);
    if (clave__azure_evidence_parse((const char *)data, size, &ev) == CLAVE_OK) {
        clave__azure_evidence_free(ev);
    }
    return 0;
}
