/* SPDX-License-Identifier: Apache-2.0 */
/* Internals shared by node.c (session setup) and node_run.c (keys, compute, result). */
#ifndef CLAVE_MPC_NODE_INTERNAL_H
#define CLAVE_MPC_NODE_INTERNAL_H

#include "mpc/config.h"
#include "mpc/proto.h"
#include "mpc/sharefile.h"

#include <clave/mpc_node.h>

#define MPC_RUN_PAYLOAD_MAX (1 + 2 * (1 + MPC_NAME_MAX))
#define MPC_ABORT_TIMEOUT_MS 1000

struct clave_mpc_node {
    struct mpc_config cfg;
    SSL_CTX *ctx;
    int listen_fd;
};

struct mpc_session {
    struct clave_mpc_node *node;
    struct mpc_link links[4]; /* by party: nodes 0..2 (not self), client */
    uint8_t session[MPC_SESSION_ID_LEN];
    uint8_t hello_session[3][MPC_SESSION_ID_LEN]; /* session named by each dialling node */
    uint8_t run_payload[MPC_RUN_PAYLOAD_MAX];
    size_t run_len;
    struct mpc_run run;
    uint8_t *upload; /* an UPLOAD payload instead of RUN: this session only stores it */
    size_t upload_len;
    struct mpc_input a;
    struct mpc_input b;
    struct clave_mpc_prss *prss;
    struct mpc_party party;
    double compute_seconds;
    double compute_cpu_seconds;
};

/* Load inputs, agree on keys and the request with the neighbours, compute, and send the
 * output shares to the client. */
clave_status clave__mpc_session_run(struct mpc_session *s);

/* Store the session's UPLOAD in the inputs directory and answer STORED (upload.c). */
clave_status clave__mpc_session_store(struct mpc_session *s, size_t *count);

/* Send an ABORT with `reason` to the client (best effort). */
void clave__mpc_session_abort(struct mpc_session *s, const char *reason);

#endif
