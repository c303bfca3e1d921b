/* SPDX-License-Identifier: Apache-2.0 */
/* SecAgg client: Bonawitz et al. 2017 figure 4 (client side) over the SecAgg+ graph. */
#include "core/check.h"
#include "secagg/graph.h"
#include "secagg/masks.h"
#include "secagg/msg.h"

#include <clave/buf.h>
#include <clave/crypto.h>
#include <clave/mpc.h>
#include <clave/secagg.h>
#include <clave/secret.h>
#include <stdlib.h>
#include <string.h>

enum client_state { C_NEW, C_ADVERTISED, C_SHARED, C_MASKED, C_DONE, C_FAILED };

/* Layout of the client's secret block. */
#define SEC_B 0             /* self-mask seed b_u */
#define SEC_S SA_SECRET_LEN /* mask key s_u^SK (raw X25519 scalar) */
#define SEC_LEN (2 * SA_SECRET_LEN)

struct clave_secagg_client {
    struct clave_secagg_params p;
    uint32_t id;
    const struct clave_pkey *identity;
    const struct clave_pkey *const *directory;
    enum client_state state;
    struct clave_secret *secret; /* b_u || s_u^SK */
    struct clave_pkey *c_key;
    struct clave_pkey *s_key;
    uint8_t c_pk[SA_PK_LEN];
    uint8_t s_pk[SA_PK_LEN];
    uint32_t *graph_nbrs; /* all neighbours in the graph */
    size_t graph_count;
    struct sa_keys *nbrs; /* round 2: neighbours that advertised (U1) */
    size_t nbr_count;
    uint32_t *held;        /* round 3: neighbours whose shares we hold (U2) */
    uint64_t *held_shares; /* per held neighbour: b share (5) then s share (5) */
    size_t held_count;
    size_t held_cap;
};

clave_status clave_secagg_client_new(const struct clave_secagg_params *params, uint32_t id,
                                     const struct clave_pkey *identity,
                                     const struct clave_pkey *const *directory,
                                     struct clave_secagg_client **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_secagg_client *c = NULL;
    struct sa_graph g = {0};
    *out = NULL;
    CLAVE_CHECK(clave_secagg_params_check(params));
    CLAVE_ENSURE(id >= 1 && id <= params->client_count && directory != NULL, CLAVE_ERR_ARG,
                 "secagg client: bad id or directory");
    CLAVE_ENSURE(identity != NULL && clave_pkey_type(identity) == CLAVE_PKEY_ED25519 &&
                     clave_pkey_has_private(identity),
                 CLAVE_ERR_KEY, "secagg client: identity is not an Ed25519 private key");
    c = calloc(1, sizeof(*c));
    CLAVE_ENSURE_ALLOC(c);
    c->p = *params;
    c->id = id;
    c->identity = identity;
    c->directory = directory;
    CLAVE_CHECK(clave__sa_graph_init(params, &g));
    c->graph_nbrs = calloc(params->degree, sizeof(uint32_t));
    CLAVE_ENSURE_ALLOC(c->graph_nbrs);
    c->graph_count = clave__sa_graph_neighbours(&g, id, c->graph_nbrs);
    *out = c;
    c = NULL;
    st = CLAVE_OK;
done:
    clave__sa_graph_clear(&g);
    clave_secagg_client_free(c);
    return st;
}

static clave_status new_message(struct clave_secagg_client *c, uint8_t type, struct sa_msg *m)
{
    memset(m, 0, sizeof(*m));
    m->h.type = type;
    m->h.sender = c->id;
    m->h.recipient = SA_SERVER_ID;
    return CLAVE_OK;
}

