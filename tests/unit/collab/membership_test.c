/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Collaboration membership statements and histories: founding, additions by members, removal by
 * oneself and by the votes of all others, key changes, external (token) signing, offline replay;
 * every rule violation refused with the history unchanged; hostile bytes (truncation at every
 * offset, a flipped bit at every offset, non-canonical and unknown-key payloads).
 */
#include "testlib.h"

#include "collab/collab_internal.h"
#include "crypto/pkey.h"

#include <clave/clave.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#define NAME "acme"

struct party {
    const char *name;
    struct clave_pkey *key;
    uint8_t spki[CLAVE_COLLAB_SPKI_MAX];
    size_t spki_len;
};

struct world {
    struct clave_collab *c;
    struct party alice, bob, carol, other;
};

static void party_init(struct party *p, const char *name, enum clave_pkey_type type)
{
    p->name = name;
    T_OK(clave_pkey_generate(type, &p->key));
    T_OK(clave_pkey_export_spki(p->key, p->spki, sizeof(p->spki), &p->spki_len));
}

static int setup(void **state)
{
    struct world *w = calloc(1, sizeof(*w));
    party_init(&w->alice, "alice", CLAVE_PKEY_ED25519);
    party_init(&w->bob, "bob", CLAVE_PKEY_P256);
    party_init(&w->carol, "carol", CLAVE_PKEY_ED25519);
    party_init(&w->other, "other", CLAVE_PKEY_P256);
    T_OK(clave_collab_new(NAME, &w->c));
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    struct world *w = *state;
    clave_collab_free(w->c);
    clave_pkey_free(w->alice.key);
    clave_pkey_free(w->bob.key);
    clave_pkey_free(w->carol.key);
    clave_pkey_free(w->other.key);
    free(w);
    return 0;
}

/* The next change of `c`: op on `subject` (with its key for add/rekey) signed by `signer`. */
static struct clave_collab_change change(const struct clave_collab *c, enum clave_collab_op op,
                                         const struct party *subject, const struct party *keyed,
                                         const char *signer)
{
    struct clave_collab_change ch = {.op = op,
                                     .collaboration = NAME,
                                     .party = subject->name,
                                     .signer = signer,
                                     .time = 1800000000};
    clave_collab_next(c, &ch.seq, ch.prev);
    if (keyed != NULL) {
        ch.spki = keyed->spki;
        ch.spki_len = keyed->spki_len;
    }
    return ch;
}

/* Sign `ch` with `by`'s key and append; returns the append status. */
static clave_status apply(struct clave_collab *c, const struct clave_collab_change *ch,
                          const struct party *by)
{
    uint8_t *s = NULL;
    size_t n = 0;
    T_OK(clave_collab_sign(ch, by->key, &s, &n));
    clave_status st = clave_collab_append(c, s, n);
    free(s);
    return st;
}

static void found(struct world *w)
{
    struct clave_collab_change ch = change(w->c, CLAVE_COLLAB_ADD, &w->alice, &w->alice, "alice");
    ch.region = "eu";
    T_OK(apply(w->c, &ch, &w->alice));
    ch = change(w->c, CLAVE_COLLAB_ADD, &w->bob, &w->bob, "alice");
    T_OK(apply(w->c, &ch, &w->alice));
    ch = change(w->c, CLAVE_COLLAB_ADD, &w->carol, &w->carol, "bob");
    T_OK(apply(w->c, &ch, &w->bob));
}

