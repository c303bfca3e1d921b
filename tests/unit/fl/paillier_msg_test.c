/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Paillier FL messages and packing (docs/formats/fl.md, docs/fl.md "Paillier"): round trips of
 * PAILLIER, AGGREGATE, SUM and MODEL(paillier); truncation at every offset, trailing bytes, every
 * fixed field, a flip of every bit of a PAILLIER message; the packing headroom at its boundary
 * (clients_per_round maximal or minimal values decode exactly, one beyond is refused by the
 * encoder, one summand too many by the adder); the key holder's rules.
 */
#include "fl/msg.h"
#include "fl/paillier.h"
#include "testlib.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define FLD_FEATURES 30
#define PM_CLIENTS 16 /* a power of two: the slot headroom is tight */
#define PM_WORDS (FLD_FEATURES + 1 + 2)

static const uint8_t SESSION[CLAVE_FL_SESSION_LEN] = {9, 8, 7};

static struct clave_fl_config cfg16(void)
{
    struct clave_fl_config c = clave_fl_config_default();
    c.model.kind = CLAVE_ML_LOGISTIC;
    c.model.inputs = FLD_FEATURES;
    c.clients = c.clients_per_round = PM_CLIENTS;
    c.min_clients = 5;
    c.rounds = 3;
    c.protection = CLAVE_FL_PAILLIER;
    return c;
}

static struct fl_header hdr(uint8_t type, uint32_t round, uint32_t client)
{
    struct fl_header h = {type, {0}, round, client};
    memcpy(h.session, SESSION, sizeof(SESSION));
    return h;
}

/* Shared across tests: one key holder (key generation is the slow part). */
struct pm {
    struct clave_fl_config cfg;
    struct clave_fl_keyholder *kh;
    struct fl_he he;          /* the key holder's public key */
    struct clave_he_key *key; /* a key of the test's own, to look at decrypted sums directly */
    struct fl_he own;
};

static int setup(void **state)
{
    struct pm *p = calloc(1, sizeof(*p));
    uint8_t *pub = NULL;
    size_t len = 0;
    assert_non_null(p);
    p->cfg = cfg16();
    T_OK(clave_fl_keyholder_new(&p->cfg, &p->kh));
    T_OK(clave_fl_keyholder_public_key(p->kh, &pub, &len));
    T_OK(fl__he_setup(&p->cfg, pub, len, &p->he));
    free(pub);
    T_OK(clave_he_keygen(2048, 0, &p->key));
    T_OK(fl__he_setup_pub(&p->cfg, clave_he_key_pub(p->key), &p->own));
    *state = p;
    return 0;
}

static int teardown(void **state)
{
    struct pm *p = *state;
    clave_fl_keyholder_free(p->kh);
    fl__he_clear(&p->he);
    fl__he_clear(&p->own);
    clave_he_key_free(p->key);
    free(p);
    return 0;
}

/* The sum of `k` encryptions of `value` in every word, serialised. */
static void sum_vec(struct fl_he *he, int64_t value, uint32_t k, size_t words, uint8_t **out,
                    size_t *len)
{
    int64_t *v = malloc(words * sizeof(int64_t));
    struct clave_he_vec *acc = NULL, *one = NULL;
    assert_non_null(v);
    for (size_t i = 0; i < words; i++) {
        v[i] = value;
    }
    T_OK(clave_he_encrypt_packed(he->ctx, &he->plan, v, words, &acc));
    for (uint32_t j = 1; j < k; j++) {
        T_OK(clave_he_encrypt_packed(he->ctx, &he->plan, v, words, &one));
        T_OK(clave_he_add_into(he->ctx, acc, one));
        clave_he_vec_free(one);
        one = NULL;
    }
    T_OK(clave_he_vec_export(acc, CLAVE_HE_FORMAT_BINARY, out, len));
    clave_he_vec_free(acc);
    free(v);
}

