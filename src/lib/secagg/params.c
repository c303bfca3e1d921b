/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SecAgg+ parameter selection (Bell, Bonawitz, Gascon, Lepoint, Raykova, CCS 2020, sections 3-4):
 * the degree k of the Harary graph and the Shamir threshold t for n clients of which at most a
 * fraction gamma colludes with the server and at most a fraction delta drops out. Three events
 * are bounded, each by a union bound over the n clients:
 *
 *   insecure (a): some client has >= t corrupt neighbours (semi-honest server), or >= 2t - k
 *       (semi-malicious server, which may tell half the neighbourhood "u survived" and the
 *       other half "u dropped"): then the adversary holds both b_u and s_u^SK;
 *   insecure (b): the honest surviving clients' subgraph is disconnected, so the sum of one
 *       component is revealed. Removing nodes from H(k, n) disconnects it only if the removed
 *       set contains two disjoint runs of k/2 consecutive positions: at most n(n - k - 1)/2
 *       pairs of runs, each bad with probability (bad)_k / (n)_k under the random relabelling
 *       (falling factorials; bad = corrupt + dropped);
 *   abort: some client keeps fewer than t surviving neighbours, so it cannot be unmasked.
 *
 * Neighbour counts are hypergeometric (k draws without replacement from n clients of which
 * floor(gamma n) are corrupt, resp. n - floor(delta n) survive). We require P[insecure] below
 * 2^-(sigma + 1) per event (sigma = 40) and P[abort] below 2^-eta (eta = 20), the values of the
 * open-source parameter finder of Bell et al.'s team (google-parfait/federated-compute,
 * fcp/secagg/server/graph_parameter_finder.cc); the search and its arithmetic are our own.
 */
#include "core/check.h"

#include <clave/crypto.h>
#include <clave/secagg.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define FEASIBLE_SUM 0.9 /* gamma + delta (semi-honest) or gamma + 2 delta (semi-malicious) */
#define EPSILON 1e-14    /* keeps floor(rate * n) from rounding down a product like 0.3 * 500 */

struct counts {
    uint32_t n;
    uint32_t corrupt;   /* floor(gamma n) */
    uint32_t survivors; /* n - floor(delta n) */
    bool semi_malicious;
};

static double lchoose(double a, double b)
{
    return lgamma(a + 1) - lgamma(b + 1) - lgamma(a - b + 1);
}

/* log2 P[X >= from] (upper) or log2 P[X < from] (!upper) for X ~ Hypergeometric(n, good, k). */
static double log2_hyper_tail(uint32_t n, uint32_t good, uint32_t k, int64_t from, bool upper)
{
    int64_t lo = (int64_t)k - (int64_t)(n - good) > 0 ? (int64_t)k - (int64_t)(n - good) : 0;
    int64_t hi = k < good ? k : good;
    int64_t a = upper ? (from > lo ? from : lo) : lo;
    int64_t b = upper ? hi : (from - 1 < hi ? from - 1 : hi);
    double total = lchoose(n, k);
    double sum = 0.0;
    for (int64_t i = a; i <= b; i++) {
        sum += exp(lchoose(good, (double)i) + lchoose(n - good, (double)(k - i)) - total);
    }
    return sum > 1.0 ? 0.0 : log2(sum); /* log2(0) = -inf: the event is impossible */
}

/* log2 of the union bound on a disconnected honest-survivor subgraph of H(k, n). */
static double log2_disconnected(const struct counts *c, uint32_t k)
{
    uint32_t bad = c->corrupt + (c->n - c->survivors);
    if (k >= c->n - 1 || k > bad) {
        return -INFINITY;
    }
    double pairs = log((double)c->n) + log((double)(c->n - k - 1)) - log(2.0);
    double p =
        lgamma(bad + 1.0) - lgamma(bad - k + 1.0) + lgamma(c->n - k + 1.0) - lgamma(c->n + 1.0);
    return (pairs + p) / log(2.0);
}

