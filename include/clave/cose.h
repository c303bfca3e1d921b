/* SPDX-License-Identifier: Apache-2.0 */
/*
 * COSE_Sign1 (RFC 9052 section 4.2) signing and verification with ES256, ES384 and EdDSA
 * (Ed25519), tagged (tag 18) or untagged, attached or detached payload.
 *
 * Verification is strict: exactly one CBOR item, no trailing bytes, no indefinite lengths, no
 * duplicate map keys, a four-element array of the right types, a protected header that is a
 * bstr-wrapped map carrying `alg`, no label in both header buckets, and no `crit` label we do not
 * process. All functions are thread-safe.
 */
#ifndef CLAVE_COSE_H
#define CLAVE_COSE_H

#include <clave/secret.h>
#include <clave/status.h>
#include <clave/x509.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Algorithm identifiers from the IANA COSE Algorithms registry (RFC 9053). */
enum clave_cose_alg {
    CLAVE_COSE_ALG_ES256 = -7,
    CLAVE_COSE_ALG_EDDSA = -8,
    CLAVE_COSE_ALG_ES384 = -35,
};

/* CBOR tag of a COSE_Sign1 message (RFC 9052 section 2). */
#define CLAVE_COSE_SIGN1_TAG 18
/* Default ceiling on a message's size. */
#define CLAVE_COSE_MAX_LEN (1024u * 1024u)

enum clave_cose_tagging {
    CLAVE_COSE_TAG_OPTIONAL = 0, /* accept tag 18 or no tag */
    CLAVE_COSE_TAG_REQUIRED = 1,
    CLAVE_COSE_TAG_FORBIDDEN = 2,
};

/*
 * Verification options (a transparent value struct; zero-initialise, then set what you need;
 * a NULL pointer to it means all defaults). Pointers are borrowed for the call.
 */
struct clave_cose_verify_opts {
    int64_t alg; /* 0: any algorithm that fits the key; otherwise the protected alg must equal it */
    const uint8_t *external_aad; /* may be NULL (empty) */
    size_t external_aad_len;
    const uint8_t *detached_payload; /* required iff the message's payload is nil */
    size_t detached_payload_len;
    enum clave_cose_tagging tagging;
    size_t max_len; /* 0: CLAVE_COSE_MAX_LEN */
};

/* Signing options; NULL means untagged, attached payload, no external AAD. */
struct clave_cose_sign_opts {
    const uint8_t *external_aad;
    size_t external_aad_len;
    bool tagged;   /* emit tag 18 */
    bool detached; /* emit nil in place of the payload */
};

/** A verified COSE_Sign1 message: its payload and protected algorithm. */
struct clave_cose_sign1;

/**
 * Verify `msg` (`len` bytes, borrowed) under the public key `key`: DER SubjectPublicKeyInfo or a
 * PEM "PUBLIC KEY" block (borrowed). On success `*out` (caller frees with
 * clave_cose_sign1_free()) holds a copy of the payload.
 *
 * Returns CLAVE_ERR_CBOR / CLAVE_ERR_FORMAT / CLAVE_ERR_TRUNCATED / CLAVE_ERR_TRAILING /
 * CLAVE_ERR_TOO_LARGE / CLAVE_ERR_LIMIT for malformed messages, CLAVE_ERR_UNSUPPORTED for an
 * unknown algorithm or critical header, CLAVE_ERR_KEY if the key does not fit the algorithm,
 * CLAVE_ERR_SIGNATURE if the signature does not verify or the algorithm is not the expected one,
 * CLAVE_ERR_ARG for a missing or superfluous detached payload.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_cose_sign1_verify_spki(
    const uint8_t *msg, size_t len, const uint8_t *key, size_t key_len,
    const struct clave_cose_verify_opts *opts, struct clave_cose_sign1 **out);

/** As clave_cose_sign1_verify_spki() with the public key of `cert` (borrowed). */
CLAVE_API CLAVE_MUST_USE clave_status clave_cose_sign1_verify_x509(
    const uint8_t *msg, size_t len, const struct clave_x509 *cert,
    const struct clave_cose_verify_opts *opts, struct clave_cose_sign1 **out);

/**
 * The verified payload, borrowed from `msg`; for a detached message the detached payload that
 * was verified (copied). `*len` receives its length.
 */
CLAVE_API const uint8_t *clave_cose_sign1_payload(const struct clave_cose_sign1 *msg, size_t *len);

/** The algorithm from the verified protected header (an enum clave_cose_alg value). */
CLAVE_API int64_t clave_cose_sign1_alg(const struct clave_cose_sign1 *msg);

/** Free a verified message; NULL is a no-op. */
CLAVE_API void clave_cose_sign1_free(struct clave_cose_sign1 *msg);

/**
 * UNAUTHENTICATED: parse `msg` with the same strictness as verification and return a copy of its
 * payload in `*payload` (caller frees with free()), without checking the signature. For formats
 * where the signing key travels inside the payload (AWS Nitro attestation documents): extract the
 * key, check it chains to a trusted root, then verify. CLAVE_ERR_NOT_FOUND for a detached payload.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_cose_sign1_peek_payload(
    const uint8_t *msg, size_t len, const struct clave_cose_verify_opts *opts, uint8_t **payload,
    size_t *payload_len);

/**
 * Sign `payload` (borrowed) with `alg` under the private key in `private_key` (PKCS#8 or
 * traditional DER, or PEM; borrowed). The protected header is {1: alg}, the unprotected header
 * empty; the encoding is canonical (shortest heads). `*out` is caller-frees with free().
 * CLAVE_ERR_KEY if the key does not fit `alg`, CLAVE_ERR_UNSUPPORTED for an unknown `alg`.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_cose_sign1_sign(const struct clave_secret *private_key,
                                                            int64_t alg, const uint8_t *payload,
                                                            size_t payload_len,
                                                            const struct clave_cose_sign_opts *opts,
                                                            uint8_t **out, size_t *out_len);

#ifdef __cplusplus
}
#endif
#endif
