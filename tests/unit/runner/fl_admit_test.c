/* SPDX-License-Identifier: Apache-2.0 */
/* The attested FL aggregator's slot rule (src/runner/fl_admit.c): a party owning d of the
 * contract's D datasets holds at most ceil(clients * d / D) client slots; a signer without a
 * dataset and a non-party hold none. The contract: alice owns two datasets, bob one, carol
 * (a signer and recipient) none. The JOIN itself is tested in tests/unit/fl/join_test.c and the
 * whole admission in tests/integration/fl_tee.sh. */
#include "fl_admit.h"
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_MAX 4096

static char *spki_b64(void)
{
    struct clave_pkey *k = NULL;
    uint8_t spki[CLAVE_PKEY_SPKI_MAX_LEN];
    size_t len = 0;
    char *b64 = NULL;
    T_OK(clave_pkey_generate(CLAVE_PKEY_ED25519, &k));
    T_OK(clave_pkey_export_spki(k, spki, sizeof(spki), &len));
    T_OK(clave_b64_encode_alloc(CLAVE_B64_STD, spki, len, &b64));
    clave_pkey_free(k);
    return b64;
}

static struct clave_contract *contract(void)
{
    char *a = spki_b64(), *b = spki_b64(), *c = spki_b64();
    char *json = malloc(JSON_MAX);
    struct clave_contract *out = NULL;
    assert_non_null(json);
    int n = snprintf(
        json, JSON_MAX,
        "{\"collaboration\": \"wdbc\", \"version\": 1, \"datasets\": ["
        "{\"id\": \"a1\", \"owner\": \"alice\", \"sha256\": \"%064d\"},"
        "{\"id\": \"a2\", \"owner\": \"alice\", \"sha256\": \"%064d\"},"
        "{\"id\": \"b1\", \"owner\": \"bob\", \"sha256\": \"%064d\"}],"
        "\"computation\": {\"kind\": \"fl\", \"spec\": {\"name\": \"t\", \"clients\": 3}},"
        "\"workloads\": [{\"tee\": \"sim-snp\", \"measurement\": \"%096d\", \"min_tcb\": "
        "{\"bootloader\": 0, \"tee\": 0, \"snp\": 0, \"microcode\": 0}}],"
        "\"tcb_statuses\": [\"UpToDate\"], \"output\": {\"budgets\": [], \"min_group_size\": 1, "
        "\"columns\": []}, \"recipients\": [{\"party\": \"carol\", \"spki\": \"%s\"}], "
        "\"regions\": [\"eu\"], \"signers\": [{\"party\": \"alice\", \"spki\": \"%s\"}, "
        "{\"party\": \"bob\", \"spki\": \"%s\"}, {\"party\": \"carol\", \"spki\": \"%s\"}], "
        "\"not_before\": 1700000000, \"expiry\": 4000000000}",
        1, 2, 3, 4, c, a, b, c);
    assert_true(n > 0 && n < JSON_MAX);
    T_OK(clave_contract_from_json(json, (size_t)n, &out));
    free(json);
    free(a);
    free(b);
    free(c);
    return out;
}

static void test_quota(void **state)
{
    (void)state;
    struct clave_contract *c = contract();
    /* three clients: two for alice's two datasets, one for bob's */
    assert_int_equal(fl_admit_quota(c, 3, "alice"), 2);
    assert_int_equal(fl_admit_quota(c, 3, "bob"), 1);
    /* a signer owning no dataset, a non-party, a prefix of a party: none */
    assert_int_equal(fl_admit_quota(c, 3, "carol"), 0);
    assert_int_equal(fl_admit_quota(c, 3, "mallory"), 0);
    assert_int_equal(fl_admit_quota(c, 3, "ali"), 0);
    /* rounding up: 4 clients give alice ceil(8/3) = 3, bob ceil(4/3) = 2; one client: one each */
    assert_int_equal(fl_admit_quota(c, 4, "alice"), 3);
    assert_int_equal(fl_admit_quota(c, 4, "bob"), 2);
    assert_int_equal(fl_admit_quota(c, 1, "alice"), 1);
    assert_int_equal(fl_admit_quota(c, 1, "bob"), 1);
    /* the largest federation does not overflow */
    assert_int_equal(fl_admit_quota(c, CLAVE_FL_MAX_CLIENTS, "alice"),
                     (2 * CLAVE_FL_MAX_CLIENTS + 2) / 3);
    uint8_t cert[32] = {0};
    struct fl_admit ad;
    T_OK(fl_admit_init(&ad, c, 3, cert));
    assert_int_equal(ad.held[0] + ad.held[1] + ad.held[2], 0);
    fl_admit_free(&ad);
    assert_null(ad.held);
    clave_contract_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quota),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
