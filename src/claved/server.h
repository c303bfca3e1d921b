/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The HTTPS front end: one event loop per thread, each with its own SO_REUSEPORT listener and
 * evhttp; a worker pool runs the handlers; SIGTERM/SIGINT drain in-flight requests.
 */
#ifndef CLAVED_SERVER_H
#define CLAVED_SERVER_H

#include "claved.h"

/* Serve until SIGTERM or SIGINT, then drain and return. */
clave_status claved_serve(struct claved_app *app);

#endif
