/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Three-node secret-shared compute (docs/mpc.md): node processes connected pairwise by
 * mutually authenticated TLS 1.3 with pinned certificates run the replicated-sharing protocol
 * of Araki et al. (CCS 2016), semi-honest with an honest majority, on input columns shared to
 * them in share files; a client asks them to compute and is the only one to see the opened
 * result. The wire format is docs/formats/mpc.md; configurations are JSON (docs/mpc.md).
 *
 * Sockets: callers must ignore SIGPIPE (the library never changes signal dispositions).
 * Objects are not shared between threads; distinct objects may be used concurrently.
 */
#ifndef CLAVE_MPC_NODE_H
#define CLAVE_MPC_NODE_H

#include <clave/status.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Most values in one shared input column. */
#define CLAVE_MPC_NODE_MAX_VALUES ((size_t)1 << 22)
/** Longest input name ([A-Za-z0-9_.-], not starting with '.'). */
#define CLAVE_MPC_NAME_MAX 64

/** Computations a client may request. */
enum clave_mpc_compute {
    CLAVE_MPC_SUM = 1,      /* sum of column a */
    CLAVE_MPC_MEAN = 2,     /* mean of column a (fixed point) */
    CLAVE_MPC_VARIANCE = 3, /* population variance of column a */
    CLAVE_MPC_DOT = 4,      /* dot product of columns a and b */
    CLAVE_MPC_LT = 5,       /* elementwise a < b, as bits */
    CLAVE_MPC_MUL = 6,      /* elementwise a * b */
};

/**
 * RA-TLS hook: called for a peer certificate whose fingerprint is not pinned. Return true and
 * set *party (0..2 for a node, 3 for a client) to accept it, e.g. after appraising attestation
 * evidence embedded in the certificate. `der` is borrowed for the call. NULL hook: pins only.
 */
typedef bool (*clave_mpc_cert_hook)(const uint8_t *der, size_t der_len, void *arg, unsigned *party);

/** Name of a computation ("mean") or NULL. */
CLAVE_API const char *clave_mpc_compute_name(enum clave_mpc_compute compute);

/** Parse "sum", "mean", "variance", "dot", "lt" or "mul". CLAVE_ERR_ARG otherwise. */
CLAVE_API CLAVE_MUST_USE clave_status clave_mpc_compute_parse(const char *name,
                                                              enum clave_mpc_compute *out);

/**
 * Split `count` (1..CLAVE_MPC_NODE_MAX_VALUES) fixed-point values (already encoded with
 * `frac_bits`) into replicated shares and write `dir`/`name`.node<i>.share for i = 0, 1, 2
 * (mode 0600; each file reveals nothing alone and must reach only node i). The three files
 * carry the same random dataset id, which the nodes compare before computing.
 * @return CLAVE_OK, CLAVE_ERR_ARG (name, count, frac_bits), CLAVE_ERR_IO, CLAVE_ERR_RANDOM,
 *         CLAVE_ERR_NOMEM
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_mpc_share_write(const char *dir, const char *name,
                                                            const uint64_t *values, size_t count,
                                                            unsigned frac_bits);

struct clave_mpc_node;

/**
 * Load a node configuration (JSON, docs/mpc.md), load its certificate and key, and listen.
 * @param out  set to NULL on entry; caller frees with clave_mpc_node_free
 * @return CLAVE_OK, CLAVE_ERR_IO (file, bind), CLAVE_ERR_JSON (config), CLAVE_ERR_CERT,
 *         CLAVE_ERR_KEY, CLAVE_ERR_NOMEM
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_mpc_node_new(const char *config_path,
                                                         struct clave_mpc_node **out);

/** Install the RA-TLS hook (see clave_mpc_cert_hook); `arg` is borrowed. */
CLAVE_API void clave_mpc_node_set_cert_hook(struct clave_mpc_node *node, clave_mpc_cert_hook hook,
                                            void *arg);

