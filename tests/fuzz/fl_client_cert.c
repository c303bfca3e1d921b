/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz the client-key statement verifier (clave_fl_client_cert_verify), which claved runs on
 * every FL join and every client runs on every directory entry. The identity key, client key and
 * claim are fixed (Ed25519 private seeds 0x42.. and 0x11.., contract 0xc7.., party "alice" of
 * "acme"; the seed corpus holds the statement `clave fl certify` makes for them). Invariant: a
 * statement that verifies for the claim never verifies for the same claim with another key, and
 * never as a key-holder statement (clave_fl_statement_verify, CLAVE_FL_STATEMENT_KEYHOLDER_KEY,
 * also run on every input: the verifier clients run on the key holder's statement).
 */
#include <clave/fl.h>
#include <clave/sign.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define SPKI_MAX 128

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t spki[SPKI_MAX], key[CLAVE_FL_CLIENT_KEY_LEN], contract[CLAVE_FL_CONTRACT_ID_LEN];
    static size_t spki_len = 0;
    if (spki_len == 0) {
        uint8_t seed[32];
        size_t n = 0;
        struct clave_pkey *id = NULL, *client = NULL;
        memset(seed, 0x42, sizeof(seed));
        if (clave_pkey_from_raw_private(CLAVE_PKEY_ED25519, seed, sizeof(seed), &id) != CLAVE_OK ||
            clave_pkey_export_spki(id, spki, sizeof(spki), &spki_len) != CLAVE_OK) {
            abort();
        }
        memset(seed, 0x11, sizeof(seed));
        if (clave_pkey_from_raw_private(CLAVE_PKEY_ED25519, seed, sizeof(seed), &client) !=
                CLAVE_OK ||
            clave_pkey_export_raw_public(client, key, sizeof(key), &n) != CLAVE_OK) {
            abort();
        }
        memset(contract, 0xc7, sizeof(contract));
        clave_pkey_free(id);
        clave_pkey_free(client);
    }
    struct clave_fl_client_claim claim = {"acme", contract, "alice", key};
    bool as_keyholder = clave_fl_statement_verify(CLAVE_FL_STATEMENT_KEYHOLDER_KEY, data, size,
                                                  &claim, spki, spki_len) == CLAVE_OK;
    if (clave_fl_client_cert_verify(data, size, &claim, spki, spki_len) == CLAVE_OK) {
        if (as_keyholder) {
            abort();
        }
        uint8_t other[CLAVE_FL_CLIENT_KEY_LEN];
        memcpy(other, key, sizeof(other));
        other[0] ^= 1;
        claim.client_key = other;
        if (clave_fl_client_cert_verify(data, size, &claim, spki, spki_len) == CLAVE_OK) {
            abort();
        }
    }
    return 0;
}
