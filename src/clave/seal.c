/* SPDX-License-Identifier: Apache-2.0 */
/* clave seal / unseal: the sealed format with data keys wrapped to keyring keys and JWKs. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_JWK_FILE (64 * 1024)

static const char SEAL_USAGE[] =
    "usage: clave seal IN OUT --to KEYID [--to KEYID...] [--to-jwk FILE...] [--chunk-size N]\n"
    "                 [keyring options]\n"
    "\n"
    "Encrypt IN into the sealed format (docs/formats/sealed.md) under a fresh 256-bit data key,\n"
    "wrapped once per recipient: --to names a key of your keyring (KEK or P-256), --to-jwk a\n"
    "public JWK file (P-256/P-384/X25519 or RSA) of someone else, such as a key broker.\n"
    "IN or OUT may be '-' for stdin/stdout. Chunk size defaults to 65536 "
    "bytes.\n\n" CLI_KEYRING_HELP;

static const char UNSEAL_USAGE[] =
    "usage: clave unseal IN OUT [keyring options]\n"
    "\n"
    "Decrypt a sealed file with the first recipient key found in the keyring. OUT appears only\n"
    "if the whole file authenticates: it is written to a temporary file and renamed at the end.\n"
    "\n" CLI_KEYRING_HELP;

#define MAX_TO 16

struct seal_args {
    struct cli_keyring_opts ring;
    const char *to[MAX_TO];
    size_t to_count;
    const char *to_jwk[MAX_TO];
    size_t to_jwk_count;
    size_t chunk_size;
};

static int parse_seal_args(int argc, char **argv, struct seal_args *args)
{
    static const struct option LONG_OPTIONS[] = {
        {"to", required_argument, NULL, 't'},
        {"to-jwk", required_argument, NULL, 'J'},
        {"chunk-size", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        CLI_KEYRING_LONG_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    int opt = 0;
    char *end = NULL;
    memset(args, 0, sizeof(*args));
    optind = 1;
    while ((opt = getopt_long(argc, argv, "t:c:h", LONG_OPTIONS, NULL)) != -1) {
        if (cli_keyring_opt(&args->ring, opt, optarg)) {
            continue;
        }
        if (opt == 't' && args->to_count < MAX_TO) {
            args->to[args->to_count++] = optarg;
        } else if (opt == 'J' && args->to_jwk_count < MAX_TO) {
            args->to_jwk[args->to_jwk_count++] = optarg;
        } else if (opt == 'c') {
            errno = 0;
            unsigned long long v = strtoull(optarg, &end, 10);
            if (errno != 0 || *end != '\0' || v > CLAVE_SEAL_CHUNK_MAX) {
                fprintf(stderr, "clave: --chunk-size: not a size up to %d\n", CLAVE_SEAL_CHUNK_MAX);
                return CLI_USAGE;
            }
            args->chunk_size = (size_t)v;
        } else if (opt == 'h') {
            fputs(SEAL_USAGE, stdout);
            exit(0);
        } else {
            fputs(SEAL_USAGE, stderr);
            return CLI_USAGE;
        }
    }
    if (argc - optind != 2 || args->to_count + args->to_jwk_count == 0) {
        fputs(SEAL_USAGE, stderr);
        return CLI_USAGE;
    }
    return 0;
}

/* Everything a seal run owns; freed in one place. */
struct seal_job {
    struct clave_keyring *kr;
    struct clave_secret *dek;
    uint8_t file_id[CLAVE_SEAL_ID_LEN];
    uint8_t dek_id[CLAVE_SEAL_ID_LEN];
    struct clave_seal_recipient rcpt[CLAVE_SEAL_RECIPIENTS_MAX];
    uint8_t *wrapped[CLAVE_SEAL_RECIPIENTS_MAX];
    char *ids[CLAVE_SEAL_RECIPIENTS_MAX];
    size_t count;
};

static void seal_job_free(struct seal_job *job)
{
    for (size_t i = 0; i < job->count; i++) {
        free(job->wrapped[i]);
        free(job->ids[i]);
    }
    clave_secret_free(job->dek);
    clave_keyring_free(job->kr);
}

