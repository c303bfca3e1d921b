/* SPDX-License-Identifier: Apache-2.0 */
/* FL configuration: defaults, validation, names, fixed point, noise and accounting helpers. */
#include "core/check.h"
#include "fl/fl_internal.h"

#include <math.h>
#include <string.h>

struct clave_fl_config clave_fl_config_default(void)
{
    struct clave_fl_config c;
    memset(&c, 0, sizeof(c));
    c.model.kind = CLAVE_ML_LOGISTIC;
    c.model.inputs = 1;
    c.local = clave_ml_train_opts_default();
    c.local_epochs = 1;
    c.rounds = 10;
    c.clients = 10;
    c.clients_per_round = 10;
    c.min_clients = 2;
    c.strategy = CLAVE_FL_FEDAVG;
    c.server_lr = 1.0;
    c.server_beta1 = 0.9;
    c.server_beta2 = 0.99;
    c.server_tau = 1e-3;
    c.aggregation = CLAVE_FL_AGG_MEAN;
    c.trim_fraction = 0.1;
    c.protection = CLAVE_FL_PLAIN;
    c.fixed_point_bits = 24;
    c.update_bound = 16.0;
    c.dp = CLAVE_FL_DP_NONE;
    c.dp_clip = 1.0;
    c.dp_noise_multiplier = 1.0;
    c.dp_delta = 1e-5;
    c.paillier_bits = CLAVE_FL_PAILLIER_BITS_DEFAULT;
    return c;
}

static const char *const STRATEGIES[] = {NULL, "fedavg", "fedprox", "fedadam", "fedyogi"};
static const char *const AGGREGATIONS[] = {NULL, "mean", "median", "trimmed-mean"};
static const char *const PROTECTIONS[] = {NULL, "plain", "secagg", "paillier"};
static const char *const DP_MODES[] = {"none", "distributed", "central"};

const char *clave_fl_strategy_name(clave_fl_strategy s)
{
    return s >= CLAVE_FL_FEDAVG && s <= CLAVE_FL_FEDYOGI ? STRATEGIES[s] : NULL;
}

const char *clave_fl_aggregation_name(clave_fl_aggregation a)
{
    return a >= CLAVE_FL_AGG_MEAN && a <= CLAVE_FL_AGG_TRIMMED_MEAN ? AGGREGATIONS[a] : NULL;
}

const char *clave_fl_protection_name(clave_fl_protection p)
{
    return p == CLAVE_FL_PLAIN || p == CLAVE_FL_SECAGG || p == CLAVE_FL_PAILLIER ? PROTECTIONS[p]
                                                                                 : NULL;
}

const char *clave_fl_dp_mode_name(clave_fl_dp_mode d)
{
    return d >= CLAVE_FL_DP_NONE && d <= CLAVE_FL_DP_CENTRAL ? DP_MODES[d] : NULL;
}

static clave_status check_counts(const struct clave_fl_config *c)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(c->clients >= 2 && c->clients <= CLAVE_FL_MAX_CLIENTS, CLAVE_ERR_ARG,
                 "fl: clients %u outside 2..%u", c->clients, CLAVE_FL_MAX_CLIENTS);
    CLAVE_ENSURE(c->clients_per_round >= 2 && c->clients_per_round <= c->clients, CLAVE_ERR_ARG,
                 "fl: clients_per_round %u outside 2..clients", c->clients_per_round);
    CLAVE_ENSURE(c->min_clients >= 1 && c->min_clients <= c->clients_per_round, CLAVE_ERR_ARG,
                 "fl: min_clients %u outside 1..clients_per_round", c->min_clients);
    CLAVE_ENSURE(c->rounds >= 1 && c->rounds <= 100000, CLAVE_ERR_ARG, "fl: rounds %u", c->rounds);
    CLAVE_ENSURE(c->local_epochs >= 1 && c->local_epochs <= 1000, CLAVE_ERR_ARG,
                 "fl: local_epochs %u", c->local_epochs);
    st = CLAVE_OK;
done:
    return st;
}

static clave_status check_server(const struct clave_fl_config *c)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(clave_fl_strategy_name(c->strategy) != NULL, CLAVE_ERR_ARG,
                 "fl: unknown strategy");
    CLAVE_ENSURE(isfinite(c->server_lr) && c->server_lr > 0.0, CLAVE_ERR_ARG,
                 "fl: server_lr must be > 0");
    CLAVE_ENSURE(c->server_beta1 >= 0.0 && c->server_beta1 < 1.0 && c->server_beta2 >= 0.0 &&
                     c->server_beta2 < 1.0 && isfinite(c->server_tau) && c->server_tau > 0.0,
                 CLAVE_ERR_ARG, "fl: server_beta1/beta2 outside [0, 1) or server_tau <= 0");
    CLAVE_ENSURE(clave_fl_aggregation_name(c->aggregation) != NULL, CLAVE_ERR_ARG,
                 "fl: unknown aggregation");
    CLAVE_ENSURE(c->trim_fraction >= 0.0 && c->trim_fraction < 0.5, CLAVE_ERR_ARG,
                 "fl: trim_fraction outside [0, 0.5)");
    CLAVE_ENSURE(c->strategy == CLAVE_FL_FEDPROX || c->local.prox_mu == 0.0, CLAVE_ERR_ARG,
                 "fl: local.prox_mu is for fedprox only");
    st = CLAVE_OK;
