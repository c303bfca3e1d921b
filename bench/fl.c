/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/fl: federated learning on Fashion-MNIST (Debian dataset-fashion-mnist, MIT), 10 clients,
 * Dirichlet label skew alpha = 0.5, an MLP 784-H-10. In one run: centralised training (the
 * baseline: as many epochs as FL rounds, since each round is one local epoch over all client
 * data), FedAvg with plain updates (the TEE-aggregator reference), FedAvg with SecAgg+, and
 * FedAvg with Paillier-packed updates for a few rounds only (--paillier-rounds, default 2; each
 * client encrypts thousands of 2048-bit ciphertexts per round: time per round and bytes per
 * client are what this row is for), and
 * FedAvg with SecAgg+ and client-level DP at epsilon = 8 (delta 1e-5, distributed discrete
 * Gaussian noise, noise multiplier from the RDP accountant). One JSON line per epoch / round
 * (accuracy on the 10,000 test images, federated evaluation spread over the clients; wall time;
 * process CPU time including OpenBLAS threads; the secure-aggregation part), then a summary
 * with the goals (the round-time goal is judged on the median round: on a shared
 * machine single rounds stall when other jobs take the cores).
 *
 *   usage: bench_fl [--quick] [--rounds R] [--hidden H] [--data DIR] [--paillier-rounds P]
 *   (default: 30 rounds, H = 100, all 60,000 training images, P = 2; --quick: 5 rounds, 6,000
 *   images, P = 1; P = 0 skips the Paillier run)
 */
#include <clave/clave.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CLIENTS 10
#define MAX_IDX ((size_t)1 << 28)

struct opts {
    bool quick;
    uint32_t rounds;
    uint32_t hidden;
    size_t train_rows;
    const char *dir;
    uint32_t paillier_rounds;
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* `gzip -dc PATH` into memory (no shell). Exits on any failure: the data must be there. */
static uint8_t *gunzip(const char *path, size_t *len)
{
    int fd[2];
    if (pipe(fd) != 0) {
        perror("pipe");
        exit(1);
    }
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fd[1], STDOUT_FILENO);
        close(fd[0]);
        close(fd[1]);
        execlp("gzip", "gzip", "-dc", path, (char *)NULL);
        _exit(127);
    }
    close(fd[1]);
    size_t cap = (size_t)1 << 20, n = 0;
    uint8_t *buf = malloc(cap);
    ssize_t got = 0;
    while (buf != NULL && (got = read(fd[0], buf + n, cap - n)) > 0) {
        n += (size_t)got;
        if (n == cap && cap < MAX_IDX) {
            cap *= 2;
            uint8_t *more = realloc(buf, cap);
            if (more == NULL) {
                free(buf);
                buf = NULL;
            }
            buf = more;
        }
    }
    close(fd[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (buf == NULL || got < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr,
                "bench_fl: cannot decompress %s (install dataset-fashion-mnist: "
                "scripts/deps.sh)\n",
                path);
        exit(1);
    }
    *len = n;
    return buf;
}

static struct clave_ml_dataset *load(const char *dir, const char *prefix, size_t max_rows)
{
    char img[1024], lab[1024];
    snprintf(img, sizeof(img), "%s/%s-images-idx3-ubyte.gz", dir, prefix);
    snprintf(lab, sizeof(lab), "%s/%s-labels-idx1-ubyte.gz", dir, prefix);
    size_t il = 0, ll = 0;
    uint8_t *ib = gunzip(img, &il), *lb = gunzip(lab, &ll);
    struct clave_ml_dataset *ds = NULL;
    if (clave_ml_idx_parse(ib, il, lb, ll, 10, max_rows, &ds) != CLAVE_OK) {
        fprintf(stderr, "bench_fl: %s: %s\n", img, clave_error_last().detail);
        exit(1);
    }
    free(ib);
    free(lb);
    return ds;
}

static void die(const char *what)
{
    fprintf(stderr, "bench_fl: %s: %s\n", what, clave_error_last().detail);
    exit(1);
}

static struct clave_fl_config fl_config(const struct opts *o)
{
    struct clave_fl_config c = clave_fl_config_default();
    c.model.kind = CLAVE_ML_MLP;
    c.model.inputs = 784;
    c.model.classes = 10;
    c.model.hidden_count = 1;
    c.model.hidden[0] = o->hidden;
    c.local.learning_rate = 0.05;
    c.local.momentum = 0.9;
    c.local.batch_size = 32;
    c.clients = CLIENTS;
    c.clients_per_round = CLIENTS;
    c.min_clients = 7;
    c.rounds = o->rounds;
    memset(c.seed, 0x42, sizeof(c.seed));
    return c;
}