/* Wrap the DEK to a public JWK as a compact JWE. */
static clave_status wrap_to_jwk(struct seal_job *job, struct clave_jwk *jwk, const char *id)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char *jwe = NULL;
    const char *alg = clave_jwk_type(jwk) == CLAVE_JWK_RSA ? "RSA-OAEP-256" : "ECDH-ES+A256KW";
    st = clave_jwe_encrypt(jwk, alg, clave_secret_cdata(job->dek), clave_secret_len(job->dek), NULL,
                           0, CLAVE_JWE_COMPACT, &jwe);
    if (st != CLAVE_OK) {
        return st;
    }
    size_t i = job->count++;
    job->wrapped[i] = (uint8_t *)jwe;
    job->ids[i] = strdup(id);
    job->rcpt[i].wrap = CLAVE_SEAL_WRAP_JWE;
    job->rcpt[i].key_id = job->ids[i];
    job->rcpt[i].wrapped = job->wrapped[i];
    job->rcpt[i].wrapped_len = strlen(jwe);
    return job->ids[i] != NULL ? CLAVE_OK : CLAVE_ERR_NOMEM;
}

static clave_status wrap_to_keyring(struct seal_job *job, const char *id)
{
    struct clave_key_info info;
    clave_status st = clave_keyring_find(job->kr, id, &info);
    if (st != CLAVE_OK) {
        return st;
    }
    if (info.kind == CLAVE_KEY_P256_ECDH) {
        char *text = NULL;
        struct clave_jwk *jwk = NULL;
        st = clave_keyring_export_public(job->kr, id, &text);
        if (st == CLAVE_OK) {
            st = clave_jwk_parse(text, strlen(text), &jwk);
        }
        if (st == CLAVE_OK) {
            st = wrap_to_jwk(job, jwk, id);
        }
        clave_jwk_free(jwk);
        free(text);
        return st;
    }
    uint8_t aad[CLAVE_SEAL_WRAP_AAD_LEN];
    size_t i = job->count;
    clave_seal_wrap_aad(job->file_id, job->dek_id, aad);
    job->wrapped[i] = malloc(CLAVE_WRAPPED_KEY_MAX);
    job->ids[i] = strdup(id);
    if (job->wrapped[i] == NULL || job->ids[i] == NULL) {
        free(job->wrapped[i]);
        free(job->ids[i]);
        return CLAVE_ERR_NOMEM;
    }
    job->count++;
    job->rcpt[i].wrap = CLAVE_SEAL_WRAP_KEK;
    job->rcpt[i].key_id = job->ids[i];
    job->rcpt[i].wrapped = job->wrapped[i];
    return clave_keyring_wrap(job->kr, id, job->dek, aad, sizeof(aad), job->wrapped[i],
                              CLAVE_WRAPPED_KEY_MAX, &job->rcpt[i].wrapped_len);
}

