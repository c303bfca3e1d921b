/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Federated learning (docs/fl.md): rounds, client selection, FedAvg / FedProx / FedAdam /
 * FedYogi, robust aggregation (coordinate-wise median, trimmed mean) for a trusted aggregator,
 * update protection by secure aggregation (SecAgg+ over Z_2^64 fixed point, include/clave/secagg.h)
 * or in the clear to an aggregator inside a TEE, client-level DP (DP-FedAvg: clipped updates,
 * discrete Gaussian noise added by the clients under secure aggregation or by the aggregator),
 * accounted per round with the RDP accountant and debited in the DP budget ledger, dropouts, and
 * federated evaluation.
 *
 * Clients and the aggregator talk only through messages in the format of docs/formats/fl.md
 * (`clave_fl_client_handle`, `clave_fl_server_message` / `clave_fl_server_receive`), so the same
 * objects work in one process (`clave_fl_sim_*`) or over a transport.
 *
 * Thread-safety: objects are used by one thread at a time; distinct objects are independent.
 * Messages returned through `uint8_t **msg` are malloc'ed: caller frees with free().
 */
#ifndef CLAVE_FL_H
#define CLAVE_FL_H

#include <clave/dp.h>
#include <clave/ml.h>
#include <clave/sign.h>
#include <clave/status.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CLAVE_FL_VERSION 1
#define CLAVE_FL_SESSION_LEN 16
#define CLAVE_FL_MAX_CLIENTS 1024u
#define CLAVE_FL_MAX_WEIGHT 65536u      /* an update's weight (examples) is capped here */
#define CLAVE_FL_MAX_MESSAGE (1u << 30) /* largest message accepted by either side */

typedef enum clave_fl_strategy {
    CLAVE_FL_FEDAVG = 1,  /* McMahan et al. 2017: w += server_lr * weighted mean of updates */
    CLAVE_FL_FEDPROX = 2, /* Li et al. 2020: FedAvg with the proximal term in local training */
    CLAVE_FL_FEDADAM = 3, /* Reddi et al. 2021, Algorithm 2 (Adam on the server) */
    CLAVE_FL_FEDYOGI = 4, /* Reddi et al. 2021, Algorithm 2 (Yogi on the server) */
} clave_fl_strategy;

typedef enum clave_fl_aggregation {
    CLAVE_FL_AGG_MEAN = 1,         /* weighted mean (the only one possible under masking) */
    CLAVE_FL_AGG_MEDIAN = 2,       /* coordinate-wise median (unweighted), plain only */
    CLAVE_FL_AGG_TRIMMED_MEAN = 3, /* coordinate-wise trimmed mean (unweighted), plain only */
} clave_fl_aggregation;

typedef enum clave_fl_protection {
    CLAVE_FL_PLAIN = 1,    /* updates in the clear: only for an aggregator inside an attested TEE */
    CLAVE_FL_SECAGG = 2,   /* SecAgg+: the aggregator learns only the sum of the survivors */
    CLAVE_FL_PAILLIER = 3, /* packed Paillier ciphertexts: the aggregator only adds them; a key
                              holder decrypts the round's sum (docs/fl.md, "Paillier") */
} clave_fl_protection;

typedef enum clave_fl_dp_mode {
    CLAVE_FL_DP_NONE = 0,
    CLAVE_FL_DP_DISTRIBUTED = 1, /* each client adds its share of the noise (needs SECAGG) */
    CLAVE_FL_DP_CENTRAL = 2,     /* the (TEE) aggregator adds the noise (needs PLAIN) */
} clave_fl_dp_mode;

/** A federation's parameters, identical at the aggregator and every client (a value type). */
struct clave_fl_config {
    struct clave_ml_model_spec model;
    struct clave_ml_train_opts local; /* local optimiser; prox_mu is used by FEDPROX only */
    uint32_t local_epochs;            /* 1..1000 */
    uint32_t rounds;                  /* 1..100000 */
    uint32_t clients;                 /* N, 2..CLAVE_FL_MAX_CLIENTS */
    uint32_t clients_per_round;       /* m selected per round, 2..N */
    uint32_t min_clients;             /* a round completes with at least this many updates */
    clave_fl_strategy strategy;
    double server_lr;                              /* > 0 (1 for plain FedAvg) */
    double server_beta1, server_beta2, server_tau; /* FedAdam/FedYogi */
    clave_fl_aggregation aggregation;
    double trim_fraction; /* trimmed mean: fraction cut at each end, [0, 0.5) */
    clave_fl_protection protection;
    uint32_t fixed_point_bits; /* fractional bits of the Z_2^64 encoding, 8..40 */
    double update_bound;       /* |update coordinate| above this: the update is rejected */
    clave_fl_dp_mode dp;
    double dp_clip;                  /* L2 clip of each client's update (> 0 with DP) */
    double dp_noise_multiplier;      /* z: noise sigma = z * clip on the sum */
    double dp_delta;                 /* delta of the reported (epsilon, delta) */
    double dp_epsilon_budget;        /* stop before epsilon would exceed this (0: no cap) */
    uint8_t seed[CLAVE_ML_SEED_LEN]; /* model init, selection, local shuffling */
    uint32_t paillier_bits;          /* PAILLIER: modulus of the run's key, 2048/3072/4096 */
};

