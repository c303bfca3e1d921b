/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: collaboration membership statements. The input is a sequence of statements,
 * each preceded by a big-endian 16-bit length; every one is decoded without verification
 * (clave_collab_statement_peek) and appended to one history (signature, hash chain, rules).
 * Whatever a history accepts must replay into an identical history. Seeds (corpus/
 * collab_statement) are valid histories signed with Ed25519 and P-256 keys, so mutations reach
 * the signature and rule checks.
 */
#include <clave/clave.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void replay(const struct clave_collab *c)
{
    struct clave_collab *again = NULL;
    if (clave_collab_new(clave_collab_name(c), &again) != CLAVE_OK) {
        abort();
    }
    for (size_t i = 0; i < clave_collab_statement_count(c); i++) {
        const uint8_t *b = NULL;
        size_t n = 0;
        if (clave_collab_statement(c, i, &b, &n) != CLAVE_OK ||
            clave_collab_append(again, b, n) != CLAVE_OK) {
            abort();
        }
    }
    if (clave_collab_member_count(again) != clave_collab_member_count(c)) {
        abort();
    }
    clave_collab_free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct clave_reader r;
    struct clave_collab *c = NULL;
    struct clave_collab_statement *s = NULL;
    clave_reader_init(&r, data, size);
    while (clave_reader_remaining(&r) > 0) {
        uint16_t len = 0;
        const uint8_t *stmt = NULL;
        if (clave_reader_u16be(&r, &len) != CLAVE_OK ||
            clave_reader_view(&r, len, &stmt) != CLAVE_OK) {
            break;
        }
        if (clave_collab_statement_peek(stmt, len, &s) == CLAVE_OK) {
            struct clave_collab_change ch;
            clave_collab_statement_change(s, &ch);
            if (c == NULL && clave_collab_new(ch.collaboration, &c) != CLAVE_OK) {
                abort();
            }
            clave_collab_statement_free(s);
            s = NULL;
        }
        if (c != NULL) {
            (void)clave_collab_append(c, stmt, len);
        }
    }
    if (c != NULL) {
        replay(c);
    }
    clave_collab_free(c);
    return 0;
}
