/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Platform TCB collateral (clave_kbs_tcb_collateral_*, kbs-tcb.json): the statuses it assigns
 * (UpToDate at the minimum, OutOfDate below it in any component, Revoked for a listed CHIP_ID,
 * nothing for other TEE types), the claims' chip_id JSON round trip, and hostile documents:
 * truncation at every offset, every byte flipped, wrong types, out-of-range values, unknown
 * members, oversized input.
 */
#include "testlib.h"

#include <clave/clave.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DOC(SNP) "{\"version\":1,\"issued_at\":1790000000,\"snp\":" SNP "}"
#define MIN_3_0_8_115 "{\"bootloader\":3,\"tee\":0,\"snp\":8,\"microcode\":115}"

static char *chip_hex(char c)
{
    static char hex[2 * CLAVE_KBS_CHIP_ID_LEN + 1];
    memset(hex, c, 2 * CLAVE_KBS_CHIP_ID_LEN);
    hex[2 * CLAVE_KBS_CHIP_ID_LEN] = '\0';
    return hex;
}

/* SNP claims at TCB (3, 0, 8, 115) from chip 0xaa.. */
static void snp_claims(struct clave_kbs_claims *c, const char *tee)
{
    memset(c, 0, sizeof(*c));
    memcpy(c->tee, tee, strlen(tee) + 1);
    c->reported_tcb = (struct clave_snp_tcb){3, 0, 8, 115};
    c->has_tcb = true;
    memset(c->chip_id, 0xaa, sizeof(c->chip_id));
    c->has_chip_id = true;
}

static void status_of(const char *doc, const struct clave_kbs_claims *c, const char *want)
{
    struct clave_kbs_tcb_collateral *t = NULL;
    char status[CLAVE_KBS_TCB_STATUS_MAX];
    char detail[CLAVE_KBS_REASON_MAX];
    T_OK(clave_kbs_tcb_collateral_parse(doc, strlen(doc), &t));
    clave_kbs_tcb_collateral_status(t, c, status, detail);
    assert_string_equal(status, want);
    clave_kbs_tcb_collateral_free(t);
}

static void test_statuses(void **state)
{
    (void)state;
    struct clave_kbs_claims c;
    char doc[1024];
    snp_claims(&c, "sim-snp");
    status_of(DOC("{\"min_tcb\":" MIN_3_0_8_115 "}"), &c, "UpToDate");
    status_of(DOC("{}"), &c, "UpToDate");
    status_of("{\"version\":1}", &c, ""); /* says nothing about SNP */
    /* One component above the platform's, each in turn: OutOfDate. */
    static const char *const ABOVE[] = {"{\"bootloader\":4,\"tee\":0,\"snp\":8,\"microcode\":115}",
                                        "{\"bootloader\":3,\"tee\":1,\"snp\":8,\"microcode\":115}",
                                        "{\"bootloader\":3,\"tee\":0,\"snp\":9,\"microcode\":115}",
                                        "{\"bootloader\":3,\"tee\":0,\"snp\":8,\"microcode\":116}"};
    for (size_t i = 0; i < sizeof(ABOVE) / sizeof(ABOVE[0]); i++) {
        (void)snprintf(doc, sizeof(doc), DOC("{\"min_tcb\":%s}"), ABOVE[i]);
        status_of(doc, &c, "OutOfDate");
    }
    /* Revoked wins over OutOfDate; another chip's revocation does not apply. */
    (void)snprintf(doc, sizeof(doc),
                   DOC("{\"min_tcb\":{\"bootloader\":9,\"tee\":0,\"snp\":0,\"microcode\":0},"
                       "\"revoked_chip_ids\":[\"%s\"]}"),
                   chip_hex('a'));
    status_of(doc, &c, "Revoked");
    (void)snprintf(doc, sizeof(doc), DOC("{\"revoked_chip_ids\":[\"%s\"]}"), chip_hex('b'));
    status_of(doc, &c, "UpToDate");
    /* Claims without a TCB cannot be judged against a minimum: OutOfDate. */
    c.has_tcb = false;
    status_of(DOC("{\"min_tcb\":" MIN_3_0_8_115 "}"), &c, "OutOfDate");
    /* Real SNP is judged too; Nitro is not. */
    snp_claims(&c, "snp");
    status_of(DOC("{\"min_tcb\":" MIN_3_0_8_115 "}"), &c, "UpToDate");
    snp_claims(&c, "nitro");
    status_of(DOC("{\"min_tcb\":" MIN_3_0_8_115 "}"), &c, "");
    /* No collateral at all. */
    char status[CLAVE_KBS_TCB_STATUS_MAX];
    char detail[CLAVE_KBS_REASON_MAX];
    clave_kbs_tcb_collateral_status(NULL, &c, status, detail);
    assert_string_equal(status, "");
}

static void test_issued_at(void **state)
{
    (void)state;
    struct clave_kbs_tcb_collateral *t = NULL;
    static const char D[] = DOC("{}");
    T_OK(clave_kbs_tcb_collateral_parse(D, strlen(D), &t));
    assert_int_equal(clave_kbs_tcb_collateral_issued_at(t), 1790000000);
    clave_kbs_tcb_collateral_free(t);
    clave_kbs_tcb_collateral_free(NULL);
}

