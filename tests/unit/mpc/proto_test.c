/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The three-party protocol run in-process: three threads over socketpairs (plain sockets; the
 * TLS links are exercised by tests/integration/mpc_nodes.sh and bench/mpc.c). Every computation
 * on random inputs is compared with the plaintext result; dead, garbage-sending, out-of-step and
 * tampering parties are detected.
 */
#include "mpc/proto.h"
#include "testlib.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define N 300
#define FRAC 12
#define TIMEOUT_MS 2000

struct harness {
    struct mpc_link links[3][3]; /* links[i][j]: party i's end towards party j */
    struct clave_mpc_prss *prss[3];
    struct mpc_party party[3];
    struct mpc_vec a[3], b[3], out[3];
    uint8_t compute;
    unsigned frac;
    bool skip[3]; /* party does not run (a dead node) */
    clave_status st[3];
    bool boolean[3];
    char detail[3][256];
};

static void harness_init(struct harness *h, int timeout_ms)
{
    uint8_t keys[3][CLAVE_MPC_PRSS_KEY_LEN];
    uint8_t session[MPC_SESSION_ID_LEN];
    memset(h, 0, sizeof(*h));
    T_OK(clave_random(session, sizeof(session)));
    for (unsigned i = 0; i < 3; i++) {
        unsigned j = (i + 1) % 3;
        int sv[2];
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
        clave__mpc_link_init(&h->links[i][j], j);
        clave__mpc_link_init(&h->links[j][i], i);
        h->links[i][j].fd = sv[0];
        h->links[j][i].fd = sv[1];
        T_OK(clave__mpc_socket_setup(sv[0]));
        T_OK(clave__mpc_socket_setup(sv[1]));
        T_OK(clave_random(keys[i], sizeof(keys[i])));
    }
    for (unsigned i = 0; i < 3; i++) {
        T_OK(clave_mpc_prss_new(keys[i], keys[(i + 1) % 3], &h->prss[i]));
        struct mpc_party *p = &h->party[i];
        p->id = i;
        p->prev = &h->links[i][(i + 2) % 3];
        p->next = &h->links[i][(i + 1) % 3];
        p->prss = h->prss[i];
        p->timeout_ms = timeout_ms;
        memcpy(p->session, session, sizeof(session));
        T_OK(clave__mpc_party_init(p));
    }
}

static void harness_free(struct harness *h)
{
    for (unsigned i = 0; i < 3; i++) {
        for (unsigned j = 0; j < 3; j++) {
            clave__mpc_link_close(&h->links[i][j]);
        }
        clave_mpc_prss_free(h->prss[i]);
        clave__mpc_party_release(&h->party[i]);
        clave__mpc_vec_free(&h->a[i]);
        clave__mpc_vec_free(&h->b[i]);
        clave__mpc_vec_free(&h->out[i]);
    }
}

/* Share plaintext vectors into the three parties' views. */
static void share(struct mpc_vec v[3], const uint64_t *x, size_t n)
{
    uint64_t *comp[3];
    for (unsigned c = 0; c < 3; c++) {
        comp[c] = calloc(n, sizeof(uint64_t));
        assert_non_null(comp[c]);
    }
    T_OK(clave_mpc_rss_share(x, n, comp));
    for (unsigned i = 0; i < 3; i++) {
        T_OK(clave__mpc_vec_alloc(&v[i], n));
        memcpy(v[i].own, comp[i], n * sizeof(uint64_t));
        memcpy(v[i].next, comp[(i + 1) % 3], n * sizeof(uint64_t));
    }
    for (unsigned c = 0; c < 3; c++) {
        free(comp[c]);
    }
}

struct job {
    struct harness *h;
    unsigned id;
};

static void *party_main(void *arg)
{
    struct job *j = arg;
    struct harness *h = j->h;
    bool binary = clave__mpc_compute_binary(h->compute);
    h->st[j->id] =
        clave__mpc_compute(&h->party[j->id], h->compute, &h->a[j->id], binary ? &h->b[j->id] : NULL,
                           h->frac, &h->out[j->id], &h->boolean[j->id]);
    snprintf(h->detail[j->id], sizeof(h->detail[0]), "%s", clave_error_last().detail);
    return NULL;
}

static void run3(struct harness *h)
{
    pthread_t t[3];
    struct job jobs[3];
    for (unsigned i = 0; i < 3; i++) {
        jobs[i] = (struct job){h, i};
        if (!h->skip[i]) {
            assert_int_equal(pthread_create(&t[i], NULL, party_main, &jobs[i]), 0);
        }
    }
    for (unsigned i = 0; i < 3; i++) {
        if (!h->skip[i]) {
            assert_int_equal(pthread_join(t[i], NULL), 0);
        }
    }
}

