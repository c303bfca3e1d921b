/* SPDX-License-Identifier: Apache-2.0 */
/* GCP TDX: CCEL event log replay state. */
#ifndef CLAVE_ATTEST_GCP_TDX_H
#define CLAVE_ATTEST_GCP_TDX_H

#include <clave/attest_intel.h>
#include <clave/crypto.h>

struct ccel_replay {
    uint8_t rtmr[4][CLAVE_SHA384_LEN];
    size_t event_count;
};

#endif
