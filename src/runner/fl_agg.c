/* SPDX-License-Identifier: Apache-2.0 */
/*
 * clave-runner fl: the aggregator of an FL contract with protection "tee" (docs/fl.md
 * "Aggregation in an attested runner"). In order: harden; the bundle verifies offline and is an
 * active FL contract whose spec says "tee"; attest to the broker under that contract (for budget
 * debits and the receipt); a fresh P-256 key with evidence binding it in an RA-TLS certificate;
 * listen; each client that connects gets a HELLO (contract id, its client id, a fresh challenge)
 * and takes a slot only with a JOIN signed by a contract party over that challenge and this
 * runner's RA-TLS certificate (fl_admit.c); then rounds with
 * clave_fl_server in plain mode, each round's client-level DP epsilon debited at the broker
 * before the round starts (a refused debit ends training: the budget is spent); finally the
 * model goes out as every runner output does: encrypted to the contract's recipients with a
 * signed receipt anchored in the audit ledger.
 */
#include "fl_admit.h"
#include "runner.h"

#include <openssl/err.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RATLS_VALID_S (7 * 24 * 3600)
#define UPDATE_SLACK 4096u   /* header, fields and reserve beyond 8 bytes per parameter */
#define ADMIT_STEP_MS 10000u /* a connection's HELLO out and its JOIN in, each */

struct fl_agg {
    struct runner *r;
    struct clave_fl_contract_spec spec;
    struct clave_pkey *tls_key;
    SSL_CTX *ctx;
    uint8_t cert_sha256[32]; /* of the RA-TLS certificate DER: what clients' JOINs bind */
    int listen_fd;
    struct fl_link *links;               /* links[id - 1] */
    const struct clave_pkey **directory; /* all NULL: plain mode uses no client keys */
    struct clave_fl_server *server;
    uint32_t *ids;
    size_t max_frame;
    double epsilon; /* debited so far (cumulative) */
    uint32_t rounds_done;
};

/* The contract must be FL with protection "tee"; r->contract was checked (bundle, active). */
static clave_status fl_contract(struct fl_agg *a)
{
    struct runner *r = a->r;
    if (clave_contract_computation_kind(r->contract) != CLAVE_COMPUTATION_FL) {
        fprintf(stderr, "clave-runner fl: the contract's computation is not \"fl\"\n");
        return CLAVE_ERR_STATE;
    }
    clave_status st = clave_fl_contract_spec_of(r->contract, &a->spec);
    if (st != CLAVE_OK) {
        fprintf(stderr, "clave-runner fl: %s\n", clave_error_last().detail);
        return st;
    }
    if (!a->spec.tee) {
        fprintf(stderr, "clave-runner fl: the contract's protection is not \"tee\": its "
                        "aggregation runs on the coordinator\n");
        return CLAVE_ERR_STATE;
    }
    const char *name = a->spec.run.name;
    bool ok = name[0] != '\0' && strlen(name) <= RUNNER_NAME_MAX && name[0] != '.';
    for (size_t i = 0; ok && name[i] != '\0'; i++) {
        ok = (name[i] >= 'a' && name[i] <= 'z') || (name[i] >= 'A' && name[i] <= 'Z') ||
             (name[i] >= '0' && name[i] <= '9') || strchr("_.-", name[i]) != NULL;
    }
    if (!ok) { /* it names the output file */
        fprintf(stderr, "clave-runner fl: spec.name: [A-Za-z0-9_.-]{1,64}, not starting with .\n");
        return CLAVE_ERR_STATE;
    }
    const struct clave_fl_config *c = &a->spec.run.cfg;
    runner_say(r, "fl %s: %u clients (%u per round, at least %u), %u rounds, %s aggregation, DP %s",
               a->spec.run.name, c->clients, c->clients_per_round, c->min_clients, c->rounds,
               clave_fl_aggregation_name(c->aggregation), clave_fl_dp_mode_name(c->dp));
    return CLAVE_OK;
}

/* Evidence whose report data is the RA-TLS binding of `key` (sim or hardware). */
static clave_status ratls_evidence(struct fl_agg *a, const uint8_t binding[CLAVE_RATLS_BINDING_LEN],
                                   uint8_t **ev, size_t *len)
{
    struct runner *r = a->r;
    uint8_t m[48];
    if (r->opts.sim_dir == NULL) {
        const char *format = NULL;
        clave_status st = clave_attest_collect(binding, CLAVE_RATLS_BINDING_LEN, &format, ev, len);
        if (st == CLAVE_OK && strcmp(format, r->opts.format) != 0) {
            free(*ev);
            *ev = NULL;
            st = CLAVE_ERR_UNSUPPORTED;
        }
        return st;
    }
    clave_status st = runner_claimed_measurement(r, m);
    struct clave_attest_sim_input in = {binding, CLAVE_RATLS_BINDING_LEN, m, 48, NULL, 0, 0};
    return st == CLAVE_OK ? clave_attest_sim_evidence(r->opts.sim_dir, r->opts.format, &in, ev, len)
                          : st;
}

