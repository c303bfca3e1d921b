/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/secagg: secure aggregation of CLIENTS vectors of DIM words with 0 %, 10 % and 30 % of the
 * clients dropping out after ShareKeys (before MaskedInputCollection: the case that makes the
 * server reconstruct and expand every dropped client's pairwise masks with its surviving
 * neighbours), REPEATS times each, then once at 30 % with parameters sized for a semi-malicious
 * server; all of it first with vectors in Z_2^64 and then in Z_2^32 (a declared 32-bit ring:
 * 16-bit fixed-point inputs, as in Bonawitz et al.'s evaluation, with headroom for 2^16 clients;
 * each mask word then takes 4 bytes of keystream instead of 8). Parameters come from
 * clave_secagg_params_for (Bell et al. 2020 sizing, 5 % corrupt clients, security 2^-40, abort
 * 2^-20).
 *
 * All times are CPU times (CLOCK_PROCESS_CPUTIME_ID, which counts every thread of the process;
 * the machine is shared, so wall time says little). The same run measures the machine's limits
 * with the same OpenSSL: raw AES-256-CTR keystream throughput (EVP, 64 KiB calls) and the cost
 * of one X25519 agreement, before and after the sessions. "limit_s" is what the server's mask
 * expansion would cost at raw keystream speed plus one agreement per pairwise stream; the
 * server's unmasking CPU time is reported against it.
 *
 *   usage: bench_secagg [CLIENTS [DIM [REPEATS]]]     (defaults: 500 clients, 100000 words, 3)
 */
#include <clave/clave.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define REF_BYTES 65536
#define REF_SECONDS 0.3

struct reference {
    double keystream_gbps; /* AES-256-CTR keystream, GB/s of CPU time */
    double x25519_us;      /* one X25519 agreement, microseconds of CPU time */
};

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double keystream_gbps(void)
{
    static const unsigned char ZEROS[REF_BYTES];
    static unsigned char out[REF_BYTES];
    unsigned char key[32] = {1}, iv[16] = {0};
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    double bytes = 0, t0 = cpu_now(), t = 0;
    int len = 0;
    if (ctx == NULL || EVP_EncryptInit_ex(ctx, EVP_aes_256_ctr(), NULL, key, iv) != 1) {
        EVP_CIPHER_CTX_free(ctx);
        return 0;
    }
    while ((t = cpu_now() - t0) < REF_SECONDS) {
        for (int i = 0; i < 64; i++) {
            bytes += EVP_EncryptUpdate(ctx, out, &len, ZEROS, REF_BYTES) == 1 ? len : 0;
        }
    }
    EVP_CIPHER_CTX_free(ctx);
    return bytes / t / 1e9;
}

static double x25519_us(void)
{
    EVP_PKEY *a = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
    EVP_PKEY *b = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
    EVP_PKEY_CTX *ctx = a != NULL ? EVP_PKEY_CTX_new_from_pkey(NULL, a, NULL) : NULL;
    unsigned char secret[32];
    size_t len = sizeof(secret);
    double count = 0, t0 = cpu_now(), t = 0;
    int ok = ctx != NULL && b != NULL && EVP_PKEY_derive_init(ctx) == 1 &&
             EVP_PKEY_derive_set_peer(ctx, b) == 1;
    while (ok && (t = cpu_now() - t0) < REF_SECONDS) {
        for (int i = 0; i < 100; i++) {
            len = sizeof(secret);
            count += EVP_PKEY_derive(ctx, secret, &len) == 1;
        }
    }
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(a);
    EVP_PKEY_free(b);
    return count > 0 ? t / count * 1e6 : 0;
}

static void measure(struct reference *r)
{
    r->keystream_gbps = keystream_gbps();
    r->x25519_us = x25519_us();
    printf("{\"bench\":\"secagg-reference\",\"aes256ctr_keystream_GBps\":%.2f,"
           "\"x25519_us\":%.1f}\n",
           r->keystream_gbps, r->x25519_us);
    fflush(stdout);
}

/* A log2 bound as a JSON number, or null when the event is impossible (-inf). */
static const char *log2_json(double v, char *buf, size_t cap)
{
    if (isinf(v)) {
        return "null";
    }
    snprintf(buf, cap, "%.1f", v);
    return buf;
}

static double sum4(const double *v)
{
    return v[0] + v[1] + v[2] + v[3];
}

