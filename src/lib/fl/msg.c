/* SPDX-License-Identifier: Apache-2.0 */
/* Encoding and structural validation of FL messages, version 1 (docs/formats/fl.md). */
#include "fl/msg.h"

#include "core/check.h"

#include <clave/buf.h>
#include <clave/crypto.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define FL_SECAGG_LABEL "clave fl v1 secagg"

static uint64_t f64_bits(double v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof(u));
    return u;
}

static double bits_f64(uint64_t u)
{
    double v;
    memcpy(&v, &u, sizeof(v));
    return v;
}

static uint32_t u32le_at(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint32_t fl__msg_id(const struct fl_msg *m, size_t i)
{
    return u32le_at(m->ids + 4 * i);
}

double fl__msg_value(const struct fl_msg *m, size_t i)
{
    const uint8_t *p = m->values + 8 * i;
    return bits_f64((uint64_t)u32le_at(p) | (uint64_t)u32le_at(p + 4) << 32);
}

int64_t fl__msg_sum(const struct fl_msg *m, size_t i)
{
    const uint8_t *p = m->sums + 8 * i;
    return (int64_t)((uint64_t)u32le_at(p) | (uint64_t)u32le_at(p + 4) << 32);
}

/*
 * Header: 0 magic "CLFL", 4 version u8 (1), 5 type u8, 6 reserved u16 (0), 8 session [16],
 * 24 round u32le, 28 client u32le (1..1024; 0 for AGGREGATE and SUM, which no client sends).
 */
static clave_status read_header(struct clave_reader *r, struct fl_header *h)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t magic[FL_MAGIC_LEN], version = 0;
    uint16_t reserved = 0;
    CLAVE_CHECK(clave_reader_bytes(r, magic, sizeof(magic)));
    CLAVE_ENSURE(memcmp(magic, FL_MAGIC, FL_MAGIC_LEN) == 0, // lint:public
                 CLAVE_ERR_FORMAT, "fl: bad magic");
    CLAVE_CHECK(clave_reader_u8(r, &version));
    CLAVE_ENSURE(version == CLAVE_FL_VERSION, CLAVE_ERR_UNSUPPORTED, "fl: version %u", version);
    CLAVE_CHECK(clave_reader_u8(r, &h->type));
    CLAVE_ENSURE(h->type >= FL_MODEL && h->type <= FL_SUM, CLAVE_ERR_FORMAT, "fl: type %u",
                 h->type);
    CLAVE_CHECK(clave_reader_u16le(r, &reserved));
    CLAVE_ENSURE(reserved == 0, CLAVE_ERR_FORMAT, "fl: reserved field %u", reserved);
    CLAVE_CHECK(clave_reader_bytes(r, h->session, CLAVE_FL_SESSION_LEN));
    CLAVE_CHECK(clave_reader_u32le(r, &h->round));
    CLAVE_CHECK(clave_reader_u32le(r, &h->client));
    if (h->type == FL_AGGREGATE || h->type == FL_SUM) {
        CLAVE_ENSURE(h->client == 0, CLAVE_ERR_FORMAT, "fl: client id %u in a key-holder message",
                     h->client);
    } else {
        CLAVE_ENSURE(h->client >= 1 && h->client <= CLAVE_FL_MAX_CLIENTS, CLAVE_ERR_FORMAT,
                     "fl: client id %u", h->client);
    }
    st = CLAVE_OK;
done:
    return st;
}

/* Secure-aggregation parameters and the selected ids (train mode only). */
static clave_status read_selection(struct clave_reader *r, struct fl_msg *m)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    if (m->protection == CLAVE_FL_SECAGG) {
        CLAVE_CHECK(clave_reader_u32le(r, &m->degree));
        CLAVE_CHECK(clave_reader_u32le(r, &m->share_threshold));
        CLAVE_CHECK(clave_reader_u32le(r, &m->min_clients));
        CLAVE_CHECK(clave_reader_view(r, CLAVE_SECAGG_GRAPH_SEED_LEN, &m->graph_seed));
    } else if (m->protection == CLAVE_FL_PAILLIER) {
        CLAVE_CHECK(clave_reader_view(r, FL_HE_KEY_ID_LEN, &m->key_id));
    }
    CLAVE_CHECK(clave_reader_u32le(r, &m->id_count));
    CLAVE_ENSURE(m->id_count <= CLAVE_FL_MAX_CLIENTS, CLAVE_ERR_TOO_LARGE, "fl: %u ids",
                 m->id_count);
    CLAVE_ENSURE(m->mode == FL_MODE_TRAIN || m->id_count == 0, CLAVE_ERR_FORMAT,
                 "fl: ids in an eval message");
    CLAVE_CHECK(clave_reader_view(r, (size_t)m->id_count * 4, &m->ids));
    for (size_t i = 0; i < m->id_count; i++) {
        uint32_t id = fl__msg_id(m, i);
        CLAVE_ENSURE(id >= 1 && id <= CLAVE_FL_MAX_CLIENTS && (i == 0 || id > fl__msg_id(m, i - 1)),
                     CLAVE_ERR_FORMAT, "fl: ids not ascending in 1..%u", CLAVE_FL_MAX_CLIENTS);
    }
    st = CLAVE_OK;
