/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The aggregator's side of Paillier-packed updates: it holds only the key holder's public key,
 * checks every client's vector (size bound before parsing, key, plan, length, weight 1, every
 * ciphertext a unit below n^2), multiplies the accepted ones into the running sum, and after the
 * collection hands the sum to the key holder (AGGREGATE) and applies the decrypted result (SUM).
 */
#include "core/check.h"
#include "fl/msg.h"
#include "fl/server_internal.h"

#include <stdlib.h>
#include <string.h>

clave_status clave_fl_server_set_paillier_key(struct clave_fl_server *s, const uint8_t *pub,
                                              size_t len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(s != NULL, CLAVE_ERR_ARG, "fl: NULL server");
    CLAVE_ENSURE(s->phase == CLAVE_FL_PHASE_IDLE, CLAVE_ERR_STATE,
                 "fl: the paillier key is set between rounds");
    CLAVE_CHECK(fl__he_setup(&s->cfg, pub, len, &s->he));
    st = CLAVE_OK;
done:
    return st;
}

clave_status fl__take_paillier(struct clave_fl_server *s, const struct fl_msg *m)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_he_vec *vec = NULL;
    uint32_t words = (uint32_t)(s->dim + FL_EXTRA_WORDS);
    CLAVE_ENSURE(m->h.type == FL_PAILLIER, CLAVE_ERR_STATE, "fl: expected a paillier update");
    CLAVE_ENSURE(m->words == words, CLAVE_ERR_FORMAT,
                 "fl: paillier update of %u words, expected %u", m->words, words);
    CLAVE_CHECK(fl__he_import(&s->he, m->vec, m->vec_len, words, 1, &vec));
    if (s->he_sum == NULL) {
        s->he_sum = vec;
        vec = NULL;
    } else {
        CLAVE_CHECK(clave_he_add_into(s->he.ctx, s->he_sum, vec)); /* homomorphic addition */
    }
    s->he_count++;
    st = CLAVE_OK;
done:
    clave_he_vec_free(vec);
    return st;
}

void fl__close_paillier_collection(struct clave_fl_server *s)
{
    s->report.reported = s->he_count;
    if (s->he_count < s->cfg.min_clients || s->he_sum == NULL) {
        s->report.aborted = true; /* nothing goes to the key holder */
        fl__end_round(s);
        return;
    }
    memset(s->state, FL_ABSENT, s->cfg.clients);
    s->phase = CLAVE_FL_PHASE_HE_DECRYPT;
}

static struct fl_header keyholder_header(const struct clave_fl_server *s, uint8_t type)
{
    struct fl_header h = {type, {0}, s->round, 0};
    memcpy(h.session, s->session, CLAVE_FL_SESSION_LEN);
    return h;
}

clave_status clave_fl_server_keyholder_request(struct clave_fl_server *s, uint8_t **msg,
                                               size_t *len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t *vec = NULL;
    size_t vec_len = 0;
    CLAVE_ENSURE(msg != NULL && len != NULL, CLAVE_ERR_ARG, "fl: NULL argument");
    *msg = NULL;
    *len = 0;
    CLAVE_ENSURE(s != NULL, CLAVE_ERR_ARG, "fl: NULL server");
    CLAVE_ENSURE(s->phase == CLAVE_FL_PHASE_HE_DECRYPT, CLAVE_ERR_STATE,
                 "fl: no sum waiting for the key holder");
    CLAVE_CHECK(clave_he_vec_export(s->he_sum, CLAVE_HE_FORMAT_BINARY, &vec, &vec_len));
    struct fl_header h = keyholder_header(s, FL_AGGREGATE);
    CLAVE_CHECK(fl__msg_he_vec(&h, (uint32_t)(s->dim + FL_EXTRA_WORDS), s->he_count, vec, vec_len,
                               msg, len));
    st = CLAVE_OK;
done:
    free(vec);
    return st;
}

clave_status clave_fl_server_keyholder_reply(struct clave_fl_server *s, const uint8_t *msg,
                                             size_t len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct fl_msg m;
    uint64_t *words = NULL;
    CLAVE_ENSURE(s != NULL, CLAVE_ERR_ARG, "fl: NULL server");
    CLAVE_ENSURE(s->phase == CLAVE_FL_PHASE_HE_DECRYPT, CLAVE_ERR_STATE,
                 "fl: no sum waiting for the key holder");
    CLAVE_CHECK(fl__msg_decode(msg, len, &m));
    CLAVE_ENSURE(m.h.type == FL_SUM, CLAVE_ERR_FORMAT, "fl: expected the key holder's SUM");
    CLAVE_ENSURE(m.h.round == s->round &&
                     memcmp(m.h.session, s->session, CLAVE_FL_SESSION_LEN) == 0, // lint:public
                 CLAVE_ERR_STATE, "fl: sum for another session or round");
    CLAVE_ENSURE(m.count == s->he_count && m.words == s->dim + FL_EXTRA_WORDS, CLAVE_ERR_FORMAT,
                 "fl: sum of %u clients and %u words, expected %u and %zu", m.count, m.words,
                 s->he_count, s->dim + FL_EXTRA_WORDS);
    words = malloc((size_t)m.words * sizeof(uint64_t));
    CLAVE_ENSURE_ALLOC(words);
    for (size_t i = 0; i < m.words; i++) {
        words[i] = (uint64_t)fl__msg_sum(&m, i);
    }
    CLAVE_CHECK(fl__apply_sum(s, words, s->he_count));
    clave_he_vec_free(s->he_sum);
    s->he_sum = NULL;
    fl__end_round(s);
    st = CLAVE_OK;
done:
    free(words);
    return st;
}
