/* SPDX-License-Identifier: Apache-2.0 */
/* clave fl: data loading (fl_data.c) shared with the command (fl.c). */
#ifndef CLAVE_CLI_FL_H
#define CLAVE_CLI_FL_H

#include "cli.h"
#include "remote.h"

#define FL_CLI_MAX_CONFIG ((size_t)1 << 20)
#define FL_CLI_MAX_DATA ((size_t)1 << 30)

struct fl_cli_data {
    size_t clients;
    size_t rows;
    struct clave_ml_dataset **train;
    struct clave_ml_dataset **test;
};

/* Load run->data_path, split off the test sets, standardise, partition over the clients; fills
 * the model's inputs (and classes) into run->cfg. */
clave_status fl_cli_load(struct clave_fl_run_spec *run, struct fl_cli_data *d);

/* A joining party's own rows under the contract's run spec (`contract_run`, borrowed): read as
 * one client (held-out part split off, standardised locally) and checked against the contract's
 * feature count. Returns 0, or a CLI exit status after printing why. */
int fl_cli_load_party(const struct clave_fl_run_spec *contract_run, const char *path,
                      struct fl_cli_data *d);
void fl_cli_data_free(struct fl_cli_data *d);

/* --processes (fl_proc.c): every client in its own process behind a socketpair. */
struct fl_proc;
clave_status fl_proc_new(const struct clave_fl_run_spec *run, const struct fl_cli_data *d,
                         struct clave_dp_ledger *ledger, const struct clave_dp_budget_key *key,
                         struct fl_proc **out);
void fl_proc_free(struct fl_proc *p);
clave_status fl_proc_round(struct fl_proc *p, bool evaluate, struct clave_fl_round_report *report,
                           double *seconds, double *secagg_seconds);
struct clave_ml_model *fl_proc_model(struct fl_proc *p);

/* clave fl join (fl_join.c) and clave fl status (fl_status.c), over the coordinator. */
int fl_join(int argc, char **argv);
int fl_status(int argc, char **argv);
/* Client keys certified by party identity keys (fl_keys.c). The collaboration's membership,
 * fetched from the coordinator and verified here (every statement replayed; each contract
 * signer that is a member holds the key it signed `c` with); prints why on failure. */
struct clave_collab;
int fl_cli_membership(const struct cli_session *s, const struct clave_contract *c,
                      struct clave_collab **out);
/* Directory entry `client` (party, raw key, client-key statement) checked against `m`: the key
 * is certified by the party's identity key for contract `c`; prints an error naming the party. */
int fl_cli_check_entry(const struct clave_collab *m, const struct clave_contract *c,
                       uint32_t client, const char *party, const uint8_t *key, size_t key_len,
                       const uint8_t *statement, size_t statement_len);
/* PAILLIER: the directory's "key_holder" entry checked against `m`: from the contract's
 * `key_holder` party, its Paillier key certified by that party's identity key for `c` (a
 * key-holder statement); `*pub` gets the key (caller frees). Prints an error naming the party. */
int fl_cli_check_keyholder(const struct clave_collab *m, const struct clave_contract *c,
                           const char *key_holder, const json_t *entry, uint8_t **pub,
                           size_t *pub_len);
int fl_certify(int argc, char **argv);
/* The token path of a signature made outside this process (a PKCS#11 token): write `tbs` to
 * `signing_input`, then wait up to `wait_ms` for the raw signature in `raw_signature` (removed
 * first: only a signature over this input counts) and read it (`*sig`, caller frees). `who`
 * prefixes the messages, which go to stderr. CLAVE_ERR_NOT_FOUND when none came in time. */
clave_status fl_cli_token_signature(const char *who, const uint8_t *tbs, size_t tbs_len,
                                    const char *signing_input, const char *raw_signature,
                                    long wait_ms, uint8_t **sig, size_t *sig_len);
/* "EdDSA" or "ES256" as a COSE algorithm (else prints why: CLAVE_ERR_ARG). */
clave_status fl_cli_parse_alg(const char *alg, int64_t *out);
/* clave fl keyholder (fl_keyholder.c): the key holder of a paillier FL contract. */
int fl_keyholder(int argc, char **argv);
/* GET `path` as JSON with status `want` (else prints why, naming `what`). */
int fl_cli_get_json(const struct cli_session *s, const char *what, const char *path, long want,
                    json_t **out);
/* FL contract `contract` fetched and verified here (bundle signatures, this id, active now, kind
 * fl) with its spec; prints why on failure. Caller frees `*out`. */
int fl_cli_contract_load(const struct cli_session *s, const char *contract,
                         struct clave_contract **out, struct clave_fl_contract_spec *spec);
/* `id` is 64 lowercase hex digits (else prints why). */
bool fl_cli_contract_ok(const char *id);
/* One round of the coordinator's history (a status "history" row) as text or a JSON line. */
void fl_cli_print_row(const json_t *row, json_int_t rounds, bool json);

#endif
