/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SecAgg wire messages (docs/formats/secagg.md): encoders and validating decoders. Decoders
 * check everything a message says about itself (version, type, session, lengths, counts against
 * the degree, strictly ascending ids, kinds); membership in the round's client sets is checked
 * by the client and the server, which know them.
 */
#ifndef CLAVE_SECAGG_MSG_H
#define CLAVE_SECAGG_MSG_H

#include <clave/secagg.h>
#include <clave/sign.h>
#include <stdint.h>

enum sa_type {
    SA_ADVERTISE = 1,
    SA_KEYS = 2,
    SA_SHARES = 3,
    SA_FORWARD = 4,
    SA_MASKED = 5,
    SA_UNMASK_REQUEST = 6,
    SA_UNMASK = 7,
};

#define SA_SERVER_ID 0
#define SA_HEADER_LEN 26 /* version, type, session id (16), sender, recipient */
#define SA_PK_LEN CLAVE_X25519_KEY_LEN
#define SA_SIG_LEN CLAVE_ED25519_SIG_LEN
#define SA_SECRET_LEN 32                                 /* b_u and s_u^SK */
#define SA_SHARE_ELEMS 5                                 /* ceil(32 / 7) field elements */
#define SA_SHARE_PT_LEN (4 + 4 + 2 * SA_SHARE_ELEMS * 8) /* from, to, b share, s share */
#define SA_SHARE_CT_LEN (SA_SHARE_PT_LEN + CLAVE_AEAD_TAG_LEN)
#define SA_KEYS_ENTRY_LEN (4 + 2 * SA_PK_LEN + SA_SIG_LEN)
#define SA_CIPHER_ENTRY_LEN (4 + SA_SHARE_CT_LEN)
#define SA_UNMASK_ENTRY_LEN (4 + 1 + SA_SHARE_ELEMS * 8)
/* The ring Z_2^bits of a session (bits 0 is read as 64), the bytes of one masked word on the
 * wire and in a mask stream (4 for bits <= 32, else 8), and the mask of valid word bits. */
static inline unsigned clave__sa_bits(const struct clave_secagg_params *p)
{
    return p->bits == 0 ? 64u : p->bits;
}
static inline size_t clave__sa_word_bytes(const struct clave_secagg_params *p)
{
    return clave__sa_bits(p) <= 32 ? 4 : 8;
}
static inline uint64_t clave__sa_word_mask(const struct clave_secagg_params *p)
{
    return clave__sa_bits(p) == 64 ? UINT64_MAX : (UINT64_C(1) << clave__sa_bits(p)) - 1;
}
/* The largest input word plus one bit pattern: inputs must have no bit outside this mask. */
static inline uint64_t clave__sa_input_mask(const struct clave_secagg_params *p)
{
    return p->input_bits == 0 || p->input_bits >= 64 ? clave__sa_word_mask(p)
                                                     : (UINT64_C(1) << p->input_bits) - 1;
}

#define SA_KIND_SELF_MASK 1 /* a share of b_v: v survived */
#define SA_KIND_MASK_KEY 2  /* a share of s_v^SK: v dropped */

_Static_assert(SA_SHARE_ELEMS * 7 >= SA_SECRET_LEN, "five 56-bit elements hold 32 bytes");

struct sa_header {
    uint8_t type;
    uint32_t sender;
    uint32_t recipient;
};

struct sa_keys {
    uint32_t id;
    uint8_t c_pk[SA_PK_LEN]; /* key agreement for the share encryption */
    uint8_t s_pk[SA_PK_LEN]; /* key agreement for the pairwise masks */
    uint8_t sig[SA_SIG_LEN];
};

struct sa_cipher {
    uint32_t peer; /* recipient in SHARES, sender in FORWARD */
    uint8_t ct[SA_SHARE_CT_LEN];
};

struct sa_unmask_entry {
    uint32_t owner;
    uint8_t kind;
    uint64_t share[SA_SHARE_ELEMS];
};

/* One decoded message; arrays are malloc'ed (free with clave__sa_msg_clear). */
struct sa_msg {
    struct sa_header h;
    struct sa_keys adv;             /* ADVERTISE (adv.id = sender) */
    struct sa_keys *keys;           /* KEYS */
    struct sa_cipher *ciphers;      /* SHARES, FORWARD */
    struct sa_unmask_entry *shares; /* UNMASK */
    uint32_t *ids;                  /* UNMASK_REQUEST: surviving neighbours */
    uint32_t survivors_total;       /* UNMASK_REQUEST */
    size_t count;
    const uint8_t *vector; /* MASKED: dim little-endian words of clave__sa_word_bytes (borrowed) */
};

/* Decode a message of `type` (one of enum sa_type) under `p`. On failure `m` is cleared. */
clave_status clave__sa_decode(const struct clave_secagg_params *p, uint8_t type, const uint8_t *msg,
                              size_t len, struct sa_msg *m);

void clave__sa_msg_clear(struct sa_msg *m);

/* Encode `m` (type in m->h.type) into a new buffer the caller frees. */
clave_status clave__sa_encode(const struct clave_secagg_params *p, const struct sa_msg *m,
                              uint8_t **out, size_t *out_len);

/* The bytes an advertisement signature covers: label, session id, id, c_pk, s_pk. */
#define SA_SIGNED_LEN (24 + CLAVE_SECAGG_SESSION_ID_LEN + 4 + 2 * SA_PK_LEN)
void clave__sa_signed_bytes(const struct clave_secagg_params *p, const struct sa_keys *k,
                            uint8_t out[SA_SIGNED_LEN]);

/* The additional data of a share ciphertext: session id, from, to. */
#define SA_SHARE_AAD_LEN (CLAVE_SECAGG_SESSION_ID_LEN + 8)
void clave__sa_share_aad(const struct clave_secagg_params *p, uint32_t from, uint32_t to,
                         uint8_t out[SA_SHARE_AAD_LEN]);

#endif
