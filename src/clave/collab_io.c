/* SPDX-License-Identifier: Apache-2.0 */
/* File, key and base64 helpers of the collaboration commands (collab_cli.h). */
#include "collab_cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

clave_status cli_file_read(const char *path, size_t max, uint8_t **out, size_t *out_len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    *out = NULL;
    *out_len = 0;
    if (f == NULL) {
        fprintf(stderr, "clave: cannot open %s: %s\n", path, strerror(errno));
        return CLAVE_ERR_IO;
    }
    buf = malloc(max + 1);
    if (buf == NULL) {
        fclose(f);
        return CLAVE_ERR_NOMEM;
    }
    size_t len = fread(buf, 1, max + 1, f);
    bool failed = ferror(f) != 0;
    fclose(f);
    if (failed || len > max) {
        fprintf(stderr, "clave: %s: %s\n", path, failed ? "read error" : "file too large");
        free(buf);
        return failed ? CLAVE_ERR_IO : CLAVE_ERR_TOO_LARGE;
    }
    *out = buf;
    *out_len = len;
    return CLAVE_OK;
}

clave_status cli_file_write(const char *path, const uint8_t *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        fprintf(stderr, "clave: cannot create %s: %s\n", path, strerror(errno));
        return CLAVE_ERR_IO;
    }
    bool ok = fwrite(data, 1, len, f) == len;
    ok = fclose(f) == 0 && ok;
    if (!ok) {
        fprintf(stderr, "clave: cannot write %s\n", path);
        return CLAVE_ERR_IO;
    }
    return CLAVE_OK;
}

static bool is_pem(const uint8_t *k, size_t len)
{
    return len > 10 && memcmp(k, "-----BEGIN", 10) == 0; // lint:public (a PEM label)
}

clave_status cli_private_key_load(const char *path, struct clave_pkey **out)
{
    uint8_t *data = NULL;
    size_t len = 0;
    struct clave_secret *secret = NULL;
    *out = NULL;
    clave_status st = cli_file_read(path, CLI_KEY_FILE_MAX, &data, &len);
    if (st == CLAVE_OK) {
        st = clave_secret_from(data, len, &secret);
        clave_wipe(data, len);
    }
    free(data);
    if (st == CLAVE_OK) {
        const uint8_t *k = clave_secret_cdata(secret);
        st = is_pem(k, len) ? clave_pkey_from_pem((const char *)k, len, out)
                            : clave_pkey_from_der(k, len, out);
    }
    clave_secret_free(secret);
    if (st == CLAVE_OK && !clave_pkey_has_private(*out)) {
        fprintf(stderr, "clave: %s is not a private key\n", path);
        clave_pkey_free(*out);
        *out = NULL;
        st = CLAVE_ERR_KEY;
    }
    return st;
}

clave_status cli_public_spki_load(const char *path, uint8_t *out, size_t *out_len)
{
    uint8_t *data = NULL;
    size_t len = 0;
    struct clave_pkey *k = NULL;
    *out_len = 0;
    clave_status st = cli_file_read(path, CLI_KEY_FILE_MAX, &data, &len);
    if (st == CLAVE_OK) {
        st = is_pem(data, len) ? clave_pkey_from_pem((const char *)data, len, &k)
                               : clave_pkey_from_der(data, len, &k);
    }
    if (st == CLAVE_OK) {
        st = clave_pkey_export_spki(k, out, CLAVE_COLLAB_SPKI_MAX, out_len);
    }
    if (data != NULL) {
        clave_wipe(data, len);
    }
    free(data);
    clave_pkey_free(k);
    return st;
}

json_t *cli_b64url_json(const uint8_t *bytes, size_t len)
{
    char *text = NULL;
    json_t *j = NULL;
    if (clave_b64_encode_alloc(CLAVE_B64URL, bytes, len, &text) == CLAVE_OK) {
        j = json_string(text);
    }
    free(text);
    return j;
}

clave_status cli_json_b64(const json_t *obj, const char *key, enum clave_b64_variant variant,
                          uint8_t **out, size_t *len)
{
    const char *text = json_string_value(json_object_get(obj, key));
    *out = NULL;
    *len = 0;
    if (text == NULL) {
        return CLAVE_ERR_FORMAT;
    }
    return clave_b64_decode_alloc(variant, text, strlen(text), out, len);
}
