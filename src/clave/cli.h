/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CLAVE_CLI_H
#define CLAVE_CLI_H

#include <clave/clave.h>

/* Exit codes: 0 success, 1 operation failed, 2 usage error. */
#define CLI_FAILED 1
#define CLI_USAGE 2

struct cli_command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv); /* argv[0] is the command name */
};

int cli_version(int argc, char **argv);

#endif