static clave_status read_small_file(const char *path, char **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    *out = NULL;
    *len = 0;
    if (f == NULL) {
        fprintf(stderr, "clave: cannot open %s: %s\n", path, strerror(errno));
        return CLAVE_ERR_IO;
    }
    char *buf = malloc(MAX_JWK_FILE + 1);
    size_t n = buf != NULL ? fread(buf, 1, MAX_JWK_FILE + 1, f) : 0;
    fclose(f);
    if (buf == NULL || n > MAX_JWK_FILE) {
        free(buf);
        fprintf(stderr, "clave: %s: larger than %d bytes\n", path, MAX_JWK_FILE);
        return CLAVE_ERR_TOO_LARGE;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return CLAVE_OK;
}

static clave_status wrap_to_jwk_file(struct seal_job *job, const char *path)
{
    char *text = NULL;
    size_t len = 0;
    struct clave_jwk *jwk = NULL;
    uint8_t thumb[32];
    char id[CLAVE_SEAL_KEY_ID_MAX + 1];
    clave_status st = read_small_file(path, &text, &len);
    if (st == CLAVE_OK) {
        st = clave_jwk_parse(text, len, &jwk);
    }
    if (st == CLAVE_OK) {
        /* Recipient id: the JWK's kid, else "jwk-" + the start of its RFC 7638 thumbprint. */
        const char *kid = clave_jwk_kid(jwk);
        if (kid != NULL && kid[0] != '\0' && strlen(kid) <= CLAVE_SEAL_KEY_ID_MAX) {
            (void)snprintf(id, sizeof(id), "%s", kid);
        } else if ((st = clave_jwk_thumbprint(jwk, thumb)) == CLAVE_OK) {
            char hex[33]; /* 16 bytes of the thumbprint: "jwk-" + 32 hex fits a key id */
            st = clave_hex_encode(thumb, 16, hex, sizeof(hex));
            (void)snprintf(id, sizeof(id), "jwk-%s", hex);
        }
    }
    if (st == CLAVE_OK) {
        st = wrap_to_jwk(job, jwk, id);
    }
    clave_jwk_free(jwk);
    free(text);
    return st;
}

static int open_in(const char *path)
{
    return strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
}

int cli_seal(int argc, char **argv)
{
    struct seal_args args;
    struct seal_job job;
    clave_status st = CLAVE_OK;
    uint64_t total = 0;
    int rc = parse_seal_args(argc, argv, &args);
    if (rc != 0) {
        return rc;
    }
    memset(&job, 0, sizeof(job));
    const char *in_path = argv[optind];
    const char *out_path = argv[optind + 1];
    if (args.to_count > 0) {
        st = cli_keyring_load(&args.ring, false, &job.kr);
    }
    if (st == CLAVE_OK) {
        st = clave_secret_random(CLAVE_SEAL_DEK_LEN, &job.dek);
    }
    if (st == CLAVE_OK) {
        st = clave_random(job.file_id, sizeof(job.file_id));
    }
    if (st == CLAVE_OK) {
        st = clave_random(job.dek_id, sizeof(job.dek_id));
    }
    for (size_t i = 0; st == CLAVE_OK && i < args.to_count; i++) {
        st = wrap_to_keyring(&job, args.to[i]);
    }
    for (size_t i = 0; st == CLAVE_OK && i < args.to_jwk_count; i++) {
        st = wrap_to_jwk_file(&job, args.to_jwk[i]);
    }
    if (st != CLAVE_OK) {
        seal_job_free(&job);
        return cli_fail("seal", st);
    }
    struct clave_seal_fds fds = {open_in(in_path), -1};
    if (fds.in < 0) {
        fprintf(stderr, "clave: cannot open %s: %s\n", in_path, strerror(errno));
        seal_job_free(&job);
        return CLI_FAILED;
    }
    fds.out = strcmp(out_path, "-") == 0
                  ? STDOUT_FILENO
                  : open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fds.out < 0) {
        fprintf(stderr, "clave: cannot create %s: %s\n", out_path, strerror(errno));
        st = CLAVE_ERR_IO;
    } else {
        struct clave_seal_io io = clave_seal_io_fds(&fds);
        st = clave_seal_stream(job.dek, job.file_id, job.dek_id, args.chunk_size, job.rcpt,
                               job.count, &io, &total);
    }
    if (fds.out > STDOUT_FILENO && close(fds.out) != 0 && st == CLAVE_OK) {
        st = CLAVE_ERR_IO;
    }
    if (fds.in > STDIN_FILENO) {
        close(fds.in);
    }
    seal_job_free(&job);
    if (st != CLAVE_OK) {
        if (strcmp(out_path, "-") != 0) {
            (void)unlink(out_path);
        }
        return cli_fail("seal", st);
    }
    fprintf(stderr, "sealed %llu bytes to %s for %zu recipient(s)\n", (unsigned long long)total,
            out_path, args.to_count + args.to_jwk_count);
    return 0;
}

/* Try each recipient entry whose key id is in our keyring; first success wins. */
static clave_status unwrap_dek(struct clave_keyring *kr, const struct clave_seal_header *hdr,
                               struct clave_secret **dek)
{
    uint8_t aad[CLAVE_SEAL_WRAP_AAD_LEN];
    clave_seal_wrap_aad(clave_seal_header_file_id(hdr), clave_seal_header_dek_id(hdr), aad);
    for (size_t i = 0; i < clave_seal_header_recipient_count(hdr); i++) {
        struct clave_seal_recipient r;
        struct clave_key_info info;
        if (clave_seal_header_recipient(hdr, i, &r) != CLAVE_OK ||
            clave_keyring_find(kr, r.key_id, &info) != CLAVE_OK) {
            continue;
        }
        /* KEK entries bind the file through AAD; a compact JWE cannot carry AAD (a JWE moved
         * to another file yields a DEK that fails that file's header tag). */
        bool kek = r.wrap == CLAVE_SEAL_WRAP_KEK;
        if (clave_keyring_unwrap(kr, r.key_id, r.wrapped, r.wrapped_len, kek ? aad : NULL,
                                 kek ? sizeof(aad) : 0, dek) == CLAVE_OK) {
            return CLAVE_OK;
        }
    }
    return CLAVE_ERR_NO_RECIPIENT;
}

