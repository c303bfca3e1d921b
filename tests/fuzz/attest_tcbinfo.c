/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the TCB info / QE identity parsers and the exact-member scanner of PCS responses. */
#include "attest/dcap_collateral.h"
#include "attest/dcap_tcb.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    size_t start = 0;
    size_t len = 0;
    struct dcap_tcb_info *info = malloc(sizeof(*info));
    struct dcap_qe_identity *qe = malloc(sizeof(*qe));
    struct clave_dcap_collateral *c = NULL;
    if (info != NULL && qe != NULL) {
        (void)clave__dcap_tcb_info_parse(text, size, info);
        (void)clave__dcap_qe_identity_parse(text, size, qe);
        if (clave__json_member_span(text, size, "tcbInfo", &start, &len) == CLAVE_OK &&
            (start > size || len > size - start)) {
            abort();
        }
        if (clave_dcap_collateral_from_json(text, size, &c) == CLAVE_OK) {
            clave_dcap_collateral_free(c);
        }
    }
    free(info);
    free(qe);
    return 0;
}