clave_status clave_secagg_client_advertise(struct clave_secagg_client *c, uint8_t **msg,
                                           size_t *len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct sa_msg m;
    uint8_t signed_bytes[SA_SIGNED_LEN];
    size_t n = 0;
    *msg = NULL;
    *len = 0;
    CLAVE_ENSURE(c->state == C_NEW, CLAVE_ERR_STATE, "secagg client: advertise out of order");
    c->state = C_FAILED;
    CLAVE_CHECK(clave_secret_random(SEC_LEN, &c->secret));
    CLAVE_CHECK(clave_pkey_generate(CLAVE_PKEY_X25519, &c->c_key));
    CLAVE_CHECK(clave_pkey_from_raw_private(
        CLAVE_PKEY_X25519, clave_secret_cdata(c->secret) + SEC_S, SA_SECRET_LEN, &c->s_key));
    CLAVE_CHECK(clave_pkey_export_raw_public(c->c_key, c->c_pk, sizeof(c->c_pk), &n));
    CLAVE_CHECK(clave_pkey_export_raw_public(c->s_key, c->s_pk, sizeof(c->s_pk), &n));
    CLAVE_CHECK(new_message(c, SA_ADVERTISE, &m));
    m.adv.id = c->id;
    memcpy(m.adv.c_pk, c->c_pk, SA_PK_LEN);
    memcpy(m.adv.s_pk, c->s_pk, SA_PK_LEN);
    clave__sa_signed_bytes(&c->p, &m.adv, signed_bytes);
    CLAVE_CHECK(clave_ed25519_sign(c->identity, signed_bytes, sizeof(signed_bytes), m.adv.sig));
    CLAVE_CHECK(clave__sa_encode(&c->p, &m, msg, len));
    c->state = C_ADVERTISED;
    st = CLAVE_OK;
done:
    return st;
}

static bool in_sorted(const uint32_t *ids, size_t count, uint32_t id)
{
    size_t lo = 0;
    size_t hi = count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ids[mid] == id) {
            return true;
        }
        if (ids[mid] < id) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return false;
}

/* A neighbour's advertisement: in our graph neighbourhood, signed by its identity key, and with
 * keys that are neither equal to each other nor reflections of ours. */
static clave_status check_neighbour(const struct clave_secagg_client *c, const struct sa_keys *k)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t signed_bytes[SA_SIGNED_LEN];
    CLAVE_ENSURE(in_sorted(c->graph_nbrs, c->graph_count, k->id), CLAVE_ERR_FORMAT,
                 "secagg client %u: keys of client %u, not a neighbour", c->id, k->id);
    clave__sa_signed_bytes(&c->p, k, signed_bytes);
    CLAVE_CHECK_CTX(clave_ed25519_verify(c->directory[k->id - 1], signed_bytes,
                                         sizeof(signed_bytes), k->sig, sizeof(k->sig)),
                    "secagg client %u: advertisement of client %u: ", c->id, k->id);
    CLAVE_ENSURE(memcmp(k->c_pk, k->s_pk, SA_PK_LEN) != 0 &&     // lint:public
                     memcmp(k->c_pk, c->c_pk, SA_PK_LEN) != 0 && // lint:public
                     memcmp(k->s_pk, c->s_pk, SA_PK_LEN) != 0,   // lint:public
                 CLAVE_ERR_KEY, "secagg client %u: client %u reuses keys", c->id, k->id);
    st = CLAVE_OK;
done:
    return st;
}

/* Encrypt this client's shares for neighbour index i: from || to || b share || s share. */
static clave_status seal_share(struct clave_secagg_client *c, size_t i, const uint64_t *b_shares,
                               const uint64_t *s_shares, struct sa_cipher *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t key[SA_AEAD_KEY_LEN];
    uint8_t pt[SA_SHARE_PT_LEN];
    uint8_t nonce[12];
    uint8_t aad[SA_SHARE_AAD_LEN];
    struct clave_aead *aead = NULL;
    struct clave_writer w;
    uint32_t to = c->nbrs[i].id;
    clave_writer_init(&w, pt, sizeof(pt));
    CLAVE_CHECK(clave_writer_u32be(&w, c->id));
    CLAVE_CHECK(clave_writer_u32be(&w, to));
    for (size_t k = 0; k < SA_SHARE_ELEMS; k++) {
        CLAVE_CHECK(clave_writer_u64be(&w, b_shares[i * SA_SHARE_ELEMS + k]));
    }
    for (size_t k = 0; k < SA_SHARE_ELEMS; k++) {
        CLAVE_CHECK(clave_writer_u64be(&w, s_shares[i * SA_SHARE_ELEMS + k]));
    }
    CLAVE_CHECK(clave__sa_share_key(&c->p, c->c_key, c->nbrs[i].c_pk, c->id, to, key));
    CLAVE_CHECK(clave_aead_new(CLAVE_AEAD_AES256GCM, key, &aead));
    clave__sa_share_nonce(c->id, to, nonce);
    clave__sa_share_aad(&c->p, c->id, to, aad);
    out->peer = to;
    CLAVE_CHECK(clave_aead_seal(aead, nonce, aad, sizeof(aad), pt, sizeof(pt), out->ct,
                                out->ct + SA_SHARE_PT_LEN));
    st = CLAVE_OK;
done:
    clave_aead_free(aead);
    clave_wipe(key, sizeof(key));
    clave_wipe(pt, sizeof(pt));
    return st;
}

