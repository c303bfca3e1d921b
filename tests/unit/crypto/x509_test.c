/* SPDX-License-Identifier: Apache-2.0 */
/* X.509 certificates, chains and CRLs against real AWS Nitro, AMD SEV-SNP and Intel vectors. */
#include "testlib.h"

#include "core/cbor.h"

#include <stdlib.h>
#include <string.h>

/* Times from ../shared/vectors/attestation/README.md (Unix seconds, UTC). */
#define T_NITRO_PROD 1665651482 /* evervault_doc_2022-10-13_prod timestamp */
#define T_NITRO_DEBUG_2022 1665582606
#define T_NITRO_DEBUG_2023 1695049410
#define T_2026_11_22 1795305600           /* 2026-11-22T00:00:00Z, after every Nitro leaf expired */
#define T_AMD_VCEK 1700000000             /* 2023-11-14, inside both Milan VCEK windows */
#define T_AMD_VLEK 1733900000             /* inside the VLEK window 2024-12-10 .. 2025-12-10 */
#define T_INTEL_COLLATERAL 1688173200     /* 2023-07-01T01:00:00Z, the go-tdx-guest test time */
#define T_INTEL_ROOT_CRL_STALE 1717200000 /* 2024-06-01, after the root CRL's nextUpdate */
#define GOSEV_VCEK_NOT_BEFORE 1663980928  /* 2022-09-24T00:55:28Z */
#define GOSEV_VCEK_NOT_AFTER 1884905728   /* 2029-09-24T00:55:28Z */

static struct clave_x509 *load_der(const char *rel)
{
    size_t len = 0;
    uint8_t *der = t_read_file(t_shared_vector(rel), &len);
    struct clave_x509 *cert = NULL;
    T_OK(clave_x509_parse_der(der, len, &cert));
    free(der);
    return cert;
}

static struct clave_x509_list *load_pem_list(const char *rel)
{
    size_t len = 0;
    uint8_t *pem = t_read_file(t_shared_vector(rel), &len);
    struct clave_x509_list *list = NULL;
    T_OK(clave_x509_list_parse_pem((const char *)pem, len, &list));
    free(pem);
    return list;
}

/* A list holding only certificate `index` of the PEM bundle `rel`. */
static struct clave_x509_list *pick_from_pem(const char *rel, size_t index)
{
    struct clave_x509_list *all = load_pem_list(rel);
    struct clave_x509_list *one = NULL;
    const uint8_t *der = NULL;
    size_t len = 0;
    assert_true(index < clave_x509_list_count(all));
    clave_x509_der(clave_x509_list_get(all, index), &der, &len);
    T_OK(clave_x509_list_new(&one));
    T_OK(clave_x509_list_add_der(one, der, len));
    clave_x509_list_free(all);
    return one;
}

struct nitro_chain {
    struct clave_x509 *leaf;
    struct clave_x509_list *intermediates; /* cabundle[1..] */
    struct clave_x509_list *root;          /* the pinned AWS root from its own file */
};

/* Leaf and cabundle from a Nitro document's payload (unauthenticated: chain test only). */
static void nitro_load(const char *rel, struct nitro_chain *c)
{
    size_t len = 0;
    uint8_t *doc = t_read_file(t_shared_vector(rel), &len);
    uint8_t *payload = NULL;
    size_t payload_len = 0;
    cbor_item_t *map = NULL;
    T_OK(clave_cose_sign1_peek_payload(doc, len, NULL, &payload, &payload_len));
    T_OK(clave__cbor_load(payload, payload_len, NULL, &map));
    cbor_item_t *cert = clave__cbor_map_get_text(map, "certificate");
    cbor_item_t *bundle = clave__cbor_map_get_text(map, "cabundle");
    assert_non_null(cert);
    assert_non_null(bundle);
    assert_true(cbor_isa_bytestring(cert) && cbor_isa_array(bundle));
    T_OK(
        clave_x509_parse_der(cbor_bytestring_handle(cert), cbor_bytestring_length(cert), &c->leaf));
    T_OK(clave_x509_list_new(&c->intermediates));
    cbor_item_t **items = cbor_array_handle(bundle);
    assert_true(cbor_array_size(bundle) >= 2);
    for (size_t i = 1; i < cbor_array_size(bundle); i++) {
        T_OK(clave_x509_list_add_der(c->intermediates, cbor_bytestring_handle(items[i]),
                                     cbor_bytestring_length(items[i])));
    }
    c->root = load_pem_list("attestation/nitro/aws_nitro_enclaves_root_g1.pem");
    cbor_decref(&map);
    free(payload);
    free(doc);
}