/* Open the outputs of parties 0 and 1, cross-checking the component both hold. */
static clave_status open_out(struct harness *h, uint64_t *out)
{
    size_t n = h->out[0].len;
    if (!h->boolean[0]) {
        return clave_mpc_rss_open(0, h->out[0].own, h->out[0].next, 1, h->out[1].own,
                                  h->out[1].next, n, out);
    }
    for (size_t k = 0; k < n; k++) {
        if (h->out[0].next[k] != h->out[1].own[k]) {
            return CLAVE_ERR_TAMPERED;
        }
        out[k] = (h->out[0].own[k] ^ h->out[1].own[k] ^ h->out[1].next[k]) & 1;
    }
    return CLAVE_OK;
}

/* Run `compute` on x (and y) shared, all three parties honest; returns opened values. */
static uint64_t *run_plain(uint8_t compute, const uint64_t *x, const uint64_t *y, size_t n,
                           unsigned frac, size_t *out_len)
{
    struct harness h;
    harness_init(&h, TIMEOUT_MS);
    h.compute = compute;
    h.frac = frac;
    share(h.a, x, n);
    if (y != NULL) {
        share(h.b, y, n);
    }
    run3(&h);
    for (unsigned i = 0; i < 3; i++) {
        if (h.st[i] != CLAVE_OK) {
            fail_msg("party %u: %s (%s)", i, clave_status_str(h.st[i]), h.detail[i]);
        }
        assert_int_equal(h.party[i].step, h.party[0].step);
    }
    uint64_t *out = calloc(h.out[0].len, sizeof(uint64_t));
    assert_non_null(out);
    T_OK(open_out(&h, out));
    *out_len = h.out[0].len;
    harness_free(&h);
    return out;
}

static void random_fixed(uint64_t *x, size_t n, double range, double *plain)
{
    uint64_t r[N];
    T_OK(clave_random((uint8_t *)r, sizeof(r)));
    for (size_t k = 0; k < n; k++) {
        plain[k] = ((double)(r[k] >> 11) / 9007199254740992.0 * 2.0 - 1.0) * range;
        T_OK(clave_mpc_fixed_encode(plain[k], FRAC, &x[k]));
        plain[k] = clave_mpc_fixed_decode(x[k], FRAC); /* the value actually shared */
    }
}

static void test_ring_exact(void **state)
{
    (void)state;
    uint64_t x[N], y[N];
    size_t len = 0;
    T_OK(clave_random((uint8_t *)x, sizeof(x)));
    T_OK(clave_random((uint8_t *)y, sizeof(y)));
    uint64_t *out = run_plain(MPC_COMPUTE_MUL, x, y, N, 0, &len);
    assert_int_equal(len, N);
    for (size_t k = 0; k < N; k++) {
        assert_true(out[k] == x[k] * y[k]);
    }
    free(out);
    uint64_t dot = 0, sum = 0;
    for (size_t k = 0; k < N; k++) {
        dot += x[k] * y[k];
        sum += x[k];
    }
    out = run_plain(MPC_COMPUTE_DOT, x, y, N, 0, &len);
    assert_int_equal(len, 1);
    assert_true(out[0] == dot);
    free(out);
    out = run_plain(MPC_COMPUTE_SUM, x, NULL, N, 0, &len);
    assert_true(out[0] == sum);
    free(out);
}

static void test_fixed_ops(void **state)
{
    (void)state;
    uint64_t x[N], y[N];
    double px[N], py[N];
    size_t len = 0;
    /* Ranges within docs/mpc.md's bounds for a truncation failure chance below 2^-19. */
    random_fixed(x, N, 50.0, px);
    random_fixed(y, N, 20.0, py);
    double sum = 0, sq = 0, dot = 0;
    for (size_t k = 0; k < N; k++) {
        sum += px[k];
        sq += px[k] * px[k];
        dot += px[k] * py[k];
    }
    double mean = sum / N, var = sq / N - mean * mean;
    double ulp = ldexp(1.0, -FRAC);
    uint64_t *out = run_plain(MPC_COMPUTE_MEAN, x, NULL, N, FRAC, &len);
    assert_true(fabs(clave_mpc_fixed_decode(out[0], FRAC) - mean) <= 4 * ulp + fabs(mean) * ulp);
    free(out);
    out = run_plain(MPC_COMPUTE_VARIANCE, x, NULL, N, FRAC, &len);
    double got = clave_mpc_fixed_decode(out[0], FRAC);
    assert_true(fabs(got - var) <= var * ldexp(1.0, -FRAC) + 8 * ulp);
    free(out);
    out = run_plain(MPC_COMPUTE_DOT, x, y, N, FRAC, &len);
    assert_true(fabs(clave_mpc_fixed_decode(out[0], FRAC) - dot) <= 2 * ulp);
    free(out);
    out = run_plain(MPC_COMPUTE_MUL, x, y, N, FRAC, &len);
    for (size_t k = 0; k < N; k++) {
        __int128 exact = (__int128)(int64_t)x[k] * (int64_t)y[k];
        int64_t want = (int64_t)(exact >> FRAC);
        int64_t diff = (int64_t)out[k] - want;
        assert_true(diff >= -1 && diff <= 1);
    }
    free(out);
}

