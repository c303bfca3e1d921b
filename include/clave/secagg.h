/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Secure aggregation of client vectors in Z_2^64 (docs/secagg.md): Bonawitz et al., CCS 2017
 * ("Practical Secure Aggregation for Privacy-Preserving Machine Learning") over the sparse
 * SecAgg+ communication graph of Bell et al., CCS 2020 (a Harary graph under a random
 * relabelling, degree O(log n)).
 *
 * Rounds: 1 AdvertiseKeys (two X25519 public keys signed with the client's Ed25519 identity
 * key), 2 ShareKeys (Shamir shares of the self-mask seed b_u and of the mask key s_u^SK,
 * encrypted pairwise with AES-256-GCM), 3 MaskedInputCollection (y_u = x_u + PRG(b_u) +
 * sum_v +-PRG(s_uv)), 4 Unmasking (survivors reveal shares of b for survivors and of s^SK for
 * dropped clients; the server removes the masks). Every PRG is AES-256-CTR keyed by HKDF-SHA256
 * of a full-width secret. Messages follow docs/formats/secagg.md; every received message is
 * validated (version, type, session, sender, recipient, lengths, order, membership).
 *
 * Client ids are 1..client_count. Objects are not thread-safe; distinct objects may be used
 * from distinct threads. Messages returned through `uint8_t **msg` are malloc'ed: caller frees
 * with free().
 */
#ifndef CLAVE_SECAGG_H
#define CLAVE_SECAGG_H

#include <clave/sign.h>
#include <clave/status.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CLAVE_SECAGG_VERSION 2
#define CLAVE_SECAGG_SESSION_ID_LEN 16
#define CLAVE_SECAGG_GRAPH_SEED_LEN 32
#define CLAVE_SECAGG_MAX_CLIENTS 65535
#define CLAVE_SECAGG_MAX_DIM ((uint32_t)1 << 24)

/**
 * Session parameters, identical at the server and every client (a value type: fill it with
 * clave_secagg_params_suggest or by hand and check it with clave_secagg_params_check).
 */
struct clave_secagg_params {
    uint32_t client_count;    /* n: client ids are 1..n, 2..CLAVE_SECAGG_MAX_CLIENTS */
    uint32_t degree;          /* neighbours per client: even and >= 2, or n - 1 (complete) */
    uint32_t share_threshold; /* Shamir threshold within a neighbourhood, 1..degree */
    uint32_t min_clients;     /* t: a round closing with fewer clients aborts, 1..n */
    uint32_t dim;             /* vector length, 1..CLAVE_SECAGG_MAX_DIM */
    uint32_t bits;       /* inputs, masks and the sum live in Z_2^bits, 1..64 (0 is read as 64); a
                            mask word is a 32-bit keystream word for bits <= 32, else 64-bit, and the
                            MASKED message carries 4- or 8-byte words accordingly */
    uint32_t input_bits; /* 0: inputs are any values mod 2^bits (the sum is exact mod 2^bits);
                            else every input word is below 2^input_bits (clients refuse others)
                            and input_bits + ceil(log2(client_count)) <= bits is required, so
                            the sum of all clients is the exact integer sum (proven headroom) */
    uint8_t session_id[CLAVE_SECAGG_SESSION_ID_LEN]; /* fresh per session: binds every message */
    uint8_t graph_seed[CLAVE_SECAGG_GRAPH_SEED_LEN]; /* relabelling of the Harary graph */
};

/** CLAVE_OK if `p` is consistent, CLAVE_ERR_ARG naming the offending field otherwise. */
CLAVE_API CLAVE_MUST_USE clave_status
clave_secagg_params_check(const struct clave_secagg_params *p);

/** Who the parameters must withstand (Bell et al. 2020): a server that follows the protocol
 * (semi-honest) or one that may also lie about which clients dropped out (semi-malicious). */