static int parse_unseal_args(int argc, char **argv, struct cli_keyring_opts *ring)
{
    static const struct option LONG_OPTIONS[] = {
        {"help", no_argument, NULL, 'h'},
        CLI_KEYRING_LONG_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    int opt = 0;
    memset(ring, 0, sizeof(*ring));
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", LONG_OPTIONS, NULL)) != -1) {
        if (cli_keyring_opt(ring, opt, optarg)) {
            continue;
        }
        if (opt == 'h') {
            fputs(UNSEAL_USAGE, stdout);
            exit(0);
        }
        fputs(UNSEAL_USAGE, stderr);
        return CLI_USAGE;
    }
    if (argc - optind != 2) {
        fputs(UNSEAL_USAGE, stderr);
        return CLI_USAGE;
    }
    return 0;
}

/* Decrypt into a temporary file beside OUT; rename over OUT only when everything verified. */
static clave_status unseal_to(const struct clave_seal_header *hdr, const struct clave_secret *dek,
                              int in_fd, const char *out_path, uint64_t *total)
{
    clave_status st = CLAVE_ERR_IO;
    char tmp[4096];
    struct clave_seal_fds fds = {in_fd, STDOUT_FILENO};
    struct clave_seal_io io = clave_seal_io_fds(&fds);
    if (strcmp(out_path, "-") == 0) {
        return clave_unseal_stream(hdr, dek, &io, total);
    }
    if (snprintf(tmp, sizeof(tmp), "%s.tmp-XXXXXX", out_path) >= (int)sizeof(tmp)) {
        return CLAVE_ERR_ARG;
    }
    fds.out = mkostemp(tmp, O_CLOEXEC);
    if (fds.out < 0) {
        fprintf(stderr, "clave: cannot create %s: %s\n", tmp, strerror(errno));
        return CLAVE_ERR_IO;
    }
    st = clave_unseal_stream(hdr, dek, &io, total);
    if (st == CLAVE_OK && (fsync(fds.out) != 0 || close(fds.out) != 0)) {
        st = CLAVE_ERR_IO;
    } else if (st != CLAVE_OK) {
        close(fds.out);
    }
    if (st == CLAVE_OK && rename(tmp, out_path) != 0) {
        st = CLAVE_ERR_IO;
    }
    if (st != CLAVE_OK) {
        (void)unlink(tmp);
    }
    return st;
}

int cli_unseal(int argc, char **argv)
{
    struct cli_keyring_opts ring;
    struct clave_keyring *kr = NULL;
    struct clave_seal_header *hdr = NULL;
    struct clave_secret *dek = NULL;
    uint64_t total = 0;
    int rc = parse_unseal_args(argc, argv, &ring);
    if (rc != 0) {
        return rc;
    }
    const char *in_path = argv[optind];
    const char *out_path = argv[optind + 1];
    struct clave_seal_fds fds = {open_in(in_path), -1};
    if (fds.in < 0) {
        fprintf(stderr, "clave: cannot open %s: %s\n", in_path, strerror(errno));
        return CLI_FAILED;
    }
    struct clave_seal_io io = clave_seal_io_fds(&fds);
    clave_status st = clave_seal_header_read(&io, &hdr);
    if (st == CLAVE_OK) {
        st = cli_keyring_load(&ring, false, &kr);
    }
    if (st == CLAVE_OK) {
        st = unwrap_dek(kr, hdr, &dek);
    }
    if (st == CLAVE_OK) {
        st = unseal_to(hdr, dek, fds.in, out_path, &total);
    }
    if (fds.in > STDIN_FILENO) {
        close(fds.in);
    }
    clave_secret_free(dek);
    clave_seal_header_free(hdr);
    clave_keyring_free(kr);
    if (st != CLAVE_OK) {
        return cli_fail("unseal", st);
    }
    fprintf(stderr, "unsealed %llu bytes to %s\n", (unsigned long long)total, out_path);
    return 0;
}
