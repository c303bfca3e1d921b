/* SPDX-License-Identifier: Apache-2.0 */
/* Client-key statements (clave_fl_client_cert_*): a party certifies its FL client's Ed25519 key
 * with its identity key; clients check each directory entry against the identity keys of a
 * membership history they verified themselves (here built with clave_collab_sign and replayed
 * with clave_collab_append). Refusals: a substituted key, a key certified by a non-member or by
 * another member, another party/contract/collaboration, bit flips and truncation at every
 * offset, an oversized statement, a wrong raw signature on the token path. Key-holder statements
 * (clave_fl_statement_* with CLAVE_FL_STATEMENT_KEYHOLDER_KEY) certify the SHA-256 of a Paillier
 * public key: never interchangeable with client-key statements (another external AAD), refused
 * for a tampered key, another party or a non-member's key. */
#include "testlib.h"

#include <clave/collab.h>
#include <clave/cose.h>
#include <clave/fl.h>
#include <stdlib.h>
#include <string.h>

struct fixture {
    struct clave_pkey *alice, *bob, *mallory, *client, *other;
    struct clave_collab *collab; /* alice (founder) and bob */
    uint8_t contract[CLAVE_FL_CONTRACT_ID_LEN];
    uint8_t key[CLAVE_FL_CLIENT_KEY_LEN], other_key[CLAVE_FL_CLIENT_KEY_LEN];
};

static void spki_of(const struct clave_pkey *k, uint8_t *out, size_t *len)
{
    T_OK(clave_pkey_export_spki(k, out, CLAVE_COLLAB_SPKI_MAX, len));
}

static void add_member(struct fixture *f, const char *party, const struct clave_pkey *key,
                       const char *signer, const struct clave_pkey *signer_key)
{
    uint8_t spki[CLAVE_COLLAB_SPKI_MAX], *st = NULL;
    size_t spki_len = 0, st_len = 0;
    struct clave_collab_change ch = {0};
    spki_of(key, spki, &spki_len);
    ch.op = CLAVE_COLLAB_ADD;
    ch.collaboration = "acme";
    clave_collab_next(f->collab, &ch.seq, ch.prev);
    ch.party = party;
    ch.signer = signer;
    ch.spki = spki;
    ch.spki_len = spki_len;
    ch.time = 1700000000;
    T_OK(clave_collab_sign(&ch, signer_key, &st, &st_len));
    T_OK(clave_collab_append(f->collab, st, st_len));
    free(st);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    size_t n = 0;
    assert_non_null(f);
    T_OK(clave_pkey_generate(CLAVE_PKEY_ED25519, &f->alice));
    T_OK(clave_pkey_generate(CLAVE_PKEY_P256, &f->bob));
    T_OK(clave_pkey_generate(CLAVE_PKEY_ED25519, &f->mallory));
    T_OK(clave_pkey_generate(CLAVE_PKEY_ED25519, &f->client));
    T_OK(clave_pkey_generate(CLAVE_PKEY_ED25519, &f->other));
    T_OK(clave_pkey_export_raw_public(f->client, f->key, sizeof(f->key), &n));
    T_OK(clave_pkey_export_raw_public(f->other, f->other_key, sizeof(f->other_key), &n));
    memset(f->contract, 0xc7, sizeof(f->contract));
    T_OK(clave_collab_new("acme", &f->collab));
    add_member(f, "alice", f->alice, "alice", f->alice);
    add_member(f, "bob", f->bob, "alice", f->alice);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    clave_pkey_free(f->alice);
    clave_pkey_free(f->bob);
    clave_pkey_free(f->mallory);
    clave_pkey_free(f->client);
    clave_pkey_free(f->other);
    clave_collab_free(f->collab);
    free(f);
    return 0;
}

static struct clave_fl_client_claim claim_of(const struct fixture *f, const char *party)
{
    struct clave_fl_client_claim c = {"acme", f->contract, party, f->key};
    return c;
}

/* What a client does with a directory entry: the party's key from the verified membership. */
static clave_status check_entry(const struct fixture *f, const char *party, const uint8_t *st,
                                size_t len, const uint8_t *key)
{
    struct clave_collab_member m;
    struct clave_fl_client_claim c = {"acme", f->contract, party, key};
    clave_status s = clave_collab_find(f->collab, party, &m);
    return s != CLAVE_OK ? s : clave_fl_client_cert_verify(st, len, &c, m.spki, m.spki_len);
}

