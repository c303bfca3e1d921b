/* SPDX-License-Identifier: Apache-2.0 */
/* clave fl run: load the configured data and cut it into per-client train and test sets. */
#include "fl_cli.h"

#include "he_cli.h"

#include <stdlib.h>
#include <string.h>

/* Fields of the first line of `text` (up to its newline). */
static size_t first_line_fields(const char *text, size_t len)
{
    size_t n = 1;
    for (size_t i = 0; i < len && text[i] != '\n'; i++) {
        n += text[i] == ',';
    }
    return n;
}

/* The schema of a CSV file: features from the header (sklearn) or the first line's width. */
static clave_status csv_schema(const struct clave_fl_run_spec *run, const char *text, size_t len,
                               struct clave_ml_csv_schema *s)
{
    size_t fields = first_line_fields(text, len);
    memset(s, 0, sizeof(*s));
    s->header = run->header;
    s->max_rows = run->max_rows;
    s->classes = run->cfg.model.kind == CLAVE_ML_LINEAR     ? 0
                 : run->cfg.model.kind == CLAVE_ML_LOGISTIC ? 2
                                                            : run->cfg.model.classes;
    if (run->header == CLAVE_ML_CSV_SKLEARN) {
        /* "rows,features,names...": the digits of the second field. */
        size_t i = 0;
        unsigned long f = 0;
        while (i < len && text[i] != ',' && text[i] != '\n') {
            i++;
        }
        for (i++; i < len && text[i] >= '0' && text[i] <= '9' && f <= CLAVE_ML_MAX_WIDTH; i++) {
            f = f * 10 + (unsigned long)(text[i] - '0');
        }
        if (fields < 4 || f == 0 || f > CLAVE_ML_MAX_WIDTH) {
            return CLAVE_ERR_FORMAT;
        }
        s->features = (uint32_t)f;
        if (s->classes == 0 && run->cfg.model.kind != CLAVE_ML_LINEAR) {
            s->classes = (uint32_t)(fields - 2);
        }
    } else {
        if (fields < 2 || fields - 1 > CLAVE_ML_MAX_WIDTH) {
            return CLAVE_ERR_FORMAT;
        }
        s->features = (uint32_t)(fields - 1);
    }
    return CLAVE_OK;
}

static clave_status load_all(const struct clave_fl_run_spec *run, struct clave_ml_dataset **out)
{
    clave_status st = CLAVE_OK;
    uint8_t *a = NULL, *b = NULL;
    size_t alen = 0, blen = 0;
    st = cli_he_read_file(run->data_path, FL_CLI_MAX_DATA, &a, &alen);
    if (st == CLAVE_OK && strcmp(run->data_format, "idx") == 0) {
        st = cli_he_read_file(run->labels_path, FL_CLI_MAX_DATA, &b, &blen);
        uint32_t classes = run->cfg.model.classes != 0 ? run->cfg.model.classes : 10;
        if (st == CLAVE_OK) {
            st = clave_ml_idx_parse(a, alen, b, blen, classes, run->max_rows, out);
        }
    } else if (st == CLAVE_OK) {
        struct clave_ml_csv_schema schema;
        st = csv_schema(run, (const char *)a, alen, &schema);
        if (st != CLAVE_OK) {
            fprintf(stderr, "clave fl: %s: cannot infer the columns from the first line\n",
                    run->data_path);
        } else {
            st = clave_ml_csv_parse((const char *)a, alen, &schema, out);
        }
    }
    free(a);
    free(b);
    return st;
}

clave_status fl_cli_load(struct clave_fl_run_spec *run, struct fl_cli_data *d)
{
    clave_status st = CLAVE_OK;
    struct clave_ml_dataset *all = NULL, *train = NULL, *test = NULL;
    uint32_t n = run->cfg.clients;
    memset(d, 0, sizeof(*d));
    d->train = calloc(n, sizeof(*d->train));
    d->test = calloc(n, sizeof(*d->test));
    if (d->train == NULL || d->test == NULL) {
        return CLAVE_ERR_NOMEM;
    }
    d->clients = n;
    if ((st = load_all(run, &all)) != CLAVE_OK ||
        (st = clave_ml_dataset_split(all, run->test_fraction, run->cfg.seed, &train, &test)) !=
            CLAVE_OK ||
        (run->standardize && (st = clave_ml_dataset_standardize(train, test)) != CLAVE_OK) ||
        (st = clave_ml_dataset_partition(train, n, run->alpha, run->cfg.seed, d->train)) !=
            CLAVE_OK ||
        (st = clave_ml_dataset_partition(test, n, 0.0, run->cfg.seed, d->test)) != CLAVE_OK) {
        goto done;
    }
    run->cfg.model.inputs = (uint32_t)clave_ml_dataset_features(all);
    if (run->cfg.model.kind == CLAVE_ML_SOFTMAX || run->cfg.model.kind == CLAVE_ML_MLP) {
        run->cfg.model.classes = clave_ml_dataset_classes(all);
    }
    d->rows = clave_ml_dataset_rows(all);
done:
    clave_ml_dataset_free(all);
    clave_ml_dataset_free(train);
    clave_ml_dataset_free(test);
    return st;
}

void fl_cli_data_free(struct fl_cli_data *d)
{
    for (size_t i = 0; i < d->clients; i++) {
        clave_ml_dataset_free(d->train != NULL ? d->train[i] : NULL);
        clave_ml_dataset_free(d->test != NULL ? d->test[i] : NULL);
    }
    free(d->train);
    free(d->test);
    memset(d, 0, sizeof(*d));
}

int fl_cli_load_party(const struct clave_fl_run_spec *contract_run, const char *path,
                      struct fl_cli_data *d)
{
    struct clave_fl_run_spec run = *contract_run;
    run.cfg.clients = 1;
    run.alpha = 0.0;
    if (strlen(path) >= sizeof(run.data_path)) {
        fprintf(stderr, "clave fl join: --data: path too long\n");
        return CLI_USAGE;
    }
    memcpy(run.data_path, path, strlen(path) + 1);
    clave_status st = fl_cli_load(&run, d);
    if (st != CLAVE_OK) {
        return cli_fail(path, st);
    }
    if (run.cfg.model.inputs != contract_run->cfg.model.inputs) {
        fprintf(stderr, "clave fl join: %s has %u features, the contract's model %u\n", path,
                run.cfg.model.inputs, contract_run->cfg.model.inputs);
        return CLI_FAILED;
    }
    return 0;
}
