/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/kbs: full key releases per second against a running claved: each release is a fresh TEE
 * (P-256 key), POST /kbs/v0/auth, simulated SEV-SNP evidence bound to the runtime data (a fresh
 * report signed per release by the sim chip's VCEK, which is loaded once), POST
 * /kbs/v0/attest, GET /kbs/v0/resource/... and the decryption of the returned JWE. N client
 * threads, each on its own keep-alive TLS connection, run releases back to back for S seconds.
 * Prints JSON lines: releases/s, p50/p99/max latency of a whole release, the server's and the
 * client's CPU time per release, and `openssl speed -seconds 3 ecdsap384` verify/s measured in
 * the same run before the load (one evidence verification is one ECDSA P-384 verification), and
 * how many cores the rest of the machine used meanwhile (it is shared).
 * bench/kbs.sh sets up a server, a contract and a dataset, and runs this.
 *
 *   usage: bench_kbs --url https://127.0.0.1:PORT --cacert PEM --sim-dir DIR
 *                    --measurement HEX --resource REPO/dataset/TAG
 *                    [--clients N] [--seconds S] [--server-pid PID]... [--no-openssl]
 */
#include <clave/clave.h>

#include <arpa/inet.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RESP_MAX (256u * 1024u)
#define COOKIE_MAX 128
#define MAX_PIDS 64

struct config {
    char host[64];
    int port;
    const char *cacert, *sim_dir, *resource;
    uint8_t measurement[48];
    int clients;
    double seconds;
    long server_pid[MAX_PIDS]; /* claved, and the PostgreSQL processes serving it */
    size_t server_pids;
    bool openssl;
    struct clave_attest_sim_snp *sim; /* the sim chip: its VCEK loaded once, as firmware holds it */
};

struct conn {
    SSL_CTX *ctx;
    SSL *ssl;
    int fd;
    char buf[RESP_MAX];
    size_t have; /* bytes in buf not yet consumed */
};

struct resp {
    int status;
    char cookie[COOKIE_MAX];
    char *body; /* points into conn->buf; NUL-terminated */
    size_t body_len;
};

struct worker {
    pthread_t thread;
    const struct config *cfg;
    double deadline;
    double *lat_ms;
    size_t count, cap;
    unsigned long errors;
    char last_error[256];
};

static double mono(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void conn_close(struct conn *c)
{
    if (c->ssl != NULL) {
        SSL_free(c->ssl);
    }
    if (c->fd >= 0) {
        close(c->fd);
    }
    c->ssl = NULL;
    c->fd = -1;
    c->have = 0;
}

static bool conn_open(struct conn *c, const struct config *cfg)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)cfg->port)};
    int one = 1;
    conn_close(c);
    if (inet_pton(AF_INET, cfg->host, &sa.sin_addr) != 1) {
        return false;
    }
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
        setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0) {
        return false;
    }
    c->ssl = SSL_new(c->ctx);
    return c->ssl != NULL && SSL_set_fd(c->ssl, c->fd) == 1 &&
           SSL_set1_host(c->ssl, cfg->host) == 1 && SSL_connect(c->ssl) == 1;
}

