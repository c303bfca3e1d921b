/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: arbitrary bytes as a JWE (compact or flattened JSON) decrypted with fixed
 * private keys, and the same bytes as a JWK. The keys are published test keys (RFC 7518
 * Appendix C "Bob", RFC 7748 §6.1 "Bob"), so the seed corpus can be regenerated anywhere.
 */
#include <clave/clave.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char P256_KEY[] = "{\"kty\":\"EC\",\"crv\":\"P-256\","
                               "\"x\":\"weNJy2HscCSM6AEDTDg04biOvhFhyyWvOHQfeF_PxMQ\","
                               "\"y\":\"e8lnCO-AlStT-NJVX-crhB7QRYhiix03illJOVAOyck\","
                               "\"d\":\"VEmDZpDXXK8p8N0Cndsxs924q6nS1RXFASRl6BfUqdw\"}";
static const char X25519_KEY[] = "{\"kty\":\"OKP\",\"crv\":\"X25519\","
                                 "\"x\":\"3p7bfXt9wbTTW2HC7OQ1Nz-DQ8hbeGdNrfx-FG-IK08\","
                                 "\"d\":\"XasIfmJKikt54X-Lg4AO5m87sSkmGLb9HC-LJ_-I4Os\"}";

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct clave_jwk *p256;
static struct clave_jwk *x25519;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (clave_jwk_parse(P256_KEY, strlen(P256_KEY), &p256) != CLAVE_OK ||
        clave_jwk_parse(X25519_KEY, strlen(X25519_KEY), &x25519) != CLAVE_OK) {
        abort();
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct clave_secret *pt = NULL;
    struct clave_jwk *key = NULL;
    if (clave_jwe_decrypt(p256, (const char *)data, size, &pt) == CLAVE_OK) {
        clave_secret_free(pt);
    }
    if (clave_jwe_decrypt(x25519, (const char *)data, size, &pt) == CLAVE_OK) {
        clave_secret_free(pt);
    }
    if (clave_jwk_parse((const char *)data, size, &key) == CLAVE_OK) {
        char *pub = NULL;
        uint8_t thumbprint[32];
        if (clave_jwk_export_public(key, &pub) == CLAVE_OK) {
            free(pub);
        }
        (void)clave_jwk_thumbprint(key, thumbprint);
        clave_jwk_free(key);
    }
    return 0;
}
