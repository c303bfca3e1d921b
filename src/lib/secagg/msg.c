/* SPDX-License-Identifier: Apache-2.0 */
/* SecAgg wire messages: see docs/formats/secagg.md for the layouts quoted below. */
#include "secagg/msg.h"

#include "core/check.h"

#include <clave/buf.h>
#include <clave/mpc.h>
#include <clave/secret.h>
#include <stdlib.h>
#include <string.h>

#define SA_SIGN_LABEL "clave secagg v1 keys\0\0\0\0" /* 24 bytes, NUL-padded */

static bool from_client(uint8_t type)
{
    return type == SA_ADVERTISE || type == SA_SHARES || type == SA_MASKED || type == SA_UNMASK;
}

/*
 * Header (26 bytes): u8 version (2) | u8 type | session_id[16] | u32be sender | u32be recipient.
 * Client messages go to the server (recipient 0) from a client id 1..n; server messages the
 * other way round.
 */
static clave_status read_header(struct clave_reader *r, const struct clave_secagg_params *p,
                                uint8_t type, struct sa_header *h)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t version = 0;
    const uint8_t *session = NULL;
    CLAVE_CHECK(clave_reader_u8(r, &version));
    CLAVE_ENSURE(version == CLAVE_SECAGG_VERSION, CLAVE_ERR_UNSUPPORTED,
                 "secagg: message version %u", version);
    CLAVE_CHECK(clave_reader_u8(r, &h->type));
    CLAVE_ENSURE(h->type == type, CLAVE_ERR_FORMAT, "secagg: message type %u where %u expected",
                 h->type, type);
    CLAVE_CHECK(clave_reader_view(r, CLAVE_SECAGG_SESSION_ID_LEN, &session));
    CLAVE_ENSURE(memcmp(session, p->session_id, CLAVE_SECAGG_SESSION_ID_LEN) == 0, // lint:public
                 CLAVE_ERR_FORMAT, "secagg: message of another session");
    CLAVE_CHECK(clave_reader_u32be(r, &h->sender));
    CLAVE_CHECK(clave_reader_u32be(r, &h->recipient));
    uint32_t client = from_client(type) ? h->sender : h->recipient;
    uint32_t server = from_client(type) ? h->recipient : h->sender;
    CLAVE_ENSURE(server == SA_SERVER_ID && client >= 1 && client <= p->client_count,
                 CLAVE_ERR_FORMAT, "secagg: sender %u / recipient %u invalid for type %u",
                 h->sender, h->recipient, type);
    st = CLAVE_OK;
done:
    return st;
}

/* u16be count, at most the degree; then `entry_len`-byte entries that must all be present. */
static clave_status read_count(struct clave_reader *r, const struct clave_secagg_params *p,
                               size_t entry_len, size_t *count)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint16_t n = 0;
    CLAVE_CHECK(clave_reader_u16be(r, &n));
    CLAVE_ENSURE(n <= p->degree, CLAVE_ERR_TOO_LARGE, "secagg: %u entries for degree %u", n,
                 p->degree);
    CLAVE_ENSURE((size_t)n * entry_len == clave_reader_remaining(r), CLAVE_ERR_TRUNCATED,
                 "secagg: %u entries need %zu bytes, %zu present", n, (size_t)n * entry_len,
                 clave_reader_remaining(r));
    *count = n;
    st = CLAVE_OK;
done:
    return st;
}

/* Entry ids: a client id other than `self`, strictly above the previous one. */
static clave_status check_id(const struct clave_secagg_params *p, uint32_t id, uint32_t prev,
                             uint32_t self)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(id >= 1 && id <= p->client_count && id != self, CLAVE_ERR_FORMAT,
                 "secagg: entry names client %u", id);
    CLAVE_ENSURE(id > prev, CLAVE_ERR_FORMAT,
                 "secagg: entries not in strictly ascending order (%u after %u)", id, prev);
    st = CLAVE_OK;
done:
    return st;
}

static clave_status read_keys(struct clave_reader *r, struct sa_keys *k)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_CHECK(clave_reader_bytes(r, k->c_pk, SA_PK_LEN));
    CLAVE_CHECK(clave_reader_bytes(r, k->s_pk, SA_PK_LEN));
    CLAVE_CHECK(clave_reader_bytes(r, k->sig, SA_SIG_LEN));
    st = CLAVE_OK;
done:
    return st;
}

