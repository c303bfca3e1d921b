/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SecAgg against hostile messages: truncation at every offset and bit flips of every message
 * type, replays, reordering, duplicates, wrong rounds, wrong sessions, shares in someone else's
 * name, a server substituting signed keys or swapping ciphertexts; and a statistical check that a
 * single masked vector looks uniform.
 */
#include "testlib.h"

#include "secagg/msg.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define N 8
#define DIM 16
#define BIG_DIM 4096

struct harness {
    struct clave_secagg_params p;
    struct clave_pkey *ids[N];
    struct clave_secagg_client *c[N];
    struct clave_secagg_server *s;
    uint8_t *msg[N]; /* each client's last message */
    size_t len[N];
};

static void h_init_bits(struct harness *h, uint32_t degree, uint32_t dim, uint32_t bits,
                        uint32_t input_bits)
{
    memset(h, 0, sizeof(*h));
    h->p.bits = bits;
    h->p.input_bits = input_bits;
    h->p.client_count = N;
    h->p.degree = degree;
    h->p.share_threshold = degree / 2 + 1;
    h->p.min_clients = 3;
    h->p.dim = dim;
    T_OK(clave_random(h->p.session_id, sizeof(h->p.session_id)));
    T_OK(clave_random(h->p.graph_seed, sizeof(h->p.graph_seed)));
    for (size_t i = 0; i < N; i++) {
        T_OK(clave_pkey_generate(CLAVE_PKEY_ED25519, &h->ids[i]));
    }
    for (uint32_t i = 0; i < N; i++) {
        T_OK(clave_secagg_client_new(&h->p, i + 1, h->ids[i],
                                     (const struct clave_pkey *const *)h->ids, &h->c[i]));
    }
    T_OK(clave_secagg_server_new(&h->p, (const struct clave_pkey *const *)h->ids, &h->s));
}

static void h_init(struct harness *h, uint32_t degree, uint32_t dim)
{
    h_init_bits(h, degree, dim, 0, 0);
}

static void h_free(struct harness *h)
{
    for (size_t i = 0; i < N; i++) {
        clave_secagg_client_free(h->c[i]);
        clave_pkey_free(h->ids[i]);
        free(h->msg[i]);
    }
    clave_secagg_server_free(h->s);
}

/* Every client produces its message for round r (from the server's message), not yet sent. */
static void h_produce(struct harness *h, int r, const uint64_t *input)
{
    for (uint32_t i = 0; i < N; i++) {
        uint8_t *in = NULL;
        size_t in_len = 0;
        free(h->msg[i]);
        h->msg[i] = NULL;
        if (r > 1) {
            T_OK(clave_secagg_server_message(h->s, i + 1, &in, &in_len));
        }
        if (r == 1) {
            T_OK(clave_secagg_client_advertise(h->c[i], &h->msg[i], &h->len[i]));
        } else if (r == 2) {
            T_OK(clave_secagg_client_share_keys(h->c[i], in, in_len, &h->msg[i], &h->len[i]));
        } else if (r == 3) {
            T_OK(clave_secagg_client_masked_input(h->c[i], in, in_len, input, &h->msg[i],
                                                  &h->len[i]));
        } else {
            T_OK(clave_secagg_client_unmask(h->c[i], in, in_len, &h->msg[i], &h->len[i]));
        }
        free(in);
    }
}

static void h_deliver_all(struct harness *h)
{
    for (size_t i = 0; i < N; i++) {
        T_OK(clave_secagg_server_receive(h->s, h->msg[i], h->len[i]));
    }
    T_OK(clave_secagg_server_close_round(h->s));
}

/* Every truncation and every single-bit flip of client i's message is refused without effect;
 * then the intact message is accepted. Bit flips inside a masked vector are undetectable by
 * design (no MAC on the input), so `flip_limit` bounds the flipped prefix. */
