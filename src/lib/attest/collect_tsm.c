/* SPDX-License-Identifier: Apache-2.0 */
/*
 * configfs-tsm (Linux Documentation/ABI/testing/configfs-tsm): mkdir an entry under
 * /sys/kernel/config/tsm/report, write up to 64 bytes to `inblob`, read `provider` ("sev_guest",
 * "tdx_guest") and `outblob` (the report or quote), then rmdir the entry.
 */
#include "attest/collect.h"
#include "core/check.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TSM_OUTBLOB_MAX (64u * 1024u)
#define TSM_PROVIDER_MAX 64

static clave_status read_all(const char *path, size_t max, uint8_t **out, size_t *len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    *out = malloc(max);
    *len = 0;
    CLAVE_ENSURE(fd >= 0, CLAVE_ERR_IO, "tsm: cannot open %s", path);
    CLAVE_ENSURE_ALLOC(*out);
    for (;;) {
        ssize_t n = read(fd, *out + *len, max - *len);
        CLAVE_ENSURE(n >= 0 || errno == EINTR, CLAVE_ERR_IO, "tsm: cannot read %s", path);
        if (n == 0) {
            break;
        }
        *len += n > 0 ? (size_t)n : 0;
        CLAVE_ENSURE(*len < max, CLAVE_ERR_TOO_LARGE, "tsm: %s larger than %zu bytes", path, max);
    }
    st = CLAVE_OK;
done:
    if (fd >= 0) {
        close(fd);
    }
    if (st != CLAVE_OK) {
        free(*out);
        *out = NULL;
        *len = 0;
    }
    return st;
}

static const char *provider_format(const uint8_t *p, size_t len)
{
    if (len >= 9 && memcmp(p, "sev_guest", 9) == 0) { // lint:public
        return "snp";
    }
    if (len >= 9 && memcmp(p, "tdx_guest", 9) == 0) { // lint:public
        return "tdx";
    }
    return NULL;
}

clave_status clave__tsm_read_entry(const char *entry, const uint8_t *report_data, size_t len,
                                   const char **format, uint8_t **out, size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char path[4096];
    uint8_t inblob[64] = {0};
    uint8_t *provider = NULL;
    size_t provider_len = 0;
    int fd = -1;
    *out = NULL;
    *out_len = 0;
    CLAVE_ENSURE(len <= sizeof(inblob), CLAVE_ERR_ARG, "tsm: report data over 64 bytes");
    if (len > 0) {
        memcpy(inblob, report_data, len);
    }
    CLAVE_ENSURE((size_t)snprintf(path, sizeof(path), "%s/inblob", entry) < sizeof(path),
                 CLAVE_ERR_ARG, "tsm: path too long");
    fd = open(path, O_WRONLY | O_CLOEXEC);
    CLAVE_ENSURE(fd >= 0 && write(fd, inblob, sizeof(inblob)) == (ssize_t)sizeof(inblob),
                 CLAVE_ERR_IO, "tsm: cannot write %s", path);
    (void)snprintf(path, sizeof(path), "%s/provider", entry);
    CLAVE_CHECK(read_all(path, TSM_PROVIDER_MAX, &provider, &provider_len));
    *format = provider_format(provider, provider_len);
    CLAVE_ENSURE(*format != NULL, CLAVE_ERR_UNSUPPORTED, "tsm: unknown provider");
    (void)snprintf(path, sizeof(path), "%s/outblob", entry);
    CLAVE_CHECK(read_all(path, TSM_OUTBLOB_MAX, out, out_len));
    CLAVE_ENSURE(*out_len > 0, CLAVE_ERR_IO, "tsm: empty outblob");
    st = CLAVE_OK;
done:
    if (fd >= 0) {
        close(fd);
    }
    free(provider);
    if (st != CLAVE_OK) {
        free(*out);
        *out = NULL;
        *out_len = 0;
    }
    return st;
}

clave_status clave__tsm_collect(const char *base, const uint8_t *report_data, size_t len,
                                const char **format, uint8_t **out, size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char entry[4096];
    bool made = false;
    CLAVE_ENSURE((size_t)snprintf(entry, sizeof(entry), "%s/clave-%ld", base, (long)getpid()) <
                     sizeof(entry),
                 CLAVE_ERR_ARG, "tsm: path too long");
    CLAVE_ENSURE(mkdir(entry, 0700) == 0, CLAVE_ERR_IO, "tsm: cannot create %s", entry);
    made = true;
    CLAVE_CHECK(clave__tsm_read_entry(entry, report_data, len, format, out, out_len));
    st = CLAVE_OK;
done:
    if (made) {
        (void)rmdir(entry);
    }
    return st;
}
