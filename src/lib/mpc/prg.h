/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A pseudo-random generator: AES-256-CTR (OpenSSL EVP) over a zero IV, keyed by HKDF-SHA256 of a
 * full-width seed with a domain-separating label. Output words are read little-endian. Used for
 * PRSS streams and secure-aggregation masks; never a non-cryptographic generator.
 */
#ifndef CLAVE_MPC_PRG_H
#define CLAVE_MPC_PRG_H

#include <clave/status.h>
#include <stddef.h>
#include <stdint.h>

#define CLAVE_PRG_SEED_LEN 32

struct clave__prg;

/* Derive the AES key from `seed` (borrowed, `seed_len` >= 16) with HKDF info `label` || `ctx`. */
clave_status clave__prg_new(const uint8_t *seed, size_t seed_len, const char *label,
                            const uint8_t *ctx, size_t ctx_len, struct clave__prg **out);

/* The next `len` words of the stream. */
clave_status clave__prg_fill(struct clave__prg *prg, uint64_t *out, size_t len);

/* acc[k] += sign * next word, for sign +1 or -1 (mod 2^64). */
clave_status clave__prg_accumulate(struct clave__prg *prg, uint64_t *acc, size_t len, int sign);

/*
 * acc[k] += sum_i signs[i] * (next word of prgs[i]) for `count` streams (signs +1 or -1), in one
 * pass over `acc`: chunk by chunk, every stream's keystream for the chunk is generated into an
 * L1-sized buffer and added while the accumulator's chunk stays in cache.
 */
clave_status clave__prg_accumulate_many(struct clave__prg *const *prgs, const int *signs,
                                        size_t count, uint64_t *acc, size_t len);

/* The same with 32-bit words: acc[k] += signs[i] * (next u32le word of prgs[i], zero-extended)
 * (mod 2^64); the stream advances 4 bytes per word. */
clave_status clave__prg_accumulate_many32(struct clave__prg *const *prgs, const int *signs,
                                          size_t count, uint64_t *acc, size_t len);

/* acc[k] += the k-th u32le word of `src` (any alignment), zero-extended. */
void clave__words_add_le32(uint64_t *acc, const uint8_t *src, size_t n);

/* acc[k] += the k-th u64le word of `src` (any alignment), vectorised like the mask additions. */
void clave__words_add_le(uint64_t *acc, const uint8_t *src, size_t n);

void clave__prg_free(struct clave__prg *prg);

#endif
