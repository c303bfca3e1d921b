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

/* Feature columns in the job's order, then the label, from every dataset of the table. */
static clave_status gather(struct runner *r, const struct runner_train *t, struct runner_matrix *m)
{
    const char *names[RUNNER_FEATURES_MAX + 1];
    const struct runner_table *tab = runner_job_table(&r->job, t->table);
    for (size_t i = 0; i < t->feature_count; i++) {
        names[i] = t->features[i].column;
    }
    names[t->feature_count] = t->label;
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
    clave_status st = gather(r, t, &m);
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