/* A fresh P-256 key, evidence binding it, the RA-TLS certificate, a TLS 1.3 server context. */
static clave_status ratls(struct fl_agg *a)
{
    uint8_t binding[CLAVE_RATLS_BINDING_LEN];
    uint8_t *ev = NULL, *cert = NULL;
    size_t ev_len = 0, cert_len = 0;
    clave_status st = clave_pkey_generate(CLAVE_PKEY_P256, &a->tls_key);
    st = st == CLAVE_OK ? clave_ratls_binding(a->tls_key, binding) : st;
    st = st == CLAVE_OK ? ratls_evidence(a, binding, &ev, &ev_len) : st;
    st = st == CLAVE_OK ? clave_ratls_cert_create(a->tls_key, a->r->opts.format, ev, ev_len,
                                                  RATLS_VALID_S, &cert, &cert_len)
                        : st;
    a->ctx = st == CLAVE_OK ? SSL_CTX_new(TLS_server_method()) : NULL;
    if (st == CLAVE_OK &&
        (a->ctx == NULL || SSL_CTX_set_min_proto_version(a->ctx, TLS1_3_VERSION) != 1)) {
        st = CLAVE_ERR_CRYPTO;
    }
    st = st == CLAVE_OK ? clave_ratls_ssl_ctx_use(a->ctx, cert, cert_len, a->tls_key) : st;
    st = st == CLAVE_OK
             ? clave_hash(CLAVE_HASH_SHA256, cert, cert_len, a->cert_sha256, sizeof(a->cert_sha256))
             : st;
    if (st == CLAVE_OK) {
        SSL_CTX_set_session_cache_mode(a->ctx, SSL_SESS_CACHE_OFF);
        SSL_CTX_set_num_tickets(a->ctx, 0);
        runner_say(a->r, "RA-TLS certificate: %s%s evidence binding a fresh P-256 key",
                   a->r->opts.sim_dir != NULL ? "simulated " : "", a->r->opts.format);
    } else {
        fprintf(stderr, "clave-runner fl: RA-TLS certificate: %s\n", clave_error_last().detail);
    }
    ERR_clear_error();
    free(ev);
    free(cert);
    return st;
}

/* One connection: HELLO with a fresh challenge, then the client's JOIN (fl_admit.c). True: the
 * link takes slot h->client. */
static bool admit_one(struct fl_agg *a, struct fl_admit *ad, struct fl_link *l,
                      struct clave_fl_hello *h, uint64_t deadline)
{
    uint8_t hello[CLAVE_FL_HELLO_LEN];
    char party[CLAVE_FL_PARTY_MAX + 1];
    uint64_t step = fl_link_now_ms() + ADMIT_STEP_MS;
    step = step < deadline ? step : deadline;
    if (clave_random(h->challenge, sizeof(h->challenge)) != CLAVE_OK ||
        clave_fl_hello_encode(h, hello) != CLAVE_OK ||
        !fl_link_send(l, hello, sizeof(hello), step)) {
        return false;
    }
    if (!fl_admit_join(ad, l, h, step, party)) {
        return false;
    }
    runner_say(a->r, "client %u of %u connected (party %s, JOIN verified)", h->client, h->clients,
               party);
    return true;
}

/* Clients 1..N in the order they are admitted, each told its id in a HELLO; a connection whose
 * JOIN is refused is closed and its slot stays free. At the deadline the federation starts if
 * at least min_clients are in (the others are dropouts throughout). */
