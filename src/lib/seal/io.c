/* SPDX-License-Identifier: Apache-2.0 */
/* Byte sources and sinks for the sealed stream: file descriptors and memory. */
#include "core/check.h"

#include <clave/seal.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static ssize_t fd_read(void *ctx, uint8_t *buf, size_t len)
{
    const struct clave_seal_fds *fds = ctx;
    return read(fds->in, buf, len);
}

static clave_status fd_write(void *ctx, const uint8_t *buf, size_t len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const struct clave_seal_fds *fds = ctx;
    size_t done_bytes = 0;
    while (done_bytes < len) {
        ssize_t n = write(fds->out, buf + done_bytes, len - done_bytes);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        CLAVE_ENSURE(n > 0, CLAVE_ERR_IO, "seal: write failed: %s",
                     n < 0 ? strerror(errno) : "no progress");
        done_bytes += (size_t)n;
    }
    st = CLAVE_OK;
done:
    return st;
}

struct clave_seal_io clave_seal_io_fds(struct clave_seal_fds *fds)
{
    struct clave_seal_io io = {fd_read, fd_write, fds};
    return io;
}

static ssize_t mem_read(void *ctx, uint8_t *buf, size_t len)
{
    struct clave_seal_mem *mem = ctx;
    size_t left = mem->in_len - mem->in_pos;
    size_t n = len < left ? len : left;
    if (n > 0) {
        memcpy(buf, mem->in + mem->in_pos, n);
    }
    mem->in_pos += n;
    return (ssize_t)n;
}

static clave_status mem_write(void *ctx, const uint8_t *buf, size_t len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_seal_mem *mem = ctx;
    CLAVE_ENSURE(len <= mem->out_max - mem->out_len, CLAVE_ERR_LIMIT,
                 "seal: output exceeds %zu bytes", mem->out_max);
    if (mem->out_len + len > mem->out_cap) {
        size_t cap = mem->out_cap == 0 ? 4096 : mem->out_cap;
        while (cap < mem->out_len + len) {
            cap = cap > SIZE_MAX / 2 ? mem->out_len + len : cap * 2;
        }
        uint8_t *grown = realloc(mem->out, cap);
        CLAVE_ENSURE_ALLOC(grown);
        mem->out = grown;
        mem->out_cap = cap;
    }
    if (len > 0) {
        memcpy(mem->out + mem->out_len, buf, len);
    }
    mem->out_len += len;
    st = CLAVE_OK;
done:
    return st;
}

struct clave_seal_io clave_seal_io_mem(struct clave_seal_mem *mem)
{
    struct clave_seal_io io = {mem_read, mem_write, mem};
    if (mem->out_max == 0) {
        mem->out_max = SIZE_MAX;
    }
    return io;
}