static void test_less_than(void **state)
{
    (void)state;
    uint64_t x[N], y[N];
    size_t len = 0;
    T_OK(clave_random((uint8_t *)x, sizeof(x)));
    T_OK(clave_random((uint8_t *)y, sizeof(y)));
    for (size_t k = 0; k < N; k++) { /* signed values below 2^62 in magnitude */
        x[k] = (uint64_t)((int64_t)x[k] >> 2);
        y[k] = (uint64_t)((int64_t)y[k] >> 2);
    }
    x[0] = y[0] = 5;               /* equal */
    x[1] = (uint64_t)-3, y[1] = 2; /* negative < positive */
    x[2] = 2, y[2] = (uint64_t)-3; /* positive > negative */
    x[3] = (uint64_t)-7, y[3] = (uint64_t)-6;
    x[4] = (UINT64_C(1) << 61), y[4] = (uint64_t) - (INT64_C(1) << 61);
    x[5] = 0, y[5] = 1;
    uint64_t *out = run_plain(MPC_COMPUTE_LT, x, y, N, FRAC, &len);
    assert_int_equal(len, N);
    for (size_t k = 0; k < N; k++) {
        assert_int_equal(out[k], (int64_t)x[k] < (int64_t)y[k] ? 1 : 0);
    }
    free(out);
}

static void test_dead_party(void **state)
{
    (void)state;
    struct harness h;
    uint64_t x[N] = {0};
    harness_init(&h, 500);
    h.compute = MPC_COMPUTE_MUL;
    share(h.a, x, N);
    share(h.b, x, N);
    h.skip[2] = true;
    clave__mpc_link_close(&h.links[2][0]);
    clave__mpc_link_close(&h.links[2][1]);
    run3(&h);
    assert_int_equal(h.st[0], CLAVE_ERR_IO);
    assert_int_equal(h.st[1], CLAVE_ERR_IO);
    assert_non_null(strstr(h.detail[1], "node 2"));
    assert_int_equal(h.out[0].own, NULL); /* no partial output */
    harness_free(&h);
}

/* Party 2 is replaced by a raw writer of `bytes` on both links; parties 0 and 1 must fail with
 * a detail naming node 2. */
static void hostile_party(const uint8_t *bytes, size_t len, const char *expect)
{
    struct harness h;
    uint64_t x[N] = {0};
    harness_init(&h, 500);
    h.compute = MPC_COMPUTE_DOT;
    share(h.a, x, N);
    share(h.b, x, N);
    h.skip[2] = true;
    assert_int_equal(write(h.links[2][0].fd, bytes, len), (ssize_t)len);
    assert_int_equal(write(h.links[2][1].fd, bytes, len), (ssize_t)len);
    run3(&h);
    assert_int_not_equal(h.st[1], CLAVE_OK);
    if (strstr(h.detail[1], expect) == NULL || strstr(h.detail[1], "node 2") == NULL) {
        fail_msg("detail '%s' lacks '%s'", h.detail[1], expect);
    }
    harness_free(&h); /* party 0 may finish: the client then gets no result from node 1 */
}

static void test_garbage_and_wrong_fields(void **state)
{
    (void)state;
    uint8_t garbage[MPC_MSG_HEADER_LEN + 8];
    memset(garbage, 0x41, sizeof(garbage));
    hostile_party(garbage, sizeof(garbage), "magic");
    struct harness ref;
    harness_init(&ref, 10);
    struct mpc_header hd = {.op = MPC_OP_MUL, .sender = 2, .step = 0, .payload_len = 8};
    memcpy(hd.session, ref.party[0].session, MPC_SESSION_ID_LEN);
    harness_free(&ref); /* another session id than the hostile harness: */
    clave__mpc_header_encode(&hd, garbage);
    hostile_party(garbage, sizeof(garbage), "another session");
}

static void test_tamper_detected(void **state)
{
    (void)state;
    struct harness h;
    uint64_t x[N], y[N];
    T_OK(clave_random((uint8_t *)x, sizeof(x)));
    T_OK(clave_random((uint8_t *)y, sizeof(y)));
    harness_init(&h, TIMEOUT_MS);
    h.compute = MPC_COMPUTE_DOT;
    share(h.a, x, N);
    share(h.b, y, N);
    h.party[1].tamper = true;
    h.frac = FRAC; /* the truncation after the dot product re-randomises component 1 */
    run3(&h);
    T_OK(h.st[1]);
    T_OK(h.st[2]);
    assert_int_equal(h.st[0], CLAVE_ERR_TAMPERED);
    if (strstr(h.detail[0], "node 1 -> node 0") == NULL) {
        fail_msg("detail '%s' does not name the link", h.detail[0]);
    }
    assert_int_equal(h.out[0].own, NULL);
    harness_free(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ring_exact),
        cmocka_unit_test(test_fixed_ops),
        cmocka_unit_test(test_less_than),
        cmocka_unit_test(test_dead_party),
        cmocka_unit_test(test_garbage_and_wrong_fields),
        cmocka_unit_test(test_tamper_detected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
