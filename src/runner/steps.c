/* SPDX-License-Identifier: Apache-2.0 */
/* The train step and the output list (runner.h). */
#include "runner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TRAIN_ROWS_MAX ((size_t)1 << 26)

clave_status runner_add_output(struct runner *r, const char *name, const char *content_type,
                               uint8_t *data, size_t len)
{
    struct runner_output *o = &r->outputs[r->output_count];
    if (r->output_count >= RUNNER_OUTPUTS_MAX) {
        clave_wipe(data, len);
        free(data);
        return CLAVE_ERR_LIMIT;
    }
    snprintf(o->name, sizeof(o->name), "%s", name);
    o->content_type = content_type;
    o->data = data;
    o->len = len;
    r->output_count++;
    return clave_hash(CLAVE_HASH_SHA256, data, len, o->sha256, 32);
}

/* The train features in the job's order, then column `last` (the label, or infer's id), from
 * every dataset of `table`, in one pass over each CSV. */
static clave_status gather(struct runner *r, const char *table, const char *last,
                           struct runner_matrix *m)
{
    const struct runner_train *t = &r->job.train;
    const char *names[RUNNER_FEATURES_MAX + 1];
    const struct runner_table *tab = runner_job_table(&r->job, table);
    for (size_t i = 0; i < t->feature_count; i++) {
        names[i] = t->features[i].column;
    }
    names[t->feature_count] = last;
    clave_status st = CLAVE_OK;
    for (size_t i = 0; st == CLAVE_OK && i < tab->dataset_count; i++) {
        const struct runner_plain *p = runner_plain_of(r, tab->datasets[i]);
        st = p != NULL ? runner_columns_append(p->id, (const char *)p->data, p->len, names,
                                               t->feature_count + 1, TRAIN_ROWS_MAX, m)
                       : CLAVE_ERR_STATE;
    }
    return st;
}

