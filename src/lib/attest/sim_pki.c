/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The simulated TEE's dev PKI (`clave attest sim-init`). NO HARDWARE PROTECTION: whoever reads
 * these files can forge evidence. Trusted only when a policy names root.pem for "sim-nitro" or
 * "sim-snp".
 *
 *   root.pem            self-signed CA "clave SIM dev root - NO HARDWARE PROTECTION"
 *   intermediate.pem    CA under the root (plays the AWS intermediate / AMD ASK)
 *   nitro-leaf.pem/.key signs Nitro-format documents
 *   snp-vcek.pem/.key   "CN=SEV-VCEK" with the AMD TCB and hwID extensions of sim.h
 * All ECDSA P-384 with SHA-384; keys are unencrypted PKCS#8 PEM (mode 0600).
 */
#include "attest/sim.h"
#include "core/check.h"
#include "keys/fileio.h"

#include <errno.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define SIM_VALID_SECONDS (10L * 365 * 24 * 3600)
#define SIM_BACKDATE_SECONDS (2L * 24 * 3600)
#define SIM_PEM_MAX 8192

struct sim_cert {
    X509 *x509;
    EVP_PKEY *key;
};

static void sim_cert_free(struct sim_cert *c)
{
    X509_free(c->x509);
    EVP_PKEY_free(c->key);
}

static clave_status add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    CLAVE_ENSURE(ext != NULL, CLAVE_ERR_CRYPTO, "sim: cannot build extension %d", nid);
    CLAVE_CHECK_OSSL(X509_add_ext(cert, ext, -1), CLAVE_ERR_CRYPTO, "sim: add extension");
    st = CLAVE_OK;
done:
    X509_EXTENSION_free(ext);
    return st;
}

/* A raw extension (value = `der`, the extnValue contents) under a dotted OID. */
static clave_status add_raw_ext(X509 *cert, const char *oid, const uint8_t *der, size_t len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
    ASN1_OCTET_STRING *value = ASN1_OCTET_STRING_new();
    X509_EXTENSION *ext = NULL;
    CLAVE_ENSURE(obj != NULL && value != NULL, CLAVE_ERR_NOMEM, "out of memory");
    CLAVE_CHECK_OSSL(ASN1_OCTET_STRING_set(value, der, (int)len), CLAVE_ERR_CRYPTO, "sim: ext");
    ext = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, value);
    CLAVE_ENSURE(ext != NULL, CLAVE_ERR_CRYPTO, "sim: cannot build extension %s", oid);
    CLAVE_CHECK_OSSL(X509_add_ext(cert, ext, -1), CLAVE_ERR_CRYPTO, "sim: add extension");
    st = CLAVE_OK;
done:
    X509_EXTENSION_free(ext);
    ASN1_OCTET_STRING_free(value);
    ASN1_OBJECT_free(obj);
    return st;
}

static clave_status add_spl(X509 *cert, const char *oid, uint8_t value)
{
    /* DER INTEGER; values >= 0x80 need a leading zero byte. */
    uint8_t der[4] = {0x02, 0x01, value, 0};
    if (value >= 0x80) {
        der[1] = 2;
        der[2] = 0;
        der[3] = value;
    }
    return add_raw_ext(cert, oid, der, value >= 0x80 ? 4 : 3);
}

static clave_status amd_extensions(X509 *cert)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_CHECK(add_spl(cert, "1.3.6.1.4.1.3704.1.3.1", CLAVE_SIM_TCB_BOOTLOADER));
    CLAVE_CHECK(add_spl(cert, "1.3.6.1.4.1.3704.1.3.2", CLAVE_SIM_TCB_TEE));
    CLAVE_CHECK(add_spl(cert, "1.3.6.1.4.1.3704.1.3.3", CLAVE_SIM_TCB_SNP));
    CLAVE_CHECK(add_spl(cert, "1.3.6.1.4.1.3704.1.3.8", CLAVE_SIM_TCB_MICROCODE));
    uint8_t chip[CLAVE_SIM_CHIP_ID_LEN];
    clave__sim_chip_id(chip);
    CLAVE_CHECK(add_raw_ext(cert, "1.3.6.1.4.1.3704.1.4", chip, sizeof(chip)));
    st = CLAVE_OK;
done:
    return st;
}

