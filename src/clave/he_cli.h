/* SPDX-License-Identifier: Apache-2.0 */
/* clave he: helpers shared by the files of the `he` command (not part of libclave). */
#ifndef CLAVE_CLI_HE_H
#define CLAVE_CLI_HE_H

#include "cli.h"

#include <clave/he.h>
#include <sys/types.h>

#define HE_FILE_MAX ((size_t)1 << 30)
#define HE_KEY_FILE_MAX (64 * 1024)

/* How vectors are written: clave binary/JSON, or python-paillier's two number forms. */
enum he_out_format {
    HE_OUT_BINARY = 0,
    HE_OUT_JSON,
    HE_OUT_PHE,     /* phe docs list: {"public_key":{...},"values":[[c, e],...]} */
    HE_OUT_PHEUTIL, /* pheutil: {"v": c, "e": e}, one value */
};

/* Whole file into a new NUL-terminated buffer of at most `max` bytes. Caller frees. */
clave_status cli_he_read_file(const char *path, size_t max, uint8_t **out, size_t *len);
/* PATH.tmp-XXXXXX then rename (replaces PATH); `exclusive` instead creates PATH with O_EXCL. */
clave_status cli_he_write_file(const char *path, const uint8_t *data, size_t len, mode_t mode,
                               bool exclusive);

/* A public key in clave binary/JSON or phe JWK form (detected). Caller frees. */
clave_status cli_he_load_pub(const char *path, struct clave_he_pub **out);
/* A private key: a phe private JWK file, else the sealed clave key (keyring). Caller frees. */
clave_status cli_he_load_key(const struct cli_keyring_opts *ring, const char *path,
                             struct clave_he_key **out);
/* A vector in clave binary/JSON or phe numbers (detected) for `pub`. Caller frees. */
clave_status cli_he_load_vec(const struct clave_he_pub *pub, const char *path,
                             struct clave_he_vec **out);
clave_status cli_he_save_vec(const struct clave_he_pub *pub, const struct clave_he_vec *vec,
                             enum he_out_format format, const char *path);
/* The key pair as phe JWKs: private in PATH (mode 0600, not overwritten), public in
 * PATH.pub.json. */
clave_status cli_he_write_phe_keys(const struct clave_he_key *key, const char *path);
/* Decrypt a phe numbers file whose exponents have no clave scale (pheutil's e = -32) and print
 * the values (or their sum). */
clave_status cli_he_decrypt_phe_file(const struct clave_he_key *key, const char *path, bool sum);

/* he_key.c: sealing and unsealing the private key with the keyring. */
clave_status cli_he_seal_key(const struct cli_keyring_opts *ring, const char *to,
                             const struct clave_he_key *key, const char *path);
clave_status cli_he_unseal_key(const struct cli_keyring_opts *ring, const char *path,
                               struct clave_he_key **out);
/* he_csv.c: one column of a CSV file as doubles. Caller frees `*values`. */
clave_status cli_he_csv_column(const char *path, const char *column, bool header, double **values,
                               size_t *count);

#endif
