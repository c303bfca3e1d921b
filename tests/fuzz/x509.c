/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz the X.509, CRL and public-key import paths: arbitrary bytes as a DER certificate (then
 * every accessor, including extension lookup by OID and a self-verification at a fixed time), a
 * PEM bundle, a DER CRL and an SPKI/PKCS#8 key. Nothing may crash or leak.
 */
#include <clave/sign.h>
#include <clave/x509.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void probe_cert(const struct clave_x509 *cert)
{
    static const char *const OIDS[] = {"2.5.29.17", "1.3.6.1.4.1.3704.1.4", "1.2.840.113741.1.13.1",
                                       "2.5.29.19"};
    char *text = NULL;
    uint8_t *spki = NULL;
    size_t spki_len = 0;
    int64_t t = 0;
    uint8_t fp[CLAVE_X509_FINGERPRINT_LEN];
    if (clave_x509_subject(cert, &text) == CLAVE_OK) {
        free(text);
    }
    if (clave_x509_serial_hex(cert, &text) == CLAVE_OK) {
        free(text);
    }
    if (clave_x509_spki_der(cert, &spki, &spki_len) == CLAVE_OK) {
        free(spki);
    }
    (void)clave_x509_not_before(cert, &t);
    (void)clave_x509_not_after(cert, &t);
    (void)clave_x509_fingerprint_sha256(cert, fp);
    for (size_t i = 0; i < sizeof(OIDS) / sizeof(OIDS[0]); i++) {
        const uint8_t *value = NULL;
        size_t len = 0;
        bool critical = false;
        (void)clave_x509_extension(cert, OIDS[i], &value, &len, &critical);
    }
}

static void self_verify(const struct clave_x509 *cert)
{
    struct clave_x509_list *roots = NULL;
    const uint8_t *der = NULL;
    size_t len = 0;
    clave_x509_der(cert, &der, &len);
    if (clave_x509_list_new(&roots) == CLAVE_OK && clave_x509_list_add_der(roots, der, len) == 0) {
        (void)clave_x509_verify_chain(cert, NULL, roots, 1700000000, NULL, 0, 0);
    }
    clave_x509_list_free(roots);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct clave_x509 *cert = NULL;
    struct clave_x509_list *list = NULL;
    struct clave_x509_crl *crl = NULL;
    struct clave_pkey *key = NULL;
    if (clave_x509_parse_der(data, size, &cert) == CLAVE_OK) {
        probe_cert(cert);
        self_verify(cert);
        clave_x509_free(cert);
    }
    if (clave_x509_list_parse_pem((const char *)data, size, &list) == CLAVE_OK) {
        for (size_t i = 0; i < clave_x509_list_count(list); i++) {
            probe_cert(clave_x509_list_get(list, i));
        }
        clave_x509_list_free(list);
    }
    if (clave_x509_crl_parse_der(data, size, &crl) == CLAVE_OK) {
        int64_t t = 0;
        (void)clave_x509_crl_this_update(crl, &t);
        (void)clave_x509_crl_next_update(crl, &t);
        clave_x509_crl_free(crl);
    }
    if (clave_pkey_from_der(data, size, &key) == CLAVE_OK) {
        clave_pkey_free(key);
    }
    return 0;
}