/* KEYS body: u16be count | count x (u32be id | c_pk[32] | s_pk[32] | sig[64]). */
static clave_status read_keys_list(struct clave_reader *r, const struct clave_secagg_params *p,
                                   struct sa_msg *m)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint32_t prev = 0;
    CLAVE_CHECK(read_count(r, p, SA_KEYS_ENTRY_LEN, &m->count));
    m->keys = calloc(m->count + 1, sizeof(*m->keys));
    CLAVE_ENSURE_ALLOC(m->keys);
    for (size_t i = 0; i < m->count; i++) {
        CLAVE_CHECK(clave_reader_u32be(r, &m->keys[i].id));
        CLAVE_CHECK(check_id(p, m->keys[i].id, prev, m->h.recipient));
        prev = m->keys[i].id;
        CLAVE_CHECK(read_keys(r, &m->keys[i]));
    }
    st = CLAVE_OK;
done:
    return st;
}

/* SHARES / FORWARD body: u16be count | count x (u32be peer | ciphertext[104]). */
static clave_status read_ciphers(struct clave_reader *r, const struct clave_secagg_params *p,
                                 struct sa_msg *m)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint32_t prev = 0;
    uint32_t self = m->h.type == SA_SHARES ? m->h.sender : m->h.recipient;
    CLAVE_CHECK(read_count(r, p, SA_CIPHER_ENTRY_LEN, &m->count));
    m->ciphers = calloc(m->count + 1, sizeof(*m->ciphers));
    CLAVE_ENSURE_ALLOC(m->ciphers);
    for (size_t i = 0; i < m->count; i++) {
        CLAVE_CHECK(clave_reader_u32be(r, &m->ciphers[i].peer));
        CLAVE_CHECK(check_id(p, m->ciphers[i].peer, prev, self));
        prev = m->ciphers[i].peer;
        CLAVE_CHECK(clave_reader_bytes(r, m->ciphers[i].ct, SA_SHARE_CT_LEN));
    }
    st = CLAVE_OK;
done:
    return st;
}

/* The first word of `v` (`n` words of `width` bytes, little-endian) above `mask`, or n. */
static size_t first_out_of_range(const uint8_t *v, size_t n, size_t width, uint64_t mask)
{
    for (size_t k = 0; k < n; k++) {
        uint64_t w = 0;
        for (size_t b = 0; b < width; b++) {
            w |= (uint64_t)v[k * width + b] << (8 * b);
        }
        if ((w & ~mask) != 0) {
            return k;
        }
    }
    return n;
}

/* MASKED body: u32be dim (= params.dim) | dim x u32le (bits <= 32) or u64le, each < 2^bits. */
static clave_status read_masked(struct clave_reader *r, const struct clave_secagg_params *p,
                                struct sa_msg *m)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint32_t dim = 0;
    size_t width = clave__sa_word_bytes(p);
    unsigned bits = clave__sa_bits(p);
    CLAVE_CHECK(clave_reader_u32be(r, &dim));
    CLAVE_ENSURE(dim == p->dim, CLAVE_ERR_FORMAT, "secagg: vector of %u words, session has %u", dim,
                 p->dim);
    CLAVE_CHECK(clave_reader_view(r, (size_t)dim * width, &m->vector));
    if (bits != 32 && bits != 64) {
        size_t bad = first_out_of_range(m->vector, dim, width, clave__sa_word_mask(p));
        CLAVE_ENSURE(bad == dim, CLAVE_ERR_FORMAT, "secagg: masked word %zu is not below 2^%u", bad,
                     bits);
    }
    st = CLAVE_OK;
done:
    return st;
}

/* UNMASK_REQUEST body: u32be survivors_total | u16be count | count x u32be id. */
static clave_status read_request(struct clave_reader *r, const struct clave_secagg_params *p,
                                 struct sa_msg *m)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint32_t prev = 0;
    CLAVE_CHECK(clave_reader_u32be(r, &m->survivors_total));
    CLAVE_ENSURE(m->survivors_total >= p->min_clients && m->survivors_total <= p->client_count,
                 CLAVE_ERR_FORMAT, "secagg: %u survivors (need %u..%u)", m->survivors_total,
                 p->min_clients, p->client_count);
    CLAVE_CHECK(read_count(r, p, 4, &m->count));
    m->ids = calloc(m->count + 1, sizeof(*m->ids));
    CLAVE_ENSURE_ALLOC(m->ids);
    for (size_t i = 0; i < m->count; i++) {
        CLAVE_CHECK(clave_reader_u32be(r, &m->ids[i]));
        CLAVE_CHECK(check_id(p, m->ids[i], prev, m->h.recipient));
        prev = m->ids[i];
    }
    st = CLAVE_OK;
done:
    return st;
}

