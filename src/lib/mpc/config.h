/* SPDX-License-Identifier: Apache-2.0 */
/* Node and client configuration files (JSON, docs/mpc.md "Configuration"). */
#ifndef CLAVE_MPC_CONFIG_H
#define CLAVE_MPC_CONFIG_H

#include "mpc/net.h"

#define MPC_ADDRESS_MAX 128
#define MPC_PATH_MAX 1024
#define MPC_TIMEOUT_DEFAULT_MS 10000
#define MPC_TIMEOUT_MAX_MS 3600000

struct mpc_peer {
    unsigned id;
    char address[MPC_ADDRESS_MAX];
};

struct mpc_config {
    bool client;
    unsigned id; /* nodes only */
    char listen[MPC_ADDRESS_MAX];
    char cert[MPC_PATH_MAX];
    char key[MPC_PATH_MAX];
    char inputs[MPC_PATH_MAX];
    int timeout_ms;
    struct mpc_peer peers[3]; /* indexed by node id; unused for a node's own id */
    struct mpc_trust trust;   /* the pins of the peers (and, for nodes, of the clients) */
    bool tamper;              /* "test_only_tamper": fault injection for tests */
    uint32_t exit_at_step;    /* "test_only_exit_at_step": crash injection for tests */
};

/* Load and validate; `client` selects the client schema. */
clave_status clave__mpc_config_load(const char *path, bool client, struct mpc_config *out);

#endif
