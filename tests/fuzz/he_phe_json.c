// SPDX-License-Identifier: Apache-2.0
/* libFuzzer target: python-paillier (phe) JSON: key JWKs, pheutil numbers and the docs' list
 * form (with the big-integer pre-pass). Numbers are read under a fixed 2048-bit key generated
 * for this target (primes from `openssl prime -generate`; the seeds in corpus/he_phe_json/ are
 * encrypted to it), so accepted inputs reach exponent alignment, re-export and decryption. */
#include <clave/clave.h>
#include <stdlib.h>
#include <string.h>

#define DECRYPT_INPUT_MAX 8192
#define DECRYPT_VALUES_MAX 8

/* Test-only key, generated for this target: never use it for anything else. */
static const char FUZZ_KEY[] =
    "{\"kty\": \"DAJ\", \"key_ops\": [\"decrypt\"], \"p\": \"5x4AEbLfgGLRTGWNzxwSCDOEvusOMRnerN"
    "jqK-N2LaCIjbZ1v80PU_eUxS8dxejmQTpDrTeES1GVhZgrh8FU0XwXwMRlJazl8uTlP36AkWMe8K9EUPVcMG5nhtee"
    "AUrAoQ9VGaIwA-uhOsf1QGkW5XheLEbTLoROntn25-3RMSs\", \"q\": \"2-1I0QF4J6s7rdVn6i4xsCRdua07qp"
    "HcNIW0u21cPNGgVMWczr4l3DMxDB9B-UENvyJ21a1KlVMZkJj5Ln4cl9lYnMeSJ2tbp8w2HneewtvKWmeTOiQofuyy"
    "S8Gj5Gdo-35LPGdnPQevj6N2q20ubE3tG4Q1SjKJfvh3ukVf_CU\", \"pub\": {\"kty\": \"DAJ\", \"alg\""
    ": \"PAI-GN1\", \"key_ops\": [\"encrypt\"], \"n\": \"xoziklU-bGCMCApvsB0IbLVZikwnPCHs4TL2vA"
    "ouML_w2fEsHSCkC4QRTd4LtXv5E4q9Pv3rAcJrpjRA8-f3cEEawbANkujRQapwUh3CgL6p6IlS_TY0QV5sLiKWmPRh"
    "5lcY0IizHKtLbnKSDfx9WS1edUmcCQUvlsH6wHZCBQb8GoRYF-XatqVMfw6hlWQf_nia3_XA68bpVIJiDUbsmne3l1"
    "SyOwk3VesJgqoeIKs2VM2zihWe-kdYhkaFkh8A2xrF8Y5zTvGj_Ic7WyOmj_aEbvWE0IPtT7um4KQHcztwA2ArK3DZ"
    "cVmpBFyFTVjUqA09EevOeRd7OFa_IZdvNw\", \"kid\": \"fuzz seed key\"}, \"kid\": \"fuzz seed ke"
    "y\"}";

static struct clave_he_key *g_key;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void numbers(const struct clave_he_pub *pub, const uint8_t *data, size_t size)
{
    struct clave_he_vec *vec = NULL;
    if (clave_he_vec_import_phe(pub, data, size, &vec) == CLAVE_OK) {
        uint8_t *out = NULL;
        size_t len = 0;
        struct clave_he_vec *again = NULL;
        /* Imported scales are powers of 16: always exportable, and the export re-imports. */
        if (clave_he_vec_export_phe(pub, vec, CLAVE_HE_PHE_LIST, &out, &len) != CLAVE_OK ||
            clave_he_vec_import_phe(pub, out, len, &again) != CLAVE_OK ||
            clave_he_vec_len(again) != clave_he_vec_len(vec)) {
            abort();
        }
        clave_he_vec_free(again);
        free(out);
    }
    clave_he_vec_free(vec);
    if (size <= DECRYPT_INPUT_MAX) {
        double values[DECRYPT_VALUES_MAX];
        size_t count = 0;
        (void)clave_he_decrypt_phe(g_key, data, size, values, DECRYPT_VALUES_MAX, &count);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (g_key == NULL &&
        clave_he_key_import_phe((const uint8_t *)FUZZ_KEY, strlen(FUZZ_KEY), &g_key) != CLAVE_OK) {
        abort();
    }
    struct clave_he_pub *pub = NULL;
    struct clave_he_key *key = NULL;
    (void)clave_he_detect(data, size);
    (void)clave_he_pub_import_phe(data, size, &pub);
    (void)clave_he_key_import_phe(data, size, &key);
    clave_he_pub_free(pub);
    clave_he_key_free(key);
    numbers(clave_he_key_pub(g_key), data, size);
    return 0;
}
