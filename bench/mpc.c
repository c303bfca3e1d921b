/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/mpc: three MPC node processes (forked from this one), linked by real TLS 1.3 sockets over
 * loopback (P-256 certificates made here, pinned as in production), and this process as the
 * client asking them to compute. One JSON line per session: the slowest node's compute wall time
 * (after key agreement, before the result is sent: the rounds plus the final replica check),
 * each node's CPU time over the same span (the machine is shared: CPU time is the stable
 * measure; three nodes on two cores also share the CPUs with each other), and the client's wall
 * time for the whole session (connections, share-file loading, result).
 *   - mul: N elementwise products of 64-bit shared integers (one word per product per node);
 *   - dot: a dot product of two DOT-element vectors (one word per node in total);
 *   - lt:  LT comparisons (A2B sign extraction, 8 rounds).
 * mul and dot run REPEATS times each, lt once.
 *
 *   usage: bench_mpc [N [DOT [LT [REPEATS]]]]   (defaults: 4194304, 1000000, 262144, 3)
 */
#include <clave/clave.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#define PATH_CAP 512
#define MAX_SESSIONS 64

struct bench {
    char dir[64];
    char fp[4][65]; /* nodes 0..2, client */
    int base_port;
    int sessions;
    struct clave_mpc_session_info info[3][MAX_SESSIONS];
    pid_t pid[3];
    int pipe_fd[3]; /* node i's session infos, written when it has served every session */
};

static int atoi_safe(const char *s)
{
    char *end = NULL;
    long v = strtol(s, &end, 10);
    return end != s && *end == '\0' && v > 0 && v < 1000 ? (int)v : -1;
}

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

/* A node process: serve every session, then report the session infos on `fd`. */
static void node_process(struct bench *b, int id, int fd)
{
    char path[PATH_CAP];
    struct clave_mpc_node *node = NULL;
    clave_status st = CLAVE_OK;
    snprintf(path, sizeof(path), "%s/node%d.json", b->dir, id);
    st = clave_mpc_node_new(path, &node);
    for (int s = 0; st == CLAVE_OK && s < b->sessions; s++) {
        st = clave_mpc_node_serve_one(node, &b->info[id][s]);
    }
    if (st != CLAVE_OK) {
        fprintf(stderr, "bench_mpc: node %d: %s\n", id, clave_error_last().detail);
    }
    clave_mpc_node_free(node);
    size_t len = sizeof(b->info[id][0]) * (size_t)b->sessions;
    const uint8_t *p = (const uint8_t *)b->info[id];
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n <= 0) {
            break;
        }
        p += n;
        len -= (size_t)n;
    }
    close(fd);
    _exit(st == CLAVE_OK ? 0 : 1);
}

static int start_nodes(struct bench *b)
{
    for (int i = 0; i < 3; i++) {
        int fds[2];
        if (pipe(fds) != 0) {
            return 1;
        }
        fflush(NULL);
        b->pid[i] = fork();
        if (b->pid[i] < 0) {
            return 1;
        }
        if (b->pid[i] == 0) {
            close(fds[0]);
            node_process(b, i, fds[1]);
        }
        close(fds[1]);
        b->pipe_fd[i] = fds[0];
    }
    return 0;
}

