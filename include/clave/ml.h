/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Training core for federated learning (docs/fl.md): linear regression, logistic regression
 * (binary and softmax) and a small MLP (one or two hidden ReLU layers), their losses and
 * gradients, SGD with momentum and Adam, datasets (CSV with a schema, IDX), standardisation,
 * train/test split, IID and Dirichlet label-skew partitioning, and a versioned model format
 * (docs/formats/model.md).
 *
 * Arithmetic is double precision; matrix products go through CBLAS (OpenBLAS). Everything random
 * (initialisation, shuffling, splits, partitions) comes from a seeded stream (AES-256-CTR keyed by
 * HKDF-SHA256 of a 32-byte seed and a per-use label), so a run is reproducible from its seed on a
 * given machine (OpenBLAS may pick different kernels on different CPUs; results then differ in
 * the last bits).
 *
 * Thread-safety: objects are used by one thread at a time; distinct objects are independent.
 * Ownership: `clave_ml_x_new(..., out)` results are freed with `clave_ml_x_free` (NULL is a no-op);
 * pointer parameters are borrowed unless stated.
 */
#ifndef CLAVE_ML_H
#define CLAVE_ML_H

#include <clave/status.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CLAVE_ML_SEED_LEN 32
#define CLAVE_ML_MAX_HIDDEN_LAYERS 2
#define CLAVE_ML_MAX_WIDTH 65536u      /* inputs and hidden units per layer */
#define CLAVE_ML_MAX_CLASSES 1024u     /* softmax outputs */
#define CLAVE_ML_MAX_PARAMS (1u << 26) /* parameters in one model */

/* ---- models --------------------------------------------------------------------------------- */

typedef enum clave_ml_model_kind {
    CLAVE_ML_LINEAR = 1,   /* y = w.x + b, mean squared error (halved) */
    CLAVE_ML_LOGISTIC = 2, /* binary: sigmoid(w.x + b), binary cross-entropy; labels 0/1 */
    CLAVE_ML_SOFTMAX = 3,  /* multinomial logistic regression, cross-entropy; labels 0..K-1 */
    CLAVE_ML_MLP = 4,      /* 1-2 hidden ReLU layers, softmax output, cross-entropy */
} clave_ml_model_kind;

/** The shape of a model (a value type). */
struct clave_ml_model_spec {
    clave_ml_model_kind kind;
    uint32_t inputs;       /* features, 1..CLAVE_ML_MAX_WIDTH */
    uint32_t classes;      /* SOFTMAX/MLP: 2..CLAVE_ML_MAX_CLASSES; LINEAR/LOGISTIC: ignored */
    uint32_t hidden_count; /* MLP: 1 or 2; others: 0 */
    uint32_t hidden[CLAVE_ML_MAX_HIDDEN_LAYERS]; /* MLP widths, 1..CLAVE_ML_MAX_WIDTH */
};

/** "linear", "logistic", "softmax", "mlp"; NULL for an unknown kind. */
CLAVE_API const char *clave_ml_model_kind_name(clave_ml_model_kind kind);

/** Parse a kind name (as above). CLAVE_ERR_ARG for an unknown name. */
CLAVE_API CLAVE_MUST_USE clave_status clave_ml_model_kind_parse(const char *name,
                                                                clave_ml_model_kind *out);

struct clave_ml_model;

/**
 * A model with parameters initialised from `seed` (CLAVE_ML_SEED_LEN bytes, borrowed): He-normal
 * weights for ReLU layers, Glorot-normal for the output layer, zero biases; LINEAR and LOGISTIC
 * start at zero.
 * @return CLAVE_OK, CLAVE_ERR_ARG (spec out of range; the detail names the field),
 *         CLAVE_ERR_LIMIT (more than CLAVE_ML_MAX_PARAMS parameters), CLAVE_ERR_NOMEM
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_ml_model_new(const struct clave_ml_model_spec *spec,
                                                         const uint8_t *seed,
                                                         struct clave_ml_model **out);

/** A deep copy of `model` into *out (caller frees). CLAVE_ERR_NOMEM. */
CLAVE_API CLAVE_MUST_USE clave_status clave_ml_model_clone(const struct clave_ml_model *model,
                                                           struct clave_ml_model **out);

