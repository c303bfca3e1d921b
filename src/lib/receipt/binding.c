/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The runtime-data binding of a runner's evidence (docs/kbs.md "Binding rule", with the
 * contract id in the last 16 bytes): report data = SHA-384(runtime data) || contract id[0..16].
 */
#include "receipt/body.h"

#include "core/check.h"

#include <stdlib.h>
#include <string.h>

#define SHA384_LEN 48

clave_status clave_receipt_runtime_data_new(const char *nonce, const struct clave_jwk *tee_key,
                                            char **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char *pub = NULL;
    json_t *pk = NULL;
    json_t *rt = NULL;
    *out = NULL;
    CLAVE_ENSURE(nonce != NULL && tee_key != NULL, CLAVE_ERR_ARG,
                 "runtime data: nonce and key required");
    CLAVE_CHECK(clave_jwk_export_public(tee_key, &pub));
    pk = json_loads(pub, 0, NULL);
    CLAVE_ENSURE_ALLOC(pk);
    rt = json_pack("{s:s,s:O}", "nonce", nonce, "tee-pubkey", pk);
    CLAVE_ENSURE(rt != NULL, CLAVE_ERR_ARG, "runtime data: nonce is not UTF-8 text");
    *out = json_dumps(rt, JSON_COMPACT | JSON_SORT_KEYS);
    CLAVE_ENSURE_ALLOC(*out);
    st = CLAVE_OK;
done:
    json_decref(rt);
    json_decref(pk);
    free(pub);
    return st;
}

clave_status clave_receipt_report_data(const char *runtime_data, size_t len,
                                       const uint8_t contract_id[CLAVE_RECEIPT_CONTRACT_ID_LEN],
                                       uint8_t out[64])
{
    clave_status st = CLAVE_ERR_INTERNAL;
    _Static_assert(SHA384_LEN + CLAVE_RECEIPT_BINDING_PREFIX_LEN == 64, "report data layout");
    memset(out, 0, 64);
    CLAVE_ENSURE(runtime_data != NULL && len > 0 && contract_id != NULL, CLAVE_ERR_ARG,
                 "report data: runtime data and contract id required");
    CLAVE_CHECK(clave_hash(CLAVE_HASH_SHA384, (const uint8_t *)runtime_data, len, out, SHA384_LEN));
    memcpy(out + SHA384_LEN, contract_id, CLAVE_RECEIPT_BINDING_PREFIX_LEN);
    st = CLAVE_OK;
done:
    return st;
}