static void hostile_then_accept(struct harness *h, size_t i, size_t flip_limit, bool flip_sender)
{
    uint8_t *copy = malloc(h->len[i]);
    size_t heard = clave_secagg_server_heard(h->s);
    assert_non_null(copy);
    for (size_t cut = 0; cut < h->len[i]; cut++) {
        assert_int_not_equal(clave_secagg_server_receive(h->s, h->msg[i], cut), CLAVE_OK);
    }
    for (size_t bit = 0; bit < 8 * flip_limit && bit < 8 * h->len[i]; bit++) {
        if (!flip_sender && bit / 8 >= SA_HEADER_LEN - 8 && bit / 8 < SA_HEADER_LEN - 4) {
            continue;
        }
        memcpy(copy, h->msg[i], h->len[i]);
        copy[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        clave_status st = clave_secagg_server_receive(h->s, copy, h->len[i]);
        if (st == CLAVE_OK) {
            fail_msg("flipped bit %zu of client %zu's message was accepted", bit, i);
        }
    }
    assert_int_equal(clave_secagg_server_heard(h->s), heard);
    free(copy);
    T_OK(clave_secagg_server_receive(h->s, h->msg[i], h->len[i]));
}

static void test_hostile_every_round(void **state)
{
    (void)state;
    struct harness h;
    uint64_t input[DIM] = {1, 2, 3};
    h_init(&h, N - 1, DIM);
    for (int r = 1; r <= 4; r++) {
        h_produce(&h, r, input);
        /* The server cannot authenticate what only a recipient can check: ciphertexts (round 2,
         * checked by the recipient's AES-GCM), the masked vector (round 3) and share values
         * (round 4, checked by the Shamir consistency check): flip the framing there. */
        static const size_t FRAMING[] = {0, 0, SA_HEADER_LEN + 2 + 4, SA_HEADER_LEN + 4,
                                         SA_HEADER_LEN + 2 + 4 + 1};
        /* A masked input under another client's id is well-formed: binding the sender id to the
         * sender is the authenticated transport's job (docs/secagg.md, threat model). */
        hostile_then_accept(&h, 0, r == 1 ? h.len[0] : FRAMING[r], r != 3);
        /* A replay of an accepted message is refused. */
        T_ERR(clave_secagg_server_receive(h.s, h.msg[0], h.len[0]), CLAVE_ERR_EXISTS);
        for (size_t i = 1; i < N; i++) {
            T_OK(clave_secagg_server_receive(h.s, h.msg[i], h.len[i]));
        }
        /* A message of this round arriving after it closed is refused as out of round. */
        T_OK(clave_secagg_server_close_round(h.s));
        clave_status st = clave_secagg_server_receive(h.s, h.msg[1], h.len[1]);
        assert_true(st == CLAVE_ERR_STATE);
    }
    assert_int_equal(clave_secagg_server_round(h.s), CLAVE_SECAGG_ROUND_DONE);
    uint64_t sum[DIM];
    T_OK(clave_secagg_server_result(h.s, sum, DIM));
    assert_int_equal(sum[0], N * 1);
    assert_int_equal(sum[2], N * 3);
    h_free(&h);
}

static void test_reordered_and_foreign(void **state)
{
    (void)state;
    struct harness h, other;
    uint64_t input[DIM] = {0};
    h_init(&h, N - 1, DIM);
    h_init(&other, N - 1, DIM);
    h_produce(&other, 1, input);
    h_produce(&h, 1, input);
    /* Another session's advertisement (right sender and format) is refused. */
    T_ERR(clave_secagg_server_receive(h.s, other.msg[0], other.len[0]), CLAVE_ERR_FORMAT);
    h_deliver_all(&h);
    /* An advertisement arriving in round 2 is out of round. */
    T_ERR(clave_secagg_server_receive(h.s, h.msg[0], h.len[0]), CLAVE_ERR_STATE);
    h_produce(&h, 2, input);
    /* Client 2's shares presented as client 3's: its entries name client 3 itself and skip
     * client 2, so they are not shares for client 3's neighbours. */
    uint8_t *forged = malloc(h.len[1]);
    assert_non_null(forged);
    memcpy(forged, h.msg[1], h.len[1]);
    forged[SA_HEADER_LEN - 5] = 3; /* sender (u32be at offset 18) low byte: 2 -> 3 */
    T_ERR(clave_secagg_server_receive(h.s, forged, h.len[1]), CLAVE_ERR_FORMAT);
    /* A duplicated entry: the second entry's recipient equals the first's. */
    memcpy(forged, h.msg[1], h.len[1]);
    memcpy(forged + SA_HEADER_LEN + 2 + SA_CIPHER_ENTRY_LEN, forged + SA_HEADER_LEN + 2, 4);
    T_ERR(clave_secagg_server_receive(h.s, forged, h.len[1]), CLAVE_ERR_FORMAT);
    free(forged);
    /* A masked-input message during ShareKeys is out of round. */
    uint8_t early[SA_HEADER_LEN + 4] = {CLAVE_SECAGG_VERSION, SA_MASKED};
    T_ERR(clave_secagg_server_receive(h.s, early, sizeof(early)), CLAVE_ERR_STATE);
    h_free(&h);
    h_free(&other);
}

static void test_shares_for_non_neighbour(void **state)
{
    (void)state;
    struct harness h;
    uint64_t input[DIM] = {0};
    uint32_t nb[N];
    size_t count = 0;
    h_init(&h, 4, DIM); /* sparse: each client has 4 of the 7 others as neighbours */
    h_produce(&h, 1, input);
    h_deliver_all(&h);
    h_produce(&h, 2, input);
    T_OK(clave_secagg_neighbours(&h.p, 1, nb, N, &count));
    uint32_t stranger = 0;
    for (uint32_t v = 2; v <= N && stranger == 0; v++) {
        int is_nb = 0;
        for (size_t j = 0; j < count; j++) {
            is_nb |= nb[j] == v;
        }
        stranger = is_nb ? 0 : v;
    }
    assert_int_not_equal(stranger, 0);
    /* Re-address client 1's last share to a non-neighbour above every neighbour id, keeping
     * ascending order: the server refuses shares for someone outside the neighbourhood. */
    uint8_t *forged = malloc(h.len[0]);
    assert_non_null(forged);
    memcpy(forged, h.msg[0], h.len[0]);
    size_t last = SA_HEADER_LEN + 2 + (count - 1) * SA_CIPHER_ENTRY_LEN;
    if (stranger > nb[count - 1]) {
        forged[last + 3] = (uint8_t)stranger;
        T_ERR(clave_secagg_server_receive(h.s, forged, h.len[0]), CLAVE_ERR_FORMAT);
    }
    forged[last + 3] = 1; /* a share for itself */
    assert_int_not_equal(clave_secagg_server_receive(h.s, forged, h.len[0]), CLAVE_OK);
    free(forged);
    h_free(&h);
}

static void test_server_substitutes_keys(void **state)
{
    (void)state;
    struct harness h;
    uint64_t input[DIM] = {0};
    uint8_t *keys = NULL, *out = NULL;
    size_t keys_len = 0, out_len = 0;
    h_init(&h, N - 1, DIM);
    h_produce(&h, 1, input);
    h_deliver_all(&h);
    T_OK(clave_secagg_server_message(h.s, 1, &keys, &keys_len));
    /* A man-in-the-middle server replaces client 2's mask key s_pk with its own. */
    struct clave_pkey *mitm = NULL;
    uint8_t pk[32];
    size_t pk_len = 0;
    T_OK(clave_pkey_generate(CLAVE_PKEY_X25519, &mitm));
    T_OK(clave_pkey_export_raw_public(mitm, pk, sizeof(pk), &pk_len));
    memcpy(keys + SA_HEADER_LEN + 2 + 4 + SA_PK_LEN, pk, SA_PK_LEN);
    T_ERR(clave_secagg_client_share_keys(h.c[0], keys, keys_len, &out, &out_len),
          CLAVE_ERR_SIGNATURE);
    assert_null(out);
    /* The client is now unusable: no second chance with the genuine message. */
    free(keys);
    T_OK(clave_secagg_server_message(h.s, 1, &keys, &keys_len));
    T_ERR(clave_secagg_client_share_keys(h.c[0], keys, keys_len, &out, &out_len), CLAVE_ERR_STATE);
    /* Client 2's KEYS message with client 3's entry re-signed by another identity key. */
    free(keys);
    T_OK(clave_secagg_server_message(h.s, 2, &keys, &keys_len));
    struct clave_pkey *other = NULL;
    T_OK(clave_pkey_generate(CLAVE_PKEY_ED25519, &other));
    struct sa_keys k;
    size_t at = SA_HEADER_LEN + 2 + SA_KEYS_ENTRY_LEN; /* entry 2: client 3 */
    k.id = 3;
    memcpy(k.c_pk, keys + at + 4, SA_PK_LEN);
    memcpy(k.s_pk, pk, SA_PK_LEN);
    uint8_t tbs[SA_SIGNED_LEN];
    clave__sa_signed_bytes(&h.p, &k, tbs);
    memcpy(keys + at + 4 + SA_PK_LEN, pk, SA_PK_LEN);
    T_OK(clave_ed25519_sign(other, tbs, sizeof(tbs), keys + at + 4 + 2 * SA_PK_LEN));
    T_ERR(clave_secagg_client_share_keys(h.c[1], keys, keys_len, &out, &out_len),
          CLAVE_ERR_SIGNATURE);
    free(keys);
    /* KEYS addressed to client 4 handed to client 3. */
    T_OK(clave_secagg_server_message(h.s, 4, &keys, &keys_len));
    T_ERR(clave_secagg_client_share_keys(h.c[2], keys, keys_len, &out, &out_len), CLAVE_ERR_FORMAT);
    free(keys);
    clave_pkey_free(other);
    clave_pkey_free(mitm);
    h_free(&h);
}

static void test_swapped_ciphertexts(void **state)
{
    (void)state;
    struct harness h;
    uint64_t input[DIM] = {0};
    uint8_t *fwd = NULL, *out = NULL;
    size_t fwd_len = 0, out_len = 0;
    h_init(&h, N - 1, DIM);
    h_produce(&h, 1, input);
    h_deliver_all(&h);
    h_produce(&h, 2, input);
    h_deliver_all(&h);
    T_OK(clave_secagg_server_message(h.s, 1, &fwd, &fwd_len));
    /* Swap the first two ciphertexts: each now claims the other sender. */
    uint8_t tmp[SA_SHARE_CT_LEN];
    size_t a = SA_HEADER_LEN + 2 + 4, b = a + SA_CIPHER_ENTRY_LEN;
    memcpy(tmp, fwd + a, SA_SHARE_CT_LEN);
    memcpy(fwd + a, fwd + b, SA_SHARE_CT_LEN);
    memcpy(fwd + b, tmp, SA_SHARE_CT_LEN);
    T_ERR(clave_secagg_client_masked_input(h.c[0], fwd, fwd_len, input, &out, &out_len),
          CLAVE_ERR_AUTH);
    free(fwd);
    h_free(&h);
}

/* A survivor reveals a wrong share value: the server's reconstruction (more shares than the
 * threshold) detects it and aborts without a result. */
static void test_tampered_share_value(void **state)
{
    (void)state;
    struct harness h;
    uint64_t input[DIM] = {5};
    uint64_t sum[DIM];
    h_init(&h, N - 1, DIM);
    for (int r = 1; r <= 3; r++) {
        h_produce(&h, r, input);
        h_deliver_all(&h);
    }
    h_produce(&h, 4, input);
    uint8_t *m = h.msg[3];
    size_t value = SA_HEADER_LEN + 2 + 4 + 1 + 7; /* low byte of the first share element */
    m[value] = (uint8_t)(m[value] ^ 1);
    for (size_t i = 0; i < N; i++) {
        T_OK(clave_secagg_server_receive(h.s, h.msg[i], h.len[i]));
    }
    T_ERR(clave_secagg_server_close_round(h.s), CLAVE_ERR_TAMPERED);
    assert_int_equal(clave_secagg_server_round(h.s), CLAVE_SECAGG_ROUND_ABORTED);
    T_ERR(clave_secagg_server_result(h.s, sum, DIM), CLAVE_ERR_STATE);
    T_ERR(clave_secagg_server_receive(h.s, h.msg[0], h.len[0]), CLAVE_ERR_STATE);
    h_free(&h);
}

static void test_client_side_truncation(void **state)
{
    (void)state;
    struct harness h;
    uint64_t input[DIM] = {0};
    struct sa_msg m;
    static const uint8_t TYPES[] = {SA_KEYS, SA_FORWARD, SA_UNMASK_REQUEST};
    h_init(&h, N - 1, DIM);
    for (int r = 1; r <= 3; r++) {
        h_produce(&h, r, input);
        h_deliver_all(&h);
        uint8_t *msg = NULL;
        size_t len = 0;
        T_OK(clave_secagg_server_message(h.s, 2, &msg, &len));
        for (size_t cut = 0; cut < len; cut++) {
            assert_int_not_equal(clave__sa_decode(&h.p, TYPES[r - 1], msg, cut, &m), CLAVE_OK);
        }
        uint8_t *longer = malloc(len + 1);
        assert_non_null(longer);
        memcpy(longer, msg, len);
        longer[len] = 0;
        T_ERR(clave__sa_decode(&h.p, TYPES[r - 1], longer, len + 1, &m), CLAVE_ERR_TRUNCATED);
        longer[SA_HEADER_LEN + (r == 3 ? 4 : 0)] = 0xff; /* count far above the degree */
        T_ERR(clave__sa_decode(&h.p, TYPES[r - 1], longer, len, &m), CLAVE_ERR_TOO_LARGE);
        longer[0] = CLAVE_SECAGG_VERSION - 1; /* version 1 derived other masks: refused */
        T_ERR(clave__sa_decode(&h.p, TYPES[r - 1], longer, len, &m), CLAVE_ERR_UNSUPPORTED);
        longer[0] = CLAVE_SECAGG_VERSION + 1;
        T_ERR(clave__sa_decode(&h.p, TYPES[r - 1], longer, len, &m), CLAVE_ERR_UNSUPPORTED);
        T_OK(clave__sa_decode(&h.p, TYPES[r - 1], msg, len, &m));
        clave__sa_msg_clear(&m);
        free(longer);
        free(msg);
    }
    h_free(&h);
}

/* With a zero input the masked vector is the mask itself: every bit position is balanced and the
 * byte histogram passes a chi-square test (bounds at about six standard deviations). */
static void test_masked_vector_uniform(void **state)
{
    (void)state;
    struct harness h;
    static uint64_t zeros[BIG_DIM];
    h_init(&h, N - 1, BIG_DIM);
    h_produce(&h, 1, zeros);
    h_deliver_all(&h);
    h_produce(&h, 2, zeros);
    h_deliver_all(&h);
    h_produce(&h, 3, zeros);
    for (size_t c = 0; c < 2; c++) {
        const uint8_t *v = h.msg[c] + SA_HEADER_LEN + 4;
        size_t bits[64] = {0}, bytes[256] = {0};
        for (size_t k = 0; k < BIG_DIM; k++) {
            uint64_t w = 0;
            memcpy(&w, v + 8 * k, 8);
            for (size_t b = 0; b < 64; b++) {
                bits[b] += (w >> b) & 1;
            }
        }
        for (size_t i = 0; i < BIG_DIM * 8; i++) {
            bytes[v[i]]++;
        }
        for (size_t b = 0; b < 64; b++) {
            assert_true(fabs((double)bits[b] - BIG_DIM / 2.0) < 6 * sqrt(BIG_DIM / 4.0));
        }
        double expect = BIG_DIM * 8 / 256.0, chi2 = 0.0;
        for (size_t i = 0; i < 256; i++) {
            chi2 += ((double)bytes[i] - expect) * ((double)bytes[i] - expect) / expect;
        }
        assert_true(chi2 < 255 + 6 * sqrt(2 * 255.0));
    }
    /* Same input, different clients: unrelated masks. */
    assert_true(memcmp(h.msg[0] + SA_HEADER_LEN + 4, h.msg[1] + SA_HEADER_LEN + 4, // lint:public
                       BIG_DIM * 8) != 0);
    h_free(&h);
}

/* A session in Z_2^20 (4-byte words): inputs of 2^20 or more are refused by the client, a masked
 * word of 2^20 or more by the server, whose sum is exact mod 2^20; in Z_2^32 every one of the
 * 32 bits of a masked zero input is balanced. */
static void test_ring_bits(void **state)
{
    (void)state;
    struct harness h;
    uint64_t input[DIM], sum[DIM];
    h_init_bits(&h, N - 1, DIM, 20, 0);
    for (size_t k = 0; k < DIM; k++) {
        input[k] = (UINT64_C(1) << 20) - 1 - k;
    }
    h_produce(&h, 1, input);
    h_deliver_all(&h);
    h_produce(&h, 2, input);
    h_deliver_all(&h);
    uint8_t *in = NULL, *msg = NULL;
    size_t in_len = 0, len = 0;
    T_OK(clave_secagg_server_message(h.s, 1, &in, &in_len));
    input[3] = UINT64_C(1) << 20;
    T_ERR(clave_secagg_client_masked_input(h.c[0], in, in_len, input, &msg, &len), CLAVE_ERR_ARG);
    input[3] = (UINT64_C(1) << 20) - 4;
    free(in);
    h_produce(&h, 3, input); /* the refused call left client 1 able to answer */
    assert_int_equal(h.len[0], SA_HEADER_LEN + 4 + DIM * 4);
    uint8_t *bad = malloc(h.len[0]);
    assert_non_null(bad);
    memcpy(bad, h.msg[0], h.len[0]);
    bad[SA_HEADER_LEN + 4 + 5 * 4 + 2] |= 0x10; /* word 5 gets bit 20 */
    T_ERR(clave_secagg_server_receive(h.s, bad, h.len[0]), CLAVE_ERR_FORMAT);
    free(bad);
    h_deliver_all(&h);
    h_produce(&h, 4, input);
    h_deliver_all(&h);
    T_OK(clave_secagg_server_result(h.s, sum, DIM));
    for (size_t k = 0; k < DIM; k++) {
        assert_int_equal(sum[k], (N * input[k]) & ((UINT64_C(1) << 20) - 1));
    }
    h_free(&h);

    /* Declared 16-bit inputs in Z_2^20 (16 + log2 8 <= 20): 2^16 is refused, the sum of the
     * largest inputs is the exact integer sum, no wrap. */
    h_init_bits(&h, N - 1, DIM, 20, 16);
    for (size_t k = 0; k < DIM; k++) {
        input[k] = (UINT64_C(1) << 16) - 1 - k;
    }
    for (int r = 1; r <= 2; r++) {
        h_produce(&h, r, input);
        h_deliver_all(&h);
    }
    T_OK(clave_secagg_server_message(h.s, 1, &in, &in_len));
    input[0] = UINT64_C(1) << 16;
    T_ERR(clave_secagg_client_masked_input(h.c[0], in, in_len, input, &msg, &len), CLAVE_ERR_ARG);
    input[0] = (UINT64_C(1) << 16) - 1;
    free(in);
    for (int r = 3; r <= 4; r++) {
        h_produce(&h, r, input);
        h_deliver_all(&h);
    }
    T_OK(clave_secagg_server_result(h.s, sum, DIM));
    for (size_t k = 0; k < DIM; k++) {
        assert_int_equal(sum[k], N * input[k]);
    }
    h_free(&h);

    static uint64_t zeros[BIG_DIM];
    size_t ones[32] = {0};
    h_init_bits(&h, N - 1, BIG_DIM, 32, 0);
    for (int r = 1; r <= 2; r++) {
        h_produce(&h, r, zeros);
        h_deliver_all(&h);
    }
    h_produce(&h, 3, zeros);
    assert_int_equal(h.len[0], SA_HEADER_LEN + 4 + BIG_DIM * 4);
    for (size_t k = 0; k < BIG_DIM; k++) {
        uint32_t w = 0;
        memcpy(&w, h.msg[0] + SA_HEADER_LEN + 4 + 4 * k, 4);
        for (size_t b = 0; b < 32; b++) {
            ones[b] += (w >> b) & 1;
        }
    }
    for (size_t b = 0; b < 32; b++) {
        assert_true(fabs((double)ones[b] - BIG_DIM / 2.0) < 6 * sqrt(BIG_DIM / 4.0));
    }
    h_free(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hostile_every_round),
        cmocka_unit_test(test_reordered_and_foreign),
        cmocka_unit_test(test_shares_for_non_neighbour),
        cmocka_unit_test(test_server_substitutes_keys),
        cmocka_unit_test(test_swapped_ciphertexts),
        cmocka_unit_test(test_tampered_share_value),
        cmocka_unit_test(test_client_side_truncation),
        cmocka_unit_test(test_masked_vector_uniform),
        cmocka_unit_test(test_ring_bits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
