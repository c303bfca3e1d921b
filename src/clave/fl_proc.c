/* SPDX-License-Identifier: Apache-2.0 */
/*
 * clave fl run --processes: each client in its own process (fork), connected to the aggregator
 * (this process) by a Unix socketpair carrying the messages of docs/formats/fl.md in frames of
 * u32le length + bytes. A zero-length frame from a client means "no reply" (its handling
 * failed). Every phase sends all requests first, then reads all replies, so clients train in
 * parallel. A client that dies or stops answering is a dropout; the aggregator never trusts a
 * frame beyond CLAVE_FL_MAX_MESSAGE.
 *
 * Under Paillier a key-holder process is forked first: it generates the run's key (the secret
 * key exists only in that process), sends its public key in the first frame, then answers every
 * AGGREGATE frame with a SUM frame. This process, in the coordinator's role before the
 * federation starts, hands the public key to the aggregator and to the clients it forks next;
 * as the aggregator it only ever holds the public key.
 */
#include "fl_cli.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct fl_proc {
    const struct clave_fl_run_spec *run;
    struct clave_fl_server *server;
    struct clave_pkey **keys;
    const struct clave_pkey **directory;
    int *fd; /* per client: the aggregator's end, -1 once gone */
    pid_t *pid;
    uint32_t *ids;
    uint8_t *dropped;
    uint32_t round;
    uint64_t drop_state;
    int kh_fd; /* paillier: the key holder's socket, -1 otherwise or once gone */
    pid_t kh_pid;
    uint8_t *kh_pub; /* its public key (CLHE binary) */
    size_t kh_pub_len;
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static bool io_all(int fd, uint8_t *buf, size_t n, bool writing)
{
    while (n > 0) {
        ssize_t k = writing ? send(fd, buf, n, MSG_NOSIGNAL) : recv(fd, buf, n, 0);
        if (k < 0 && errno == EINTR) {
            continue;
        }
        if (k <= 0) {
            return false;
        }
        buf += k;
        n -= (size_t)k;
    }
    return true;
}

static bool send_frame(int fd, const uint8_t *msg, size_t len)
{
    uint8_t hdr[4] = {(uint8_t)len, (uint8_t)(len >> 8), (uint8_t)(len >> 16),
                      (uint8_t)(len >> 24)};
    return io_all(fd, hdr, 4, true) &&
           (len == 0 || io_all(fd, (uint8_t *)(uintptr_t)msg, len, true));
}

/* One frame into a new buffer; false on EOF, error or an oversized length. */
static bool recv_frame(int fd, uint8_t **msg, size_t *len)
{
    uint8_t hdr[4];
    *msg = NULL;
    *len = 0;
    if (!io_all(fd, hdr, 4, false)) {
        return false;
    }
    size_t n = (size_t)hdr[0] | (size_t)hdr[1] << 8 | (size_t)hdr[2] << 16 | (size_t)hdr[3] << 24;
    if (n > CLAVE_FL_MAX_MESSAGE) {
        return false;
    }
    *msg = malloc(n > 0 ? n : 1);
    if (*msg == NULL || (n > 0 && !io_all(fd, *msg, n, false))) {
        free(*msg);
        *msg = NULL;
        return false;
    }
    *len = n;
    return true;
}

/* The client process: answer every frame until the aggregator closes the socket. */
static void client_main(const struct fl_proc *p, const struct fl_cli_data *d, uint32_t id, int fd)
{
    struct clave_fl_client *c = NULL;
    if (clave_fl_client_new(&p->run->cfg, id, p->keys[id - 1], p->directory, d->train[id - 1],
                            d->test[id - 1], &c) != CLAVE_OK ||
        (p->kh_pub != NULL &&
         clave_fl_client_set_paillier_key(c, p->kh_pub, p->kh_pub_len) != CLAVE_OK)) {
        _exit(1);
    }
    uint8_t *in = NULL, *out = NULL;
    size_t in_len = 0, out_len = 0;
    while (recv_frame(fd, &in, &in_len)) {
        if (clave_fl_client_handle(c, in, in_len, &out, &out_len) != CLAVE_OK) {
            out_len = 0;
        }
        bool sent = send_frame(fd, out, out_len);
        free(in);
        free(out);
        out = NULL;
        if (!sent) {
            break;
        }
    }
    clave_fl_client_free(c);
    _exit(0);
}