#define CLAVE_FL_PAILLIER_BITS_DEFAULT 2048u

/** Defaults: FedAvg, plain, 10 rounds, 1 local epoch, 24 fixed-point bits, bound 16, Paillier
 * modulus 2048 bits. */
CLAVE_API struct clave_fl_config clave_fl_config_default(void);

/**
 * Check a configuration (ranges, compatibility: robust aggregation and central DP need PLAIN,
 * distributed DP needs SECAGG or PAILLIER, the fixed-point sum cannot overflow, PAILLIER's
 * packing has room for clients_per_round summands). The detail names the field.
 * @return CLAVE_OK, CLAVE_ERR_ARG
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_fl_config_check(const struct clave_fl_config *cfg);

/** "fedavg", "fedprox", "fedadam", "fedyogi" / "mean", "median", "trimmed-mean" / "plain",
 * "secagg", "paillier" / "none", "distributed", "central"; NULL if unknown. */
CLAVE_API const char *clave_fl_strategy_name(clave_fl_strategy s);
CLAVE_API const char *clave_fl_aggregation_name(clave_fl_aggregation a);
CLAVE_API const char *clave_fl_protection_name(clave_fl_protection p);
CLAVE_API const char *clave_fl_dp_mode_name(clave_fl_dp_mode d);

/**
 * Epsilon after `rounds` rounds of DP-FedAvg under `cfg` (sampling rate clients_per_round /
 * clients, noise multiplier, dp_delta; dp_accounting's order grid, improved conversion): what
 * the aggregator debits. CLAVE_ERR_ARG if DP is off or the parameters are out of range.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_fl_dp_epsilon(const struct clave_fl_config *cfg,
                                                          uint64_t rounds, double *epsilon);

/* ---- client --------------------------------------------------------------------------------- */

struct clave_fl_client;

/**
 * A client with id 1..cfg->clients.
 * @param identity   this client's Ed25519 private key (borrowed; outlives the client): signs its
 *                   secure-aggregation keys
 * @param directory  cfg->clients Ed25519 public keys, directory[id - 1] for client id (borrowed;
 *                   outlives the client); obtained from the coordinator, never from the aggregator
 * @param train      local training data (borrowed; outlives the client)
 * @param test       held-out data for federated evaluation (borrowed; may be NULL)
 * @return CLAVE_OK, CLAVE_ERR_ARG, CLAVE_ERR_NOMEM
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_fl_client_new(
    const struct clave_fl_config *cfg, uint32_t id, const struct clave_pkey *identity,
    const struct clave_pkey *const *directory, const struct clave_ml_dataset *train,
    const struct clave_ml_dataset *test, struct clave_fl_client **out);

/** Free a client (wipes its secure-aggregation state). NULL is a no-op. */
CLAVE_API void clave_fl_client_free(struct clave_fl_client *c);

/**
 * Handle one message from the aggregator and produce the reply: MODEL(train) -> local training,
 * then UPDATE (plain), the first SECAGG message, or PAILLIER (the packed encrypted update; the
 * MODEL must name the key set by clave_fl_client_set_paillier_key, else CLAVE_ERR_KEY); SECAGG ->
 * the next SECAGG message; MODEL(eval) -> EVAL. Every input is validated (docs/formats/fl.md); a
 * rejected message changes nothing the client has committed to.
 * @return CLAVE_OK; CLAVE_ERR_FORMAT/TRUNCATED/TRAILING/TOO_LARGE/UNSUPPORTED (malformed),
 *         CLAVE_ERR_STATE (out of order), errors of training and of secure aggregation
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_fl_client_handle(struct clave_fl_client *c,
                                                             const uint8_t *in, size_t in_len,
                                                             uint8_t **out, size_t *out_len);

/**
 * PAILLIER: the federation's Paillier public key (the key holder's, CLHE binary or JSON of
 * docs/formats/paillier.md; borrowed bytes, copied). Like the directory it must come from the
 * coordinator or the key holder, never from the aggregator: an aggregator that could choose the
 * key could decrypt every update. Required before the first MODEL(train) in PAILLIER mode.
 * @return CLAVE_OK, CLAVE_ERR_ARG (not a PAILLIER federation, or the key's modulus is not
 *         cfg->paillier_bits, or the packing does not fit), errors of clave_he_pub_import
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_fl_client_set_paillier_key(struct clave_fl_client *c,
                                                                       const uint8_t *pub,
                                                                       size_t len);

/* ---- aggregator ----------------------------------------------------------------------------- */

