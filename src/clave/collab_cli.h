/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers of the collaboration commands (collab, party, dataset, contract server verbs). */
#ifndef CLAVE_CLI_COLLAB_H
#define CLAVE_CLI_COLLAB_H

#include "remote.h"

#define CLI_KEY_FILE_MAX 16384

/* The whole of a file (at most `max` bytes) into a new buffer; caller frees. Prints errors. */
clave_status cli_file_read(const char *path, size_t max, uint8_t **out, size_t *out_len);
/* Write `len` bytes to `path` (created or truncated). Prints errors. */
clave_status cli_file_write(const char *path, const uint8_t *data, size_t len);
/* A private key (PEM or DER), read through secret memory. */
clave_status cli_private_key_load(const char *path, struct clave_pkey **out);
/* A public (or private) key file as SubjectPublicKeyInfo DER into `out` (CLAVE_COLLAB_SPKI_MAX). */
clave_status cli_public_spki_load(const char *path, uint8_t *out, size_t *out_len);
/* `bytes` as base64url in a new JSON string; NULL on failure. */
json_t *cli_b64url_json(const uint8_t *bytes, size_t len);
/* The JSON string field `key` of `obj` decoded from base64 (`variant`); caller frees. */
clave_status cli_json_b64(const json_t *obj, const char *key, enum clave_b64_variant variant,
                          uint8_t **out, size_t *len);

#endif
