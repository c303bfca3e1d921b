/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz the FL contract spec parser (clave_fl_contract_spec_parse: canonical CBOR of a JSON-model
 * map, decimals as strings) and the FL message header peek the coordinator runs on every
 * client answer. Invariants: an accepted spec is a valid federation with secure aggregation, or
 * Paillier with a key holder named (and a key holder only then), and a timeout in range; a peek
 * never accepts what the full decoder attributes to another client.
 */
#include "fl/msg.h"

#include <clave/fl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct clave_fl_contract_spec *spec = malloc(sizeof(*spec));
    if (spec == NULL) {
        return 0;
    }
    if (clave_fl_contract_spec_parse(data, size, spec) == CLAVE_OK) {
        bool paillier = spec->run.cfg.protection == CLAVE_FL_PAILLIER;
        if ((spec->run.cfg.protection != CLAVE_FL_SECAGG && !paillier) ||
            paillier != (spec->key_holder[0] != '\0') ||
            strnlen(spec->key_holder, sizeof(spec->key_holder)) >= sizeof(spec->key_holder) ||
            clave_fl_config_check(&spec->run.cfg) != CLAVE_OK || spec->round_timeout_s < 1 ||
            spec->round_timeout_s > CLAVE_FL_MAX_ROUND_TIMEOUT_S ||
            spec->run.cfg.model.inputs < 1) {
            abort();
        }
    }
    free(spec);
    uint32_t client = 0, round = 0;
    struct fl_msg m;
    clave_status peek = clave_fl_message_peek(data, size, &client, &round);
    if (fl__msg_decode(data, size, &m) == CLAVE_OK &&
        (peek != CLAVE_OK || client != m.h.client || round != m.h.round)) {
        abort();
    }
    return 0;
}