/* Collect the nodes' session infos and exit statuses. */
static int join_nodes(struct bench *b)
{
    int rc = 0;
    for (int i = 0; i < 3; i++) {
        size_t want = sizeof(b->info[i][0]) * (size_t)b->sessions, got = 0;
        uint8_t *p = (uint8_t *)b->info[i];
        ssize_t n = 0;
        while (got < want && (n = read(b->pipe_fd[i], p + got, want - got)) > 0) {
            got += (size_t)n;
        }
        close(b->pipe_fd[i]);
        int status = 0;
        rc |= waitpid(b->pid[i], &status, 0) != b->pid[i] || !WIFEXITED(status) ||
              WEXITSTATUS(status) != 0 || got != want;
    }
    return rc;
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

struct job {
    enum clave_mpc_compute op;
    const char *a;
    const char *b;
    size_t n;
};

static int session(struct clave_mpc_client *c, const struct job *j, double *wall)
{
    struct clave_mpc_output out;
    double t0 = now();
    clave_status st = clave_mpc_client_run(c, j->op, j->a, j->b, &out);
    *wall = now() - t0;
    if (st != CLAVE_OK) {
        fprintf(stderr, "bench_mpc: %s: %s\n", clave_mpc_compute_name(j->op),
                clave_error_last().detail);
        return 1;
    }
    clave_mpc_output_free(&out);
    return 0;
}

static void report(const struct bench *b, int s, const struct job *j, double wall)
{
    double compute = 0, cpu_max = 0, cpu[3];
    for (int i = 0; i < 3; i++) {
        const struct clave_mpc_session_info *in = &b->info[i][s];
        compute = in->compute_seconds > compute ? in->compute_seconds : compute;
        cpu[i] = in->compute_cpu_seconds;
        cpu_max = cpu[i] > cpu_max ? cpu[i] : cpu_max;
    }
    printf("{\"bench\":\"mpc\",\"transport\":\"tls1.3-loopback\",\"nodes\":\"3 processes\","
           "\"op\":\"%s\",\"n\":%zu,\"rounds\":%u,\"compute_wall_s\":%.4f,"
           "\"node_cpu_s\":[%.4f,%.4f,%.4f],\"%s_per_wall_s\":%.0f,\"%s_per_node_cpu_s\":%.0f,"
           "\"session_wall_s\":%.4f}\n",
           clave_mpc_compute_name(j->op), j->n, b->info[0][s].rounds, compute, cpu[0], cpu[1],
           cpu[2], j->op == CLAVE_MPC_DOT ? "elements" : "ops", (double)j->n / compute,
           j->op == CLAVE_MPC_DOT ? "elements" : "ops", (double)j->n / cpu_max, wall);
}

int main(int argc, char **argv)
{
    static struct bench b;
    size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 4194304;
    size_t dot = argc > 2 ? strtoul(argv[2], NULL, 10) : 1000000;
    size_t lt = argc > 3 ? strtoul(argv[3], NULL, 10) : 262144;
    int repeats = argc > 4 ? atoi_safe(argv[4]) : 3;
    struct job jobs[MAX_SESSIONS];
    double wall[MAX_SESSIONS];
    struct clave_mpc_client *c = NULL;
    int rc = 0, count = 0;
    if (repeats < 1 || 2 * repeats + 1 > MAX_SESSIONS) {
        fprintf(stderr, "usage: bench_mpc [N [DOT [LT [REPEATS]]]]\n");
        return 2;
    }
    for (int r = 0; r < repeats; r++) {
        jobs[count++] = (struct job){CLAVE_MPC_MUL, "a", "b", n};
    }
    for (int r = 0; r < repeats; r++) {
        jobs[count++] = (struct job){CLAVE_MPC_DOT, "da", "db", dot};
    }
    jobs[count++] = (struct job){CLAVE_MPC_LT, "la", "lb", lt};
    b.sessions = count;
    signal(SIGPIPE, SIG_IGN);
    snprintf(b.dir, sizeof(b.dir), "/tmp/bench_mpc.XXXXXX");
    if (mkdtemp(b.dir) == NULL) {
        return 1;
    }
    b.base_port = 20000 + 3 * (int)(getpid() % 4000); /* below the ephemeral range (32768) */
    const char *names[4] = {"node0", "node1", "node2", "client"};
    for (int i = 0; i < 4; i++) {
        if (make_cert(&b, names[i], b.fp[i]) != 0) {
            fprintf(stderr, "bench_mpc: cannot make certificates\n");
            return 1;
        }
    }
    if (write_configs(&b) != 0 || share_random(&b, "a", n) || share_random(&b, "b", n) ||
        share_random(&b, "da", dot) || share_random(&b, "db", dot) || share_random(&b, "la", lt) ||
        share_random(&b, "lb", lt) || start_nodes(&b) != 0) {
        fprintf(stderr, "bench_mpc: setup failed: %s\n", clave_error_last().detail);
        return 1;
    }
    usleep(300000);
    char path[PATH_CAP];
    snprintf(path, sizeof(path), "%s/client.json", b.dir);
    rc = clave_mpc_client_new(path, &c) != CLAVE_OK;
    for (int s = 0; rc == 0 && s < count; s++) {
        rc = session(c, &jobs[s], &wall[s]);
    }
    clave_mpc_client_free(c);
    for (int i = 0; rc != 0 && i < 3; i++) {
        kill(b.pid[i], SIGTERM); /* nodes still waiting for sessions that will not come */
    }
    rc |= join_nodes(&b);
    for (int s = 0; rc == 0 && s < count; s++) {
        report(&b, s, &jobs[s], wall[s]);
    }
    char cmd[PATH_CAP + 16];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", b.dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "bench_mpc: could not remove %s\n", b.dir);
    }
    return rc;
}