typedef enum clave_fl_phase {
    CLAVE_FL_PHASE_IDLE = 0,
    CLAVE_FL_PHASE_TRAIN = 1,      /* MODEL(train) out; UPDATE or SECAGG round 1 in */
    CLAVE_FL_PHASE_SA_SHARE = 2,   /* SECAGG keys out, shares in */
    CLAVE_FL_PHASE_SA_MASKED = 3,  /* SECAGG forwarded shares out, masked inputs in */
    CLAVE_FL_PHASE_SA_UNMASK = 4,  /* SECAGG unmask request out, unmask shares in */
    CLAVE_FL_PHASE_EVAL = 5,       /* MODEL(eval) out, EVAL in */
    CLAVE_FL_PHASE_DONE = 6,       /* all rounds run, or the privacy budget is spent */
    CLAVE_FL_PHASE_HE_DECRYPT = 7, /* PAILLIER: updates summed; waiting for the key holder */
} clave_fl_phase;

/** What one round did. */
struct clave_fl_round_report {
    uint32_t round;    /* 1-based */
    uint32_t selected; /* clients asked to train */
    uint32_t reported; /* updates in the aggregate */
    uint32_t rejected; /* malformed, oversized, non-finite or out-of-order messages */
    double train_loss; /* weighted mean local training loss (NaN under DP: not released) */
    double eval_loss;  /* federated evaluation of the new model (NaN before evaluation) */
    double eval_accuracy;
    uint64_t eval_examples;
    double epsilon; /* cumulative epsilon after this round (0 without DP) */
    double delta;
    bool aborted; /* fewer than min_clients reported: the model is unchanged */
};

struct clave_fl_server;

/**
 * An aggregator for `cfg` with the initial model from cfg->seed. `directory` as for clients.
 * `ledger` and `key` (borrowed; may be NULL) receive one debit per DP round, made before the
 * round's aggregate is computed.
 * @return CLAVE_OK, CLAVE_ERR_ARG, CLAVE_ERR_NOMEM
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_fl_server_new(const struct clave_fl_config *cfg,
                                                          const struct clave_pkey *const *directory,
                                                          struct clave_dp_ledger *ledger,
                                                          const struct clave_dp_budget_key *key,
                                                          struct clave_fl_server **out);

/** Free the aggregator. NULL is a no-op. */
CLAVE_API void clave_fl_server_free(struct clave_fl_server *s);

/**
 * Start the next round: select clients_per_round clients (seeded), debit the round's epsilon
 * (DP), enter PHASE_TRAIN. Returns CLAVE_ERR_LIMIT (phase becomes DONE) when the round would
 * exceed dp_epsilon_budget or the ledger refuses the debit, CLAVE_ERR_STATE if not IDLE or DONE.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_fl_server_begin_round(struct clave_fl_server *s);

/** Start federated evaluation of the current model on all clients. CLAVE_ERR_STATE. */
CLAVE_API CLAVE_MUST_USE clave_status clave_fl_server_begin_eval(struct clave_fl_server *s);

/** The current phase. */
CLAVE_API clave_fl_phase clave_fl_server_phase(const struct clave_fl_server *s);

/** The clients asked to take part in the current phase, ascending, into `ids` (capacity `cap`). */
CLAVE_API CLAVE_MUST_USE clave_status clave_fl_server_participants(const struct clave_fl_server *s,
                                                                   uint32_t *ids, size_t cap,
                                                                   size_t *count);

/** The message for client `id` in the current phase. CLAVE_ERR_NOT_FOUND if it is not (or no
 * longer) taking part, CLAVE_ERR_STATE in IDLE/DONE. */
CLAVE_API CLAVE_MUST_USE clave_status clave_fl_server_message(struct clave_fl_server *s,
                                                              uint32_t id, uint8_t **msg,
                                                              size_t *len);

/**
 * Accept one client message (untrusted bytes) for the current phase. A rejected message
 * changes nothing and is counted in the round's `rejected`; the sender is dropped from the round.
 * @return CLAVE_OK, CLAVE_ERR_FORMAT/TRUNCATED/TRAILING/TOO_LARGE/UNSUPPORTED, CLAVE_ERR_STATE
 *         (wrong phase, session or round; sender not taking part), CLAVE_ERR_EXISTS (second
 *         message), CLAVE_ERR_ARG (update out of bounds or non-finite), secure aggregation errors,
 *         PAILLIER: CLAVE_ERR_KEY (another key), CLAVE_ERR_FORMAT/TOO_LARGE (vector of another
 *         plan, length, weight or size; a bad ciphertext or checksum)
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_fl_server_receive(struct clave_fl_server *s,
                                                              const uint8_t *msg, size_t len);

/**
 * Close the current phase with the messages received so far (late messages are ignored). At
 * the end of a round the aggregate is applied to the model (or the round aborts, model
 * unchanged, when fewer than min_clients reported) and the phase becomes IDLE (or DONE after the
 * last round); at the end of evaluation the metrics are filled in.
 * @return CLAVE_OK (including an aborted round: see the report), CLAVE_ERR_STATE
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_fl_server_close_phase(struct clave_fl_server *s);

/**
 * PAILLIER: the key holder's public key (as for clave_fl_client_set_paillier_key; copied). The
 * aggregator never holds the secret key. Required before clave_fl_server_begin_round.
 * @return CLAVE_OK, CLAVE_ERR_ARG, CLAVE_ERR_STATE (a round is open), errors of the import
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_fl_server_set_paillier_key(struct clave_fl_server *s,
                                                                       const uint8_t *pub,
                                                                       size_t len);

/**
 * PAILLIER, in PHASE_HE_DECRYPT: the AGGREGATE message for the key holder (docs/formats/fl.md):
 * the homomorphic sum of the round's accepted ciphertexts and how many clients it holds.
 * Caller frees `*msg`. CLAVE_ERR_STATE in any other phase.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_fl_server_keyholder_request(struct clave_fl_server *s,
                                                                        uint8_t **msg, size_t *len);

/**
 * PAILLIER, in PHASE_HE_DECRYPT: the key holder's SUM reply (untrusted bytes). On success the
 * aggregate is applied to the model and the round ends (phase IDLE or DONE). A malformed reply,
 * or one for another session/round/count, is rejected and changes nothing; the caller may then
 * close the phase (clave_fl_server_close_phase), which aborts the round with the model unchanged.
 * @return CLAVE_OK, CLAVE_ERR_STATE, CLAVE_ERR_FORMAT/TRUNCATED/TRAILING/TOO_LARGE/UNSUPPORTED
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_fl_server_keyholder_reply(struct clave_fl_server *s,
                                                                      const uint8_t *msg,
                                                                      size_t len);

/** The report of the last round (valid after its close). */
CLAVE_API struct clave_fl_round_report clave_fl_server_report(const struct clave_fl_server *s);