/** Free a model. NULL is a no-op. */
CLAVE_API void clave_ml_model_free(struct clave_ml_model *model);

/** The model's shape. */
CLAVE_API struct clave_ml_model_spec clave_ml_model_spec(const struct clave_ml_model *model);

/** Number of outputs per example: 1 for LINEAR and LOGISTIC, `classes` otherwise. */
CLAVE_API size_t clave_ml_model_outputs(const struct clave_ml_model *model);

/**
 * The flat parameter vector (layer by layer: weights row-major [out][in], then biases), owned
 * by the model and valid until it is freed; callers may write it (an aggregator sets averaged
 * parameters this way). *count gets its length.
 */
CLAVE_API double *clave_ml_model_params(struct clave_ml_model *model, size_t *count);

/**
 * Mean loss over `n` examples and its gradient with respect to the parameters.
 * @param x     n x inputs, row-major (borrowed)
 * @param y     n labels: targets for LINEAR, class indices (as doubles) otherwise
 * @param grad  parameter-count entries, overwritten (may be NULL to compute the loss only)
 * @param loss  mean loss (may be NULL)
 * @return CLAVE_OK, CLAVE_ERR_ARG (n == 0, a label outside 0..classes-1 or not an integer, a
 *         non-finite input), CLAVE_ERR_NOMEM
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_ml_model_loss_grad(struct clave_ml_model *model,
                                                               const double *x, const double *y,
                                                               size_t n, double *grad,
                                                               double *loss);

/**
 * Outputs for `n` examples into `out` (n x outputs): the prediction for LINEAR, P(y = 1) for
 * LOGISTIC, class probabilities otherwise. CLAVE_ERR_ARG, CLAVE_ERR_NOMEM.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_ml_model_predict(struct clave_ml_model *model,
                                                             const double *x, size_t n,
                                                             double *out);

/**
 * Serialise `model` (docs/formats/model.md). *out is malloc'ed: caller frees with free().
 * CLAVE_ERR_NOMEM, CLAVE_ERR_ARG (non-finite parameter: never written).
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_ml_model_save(const struct clave_ml_model *model,
                                                          uint8_t **out, size_t *len);

/**
 * Parse a serialised model (untrusted bytes, borrowed). Rejects a wrong magic or version, an
 * unknown kind, dimensions out of range or inconsistent with the parameter count, non-finite
 * parameters and trailing bytes.
 * @return CLAVE_OK, CLAVE_ERR_TRUNCATED, CLAVE_ERR_TRAILING, CLAVE_ERR_FORMAT,
 *         CLAVE_ERR_UNSUPPORTED (version), CLAVE_ERR_TOO_LARGE, CLAVE_ERR_NOMEM
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_ml_model_load(const uint8_t *data, size_t len,
                                                          struct clave_ml_model **out);

/* ---- datasets ------------------------------------------------------------------------------- */

struct clave_ml_dataset;

/**
 * A dataset of `rows` examples with `features` columns (x row-major, copied) and labels y
 * (copied). `classes` is 0 for regression, else 2..CLAVE_ML_MAX_CLASSES and every label must be an
 * integer in 0..classes-1. CLAVE_ERR_ARG, CLAVE_ERR_NOMEM.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_ml_dataset_new(size_t rows, size_t features,
                                                           uint32_t classes, const double *x,
                                                           const double *y,
                                                           struct clave_ml_dataset **out);

/** Free a dataset. NULL is a no-op. */
CLAVE_API void clave_ml_dataset_free(struct clave_ml_dataset *ds);

CLAVE_API size_t clave_ml_dataset_rows(const struct clave_ml_dataset *ds);
CLAVE_API size_t clave_ml_dataset_features(const struct clave_ml_dataset *ds);
CLAVE_API uint32_t clave_ml_dataset_classes(const struct clave_ml_dataset *ds);
/** Row-major features and labels, owned by the dataset. */
CLAVE_API const double *clave_ml_dataset_x(const struct clave_ml_dataset *ds);
CLAVE_API const double *clave_ml_dataset_y(const struct clave_ml_dataset *ds);

