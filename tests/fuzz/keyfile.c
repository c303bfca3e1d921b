/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz the keyring file parser: arbitrary bytes as a keyring file, then serialise what parsed
 * and parse it again (it must round-trip). Nothing may crash, leak or allocate by a hostile
 * Argon2 cost (the parser bounds them; no key is derived here).
 */
#include "keys/keyfile.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct keyfile_doc doc = {0};
    struct keyfile_doc again = {0};
    char *text = NULL;
    size_t len = 0;
    if (clave__keyfile_parse((const char *)data, size, &doc) == CLAVE_OK) {
        if (clave__keyfile_serialize(&doc, &text, &len) != CLAVE_OK ||
            clave__keyfile_parse(text, len, &again) != CLAVE_OK ||
            again.key_count != doc.key_count) {
            abort();
        }
    }
    free(text);
    clave__keyfile_doc_clear(&again);
    clave__keyfile_doc_clear(&doc);
    return 0;
}
