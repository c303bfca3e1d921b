/* SPDX-License-Identifier: Apache-2.0 */
/* Approvals, revocations, state at given times, external (token) signing and the bundle. */
#include "fixture.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#define T_BEFORE (FIXTURE_NOT_BEFORE - 1)
#define T_DURING (FIXTURE_NOT_BEFORE + 1000)

struct parties {
    struct clave_pkey *alice; /* Ed25519 */
    struct clave_pkey *bob;   /* P-256 */
    struct clave_contract *c;
};

static int setup(void **state)
{
    struct parties *p = calloc(1, sizeof(*p));
    p->alice = fixture_alice();
    T_OK(clave_pkey_generate(CLAVE_PKEY_P256, &p->bob));
    p->c = fixture_contract(p->bob);
    *state = p;
    return 0;
}

static int teardown(void **state)
{
    struct parties *p = *state;
    clave_contract_free(p->c);
    clave_pkey_free(p->alice);
    clave_pkey_free(p->bob);
    free(p);
    return 0;
}

static void expect_state(const struct clave_contract *c, uint64_t now,
                         enum clave_contract_state want, const char *reason)
{
    struct clave_contract_verdict v;
    clave_contract_status(c, now, &v);
    if (v.state != want || (reason != NULL && strstr(v.reason, reason) == NULL)) {
        fail_msg("at %llu: %s (%s), expected %s (%s)", (unsigned long long)now,
                 clave_contract_state_name(v.state), v.reason, clave_contract_state_name(want),
                 reason != NULL ? reason : "");
    }
}

static void sign_both(struct parties *p)
{
    uint8_t *sig = NULL;
    size_t len = 0;
    T_OK(clave_contract_sign(p->c, p->alice, "alice", &sig, &len));
    T_OK(clave_contract_add_signature(p->c, "alice", sig, len));
    free(sig);
    T_OK(clave_contract_sign(p->c, p->bob, "bob", &sig, &len));
    T_OK(clave_contract_add_signature(p->c, "bob", sig, len));
    free(sig);
}

static void test_draft_to_active(void **state)
{
    struct parties *p = *state;
    uint8_t *sig = NULL;
    size_t len = 0;
    expect_state(p->c, T_DURING, CLAVE_CONTRACT_DRAFT, "0 of 2 signatures; missing alice");
    T_OK(clave_contract_sign(p->c, p->alice, "alice", &sig, &len));
    T_OK(clave_contract_add_signature(p->c, "alice", sig, len));
    T_OK(clave_contract_add_signature(p->c, "alice", sig, len)); /* idempotent */
    free(sig);
    expect_state(p->c, T_DURING, CLAVE_CONTRACT_DRAFT, "missing bob");
    assert_true(clave_contract_has_signature(p->c, "alice"));
    assert_false(clave_contract_has_signature(p->c, "bob"));
    T_OK(clave_contract_sign(p->c, p->bob, "bob", &sig, &len));
    T_OK(clave_contract_add_signature(p->c, "bob", sig, len));
    free(sig);
    expect_state(p->c, T_DURING, CLAVE_CONTRACT_ACTIVE, "all 2");
    expect_state(p->c, FIXTURE_NOT_BEFORE, CLAVE_CONTRACT_ACTIVE, NULL);
    expect_state(p->c, T_BEFORE, CLAVE_CONTRACT_NOT_YET_VALID, "not valid before");
    expect_state(p->c, FIXTURE_EXPIRY - 1, CLAVE_CONTRACT_ACTIVE, NULL);
    expect_state(p->c, FIXTURE_EXPIRY, CLAVE_CONTRACT_EXPIRED, "expired at 1900000000");
}