done:
    return st;
}

/* MODEL: mode u8, protection u8, reserved u16 (0), model_len u32, model, selection. */
static clave_status read_model(struct clave_reader *r, struct fl_msg *m)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint16_t reserved = 0;
    uint32_t model_len = 0;
    CLAVE_CHECK(clave_reader_u8(r, &m->mode));
    CLAVE_ENSURE(m->mode == FL_MODE_TRAIN || m->mode == FL_MODE_EVAL, CLAVE_ERR_FORMAT,
                 "fl: mode %u", m->mode);
    CLAVE_CHECK(clave_reader_u8(r, &m->protection));
    CLAVE_ENSURE(m->mode == FL_MODE_EVAL
                     ? m->protection == 0
                     : (m->protection == CLAVE_FL_PLAIN || m->protection == CLAVE_FL_SECAGG ||
                        m->protection == CLAVE_FL_PAILLIER),
                 CLAVE_ERR_FORMAT, "fl: protection %u", m->protection);
    CLAVE_CHECK(clave_reader_u16le(r, &reserved));
    CLAVE_ENSURE(reserved == 0, CLAVE_ERR_FORMAT, "fl: reserved field %u", reserved);
    CLAVE_CHECK(clave_reader_u32le(r, &model_len));
    CLAVE_ENSURE(model_len <= FL_MODEL_MAX, CLAVE_ERR_TOO_LARGE, "fl: model of %u bytes",
                 model_len);
    CLAVE_CHECK(clave_reader_view(r, model_len, &m->model));
    m->model_len = model_len;
    CLAVE_CHECK(read_selection(r, m));
    st = CLAVE_OK;
done:
    return st;
}

/* UPDATE: dim u32, weight u32, loss f64, values f64[dim]. */
static clave_status read_update(struct clave_reader *r, struct fl_msg *m)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint64_t bits = 0;
    CLAVE_CHECK(clave_reader_u32le(r, &m->dim));
    CLAVE_ENSURE(m->dim >= 1 && m->dim <= CLAVE_ML_MAX_PARAMS, CLAVE_ERR_TOO_LARGE, "fl: dim %u",
                 m->dim);
    CLAVE_CHECK(clave_reader_u32le(r, &m->weight));
    CLAVE_ENSURE(m->weight >= 1 && m->weight <= CLAVE_FL_MAX_WEIGHT, CLAVE_ERR_FORMAT,
                 "fl: weight %u", m->weight);
    CLAVE_CHECK(clave_reader_u64le(r, &bits));
    m->loss = bits_f64(bits);
    CLAVE_ENSURE(isfinite(m->loss) && m->loss >= 0.0, CLAVE_ERR_FORMAT, "fl: loss not finite");
    CLAVE_CHECK(clave_reader_view(r, (size_t)m->dim * 8, &m->values));
    for (size_t i = 0; i < m->dim; i++) {
        CLAVE_ENSURE(isfinite(fl__msg_value(m, i)), CLAVE_ERR_FORMAT, "fl: value %zu not finite",
                     i);
    }
    st = CLAVE_OK;
done:
    return st;
}

/*
 * PAILLIER: version u8 (1), reserved [3] (0), words u32, vector (u32 length, CLHE binary).
 * AGGREGATE: version, reserved, words, count u32, vector (u32 length, CLHE binary).
 * SUM: version, reserved, words, count u32, sums i64le[words].
 */
