/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz the attested aggregator's control frames (clave_fl_hello_parse, clave_fl_end_parse),
 * which every `clave fl join --aggregator` client reads from the network. Invariants: an
 * accepted frame has exactly its length and in-range fields, and re-encodes to the same bytes.
 */
#include <clave/fl.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct clave_fl_hello h;
    uint8_t again[CLAVE_FL_HELLO_LEN];
    if (clave_fl_hello_parse(data, size, &h) == CLAVE_OK) {
        if (size != CLAVE_FL_HELLO_LEN || !clave_fl_is_control(data, size) || h.client < 1 ||
            h.client > h.clients || h.clients > CLAVE_FL_MAX_CLIENTS ||
            clave_fl_hello_encode(&h, again) != CLAVE_OK ||
            memcmp(again, data, size) != 0) { // lint:public
            abort();
        }
    }
    uint32_t rounds = 0;
    clave_fl_end_reason why = CLAVE_FL_END_DONE;
    uint8_t end[CLAVE_FL_END_LEN];
    if (clave_fl_end_parse(data, size, &rounds, &why) == CLAVE_OK) {
        if (size != CLAVE_FL_END_LEN || clave_fl_end_encode(rounds, why, end) != CLAVE_OK ||
            memcmp(end, data, size) != 0) { // lint:public
            abort();
        }
    }
    return 0;
}