static void test_sign_verify(void **state)
{
    struct fixture *f = *state;
    const char *parties[] = {"alice", "bob"};
    const struct clave_pkey *keys[] = {f->alice, f->bob};
    for (size_t i = 0; i < 2; i++) {
        struct clave_fl_client_claim c = claim_of(f, parties[i]);
        uint8_t *st = NULL;
        size_t len = 0;
        T_OK(clave_fl_client_cert_sign(&c, keys[i], &st, &len));
        assert_true(len <= CLAVE_FL_CLIENT_CERT_MAX_LEN);
        assert_int_equal(st[0], 0xd2); /* tag 18 */
        T_OK(check_entry(f, parties[i], st, len, f->key));
        /* The coordinator substitutes the key, or moves the statement to another party. */
        T_ERR(check_entry(f, parties[i], st, len, f->other_key), CLAVE_ERR_SIGNATURE);
        T_ERR(check_entry(f, parties[1 - i], st, len, f->key), CLAVE_ERR_SIGNATURE);
        free(st);
    }
}

static void test_non_member(void **state)
{
    struct fixture *f = *state;
    struct clave_fl_client_claim c = claim_of(f, "alice");
    uint8_t *st = NULL;
    size_t len = 0;
    /* A key the coordinator (or anyone outside) certifies in alice's name. */
    T_OK(clave_fl_client_cert_sign(&c, f->mallory, &st, &len));
    T_ERR(check_entry(f, "alice", st, len, f->key), CLAVE_ERR_SIGNATURE);
    free(st);
    /* mallory is no member: there is no key to check its own statement with. */
    c = claim_of(f, "mallory");
    T_OK(clave_fl_client_cert_sign(&c, f->mallory, &st, &len));
    T_ERR(check_entry(f, "mallory", st, len, f->key), CLAVE_ERR_NOT_FOUND);
    free(st);
}

static void test_other_contract(void **state)
{
    struct fixture *f = *state;
    struct clave_fl_client_claim c = claim_of(f, "alice");
    uint8_t *st = NULL, spki[CLAVE_COLLAB_SPKI_MAX], other[CLAVE_FL_CONTRACT_ID_LEN];
    size_t len = 0, spki_len = 0;
    spki_of(f->alice, spki, &spki_len);
    T_OK(clave_fl_client_cert_sign(&c, f->alice, &st, &len));
    memcpy(other, f->contract, sizeof(other));
    other[31] ^= 1;
    struct clave_fl_client_claim x = c;
    x.contract = other;
    T_ERR(clave_fl_client_cert_verify(st, len, &x, spki, spki_len), CLAVE_ERR_SIGNATURE);
    x = c;
    x.collaboration = "other";
    T_ERR(clave_fl_client_cert_verify(st, len, &x, spki, spki_len), CLAVE_ERR_SIGNATURE);
    free(st);
}

static void test_hostile_bytes(void **state)
{
    struct fixture *f = *state;
    struct clave_fl_client_claim c = claim_of(f, "alice");
    uint8_t *st = NULL, spki[CLAVE_COLLAB_SPKI_MAX];
    size_t len = 0, spki_len = 0;
    spki_of(f->alice, spki, &spki_len);
    T_OK(clave_fl_client_cert_sign(&c, f->alice, &st, &len));
    for (size_t n = 0; n < len; n++) {
        assert_int_not_equal(clave_fl_client_cert_verify(st, n, &c, spki, spki_len), CLAVE_OK);
    }
    for (size_t i = 0; i < len; i++) {
        for (unsigned bit = 0; bit < 8; bit++) {
            st[i] ^= (uint8_t)(1u << bit);
            assert_int_not_equal(clave_fl_client_cert_verify(st, len, &c, spki, spki_len),
                                 CLAVE_OK);
            st[i] ^= (uint8_t)(1u << bit);
        }
    }
    T_OK(clave_fl_client_cert_verify(st, len, &c, spki, spki_len));
    uint8_t *big = calloc(CLAVE_FL_CLIENT_CERT_MAX_LEN + 1, 1);
    assert_non_null(big);
    memcpy(big, st, len);
    T_ERR(clave_fl_client_cert_verify(big, CLAVE_FL_CLIENT_CERT_MAX_LEN + 1, &c, spki, spki_len),
          CLAVE_ERR_FORMAT);
    assert_int_not_equal(clave_fl_client_cert_verify(big, len + 1, &c, spki, spki_len), CLAVE_OK);
    free(big);
    free(st);
}

