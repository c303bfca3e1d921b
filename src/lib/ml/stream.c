/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Seeded stream: uniform words from AES-256-CTR, turned into uniforms, normals (Box-Muller),
 * gamma variates (Marsaglia & Tsang 2000, "A simple method for generating gamma variables",
 * with the U^(1/a) boost for a < 1) and unbiased integers (rejection).
 */
#include "ml/stream.h"

#include "core/check.h"
#include "mpc/prg.h"

#include <clave/ml.h>
#include <math.h>
#include <string.h>

clave_status ml__stream_init(struct ml_stream *s, const uint8_t *seed, const char *label)
{
    memset(s, 0, sizeof(*s));
    s->pos = ML_STREAM_BLOCK;
    s->st = clave__prg_new(seed, CLAVE_ML_SEED_LEN, label, NULL, 0, &s->prg);
    return s->st;
}

void ml__stream_clear(struct ml_stream *s)
{
    clave__prg_free(s->prg);
    s->prg = NULL;
}

uint64_t ml__stream_u64(struct ml_stream *s)
{
    if (s->st != CLAVE_OK) {
        return 0;
    }
    if (s->pos == ML_STREAM_BLOCK) {
        s->st = clave__prg_fill(s->prg, s->buf, ML_STREAM_BLOCK);
        if (s->st != CLAVE_OK) {
            return 0;
        }
        s->pos = 0;
    }
    return s->buf[s->pos++];
}

double ml__stream_uniform(struct ml_stream *s)
{
    /* 53 random bits, centred in their cell: never exactly 0 or 1. */
    return ((double)(ml__stream_u64(s) >> 11) + 0.5) * 0x1p-53;
}

double ml__stream_normal(struct ml_stream *s)
{
    double u = ml__stream_uniform(s);
    double v = ml__stream_uniform(s);
    return sqrt(-2.0 * log(u)) * cos(2.0 * M_PI * v);
}

double ml__stream_gamma(struct ml_stream *s, double a)
{
    if (a < 1.0) {
        /* Gamma(a) = Gamma(a + 1) * U^(1/a) (Marsaglia & Tsang, section 6). */
        double u = ml__stream_uniform(s);
        return ml__stream_gamma(s, a + 1.0) * pow(u, 1.0 / a);
    }
    double d = a - 1.0 / 3.0;
    double c = 1.0 / sqrt(9.0 * d);
    for (int tries = 0; tries < 1000 && s->st == CLAVE_OK; tries++) {
        double x = ml__stream_normal(s);
        double v = 1.0 + c * x;
        if (v <= 0.0) {
            continue;
        }
        v = v * v * v;
        double u = ml__stream_uniform(s);
        if (log(u) < 0.5 * x * x + d - d * v + d * log(v)) {
            return d * v;
        }
    }
    return d; /* acceptance is > 95 % per try: unreachable in practice */
}

uint64_t ml__stream_below(struct ml_stream *s, uint64_t n)
{
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    for (;;) {
        uint64_t w = ml__stream_u64(s);
        if (w < limit || s->st != CLAVE_OK) {
            return w % n;
        }
    }
}

void ml__stream_shuffle(struct ml_stream *s, size_t *idx, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)ml__stream_below(s, i);
        size_t t = idx[i - 1];
        idx[i - 1] = idx[j];
        idx[j] = t;
    }
}

clave_status ml__stream_status(const struct ml_stream *s)
{
    return s->st;
}
