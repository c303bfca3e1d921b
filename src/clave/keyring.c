/* SPDX-License-Identifier: Apache-2.0 */
/* clave keyring init | list | export-public | generate */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char KEYRING_USAGE[] =
    "usage: clave keyring init [--label LABEL] [keyring options]\n"
    "       clave keyring generate --kind kek|p256 [--label LABEL] [keyring options]\n"
    "       clave keyring list [--json] [keyring options]\n"
    "       clave keyring export-public KEYID [keyring options]\n"
    "\n"
    "init creates the keyring with an AES-256 key-encryption key (KEK) and, for a file keyring,\n"
    "a P-256 recipient key pair whose public JWK others can seal to. list prints the keys (ids,\n"
    "kinds, labels; never key material). export-public prints a P-256 key's public "
    "JWK.\n\n" CLI_KEYRING_HELP;

static const char *kind_name(enum clave_key_kind kind)
{
    return kind == CLAVE_KEY_AES256_KEK ? "aes256-kek" : "p256-ecdh";
}

struct keyring_args {
    struct cli_keyring_opts ring;
    const char *label;
    const char *kind;
    bool json;
    int first_operand;
};

static int parse_args(int argc, char **argv, struct keyring_args *args)
{
    static const struct option LONG_OPTIONS[] = {
        {"label", required_argument, NULL, 'l'},
        {"kind", required_argument, NULL, 'k'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        CLI_KEYRING_LONG_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    int opt = 0;
    memset(args, 0, sizeof(*args));
    optind = 1;
    while ((opt = getopt_long(argc, argv, "l:k:jh", LONG_OPTIONS, NULL)) != -1) {
        if (cli_keyring_opt(&args->ring, opt, optarg)) {
            continue;
        }
        switch (opt) {
        case 'l':
            args->label = optarg;
            break;
        case 'k':
            args->kind = optarg;
            break;
        case 'j':
            args->json = true;
            break;
        case 'h':
            fputs(KEYRING_USAGE, stdout);
            exit(0);
        default:
            fputs(KEYRING_USAGE, stderr);
            return CLI_USAGE;
        }
    }
    args->first_operand = optind;
    return 0;
}

static void print_key(const struct clave_key_info *info)
{
    printf("%-24s %-11s %s\n", info->id, kind_name(info->kind), info->label);
}

static int keyring_init(struct keyring_args *args, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    struct clave_keyring *kr = NULL;
    struct clave_key_info info;
    const char *label = args->label != NULL ? args->label : "default";
    clave_status st = cli_keyring_load(&args->ring, true, &kr);
    if (st != CLAVE_OK) {
        return cli_fail("keyring init", st);
    }
    st = clave_keyring_generate(kr, CLAVE_KEY_AES256_KEK, label, &info);
    if (st == CLAVE_OK) {
        print_key(&info);
        if (args->ring.module == NULL) {
            st = clave_keyring_generate(kr, CLAVE_KEY_P256_ECDH, label, &info);
            if (st == CLAVE_OK) {
                print_key(&info);
            }
        }
    }
    clave_keyring_free(kr);
    return st == CLAVE_OK ? 0 : cli_fail("keyring init", st);
}

static int keyring_generate(struct keyring_args *args, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    struct clave_keyring *kr = NULL;
    struct clave_key_info info;
    enum clave_key_kind kind = CLAVE_KEY_AES256_KEK;
    if (args->kind == NULL || (strcmp(args->kind, "kek") != 0 && strcmp(args->kind, "p256") != 0)) {
        fprintf(stderr, "clave: keyring generate needs --kind kek or --kind p256\n");
        return CLI_USAGE;
    }
    kind = strcmp(args->kind, "kek") == 0 ? CLAVE_KEY_AES256_KEK : CLAVE_KEY_P256_ECDH;
    clave_status st = cli_keyring_load(&args->ring, false, &kr);
    if (st == CLAVE_OK) {
        st = clave_keyring_generate(kr, kind, args->label ? args->label : "default", &info);
    }
    if (st == CLAVE_OK) {
        print_key(&info);
    }
    clave_keyring_free(kr);
    return st == CLAVE_OK ? 0 : cli_fail("keyring generate", st);
}

static int keyring_list(struct keyring_args *args, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    struct clave_keyring *kr = NULL;
    struct clave_key_info info;
    json_t *list = json_array();
    clave_status st = cli_keyring_load(&args->ring, false, &kr);
    for (size_t i = 0; st == CLAVE_OK && i < clave_keyring_count(kr); i++) {
        st = clave_keyring_info(kr, i, &info);
        if (st == CLAVE_OK && args->json) {
            (void)json_array_append_new(
                list, json_pack("{s:s, s:s, s:s, s:I}", "id", info.id, "kind", kind_name(info.kind),
                                "label", info.label, "created", (json_int_t)info.created));
        } else if (st == CLAVE_OK) {
            print_key(&info);
        }
    }
    if (st == CLAVE_OK && args->json) {
        char *text = json_dumps(list, JSON_INDENT(2));
        if (text != NULL) {
            printf("%s\n", text);
            free(text);
        }
    }
    json_decref(list);
    clave_keyring_free(kr);
    return st == CLAVE_OK ? 0 : cli_fail("keyring list", st);
}

static int keyring_export(struct keyring_args *args, int argc, char **argv)
{
    struct clave_keyring *kr = NULL;
    char *jwk = NULL;
    if (args->first_operand != argc - 1) {
        fputs(KEYRING_USAGE, stderr);
        return CLI_USAGE;
    }
    clave_status st = cli_keyring_load(&args->ring, false, &kr);
    if (st == CLAVE_OK) {
        st = clave_keyring_export_public(kr, argv[args->first_operand], &jwk);
    }
    if (st == CLAVE_OK) {
        printf("%s\n", jwk);
    }
    free(jwk);
    clave_keyring_free(kr);
    return st == CLAVE_OK ? 0 : cli_fail("keyring export-public", st);
}

int cli_keyring(int argc, char **argv)
{
    struct keyring_args args;
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(KEYRING_USAGE, argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : 0;
    }
    static const struct {
        const char *name;
        int (*run)(struct keyring_args *args, int argc, char **argv);
    } SUBCOMMANDS[] = {
        {"init", keyring_init},
        {"generate", keyring_generate},
        {"list", keyring_list},
        {"export-public", keyring_export},
    };
    const char *sub = argv[1];
    for (size_t i = 0; i < sizeof(SUBCOMMANDS) / sizeof(SUBCOMMANDS[0]); i++) {
        if (strcmp(sub, SUBCOMMANDS[i].name) == 0) {
            int rc = parse_args(argc - 1, argv + 1, &args);
            return rc != 0 ? rc : SUBCOMMANDS[i].run(&args, argc - 1, argv + 1);
        }
    }
    fprintf(stderr, "clave: unknown keyring command '%s'\n", sub);
    fputs(KEYRING_USAGE, stderr);
    return CLI_USAGE;
}