/* Centralised baseline: the same model and optimiser over all training data. */
static double central(const struct opts *o, const struct clave_ml_dataset *train,
                      const struct clave_ml_dataset *test)
{
    struct clave_fl_config c = fl_config(o);
    struct clave_ml_model *m = NULL;
    struct clave_ml_trainer *t = NULL;
    double acc = 0.0;
    if (clave_ml_model_new(&c.model, c.seed, &m) != CLAVE_OK ||
        clave_ml_trainer_new(m, &c.local, c.seed, NULL, &t) != CLAVE_OK) {
        die("central");
    }
    for (uint32_t e = 1; e <= o->rounds; e++) {
        double t0 = now(), loss = 0.0;
        if (clave_ml_trainer_epoch(t, train, &loss) != CLAVE_OK ||
            clave_ml_evaluate(m, test, NULL, &acc, NULL) != CLAVE_OK) {
            die("central epoch");
        }
        printf("{\"run\":\"central\",\"epoch\":%u,\"train_loss\":%.5f,\"accuracy\":%.5f,"
               "\"seconds\":%.3f}\n",
               e, loss, acc, now() - t0);
        fflush(stdout);
    }
    clave_ml_trainer_free(t);
    clave_ml_model_free(m);
    return acc;
}

#define MAX_ROUNDS 1000

struct fl_result {
    double accuracy;
    double max_round;
    double median_round;
    double max_secagg;
    double epsilon;
};

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static struct fl_result federate(const char *name, const struct clave_fl_config *c,
                                 struct clave_ml_dataset **train, struct clave_ml_dataset **test)
{
    struct clave_fl_sim *sim = NULL;
    struct fl_result res = {0};
    static double times[MAX_ROUNDS];
    if (clave_fl_sim_new(c, train, test, NULL, NULL, NULL, &sim) != CLAVE_OK) {
        die(name);
    }
    for (uint32_t r = 1; r <= c->rounds; r++) {
        struct clave_fl_round_report rep;
        double secs = 0.0, sa = 0.0, cpu0 = cpu_now();
        if (clave_fl_sim_round(sim, true, &rep, &secs, &sa) != CLAVE_OK) {
            die(name);
        }
        double cpu = cpu_now() - cpu0;
        printf("{\"run\":\"%s\",\"round\":%u,\"reported\":%u,\"accuracy\":%.5f,\"eval_loss\":%.5f,"
               "\"epsilon\":%.4f,\"seconds\":%.3f,\"cpu_seconds\":%.3f,\"secagg_seconds\":%.3f}\n",
               name, r, rep.reported, rep.eval_accuracy, rep.eval_loss, rep.epsilon, secs, cpu, sa);
        times[r - 1] = secs;
        fflush(stdout);
        res.accuracy = rep.eval_accuracy;
        res.epsilon = rep.epsilon;
        res.max_round = fmax(res.max_round, secs);
        res.max_secagg = fmax(res.max_secagg, sa);
    }
    qsort(times, c->rounds, sizeof(double), cmp_double);
    res.median_round = c->rounds % 2 ? times[c->rounds / 2]
                                     : 0.5 * (times[c->rounds / 2 - 1] + times[c->rounds / 2]);
    clave_fl_sim_free(sim);
    return res;
}

/* Bytes of one client's PAILLIER message (docs/fl.md "Paillier", docs/formats/fl.md): the words
 * packed in slots of value_bits + ceil(log2(clients_per_round)) bits, 2 * paillier_bits / 8
 * bytes per ciphertext, plus the CLHE vector envelope (92) and the FL header and fields (44). */
static double paillier_bytes(const struct clave_fl_config *c, size_t dim, size_t *ciphertexts)
{
    double top = ceil(65536.0 * fmax(c->update_bound, 1e3) * ldexp(1.0, (int)c->fixed_point_bits));
    unsigned vb = 2, lg = 0;
    while (ldexp(1.0, (int)vb - 1) <= top + 1.0) {
        vb++;
    }
    while ((1u << lg) < c->clients_per_round) {
        lg++;
    }
    size_t slots = (c->paillier_bits - 2) / (vb + lg);
    *ciphertexts = (dim + 2 + slots - 1) / slots;
    return (double)*ciphertexts * (c->paillier_bits / 4) + 92.0 + 44.0;
}

static void parse(int argc, char **argv, struct opts *o)
{
    *o = (struct opts){false, 30, 100, 60000, "/usr/share/datasets/fashion-mnist", 2};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            o->quick = true;
            o->rounds = 5;
            o->train_rows = 6000;
            o->paillier_rounds = 1;
        } else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc) {
            o->rounds = (uint32_t)strtoul(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--hidden") == 0 && i + 1 < argc) {
            o->hidden = (uint32_t)strtoul(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--data") == 0 && i + 1 < argc) {
            o->dir = argv[++i];
        } else if (strcmp(argv[i], "--paillier-rounds") == 0 && i + 1 < argc) {
            o->paillier_rounds = (uint32_t)strtoul(argv[++i], NULL, 10);
        } else {
            fprintf(stderr, "usage: bench_fl [--quick] [--rounds R] [--hidden H] [--data DIR] "
                            "[--paillier-rounds P]\n");
            exit(2);
        }
    }
    if (o->rounds < 1 || o->rounds > MAX_ROUNDS || o->hidden < 1 || o->hidden > 4096 ||
        o->paillier_rounds > o->rounds) {
        fprintf(stderr, "bench_fl: rounds 1..1000, hidden 1..4096, paillier-rounds 0..rounds\n");
        exit(2);
    }
}