/* Shamir-split b_u and s_u^SK at the neighbours' ids. */
static clave_status split_secrets(struct clave_secagg_client *c, uint64_t *b_shares,
                                  uint64_t *s_shares)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint64_t elems[SA_SHARE_ELEMS];
    uint64_t *xs = calloc(c->nbr_count, sizeof(uint64_t));
    const uint8_t *sec = clave_secret_cdata(c->secret);
    CLAVE_ENSURE_ALLOC(xs);
    for (size_t i = 0; i < c->nbr_count; i++) {
        xs[i] = c->nbrs[i].id;
    }
    CLAVE_CHECK(clave_mpc_bytes_to_elems(sec + SEC_B, SA_SECRET_LEN, elems, SA_SHARE_ELEMS));
    CLAVE_CHECK(clave_mpc_shamir_split(elems, SA_SHARE_ELEMS, c->p.share_threshold, xs,
                                       c->nbr_count, b_shares));
    CLAVE_CHECK(clave_mpc_bytes_to_elems(sec + SEC_S, SA_SECRET_LEN, elems, SA_SHARE_ELEMS));
    CLAVE_CHECK(clave_mpc_shamir_split(elems, SA_SHARE_ELEMS, c->p.share_threshold, xs,
                                       c->nbr_count, s_shares));
    st = CLAVE_OK;
done:
    clave_wipe(elems, sizeof(elems));
    free(xs);
    return st;
}

clave_status clave_secagg_client_share_keys(struct clave_secagg_client *c, const uint8_t *in,
                                            size_t in_len, uint8_t **msg, size_t *len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct sa_msg keys = {0};
    struct sa_msg out = {0};
    uint64_t *b_shares = NULL;
    uint64_t *s_shares = NULL;
    size_t share_words = 0;
    *msg = NULL;
    *len = 0;
    CLAVE_ENSURE(c->state == C_ADVERTISED, CLAVE_ERR_STATE, "secagg client: share out of order");
    c->state = C_FAILED;
    CLAVE_CHECK(clave__sa_decode(&c->p, SA_KEYS, in, in_len, &keys));
    CLAVE_ENSURE(keys.h.recipient == c->id, CLAVE_ERR_FORMAT,
                 "secagg client %u: KEYS addressed to client %u", c->id, keys.h.recipient);
    CLAVE_ENSURE(keys.count >= c->p.share_threshold, CLAVE_ERR_STATE,
                 "secagg client %u: %zu neighbours advertised, threshold %u", c->id, keys.count,
                 c->p.share_threshold);
    for (size_t i = 0; i < keys.count; i++) {
        CLAVE_CHECK(check_neighbour(c, &keys.keys[i]));
    }
    c->nbrs = keys.keys;
    c->nbr_count = keys.count;
    keys.keys = NULL;
    share_words = c->nbr_count * SA_SHARE_ELEMS;
    b_shares = calloc(share_words, sizeof(uint64_t));
    s_shares = calloc(share_words, sizeof(uint64_t));
    CLAVE_ENSURE(b_shares != NULL && s_shares != NULL, CLAVE_ERR_NOMEM, "out of memory");
    CLAVE_CHECK(split_secrets(c, b_shares, s_shares));
    CLAVE_CHECK(new_message(c, SA_SHARES, &out));
    out.ciphers = calloc(c->nbr_count, sizeof(*out.ciphers));
    CLAVE_ENSURE_ALLOC(out.ciphers);
    out.count = c->nbr_count;
    for (size_t i = 0; i < c->nbr_count; i++) {
        CLAVE_CHECK(seal_share(c, i, b_shares, s_shares, &out.ciphers[i]));
    }
    CLAVE_CHECK(clave__sa_encode(&c->p, &out, msg, len));
    c->state = C_SHARED;
    st = CLAVE_OK;
done:
    if (b_shares != NULL) {
        clave_wipe(b_shares, share_words * sizeof(uint64_t));
    }
    if (s_shares != NULL) {
        clave_wipe(s_shares, share_words * sizeof(uint64_t));
    }
    free(b_shares);
    free(s_shares);
    clave__sa_msg_clear(&keys);
    clave__sa_msg_clear(&out);
    return st;
}

