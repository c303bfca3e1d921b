/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: arbitrary bytes as the key broker's request bodies (include/clave/kbs.h):
 * the RCAR Request of POST /kbs/v0/auth and the Attestation of POST /kbs/v0/attest, and as the
 * claims JSON sessions keep in the store. Whatever the attestation parser accepts must expose a
 * nonce, a public TEE key and non-empty evidence, and its report data must be recomputable from
 * them; accepted claims must survive a JSON round trip unchanged. Also the platform TCB
 * collateral (kbs-tcb.json): whatever parses yields one of the three statuses for SNP claims.
 * And a recipient's public JWK (POST /v1/collaborations/{c}/recipients): whatever is accepted
 * is public, and its canonical JSON parses back to the same thumbprint.
 */
#include <clave/clave.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void attestation(const uint8_t *data, size_t size)
{
    struct clave_kbs_attestation *a = NULL;
    if (clave_kbs_parse_attestation((const char *)data, size, &a) != CLAVE_OK) {
        return;
    }
    size_t len = 0;
    uint8_t rd[CLAVE_KBS_REPORT_DATA_LEN];
    const char *pk = clave_kbs_attestation_tee_pubkey_json(a);
    json_t *j = json_loads(pk, 0, NULL);
    if (clave_kbs_attestation_evidence(a, &len) == NULL || len == 0 || j == NULL ||
        clave_jwk_has_private(clave_kbs_attestation_tee_key(a)) ||
        clave_kbs_report_data(clave_kbs_attestation_nonce(a), j, rd) != CLAVE_OK ||
        !clave_ct_equal(rd, clave_kbs_attestation_report_data(a), sizeof(rd))) {
        abort();
    }
    json_decref(j);
    clave_kbs_attestation_free(a);
}

static void claims(const uint8_t *data, size_t size)
{
    struct clave_kbs_claims c;
    struct clave_kbs_claims back;
    json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    json_t *out = NULL;
    if (j != NULL && clave_kbs_claims_from_json(j, &c) == CLAVE_OK) {
        if (clave_kbs_claims_to_json(&c, &out) != CLAVE_OK ||
            clave_kbs_claims_from_json(out, &back) != CLAVE_OK || strcmp(back.tee, c.tee) != 0 ||
            back.debug != c.debug || back.measurement_len != c.measurement_len ||
            memcmp(back.evidence_sha256, c.evidence_sha256, 32) != 0) { // lint:public
            abort();
        }
    }
    json_decref(out);
    json_decref(j);
}

static void tcb_collateral(const uint8_t *data, size_t size)
{
    struct clave_kbs_tcb_collateral *t = NULL;
    struct clave_kbs_claims c;
    char status[CLAVE_KBS_TCB_STATUS_MAX];
    char detail[CLAVE_KBS_REASON_MAX];
    if (clave_kbs_tcb_collateral_parse((const char *)data, size, &t) != CLAVE_OK) {
        return;
    }
    memset(&c, 0, sizeof(c));
    memcpy(c.tee, "snp", 4);
    c.has_tcb = true;
    c.has_chip_id = true;
    clave_kbs_tcb_collateral_status(t, &c, status, detail);
    if (status[0] != '\0' && strcmp(status, "UpToDate") != 0 && strcmp(status, "OutOfDate") != 0 &&
        strcmp(status, "Revoked") != 0) {
        abort();
    }
    clave_kbs_tcb_collateral_free(t);
}

static void recipient_key(const uint8_t *data, size_t size)
{
    uint8_t tp[32];
    uint8_t again[32];
    char *pub = NULL;
    char *pub2 = NULL;
    if (clave_kbs_recipient_key_parse((const char *)data, size, tp, &pub) != CLAVE_OK) {
        return;
    }
    if (clave_kbs_recipient_key_parse(pub, strlen(pub), again, &pub2) != CLAVE_OK ||
        !clave_ct_equal(tp, again, sizeof(tp))) {
        abort();
    }
    free(pub2);
    free(pub);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct clave_kbs_auth_request r;
    if (clave_kbs_parse_auth((const char *)data, size, &r) == CLAVE_OK &&
        (strncmp(r.version, "0.1.", 4) != 0 || !clave_kbs_valid_path_part(r.tee))) {
        abort();
    }
    attestation(data, size);
    claims(data, size);
    tcb_collateral(data, size);
    recipient_key(data, size);
    return 0;
}
