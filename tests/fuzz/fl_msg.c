/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz the FL message decoder (docs/formats/fl.md). Invariants: a successful decode re-encodes to
 * the same bytes; decoded views stay inside the input.
 */
#include "fl/msg.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void reencode(const struct fl_msg *m, const uint8_t *data, size_t size)
{
    uint8_t *out = NULL;
    size_t len = 0;
    clave_status st = CLAVE_ERR_INTERNAL;
    uint32_t ids[CLAVE_FL_MAX_CLIENTS];
    double *values = NULL;
    switch (m->h.type) {
    case FL_MODEL: {
        for (uint32_t i = 0; i < m->id_count; i++) {
            ids[i] = fl__msg_id(m, i);
        }
        struct fl_model_fields f = {m->mode,   m->model,           m->model_len,   m->protection,
                                    m->degree, m->share_threshold, m->min_clients, m->graph_seed,
                                    ids,       m->id_count,        m->key_id};
        st = fl__msg_model(&m->h, &f, &out, &len);
        break;
    }
    case FL_UPDATE:
        values = malloc((size_t)m->dim * sizeof(double));
        if (values == NULL) {
            return;
        }
        for (uint32_t i = 0; i < m->dim; i++) {
            values[i] = fl__msg_value(m, i);
        }
        st = fl__msg_update(&m->h, m->weight, m->loss, values, m->dim, &out, &len);
        break;
    case FL_SECAGG:
        st = fl__msg_secagg(&m->h, m->payload, m->payload_len, &out, &len);
        break;
    case FL_PAILLIER:
    case FL_AGGREGATE:
        st = fl__msg_he_vec(&m->h, m->words, m->count, m->vec, m->vec_len, &out, &len);
        break;
    case FL_SUM: {
        int64_t *sums = malloc((size_t)m->words * sizeof(int64_t));
        if (sums == NULL) {
            return;
        }
        for (uint32_t i = 0; i < m->words; i++) {
            sums[i] = fl__msg_sum(m, i);
        }
        st = fl__msg_he_sum(&m->h, m->words, m->count, sums, &out, &len);
        free(sums);
        break;
    }
    default:
        st = fl__msg_eval(&m->h, m->examples, m->correct, m->loss_sum, &out, &len);
        break;
    }
    if (st != CLAVE_OK || len != size || memcmp(out, data, size) != 0) { // lint:public
        abort();
    }
    free(values);
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fl_msg m;
    if (fl__msg_decode(data, size, &m) == CLAVE_OK) {
        reencode(&m, data, size);
    }
    return 0;
}