/* UNMASK body: u16be count | count x (u32be owner | u8 kind (1 b, 2 s^SK) | 5 x u64be share). */
static clave_status read_unmask(struct clave_reader *r, const struct clave_secagg_params *p,
                                struct sa_msg *m)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint32_t prev = 0;
    CLAVE_CHECK(read_count(r, p, SA_UNMASK_ENTRY_LEN, &m->count));
    m->shares = calloc(m->count + 1, sizeof(*m->shares));
    CLAVE_ENSURE_ALLOC(m->shares);
    for (size_t i = 0; i < m->count; i++) {
        struct sa_unmask_entry *e = &m->shares[i];
        CLAVE_CHECK(clave_reader_u32be(r, &e->owner));
        CLAVE_CHECK(check_id(p, e->owner, prev, m->h.sender));
        prev = e->owner;
        CLAVE_CHECK(clave_reader_u8(r, &e->kind));
        CLAVE_ENSURE(e->kind == SA_KIND_SELF_MASK || e->kind == SA_KIND_MASK_KEY, CLAVE_ERR_FORMAT,
                     "secagg: share kind %u", e->kind);
        for (size_t k = 0; k < SA_SHARE_ELEMS; k++) {
            CLAVE_CHECK(clave_reader_u64be(r, &e->share[k]));
            CLAVE_ENSURE(e->share[k] < CLAVE_MPC_P61, CLAVE_ERR_FORMAT,
                         "secagg: share element not below p");
        }
    }
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave__sa_decode(const struct clave_secagg_params *p, uint8_t type, const uint8_t *msg,
                              size_t len, struct sa_msg *m)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_reader r;
    memset(m, 0, sizeof(*m));
    CLAVE_ENSURE(msg != NULL || len == 0, CLAVE_ERR_ARG, "secagg: NULL message");
    clave_reader_init(&r, msg, len);
    CLAVE_CHECK_CTX(read_header(&r, p, type, &m->h), "secagg header: ");
    switch (type) {
    case SA_ADVERTISE: /* body: c_pk[32] | s_pk[32] | sig[64] */
        m->adv.id = m->h.sender;
        CLAVE_CHECK(read_keys(&r, &m->adv));
        break;
    case SA_KEYS:
        CLAVE_CHECK(read_keys_list(&r, p, m));
        break;
    case SA_SHARES:
    case SA_FORWARD:
        CLAVE_CHECK(read_ciphers(&r, p, m));
        break;
    case SA_MASKED:
        CLAVE_CHECK(read_masked(&r, p, m));
        break;
    case SA_UNMASK_REQUEST:
        CLAVE_CHECK(read_request(&r, p, m));
        break;
    case SA_UNMASK:
        CLAVE_CHECK(read_unmask(&r, p, m));
        break;
    default:
        CLAVE_RAISE(CLAVE_ERR_ARG, "secagg: unknown message type %u", type);
    }
    CLAVE_CHECK(clave_reader_expect_end(&r));
    st = CLAVE_OK;
done:
    if (st != CLAVE_OK) {
        clave__sa_msg_clear(m);
    }
    return st;
}

void clave__sa_msg_clear(struct sa_msg *m)
{
    free(m->keys);
    free(m->ciphers);
    if (m->shares != NULL) {
        clave_wipe(m->shares, m->count * sizeof(*m->shares));
        free(m->shares);
    }
    free(m->ids);
    memset(m, 0, sizeof(*m));
}

static size_t body_len(const struct clave_secagg_params *p, const struct sa_msg *m)
{
    switch (m->h.type) {
    case SA_ADVERTISE:
        return 2 * SA_PK_LEN + SA_SIG_LEN;
    case SA_KEYS:
        return 2 + m->count * SA_KEYS_ENTRY_LEN;
    case SA_SHARES:
    case SA_FORWARD:
        return 2 + m->count * SA_CIPHER_ENTRY_LEN;
    case SA_MASKED:
        return 4 + (size_t)p->dim * clave__sa_word_bytes(p);
    case SA_UNMASK_REQUEST:
        return 4 + 2 + m->count * 4;
    default:
        return 2 + m->count * SA_UNMASK_ENTRY_LEN;
    }
}