static clave_status spawn(struct fl_proc *p, const struct fl_cli_data *d)
{
    uint32_t n = p->run->cfg.clients;
    for (uint32_t i = 0; i < n; i++) {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) {
            return CLAVE_ERR_IO;
        }
        fflush(NULL);
        pid_t pid = fork();
        if (pid < 0) {
            close(sv[0]);
            close(sv[1]);
            return CLAVE_ERR_IO;
        }
        if (pid == 0) {
            for (uint32_t j = 0; j < i; j++) {
                close(p->fd[j]); /* a client holds only its own socket */
            }
            if (p->kh_fd >= 0) {
                close(p->kh_fd);
            }
            close(sv[0]);
            client_main(p, d, i + 1, sv[1]);
        }
        close(sv[1]);
        p->fd[i] = sv[0];
        p->pid[i] = pid;
    }
    return CLAVE_OK;
}

/* The key-holder process: make the key, send the public key, answer AGGREGATE frames. */
static void keyholder_main(const struct clave_fl_run_spec *run, int fd)
{
    struct clave_fl_keyholder *k = NULL;
    uint8_t *in = NULL, *out = NULL;
    size_t in_len = 0, out_len = 0;
    if (clave_fl_keyholder_new(&run->cfg, &k) != CLAVE_OK ||
        clave_fl_keyholder_public_key(k, &out, &out_len) != CLAVE_OK ||
        !send_frame(fd, out, out_len)) {
        (void)send_frame(fd, NULL, 0);
        clave_fl_keyholder_free(k);
        _exit(1);
    }
    free(out);
    out = NULL;
    while (recv_frame(fd, &in, &in_len)) {
        if (clave_fl_keyholder_handle(k, in, in_len, &out, &out_len) != CLAVE_OK) {
            out_len = 0; /* refused: the aggregator's round aborts */
        }
        bool sent = send_frame(fd, out, out_len);
        free(in);
        free(out);
        out = NULL;
        if (!sent) {
            break;
        }
    }
    clave_fl_keyholder_free(k);
    _exit(0);
}

static clave_status spawn_keyholder(struct fl_proc *p)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) {
        return CLAVE_ERR_IO;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(sv[0]);
        close(sv[1]);
        return CLAVE_ERR_IO;
    }
    if (pid == 0) {
        close(sv[0]);
        keyholder_main(p->run, sv[1]);
    }
    close(sv[1]);
    p->kh_fd = sv[0];
    p->kh_pid = pid;
    if (!recv_frame(p->kh_fd, &p->kh_pub, &p->kh_pub_len) || p->kh_pub_len == 0) {
        return CLAVE_ERR_IO; /* the key holder could not make its key */
    }
    return clave_fl_server_set_paillier_key(p->server, p->kh_pub, p->kh_pub_len);
}

