/* SPDX-License-Identifier: Apache-2.0 */
/* Test contracts shared by the contract unit tests (static helpers; include once per test). */
#ifndef CLAVE_TEST_CONTRACT_FIXTURE_H
#define CLAVE_TEST_CONTRACT_FIXTURE_H

#include "testlib.h"

#include <string.h>

/* RFC 8032 section 7.1, TEST 1: secret key and its public key (test keys only). */
static const uint8_t ALICE_SEED[32] = {
    0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a, 0xf4, 0x92, 0xec, 0x2c, 0xc4,
    0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32, 0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60,
};

static struct clave_pkey *fixture_alice(void)
{
    struct clave_pkey *key = NULL;
    T_OK(clave_pkey_from_raw_private(CLAVE_PKEY_ED25519, ALICE_SEED, sizeof(ALICE_SEED), &key));
    return key;
}

static void fixture_spki(const struct clave_pkey *key, uint8_t *spki, size_t *len)
{
    T_OK(clave_pkey_export_spki(key, spki, CLAVE_PKEY_SPKI_MAX_LEN, len));
}

/* Ways to break one field of the two-party fixture. */
enum fixture_break {
    FIX_OK = 0,
    FIX_NO_COLLABORATION,
    FIX_VERSION_ZERO,
    FIX_DATASET_BAD_ID,
    FIX_DATASET_OWNER_NOT_SIGNER,
    FIX_DATASET_DUPLICATE_HASH,
    FIX_NO_COMPUTATION,
    FIX_NO_WORKLOADS,
    FIX_SGX_NO_MEASUREMENT,
    FIX_TCB_REVOKED,
    FIX_BUDGET_NOT_SIGNER,
    FIX_EPSILON_ZERO,
    FIX_DELTA_ONE,
    FIX_GROUP_ZERO,
    FIX_COLUMN_CONTROL,
    FIX_RECIPIENT_BAD_KEY,
    FIX_NO_REGIONS,
    FIX_REGION_STAR_AND_OTHER,
    FIX_SIGNER_X25519,
    FIX_SIGNER_DUPLICATE,
    FIX_NO_EXPIRY,
    FIX_NOT_BEFORE_AFTER_EXPIRY,
    FIX_COUNT,
};

#define FIXTURE_NOT_BEFORE 1700000000u
#define FIXTURE_EXPIRY 1900000000u

/*
 * Alice (Ed25519, RFC 8032 key) and `bob` (any P-256 key) must both sign. Alice owns "claims",
 * Bob owns "visits"; both have budgets; Bob receives results.
 */