/** The global model (owned by the server; valid until the next close or free). */
CLAVE_API struct clave_ml_model *clave_fl_server_model(struct clave_fl_server *s);

/* ---- Paillier key holder -------------------------------------------------------------------- */

/*
 * The key holder of a PAILLIER federation: a component distinct from the aggregator (in
 * `clave fl run --processes`, a process of its own) that generates the run's Paillier key, gives
 * out the public key, and decrypts only AGGREGATE messages: one per round, rounds strictly
 * increasing, for one session, summing between min_clients and clients_per_round updates in the
 * federation's packing. It returns the sum and sees nothing else. Threat model: docs/fl.md.
 */
struct clave_fl_keyholder;

/**
 * Generate the run's key (cfg->paillier_bits, OpenSSL primes; the secret key stays in this
 * object and is wiped on free).
 * @return CLAVE_OK, CLAVE_ERR_ARG (not a PAILLIER configuration), errors of clave_he_keygen
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_fl_keyholder_new(const struct clave_fl_config *cfg,
                                                             struct clave_fl_keyholder **out);

/** Wipe the key and free. NULL is a no-op. */
CLAVE_API void clave_fl_keyholder_free(struct clave_fl_keyholder *k);

/** The public key in the CLHE binary format (docs/formats/paillier.md). Caller frees `*out`. */
CLAVE_API CLAVE_MUST_USE clave_status
clave_fl_keyholder_public_key(const struct clave_fl_keyholder *k, uint8_t **out, size_t *len);

/**
 * Decrypt one AGGREGATE message (untrusted bytes) into a SUM reply (docs/formats/fl.md). Refused
 * (nothing decrypted): malformed messages, another session than the first one seen, a round not
 * above the last one decrypted or beyond cfg->rounds, a count outside min_clients..
 * clients_per_round or different from the vector's weight, a vector of another shape or packing.
 * Caller frees `*out`.
 * @return CLAVE_OK, CLAVE_ERR_FORMAT/TRUNCATED/TRAILING/TOO_LARGE/UNSUPPORTED, CLAVE_ERR_STATE
 *         (session or round), CLAVE_ERR_ARG (count), CLAVE_ERR_KEY, CLAVE_ERR_LIMIT (overflow)
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_fl_keyholder_handle(struct clave_fl_keyholder *k,
                                                                const uint8_t *in, size_t in_len,
                                                                uint8_t **out, size_t *out_len);

/* ---- in-process simulation ------------------------------------------------------------------ */

/** Misbehaviour of simulated clients, for tests. */
struct clave_fl_sim_faults {
    double dropout;     /* fraction of the selected clients that train but never report */
    uint32_t malicious; /* clients 1..malicious send a malformed or oversized message */
    uint32_t silent;    /* clients malicious+1..malicious+silent train but never report */
};

struct clave_fl_sim;

/**
 * N = cfg->clients clients (fresh Ed25519 identities) over `train[0..N-1]` and `test[0..N-1]`
 * (borrowed; `test` may be NULL) and one aggregator, all in this process, exchanging encoded
 * messages. `ledger`/`key` as for clave_fl_server_new. CLAVE_ERR_ARG, CLAVE_ERR_NOMEM.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_fl_sim_new(const struct clave_fl_config *cfg,
                                                       struct clave_ml_dataset *const *train,
                                                       struct clave_ml_dataset *const *test,
                                                       const struct clave_fl_sim_faults *faults,
                                                       struct clave_dp_ledger *ledger,
                                                       const struct clave_dp_budget_key *key,
                                                       struct clave_fl_sim **out);

/** Free the simulation. NULL is a no-op. */
CLAVE_API void clave_fl_sim_free(struct clave_fl_sim *sim);