enum clave_secagg_adversary {
    CLAVE_SECAGG_SEMI_HONEST = 0,
    CLAVE_SECAGG_SEMI_MALICIOUS = 1,
};

/** The threat a session is sized for. */
struct clave_secagg_threat {
    double corrupt; /* gamma: fraction of clients colluding with the server, [0, 1) */
    double dropout; /* delta: fraction of clients that may drop out in total, [0, 1) */
    enum clave_secagg_adversary adversary;
};

#define CLAVE_SECAGG_SECURITY_BITS 40     /* sigma: P[insecure] <= 2^-40 */
#define CLAVE_SECAGG_CORRECTNESS_BITS 20  /* eta: P[a client cannot be unmasked] <= 2^-20 */
#define CLAVE_SECAGG_DEFAULT_CORRUPT 0.05 /* gamma used by clave_secagg_params_suggest */

/**
 * Degree k and Shamir threshold t for n clients under `threat` (borrowed), as in Bell et al.
 * 2020: the smallest even k for which (a) some client having enough corrupt neighbours to
 * learn both of its secrets, and (b) the honest surviving clients' graph being disconnected,
 * each have probability below 2^-(CLAVE_SECAGG_SECURITY_BITS + 1), with t the smallest
 * threshold >= 2 meeting (a), and (c) some client keeping fewer than t surviving neighbours has
 * probability below 2^-CLAVE_SECAGG_CORRECTNESS_BITS (union bounds over the n clients, exact
 * hypergeometric tails). Falls back to the complete graph (k = n - 1) when no sparse degree
 * works. min_clients = n - floor(dropout n) for a sparse graph (the bound assumes no more
 * dropouts), t for the complete graph. Fresh random session id and graph seed.
 * @return CLAVE_OK; CLAVE_ERR_ARG for n outside 3..CLAVE_SECAGG_MAX_CLIENTS, fractions outside
 *         [0, 1), corrupt + dropout > 0.9 (semi-honest) or corrupt + 2 dropout > 0.9
 *         (semi-malicious), or no feasible degree; CLAVE_ERR_RANDOM. Thread-safe.
 */
CLAVE_API CLAVE_MUST_USE clave_status
clave_secagg_params_for(uint32_t client_count, const struct clave_secagg_threat *threat,
                        uint32_t dim, struct clave_secagg_params *out);

/**
 * clave_secagg_params_for with a semi-honest server colluding with up to
 * CLAVE_SECAGG_DEFAULT_CORRUPT of the clients and up to `dropout` of them dropping out.
 * @return as clave_secagg_params_for
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_secagg_params_suggest(uint32_t client_count,
                                                                  double dropout, uint32_t dim,
                                                                  struct clave_secagg_params *out);

/**
 * log2 of the union bounds for `p` under `threat` (both borrowed): *log2_insecure for events
 * (a) + (b) of clave_secagg_params_for, *log2_abort for event (c). -INFINITY when an event is
 * impossible, 0 when the bound is vacuous.
 * @return CLAVE_OK, CLAVE_ERR_ARG (inconsistent parameters or threat). Thread-safe.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_secagg_params_risk(
    const struct clave_secagg_params *p, const struct clave_secagg_threat *threat,
    double *log2_insecure, double *log2_abort);

/**
 * The neighbours of client `id` in ascending order into `out` (capacity `cap` >= degree).
 * @return CLAVE_OK, CLAVE_ERR_ARG (bad params, id or capacity), CLAVE_ERR_NOMEM
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_secagg_neighbours(const struct clave_secagg_params *p,
                                                              uint32_t id, uint32_t *out,
                                                              size_t cap, size_t *count);

/* ---- client --------------------------------------------------------------------------------- */

struct clave_secagg_client;

