/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the TCG2 crypto-agile event log replay (CCEL). */
#include "attest/gcp_tdx.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ccel_replay *replay = malloc(sizeof(*replay));
    if (replay != NULL) {
        (void)clave_ccel_replay(data, size, replay);
    }
    free(replay);
    return 0;
}