static void test_hostile(void **state)
{
    (void)state;
    struct clave_kbs_tcb_collateral *t = NULL;
    char doc[1024];
    (void)snprintf(doc, sizeof(doc),
                   DOC("{\"min_tcb\":" MIN_3_0_8_115 ",\"revoked_chip_ids\":[\"%s\"]}"),
                   chip_hex('a'));
    for (size_t n = 0; n < strlen(doc); n++) {
        assert_int_not_equal(clave_kbs_tcb_collateral_parse(doc, n, &t), CLAVE_OK);
        assert_null(t);
    }
    /* Every byte flipped: a refusal or a document that still yields a valid status. */
    struct clave_kbs_claims c;
    snp_claims(&c, "snp");
    for (size_t i = 0; i < strlen(doc); i++) {
        char copy[1024];
        memcpy(copy, doc, sizeof(copy));
        copy[i] = (char)(copy[i] ^ 0x01);
        if (clave_kbs_tcb_collateral_parse(copy, strlen(doc), &t) == CLAVE_OK) {
            char status[CLAVE_KBS_TCB_STATUS_MAX];
            char detail[CLAVE_KBS_REASON_MAX];
            clave_kbs_tcb_collateral_status(t, &c, status, detail);
            assert_true(status[0] == '\0' || strcmp(status, "UpToDate") == 0 ||
                        strcmp(status, "OutOfDate") == 0 || strcmp(status, "Revoked") == 0);
            clave_kbs_tcb_collateral_free(t);
            t = NULL;
        }
    }
    static const char *const BAD[] = {
        "[]",
        "{}",
        "{\"version\":2}",
        "{\"version\":\"1\"}",
        "{\"version\":1,\"extra\":1}",
        "{\"version\":1,\"issued_at\":-1}",
        "{\"version\":1,\"snp\":[]}",
        "{\"version\":1,\"snp\":{\"x\":1}}",
        "{\"version\":1,\"snp\":{\"min_tcb\":{\"bootloader\":256,\"tee\":0,\"snp\":0,"
        "\"microcode\":0}}}",
        "{\"version\":1,\"snp\":{\"min_tcb\":{\"bootloader\":-1,\"tee\":0,\"snp\":0,"
        "\"microcode\":0}}}",
        "{\"version\":1,\"snp\":{\"min_tcb\":{\"bootloader\":1,\"tee\":0,\"snp\":0}}}",
        "{\"version\":1,\"snp\":{\"min_tcb\":{\"bootloader\":1,\"tee\":0,\"snp\":0,"
        "\"microcode\":0,\"fmc\":1}}}",
        "{\"version\":1,\"snp\":{\"min_tcb\":{\"bootloader\":\"1\",\"tee\":0,\"snp\":0,"
        "\"microcode\":0}}}",
        "{\"version\":1,\"snp\":{\"revoked_chip_ids\":\"aa\"}}",
        "{\"version\":1,\"snp\":{\"revoked_chip_ids\":[\"aa\"]}}",
        "{\"version\":1,\"snp\":{\"revoked_chip_ids\":[7]}}",
    };
    for (size_t i = 0; i < sizeof(BAD) / sizeof(BAD[0]); i++) {
        assert_int_not_equal(clave_kbs_tcb_collateral_parse(BAD[i], strlen(BAD[i]), &t), CLAVE_OK);
        assert_null(t);
    }
    /* A chip id of the right length but not hex. */
    char *zz = chip_hex('z');
    (void)snprintf(doc, sizeof(doc), DOC("{\"revoked_chip_ids\":[\"%s\"]}"), zz);
    assert_int_not_equal(clave_kbs_tcb_collateral_parse(doc, strlen(doc), &t), CLAVE_OK);
    /* Over 1 MiB: refused before parsing. */
    size_t big = (1u << 20) + 16;
    char *huge = malloc(big);
    assert_non_null(huge);
    memset(huge, ' ', big);
    memcpy(huge, "{\"version\":1}", 13);
    assert_int_equal(clave_kbs_tcb_collateral_parse(huge, big, &t), CLAVE_ERR_TOO_LARGE);
    free(huge);
    assert_int_not_equal(clave_kbs_tcb_collateral_parse(NULL, 0, &t), CLAVE_OK);
}

static void test_claims_chip_id(void **state)
{
    (void)state;
    struct clave_kbs_claims c;
    struct clave_kbs_claims back;
    json_t *j = NULL;
    snp_claims(&c, "sim-snp");
    T_OK(clave_kbs_claims_to_json(&c, &j));
    T_OK(clave_kbs_claims_from_json(j, &back));
    assert_true(back.has_chip_id);
    assert_memory_equal(back.chip_id, c.chip_id, sizeof(c.chip_id));
    /* Claims stored before chip ids were kept: absent, not an error. */
    json_object_del(j, "chip_id");
    T_OK(clave_kbs_claims_from_json(j, &back));
    assert_false(back.has_chip_id);
    json_object_set_new(j, "chip_id", json_string("aa"));
    assert_int_not_equal(clave_kbs_claims_from_json(j, &back), CLAVE_OK);
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_statuses),
        cmocka_unit_test(test_issued_at),
        cmocka_unit_test(test_hostile),
        cmocka_unit_test(test_claims_chip_id),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