done:
    return st;
}

static clave_status check_protection(const struct clave_fl_config *c)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(clave_fl_protection_name(c->protection) != NULL, CLAVE_ERR_ARG,
                 "fl: unknown protection");
    CLAVE_ENSURE(c->protection == CLAVE_FL_PLAIN || c->aggregation == CLAVE_FL_AGG_MEAN,
                 CLAVE_ERR_ARG, "fl: %s aggregation needs plain updates (a TEE aggregator)",
                 clave_fl_aggregation_name(c->aggregation));
    CLAVE_ENSURE(c->fixed_point_bits >= 8 && c->fixed_point_bits <= 40, CLAVE_ERR_ARG,
                 "fl: fixed_point_bits %u outside 8..40", c->fixed_point_bits);
    CLAVE_ENSURE(isfinite(c->update_bound) && c->update_bound > 0.0, CLAVE_ERR_ARG,
                 "fl: update_bound must be > 0");
    /* The sum of clients_per_round words of magnitude weight * bound * 2^bits stays below 2^62. */
    double worst = (double)c->clients_per_round * CLAVE_FL_MAX_WEIGHT *
                   fmax(c->update_bound, FL_MAX_LOSS) * ldexp(1.0, (int)c->fixed_point_bits);
    CLAVE_ENSURE(worst < 0x1p62, CLAVE_ERR_ARG,
                 "fl: fixed_point_bits %u too many for update_bound and clients_per_round",
                 c->fixed_point_bits);
    if (c->protection == CLAVE_FL_PAILLIER) {
        unsigned vb = 0, sb = 0;
        CLAVE_ENSURE(
            c->paillier_bits == 2048 || c->paillier_bits == 3072 || c->paillier_bits == 4096,
            CLAVE_ERR_ARG, "fl: paillier_bits %u is not 2048, 3072 or 4096", c->paillier_bits);
        CLAVE_CHECK(fl__paillier_bits(c, &vb, &sb));
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status check_dp(const struct clave_fl_config *c)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(clave_fl_dp_mode_name(c->dp) != NULL, CLAVE_ERR_ARG, "fl: unknown dp mode");
    if (c->dp == CLAVE_FL_DP_NONE) {
        st = CLAVE_OK;
        goto done;
    }
    CLAVE_ENSURE(c->dp != CLAVE_FL_DP_DISTRIBUTED || c->protection == CLAVE_FL_SECAGG ||
                     c->protection == CLAVE_FL_PAILLIER,
                 CLAVE_ERR_ARG, "fl: distributed DP needs secagg or paillier");
    CLAVE_ENSURE(c->dp != CLAVE_FL_DP_CENTRAL || c->protection != CLAVE_FL_PAILLIER, CLAVE_ERR_ARG,
                 "fl: central DP is not available with paillier (the aggregator never sees the "
                 "sum); use distributed DP");
    CLAVE_ENSURE(c->dp != CLAVE_FL_DP_CENTRAL || c->protection == CLAVE_FL_PLAIN, CLAVE_ERR_ARG,
                 "fl: central DP needs plain updates (a TEE aggregator)");
    CLAVE_ENSURE(c->aggregation == CLAVE_FL_AGG_MEAN, CLAVE_ERR_ARG,
                 "fl: DP needs mean aggregation (the sensitivity analysis is for a sum)");
    CLAVE_ENSURE(isfinite(c->dp_clip) && c->dp_clip > 0.0 && c->dp_clip <= c->update_bound,
                 CLAVE_ERR_ARG, "fl: dp_clip outside (0, update_bound]");
    CLAVE_ENSURE(isfinite(c->dp_noise_multiplier) && c->dp_noise_multiplier > 0.0 &&
                     c->dp_noise_multiplier <= 1e3,
                 CLAVE_ERR_ARG, "fl: dp_noise_multiplier outside (0, 1000]");
    CLAVE_ENSURE(c->dp_delta > 0.0 && c->dp_delta < 1.0, CLAVE_ERR_ARG,
                 "fl: dp_delta outside (0, 1)");
    CLAVE_ENSURE(isfinite(c->dp_epsilon_budget) && c->dp_epsilon_budget >= 0.0, CLAVE_ERR_ARG,
                 "fl: dp_epsilon_budget must be >= 0");
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_fl_config_check(const struct clave_fl_config *cfg)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_ml_model *probe = NULL;
    CLAVE_ENSURE(cfg != NULL, CLAVE_ERR_ARG, "fl: NULL config");
    CLAVE_CHECK(check_counts(cfg));
    CLAVE_CHECK(check_server(cfg));
    CLAVE_CHECK(check_protection(cfg));
    CLAVE_CHECK(check_dp(cfg));
    CLAVE_CHECK_CTX(clave_ml_model_new(&cfg->model, cfg->seed, &probe), "fl: model");
    struct clave_ml_trainer *t = NULL;
    struct clave_ml_train_opts o = cfg->local;
    double *anchor = clave_ml_model_params(probe, NULL);
    CLAVE_CHECK_CTX(clave_ml_trainer_new(probe, &o, cfg->seed, anchor, &t), "fl: local");
    clave_ml_trainer_free(t);
    st = CLAVE_OK;
done:
    clave_ml_model_free(probe);
    return st;
}

