/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: arbitrary bytes as a result receipt (the COSE_Sign1 frame with its ledger
 * proof, then the strict payload decoder) and as a bare receipt payload; a receipt that parses
 * is walked through every accessor, its JSON forms, and the verifier with an empty trust (which
 * reaches the runtime-data key and the signature check). Seeds in corpus/receipt come from
 * docs/examples/receipt_tour.c.
 */
#include "receipt/body.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk(const struct clave_receipt *r)
{
    size_t n = 0;
    char *json = NULL;
    json_t *fields = NULL;
    if (clave_receipt_contract_id(r) == NULL || clave_receipt_kind(r) == NULL ||
        clave_receipt_evidence(r, &n) == NULL || n == 0 || clave_receipt_ear(r) == NULL ||
        clave_receipt_dataset_count(r) == 0 || clave_receipt_output_count(r) == 0) {
        abort();
    }
    for (size_t i = 0; i < clave_receipt_reference_count(r); i++) {
        if (clave_receipt_reference(r, i).len == 0) {
            abort();
        }
    }
    for (size_t i = 0; i < clave_receipt_debit_count(r); i++) {
        if (clave_receipt_debit(r, i).party == NULL) {
            abort();
        }
    }
    if (clave_receipt_to_json(r, &json) == CLAVE_OK) {
        free(json);
    }
    if (clave_receipt_ledger_fields(r, &fields) == CLAVE_OK) {
        json_decref(fields);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct clave_receipt *r = NULL;
    struct receipt_body body;
    uint8_t hash[CLAVE_RECEIPT_SHA256_LEN];
    if (clave_receipt_parse(data, size, &r) == CLAVE_OK) {
        walk(r);
        if (clave_receipt_payload_hash(data, size, hash) != CLAVE_OK ||
            memcmp(hash, clave_receipt_hash(r), sizeof(hash)) != 0) { // lint:public
            abort();
        }
        struct clave_receipt_trust trust;
        struct clave_attest_report *report = NULL;
        memset(&trust, 0, sizeof(trust));
        if (clave_attest_report_new(&report) == CLAVE_OK) {
            if (clave_receipt_verify(data, size, &trust, report) == CLAVE_OK &&
                clave_attest_report_ok(report)) {
                abort(); /* nothing can pass without a bundle, a policy and keys */
            }
            clave_attest_report_free(report);
        }
    }
    clave_receipt_free(r);
    if (clave__receipt_decode(data, size, &body) == CLAVE_OK) {
        clave__receipt_body_clear(&body);
    }
    return 0;
}
