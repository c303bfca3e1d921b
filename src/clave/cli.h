/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CLAVE_CLI_H
#define CLAVE_CLI_H

#include <clave/clave.h>
#include <stdbool.h>
#include <stdio.h>

/* Exit codes: 0 success, 1 operation failed, 2 usage error. */
#define CLI_FAILED 1
#define CLI_USAGE 2

struct cli_command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv); /* argv[0] is the command name */
};

/* Print "clave: <what>: <status> (<detail>)" for the last failure; returns CLI_FAILED. */
int cli_fail(const char *what, clave_status st);

/* Keyring selection shared by every command that needs keys. */
struct cli_keyring_opts {
    const char *path;        /* --keyring, or $CLAVE_KEYRING, or ./clave-keyring.json */
    const char *module;      /* --pkcs11-module (selects the pkcs11 backend) */
    const char *token;       /* --token */
    const char *secret_file; /* --passphrase-file / --pin-file */
};

/* getopt_long option ids for the keyring options (values above any short option). */
enum {
    CLI_OPT_KEYRING = 1000,
    CLI_OPT_PKCS11_MODULE,
    CLI_OPT_TOKEN,
    CLI_OPT_SECRET_FILE,
};

#define CLI_KEYRING_LONG_OPTIONS                                                                   \
    {"keyring", required_argument, NULL, CLI_OPT_KEYRING},                                         \
        {"pkcs11-module", required_argument, NULL, CLI_OPT_PKCS11_MODULE},                         \
        {"token", required_argument, NULL, CLI_OPT_TOKEN},                                         \
        {"passphrase-file", required_argument, NULL, CLI_OPT_SECRET_FILE},                         \
    {                                                                                              \
        "pin-file", required_argument, NULL, CLI_OPT_SECRET_FILE                                   \
    }

#define CLI_KEYRING_HELP                                                                           \
    "keyring options:\n"                                                                           \
    "  --keyring PATH          file keyring (default $CLAVE_KEYRING or ./clave-keyring.json)\n"    \
    "  --passphrase-file FILE  read the passphrase from FILE (default "                            \
    "$CLAVE_KEYRING_PASSPHRASE,\n"                                                                 \
    "                          else prompt on the terminal)\n"                                     \
    "  --pkcs11-module SO      use a PKCS#11 token instead (e.g. "                                 \
    "/usr/lib/softhsm/libsofthsm2.so)\n"                                                           \
    "  --token LABEL           token label (default $CLAVE_PKCS11_TOKEN)\n"                        \
    "  --pin-file FILE         user PIN (default $CLAVE_PKCS11_PIN, else prompt)\n"

/* Handle one keyring option; returns true if `opt` was one. */
bool cli_keyring_opt(struct cli_keyring_opts *opts, int opt, const char *arg);

/* Open (create = false) or create (create = true) the selected keyring. Caller frees. */
clave_status cli_keyring_load(const struct cli_keyring_opts *opts, bool create,
                              struct clave_keyring **out);

/* A secret from `file` (first line), else the environment variable `env` (may be NULL), else a
 * prompt on the terminal with echo off. Caller frees `*out`. */
clave_status cli_secret_load(const char *file, const char *env, const char *prompt,
                             struct clave_secret **out);

int cli_version(int argc, char **argv);
int cli_audit(int argc, char **argv);
int cli_keyring(int argc, char **argv);
int cli_seal(int argc, char **argv);
int cli_unseal(int argc, char **argv);
int cli_inspect(int argc, char **argv);
int cli_he(int argc, char **argv);
int cli_dp(int argc, char **argv);
int cli_secagg(int argc, char **argv);
int cli_fl(int argc, char **argv);
int cli_server(int argc, char **argv);
int cli_kbs(int argc, char **argv);
int cli_contract(int argc, char **argv);
int cli_collab(int argc, char **argv);
int cli_party(int argc, char **argv);
int cli_dataset(int argc, char **argv);
int cli_recipient(int argc, char **argv);
/* clave contract submit|approve|submit-revocation|status: the server verbs (contract_remote.c). */
bool cli_contract_is_remote(const char *verb);
int cli_contract_remote(int argc, char **argv);
/* clave kbs policy show (GET /v1/kbs/policy); argv[0] is "policy". */
int cli_kbs_policy(int argc, char **argv);
int cli_attest(int argc, char **argv);
int cli_login(int argc, char **argv);
int cli_user(int argc, char **argv);
int cli_token(int argc, char **argv);
int cli_mpc(int argc, char **argv);
int cli_result(int argc, char **argv);

#endif
