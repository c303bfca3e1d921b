/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/seal: seal and unseal throughput of a 1 GiB stream, next to `openssl speed -evp
 * aes-256-gcm` (16 KiB blocks) measured in the same run. One JSON line per figure on stdout.
 *
 * Figures: "seal" and "unseal" include one copy of the input into clave's buffer (what reading a
 * file costs at best); "seal_engine" hands the buffer back without filling it, timing the format
 * and AES-256-GCM alone. Outputs are discarded so that no figure pays for a second copy.
 *
 *   usage: bench_seal [MIB] [CHUNK]     (defaults: 1024 MiB, 65536-byte chunks)
 */
#include <clave/clave.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PATTERN_LEN (1 << 20)

/* Read side: a generator (seal) or a memory buffer (unseal). Write side: a memory buffer
 * (seal) or a counter (unseal). */
struct bench_io {
    const uint8_t *pattern;
    uint64_t gen_left;
    const uint8_t *in;
    size_t in_len;
    size_t in_pos;
    uint8_t *out;
    size_t out_len;
    size_t out_cap;
    uint64_t discarded;
};

static ssize_t gen_read(void *ctx, uint8_t *buf, size_t len)
{
    struct bench_io *b = ctx;
    size_t n = len < b->gen_left ? len : (size_t)b->gen_left;
    size_t done_bytes = 0;
    while (done_bytes < n) {
        size_t part = n - done_bytes < PATTERN_LEN ? n - done_bytes : PATTERN_LEN;
        memcpy(buf + done_bytes, b->pattern, part);
        done_bytes += part;
    }
    b->gen_left -= n;
    return (ssize_t)n;
}

/* Zero-copy source: hands the buffer back as if filled, to time the engine alone (format,
 * key schedule, AES-256-GCM, framing) without the cost of producing input. */
static ssize_t nocopy_read(void *ctx, uint8_t *buf, size_t len)
{
    struct bench_io *b = ctx;
    size_t n = len < b->gen_left ? len : (size_t)b->gen_left;
    (void)buf;
    b->gen_left -= n;
    return (ssize_t)n;
}

static ssize_t mem_read(void *ctx, uint8_t *buf, size_t len)
{
    struct bench_io *b = ctx;
    size_t n = len < b->in_len - b->in_pos ? len : b->in_len - b->in_pos;
    memcpy(buf, b->in + b->in_pos, n);
    b->in_pos += n;
    return (ssize_t)n;
}

static clave_status mem_write(void *ctx, const uint8_t *buf, size_t len)
{
    struct bench_io *b = ctx;
    if (len > b->out_cap - b->out_len) {
        return CLAVE_ERR_LIMIT;
    }
    memcpy(b->out + b->out_len, buf, len);
    b->out_len += len;
    return CLAVE_OK;
}