static void test_bad_signatures(void **state)
{
    struct parties *p = *state;
    uint8_t *sig = NULL;
    size_t len = 0;
    struct clave_pkey *other = NULL;
    T_OK(clave_pkey_generate(CLAVE_PKEY_ED25519, &other));
    /* Signing needs the declared key and a required party. */
    T_ERR(clave_contract_sign(p->c, other, "alice", &sig, &len), CLAVE_ERR_KEY);
    T_ERR(clave_contract_sign(p->c, p->alice, "bob", &sig, &len), CLAVE_ERR_KEY);
    T_ERR(clave_contract_sign(p->c, p->alice, "mallory", &sig, &len), CLAVE_ERR_NOT_FOUND);

    T_OK(clave_contract_sign(p->c, p->alice, "alice", &sig, &len));
    /* Alice's approval presented as Bob's: wrong key and wrong AAD. */
    T_ERR(clave_contract_add_signature(p->c, "bob", sig, len), CLAVE_ERR_SIGNATURE);
    T_ERR(clave_contract_add_signature(p->c, "mallory", sig, len), CLAVE_ERR_NOT_FOUND);
    /* An approval is not a revocation. */
    assert_int_not_equal(clave_contract_add_revocation(p->c, "alice", sig, len), CLAVE_OK);
    /* Every flipped bit is refused. */
    for (size_t i = 0; i < len; i++) {
        for (int bit = 0; bit < 8; bit++) {
            sig[i] ^= (uint8_t)(1u << bit);
            assert_int_not_equal(clave_contract_add_signature(p->c, "alice", sig, len), CLAVE_OK);
            sig[i] ^= (uint8_t)(1u << bit);
        }
    }
    for (size_t cut = 0; cut < len; cut++) {
        assert_int_not_equal(clave_contract_add_signature(p->c, "alice", sig, cut), CLAVE_OK);
    }
    assert_false(clave_contract_has_signature(p->c, "alice"));
    free(sig);

    /* A signature for another contract (version 4 instead of 3). */
    struct clave_contract_builder *b = fixture_builder(p->bob, FIX_OK);
    struct clave_contract *c2 = NULL;
    T_OK(clave_contract_builder_set_version(b, 4));
    T_OK(clave_contract_builder_finish(b, &c2));
    T_OK(clave_contract_sign(c2, p->alice, "alice", &sig, &len));
    T_ERR(clave_contract_add_signature(p->c, "alice", sig, len), CLAVE_ERR_SIGNATURE);
    T_OK(clave_contract_add_signature(c2, "alice", sig, len));
    free(sig);
    clave_contract_free(c2);
    clave_contract_builder_free(b);

    /* A non-required party with a perfectly valid COSE_Sign1 over the id. */
    struct clave_secret *pem = NULL;
    const struct clave_cose_sign_opts opts = {.tagged = true};
    EVP_PKEY *evp = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    unsigned char *pk = NULL;
    int pk_len = i2d_PrivateKey(evp, &pk);
    assert_true(pk_len > 0);
    T_OK(clave_secret_from(pk, (size_t)pk_len, &pem));
    T_OK(clave_cose_sign1_sign(pem, CLAVE_COSE_ALG_EDDSA, clave_contract_id(p->c),
                               CLAVE_CONTRACT_ID_LEN, &opts, &sig, &len));
    T_ERR(clave_contract_add_signature(p->c, "carol", sig, len), CLAVE_ERR_NOT_FOUND);
    T_ERR(clave_contract_add_signature(p->c, "alice", sig, len), CLAVE_ERR_SIGNATURE);
    free(sig);
    OPENSSL_free(pk);
    EVP_PKEY_free(evp);
    clave_secret_free(pem);
    clave_pkey_free(other);
    expect_state(p->c, T_DURING, CLAVE_CONTRACT_DRAFT, NULL);
}