static void nitro_free(struct nitro_chain *c)
{
    clave_x509_free(c->leaf);
    clave_x509_list_free(c->intermediates);
    clave_x509_list_free(c->root);
}

static void test_nitro_chains_at_doc_time(void **state)
{
    (void)state;
    static const struct {
        const char *doc;
        int64_t at;
    } DOCS[] = {
        {"attestation/nitro/evervault_doc_2022-10-13_prod.cose", T_NITRO_PROD},
        {"attestation/nitro/evervault_doc_2022-10-12_debug.cose", T_NITRO_DEBUG_2022},
        {"attestation/nitro/evervault_doc_2023-09-18_debug.cose", T_NITRO_DEBUG_2023},
    };
    for (size_t i = 0; i < sizeof(DOCS) / sizeof(DOCS[0]); i++) {
        struct nitro_chain c = {0};
        nitro_load(DOCS[i].doc, &c);
        T_OK(clave_x509_verify_chain(c.leaf, c.intermediates, c.root, DOCS[i].at, NULL, 0, 0));
        /* Nitro leaves carry no Authority Key Identifier, which RFC 5280 strict mode rejects. */
        T_ERR(clave_x509_verify_chain(c.leaf, c.intermediates, c.root, DOCS[i].at, NULL, 0,
                                      CLAVE_X509_STRICT),
              CLAVE_ERR_CERT);
        assert_non_null(strstr(clave_error_last().detail, "Authority Key Identifier"));
        T_ERR(clave_x509_verify_chain(c.leaf, c.intermediates, c.root, T_2026_11_22, NULL, 0, 0),
              CLAVE_ERR_EXPIRED);
        assert_non_null(strstr(clave_error_last().detail, "certificate has expired"));
        nitro_free(&c);
    }
}

static void test_nitro_missing_intermediates_fails(void **state)
{
    (void)state;
    struct nitro_chain c = {0};
    nitro_load("attestation/nitro/evervault_doc_2022-10-13_prod.cose", &c);
    T_ERR(clave_x509_verify_chain(c.leaf, NULL, c.root, T_NITRO_PROD, NULL, 0, 0), CLAVE_ERR_CERT);
    /* An intermediate is not a trust anchor: pinning it instead of the root must fail. */
    T_ERR(clave_x509_verify_chain(c.leaf, NULL, c.intermediates, T_NITRO_PROD, NULL, 0, 0),
          CLAVE_ERR_CERT);
    nitro_free(&c);
}

static void test_nitro_root_fingerprint(void **state)
{
    (void)state;
    struct clave_x509_list *root =
        load_pem_list("attestation/nitro/aws_nitro_enclaves_root_g1.pem");
    uint8_t fp[CLAVE_X509_FINGERPRINT_LEN];
    size_t want_len = 0;
    uint8_t *want =
        t_hex("641A0321A3E244EFE456463195D606317ED7CDCC3C1756E09893F3C68F79BB5B", &want_len);
    assert_int_equal(clave_x509_list_count(root), 1);
    T_OK(clave_x509_fingerprint_sha256(clave_x509_list_get(root, 0), fp));
    assert_memory_equal(fp, want, want_len);
    char *subject = NULL;
    T_OK(clave_x509_subject(clave_x509_list_get(root, 0), &subject));
    assert_non_null(strstr(subject, "CN=aws.nitro-enclaves"));
    free(subject);
    free(want);
    clave_x509_list_free(root);
}