static void hostile_lengths(const uint8_t *m, size_t len)
{
    struct fl_msg d;
    for (size_t cut = 0; cut < len; cut++) {
        T_ERR(fl__msg_decode(m, cut, &d), CLAVE_ERR_TRUNCATED);
    }
    uint8_t *more = malloc(len + 1);
    assert_non_null(more);
    memcpy(more, m, len);
    more[len] = 0;
    T_ERR(fl__msg_decode(more, len + 1, &d), CLAVE_ERR_TRAILING);
    free(more);
}

static void patched(const uint8_t *m, size_t len, size_t off, uint8_t byte, clave_status want)
{
    struct fl_msg d;
    uint8_t *c = malloc(len);
    assert_non_null(c);
    memcpy(c, m, len);
    c[off] = byte;
    T_ERR(fl__msg_decode(c, len, &d), want);
    free(c);
}

static void test_round_trips_and_fields(void **state)
{
    struct pm *p = *state;
    struct fl_msg d;
    uint8_t *vec = NULL, *m = NULL;
    size_t vec_len = 0, len = 0;
    sum_vec(&p->he, 5, 1, PM_WORDS, &vec, &vec_len);
    /* PAILLIER */
    struct fl_header h = hdr(FL_PAILLIER, 2, 7);
    T_OK(fl__msg_he_vec(&h, PM_WORDS, 0, vec, vec_len, &m, &len));
    T_OK(fl__msg_decode(m, len, &d));
    assert_true(d.h.type == FL_PAILLIER && d.words == PM_WORDS && d.vec_len == vec_len &&
                d.count == 0 && memcmp(d.vec, vec, vec_len) == 0); // lint:public
    hostile_lengths(m, len);
    patched(m, len, 32, 2, CLAVE_ERR_UNSUPPORTED);  /* body version */
    patched(m, len, 33, 1, CLAVE_ERR_FORMAT);       /* reserved */
    patched(m, len, 35, 1, CLAVE_ERR_FORMAT);       /* reserved */
    patched(m, len, 36, 2, CLAVE_ERR_TOO_LARGE);    /* words 2 */
    patched(m, len, 39, 0x10, CLAVE_ERR_TOO_LARGE); /* words 2^28 + 35 */
    patched(m, len, 43, 0x40, CLAVE_ERR_TOO_LARGE); /* vector length 2^30 + n */
    patched(m, len, 42, 0x40, CLAVE_ERR_TRUNCATED); /* vector length beyond the message */
    patched(m, len, 28, 0, CLAVE_ERR_FORMAT);       /* client 0 */
    free(m);
    /* AGGREGATE: client 0 only, count 1..1024 */
    h = hdr(FL_AGGREGATE, 2, 0);
    T_OK(fl__msg_he_vec(&h, PM_WORDS, 6, vec, vec_len, &m, &len));
    T_OK(fl__msg_decode(m, len, &d));
    assert_true(d.h.type == FL_AGGREGATE && d.h.client == 0 && d.count == 6 &&
                d.vec_len == vec_len);
    hostile_lengths(m, len);
    patched(m, len, 28, 1, CLAVE_ERR_FORMAT); /* a client id */
    patched(m, len, 40, 0, CLAVE_ERR_FORMAT); /* count 0 */
    patched(m, len, 41, 4, CLAVE_ERR_FORMAT); /* count 1030 */
    patched(m, len, 5, 8, CLAVE_ERR_FORMAT);  /* type 8 */
    free(m);
    /* SUM */
    int64_t sums[PM_WORDS];
    for (size_t i = 0; i < PM_WORDS; i++) {
        sums[i] = (int64_t)i * -1000003 + INT64_C(1) * (i == 0 ? INT64_MIN / 2 : 0);
    }
    h = hdr(FL_SUM, 2, 0);
    T_OK(fl__msg_he_sum(&h, PM_WORDS, 6, sums, &m, &len));
    T_OK(fl__msg_decode(m, len, &d));
    assert_true(d.h.type == FL_SUM && d.count == 6 && d.words == PM_WORDS);
    for (size_t i = 0; i < PM_WORDS; i++) {
        assert_true(fl__msg_sum(&d, i) == sums[i]);
    }
    hostile_lengths(m, len);
    patched(m, len, 36, 200, CLAVE_ERR_TRUNCATED); /* more words than present */
    free(m);
    /* MODEL(train, paillier) carries the key id */
    const uint8_t model[3] = {1, 2, 3};
    const uint32_t ids[2] = {3, 9};
    struct fl_model_fields f = {FL_MODE_TRAIN, model, 3, CLAVE_FL_PAILLIER, 0, 0, 0,
                                NULL,          ids,   2, p->he.key_id};
    h = hdr(FL_MODEL, 2, 3);
    T_OK(fl__msg_model(&h, &f, &m, &len));
    T_OK(fl__msg_decode(m, len, &d));
    assert_true(d.protection == CLAVE_FL_PAILLIER && d.id_count == 2 && d.key_id != NULL &&
                memcmp(d.key_id, p->he.key_id, CLAVE_HE_KEY_ID_LEN) == 0); // lint:public
    hostile_lengths(m, len);
    patched(m, len, 33, 4, CLAVE_ERR_FORMAT); /* protection 4 */
    free(m);
    free(vec);
}