clave_status runner_train_step(struct runner *r)
{
    const struct runner_train *t = &r->job.train;
    struct runner_matrix m = {0};
    struct runner_train_result res = {0};
    char what[RUNNER_NAME_MAX + 16];
    double eps = 0;
    double delta = 0;
    runner_train_cost(t, &eps, &delta);
    clave_status st = gather(r, t->table, t->label, &m);
    /* The budget goes first: a refused debit means no training and no result. */
    const struct runner_table *tab = runner_job_table(&r->job, t->table);
    snprintf(what, sizeof(what), "%s.model", t->name);
    if (st == CLAVE_OK && t->dp) {
        st =
            runner_debit_datasets(r, tab->datasets, tab->dataset_count, what, "dp-sgd", eps, delta);
    }
    if (st == CLAVE_OK) {
        runner_say(r, "train %s: %s regression on %zu rows%s", t->name,
                   clave_ml_model_kind_name(t->model), m.rows, t->dp ? " with DP-SGD" : "");
        st = runner_train_run(t, &m, &res);
    }
    runner_matrix_free(&m);
    char name[RUNNER_NAME_MAX + 16];
    char *metrics =
        st == CLAVE_OK ? json_dumps(res.metrics, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
    if (st == CLAVE_OK && metrics == NULL) {
        st = CLAVE_ERR_NOMEM;
    }
    if (st == CLAVE_OK) {
        snprintf(name, sizeof(name), "%s.model", t->name);
        st = runner_add_output(r, name, "application/vnd.clave.model", res.model, res.model_len);
        res.model = NULL;
    }
    if (st == CLAVE_OK) {
        snprintf(name, sizeof(name), "%s.metrics", t->name);
        st = runner_add_output(r, name, "application/json", (uint8_t *)metrics, strlen(metrics));
        metrics = NULL;
    }
    free(metrics);
    runner_train_result_clear(&res);
    return st;
}

/* The inputs of `infer` belong to recipients: predictions about a party's rows go only to
 * parties that receive results anyway, so no data owner's rows leave without their signature on
 * a contract naming them as recipient. Checked before attestation. */
clave_status runner_infer_check(struct runner *r)
{
    const struct runner_infer *in = &r->job.infer;
    const struct runner_table *tab = in->present ? runner_job_table(&r->job, in->table) : NULL;
    for (size_t i = 0; tab != NULL && i < tab->dataset_count; i++) {
        struct clave_contract_dataset d;
        bool recipient = false;
        if (!runner_contract_dataset(r, tab->datasets[i], &d)) {
            return CLAVE_ERR_STATE;
        }
        for (size_t k = 0; k < clave_contract_recipient_count(r->contract); k++) {
            recipient =
                recipient || strcmp(clave_contract_recipient(r->contract, k).party, d.owner) == 0;
        }
        if (!recipient) {
            fprintf(stderr,
                    "clave-runner: job.infer: dataset %s belongs to %s, which is not a recipient "
                    "of the contract\n",
                    d.id, d.owner);
            return CLAVE_ERR_STATE;
        }
    }
    return CLAVE_OK;
}

static const struct runner_output *output_named(const struct runner *r, const char *name)
{
    for (size_t i = 0; i < r->output_count; i++) {
        if (strcmp(r->outputs[i].name, name) == 0) {
            return &r->outputs[i];
        }
    }
    return NULL;
}

/* "id,prediction" lines for every input row (the id is the last column of `x`). */
static char *predictions_csv(const struct runner_matrix *x, const double *p, size_t rows)
{
    size_t cap = 32 + rows * 64;
    char *text = malloc(cap);
    size_t used = 0;
    if (text == NULL) {
        return NULL;
    }
    used += (size_t)snprintf(text, cap, "id,prediction\n");
    for (size_t i = 0; i < rows && used < cap; i++) {
        int n = snprintf(text + used, cap - used, "%.17g,%.6f\n", x->v[i * x->width + x->width - 1],
                         p[i]);
        if (n < 0 || (size_t)n >= cap - used) {
            clave_wipe(text, cap);
            free(text);
            return NULL;
        }
        used += (size_t)n;
    }
    return text;
}

clave_status runner_infer_step(struct runner *r)
{
    const struct runner_train *t = &r->job.train;
    const struct runner_infer *in = &r->job.infer;
    struct runner_matrix x = {0};
    char model_name[RUNNER_NAME_MAX + 16];
    snprintf(model_name, sizeof(model_name), "%s.model", t->name);
    const struct runner_output *model = output_named(r, model_name);
    clave_status st = model != NULL ? gather(r, in->table, in->id_column, &x) : CLAVE_ERR_STATE;
    double *pred = st == CLAVE_OK ? calloc(x.rows + 1, sizeof(double)) : NULL;
    if (st == CLAVE_OK && pred == NULL) {
        st = CLAVE_ERR_NOMEM;
    }
    st = st == CLAVE_OK ? runner_train_predict(t, model->data, model->len, &x, pred) : st;
    char *csv = st == CLAVE_OK ? predictions_csv(&x, pred, x.rows) : NULL;
    if (st == CLAVE_OK && csv == NULL) {
        st = CLAVE_ERR_NOMEM;
    }
    if (st == CLAVE_OK) {
        char name[RUNNER_NAME_MAX + 16];
        snprintf(name, sizeof(name), "%s.csv", in->name);
        runner_say(r, "infer %s: the model %s applied to %zu input row(s) of %s", in->name,
                   model_name, x.rows, in->table);
        st = runner_add_output(r, name, "text/csv", (uint8_t *)csv, strlen(csv));
    } else {
        fprintf(stderr, "clave-runner: infer %s: failed\n", in->name);
        free(csv);
    }
    if (pred != NULL) {
        clave_wipe(pred, (x.rows + 1) * sizeof(double));
    }
    free(pred);
    runner_matrix_free(&x);
    return st;
}
