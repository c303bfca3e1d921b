/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The seeded stream behind every random choice in training: initialisation, shuffling, splits,
 * partitions. AES-256-CTR (mpc/prg.h) keyed by HKDF-SHA256 of the 32-byte seed and a label per
 * use, read in blocks; never the C library generator.
 */
#ifndef CLAVE_ML_STREAM_H
#define CLAVE_ML_STREAM_H

#include <clave/status.h>
#include <stddef.h>
#include <stdint.h>

#define ML_STREAM_BLOCK 256

struct ml_stream {
    struct clave__prg *prg;
    uint64_t buf[ML_STREAM_BLOCK];
    size_t pos;
    clave_status st; /* first failure of the generator (sticky) */
};

/* Seed (CLAVE_ML_SEED_LEN bytes) and a domain-separating label. */
clave_status ml__stream_init(struct ml_stream *s, const uint8_t *seed, const char *label);
void ml__stream_clear(struct ml_stream *s);

/* Draws. A generator failure makes every later draw 0 and is reported by ml__stream_status. */
uint64_t ml__stream_u64(struct ml_stream *s);
double ml__stream_uniform(struct ml_stream *s);             /* in (0, 1) */
double ml__stream_normal(struct ml_stream *s);              /* N(0, 1), Box-Muller */
double ml__stream_gamma(struct ml_stream *s, double a);     /* Gamma(a, 1), a > 0 */
uint64_t ml__stream_below(struct ml_stream *s, uint64_t n); /* uniform in [0, n), n >= 1 */
void ml__stream_shuffle(struct ml_stream *s, size_t *idx, size_t n);
clave_status ml__stream_status(const struct ml_stream *s);

#endif