/* A new P-384 key and certificate for `cn`, signed by `issuer` (NULL: self-signed). */
static clave_status make_cert(const char *cn, const struct sim_cert *issuer, bool ca, bool amd,
                              long serial, struct sim_cert *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    X509_NAME *name = NULL;
    memset(out, 0, sizeof(*out));
    out->key = EVP_EC_gen("P-384");
    out->x509 = X509_new();
    CLAVE_ENSURE(out->key != NULL && out->x509 != NULL, CLAVE_ERR_CRYPTO, "sim: key generation");
    CLAVE_CHECK_OSSL(X509_set_version(out->x509, X509_VERSION_3), CLAVE_ERR_CRYPTO, "sim: v3");
    CLAVE_CHECK_OSSL(ASN1_INTEGER_set(X509_get_serialNumber(out->x509), serial), CLAVE_ERR_CRYPTO,
                     "sim: serial");
    CLAVE_ENSURE(X509_gmtime_adj(X509_getm_notBefore(out->x509), -SIM_BACKDATE_SECONDS) != NULL &&
                     X509_gmtime_adj(X509_getm_notAfter(out->x509), SIM_VALID_SECONDS) != NULL,
                 CLAVE_ERR_CRYPTO, "sim: validity");
    name = X509_NAME_new();
    CLAVE_ENSURE_ALLOC(name);
    CLAVE_CHECK_OSSL(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                                                (const unsigned char *)"clave simulated TEE", -1,
                                                -1, 0),
                     CLAVE_ERR_CRYPTO, "sim: name");
    CLAVE_CHECK_OSSL(
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0),
        CLAVE_ERR_CRYPTO, "sim: name");
    CLAVE_CHECK_OSSL(X509_set_subject_name(out->x509, name), CLAVE_ERR_CRYPTO, "sim: subject");
    CLAVE_CHECK_OSSL(X509_set_issuer_name(
                         out->x509, issuer != NULL ? X509_get_subject_name(issuer->x509) : name),
                     CLAVE_ERR_CRYPTO, "sim: issuer");
    CLAVE_CHECK_OSSL(X509_set_pubkey(out->x509, out->key), CLAVE_ERR_CRYPTO, "sim: pubkey");
    X509 *issuer_cert = issuer != NULL ? issuer->x509 : out->x509;
    CLAVE_CHECK(add_ext(out->x509, issuer_cert, NID_basic_constraints,
                        ca ? "critical,CA:TRUE" : "critical,CA:FALSE"));
    CLAVE_CHECK(add_ext(out->x509, issuer_cert, NID_key_usage,
                        ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature"));
    CLAVE_CHECK(add_ext(out->x509, issuer_cert, NID_subject_key_identifier, "hash"));
    if (issuer != NULL) {
        CLAVE_CHECK(add_ext(out->x509, issuer_cert, NID_authority_key_identifier, "keyid:always"));
    }
    if (amd) {
        CLAVE_CHECK(amd_extensions(out->x509));
    }
    CLAVE_ENSURE(X509_sign(out->x509, issuer != NULL ? issuer->key : out->key, EVP_sha384()) > 0,
                 CLAVE_ERR_CRYPTO, "sim: cannot sign the certificate");
    st = CLAVE_OK;
done:
    X509_NAME_free(name);
    if (st != CLAVE_OK) {
        sim_cert_free(out);
        memset(out, 0, sizeof(*out));
    }
    return st;
}

static clave_status write_bio(const char *dir, const char *file, BIO *bio)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char path[4096];
    char *data = NULL;
    long len = BIO_get_mem_data(bio, &data);
    CLAVE_ENSURE(len > 0, CLAVE_ERR_CRYPTO, "sim: empty PEM");
    CLAVE_ENSURE((size_t)snprintf(path, sizeof(path), "%s/%s", dir, file) < sizeof(path),
                 CLAVE_ERR_ARG, "sim: path too long");
    CLAVE_CHECK(clave__file_write_atomic(path, (const uint8_t *)data, (size_t)len, false));
    st = CLAVE_OK;
done:
    return st;
}

static clave_status save(const char *dir, const char *base, const struct sim_cert *c, bool key)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char file[64];
    BIO *bio = BIO_new(BIO_s_mem());
    CLAVE_ENSURE_ALLOC(bio);
    CLAVE_CHECK_OSSL(PEM_write_bio_X509(bio, c->x509), CLAVE_ERR_CRYPTO, "sim: PEM");
    (void)snprintf(file, sizeof(file), "%s.pem", base);
    CLAVE_CHECK(write_bio(dir, file, bio));
    if (key) {
        (void)BIO_reset(bio);
        CLAVE_CHECK_OSSL(PEM_write_bio_PrivateKey(bio, c->key, NULL, NULL, 0, NULL, NULL),
                         CLAVE_ERR_CRYPTO, "sim: key PEM");
        (void)snprintf(file, sizeof(file), "%s.key", base);
        CLAVE_CHECK(write_bio(dir, file, bio)); /* 0600: clave__file_write_atomic's mode */
    }
    st = CLAVE_OK;
done:
    BIO_free(bio);
    return st;
}

clave_status clave_attest_sim_init(const char *dir)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct sim_cert root = {0};
    struct sim_cert inter = {0};
    struct sim_cert nitro = {0};
    struct sim_cert vcek = {0};
    char path[4096];
    struct stat sb;
    CLAVE_ENSURE(mkdir(dir, 0700) == 0 || errno == EEXIST, CLAVE_ERR_IO, "sim: cannot create %s",
                 dir);
    CLAVE_ENSURE((size_t)snprintf(path, sizeof(path), "%s/root.pem", dir) < sizeof(path),
                 CLAVE_ERR_ARG, "sim: path too long");
    CLAVE_ENSURE(stat(path, &sb) != 0, CLAVE_ERR_EXISTS, "sim: %s exists", path);
    CLAVE_CHECK(make_cert(CLAVE_SIM_ROOT_CN, NULL, true, false, 1, &root));
    CLAVE_CHECK(make_cert("clave SIM intermediate", &root, true, false, 2, &inter));
    CLAVE_CHECK(make_cert("clave SIM nitro leaf", &inter, false, false, 3, &nitro));
    CLAVE_CHECK(make_cert("SEV-VCEK", &inter, false, true, 4, &vcek));
    CLAVE_CHECK(save(dir, "intermediate", &inter, false));
    CLAVE_CHECK(save(dir, "nitro-leaf", &nitro, true));
    CLAVE_CHECK(save(dir, "snp-vcek", &vcek, true));
    CLAVE_CHECK(save(dir, "root", &root, false)); /* last: its presence marks a complete dir */
    st = CLAVE_OK;
done:
    sim_cert_free(&root);
    sim_cert_free(&inter);
    sim_cert_free(&nitro);
    sim_cert_free(&vcek);
    return st;
}