static void test_amd_vcek_chains(void **state)
{
    (void)state;
    static const char *const VCEKS[] = {"attestation/sev-snp/gosevguest_milan_vcek.der",
                                        "attestation/sev-snp/trustee_milan_vcek.der"};
    struct clave_x509_list *ask = pick_from_pem("attestation/sev-snp/amd_milan_ask_ark.pem", 0);
    struct clave_x509_list *ark = pick_from_pem("attestation/sev-snp/amd_milan_ask_ark.pem", 1);
    struct clave_x509_list *genoa_ark =
        pick_from_pem("attestation/sev-snp/amd_genoa_ask_ark.pem", 1);
    for (size_t i = 0; i < sizeof(VCEKS) / sizeof(VCEKS[0]); i++) {
        struct clave_x509 *vcek = load_der(VCEKS[i]);
        T_OK(clave_x509_verify_chain(vcek, ask, ark, T_AMD_VCEK, NULL, 0, 0));
        /* Wrong root, and no ASK at all. */
        T_ERR(clave_x509_verify_chain(vcek, ask, genoa_ark, T_AMD_VCEK, NULL, 0, 0),
              CLAVE_ERR_CERT);
        T_ERR(clave_x509_verify_chain(vcek, NULL, ark, T_AMD_VCEK, NULL, 0, 0), CLAVE_ERR_CERT);
        /* Before the VCEK was issued. */
        T_ERR(clave_x509_verify_chain(vcek, ask, ark, 1600000000, NULL, 0, 0), CLAVE_ERR_EXPIRED);
        clave_x509_free(vcek);
    }
    clave_x509_list_free(ask);
    clave_x509_list_free(ark);
    clave_x509_list_free(genoa_ark);
}

static void test_amd_vlek_chain(void **state)
{
    (void)state;
    struct clave_x509 *vlek = load_der("attestation/sev-snp/trustee_milan_vlek.der");
    struct clave_x509_list *asvk =
        pick_from_pem("attestation/sev-snp/amd_milan_ask_ark_asvk.pem", 2);
    struct clave_x509_list *ark =
        pick_from_pem("attestation/sev-snp/amd_milan_ask_ark_asvk.pem", 1);
    struct clave_x509_list *ask =
        pick_from_pem("attestation/sev-snp/amd_milan_ask_ark_asvk.pem", 0);
    char *subject = NULL;
    T_OK(clave_x509_subject(clave_x509_list_get(asvk, 0), &subject));
    assert_non_null(strstr(subject, "CN=SEV-VLEK-Milan"));
    free(subject);
    T_OK(clave_x509_verify_chain(vlek, asvk, ark, T_AMD_VLEK, NULL, 0, 0));
    T_ERR(clave_x509_verify_chain(vlek, asvk, ark, T_2026_11_22, NULL, 0, 0), CLAVE_ERR_EXPIRED);
    /* The VLEK is signed by the ASVK, not the ASK. */
    T_ERR(clave_x509_verify_chain(vlek, ask, ark, T_AMD_VLEK, NULL, 0, 0), CLAVE_ERR_CERT);
    clave_x509_list_free(ask);
    clave_x509_list_free(ark);
    clave_x509_list_free(asvk);
    clave_x509_free(vlek);
}

static void test_vcek_accessors(void **state)
{
    (void)state;
    struct clave_x509 *vcek = load_der("attestation/sev-snp/gosevguest_milan_vcek.der");
    char *text = NULL;
    int64_t t = 0;
    T_OK(clave_x509_subject(vcek, &text));
    assert_non_null(strstr(text, "CN=SEV-VCEK"));
    free(text);
    T_OK(clave_x509_issuer(vcek, &text));
    assert_non_null(strstr(text, "CN=SEV-Milan"));
    free(text);
    T_OK(clave_x509_serial_hex(vcek, &text));
    assert_string_equal(text, "0");
    free(text);
    T_OK(clave_x509_not_before(vcek, &t));
    assert_int_equal(t, GOSEV_VCEK_NOT_BEFORE);
    T_OK(clave_x509_not_after(vcek, &t));
    assert_int_equal(t, GOSEV_VCEK_NOT_AFTER);
    uint8_t *spki = NULL;
    size_t spki_len = 0;
    T_OK(clave_x509_spki_der(vcek, &spki, &spki_len));
    /* SEQUENCE { SEQUENCE { id-ecPublicKey, secp384r1 }, BIT STRING (97-byte point) } */
    assert_int_equal(spki_len, 120);
    assert_int_equal(spki[0], 0x30);
    free(spki);
    clave_x509_free(vcek);
}