static clave_status read_he(struct clave_reader *r, struct fl_msg *m)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t version = 0;
    CLAVE_CHECK(clave_reader_u8(r, &version));
    CLAVE_ENSURE(version == FL_HE_VERSION, CLAVE_ERR_UNSUPPORTED, "fl: paillier body version %u",
                 version);
    CLAVE_CHECK(clave_reader_zeros(r, 3));
    CLAVE_CHECK(clave_reader_u32le(r, &m->words));
    CLAVE_ENSURE(m->words >= 3 && m->words <= FL_HE_MAX_WORDS, CLAVE_ERR_TOO_LARGE, "fl: %u words",
                 m->words);
    if (m->h.type != FL_PAILLIER) {
        CLAVE_CHECK(clave_reader_u32le(r, &m->count));
        CLAVE_ENSURE(m->count >= 1 && m->count <= CLAVE_FL_MAX_CLIENTS, CLAVE_ERR_FORMAT,
                     "fl: a sum of %u clients", m->count);
    }
    if (m->h.type == FL_SUM) {
        CLAVE_CHECK(clave_reader_view(r, (size_t)m->words * 8, &m->sums));
    } else {
        CLAVE_CHECK(clave_reader_lenprefixed(r, CLAVE_LEN_U32LE, CLAVE_FL_MAX_MESSAGE, &m->vec,
                                             &m->vec_len));
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status read_body(struct clave_reader *r, struct fl_msg *m)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint64_t bits = 0;
    switch (m->h.type) {
    case FL_MODEL:
        CLAVE_CHECK(read_model(r, m));
        break;
    case FL_UPDATE:
        CLAVE_CHECK(read_update(r, m));
        break;
    case FL_SECAGG:
        CLAVE_CHECK(clave_reader_lenprefixed(r, CLAVE_LEN_U32LE, CLAVE_FL_MAX_MESSAGE, &m->payload,
                                             &m->payload_len));
        break;
    case FL_PAILLIER:
    case FL_AGGREGATE:
    case FL_SUM:
        CLAVE_CHECK(read_he(r, m));
        break;
    default: /* FL_EVAL: examples u32, correct u32, loss_sum f64 */
        CLAVE_CHECK(clave_reader_u32le(r, &m->examples));
        CLAVE_CHECK(clave_reader_u32le(r, &m->correct));
        CLAVE_CHECK(clave_reader_u64le(r, &bits));
        m->loss_sum = bits_f64(bits);
        CLAVE_ENSURE(m->correct <= m->examples && isfinite(m->loss_sum) && m->loss_sum >= 0.0,
                     CLAVE_ERR_FORMAT, "fl: inconsistent evaluation");
        break;
    }
    st = CLAVE_OK;
done:
    return st;
}

clave_status fl__msg_decode(const uint8_t *data, size_t len, struct fl_msg *m)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_reader r;
    memset(m, 0, sizeof(*m));
    CLAVE_ENSURE(data != NULL || len == 0, CLAVE_ERR_ARG, "fl: NULL message");
    CLAVE_ENSURE(len <= CLAVE_FL_MAX_MESSAGE, CLAVE_ERR_TOO_LARGE, "fl: message of %zu bytes", len);
    clave_reader_init(&r, data, len);
    CLAVE_CHECK_CTX(read_header(&r, &m->h), "fl message");
    CLAVE_CHECK_CTX(read_body(&r, m), "fl message type %u", m->h.type);
    CLAVE_CHECK_CTX(clave_reader_expect_end(&r), "fl message");
    st = CLAVE_OK;
done:
    return st;
}

clave_status fl__msg_header(const uint8_t *data, size_t len, struct fl_header *h)
{
    struct clave_reader r;
    memset(h, 0, sizeof(*h));
    if (data == NULL) {
        return CLAVE_ERR_ARG;
    }
    clave_reader_init(&r, data, len);
    return read_header(&r, h);
}

