/* SPDX-License-Identifier: Apache-2.0 */
/* Messages between FL clients and the aggregator (docs/formats/fl.md). */
#ifndef CLAVE_FL_MSG_H
#define CLAVE_FL_MSG_H

#include <clave/fl.h>
#include <clave/secagg.h>

#define FL_MAGIC "CLFL"
#define FL_MAGIC_LEN 4
#define FL_HEADER_LEN 32
_Static_assert(FL_HEADER_LEN == FL_MAGIC_LEN + 4 + CLAVE_FL_SESSION_LEN + 8, "fl header layout");

enum fl_type {
    FL_MODEL = 1,
    FL_UPDATE = 2,
    FL_SECAGG = 3,
    FL_EVAL = 4,
    FL_PAILLIER = 5,  /* client -> aggregator: packed Paillier ciphertexts */
    FL_AGGREGATE = 6, /* aggregator -> key holder: the round's homomorphic sum */
    FL_SUM = 7,       /* key holder -> aggregator: the decrypted sum */
};
enum fl_mode { FL_MODE_TRAIN = 1, FL_MODE_EVAL = 2 };

#define FL_UPDATE_FIXED_LEN 16 /* dim, weight, loss */
#define FL_EVAL_LEN 16         /* examples, correct, loss_sum */
#define FL_MODEL_MAX ((size_t)28 + 8 * (size_t)CLAVE_ML_MAX_PARAMS)
#define FL_HE_VERSION 1    /* body version of PAILLIER, AGGREGATE and SUM */
#define FL_HE_FIXED_LEN 8u /* body version, reserved[3], words */
#define FL_HE_MAX_WORDS ((uint32_t)CLAVE_ML_MAX_PARAMS + 2)
#define FL_HE_KEY_ID_LEN 8 /* CLAVE_HE_KEY_ID_LEN */

struct fl_header {
    uint8_t type;
    uint8_t session[CLAVE_FL_SESSION_LEN];
    uint32_t round;
    uint32_t client;
};

/* A decoded message: views into the input bytes (valid while they are). */
struct fl_msg {
    struct fl_header h;
    /* MODEL */
    uint8_t mode;
    const uint8_t *model;
    size_t model_len;
    uint8_t protection;
    uint32_t degree, share_threshold, min_clients;
    const uint8_t *graph_seed; /* CLAVE_SECAGG_GRAPH_SEED_LEN bytes (secagg) */
    uint32_t id_count;
    const uint8_t *ids; /* id_count u32le, strictly ascending, 1..CLAVE_FL_MAX_CLIENTS */
    /* UPDATE */
    uint32_t dim, weight;
    double loss;
    const uint8_t *values; /* dim f64le, finite */
    /* SECAGG */
    const uint8_t *payload;
    size_t payload_len;
    /* EVAL */
    uint32_t examples, correct;
    double loss_sum;
    /* MODEL (paillier): the key holder's key id */
    const uint8_t *key_id;
    /* PAILLIER, AGGREGATE, SUM */
    uint32_t words;     /* 3..FL_HE_MAX_WORDS */
    uint32_t count;     /* AGGREGATE, SUM: clients summed, 1..CLAVE_FL_MAX_CLIENTS */
    const uint8_t *vec; /* PAILLIER, AGGREGATE: a CLHE binary vector (docs/formats/paillier.md) */
    size_t vec_len;
    const uint8_t *sums; /* SUM: words i64le */
};

/* Decode and validate the structure of `data` (semantics are checked by the receiver). */
clave_status fl__msg_decode(const uint8_t *data, size_t len, struct fl_msg *m);

/* Only the header (to attribute a message whose body is invalid). */
clave_status fl__msg_header(const uint8_t *data, size_t len, struct fl_header *h);

/* The i-th id of a MODEL message / the i-th value of an UPDATE message / of a SUM message. */
uint32_t fl__msg_id(const struct fl_msg *m, size_t i);
double fl__msg_value(const struct fl_msg *m, size_t i);
int64_t fl__msg_sum(const struct fl_msg *m, size_t i);

/* Encoders: `*out` malloc'ed, caller frees. */
struct fl_model_fields {
    uint8_t mode;
    const uint8_t *model;
    size_t model_len;
    uint8_t protection;
    uint32_t degree, share_threshold, min_clients;
    const uint8_t *graph_seed;
    const uint32_t *ids;
    uint32_t id_count;
    const uint8_t *key_id; /* paillier: FL_HE_KEY_ID_LEN bytes */
};
clave_status fl__msg_model(const struct fl_header *h, const struct fl_model_fields *f,
                           uint8_t **out, size_t *len);
clave_status fl__msg_update(const struct fl_header *h, uint32_t weight, double loss,
                            const double *values, uint32_t dim, uint8_t **out, size_t *len);
clave_status fl__msg_secagg(const struct fl_header *h, const uint8_t *payload, size_t n,
                            uint8_t **out, size_t *len);
clave_status fl__msg_eval(const struct fl_header *h, uint32_t examples, uint32_t correct,
                          double loss_sum, uint8_t **out, size_t *len);
/* PAILLIER (count 0: not written) and AGGREGATE (count >= 1); h->type says which. */
clave_status fl__msg_he_vec(const struct fl_header *h, uint32_t words, uint32_t count,
                            const uint8_t *vec, size_t vec_len, uint8_t **out, size_t *len);
clave_status fl__msg_he_sum(const struct fl_header *h, uint32_t words, uint32_t count,
                            const int64_t *sums, uint8_t **out, size_t *len);

/* The SecAgg session id of FL round `round`: SHA-256("clave fl v1 secagg" || session ||
 * round u32le), first 16 bytes. */
clave_status fl__secagg_session(const uint8_t *session, uint32_t round, uint8_t *out);

#endif
