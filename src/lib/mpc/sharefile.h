/* SPDX-License-Identifier: Apache-2.0 */
/* Share files: one node's replicated shares of one input column (docs/formats/mpc.md). */
#ifndef CLAVE_MPC_SHAREFILE_H
#define CLAVE_MPC_SHAREFILE_H

#include "mpc/msg.h"
#include "mpc/proto.h"

#define MPC_SHARE_MAGIC "CMPS"
#define MPC_DATASET_ID_LEN 16
#define MPC_SHARE_PATH_MAX 4096
#define MPC_SHARE_FIXED_LEN 28 /* magic .. count */
#define MPC_SHARE_FILE_MAX (MPC_SHARE_FIXED_LEN + 1 + MPC_NAME_MAX + 16 * MPC_MAX_ELEMS)
#define MPC_UPLOAD_PAYLOAD_MAX (1 + MPC_NAME_MAX + MPC_SHARE_FILE_MAX)

struct mpc_input {
    struct mpc_vec shares;
    uint8_t dataset[MPC_DATASET_ID_LEN];
    unsigned frac_bits;
};

/* Encode node `node`'s file into a new buffer (caller wipes and frees). */
clave_status clave__mpc_share_encode(unsigned node, const char *name,
                                     const uint8_t dataset[MPC_DATASET_ID_LEN], unsigned frac,
                                     const uint64_t *own, const uint64_t *next, size_t count,
                                     uint8_t **out, size_t *out_len);

/* Parse a share file's bytes: it must be for `node` and named `name`. */
clave_status clave__mpc_share_decode(const uint8_t *buf, size_t len, unsigned node,
                                     const char *name, struct mpc_input *out);

/* The three share files of `values` (a fresh replicated sharing and dataset id): files[i] is
 * node i's (caller wipes and frees each). */
clave_status clave__mpc_share_files(const char *name, const uint64_t *values, size_t count,
                                    unsigned frac_bits, uint8_t *files[3], size_t lens[3]);

/* Validate `buf` as node `node`'s share file of input `name` and store it atomically as
 * `dir`/`name`.node<node>.share (mode 0600, replacing an older file of that name). */
clave_status clave__mpc_share_store(const char *dir, const char *name, unsigned node,
                                    const uint8_t *buf, size_t len, size_t *count);

/* Read `dir`/`name`.node<node>.share. */
clave_status clave__mpc_share_load(const char *dir, const char *name, unsigned node,
                                   struct mpc_input *out);

#endif