/* Adversarial neighbours needed to learn both secrets of a client. */
static int64_t needed(const struct counts *c, uint32_t k, uint32_t t)
{
    return c->semi_malicious ? 2 * (int64_t)t - (int64_t)k : (int64_t)t;
}

static double log2_too_many_corrupt(const struct counts *c, uint32_t k, uint32_t t)
{
    int64_t need = needed(c, k, t);
    if (k >= c->n - 1) { /* complete graph: worst case, every corrupt client is a neighbour */
        return need <= (int64_t)c->corrupt ? 0.0 : -INFINITY;
    }
    return log2((double)c->n) + log2_hyper_tail(c->n, c->corrupt, k, need, true);
}

static double log2_abort(const struct counts *c, uint32_t k, uint32_t t)
{
    if (k >= c->n - 1) {
        return c->survivors - 1 < t ? 0.0 : -INFINITY;
    }
    return log2((double)c->n) + log2_hyper_tail(c->n, c->survivors, k, t, false);
}

static double log2_insecure(const struct counts *c, uint32_t k, uint32_t t)
{
    double a = log2_too_many_corrupt(c, k, t);
    double b = log2_disconnected(c, k);
    double hi = a > b ? a : b;
    return isinf(hi) ? hi : hi + log2(exp2(a - hi) + exp2(b - hi));
}

static clave_status counts_for(uint32_t n, const struct clave_secagg_threat *t, struct counts *c)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(t != NULL && t->corrupt >= 0.0 && t->corrupt < 1.0 && t->dropout >= 0.0 &&
                     t->dropout < 1.0,
                 CLAVE_ERR_ARG, "secagg: corrupt and dropout fractions must lie in [0, 1)");
    bool semi_malicious = t->adversary == CLAVE_SECAGG_SEMI_MALICIOUS;
    CLAVE_ENSURE(semi_malicious || t->adversary == CLAVE_SECAGG_SEMI_HONEST, CLAVE_ERR_ARG,
                 "secagg: unknown adversary class %d", (int)t->adversary);
    double load = t->corrupt + (semi_malicious ? 2.0 : 1.0) * t->dropout;
    CLAVE_ENSURE(load <= FEASIBLE_SUM + EPSILON, CLAVE_ERR_ARG,
                 "secagg: corrupt + %sdropout = %.3f exceeds %.1f: no degree is safe",
                 semi_malicious ? "2 x " : "", load, FEASIBLE_SUM);
    c->n = n;
    c->corrupt = (uint32_t)floor((t->corrupt + EPSILON) * n);
    c->survivors = n - (uint32_t)floor((t->dropout + EPSILON) * n);
    c->semi_malicious = semi_malicious;
    st = CLAVE_OK;
done:
    return st;
}

/* The smallest m with n P[corrupt neighbours >= m] <= 2^-(sigma+1): walks the upper tail of
 * the hypergeometric distribution down from its top, one term per step. */
static int64_t min_corrupt_out_of_reach(const struct counts *c, uint32_t k)
{
    double limit = -(CLAVE_SECAGG_SECURITY_BITS + 1.0) - log2((double)c->n);
    int64_t hi = k < c->corrupt ? k : c->corrupt;
    double total = lchoose(c->n, k);
    double tail = 0.0;
    if (k >= c->n - 1) {
        return (int64_t)c->corrupt + 1;
    }
    for (int64_t m = hi; m >= 0; m--) {
        tail += exp(lchoose(c->corrupt, (double)m) +
                    lchoose(c->n - c->corrupt, (double)((int64_t)k - m)) - total);
        if (log2(tail) > limit) {
            return m + 1;
        }
    }
    return 0;
}

/* The smallest threshold >= 2 that keeps the corrupt-neighbour event below 2^-(sigma+1), or 0
 * if none <= k does. */