static const struct sa_keys *find_nbr(const struct clave_secagg_client *c, uint32_t id)
{
    for (size_t i = 0; i < c->nbr_count; i++) {
        if (c->nbrs[i].id == id) {
            return &c->nbrs[i];
        }
    }
    return NULL;
}

/* Decrypt the shares neighbour `k` sent us and keep them (index `slot`). */
static clave_status open_share(struct clave_secagg_client *c, const struct sa_keys *k,
                               const struct sa_cipher *ct, size_t slot)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t key[SA_AEAD_KEY_LEN];
    uint8_t pt[SA_SHARE_PT_LEN];
    uint8_t nonce[12];
    uint8_t aad[SA_SHARE_AAD_LEN];
    struct clave_aead *aead = NULL;
    struct clave_reader r;
    uint32_t from = 0;
    uint32_t to = 0;
    CLAVE_CHECK(clave__sa_share_key(&c->p, c->c_key, k->c_pk, k->id, c->id, key));
    CLAVE_CHECK(clave_aead_new(CLAVE_AEAD_AES256GCM, key, &aead));
    clave__sa_share_nonce(k->id, c->id, nonce);
    clave__sa_share_aad(&c->p, k->id, c->id, aad);
    CLAVE_CHECK_CTX(clave_aead_open(aead, nonce, aad, sizeof(aad), ct->ct, SA_SHARE_PT_LEN,
                                    ct->ct + SA_SHARE_PT_LEN, pt),
                    "secagg client %u: shares from client %u: ", c->id, k->id);
    clave_reader_init(&r, pt, sizeof(pt));
    CLAVE_CHECK(clave_reader_u32be(&r, &from));
    CLAVE_CHECK(clave_reader_u32be(&r, &to));
    CLAVE_ENSURE(from == k->id && to == c->id, CLAVE_ERR_AUTH,
                 "secagg client %u: share names %u -> %u", c->id, from, to);
    for (size_t i = 0; i < 2 * SA_SHARE_ELEMS; i++) {
        uint64_t *dst = &c->held_shares[slot * 2 * SA_SHARE_ELEMS + i];
        CLAVE_CHECK(clave_reader_u64be(&r, dst));
        CLAVE_ENSURE(*dst < CLAVE_MPC_P61, CLAVE_ERR_FORMAT, "secagg: share not below p");
    }
    c->held[slot] = k->id;
    st = CLAVE_OK;
done:
    clave_aead_free(aead);
    clave_wipe(key, sizeof(key));
    clave_wipe(pt, sizeof(pt));
    return st;
}

/* y = x + PRG(b_u) + sum over held neighbours v of (u > v ? +1 : -1) PRG(s_uv), the streams
 * added in batches (one pass over y per SA_STREAM_BATCH streams). */
/* y (dim words) reduced mod 2^bits and laid out in place as the MASKED words: u64le, or u32le
 * packed into the first half of the buffer when bits <= 32. */