int main(int argc, char **argv)
{
    struct opts o;
    parse(argc, argv, &o);
    struct clave_ml_dataset *train = load(o.dir, "train", o.train_rows);
    struct clave_ml_dataset *test = load(o.dir, "t10k", o.quick ? 1000 : 10000);
    struct clave_ml_dataset *parts[CLIENTS], *tparts[CLIENTS];
    struct clave_fl_config c = fl_config(&o);
    if (clave_ml_dataset_partition(train, CLIENTS, 0.5, c.seed, parts) != CLAVE_OK ||
        clave_ml_dataset_partition(test, CLIENTS, 0.0, c.seed, tparts) != CLAVE_OK) {
        die("partition");
    }
    double base = central(&o, train, test);
    c.protection = CLAVE_FL_PLAIN;
    struct fl_result plain = federate("fedavg-plain", &c, parts, tparts);
    c.protection = CLAVE_FL_SECAGG;
    struct fl_result masked = federate("fedavg-secagg", &c, parts, tparts);
    struct fl_result he = {0};
    size_t dim = 0, cts = 0;
    struct clave_ml_model *probe = NULL;
    if (clave_ml_model_new(&c.model, c.seed, &probe) != CLAVE_OK) {
        die("model");
    }
    clave_ml_model_params(probe, &dim);
    clave_ml_model_free(probe);
    double he_bytes = paillier_bytes(&c, dim, &cts);
    if (o.paillier_rounds > 0) {
        c.protection = CLAVE_FL_PAILLIER;
        c.rounds = o.paillier_rounds;
        he = federate("fedavg-paillier", &c, parts, tparts);
        c.rounds = o.rounds;
    }
    c.protection = CLAVE_FL_SECAGG;
    /* Client-level DP at epsilon 8: every client in every round (q = 1), delta 1e-5. */
    c.dp = CLAVE_FL_DP_DISTRIBUTED;
    c.dp_clip = 1.0;
    c.dp_delta = 1e-5;
    c.fixed_point_bits = 16;
    if (clave_dp_rdp_sigma(8.0, c.dp_delta, 1.0, c.rounds, CLAVE_DP_ORDERS_DP_ACCOUNTING,
                           CLAVE_DP_CONVERSION_IMPROVED, 1e-4,
                           &c.dp_noise_multiplier) != CLAVE_OK) {
        die("noise multiplier");
    }
    struct fl_result dp = federate("fedavg-secagg-dp8", &c, parts, tparts);
    printf("{\"summary\":true,\"quick\":%s,\"rounds\":%u,\"hidden\":%u,\"train_rows\":%zu,"
           "\"central_accuracy\":%.5f,\"plain_accuracy\":%.5f,\"secagg_accuracy\":%.5f,"
           "\"dp_accuracy\":%.5f,\"dp_epsilon\":%.4f,\"dp_noise_multiplier\":%.4f,"
           "\"fl_over_central\":%.4f,\"secagg_minus_plain_points\":%.4f,"
           "\"median_round_seconds_secagg\":%.3f,\"max_round_seconds_secagg\":%.3f,"
           "\"max_secagg_seconds\":%.3f,\"paillier_rounds\":%u,\"paillier_accuracy\":%.5f,"
           "\"paillier_median_round_seconds\":%.3f,\"paillier_keyholder_seconds\":%.3f,"
           "\"paillier_ciphertexts_per_client\":%zu,\"paillier_bytes_per_client\":%.0f,"
           "\"goal_fl_97pct\":%s,\"goal_secagg_0_1pt\":%s,\"goal_round_2s\":%s}\n",
           o.quick ? "true" : "false", o.rounds, o.hidden, clave_ml_dataset_rows(train), base,
           plain.accuracy, masked.accuracy, dp.accuracy, dp.epsilon, c.dp_noise_multiplier,
           masked.accuracy / base, 100.0 * (masked.accuracy - plain.accuracy), masked.median_round,
           masked.max_round, masked.max_secagg, o.paillier_rounds, he.accuracy, he.median_round,
           he.max_secagg, cts, he_bytes, masked.accuracy >= 0.97 * base ? "true" : "false",
           fabs(masked.accuracy - plain.accuracy) < 0.001 ? "true" : "false",
           masked.median_round <= 2.0 ? "true" : "false");
    for (int i = 0; i < CLIENTS; i++) {
        clave_ml_dataset_free(parts[i]);
        clave_ml_dataset_free(tparts[i]);
    }
    clave_ml_dataset_free(train);
    clave_ml_dataset_free(test);
    return 0;
}
