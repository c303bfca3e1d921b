/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz the SecAgg message decoders (docs/formats/secagg.md) under fixed session parameters, in
 * Z_2^64 (8-byte masked words), Z_2^32 and Z_2^20 (4-byte words, range-checked). The
 * message's own type byte picks the decoder, and every decoder is also tried on every input so
 * that mismatched types are exercised. Invariants: a failed decode leaves nothing allocated, a
 * successful one re-encodes to the same bytes.
 */
#include "secagg/msg.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct clave_secagg_params params(void)
{
    struct clave_secagg_params p;
    memset(&p, 0, sizeof(p));
    p.client_count = 8;
    p.degree = 7;
    p.share_threshold = 4;
    p.min_clients = 3;
    p.dim = 4;
    memset(p.session_id, 0x11, sizeof(p.session_id));
    return p;
}

static void decode_all(const struct clave_secagg_params *pp, const uint8_t *data, size_t size)
{
    struct clave_secagg_params p = *pp;
    for (uint8_t type = SA_ADVERTISE; type <= SA_UNMASK; type++) {
        struct sa_msg m;
        if (clave__sa_decode(&p, type, data, size, &m) != CLAVE_OK) {
            if (m.keys != NULL || m.ciphers != NULL || m.shares != NULL || m.ids != NULL) {
                abort();
            }
            continue;
        }
        uint8_t *out = NULL;
        size_t out_len = 0;
        if (clave__sa_encode(&p, &m, &out, &out_len) != CLAVE_OK || out_len != size ||
            memcmp(out, data, size) != 0) { // lint:public
            abort();
        }
        free(out);
        clave__sa_msg_clear(&m);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint32_t BITS[] = {64, 32, 20};
    struct clave_secagg_params p = params();
    for (size_t i = 0; i < sizeof(BITS) / sizeof(BITS[0]); i++) {
        p.bits = BITS[i];
        decode_all(&p, data, size);
    }
    return 0;
}
