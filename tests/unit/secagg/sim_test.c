/* SPDX-License-Identifier: Apache-2.0 */
/* SecAgg end to end through the simulator: exact sums with 0/10/30 % dropouts at each stage,
 * complete and sparse graphs, and a clean abort when fewer than t clients survive. */
#include "testlib.h"

#include <string.h>

#define N 40
#define DIM 300

/* Fixed session, graph and dropout seeds: every run takes the same path. */
static struct clave_secagg_sim_opts opts_for(uint32_t degree, uint32_t threshold)
{
    struct clave_secagg_sim_opts o;
    static const uint8_t DROP_SEED[32] = {7};
    memset(&o, 0, sizeof(o));
    o.params.client_count = N;
    o.params.degree = degree;
    o.params.share_threshold = threshold;
    o.params.min_clients = threshold;
    o.params.dim = DIM;
    memset(o.params.session_id, 0x5a, sizeof(o.params.session_id));
    memset(o.params.graph_seed, 0x33, sizeof(o.params.graph_seed));
    o.dropout_seed = DROP_SEED;
    return o;
}

static void run_ok(struct clave_secagg_sim_opts *o, uint32_t expect_survivors)
{
    struct clave_secagg_sim_report rep;
    T_OK(clave_secagg_simulate(o, &rep));
    if (rep.status != CLAVE_OK) {
        fail_msg("aborted: %s", clave_status_str(rep.status));
    }
    assert_true(rep.correct);
    assert_int_equal(rep.survivors, expect_survivors);
    assert_true(rep.bytes_sent_per_client >
                DIM * (o->params.bits != 0 && o->params.bits <= 32 ? 4 : 8));
}

/* A declared ring Z_2^bits: exact sums mod 2^bits with dropouts at the costly stage, for the
 * 4-byte words (bits <= 32, including a width that is not a whole number of bytes) and 8-byte
 * words below 64 bits. */
static void test_ring_bits(void **state)
{
    (void)state;
    static const uint32_t BITS[] = {32, 13, 1, 33, 64};
    for (size_t i = 0; i < sizeof(BITS) / sizeof(BITS[0]); i++) {
        struct clave_secagg_sim_opts o = opts_for(24, 9);
        o.params.bits = BITS[i];
        o.dropout[1] = 0.3;
        run_ok(&o, N - 12);
    }
    struct clave_secagg_sim_opts o = opts_for(24, 9);
    o.params.bits = 65;
    T_ERR(clave_secagg_params_check(&o.params), CLAVE_ERR_ARG);
    /* Proven headroom: 40 clients need ceil(log2 40) = 6 bits above the inputs. */
    o = opts_for(24, 9);
    o.params.bits = 32;
    o.params.input_bits = 26;
    o.dropout[1] = 0.3;
    run_ok(&o, N - 12);
    o.params.input_bits = 27;
    T_ERR(clave_secagg_params_check(&o.params), CLAVE_ERR_ARG);
    o.params.bits = 0; /* 64 */
    o.params.input_bits = 58;
    T_OK(clave_secagg_params_check(&o.params));
    o.params.input_bits = 59;
    T_ERR(clave_secagg_params_check(&o.params), CLAVE_ERR_ARG);
}

static void test_no_dropout(void **state)
{
    (void)state;
    struct clave_secagg_sim_opts o = opts_for(N - 1, 21); /* complete graph: Bonawitz 2017 */
    run_ok(&o, N);
    o = opts_for(20, 11); /* SecAgg+ sparse graph */
    run_ok(&o, N);
}

static void test_dropouts_each_stage(void **state)
{
    (void)state;
    static const double RATES[] = {0.1, 0.3};
    for (size_t r = 0; r < 2; r++) {
        for (size_t stage = 0; stage < CLAVE_SECAGG_STAGES; stage++) {
            struct clave_secagg_sim_opts o = opts_for(N - 1, 16);
            o.dropout[stage] = RATES[r];
            uint32_t dropped = (uint32_t)(RATES[r] * N + 0.5);
            /* Dropping before unmasking still leaves the input in the sum. */
            run_ok(&o, stage == 2 ? N : N - dropped);
            o = opts_for(24, 9);
            o.dropout[stage] = RATES[r];
            run_ok(&o, stage == 2 ? N : N - dropped);
        }
    }
}

