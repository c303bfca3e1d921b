/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/dp: exact samplers, the RDP accountant and the budget ledger. One JSON line per figure.
 *   - samples/s of the discrete Laplace (scale t) and discrete Gaussian (sigma) at several scales
 *   - time of one epsilon computation for the MNIST tutorial setting (q = 256/60000, sigma 1.1,
 *     14063 steps, delta 1e-5) over the dp_accounting grid (goal: < 10 ms)
 *   - durable ledger debits/s on SQLite (WAL, synchronous=FULL: one fsync per debit)
 *
 *   usage: bench_dp [SAMPLES] [DEBITS]    (defaults: 200000 samples, 200 debits)
 */
#include <clave/clave.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int bench_sampler(struct clave_dp_rng *rng, const char *name, uint64_t num, uint64_t den,
                         double scale, long samples)
{
    clave_status (*fn)(struct clave_dp_rng *, uint64_t, uint64_t, int64_t *) =
        strcmp(name, "discrete_laplace") == 0 ? clave_dp_sample_discrete_laplace
                                              : clave_dp_sample_discrete_gaussian;
    int64_t y = 0, sink = 0;
    double t0 = now_s();
    for (long i = 0; i < samples; i++) {
        if (fn(rng, num, den, &y) != CLAVE_OK) {
            fprintf(stderr, "bench_dp: %s failed\n", name);
            return 1;
        }
        sink ^= y;
    }
    double dt = now_s() - t0;
    printf(
        "{\"bench\":\"dp\",\"figure\":\"%s\",\"scale\":%g,\"samples\":%ld,\"samples_per_s\":%.0f,"
        "\"sink\":%lld}\n",
        name, scale, samples, (double)samples / dt, (long long)(sink & 1));
    return 0;
}

static int bench_accountant(void)
{
    struct clave_dp_epsilon e;
    const int runs = 20;
    double t0 = now_s();
    for (int i = 0; i < runs; i++) {
        if (clave_dp_rdp_epsilon(256.0 / 60000.0, 1.1, 14063, 1e-5, CLAVE_DP_ORDERS_DP_ACCOUNTING,
                                 CLAVE_DP_CONVERSION_IMPROVED, &e) != CLAVE_OK) {
            return 1;
        }
    }
    double ms = (now_s() - t0) / runs * 1e3;
    printf("{\"bench\":\"dp\",\"figure\":\"rdp_epsilon\",\"steps\":14063,\"orders\":156,"
           "\"ms\":%.3f,\"epsilon\":%.10f,\"goal_ms\":10}\n",
           ms, e.epsilon);
    return 0;
}

static int bench_ledger(long debits)
{
    char dir[] = "/tmp/bench_dp.XXXXXX", path[64];
    if (mkdtemp(dir) == NULL) {
        return 1;
    }
    snprintf(path, sizeof(path), "%s/ledger.db", dir);
    struct clave_dp_ledger *l = NULL;
    struct clave_dp_budget_key key = {"bench", "contract", "dataset", "party"};
    struct clave_dp_budget b = {1e6, 0.5, 0};
    struct clave_dp_debit d = {"bench", "count(*)", "laplace", "basic", 0.001, 0.0};
    int rc = 1;
    if (clave_dp_ledger_open_sqlite(path, &l) != CLAVE_OK ||
        clave_dp_ledger_set_budget(l, &key, &b) != CLAVE_OK) {
        goto done;
    }
    double t0 = now_s();
    for (long i = 0; i < debits; i++) {
        if (clave_dp_ledger_debit(l, &key, &d, 0, NULL) != CLAVE_OK) {
            goto done;
        }
    }
    double dt = now_s() - t0;
    printf("{\"bench\":\"dp\",\"figure\":\"ledger_debit\",\"store\":\"sqlite\","
           "\"synchronous\":\"FULL\",\"debits\":%ld,\"debits_per_s\":%.1f}\n",
           debits, (double)debits / dt);
    rc = 0;
done:
    clave_dp_ledger_free(l);
    unlink(path);
    char aux[80];
    snprintf(aux, sizeof(aux), "%s-wal", path);
    unlink(aux);
    snprintf(aux, sizeof(aux), "%s-shm", path);
    unlink(aux);
    rmdir(dir);
    return rc;
}

int main(int argc, char **argv)
{
    long samples = argc > 1 ? strtol(argv[1], NULL, 10) : 200000;
    long debits = argc > 2 ? strtol(argv[2], NULL, 10) : 200;
    if (samples <= 0 || debits <= 0) {
        fprintf(stderr, "usage: bench_dp [SAMPLES] [DEBITS]\n");
        return 2;
    }
    struct clave_dp_rng *rng = NULL;
    if (clave_dp_rng_new(&rng) != CLAVE_OK) {
        return 1;
    }
    const uint64_t scales[] = {1, 10, 1000, 1000000};
    int rc = 0;
    for (size_t i = 0; i < 4 && rc == 0; i++) {
        rc = bench_sampler(rng, "discrete_laplace", scales[i], 1, (double)scales[i], samples);
    }
    for (size_t i = 0; i < 4 && rc == 0; i++) {
        rc = bench_sampler(rng, "discrete_gaussian", scales[i] * scales[i], 1, (double)scales[i],
                           samples);
    }
    clave_dp_rng_free(rng);
    rc = rc != 0 ? rc : bench_accountant();
    rc = rc != 0 ? rc : bench_ledger(debits);
    return rc;
}
