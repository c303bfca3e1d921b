/* SPDX-License-Identifier: Apache-2.0 */
/* Server TLS: OpenSSL context (TLS 1.3 only by default, optional client certificates) and the
 * self-signed certificate generated on first start. */
#ifndef CLAVED_TLS_H
#define CLAVED_TLS_H

#include "claved.h"

#include <openssl/ssl.h>

/* Build the server context; generates a self-signed P-256 certificate for localhost/127.0.0.1
 * into cfg->tls_cert/tls_key when neither file exists. Caller frees with SSL_CTX_free. */
clave_status claved_tls_ctx_new(const struct claved_config *cfg, SSL_CTX **out);

/* Hex SHA-256 of the peer certificate's DER into `out`; false if there is none. */
bool claved_tls_peer_fp(SSL *ssl, char out[CLAVED_CERT_FP_LEN + 1]);

#endif