static clave_status accept_clients(struct fl_agg *a)
{
    const struct clave_fl_config *c = &a->spec.run.cfg;
    uint64_t deadline = fl_link_now_ms() + (uint64_t)a->r->opts.wait_s * 1000u;
    uint32_t joined = 0;
    struct fl_admit ad;
    clave_status st = fl_admit_init(&ad, a->r->contract, c->clients, a->cert_sha256);
    runner_say(a->r, "listening on %s for %u clients", a->r->opts.listen, c->clients);
    while (st == CLAVE_OK && joined < c->clients) {
        struct fl_link l;
        struct clave_fl_hello h = {
            .client = joined + 1, .clients = c->clients, .rounds = c->rounds};
        memcpy(h.contract_id, clave_contract_id(a->r->contract), CLAVE_FL_CONTRACT_ID_LEN);
        clave_status got = fl_link_accept(a->listen_fd, a->ctx, deadline, &l);
        if (got == CLAVE_ERR_LIMIT) {
            break;
        }
        if (got != CLAVE_OK) {
            continue; /* a failed handshake: the next connection */
        }
        if (admit_one(a, &ad, &l, &h, deadline)) {
            a->links[joined++] = l;
        } else {
            fl_link_close(&l);
        }
    }
    fl_admit_free(&ad);
    if (st != CLAVE_OK) {
        return st;
    }
    if (joined < c->min_clients) {
        fprintf(stderr,
                "clave-runner fl: %u of %u clients admitted within %lds (at least %u "
                "needed)\n",
                joined, c->clients, a->r->opts.wait_s, c->min_clients);
        return CLAVE_ERR_STATE;
    }
    return CLAVE_OK;
}

/* One phase: every participant's request out, then every reply in by the phase deadline. A
 * client that fails any step is closed: a dropout from then on. */
static clave_status run_phase(struct fl_agg *a)
{
    size_t count = 0;
    uint64_t deadline = fl_link_now_ms() + (uint64_t)a->spec.round_timeout_s * 1000u;
    clave_status st =
        clave_fl_server_participants(a->server, a->ids, a->spec.run.cfg.clients, &count);
    for (size_t i = 0; st == CLAVE_OK && i < count; i++) {
        uint8_t *msg = NULL;
        size_t len = 0;
        struct fl_link *l = &a->links[a->ids[i] - 1];
        if (l->fd >= 0 && clave_fl_server_message(a->server, a->ids[i], &msg, &len) == CLAVE_OK) {
            (void)fl_link_send(l, msg, len, deadline);
        }
        free(msg);
    }
    for (size_t i = 0; st == CLAVE_OK && i < count; i++) {
        uint8_t *reply = NULL;
        size_t len = 0;
        struct fl_link *l = &a->links[a->ids[i] - 1];
        if (l->fd >= 0 && fl_link_recv(l, a->max_frame, deadline, &reply, &len) && len > 0) {
            clave_status rejected = clave_fl_server_receive(a->server, reply, len);
            (void)rejected; /* counted in the round's report; the sender is out of the round */
        }
        free(reply);
    }
    return st == CLAVE_OK ? clave_fl_server_close_phase(a->server) : st;
}

/* Every dataset of the contract is debited the round's epsilon increment (delta on the first
 * round) before the round starts: each party's data may be in any round's cohort, and the
 * accountant already counts the sampling. A refusal (budget spent) ends training. */
static clave_status pay_round(struct fl_agg *a, uint32_t round)
{
    struct runner *r = a->r;
    double eps = 0.0;
    char what[160];
    clave_status st = clave_fl_dp_epsilon(&a->spec.run.cfg, round, &eps);
    if (st != CLAVE_OK) {
        return st;
    }
    double budget = a->spec.run.cfg.dp_epsilon_budget;
    if (budget > 0.0 && eps > budget) {
        runner_say(r, "round %u would spend epsilon %.4g > the spec's budget %.4g", round, eps,
                   budget);
        return CLAVE_ERR_LIMIT;
    }
    double delta = round == 1 ? a->spec.run.cfg.dp_delta : 0.0;
    snprintf(what, sizeof(what), "fl %s round %u", a->spec.run.name, round);
    const char *ids[RUNNER_DATASETS_MAX];
    const char *owners[RUNNER_DATASETS_MAX];
    int64_t got[RUNNER_DATASETS_MAX];
    for (size_t i = 0; i < r->plain_count; i++) {
        ids[i] = r->plain[i].id;
        owners[i] = r->plain[i].owner;
    }
    /* All parties pay for the round or none does. */
    st = runner_broker_debits(r->broker, r->contract_hex, ids, owners, r->plain_count,
                              eps - a->epsilon, delta, what, got);
    if (st != CLAVE_OK) {
        runner_say(r, "round %u: debit refused (no party charged): HTTP %ld %s: %s", round,
                   runner_broker_status(r->broker), runner_broker_code(r->broker),
                   runner_broker_reason(r->broker));
        return runner_broker_status(r->broker) == 403 ? CLAVE_ERR_LIMIT : st;
    }
    for (size_t i = 0; i < r->plain_count; i++) {
        struct runner_debit *d = &r->debits[i];
        d->id = got[i];
        d->epsilon += eps - a->epsilon;
        d->delta += delta;
    }
    runner_say(r, "round %u: debited epsilon %.4g (total %.4g) from %zu dataset(s)", round,
               eps - a->epsilon, eps, r->plain_count);
    a->epsilon = eps;
    return CLAVE_OK;
}