static void test_lifecycle(void **state)
{
    struct world *w = *state;
    struct clave_collab_member m;
    found(w);
    assert_int_equal(clave_collab_member_count(w->c), 3);
    T_OK(clave_collab_find(w->c, "alice", &m));
    assert_string_equal(m.region, "eu");
    assert_true(clave_collab_key_matches(w->c, "bob", w->bob.spki, w->bob.spki_len));
    assert_false(clave_collab_key_matches(w->c, "bob", w->alice.spki, w->alice.spki_len));
    /* carol is voted out: one vote is not enough, the second (all others) is */
    struct clave_collab_change ch = change(w->c, CLAVE_COLLAB_REMOVE, &w->carol, NULL, "alice");
    T_OK(apply(w->c, &ch, &w->alice));
    assert_int_equal(clave_collab_member_count(w->c), 3);
    T_ERR(apply(w->c, &ch, &w->alice), CLAVE_ERR_STATE); /* same seq again */
    ch = change(w->c, CLAVE_COLLAB_REMOVE, &w->carol, NULL, "alice");
    T_ERR(apply(w->c, &ch, &w->alice), CLAVE_ERR_STATE); /* a second vote by alice */
    ch = change(w->c, CLAVE_COLLAB_REMOVE, &w->carol, NULL, "bob");
    T_OK(apply(w->c, &ch, &w->bob));
    assert_int_equal(clave_collab_member_count(w->c), 2);
    T_ERR(clave_collab_find(w->c, "carol", &m), CLAVE_ERR_NOT_FOUND);
    /* bob changes his key, signed with the old one; the old one then signs nothing */
    ch = change(w->c, CLAVE_COLLAB_REKEY, &w->bob, &w->other, "bob");
    T_OK(apply(w->c, &ch, &w->bob));
    assert_true(clave_collab_key_matches(w->c, "bob", w->other.spki, w->other.spki_len));
    ch = change(w->c, CLAVE_COLLAB_ADD, &w->carol, &w->carol, "bob");
    T_ERR(apply(w->c, &ch, &w->bob), CLAVE_ERR_SIGNATURE);
    T_OK(apply(w->c, &ch, &w->other));
    /* carol leaves by herself */
    ch = change(w->c, CLAVE_COLLAB_REMOVE, &w->carol, NULL, "carol");
    T_OK(apply(w->c, &ch, &w->carol));
    assert_int_equal(clave_collab_member_count(w->c), 2);
    /* the whole history replays into the same members */
    struct clave_collab *again = NULL;
    T_OK(clave_collab_new(NAME, &again));
    for (size_t i = 0; i < clave_collab_statement_count(w->c); i++) {
        const uint8_t *b = NULL;
        size_t n = 0;
        T_OK(clave_collab_statement(w->c, i, &b, &n));
        T_OK(clave_collab_append(again, b, n));
    }
    assert_int_equal(clave_collab_statement_count(again), 8);
    assert_int_equal(clave_collab_member_count(again), 2);
    assert_true(clave_collab_key_matches(again, "bob", w->other.spki, w->other.spki_len));
    clave_collab_free(again);
}