/* Every single-bit flip of a PAILLIER message beyond the header is caught before the vector is
 * used (header flips are the aggregator's session/round/sender checks, tested elsewhere). */
static void test_bit_flips(void **state)
{
    struct pm *p = *state;
    uint8_t *vec = NULL, *m = NULL;
    size_t vec_len = 0, len = 0;
    sum_vec(&p->he, -3, 1, PM_WORDS, &vec, &vec_len);
    struct fl_header h = hdr(FL_PAILLIER, 1, 4);
    T_OK(fl__msg_he_vec(&h, PM_WORDS, 0, vec, vec_len, &m, &len));
    for (size_t bit = 8 * FL_HEADER_LEN; bit < 8 * len; bit++) {
        struct fl_msg d;
        struct clave_he_vec *got = NULL;
        m[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        clave_status st = fl__msg_decode(m, len, &d);
        if (st == CLAVE_OK && d.words == PM_WORDS) {
            st = fl__he_import(&p->he, d.vec, d.vec_len, d.words, 1, &got);
        } else if (st == CLAVE_OK) {
            st = CLAVE_ERR_FORMAT; /* the aggregator compares words with its model first */
        }
        if (st == CLAVE_OK) {
            fail_msg("bit %zu flipped: accepted", bit);
        }
        clave_he_vec_free(got);
        m[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    struct fl_msg d;
    struct clave_he_vec *got = NULL;
    T_OK(fl__msg_decode(m, len, &d));
    T_OK(fl__he_import(&p->he, d.vec, d.vec_len, d.words, 1, &got));
    clave_he_vec_free(got);
    free(m);
    free(vec);
}

/* clients_per_round values at either end of the value range decode exactly; one more value bit
 * or one more summand is refused. */
static void test_packing_boundary(void **state)
{
    struct pm *p = *state;
    unsigned vb = 0, sb = 0;
    T_OK(fl__paillier_bits(&p->cfg, &vb, &sb));
    /* 2^16 * max(16, 1000) * 2^24 < 2^50: 51 bits with the sign; 16 summands: 4 more bits. */
    assert_int_equal(vb, 51);
    assert_int_equal(sb, 55);
    assert_int_equal(p->he.plan.value_bits, vb);
    assert_int_equal(p->he.plan.slot_bits, sb);
    assert_int_equal(p->he.plan.max_adds, PM_CLIENTS);
    assert_int_equal(p->he.plan.slots, (2048 - 2) / 55);
    assert_true(ldexp(CLAVE_FL_MAX_WEIGHT * 1000.0, 24) < ldexp(1.0, (int)vb - 1));
    const int64_t top = ((int64_t)1 << (vb - 1)) - 1, bottom = -((int64_t)1 << (vb - 1));
    size_t n = 2 * (size_t)p->he.plan.slots + 3; /* three ciphertexts, the last one partial */
    const int64_t ends[2] = {top, bottom};
    for (size_t e = 0; e < 2; e++) {
        uint8_t *bytes = NULL;
        size_t blen = 0;
        struct clave_he_vec *vec = NULL;
        sum_vec(&p->own, ends[e], PM_CLIENTS, n, &bytes, &blen);
        T_OK(fl__he_import(&p->own, bytes, blen, (uint32_t)n, PM_CLIENTS, &vec));
        int64_t *sum = calloc(n, sizeof(int64_t));
        assert_non_null(sum);
        T_OK(clave_he_decrypt_i64(p->key, NULL, vec, sum, n));
        for (size_t i = 0; i < n; i++) {
            if (sum[i] != ends[e] * PM_CLIENTS) {
                fail_msg("word %zu: %lld, expected %lld", i, (long long)sum[i],
                         (long long)(ends[e] * PM_CLIENTS));
            }
        }
        free(sum);
        clave_he_vec_free(vec);
        free(bytes);
    }
    /* One beyond either end: the encoder refuses (nothing would be sent). */
    uint64_t words[PM_WORDS] = {0};
    uint8_t *out = NULL;
    size_t out_len = 0;
    words[PM_WORDS - 1] = (uint64_t)top + 1;
    T_ERR(fl__he_encrypt(&p->he, words, PM_WORDS, &out, &out_len), CLAVE_ERR_LIMIT);
    words[PM_WORDS - 1] = (uint64_t)(bottom - 1);
    T_ERR(fl__he_encrypt(&p->he, words, PM_WORDS, &out, &out_len), CLAVE_ERR_LIMIT);
    words[PM_WORDS - 1] = (uint64_t)bottom;
    words[0] = (uint64_t)top;
    T_OK(fl__he_encrypt(&p->he, words, PM_WORDS, &out, &out_len));
    free(out);
    /* One summand more than clients_per_round: the adder refuses. */
    int64_t v[PM_WORDS] = {0};
    struct clave_he_vec *acc = NULL, *one = NULL;
    T_OK(clave_he_encrypt_packed(p->he.ctx, &p->he.plan, v, PM_WORDS, &acc));
    for (uint32_t k = 1; k < PM_CLIENTS; k++) {
        T_OK(clave_he_encrypt_packed(p->he.ctx, &p->he.plan, v, PM_WORDS, &one));
        T_OK(clave_he_add_into(p->he.ctx, acc, one));
        clave_he_vec_free(one);
    }
    T_OK(clave_he_encrypt_packed(p->he.ctx, &p->he.plan, v, PM_WORDS, &one));
    T_ERR(clave_he_add_into(p->he.ctx, acc, one), CLAVE_ERR_LIMIT);
    struct clave_he_pack_plan got;
    clave_he_vec_plan(acc, &got);
    assert_true(got.value_bits == vb && got.slot_bits == sb && got.max_adds == PM_CLIENTS &&
                got.slots == p->he.plan.slots);
    clave_he_vec_free(one);
    clave_he_vec_free(acc);
    T_OK(clave_he_encrypt_i64(p->he.ctx, v, 2, &acc)); /* one value per ciphertext: no plan */
    clave_he_vec_plan(acc, &got);
    assert_true(got.value_bits == 0 && got.slots == 0 && got.max_adds == 0);
    clave_he_vec_free(acc);
}

/* The key holder decrypts the boundary sums exactly, and only what its rules allow. */
static void test_keyholder(void **state)
{
    struct pm *p = *state;
    uint8_t *vec = NULL, *m = NULL, *reply = NULL;
    size_t vec_len = 0, len = 0, reply_len = 0;
    struct fl_header h;
    const int64_t top = ((int64_t)1 << (p->he.plan.value_bits - 1)) - 1;
#define KH(type, round, words, count, want)                                                        \
    do {                                                                                           \
        h = hdr(type, round, (type) == FL_PAILLIER ? 1 : 0);                                       \
        T_OK(fl__msg_he_vec(&h, words, count, vec, vec_len, &m, &len));                            \
        T_ERR(clave_fl_keyholder_handle(p->kh, m, len, &reply, &reply_len), want);                 \
        free(m);                                                                                   \
    } while (0)
    sum_vec(&p->he, top, 4, PM_WORDS, &vec, &vec_len);
    KH(FL_AGGREGATE, 1, PM_WORDS, 4, CLAVE_ERR_ARG);    /* below min_clients */
    KH(FL_AGGREGATE, 1, PM_WORDS, 5, CLAVE_ERR_FORMAT); /* count is not the weight */
    free(vec);
    sum_vec(&p->he, top, PM_CLIENTS, PM_WORDS, &vec, &vec_len);
    KH(FL_AGGREGATE, 1, PM_WORDS, 17, CLAVE_ERR_ARG);                /* above clients_per_round */
    KH(FL_AGGREGATE, 1, PM_WORDS + 1, PM_CLIENTS, CLAVE_ERR_FORMAT); /* not the model's words */
    KH(FL_PAILLIER, 1, PM_WORDS, 0, CLAVE_ERR_FORMAT);               /* a client's message */
    KH(FL_AGGREGATE, 0, PM_WORDS, PM_CLIENTS, CLAVE_ERR_STATE);      /* round 0 */
    KH(FL_AGGREGATE, 4, PM_WORDS, PM_CLIENTS, CLAVE_ERR_STATE);      /* beyond the rounds */
    /* Truncations are refused and spend nothing. */
    h = hdr(FL_AGGREGATE, 2, 0);
    T_OK(fl__msg_he_vec(&h, PM_WORDS, PM_CLIENTS, vec, vec_len, &m, &len));
    for (size_t cut = 0; cut < len; cut += 7) {
        assert_int_not_equal(clave_fl_keyholder_handle(p->kh, m, cut, &reply, &reply_len),
                             CLAVE_OK);
        assert_null(reply);
    }
    T_OK(clave_fl_keyholder_handle(p->kh, m, len, &reply, &reply_len));
    free(m);
    struct fl_msg d;
    T_OK(fl__msg_decode(reply, reply_len, &d));
    assert_true(d.h.type == FL_SUM && d.h.round == 2 && d.count == PM_CLIENTS &&
                d.words == PM_WORDS);
    for (size_t i = 0; i < PM_WORDS; i++) {
        assert_true(fl__msg_sum(&d, i) == top * PM_CLIENTS); /* 2^54 - 16: exact */
    }
    free(reply);
    reply = NULL;
    KH(FL_AGGREGATE, 2, PM_WORDS, PM_CLIENTS, CLAVE_ERR_STATE); /* round 2 again */
    KH(FL_AGGREGATE, 1, PM_WORDS, PM_CLIENTS, CLAVE_ERR_STATE); /* an earlier round */
    /* Another session is refused; the pinned one goes on. */
    h = hdr(FL_AGGREGATE, 3, 0);
    h.session[15] ^= 1;
    T_OK(fl__msg_he_vec(&h, PM_WORDS, PM_CLIENTS, vec, vec_len, &m, &len));
    T_ERR(clave_fl_keyholder_handle(p->kh, m, len, &reply, &reply_len), CLAVE_ERR_STATE);
    free(m);
    h = hdr(FL_AGGREGATE, 3, 0);
    T_OK(fl__msg_he_vec(&h, PM_WORDS, PM_CLIENTS, vec, vec_len, &m, &len));
    T_OK(clave_fl_keyholder_handle(p->kh, m, len, &reply, &reply_len));
    free(m);
    free(reply);
    free(vec);
#undef KH
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trips_and_fields),
        cmocka_unit_test(test_bit_flips),
        cmocka_unit_test(test_packing_boundary),
        cmocka_unit_test(test_keyholder),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
