// SPDX-License-Identifier: Apache-2.0
/* libFuzzer target: Paillier public and private key import (binary and JSON). */
#include <clave/clave.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct clave_he_pub *pub = NULL;
    struct clave_he_key *key = NULL;
    (void)clave_he_pub_import(data, size, &pub);
    (void)clave_he_key_import(data, size, &key);
    clave_he_pub_free(pub);
    clave_he_key_free(key);
    return 0;
}