static bool send_all(struct conn *c, const char *p, size_t n)
{
    while (n > 0) {
        int w = SSL_write(c->ssl, p, n > 65536 ? 65536 : (int)n);
        if (w <= 0) {
            return false;
        }
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* Read until the buffer holds `want` bytes. */
static bool fill(struct conn *c, size_t want)
{
    while (c->have < want) {
        if (want >= sizeof(c->buf)) {
            return false;
        }
        int r = SSL_read(c->ssl, c->buf + c->have, (int)(sizeof(c->buf) - 1 - c->have));
        if (r <= 0) {
            return false;
        }
        c->have += (size_t)r;
        c->buf[c->have] = '\0';
    }
    return true;
}

/* The value of header `name` (case-insensitive, "Name: value") in `head`, or NULL. */
static const char *header(const char *head, const char *name, size_t *len)
{
    size_t n = strlen(name);
    for (const char *p = strstr(head, "\r\n"); p != NULL; p = strstr(p + 2, "\r\n")) {
        if (strncasecmp(p + 2, name, n) == 0 && p[2 + n] == ':') {
            const char *v = p + 3 + n;
            v += strspn(v, " ");
            *len = strcspn(v, "\r");
            return v;
        }
    }
    return NULL;
}

/* Parse one response (Content-Length framing, which evhttp uses for these routes). */
static bool read_response(struct conn *c, struct resp *r)
{
    char *end = NULL;
    size_t hl = 0;
    size_t vlen = 0;
    while ((end = strstr(c->buf, "\r\n\r\n")) == NULL) {
        if (!fill(c, c->have + 1)) {
            return false;
        }
    }
    *end = '\0';
    hl = (size_t)(end - c->buf) + 4;
    if (sscanf(c->buf, "HTTP/1.1 %d", &r->status) != 1) {
        return false;
    }
    const char *cl = header(c->buf, "Content-Length", &vlen);
    const char *ck = header(c->buf, "Set-Cookie", &vlen);
    if (ck != NULL) {
        size_t n = strcspn(ck, ";\r");
        (void)snprintf(r->cookie, sizeof(r->cookie), "%.*s", (int)(n < COOKIE_MAX ? n : 0), ck);
    }
    if (cl == NULL) {
        return false;
    }
    size_t body = strtoul(cl, NULL, 10);
    if (!fill(c, hl + body)) {
        return false;
    }
    r->body = c->buf + hl;
    r->body_len = body;
    return true;
}

static bool request(struct conn *c, const struct config *cfg, const char *method, const char *path,
                    const char *cookie, const char *body, struct resp *r)
{
    char head[1024];
    size_t blen = body != NULL ? strlen(body) : 0;
    int n = snprintf(head, sizeof(head),
                     "%s %s HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\n%s%s%s\r\n",
                     method, path, cfg->host, cfg->port, blen, cookie != NULL ? "Cookie: " : "",
                     cookie != NULL ? cookie : "", cookie != NULL ? "\r\n" : "");
    memset(r, 0, sizeof(*r));
    /* Drop what the previous response left (its body was consumed by the caller). */
    c->have = 0;
    c->buf[0] = '\0';
    if (n <= 0 || (size_t)n >= sizeof(head)) {
        return false;
    }
    if (c->ssl == NULL && !conn_open(c, cfg)) {
        return false;
    }
    /* Head and body in one TLS record (one write each side), as HTTP clients do. */
    char *msg = malloc((size_t)n + blen);
    if (msg == NULL) {
        return false;
    }
    memcpy(msg, head, (size_t)n);
    if (blen > 0) {
        memcpy(msg + n, body, blen);
    }
    bool sent = send_all(c, msg, (size_t)n + blen);
    free(msg);
    if (!sent || !read_response(c, r)) {
        conn_close(c); /* one reconnect: the server may have closed an idle connection */
        return false;
    }
    return true;
}

/* The Attestation body for `nonce`, with sim SNP evidence bound to it. Caller frees. */
static char *attestation(const struct config *cfg, const char *nonce, const char *pub)
{
    json_t *pk = json_loads(pub, 0, NULL);
    uint8_t rd[CLAVE_KBS_REPORT_DATA_LEN];
    uint8_t *ev = NULL;
    size_t evlen = 0;
    char *b64 = NULL;
    char *out = NULL;
    struct clave_attest_sim_input in = {rd, sizeof(rd), cfg->measurement, 48, NULL, 0, 0};
    if (pk != NULL && clave_kbs_report_data(nonce, pk, rd) == CLAVE_OK &&
        clave_attest_sim_snp_report(cfg->sim, &in, &ev, &evlen) == CLAVE_OK &&
        clave_b64_encode_alloc(CLAVE_B64URL, ev, evlen, &b64) == CLAVE_OK) {
        json_t *doc = json_pack("{s:{s:s,s:O},s:{s:{s:s,s:s},s:s}}", "runtime-data", "nonce", nonce,
                                "tee-pubkey", pk, "tee-evidence", "primary_evidence", "format",
                                "snp", "evidence", b64, "additional_evidence", "");
        out = doc != NULL ? json_dumps(doc, JSON_COMPACT) : NULL;
        json_decref(doc);
    }
    free(b64);
    free(ev);
    json_decref(pk);
    return out;
}

static bool fail(struct worker *w, const char *step, const struct resp *r)
{
    (void)snprintf(w->last_error, sizeof(w->last_error), "%s: HTTP %d %.180s", step, r->status,
                   r->body != NULL ? r->body : "(no response)");
    w->errors++;
    return false;
}

/* One full release on `c`. */
static bool release(struct worker *w, struct conn *c)
{
    const struct config *cfg = w->cfg;
    struct clave_jwk *tee = NULL;
    struct clave_secret *dek = NULL;
    char *pub = NULL;
    char *att = NULL;
    char cookie[COOKIE_MAX];
    char nonce[CLAVE_KBS_NONCE_TEXT_MAX + 1];
    char path[256];
    struct resp r;
    bool ok = false;
    if (clave_jwk_generate(CLAVE_JWK_EC_P256, &tee) != CLAVE_OK ||
        clave_jwk_export_public(tee, &pub) != CLAVE_OK) {
        goto done;
    }
    if (!request(c, cfg, "POST", "/kbs/v0/auth", NULL,
                 "{\"version\":\"0.1.1\",\"tee\":\"snp\",\"extra-params\":\"\"}", &r) ||
        r.status != 200 || r.cookie[0] == '\0') {
        ok = fail(w, "auth", &r);
        goto done;
    }
    memcpy(cookie, r.cookie, sizeof(cookie));
    json_t *j = json_loadb(r.body, r.body_len, 0, NULL);
    const char *n = json_string_value(json_object_get(j, "nonce"));
    (void)snprintf(nonce, sizeof(nonce), "%s", n != NULL ? n : "");
    json_decref(j);
    if ((att = attestation(cfg, nonce, pub)) == NULL) {
        goto done;
    }
    if (!request(c, cfg, "POST", "/kbs/v0/attest", cookie, att, &r) || r.status != 200) {
        ok = fail(w, "attest", &r);
        goto done;
    }
    (void)snprintf(path, sizeof(path), "/kbs/v0/resource/%s", cfg->resource);
    if (!request(c, cfg, "GET", path, cookie, NULL, &r) || r.status != 200) {
        ok = fail(w, "resource", &r);
        goto done;
    }
    ok = clave_jwe_decrypt(tee, r.body, r.body_len, &dek) == CLAVE_OK;
    if (!ok) {
        ok = fail(w, "decrypt", &r);
    }
done:
    clave_secret_free(dek);
    free(att);
    free(pub);
    clave_jwk_free(tee);
    return ok;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct conn *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        return NULL;
    }
    c->fd = -1;
    c->ctx = SSL_CTX_new(TLS_client_method());
    if (c->ctx == NULL || SSL_CTX_load_verify_locations(c->ctx, w->cfg->cacert, NULL) != 1) {
        (void)snprintf(w->last_error, sizeof(w->last_error), "cannot load %s", w->cfg->cacert);
        w->errors++;
        goto done;
    }
    SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
    while (mono() < w->deadline) {
        double t0 = mono();
        if (!release(w, c)) {
            continue;
        }
        if (w->count == w->cap) {
            size_t cap = w->cap == 0 ? 4096 : w->cap * 2;
            double *l = realloc(w->lat_ms, cap * sizeof(*l));
            if (l == NULL) {
                break;
            }
            w->lat_ms = l;
            w->cap = cap;
        }
        w->lat_ms[w->count++] = (mono() - t0) * 1000.0;
    }
done:
    conn_close(c);
    SSL_CTX_free(c->ctx);
    free(c);
    return NULL;
}

/* verify/s of `openssl speed -seconds 3 ecdsap384` (machine-readable form), or 0. */
static double openssl_verify_rate(void)
{
    FILE *p = popen("openssl speed -seconds 3 -mr ecdsap384 2>/dev/null", "r");
    char line[256];
    double rate = 0;
    if (p == NULL) {
        return 0;
    }
    while (fgets(line, sizeof(line), p) != NULL) {
        if (strncmp(line, "+F4:", 4) == 0) { /* "+F4:<n>:384:<sign/s>:<verify/s>" */
            char *last = strrchr(line, ':');
            rate = last != NULL ? strtod(last + 1, NULL) : 0;
        }
    }
    pclose(p);
    return rate;
}

/* utime + stime of a process in seconds (/proc/PID/stat fields 14 and 15), or -1. */
static double proc_cpu(long pid)
{
    char path[64];
    char buf[2048];
    (void)snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    size_t n = f != NULL ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
    if (f != NULL) {
        fclose(f);
    }
    buf[n] = '\0';
    char *p = strrchr(buf, ')'); /* the command name may hold spaces */
    unsigned long ut = 0;
    unsigned long stime = 0;
    if (p == NULL ||
        sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &stime) != 2) {
        return -1;
    }
    return (double)(ut + stime) / (double)sysconf(_SC_CLK_TCK);
}