/** What one session did (for the caller's log). */
struct clave_mpc_session_info {
    char session_hex[33];       /* the client's session id, or "" if none arrived */
    char compute[16];           /* "mean", or "" */
    size_t values;              /* input length */
    uint32_t rounds;            /* protocol rounds run */
    double compute_seconds;     /* wall time of the computation proper (after key agreement, before
                                   the result is sent) */
    double compute_cpu_seconds; /* CPU time of the calling thread over the same span (user +
                                   system: TLS, hashing, PRSS, arithmetic, socket copies) */
};

/**
 * Serve one session: wait (without limit) for a client's request, connect to the other two
 * nodes, run the computation and send this node's output shares to the client. Any failure
 * (a peer that times out, closes or sends a malformed or out-of-step message) aborts the
 * session: connections are closed, the client is told why, and no output is sent.
 * @return CLAVE_OK or the failure (the last-error detail names the peer)
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_mpc_node_serve_one(struct clave_mpc_node *node,
                                                               struct clave_mpc_session_info *info);

/** Close the listener and free. NULL is a no-op. */
CLAVE_API void clave_mpc_node_free(struct clave_mpc_node *node);

struct clave_mpc_client;

/**
 * Load a client configuration (JSON: cert, key, timeout_ms, nodes[3] with address and
 * fingerprint).
 * @return CLAVE_OK, CLAVE_ERR_IO, CLAVE_ERR_JSON, CLAVE_ERR_CERT, CLAVE_ERR_KEY, CLAVE_ERR_NOMEM
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_mpc_client_new(const char *config_path,
                                                           struct clave_mpc_client **out);

/** The opened result of a computation. */
struct clave_mpc_output {
    uint64_t *values; /* caller frees with clave_mpc_output_free */
    size_t count;
    unsigned frac_bits; /* fixed-point fractional bits (0 for bits) */
    bool bits;          /* true: values are 0/1 (comparison) */
};

/**
 * Ask the three nodes to compute `compute` on input a (and b, NULL for unary computations),
 * collect their output shares, cross-check the replicated components (each is sent by one node
 * in full and hashed by the other holder) and open the result. Nothing is written to `out`
 * unless every node answered and every cross-check passed.
 * @return CLAVE_OK, CLAVE_ERR_ARG, CLAVE_ERR_IO (a node unreachable, timed out or aborted: the
 *         detail names it and its reason), CLAVE_ERR_TAMPERED (replicas disagree: the detail
 *         names the suspect link), CLAVE_ERR_FORMAT, CLAVE_ERR_CERT
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_mpc_client_run(struct clave_mpc_client *client,
                                                           enum clave_mpc_compute compute,
                                                           const char *input_a, const char *input_b,
                                                           struct clave_mpc_output *out);

/**
 * Split `count` (1..CLAVE_MPC_NODE_MAX_VALUES) fixed-point values (encoded with `frac_bits`)
 * into replicated shares and send node i its share file over the same pinned, mutually
 * authenticated TLS 1.3 link as clave_mpc_client_run (the client's certificate must be in each
 * node's "clients"). Node i checks the file and stores it as `name`.node<i>.share in its inputs
 * directory, replacing an older input of that name. Nothing is written locally. The nodes are
 * contacted in order 0, 1, 2: if one refuses or is unreachable, the earlier ones keep their new
 * file, which a computation cannot mix with older files on the others (the three files share a
 * fresh dataset id, compared by the nodes before computing); upload again.
 * @return CLAVE_OK, CLAVE_ERR_ARG (name, count, frac_bits), CLAVE_ERR_IO (a node unreachable or
 *         refusing: the detail names it and its reason), CLAVE_ERR_CERT, CLAVE_ERR_RANDOM,
 *         CLAVE_ERR_NOMEM
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_mpc_client_share(struct clave_mpc_client *client,
                                                             const char *name,
                                                             const uint64_t *values, size_t count,
                                                             unsigned frac_bits);

/** Free an output's values (and wipe them). */
CLAVE_API void clave_mpc_output_free(struct clave_mpc_output *out);

/** Free a client. NULL is a no-op. */
CLAVE_API void clave_mpc_client_free(struct clave_mpc_client *client);

#ifdef __cplusplus
}
#endif
#endif
