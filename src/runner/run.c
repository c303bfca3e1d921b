/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One run, in order: harden the process; check the contract bundle and that the job is the one
 * it approves; check every query spec against the contract's output rules (before any key or
 * byte of data is asked for); attest; fetch and unseal; compute; debit; release. Any failure
 * stops the run with nothing released.
 */
#include "runner.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define FILE_MAX (4u << 20)

void runner_say(const struct runner *r, const char *fmt, ...)
{
    va_list ap;
    if (r->opts.json) {
        return;
    }
    va_start(ap, fmt);
    fputs("runner: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

clave_status runner_read_small(const char *path, uint8_t **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    *out = NULL;
    if (f == NULL) {
        fprintf(stderr, "clave-runner: cannot open %s\n", path);
        return CLAVE_ERR_IO;
    }
    uint8_t *b = malloc(FILE_MAX + 1);
    size_t n = b != NULL ? fread(b, 1, FILE_MAX + 1, f) : 0;
    bool err = ferror(f) != 0;
    fclose(f);
    if (b == NULL || err || n > FILE_MAX) {
        fprintf(stderr, "clave-runner: %s: unreadable or larger than 4 MiB\n", path);
        free(b);
        return b == NULL ? CLAVE_ERR_NOMEM : CLAVE_ERR_TOO_LARGE;
    }
    *out = b;
    *len = n;
    return CLAVE_OK;
}

double runner_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

void runner_phase(struct runner *r, const char *name, double started)
{
    json_t *p = json_object_get(r->log, "phases_s");
    json_object_set_new(p, name, json_real(runner_now() - started));
}

/* The contract: a bundle whose every statement verifies, active now, approving this job. */
clave_status runner_check_contract(struct runner *r)
{
    uint8_t *b = NULL;
    size_t len = 0;
    struct clave_contract_verdict v;
    clave_status st = runner_read_small(r->opts.bundle, &b, &len);
    if (st == CLAVE_OK && (st = clave_contract_bundle_parse(b, len, &r->contract)) != CLAVE_OK) {
        fprintf(stderr, "clave-runner: bundle: %s\n", clave_error_last().detail);
    }
    free(b);
    if (st != CLAVE_OK) {
        return st;
    }
    if (clave_hex_encode(clave_contract_id(r->contract), 32, r->contract_hex,
                         sizeof(r->contract_hex)) != CLAVE_OK) {
        abort(); /* the buffers are sized for it */
    }
    clave_contract_status(r->contract, (uint64_t)time(NULL), &v);
    if (v.state != CLAVE_CONTRACT_ACTIVE) {
        fprintf(stderr, "clave-runner: contract %.16s… is %s: %s\n", r->contract_hex,
                clave_contract_state_name(v.state), v.reason);
        return CLAVE_ERR_STATE;
    }
    runner_say(r, "contract %.16s… of %s is active (%zu of %zu signatures)", r->contract_hex,
               clave_contract_collaboration(r->contract), v.signatures, v.required);
    return CLAVE_OK;
}

/* The job's SHA-256 must be computation.spec.job_sha256; its datasets the contract's. */
static clave_status check_job(struct runner *r)
{
    uint8_t *b = NULL;
    size_t len = 0;
    json_t *spec = NULL;
    char hex[65];
    clave_status st = runner_read_small(r->opts.job, &b, &len);
    st = st == CLAVE_OK ? runner_job_parse(b, len, &r->job) : st;
    free(b);
    if (st != CLAVE_OK) {
        return st;
    }
    const char *kind = clave_computation_kind_name(clave_contract_computation_kind(r->contract));
    char *text = NULL;
    st = clave_contract_to_json(r->contract, &text);
    spec = st == CLAVE_OK ? json_loads(text, 0, NULL) : NULL;
    free(text);
    const char *want = json_string_value(json_object_get(
        json_object_get(json_object_get(spec, "computation"), "spec"), "job_sha256"));
    if (clave_hex_encode(r->job.sha256, 32, hex, sizeof(hex)) != CLAVE_OK) {
        abort(); /* the buffers are sized for it */
    }
    if (kind == NULL || (strcmp(kind, "query") != 0 && strcmp(kind, "train") != 0) ||
        want == NULL || strcmp(want, hex) != 0) {
        fprintf(stderr,
                "clave-runner: the contract does not approve this job (computation %s, "
                "spec.job_sha256 %s; this job's SHA-256 is %s)\n",
                kind != NULL ? kind : "?", want != NULL ? want : "missing", hex);
        json_decref(spec);
        return CLAVE_ERR_STATE;
    }
    json_decref(spec);
    for (size_t t = 0; t < r->job.table_count; t++) {
        for (size_t i = 0; i < r->job.tables[t].dataset_count; i++) {
            struct clave_contract_dataset d;
            if (!runner_contract_dataset(r, r->job.tables[t].datasets[i], &d)) {
                fprintf(stderr, "clave-runner: job.tables.%s: dataset %s is not in the contract\n",
                        r->job.tables[t].name, r->job.tables[t].datasets[i]);
                return CLAVE_ERR_STATE;
            }
        }
    }
    runner_say(r, "job %.16s… is the one the contract approves", hex);
    return CLAVE_OK;
}

clave_status runner_harden(struct runner *r)
{
    struct runner_sandbox s = {!r->opts.no_mlock, !r->opts.no_seccomp};
    clave_status st = runner_sandbox_enter(&s, &r->sandbox);
    if (st == CLAVE_OK) {
        json_object_set_new(
            r->log, "sandbox",
            json_pack("{s:b,s:b,s:b,s:b,s:s}", "no_core_dumps", r->sandbox.no_core_dumps,
                      "no_new_privs", r->sandbox.no_new_privs, "memory_locked",
                      r->sandbox.memory_locked, "seccomp", r->sandbox.seccomp, "protection",
                      r->opts.sim_dir != NULL ? "simulated TEE: Linux hardening only"
                                              : "hardware TEE"));
        runner_say(r, "sandbox: no core dumps, no new privileges%s%s%s",
                   r->sandbox.memory_locked ? ", memory locked" : "",
                   r->sandbox.seccomp ? ", seccomp allowlist" : "",
                   r->opts.sim_dir != NULL ? " (simulated TEE: NOT hardware protection)" : "");
    }
    return st;
}

clave_status runner_claimed_measurement(const struct runner *r, uint8_t out[48])
{
    size_t mlen = 0;
    if (r->opts.sim_measurement == NULL) {
        memcpy(out, r->measurement, 48);
        return CLAVE_OK;
    }
    if (clave_hex_decode(r->opts.sim_measurement, strlen(r->opts.sim_measurement), out, 48,
                         &mlen) != CLAVE_OK ||
        mlen != 48) {
        fprintf(stderr, "clave-runner: --sim-measurement: 96 hex digits\n");
        return CLAVE_ERR_ARG;
    }
    return CLAVE_OK;
}

clave_status runner_attest(struct runner *r)
{
    uint8_t measurement[48];
    if (runner_claimed_measurement(r, measurement) != CLAVE_OK) {
        return CLAVE_ERR_ARG;
    }
    struct runner_evidence_source src = {r->opts.format, r->opts.sim_dir, measurement};
    clave_status st = clave_jwk_generate(CLAVE_JWK_EC_P256, &r->tee);
    st = st == CLAVE_OK ? runner_broker_open(r->opts.server, r->opts.cacert, &r->broker) : st;
    st = st == CLAVE_OK ? runner_broker_attest(r->broker, &src, r->tee,
                                               clave_contract_id(r->contract), &r->att)
                        : st;
    if (st != CLAVE_OK) {
        if (r->broker != NULL && runner_broker_status(r->broker) != 0) {
            fprintf(stderr, "clave-runner: attestation refused: HTTP %ld %s: %s\n",
                    runner_broker_status(r->broker), runner_broker_code(r->broker),
                    runner_broker_reason(r->broker));
        } else {
            fprintf(stderr, "clave-runner: attestation failed: %s\n",
                    r->broker != NULL && runner_broker_reason(r->broker)[0] != '\0'
                        ? runner_broker_reason(r->broker)
                        : clave_error_last().detail);
        }
        return st;
    }
    char ev[65];
    uint8_t d[32];
    if (clave_hash(CLAVE_HASH_SHA256, r->att.evidence, r->att.evidence_len, d, 32) == CLAVE_OK &&
        clave_hex_encode(d, 32, ev, sizeof(ev)) == CLAVE_OK) {
        json_object_set_new(r->log, "evidence_sha256", json_string(ev));
        runner_say(r, "attested with %s%s evidence %.16s…; report data binds nonce, key, contract",
                   r->opts.sim_dir != NULL ? "simulated " : "", r->att.format, ev);
    }
    return CLAVE_OK;
}

bool runner_contract_dataset(const struct runner *r, const char *id,
                             struct clave_contract_dataset *out)
{
    for (size_t i = 0; i < clave_contract_dataset_count(r->contract); i++) {
        *out = clave_contract_dataset(r->contract, i);
        if (strcmp(out->id, id) == 0) {
            return true;
        }
    }
    return false;
}

/* Tests only (--hold): wait for a file, so a test can act between key release and results. */
static clave_status hold(struct runner *r)
{
    struct timespec tick = {0, 50 * 1000 * 1000};
    runner_say(r, "holding until %s exists", r->opts.hold);
    for (int i = 0; i < 1200; i++) {
        if (access(r->opts.hold, F_OK) == 0) {
            return CLAVE_OK;
        }
        nanosleep(&tick, NULL);
    }
    fprintf(stderr, "clave-runner: --hold: %s did not appear within 60 s\n", r->opts.hold);
    return CLAVE_ERR_STATE;
}

clave_status runner_run(struct runner *r)
{
    double t0 = runner_now();
    r->started = t0;
    r->log = json_pack("{s:s,s:{}}", "runner", "clave-runner 0.1.0", "phases_s");
    clave_status st = r->log != NULL ? runner_harden(r) : CLAVE_ERR_NOMEM;
    st = st == CLAVE_OK ? runner_check_contract(r) : st;
    st = st == CLAVE_OK ? check_job(r) : st;
    st = st == CLAVE_OK ? runner_queries_check(r) : st;
    st = st == CLAVE_OK ? runner_infer_check(r) : st;
    runner_phase(r, "check", t0);
    double t1 = runner_now();
    st = st == CLAVE_OK ? runner_attest(r) : st;
    runner_phase(r, "attest", t1);
    double t2 = runner_now();
    st = st == CLAVE_OK ? runner_fetch_datasets(r) : st;
    runner_phase(r, "fetch_unseal", t2);
    st = st == CLAVE_OK && r->opts.hold != NULL ? hold(r) : st;
    double t3 = runner_now();
    st = st == CLAVE_OK ? runner_queries_run(r) : st;
    runner_phase(r, "query", t3);
    double t4 = runner_now();
    if (st == CLAVE_OK && r->job.train.present) {
        st = runner_train_step(r);
    }
    if (st == CLAVE_OK && r->job.infer.present) {
        st = runner_infer_step(r);
    }
    runner_phase(r, "train", t4);
    double t5 = runner_now();
    r->release_started = t5;
    st = st == CLAVE_OK ? runner_release(r) : st;

    if (st != CLAVE_OK) {
        fprintf(stderr, "clave-runner: stopped; nothing was released\n");
    }
    return st;
}

void runner_free(struct runner *r)
{
    for (size_t i = 0; i < r->plain_count; i++) {
        if (r->plain[i].data != NULL) {
            clave_wipe(r->plain[i].data, r->plain[i].len);
        }
        free(r->plain[i].data);
    }
    for (size_t i = 0; i < r->output_count; i++) {
        if (r->outputs[i].data != NULL) {
            clave_wipe(r->outputs[i].data, r->outputs[i].len);
        }
        free(r->outputs[i].data);
    }
    runner_queries_free(r);
    runner_broker_close(r->broker);
    clave_jwk_free(r->tee);
    runner_job_clear(&r->job);
    clave_contract_free(r->contract);
    json_decref(r->log);
    clave_wipe(r, sizeof(*r));
    free(r);
}