clave_status fl_proc_new(const struct clave_fl_run_spec *run, const struct fl_cli_data *d,
                         struct clave_dp_ledger *ledger, const struct clave_dp_budget_key *key,
                         struct fl_proc **out)
{
    uint32_t n = run->cfg.clients;
    struct fl_proc *p = calloc(1, sizeof(*p));
    clave_status st = CLAVE_ERR_NOMEM;
    *out = NULL;
    if (p == NULL) {
        return st;
    }
    p->run = run;
    p->keys = calloc(n, sizeof(*p->keys));
    p->directory = calloc(n, sizeof(*p->directory));
    p->fd = malloc(n * sizeof(int));
    p->pid = calloc(n, sizeof(pid_t));
    p->ids = calloc(n, sizeof(uint32_t));
    p->dropped = calloc(n, 1);
    p->drop_state = 0x9e3779b97f4a7c15u ^ run->cfg.seed[0];
    p->kh_fd = -1;
    if (p->keys == NULL || p->directory == NULL || p->fd == NULL || p->pid == NULL ||
        p->ids == NULL || p->dropped == NULL) {
        goto done;
    }
    for (uint32_t i = 0; i < n; i++) {
        p->fd[i] = -1;
        if ((st = clave_pkey_generate(CLAVE_PKEY_ED25519, &p->keys[i])) != CLAVE_OK) {
            goto done;
        }
        p->directory[i] = p->keys[i];
    }
    signal(SIGPIPE, SIG_IGN);
    if ((st = clave_fl_server_new(&run->cfg, p->directory, ledger, key, &p->server)) != CLAVE_OK ||
        (run->cfg.protection == CLAVE_FL_PAILLIER && (st = spawn_keyholder(p)) != CLAVE_OK) ||
        (st = spawn(p, d)) != CLAVE_OK) {
        goto done;
    }
    *out = p;
    p = NULL;
done:
    fl_proc_free(p);
    return st;
}

void fl_proc_free(struct fl_proc *p)
{
    if (p == NULL) {
        return;
    }
    for (uint32_t i = 0; p->fd != NULL && i < p->run->cfg.clients; i++) {
        if (p->fd[i] >= 0) {
            close(p->fd[i]); /* EOF: the client exits */
        }
    }
    if (p->kh_fd >= 0) {
        close(p->kh_fd);
    }
    for (uint32_t i = 0; p->pid != NULL && i < p->run->cfg.clients; i++) {
        if (p->pid[i] > 0) {
            waitpid(p->pid[i], NULL, 0);
        }
    }
    if (p->kh_pid > 0) {
        waitpid(p->kh_pid, NULL, 0);
    }
    free(p->kh_pub);
    for (uint32_t i = 0; p->keys != NULL && i < p->run->cfg.clients; i++) {
        clave_pkey_free(p->keys[i]);
    }
    clave_fl_server_free(p->server);
    free(p->keys);
    free(p->directory);
    free(p->fd);
    free(p->pid);
    free(p->ids);
    free(p->dropped);
    free(p);
}

/* Dropouts of this round: round(dropout * count) participants, by a xorshift over the seed
 * (a simulation choice, not a security decision). */
static void pick_dropouts(struct fl_proc *p, size_t count)
{
    memset(p->dropped, 0, p->run->cfg.clients);
    size_t want = (size_t)(p->run->faults.dropout * (double)count + 0.5);
    for (size_t k = 0; k < want && k < count; k++) {
        for (;;) {
            p->drop_state ^= p->drop_state << 13;
            p->drop_state ^= p->drop_state >> 7;
            p->drop_state ^= p->drop_state << 17;
            uint32_t id = p->ids[p->drop_state % count];
            if (!p->dropped[id - 1]) {
                p->dropped[id - 1] = 1;
                break;
            }
        }
    }
}

