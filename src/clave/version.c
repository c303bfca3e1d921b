/* SPDX-License-Identifier: Apache-2.0 */
#include "cli.h"

#include <stdio.h>

int cli_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("clave 0.1.0\n");
    return 0;
}
