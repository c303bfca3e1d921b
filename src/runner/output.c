/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Release: each output encrypted to each recipient the contract names, one receipt signed by the
 * attested TEE key over everything the run used and produced, anchored in the coordinator's
 * audit ledger; files are written only after the anchor exists, so a refused anchor (e.g. the
 * contract was revoked meanwhile) releases nothing. The plaintext outputs never touch disk.
 */
#include "runner.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct sealed_output {
    char path[1024];
    char *jwe;
};

static uint64_t micro(double x)
{
    return (uint64_t)llround(x * 1e6);
}

static uint64_t pico(double x)
{
    return (uint64_t)llround(x * 1e12);
}

static clave_status write_file(const char *path, const void *data, size_t len)
{
    char tmp[1100];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    bool ok = fd >= 0 && write(fd, data, len) == (ssize_t)len && fsync(fd) == 0;
    if (fd >= 0) {
        ok = close(fd) == 0 && ok;
    }
    ok = ok && rename(tmp, path) == 0;
    if (!ok) {
        fprintf(stderr, "clave-runner: cannot write %s: %s\n", path, strerror(errno));
    }
    return ok ? CLAVE_OK : CLAVE_ERR_IO;
}

/* A recipient named only by JWK thumbprint: its key from the broker, checked against the
 * contract (the answer is not trusted: a proxy could swap it), as JWK text. Caller frees. */
static char *recipient_jwk(struct runner *r, const char *party)
{
    json_t *keys = NULL;
    char *text = NULL;
    clave_status st = runner_broker_recipient_keys(
        r->broker, clave_contract_collaboration(r->contract), party, &keys);
    if (st != CLAVE_OK) {
        fprintf(stderr, "clave-runner: the key of recipient %s: HTTP %ld %s: %s\n", party,
                runner_broker_status(r->broker), runner_broker_code(r->broker),
                runner_broker_reason(r->broker));
        return NULL;
    }
    for (size_t i = 0; i < json_array_size(keys) && text == NULL; i++) {
        char *candidate = json_dumps(json_array_get(keys, i), JSON_COMPACT);
        struct clave_jwk *k = NULL;
        if (candidate != NULL && clave_jwk_parse(candidate, strlen(candidate), &k) == CLAVE_OK &&
            !clave_jwk_has_private(k) && clave_kbs_recipient_key_named(r->contract, party, k)) {
            text = candidate;
            candidate = NULL;
        }
        clave_jwk_free(k);
        free(candidate);
    }
    json_decref(keys);
    if (text == NULL) {
        fprintf(stderr,
                "clave-runner: no key the broker served for %s is the one the contract names\n",
                party);
    }
    return text;
}

/* Every output to every recipient, in memory. */
static clave_status encrypt_all(struct runner *r, struct sealed_output *so, size_t *count)
{
    size_t nr = clave_contract_recipient_count(r->contract);
    char *jwk[RUNNER_RECIPIENTS_MAX] = {NULL};
    clave_status st = CLAVE_OK;
    *count = 0;
    if (nr == 0 || nr > RUNNER_RECIPIENTS_MAX) {
        fprintf(stderr,
                "clave-runner: the contract names %zu recipients (1..%d): nothing can be "
                "released\n",
                nr, RUNNER_RECIPIENTS_MAX);
        return CLAVE_ERR_STATE;
    }
    for (size_t j = 0; j < nr && st == CLAVE_OK; j++) {
        struct clave_contract_recipient rc = clave_contract_recipient(r->contract, j);
        if (rc.spki == NULL && (jwk[j] = recipient_jwk(r, rc.party)) == NULL) {
            st = CLAVE_ERR_STATE;
        }
    }
    for (size_t i = 0; st == CLAVE_OK && i < r->output_count; i++) {
        for (size_t j = 0; st == CLAVE_OK && j < nr; j++) {
            struct clave_contract_recipient rc = clave_contract_recipient(r->contract, j);
            struct sealed_output *o = &so[*count];
            const uint8_t *key = rc.spki != NULL ? rc.spki : (const uint8_t *)jwk[j];
            size_t key_len = rc.spki != NULL ? rc.spki_len : strlen(jwk[j]);
            st = clave_receipt_encrypt_output(r->outputs[i].data, r->outputs[i].len, key, key_len,
                                              &o->jwe);
            if (st != CLAVE_OK) {
                fprintf(stderr, "clave-runner: %s to %s: %s\n", r->outputs[i].name, rc.party,
                        clave_error_last().detail);
            } else {
                snprintf(o->path, sizeof(o->path), "%s/%s.%s.jwe", r->opts.out_dir,
                         r->outputs[i].name, rc.party);
                (*count)++;
            }
        }
    }
    for (size_t j = 0; j < nr && j < RUNNER_RECIPIENTS_MAX; j++) {
        free(jwk[j]);
    }
    return st;
}

