/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the FL client, aggregator and simulation. */
#ifndef CLAVE_FL_INTERNAL_H
#define CLAVE_FL_INTERNAL_H

#include <clave/buf.h>
#include <clave/fl.h>
#include <clave/he.h>

/* Words of a secure-aggregation vector: the parameters, then the weight and the weighted loss. */
#define FL_EXTRA_WORDS 2
/* A client's reported training loss is capped here (the loss word must not wrap, config.c). */
#define FL_MAX_LOSS 1e3

/* x in fixed point with `bits` fractional bits, as a Z_2^64 word (two's complement). */
uint64_t fl__encode(double x, uint32_t bits);
/* The inverse for a sum: the word as a signed integer divided by 2^bits. */
double fl__decode(uint64_t w, uint32_t bits);

/* The L2 sensitivity of a clipped update in grid units: C 2^bits (1 + 2^-40) + sqrt(dim) / 2
 * (the rounding of each coordinate adds at most 1/2; as in dp/dpsgd.c). */
double fl__dp_sensitivity(const struct clave_fl_config *cfg, size_t dim);

/* Discrete Gaussian noise of variance `sigma2` (grid units) added to each of `n` words. */
clave_status fl__add_noise(struct clave_dp_rng *rng, double sigma2, uint64_t *words, size_t n);

/* Paillier packing (docs/fl.md "Paillier"): every word is a signed value of `value_bits` bits
 * (sign by the he library's bias 2^(value_bits-1)), in slots of slot_bits = value_bits +
 * ceil(log2(clients_per_round)) bits, so clients_per_round summands never carry into the next
 * slot; sums must fit int64 (slot_bits <= FL_PAILLIER_SLOT_MAX). Distributed DP noise is given
 * FL_NOISE_TAIL standard deviations of room; a client whose noisy word still does not fit
 * (probability below e^-800) does not send. CLAVE_ERR_ARG if the configuration does not fit. */
#define FL_PAILLIER_SLOT_MAX 63u
#define FL_NOISE_TAIL 40.0
clave_status fl__paillier_bits(const struct clave_fl_config *cfg, unsigned *value_bits,
                               unsigned *slot_bits);

/* Server-side optimiser and robust statistics (aggregate.c). */
struct fl_server_opt {
    double *m, *v; /* FedAdam/FedYogi moments, or NULL */
};
clave_status fl__server_opt_init(const struct clave_fl_config *cfg, size_t dim,
                                 struct fl_server_opt *o);
void fl__server_opt_clear(struct fl_server_opt *o);
void fl__server_apply(const struct clave_fl_config *cfg, struct fl_server_opt *o, double *w,
                      const double *delta, size_t dim);
/* Coordinate-wise median or trimmed mean of `count` updates (rows of `updates`, count x dim). */
clave_status fl__robust(const struct clave_fl_config *cfg, const double *updates, size_t count,
                        size_t dim, double *out);

/* Control frames (control.c): the 8-byte head "CLFA", CLAVE_FL_CONTROL_VERSION, type, reserved 0;
 * reading checks magic, version and that the type is `want`. */
#define FL_CONTROL_HELLO 1
#define FL_CONTROL_END 2
#define FL_CONTROL_JOIN 3
clave_status fl__control_write_head(struct clave_writer *w, uint8_t type);
clave_status fl__control_read_head(struct clave_reader *r, uint8_t want);

#endif