static int run(uint32_t clients, uint32_t dim, uint32_t bits, double dropout,
               enum clave_secagg_adversary adv, const struct reference *ref)
{
    struct clave_secagg_threat threat = {CLAVE_SECAGG_DEFAULT_CORRUPT, dropout, adv};
    struct clave_secagg_sim_opts o;
    struct clave_secagg_sim_report r;
    double insecure = 0, abort_p = 0;
    char b0[32], b1[32];
    memset(&o, 0, sizeof(o));
    if (clave_secagg_params_for(clients, &threat, dim, &o.params) != CLAVE_OK ||
        clave_secagg_params_risk(&o.params, &threat, &insecure, &abort_p) != CLAVE_OK) {
        fprintf(stderr, "bench_secagg: %s\n", clave_error_last().detail);
        return 1;
    }
    o.params.bits = bits;
    o.params.input_bits = bits == 32 ? 16 : 0; /* 16-bit inputs, headroom for 2^16 clients */
    o.dropout[1] = dropout;
    if (clave_secagg_simulate(&o, &r) != CLAVE_OK) {
        fprintf(stderr, "bench_secagg: %s\n", clave_error_last().detail);
        return 1;
    }
    uint64_t pair_streams = r.server_mask_streams - (r.server_mask_streams > 0 ? r.survivors : 0);
    double keystream_gb = (double)r.server_mask_streams * dim * (bits <= 32 ? 4 : 8) / 1e9;
    double limit =
        keystream_gb / ref->keystream_gbps + (double)pair_streams * ref->x25519_us * 1e-6;
    printf("{\"bench\":\"secagg\",\"clients\":%u,\"dim\":%u,\"bits\":%u,\"dropout\":%.2f,"
           "\"adversary\":\"%s\","
           "\"corrupt\":%.2f,\"degree\":%u,\"threshold\":%u,\"log2_insecure\":%s,"
           "\"log2_abort\":%s,\"status\":\"%s\",\"correct\":%s,\"survivors\":%u,"
           "\"server_cpu_s\":{\"advertise\":%.4f,\"share\":%.4f,\"masked\":%.4f,\"unmask\":%.4f,"
           "\"total\":%.4f},\"unmask_wall_s\":%.4f,\"mask_streams\":%llu,\"keystream_GB\":%.2f,"
           "\"limit_s\":%.4f,\"unmask_vs_limit\":%.2f,"
           "\"client_cpu_s\":{\"mean\":%.6f,\"max\":%.6f},"
           "\"bytes_sent_per_client\":%.0f,\"bytes_received_per_client\":%.0f}\n",
           clients, dim, bits, dropout,
           adv == CLAVE_SECAGG_SEMI_MALICIOUS ? "semi-malicious" : "semi-honest",
           CLAVE_SECAGG_DEFAULT_CORRUPT, o.params.degree, o.params.share_threshold,
           log2_json(insecure, b0, sizeof(b0)), log2_json(abort_p, b1, sizeof(b1)),
           clave_status_str(r.status), r.correct ? "true" : "false", r.survivors,
           r.server_seconds[0], r.server_seconds[1], r.server_seconds[2], r.server_seconds[3],
           sum4(r.server_seconds), r.server_close_wall_seconds[3],
           (unsigned long long)r.server_mask_streams, keystream_gb, limit,
           limit > 0 ? r.server_seconds[3] / limit : 0.0, sum4(r.client_seconds),
           r.client_total_max, r.bytes_sent_per_client, r.bytes_received_per_client);
    fflush(stdout);
    return r.correct ? 0 : 1;
}

int main(int argc, char **argv)
{
    static const double DROPOUTS[] = {0.0, 0.1, 0.3};
    unsigned long clients = argc > 1 ? strtoul(argv[1], NULL, 10) : 500;
    unsigned long dim = argc > 2 ? strtoul(argv[2], NULL, 10) : 100000;
    unsigned long repeats = argc > 3 ? strtoul(argv[3], NULL, 10) : 3;
    struct reference before, after;
    struct rusage ru;
    if (clients < 3 || clients > CLAVE_SECAGG_MAX_CLIENTS || dim < 1 ||
        dim > CLAVE_SECAGG_MAX_DIM || repeats < 1 || repeats > 100) {
        fprintf(stderr, "usage: bench_secagg [CLIENTS [DIM [REPEATS]]]\n");
        return 2;
    }
    measure(&before);
    int failed = 0;
    for (uint32_t bits = 64; bits >= 32; bits -= 32) {
        for (size_t i = 0; i < sizeof(DROPOUTS) / sizeof(DROPOUTS[0]); i++) {
            for (unsigned long k = 0; k < repeats; k++) {
                failed |= run((uint32_t)clients, (uint32_t)dim, bits, DROPOUTS[i],
                              CLAVE_SECAGG_SEMI_HONEST, &before);
            }
        }
        failed |=
            run((uint32_t)clients, (uint32_t)dim, bits, 0.3, CLAVE_SECAGG_SEMI_MALICIOUS, &before);
    }
    measure(&after);
    getrusage(RUSAGE_SELF, &ru);
    printf("{\"bench\":\"secagg-process\",\"user_s\":%.2f,\"sys_s\":%.2f}\n",
           (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6,
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6);
    return failed;
}
