/* SPDX-License-Identifier: Apache-2.0 */
/* TLS server context and first-start self-signed certificate. */
#include "tls.h"

#include "core/check.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SELF_SIGNED_DAYS 825
#define SERIAL_LEN 16

static clave_status add_ext(X509 *cert, int nid, const char *value)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, cert, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
    CLAVE_ENSURE(ext != NULL, CLAVE_ERR_CRYPTO, "tls: extension %d", nid);
    CLAVE_CHECK_OSSL(X509_add_ext(cert, ext, -1), CLAVE_ERR_CRYPTO, "tls: add extension");
    st = CLAVE_OK;
done:
    X509_EXTENSION_free(ext);
    return st;
}

static clave_status write_pem(const char *path, mode_t mode, EVP_PKEY *key, X509 *cert)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    FILE *f = NULL;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    CLAVE_ENSURE(fd >= 0, CLAVE_ERR_IO, "tls: cannot create %s: %s", path, strerror(errno));
    f = fdopen(fd, "w");
    CLAVE_ENSURE(f != NULL, CLAVE_ERR_IO, "tls: fdopen");
    fd = -1;
    if (key != NULL) {
        CLAVE_CHECK_OSSL(PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL), CLAVE_ERR_IO,
                         "tls: write key");
    } else {
        CLAVE_CHECK_OSSL(PEM_write_X509(f, cert), CLAVE_ERR_IO, "tls: write certificate");
    }
    CLAVE_ENSURE(fflush(f) == 0 && fsync(fileno(f)) == 0, CLAVE_ERR_IO, "tls: sync %s", path);
    st = CLAVE_OK;
done:
    if (f != NULL) {
        fclose(f);
    }
    if (fd >= 0) {
        close(fd);
    }
    return st;
}

static clave_status mkparent(const char *path)
{
    char dir[1024];
    size_t n = strnlen(path, sizeof(dir) - 1);
    memcpy(dir, path, n);
    dir[n] = '\0';
    char *slash = strrchr(dir, '/');
    if (slash != NULL && slash != dir) {
        *slash = '\0';
        if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
            return CLAVE_ERR_IO;
        }
    }
    return CLAVE_OK;
}

static clave_status self_signed(const char *cert_path, const char *key_path)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    X509 *cert = X509_new();
    uint8_t serial[SERIAL_LEN];
    BIGNUM *bn = NULL;
    CLAVE_ENSURE(key != NULL && cert != NULL, CLAVE_ERR_CRYPTO, "tls: key generation");
    CLAVE_CHECK(clave_random(serial, sizeof(serial)));
    serial[0] &= 0x7f;
    bn = BN_bin2bn(serial, sizeof(serial), NULL);
    CLAVE_ENSURE(bn != NULL && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) != NULL,
                 CLAVE_ERR_CRYPTO, "tls: serial");
    CLAVE_CHECK_OSSL(X509_set_version(cert, 2), CLAVE_ERR_CRYPTO, "tls: version");
    CLAVE_ENSURE(X509_gmtime_adj(X509_getm_notBefore(cert), -3600) != NULL &&
                     X509_gmtime_adj(X509_getm_notAfter(cert), 86400L * SELF_SIGNED_DAYS) != NULL,
                 CLAVE_ERR_CRYPTO, "tls: validity");
    X509_NAME *name = X509_get_subject_name(cert);
    CLAVE_CHECK_OSSL(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                                (const unsigned char *)"claved", -1, -1, 0),
                     CLAVE_ERR_CRYPTO, "tls: name");
    CLAVE_CHECK_OSSL(X509_set_issuer_name(cert, name), CLAVE_ERR_CRYPTO, "tls: issuer");
    CLAVE_CHECK_OSSL(X509_set_pubkey(cert, key), CLAVE_ERR_CRYPTO, "tls: pubkey");
    CLAVE_CHECK(add_ext(cert, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1"));
    CLAVE_CHECK(add_ext(cert, NID_basic_constraints, "critical,CA:FALSE"));
    CLAVE_CHECK(add_ext(cert, NID_ext_key_usage, "serverAuth"));
    CLAVE_ENSURE(X509_sign(cert, key, EVP_sha256()) > 0, CLAVE_ERR_CRYPTO, "tls: sign");
    CLAVE_ENSURE(mkparent(key_path) == CLAVE_OK && mkparent(cert_path) == CLAVE_OK, CLAVE_ERR_IO,
                 "tls: cannot create the certificate directory");
    CLAVE_CHECK(write_pem(key_path, 0600, key, NULL));
    CLAVE_CHECK(write_pem(cert_path, 0644, NULL, cert));
    st = CLAVE_OK;
done:
    BN_free(bn);
    X509_free(cert);
    EVP_PKEY_free(key);
    return st;
}

/* Client certificates: with a CA configured the chain must verify; without one any certificate
 * is accepted at the TLS layer and only a registered fingerprint means anything (pinning). */
static int verify_cb(int preverify_ok, X509_STORE_CTX *x509)
{
    (void)x509;
    return preverify_ok;
}

static int accept_any_cb(int preverify_ok, X509_STORE_CTX *x509)
{
    (void)preverify_ok;
    (void)x509;
    return 1;
}

static clave_status client_auth(const struct claved_config *cfg, SSL_CTX *ctx)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    if (strcmp(cfg->tls_client_auth, "none") == 0) {
        return CLAVE_OK;
    }
    int mode = SSL_VERIFY_PEER | SSL_VERIFY_CLIENT_ONCE;
    if (strcmp(cfg->tls_client_auth, "require") == 0) {
        mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    }
    if (cfg->tls_client_ca[0] != '\0') {
        CLAVE_CHECK_OSSL(SSL_CTX_load_verify_locations(ctx, cfg->tls_client_ca, NULL),
                         CLAVE_ERR_CERT, "tls: tls_client_ca");
        SSL_CTX_set_verify(ctx, mode, verify_cb);
    } else {
        SSL_CTX_set_verify(ctx, mode, accept_any_cb);
    }
    st = CLAVE_OK;
done:
    return st;
}

