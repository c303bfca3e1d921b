/* SPDX-License-Identifier: Apache-2.0 */
/* The Intel SGX extension of a PCK certificate (FMSPC, PCE-ID, CPUSVN components, PCESVN). */
#ifndef CLAVE_ATTEST_DCAP_PCK_H
#define CLAVE_ATTEST_DCAP_PCK_H

#include <clave/status.h>
#include <clave/x509.h>
#include <stdint.h>

#define DCAP_FMSPC_LEN 6
#define DCAP_PCEID_LEN 2
#define DCAP_SGX_COMPONENTS 16

struct dcap_pck_ext {
    uint8_t fmspc[DCAP_FMSPC_LEN];
    uint8_t pceid[DCAP_PCEID_LEN];
    uint8_t cpusvn[DCAP_SGX_COMPONENTS]; /* TCB components .2.1 .. .2.16 */
    uint16_t pcesvn;                     /* .2.17 */
};

/* Read the extension 1.2.840.113741.1.13.1 of `cert` (borrowed). */
clave_status clave__dcap_pck_ext(const struct clave_x509 *cert, struct dcap_pck_ext *out);

/* The same from the extension's raw value (the extnValue contents), for fuzzing. */
clave_status clave__dcap_pck_ext_parse(const uint8_t *der, size_t len, struct dcap_pck_ext *out);

#endif