/**
 * A client for one session.
 * @param params     copied
 * @param identity   this client's Ed25519 private key (borrowed; must outlive the client)
 * @param directory  client_count Ed25519 public keys, directory[id - 1] for client id (borrowed;
 *                   array and keys must outlive the client): how clients authenticate each
 *                   other's key advertisements whatever the server forwards
 * @param out        set to NULL on entry; caller frees with clave_secagg_client_free
 * @return CLAVE_OK, CLAVE_ERR_ARG, CLAVE_ERR_KEY (identity not an Ed25519 private key),
 *         CLAVE_ERR_NOMEM
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_secagg_client_new(
    const struct clave_secagg_params *params, uint32_t id, const struct clave_pkey *identity,
    const struct clave_pkey *const *directory, struct clave_secagg_client **out);

/** Round 1: fresh key pairs and the signed ADVERTISE message. CLAVE_ERR_STATE out of order. */
CLAVE_API CLAVE_MUST_USE clave_status clave_secagg_client_advertise(struct clave_secagg_client *c,
                                                                    uint8_t **msg, size_t *len);

/**
 * Round 2: consume the server's KEYS message (neighbours' signed keys), answer with SHARES.
 * @return CLAVE_OK; CLAVE_ERR_SIGNATURE (a substituted key), CLAVE_ERR_FORMAT/TRUNCATED/
 *         TRAILING/TOO_LARGE (malformed or not addressed to this client), CLAVE_ERR_STATE (out of
 *         order or fewer than share_threshold neighbours). Any failure leaves the client unusable.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_secagg_client_share_keys(struct clave_secagg_client *c,
                                                                     const uint8_t *in,
                                                                     size_t in_len, uint8_t **msg,
                                                                     size_t *len);

/**
 * Round 3: consume FORWARD (neighbours' encrypted shares), answer with MASKED_INPUT for `input`
 * (params.dim words, each below 2^params.bits, borrowed). CLAVE_ERR_AUTH if a share does not
 * decrypt or names the wrong sender or recipient; CLAVE_ERR_ARG for an input word out of the
 * ring (the client is left unchanged and may be called again).
 */
CLAVE_API CLAVE_MUST_USE clave_status
clave_secagg_client_masked_input(struct clave_secagg_client *c, const uint8_t *in, size_t in_len,
                                 const uint64_t *input, uint8_t **msg, size_t *len);

/** Round 4: consume UNMASK_REQUEST (surviving neighbours), answer with UNMASK shares. A client
 * answers at most once, and never reveals both secrets of one neighbour. */
CLAVE_API CLAVE_MUST_USE clave_status clave_secagg_client_unmask(struct clave_secagg_client *c,
                                                                 const uint8_t *in, size_t in_len,
                                                                 uint8_t **msg, size_t *len);

/** Free and wipe. NULL is a no-op. */
CLAVE_API void clave_secagg_client_free(struct clave_secagg_client *c);

/* ---- server --------------------------------------------------------------------------------- */

enum clave_secagg_round {
    CLAVE_SECAGG_ROUND_ADVERTISE = 1,
    CLAVE_SECAGG_ROUND_SHARE = 2,
    CLAVE_SECAGG_ROUND_MASKED = 3,
    CLAVE_SECAGG_ROUND_UNMASK = 4,
    CLAVE_SECAGG_ROUND_DONE = 5,
    CLAVE_SECAGG_ROUND_ABORTED = 6,
};

struct clave_secagg_server;

/** A server for one session; `params` copied, `directory` as for clients (borrowed). Caller
 * frees. */
CLAVE_API CLAVE_MUST_USE clave_status clave_secagg_server_new(
    const struct clave_secagg_params *params, const struct clave_pkey *const *directory,
    struct clave_secagg_server **out);

