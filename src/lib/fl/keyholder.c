/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The key holder of a PAILLIER federation: it generates the run's Paillier key (the secret part
 * never leaves this object), and decrypts AGGREGATE messages only: one per round, rounds strictly
 * increasing within the first session it sees, each a sum of min_clients..clients_per_round
 * updates in the federation's packing. It cannot tell a genuine sum from a single update that an
 * actively cheating aggregator relabels (docs/fl.md "Paillier", threat model); what it enforces
 * bounds how often and in what shape it decrypts.
 */
#include "core/check.h"
#include "fl/msg.h"
#include "fl/paillier.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

struct clave_fl_keyholder {
    struct clave_fl_config cfg;
    struct clave_he_key *key;
    struct fl_he he;
    uint32_t words; /* model parameters + FL_EXTRA_WORDS */
    bool pinned;
    uint8_t session[CLAVE_FL_SESSION_LEN];
    uint32_t last_round;
};

clave_status clave_fl_keyholder_new(const struct clave_fl_config *cfg,
                                    struct clave_fl_keyholder **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_fl_keyholder *k = NULL;
    struct clave_ml_model *probe = NULL;
    size_t dim = 0;
    CLAVE_ENSURE(out != NULL, CLAVE_ERR_ARG, "fl: NULL argument");
    *out = NULL;
    CLAVE_CHECK(clave_fl_config_check(cfg));
    CLAVE_ENSURE(cfg->protection == CLAVE_FL_PAILLIER, CLAVE_ERR_ARG,
                 "fl: a key holder is for paillier federations");
    k = calloc(1, sizeof(*k));
    CLAVE_ENSURE_ALLOC(k);
    k->cfg = *cfg;
    CLAVE_CHECK(clave_ml_model_new(&cfg->model, cfg->seed, &probe));
    clave_ml_model_params(probe, &dim);
    k->words = (uint32_t)(dim + FL_EXTRA_WORDS);
    CLAVE_CHECK(clave_he_keygen(cfg->paillier_bits, 0, &k->key));
    CLAVE_CHECK(fl__he_setup_pub(cfg, clave_he_key_pub(k->key), &k->he));
    *out = k;
    k = NULL;
    st = CLAVE_OK;
done:
    clave_ml_model_free(probe);
    clave_fl_keyholder_free(k);
    return st;
}

void clave_fl_keyholder_free(struct clave_fl_keyholder *k)
{
    if (k == NULL) {
        return;
    }
    clave_he_key_free(k->key);
    fl__he_clear(&k->he);
    free(k);
}

clave_status clave_fl_keyholder_public_key(const struct clave_fl_keyholder *k, uint8_t **out,
                                           size_t *len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(k != NULL && out != NULL && len != NULL, CLAVE_ERR_ARG, "fl: NULL argument");
    CLAVE_CHECK(clave_he_pub_export(k->he.pub, CLAVE_HE_FORMAT_BINARY, out, len));
    st = CLAVE_OK;
done:
    return st;
}

/* Everything an AGGREGATE must satisfy before anything is decrypted. */
static clave_status admit(struct clave_fl_keyholder *k, const struct fl_msg *m)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(m->h.type == FL_AGGREGATE, CLAVE_ERR_FORMAT,
                 "fl: the key holder answers AGGREGATE messages only");
    CLAVE_ENSURE(!k->pinned || memcmp(m->h.session, k->session, // lint:public
                                      CLAVE_FL_SESSION_LEN) == 0,
                 CLAVE_ERR_STATE, "fl: aggregate for another session");
    CLAVE_ENSURE(m->h.round > k->last_round && m->h.round <= k->cfg.rounds, CLAVE_ERR_STATE,
                 "fl: round %u already decrypted or beyond the federation", m->h.round);
    CLAVE_ENSURE(m->count >= k->cfg.min_clients && m->count <= k->cfg.clients_per_round,
                 CLAVE_ERR_ARG, "fl: a sum of %u clients (needs %u..%u)", m->count,
                 k->cfg.min_clients, k->cfg.clients_per_round);
    CLAVE_ENSURE(m->words == k->words, CLAVE_ERR_FORMAT, "fl: aggregate of %u words, expected %u",
                 m->words, k->words);
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_fl_keyholder_handle(struct clave_fl_keyholder *k, const uint8_t *in,
                                       size_t in_len, uint8_t **out, size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct fl_msg m;
    struct clave_he_vec *vec = NULL;
    int64_t *sums = NULL;
    CLAVE_ENSURE(out != NULL && out_len != NULL, CLAVE_ERR_ARG, "fl: NULL argument");
    *out = NULL;
    *out_len = 0;
    CLAVE_ENSURE(k != NULL, CLAVE_ERR_ARG, "fl: NULL key holder");
    CLAVE_CHECK(fl__msg_decode(in, in_len, &m));
    CLAVE_CHECK(admit(k, &m));
    CLAVE_CHECK(fl__he_import(&k->he, m.vec, m.vec_len, m.words, m.count, &vec));
    /* From here the round is spent, whether or not decryption succeeds: no second try. */
    if (!k->pinned) {
        memcpy(k->session, m.h.session, CLAVE_FL_SESSION_LEN);
        k->pinned = true;
    }
    k->last_round = m.h.round;
    sums = calloc(m.words, sizeof(int64_t));
    CLAVE_ENSURE_ALLOC(sums);
    CLAVE_CHECK_CTX(clave_he_decrypt_i64(k->key, NULL, vec, sums, m.words), "fl: aggregate");
    struct fl_header h = {FL_SUM, {0}, m.h.round, 0};
    memcpy(h.session, m.h.session, CLAVE_FL_SESSION_LEN);
    CLAVE_CHECK(fl__msg_he_sum(&h, m.words, m.count, sums, out, out_len));
    st = CLAVE_OK;
done:
    if (sums != NULL) {
        OPENSSL_cleanse(sums, (size_t)m.words * sizeof(int64_t));
    }
    free(sums);
    clave_he_vec_free(vec);
    return st;
}
