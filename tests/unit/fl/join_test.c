/* SPDX-License-Identifier: Apache-2.0 */
/* JOIN frames of the attested FL aggregator (clave_fl_join_*; docs/formats/fl.md "Control
 * frames"): a party signs the HELLO's challenge, the runner's RA-TLS certificate hash, the
 * contract and client id with its identity key (Ed25519 or P-256). Checked: the exact frame
 * layout, round trips for both key types; refusals of another key (CLAVE_ERR_SIGNATURE), of a
 * JOIN for another challenge, certificate, contract, client or party (CLAVE_ERR_STATE: replayed
 * or relayed), truncation at every offset, every single-bit flip, trailing and oversized input,
 * bad party names, wrong version and type, and bad arguments. */
#include "testlib.h"

#include <clave/fl.h>
#include <stdlib.h>
#include <string.h>

#define SPKI_MAX 256

struct fixture {
    struct clave_pkey *alice, *bob, *mallory;
    uint8_t alice_spki[SPKI_MAX], bob_spki[SPKI_MAX], mallory_spki[SPKI_MAX];
    size_t alice_len, bob_len, mallory_len;
    uint8_t challenge[CLAVE_FL_CHALLENGE_LEN], cert[32], contract[CLAVE_FL_CONTRACT_ID_LEN];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    T_OK(clave_pkey_generate(CLAVE_PKEY_ED25519, &f->alice));
    T_OK(clave_pkey_generate(CLAVE_PKEY_P256, &f->bob));
    T_OK(clave_pkey_generate(CLAVE_PKEY_ED25519, &f->mallory));
    T_OK(clave_pkey_export_spki(f->alice, f->alice_spki, SPKI_MAX, &f->alice_len));
    T_OK(clave_pkey_export_spki(f->bob, f->bob_spki, SPKI_MAX, &f->bob_len));
    T_OK(clave_pkey_export_spki(f->mallory, f->mallory_spki, SPKI_MAX, &f->mallory_len));
    T_OK(clave_random(f->challenge, sizeof(f->challenge)));
    T_OK(clave_random(f->cert, sizeof(f->cert)));
    T_OK(clave_random(f->contract, sizeof(f->contract)));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    clave_pkey_free(f->alice);
    clave_pkey_free(f->bob);
    clave_pkey_free(f->mallory);
    free(f);
    return 0;
}

static struct clave_fl_join_claim claim_of(const struct fixture *f, const char *party)
{
    return (struct clave_fl_join_claim){party, f->challenge, f->cert, f->contract, 3};
}

/* parse + verify as the runner does: the party from the frame, everything else its own. */
static clave_status runner_check(const struct fixture *f, const uint8_t *msg, size_t len,
                                 const uint8_t *spki, size_t spki_len)
{
    char party[CLAVE_FL_PARTY_MAX + 1];
    const uint8_t *st = NULL;
    size_t st_len = 0;
    clave_status s = clave_fl_join_parse(msg, len, party, &st, &st_len);
    if (s != CLAVE_OK) {
        assert_string_equal(party, "");
        assert_null(st);
        return s;
    }
    struct clave_fl_join_claim want = claim_of(f, party);
    return clave_fl_join_verify(st, st_len, &want, spki, spki_len);
}

