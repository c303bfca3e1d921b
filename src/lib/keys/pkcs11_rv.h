/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CLAVE_KEYS_PKCS11_RV_H
#define CLAVE_KEYS_PKCS11_RV_H

#include <p11-kit/pkcs11.h>

/* "CKR_PIN_INCORRECT" for CKR_PIN_INCORRECT; never NULL. */
const char *clave__pkcs11_rv_name(CK_RV rv);

#endif
