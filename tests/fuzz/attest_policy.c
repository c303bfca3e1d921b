/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: arbitrary bytes as a JSON appraisal policy, parsed (root files resolved
 * against a directory that does not exist) and applied to a fixed report carrying claims of
 * every type.
 */
#include <clave/clave.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void must(clave_status st)
{
    if (st != CLAVE_OK) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct clave_attest_policy *p = NULL;
    if (clave_attest_policy_parse((const char *)data, size, "/nonexistent-clave-fuzz", &p) !=
        CLAVE_OK) {
        return 0;
    }
    struct clave_attest_report *r = NULL;
    const uint8_t m[4] = {0xa1, 0xf3, 0x93, 0x04};
    must(clave_attest_report_new(&r));
    must(clave_attest_report_check(r, "snp.signature", true, "fuzz"));
    must(clave_attest_claim_string(r, "tee", "snp"));
    must(clave_attest_claim_bytes(r, "measurement", m, sizeof(m)));
    must(clave_attest_claim_bytes(r, "report_data", m, sizeof(m)));
    must(clave_attest_claim_bool(r, "debug", false));
    must(clave_attest_claim_int(r, "snp.guest_svn", 4));
    must(clave_attest_claim_int(r, "time", 1700000000));
    must(clave_attest_claim_string(r, "tcb_status", "UpToDate"));
    (void)clave_attest_policy_apply(p, 1700000100, r);
    (void)clave_attest_policy_roots(p, "snp");
    clave_attest_report_free(r);
    clave_attest_policy_free(p);
    return 0;
}