static clave_status add_privacy(struct runner *r, struct clave_receipt_builder *b)
{
    clave_status st = CLAVE_OK;
    for (size_t i = 0; st == CLAVE_OK && i < r->debit_count; i++) {
        const struct runner_debit *d = &r->debits[i];
        char id[32];
        snprintf(id, sizeof(id), "%lld", (long long)d->id);
        st = clave_receipt_builder_add_debit(b, id, d->party, d->dataset, micro(d->epsilon),
                                             pico(d->delta));
        bool first = true; /* one dp entry per output (the same for each of its datasets) */
        for (size_t k = 0; k < i; k++) {
            first = first && strcmp(r->debits[k].what, d->what) != 0;
        }
        if (st == CLAVE_OK && first) {
            st = clave_receipt_builder_add_dp(b, d->what, d->mechanism, micro(d->epsilon),
                                              pico(d->delta));
        }
    }
    return st;
}

static clave_status build(struct runner *r, struct clave_receipt_builder *b)
{
    const char *kind = clave_computation_kind_name(clave_contract_computation_kind(r->contract));
    clave_status st = clave_receipt_builder_set_contract(b, clave_contract_id(r->contract));
    st = st == CLAVE_OK ? clave_receipt_builder_set_kind(b, kind) : st;
    st = st == CLAVE_OK
             ? clave_receipt_builder_set_evidence(b, r->att.format, r->att.evidence,
                                                  r->att.evidence_len, r->att.runtime_data,
                                                  strlen(r->att.runtime_data))
             : st;
    st = st == CLAVE_OK ? clave_receipt_builder_set_ear(b, r->att.token) : st;
    for (size_t i = 0; st == CLAVE_OK && i < r->plain_count; i++) {
        st = clave_receipt_builder_add_dataset(b, r->plain[i].id, r->plain[i].sealed_sha256);
    }
    for (size_t i = 0; st == CLAVE_OK && i < r->output_count; i++) {
        st = clave_receipt_builder_add_output(b, r->outputs[i].name, r->outputs[i].sha256,
                                              r->outputs[i].content_type);
    }
    return st == CLAVE_OK ? add_privacy(r, b) : st;
}

/* Sign, anchor in the ledger, attach the inclusion proof. */
static clave_status receipt(struct runner *r, uint8_t **out, size_t *out_len)
{
    struct clave_receipt_builder *b = NULL;
    uint8_t *signed_bytes = NULL;
    size_t len = 0;
    char *proof = NULL;
    char *sth = NULL;
    clave_status st = clave_receipt_builder_new(&b);
    st = st == CLAVE_OK ? build(r, b) : st;
    st = st == CLAVE_OK ? clave_receipt_sign(b, r->tee, &signed_bytes, &len) : st;
    if (st != CLAVE_OK) {
        fprintf(stderr, "clave-runner: receipt: %s\n", clave_error_last().detail);
    }
    if (st == CLAVE_OK) {
        st = runner_broker_anchor(r->broker, signed_bytes, len, &proof, &sth);
        if (st != CLAVE_OK) {
            fprintf(stderr,
                    "clave-runner: the coordinator refused to anchor the receipt: HTTP "
                    "%ld %s: %s\n",
                    runner_broker_status(r->broker), runner_broker_code(r->broker),
                    runner_broker_reason(r->broker));
        }
    }
    if (st == CLAVE_OK) {
        st = clave_receipt_attach_proof(signed_bytes, len, proof, strlen(proof), sth, strlen(sth),
                                        out, out_len);
    }
    free(proof);
    free(sth);
    free(signed_bytes);
    clave_receipt_builder_free(b);
    return st;
}

