/* SPDX-License-Identifier: Apache-2.0 */
/* Application state: configuration, log, keys, store (migrated), metrics, first-start bootstrap. */
#ifndef CLAVED_APP_H
#define CLAVED_APP_H

#include "claved.h"

/* Initialise `app` from `cfg` (ownership of cfg's strings moves into app). Creates the data
 * directory, the session key, opens and migrates the store and applies a pending bootstrap
 * file ({data}/bootstrap.json written by `clave server init`). */
clave_status claved_app_init(struct claved_app *app, struct claved_config *cfg, FILE *log_sink);
void claved_app_fini(struct claved_app *app);

/* Open one more store connection for a thread. */
clave_status claved_app_store_clone(struct claved_app *app, struct clave_store **out);

#endif