/* CPU seconds of every server process, or -1 if none is given or one vanished. */
static double server_cpu(const struct config *cfg)
{
    double sum = 0;
    for (size_t i = 0; i < cfg->server_pids; i++) {
        double c = proc_cpu(cfg->server_pid[i]);
        if (c < 0) {
            return -1;
        }
        sum += c;
    }
    return cfg->server_pids > 0 ? sum : -1;
}

/* Busy CPU seconds of the whole machine (/proc/stat: all but idle and iowait). */
static double machine_busy(void)
{
    unsigned long long v[8] = {0};
    FILE *f = fopen("/proc/stat", "r");
    int n = f != NULL ? fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
                               &v[2], &v[3], &v[4], &v[5], &v[6], &v[7])
                      : 0;
    if (f != NULL) {
        fclose(f);
    }
    if (n != 8) {
        return -1;
    }
    return (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / (double)sysconf(_SC_CLK_TCK);
}

static double self_cpu(void)
{
    struct rusage ru;
    (void)getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;
    return x < y ? -1 : x > y ? 1 : 0;
}

static double pct(const double *v, size_t n, double p)
{
    if (n == 0) {
        return 0;
    }
    size_t i = (size_t)(p * (double)(n - 1) + 0.5);
    return v[i < n ? i : n - 1];
}

