/* SPDX-License-Identifier: Apache-2.0 */
/* clave he: files. Keys and vectors are read in any supported format (clave binary or JSON,
 * python-paillier JSON; detected by clave_he_detect) and written atomically. */
#include "he_cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HE_PHE_DECRYPT_MAX (1u << 20) /* values printed by the direct phe decryption path */

clave_status cli_he_read_file(const char *path, size_t max, uint8_t **out, size_t *len)
{
    struct stat sb;
    *out = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "clave: cannot open %s: %s\n", path, strerror(errno));
        return CLAVE_ERR_IO;
    }
    if (fstat(fileno(f), &sb) != 0 || sb.st_size < 0 || (uint64_t)sb.st_size > max) {
        fclose(f);
        fprintf(stderr, "clave: %s: unreadable or larger than %zu bytes\n", path, max);
        return CLAVE_ERR_TOO_LARGE;
    }
    size_t size = (size_t)sb.st_size;
    uint8_t *buf = malloc(size + 1);
    size_t got = buf != NULL ? fread(buf, 1, size, f) : 0;
    fclose(f);
    if (buf == NULL || got != size) {
        free(buf);
        fprintf(stderr, "clave: cannot read %s\n", path);
        return buf == NULL ? CLAVE_ERR_NOMEM : CLAVE_ERR_IO;
    }
    buf[size] = 0;
    *out = buf;
    *len = size;
    return CLAVE_OK;
}

static clave_status write_exclusive(const char *path, const uint8_t *data, size_t len, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) {
        fprintf(stderr, "clave: cannot create %s: %s\n", path,
                errno == EEXIST ? "exists" : strerror(errno));
        return CLAVE_ERR_IO;
    }
    bool ok = write(fd, data, len) == (ssize_t)len;
    ok = close(fd) == 0 && ok;
    if (!ok) {
        (void)unlink(path);
        fprintf(stderr, "clave: cannot write %s\n", path);
        return CLAVE_ERR_IO;
    }
    return CLAVE_OK;
}

clave_status cli_he_write_file(const char *path, const uint8_t *data, size_t len, mode_t mode,
                               bool exclusive)
{
    char tmp[4096];
    if (exclusive) {
        return write_exclusive(path, data, len, mode);
    }
    if (snprintf(tmp, sizeof(tmp), "%s.tmp-XXXXXX", path) >= (int)sizeof(tmp)) {
        return CLAVE_ERR_ARG;
    }
    int fd = mkstemp(tmp);
    if (fd < 0) {
        fprintf(stderr, "clave: cannot create %s: %s\n", path, strerror(errno));
        return CLAVE_ERR_IO;
    }
    FILE *f = fdopen(fd, "wb");
    bool ok = f != NULL && fchmod(fd, mode) == 0 && fwrite(data, 1, len, f) == len;
    ok = f != NULL && fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        (void)unlink(tmp);
        fprintf(stderr, "clave: cannot write %s\n", path);
        return CLAVE_ERR_IO;
    }
    return CLAVE_OK;
}

clave_status cli_he_load_pub(const char *path, struct clave_he_pub **out)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    clave_status st = cli_he_read_file(path, HE_KEY_FILE_MAX, &buf, &len);
    if (st == CLAVE_OK) {
        st = clave_he_detect(buf, len) == CLAVE_HE_DOC_PHE_PUBLIC
                 ? clave_he_pub_import_phe(buf, len, out)
                 : clave_he_pub_import(buf, len, out);
    }
    free(buf);
    return st;
}

clave_status cli_he_load_key(const struct cli_keyring_opts *ring, const char *path,
                             struct clave_he_key **out)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    clave_status st = cli_he_read_file(path, HE_KEY_FILE_MAX, &buf, &len);
    bool phe = st == CLAVE_OK && clave_he_detect(buf, len) == CLAVE_HE_DOC_PHE_PRIVATE;
    if (phe) {
        st = clave_he_key_import_phe(buf, len, out);
    }
    if (buf != NULL) {
        clave_wipe(buf, len);
    }
    free(buf);
    if (st == CLAVE_OK && !phe) {
        st = cli_he_unseal_key(ring, path, out);
    }
    return st;
}

clave_status cli_he_load_vec(const struct clave_he_pub *pub, const char *path,
                             struct clave_he_vec **out)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    clave_status st = cli_he_read_file(path, HE_FILE_MAX, &buf, &len);
    if (st == CLAVE_OK) {
        st = clave_he_detect(buf, len) == CLAVE_HE_DOC_PHE_NUMBERS
                 ? clave_he_vec_import_phe(pub, buf, len, out)
                 : clave_he_vec_import(pub, buf, len, out);
    }
    free(buf);
    return st;
}

clave_status cli_he_save_vec(const struct clave_he_pub *pub, const struct clave_he_vec *vec,
                             enum he_out_format format, const char *path)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    clave_status st = CLAVE_OK;
    switch (format) {
    case HE_OUT_PHE:
    case HE_OUT_PHEUTIL:
        st = clave_he_vec_export_phe(
            pub, vec, format == HE_OUT_PHE ? CLAVE_HE_PHE_LIST : CLAVE_HE_PHE_NUMBER, &buf, &len);
        break;
    default:
        st = clave_he_vec_export(
            vec, format == HE_OUT_JSON ? CLAVE_HE_FORMAT_JSON : CLAVE_HE_FORMAT_BINARY, &buf, &len);
    }
    if (st == CLAVE_OK) {
        st = cli_he_write_file(path, buf, len, 0644, false);
    }
    free(buf);
    return st;
}

clave_status cli_he_write_phe_keys(const struct clave_he_key *key, const char *path)
{
    char pub_path[4096];
    struct clave_secret *priv = NULL;
    uint8_t *pub = NULL;
    size_t pub_len = 0;
    if (snprintf(pub_path, sizeof(pub_path), "%s.pub.json", path) >= (int)sizeof(pub_path)) {
        return CLAVE_ERR_ARG;
    }
    clave_status st = clave_he_key_export_phe(key, NULL, &priv);
    if (st == CLAVE_OK) {
        st = cli_he_write_file(path, clave_secret_cdata(priv), clave_secret_len(priv), 0600, true);
    }
    if (st == CLAVE_OK) {
        st = clave_he_pub_export_phe(clave_he_key_pub(key), NULL, &pub, &pub_len);
    }
    if (st == CLAVE_OK) {
        st = cli_he_write_file(pub_path, pub, pub_len, 0644, false);
    }
    free(pub);
    clave_secret_free(priv);
    return st;
}

clave_status cli_he_decrypt_phe_file(const struct clave_he_key *key, const char *path, bool sum)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    size_t count = 0;
    double *values = calloc(HE_PHE_DECRYPT_MAX, sizeof(double));
    clave_status st =
        values != NULL ? cli_he_read_file(path, HE_FILE_MAX, &buf, &len) : CLAVE_ERR_NOMEM;
    if (st == CLAVE_OK) {
        st = clave_he_decrypt_phe(key, buf, len, values, HE_PHE_DECRYPT_MAX, &count);
    }
    long double total = 0;
    for (size_t i = 0; st == CLAVE_OK && i < count; i++) {
        total += values[i];
        if (!sum) {
            printf("%.17g\n", values[i]);
        }
    }
    if (st == CLAVE_OK && sum) {
        printf("%.17Lg\n", total);
    }
    free(values);
    free(buf);
    return st;
}