/**
 * Run one round (selection, local training, protected aggregation with dropouts and hostile
 * clients as configured) and a federated evaluation when `evaluate`. `seconds` (may be NULL)
 * gets the round's wall time and `secagg_seconds` (may be NULL) the part spent in secure
 * aggregation (clients and aggregator, training excluded), or under PAILLIER in the key holder's
 * step (AGGREGATE out, decryption, SUM applied; the clients' encryption counts as training).
 * Under PAILLIER the simulation holds a clave_fl_keyholder of its own.
 * @return CLAVE_OK (see report->aborted), CLAVE_ERR_LIMIT (the budget is spent: nothing ran),
 *         CLAVE_ERR_STATE (all rounds done), other errors of the parts
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_fl_sim_round(struct clave_fl_sim *sim, bool evaluate,
                                                         struct clave_fl_round_report *report,
                                                         double *seconds, double *secagg_seconds);

/** The aggregator's global model (owned by the simulation). */
CLAVE_API struct clave_ml_model *clave_fl_sim_model(struct clave_fl_sim *sim);

/* ---- simulation configuration (clave fl run) ------------------------------------------------ */

#define CLAVE_FL_PATH_MAX 1024

/** A whole simulation: the federation, where the data come from, and how clients misbehave. */
struct clave_fl_run_spec {
    struct clave_fl_config cfg;
    char name[128];                      /* budget key and reports */
    char data_format[16];                /* "csv" or "idx" */
    char data_path[CLAVE_FL_PATH_MAX];   /* the CSV file, or the IDX image file */
    char labels_path[CLAVE_FL_PATH_MAX]; /* the IDX label file */
    clave_ml_csv_header header;          /* CSV header (default sklearn) */
    uint32_t max_rows;                   /* rows read at most */
    double test_fraction;                /* held out on each client */
    double alpha;                        /* 0: IID, > 0: Dirichlet label skew */
    bool standardize;                    /* default: true for CSV */
    struct clave_fl_sim_faults faults;
    uint32_t eval_every;            /* federated evaluation every k rounds (0: last only) */
    char ledger[CLAVE_FL_PATH_MAX]; /* SQLite DP budget ledger, or "" */
};

/**
 * Parse a simulation configuration (JSON, at most 1 MiB, docs/fl.md "Configuration"). Unknown
 * keys and out-of-range values fail with CLAVE_ERR_JSON naming the field. The model's `inputs`
 * (and `classes` for CSV) are filled in by the caller from the data; clave_fl_config_check
 * is not run here.
 * @return CLAVE_OK, CLAVE_ERR_JSON, CLAVE_ERR_TOO_LARGE, CLAVE_ERR_ARG
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_fl_run_spec_parse(const char *text, size_t len,
                                                              struct clave_fl_run_spec *run);

/* ---- FL contracts (computation kind "fl", run by the coordinator) --------------------------- */

#define CLAVE_FL_DEFAULT_ROUND_TIMEOUT_S 30u
#define CLAVE_FL_MAX_ROUND_TIMEOUT_S 3600u

/** What an FL contract's computation.spec says (docs/fl.md "FL contracts"). */
struct clave_fl_contract_spec {
    struct clave_fl_run_spec run; /* cfg (model.inputs included), name, data header,
                                     test_fraction, standardize, rows, eval_every; no data path,
                                     ledger or simulated faults */
    uint32_t round_timeout_s;     /* a phase closes after this many seconds without all answers */
    bool tee; /* protection "tee": the aggregator is clave-runner fl inside an attested TEE
                 (run.cfg.protection is then PLAIN: updates go in the clear over RA-TLS) */
    char key_holder[65]; /* PAILLIER: the member party that holds the run's key, else "" */
};

/**
 * Parse the canonical CBOR `computation.spec` of an FL contract (borrowed; a JSON-model map
 * without floats: decimals as strings such as "0.05"), and check the federation
 * (clave_fl_config_check). Contracts require protection "secagg" (the coordinator must see only
 * masked updates) or "paillier" with `key_holder` naming the party that decrypts the per-round
 * sums (the coordinator sees only ciphertexts), and DP mode "none" or "distributed". Errors name
 * the field ("spec.local. learning_rate: ...").
 * @return CLAVE_OK, CLAVE_ERR_JSON, CLAVE_ERR_ARG, CLAVE_ERR_CBOR/FORMAT/LIMIT (bad CBOR)
 */
CLAVE_API CLAVE_MUST_USE clave_status
clave_fl_contract_spec_parse(const uint8_t *spec, size_t len, struct clave_fl_contract_spec *out);

struct clave_contract;