static clave_status run_phase(struct fl_proc *p, clave_fl_phase phase)
{
    clave_status st = CLAVE_OK;
    size_t count = 0;
    bool sa = p->run->cfg.protection == CLAVE_FL_SECAGG;
    bool update_step = phase == (sa ? CLAVE_FL_PHASE_SA_MASKED : CLAVE_FL_PHASE_TRAIN);
    if ((st = clave_fl_server_participants(p->server, p->ids, p->run->cfg.clients, &count)) !=
        CLAVE_OK) {
        return st;
    }
    if (phase == CLAVE_FL_PHASE_TRAIN) {
        pick_dropouts(p, count);
    }
    for (size_t i = 0; i < count; i++) { /* requests out: the clients work in parallel */
        uint32_t id = p->ids[i];
        uint8_t *msg = NULL;
        size_t len = 0;
        if (p->fd[id - 1] >= 0 && clave_fl_server_message(p->server, id, &msg, &len) == CLAVE_OK &&
            !send_frame(p->fd[id - 1], msg, len)) {
            close(p->fd[id - 1]);
            p->fd[id - 1] = -1; /* a dead client is a dropout from now on */
        }
        free(msg);
    }
    for (size_t i = 0; i < count; i++) {
        uint32_t id = p->ids[i];
        uint8_t *reply = NULL;
        size_t len = 0;
        if (p->fd[id - 1] < 0) {
            continue;
        }
        if (!recv_frame(p->fd[id - 1], &reply, &len)) {
            close(p->fd[id - 1]);
            p->fd[id - 1] = -1;
        } else if (len > 0 &&
                   !(update_step && phase != CLAVE_FL_PHASE_EVAL && p->dropped[id - 1])) {
            clave_status rejected = clave_fl_server_receive(p->server, reply, len);
            (void)rejected; /* counted in the round's report */
        }
        free(reply);
    }
    return clave_fl_server_close_phase(p->server);
}

/* The round's sum to the key holder and its decryption back; any failure aborts the round. */
static clave_status keyholder_step(struct fl_proc *p)
{
    uint8_t *req = NULL, *reply = NULL;
    size_t req_len = 0, reply_len = 0;
    if (p->kh_fd >= 0 && clave_fl_server_keyholder_request(p->server, &req, &req_len) == CLAVE_OK) {
        if (!send_frame(p->kh_fd, req, req_len) || !recv_frame(p->kh_fd, &reply, &reply_len)) {
            close(p->kh_fd);
            p->kh_fd = -1; /* no key holder: every later round aborts */
        } else if (reply_len > 0) {
            clave_status applied = clave_fl_server_keyholder_reply(p->server, reply, reply_len);
            (void)applied; /* a rejected reply leaves the phase open: it closes as aborted */
        }
    }
    free(req);
    free(reply);
    if (clave_fl_server_phase(p->server) == CLAVE_FL_PHASE_HE_DECRYPT) {
        return clave_fl_server_close_phase(p->server);
    }
    return CLAVE_OK;
}

clave_status fl_proc_round(struct fl_proc *p, bool evaluate, struct clave_fl_round_report *report,
                           double *seconds, double *secagg_seconds)
{
    clave_status st = CLAVE_OK;
    double t0 = now(), sa = 0.0;
    if ((st = clave_fl_server_begin_round(p->server)) != CLAVE_OK ||
        (st = run_phase(p, CLAVE_FL_PHASE_TRAIN)) != CLAVE_OK) {
        return st;
    }
    p->round++;
    for (;;) {
        clave_fl_phase ph = clave_fl_server_phase(p->server);
        if (ph < CLAVE_FL_PHASE_SA_SHARE || ph > CLAVE_FL_PHASE_SA_UNMASK) {
            break;
        }
        double t1 = now();
        if ((st = run_phase(p, ph)) != CLAVE_OK) {
            return st;
        }
        sa += now() - t1;
    }
    if (clave_fl_server_phase(p->server) == CLAVE_FL_PHASE_HE_DECRYPT) {
        double t1 = now();
        if ((st = keyholder_step(p)) != CLAVE_OK) {
            return st;
        }
        sa += now() - t1;
    }
    if (evaluate && ((st = clave_fl_server_begin_eval(p->server)) != CLAVE_OK ||
                     (st = run_phase(p, CLAVE_FL_PHASE_EVAL)) != CLAVE_OK)) {
        return st;
    }
    *report = clave_fl_server_report(p->server);
    *seconds = now() - t0;
    *secagg_seconds = sa;
    return CLAVE_OK;
}

struct clave_ml_model *fl_proc_model(struct fl_proc *p)
{
    return clave_fl_server_model(p->server);
}
