/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/mpc: three MPC nodes as threads of this process, linked by real TLS 1.3 sockets over
 * loopback (P-256 certificates made here, pinned as in production), and a client thread asking
 * them to compute. One JSON line per session: the slowest node's compute time (after key
 * agreement, before the result is sent: the rounds plus the final replica check) and the
 * client's wall time for the whole session (connections, share-file loading, result).
 *   - mul: N elementwise products of 64-bit shared integers (one word per product per node);
 *   - dot: a dot product of two DOT-element vectors (one word per node in total);
 *   - lt:  LT comparisons (A2B sign extraction, 8 rounds).
 *
 *   usage: bench_mpc [N [DOT [LT]]]   (defaults: 4194304, 1000000, 262144)
 */
#include <clave/clave.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PATH_CAP 512
#define SESSIONS 3

struct bench {
    char dir[64];
    char fp[4][65]; /* nodes 0..2, client */
    int base_port;
    struct clave_mpc_session_info info[3][SESSIONS];
    clave_status st[3];
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A self-signed P-256 certificate and key as PEM files; its SHA-256 fingerprint in hex. */
static int make_cert(const struct bench *b, const char *name, char fp[65])
{
    char path[PATH_CAP];
    unsigned char md[32];
    unsigned md_len = 0;
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    int ok = key != NULL && x != NULL;
    ok = ok && ASN1_INTEGER_set(X509_get_serialNumber(x), 1) == 1;
    ok = ok && X509_gmtime_adj(X509_getm_notBefore(x), 0) != NULL &&
         X509_gmtime_adj(X509_getm_notAfter(x), 86400) != NULL;
    ok = ok && X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                                          (const unsigned char *)name, -1, -1, 0) == 1;
    ok = ok && X509_set_issuer_name(x, X509_get_subject_name(x)) == 1;
    ok = ok && X509_set_pubkey(x, key) == 1 && X509_sign(x, key, EVP_sha256()) > 0;
    ok = ok && X509_digest(x, EVP_sha256(), md, &md_len) == 1 && md_len == 32;
    snprintf(path, sizeof(path), "%s/%s.crt", b->dir, name);
    FILE *f = ok ? fopen(path, "w") : NULL;
    ok = f != NULL && PEM_write_X509(f, x) == 1;
    if (f != NULL) {
        fclose(f);
    }
    snprintf(path, sizeof(path), "%s/%s.key", b->dir, name);
    f = ok ? fopen(path, "w") : NULL;
    ok = f != NULL && PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) == 1;
    if (f != NULL) {
        fclose(f);
    }
    for (unsigned i = 0; ok && i < 32; i++) {
        snprintf(fp + 2 * i, 3, "%02x", md[i]);
    }
    X509_free(x);
    EVP_PKEY_free(key);
    return ok ? 0 : 1;
}

static int write_configs(const struct bench *b)
{
    char path[PATH_CAP];
    for (int i = 0; i <= 3; i++) {
        snprintf(path, sizeof(path), "%s/%s.json", b->dir,
                 i < 3 ? (const char *[]){"node0", "node1", "node2"}[i] : "client");
        FILE *f = fopen(path, "w");
        if (f == NULL) {
            return 1;
        }
        if (i < 3) {
            fprintf(f,
                    "{\"id\":%d,\"listen\":\"127.0.0.1:%d\",\"cert\":\"%s/node%d.crt\","
                    "\"key\":\"%s/node%d.key\",\"inputs\":\"%s\",\"timeout_ms\":60000,"
                    "\"clients\":[\"%s\"],\"peers\":[",
                    i, b->base_port + i, b->dir, i, b->dir, i, b->dir, b->fp[3]);
        } else {
            fprintf(f,
                    "{\"cert\":\"%s/client.crt\",\"key\":\"%s/client.key\","
                    "\"timeout_ms\":60000,\"nodes\":[",
                    b->dir, b->dir);
        }
        const char *sep = "";
        for (int j = 0; j < 3; j++) {
            if (j != i) {
                fprintf(f, "%s{\"id\":%d,\"address\":\"127.0.0.1:%d\",\"fingerprint\":\"%s\"}", sep,
                        j, b->base_port + j, b->fp[j]);
                sep = ",";
            }
        }
        fprintf(f, "]}\n");
        fclose(f);
    }
    return 0;
}

struct node_job {
    struct bench *b;
    int id;
};

