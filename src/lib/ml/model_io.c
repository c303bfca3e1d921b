/* SPDX-License-Identifier: Apache-2.0 */
/* The model file format, version 1 (docs/formats/model.md). */
#include "core/check.h"
#include "ml/model.h"

#include <clave/buf.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define ML_MODEL_MAGIC "CLML"
#define ML_MODEL_MAGIC_LEN 4
#define ML_MODEL_VERSION 1
#define ML_MODEL_HEADER_LEN 28
_Static_assert(ML_MODEL_HEADER_LEN == ML_MODEL_MAGIC_LEN + 4 + 5 * 4, "model header layout");

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

clave_status clave_ml_model_save(const struct clave_ml_model *model, uint8_t **out, size_t *len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t *buf = NULL;
    struct clave_writer w;
    CLAVE_ENSURE(out != NULL && len != NULL, CLAVE_ERR_ARG, "ml: NULL argument");
    *out = NULL;
    *len = 0;
    CLAVE_ENSURE(model != NULL, CLAVE_ERR_ARG, "ml: NULL model");
    size_t cap = ML_MODEL_HEADER_LEN + model->count * 8;
    buf = malloc(cap);
    CLAVE_ENSURE_ALLOC(buf);
    clave_writer_init(&w, buf, cap);
    const struct clave_ml_model_spec *s = &model->spec;
    CLAVE_CHECK(clave_writer_bytes(&w, (const uint8_t *)ML_MODEL_MAGIC, ML_MODEL_MAGIC_LEN));
    CLAVE_CHECK(clave_writer_u8(&w, ML_MODEL_VERSION));
    CLAVE_CHECK(clave_writer_u8(&w, (uint8_t)s->kind));
    CLAVE_CHECK(clave_writer_u8(&w, (uint8_t)s->hidden_count));
    CLAVE_CHECK(clave_writer_u8(&w, 0));
    CLAVE_CHECK(clave_writer_u32le(&w, s->inputs));
    CLAVE_CHECK(clave_writer_u32le(&w, s->classes));
    CLAVE_CHECK(clave_writer_u32le(&w, s->hidden[0]));
    CLAVE_CHECK(clave_writer_u32le(&w, s->hidden[1]));
    CLAVE_CHECK(clave_writer_u32le(&w, (uint32_t)model->count));
    for (size_t i = 0; i < model->count; i++) {
        CLAVE_ENSURE(isfinite(model->params[i]), CLAVE_ERR_ARG, "ml: parameter %zu not finite", i);
        CLAVE_CHECK(clave_writer_u64le(&w, f64_bits(model->params[i])));
    }
    *out = buf;
    *len = w.len;
    buf = NULL;
    st = CLAVE_OK;
done:
    free(buf);
    return st;
}

/*
 * Layout (little-endian):
 *   0  magic "CLML"      4  version u8 (1)    5  kind u8        6  hidden_count u8
 *   7  reserved u8 (0)   8  inputs u32        12 classes u32    16 hidden[0] u32
 *   20 hidden[1] u32     24 param_count u32   28 params: param_count x IEEE-754 binary64
 */
static clave_status read_spec(struct clave_reader *r, struct clave_ml_model_spec *s,
                              uint32_t *count)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t magic[ML_MODEL_MAGIC_LEN], version = 0, kind = 0, hidden_count = 0, reserved = 0;
    CLAVE_CHECK(clave_reader_bytes(r, magic, sizeof(magic)));
    CLAVE_ENSURE(memcmp(magic, ML_MODEL_MAGIC, ML_MODEL_MAGIC_LEN) == 0, // lint:public
                 CLAVE_ERR_FORMAT, "ml model: bad magic");
    CLAVE_CHECK(clave_reader_u8(r, &version));
    CLAVE_ENSURE(version == ML_MODEL_VERSION, CLAVE_ERR_UNSUPPORTED, "ml model: version %u",
                 version);
    CLAVE_CHECK(clave_reader_u8(r, &kind));
    CLAVE_CHECK(clave_reader_u8(r, &hidden_count));
    CLAVE_CHECK(clave_reader_u8(r, &reserved));
    CLAVE_ENSURE(reserved == 0, CLAVE_ERR_FORMAT, "ml model: reserved byte %u", reserved);
    s->kind = (clave_ml_model_kind)kind;
    s->hidden_count = hidden_count;
    CLAVE_CHECK(clave_reader_u32le(r, &s->inputs));
    CLAVE_CHECK(clave_reader_u32le(r, &s->classes));
    CLAVE_CHECK(clave_reader_u32le(r, &s->hidden[0]));
    CLAVE_CHECK(clave_reader_u32le(r, &s->hidden[1]));
    CLAVE_CHECK(clave_reader_u32le(r, count));
    st = CLAVE_OK;
done:
    return st;
}

/* The canonical form of a spec: fields the kind does not use must be zero (one encoding). */
static clave_status check_canonical(const struct clave_ml_model_spec *s,
                                    const struct clave_ml_model *layout)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(s->classes == layout->spec.classes, CLAVE_ERR_FORMAT,
                 "ml model: classes %u for a %s model", s->classes,
                 clave_ml_model_kind_name(s->kind));
    for (uint32_t i = s->hidden_count; i < CLAVE_ML_MAX_HIDDEN_LAYERS; i++) {
        CLAVE_ENSURE(s->hidden[i] == 0, CLAVE_ERR_FORMAT, "ml model: unused hidden[%u] = %u", i,
                     s->hidden[i]);
    }
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_ml_model_load(const uint8_t *data, size_t len, struct clave_ml_model **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_ml_model *m = NULL;
    struct clave_ml_model layout;
    struct clave_ml_model_spec spec = {0};
    struct clave_reader r;
    uint32_t count = 0;
    CLAVE_ENSURE(out != NULL && (data != NULL || len == 0), CLAVE_ERR_ARG, "ml: NULL argument");
    *out = NULL;
    clave_reader_init(&r, data, len);
    CLAVE_CHECK_CTX(read_spec(&r, &spec, &count), "ml model");
    st = ml__model_layout(&spec, &layout);
    CLAVE_ENSURE(st == CLAVE_OK, st == CLAVE_ERR_LIMIT ? CLAVE_ERR_TOO_LARGE : CLAVE_ERR_FORMAT,
                 "ml model: invalid shape");
    CLAVE_CHECK(check_canonical(&spec, &layout));
    CLAVE_ENSURE(count == layout.count, CLAVE_ERR_FORMAT,
                 "ml model: %u parameters for a shape of %zu", count, layout.count);
    CLAVE_ENSURE((size_t)count * 8 <= clave_reader_remaining(&r), CLAVE_ERR_TRUNCATED,
                 "ml model: %u parameters need %zu bytes", count, (size_t)count * 8);
    CLAVE_CHECK(ml__model_alloc(&spec, &m));
    for (size_t i = 0; i < count; i++) {
        uint64_t bits = 0;
        CLAVE_CHECK(clave_reader_u64le(&r, &bits));
        m->params[i] = bits_f64(bits);
        CLAVE_ENSURE(isfinite(m->params[i]), CLAVE_ERR_FORMAT, "ml model: parameter %zu not finite",
                     i);
    }
    CLAVE_CHECK_CTX(clave_reader_expect_end(&r), "ml model");
    *out = m;
    m = NULL;
    st = CLAVE_OK;
done:
    clave_ml_model_free(m);
    return st;
}