static void print_round(const struct fl_agg *a, const struct clave_fl_round_report *rep,
                        double seconds)
{
    const struct clave_fl_config *c = &a->spec.run.cfg;
    if (a->r->opts.json) {
        printf("{\"round\":%u,\"selected\":%u,\"reported\":%u,\"rejected\":%u,\"aborted\":%s,"
               "\"accuracy\":%.6g,\"epsilon\":%.6g,\"seconds\":%.3f}\n",
               rep->round, rep->selected, rep->reported, rep->rejected,
               rep->aborted ? "true" : "false", rep->eval_accuracy, rep->epsilon, seconds);
    } else {
        printf("round %u/%u  clients %u/%u  rejected %u  loss %.4f  accuracy %.4f  epsilon %.3f"
               "  time %.2fs%s\n",
               rep->round, c->rounds, rep->reported, rep->selected, rep->rejected, rep->train_loss,
               rep->eval_accuracy, rep->epsilon, seconds,
               rep->aborted ? "  (aborted: too few updates)" : "");
    }
    fflush(stdout);
}

static clave_status one_round(struct fl_agg *a, uint32_t k)
{
    const struct clave_fl_run_spec *run = &a->spec.run;
    double t0 = runner_now();
    bool eval = k == run->cfg.rounds || (run->eval_every > 0 && k % run->eval_every == 0);
    clave_status st = run->cfg.dp != CLAVE_FL_DP_NONE ? pay_round(a, k) : CLAVE_OK;
    st = st == CLAVE_OK ? clave_fl_server_begin_round(a->server) : st;
    st = st == CLAVE_OK ? run_phase(a) : st;
    if (st == CLAVE_OK && eval) {
        st = clave_fl_server_begin_eval(a->server);
        st = st == CLAVE_OK ? run_phase(a) : st;
    }
    if (st == CLAVE_OK) {
        struct clave_fl_round_report rep = clave_fl_server_report(a->server);
        a->rounds_done = k;
        print_round(a, &rep, runner_now() - t0);
    }
    return st;
}

/* Rounds until all are done or the budget is spent; then END to every client. */
static clave_status rounds(struct fl_agg *a)
{
    const struct clave_fl_config *c = &a->spec.run.cfg;
    clave_fl_end_reason reason = CLAVE_FL_END_DONE;
    clave_status st = CLAVE_OK;
    for (uint32_t k = 1; k <= c->rounds && st == CLAVE_OK; k++) {
        st = one_round(a, k);
    }
    if (st == CLAVE_ERR_LIMIT) {
        reason = CLAVE_FL_END_BUDGET;
        printf("stopped: privacy budget spent after %u round(s)\n", a->rounds_done);
        st = CLAVE_OK;
    } else if (st != CLAVE_OK) {
        reason = CLAVE_FL_END_FAILED;
        fprintf(stderr, "clave-runner fl: round %u: %s\n", a->rounds_done + 1,
                clave_error_last().detail);
    }
    for (uint32_t i = 0; i < c->clients; i++) {
        uint8_t end[CLAVE_FL_END_LEN];
        if (a->links[i].fd >= 0 && clave_fl_end_encode(a->rounds_done, reason, end) == CLAVE_OK) {
            (void)fl_link_send(&a->links[i], end, sizeof(end), fl_link_now_ms() + 5000u);
        }
        fl_link_close(&a->links[i]);
    }
    return st;
}

/* The contract's datasets as the run's inputs (they stay with their parties: no data here),
 * one debit record each, so the receipt names them and what they paid. */
static clave_status inputs(struct fl_agg *a)
{
    struct runner *r = a->r;
    size_t n = clave_contract_dataset_count(r->contract);
    char what[RUNNER_NAME_MAX + 16];
    if (n == 0 || n > RUNNER_DATASETS_MAX || n > RUNNER_DEBITS_MAX) {
        fprintf(stderr, "clave-runner fl: the contract names %zu datasets (1..%d)\n", n,
                RUNNER_DATASETS_MAX);
        return CLAVE_ERR_STATE;
    }
    snprintf(what, sizeof(what), "%.64s.model", a->spec.run.name);
    for (size_t i = 0; i < n; i++) {
        struct clave_contract_dataset d = clave_contract_dataset(r->contract, i);
        r->plain[i] = (struct runner_plain){d.id, d.owner, d.sha256, NULL, 0};
        r->debits[i] = (struct runner_debit){
            .mechanism = "discrete-gaussian", .party = d.owner, .dataset = d.id};
        snprintf(r->debits[i].what, sizeof(r->debits[i].what), "%s", what);
    }
    r->plain_count = n;
    r->debit_count = a->spec.run.cfg.dp != CLAVE_FL_DP_NONE ? n : 0;
    return CLAVE_OK;
}