/**
 * The FL spec of a contract (borrowed; kind must be "fl"), as clave_fl_contract_spec_parse, but
 * also accepting protection "tee" when the contract lists accepted workloads (reference
 * values): aggregation inside an attested clave-runner (docs/fl.md "Aggregation in an attested
 * runner"), which allows robust aggregation (median, trimmed mean) and DP mode "central";
 * out->tee says which. Only the attested runner and its clients may call this one: the
 * coordinator keeps clave_fl_contract_spec_parse, which refuses "tee".
 * @return as clave_fl_contract_spec_parse; CLAVE_ERR_ARG for another kind or "tee" without
 *         workloads
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_fl_contract_spec_of(
    const struct clave_contract *contract, struct clave_fl_contract_spec *out);

/**
 * Peek at the header of an FL message (untrusted bytes, docs/formats/fl.md): its sender or
 * addressee `client` and `round`. Only the 32-byte header is read and checked (magic, version,
 * type, reserved, client id range); the body is left to clave_fl_server_receive.
 * @return CLAVE_OK, CLAVE_ERR_TRUNCATED, CLAVE_ERR_FORMAT, CLAVE_ERR_UNSUPPORTED, CLAVE_ERR_ARG
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_fl_message_peek(const uint8_t *msg, size_t len,
                                                            uint32_t *client, uint32_t *round);

/* ---- client-key statements (docs/formats/fl.md "Client-key statement") ---------------------- */

/** Raw Ed25519 client key, contract id, and the largest statement (bytes). */
#define CLAVE_FL_CLIENT_KEY_LEN 32
#define CLAVE_FL_CONTRACT_ID_LEN 32
#define CLAVE_FL_CLIENT_CERT_MAX_LEN 1024u
/** The COSE external AAD of a client-key statement (domain separation). */
#define CLAVE_FL_CLIENT_CERT_AAD "clave-fl-client-key-v1"

/** What a client-key statement says (a transparent value struct; pointers borrowed). */
struct clave_fl_client_claim {
    const char *collaboration; /* the contract's collaboration, [A-Za-z0-9_-]{1,64} */
    const uint8_t *contract;   /* CLAVE_FL_CONTRACT_ID_LEN bytes: the FL contract's id */
    const char *party;         /* the client's party, [A-Za-z0-9_-]{1,64} */
    const uint8_t *client_key; /* CLAVE_FL_CLIENT_KEY_LEN bytes: the raw Ed25519 client key */
};

/**
 * Certify `claim` with `identity` (the party's private identity key, Ed25519 or P-256; borrowed):
 * a tagged COSE_Sign1 into `*out` (caller frees with free()). Thread-safe.
 * @return CLAVE_OK, CLAVE_ERR_ARG (a field out of range, no private key), CLAVE_ERR_KEY
 */
CLAVE_API CLAVE_MUST_USE clave_status
clave_fl_client_cert_sign(const struct clave_fl_client_claim *claim,
                          const struct clave_pkey *identity, uint8_t **out, size_t *out_len);

/**
 * For identity keys in a token (PKCS#11): the COSE Sig_structure bytes that `alg`
 * (CLAVE_COSE_ALG_EDDSA or CLAVE_COSE_ALG_ES256) must sign, into `*out` (caller frees).
 * @return CLAVE_OK, CLAVE_ERR_ARG, CLAVE_ERR_UNSUPPORTED (alg)
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_fl_client_cert_signing_input(
    const struct clave_fl_client_claim *claim, int64_t alg, uint8_t **out, size_t *out_len);

/**
 * Wrap a token's raw 64-byte signature (Ed25519, or P-256 r||s) over the signing input into the
 * statement, verified under `identity_spki` (DER SubjectPublicKeyInfo, borrowed) before it is
 * returned in `*out` (caller frees). CLAVE_ERR_SIGNATURE if it does not verify.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_fl_client_cert_assemble(
    const struct clave_fl_client_claim *claim, int64_t alg, const uint8_t *identity_spki,
    size_t identity_spki_len, const uint8_t *signature, size_t signature_len, uint8_t **out,
    size_t *out_len);

/**
 * Verify that `statement` (untrusted, borrowed) certifies exactly `claim` under the party's
 * identity key `identity_spki` (DER SubjectPublicKeyInfo from a membership the caller verified;
 * borrowed). Thread-safe.
 * @return CLAVE_OK; CLAVE_ERR_SIGNATURE (wrong key, or a statement for another key, party,
 *         contract or collaboration), CLAVE_ERR_KEY, CLAVE_ERR_ARG, or a COSE decoding error
 *         (CLAVE_ERR_CBOR/FORMAT/TRUNCATED/TRAILING/TOO_LARGE/UNSUPPORTED)
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_fl_client_cert_verify(
    const uint8_t *statement, size_t len, const struct clave_fl_client_claim *claim,
    const uint8_t *identity_spki, size_t identity_spki_len);

/* ---- attested aggregator: control frames (clave-runner fl <-> clave fl join --aggregator) --- */

/** Version byte of the control frames (FL messages keep CLAVE_FL_VERSION). 2: HELLO carries a
 * challenge and the client answers with JOIN. */
#define CLAVE_FL_CONTROL_VERSION 2
#define CLAVE_FL_CHALLENGE_LEN 32
#define CLAVE_FL_HELLO_LEN 84
#define CLAVE_FL_END_LEN 16
/** Longest JOIN frame: header, party (<= 64 bytes), a COSE_Sign1 of <= 384 bytes. */
#define CLAVE_FL_JOIN_MAX_LEN 512u
/** Longest party id in a JOIN (the contract's identifier rule: [A-Za-z0-9._:-]{1,64}). */
#define CLAVE_FL_PARTY_MAX 64
/** The COSE external AAD of a JOIN statement (domain separation from every other statement). */
#define CLAVE_FL_JOIN_AAD "clave fl tee join v1"

