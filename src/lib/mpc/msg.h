/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Wire format of the three-node MPC protocol (docs/formats/mpc.md): a fixed 32-byte header
 * followed by an op-specific payload. Every received header is checked against what the
 * receiver expects (session, step, op, sender, length) before its payload is read.
 */
#ifndef CLAVE_MPC_MSG_H
#define CLAVE_MPC_MSG_H

#include <clave/buf.h>
#include <clave/status.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MPC_MSG_MAGIC "CMPC"
#define MPC_MSG_MAGIC_LEN 4
#define MPC_MSG_VERSION 1
#define MPC_MSG_HEADER_LEN 32
#define MPC_SESSION_ID_LEN 16
#define MPC_DIGEST_LEN 32
#define MPC_KEY_LEN 32
#define MPC_NAME_MAX 64
#define MPC_ABORT_TEXT_MAX 240
#define MPC_SENDER_CLIENT 3
/* Largest payload: two 64-bit words for each of MPC_MAX_ELEMS elements, plus slack. */
#define MPC_MAX_ELEMS ((size_t)1 << 22)
#define MPC_MSG_MAX_PAYLOAD (2 * MPC_MAX_ELEMS * sizeof(uint64_t) + 64)

enum mpc_op {
    MPC_OP_HELLO = 1,   /* dialling node -> accepting node: session id, no payload */
    MPC_OP_KEY = 2,     /* node i -> node i-1: PRSS key k_i || request digest */
    MPC_OP_DIGEST = 3,  /* node i -> node i+1: request digest */
    MPC_OP_MUL = 4,     /* node i -> node i-1: resharing of products (u64le vector) */
    MPC_OP_TRUNC = 5,   /* node 0 -> node 2: masked truncated component (u64le vector) */
    MPC_OP_AND = 6,     /* node i -> node i-1: resharing of boolean ANDs (u64le vector) */
    MPC_OP_RUN = 7,     /* client -> node: the request */
    MPC_OP_RESULT = 8,  /* node -> client: own output component and hash of the next one */
    MPC_OP_ABORT = 9,   /* node -> client: why the session was aborted (text) */
    MPC_OP_CHECK = 10,  /* node i -> node i-1: SHA-256 of everything i sent to i-1 */
    MPC_OP_UPLOAD = 11, /* client -> node: name and that node's share file, to store */
    MPC_OP_STORED = 12, /* node -> client: the upload is stored (no payload) */
};
#define MPC_OP_LAST MPC_OP_STORED

/* Computations a client may request (RUN payload). */
enum mpc_compute {
    MPC_COMPUTE_SUM = 1,
    MPC_COMPUTE_MEAN = 2,
    MPC_COMPUTE_VARIANCE = 3,
    MPC_COMPUTE_DOT = 4,
    MPC_COMPUTE_LT = 5,
    MPC_COMPUTE_MUL = 6,
};
#define MPC_COMPUTE_LAST MPC_COMPUTE_MUL

struct mpc_header {
    uint8_t op;
    uint8_t sender;
    uint8_t session[MPC_SESSION_ID_LEN];
    uint32_t step;
    uint32_t payload_len;
};

/* What a receiver expects; a mismatch in any field fails with a detail naming `peer_name`. */
struct mpc_expect {
    uint8_t op;
    uint8_t alt_op; /* a second acceptable op (0: none), e.g. ABORT where RESULT is expected */
    uint8_t sender;
    const uint8_t *session; /* NULL: any (the first message of a connection) */
    uint32_t step;
    bool any_step;      /* the client does not know how many rounds the nodes ran */
    size_t payload_len; /* exact length, or SIZE_MAX: anything up to max_payload */
    size_t max_payload;
};

struct mpc_run {
    uint8_t compute; /* enum mpc_compute */
    char input_a[MPC_NAME_MAX + 1];
    char input_b[MPC_NAME_MAX + 1]; /* empty unless the compute takes two inputs */
};

struct mpc_result {
    uint8_t boolean;   /* 0: components add mod 2^64; 1: components XOR */
    uint8_t frac_bits; /* fixed-point fractional bits of the values */
    uint32_t count;
    const uint8_t *own;       /* count u64le words, borrowed from the message */
    const uint8_t *next_hash; /* MPC_DIGEST_LEN bytes */
};

/* Write the 32-byte header into `out`. */
void clave__mpc_header_encode(const struct mpc_header *h, uint8_t out[MPC_MSG_HEADER_LEN]);

/* Parse a header and check it against `want`; `peer` names the sender in errors. */
clave_status clave__mpc_header_decode(const uint8_t *buf, size_t len, const struct mpc_expect *want,
                                      const char *peer, struct mpc_header *out);

/* True if `compute` takes two inputs. */
bool clave__mpc_compute_binary(uint8_t compute);

/* Name of a compute ("sum") or NULL. */
const char *clave__mpc_compute_name(uint8_t compute);

/* RUN payload: compute u8, input_a (u8 length + bytes), input_b (u8 length + bytes). */
clave_status clave__mpc_run_encode(const struct mpc_run *run, struct clave_writer *w);
clave_status clave__mpc_run_decode(const uint8_t *buf, size_t len, struct mpc_run *out);

/* RESULT payload: boolean u8, frac u8, reserved u16 (0), count u32be, own words, next hash. */
size_t clave__mpc_result_len(size_t count);
clave_status clave__mpc_result_decode(const uint8_t *buf, size_t len, struct mpc_result *out);

/* ABORT payload: printable ASCII (0x20..0x7e), 1..MPC_ABORT_TEXT_MAX bytes. `out` gets a
 * NUL-terminated copy. */
clave_status clave__mpc_abort_decode(const uint8_t *buf, size_t len,
                                     char out[MPC_ABORT_TEXT_MAX + 1]);

/* UPLOAD payload: name (u8 length + bytes) | share file bytes (docs/formats/mpc.md). The name
 * is checked here; `*file` points into `buf`. The share file is checked by the node that
 * stores it (clave__mpc_share_store). */
clave_status clave__mpc_upload_decode(const uint8_t *buf, size_t len, char name[MPC_NAME_MAX + 1],
                                      const uint8_t **file, size_t *file_len);

/* Input names: 1..MPC_NAME_MAX of [A-Za-z0-9_.-], not starting with '.'. */
bool clave__mpc_name_valid(const char *name, size_t len);

#endif
