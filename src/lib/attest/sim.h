/* SPDX-License-Identifier: Apache-2.0 */
/* Constants shared by the simulated TEE's PKI (sim_pki.c) and attester (sim.c). */
#ifndef CLAVE_ATTEST_SIM_H
#define CLAVE_ATTEST_SIM_H

#include <clave/attest_verify.h>

#define CLAVE_SIM_ROOT_CN "clave SIM dev root - NO HARDWARE PROTECTION"
/* The TCB the sim "VCEK" is issued for and the sim reports claim (Milan layout). */
#define CLAVE_SIM_TCB_BOOTLOADER 3
#define CLAVE_SIM_TCB_TEE 0
#define CLAVE_SIM_TCB_SNP 8
#define CLAVE_SIM_TCB_MICROCODE 115
#define CLAVE_SIM_CHIP_ID_LEN 64

/* The fixed CHIP_ID of the simulated chip (also the sim VCEK's hwID extension). */
void clave__sim_chip_id(uint8_t out[CLAVE_SIM_CHIP_ID_LEN]);

#endif