static void test_dropouts_spread(void **state)
{
    (void)state;
    struct clave_secagg_sim_opts o = opts_for(24, 9);
    o.dropout[0] = 0.1;
    o.dropout[1] = 0.1;
    o.dropout[2] = 0.1;
    run_ok(&o, N - 8);
}

static void test_abort_below_threshold(void **state)
{
    (void)state;
    struct clave_secagg_sim_report rep;
    for (size_t stage = 0; stage < CLAVE_SECAGG_STAGES; stage++) {
        struct clave_secagg_sim_opts o = opts_for(N - 1, 16);
        o.params.min_clients = 30;
        o.dropout[stage] = 0.3; /* 28 left < 30 */
        T_OK(clave_secagg_simulate(&o, &rep));
        assert_int_equal(rep.status, CLAVE_ERR_STATE);
        assert_false(rep.correct);
    }
    /* Too few surviving neighbours hold a dropped client's shares: reconstruction aborts. */
    struct clave_secagg_sim_opts o = opts_for(8, 8);
    o.params.min_clients = 10;
    o.dropout[1] = 0.3;
    T_OK(clave_secagg_simulate(&o, &rep));
    assert_int_not_equal(rep.status, CLAVE_OK);
    assert_false(rep.correct);
}

static void test_params(void **state)
{
    (void)state;
    struct clave_secagg_params p;
    T_OK(clave_secagg_params_suggest(500, 0.3, 10, &p));
    assert_true(p.degree % 2 == 0 && p.degree < 499);
    assert_int_equal(p.min_clients, 350); /* the bound assumes at most 150 dropouts */
    T_OK(clave_secagg_params_suggest(20, 0.3, 10, &p));
    assert_true(p.degree <= 19 && p.share_threshold >= 2);
    T_ERR(clave_secagg_params_suggest(2, 0.3, 10, &p), CLAVE_ERR_ARG);
    T_ERR(clave_secagg_params_suggest(100, 1.0, 10, &p), CLAVE_ERR_ARG);
    struct clave_secagg_sim_opts o = opts_for(7, 3); /* odd degree below n - 1 */
    T_ERR(clave_secagg_params_check(&o.params), CLAVE_ERR_ARG);
    o = opts_for(8, 9);
    T_ERR(clave_secagg_params_check(&o.params), CLAVE_ERR_ARG);
    o = opts_for(8, 5);
    o.params.dim = 0;
    T_ERR(clave_secagg_params_check(&o.params), CLAVE_ERR_ARG);
    o = opts_for(8, 5);
    o.params.min_clients = N + 1;
    T_ERR(clave_secagg_params_check(&o.params), CLAVE_ERR_ARG);
}

/* Bell et al. sizing: every suggestion meets its own bounds, and the next smaller even degree
 * meets them with no threshold (the degree is the smallest). Values cross-checked against an
 * independent Python transcription of the same bounds: n = 500, gamma = 0.05 gives (k, t) =
 * (14, 13), (32, 17), (58, 20) at 0 %, 10 %, 30 % dropout (semi-honest). */
static void check_minimal(uint32_t n, const struct clave_secagg_threat *t, uint32_t k_want,
                          uint32_t t_want)
{
    struct clave_secagg_params p;
    double insecure = 0, abort_p = 0;
    T_OK(clave_secagg_params_for(n, t, 10, &p));
    assert_int_equal(p.degree, k_want);
    assert_int_equal(p.share_threshold, t_want);
    T_OK(clave_secagg_params_risk(&p, t, &insecure, &abort_p));
    assert_true(insecure <= -CLAVE_SECAGG_SECURITY_BITS);
    assert_true(abort_p <= -CLAVE_SECAGG_CORRECTNESS_BITS);
    p.degree -= 2;
    for (p.share_threshold = 2; p.degree >= 2 && p.share_threshold <= p.degree;
         p.share_threshold++) {
        p.min_clients = 1;
        T_OK(clave_secagg_params_risk(&p, t, &insecure, &abort_p));
        assert_true(insecure > -CLAVE_SECAGG_SECURITY_BITS - 1 ||
                    abort_p > -CLAVE_SECAGG_CORRECTNESS_BITS);
    }
}