clave_status clave_fl_dp_epsilon(const struct clave_fl_config *cfg, uint64_t rounds,
                                 double *epsilon)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_dp_epsilon e = {0};
    CLAVE_ENSURE(cfg != NULL && epsilon != NULL, CLAVE_ERR_ARG, "fl: NULL argument");
    CLAVE_ENSURE(cfg->dp != CLAVE_FL_DP_NONE, CLAVE_ERR_ARG, "fl: DP is off");
    CLAVE_CHECK(check_counts(cfg));
    double q = (double)cfg->clients_per_round / (double)cfg->clients;
    CLAVE_CHECK(clave_dp_rdp_epsilon(q, cfg->dp_noise_multiplier, rounds, cfg->dp_delta,
                                     CLAVE_DP_ORDERS_DP_ACCOUNTING, CLAVE_DP_CONVERSION_IMPROVED,
                                     &e));
    *epsilon = e.epsilon;
    st = CLAVE_OK;
done:
    return st;
}

uint64_t fl__encode(double x, uint32_t bits)
{
    return (uint64_t)llround(ldexp(x, (int)bits));
}

double fl__decode(uint64_t w, uint32_t bits)
{
    return ldexp((double)(int64_t)w, -(int)bits);
}

double fl__dp_sensitivity(const struct clave_fl_config *cfg, size_t dim)
{
    return ldexp(cfg->dp_clip, (int)cfg->fixed_point_bits) * (1.0 + 0x1p-40) +
           sqrt((double)dim) / 2.0;
}

#define FL_NOISE_DEN 1024u

clave_status fl__add_noise(struct clave_dp_rng *rng, double sigma2, uint64_t *words, size_t n)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    double num = ceil(sigma2 * FL_NOISE_DEN);
    CLAVE_ENSURE(isfinite(num) && num >= 1.0 && num < 0x1p62, CLAVE_ERR_LIMIT,
                 "fl: noise variance %g grid units out of range", sigma2);
    for (size_t i = 0; i < n; i++) {
        int64_t z = 0;
        CLAVE_CHECK(clave_dp_sample_discrete_gaussian(rng, (uint64_t)num, FL_NOISE_DEN, &z));
        words[i] += (uint64_t)z;
    }
    st = CLAVE_OK;
done:
    return st;
}

/* A client's share of the DP noise, in grid units per word (distributed DP). */
static double client_noise_sigma(const struct clave_fl_config *cfg, size_t dim)
{
    return cfg->dp_noise_multiplier * fl__dp_sensitivity(cfg, dim) / sqrt((double)cfg->min_clients);
}

static unsigned ceil_log2_u32(uint32_t x)
{
    unsigned b = 0;
    while (b < 32 && ((uint64_t)1 << b) < x) {
        b++;
    }
    return b;
}

clave_status fl__paillier_bits(const struct clave_fl_config *cfg, unsigned *value_bits,
                               unsigned *slot_bits)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    double scale = ldexp(1.0, (int)cfg->fixed_point_bits);
    /* Largest word without noise: weight * update or weight * loss (both capped), or weight. */
    double top = ceil(CLAVE_FL_MAX_WEIGHT * fmax(cfg->update_bound, FL_MAX_LOSS) * scale) + 1.0;
    if (cfg->dp == CLAVE_FL_DP_DISTRIBUTED) {
        /* Weight 1, |update_i| <= clip, plus this client's noise cut at FL_NOISE_TAIL sigma. The
         * noise dimension is bounded by CLAVE_ML_MAX_PARAMS (the most noise any model gets). */
        double noisy = ceil(cfg->dp_clip * scale) + 1.0 +
                       FL_NOISE_TAIL * client_noise_sigma(cfg, CLAVE_ML_MAX_PARAMS);
        top = fmax(top, noisy);
    }
    unsigned vb = 2;
    while (vb <= CLAVE_HE_PACK_VALUE_BITS_MAX && ldexp(1.0, (int)vb - 1) <= top) {
        vb++;
    }
    unsigned sb = vb + ceil_log2_u32(cfg->clients_per_round);
    CLAVE_ENSURE(vb <= CLAVE_HE_PACK_VALUE_BITS_MAX && sb <= FL_PAILLIER_SLOT_MAX, CLAVE_ERR_ARG,
                 "fl: paillier packing: %u-bit values in %u-bit slots exceed %u bits (lower "
                 "fixed_point_bits or update_bound)",
                 vb, sb, FL_PAILLIER_SLOT_MAX);
    *value_bits = vb;
    *slot_bits = sb;
    st = CLAVE_OK;
done:
    return st;
}
