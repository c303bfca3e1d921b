/* SPDX-License-Identifier: Apache-2.0 */
/* Model shapes, layout, initialisation and ownership. */
#include "ml/model.h"

#include "core/check.h"
#include "ml/stream.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define ML_INIT_LABEL "clave ml v1 init"

static const char *const KIND_NAMES[] = {NULL, "linear", "logistic", "softmax", "mlp"};

const char *clave_ml_model_kind_name(clave_ml_model_kind kind)
{
    return kind >= CLAVE_ML_LINEAR && kind <= CLAVE_ML_MLP ? KIND_NAMES[kind] : NULL;
}

clave_status clave_ml_model_kind_parse(const char *name, clave_ml_model_kind *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(name != NULL && out != NULL, CLAVE_ERR_ARG, "ml: NULL argument");
    for (int k = CLAVE_ML_LINEAR; k <= CLAVE_ML_MLP; k++) {
        if (strcmp(name, KIND_NAMES[k]) == 0) {
            *out = (clave_ml_model_kind)k;
            st = CLAVE_OK;
            goto done;
        }
    }
    CLAVE_RAISE(CLAVE_ERR_ARG, "ml: unknown model kind \"%.32s\"", name);
done:
    return st;
}

static clave_status check_spec(const struct clave_ml_model_spec *s)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(s->kind >= CLAVE_ML_LINEAR && s->kind <= CLAVE_ML_MLP, CLAVE_ERR_ARG,
                 "ml: kind %d unknown", (int)s->kind);
    CLAVE_ENSURE(s->inputs >= 1 && s->inputs <= CLAVE_ML_MAX_WIDTH, CLAVE_ERR_ARG,
                 "ml: inputs %u outside 1..%u", s->inputs, CLAVE_ML_MAX_WIDTH);
    bool multi = s->kind == CLAVE_ML_SOFTMAX || s->kind == CLAVE_ML_MLP;
    CLAVE_ENSURE(!multi || (s->classes >= 2 && s->classes <= CLAVE_ML_MAX_CLASSES), CLAVE_ERR_ARG,
                 "ml: classes %u outside 2..%u", s->classes, CLAVE_ML_MAX_CLASSES);
    if (s->kind == CLAVE_ML_MLP) {
        CLAVE_ENSURE(s->hidden_count >= 1 && s->hidden_count <= CLAVE_ML_MAX_HIDDEN_LAYERS,
                     CLAVE_ERR_ARG, "ml: hidden_count %u outside 1..%d", s->hidden_count,
                     CLAVE_ML_MAX_HIDDEN_LAYERS);
        for (uint32_t i = 0; i < s->hidden_count; i++) {
            CLAVE_ENSURE(s->hidden[i] >= 1 && s->hidden[i] <= CLAVE_ML_MAX_WIDTH, CLAVE_ERR_ARG,
                         "ml: hidden[%u] = %u outside 1..%u", i, s->hidden[i], CLAVE_ML_MAX_WIDTH);
        }
    } else {
        CLAVE_ENSURE(s->hidden_count == 0, CLAVE_ERR_ARG, "ml: hidden_count must be 0 for %s",
                     clave_ml_model_kind_name(s->kind));
    }
    st = CLAVE_OK;
done:
    return st;
}

clave_status ml__model_layout(const struct clave_ml_model_spec *spec, struct clave_ml_model *m)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_CHECK(check_spec(spec));
    memset(m, 0, sizeof(*m));
    m->spec = *spec;
    if (spec->kind != CLAVE_ML_MLP) {
        m->spec.hidden_count = 0;
        memset(m->spec.hidden, 0, sizeof(m->spec.hidden));
    }
    if (spec->kind == CLAVE_ML_LINEAR || spec->kind == CLAVE_ML_LOGISTIC) {
        m->spec.classes = spec->kind == CLAVE_ML_LOGISTIC ? 2 : 0;
    }
    m->layers = (size_t)m->spec.hidden_count + 1;
    m->width[0] = spec->inputs;
    for (size_t l = 0; l < m->spec.hidden_count; l++) {
        m->width[l + 1] = spec->hidden[l];
    }
    bool multi = spec->kind == CLAVE_ML_SOFTMAX || spec->kind == CLAVE_ML_MLP;
    m->width[m->layers] = multi ? spec->classes : 1;
    size_t count = 0;
    for (size_t l = 0; l < m->layers; l++) {
        m->woff[l] = count;
        count += m->width[l] * m->width[l + 1]; /* widths <= 2^16: no overflow */
        m->boff[l] = count;
        count += m->width[l + 1];
        CLAVE_ENSURE(count <= CLAVE_ML_MAX_PARAMS, CLAVE_ERR_LIMIT, "ml: more than %u parameters",
                     CLAVE_ML_MAX_PARAMS);
    }
    m->count = count;
    st = CLAVE_OK;
