/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/secagg: secure aggregation of CLIENTS vectors of DIM words with 0 %, 10 % and 30 % of the
 * clients dropping out after ShareKeys (before MaskedInputCollection: the case that makes the
 * server reconstruct and expand every dropped client's pairwise masks). One JSON line per run:
 * server CPU seconds per round, mean client CPU seconds per round, bytes per client.
 * Degree and threshold come from clave_secagg_params_suggest (abort probability below 2^-10 at
 * the given dropout rate) unless DEGREE is given (threshold = DEGREE/2 + 1).
 *
 *   usage: bench_secagg [CLIENTS [DIM [DEGREE]]]     (defaults: 500 clients, 100000 words)
 */
#include <clave/clave.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double sum4(const double *v)
{
    return v[0] + v[1] + v[2] + v[3];
}

static int run(uint32_t clients, uint32_t dim, uint32_t degree, double dropout)
{
    struct clave_secagg_sim_opts o;
    struct clave_secagg_sim_report r;
    memset(&o, 0, sizeof(o));
    if (clave_secagg_params_suggest(clients, dropout, dim, &o.params) != CLAVE_OK) {
        fprintf(stderr, "bench_secagg: %s\n", clave_error_last().detail);
        return 1;
    }
    if (degree != 0) {
        o.params.degree = degree;
        o.params.share_threshold = degree / 2 + 1;
        o.params.min_clients = o.params.share_threshold;
    }
    o.dropout[1] = dropout;
    if (clave_secagg_simulate(&o, &r) != CLAVE_OK) {
        fprintf(stderr, "bench_secagg: %s\n", clave_error_last().detail);
        return 1;
    }
    printf("{\"bench\":\"secagg\",\"clients\":%u,\"dim\":%u,\"dropout\":%.2f,\"degree\":%u,"
           "\"threshold\":%u,\"status\":\"%s\",\"correct\":%s,\"survivors\":%u,"
           "\"server_s\":{\"advertise\":%.4f,\"share\":%.4f,\"masked\":%.4f,\"unmask\":%.4f,"
           "\"total\":%.4f,\"unmask_close_wall\":%.4f},"
           "\"client_s\":{\"advertise\":%.6f,\"share\":%.6f,\"masked\":%.6f,\"unmask\":%.6f,"
           "\"total_mean\":%.6f,\"total_max\":%.6f},"
           "\"bytes_sent_per_client\":%.0f,\"bytes_received_per_client\":%.0f}\n",
           clients, dim, dropout, o.params.degree, o.params.share_threshold,
           clave_status_str(r.status), r.correct ? "true" : "false", r.survivors,
           r.server_seconds[0], r.server_seconds[1], r.server_seconds[2], r.server_seconds[3],
           sum4(r.server_seconds), r.server_close_wall_seconds[3], r.client_seconds[0],
           r.client_seconds[1], r.client_seconds[2], r.client_seconds[3], sum4(r.client_seconds),
           r.client_total_max, r.bytes_sent_per_client, r.bytes_received_per_client);
    fflush(stdout);
    return r.correct ? 0 : 1;
}

int main(int argc, char **argv)
{
    static const double DROPOUTS[] = {0.0, 0.1, 0.3};
    unsigned long clients = argc > 1 ? strtoul(argv[1], NULL, 10) : 500;
    unsigned long dim = argc > 2 ? strtoul(argv[2], NULL, 10) : 100000;
    unsigned long degree = argc > 3 ? strtoul(argv[3], NULL, 10) : 0;
    if (clients < 3 || clients > CLAVE_SECAGG_MAX_CLIENTS || dim < 1 ||
        dim > CLAVE_SECAGG_MAX_DIM || degree >= clients) {
        fprintf(stderr, "usage: bench_secagg [CLIENTS [DIM [DEGREE]]]\n");
        return 2;
    }
    int failed = 0;
    for (size_t i = 0; i < sizeof(DROPOUTS) / sizeof(DROPOUTS[0]); i++) {
        failed |= run((uint32_t)clients, (uint32_t)dim, (uint32_t)degree, DROPOUTS[i]);
    }
    return failed;
}