static clave_status begin(const struct fl_header *h, uint8_t type, size_t body, uint8_t **buf,
                          struct clave_writer *w)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    size_t cap = 0;
    CLAVE_ENSURE(!__builtin_add_overflow(body, (size_t)FL_HEADER_LEN, &cap) &&
                     cap <= CLAVE_FL_MAX_MESSAGE,
                 CLAVE_ERR_LIMIT, "fl: message too large");
    *buf = malloc(cap);
    CLAVE_ENSURE_ALLOC(*buf);
    clave_writer_init(w, *buf, cap);
    CLAVE_CHECK(clave_writer_bytes(w, (const uint8_t *)FL_MAGIC, FL_MAGIC_LEN));
    CLAVE_CHECK(clave_writer_u8(w, CLAVE_FL_VERSION));
    CLAVE_CHECK(clave_writer_u8(w, type));
    CLAVE_CHECK(clave_writer_u16le(w, 0));
    CLAVE_CHECK(clave_writer_bytes(w, h->session, CLAVE_FL_SESSION_LEN));
    CLAVE_CHECK(clave_writer_u32le(w, h->round));
    CLAVE_CHECK(clave_writer_u32le(w, h->client));
    st = CLAVE_OK;
done:
    return st;
}

static clave_status finish(clave_status st, uint8_t *buf, const struct clave_writer *w,
                           uint8_t **out, size_t *len)
{
    if (st != CLAVE_OK) {
        free(buf);
        return st;
    }
    *out = buf;
    *len = w->len;
    return CLAVE_OK;
}

clave_status fl__msg_model(const struct fl_header *h, const struct fl_model_fields *f,
                           uint8_t **out, size_t *len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t *buf = NULL;
    struct clave_writer w = {0};
    bool sa = f->protection == CLAVE_FL_SECAGG, he = f->protection == CLAVE_FL_PAILLIER;
    size_t body = 8 + f->model_len + (sa ? 12 + CLAVE_SECAGG_GRAPH_SEED_LEN : 0) +
                  (he ? FL_HE_KEY_ID_LEN : 0) + 4 + (size_t)f->id_count * 4;
    CLAVE_CHECK(begin(h, FL_MODEL, body, &buf, &w));
    CLAVE_CHECK(clave_writer_u8(&w, f->mode));
    CLAVE_CHECK(clave_writer_u8(&w, f->protection));
    CLAVE_CHECK(clave_writer_u16le(&w, 0));
    CLAVE_CHECK(
        clave_writer_lenprefixed(&w, CLAVE_LEN_U32LE, FL_MODEL_MAX, f->model, f->model_len));
    if (sa) {
        CLAVE_CHECK(clave_writer_u32le(&w, f->degree));
        CLAVE_CHECK(clave_writer_u32le(&w, f->share_threshold));
        CLAVE_CHECK(clave_writer_u32le(&w, f->min_clients));
        CLAVE_CHECK(clave_writer_bytes(&w, f->graph_seed, CLAVE_SECAGG_GRAPH_SEED_LEN));
    } else if (he) {
        CLAVE_CHECK(clave_writer_bytes(&w, f->key_id, FL_HE_KEY_ID_LEN));
    }
    CLAVE_CHECK(clave_writer_u32le(&w, f->id_count));
    for (uint32_t i = 0; i < f->id_count; i++) {
        CLAVE_CHECK(clave_writer_u32le(&w, f->ids[i]));
    }
    st = CLAVE_OK;
done:
    return finish(st, buf, &w, out, len);
}

clave_status fl__msg_update(const struct fl_header *h, uint32_t weight, double loss,
                            const double *values, uint32_t dim, uint8_t **out, size_t *len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t *buf = NULL;
    struct clave_writer w = {0};
    CLAVE_CHECK(begin(h, FL_UPDATE, FL_UPDATE_FIXED_LEN + (size_t)dim * 8, &buf, &w));
    CLAVE_CHECK(clave_writer_u32le(&w, dim));
    CLAVE_CHECK(clave_writer_u32le(&w, weight));
    CLAVE_CHECK(clave_writer_u64le(&w, f64_bits(loss)));
    for (uint32_t i = 0; i < dim; i++) {
        CLAVE_CHECK(clave_writer_u64le(&w, f64_bits(values[i])));
    }
    st = CLAVE_OK;
done:
    return finish(st, buf, &w, out, len);
}

clave_status fl__msg_secagg(const struct fl_header *h, const uint8_t *payload, size_t n,
                            uint8_t **out, size_t *len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t *buf = NULL;
    struct clave_writer w = {0};
    CLAVE_CHECK(begin(h, FL_SECAGG, 4 + n, &buf, &w));
    CLAVE_CHECK(clave_writer_lenprefixed(&w, CLAVE_LEN_U32LE, CLAVE_FL_MAX_MESSAGE, payload, n));
    st = CLAVE_OK;
done:
    return finish(st, buf, &w, out, len);
}

