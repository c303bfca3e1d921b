/* SPDX-License-Identifier: Apache-2.0 */
/* COSE_Sign1 with OpenSSL key objects, for callers inside libclave and white-box tests. */
#ifndef CLAVE_CRYPTO_COSE_INTERNAL_H
#define CLAVE_CRYPTO_COSE_INTERNAL_H

#include <clave/cose.h>
#include <clave/sign.h>
#include <openssl/evp.h>

/* clave_cose_sign1_verify_spki() with an EVP_PKEY (borrowed). */
clave_status clave__cose_sign1_verify_pkey(const uint8_t *msg, size_t len, EVP_PKEY *pkey,
                                           const struct clave_cose_verify_opts *opts,
                                           struct clave_cose_sign1 **out)
    __attribute__((warn_unused_result));

/* clave_cose_sign1_sign() with an EVP_PKEY (borrowed). */
clave_status clave__cose_sign1_sign_pkey(EVP_PKEY *pkey, int64_t alg, const uint8_t *payload,
                                         size_t payload_len,
                                         const struct clave_cose_sign_opts *opts, uint8_t **out,
                                         size_t *out_len) __attribute__((warn_unused_result));

/*
 * Sig_structure = ["Signature1", body_protected, external_aad, payload] (RFC 9052 section 4.4)
 * in canonical CBOR, into a new buffer (caller frees with free()).
 */
clave_status clave__cose_sig_structure(const uint8_t *protected_hdr, size_t protected_len,
                                       const uint8_t *aad, size_t aad_len, const uint8_t *payload,
                                       size_t payload_len, uint8_t **out, size_t *out_len)
    __attribute__((warn_unused_result));

/* The protected header {1: alg} of an identity signature: at most this many bytes. */
#define CLAVE__COSE_PROTECTED_ALG_MAX 8

/* The COSE algorithm of an identity key (borrowed): EdDSA for Ed25519, ES256 for P-256;
 * CLAVE_ERR_KEY for any other type. Shared by contract, collaboration and FL statements. */
clave_status clave__cose_identity_alg(const struct clave_pkey *key, int64_t *alg)
    __attribute__((warn_unused_result));

/* The protected header {1: alg} in canonical CBOR into `buf` (CLAVE__COSE_PROTECTED_ALG_MAX
 * bytes); CLAVE_ERR_UNSUPPORTED unless alg is EdDSA or ES256. */
clave_status clave__cose_protected_alg(int64_t alg, uint8_t *buf, size_t *len)
    __attribute__((warn_unused_result));

/* A tagged COSE_Sign1 [protected, {}, payload, signature] in canonical CBOR from a signature
 * made elsewhere (a token signing the Sig_structure), into a new buffer of at most `max_len`
 * bytes (caller frees); CLAVE_ERR_TOO_LARGE beyond. The caller verifies it. */
clave_status clave__cose_sign1_assemble(const uint8_t *protected_hdr, size_t protected_len,
                                        const uint8_t *payload, size_t payload_len,
                                        const uint8_t *sig, size_t sig_len, size_t max_len,
                                        uint8_t **out, size_t *out_len)
    __attribute__((warn_unused_result));

#endif