static uint32_t min_threshold(const struct counts *c, uint32_t k)
{
    int64_t m = min_corrupt_out_of_reach(c, k);
    int64_t t = c->semi_malicious ? (m + (int64_t)k + 1) / 2 : m; /* 2t - k >= m */
    t = t < 2 ? 2 : t;
    return t <= (int64_t)k ? (uint32_t)t : 0;
}

/* Degree and threshold: the smallest even k < n - 1 meeting all three bounds, else the
 * complete graph (Bonawitz et al.'s protocol) if it meets them. */
static bool choose(const struct counts *c, uint32_t *degree, uint32_t *threshold)
{
    double security = -(CLAVE_SECAGG_SECURITY_BITS + 1.0);
    for (uint32_t k = 2; k < c->n - 1; k += 2) {
        if (log2_disconnected(c, k) > security) {
            continue;
        }
        uint32_t t = min_threshold(c, k);
        if (t != 0 && log2_abort(c, k, t) <= -(double)CLAVE_SECAGG_CORRECTNESS_BITS) {
            *degree = k;
            *threshold = t;
            return true;
        }
    }
    uint32_t k = c->n - 1;
    uint32_t t = min_threshold(c, k);
    *degree = k;
    *threshold = t;
    return t != 0 && log2_abort(c, k, t) <= -(double)CLAVE_SECAGG_CORRECTNESS_BITS;
}

clave_status clave_secagg_params_for(uint32_t client_count,
                                     const struct clave_secagg_threat *threat, uint32_t dim,
                                     struct clave_secagg_params *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct counts c;
    memset(out, 0, sizeof(*out));
    CLAVE_ENSURE(client_count >= 3 && client_count <= CLAVE_SECAGG_MAX_CLIENTS, CLAVE_ERR_ARG,
                 "secagg: %u clients (need 3..%d)", client_count, CLAVE_SECAGG_MAX_CLIENTS);
    CLAVE_CHECK(counts_for(client_count, threat, &c));
    CLAVE_ENSURE(choose(&c, &out->degree, &out->share_threshold), CLAVE_ERR_ARG,
                 "secagg: no degree meets 2^-%d security and 2^-%d abort bounds for %u clients",
                 CLAVE_SECAGG_SECURITY_BITS, CLAVE_SECAGG_CORRECTNESS_BITS, client_count);
    out->client_count = client_count;
    /* The sparse graph's security bound assumes at most floor(delta n) dropouts in total: a
     * round that closes with fewer survivors aborts. The complete graph needs t (Bonawitz). */
    out->min_clients = out->degree == client_count - 1 ? out->share_threshold : c.survivors;
    out->dim = dim;
    out->bits = 64;
    CLAVE_CHECK(clave_random(out->session_id, sizeof(out->session_id)));
    CLAVE_CHECK(clave_random(out->graph_seed, sizeof(out->graph_seed)));
    CLAVE_CHECK(clave_secagg_params_check(out));
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_secagg_params_suggest(uint32_t client_count, double dropout, uint32_t dim,
                                         struct clave_secagg_params *out)
{
    struct clave_secagg_threat t = {.corrupt = CLAVE_SECAGG_DEFAULT_CORRUPT,
                                    .dropout = dropout,
                                    .adversary = CLAVE_SECAGG_SEMI_HONEST};
    return clave_secagg_params_for(client_count, &t, dim, out);
}

clave_status clave_secagg_params_risk(const struct clave_secagg_params *p,
                                      const struct clave_secagg_threat *threat,
                                      double *log2_insecure_out, double *log2_abort_out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct counts c;
    *log2_insecure_out = 0.0;
    *log2_abort_out = 0.0;
    CLAVE_CHECK(clave_secagg_params_check(p));
    CLAVE_CHECK(counts_for(p->client_count, threat, &c));
    *log2_insecure_out = log2_insecure(&c, p->degree, p->share_threshold);
    *log2_abort_out = log2_abort(&c, p->degree, p->share_threshold);
    st = CLAVE_OK;
done:
    return st;
}