static void test_revocation_is_final(void **state)
{
    struct parties *p = *state;
    uint8_t *rev = NULL;
    size_t len = 0;
    const uint64_t at = T_DURING + 500;
    sign_both(p);
    T_ERR(clave_contract_revoke(p->c, p->bob, "alice", at, &rev, &len), CLAVE_ERR_KEY);
    T_OK(clave_contract_revoke(p->c, p->bob, "bob", at, &rev, &len));
    assert_int_not_equal(clave_contract_add_signature(p->c, "bob", rev, len), CLAVE_OK);
    T_ERR(clave_contract_add_revocation(p->c, "alice", rev, len), CLAVE_ERR_SIGNATURE);
    T_OK(clave_contract_add_revocation(p->c, "bob", rev, len));
    T_ERR(clave_contract_add_revocation(p->c, "bob", rev, len), CLAVE_ERR_EXISTS);
    free(rev);
    expect_state(p->c, at - 1, CLAVE_CONTRACT_ACTIVE, NULL);
    expect_state(p->c, at, CLAVE_CONTRACT_REVOKED, "revoked by bob");
    expect_state(p->c, FIXTURE_EXPIRY + 1, CLAVE_CONTRACT_REVOKED, NULL);
    /* An earlier revocation by Alice wins; later approvals change nothing. */
    T_OK(clave_contract_revoke(p->c, p->alice, "alice", at - 100, &rev, &len));
    T_OK(clave_contract_add_revocation(p->c, "alice", rev, len));
    free(rev);
    struct clave_contract_verdict v;
    clave_contract_status(p->c, at, &v);
    assert_int_equal(v.revoked_at, at - 100);
    assert_non_null(strstr(v.reason, "alice"));
    assert_true(clave_contract_has_revocation(p->c, "bob"));
}

/* A revocation of a draft is still final. */
static void test_revoke_draft(void **state)
{
    struct parties *p = *state;
    uint8_t *rev = NULL;
    size_t len = 0;
    T_OK(clave_contract_revoke(p->c, p->alice, "alice", T_DURING, &rev, &len));
    T_OK(clave_contract_add_revocation(p->c, "alice", rev, len));
    free(rev);
    expect_state(p->c, T_DURING, CLAVE_CONTRACT_REVOKED, NULL);
}

/* What a PKCS#11 token does: sign the signing input outside libclave. */
static void test_external_signing(void **state)
{
    struct parties *p = *state;
    uint8_t *tbs = NULL;
    size_t tbs_len = 0;
    uint8_t raw[64];
    size_t raw_len = 0;
    uint8_t *msg = NULL;
    size_t msg_len = 0;
    T_ERR(clave_contract_signing_input(p->c, CLAVE_CONTRACT_APPROVAL, "bob", CLAVE_COSE_ALG_ES384,
                                       0, &tbs, &tbs_len),
          CLAVE_ERR_UNSUPPORTED);
    T_OK(clave_contract_signing_input(p->c, CLAVE_CONTRACT_APPROVAL, "bob", CLAVE_COSE_ALG_ES256, 0,
                                      &tbs, &tbs_len));
    T_OK(clave_ecdsa_sign(p->bob, CLAVE_SIG_RAW, tbs, tbs_len, raw, sizeof(raw), &raw_len));
    assert_int_equal(raw_len, 64);
    T_OK(clave_contract_assemble_statement(p->c, CLAVE_CONTRACT_APPROVAL, "bob",
                                           CLAVE_COSE_ALG_ES256, 0, raw, sizeof(raw), &msg,
                                           &msg_len));
    T_OK(clave_contract_add_signature(p->c, "bob", msg, msg_len));
    free(msg);
    raw[5] ^= 1;
    T_ERR(clave_contract_assemble_statement(p->c, CLAVE_CONTRACT_APPROVAL, "bob",
                                            CLAVE_COSE_ALG_ES256, 0, raw, sizeof(raw), &msg,
                                            &msg_len),
          CLAVE_ERR_SIGNATURE);
    free(tbs);
    /* Ed25519 revocation through the same path. */
    T_OK(clave_contract_signing_input(p->c, CLAVE_CONTRACT_REVOCATION, "alice",
                                      CLAVE_COSE_ALG_EDDSA, T_DURING, &tbs, &tbs_len));
    T_OK(clave_ed25519_sign(p->alice, tbs, tbs_len, raw));
    T_OK(clave_contract_assemble_statement(p->c, CLAVE_CONTRACT_REVOCATION, "alice",
                                           CLAVE_COSE_ALG_EDDSA, T_DURING, raw, sizeof(raw), &msg,
                                           &msg_len));
    T_OK(clave_contract_add_revocation(p->c, "alice", msg, msg_len));
    free(msg);
    free(tbs);
    expect_state(p->c, T_DURING, CLAVE_CONTRACT_REVOKED, NULL);
}