static void test_token_path(void **state)
{
    struct fixture *f = *state;
    struct clave_fl_client_claim c = claim_of(f, "alice");
    uint8_t *tbs = NULL, *st = NULL, *direct = NULL, sig[CLAVE_ED25519_SIG_LEN];
    uint8_t spki[CLAVE_COLLAB_SPKI_MAX];
    size_t tbs_len = 0, len = 0, direct_len = 0, spki_len = 0;
    spki_of(f->alice, spki, &spki_len);
    T_OK(clave_fl_client_cert_signing_input(&c, CLAVE_COSE_ALG_EDDSA, &tbs, &tbs_len));
    T_OK(clave_ed25519_sign(f->alice, tbs, tbs_len, sig));
    T_OK(clave_fl_client_cert_assemble(&c, CLAVE_COSE_ALG_EDDSA, spki, spki_len, sig, sizeof(sig),
                                       &st, &len));
    T_OK(check_entry(f, "alice", st, len, f->key));
    /* Ed25519 is deterministic: the token path gives the same bytes as signing directly. */
    T_OK(clave_fl_client_cert_sign(&c, f->alice, &direct, &direct_len));
    assert_int_equal(direct_len, len);
    assert_memory_equal(direct, st, len);
    free(st);
    st = NULL;
    sig[5] ^= 0x40;
    T_ERR(clave_fl_client_cert_assemble(&c, CLAVE_COSE_ALG_EDDSA, spki, spki_len, sig, sizeof(sig),
                                        &st, &len),
          CLAVE_ERR_SIGNATURE);
    assert_null(st);
    T_ERR(
        clave_fl_client_cert_assemble(&c, CLAVE_COSE_ALG_EDDSA, spki, spki_len, sig, 63, &st, &len),
        CLAVE_ERR_SIGNATURE);
    T_ERR(clave_fl_client_cert_signing_input(&c, CLAVE_COSE_ALG_ES384, &st, &len),
          CLAVE_ERR_UNSUPPORTED);
    free(direct);
    free(tbs);
}

static void test_arguments(void **state)
{
    struct fixture *f = *state;
    struct clave_fl_client_claim c = claim_of(f, "al ice");
    uint8_t *st = NULL, spki[CLAVE_COLLAB_SPKI_MAX];
    size_t len = 0, spki_len = 0;
    T_ERR(clave_fl_client_cert_sign(&c, f->alice, &st, &len), CLAVE_ERR_ARG);
    c = claim_of(f, "");
    T_ERR(clave_fl_client_cert_sign(&c, f->alice, &st, &len), CLAVE_ERR_ARG);
    c = claim_of(f, "alice");
    c.client_key = NULL;
    T_ERR(clave_fl_client_cert_sign(&c, f->alice, &st, &len), CLAVE_ERR_ARG);
    c = claim_of(f, "alice");
    spki_of(f->alice, spki, &spki_len);
    struct clave_pkey *pub = NULL;
    T_OK(clave_pkey_from_der(spki, spki_len, &pub));
    T_ERR(clave_fl_client_cert_sign(&c, pub, &st, &len), CLAVE_ERR_ARG); /* no private key */
    clave_pkey_free(pub);
    assert_null(st);
    T_ERR(clave_fl_client_cert_verify(NULL, 0, &c, spki, spki_len), CLAVE_ERR_FORMAT);
}

/* A key-holder statement by bob (P-256) over a Paillier key's digest, checked as a client does. */
static void test_keyholder_statement(void **state)
{
    struct fixture *f = *state;
    uint8_t pub[300], digest[CLAVE_FL_CLIENT_KEY_LEN], bad[CLAVE_FL_CLIENT_KEY_LEN];
    uint8_t *st = NULL, *cst = NULL, spki[CLAVE_COLLAB_SPKI_MAX];
    size_t len = 0, clen = 0, spki_len = 0;
    for (size_t i = 0; i < sizeof(pub); i++) {
        pub[i] = (uint8_t)(i * 7u + 3u); /* stands for the serialized key: only its hash counts */
    }
    T_OK(clave_fl_keyholder_key_digest(pub, sizeof(pub), digest));
    spki_of(f->bob, spki, &spki_len);
    struct clave_fl_client_claim c = {"acme", f->contract, "bob", digest};
    T_OK(clave_fl_statement_sign(CLAVE_FL_STATEMENT_KEYHOLDER_KEY, &c, f->bob, &st, &len));
    T_OK(clave_fl_statement_verify(CLAVE_FL_STATEMENT_KEYHOLDER_KEY, st, len, &c, spki, spki_len));
    /* Kinds never cross: a key-holder statement is no client-key statement and back. */
    T_ERR(clave_fl_statement_verify(CLAVE_FL_STATEMENT_CLIENT_KEY, st, len, &c, spki, spki_len),
          CLAVE_ERR_SIGNATURE);
    T_ERR(clave_fl_client_cert_verify(st, len, &c, spki, spki_len), CLAVE_ERR_SIGNATURE);
    T_OK(clave_fl_client_cert_sign(&c, f->bob, &cst, &clen));
    T_ERR(
        clave_fl_statement_verify(CLAVE_FL_STATEMENT_KEYHOLDER_KEY, cst, clen, &c, spki, spki_len),
        CLAVE_ERR_SIGNATURE);
    /* A tampered key (another digest), another party, a non-member's signature. */
    pub[150] ^= 1;
    T_OK(clave_fl_keyholder_key_digest(pub, sizeof(pub), bad));
    struct clave_fl_client_claim x = c;
    x.client_key = bad;
    T_ERR(clave_fl_statement_verify(CLAVE_FL_STATEMENT_KEYHOLDER_KEY, st, len, &x, spki, spki_len),
          CLAVE_ERR_SIGNATURE);
    x = c;
    x.party = "alice";
    T_ERR(clave_fl_statement_verify(CLAVE_FL_STATEMENT_KEYHOLDER_KEY, st, len, &x, spki, spki_len),
          CLAVE_ERR_SIGNATURE);
    free(cst);
    cst = NULL;
    T_OK(clave_fl_statement_sign(CLAVE_FL_STATEMENT_KEYHOLDER_KEY, &c, f->mallory, &cst, &clen));
    T_ERR(
        clave_fl_statement_verify(CLAVE_FL_STATEMENT_KEYHOLDER_KEY, cst, clen, &c, spki, spki_len),
        CLAVE_ERR_SIGNATURE);
    for (size_t n = 0; n < len; n++) {
        assert_int_not_equal(
            clave_fl_statement_verify(CLAVE_FL_STATEMENT_KEYHOLDER_KEY, st, n, &c, spki, spki_len),
            CLAVE_OK);
    }
    free(cst);
    free(st);
}

