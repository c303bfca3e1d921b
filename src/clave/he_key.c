/* SPDX-License-Identifier: Apache-2.0 */
/* clave he: the Paillier private key at rest, in the sealed format (docs/formats/sealed.md)
 * under a fresh DEK wrapped to a KEK of the keyring. The key's bytes are the binary private-key
 * format of docs/formats/paillier.md; they only ever exist in memory. */
#include "he_cli.h"

#include <clave/he.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HE_KEY_SEALED_MAX (64 * 1024)

/* The KEK named by `to`, or the keyring's first KEK. */
static clave_status pick_kek(struct clave_keyring *kr, const char *to, struct clave_key_info *out)
{
    if (to != NULL) {
        clave_status st = clave_keyring_find(kr, to, out);
        if (st == CLAVE_OK && out->kind != CLAVE_KEY_AES256_KEK) {
            fprintf(stderr, "clave: %s is not a KEK\n", to);
            return CLAVE_ERR_KEY;
        }
        return st;
    }
    for (size_t i = 0; i < clave_keyring_count(kr); i++) {
        if (clave_keyring_info(kr, i, out) == CLAVE_OK && out->kind == CLAVE_KEY_AES256_KEK) {
            return CLAVE_OK;
        }
    }
    fprintf(stderr, "clave: the keyring has no KEK (run 'clave keyring init' first)\n");
    return CLAVE_ERR_NOT_FOUND;
}

clave_status cli_he_seal_key(const struct cli_keyring_opts *ring, const char *to,
                             const struct clave_he_key *key, const char *path)
{
    struct clave_keyring *kr = NULL;
    struct clave_secret *bytes = NULL;
    struct clave_secret *dek = NULL;
    struct clave_key_info kek;
    struct clave_seal_recipient rcpt;
    uint8_t file_id[CLAVE_SEAL_ID_LEN], dek_id[CLAVE_SEAL_ID_LEN];
    uint8_t aad[CLAVE_SEAL_WRAP_AAD_LEN];
    uint8_t wrapped[CLAVE_WRAPPED_KEY_MAX];
    struct clave_seal_mem mem;
    memset(&mem, 0, sizeof(mem));
    memset(&rcpt, 0, sizeof(rcpt));
    clave_status st = cli_keyring_load(ring, false, &kr);
    if (st == CLAVE_OK) {
        st = pick_kek(kr, to, &kek);
    }
    if (st == CLAVE_OK) {
        st = clave_he_key_export(key, CLAVE_HE_FORMAT_BINARY, &bytes);
    }
    if (st == CLAVE_OK) {
        st = clave_secret_random(CLAVE_SEAL_DEK_LEN, &dek);
    }
    if (st == CLAVE_OK) {
        st = clave_random(file_id, sizeof(file_id));
    }
    if (st == CLAVE_OK) {
        st = clave_random(dek_id, sizeof(dek_id));
    }
    if (st == CLAVE_OK) {
        clave_seal_wrap_aad(file_id, dek_id, aad);
        rcpt.wrap = CLAVE_SEAL_WRAP_KEK;
        rcpt.key_id = kek.id;
        rcpt.wrapped = wrapped;
        st = clave_keyring_wrap(kr, kek.id, dek, aad, sizeof(aad), wrapped, sizeof(wrapped),
                                &rcpt.wrapped_len);
    }
    if (st == CLAVE_OK) {
        mem.in = clave_secret_cdata(bytes);
        mem.in_len = clave_secret_len(bytes);
        mem.out_max = HE_KEY_SEALED_MAX;
        struct clave_seal_io io = clave_seal_io_mem(&mem);
        st = clave_seal_stream(dek, file_id, dek_id, 0, &rcpt, 1, &io, NULL);
    }
    if (st == CLAVE_OK) {
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0) {
            fprintf(stderr, "clave: cannot create %s: %s\n", path, strerror(errno));
            st = errno == EEXIST ? CLAVE_ERR_EXISTS : CLAVE_ERR_IO;
        } else {
            bool ok = write(fd, mem.out, mem.out_len) == (ssize_t)mem.out_len;
            ok = fsync(fd) == 0 && ok;
            ok = close(fd) == 0 && ok;
            st = ok ? CLAVE_OK : CLAVE_ERR_IO;
            if (!ok) {
                (void)unlink(path);
            }
        }
    }
    free(mem.out); /* sealed bytes: ciphertext only */
    clave_secret_free(dek);
    clave_secret_free(bytes);
    clave_keyring_free(kr);
    return st;
}