static void test_params_bell(void **state)
{
    (void)state;
    struct clave_secagg_threat t = {0.05, 0.0, CLAVE_SECAGG_SEMI_HONEST};
    check_minimal(500, &t, 14, 13);
    t.dropout = 0.1;
    check_minimal(500, &t, 32, 17);
    t.dropout = 0.3;
    check_minimal(500, &t, 58, 20);
    t.adversary = CLAVE_SECAGG_SEMI_MALICIOUS; /* the server may lie about dropouts */
    check_minimal(500, &t, 212, 119);
    struct clave_secagg_params p;
    t.corrupt = 0.4; /* gamma + 2 delta > 0.9: infeasible */
    T_ERR(clave_secagg_params_for(500, &t, 10, &p), CLAVE_ERR_ARG);
    t.adversary = (enum clave_secagg_adversary)7;
    t.corrupt = 0.0;
    T_ERR(clave_secagg_params_for(500, &t, 10, &p), CLAVE_ERR_ARG);
    t = (struct clave_secagg_threat){-0.1, 0.1, CLAVE_SECAGG_SEMI_HONEST};
    T_ERR(clave_secagg_params_for(500, &t, 10, &p), CLAVE_ERR_ARG);
    t = (struct clave_secagg_threat){0.05, 0.3, CLAVE_SECAGG_SEMI_HONEST};
    T_OK(clave_secagg_params_for(10, &t, 10, &p)); /* small n: sparse or complete, still safe */
    double insecure = 0, abort_p = 0;
    T_OK(clave_secagg_params_risk(&p, &t, &insecure, &abort_p));
    assert_true(insecure <= -CLAVE_SECAGG_SECURITY_BITS &&
                abort_p <= -CLAVE_SECAGG_CORRECTNESS_BITS);
}

static void test_graph(void **state)
{
    (void)state;
    struct clave_secagg_sim_opts o = opts_for(10, 5);
    uint32_t nb[N], nb2[N];
    size_t count = 0, count2 = 0;
    size_t degree_of[N + 1] = {0};
    for (uint32_t u = 1; u <= N; u++) {
        T_OK(clave_secagg_neighbours(&o.params, u, nb, N, &count));
        assert_int_equal(count, 10);
        for (size_t i = 0; i < count; i++) {
            assert_true(nb[i] != u && nb[i] >= 1 && nb[i] <= N);
            assert_true(i == 0 || nb[i] > nb[i - 1]);
            /* Symmetric: u is among its neighbour's neighbours. */
            T_OK(clave_secagg_neighbours(&o.params, nb[i], nb2, N, &count2));
            int found = 0;
            for (size_t j = 0; j < count2; j++) {
                found |= nb2[j] == u;
            }
            assert_true(found);
            degree_of[nb[i]]++;
        }
    }
    for (uint32_t u = 1; u <= N; u++) {
        assert_int_equal(degree_of[u], 10);
    }
    /* Another graph seed relabels. */
    T_OK(clave_secagg_neighbours(&o.params, 1, nb, N, &count));
    o.params.graph_seed[0] ^= 1;
    T_OK(clave_secagg_neighbours(&o.params, 1, nb2, N, &count2));
    assert_true(memcmp(nb, nb2, count * sizeof(uint32_t)) != 0); // lint:public
    T_ERR(clave_secagg_neighbours(&o.params, 0, nb, N, &count), CLAVE_ERR_ARG);
    T_ERR(clave_secagg_neighbours(&o.params, 1, nb, 9, &count), CLAVE_ERR_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_dropout),
        cmocka_unit_test(test_ring_bits),
        cmocka_unit_test(test_dropouts_each_stage),
        cmocka_unit_test(test_dropouts_spread),
        cmocka_unit_test(test_abort_below_threshold),
        cmocka_unit_test(test_params),
        cmocka_unit_test(test_params_bell),
        cmocka_unit_test(test_graph),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