static void pack_masked(const struct clave_secagg_params *p, uint64_t *y)
{
    uint64_t mask = clave__sa_word_mask(p);
    uint8_t *out = (uint8_t *)y;
    size_t width = clave__sa_word_bytes(p);
    for (size_t k = 0; k < p->dim; k++) {
        uint64_t w = y[k] & mask; /* read word k before bytes 4k.. may overwrite it (4k <= 8k) */
        for (size_t b = 0; b < width; b++) {
            out[k * width + b] = (uint8_t)(w >> (8 * b));
        }
    }
}

static clave_status mask_input(struct clave_secagg_client *c, const uint64_t *input, uint64_t *y)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct sa_streams batch = {.acc = y, .dim = c->p.dim, .width = clave__sa_word_bytes(&c->p)};
    struct clave__prg *prg = NULL;
    struct clave__prg *taken = NULL; /* handed to the batch, which owns it from then on */
    EVP_PKEY_CTX *derive = NULL;
    EVP_PKEY *peer = NULL;
    memcpy(y, input, (size_t)c->p.dim * sizeof(uint64_t));
    CLAVE_CHECK(clave__sa_self_prg(&c->p, clave_secret_cdata(c->secret) + SEC_B, c->id, &prg));
    taken = prg;
    prg = NULL;
    CLAVE_CHECK(clave__sa_streams_add(&batch, taken, 1));
    CLAVE_CHECK(clave__sa_derive_ctx(c->s_key, &derive));
    for (size_t i = 0; i < c->held_count; i++) {
        const struct sa_keys *k = find_nbr(c, c->held[i]);
        CLAVE_ENSURE(k != NULL, CLAVE_ERR_INTERNAL, "secagg: held share of unknown client");
        CLAVE_CHECK(clave__sa_x25519_public(k->s_pk, &peer));
        CLAVE_CHECK(clave__sa_pair_prg(&c->p, derive, peer, c->id, k->id, &prg));
        EVP_PKEY_free(peer);
        peer = NULL;
        taken = prg;
        prg = NULL;
        CLAVE_CHECK(clave__sa_streams_add(&batch, taken, c->id > k->id ? 1 : -1));
    }
    CLAVE_CHECK(clave__sa_streams_flush(&batch));
    pack_masked(&c->p, y);
    st = CLAVE_OK;
done:
    clave__sa_streams_clear(&batch);
    clave__prg_free(prg);
    EVP_PKEY_free(peer);
    EVP_PKEY_CTX_free(derive);
    return st;
}

clave_status clave_secagg_client_masked_input(struct clave_secagg_client *c, const uint8_t *in,
                                              size_t in_len, const uint64_t *input, uint8_t **msg,
                                              size_t *len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct sa_msg fwd = {0};
    struct sa_msg out = {0};
    uint64_t *y = NULL;
    *msg = NULL;
    *len = 0;
    CLAVE_ENSURE(c->state == C_SHARED, CLAVE_ERR_STATE, "secagg client: input out of order");
    CLAVE_ENSURE(input != NULL, CLAVE_ERR_ARG, "secagg client: NULL input");
    uint64_t allowed = clave__sa_input_mask(&c->p);
    for (size_t k = 0; k < c->p.dim; k++) {
        CLAVE_ENSURE((input[k] & ~allowed) == 0, CLAVE_ERR_ARG,
                     "secagg client: input word %zu is not below 2^%u", k,
                     c->p.input_bits != 0 ? c->p.input_bits : clave__sa_bits(&c->p));
    }
    c->state = C_FAILED;
    CLAVE_CHECK(clave__sa_decode(&c->p, SA_FORWARD, in, in_len, &fwd));
    CLAVE_ENSURE(fwd.h.recipient == c->id, CLAVE_ERR_FORMAT,
                 "secagg client %u: FORWARD addressed to client %u", c->id, fwd.h.recipient);
    CLAVE_ENSURE(fwd.count >= c->p.share_threshold, CLAVE_ERR_STATE,
                 "secagg client %u: %zu neighbours shared, threshold %u", c->id, fwd.count,
                 c->p.share_threshold);
    c->held = calloc(fwd.count, sizeof(uint32_t));
    c->held_shares = calloc(fwd.count * 2 * SA_SHARE_ELEMS, sizeof(uint64_t));
    CLAVE_ENSURE(c->held != NULL && c->held_shares != NULL, CLAVE_ERR_NOMEM, "out of memory");
    c->held_cap = fwd.count;
    for (size_t i = 0; i < fwd.count; i++) {
        const struct sa_keys *k = find_nbr(c, fwd.ciphers[i].peer);
        CLAVE_ENSURE(k != NULL, CLAVE_ERR_FORMAT,
                     "secagg client %u: shares from client %u, which did not advertise to us",
                     c->id, fwd.ciphers[i].peer);
        CLAVE_CHECK(open_share(c, k, &fwd.ciphers[i], i));
        c->held_count = i + 1;
    }
    y = malloc((size_t)c->p.dim * sizeof(uint64_t));
    CLAVE_ENSURE_ALLOC(y);
    CLAVE_CHECK(mask_input(c, input, y));
    CLAVE_CHECK(new_message(c, SA_MASKED, &out));
    out.vector = (const uint8_t *)y;
    CLAVE_CHECK(clave__sa_encode(&c->p, &out, msg, len));
    c->state = C_MASKED;
    st = CLAVE_OK;
done:
    free(y);
    clave__sa_msg_clear(&fwd);
    return st;
}

