/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The runner's side of the key broker (docs/kbs.md): RCAR over HTTPS with the workload bound to
 * one contract, dataset keys and sealed blobs, budget debits and result anchoring. Every answer
 * is untrusted input: bounded, parsed with the JSON reader, and a refusal is reported with the
 * broker's status and reason.
 */
#ifndef RUNNER_BROKER_H
#define RUNNER_BROKER_H

#include <clave/clave.h>

struct runner_broker;

/* What attestation produced (owned by the broker; valid until runner_broker_close). */
struct runner_attestation {
    const char *token;       /* EAR JWT */
    const uint8_t *evidence; /* the evidence sent */
    size_t evidence_len;
    const char *format;       /* "snp", "nitro", ... */
    const char *runtime_data; /* the runtime-data JSON {nonce, tee-pubkey}, sorted, compact */
    uint8_t report_data[CLAVE_KBS_REPORT_DATA_LEN];
};

/* How evidence is produced: simulated (dev keys in sim_dir, NO HARDWARE PROTECTION) or the
 * first TEE device found. */
struct runner_evidence_source {
    const char *format;         /* "snp", "nitro" (sim: the format the dev keys emit), "tdx" */
    const char *sim_dir;        /* NULL: real collection (clave_attest_collect) */
    const uint8_t *measurement; /* sim: the measurement to claim (48 bytes) */
};

clave_status runner_broker_open(const char *server, const char *cacert, struct runner_broker **out);
void runner_broker_close(struct runner_broker *b);

/* After a refusal (CLAVE_ERR_AUTH): the HTTP status, the error code ("policy_denied",
 * "budget_exhausted", ...) and the broker's reason, for messages. */
long runner_broker_status(const struct runner_broker *b);
const char *runner_broker_code(const struct runner_broker *b);
const char *runner_broker_reason(const struct runner_broker *b);

/* auth + attest with the TEE key `tee` (private; its public half goes into the runtime data) and
 * report data bound to `contract_id` (32 bytes). CLAVE_ERR_AUTH when the broker refuses (every
 * call). */
clave_status runner_broker_attest(struct runner_broker *b, const struct runner_evidence_source *src,
                                  const struct clave_jwk *tee, const uint8_t *contract_id,
                                  struct runner_attestation *out);

/* The data key of dataset `id` (decrypted with `tee`), and its sealed blob (at most `max`). */
clave_status runner_broker_dataset_key(struct runner_broker *b, const char *collab, const char *id,
                                       const struct clave_jwk *tee, struct clave_secret **dek);
clave_status runner_broker_sealed(struct runner_broker *b, const char *collab, const char *id,
                                  size_t max, uint8_t **blob, size_t *len);

/* The registered public JWKs of recipient `party` the broker serves (GET .../recipient/<party>):
 * *keys gets a new JSON array reference (caller decrefs). Untrusted: the caller checks each key
 * against the contract (clave_kbs_recipient_key_named) before encrypting to it. */
clave_status runner_broker_recipient_keys(struct runner_broker *b, const char *collab,
                                          const char *party, json_t **keys);

/* Debit (epsilon, delta) from every (datasets[i], parties[i]), i < n, at once, all or nothing
 * (POST /kbs/v0/budget/debits, at most 128); ids[i] gets each record id. A refusal charges no
 * one (runner_broker_status 403, code budget_exhausted or policy_denied). */
clave_status runner_broker_debits(struct runner_broker *b, const char *contract_hex,
                                  const char *const *datasets, const char *const *parties, size_t n,
                                  double epsilon, double delta, const char *what, int64_t *ids);

/* Anchor a signed receipt (POST /kbs/v0/result). *proof and *sth get the inclusion-proof and
 * signed-tree-head JSON texts of its ledger entry (caller frees). */
clave_status runner_broker_anchor(struct runner_broker *b, const uint8_t *receipt, size_t len,
                                  char **proof, char **sth);

#endif