static clave_status write_body(struct clave_writer *w, const struct clave_secagg_params *p,
                               const struct sa_msg *m)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    if (m->h.type == SA_ADVERTISE) {
        CLAVE_CHECK(clave_writer_bytes(w, m->adv.c_pk, SA_PK_LEN));
        CLAVE_CHECK(clave_writer_bytes(w, m->adv.s_pk, SA_PK_LEN));
        CLAVE_CHECK(clave_writer_bytes(w, m->adv.sig, SA_SIG_LEN));
    } else if (m->h.type == SA_MASKED) {
        CLAVE_CHECK(clave_writer_u32be(w, p->dim));
        CLAVE_CHECK(clave_writer_bytes(w, m->vector, (size_t)p->dim * clave__sa_word_bytes(p)));
    } else {
        if (m->h.type == SA_UNMASK_REQUEST) {
            CLAVE_CHECK(clave_writer_u32be(w, m->survivors_total));
        }
        CLAVE_CHECK(clave_writer_u16be(w, (uint16_t)m->count));
        for (size_t i = 0; i < m->count; i++) {
            if (m->h.type == SA_KEYS) {
                CLAVE_CHECK(clave_writer_u32be(w, m->keys[i].id));
                CLAVE_CHECK(clave_writer_bytes(w, m->keys[i].c_pk, SA_PK_LEN));
                CLAVE_CHECK(clave_writer_bytes(w, m->keys[i].s_pk, SA_PK_LEN));
                CLAVE_CHECK(clave_writer_bytes(w, m->keys[i].sig, SA_SIG_LEN));
            } else if (m->h.type == SA_SHARES || m->h.type == SA_FORWARD) {
                CLAVE_CHECK(clave_writer_u32be(w, m->ciphers[i].peer));
                CLAVE_CHECK(clave_writer_bytes(w, m->ciphers[i].ct, SA_SHARE_CT_LEN));
            } else if (m->h.type == SA_UNMASK_REQUEST) {
                CLAVE_CHECK(clave_writer_u32be(w, m->ids[i]));
            } else {
                CLAVE_CHECK(clave_writer_u32be(w, m->shares[i].owner));
                CLAVE_CHECK(clave_writer_u8(w, m->shares[i].kind));
                for (size_t k = 0; k < SA_SHARE_ELEMS; k++) {
                    CLAVE_CHECK(clave_writer_u64be(w, m->shares[i].share[k]));
                }
            }
        }
    }
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave__sa_encode(const struct clave_secagg_params *p, const struct sa_msg *m,
                              uint8_t **out, size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_writer w;
    uint8_t *buf = NULL;
    size_t len = 0;
    *out = NULL;
    *out_len = 0;
    CLAVE_ENSURE(m->h.type >= SA_ADVERTISE && m->h.type <= SA_UNMASK && m->count <= UINT16_MAX,
                 CLAVE_ERR_INTERNAL, "secagg: cannot encode message type %u", m->h.type);
    len = SA_HEADER_LEN + body_len(p, m);
    buf = malloc(len);
    CLAVE_ENSURE_ALLOC(buf);
    clave_writer_init(&w, buf, len);
    CLAVE_CHECK(clave_writer_u8(&w, CLAVE_SECAGG_VERSION));
    CLAVE_CHECK(clave_writer_u8(&w, m->h.type));
    CLAVE_CHECK(clave_writer_bytes(&w, p->session_id, CLAVE_SECAGG_SESSION_ID_LEN));
    CLAVE_CHECK(clave_writer_u32be(&w, m->h.sender));
    CLAVE_CHECK(clave_writer_u32be(&w, m->h.recipient));
    CLAVE_CHECK(write_body(&w, p, m));
    CLAVE_ENSURE(w.len == len, CLAVE_ERR_INTERNAL, "secagg: encoded length mismatch");
    *out = buf;
    *out_len = len;
    buf = NULL;
    st = CLAVE_OK;
done:
    free(buf);
    return st;
}

static void put_u32be(uint8_t *out, uint32_t v)
{
    out[0] = (uint8_t)(v >> 24);
    out[1] = (uint8_t)(v >> 16);
    out[2] = (uint8_t)(v >> 8);
    out[3] = (uint8_t)v;
}

void clave__sa_signed_bytes(const struct clave_secagg_params *p, const struct sa_keys *k,
                            uint8_t out[SA_SIGNED_LEN])
{
    size_t at = 0;
    memcpy(out, SA_SIGN_LABEL, 24);
    at += 24;
    memcpy(out + at, p->session_id, CLAVE_SECAGG_SESSION_ID_LEN);
    at += CLAVE_SECAGG_SESSION_ID_LEN;
    put_u32be(out + at, k->id);
    at += 4;
    memcpy(out + at, k->c_pk, SA_PK_LEN);
    at += SA_PK_LEN;
    memcpy(out + at, k->s_pk, SA_PK_LEN);
}

void clave__sa_share_aad(const struct clave_secagg_params *p, uint32_t from, uint32_t to,
                         uint8_t out[SA_SHARE_AAD_LEN])
{
    memcpy(out, p->session_id, CLAVE_SECAGG_SESSION_ID_LEN);
    put_u32be(out + CLAVE_SECAGG_SESSION_ID_LEN, from);
    put_u32be(out + CLAVE_SECAGG_SESSION_ID_LEN + 4, to);
}
