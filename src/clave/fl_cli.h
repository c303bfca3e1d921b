/* SPDX-License-Identifier: Apache-2.0 */
/* clave fl: data loading (fl_data.c) shared with the command (fl.c). */
#ifndef CLAVE_CLI_FL_H
#define CLAVE_CLI_FL_H

#include "cli.h"

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
void fl_cli_data_free(struct fl_cli_data *d);

#endif