static void test_sign_with_pem_secret(void **state)
{
    struct parties *p = *state;
    EVP_PKEY *evp = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, ALICE_SEED, 32);
    unsigned char *der = NULL;
    int der_len = i2d_PrivateKey(evp, &der);
    struct clave_secret *secret = NULL;
    uint8_t *sig = NULL;
    size_t len = 0;
    assert_true(der_len > 0);
    T_OK(clave_secret_from(der, (size_t)der_len, &secret));
    T_OK(clave_contract_sign_secret(p->c, secret, "alice", &sig, &len));
    T_OK(clave_contract_add_signature(p->c, "alice", sig, len));
    free(sig);
    clave_secret_free(secret);
    OPENSSL_free(der);
    EVP_PKEY_free(evp);
}

static void test_bundle_round_trip_and_tamper(void **state)
{
    struct parties *p = *state;
    uint8_t *bundle = NULL;
    size_t len = 0;
    struct clave_contract *back = NULL;
    struct clave_contract_verdict v;
    sign_both(p);
    T_OK(clave_contract_bundle_export(p->c, &bundle, &len));
    T_OK(clave_contract_bundle_parse(bundle, len, &back));
    assert_memory_equal(clave_contract_id(back), clave_contract_id(p->c), CLAVE_CONTRACT_ID_LEN);
    expect_state(back, T_DURING, CLAVE_CONTRACT_ACTIVE, NULL);
    clave_contract_free(back);
    back = NULL;
    /* Every single-bit flip: rejected, or (never expected) a bundle that is not active. */
    for (size_t i = 0; i < len; i++) {
        for (int bit = 0; bit < 8; bit++) {
            bundle[i] ^= (uint8_t)(1u << bit);
            if (clave_contract_bundle_parse(bundle, len, &back) == CLAVE_OK) {
                clave_contract_status(back, T_DURING, &v);
                if (v.state == CLAVE_CONTRACT_ACTIVE) {
                    fail_msg("flip of bit %d at %zu still verifies as active", bit, i);
                }
                clave_contract_free(back);
                back = NULL;
            }
            bundle[i] ^= (uint8_t)(1u << bit);
        }
    }
    for (size_t cut = 0; cut < len; cut++) {
        assert_int_not_equal(clave_contract_bundle_parse(bundle, cut, &back), CLAVE_OK);
    }
    free(bundle);

    /* With a revocation: the round trip keeps it, and damage to it fails the whole bundle. */
    uint8_t *rev = NULL;
    size_t rev_len = 0;
    T_OK(clave_contract_revoke(p->c, p->alice, "alice", T_DURING, &rev, &rev_len));
    T_OK(clave_contract_add_revocation(p->c, "alice", rev, rev_len));
    T_OK(clave_contract_bundle_export(p->c, &bundle, &len));
    T_OK(clave_contract_bundle_parse(bundle, len, &back));
    expect_state(back, T_DURING, CLAVE_CONTRACT_REVOKED, NULL);
    clave_contract_free(back);
    back = NULL;
    uint8_t *at = memmem(bundle, len, rev, rev_len);
    assert_non_null(at);
    at[rev_len - 1] ^= 1;
    assert_int_not_equal(clave_contract_bundle_parse(bundle, len, &back), CLAVE_OK);
    assert_null(back);
    free(rev);
    free(bundle);
}

static void test_bundle_hostile(void **state)
{
    (void)state;
    static const char *const HOSTILE[] = {
        "a0",
        "80",
        "a4666f726d617401",
        "a4666f726d6174026863", /* format 2, then garbage */
        "a4666f726d617401686f6e7472616374400000",
    };
    for (size_t i = 0; i < sizeof(HOSTILE) / sizeof(HOSTILE[0]); i++) {
        size_t n = 0;
        uint8_t *b = t_hex(HOSTILE[i], &n);
        struct clave_contract *c = NULL;
        assert_int_not_equal(clave_contract_bundle_parse(b, n, &c), CLAVE_OK);
        assert_null(c);
        free(b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_draft_to_active, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_signatures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_revocation_is_final, setup, teardown),
        cmocka_unit_test_setup_teardown(test_revoke_draft, setup, teardown),
        cmocka_unit_test_setup_teardown(test_external_signing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sign_with_pem_secret, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bundle_round_trip_and_tamper, setup, teardown),
        cmocka_unit_test(test_bundle_hostile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