static const char USAGE[] =
    "usage: bench_kbs --url https://127.0.0.1:PORT --cacert PEM --sim-dir DIR\n"
    "                 --measurement HEX --resource REPO/dataset/TAG\n"
    "                 [--clients N] [--seconds S] [--server-pid PID]... [--no-openssl]\n";

static bool parse_args(int argc, char **argv, struct config *cfg)
{
    static const struct option LONG[] = {{"url", required_argument, NULL, 'u'},
                                         {"cacert", required_argument, NULL, 'c'},
                                         {"sim-dir", required_argument, NULL, 'd'},
                                         {"measurement", required_argument, NULL, 'm'},
                                         {"resource", required_argument, NULL, 'r'},
                                         {"clients", required_argument, NULL, 'n'},
                                         {"seconds", required_argument, NULL, 's'},
                                         {"server-pid", required_argument, NULL, 'p'},
                                         {"no-openssl", no_argument, NULL, 'O'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    size_t mlen = 0;
    const char *url = NULL;
    const char *m = NULL;
    int c = 0;
    cfg->clients = 8;
    cfg->seconds = 10;
    cfg->openssl = true;
    while ((c = getopt_long(argc, argv, "", LONG, NULL)) != -1) {
        switch (c) {
        case 'u':
            url = optarg;
            break;
        case 'c':
            cfg->cacert = optarg;
            break;
        case 'd':
            cfg->sim_dir = optarg;
            break;
        case 'm':
            m = optarg;
            break;
        case 'r':
            cfg->resource = optarg;
            break;
        case 'n':
            cfg->clients = (int)strtol(optarg, NULL, 10);
            break;
        case 's':
            cfg->seconds = strtod(optarg, NULL);
            break;
        case 'p':
            if (cfg->server_pids < MAX_PIDS) {
                cfg->server_pid[cfg->server_pids++] = strtol(optarg, NULL, 10);
            }
            break;
        case 'O':
            cfg->openssl = false;
            break;
        default:
            return false;
        }
    }
    return url != NULL && sscanf(url, "https://%63[0-9.]:%d", cfg->host, &cfg->port) == 2 &&
           cfg->cacert != NULL && cfg->sim_dir != NULL && cfg->resource != NULL && m != NULL &&
           clave_hex_decode(m, strlen(m), cfg->measurement, 48, &mlen) == CLAVE_OK && mlen == 48 &&
           cfg->clients > 0 && cfg->clients <= 256 && cfg->seconds > 0;
}

static void report(const struct config *cfg, struct worker *w, double wall, double server_cpu,
                   double client_cpu, double speed)
{
    size_t total = 0;
    unsigned long errors = 0;
    for (int i = 0; i < cfg->clients; i++) {
        total += w[i].count;
        errors += w[i].errors;
    }
    double *all = malloc((total + 1) * sizeof(*all));
    size_t k = 0;
    for (int i = 0; all != NULL && i < cfg->clients; i++) {
        memcpy(all + k, w[i].lat_ms, w[i].count * sizeof(*all));
        k += w[i].count;
    }
    if (all != NULL) {
        qsort(all, total, sizeof(*all), cmp_double);
    }
    double rate = (double)total / wall;
    double p99 = all != NULL ? pct(all, total, 0.99) : 0;
    printf("{\"bench\":\"kbs\",\"clients\":%d,\"seconds\":%.2f,\"releases\":%zu,\"errors\":%lu,"
           "\"releases_per_s\":%.1f,\"p50_ms\":%.2f,\"p99_ms\":%.2f,\"max_ms\":%.2f,"
           "\"server_cpu_ms_per_release\":%.3f,\"client_cpu_ms_per_release\":%.3f}\n",
           cfg->clients, wall, total, errors, rate, all != NULL ? pct(all, total, 0.5) : 0, p99,
           total > 0 && all != NULL ? all[total - 1] : 0,
           total > 0 && server_cpu >= 0 ? server_cpu * 1000 / (double)total : -1,
           total > 0 ? client_cpu * 1000 / (double)total : -1);
    printf("{\"bench\":\"kbs\",\"openssl_speed_ecdsap384_verify_per_s\":%.1f,"
           "\"goal_releases_per_s\":400,\"goal_p99_ms\":50,\"goal_met\":%s}\n",
           speed, rate >= 400 && p99 < 50 ? "true" : "false");
    for (int i = 0; i < cfg->clients; i++) {
        if (w[i].errors > 0) {
            fprintf(stderr, "bench_kbs: client %d: %lu errors, last: %s\n", i, w[i].errors,
                    w[i].last_error);
        }
    }
    free(all);
}

int main(int argc, char **argv)
{
    struct config cfg;
    memset(&cfg, 0, sizeof(cfg));
    if (!parse_args(argc, argv, &cfg)) {
        fputs(USAGE, stderr);
        return 2;
    }
    if (clave_attest_sim_snp_open(cfg.sim_dir, &cfg.sim) != CLAVE_OK) {
        fprintf(stderr, "bench_kbs: %s\n", clave_error_last().detail);
        return 1;
    }
    double speed = cfg.openssl ? openssl_verify_rate() : 0;
    struct worker *w = calloc((size_t)cfg.clients, sizeof(*w));
    if (w == NULL) {
        return 1;
    }
    double s0 = server_cpu(&cfg);
    double c0 = self_cpu();
    double m0 = machine_busy();
    double t0 = mono();
    for (int i = 0; i < cfg.clients; i++) {
        w[i].cfg = &cfg;
        w[i].deadline = t0 + cfg.seconds;
        if (pthread_create(&w[i].thread, NULL, worker_main, &w[i]) != 0) {
            return 1;
        }
    }
    for (int i = 0; i < cfg.clients; i++) {
        pthread_join(w[i].thread, NULL);
    }
    double wall = mono() - t0;
    double s1 = server_cpu(&cfg);
    double c1 = self_cpu() - c0;
    double sc = s0 >= 0 && s1 >= 0 ? s1 - s0 : -1;
    double m1 = machine_busy();
    report(&cfg, w, wall, sc, c1, speed);
    /* What the rest of the (shared) machine used meanwhile, in cores. */
    printf("{\"bench\":\"kbs\",\"machine_busy_cores\":%.2f,\"other_processes_cores\":%.2f}\n",
           m0 >= 0 && m1 >= 0 ? (m1 - m0) / wall : -1,
           m0 >= 0 && m1 >= 0 && sc >= 0 ? (m1 - m0 - sc - c1) / wall : -1);
    size_t total = 0;
    for (int i = 0; i < cfg.clients; i++) {
        total += w[i].count;
        free(w[i].lat_ms);
    }
    free(w);
    clave_attest_sim_snp_free(cfg.sim);
    return total > 0 ? 0 : 1;
}
