/* SPDX-License-Identifier: Apache-2.0 */
/* clave inspect FILE: the sealed header as JSON. No keys needed; nothing secret is shown. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char INSPECT_USAGE[] =
    "usage: clave inspect FILE\n"
    "\n"
    "Print the header of a sealed file as JSON: format version, algorithm, chunk size, file and\n"
    "data-key ids, and each recipient's key id and wrap kind. The header is NOT authenticated\n"
    "by this command (that needs the data key): use it to see who can open a file.\n";

int cli_inspect(int argc, char **argv)
{
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(INSPECT_USAGE, stdout);
        return 0;
    }
    if (argc != 2) {
        fputs(INSPECT_USAGE, stderr);
        return CLI_USAGE;
    }
    struct clave_seal_fds fds = {open(argv[1], O_RDONLY | O_CLOEXEC), -1};
    if (fds.in < 0) {
        fprintf(stderr, "clave: cannot open %s: %s\n", argv[1], strerror(errno));
        return CLI_FAILED;
    }
    struct clave_seal_io io = clave_seal_io_fds(&fds);
    struct clave_seal_header *hdr = NULL;
    char *json = NULL;
    clave_status st = clave_seal_header_read(&io, &hdr);
    if (st == CLAVE_OK) {
        st = clave_seal_header_json(hdr, &json);
    }
    close(fds.in);
    if (st == CLAVE_OK) {
        printf("%s\n", json);
    }
    free(json);
    clave_seal_header_free(hdr);
    return st == CLAVE_OK ? 0 : cli_fail("inspect", st);
}
