// SPDX-License-Identifier: Apache-2.0
/* libFuzzer target: Paillier vector import (binary and JSON) under a fixed 2048-bit public key
 * generated once per process; anything accepted must decrypt-free re-export and re-import. */
#include <clave/clave.h>
#include <stdlib.h>

static struct clave_he_key *g_key;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (g_key == NULL && clave_he_keygen(2048, 0, &g_key) != CLAVE_OK) {
        abort();
    }
    const struct clave_he_pub *pub = clave_he_key_pub(g_key);
    struct clave_he_vec *vec = NULL;
    if (clave_he_vec_import(pub, data, size, &vec) == CLAVE_OK) {
        uint8_t *out = NULL;
        size_t len = 0;
        struct clave_he_vec *again = NULL;
        if (clave_he_vec_export(vec, CLAVE_HE_FORMAT_BINARY, &out, &len) != CLAVE_OK ||
            clave_he_vec_import(pub, out, len, &again) != CLAVE_OK) {
            abort();
        }
        clave_he_vec_free(again);
        free(out);
    }
    clave_he_vec_free(vec);
    return 0;
}
