/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A tour of the differential privacy library (docs/dp.md). Built and run by the suite.
 *   cc dp_tour.c $(pkg-config --cflags --libs clave) -o dp_tour
 *   ./dp_tour                                    # ledger in SQLite, in a temporary directory
 *   ./dp_tour "host=/run/postgresql dbname=clave" # ledger in PostgreSQL
 *
 * 1. An exact sampler: discrete Gaussian draws from the CSPRNG, no floating point.
 * 2. A bounded mean of a small table, paid for by a durable ledger debit BEFORE it is shown.
 * 3. The RDP accountant on TF Privacy's test setting (q = 150/60000, sigma 1.3, 6000 steps,
 *    delta 1e-5), which must give epsilon 0.7242234026 at order 19.
 */
#define _XOPEN_SOURCE 700
#include <clave/clave.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void check(const char *what, clave_status st)
{
    if (st != CLAVE_OK) {
        fprintf(stderr, "%s: %s (%s)\n", what, clave_status_str(st), clave_error_last().detail);
        exit(1);
    }
}

/* 1. 100000 draws of N_Z(0, sigma^2 = 9): their variance is close to 9. */
static void sampler(struct clave_dp_rng *rng)
{
    const int draws = 100000;
    double sum_sq = 0.0;
    for (int i = 0; i < draws; i++) {
        int64_t y = 0;
        check("discrete gaussian", clave_dp_sample_discrete_gaussian(rng, 9, 1, &y));
        sum_sq += (double)(y * y);
    }
    double var = sum_sq / draws;
    printf("discrete Gaussian sigma^2 = 9: sample variance %.1f\n", var);
    if (fabs(var - 9.0) > 0.5) {
        fprintf(stderr, "sample variance %.3f far from 9\n", var);
        exit(1);
    }
}

/* 2. Mean age of 500 patients (one row each; ages 20..79, mean 49.5), bounds [0, 100],
 * epsilon 0.5 charged to a ledger. */
#define PATIENTS 500
static void bounded_mean(struct clave_dp_rng *rng, struct clave_store *store)
{
    static struct clave_dp_row rows[PATIENTS];
    for (size_t i = 0; i < PATIENTS; i++) {
        rows[i] = (struct clave_dp_row){i + 1, 20.0 + (double)(i * 37 % 60), NULL};
    }
    const struct clave_dp_bounds bounds = {0.0, 100.0, 1, 8};
    const struct clave_dp_params params = {CLAVE_DP_LAPLACE, 0.5, 0.0, 0.0};
    char contract[64]; /* a fresh key per run: a shared PostgreSQL ledger keeps earlier runs' */
    (void)snprintf(contract, sizeof(contract), "tour-%lld-%ld", (long long)time(NULL),
                   (long)getpid());
    const struct clave_dp_budget_key key = {"tour", contract, "patients", "hospital-a"};
    const struct clave_dp_budget budget = {1.0, 0.0, 86400}; /* epsilon 1 per UTC day */
    struct clave_dp_ledger *ledger = NULL;
    struct clave_dp_result r;
    struct clave_dp_debit_record rec;
    check("ledger open", clave_dp_ledger_open(store, &ledger));
    check("set budget", clave_dp_ledger_set_budget(ledger, &key, &budget));
    check("mean", clave_dp_mean(rng, rows, PATIENTS, &bounds, &params, &r));
    /* The result stays in memory until the debit is committed; if the debit fails, it is
     * dropped, never shown. */
    const struct clave_dp_debit debit = {"tour",  "mean(age)", "laplace",
                                         "basic", r.epsilon,   r.delta};
    check("debit", clave_dp_ledger_debit(ledger, &key, &debit, (int64_t)time(NULL), &rec));
    printf("mean age (true 49.5, epsilon %.1f): %.1f; debit %lld, epsilon left today %.1f\n",
           r.epsilon, r.value, (long long)rec.id, rec.epsilon_remaining);
    uint64_t left = 0;
    check("preview", clave_dp_ledger_preview(ledger, &key, 0.5, 0.0, (int64_t)time(NULL), &left));
    printf("queries left at epsilon 0.5: %llu\n", (unsigned long long)left);
    clave_dp_ledger_free(ledger);
}

/* 3. TF Privacy compute_dp_sgd_privacy_test: 60000 examples, batch 150, 15 epochs. */
static void accountant(void)
{
    struct clave_dp_epsilon e;
    check("rdp epsilon",
          clave_dp_rdp_epsilon(150.0 / 60000.0, 1.3, 6000, 1e-5, CLAVE_DP_ORDERS_TF_PRIVACY,
                               CLAVE_DP_CONVERSION_IMPROVED, &e));
    printf("DP-SGD q=150/60000 sigma=1.3 6000 steps delta=1e-5: epsilon %.10f at order %g (%s)\n",
           e.epsilon, e.order, clave_dp_conversion_name(e.conversion));
    if (fabs(e.epsilon - 0.7242234026109595) > 1e-6 * 0.7242234026109595) {
        fprintf(stderr, "epsilon differs from TF Privacy's 0.7242234026\n");
        exit(1);
    }
}

int main(int argc, char **argv)
{
    char dir[] = "/tmp/clave-dp-tour-XXXXXX";
    char path[sizeof(dir) + 16];
    struct clave_store_config cfg = {CLAVE_STORE_SQLITE, path, NULL, 0};
    struct clave_store *store = NULL;
    struct clave_dp_rng *rng = NULL;
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    (void)snprintf(path, sizeof(path), "%s/ledger.db", dir);
    if (argc > 1) {
        cfg.backend = CLAVE_STORE_POSTGRES;
        cfg.pg_conninfo = argv[1];
    }
    check("store open", clave_store_open(&cfg, &store));
    check("rng", clave_dp_rng_new(&rng));
    sampler(rng);
    bounded_mean(rng, store);
    accountant();
    clave_dp_rng_free(rng);
    clave_store_close(store);
    (void)nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS); /* leave nothing in /tmp */
    return 0;
}