static void test_rules(void **state)
{
    struct world *w = *state;
    /* the first statement must be a self-add */
    struct clave_collab_change ch = change(w->c, CLAVE_COLLAB_ADD, &w->bob, &w->bob, "alice");
    T_ERR(apply(w->c, &ch, &w->alice), CLAVE_ERR_STATE);
    /* a self-add signed with another key than the one it registers */
    ch = change(w->c, CLAVE_COLLAB_ADD, &w->alice, &w->alice, "alice");
    T_ERR(apply(w->c, &ch, &w->other), CLAVE_ERR_SIGNATURE);
    assert_int_equal(clave_collab_statement_count(w->c), 0);
    found(w);
    ch = change(w->c, CLAVE_COLLAB_ADD, &w->other, &w->other, "other");
    T_ERR(apply(w->c, &ch, &w->other), CLAVE_ERR_STATE); /* not a member */
    ch = change(w->c, CLAVE_COLLAB_ADD, &w->bob, &w->bob, "alice");
    T_ERR(apply(w->c, &ch, &w->alice), CLAVE_ERR_STATE); /* already a member */
    ch = change(w->c, CLAVE_COLLAB_ADD, &w->other, &w->other, "alice");
    ch.seq++;
    T_ERR(apply(w->c, &ch, &w->alice), CLAVE_ERR_STATE); /* skips a position */
    ch = change(w->c, CLAVE_COLLAB_ADD, &w->other, &w->other, "alice");
    ch.prev[0] ^= 1;
    T_ERR(apply(w->c, &ch, &w->alice), CLAVE_ERR_STATE); /* another history */
    ch = change(w->c, CLAVE_COLLAB_ADD, &w->other, &w->other, "alice");
    ch.collaboration = "other";
    T_ERR(apply(w->c, &ch, &w->alice), CLAVE_ERR_STATE); /* another collaboration */
    assert_int_equal(clave_collab_statement_count(w->c), 3);
    /* the last member cannot leave */
    struct clave_collab *solo = NULL;
    T_OK(clave_collab_new(NAME, &solo));
    ch = change(solo, CLAVE_COLLAB_ADD, &w->alice, &w->alice, "alice");
    T_OK(apply(solo, &ch, &w->alice));
    ch = change(solo, CLAVE_COLLAB_REMOVE, &w->alice, NULL, "alice");
    T_ERR(apply(solo, &ch, &w->alice), CLAVE_ERR_STATE);
    clave_collab_free(solo);
    /* bad fields never make a statement */
    uint8_t *s = NULL;
    size_t n = 0;
    ch = change(w->c, CLAVE_COLLAB_ADD, &w->other, &w->other, "alice");
    ch.party = "a.b";
    T_ERR(clave_collab_sign(&ch, w->alice.key, &s, &n), CLAVE_ERR_FORMAT);
    ch = change(w->c, CLAVE_COLLAB_REMOVE, &w->carol, &w->carol, "alice");
    T_ERR(clave_collab_sign(&ch, w->alice.key, &s, &n), CLAVE_ERR_FORMAT); /* key on remove */
    ch = change(w->c, CLAVE_COLLAB_ADD, &w->other, NULL, "alice");
    T_ERR(clave_collab_sign(&ch, w->alice.key, &s, &n), CLAVE_ERR_FORMAT); /* add without key */
    ch = change(w->c, CLAVE_COLLAB_REKEY, &w->bob, &w->other, "alice");
    T_ERR(clave_collab_sign(&ch, w->alice.key, &s, &n), CLAVE_ERR_FORMAT); /* rekey by another */
    assert_null(s);
}

/* Ed25519 over the signing input with OpenSSL directly, as a token would. */
static void raw_ed25519(const struct party *p, const uint8_t *tbs, size_t len, uint8_t sig[64])
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    size_t sig_len = 64;
    assert_int_equal(EVP_DigestSignInit(md, NULL, NULL, NULL, clave__pkey_evp(p->key)), 1);
    assert_int_equal(EVP_DigestSign(md, sig, &sig_len, tbs, len), 1);
    assert_int_equal(sig_len, 64);
    EVP_MD_CTX_free(md);
}

static void test_token_signing(void **state)
{
    struct world *w = *state;
    uint8_t *tbs = NULL;
    uint8_t *stmt = NULL;
    size_t tbs_len = 0;
    size_t n = 0;
    uint8_t sig[64];
    struct clave_collab_change ch = change(w->c, CLAVE_COLLAB_ADD, &w->alice, &w->alice, "alice");
    T_OK(clave_collab_signing_input(&ch, CLAVE_COSE_ALG_EDDSA, &tbs, &tbs_len));
    raw_ed25519(&w->alice, tbs, tbs_len, sig);
    T_ERR(clave_collab_assemble(&ch, CLAVE_COSE_ALG_EDDSA, w->bob.spki, w->bob.spki_len, sig, 64,
                                &stmt, &n),
          CLAVE_ERR_SIGNATURE); /* verified against the signer's key before it is returned */
    T_ERR(clave_collab_assemble(&ch, CLAVE_COSE_ALG_EDDSA, w->alice.spki, w->alice.spki_len, sig,
                                63, &stmt, &n),
          CLAVE_ERR_SIGNATURE);
    sig[5] ^= 1;
    T_ERR(clave_collab_assemble(&ch, CLAVE_COSE_ALG_EDDSA, w->alice.spki, w->alice.spki_len, sig,
                                64, &stmt, &n),
          CLAVE_ERR_SIGNATURE);
    sig[5] ^= 1;
    T_OK(clave_collab_assemble(&ch, CLAVE_COSE_ALG_EDDSA, w->alice.spki, w->alice.spki_len, sig, 64,
                               &stmt, &n));
    T_OK(clave_collab_append(w->c, stmt, n));
    assert_int_equal(clave_collab_member_count(w->c), 1);
    free(tbs);
    free(stmt);
}

