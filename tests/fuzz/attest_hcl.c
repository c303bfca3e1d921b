/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the Azure HCL report parser and the TPMS_ATTEST parser. */
#include "attest/azure_vtpm.h"
#include "attest/tpm2_quote.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct azure_hcl h;
    struct tpm2_quote q;
    (void)clave__azure_hcl_parse(data, size, &h);
    (void)clave__tpm2_attest_parse(data, size, &q);
    return 0;
}
