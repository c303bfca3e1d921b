/* SPDX-License-Identifier: Apache-2.0 */
#include <clave/status.h>

#include <stddef.h>

struct status_name {
    clave_status status;
    const char *name;
};

static const struct status_name STATUS_NAMES[] = {
    {CLAVE_OK, "ok"},
    {CLAVE_ERR_INTERNAL, "internal error"},
    {CLAVE_ERR_NOMEM, "out of memory"},
    {CLAVE_ERR_ARG, "invalid argument"},
    {CLAVE_ERR_IO, "input/output error"},
    {CLAVE_ERR_NOT_FOUND, "not found"},
    {CLAVE_ERR_EXISTS, "already exists"},
    {CLAVE_ERR_UNSUPPORTED, "unsupported"},
    {CLAVE_ERR_LIMIT, "limit exceeded"},
    {CLAVE_ERR_STATE, "invalid state"},
    {CLAVE_ERR_TRUNCATED, "truncated input"},
    {CLAVE_ERR_TRAILING, "trailing bytes"},
    {CLAVE_ERR_FORMAT, "invalid format"},
    {CLAVE_ERR_TOO_LARGE, "too large"},
    {CLAVE_ERR_JSON, "invalid JSON"},
    {CLAVE_ERR_CBOR, "invalid CBOR"},
    {CLAVE_ERR_ENCODING, "invalid encoding"},
    {CLAVE_ERR_CRYPTO, "cryptographic failure"},
    {CLAVE_ERR_AUTH, "authentication failed"},
    {CLAVE_ERR_SIGNATURE, "bad signature"},
    {CLAVE_ERR_CERT, "certificate verification failed"},
    {CLAVE_ERR_KEY, "invalid key"},
    {CLAVE_ERR_RANDOM, "random generator failure"},
    {CLAVE_ERR_REVOKED, "revoked"},
    {CLAVE_ERR_EXPIRED, "expired or not yet valid"},
    {CLAVE_ERR_KEYRING, "keyring unusable"},
    {CLAVE_ERR_PASSPHRASE, "wrong or missing passphrase"},
    {CLAVE_ERR_PKCS11, "PKCS#11 failure"},
    {CLAVE_ERR_TAMPERED, "sealed data tampered"},
    {CLAVE_ERR_NO_RECIPIENT, "no usable recipient key"},
    {CLAVE_ERR_STORE, "database failure"},
    {CLAVE_ERR_CONFLICT, "transaction conflict (retry)"},
    {CLAVE_ERR_CONSTRAINT, "constraint violated"},
};

const char *clave_status_str(clave_status st)
{
    for (size_t i = 0; i < sizeof(STATUS_NAMES) / sizeof(STATUS_NAMES[0]); i++) {
        if (STATUS_NAMES[i].status == st) {
            return STATUS_NAMES[i].name;
        }
    }
    return "unknown status";
}