clave_status fl__msg_eval(const struct fl_header *h, uint32_t examples, uint32_t correct,
                          double loss_sum, uint8_t **out, size_t *len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t *buf = NULL;
    struct clave_writer w = {0};
    CLAVE_CHECK(begin(h, FL_EVAL, FL_EVAL_LEN, &buf, &w));
    CLAVE_CHECK(clave_writer_u32le(&w, examples));
    CLAVE_CHECK(clave_writer_u32le(&w, correct));
    CLAVE_CHECK(clave_writer_u64le(&w, f64_bits(loss_sum)));
    st = CLAVE_OK;
done:
    return finish(st, buf, &w, out, len);
}

static clave_status he_fixed(struct clave_writer *w, uint32_t words)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_CHECK(clave_writer_u8(w, FL_HE_VERSION));
    CLAVE_CHECK(clave_writer_u8(w, 0));
    CLAVE_CHECK(clave_writer_u16le(w, 0));
    CLAVE_CHECK(clave_writer_u32le(w, words));
    st = CLAVE_OK;
done:
    return st;
}

clave_status fl__msg_he_vec(const struct fl_header *h, uint32_t words, uint32_t count,
                            const uint8_t *vec, size_t vec_len, uint8_t **out, size_t *len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t *buf = NULL;
    struct clave_writer w = {0};
    bool agg = h->type == FL_AGGREGATE;
    CLAVE_ENSURE(agg || h->type == FL_PAILLIER, CLAVE_ERR_ARG, "fl: not a vector message");
    CLAVE_ENSURE(vec_len <= CLAVE_FL_MAX_MESSAGE, CLAVE_ERR_LIMIT, "fl: vector too large");
    CLAVE_CHECK(begin(h, h->type, FL_HE_FIXED_LEN + (agg ? 4u : 0u) + 4 + vec_len, &buf, &w));
    CLAVE_CHECK(he_fixed(&w, words));
    if (agg) {
        CLAVE_CHECK(clave_writer_u32le(&w, count));
    }
    CLAVE_CHECK(clave_writer_lenprefixed(&w, CLAVE_LEN_U32LE, CLAVE_FL_MAX_MESSAGE, vec, vec_len));
    st = CLAVE_OK;
done:
    return finish(st, buf, &w, out, len);
}

clave_status fl__msg_he_sum(const struct fl_header *h, uint32_t words, uint32_t count,
                            const int64_t *sums, uint8_t **out, size_t *len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t *buf = NULL;
    struct clave_writer w = {0};
    CLAVE_CHECK(begin(h, FL_SUM, FL_HE_FIXED_LEN + 4 + (size_t)words * 8, &buf, &w));
    CLAVE_CHECK(he_fixed(&w, words));
    CLAVE_CHECK(clave_writer_u32le(&w, count));
    for (uint32_t i = 0; i < words; i++) {
        CLAVE_CHECK(clave_writer_u64le(&w, (uint64_t)sums[i]));
    }
    st = CLAVE_OK;
done:
    return finish(st, buf, &w, out, len);
}

clave_status fl__secagg_session(const uint8_t *session, uint32_t round, uint8_t *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t in[sizeof(FL_SECAGG_LABEL) - 1 + CLAVE_FL_SESSION_LEN + 4];
    uint8_t digest[32];
    memcpy(in, FL_SECAGG_LABEL, sizeof(FL_SECAGG_LABEL) - 1);
    memcpy(in + sizeof(FL_SECAGG_LABEL) - 1, session, CLAVE_FL_SESSION_LEN);
    for (size_t i = 0; i < 4; i++) {
        in[sizeof(in) - 4 + i] = (uint8_t)(round >> (8 * i));
    }
    CLAVE_CHECK(clave_hash(CLAVE_HASH_SHA256, in, sizeof(in), digest, sizeof(digest)));
    memcpy(out, digest, CLAVE_SECAGG_SESSION_ID_LEN);
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_fl_message_peek(const uint8_t *msg, size_t len, uint32_t *client,
                                   uint32_t *round)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct fl_header h;
    CLAVE_ENSURE(client != NULL && round != NULL, CLAVE_ERR_ARG, "fl: NULL argument");
    *client = 0;
    *round = 0;
    CLAVE_CHECK(fl__msg_header(msg, len, &h));
    *client = h.client;
    *round = h.round;
    st = CLAVE_OK;
done:
    return st;
}