static void test_keyholder_token_and_arguments(void **state)
{
    struct fixture *f = *state;
    uint8_t digest[CLAVE_FL_CLIENT_KEY_LEN], *tbs = NULL, *st = NULL, *direct = NULL;
    uint8_t sig[CLAVE_ED25519_SIG_LEN], spki[CLAVE_COLLAB_SPKI_MAX];
    size_t tbs_len = 0, len = 0, direct_len = 0, spki_len = 0;
    const uint8_t pub[] = {1, 2, 3};
    T_OK(clave_fl_keyholder_key_digest(pub, sizeof(pub), digest));
    spki_of(f->alice, spki, &spki_len);
    struct clave_fl_client_claim c = {"acme", f->contract, "alice", digest};
    T_OK(clave_fl_statement_signing_input(CLAVE_FL_STATEMENT_KEYHOLDER_KEY, &c,
                                          CLAVE_COSE_ALG_EDDSA, &tbs, &tbs_len));
    T_OK(clave_ed25519_sign(f->alice, tbs, tbs_len, sig));
    T_OK(clave_fl_statement_assemble(CLAVE_FL_STATEMENT_KEYHOLDER_KEY, &c, CLAVE_COSE_ALG_EDDSA,
                                     spki, spki_len, sig, sizeof(sig), &st, &len));
    T_OK(clave_fl_statement_sign(CLAVE_FL_STATEMENT_KEYHOLDER_KEY, &c, f->alice, &direct,
                                 &direct_len));
    assert_int_equal(direct_len, len);
    assert_memory_equal(direct, st, len);
    free(st);
    st = NULL;
    /* The client-key signing input signed by the token does not make a key-holder statement. */
    free(tbs);
    T_OK(clave_fl_client_cert_signing_input(&c, CLAVE_COSE_ALG_EDDSA, &tbs, &tbs_len));
    T_OK(clave_ed25519_sign(f->alice, tbs, tbs_len, sig));
    T_ERR(clave_fl_statement_assemble(CLAVE_FL_STATEMENT_KEYHOLDER_KEY, &c, CLAVE_COSE_ALG_EDDSA,
                                      spki, spki_len, sig, sizeof(sig), &st, &len),
          CLAVE_ERR_SIGNATURE);
    T_ERR(clave_fl_statement_sign((clave_fl_statement_kind)3, &c, f->alice, &st, &len),
          CLAVE_ERR_ARG);
    T_ERR(clave_fl_statement_verify((clave_fl_statement_kind)0, direct, direct_len, &c, spki,
                                    spki_len),
          CLAVE_ERR_ARG);
    T_ERR(clave_fl_keyholder_key_digest(NULL, 3, digest), CLAVE_ERR_ARG);
    T_ERR(clave_fl_keyholder_key_digest(pub, 0, digest), CLAVE_ERR_ARG);
    assert_null(st);
    free(direct);
    free(tbs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sign_verify, setup, teardown),
        cmocka_unit_test_setup_teardown(test_non_member, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_contract, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_token_path, setup, teardown),
        cmocka_unit_test_setup_teardown(test_arguments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keyholder_statement, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keyholder_token_and_arguments, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