static struct clave_contract_builder *fixture_builder(const struct clave_pkey *bob,
                                                      enum fixture_break br)
{
    /* {"metric": "count", "group_by": ["region"], "limit": 100} */
    static const uint8_t SPEC[] = {0xa3, 0x66, 'm', 'e',  't',  'r', 'i', 'c',  0x65, 'c',
                                   'o',  'u',  'n', 't',  0x68, 'g', 'r', 'o',  'u',  'p',
                                   '_',  'b',  'y', 0x81, 0x66, 'r', 'e', 'g',  'i',  'o',
                                   'n',  0x65, 'l', 'i',  'm',  'i', 't', 0x18, 0x64};
    struct clave_contract_builder *b = NULL;
    struct clave_pkey *alice = fixture_alice();
    struct clave_pkey *x = NULL;
    uint8_t spki_a[CLAVE_PKEY_SPKI_MAX_LEN];
    uint8_t spki_b[CLAVE_PKEY_SPKI_MAX_LEN];
    size_t len_a = 0;
    size_t len_b = 0;
    uint8_t h1[32];
    uint8_t h2[32];
    memset(h1, 0x11, sizeof(h1));
    memset(h2, br == FIX_DATASET_DUPLICATE_HASH ? 0x11 : 0x22, sizeof(h2));
    fixture_spki(alice, spki_a, &len_a);
    fixture_spki(bob, spki_b, &len_b);
    T_OK(clave_contract_builder_new(&b));
    if (br != FIX_NO_COLLABORATION) {
        T_OK(clave_contract_builder_set_collaboration(b, "acme-health"));
    }
    T_OK(clave_contract_builder_set_version(b, br == FIX_VERSION_ZERO ? 0 : 3));
    T_OK(clave_contract_builder_add_dataset(b, br == FIX_DATASET_BAD_ID ? "claims 2024" : "claims",
                                            "alice", h1));
    T_OK(clave_contract_builder_add_dataset(
        b, "visits", br == FIX_DATASET_OWNER_NOT_SIGNER ? "mallory" : "bob", h2));
    if (br != FIX_NO_COMPUTATION) {
        T_OK(
            clave_contract_builder_set_computation(b, CLAVE_COMPUTATION_QUERY, SPEC, sizeof(SPEC)));
    }
    if (br != FIX_NO_WORKLOADS) {
        struct clave_contract_workload w;
        memset(&w, 0, sizeof(w));
        w.tee = CLAVE_TEE_SIM_SNP;
        memset(w.snp.measurement, 0x5a, sizeof(w.snp.measurement));
        w.snp.min_tcb = (struct clave_snp_tcb){3, 0, 8, 115};
        T_OK(clave_contract_builder_add_workload(b, &w));
        memset(&w, 0, sizeof(w));
        w.tee = CLAVE_TEE_SGX;
        w.sgx.isvprodid = 1;
        w.sgx.min_isvsvn = 2;
        w.sgx.has_mrsigner = br != FIX_SGX_NO_MEASUREMENT;
        memset(w.sgx.mrsigner, 0x6b, sizeof(w.sgx.mrsigner));
        T_OK(clave_contract_builder_add_workload(b, &w));
    }
    T_OK(clave_contract_builder_add_tcb_status(b, "UpToDate"));
    T_OK(clave_contract_builder_add_tcb_status(b, br == FIX_TCB_REVOKED ? "Revoked"
                                                                        : "SWHardeningNeeded"));
    T_OK(clave_contract_builder_add_budget(b, br == FIX_BUDGET_NOT_SIGNER ? "carol" : "alice",
                                           br == FIX_EPSILON_ZERO ? 0 : 1000000, 0));
    T_OK(clave_contract_builder_add_budget(b, "bob", 500000,
                                           br == FIX_DELTA_ONE ? 1000000000000u : 1000000));
    T_OK(clave_contract_builder_set_min_group_size(b, br == FIX_GROUP_ZERO ? 0 : 10));
    T_OK(clave_contract_builder_add_column(b, "age"));
    T_OK(clave_contract_builder_add_column(b, br == FIX_COLUMN_CONTROL ? "zip\ncode" : "zip"));
    if (br == FIX_RECIPIENT_BAD_KEY) {
        T_OK(clave_contract_builder_add_recipient_spki(b, "bob", (const uint8_t *)"nope", 4));
    } else {
        T_OK(clave_contract_builder_add_recipient_spki(b, "bob", spki_b, len_b));
    }
    if (br != FIX_NO_REGIONS) {
        T_OK(clave_contract_builder_add_region(b, "eu-west-1"));
        if (br == FIX_REGION_STAR_AND_OTHER) {
            T_OK(clave_contract_builder_add_region(b, "*"));
        }
    }
    if (br == FIX_SIGNER_X25519) {
        T_OK(clave_pkey_generate(CLAVE_PKEY_X25519, &x));
        fixture_spki(x, spki_a, &len_a);
    }
    T_OK(clave_contract_builder_add_signer(b, "alice", spki_a, len_a));
    T_OK(clave_contract_builder_add_signer(b, br == FIX_SIGNER_DUPLICATE ? "alice" : "bob", spki_b,
                                           len_b));
    if (br == FIX_NOT_BEFORE_AFTER_EXPIRY) {
        T_OK(clave_contract_builder_set_validity(b, FIXTURE_EXPIRY, FIXTURE_EXPIRY));
    } else {
        T_OK(clave_contract_builder_set_validity(b, FIXTURE_NOT_BEFORE,
                                                 br == FIX_NO_EXPIRY ? 0 : FIXTURE_EXPIRY));
    }
    clave_pkey_free(x);
    clave_pkey_free(alice);
    return b;
}

static struct clave_contract *fixture_contract(const struct clave_pkey *bob)
{
    struct clave_contract_builder *b = fixture_builder(bob, FIX_OK);
    struct clave_contract *c = NULL;
    T_OK(clave_contract_builder_finish(b, &c));
    clave_contract_builder_free(b);
    return c;
}

#endif