/* First recipient entry our keyring can unwrap. */
static clave_status unwrap(struct clave_keyring *kr, const struct clave_seal_header *hdr,
                           struct clave_secret **dek)
{
    uint8_t aad[CLAVE_SEAL_WRAP_AAD_LEN];
    clave_seal_wrap_aad(clave_seal_header_file_id(hdr), clave_seal_header_dek_id(hdr), aad);
    for (size_t i = 0; i < clave_seal_header_recipient_count(hdr); i++) {
        struct clave_seal_recipient r;
        struct clave_key_info info;
        if (clave_seal_header_recipient(hdr, i, &r) != CLAVE_OK || r.wrap != CLAVE_SEAL_WRAP_KEK ||
            clave_keyring_find(kr, r.key_id, &info) != CLAVE_OK) {
            continue;
        }
        if (clave_keyring_unwrap(kr, r.key_id, r.wrapped, r.wrapped_len, aad, sizeof(aad), dek) ==
            CLAVE_OK) {
            return CLAVE_OK;
        }
    }
    return CLAVE_ERR_NO_RECIPIENT;
}

/* The whole sealed file (small) into memory. */
static clave_status read_sealed(const char *path, uint8_t *buf, size_t cap, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    *len = 0;
    if (fd < 0) {
        fprintf(stderr, "clave: cannot open %s: %s\n", path, strerror(errno));
        return CLAVE_ERR_IO;
    }
    for (;;) {
        ssize_t n = read(fd, buf + *len, cap - *len);
        if (n <= 0) {
            break;
        }
        *len += (size_t)n;
        if (*len == cap) {
            break;
        }
    }
    close(fd);
    if (*len == cap) {
        fprintf(stderr, "clave: %s: larger than a sealed Paillier key can be\n", path);
        return CLAVE_ERR_TOO_LARGE;
    }
    return CLAVE_OK;
}

clave_status cli_he_unseal_key(const struct cli_keyring_opts *ring, const char *path,
                               struct clave_he_key **out)
{
    struct clave_keyring *kr = NULL;
    struct clave_seal_header *hdr = NULL;
    struct clave_secret *dek = NULL;
    struct clave_seal_mem mem;
    size_t consumed = 0;
    memset(&mem, 0, sizeof(mem));
    *out = NULL;
    uint8_t *sealed = malloc(HE_KEY_SEALED_MAX);
    /* Preallocated so the plaintext key is never left behind by a realloc. */
    mem.out = malloc(HE_KEY_SEALED_MAX);
    if (sealed == NULL || mem.out == NULL) {
        free(sealed);
        free(mem.out);
        return CLAVE_ERR_NOMEM;
    }
    mem.out_cap = HE_KEY_SEALED_MAX;
    mem.out_max = HE_KEY_SEALED_MAX;
    clave_status st = read_sealed(path, sealed, HE_KEY_SEALED_MAX, &mem.in_len);
    if (st == CLAVE_OK) {
        st = clave_seal_header_parse(sealed, mem.in_len, &hdr, &consumed);
    }
    if (st == CLAVE_OK) {
        st = cli_keyring_load(ring, false, &kr);
    }
    if (st == CLAVE_OK) {
        st = unwrap(kr, hdr, &dek);
    }
    if (st == CLAVE_OK) {
        mem.in = sealed;
        mem.in_pos = consumed;
        struct clave_seal_io io = clave_seal_io_mem(&mem);
        st = clave_unseal_stream(hdr, dek, &io, NULL);
    }
    if (st == CLAVE_OK) {
        st = clave_he_key_import(mem.out, mem.out_len, out);
    }
    clave_wipe(mem.out, HE_KEY_SEALED_MAX);
    free(mem.out);
    free(sealed);
    clave_secret_free(dek);
    clave_seal_header_free(hdr);
    clave_keyring_free(kr);
    return st;
}