/**
 * Accept one client message for the current round. A rejected message changes nothing.
 * @return CLAVE_OK; CLAVE_ERR_STATE (wrong round, sender not in the round's client set, server
 *         done or aborted), CLAVE_ERR_EXISTS (a second message from the same sender),
 *         CLAVE_ERR_FORMAT/TRUNCATED/TRAILING/TOO_LARGE (malformed, wrong session, shares
 *         addressed to a non-neighbour), CLAVE_ERR_SIGNATURE (bad advertisement signature)
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_secagg_server_receive(struct clave_secagg_server *s,
                                                                  const uint8_t *msg, size_t len);

/**
 * Close the current round with the clients heard so far. Fewer than min_clients aborts the
 * session (CLAVE_ERR_STATE, round becomes ABORTED). Closing round 4 reconstructs the dropped
 * clients' masks and computes the sum; a reconstruction failure (too few shares, inconsistent
 * shares: CLAVE_ERR_TAMPERED) aborts too. No partial result is ever released.
 */
CLAVE_API CLAVE_MUST_USE clave_status
clave_secagg_server_close_round(struct clave_secagg_server *s);

/** The current round. */
CLAVE_API enum clave_secagg_round clave_secagg_server_round(const struct clave_secagg_server *s);

/** Number of clients whose message for the current round has been accepted. */
CLAVE_API size_t clave_secagg_server_heard(const struct clave_secagg_server *s);

/**
 * The server's message to client `id` for the current round (KEYS, FORWARD or UNMASK_REQUEST).
 * @return CLAVE_OK, CLAVE_ERR_NOT_FOUND (the client dropped out), CLAVE_ERR_STATE
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_secagg_server_message(struct clave_secagg_server *s,
                                                                  uint32_t id, uint8_t **msg,
                                                                  size_t *len);

/** The aggregate mod 2^params.bits (params.dim words into `out`, capacity `cap`) once the round
 * is DONE; CLAVE_ERR_STATE before. */
CLAVE_API CLAVE_MUST_USE clave_status
clave_secagg_server_result(const struct clave_secagg_server *s, uint64_t *out, size_t cap);

/** Number of clients whose input is in the aggregate (valid once DONE). */
CLAVE_API size_t clave_secagg_server_survivors(const struct clave_secagg_server *s);

/** Free and wipe. NULL is a no-op. */
CLAVE_API void clave_secagg_server_free(struct clave_secagg_server *s);

/* ---- in-process simulation ------------------------------------------------------------------ */

#define CLAVE_SECAGG_STAGES 3 /* 0: before ShareKeys, 1: before MaskedInput, 2: before Unmask */

struct clave_secagg_sim_opts {
    struct clave_secagg_params params;
    double dropout[CLAVE_SECAGG_STAGES]; /* fraction of the original n dropping before stage i */
    const uint8_t *dropout_seed;         /* 32 bytes selecting who drops (NULL: fresh randomness) */
};

struct clave_secagg_sim_report {
    clave_status status;          /* CLAVE_OK, or why the session aborted */
    bool correct;                 /* the aggregate equals the plain sum of the survivors' inputs */
    uint32_t survivors;           /* clients whose input is in the aggregate */
    double client_seconds[4];     /* mean CPU seconds per participating client, per round */
    double client_total_max;      /* largest total over all rounds of one client */
    double server_seconds[4];     /* server CPU seconds per round (receive + close + messages) */
    double bytes_sent_per_client; /* mean bytes a client sent (all rounds) */
    double bytes_received_per_client;    /* mean bytes a client received */
    double server_close_wall_seconds[4]; /* wall time of the server closing each round (the
                                            unmasking runs on 2 threads: CPU > wall) */
    uint64_t server_mask_streams;        /* dim-word mask streams the server expanded: one self-mask
                                            per survivor, one per (dropped, surviving neighbour) pair */
};

/**
 * Run n clients and the server in this process, dropping clients as asked. Inputs are
 * deterministic per client; the report says whether the aggregate is exact.
 * @return CLAVE_OK whenever the simulation ran (an aborted session is reported in
 *         report->status), CLAVE_ERR_ARG, CLAVE_ERR_NOMEM
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_secagg_simulate(
    const struct clave_secagg_sim_opts *opts, struct clave_secagg_sim_report *report);

#ifdef __cplusplus
}
#endif
#endif