/** Why the attested aggregator ended the federation (the END frame). */
typedef enum clave_fl_end_reason {
    CLAVE_FL_END_DONE = 0,   /* all rounds run */
    CLAVE_FL_END_BUDGET = 1, /* the privacy budget is spent: training stopped */
    CLAVE_FL_END_FAILED = 2, /* the aggregator failed */
} clave_fl_end_reason;

/** The first frame on a client's link: the contract served, this client's id, and a fresh
 * challenge the client's JOIN must sign. */
struct clave_fl_hello {
    uint8_t contract_id[CLAVE_FL_CONTRACT_ID_LEN];
    uint32_t client;                           /* 1..clients */
    uint32_t clients;                          /* 1..CLAVE_FL_MAX_CLIENTS */
    uint32_t rounds;                           /* >= 1 */
    uint8_t challenge[CLAVE_FL_CHALLENGE_LEN]; /* random, per connection (clave_random) */
};

/** Whether `msg` (borrowed) starts with the control-frame magic "CLFA" (FL messages: "CLFL"). */
CLAVE_API bool clave_fl_is_control(const uint8_t *msg, size_t len);

/**
 * Encode / parse a HELLO frame (docs/formats/fl.md "Control frames"). Parsing reads untrusted
 * bytes: magic, version, type, reserved zero, exact length, 1 <= client <= clients <= 1024,
 * rounds >= 1. `out` is zeroed on failure.
 * @return CLAVE_OK, CLAVE_ERR_ARG (encode: bad values), CLAVE_ERR_FORMAT/TRUNCATED/TRAILING/
 *         UNSUPPORTED (parse)
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_fl_hello_encode(const struct clave_fl_hello *h,
                                                            uint8_t out[CLAVE_FL_HELLO_LEN]);
CLAVE_API CLAVE_MUST_USE clave_status clave_fl_hello_parse(const uint8_t *msg, size_t len,
                                                           struct clave_fl_hello *out);

/**
 * Encode / parse an END frame: the rounds run and the reason. Parse as for HELLO (reason must
 * be known); on failure *rounds = 0 and *reason = CLAVE_FL_END_FAILED.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_fl_end_encode(uint32_t rounds,
                                                          clave_fl_end_reason reason,
                                                          uint8_t out[CLAVE_FL_END_LEN]);
CLAVE_API CLAVE_MUST_USE clave_status clave_fl_end_parse(const uint8_t *msg, size_t len,
                                                         uint32_t *rounds,
                                                         clave_fl_end_reason *reason);

/**
 * What a JOIN statement binds (docs/formats/fl.md "Control frames"): the party, the challenge of
 * the HELLO it answers, the SHA-256 of the runner's RA-TLS certificate DER as the client saw it
 * (the attested channel), the contract id and the client id of that HELLO. All borrowed.
 */
struct clave_fl_join_claim {
    const char *party;          /* [A-Za-z0-9._:-]{1,CLAVE_FL_PARTY_MAX} */
    const uint8_t *challenge;   /* CLAVE_FL_CHALLENGE_LEN bytes */
    const uint8_t *cert_sha256; /* 32 bytes */
    const uint8_t *contract;    /* CLAVE_FL_CONTRACT_ID_LEN bytes */
    uint32_t client;            /* 1..CLAVE_FL_MAX_CLIENTS */
};