static clave_status write_log(struct runner *r, const struct sealed_output *so, size_t n)
{
    json_t *files = json_array();
    json_t *outs = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(files, json_string(strrchr(so[i].path, '/') + 1));
    }
    for (size_t i = 0; i < r->output_count; i++) {
        char hex[65];
        if (clave_hex_encode(r->outputs[i].sha256, 32, hex, sizeof(hex)) != CLAVE_OK) {
            abort(); /* the buffers are sized for it */
        }
        json_array_append_new(outs, json_pack("{s:s,s:s,s:s}", "name", r->outputs[i].name, "sha256",
                                              hex, "content_type", r->outputs[i].content_type));
    }
    json_object_set_new(r->log, "contract", json_string(r->contract_hex));
    json_object_set_new(r->log, "outputs", outs);
    json_object_set_new(r->log, "files", files);
    json_t *phases = json_object_get(r->log, "phases_s");
    json_object_set_new(phases, "release", json_real(runner_now() - r->release_started));
    json_object_set_new(phases, "total", json_real(runner_now() - r->started));
    char *text = json_dumps(r->log, JSON_INDENT(2) | JSON_SORT_KEYS);
    char path[1024];
    snprintf(path, sizeof(path), "%s/run.json", r->opts.out_dir);
    clave_status st = text != NULL ? write_file(path, text, strlen(text)) : CLAVE_ERR_NOMEM;
    if (st == CLAVE_OK && r->opts.json) {
        printf("%s\n", text);
    }
    free(text);
    return st;
}

clave_status runner_release(struct runner *r)
{
    size_t cap = r->output_count * clave_contract_recipient_count(r->contract) + 1;
    struct sealed_output *so = calloc(cap, sizeof(*so));
    size_t n = 0;
    uint8_t *rc = NULL;
    size_t rc_len = 0;
    char path[1024];
    if (r->output_count == 0) {
        free(so);
        return CLAVE_OK;
    }
    clave_status st = so != NULL ? encrypt_all(r, so, &n) : CLAVE_ERR_NOMEM;
    st = st == CLAVE_OK ? receipt(r, &rc, &rc_len) : st;
    if (st == CLAVE_OK && mkdir(r->opts.out_dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "clave-runner: cannot create %s: %s\n", r->opts.out_dir, strerror(errno));
        st = CLAVE_ERR_IO;
    }
    for (size_t i = 0; st == CLAVE_OK && i < n; i++) {
        st = write_file(so[i].path, so[i].jwe, strlen(so[i].jwe));
    }
    snprintf(path, sizeof(path), "%s/receipt.cose", r->opts.out_dir);
    st = st == CLAVE_OK ? write_file(path, rc, rc_len) : st;
    st = st == CLAVE_OK ? write_log(r, so, n) : st;
    if (st == CLAVE_OK) {
        runner_say(r,
                   "released %zu output(s) to %zu recipient(s); receipt anchored in the audit "
                   "ledger: %s",
                   r->output_count, clave_contract_recipient_count(r->contract), path);
    }
    for (size_t i = 0; so != NULL && i < n; i++) {
        free(so[i].jwe);
    }
    free(so);
    free(rc);
    return st;
}