static void test_hostile_bytes(void **state)
{
    struct world *w = *state;
    uint8_t *s = NULL;
    size_t n = 0;
    struct clave_collab_statement *p = NULL;
    struct clave_collab_change ch = change(w->c, CLAVE_COLLAB_ADD, &w->alice, &w->alice, "alice");
    ch.region = "eu";
    T_OK(clave_collab_sign(&ch, w->alice.key, &s, &n));
    for (size_t cut = 0; cut < n; cut++) {
        assert_int_not_equal(clave_collab_statement_peek(s, cut, &p), CLAVE_OK);
        assert_int_not_equal(clave_collab_append(w->c, s, cut), CLAVE_OK);
    }
    for (size_t i = 0; i < n; i++) {
        for (int bit = 0; bit < 8; bit += 3) {
            s[i] ^= (uint8_t)(1u << bit);
            assert_int_not_equal(clave_collab_append(w->c, s, n), CLAVE_OK);
            s[i] ^= (uint8_t)(1u << bit);
        }
    }
    assert_int_equal(clave_collab_statement_count(w->c), 0);
    T_OK(clave_collab_statement_peek(s, n, &p));
    struct clave_collab_change got;
    clave_collab_statement_change(p, &got);
    assert_string_equal(got.region, "eu");
    assert_int_equal(got.spki_len, w->alice.spki_len);
    clave_collab_statement_free(p);
    T_OK(clave_collab_append(w->c, s, n));
    free(s);
}

static void test_payload_canonical(void **state)
{
    (void)state;
    struct clave_collab_statement out;
    uint8_t buf[COLLAB_PAYLOAD_MAX + 8];
    size_t len = 0;
    struct clave_collab_change ch = {.op = CLAVE_COLLAB_REMOVE,
                                     .collaboration = NAME,
                                     .party = "bob",
                                     .signer = "alice",
                                     .seq = 3,
                                     .time = 23};
    T_OK(clave__collab_payload(&ch, buf, &len));
    T_OK(clave__collab_payload_decode(buf, len, &out));
    assert_int_equal(out.seq, 3);
    /* map of 8 entries -> 9 with an unknown key "zz": 0 */
    assert_int_equal(buf[0], 0xa8);
    buf[0] = 0xa9;
    memcpy(buf + len, "\x62zz\x00", 4);
    T_ERR(clave__collab_payload_decode(buf, len + 4, &out), CLAVE_ERR_FORMAT);
    buf[0] = 0xa8;
    /* "v": 1 written with a two-byte head (0x18 0x01) is not canonical */
    assert_int_equal(buf[1], 0x61);
    assert_int_equal(buf[3], 0x01);
    uint8_t loose[COLLAB_PAYLOAD_MAX + 8];
    memcpy(loose, buf, 3);
    loose[3] = 0x18;
    loose[4] = 0x01;
    memcpy(loose + 5, buf + 4, len - 4);
    T_ERR(clave__collab_payload_decode(loose, len + 1, &out), CLAVE_ERR_FORMAT);
    /* trailing bytes and a wrong version */
    T_ERR(clave__collab_payload_decode(buf, len + 1, &out), CLAVE_ERR_TRAILING);
    buf[3] = 0x02;
    T_ERR(clave__collab_payload_decode(buf, len, &out), CLAVE_ERR_UNSUPPORTED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_lifecycle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_token_signing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_payload_canonical, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
