/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: arbitrary bytes as a COSE_Sign1 message, verified under a fixed Ed25519 key
 * (the seeds in corpus/cose are signed with it, so mutations reach the signature check) and a
 * fixed P-256 key, with and without a detached payload; plus the bounded CBOR loader alone.
 */
#include "core/cbor.h"
#include "crypto/cose_internal.h"

#include <openssl/evp.h>
#include <stdlib.h>

/* Same seed as tests/unit/crypto/cose_test.c, which generated the corpus (test key only). */
static const uint8_t ED25519_SEED[32] = {
    0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a, 0xf4, 0x92, 0xec, 0x2c, 0xc4,
    0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32, 0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60,
};

static EVP_PKEY *ed25519_key;
static EVP_PKEY *p256_key;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    ed25519_key =
        EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, ED25519_SEED, sizeof(ED25519_SEED));
    p256_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    if (ed25519_key == NULL || p256_key == NULL) {
        abort();
    }
    return 0;
}

static void verify(const uint8_t *data, size_t size, EVP_PKEY *key,
                   const struct clave_cose_verify_opts *opts)
{
    struct clave_cose_sign1 *msg = NULL;
    if (clave__cose_sign1_verify_pkey(data, size, key, opts, &msg) == CLAVE_OK) {
        size_t len = 0;
        const uint8_t *payload = clave_cose_sign1_payload(msg, &len);
        if (payload == NULL || clave_cose_sign1_alg(msg) == 0) {
            abort();
        }
    }
    clave_cose_sign1_free(msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t DETACHED[] = {0, 7, 14, 21, 28, 35, 42, 49};
    const struct clave_cose_verify_opts detached = {.detached_payload = DETACHED,
                                                    .detached_payload_len = sizeof(DETACHED)};
    verify(data, size, ed25519_key, NULL);
    verify(data, size, ed25519_key, &detached);
    verify(data, size, p256_key, NULL);

    uint8_t *payload = NULL;
    size_t payload_len = 0;
    if (clave_cose_sign1_peek_payload(data, size, NULL, &payload, &payload_len) == CLAVE_OK) {
        free(payload);
    }
    cbor_item_t *item = NULL;
    if (clave__cbor_load(data, size, NULL, &item) == CLAVE_OK) {
        cbor_decref(&item);
    }
    return 0;
}
