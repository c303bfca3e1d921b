/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A tour of libclave's crypto layer (docs/crypto.md). Built and run by the test suite.
 *   cc crypto_tour.c $(pkg-config --cflags --libs clave) -o crypto_tour && ./crypto_tour
 */
#include <clave/clave.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check(const char *what, clave_status st)
{
    if (st != CLAVE_OK) {
        fprintf(stderr, "%s: %s (%s)\n", what, clave_status_str(st), clave_error_last().detail);
        exit(1);
    }
    return 0;
}

int main(void)
{
    /* 1. HKDF-SHA256: derive a 32-byte key from a secret and a context. */
    struct clave_secret *ikm = NULL;
    uint8_t key[32];
    check("random", clave_secret_random(32, &ikm));
    check("hkdf",
          clave_hkdf(CLAVE_HASH_SHA256, (const uint8_t *)"salt", 4, clave_secret_cdata(ikm),
                     clave_secret_len(ikm), (const uint8_t *)"tour v1", 7, key, sizeof(key)));

    /* 2. AES-256-GCM: seal, open, and see a flipped bit refused. */
    struct clave_aead *aead = NULL;
    uint8_t nonce[CLAVE_AEAD_NONCE_LEN] = {0};
    uint8_t tag[CLAVE_AEAD_TAG_LEN];
    uint8_t msg[] = "rows 1..569 of the WDBC table";
    uint8_t ct[sizeof(msg)];
    uint8_t pt[sizeof(msg)];
    check("aead", clave_aead_new(CLAVE_AEAD_AES256GCM, key, &aead));
    check("seal", clave_aead_seal(aead, nonce, NULL, 0, msg, sizeof(msg), ct, tag));
    check("open", clave_aead_open(aead, nonce, NULL, 0, ct, sizeof(ct), tag, pt));
    ct[0] ^= 1;
    printf("aead: tampered ciphertext -> %s\n",
           clave_status_str(clave_aead_open(aead, nonce, NULL, 0, ct, sizeof(ct), tag, pt)));

    /* 3. Ed25519: sign and verify. */
    struct clave_pkey *signer = NULL;
    uint8_t sig[CLAVE_ED25519_SIG_LEN];
    check("generate", clave_pkey_generate(CLAVE_PKEY_ED25519, &signer));
    check("sign", clave_ed25519_sign(signer, msg, sizeof(msg), sig));
    check("verify", clave_ed25519_verify(signer, msg, sizeof(msg), sig, sizeof(sig)));
    printf("ed25519: signature verified\n");

    /* 4. JWE: wrap a data key to a recipient's P-256 public JWK (ECDH-ES+A256KW, A256GCM). */
    struct clave_jwk *recipient = NULL;
    struct clave_secret *unwrapped = NULL;
    char *jwe = NULL;
    check("jwk", clave_jwk_generate(CLAVE_JWK_EC_P256, &recipient));
    check("jwe encrypt", clave_jwe_encrypt(recipient, "ECDH-ES+A256KW", key, sizeof(key), NULL, 0,
                                           CLAVE_JWE_COMPACT, &jwe));
    check("jwe decrypt", clave_jwe_decrypt(recipient, jwe, strlen(jwe), &unwrapped));
    printf("jwe: %.40s... unwraps to the same key: %s\n", jwe,
           clave_ct_equal(clave_secret_cdata(unwrapped), key, sizeof(key)) ? "yes" : "NO");
    int rc = clave_ct_equal(clave_secret_cdata(unwrapped), key, sizeof(key)) ? 0 : 1;

    clave_wipe(key, sizeof(key));
    free(jwe);
    clave_secret_free(unwrapped);
    clave_jwk_free(recipient);
    clave_pkey_free(signer);
    clave_aead_free(aead);
    clave_secret_free(ikm);
    return rc;
}