/** Header line of a CSV file. */
typedef enum clave_ml_csv_header {
    CLAVE_ML_CSV_NO_HEADER = 0,
    CLAVE_ML_CSV_NAMES = 1,   /* one line of column names (features + 1 fields) */
    CLAVE_ML_CSV_SKLEARN = 2, /* scikit-learn's "rows,features,name0,name1,...": checked */
} clave_ml_csv_header;

/** What a CSV file must look like: `features` numeric columns, then the label column. */
struct clave_ml_csv_schema {
    uint32_t features; /* 1..CLAVE_ML_MAX_WIDTH */
    uint32_t classes;  /* 0: regression; else labels are integers 0..classes-1 */
    clave_ml_csv_header header;
    size_t max_rows; /* refuse more rows than this (>= 1) */
};

/**
 * Parse CSV text (untrusted, borrowed; `\n` or `\r\n` line ends, a final newline optional, no
 * quoting, no empty fields). Every value must be a finite decimal number.
 * @return CLAVE_OK, CLAVE_ERR_FORMAT (the detail names line and column), CLAVE_ERR_TOO_LARGE
 *         (more than max_rows rows or a line longer than 64 KiB), CLAVE_ERR_ARG, CLAVE_ERR_NOMEM
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_ml_csv_parse(const char *text, size_t len,
                                                         const struct clave_ml_csv_schema *schema,
                                                         struct clave_ml_dataset **out);

/**
 * Parse an IDX image file (magic 0x00000803: unsigned bytes, 3 dimensions) and an IDX label file
 * (0x00000801) into a dataset with pixels scaled to [0, 1]. Both are untrusted and uncompressed
 * (gunzip Debian's .gz files first). At most `max_rows` examples are read (the rest ignored).
 * @return CLAVE_OK, CLAVE_ERR_FORMAT (magic, counts that disagree, label >= classes),
 *         CLAVE_ERR_TRUNCATED, CLAVE_ERR_TRAILING, CLAVE_ERR_TOO_LARGE, CLAVE_ERR_ARG,
 *         CLAVE_ERR_NOMEM
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_ml_idx_parse(const uint8_t *images, size_t images_len,
                                                         const uint8_t *labels, size_t labels_len,
                                                         uint32_t classes, size_t max_rows,
                                                         struct clave_ml_dataset **out);

/**
 * Standardise features in place: mean and standard deviation per feature from `train`, applied to
 * `train` and to `test` (may be NULL). Constant features get scale 1. CLAVE_ERR_ARG, NOMEM.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_ml_dataset_standardize(struct clave_ml_dataset *train,
                                                                   struct clave_ml_dataset *test);

/**
 * Shuffle (from `seed`) and split into train and test sets, test getting round(rows *
 * test_fraction) rows, 0 < test_fraction < 1, both non-empty. CLAVE_ERR_ARG, CLAVE_ERR_NOMEM.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_ml_dataset_split(const struct clave_ml_dataset *ds,
                                                             double test_fraction,
                                                             const uint8_t *seed,
                                                             struct clave_ml_dataset **train,
                                                             struct clave_ml_dataset **test);

/**
 * Partition `ds` into `parts` datasets written to out[0..parts-1] (caller frees each). alpha == 0:
 * IID (a shuffled, near-equal split). alpha > 0 (classification only): Dirichlet label skew —
 * for every class, proportions over the parts are drawn from Dirichlet(alpha, ..., alpha) (gamma
 * variates from the seeded stream) and that class's shuffled examples are cut accordingly; then
 * any empty part takes one example from the largest part. CLAVE_ERR_ARG (parts > rows, parts < 1,
 * alpha < 0 or non-finite), CLAVE_ERR_NOMEM. On failure no dataset is returned.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_ml_dataset_partition(const struct clave_ml_dataset *ds,
                                                                 size_t parts, double alpha,
                                                                 const uint8_t *seed,
                                                                 struct clave_ml_dataset **out);

/**
 * Mean loss and accuracy of `model` on `ds` (accuracy: argmax / threshold 0.5; for LINEAR the
 * accuracy is 0). `correct` (may be NULL) gets the number of correct predictions.
 * CLAVE_ERR_ARG (shape mismatch), CLAVE_ERR_NOMEM.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_ml_evaluate(struct clave_ml_model *model,
                                                        const struct clave_ml_dataset *ds,
                                                        double *loss, double *accuracy,
                                                        size_t *correct);

/* ---- training ------------------------------------------------------------------------------- */

