/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Datasets: for each dataset of the job, the sealed blob (whose SHA-256 must be the one the
 * contract names) and its key from the broker; unsealed into memory that was sized up front (no
 * reallocation leaves plaintext behind), the key wiped as soon as the blob is open. Any tamper
 * stops the run before a single row is used.
 */
#include "runner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEALED_MAX ((size_t)1 << 30)

static clave_status unseal(const char *id, const uint8_t *sealed, size_t len,
                           const struct clave_secret *dek, struct runner_plain *p)
{
    struct clave_seal_header *hdr = NULL;
    struct clave_seal_mem mem;
    memset(&mem, 0, sizeof(mem));
    mem.in = sealed;
    mem.in_len = len;
    mem.out = malloc(len + 1); /* plaintext is shorter than its sealed form */
    mem.out_cap = len + 1;
    mem.out_max = len + 1;
    if (mem.out == NULL) {
        return CLAVE_ERR_NOMEM;
    }
    struct clave_seal_io io = clave_seal_io_mem(&mem);
    clave_status st = clave_seal_header_read(&io, &hdr);
    st = st == CLAVE_OK ? clave_unseal_stream(hdr, dek, &io, NULL) : st;
    clave_seal_header_free(hdr);
    if (st != CLAVE_OK) {
        fprintf(stderr, "clave-runner: dataset %s: cannot be unsealed: %s\n", id,
                clave_error_last().detail);
        clave_wipe(mem.out, mem.out_cap);
        free(mem.out);
        return st;
    }
    p->data = mem.out;
    p->len = mem.out_len;
    return CLAVE_OK;
}

static clave_status fetch_one(struct runner *r, const char *id)
{
    struct clave_contract_dataset d;
    struct runner_plain *p = &r->plain[r->plain_count];
    const char *collab = clave_contract_collaboration(r->contract);
    uint8_t *sealed = NULL;
    size_t len = 0;
    uint8_t sha[32];
    struct clave_secret *dek = NULL;
    if (!runner_contract_dataset(r, id, &d) || r->plain_count >= RUNNER_DATASETS_MAX) {
        return CLAVE_ERR_STATE;
    }
    clave_status st = runner_broker_sealed(r->broker, collab, id, SEALED_MAX, &sealed, &len);
    if (st == CLAVE_OK) {
        st = clave_hash(CLAVE_HASH_SHA256, sealed, len, sha, 32);
        if (st == CLAVE_OK && !clave_ct_equal(sha, d.sha256, 32)) {
            fprintf(stderr,
                    "clave-runner: dataset %s: the sealed blob is not the one the contract names "
                    "(SHA-256 differs): refusing to use it\n",
                    id);
            st = CLAVE_ERR_TAMPERED;
        }
    }
    st = st == CLAVE_OK ? runner_broker_dataset_key(r->broker, collab, id, r->tee, &dek) : st;
    if (st == CLAVE_ERR_AUTH || (st != CLAVE_OK && runner_broker_status(r->broker) >= 400)) {
        fprintf(stderr, "clave-runner: dataset %s: the broker refused: HTTP %ld %s: %s\n", id,
                runner_broker_status(r->broker), runner_broker_code(r->broker),
                runner_broker_reason(r->broker));
    }
    st = st == CLAVE_OK ? unseal(id, sealed, len, dek, p) : st;
    clave_secret_free(dek);
    free(sealed);
    if (st == CLAVE_OK) {
        p->id = id;
        p->owner = d.owner;
        p->sealed_sha256 = d.sha256;
        r->plain_count++;
        runner_say(r, "dataset %s of %s: key released, %zu sealed bytes unsealed in memory", id,
                   d.owner, len);
    }
    return st;
}

clave_status runner_fetch_datasets(struct runner *r)
{
    clave_status st = CLAVE_OK;
    for (size_t t = 0; st == CLAVE_OK && t < r->job.table_count; t++) {
        const struct runner_table *tab = &r->job.tables[t];
        for (size_t i = 0; st == CLAVE_OK && i < tab->dataset_count; i++) {
            if (runner_plain_of(r, tab->datasets[i]) == NULL) {
                st = fetch_one(r, tab->datasets[i]);
            }
        }
    }
    return st;
}

const struct runner_plain *runner_plain_of(const struct runner *r, const char *dataset)
{
    for (size_t i = 0; i < r->plain_count; i++) {
        if (strcmp(r->plain[i].id, dataset) == 0) {
            return &r->plain[i];
        }
    }
    return NULL;
}

clave_status runner_debit_datasets(struct runner *r, const char *const *datasets, size_t n,
                                   const char *what, const char *mechanism, double epsilon,
                                   double delta)
{
    const char *ids[RUNNER_DATASETS_MAX];
    const char *owners[RUNNER_DATASETS_MAX];
    int64_t got[RUNNER_DATASETS_MAX];
    if (n == 0 || n > RUNNER_DATASETS_MAX || r->debit_count + n > RUNNER_DEBITS_MAX) {
        return CLAVE_ERR_STATE;
    }
    for (size_t i = 0; i < n; i++) {
        const struct runner_plain *p = runner_plain_of(r, datasets[i]);
        if (p == NULL) {
            return CLAVE_ERR_STATE;
        }
        ids[i] = p->id;
        owners[i] = p->owner;
    }
    /* Every dataset's owner pays, all or nothing: a refusal leaves no one charged. */
    clave_status st =
        runner_broker_debits(r->broker, r->contract_hex, ids, owners, n, epsilon, delta, what, got);
    if (st != CLAVE_OK) {
        fprintf(stderr,
                "clave-runner: %s: budget debit refused (no party charged): HTTP %ld %s: %s\n",
                what, runner_broker_status(r->broker), runner_broker_code(r->broker),
                runner_broker_reason(r->broker));
        return st;
    }
    for (size_t i = 0; i < n; i++) {
        struct runner_debit *d = &r->debits[r->debit_count++];
        snprintf(d->what, sizeof(d->what), "%s", what);
        d->mechanism = mechanism;
        d->party = owners[i];
        d->dataset = ids[i];
        d->epsilon = epsilon;
        d->delta = delta;
        d->id = got[i];
        runner_say(r, "%s: debited epsilon %g, delta %g from %s's budget for %s (debit %lld)", what,
                   epsilon, delta, owners[i], ids[i], (long long)d->id);
    }
    return CLAVE_OK;
}
