/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Differential privacy: exact integer noise, bounded aggregates, DP-SGD pieces, privacy
 * accountants and a persistent budget ledger. See docs/dp.md.
 *
 * Noise is sampled exactly on the integers (Canonne, Kamath & Steinke 2020, "The Discrete Gaussian
 * for Differential Privacy", Algorithms 1-3) from OpenSSL's CSPRNG, with rational parameters and
 * no floating point. Real values are first put on a declared grid of step 2^-k; privacy
 * parameters are rounded in the conservative direction (more noise, never less). Floating point
 * is used only for calibration and accounting, which never touch the data.
 *
 * Thread-safety: every object (rng, ledger) is used by one thread at a time; distinct objects
 * are independent. The pure functions (calibration, accountants, parsers) are thread-safe.
 */
#ifndef CLAVE_DP_H
#define CLAVE_DP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <clave/status.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------------
 * Exact samplers
 * ------------------------------------------------------------------------------------------- */

/** Largest grid exponent k (values are multiples of 2^-k). */
#define CLAVE_DP_MAX_GRID_BITS 40
/** Largest noise magnitude any sampler returns; a draw beyond it fails (probability < 2^-60). */
#define CLAVE_DP_MAX_NOISE ((int64_t)1 << 62)

/** A sampler context: buffered RAND_bytes output plus big-number scratch space. */
struct clave_dp_rng;

/**
 * New sampler context. Randomness comes only from OpenSSL RAND_bytes (pulled in blocks and
 * wiped when consumed or freed). Caller frees with clave_dp_rng_free().
 * Errors: CLAVE_ERR_NOMEM, CLAVE_ERR_STATE (GMP allocators replaced by someone else).
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_dp_rng_new(struct clave_dp_rng **out);

/** Free a sampler context (wipes its buffer). NULL is a no-op. */
CLAVE_API void clave_dp_rng_free(struct clave_dp_rng *rng);

/** Uniform integer in [0, n), n >= 1, by rejection sampling (no modulo bias). */
CLAVE_API CLAVE_MUST_USE clave_status clave_dp_sample_uniform(struct clave_dp_rng *rng, uint64_t n,
                                                              uint64_t *out);

/** Bernoulli(exp(-num/den)) for num >= 0, den >= 1 (CKS 2020 Algorithm 1). *out is 0 or 1. */
CLAVE_API CLAVE_MUST_USE clave_status clave_dp_sample_bernoulli_exp(struct clave_dp_rng *rng,
                                                                    uint64_t num, uint64_t den,
                                                                    int *out);

/**
 * Geometric on {0,1,2,...} with P[k] = (1 - e^-x) e^(-x k), x = num/den > 0 (CKS 2020
 * Algorithm 2, the "fast" variant: uniform remainder plus a unit-rate geometric).
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_dp_sample_geometric(struct clave_dp_rng *rng,
                                                                uint64_t num, uint64_t den,
                                                                uint64_t *out);

/** Discrete Laplace with scale t = num/den > 0: P[y] proportional to exp(-|y|/t). */
CLAVE_API CLAVE_MUST_USE clave_status clave_dp_sample_discrete_laplace(struct clave_dp_rng *rng,
                                                                       uint64_t num, uint64_t den,
                                                                       int64_t *out);

/**
 * Discrete Gaussian with variance parameter sigma^2 = num/den > 0:
 * P[y] proportional to exp(-y^2 / (2 sigma^2)) (CKS 2020 Algorithm 3).
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_dp_sample_discrete_gaussian(struct clave_dp_rng *rng,
                                                                        uint64_t num, uint64_t den,
                                                                        int64_t *out);

/* ---------------------------------------------------------------------------------------------
 * Mechanisms and calibration
 * ------------------------------------------------------------------------------------------- */

typedef enum clave_dp_mechanism {
    CLAVE_DP_LAPLACE = 1,  /* discrete Laplace, pure epsilon-DP */
    CLAVE_DP_GAUSSIAN = 2, /* discrete Gaussian, (epsilon, delta) by the analytic calibration */
    CLAVE_DP_GAUSSIAN_ZCDP = 3, /* discrete Gaussian, rho-zCDP (rho = Delta^2 / (2 sigma^2)) */
} clave_dp_mechanism;

/** "laplace", "gaussian", "gaussian-zcdp"; NULL for an unknown value. */
CLAVE_API const char *clave_dp_mechanism_name(clave_dp_mechanism m);

/**
 * Smallest sigma (relative precision 1e-12, rounded up) such that the Gaussian mechanism with
 * L2 sensitivity `sensitivity` is (epsilon, delta)-DP, by the analytic Gaussian mechanism of
 * Balle & Wang 2018 (exact condition Phi(D/2s - e s/D) - e^e Phi(-D/2s - e s/D) <= delta).
 * Errors: CLAVE_ERR_ARG (non-finite or out of range: epsilon > 0, 0 < delta < 1,
 * sensitivity > 0).
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_dp_gaussian_sigma(double epsilon, double delta,
                                                              double sensitivity, double *sigma);

/** The delta of the analytic condition above for a given sigma (for tests and reports). */
CLAVE_API double clave_dp_gaussian_delta(double epsilon, double sigma, double sensitivity);

/**
 * The exact delta at `epsilon` (>= 0) of the discrete Gaussian mechanism: integer noise
 * N_Z(0, sigma2) (variance parameter sigma2 > 0) added to an integer query of sensitivity
 * `sensitivity` (> 0), by Canonne, Kamath & Steinke 2020, Theorem 7 (arXiv 2004.00010v3):
 * delta = P[Y > epsilon sigma2/D - D/2] - e^epsilon P[Y > epsilon sigma2/D + D/2], Y ~ N_Z(0,
 * sigma2) — the hockey-stick divergence of N_Z(0, sigma2) and N_Z(D, sigma2), so tight. Summed
 * over about 80 sqrt(sigma2) terms (any truncation only overestimates). NaN for invalid input.
 */
CLAVE_API double clave_dp_discrete_gaussian_delta(double epsilon, double sigma2,
                                                  double sensitivity);

/** Privacy parameters of one release. */
struct clave_dp_params {
    clave_dp_mechanism mechanism;
    double epsilon; /* > 0 for LAPLACE and GAUSSIAN */
    double delta;   /* in (0,1) for GAUSSIAN, 0 otherwise */
    double rho;     /* > 0 for GAUSSIAN_ZCDP */
};

/** The exact noise actually used for a release (rational, in grid units). */
struct clave_dp_noise {
    clave_dp_mechanism mechanism;
    uint64_t num; /* Laplace: scale = num/den; Gaussian: sigma^2 = num/den */
    uint64_t den;
    int grid_bits;          /* values are integers times 2^-grid_bits */
    uint64_t sensitivity;   /* sensitivity in grid units (rounded up) */
    double epsilon_charged; /* what the ledger must debit */
    double delta_charged;
};

/**
 * Calibrate integer noise for a query whose sensitivity is `sensitivity` grid units: the Laplace
 * scale Delta/epsilon' with epsilon' = epsilon rounded down to a multiple of 2^-40; the Gaussian
 * sigma^2 rounded up to a multiple of 2^-20 with a relative margin of 2^-40. Validates `params`
 * (errors name the parameter). Errors: CLAVE_ERR_ARG, CLAVE_ERR_LIMIT (noise too large).
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_dp_noise_calibrate(const struct clave_dp_params *params,
                                                               uint64_t sensitivity, int grid_bits,
                                                               struct clave_dp_noise *out);

/** Draw one noise value for `noise` (exact integer in grid units). */
CLAVE_API CLAVE_MUST_USE clave_status clave_dp_noise_sample(struct clave_dp_rng *rng,
                                                            const struct clave_dp_noise *noise,
                                                            int64_t *out);

/** Check `params` alone (ranges, finiteness); the error detail names the bad parameter. */
CLAVE_API CLAVE_MUST_USE clave_status clave_dp_params_check(const struct clave_dp_params *params);

/* ---------------------------------------------------------------------------------------------
 * Bounded aggregates with contribution bounding
 * ------------------------------------------------------------------------------------------- */

/** One input row: a user id (for per-user row limits), a numeric value, and a group key. */
struct clave_dp_row {
    uint64_t user;
    double value;
    const char *key; /* group key for histograms / partition selection; may be NULL otherwise */
};

/** Bounds and contribution limits shared by the aggregates. */
struct clave_dp_bounds {
    double lower; /* values are clamped to [lower, upper] */
    double upper;
    uint32_t max_rows_per_user; /* rows beyond this per user are dropped (>= 1) */
    int grid_bits;              /* values are rounded to multiples of 2^-grid_bits (0..40) */
};

/** A released value with what it cost. */
struct clave_dp_result {
    double value;       /* noisy value (exact grid value converted to double) */
    int64_t grid_value; /* noisy value in grid units (count, sum) */
    double epsilon;     /* privacy spent by this release */
    double delta;
    struct clave_dp_noise noise; /* the noise used (for sum/count; the sum part for mean) */
};

/**
 * Noisy count of rows (after per-user limits): sensitivity max_rows_per_user.
 * Noisy sum of clamped values: sensitivity max_rows_per_user * max(|lower|, |upper|) on the grid.
 * Noisy mean: half the budget on the sum of (clamped value - midpoint), half on the count,
 * result clamped into [lower, upper]. Noisy variance: the budget split in three (count, sum,
 * sum of squares), result clamped into [0, ((upper-lower)/2)^2].
 * `rows` are borrowed; `n` may be 0. Errors: CLAVE_ERR_ARG (bad params or bounds; the detail
 * names the parameter), CLAVE_ERR_LIMIT (overflow of the grid range).
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_dp_count(struct clave_dp_rng *rng,
                                                     const struct clave_dp_row *rows, size_t n,
                                                     const struct clave_dp_bounds *bounds,
                                                     const struct clave_dp_params *params,
                                                     struct clave_dp_result *out);
CLAVE_API CLAVE_MUST_USE clave_status clave_dp_sum(struct clave_dp_rng *rng,
                                                   const struct clave_dp_row *rows, size_t n,
                                                   const struct clave_dp_bounds *bounds,
                                                   const struct clave_dp_params *params,
                                                   struct clave_dp_result *out);
CLAVE_API CLAVE_MUST_USE clave_status clave_dp_mean(struct clave_dp_rng *rng,
                                                    const struct clave_dp_row *rows, size_t n,
                                                    const struct clave_dp_bounds *bounds,
                                                    const struct clave_dp_params *params,
                                                    struct clave_dp_result *out);
CLAVE_API CLAVE_MUST_USE clave_status clave_dp_variance(struct clave_dp_rng *rng,
                                                        const struct clave_dp_row *rows, size_t n,
                                                        const struct clave_dp_bounds *bounds,
                                                        const struct clave_dp_params *params,
                                                        struct clave_dp_result *out);

/**
 * Histogram over `bucket_count` equal-width buckets of [lower, upper): noisy count per bucket
 * (each user's rows are limited first; sensitivity max_rows_per_user in L1 and in L2, the worst
 * case being all of a user's rows in one bucket). Values are clamped into the edge buckets.
 * `counts` has bucket_count entries.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_dp_histogram(struct clave_dp_rng *rng,
                                                         const struct clave_dp_row *rows, size_t n,
                                                         const struct clave_dp_bounds *bounds,
                                                         const struct clave_dp_params *params,
                                                         size_t bucket_count, int64_t *counts);

/**
 * Histogram with suppressed small buckets: clave_dp_histogram, then each bucket whose noisy count
 * is below `threshold` is withheld (`released[i]` false, `counts[i]` 0) and the others released
 * (`released[i]` true, their noisy count). The thresholding reads only noisy counts, so it is
 * post-processing and costs nothing beyond `params`; it keeps noise-only and tiny buckets out of a
 * report. The buckets here are fixed by the bounds, so releasing which ones passed reveals nothing
 * more; for group keys taken from the data (where the key set itself is private) use
 * clave_dp_partition_select, whose threshold pays for that with delta. `counts` and `released`
 * have bucket_count entries; `released_count` (may be NULL) gets the number released. On failure
 * nothing is released.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_dp_histogram_thresholded(
    struct clave_dp_rng *rng, const struct clave_dp_row *rows, size_t n,
    const struct clave_dp_bounds *bounds, const struct clave_dp_params *params, size_t bucket_count,
    int64_t threshold, int64_t *counts, bool *released, size_t *released_count);

/**
 * Noisy quantile in (0,1) of the clamped values: a noisy binary search over the grid
 * [lower, upper], S = ceil(log2(range + 1)) halvings plus one noisy total, each a noisy count of
 * sensitivity max_rows_per_user. The budget is split evenly over the S + 1 counts: LAPLACE splits
 * epsilon (basic composition); GAUSSIAN_ZCDP splits rho (discrete Gaussian per count, zCDP
 * composition); GAUSSIAN finds the largest rho whose improved zCDP conversion meets
 * (epsilon, delta) and splits that. Returns the grid point found; `out->epsilon/delta` are what
 * the whole release costs (rho in `epsilon` for GAUSSIAN_ZCDP) and `out->noise` the per-count
 * noise.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_dp_quantile(struct clave_dp_rng *rng,
                                                        const struct clave_dp_row *rows, size_t n,
                                                        const struct clave_dp_bounds *bounds,
                                                        const struct clave_dp_params *params,
                                                        double quantile,
                                                        struct clave_dp_result *out);

/** Callback for released partitions: key and its noisy count. Return false to stop. */
typedef bool (*clave_dp_partition_fn)(void *ctx, const char *key, int64_t noisy_count);

/**
 * Thresholded partition selection: each user contributes to at most `max_partitions` distinct
 * keys (L0 bound; extra keys of a user are dropped); for each key the count of distinct users is
 * noised with discrete Laplace of scale b = max_partitions/epsilon and released only if it reaches
 * the threshold 1 + ceil(b ln(max_partitions / delta)): the discrete Laplace tail is
 * P[Y >= t] = r^t / (1 + r) <= e^(-t/b), so each of a user's keys held by that user alone is
 * released with probability at most delta / max_partitions, delta in all.
 * Keys are released in lexicographic order.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_dp_partition_select(
    struct clave_dp_rng *rng, const struct clave_dp_row *rows, size_t n, uint32_t max_partitions,
    double epsilon, double delta, clave_dp_partition_fn fn, void *ctx);

/* ---------------------------------------------------------------------------------------------
 * DP-SGD pieces
 * ------------------------------------------------------------------------------------------- */

/** Scale `grad` (dim entries) in place so its L2 norm is at most clip_norm. *norm gets the
 * original norm. Errors: CLAVE_ERR_ARG (clip_norm <= 0 or non-finite, non-finite entries). */
CLAVE_API CLAVE_MUST_USE clave_status clave_dp_clip_l2(double *grad, size_t dim, double clip_norm,
                                                       double *norm);

/**
 * One DP-SGD aggregation: clip each of `batch` per-example gradients (row-major, batch x dim) to
 * clip_norm, sum them on the grid 2^-grid_bits, add discrete Gaussian noise of standard
 * deviation noise_multiplier * clip_norm (sigma^2 rounded up on the grid; the grid rounding
 * of each clipped coordinate adds at most sqrt(dim) * 2^-grid_bits / 2 to the sensitivity, which
 * is included) and write the noisy sum (not divided by the batch size) to `out` (dim entries).
 * `grads` is modified (clipped). Errors: CLAVE_ERR_ARG, CLAVE_ERR_LIMIT.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_dp_sgd_step(struct clave_dp_rng *rng, double *grads,
                                                        size_t batch, size_t dim, double clip_norm,
                                                        double noise_multiplier, int grid_bits,
                                                        double *out);

/* ---------------------------------------------------------------------------------------------
 * Accountants
 * ------------------------------------------------------------------------------------------- */

/** Conversions from RDP to (epsilon, delta). */
typedef enum clave_dp_conversion {
    /* Balle et al. 2020 (arXiv 1905.09982 Thm 21; arXiv 2004.00010 Prop 12), as dp_accounting:
     * eps = rdp + log1p(-1/a) - log(delta * a) / (a - 1), orders a > 1.01 only, and 0 when
     * delta^2 + expm1(-rdp) > 0 (KL bound). */
    CLAVE_DP_CONVERSION_IMPROVED = 1,
    /* Mironov 2017 Prop 3: eps = rdp - log(delta) / (a - 1). */
    CLAVE_DP_CONVERSION_CLASSIC = 2,
} clave_dp_conversion;

/** "improved" / "classic"; NULL if unknown. */
CLAVE_API const char *clave_dp_conversion_name(clave_dp_conversion c);

/** Order grids of the reference libraries. */
typedef enum clave_dp_order_grid {
    /* dp_accounting RdpAccountant default: [1 + x/10 for x in 1..99] + [11..63]
     * + [128, 256, 512, 1024] (152 orders). */
    CLAVE_DP_ORDERS_DP_ACCOUNTING = 1,
    /* TF Privacy compute_dp_sgd_privacy: [1.25, 1.5, 1.75, 2, 2.25, 2.5, 3, 3.5, 4, 4.5]
     * + [5..63] + [128, 256, 512] (72 orders). */
    CLAVE_DP_ORDERS_TF_PRIVACY = 2,
    /* Opacus RDPAccountant default: [1 + x/10 for x in 1..99] + [12..63] (151 orders). */
    CLAVE_DP_ORDERS_OPACUS = 3,
} clave_dp_order_grid;

/** Number of orders in `grid` and a pointer to them (static storage); 0 and NULL if unknown. */
CLAVE_API size_t clave_dp_orders(clave_dp_order_grid grid, const double **orders);

/**
 * RDP at order `alpha` (> 1) of one step of the Poisson-subsampled Gaussian mechanism with
 * sampling rate q in [0,1] and noise multiplier sigma > 0 (Mironov, Talwar & Zhang 2019, Sec.
 * 3.3: integer orders by the binomial series, fractional orders by the two erfc series), computed
 * in log space as dp_accounting does. May be +inf (the series did not converge).
 */
CLAVE_API double clave_dp_rdp_subsampled_gaussian(double q, double sigma, double alpha);

/** Result of an (epsilon, delta) computation. */
struct clave_dp_epsilon {
    double epsilon;
    double order; /* optimal RDP order (0 for zCDP) */
    clave_dp_conversion conversion;
};

/**
 * Epsilon after `steps` compositions of the subsampled Gaussian at the given delta, minimised
 * over the orders of `grid`. Errors: CLAVE_ERR_ARG (q outside (0,1], sigma <= 0, steps == 0,
 * delta outside (0,1), non-finite values; the detail names the parameter).
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_dp_rdp_epsilon(double q, double sigma, uint64_t steps,
                                                           double delta, clave_dp_order_grid grid,
                                                           clave_dp_conversion conversion,
                                                           struct clave_dp_epsilon *out);

/** The same for explicit (order, rdp) pairs (rdp already composed); n >= 1. */
CLAVE_API CLAVE_MUST_USE clave_status clave_dp_rdp_to_epsilon(const double *orders,
                                                              const double *rdp, size_t n,
                                                              double delta,
                                                              clave_dp_conversion conversion,
                                                              struct clave_dp_epsilon *out);

/**
 * Smallest noise multiplier (bisection to relative precision `tolerance`, e.g. 1e-6) such that
 * clave_dp_rdp_epsilon(q, sigma, steps, delta, ...) <= target_epsilon. The sigma returned always
 * meets the target (it is the upper end of the bracket). Errors: CLAVE_ERR_ARG,
 * CLAVE_ERR_LIMIT (no sigma up to 1e6 meets the target).
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_dp_rdp_sigma(double target_epsilon, double delta,
                                                         double q, uint64_t steps,
                                                         clave_dp_order_grid grid,
                                                         clave_dp_conversion conversion,
                                                         double tolerance, double *sigma);

/** Basic composition: sum of epsilons and of deltas of n mechanisms. */
CLAVE_API CLAVE_MUST_USE clave_status clave_dp_compose_basic(const double *epsilons,
                                                             const double *deltas, size_t n,
                                                             double *epsilon, double *delta);

/**
 * Advanced composition (Dwork, Rothblum & Vadhan 2010): k-fold composition of an
 * (epsilon, delta) mechanism is (sqrt(2k ln(1/delta_slack)) eps + k eps (e^eps - 1),
 * k delta + delta_slack)-DP.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_dp_compose_advanced(double epsilon, double delta,
                                                                uint64_t k, double delta_slack,
                                                                double *total_epsilon,
                                                                double *total_delta);

/** rho of the Gaussian mechanism in zCDP: sensitivity^2 / (2 sigma^2) (Bun & Steinke 2016). */
CLAVE_API double clave_dp_zcdp_gaussian_rho(double sigma, double sensitivity);

/**
 * rho-zCDP to (epsilon, delta): CLASSIC is Bun & Steinke 2016 Prop 1.3,
 * eps = rho + 2 sqrt(rho ln(1/delta)); IMPROVED minimises the improved RDP conversion over all
 * orders a > 1 of the RDP curve a * rho (golden-section search, never above CLASSIC).
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_dp_zcdp_epsilon(double rho, double delta,
                                                            clave_dp_conversion conversion,
                                                            struct clave_dp_epsilon *out);

/* ---------------------------------------------------------------------------------------------
 * Query specification (the parser used by the CLI, the runner and the fuzz target)
 * ------------------------------------------------------------------------------------------- */

typedef enum clave_dp_op {
    CLAVE_DP_OP_COUNT = 1,
    CLAVE_DP_OP_SUM = 2,
    CLAVE_DP_OP_MEAN = 3,
    CLAVE_DP_OP_VARIANCE = 4,
    CLAVE_DP_OP_QUANTILE = 5,
} clave_dp_op;

#define CLAVE_DP_COLUMN_MAX 128

/** A validated query: column, operation, bounds and privacy parameters. */
struct clave_dp_query_spec {
    char column[CLAVE_DP_COLUMN_MAX + 1];
    clave_dp_op op;
    struct clave_dp_bounds bounds;
    struct clave_dp_params params;
    double quantile; /* for CLAVE_DP_OP_QUANTILE */
};

/**
 * Parse and validate a query spec from JSON ({"column":"c","op":"mean","lower":0,"upper":10,
 * "epsilon":1,"delta":1e-6,"mechanism":"gaussian","max_rows_per_user":1,"grid_bits":16,
 * "quantile":0.5}) or from a key=value list separated by ',' or whitespace with the same keys.
 * The input is untrusted: at most 4096 bytes; unknown keys, duplicates, non-finite numbers,
 * epsilon <= 0, delta outside [0,1), reversed bounds and the like fail with CLAVE_ERR_ARG or
 * CLAVE_ERR_JSON and a detail naming the parameter.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_dp_query_spec_parse(const char *text, size_t len,
                                                                struct clave_dp_query_spec *out);

/** Parse a decimal number for parameter `name` (strtod; the whole string; finite). */
CLAVE_API CLAVE_MUST_USE clave_status clave_dp_parse_double(const char *name, const char *text,
                                                            double *out);

/* ---------------------------------------------------------------------------------------------
 * Budget ledger
 * ------------------------------------------------------------------------------------------- */

/** What a budget is kept for. Strings at most 256 bytes, no NUL. */
struct clave_dp_budget_key {
    const char *collaboration;
    const char *contract;
    const char *dataset;
    const char *party;
};

/** A budget: hard caps per refresh window (window_seconds 0: the budget never refreshes). */
struct clave_dp_budget {
    double epsilon_cap;
    double delta_cap;
    int64_t window_seconds;
};

/** One debit to record. */
struct clave_dp_debit {
    const char *who;        /* principal that asked */
    const char *what;       /* query or job description (or its hash) */
    const char *mechanism;  /* e.g. "laplace" */
    const char *accountant; /* e.g. "basic", "rdp" */
    double epsilon;
    double delta;
};

/** The record of a debit (strings owned by the ledger until the next call on it). */
struct clave_dp_debit_record {
    int64_t id;
    int64_t time;
    double epsilon;
    double delta;
    double epsilon_remaining;
    double delta_remaining;
};

/** Spend in the current window. */
struct clave_dp_budget_status {
    double epsilon_cap;
    double delta_cap;
    double epsilon_spent;
    double delta_spent;
    int64_t window_start;
    int64_t window_seconds;
};

struct clave_dp_ledger;
struct clave_store;

/**
 * Open a ledger over an open metadata store (include/clave/store.h), SQLite or PostgreSQL: the
 * "dp_ledger" migrations are applied (idempotent; concurrent openers are serialised by the
 * store). `store` is borrowed: it must stay open, with no transaction open by the caller during
 * ledger calls, until clave_dp_ledger_free; the ledger runs its own transactions on it. Several
 * processes or coordinator replicas may share one database, each through its own store. Use a
 * ledger from one thread at a time, like its store. Caller frees `*out` with
 * clave_dp_ledger_free (which leaves the store open).
 * Errors: CLAVE_ERR_ARG, CLAVE_ERR_STATE (a transaction is open on `store`), CLAVE_ERR_STORE,
 * CLAVE_ERR_CONFLICT, CLAVE_ERR_UNSUPPORTED (the database has a newer ledger schema).
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_dp_ledger_open(struct clave_store *store,
                                                           struct clave_dp_ledger **out);

/**
 * Convenience: open (creating if needed) a SQLite store at `path` (WAL, durable commits, a
 * 30 s busy timeout) and a ledger over it that owns the store (closed by clave_dp_ledger_free).
 * Errors: as clave_store_open and clave_dp_ledger_open.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_dp_ledger_open_sqlite(const char *path,
                                                                  struct clave_dp_ledger **out);

/** Close a ledger (and its store if it owns one). NULL is a no-op. */
CLAVE_API void clave_dp_ledger_free(struct clave_dp_ledger *ledger);

/** Create or replace the budget for `key` (past debits are kept). Errors: CLAVE_ERR_ARG, and
 * the store's (CLAVE_ERR_STORE, CLAVE_ERR_CONFLICT). */
CLAVE_API CLAVE_MUST_USE clave_status
clave_dp_ledger_set_budget(struct clave_dp_ledger *ledger, const struct clave_dp_budget_key *key,
                           const struct clave_dp_budget *budget);

/**
 * Atomically check that `debit` fits in the remaining budget of the current window at time
 * `now` (Unix seconds) and record it, in one write transaction (SQLite: BEGIN IMMEDIATE;
 * PostgreSQL: SERIALIZABLE, serialization failures retried); the debit is committed durably
 * (SQLite: the WAL fsynced before the commit returns; PostgreSQL synchronous_commit=on for the
 * transaction) when this returns CLAVE_OK, so a result may be released after it and never before.
 * Amounts are stored in fixed point (epsilon in units of 1e-9, delta in units of 1e-18), debits
 * rounded up and caps rounded down. Errors: CLAVE_ERR_NOT_FOUND (no budget), CLAVE_ERR_LIMIT (would
 * overspend: nothing recorded), CLAVE_ERR_ARG, CLAVE_ERR_STORE, CLAVE_ERR_CONFLICT (lock wait or
 * retries exhausted: nothing recorded). `record` may be NULL.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_dp_ledger_debit(struct clave_dp_ledger *ledger,
                                                            const struct clave_dp_budget_key *key,
                                                            const struct clave_dp_debit *debit,
                                                            int64_t now,
                                                            struct clave_dp_debit_record *record);

#define CLAVE_DP_LEDGER_MAX_KEYS 256 /* keys in one clave_dp_ledger_debit_all */

/**
 * The same `debit` against every key of `keys` (1..CLAVE_DP_LEDGER_MAX_KEYS), all or nothing: one
 * write transaction checks each key's remaining budget and records each debit, so either every
 * key is charged (CLAVE_OK, durable as for clave_dp_ledger_debit) or none is. `*failed` is the
 * index of the key that refused (CLAVE_ERR_NOT_FOUND: no budget; CLAVE_ERR_LIMIT: would
 * overspend; CLAVE_ERR_ARG: invalid key), or `count` on success. `records` (NULL, or `count`
 * entries) receives each key's debit on success. Used where one release spends several
 * parties' budgets at once (an FL round charges every party with a client; a runner's output
 * computed over several parties' datasets).
 * Errors: as clave_dp_ledger_debit.
 */
CLAVE_API CLAVE_MUST_USE clave_status
clave_dp_ledger_debit_all(struct clave_dp_ledger *ledger, const struct clave_dp_budget_key *keys,
                          size_t count, const struct clave_dp_debit *debit, int64_t now,
                          size_t *failed, struct clave_dp_debit_record *records);

/** Current window's spend. Errors: CLAVE_ERR_NOT_FOUND, CLAVE_ERR_STORE, CLAVE_ERR_CONFLICT. */
CLAVE_API CLAVE_MUST_USE clave_status clave_dp_ledger_status(struct clave_dp_ledger *ledger,
                                                             const struct clave_dp_budget_key *key,
                                                             int64_t now,
                                                             struct clave_dp_budget_status *out);

/** How many more debits of (epsilon, delta) fit in the current window ("queries left"). */
CLAVE_API CLAVE_MUST_USE clave_status clave_dp_ledger_preview(struct clave_dp_ledger *ledger,
                                                              const struct clave_dp_budget_key *key,
                                                              double epsilon, double delta,
                                                              int64_t now, uint64_t *queries_left);

/** Callback over debit records for audit: JSON object text of one record. Return false to stop. */
typedef bool (*clave_dp_record_fn)(void *ctx, const char *record_json);

/**
 * Every debit recorded for `key` (all windows, oldest first) as JSON objects with fields id,
 * time, who, what, epsilon, delta, mechanism, accountant, epsilon_remaining, delta_remaining,
 * collaboration, contract, dataset, party.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_dp_ledger_records(struct clave_dp_ledger *ledger,
                                                              const struct clave_dp_budget_key *key,
                                                              clave_dp_record_fn fn, void *ctx);

#ifdef __cplusplus
}
#endif
#endif