static void test_round_trip(void **state)
{
    struct fixture *f = *state;
    struct clave_fl_join_claim c = claim_of(f, "hospital-a");
    uint8_t *msg = NULL;
    size_t len = 0, st_len = 0;
    char party[CLAVE_FL_PARTY_MAX + 1];
    const uint8_t *st = NULL;
    T_OK(clave_fl_join_encode(&c, f->alice, &msg, &len));
    assert_true(len <= CLAVE_FL_JOIN_MAX_LEN);
    static const uint8_t HEAD[9] = {'C', 'L', 'F', 'A', 2, 3, 0, 0, 10};
    assert_memory_equal(msg, HEAD, sizeof(HEAD));
    assert_memory_equal(msg + 9, "hospital-a", 10);
    assert_true(clave_fl_is_control(msg, len));
    T_OK(clave_fl_join_parse(msg, len, party, &st, &st_len));
    assert_string_equal(party, "hospital-a");
    assert_ptr_equal(st, msg + 21);
    assert_int_equal(st_len, (size_t)msg[19] | (size_t)msg[20] << 8);
    assert_int_equal(21 + st_len, len);
    assert_int_equal(st[0], 0xd2); /* COSE_Sign1 tag 18 */
    T_OK(clave_fl_join_verify(st, st_len, &c, f->alice_spki, f->alice_len));
    free(msg);
    /* P-256 identity keys (ES256) too; ECDSA is randomised, both JOINs verify */
    c = claim_of(f, "bob:lab.2");
    for (int i = 0; i < 2; i++) {
        T_OK(clave_fl_join_encode(&c, f->bob, &msg, &len));
        T_OK(runner_check(f, msg, len, f->bob_spki, f->bob_len));
        free(msg);
    }
}

static void test_wrong_key(void **state)
{
    struct fixture *f = *state;
    struct clave_fl_join_claim c = claim_of(f, "hospital-a");
    uint8_t *msg = NULL;
    size_t len = 0;
    /* mallory signs as hospital-a: the contract's key for hospital-a is alice's */
    T_OK(clave_fl_join_encode(&c, f->mallory, &msg, &len));
    assert_int_equal(runner_check(f, msg, len, f->alice_spki, f->alice_len), CLAVE_ERR_SIGNATURE);
    T_OK(runner_check(f, msg, len, f->mallory_spki, f->mallory_len));
    free(msg);
    /* an Ed25519 JOIN under a P-256 party key: refused whatever the reason given */
    T_OK(clave_fl_join_encode(&c, f->alice, &msg, &len));
    assert_int_not_equal(runner_check(f, msg, len, f->bob_spki, f->bob_len), CLAVE_OK);
    assert_int_equal(runner_check(f, msg, len, NULL, 0), CLAVE_ERR_KEY);
    free(msg);
}

/* A JOIN signed by the right key for anything but this runner's challenge, certificate,
 * contract and client id is CLAVE_ERR_STATE. */
static void test_wrong_binding(void **state)
{
    struct fixture *f = *state;
    uint8_t *msg = NULL, other[32];
    size_t len = 0, st_len = 0;
    char party[CLAVE_FL_PARTY_MAX + 1];
    const uint8_t *st = NULL;
    struct clave_fl_join_claim c = claim_of(f, "hospital-a");
    T_OK(clave_fl_join_encode(&c, f->alice, &msg, &len));
    T_OK(clave_fl_join_parse(msg, len, party, &st, &st_len));
    memcpy(other, f->challenge, sizeof(other));
    other[31] ^= 1;
    struct clave_fl_join_claim want = c;
    want.challenge = other; /* another connection's challenge: a replay */
    assert_int_equal(clave_fl_join_verify(st, st_len, &want, f->alice_spki, f->alice_len),
                     CLAVE_ERR_STATE);
    want = c;
    want.cert_sha256 = other; /* another runner's certificate: a relay */
    assert_int_equal(clave_fl_join_verify(st, st_len, &want, f->alice_spki, f->alice_len),
                     CLAVE_ERR_STATE);
    want = c;
    want.contract = other;
    assert_int_equal(clave_fl_join_verify(st, st_len, &want, f->alice_spki, f->alice_len),
                     CLAVE_ERR_STATE);
    want = c;
    want.client = 4;
    assert_int_equal(clave_fl_join_verify(st, st_len, &want, f->alice_spki, f->alice_len),
                     CLAVE_ERR_STATE);
    want = c;
    want.party = "hospital-b"; /* alice's JOIN presented as another party's (same key) */
    assert_int_equal(clave_fl_join_verify(st, st_len, &want, f->alice_spki, f->alice_len),
                     CLAVE_ERR_STATE);
    free(msg);
}