/**
 * Make a JOIN frame: the party and a tagged COSE_Sign1 by `identity` (private, Ed25519 or P-256,
 * borrowed) with external AAD CLAVE_FL_JOIN_AAD over the canonical CBOR map of `claim`. `*out`
 * (caller frees) is at most CLAVE_FL_JOIN_MAX_LEN bytes. Thread-safe.
 * @return CLAVE_OK, CLAVE_ERR_ARG (bad claim, public key only), CLAVE_ERR_KEY (key type),
 *         CLAVE_ERR_NOMEM, CLAVE_ERR_CRYPTO
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_fl_join_encode(const struct clave_fl_join_claim *claim,
                                                           const struct clave_pkey *identity,
                                                           uint8_t **out, size_t *out_len);

/**
 * JOIN with the identity key in a token (PKCS#11: the process never holds it). First the exact
 * bytes the token signs: the COSE Sig_structure of the statement clave_fl_join_encode would
 * make for `claim` under algorithm `alg` (CLAVE_COSE_ALG_EDDSA or CLAVE_COSE_ALG_ES256); `*out`
 * caller frees. Then clave_fl_join_assemble wraps the token's raw signature (64 bytes: Ed25519,
 * or ES256 r || s) into the JOIN frame, after checking it under the party's public key
 * `identity_spki` (DER SubjectPublicKeyInfo, borrowed), so a wrong key or a signature over
 * something else never leaves the client. Thread-safe.
 * @return CLAVE_OK, CLAVE_ERR_ARG, CLAVE_ERR_UNSUPPORTED (alg), CLAVE_ERR_NOMEM; assemble also
 *         CLAVE_ERR_SIGNATURE and the errors of clave_fl_join_verify
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_fl_join_signing_input(
    const struct clave_fl_join_claim *claim, int64_t alg, uint8_t **out, size_t *out_len);
CLAVE_API CLAVE_MUST_USE clave_status clave_fl_join_assemble(
    const struct clave_fl_join_claim *claim, int64_t alg, const uint8_t *identity_spki,
    size_t identity_spki_len, const uint8_t *signature, size_t signature_len, uint8_t **out,
    size_t *out_len);

/**
 * Read a JOIN frame (untrusted, borrowed): header (control version, type JOIN), the party id
 * (copied NUL-terminated into `party`, checked against the identifier rule, so it may be
 * printed) and the statement (`*statement` points into `msg`). No signature is checked here.
 * On failure party is "" and *statement NULL. Thread-safe.
 * @return CLAVE_OK, CLAVE_ERR_FORMAT/TRUNCATED/TRAILING/TOO_LARGE/UNSUPPORTED, CLAVE_ERR_ARG
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_fl_join_parse(const uint8_t *msg, size_t len,
                                                          char party[CLAVE_FL_PARTY_MAX + 1],
                                                          const uint8_t **statement,
                                                          size_t *statement_len);

/**
 * Verify a JOIN statement (from clave_fl_join_parse; untrusted, borrowed) under the party's
 * identity key `identity_spki` (DER SubjectPublicKeyInfo from the verified contract; borrowed)
 * against `expected`, the claim the verifier builds itself: the party the frame names, ITS
 * challenge, ITS certificate's SHA-256, its contract id and the client id it gave. The payload
 * is never decoded: the expected one is encoded and compared byte for byte. Thread-safe.
 * @return CLAVE_OK; CLAVE_ERR_SIGNATURE (the signature does not verify under that key),
 *         CLAVE_ERR_STATE (it verifies but binds another challenge, channel, contract, client
 *         or party: a replayed or relayed JOIN), CLAVE_ERR_KEY, CLAVE_ERR_ARG, or a COSE
 *         decoding error (CLAVE_ERR_CBOR/FORMAT/TRUNCATED/TRAILING/TOO_LARGE/UNSUPPORTED)
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_fl_join_verify(
    const uint8_t *statement, size_t len, const struct clave_fl_join_claim *expected,
    const uint8_t *identity_spki, size_t identity_spki_len);

/* ---- key-holder statements (docs/formats/fl.md "Key-holder statement") ---------------------- */

/** The COSE external AAD of a key-holder statement (domain separation from client-key ones). */
#define CLAVE_FL_KEYHOLDER_CERT_AAD "clave-fl-keyholder-key-v1"

/** What a statement certifies: a client's Ed25519 key (claim.client_key is the raw key), or the
 * Paillier public key of a PAILLIER federation (claim.client_key is its SHA-256,
 * clave_fl_keyholder_key_digest, and claim.party the contract's key_holder). */
typedef enum clave_fl_statement_kind {
    CLAVE_FL_STATEMENT_CLIENT_KEY = 1,
    CLAVE_FL_STATEMENT_KEYHOLDER_KEY = 2,
} clave_fl_statement_kind;

/** The key-holder claim's 32 bytes: SHA-256 of the serialized Paillier public key `pub` (CLHE
 * binary, as given to clave_fl_client_set_paillier_key; borrowed). CLAVE_OK, CLAVE_ERR_ARG. */
CLAVE_API CLAVE_MUST_USE clave_status clave_fl_keyholder_key_digest(
    const uint8_t *pub, size_t len, uint8_t digest[CLAVE_FL_CLIENT_KEY_LEN]);

/** clave_fl_client_cert_sign for a statement of `kind` (CLAVE_ERR_ARG for an unknown kind). */
CLAVE_API CLAVE_MUST_USE clave_status
clave_fl_statement_sign(clave_fl_statement_kind kind, const struct clave_fl_client_claim *claim,
                        const struct clave_pkey *identity, uint8_t **out, size_t *out_len);

/** clave_fl_client_cert_signing_input for a statement of `kind`. */
CLAVE_API CLAVE_MUST_USE clave_status clave_fl_statement_signing_input(
    clave_fl_statement_kind kind, const struct clave_fl_client_claim *claim, int64_t alg,
    uint8_t **out, size_t *out_len);

/** clave_fl_client_cert_assemble for a statement of `kind`. */
CLAVE_API CLAVE_MUST_USE clave_status clave_fl_statement_assemble(
    clave_fl_statement_kind kind, const struct clave_fl_client_claim *claim, int64_t alg,
    const uint8_t *identity_spki, size_t identity_spki_len, const uint8_t *signature,
    size_t signature_len, uint8_t **out, size_t *out_len);

/** clave_fl_client_cert_verify for a statement of `kind`: a statement of the other kind never
 * verifies (another external AAD). Thread-safe. */
CLAVE_API CLAVE_MUST_USE clave_status
clave_fl_statement_verify(clave_fl_statement_kind kind, const uint8_t *statement, size_t len,
                          const struct clave_fl_client_claim *claim, const uint8_t *identity_spki,
                          size_t identity_spki_len);

#ifdef __cplusplus
}
#endif
#endif
