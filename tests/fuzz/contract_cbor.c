/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: arbitrary bytes as a contract document and as a contract bundle. Whatever is
 * accepted must be canonical (re-encodes to the same bytes), survive the JSON round trip with the
 * same id, and give a state at any time. Bundle statements are verified against the signer keys
 * the embedded contract declares, so mutated seeds (corpus/contract_cbor, made with the clave CLI)
 * reach the COSE and signature checks.
 */
#include <clave/clave.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void exercise(const struct clave_contract *c)
{
    struct clave_contract_verdict v;
    struct clave_contract *back = NULL;
    char *json = NULL;
    clave_contract_status(c, 0, &v);
    clave_contract_status(c, UINT64_MAX, &v);
    clave_contract_status(c, clave_contract_expiry(c) - 1, &v);
    if (clave_contract_to_json(c, &json) != CLAVE_OK ||
        clave_contract_from_json(json, strlen(json), &back) != CLAVE_OK ||
        !clave_ct_equal(clave_contract_id(back), clave_contract_id(c), CLAVE_CONTRACT_ID_LEN)) {
        abort();
    }
    clave_contract_free(back);
    free(json);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct clave_contract *c = NULL;
    if (clave_contract_parse(data, size, &c) == CLAVE_OK) {
        size_t len = 0;
        const uint8_t *enc = clave_contract_encoding(c, &len);
        if (len != size || memcmp(enc, data, size) != 0) { // lint:public
            abort();
        }
        exercise(c);
        clave_contract_free(c);
        c = NULL;
    }
    if (clave_contract_bundle_parse(data, size, &c) == CLAVE_OK) {
        uint8_t *again = NULL;
        size_t len = 0;
        if (clave_contract_bundle_export(c, &again, &len) != CLAVE_OK || len != size ||
            memcmp(again, data, size) != 0) { // lint:public
            abort();
        }
        free(again);
        exercise(c);
        clave_contract_free(c);
    }
    return 0;
}