done:
    return st;
}

clave_status ml__model_alloc(const struct clave_ml_model_spec *spec, struct clave_ml_model **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_ml_model *m = calloc(1, sizeof(*m));
    CLAVE_ENSURE_ALLOC(m);
    CLAVE_CHECK(ml__model_layout(spec, m));
    m->params = calloc(m->count, sizeof(double));
    CLAVE_ENSURE_ALLOC(m->params);
    *out = m;
    m = NULL;
    st = CLAVE_OK;
done:
    clave_ml_model_free(m);
    return st;
}

/* He-normal (ReLU follows) or Glorot-normal (output layer) weights; zero biases. */
static void init_params(struct clave_ml_model *m, struct ml_stream *s)
{
    if (m->spec.kind != CLAVE_ML_MLP) {
        return; /* convex models start at zero */
    }
    for (size_t l = 0; l < m->layers; l++) {
        double fan_in = (double)m->width[l];
        double fan_out = (double)m->width[l + 1];
        bool last = l + 1 == m->layers;
        double sd = last ? sqrt(2.0 / (fan_in + fan_out)) : sqrt(2.0 / fan_in);
        size_t n = m->width[l] * m->width[l + 1];
        for (size_t i = 0; i < n; i++) {
            m->params[m->woff[l] + i] = sd * ml__stream_normal(s);
        }
    }
}

clave_status clave_ml_model_new(const struct clave_ml_model_spec *spec, const uint8_t *seed,
                                struct clave_ml_model **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_ml_model *m = NULL;
    struct ml_stream s = {0};
    CLAVE_ENSURE(out != NULL, CLAVE_ERR_ARG, "ml: NULL argument");
    *out = NULL;
    CLAVE_ENSURE(spec != NULL && seed != NULL, CLAVE_ERR_ARG, "ml: NULL argument");
    CLAVE_CHECK(ml__model_alloc(spec, &m));
    CLAVE_CHECK(ml__stream_init(&s, seed, ML_INIT_LABEL));
    init_params(m, &s);
    CLAVE_CHECK(ml__stream_status(&s));
    *out = m;
    m = NULL;
    st = CLAVE_OK;
done:
    ml__stream_clear(&s);
    clave_ml_model_free(m);
    return st;
}

clave_status clave_ml_model_clone(const struct clave_ml_model *model, struct clave_ml_model **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_ml_model *m = NULL;
    CLAVE_ENSURE(model != NULL && out != NULL, CLAVE_ERR_ARG, "ml: NULL argument");
    *out = NULL;
    CLAVE_CHECK(ml__model_alloc(&model->spec, &m));
    memcpy(m->params, model->params, model->count * sizeof(double));
    *out = m;
    st = CLAVE_OK;
done:
    return st;
}

void clave_ml_model_free(struct clave_ml_model *model)
{
    if (model == NULL) {
        return;
    }
    free(model->params);
    free(model);
}

struct clave_ml_model_spec clave_ml_model_spec(const struct clave_ml_model *model)
{
    return model->spec;
}

size_t clave_ml_model_outputs(const struct clave_ml_model *model)
{
    return model->width[model->layers];
}

double *clave_ml_model_params(struct clave_ml_model *model, size_t *count)
{
    if (count != NULL) {
        *count = model->count;
    }
    return model->params;
}

clave_status ml__check_labels(const struct clave_ml_model *m, const double *y, size_t n)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    for (size_t i = 0; i < n; i++) {
        CLAVE_ENSURE(isfinite(y[i]), CLAVE_ERR_ARG, "ml: label %zu is not finite", i);
        if (m->spec.kind != CLAVE_ML_LINEAR) {
            CLAVE_ENSURE(y[i] >= 0.0 && y[i] < (double)m->spec.classes && y[i] == floor(y[i]),
                         CLAVE_ERR_ARG, "ml: label %zu is not a class in 0..%u", i,
                         m->spec.classes - 1);
        }
    }
    st = CLAVE_OK;
done:
    return st;
}
