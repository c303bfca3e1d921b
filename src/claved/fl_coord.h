/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Federations of FL contracts run by this coordinator (docs/fl.md "Over the coordinator"): who
 * joined, the aggregator (clave_fl_server: secure aggregation, or Paillier with the key holder's
 * SUM relayed; the coordinator never holds the secret key), the phase clock, the
 * per-client message exchange and the round history. The state lives in this process's memory:
 * one coordinator replica runs a given federation; a restart ends it (the rounds already closed
 * are in the audit ledger). Phases advance lazily, on any request for the federation: a phase
 * closes when every participant has answered or when its deadline has passed.
 *
 * Thread-safety: every function but claved_fl_new/free needs the registry lock
 * (claved_fl_lock/unlock), which serialises all federations.
 */
#ifndef CLAVED_FL_COORD_H
#define CLAVED_FL_COORD_H

#include "claved.h"

#include <clave/fl.h>

#define CLAVED_FL_KEY_LEN 32 /* a client's Ed25519 public key (raw) */

enum claved_fl_state {
    CLAVED_FL_JOINING = 0, /* waiting for `clients` joins */
    CLAVED_FL_RUNNING = 1,
    CLAVED_FL_DONE = 2,   /* all rounds run, the budget spent, or the contract no longer active */
    CLAVED_FL_FAILED = 3, /* an internal error or an unrecordable round: stopped */
};

struct claved_fl;
struct claved_fl_fed;

clave_status claved_fl_new(struct claved_fl **out);
void claved_fl_free(struct claved_fl *fl);
void claved_fl_lock(struct claved_fl *fl);
void claved_fl_unlock(struct claved_fl *fl);

/* The federation of contract `contract` (64 hex), or NULL. */
struct claved_fl_fed *claved_fl_find(struct claved_fl *fl, const char *contract);
/* A new federation in JOINING for `contract` of `collaboration` with `spec` (copied). */
clave_status claved_fl_create(struct claved_fl *fl, const char *contract, const char *collaboration,
                              const struct clave_fl_contract_spec *spec,
                              struct claved_fl_fed **out);

enum claved_fl_state claved_fl_state(const struct claved_fl_fed *f);
const struct clave_fl_contract_spec *claved_fl_spec(const struct claved_fl_fed *f);

/* A client joining (borrowed fields): its party, its Ed25519 key, the party's client-key
 * statement for it (verified by the caller against the collaboration's membership), and the
 * party's DP budget from the contract (used when the spec has DP). */
struct claved_fl_joiner {
    const char *party;
    const uint8_t *key; /* CLAVED_FL_KEY_LEN bytes */
    const uint8_t *statement;
    size_t statement_len;
    double epsilon_cap, delta_cap;
};

/* Add a client run by ctx->who.user_id; `*id` gets its id. The last join starts round 1.
 * CLAVE_ERR_LIMIT: the federation is full or no longer joining; CLAVE_ERR_EXISTS: this key
 * already joined. */
clave_status claved_fl_join(struct claved_ctx *ctx, struct claved_fl_fed *f,
                            const struct claved_fl_joiner *j, uint32_t *id);

/* PAILLIER: the key holder party's Paillier public key and its key-holder statement (borrowed;
 * copied), verified by the caller against the key_holder party's identity key; registered by
 * ctx->who.user_id, the only user that then exchanges its messages. Round 1 starts once every
 * client joined and the key holder registered. CLAVE_ERR_STATE: not a paillier federation or no
 * longer joining; CLAVE_ERR_EXISTS: already registered; CLAVE_ERR_STORE: audit ledger down. */
clave_status claved_fl_keyholder_register(struct claved_ctx *ctx, struct claved_fl_fed *f,
                                          const uint8_t *pub, size_t pub_len,
                                          const uint8_t *statement, size_t statement_len);
/* Whether `user_id` registered the key holder. */
bool claved_fl_keyholder_of(const struct claved_fl_fed *f, const char *user_id);
/* The AGGREGATE waiting for the key holder (caller frees), or CLAVE_ERR_NOT_FOUND. */
clave_status claved_fl_keyholder_message(struct claved_fl_fed *f, uint8_t **msg, size_t *len);
/* The key holder's SUM (untrusted bytes): one attempt per round; on success the round ends and
 * its sum is applied, on failure the round aborts (model unchanged) when the phase closes. */
clave_status claved_fl_keyholder_answer(struct claved_ctx *ctx, struct claved_fl_fed *f,
                                        const uint8_t *msg, size_t len, char *why, size_t cap);

/* Whether client `id` exists and was joined by `user_id`. */
bool claved_fl_client_of(const struct claved_fl_fed *f, uint32_t id, const char *user_id);

/* Close what is due (answers complete, deadline passed), start what follows. */
void claved_fl_advance(struct claved_ctx *ctx, struct claved_fl_fed *f);

/* The message waiting for client `id`: CLAVE_OK with `*msg` (caller frees), CLAVE_ERR_NOT_FOUND
 * when there is none now (not taking part, already answered, or between phases). */
clave_status claved_fl_message(struct claved_fl_fed *f, uint32_t id, uint8_t **msg, size_t *len);

/* Client `id`'s answer for the current phase (untrusted bytes; the header must name `id`).
 * Returns the aggregator's verdict, and in `why` (capacity `cap`) its detail; a rejected message
 * drops only its sender from the round. */
clave_status claved_fl_answer(struct claved_ctx *ctx, struct claved_fl_fed *f, uint32_t id,
                              const uint8_t *msg, size_t len, char *why, size_t cap);

/* The directory {"clients": n, "joined": k, "directory": [{"client","party","public_key",
 * "statement"}]}: each key with its party's client-key statement, for clients to verify; under
 * PAILLIER also "key_holder": {"party","public_key","statement"} (null until registered). */
json_t *claved_fl_directory_json(const struct claved_fl_fed *f);
/* The status: state, round, phase, history of rounds, epsilon, times, per-party budgets. */
json_t *claved_fl_status_json(struct claved_fl_fed *f, int64_t now_ms);
/* The current global model (docs/formats/model.md; caller frees). */
clave_status claved_fl_model(struct claved_fl_fed *f, uint8_t **out, size_t *len);

#endif