clave_status claved_tls_ctx_new(const struct claved_config *cfg, SSL_CTX **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    SSL_CTX *ctx = NULL;
    *out = NULL;
    if (access(cfg->tls_cert, F_OK) != 0 && access(cfg->tls_key, F_OK) != 0) {
        CLAVE_CHECK_CTX(self_signed(cfg->tls_cert, cfg->tls_key), "self-signed certificate: ");
    }
    ctx = SSL_CTX_new(TLS_server_method());
    CLAVE_ENSURE(ctx != NULL, CLAVE_ERR_CRYPTO, "tls: SSL_CTX_new");
    int min = strcmp(cfg->tls_min_version, "1.2") == 0 ? TLS1_2_VERSION : TLS1_3_VERSION;
    CLAVE_CHECK_OSSL(SSL_CTX_set_min_proto_version(ctx, min), CLAVE_ERR_CRYPTO, "tls: version");
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                                 SSL_OP_NO_COMPRESSION);
    CLAVE_CHECK_OSSL(SSL_CTX_use_certificate_chain_file(ctx, cfg->tls_cert), CLAVE_ERR_CERT,
                     "tls: tls_cert");
    CLAVE_CHECK_OSSL(SSL_CTX_use_PrivateKey_file(ctx, cfg->tls_key, SSL_FILETYPE_PEM),
                     CLAVE_ERR_KEY, "tls: tls_key");
    CLAVE_CHECK_OSSL(SSL_CTX_check_private_key(ctx), CLAVE_ERR_KEY, "tls: key/cert mismatch");
    CLAVE_CHECK(client_auth(cfg, ctx));
    *out = ctx;
    ctx = NULL;
    st = CLAVE_OK;
done:
    SSL_CTX_free(ctx);
    return st;
}

bool claved_tls_peer_fp(SSL *ssl, char out[CLAVED_CERT_FP_LEN + 1])
{
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    out[0] = '\0';
    X509 *peer = SSL_get0_peer_certificate(ssl);
    if (peer == NULL || X509_digest(peer, EVP_sha256(), md, &n) != 1 || n != 32) {
        return false;
    }
    return clave_hex_encode(md, n, out, CLAVED_CERT_FP_LEN + 1) == CLAVE_OK;
}
