/* SPDX-License-Identifier: Apache-2.0 */
/*
 * RA-TLS: TLS certificates that carry attestation evidence binding their own key.
 *
 * Certificate: self-signed X.509 v3 over an ECDSA P-256 key, with a non-critical extension
 * 2.23.133.5.4.9 (TCG DICE tcg-dice-conceptual-message-wrapper, formerly tagged evidence) whose
 * value is the CBOR data item tag(CLAVE_RATLS_TAG_<FORMAT>, bstr evidence). (The TCG draft asks
 * for a critical extension, but OpenSSL rejects unknown critical extensions, as the CCC
 * interoperable RA-TLS note observes; verifiers here read it either way.)
 * Binding: the evidence's report_data (SNP REPORT_DATA, Nitro user_data) is the 64-byte
 * SHA-512 of the certificate's DER SubjectPublicKeyInfo (algorithm and key).
 * Verification: the evidence verifies under the policy, and the binding holds for the presented
 * certificate, whose self-signature also verifies. No CA is involved: the TEE vendor's root
 * (or, in development, a policy-trusted sim root) replaces it.
 */
#ifndef CLAVE_RATLS_H
#define CLAVE_RATLS_H

#include <clave/attest_verify.h>
#include <clave/sign.h>
#include <openssl/ssl.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CLAVE_RATLS_OID "2.23.133.5.4.9"
#define CLAVE_RATLS_BINDING_LEN 64
/* clave-private CBOR tags naming the evidence format (not IANA-registered). */
#define CLAVE_RATLS_TAG_NITRO 1668576001u
#define CLAVE_RATLS_TAG_SNP 1668576002u

/** report_data binding `key` (borrowed): SHA-512 of its DER SubjectPublicKeyInfo. */
CLAVE_API CLAVE_MUST_USE clave_status clave_ratls_binding(const struct clave_pkey *key,
                                                          uint8_t out[CLAVE_RATLS_BINDING_LEN]);

/**
 * A self-signed certificate (CN "clave RA-TLS", valid `valid_seconds` from now) for the P-256
 * private `key` carrying `evidence` of `format` ("nitro" or "snp"). All inputs borrowed; `*der`
 * caller-frees with free().
 * @return CLAVE_OK, CLAVE_ERR_KEY, CLAVE_ERR_ARG (format), CLAVE_ERR_CRYPTO
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_ratls_cert_create(const struct clave_pkey *key,
                                                              const char *format,
                                                              const uint8_t *evidence, size_t len,
                                                              int64_t valid_seconds, uint8_t **der,
                                                              size_t *der_len);

/**
 * Verify an RA-TLS certificate (DER, borrowed): extension present and well-formed, evidence
 * verified with `opts` and appraised under `policy` (NULL: default) at `now`, binding and
 * self-signature checked ("ratls.*" checks). The verdict is clave_attest_report_ok(report).
 * @return CLAVE_OK when examined, CLAVE_ERR_NOMEM/CLAVE_ERR_LIMIT otherwise
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_ratls_verify_cert(
    const uint8_t *der, size_t len, const struct clave_attest_options *opts,
    const struct clave_attest_policy *policy, int64_t now, struct clave_attest_report *report);

/** Verifier settings for TLS (policy and collateral borrowed; they must outlive it). */
struct clave_ratls_verifier;

CLAVE_API CLAVE_MUST_USE clave_status
clave_ratls_verifier_new(const struct clave_attest_policy *policy, const char *collateral_dir,
                         struct clave_ratls_verifier **out);
CLAVE_API void clave_ratls_verifier_free(struct clave_ratls_verifier *v);

/**
 * Install the RA-TLS verify callback on `ctx` with SSL_CTX_set_verify (mode SSL_VERIFY_PEER |
 * SSL_VERIFY_FAIL_IF_NO_PEER_CERT): the peer's self-signed certificate is accepted iff
 * clave_ratls_verify_cert() says ok at the current time. Works for clients and servers. `v` is
 * borrowed and must outlive `ctx`; the callback is thread-safe.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_ratls_ssl_ctx_verify(SSL_CTX *ctx,
                                                                 struct clave_ratls_verifier *v);

/** Use the RA-TLS certificate (DER) and its private `key` on `ctx` (both borrowed). */
CLAVE_API CLAVE_MUST_USE clave_status clave_ratls_ssl_ctx_use(SSL_CTX *ctx, const uint8_t *der,
                                                              size_t len,
                                                              const struct clave_pkey *key);

#ifdef __cplusplus
}
#endif
#endif
