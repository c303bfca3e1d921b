/* SPDX-License-Identifier: Apache-2.0 */
/* The FL aggregator's state, shared by server.c (rounds, messages) and server_close.c. */
#ifndef CLAVE_FL_SERVER_INTERNAL_H
#define CLAVE_FL_SERVER_INTERNAL_H

#include "fl/fl_internal.h"
#include "ml/stream.h"

#include <clave/secagg.h>

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
/* Re-encode the model for the next MODEL messages. */
clave_status fl__encode_model(struct clave_fl_server *s);

#endif