static void test_vcek_extensions(void **state)
{
    (void)state;
    struct clave_x509 *vcek = load_der("attestation/sev-snp/gosevguest_milan_vcek.der");
    const uint8_t *value = NULL;
    size_t len = 0;
    bool critical = true;
    /* hwID = CHIP_ID of the report (README: 3ac3fe21...6b5d, 64 bytes). */
    T_OK(clave_x509_extension(vcek, "1.3.6.1.4.1.3704.1.4", &value, &len, &critical));
    assert_int_equal(len, 64);
    assert_false(critical);
    static const uint8_t PREFIX[] = {0x3a, 0xc3, 0xfe, 0x21};
    static const uint8_t SUFFIX[] = {0x6b, 0x5d};
    assert_memory_equal(value, PREFIX, sizeof(PREFIX));
    assert_memory_equal(value + len - sizeof(SUFFIX), SUFFIX, sizeof(SUFFIX));
    /* blSPL: DER INTEGER 2 (README: reported_tcb bl=2). */
    T_OK(clave_x509_extension(vcek, "1.3.6.1.4.1.3704.1.3.1", &value, &len, NULL));
    static const uint8_t BL_SPL[] = {0x02, 0x01, 0x02};
    assert_int_equal(len, sizeof(BL_SPL));
    assert_memory_equal(value, BL_SPL, sizeof(BL_SPL));
    T_ERR(clave_x509_extension(vcek, "1.2.840.113741.1.13.1", &value, &len, NULL),
          CLAVE_ERR_NOT_FOUND);
    assert_null(value);
    T_ERR(clave_x509_extension(vcek, "not.an.oid", &value, &len, NULL), CLAVE_ERR_ARG);
    T_ERR(clave_x509_extension(vcek, "commonName", &value, &len, NULL), CLAVE_ERR_ARG);
    clave_x509_free(vcek);
}

static void test_der_truncation_and_trailing(void **state)
{
    (void)state;
    size_t len = 0;
    uint8_t *der =
        t_read_file(t_shared_vector("attestation/sev-snp/gosevguest_milan_vcek.der"), &len);
    uint8_t *copy = malloc(len + 1);
    assert_non_null(copy);
    for (size_t n = 0; n < len; n++) {
        struct clave_x509 *cert = NULL;
        memcpy(copy, der, n);
        assert_int_not_equal(clave_x509_parse_der(n > 0 ? copy : NULL, n, &cert), CLAVE_OK);
        assert_null(cert);
    }
    memcpy(copy, der, len);
    copy[len] = 0;
    struct clave_x509 *cert = NULL;
    T_ERR(clave_x509_parse_der(copy, len + 1, &cert), CLAVE_ERR_TRAILING);
    T_ERR(clave_x509_parse_pem("no pem here", 11, &cert), CLAVE_ERR_NOT_FOUND);
    free(copy);
    free(der);
}