clave_status clave_secagg_client_unmask(struct clave_secagg_client *c, const uint8_t *in,
                                        size_t in_len, uint8_t **msg, size_t *len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct sa_msg req = {0};
    struct sa_msg out = {0};
    *msg = NULL;
    *len = 0;
    CLAVE_ENSURE(c->state == C_MASKED, CLAVE_ERR_STATE, "secagg client: unmask out of order");
    c->state = C_FAILED;
    CLAVE_CHECK(clave__sa_decode(&c->p, SA_UNMASK_REQUEST, in, in_len, &req));
    CLAVE_ENSURE(req.h.recipient == c->id, CLAVE_ERR_FORMAT,
                 "secagg client %u: request addressed to client %u", c->id, req.h.recipient);
    for (size_t i = 0; i < req.count; i++) {
        CLAVE_ENSURE(in_sorted(c->held, c->held_count, req.ids[i]), CLAVE_ERR_FORMAT,
                     "secagg client %u: survivor %u is not a neighbour in the round", c->id,
                     req.ids[i]);
    }
    CLAVE_CHECK(new_message(c, SA_UNMASK, &out));
    out.shares = calloc(c->held_count + 1, sizeof(*out.shares));
    CLAVE_ENSURE_ALLOC(out.shares);
    out.count = c->held_count;
    for (size_t i = 0; i < c->held_count; i++) {
        bool survived = in_sorted(req.ids, req.count, c->held[i]);
        const uint64_t *src = c->held_shares + i * 2 * SA_SHARE_ELEMS;
        out.shares[i].owner = c->held[i];
        out.shares[i].kind = survived ? SA_KIND_SELF_MASK : SA_KIND_MASK_KEY;
        memcpy(out.shares[i].share, survived ? src : src + SA_SHARE_ELEMS,
               sizeof(out.shares[i].share));
    }
    CLAVE_CHECK(clave__sa_encode(&c->p, &out, msg, len));
    c->state = C_DONE;
    st = CLAVE_OK;
done:
    clave__sa_msg_clear(&req);
    clave__sa_msg_clear(&out);
    return st;
}

void clave_secagg_client_free(struct clave_secagg_client *c)
{
    if (c == NULL) {
        return;
    }
    clave_secret_free(c->secret);
    clave_pkey_free(c->c_key);
    clave_pkey_free(c->s_key);
    free(c->graph_nbrs);
    free(c->nbrs);
    free(c->held);
    if (c->held_shares != NULL) {
        clave_wipe(c->held_shares, c->held_cap * 2 * SA_SHARE_ELEMS * sizeof(uint64_t));
        free(c->held_shares);
    }
    free(c);
}