static void *node_main(void *arg)
{
    struct node_job *j = arg;
    char path[PATH_CAP];
    struct clave_mpc_node *node = NULL;
    snprintf(path, sizeof(path), "%s/node%d.json", j->b->dir, j->id);
    j->b->st[j->id] = clave_mpc_node_new(path, &node);
    for (int s = 0; j->b->st[j->id] == CLAVE_OK && s < SESSIONS; s++) {
        j->b->st[j->id] = clave_mpc_node_serve_one(node, &j->b->info[j->id][s]);
    }
    if (j->b->st[j->id] != CLAVE_OK) {
        fprintf(stderr, "bench_mpc: node %d: %s\n", j->id, clave_error_last().detail);
    }
    clave_mpc_node_free(node);
    return NULL;
}

static int share_random(const struct bench *b, const char *name, size_t n)
{
    uint64_t *v = malloc(n * sizeof(uint64_t));
    int rc = v == NULL || clave_random((uint8_t *)v, n * sizeof(uint64_t)) != CLAVE_OK;
    for (size_t k = 0; rc == 0 && k < n; k++) {
        v[k] >>= 2; /* signed values below 2^62, so that lt is meaningful */
    }
    rc = rc || clave_mpc_share_write(b->dir, name, v, n, 0) != CLAVE_OK;
    free(v);
    return rc;
}

static int session(struct bench *b, struct clave_mpc_client *c, int s, enum clave_mpc_compute op,
                   const char *in_a, const char *in_b, size_t n)
{
    struct clave_mpc_output out;
    double t0 = now();
    clave_status st = clave_mpc_client_run(c, op, in_a, in_b, &out);
    double wall = now() - t0;
    if (st != CLAVE_OK) {
        fprintf(stderr, "bench_mpc: %s: %s\n", clave_mpc_compute_name(op),
                clave_error_last().detail);
        return 1;
    }
    clave_mpc_output_free(&out);
    usleep(100000); /* let the node threads record their session info */
    double compute = 0;
    for (int i = 0; i < 3; i++) {
        compute = b->info[i][s].compute_seconds > compute ? b->info[i][s].compute_seconds : compute;
    }
    printf("{\"bench\":\"mpc\",\"transport\":\"tls1.3-loopback\",\"op\":\"%s\",\"n\":%zu,"
           "\"rounds\":%u,\"compute_seconds\":%.4f,\"%s\":%.0f,\"session_seconds\":%.4f}\n",
           clave_mpc_compute_name(op), n, b->info[0][s].rounds, compute,
           op == CLAVE_MPC_DOT ? "elements_per_second" : "ops_per_second", (double)n / compute,
           wall);
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv)
{
    static struct bench b;
    size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 4194304;
    size_t dot = argc > 2 ? strtoul(argv[2], NULL, 10) : 1000000;
    size_t lt = argc > 3 ? strtoul(argv[3], NULL, 10) : 262144;
    pthread_t t[3];
    struct node_job jobs[3];
    struct clave_mpc_client *c = NULL;
    int rc = 1;
    signal(SIGPIPE, SIG_IGN);
    snprintf(b.dir, sizeof(b.dir), "/tmp/bench_mpc.XXXXXX");
    if (mkdtemp(b.dir) == NULL) {
        return 1;
    }
    b.base_port = 30000 + (int)(getpid() % 20000);
    const char *names[4] = {"node0", "node1", "node2", "client"};
    for (int i = 0; i < 4; i++) {
        if (make_cert(&b, names[i], b.fp[i]) != 0) {
            fprintf(stderr, "bench_mpc: cannot make certificates\n");
            return 1;
        }
    }
    if (write_configs(&b) != 0 || share_random(&b, "a", n) || share_random(&b, "b", n) ||
        share_random(&b, "da", dot) || share_random(&b, "db", dot) || share_random(&b, "la", lt) ||
        share_random(&b, "lb", lt)) {
        fprintf(stderr, "bench_mpc: setup failed: %s\n", clave_error_last().detail);
        return 1;
    }
    for (int i = 0; i < 3; i++) {
        jobs[i] = (struct node_job){&b, i};
        pthread_create(&t[i], NULL, node_main, &jobs[i]);
    }
    usleep(300000);
    char path[PATH_CAP];
    snprintf(path, sizeof(path), "%s/client.json", b.dir);
    if (clave_mpc_client_new(path, &c) == CLAVE_OK &&
        session(&b, c, 0, CLAVE_MPC_MUL, "a", "b", n) == 0 &&
        session(&b, c, 1, CLAVE_MPC_DOT, "da", "db", dot) == 0 &&
        session(&b, c, 2, CLAVE_MPC_LT, "la", "lb", lt) == 0) {
        rc = 0;
    }
    for (int i = 0; i < 3; i++) {
        pthread_join(t[i], NULL);
    }
    clave_mpc_client_free(c);
    char cmd[PATH_CAP + 16];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", b.dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "bench_mpc: could not remove %s\n", b.dir);
    }
    return rc;
}
