/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz the sealed-file reader: parse the header from memory and from a stream, render it as JSON,
 * then try to unseal the rest with a fixed data key. Nothing may crash or leak; nothing may
 * authenticate (the fuzzer cannot forge an HMAC or a GCM tag).
 */
#include <clave/seal.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct clave_seal_header *hdr = NULL;
    size_t consumed = 0;
    if (clave_seal_header_parse(data, size, &hdr, &consumed) == CLAVE_OK) {
        char *json = NULL;
        if (consumed > size || clave_seal_header_json(hdr, &json) != CLAVE_OK) {
            abort();
        }
        free(json);
        clave_seal_header_free(hdr);
        hdr = NULL;
    }
    uint8_t key[CLAVE_SEAL_DEK_LEN];
    memset(key, 0x11, sizeof(key));
    struct clave_secret *dek = NULL;
    if (clave_secret_from(key, sizeof(key), &dek) != CLAVE_OK) {
        abort();
    }
    struct clave_seal_mem mem = {.in = data, .in_len = size, .out_max = 64u << 20};
    struct clave_seal_io io = clave_seal_io_mem(&mem);
    if (clave_seal_header_read(&io, &hdr) == CLAVE_OK) {
        if (clave_unseal_stream(hdr, dek, &io, NULL) == CLAVE_OK) {
            abort(); /* a forged file authenticated */
        }
    }
    clave_seal_header_free(hdr);
    clave_secret_free(dek);
    free(mem.out);
    return 0;
}
