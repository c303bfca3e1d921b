/* SPDX-License-Identifier: Apache-2.0 */
/* Application state: configuration, log, keys, store (migrated), metrics, first-start bootstrap. */
#ifndef CLAVED_APP_H
#define CLAVED_APP_H

#include "claved.h"

/* Initialise `app` from `cfg` (ownership of cfg's strings moves into app). Creates the data
 * directory, the session key, opens and migrates the store and applies a pending bootstrap
 * file ({data}/bootstrap.json written by `clave server init`). Loads (creating on first start)
 * the audit log key, opens the ledger and signs a tree head if the log grew. */
clave_status claved_app_init(struct claved_app *app, struct claved_config *cfg, FILE *log_sink);
void claved_app_fini(struct claved_app *app);

/* Open one more store connection (and the ledger over it) for a thread; close it with
 * claved_app_conn_close (safe on a zeroed or failed conn). */
clave_status claved_app_conn_open(struct claved_app *app, struct claved_conn *out);
void claved_app_conn_close(struct claved_conn *conn);

#endif