static clave_status discard_write(void *ctx, const uint8_t *buf, size_t len)
{
    struct bench_io *b = ctx;
    (void)buf;
    b->discarded += len;
    return CLAVE_OK;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Bytes per second of `openssl speed -evp aes-256-gcm` at 16 KiB, or 0 if it cannot run. */
static double openssl_speed(void)
{
    FILE *p = popen("openssl speed -evp aes-256-gcm -bytes 16384 -seconds 3 -mr 2>/dev/null", "r");
    char line[256];
    double rate = 0;
    if (p == NULL) {
        return 0;
    }
    while (fgets(line, sizeof(line), p) != NULL) {
        /* Machine-readable result: "+F:<n>:AES-256-GCM:<bytes per second>" */
        if (strncmp(line, "+F:", 3) == 0) {
            char *last = strrchr(line, ':');
            rate = last != NULL ? strtod(last + 1, NULL) : 0;
        }
    }
    pclose(p);
    return rate;
}

static void figure(const char *name, uint64_t bytes, double seconds)
{
    printf("{\"bench\":\"seal\",\"figure\":\"%s\",\"bytes\":%llu,\"seconds\":%.3f,"
           "\"bytes_per_second\":%.0f}\n",
           name, (unsigned long long)bytes, seconds, (double)bytes / seconds);
}

static void ratio(const char *name, double value)
{
    printf("{\"bench\":\"seal\",\"figure\":\"%s\",\"ratio\":%.3f,\"goal\":0.9}\n", name, value);
}

static int fail(const char *what, clave_status st)
{
    fprintf(stderr, "bench_seal: %s: %s (%s)\n", what, clave_status_str(st),
            clave_error_last().detail);
    return 1;
}

int main(int argc, char **argv)
{
    uint64_t mib = argc > 1 ? strtoull(argv[1], NULL, 10) : 1024;
    size_t chunk = argc > 2 ? (size_t)strtoull(argv[2], NULL, 10) : CLAVE_SEAL_CHUNK_DEFAULT;
    uint64_t total = mib << 20;
    uint8_t file_id[CLAVE_SEAL_ID_LEN] = {1};
    uint8_t dek_id[CLAVE_SEAL_ID_LEN] = {2};
    uint8_t wrapped[40] = {3};
    struct clave_seal_recipient rcpt = {CLAVE_SEAL_WRAP_KEK, "bench", wrapped, sizeof(wrapped)};
    struct clave_secret *dek = NULL;
    struct clave_seal_header *hdr = NULL;
    struct bench_io b;
    clave_status st = CLAVE_OK;
    uint64_t n = 0;
    memset(&b, 0, sizeof(b));
    uint8_t *pattern = malloc(PATTERN_LEN);
    if (pattern == NULL || mib == 0 || chunk == 0) {
        fprintf(stderr, "usage: bench_seal [MIB] [CHUNK]\n");
        return 2;
    }
    for (size_t i = 0; i < PATTERN_LEN; i++) {
        pattern[i] = (uint8_t)(i * 131 + 17);
    }
    b.pattern = pattern;
    b.gen_left = total;
    b.out_cap = total + (total / chunk + 1) * CLAVE_SEAL_TAG_LEN + CLAVE_SEAL_HEADER_MAX;
    b.out = malloc(b.out_cap);
    if (b.out == NULL) {
        return 1;
    }
    memset(b.out, 0x5a, b.out_cap); /* fault the pages in before timing (non-zero: not calloc) */
    if ((st = clave_secret_random(CLAVE_SEAL_DEK_LEN, &dek)) != CLAVE_OK) {
        return fail("dek", st);
    }

    /* 1. seal: input copied from a generator, output discarded. */
    struct clave_seal_io seal_io = {gen_read, discard_write, &b};
    double t0 = now_seconds();
    st = clave_seal_stream(dek, file_id, dek_id, chunk, &rcpt, 1, &seal_io, &n);
    double seal_s = now_seconds() - t0;
    if (st != CLAVE_OK) {
        return fail("seal", st);
    }
    /* 2. seal engine alone: zero-copy input, output discarded. */
    struct clave_seal_io engine_io = {nocopy_read, discard_write, &b};
    b.gen_left = total;
    t0 = now_seconds();
    st = clave_seal_stream(dek, file_id, dek_id, chunk, &rcpt, 1, &engine_io, &n);
    double engine_s = now_seconds() - t0;
    if (st != CLAVE_OK) {
        return fail("seal engine", st);
    }
    /* 3. seal into memory (untimed) for the unseal run. */
    struct clave_seal_io store_io = {gen_read, mem_write, &b};
    b.gen_left = total;
    st = clave_seal_stream(dek, file_id, dek_id, chunk, &rcpt, 1, &store_io, &n);
    if (st != CLAVE_OK) {
        return fail("seal to memory", st);
    }

    /* 4. unseal: input copied from memory, output discarded. */
    b.in = b.out;
    b.in_len = b.out_len;
    struct clave_seal_io unseal_io = {mem_read, discard_write, &b};
    t0 = now_seconds();
    st = clave_seal_header_read(&unseal_io, &hdr);
    if (st == CLAVE_OK) {
        st = clave_unseal_stream(hdr, dek, &unseal_io, &n);
    }
    double unseal_s = now_seconds() - t0;
    if (st != CLAVE_OK || n != total) {
        return fail("unseal", st);
    }

    double ref = openssl_speed();
    figure("seal", total, seal_s);
    figure("seal_engine", total, engine_s);
    figure("unseal", total, unseal_s);
    if (ref <= 0) {
        fprintf(stderr, "bench_seal: `openssl speed` did not run\n");
        return 1;
    }
    printf("{\"bench\":\"seal\",\"figure\":\"openssl_speed_aes256gcm_16k\",\"bytes_per_second\":"
           "%.0f}\n",
           ref);
    ratio("seal_vs_openssl", (double)total / seal_s / ref);
    ratio("seal_engine_vs_openssl", (double)total / engine_s / ref);
    ratio("unseal_vs_openssl", (double)total / unseal_s / ref);
    clave_seal_header_free(hdr);
    clave_secret_free(dek);
    free(b.out);
    free(pattern);
    return 0;
}