typedef enum clave_ml_optimizer {
    CLAVE_ML_SGD = 1,  /* v = momentum v + g; w -= lr v */
    CLAVE_ML_ADAM = 2, /* Kingma & Ba 2015, Algorithm 1 with bias correction */
} clave_ml_optimizer;

/** Local training options (a value type; clave_ml_train_opts_default fills sane values). */
struct clave_ml_train_opts {
    clave_ml_optimizer optimizer;
    double learning_rate; /* > 0 */
    double momentum;      /* SGD, [0, 1) */
    double beta1, beta2;  /* Adam, [0, 1) */
    double epsilon;       /* Adam, > 0 */
    double weight_decay;  /* L2 penalty (wd/2)|w|^2 added to the loss, >= 0 */
    uint32_t batch_size;  /* >= 1 */
    double prox_mu;       /* FedProx: (mu/2)|w - w_prox|^2 added to the loss, >= 0 */
    /* Local DP-SGD (Abadi et al. 2016) when dp_noise_multiplier > 0: per-example gradients
     * clipped to dp_clip, summed on the grid 2^-dp_grid_bits with discrete Gaussian noise
     * (clave_dp_sgd_step), divided by batch_size. Example-level DP for this trainer's data. */
    double dp_clip;             /* > 0 with DP-SGD */
    double dp_noise_multiplier; /* 0: off */
    int dp_grid_bits;           /* 1..40; 0 means 20 */
};

/** SGD, learning rate 0.05, momentum 0.9, batch 32, Adam betas 0.9/0.999, epsilon 1e-8. */
CLAVE_API struct clave_ml_train_opts clave_ml_train_opts_default(void);

struct clave_ml_trainer;

/**
 * A trainer for `model` (borrowed: must outlive the trainer) holding the optimiser state and a
 * shuffling stream seeded by `seed`. `prox_center` (parameter-count entries, copied; may be NULL)
 * is the FedProx anchor, required when opts->prox_mu > 0. CLAVE_ERR_ARG, CLAVE_ERR_NOMEM.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_ml_trainer_new(struct clave_ml_model *model,
                                                           const struct clave_ml_train_opts *opts,
                                                           const uint8_t *seed,
                                                           const double *prox_center,
                                                           struct clave_ml_trainer **out);

/** Free a trainer. NULL is a no-op. */
CLAVE_API void clave_ml_trainer_free(struct clave_ml_trainer *t);

/**
 * Example-level epsilon spent so far by DP-SGD at `delta`: clave_dp_rdp_epsilon with sampling
 * rate batch_size / rows (rows of the last epoch's dataset), the noise multiplier and the number
 * of steps taken (dp_accounting orders, improved conversion). The batches are shuffled fixed-size
 * slices, the usual approximation of the Poisson sampling the analysis assumes.
 * @return CLAVE_OK, CLAVE_ERR_STATE (DP-SGD off or no step yet), CLAVE_ERR_ARG
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_ml_trainer_dp_epsilon(const struct clave_ml_trainer *t,
                                                                  double delta, double *epsilon);

/**
 * One pass over `ds` in shuffled mini-batches. `loss` (may be NULL) gets the mean training loss
 * over the batches (before each step). CLAVE_ERR_ARG (shape mismatch), CLAVE_ERR_STATE (the
 * parameters became non-finite: lower the learning rate), CLAVE_ERR_NOMEM.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_ml_trainer_epoch(struct clave_ml_trainer *t,
                                                             const struct clave_ml_dataset *ds,
                                                             double *loss);

#ifdef __cplusplus
}
#endif
#endif