static void test_hostile_bytes(void **state)
{
    struct fixture *f = *state;
    struct clave_fl_join_claim c = claim_of(f, "hospital-a");
    uint8_t *msg = NULL, big[CLAVE_FL_JOIN_MAX_LEN + 2];
    size_t len = 0;
    T_OK(clave_fl_join_encode(&c, f->alice, &msg, &len));
    for (size_t cut = 0; cut < len; cut++) {
        assert_int_not_equal(runner_check(f, msg, cut, f->alice_spki, f->alice_len), CLAVE_OK);
    }
    for (size_t bit = 0; bit < len * 8; bit++) {
        msg[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        assert_int_not_equal(runner_check(f, msg, len, f->alice_spki, f->alice_len), CLAVE_OK);
        msg[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    T_OK(runner_check(f, msg, len, f->alice_spki, f->alice_len));
    memcpy(big, msg, len);
    big[len] = 0;
    assert_int_equal(runner_check(f, big, len + 1, f->alice_spki, f->alice_len),
                     CLAVE_ERR_TRAILING);
    memset(big + len, 0, sizeof(big) - len);
    assert_int_equal(runner_check(f, big, sizeof(big), f->alice_spki, f->alice_len),
                     CLAVE_ERR_TOO_LARGE);
    memcpy(big, msg, len);
    big[4] = 1; /* a version-1 control frame */
    assert_int_equal(runner_check(f, big, len, f->alice_spki, f->alice_len), CLAVE_ERR_UNSUPPORTED);
    big[4] = 2;
    big[5] = 1; /* a HELLO where a JOIN is expected */
    assert_int_equal(runner_check(f, big, len, f->alice_spki, f->alice_len), CLAVE_ERR_FORMAT);
    big[5] = 3;
    big[9] = '/'; /* not an identifier character */
    assert_int_equal(runner_check(f, big, len, f->alice_spki, f->alice_len), CLAVE_ERR_FORMAT);
    big[9] = '\0';
    assert_int_equal(runner_check(f, big, len, f->alice_spki, f->alice_len), CLAVE_ERR_FORMAT);
    big[9] = 'h';
    big[8] = 0; /* empty party */
    assert_int_not_equal(runner_check(f, big, len, f->alice_spki, f->alice_len), CLAVE_OK);
    big[8] = CLAVE_FL_PARTY_MAX + 1; /* longer than any party */
    assert_int_equal(runner_check(f, big, len, f->alice_spki, f->alice_len), CLAVE_ERR_TOO_LARGE);
    big[8] = 10;
    big[19] = big[20] = 0; /* empty statement, then everything else trails */
    assert_int_not_equal(runner_check(f, big, 21, f->alice_spki, f->alice_len), CLAVE_OK);
    big[20] = 0xff; /* a statement length beyond the frame's maximum */
    assert_int_equal(runner_check(f, big, len, f->alice_spki, f->alice_len), CLAVE_ERR_TOO_LARGE);
    free(msg);
}

static void test_arguments(void **state)
{
    struct fixture *f = *state;
    struct clave_fl_join_claim c = claim_of(f, "hospital-a");
    struct clave_pkey *pub = NULL, *x = NULL;
    uint8_t *msg = NULL;
    size_t len = 0;
    char party[CLAVE_FL_PARTY_MAX + 1];
    const uint8_t *st = NULL;
    T_OK(clave_pkey_from_der(f->alice_spki, f->alice_len, &pub));
    assert_int_equal(clave_fl_join_encode(&c, pub, &msg, &len), CLAVE_ERR_ARG);
    assert_null(msg);
    T_OK(clave_pkey_generate(CLAVE_PKEY_X25519, &x));
    assert_int_equal(clave_fl_join_encode(&c, x, &msg, &len), CLAVE_ERR_KEY);
    static const char LONG65[] =
        "01234567890123456789012345678901234567890123456789012345678901234";
    static const char *const BAD[] = {"", "has space", "slash/", "x\xc3\xa9", LONG65};
    for (size_t i = 0; i < sizeof(BAD) / sizeof(BAD[0]); i++) {
        c.party = BAD[i];
        assert_int_equal(clave_fl_join_encode(&c, f->alice, &msg, &len), CLAVE_ERR_ARG);
    }
    c.party = "0123456789012345678901234567890123456789012345678901234567890123"; /* 64 */
    T_OK(clave_fl_join_encode(&c, f->alice, &msg, &len));
    assert_true(len <= CLAVE_FL_JOIN_MAX_LEN);
    T_OK(runner_check(f, msg, len, f->alice_spki, f->alice_len));
    free(msg);
    c = claim_of(f, "hospital-a");
    c.client = 0;
    assert_int_equal(clave_fl_join_encode(&c, f->alice, &msg, &len), CLAVE_ERR_ARG);
    c.client = CLAVE_FL_MAX_CLIENTS + 1;
    assert_int_equal(clave_fl_join_encode(&c, f->alice, &msg, &len), CLAVE_ERR_ARG);
    c = claim_of(f, "hospital-a");
    c.challenge = NULL;
    assert_int_equal(clave_fl_join_encode(&c, f->alice, &msg, &len), CLAVE_ERR_ARG);
    assert_int_equal(clave_fl_join_encode(NULL, f->alice, &msg, &len), CLAVE_ERR_ARG);
    assert_int_equal(clave_fl_join_encode(&c, f->alice, NULL, &len), CLAVE_ERR_ARG);
    assert_int_equal(clave_fl_join_parse(NULL, 0, party, &st, &len), CLAVE_ERR_ARG);
    c = claim_of(f, "hospital-a");
    assert_int_equal(clave_fl_join_verify(NULL, 0, &c, f->alice_spki, f->alice_len),
                     CLAVE_ERR_FORMAT);
    clave_pkey_free(pub);
    clave_pkey_free(x);
}

/* The token path: the signing input signed elsewhere, then assembled (and checked under the
 * party's public key) into the same frame as a direct signature (Ed25519 is deterministic); a
 * bad or short signature, or another party's key, gives no frame. */
static void test_token_path(void **state)
{
    struct fixture *f = *state;
    struct clave_fl_join_claim c = claim_of(f, "alice");
    uint8_t *tbs = NULL, *frame = NULL, *direct = NULL, sig[64];
    size_t tbs_len = 0, len = 0, direct_len = 0;
    T_OK(clave_fl_join_signing_input(&c, CLAVE_COSE_ALG_EDDSA, &tbs, &tbs_len));
    T_OK(clave_ed25519_sign(f->alice, tbs, tbs_len, sig));
    T_OK(clave_fl_join_assemble(&c, CLAVE_COSE_ALG_EDDSA, f->alice_spki, f->alice_len, sig,
                                sizeof(sig), &frame, &len));
    T_OK(clave_fl_join_encode(&c, f->alice, &direct, &direct_len));
    assert_int_equal(direct_len, len);
    assert_memory_equal(direct, frame, len);
    char party[CLAVE_FL_PARTY_MAX + 1];
    const uint8_t *st = NULL;
    size_t st_len = 0;
    T_OK(clave_fl_join_parse(frame, len, party, &st, &st_len));
    T_OK(clave_fl_join_verify(st, st_len, &c, f->alice_spki, f->alice_len));
    free(frame);
    frame = NULL;
    T_ERR(clave_fl_join_assemble(&c, CLAVE_COSE_ALG_EDDSA, f->mallory_spki, f->mallory_len, sig,
                                 sizeof(sig), &frame, &len),
          CLAVE_ERR_SIGNATURE);
    assert_null(frame);
    sig[9] ^= 0x01;
    T_ERR(clave_fl_join_assemble(&c, CLAVE_COSE_ALG_EDDSA, f->alice_spki, f->alice_len, sig,
                                 sizeof(sig), &frame, &len),
          CLAVE_ERR_SIGNATURE);
    T_ERR(clave_fl_join_assemble(&c, CLAVE_COSE_ALG_EDDSA, f->alice_spki, f->alice_len, sig, 63,
                                 &frame, &len),
          CLAVE_ERR_SIGNATURE);
    assert_null(frame);
    T_ERR(clave_fl_join_signing_input(&c, CLAVE_COSE_ALG_ES384, &frame, &len),
          CLAVE_ERR_UNSUPPORTED);
    free(direct);
    free(tbs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_binding, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_arguments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_token_path, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
