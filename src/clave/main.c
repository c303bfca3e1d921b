/* SPDX-License-Identifier: Apache-2.0 */
/* clave: the command-line tool. Dispatch by table; each command lives in its own file. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static const struct cli_command COMMANDS[] = {
    {"keyring", "create and list keys (file or PKCS#11 keyring)", cli_keyring},
    {"seal", "encrypt a file into the sealed format", cli_seal},
    {"unseal", "decrypt and verify a sealed file", cli_unseal},
    {"inspect", "show a sealed file's header as JSON", cli_inspect},
    {"he", "Paillier keys and encrypted sums over CSV columns", cli_he},
    {"audit", "verify an audit log or entry offline; tail a server's log", cli_audit},
    {"dp", "differential privacy: accountants, noisy queries, budget ledger", cli_dp},
    {"mpc", "three-node secret-shared compute (node, share, run)", cli_mpc},
    {"secagg", "secure aggregation of client vectors (simulation)", cli_secagg},
    {"fl", "federated learning: simulation, clients of FL contracts, status", cli_fl},
    {"server", "prepare a claved data directory (server init)", cli_server},
    {"contract", "propose, sign, revoke, bundle and verify multi-party contracts", cli_contract},
    {"collab", "collaborations on the server: create, show, list; verify a history", cli_collab},
    {"party", "signed collaboration membership: add, remove, rekey, list", cli_party},
    {"dataset", "sealed datasets on the server: upload (streamed), list, show", cli_dataset},
    {"recipient", "result recipients' public keys on the server: register, list", cli_recipient},
    {"attest", "verify, inspect, simulate and collect TEE attestation evidence", cli_attest},
    {"result", "verify result receipts offline; encrypt and decrypt results", cli_result},
    {"kbs", "key broker client: attest (sim evidence) and fetch a key; budget debit", cli_kbs},
    {"login", "log in to a claved server (password + TOTP); caches the session", cli_login},
    {"user", "users on the server: add, list, role", cli_user},
    {"token", "API tokens on the server: create, revoke", cli_token},
    {"version", "print the version", cli_version},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: clave COMMAND [ARGS...]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(COMMANDS) / sizeof(COMMANDS[0]); i++) {
        fprintf(out, "  %-10s %s\n", COMMANDS[i].name, COMMANDS[i].summary);
    }
    fprintf(out, "\nRun 'clave COMMAND --help' for a command's options.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : 0;
    }
    /* `clave kbs policy` lives in kbs_policy.c (the kbs command table is src/clave/kbs.c). */
    if (argc >= 3 && strcmp(argv[1], "kbs") == 0 && strcmp(argv[2], "policy") == 0) {
        return cli_kbs_policy(argc - 2, argv + 2);
    }
    for (size_t i = 0; i < sizeof(COMMANDS) / sizeof(COMMANDS[0]); i++) {
        if (strcmp(argv[1], COMMANDS[i].name) == 0) {
            return COMMANDS[i].run(argc - 1, argv + 1);
        }
    }
    fprintf(stderr, "clave: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return CLI_USAGE;
}
