/* SPDX-License-Identifier: Apache-2.0 */
/* The FL aggregator's state, shared by server.c (rounds, messages) and server_close.c. */
#ifndef CLAVE_FL_SERVER_INTERNAL_H
#define CLAVE_FL_SERVER_INTERNAL_H

#include "fl/fl_internal.h"
#include "fl/paillier.h"
#include "ml/stream.h"

#include <clave/secagg.h>

struct fl_msg;

enum fl_client_state {
    FL_ABSENT = 0,   /* not taking part in the current phase */
    FL_WAITING = 1,  /* asked, no message accepted yet in this phase */
    FL_REPORTED = 2, /* message accepted in this phase */
    FL_DROPPED = 3,  /* rejected or silent: out of the round */
};

struct clave_fl_server {
    struct clave_fl_config cfg;
    const struct clave_pkey *const *directory;
    struct clave_dp_ledger *ledger;
    const struct clave_dp_budget_key *key;
    struct clave_ml_model *model;
    size_t dim;
    uint8_t session[CLAVE_FL_SESSION_LEN];
    struct ml_stream select;
    struct clave_dp_rng *rng; /* central DP noise */
    uint32_t round;
    clave_fl_phase phase;
    uint32_t *selected; /* ascending, cfg.clients_per_round */
    uint8_t *state;     /* per client id - 1 */
    uint8_t *model_bytes;
    size_t model_len;
    /* plain collection */
    double *updates; /* clients_per_round x dim, by selection slot */
    uint32_t *weights;
    double *losses;
    /* secure aggregation */
    struct clave_secagg_params sa_params;
    struct clave_secagg_server *sa;
    const struct clave_pkey **sa_directory;
    /* paillier: the key holder's public key, the running homomorphic sum and its summands */
    struct fl_he he;
    struct clave_he_vec *he_sum;
    uint32_t he_count;
    struct fl_server_opt opt;
    double epsilon;
    struct clave_fl_round_report report;
    uint64_t eval_examples, eval_correct;
    double eval_loss_sum;
};

/* The slot of client `id` in the selection, or -1. */
int fl__slot(const struct clave_fl_server *s, uint32_t id);

/* Close the collection of a round: aggregate and apply (server_close.c). */
clave_status fl__close_plain(struct clave_fl_server *s);
clave_status fl__close_secagg_result(struct clave_fl_server *s);
/* Apply the exact fixed-point sum of `reported` updates (dim + FL_EXTRA_WORDS words: weighted
 * parameters, summed weights, weighted loss), as from SecAgg+ or the key holder. */
clave_status fl__apply_sum(struct clave_fl_server *s, const uint64_t *words, uint32_t reported);
/* The round is over: nobody takes part, phase IDLE (or DONE after the last round). */
void fl__end_round(struct clave_fl_server *s);
/* Paillier (server_paillier.c): a client's PAILLIER message added to the running sum; the end of
 * the collection (too few: abort; else wait for the key holder). */
clave_status fl__take_paillier(struct clave_fl_server *s, const struct fl_msg *m);
void fl__close_paillier_collection(struct clave_fl_server *s);
/* Re-encode the model for the next MODEL messages. */
clave_status fl__encode_model(struct clave_fl_server *s);

#endif
