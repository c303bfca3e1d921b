/* SPDX-License-Identifier: Apache-2.0 */
/* clave-runner: shared state of one run (run.c drives it; docs/runner.md). */
#ifndef RUNNER_RUNNER_H
#define RUNNER_RUNNER_H

#include "broker.h"
#include "job.h"
#include "sandbox.h"
#include "train.h"

#include <clave/clave.h>

#define RUNNER_OUTPUTS_MAX 64
#define RUNNER_DEBITS_MAX 512
#define RUNNER_RECIPIENTS_MAX 64
#define RUNNER_DATASETS_MAX (RUNNER_TABLES_MAX * RUNNER_TABLE_DATASETS_MAX)

struct runner_opts {
    const char *server, *cacert, *bundle, *job, *out_dir;
    const char *format;          /* evidence format: snp (default) or nitro */
    const char *sim_dir;         /* simulated TEE dev keys; NULL: collect from hardware */
    const char *sim_measurement; /* hex; default: SHA-384 of this executable */
    const char *hold;            /* tests: wait for this file after the datasets are open */
    const char *listen;          /* fl: host:port the aggregator serves its clients on */
    long wait_s;                 /* fl: how long to wait for all clients to connect */
    bool no_mlock, no_seccomp, json;
};

/* A dataset's plaintext, in (locked) memory only. */
struct runner_plain {
    const char *id;               /* borrowed from the job */
    const char *owner;            /* party, from the contract */
    const uint8_t *sealed_sha256; /* from the contract */
    uint8_t *data;
    size_t len;
};

/* A result (plaintext in memory until it is encrypted to the recipients). */
struct runner_output {
    char name[RUNNER_NAME_MAX + 16];
    const char *content_type;
    uint8_t *data;
    size_t len;
    uint8_t sha256[32];
};

struct runner_query_rules;

struct runner_debit {
    char what[RUNNER_NAME_MAX + 16]; /* the output it pays for */
    const char *mechanism;
    const char *party, *dataset;
    double epsilon, delta;
    int64_t id;
};

struct runner {
    struct runner_opts opts;
    struct runner_sandbox_state sandbox;
    uint8_t measurement[48];
    struct clave_contract *contract;
    char contract_hex[65];
    struct runner_job job;
    struct clave_query *queries[RUNNER_QUERIES_MAX]; /* parsed and checked before any key */
    struct runner_query_rules *query_rules; /* the schemas and rules they were checked by */
    size_t query_count;
    struct runner_broker *broker;
    struct clave_jwk *tee;
    struct runner_attestation att;
    struct runner_plain plain[RUNNER_DATASETS_MAX];
    size_t plain_count;
    struct runner_output outputs[RUNNER_OUTPUTS_MAX];
    size_t output_count;
    struct runner_debit debits[RUNNER_DEBITS_MAX];
    size_t debit_count;
    json_t *log; /* the public run log (run.json): phases, timings, sizes, hashes, debits */
    double started, release_started; /* monotonic seconds (runner_now) */
};

/* Narrative line on stderr (the host sees it: never data, only what happened). */
/* Monotonic seconds. */
double runner_now(void);

void runner_say(const struct runner *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Phases (run.c, data.c, query.c, output.c). Each prints its own error. */
clave_status runner_run(struct runner *r);
/* The steps every mode starts with (run.c): sandbox, a contract bundle active now (r->contract,
 * r->contract_hex), attestation to the broker bound to that contract (r->tee, r->att). */
clave_status runner_harden(struct runner *r);
clave_status runner_check_contract(struct runner *r);
clave_status runner_attest(struct runner *r);
/* A file of at most 4 MiB into a new buffer (caller frees); prints why not. */
clave_status runner_read_small(const char *path, uint8_t **out, size_t *len);
/* Record the seconds since `started` as phase `name` of the run log. */
void runner_phase(struct runner *r, const char *name, double started);
/* clave-runner fl (fl_agg.c): the aggregator of an FL contract with protection "tee". */
clave_status runner_fl(struct runner *r);
/* The measurement evidence claims: --sim-measurement or this executable's (48 bytes). */
clave_status runner_claimed_measurement(const struct runner *r, uint8_t out[48]);
clave_status runner_fetch_datasets(struct runner *r);
/* The contract's entry for dataset `id` into `out`; false if the contract does not name it. */
bool runner_contract_dataset(const struct runner *r, const char *id,
                             struct clave_contract_dataset *out);
clave_status runner_train_step(struct runner *r);
clave_status runner_infer_check(struct runner *r);
clave_status runner_infer_step(struct runner *r);
const struct runner_plain *runner_plain_of(const struct runner *r, const char *dataset);
clave_status runner_queries_check(struct runner *r);
clave_status runner_queries_run(struct runner *r);
void runner_queries_free(struct runner *r);
/* Debit (epsilon, delta) from the owner of each dataset for output `what`. */
clave_status runner_debit_datasets(struct runner *r, const char *const *datasets, size_t n,
                                   const char *what, const char *mechanism, double epsilon,
                                   double delta);
clave_status runner_add_output(struct runner *r, const char *name, const char *content_type,
                               uint8_t *data, size_t len);
clave_status runner_release(struct runner *r);
void runner_free(struct runner *r);

#endif