static clave_status start(struct fl_agg *a)
{
    const struct clave_fl_config *c = &a->spec.run.cfg;
    a->links = calloc(c->clients, sizeof(*a->links));
    a->directory = calloc(c->clients, sizeof(*a->directory));
    a->ids = calloc(c->clients, sizeof(*a->ids));
    if (a->links == NULL || a->directory == NULL || a->ids == NULL) {
        return CLAVE_ERR_NOMEM;
    }
    for (uint32_t i = 0; i < c->clients; i++) {
        a->links[i].fd = -1;
    }
    clave_status st = clave_fl_server_new(c, a->directory, NULL, NULL, &a->server);
    if (st != CLAVE_OK) {
        fprintf(stderr, "clave-runner fl: %s\n", clave_error_last().detail);
        return st;
    }
    size_t dim = 0;
    (void)clave_ml_model_params(clave_fl_server_model(a->server), &dim);
    a->max_frame = dim * 8u + UPDATE_SLACK;
    return fl_link_listen(a->r->opts.listen, &a->listen_fd);
}

/* The final model, released as every runner output is. No round done: nothing to release. */
static clave_status release(struct fl_agg *a)
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    char name[RUNNER_NAME_MAX + 16];
    if (a->rounds_done == 0) {
        fprintf(stderr, "clave-runner fl: no round was run; nothing is released\n");
        return CLAVE_ERR_LIMIT;
    }
    clave_status st = clave_ml_model_save(clave_fl_server_model(a->server), &bytes, &len);
    snprintf(name, sizeof(name), "%.64s.model", a->spec.run.name);
    st = st == CLAVE_OK ? runner_add_output(a->r, name, "application/vnd.clave.model", bytes, len)
                        : st;
    json_object_set_new(a->r->log, "fl",
                        json_pack("{s:s,s:i,s:f}", "name", a->spec.run.name, "rounds",
                                  (json_int_t)a->rounds_done, "epsilon", a->epsilon));
    return st == CLAVE_OK ? runner_release(a->r) : st;
}

clave_status runner_fl(struct runner *r)
{
    struct fl_agg a;
    memset(&a, 0, sizeof(a));
    a.r = r;
    a.listen_fd = -1;
    r->started = runner_now();
    r->log = json_pack("{s:s,s:s,s:{}}", "runner", "clave-runner 0.1.0", "mode", "fl", "phases_s");
    signal(SIGPIPE, SIG_IGN);
    clave_status st = r->log != NULL ? runner_harden(r) : CLAVE_ERR_NOMEM;
    st = st == CLAVE_OK ? runner_check_contract(r) : st;
    st = st == CLAVE_OK ? fl_contract(&a) : st;
    st = st == CLAVE_OK ? inputs(&a) : st;
    runner_phase(r, "check", r->started);
    double t1 = runner_now();
    st = st == CLAVE_OK ? runner_attest(r) : st;
    st = st == CLAVE_OK ? ratls(&a) : st;
    runner_phase(r, "attest", t1);
    st = st == CLAVE_OK ? start(&a) : st;
    st = st == CLAVE_OK ? accept_clients(&a) : st;
    double t2 = runner_now();
    st = st == CLAVE_OK ? rounds(&a) : st;
    runner_phase(r, "rounds", t2);
    r->release_started = runner_now();
    st = st == CLAVE_OK ? release(&a) : st;
    if (st != CLAVE_OK) {
        fprintf(stderr, "clave-runner: stopped; nothing was released\n");
    }
    for (uint32_t i = 0; a.links != NULL && i < a.spec.run.cfg.clients; i++) {
        fl_link_close(&a.links[i]);
    }
    if (a.listen_fd >= 0) {
        close(a.listen_fd);
    }
    clave_fl_server_free(a.server);
    SSL_CTX_free(a.ctx);
    clave_pkey_free(a.tls_key);
    free(a.links);
    free(a.directory);
    free(a.ids);
    return st;
}
