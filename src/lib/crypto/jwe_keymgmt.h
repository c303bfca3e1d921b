/* SPDX-License-Identifier: Apache-2.0 */
/*
 * JWE key management building blocks (RFC 7518 §4): ECDH-ES key agreement with the Concat KDF,
 * AES key wrap and RSAES-OAEP-256. Internal; exposed to the unit tests for known-answer tests.
 */
#ifndef CLAVE_CRYPTO_JWE_KEYMGMT_H
#define CLAVE_CRYPTO_JWE_KEYMGMT_H

#include <clave/status.h>
#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

#define CLAVE_JOSE_ECDH_MAX_LEN 48 /* largest shared secret Z (P-384) */
#define CLAVE_JOSE_APU_MAX_LEN 256 /* apu/apv accepted in a header */
#define CLAVE_JOSE_KW_OVERHEAD 8   /* RFC 3394 integrity block */

/* Z = ECDH(priv, peer) into `z` (capacity CLAVE_JOSE_ECDH_MAX_LEN). OpenSSL refuses an all-zero
 * X25519 result (small-order point). Wipe `z` after use. */
clave_status clave__jose_ecdh(EVP_PKEY *priv, EVP_PKEY *peer, uint8_t *z, size_t *z_len);

/* RFC 7518 §4.6.2 Concat KDF (NIST SP 800-56A §5.8.1, SHA-256) with OtherInfo
 * AlgorithmID || PartyUInfo || PartyVInfo || SuppPubInfo(keydatalen = 8 * out_len). */
clave_status clave__jose_concat_kdf(const uint8_t *z, size_t z_len, const char *algorithm_id,
                                    const uint8_t *apu, size_t apu_len, const uint8_t *apv,
                                    size_t apv_len, uint8_t *out, size_t out_len);

/* RFC 3394 AES key wrap with a 16- or 32-byte KEK: `out` gets in_len + 8 bytes. */
clave_status clave__jose_aes_kw_wrap(const uint8_t *kek, size_t kek_len, const uint8_t *in,
                                     size_t in_len, uint8_t *out, size_t out_cap);

/* RFC 3394 unwrap: `out` gets in_len - 8 bytes; CLAVE_ERR_AUTH if the integrity check fails. */
clave_status clave__jose_aes_kw_unwrap(const uint8_t *kek, size_t kek_len, const uint8_t *in,
                                       size_t in_len, uint8_t *out, size_t out_cap);

/* RSAES-OAEP with SHA-256 and MGF1-SHA-256 ("RSA-OAEP-256"). `*out` is malloc'd; caller frees. */
clave_status clave__jose_rsa_oaep_encrypt(EVP_PKEY *pub, const uint8_t *in, size_t in_len,
                                          uint8_t **out, size_t *out_len);

/* Decrypt into `out` of exactly `out_len` bytes; CLAVE_ERR_AUTH on any failure or other
 * length. Wipes `out` on failure. */
clave_status clave__jose_rsa_oaep_decrypt(EVP_PKEY *priv, const uint8_t *in, size_t in_len,
                                          uint8_t *out, size_t out_len);

#endif