static void test_intel_crls(void **state)
{
    (void)state;
    size_t len = 0;
    uint8_t *der = t_read_file(t_shared_vector("attestation/tdx/gotdx_pck_platform_crl.der"), &len);
    struct clave_x509_crl *pck_crl = NULL;
    T_OK(clave_x509_crl_parse_der(der, len, &pck_crl));
    /* Flip one bit inside the signature (the last byte of the CRL). */
    der[len - 1] ^= 0x01;
    struct clave_x509_crl *bad = NULL;
    T_OK(clave_x509_crl_parse_der(der, len, &bad));
    free(der);
    der = t_read_file(t_shared_vector("attestation/tdx/gotdx_intel_root_crl.der"), &len);
    struct clave_x509_crl *root_crl = NULL;
    T_OK(clave_x509_crl_parse_der(der, len, &root_crl));
    free(der);

    struct clave_x509_list *chain =
        load_pem_list("attestation/tdx/intel_pck_platform_ca_chain.pem");
    struct clave_x509_list *root = load_pem_list("attestation/tdx/intel_sgx_root_ca.pem");
    const struct clave_x509 *platform_ca = clave_x509_list_get(chain, 0);
    const struct clave_x509 *root_ca = clave_x509_list_get(root, 0);
    T_OK(clave_x509_crl_verify(pck_crl, platform_ca));
    T_OK(clave_x509_crl_verify(root_crl, root_ca));
    T_ERR(clave_x509_crl_verify(bad, platform_ca), CLAVE_ERR_SIGNATURE);
    T_ERR(clave_x509_crl_verify(pck_crl, root_ca), CLAVE_ERR_CERT);
    T_ERR(clave_x509_crl_verify(root_crl, platform_ca), CLAVE_ERR_CERT);

    int64_t t = 0;
    T_OK(clave_x509_crl_this_update(pck_crl, &t));
    assert_true(t < T_INTEL_COLLATERAL);
    T_OK(clave_x509_crl_next_update(pck_crl, &t));
    assert_true(t > T_INTEL_COLLATERAL);
    bool revoked = true;
    T_OK(clave_x509_crl_is_revoked(root_crl, platform_ca, &revoked));
    assert_false(revoked);

    /* Platform CA -> Root with the root CRL consulted. */
    const struct clave_x509_crl *crls[] = {root_crl};
    T_OK(clave_x509_verify_chain(platform_ca, NULL, root, T_INTEL_COLLATERAL, crls, 1,
                                 CLAVE_X509_CRL_CHECK | CLAVE_X509_STRICT));
    T_ERR(clave_x509_verify_chain(platform_ca, NULL, root, T_INTEL_COLLATERAL, NULL, 0,
                                  CLAVE_X509_CRL_CHECK),
          CLAVE_ERR_CERT);
    T_ERR(clave_x509_verify_chain(platform_ca, NULL, root, T_INTEL_ROOT_CRL_STALE, crls, 1,
                                  CLAVE_X509_CRL_CHECK),
          CLAVE_ERR_EXPIRED);
    T_ERR(clave_x509_verify_chain(platform_ca, NULL, root, T_INTEL_COLLATERAL, crls, 1, 0x80),
          CLAVE_ERR_ARG);

    clave_x509_list_free(chain);
    clave_x509_list_free(root);
    clave_x509_crl_free(bad);
    clave_x509_crl_free(pck_crl);
    clave_x509_crl_free(root_crl);
}

static void test_list_limit(void **state)
{
    (void)state;
    struct clave_x509 *vcek = load_der("attestation/sev-snp/gosevguest_milan_vcek.der");
    struct clave_x509_list *list = NULL;
    const uint8_t *der = NULL;
    size_t len = 0;
    clave_x509_der(vcek, &der, &len);
    T_OK(clave_x509_list_new(&list));
    for (size_t i = 0; i < CLAVE_X509_LIST_MAX; i++) {
        T_OK(clave_x509_list_add_der(list, der, len));
    }
    T_ERR(clave_x509_list_add_der(list, der, len), CLAVE_ERR_LIMIT);
    assert_int_equal(clave_x509_list_count(list), CLAVE_X509_LIST_MAX);
    assert_null(clave_x509_list_get(list, CLAVE_X509_LIST_MAX));
    clave_x509_list_free(list);
    clave_x509_free(vcek);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nitro_chains_at_doc_time),
        cmocka_unit_test(test_nitro_missing_intermediates_fails),
        cmocka_unit_test(test_nitro_root_fingerprint),
        cmocka_unit_test(test_amd_vcek_chains),
        cmocka_unit_test(test_amd_vlek_chain),
        cmocka_unit_test(test_vcek_accessors),
        cmocka_unit_test(test_vcek_extensions),
        cmocka_unit_test(test_der_truncation_and_trailing),
        cmocka_unit_test(test_intel_crls),
        cmocka_unit_test(test_list_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
